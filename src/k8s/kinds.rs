//! Recognising object kinds by API group and kind, whatever the version.

use crate::yaml::NodePath;

/// The kinds leaselint knows. An object whose group does not fit its kind is `Other`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Pod,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    ReplicationController,
    Job,
    CronJob,
    /// A kind declared in config (`podTemplateKinds`) with the path of its pod template.
    Custom {
        template: NodePath,
    },
    PodDisruptionBudget,
    HorizontalPodAutoscaler,
    Service,
    Lease,
    Role,
    ClusterRole,
    RoleBinding,
    ClusterRoleBinding,
    ResourceQuota,
    LimitRange,
    /// A ConfigMap (kubeadm keeps its `ClusterConfiguration` in `kube-system/kubeadm-config`).
    ConfigMap,
    /// kubeadm's `ClusterConfiguration` (`kubeadm.k8s.io`), a document of a kubeadm config file.
    KubeadmClusterConfiguration,
    /// Cluster API's `KubeadmControlPlane` (`controlplane.cluster.x-k8s.io`), which embeds a
    /// `ClusterConfiguration` at `spec.kubeadmConfigSpec.clusterConfiguration`.
    KubeadmControlPlane,
    /// `kind: List` or `*List` with `items` (the items are objects of their own).
    List,
    Other,
}

/// An extra pod-template-bearing kind from config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CustomKind {
    /// `group/version` or just `group/*`-style `apiVersion`; matched by group when it has a `/`.
    pub(crate) api_version: String,
    pub(crate) kind: String,
    /// Path of the pod template (`spec.template`): its `metadata` and `spec` are the pod's.
    pub(crate) template: NodePath,
}

/// The API group of an `apiVersion` (`apps/v1` → `apps`, `v1` → core `""`).
pub(crate) fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// Recognises an object's kind.
pub(crate) fn recognise(api_version: &str, kind: &str, custom: &[CustomKind]) -> Kind {
    let group = group_of(api_version);
    let known = match (group, kind) {
        ("", "Pod") => Kind::Pod,
        ("apps" | "extensions", "Deployment") => Kind::Deployment,
        ("apps" | "extensions", "ReplicaSet") => Kind::ReplicaSet,
        ("apps" | "extensions", "DaemonSet") => Kind::DaemonSet,
        ("apps", "StatefulSet") => Kind::StatefulSet,
        ("", "ReplicationController") => Kind::ReplicationController,
        ("batch", "Job") => Kind::Job,
        ("batch", "CronJob") => Kind::CronJob,
        ("policy", "PodDisruptionBudget") => Kind::PodDisruptionBudget,
        ("autoscaling", "HorizontalPodAutoscaler") => Kind::HorizontalPodAutoscaler,
        ("", "Service") => Kind::Service,
        ("coordination.k8s.io", "Lease") => Kind::Lease,
        ("rbac.authorization.k8s.io", "Role") => Kind::Role,
        ("rbac.authorization.k8s.io", "ClusterRole") => Kind::ClusterRole,
        ("rbac.authorization.k8s.io", "RoleBinding") => Kind::RoleBinding,
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => Kind::ClusterRoleBinding,
        ("", "ResourceQuota") => Kind::ResourceQuota,
        ("", "LimitRange") => Kind::LimitRange,
        ("", "ConfigMap") => Kind::ConfigMap,
        ("kubeadm.k8s.io", "ClusterConfiguration") => Kind::KubeadmClusterConfiguration,
        ("controlplane.cluster.x-k8s.io", "KubeadmControlPlane") => Kind::KubeadmControlPlane,
        _ => Kind::Other,
    };
    if known != Kind::Other {
        return known;
    }
    for c in custom {
        let version_matches = if c.api_version.contains('/') {
            group_of(&c.api_version) == group
        } else {
            c.api_version.is_empty() || c.api_version == api_version
        };
        if c.kind == kind && version_matches {
            return Kind::Custom { template: c.template.clone() };
        }
    }
    Kind::Other
}

impl Kind {
    /// Kinds that carry a pod spec.
    pub(crate) fn has_pod(&self) -> bool {
        matches!(
            self,
            Kind::Pod
                | Kind::Deployment
                | Kind::ReplicaSet
                | Kind::StatefulSet
                | Kind::DaemonSet
                | Kind::ReplicationController
                | Kind::Job
                | Kind::CronJob
                | Kind::Custom { .. }
        )
    }

    /// Path of the pod template (the node holding the pod's `metadata` and `spec`); the empty
    /// path for a Pod, which is its own template.
    pub(crate) fn template_path(&self) -> Option<NodePath> {
        Some(match self {
            Kind::Pod => NodePath::root(),
            Kind::Deployment
            | Kind::ReplicaSet
            | Kind::StatefulSet
            | Kind::DaemonSet
            | Kind::ReplicationController
            | Kind::Job => NodePath::keys(&["spec", "template"]),
            Kind::CronJob => NodePath::keys(&["spec", "jobTemplate", "spec", "template"]),
            Kind::Custom { template } => template.clone(),
            _ => return None,
        })
    }

    /// Workloads that run to completion (never latency-sensitive).
    pub(crate) fn is_batch(&self) -> bool {
        matches!(self, Kind::Job | Kind::CronJob)
    }

    /// Kinds with a `spec.replicas` and a scale subresource that a PDB can count.
    pub(crate) fn is_scalable(&self) -> bool {
        matches!(
            self,
            Kind::Deployment | Kind::StatefulSet | Kind::ReplicaSet | Kind::ReplicationController | Kind::Custom { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{Kind, recognise};

    #[test]
    fn kinds_are_recognised_by_group_whatever_the_version() {
        let cases = [
            ("apps/v1", "Deployment", Kind::Deployment),
            ("apps/v1beta2", "StatefulSet", Kind::StatefulSet),
            ("extensions/v1beta1", "Deployment", Kind::Deployment),
            ("policy/v1beta1", "PodDisruptionBudget", Kind::PodDisruptionBudget),
            ("v1", "PodDisruptionBudget", Kind::Other),
            ("batch/v1", "CronJob", Kind::CronJob),
            ("v1", "Pod", Kind::Pod),
            ("apps/v1", "Pod", Kind::Other),
            ("coordination.k8s.io/v1", "Lease", Kind::Lease),
            ("example.com/v1", "Deployment", Kind::Other),
            ("kubeadm.k8s.io/v1beta4", "ClusterConfiguration", Kind::KubeadmClusterConfiguration),
            ("kubeadm.k8s.io/v1beta3", "ClusterConfiguration", Kind::KubeadmClusterConfiguration),
            ("controlplane.cluster.x-k8s.io/v1beta1", "KubeadmControlPlane", Kind::KubeadmControlPlane),
            ("v1", "ConfigMap", Kind::ConfigMap),
        ];
        for (api, kind, want) in cases {
            assert_eq!(recognise(api, kind, &[]), want, "{api} {kind}");
        }
    }
}
