//! The resources this server serves (SPEC §9 plus Namespaces and Nodes) and the discovery
//! documents kubectl and client libraries read: `/version`, `/api`, `/api/v1`, `/apis`,
//! `/apis/<group>` and `/apis/<group>/<version>`.

use serde_json::{Value, json};

/// One served resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    /// API group, empty for the core group.
    pub group: &'static str,
    pub version: &'static str,
    /// Plural, lower-case: the path segment (`leases`).
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
}

impl Resource {
    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.to_string() } else { format!("{}/{}", self.group, self.version) }
    }

    /// `api/v1` or `apis/apps/v1` (no leading slash).
    pub fn prefix(&self) -> String {
        if self.group.is_empty() {
            format!("api/{}", self.version)
        } else {
            format!("apis/{}/{}", self.group, self.version)
        }
    }

    /// `roles.rbac.authorization.k8s.io` or `pods`, as the API server names a resource in errors.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() { self.plural.to_string() } else { format!("{}.{}", self.plural, self.group) }
    }

    /// The API path of one object (no leading slash), as leaselint's findings name it.
    pub fn object_path(&self, namespace: &str, name: &str) -> String {
        if self.namespaced {
            format!("{}/namespaces/{namespace}/{}/{name}", self.prefix(), self.plural)
        } else {
            format!("{}/{}/{name}", self.prefix(), self.plural)
        }
    }
}

const fn r(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
) -> Resource {
    Resource { group, version, plural, singular, kind, namespaced, short_names }
}

/// Every served resource, in discovery order.
pub const RESOURCES: &[Resource] = &[
    r("", "v1", "namespaces", "namespace", "Namespace", false, &["ns"]),
    r("", "v1", "nodes", "node", "Node", false, &["no"]),
    r("", "v1", "pods", "pod", "Pod", true, &["po"]),
    r("", "v1", "services", "service", "Service", true, &["svc"]),
    r("", "v1", "limitranges", "limitrange", "LimitRange", true, &["limits"]),
    r("", "v1", "resourcequotas", "resourcequota", "ResourceQuota", true, &["quota"]),
    r("apps", "v1", "deployments", "deployment", "Deployment", true, &["deploy"]),
    r("apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, &["sts"]),
    r("apps", "v1", "daemonsets", "daemonset", "DaemonSet", true, &["ds"]),
    r("apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, &["rs"]),
    r("batch", "v1", "jobs", "job", "Job", true, &[]),
    r("batch", "v1", "cronjobs", "cronjob", "CronJob", true, &["cj"]),
    r("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true, &["pdb"]),
    r(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        "HorizontalPodAutoscaler",
        true,
        &["hpa"],
    ),
    r("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, &[]),
    r("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true, &[]),
    r("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false, &[]),
    r("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false, &[]),
    r("coordination.k8s.io", "v1", "leases", "lease", "Lease", true, &[]),
];

/// The resource for a `(apiVersion, kind)` pair of an object.
pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.kind == kind && r.api_version() == api_version)
}

/// The resource served at `group`/`version`/`plural`.
pub fn by_path(group: &str, version: &str, plural: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// Index of a resource in [`RESOURCES`].
pub fn index_of(res: &Resource) -> usize {
    RESOURCES.iter().position(|r| r == res).unwrap_or(0)
}

fn groups() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES.iter().filter(|r| !r.group.is_empty()) {
        if !out.contains(&(r.group, r.version)) {
            out.push((r.group, r.version));
        }
    }
    out
}

/// `GET /version`.
pub fn version() -> Value {
    json!({
        "major": "1", "minor": "32", "gitVersion": "v1.32.0-leaselint-test",
        "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc",
        "platform": "linux/amd64"
    })
}

/// `GET /api`.
pub fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions", "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]
    })
}

fn group_doc(group: &str, version: &str) -> Value {
    let gv = format!("{group}/{version}");
    json!({
        "name": group,
        "versions": [{"groupVersion": gv, "version": version}],
        "preferredVersion": {"groupVersion": gv, "version": version}
    })
}

/// `GET /apis`.
pub fn group_list() -> Value {
    let groups: Vec<Value> = groups().into_iter().map(|(g, v)| group_doc(g, v)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/<group>`.
pub fn group(group: &str) -> Option<Value> {
    let (g, v) = groups().into_iter().find(|(g, _)| *g == group)?;
    let mut doc = group_doc(g, v);
    doc["kind"] = json!("APIGroup");
    doc["apiVersion"] = json!("v1");
    Some(doc)
}

/// `GET /api/v1` or `GET /apis/<group>/<version>`: an APIResourceList.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    let resources: Vec<Value> = RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .map(|r| {
            json!({
                "name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
                "kind": r.kind, "verbs": ["get", "list", "watch"], "shortNames": r.short_names,
            })
        })
        .collect();
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    Some(json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}))
}
