//! Type-checking an object against its k8s-openapi type (strict like the API server: `true`
//! where a string is required is an error). Used by `--fix` to make sure a fix never turns a
//! valid object into an invalid one.

use serde_json::Value;

use k8s_openapi::api::{apps, autoscaling, batch, coordination, core, networking, policy, rbac};

/// Deserializes `json` into the k8s-openapi type of `apiVersion`/`kind`. `Ok(false)` when
/// leaselint has no type for it (custom resources, other versions); `Err` with the reason when
/// it does not type-check.
pub(crate) fn check(api_version: &str, kind: &str, json: Value) -> Result<bool, String> {
    macro_rules! types {
        ($( ($api:literal, $kind:literal, $ty:ty) ),* $(,)?) => {
            match (api_version, kind) {
                $( ($api, $kind) => serde_json::from_value::<$ty>(json).map(|_| true).map_err(|e| e.to_string()), )*
                _ => Ok(false),
            }
        };
    }
    types! {
        ("v1", "Pod", core::v1::Pod),
        ("v1", "Service", core::v1::Service),
        ("v1", "ConfigMap", core::v1::ConfigMap),
        ("v1", "Secret", core::v1::Secret),
        ("v1", "ServiceAccount", core::v1::ServiceAccount),
        ("v1", "ReplicationController", core::v1::ReplicationController),
        ("v1", "Namespace", core::v1::Namespace),
        ("apps/v1", "Deployment", apps::v1::Deployment),
        ("apps/v1", "StatefulSet", apps::v1::StatefulSet),
        ("apps/v1", "DaemonSet", apps::v1::DaemonSet),
        ("apps/v1", "ReplicaSet", apps::v1::ReplicaSet),
        ("batch/v1", "Job", batch::v1::Job),
        ("batch/v1", "CronJob", batch::v1::CronJob),
        ("policy/v1", "PodDisruptionBudget", policy::v1::PodDisruptionBudget),
        ("autoscaling/v1", "HorizontalPodAutoscaler", autoscaling::v1::HorizontalPodAutoscaler),
        ("autoscaling/v2", "HorizontalPodAutoscaler", autoscaling::v2::HorizontalPodAutoscaler),
        ("coordination.k8s.io/v1", "Lease", coordination::v1::Lease),
        ("rbac.authorization.k8s.io/v1", "Role", rbac::v1::Role),
        ("rbac.authorization.k8s.io/v1", "ClusterRole", rbac::v1::ClusterRole),
        ("rbac.authorization.k8s.io/v1", "RoleBinding", rbac::v1::RoleBinding),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", rbac::v1::ClusterRoleBinding),
        ("networking.k8s.io/v1", "Ingress", networking::v1::Ingress),
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn strict_types() {
        let ok =
            serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}});
        assert_eq!(check("v1", "ConfigMap", ok.clone()), Ok(true));
        let bad = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": true}});
        assert!(check("v1", "ConfigMap", bad).is_err());
        assert_eq!(check("example.com/v1", "Widget", ok), Ok(false));
    }
}
