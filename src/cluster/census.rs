//! The lease census (SPEC §9): the few facts kept per Lease, Pod and ReplicaSet as the pages
//! arrive, and the classification of every Lease: `node-heartbeat`, `apiserver-identity`,
//! `per-pod`, `leader-election`, `other`; `stale` and `orphaned` leases.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use crate::k8s::carriers::CLIENT_GO_RETRY_PERIOD_SECONDS;
use crate::k8s::pod_names::{POD_LABELS, per_pod_groups};
use crate::k8s::{APISERVER_IDENTITY_LABEL, NODE_LEASE_NAMESPACE};
use crate::report::Class;

/// The kubelet's node lease renew interval, seconds (`nodeLeaseDurationSeconds` 40 / 4).
pub(crate) const NODE_HEARTBEAT_SECONDS: f64 = 10.0;

/// The owning workload of a pod, as `kind/name`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct OwnerRef {
    pub(crate) kind: String,
    pub(crate) name: String,
}

/// What the census keeps of one Lease.
#[derive(Clone, Debug)]
struct LeaseFacts {
    namespace: String,
    name: String,
    holder: Option<String>,
    /// Seconds since the epoch.
    renew_time: Option<i64>,
    /// `spec.renewTime` as the API wrote it (the sample compares renewals against it).
    renew_stamp: Option<String>,
    duration: Option<i32>,
    identity: bool,
    /// Labelled with a pod's name or index (an LL001 (b) group when two or more are).
    pod_label: bool,
    created: Option<i64>,
}

/// The facts read from a cluster: Leases, pods (name → owner) and ReplicaSets (→ Deployment).
#[derive(Debug, Default)]
pub(crate) struct Census {
    /// By (namespace, name): a list started again after a 410 hands some twice.
    leases: HashMap<(String, String), LeaseFacts>,
    /// (namespace, pod) → its controller owner.
    pods: HashMap<(String, String), Option<OwnerRef>>,
    /// (namespace, ReplicaSet) → its Deployment.
    replica_sets: HashMap<(String, String), Option<String>>,
    /// The pods were read (a 403 on pods leaves owners unknown and nothing orphaned).
    pub(crate) pods_read: bool,
    /// The Lease list's resourceVersion (where the sampling watch starts).
    pub(crate) lease_version: Option<String>,
    /// `-n` namespaces (empty: all): the sample counts renewals of these only.
    pub(crate) namespaces: Vec<String>,
}

fn controller(meta: &ObjectMeta) -> Option<OwnerRef> {
    let owners = meta.owner_references.as_ref()?;
    let o = owners.iter().find(|o| o.controller == Some(true)).or_else(|| owners.first())?;
    Some(OwnerRef { kind: o.kind.clone(), name: o.name.clone() })
}

impl Census {
    pub(crate) fn add_lease(&mut self, l: &Lease) {
        let meta = &l.metadata;
        let spec = l.spec.as_ref();
        let key = (meta.namespace.clone().unwrap_or_default(), meta.name.clone().unwrap_or_default());
        self.leases.insert(
            key,
            LeaseFacts {
                namespace: meta.namespace.clone().unwrap_or_default(),
                name: meta.name.clone().unwrap_or_default(),
                holder: spec.and_then(|s| s.holder_identity.clone()).filter(|h| !h.is_empty()),
                renew_time: spec.and_then(|s| s.renew_time.as_ref()).map(|t| t.0.as_second()),
                renew_stamp: spec.and_then(|s| s.renew_time.as_ref()).map(|t| t.0.to_string()),
                duration: spec.and_then(|s| s.lease_duration_seconds),
                identity: meta.labels.as_ref().is_some_and(|l| l.contains_key(APISERVER_IDENTITY_LABEL)),
                pod_label: meta.labels.as_ref().is_some_and(|l| POD_LABELS.iter().any(|k| l.contains_key(*k))),
                created: meta.creation_timestamp.as_ref().map(|t| t.0.as_second()),
            },
        );
    }

    pub(crate) fn add_pod(&mut self, meta: &ObjectMeta) {
        let key = (meta.namespace.clone().unwrap_or_default(), meta.name.clone().unwrap_or_default());
        self.pods.insert(key, controller(meta));
    }

    pub(crate) fn add_replica_set(&mut self, meta: &ObjectMeta) {
        let key = (meta.namespace.clone().unwrap_or_default(), meta.name.clone().unwrap_or_default());
        let deployment = controller(meta).filter(|o| o.kind == "Deployment").map(|o| o.name);
        self.replica_sets.insert(key, deployment);
    }

    /// The workload that owns a pod: Pod → ReplicaSet → Deployment, or the pod's own controller
    /// (StatefulSet, DaemonSet, Job).
    fn owner_of_pod(&self, namespace: &str, pod: &str) -> Option<OwnerRef> {
        let owner = self.pods.get(&(namespace.to_string(), pod.to_string()))?.clone()?;
        if owner.kind == "ReplicaSet"
            && let Some(Some(deployment)) = self.replica_sets.get(&(namespace.to_string(), owner.name.clone()))
        {
            return Some(OwnerRef { kind: "Deployment".into(), name: deployment.clone() });
        }
        Some(owner)
    }

    /// Each Lease's `spec.renewTime` at the list: the first renewal seen by the sample's watch
    /// counts against it.
    pub(crate) fn renew_stamps(&self) -> HashMap<(String, String), Option<String>> {
        self.leases.iter().map(|(k, l)| (k.clone(), l.renew_stamp.clone())).collect()
    }

    fn pod_exists(&self, namespace: &str, pod: &str) -> bool {
        self.pods.contains_key(&(namespace.to_string(), pod.to_string()))
    }
}

/// One Lease of the census report (the JSON `leases` entries).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct LeaseRecord {
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) class: Class,
    pub(crate) holder: Option<String>,
    pub(crate) owner: Option<OwnerRef>,
    pub(crate) renewals: Option<u64>,
    pub(crate) writes_per_second: f64,
    pub(crate) estimated: bool,
    pub(crate) age_seconds: Option<i64>,
    pub(crate) lease_duration_seconds: Option<i32>,
    pub(crate) stale: bool,
    pub(crate) orphaned: bool,
}

/// The pod a holder identity names: client-go writes `<pod name>_<uuid>`; a plain name is taken
/// as it is.
fn holder_pod(holder: &str) -> &str {
    match holder.rsplit_once('_') {
        Some((pod, uuid)) if uuid.len() >= 8 => pod,
        _ => holder,
    }
}

/// The class of a Lease (SPEC §9), in this order: `node-heartbeat` (namespace
/// `kube-node-lease`), `apiserver-identity` (`kube-system`, `identity`: the label
/// `apiserver.kubernetes.io/identity`), `per-pod` (what tells a per-pod Lease is the caller's:
/// the census knows the pods, serve's watch only the Leases), `leader-election` (`leader`: held
/// by a pod, as the caller can tell), `other`.
pub(crate) fn class_of(namespace: &str, identity: bool, per_pod: bool, leader: bool) -> Class {
    if namespace == NODE_LEASE_NAMESPACE {
        Class::NodeHeartbeat
    } else if namespace == "kube-system" && identity {
        Class::ApiserverIdentity
    } else if per_pod {
        Class::PerPod
    } else if leader {
        Class::LeaderElection
    } else {
        Class::Other
    }
}

/// Whether a holder identity has client-go's shape `<pod name>_<uuid>` (what leader election
/// in client-go and controller-runtime writes: the host name, which is the pod's name, then a
/// random UUID), so that its holder is a pod without the pods being read.
pub(crate) fn is_client_go_identity(holder: &str) -> bool {
    let Some((pod, uuid)) = holder.rsplit_once('_') else { return false };
    let groups: Vec<&str> = uuid.split('-').collect();
    !pod.is_empty()
        && groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Classifies every Lease of the census at time `now` (seconds since the epoch). With a sample,
/// each Lease's rate is its renewals over the sample's length (measured); without one, rates are
/// estimated: node heartbeats every 10 s, other held Leases every 2 s (client-go's retry
/// period), Leases without a holder or stale not at all.
pub(crate) fn classify(census: &Census, now: i64, sampled: Option<&super::Renewals>) -> Vec<LeaseRecord> {
    let mut by_namespace: BTreeMap<&str, Vec<&LeaseFacts>> = BTreeMap::new();
    for l in census.leases.values() {
        by_namespace.entry(l.namespace.as_str()).or_default().push(l);
    }
    let mut out = Vec::with_capacity(census.leases.len());
    for (namespace, mut leases) in by_namespace {
        leases.sort_by(|a, b| a.name.cmp(&b.name));
        let entries: Vec<(&str, bool)> = leases.iter().map(|l| (l.name.as_str(), l.pod_label)).collect();
        let grouped = per_pod_groups(&entries);
        for (i, l) in leases.iter().enumerate() {
            let holder = l.holder.as_deref();
            let pod = holder.map(holder_pod);
            let holder_is_pod = pod.is_some_and(|p| census.pod_exists(namespace, p));
            let named_after_pod = census.pod_exists(namespace, &l.name);
            let class = class_of(
                namespace,
                l.identity,
                named_after_pod || grouped.contains_key(&i),
                holder_is_pod || holder.is_some_and(|h| h.contains('_')),
            );
            let owner = match class {
                Class::PerPod if named_after_pod => census.owner_of_pod(namespace, &l.name),
                Class::PerPod | Class::LeaderElection => pod.and_then(|p| census.owner_of_pod(namespace, p)),
                _ => None,
            };
            let stale = match (l.renew_time, l.duration) {
                (Some(renewed), Some(d)) => now - renewed > i64::from(d),
                _ => false,
            };
            // A Lease whose holder (or, for a per-pod Lease, whose pod) no longer exists; unknown
            // (false) when the pods could not be read.
            let orphaned = census.pods_read
                && match class {
                    Class::PerPod => !named_after_pod && !holder_is_pod,
                    Class::LeaderElection => pod.is_some() && !holder_is_pod,
                    _ => false,
                };
            let period =
                if class == Class::NodeHeartbeat { NODE_HEARTBEAT_SECONDS } else { CLIENT_GO_RETRY_PERIOD_SECONDS };
            let estimate = if holder.is_some() && !stale { 1.0 / period } else { 0.0 };
            let renewals =
                sampled.map(|s| s.counts.get(&(namespace.to_string(), l.name.clone())).copied().unwrap_or(0));
            let writes = match (sampled, renewals) {
                (Some(s), Some(n)) if s.seconds > 0.0 => n as f64 / s.seconds,
                _ => estimate,
            };
            out.push(LeaseRecord {
                namespace: namespace.to_string(),
                name: l.name.clone(),
                class,
                holder: l.holder.clone(),
                owner,
                renewals,
                writes_per_second: writes,
                estimated: sampled.is_none(),
                age_seconds: l.created.map(|c| now - c),
                lease_duration_seconds: l.duration,
                stale,
                orphaned,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::is_client_go_identity;

    #[test]
    fn client_go_identities_are_a_pod_name_and_a_uuid() {
        assert!(is_client_go_identity("api-7d9f8b6c5-x2x4z_6a1e0c8e-0a4f-4d0b-8f43-7d9f8b6c5aaa"));
        assert!(is_client_go_identity("node_1_6A1E0C8E-0A4F-4D0B-8F43-7D9F8B6C5AAA"));
        assert!(!is_client_go_identity("_6a1e0c8e-0a4f-4d0b-8f43-7d9f8b6c5aaa"), "no pod");
        assert!(!is_client_go_identity("collector-0"));
        assert!(!is_client_go_identity("my_lock"));
        assert!(!is_client_go_identity("api_6a1e0c8e-0a4f-4d0b-8f43-7d9f8b6c5aa"), "one hex digit short");
        assert!(!is_client_go_identity("api_6a1e0c8e-0a4f-4d0b-8f43-7d9f8b6c5aaz"));
    }
}
