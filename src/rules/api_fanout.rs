//! LL009 api-fanout.

use std::collections::BTreeSet;

use crate::k8s::{Binding, Inventory, Kind, Subject, Workload};
use crate::lint::{Ctx, Rule};

/// Finds workloads with `thresholds.fanoutReplicas` (20) or more replicas, and every DaemonSet
/// (one pod per node: `--nodes`, default 100), whose ServiceAccount a RoleBinding or
/// ClusterRoleBinding in the run grants `list` or `watch` (or `*`).
///
/// A subject matches the pod's ServiceAccount when it is that ServiceAccount (a RoleBinding
/// subject without a namespace means the binding's namespace), the group
/// `system:serviceaccounts` or `system:serviceaccounts:<namespace>`, or the user
/// `system:serviceaccount:<namespace>:<name>`. The bound role must be in the run, or be one of
/// the built-in `cluster-admin`, `admin`, `edit`, `view` (which read every resource). Objects
/// without a namespace are in the release namespace: `--namespace` names it (then a subject in
/// `prod` is the same namespace as a workload without one under `-n prod`); without it, it
/// matches only other objects without a namespace.
///
/// A node agent (a DaemonSet whose pods get `spec.nodeName` from the downward API) is taken to
/// filter `pods` and `nodes` by its own node, which the API server indexes: those resources do
/// not count for it; the others do, and the message gives advice that fits node agents.
///
/// No fix: the remedy (one coalescing cache or watch proxy in front of the API server) is a
/// design change.
pub(crate) struct ApiFanout;

const BUILTIN_READERS: [&str; 4] = ["cluster-admin", "admin", "edit", "view"];

/// Resources a node agent reads for its own node only (the API server indexes pods by
/// `spec.nodeName`; a node reads its own Node object).
const NODE_SCOPED: [&str; 2] = ["pods", "nodes"];

/// Built-in resources and their API group.
const WELL_KNOWN: &[(&str, &str)] = &[
    ("pods", ""),
    ("services", ""),
    ("endpoints", ""),
    ("configmaps", ""),
    ("secrets", ""),
    ("nodes", ""),
    ("namespaces", ""),
    ("events", ""),
    ("serviceaccounts", ""),
    ("persistentvolumes", ""),
    ("persistentvolumeclaims", ""),
    ("replicationcontrollers", ""),
    ("resourcequotas", ""),
    ("limitranges", ""),
    ("deployments", "apps"),
    ("replicasets", "apps"),
    ("statefulsets", "apps"),
    ("daemonsets", "apps"),
    ("controllerrevisions", "apps"),
    ("jobs", "batch"),
    ("cronjobs", "batch"),
    ("ingresses", "networking.k8s.io"),
    ("ingressclasses", "networking.k8s.io"),
    ("networkpolicies", "networking.k8s.io"),
    ("endpointslices", "discovery.k8s.io"),
    ("leases", "coordination.k8s.io"),
    ("poddisruptionbudgets", "policy"),
    ("horizontalpodautoscalers", "autoscaling"),
    ("customresourcedefinitions", "apiextensions.k8s.io"),
    ("storageclasses", "storage.k8s.io"),
    ("roles", "rbac.authorization.k8s.io"),
    ("rolebindings", "rbac.authorization.k8s.io"),
    ("clusterroles", "rbac.authorization.k8s.io"),
    ("clusterrolebindings", "rbac.authorization.k8s.io"),
];

impl Rule for ApiFanout {
    fn code(&self) -> &'static str {
        "LL009"
    }

    fn name(&self) -> &'static str {
        "api-fanout"
    }

    fn check_inventory(&self, inv: &Inventory, cx: &mut Ctx<'_>) {
        for w in &inv.workloads {
            let pods = if w.kind == Kind::DaemonSet {
                cx.config.thresholds.nodes
            } else {
                match inv.replicas(w) {
                    Some(r) if r >= cx.config.thresholds.fanout_replicas => r,
                    _ => continue,
                }
            };
            let mut resources = BTreeSet::new();
            let mut via = Vec::new();
            for b in inv.bindings.iter().filter(|b| binds(b, w, inv)) {
                let granted = watched_resources(b, inv);
                if !granted.is_empty() {
                    via.push(format!("{} `{}`", b.info.object.kind, b.info.object.name));
                    resources.extend(granted);
                }
            }
            // A node agent filters pods and nodes by its own node (`spec.nodeName`), which the API
            // server indexes: those are not N identical watches.
            let node_agent = w.kind == Kind::DaemonSet && w.node_name_from_downward_api;
            if node_agent {
                resources.retain(|r| !NODE_SCOPED.contains(&r.as_str()));
            }
            if resources.is_empty() {
                continue;
            }
            let all = resources.contains("*");
            let shown: Vec<String> = resources.iter().take(5).map(|r| format!("`{r}`")).collect();
            let more = if resources.len() > 5 { ", …" } else { "" };
            let pods_word = if w.kind == Kind::DaemonSet {
                format!("DaemonSet `{}` runs a pod on each of {pods} nodes (--nodes)", w.info.object.name)
            } else {
                format!("{} `{}` runs {pods} replicas", w.info.object.kind, w.info.object.name)
            };
            let (what, streams) = if all {
                ("every resource (`*`)".to_string(), format!("{pods} list/watch streams per resource type"))
            } else {
                let n = resources.len();
                (
                    format!("{n} resource{} ({}{more})", if n == 1 { "" } else { "s" }, shown.join(", ")),
                    format!("{pods} × {n} = {} list/watch streams", i64::try_from(n).unwrap_or(0).saturating_mul(pods)),
                )
            };
            let advice = if node_agent {
                "; it is a node agent (it reads `spec.nodeName`), so its own node's pods and its Node are not \
                 counted: serve the other resources to the agents from one shared cache or watch proxy rather than \
                 one watch per node"
            } else {
                "; put one coalescing cache in front of the API server (a shared informer or watch proxy) instead \
                 of one per pod"
            };
            let message = format!(
                "{pods_word} and ServiceAccount `{}` may list/watch {what} through {}: {streams} on the API \
                 server and etcd{advice}",
                w.service_account,
                via.join(", "),
            );
            cx.report(w.replicas_loc.clone(), message).emit();
        }
    }
}

/// Whether a binding's subjects include the workload's ServiceAccount.
fn binds(b: &Binding, w: &Workload, inv: &Inventory<'_>) -> bool {
    let ns = inv.namespace_of(&w.info);
    b.subjects.iter().any(|s| subject_is(s, b, ns, &w.service_account, inv))
}

fn subject_is(s: &Subject, b: &Binding, ns: Option<&str>, sa: &str, inv: &Inventory<'_>) -> bool {
    match s.kind.as_str() {
        "ServiceAccount" => {
            let subject_ns = match (&s.namespace, b.cluster) {
                (Some(n), _) => Some(n.as_str()),
                (None, false) => inv.namespace_of(&b.info),
                (None, true) => return false,
            };
            s.name == sa && subject_ns == ns
        }
        "Group" => {
            s.name == "system:serviceaccounts" || ns.is_some_and(|n| s.name == format!("system:serviceaccounts:{n}"))
        }
        "User" => ns.is_some_and(|n| s.name == format!("system:serviceaccount:{n}:{sa}")),
        _ => false,
    }
}

/// Resources the bound role may list or watch, as `group/resource` (core: `resource`).
fn watched_resources(b: &Binding, inv: &Inventory<'_>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let role = inv.role_of(b);
    let Some(role) = role else {
        if b.role_kind == "ClusterRole" && BUILTIN_READERS.contains(&b.role_name.as_str()) {
            out.insert("*".to_string());
        }
        return out;
    };
    for rule in &role.rules {
        if !rule.verbs.iter().any(|v| v == "list" || v == "watch" || v == "*") {
            continue;
        }
        for res in &rule.resources {
            if res.contains('/') {
                continue; // subresources are not list/watch streams of their own
            }
            if res == "*" {
                out.insert("*".to_string());
                continue;
            }
            let groups: Vec<&str> = if rule.api_groups.is_empty() {
                vec![""]
            } else {
                rule.api_groups.iter().map(String::as_str).collect()
            };
            // A rule grants every group × resource pair; count only the pairs that exist for
            // well-known resources (`pods` in `""`, not in `apps`).
            let home = WELL_KNOWN.iter().find(|(r, _)| *r == res.as_str()).map(|(_, g)| *g);
            for g in groups {
                let g = match (home, g) {
                    (Some(h), "*") => h,
                    (Some(h), g) if g != h => continue,
                    (_, g) => g,
                };
                out.insert(if g.is_empty() { res.clone() } else { format!("{g}/{res}") });
            }
        }
    }
    out
}
