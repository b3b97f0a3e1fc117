//! The live objects the rules read (SPEC §9, STYLE §1): each object of a page is written as one
//! JSON document into an in-memory `SourceFile` named by its API path, as the page arrives, so
//! the audit lints them with the same runner, registry, config and suppressions as files.
//!
//! What is kept of an object is what a manifest holds: `status`, `metadata.managedFields` and
//! the `kubectl.kubernetes.io/last-applied-configuration` annotation (a second copy of the
//! object) are dropped, so memory follows the size of the specs, not of the API's objects.
//!
//! Which objects are linted: every object of the workload, policy, RBAC and quota resources, but
//! not the copies a controller makes of another object's template — Pods, ReplicaSets and Jobs
//! that have a controller (their Deployment, StatefulSet, DaemonSet, CronJob or operator is
//! what a manifest declares, and a finding on each of 200,000 pods is noise). Pods without a
//! controller and static Pods (mirror Pods, controlled by their Node) are linted; so are Leases,
//! except the node heartbeats of `kube-node-lease` (one per node by design; LL001 skips them).

use std::collections::HashMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use crate::k8s::NODE_LEASE_NAMESPACE;
use crate::source::SourceFile;

/// The annotation `kubectl apply` keeps a copy of the applied object in.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The objects read so far, one `SourceFile` each, by API path.
#[derive(Debug, Default)]
pub(crate) struct LiveObjects {
    files: Vec<SourceFile>,
    /// API path → index in `files` (a list started again after a 410 hands objects twice).
    index: HashMap<String, usize>,
}

impl LiveObjects {
    /// Adds (or replaces) an object: its JSON, reduced to what a manifest holds.
    pub(crate) fn add<K>(&mut self, object: &K)
    where
        K: kube::Resource<DynamicType = ()> + serde::Serialize,
    {
        let Some(path) = api_path(object) else { return };
        let Ok(mut value) = serde_json::to_value(object) else { return };
        reduce(&mut value);
        let file = SourceFile::resource(path.clone(), value.to_string());
        match self.index.get(&path) {
            Some(&i) => {
                if let Some(slot) = self.files.get_mut(i) {
                    *slot = file;
                }
            }
            None => {
                self.index.insert(path, self.files.len());
                self.files.push(file);
            }
        }
    }

    /// The objects, ordered by API path (so reports do not depend on the order of the reads).
    pub(crate) fn into_files(self) -> Vec<SourceFile> {
        let mut files = self.files;
        files.sort_by(|a, b| a.name.cmp(&b.name));
        files
    }
}

/// The object's API path without the leading `/`: `apis/apps/v1/namespaces/web/deployments/api`,
/// `api/v1/namespaces/web/pods/api-0`, `apis/rbac.authorization.k8s.io/v1/clusterroles/view`.
pub(crate) fn api_path<K>(object: &K) -> Option<String>
where
    K: kube::Resource<DynamicType = ()>,
{
    let meta = object.meta();
    let name = meta.name.as_deref()?;
    let collection = K::url_path(&(), meta.namespace.as_deref());
    Some(format!("{}/{name}", collection.trim_start_matches('/')))
}

/// Drops what the API server adds and no rule reads: `status`, `metadata.managedFields`, and
/// the last-applied annotation (and `metadata.annotations` when that was its only entry).
fn reduce(value: &mut Value) {
    let Some(object) = value.as_object_mut() else { return };
    object.remove("status");
    let Some(Value::Object(meta)) = object.get_mut("metadata") else { return };
    meta.remove("managedFields");
    if let Some(Value::Object(annotations)) = meta.get_mut("annotations") {
        annotations.remove(LAST_APPLIED);
        if annotations.is_empty() {
            meta.remove("annotations");
        }
    }
}

/// The kind of the object's controller (`metadata.ownerReferences` with `controller: true`).
fn controller_kind(meta: &ObjectMeta) -> Option<&str> {
    meta.owner_references.as_ref()?.iter().find(|o| o.controller == Some(true)).map(|o| o.kind.as_str())
}

/// A Pod the rules read: one without a controller, or a static Pod (its mirror Pod is
/// controlled by its Node).
pub(crate) fn lint_pod(meta: &ObjectMeta) -> bool {
    controller_kind(meta).is_none_or(|kind| kind == "Node")
}

/// A ReplicaSet or Job the rules read: one that no controller (Deployment, CronJob) made.
pub(crate) fn lint_owned(meta: &ObjectMeta) -> bool {
    controller_kind(meta).is_none()
}

/// A Lease the rules read: any but the node heartbeats.
pub(crate) fn lint_lease(meta: &ObjectMeta) -> bool {
    meta.namespace.as_deref() != Some(NODE_LEASE_NAMESPACE)
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::Pod;
    use k8s_openapi::api::rbac::v1::ClusterRole;
    use serde_json::json;

    use super::*;

    fn deployment() -> Deployment {
        serde_json::from_value(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "web",
                "annotations": {LAST_APPLIED: "{\"big\": true}", "leaselint.io/ignore": "LL006"},
                "managedFields": [{"manager": "kubectl", "operation": "Apply"}]},
            "spec": {"selector": {"matchLabels": {"app": "api"}},
                "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "api"}]}}},
            "status": {"replicas": 3}
        }))
        .unwrap()
    }

    #[test]
    fn api_paths_as_the_api_server_serves_them() {
        assert_eq!(api_path(&deployment()).unwrap(), "apis/apps/v1/namespaces/web/deployments/api");
        let pod: Pod = serde_json::from_value(json!({"metadata": {"name": "p", "namespace": "ns"}})).unwrap();
        assert_eq!(api_path(&pod).unwrap(), "api/v1/namespaces/ns/pods/p");
        let role: ClusterRole = serde_json::from_value(json!({"metadata": {"name": "view"}})).unwrap();
        assert_eq!(api_path(&role).unwrap(), "apis/rbac.authorization.k8s.io/v1/clusterroles/view");
    }

    #[test]
    fn keeps_what_a_manifest_holds() {
        let mut objects = LiveObjects::default();
        objects.add(&deployment());
        objects.add(&deployment());
        let files = objects.into_files();
        assert_eq!(files.len(), 1, "the same object read twice is kept once");
        let file = &files[0];
        assert!(file.resource && !file.json);
        let v: Value = serde_json::from_str(&file.text).unwrap();
        assert_eq!(v["kind"], "Deployment");
        assert_eq!(v["apiVersion"], "apps/v1");
        assert!(v.get("status").is_none());
        assert!(v["metadata"].get("managedFields").is_none());
        assert_eq!(v["metadata"]["annotations"], json!({"leaselint.io/ignore": "LL006"}));
        assert_eq!(v["spec"]["template"]["spec"]["containers"][0]["name"], "api");
    }

    #[test]
    fn controlled_copies_are_not_linted() {
        let meta = |owner: Option<(&str, bool)>| -> ObjectMeta {
            let owners = owner.map(|(kind, controller)| {
                json!([{"apiVersion": "v1", "kind": kind, "name": "x", "uid": "u", "controller": controller}])
            });
            serde_json::from_value(json!({"name": "p", "ownerReferences": owners})).unwrap()
        };
        assert!(lint_pod(&meta(None)));
        assert!(lint_pod(&meta(Some(("Node", true)))), "a static pod's mirror");
        assert!(!lint_pod(&meta(Some(("ReplicaSet", true)))));
        assert!(lint_pod(&meta(Some(("ReplicaSet", false)))), "an owner that is not the controller");
        assert!(!lint_owned(&meta(Some(("CronJob", true)))));
        assert!(lint_owned(&meta(None)));
    }
}
