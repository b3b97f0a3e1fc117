//! Type-checking an object against its k8s-openapi type (strict like the API server: `true`
//! where a string is required is an error). Used by `--fix` to make sure a fix never turns a
//! valid object into an invalid one.

use serde_json::Value;

use k8s_openapi::api::{apps, autoscaling, batch, coordination, core, networking, policy, rbac};

/// Dispatches on (apiVersion, kind) to `$read!(Type)`, or `Ok(false)` for objects leaselint has
/// no type for (custom resources, other versions).
macro_rules! by_type {
    ($api_version:expr, $kind:expr, $read:ident) => {
        match ($api_version, $kind) {
            ("v1", "Pod") => $read!(core::v1::Pod),
            ("v1", "Service") => $read!(core::v1::Service),
            ("v1", "ConfigMap") => $read!(core::v1::ConfigMap),
            ("v1", "Secret") => $read!(core::v1::Secret),
            ("v1", "ServiceAccount") => $read!(core::v1::ServiceAccount),
            ("v1", "ReplicationController") => $read!(core::v1::ReplicationController),
            ("v1", "Namespace") => $read!(core::v1::Namespace),
            ("apps/v1", "Deployment") => $read!(apps::v1::Deployment),
            ("apps/v1", "StatefulSet") => $read!(apps::v1::StatefulSet),
            ("apps/v1", "DaemonSet") => $read!(apps::v1::DaemonSet),
            ("apps/v1", "ReplicaSet") => $read!(apps::v1::ReplicaSet),
            ("batch/v1", "Job") => $read!(batch::v1::Job),
            ("batch/v1", "CronJob") => $read!(batch::v1::CronJob),
            ("policy/v1", "PodDisruptionBudget") => $read!(policy::v1::PodDisruptionBudget),
            ("autoscaling/v1", "HorizontalPodAutoscaler") => $read!(autoscaling::v1::HorizontalPodAutoscaler),
            ("autoscaling/v2", "HorizontalPodAutoscaler") => $read!(autoscaling::v2::HorizontalPodAutoscaler),
            ("coordination.k8s.io/v1", "Lease") => $read!(coordination::v1::Lease),
            ("rbac.authorization.k8s.io/v1", "Role") => $read!(rbac::v1::Role),
            ("rbac.authorization.k8s.io/v1", "ClusterRole") => $read!(rbac::v1::ClusterRole),
            ("rbac.authorization.k8s.io/v1", "RoleBinding") => $read!(rbac::v1::RoleBinding),
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => $read!(rbac::v1::ClusterRoleBinding),
            ("networking.k8s.io/v1", "Ingress") => $read!(networking::v1::Ingress),
            _ => Ok(false),
        }
    };
}

/// Deserializes `json` into the k8s-openapi type of `apiVersion`/`kind`: `Ok(true)` when it
/// type-checks, `Ok(false)` when leaselint has no type for it, `Err` with the reason otherwise.
#[allow(dead_code, reason = "the JSON route, kept as the reference the tree route is tested against")]
pub(crate) fn check(api_version: &str, kind: &str, json: Value) -> Result<bool, String> {
    macro_rules! from_json {
        ($ty:ty) => {
            serde_json::from_value::<$ty>(json).map(|_| true).map_err(|e| e.to_string())
        };
    }
    by_type!(api_version, kind, from_json)
}

/// Like [`check`], deserializing straight from the spanned tree (no `serde_json::Value`).
pub(crate) fn check_node(api_version: &str, kind: &str, node: crate::yaml::NodeRef<'_, '_>) -> Result<bool, String> {
    macro_rules! from_tree {
        ($ty:ty) => {
            crate::yaml::de::from_node::<$ty>(node).map(|_| true).map_err(|e| e.to_string())
        };
    }
    by_type!(api_version, kind, from_tree)
}

#[cfg(test)]
mod tests {
    use super::{check, check_node};
    use crate::yaml::{Limits, parse_chunk};

    #[test]
    fn strict_types() {
        let ok =
            serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}});
        assert_eq!(check("v1", "ConfigMap", ok.clone()), Ok(true));
        let bad = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": true}});
        assert!(check("v1", "ConfigMap", bad).is_err());
        assert_eq!(check("example.com/v1", "Widget", ok), Ok(false));
    }

    #[test]
    fn the_tree_route_agrees_with_the_json_route_on_the_fixtures() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut checked = 0;
        for dir in std::fs::read_dir(root).unwrap().filter_map(|e| e.ok()) {
            for file in std::fs::read_dir(dir.path()).unwrap().filter_map(|e| e.ok()) {
                let text = std::fs::read_to_string(file.path()).unwrap_or_default();
                for chunk in crate::source::split_documents(&text) {
                    let (docs, _) = parse_chunk(&text, chunk, Limits::default());
                    for doc in &docs {
                        let Some(root) = doc.root() else { continue };
                        let (Some(api), Some(kind)) = (root.get_str("apiVersion"), root.get_str("kind")) else {
                            continue;
                        };
                        let Some(json) = crate::yaml::json::to_json(root) else { continue };
                        assert_eq!(
                            check(api, kind, json).is_ok(),
                            check_node(api, kind, root).is_ok(),
                            "{}: {kind}",
                            file.path().display()
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }
}
