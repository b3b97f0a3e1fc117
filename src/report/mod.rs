//! The lease impact table (SPEC §9, §10): per namespace, the Leases by class, their writes/s
//! now, and the same under the namespace lease policy, with totals. `leaselint report` builds it
//! from manifests (every row `estimated`); `leaselint audit` will build it from a live cluster.
//! Rows in, text/JSON/Markdown out. Uses `k8s` only.

mod render;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::k8s::carriers::CLIENT_GO_RETRY_PERIOD_SECONDS;
use crate::k8s::pod_names::{per_pod_groups, pod_of};
use crate::k8s::{CarrierRole, Inventory, Kind};

pub(crate) use render::{MANIFEST_NOTE, render_human, render_json, render_markdown, render_svg};

/// What a Lease is for (SPEC §9's census classes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Class {
    /// `kube-node-lease`: one per node, renewed every 10 s by the kubelet.
    NodeHeartbeat,
    /// `kube-system` Leases labelled `apiserver.kubernetes.io/identity`.
    ApiserverIdentity,
    /// One Lease per pod (a pod-derived lease name, or a group of Leases named like pods).
    PerPod,
    /// A lock shared by the replicas of a workload.
    LeaderElection,
    Other,
}

impl Class {
    pub(crate) const ALL: [Class; 5] =
        [Class::NodeHeartbeat, Class::ApiserverIdentity, Class::PerPod, Class::LeaderElection, Class::Other];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Class::NodeHeartbeat => "node-heartbeat",
            Class::ApiserverIdentity => "apiserver-identity",
            Class::PerPod => "per-pod",
            Class::LeaderElection => "leader-election",
            Class::Other => "other",
        }
    }
}

/// Leases of one class made by one source (a workload's carrier, a group of Lease objects).
#[derive(Clone, Debug)]
pub(crate) struct LeaseGroup {
    /// `None`: the unnamed release namespace.
    pub(crate) namespace: Option<String>,
    pub(crate) class: Class,
    pub(crate) leases: u64,
    pub(crate) writes_per_second: f64,
    /// A Deployment that rolls more often than the policy's threshold keeps a lease of its own
    /// under the policy (`{name}-lease`); other per-pod groups share the namespace lease.
    pub(crate) own_lease_under_policy: bool,
}

/// The numbers the estimates rest on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Assumptions {
    /// Nodes a DaemonSet runs on (`--nodes`).
    pub(crate) nodes: i64,
    /// The policy's renewal interval, seconds (`policy.renewalInterval`, default 10).
    pub(crate) renewal_interval: f64,
    /// `policy.highChurnThresholdPerHour` (default 1).
    pub(crate) high_churn_threshold_per_hour: f64,
}

/// One namespace's row.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct NamespaceRow {
    pub(crate) namespace: Option<String>,
    pub(crate) leases: u64,
    pub(crate) by_class: BTreeMap<&'static str, u64>,
    pub(crate) writes_per_second: f64,
    pub(crate) policy_leases: u64,
    pub(crate) policy_writes_per_second: f64,
    pub(crate) estimated: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Totals {
    pub(crate) leases: u64,
    pub(crate) writes_per_second: f64,
    pub(crate) policy_leases: u64,
    pub(crate) policy_writes_per_second: f64,
}

/// The impact table: namespaces by writes/s now, largest first.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Impact {
    pub(crate) namespaces: Vec<NamespaceRow>,
    pub(crate) totals: Totals,
}

/// The Lease groups that manifests make: each workload's lease carrier (pod-derived: one Lease
/// per replica, or per node for a DaemonSet; otherwise one shared lock), renewed every
/// `--leader-elect-retry-period` when the container sets it, else client-go's 2 s; and the
/// Lease objects of the manifests (groups named like pods or labelled with a pod's name are
/// per-pod, the rest `other`), assumed to renew every 2 s. A workload's carrier and a Lease
/// object that name the same lock are counted twice (manifests rarely hold both).
pub(crate) fn from_manifests(inv: &Inventory<'_>, a: Assumptions) -> Vec<LeaseGroup> {
    let mut groups = Vec::new();
    for &w in &inv.workloads {
        let Some(c) = w.carriers.iter().find(|c| c.role == CarrierRole::Name) else { continue };
        let namespace = inv.namespace_of(&w.info).map(str::to_string);
        let renew = w.renew_seconds();
        let owner = if c.pod_field().is_some() { Some(w) } else { c.literal().and_then(|v| pod_of(v, &inv.workloads)) };
        let group = match owner {
            Some(owner) => {
                let pods = if owner.kind == Kind::DaemonSet { a.nodes } else { inv.replicas(owner).unwrap_or(1) };
                let pods = u64::try_from(pods.max(0)).unwrap_or(0);
                let churn = w.kind == Kind::Deployment
                    && w.rollouts_per_hour.is_some_and(|r| r > a.high_churn_threshold_per_hour);
                LeaseGroup {
                    namespace,
                    class: Class::PerPod,
                    leases: pods,
                    writes_per_second: pods as f64 / renew,
                    own_lease_under_policy: churn,
                }
            }
            None => LeaseGroup {
                namespace,
                class: Class::LeaderElection,
                leases: 1,
                writes_per_second: 1.0 / renew,
                own_lease_under_policy: false,
            },
        };
        groups.push(group);
    }
    let mut by_namespace: BTreeMap<Option<&str>, Vec<&crate::k8s::Lease>> = BTreeMap::new();
    for l in &inv.leases {
        by_namespace.entry(inv.namespace_of(&l.info)).or_default().push(l);
    }
    for (namespace, leases) in by_namespace {
        let entries: Vec<(&str, bool)> =
            leases.iter().map(|l| (l.info.object.name.as_str(), l.has_pod_label())).collect();
        let per_pod = per_pod_groups(&entries);
        for i in 0..leases.len() {
            let class = if per_pod.contains_key(&i) { Class::PerPod } else { Class::Other };
            groups.push(LeaseGroup {
                namespace: namespace.map(str::to_string),
                class,
                leases: 1,
                writes_per_second: 1.0 / CLIENT_GO_RETRY_PERIOD_SECONDS,
                own_lease_under_policy: false,
            });
        }
    }
    groups
}

/// The table: per namespace, the Leases now, and under the policy — every per-pod group of the
/// namespace becomes the one namespace Lease (a high-churn Deployment's group its own lease),
/// each renewed every `renewal_interval`; other Leases unchanged.
pub(crate) fn impact(groups: &[LeaseGroup], a: Assumptions, estimated: bool) -> Impact {
    let mut rows: BTreeMap<Option<&str>, NamespaceRow> = BTreeMap::new();
    let mut shared: BTreeMap<Option<&str>, bool> = BTreeMap::new();
    for g in groups {
        let key = g.namespace.as_deref();
        let row = rows.entry(key).or_insert_with(|| NamespaceRow {
            namespace: g.namespace.clone(),
            leases: 0,
            by_class: Class::ALL.iter().map(|c| (c.as_str(), 0)).collect(),
            writes_per_second: 0.0,
            policy_leases: 0,
            policy_writes_per_second: 0.0,
            estimated,
        });
        row.leases += g.leases;
        *row.by_class.entry(g.class.as_str()).or_default() += g.leases;
        row.writes_per_second += g.writes_per_second;
        if g.class == Class::PerPod && g.leases > 0 {
            if g.own_lease_under_policy {
                row.policy_leases += 1;
                row.policy_writes_per_second += 1.0 / a.renewal_interval;
            } else {
                shared.insert(key, true);
            }
        } else {
            row.policy_leases += g.leases;
            row.policy_writes_per_second += g.writes_per_second;
        }
    }
    for (key, _) in shared {
        if let Some(row) = rows.get_mut(&key) {
            row.policy_leases += 1;
            row.policy_writes_per_second += 1.0 / a.renewal_interval;
        }
    }
    let mut namespaces: Vec<NamespaceRow> = rows.into_values().collect();
    namespaces.sort_by(|x, y| {
        y.writes_per_second.total_cmp(&x.writes_per_second).then_with(|| x.namespace.cmp(&y.namespace))
    });
    let mut totals = Totals::default();
    for r in &namespaces {
        totals.leases += r.leases;
        totals.writes_per_second += r.writes_per_second;
        totals.policy_leases += r.policy_leases;
        totals.policy_writes_per_second += r.policy_writes_per_second;
    }
    Impact { namespaces, totals }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(ns: &str, class: Class, leases: u64, writes: f64, churn: bool) -> LeaseGroup {
        LeaseGroup {
            namespace: Some(ns.into()),
            class,
            leases,
            writes_per_second: writes,
            own_lease_under_policy: churn,
        }
    }

    const A: Assumptions = Assumptions { nodes: 100, renewal_interval: 10.0, high_churn_threshold_per_hour: 1.0 };

    #[test]
    fn per_pod_groups_of_a_namespace_become_one_lease() {
        let groups = [
            group("obs", Class::PerPod, 4, 2.0, false),
            group("obs", Class::PerPod, 3, 1.5, false),
            group("obs", Class::LeaderElection, 1, 0.5, false),
            group("web", Class::PerPod, 5, 2.5, true),
        ];
        let t = impact(&groups, A, true);
        let obs = t.namespaces.iter().find(|r| r.namespace.as_deref() == Some("obs")).unwrap();
        assert_eq!((obs.leases, obs.policy_leases), (8, 2), "one namespace lease + the shared lock");
        assert!((obs.writes_per_second - 4.0).abs() < 1e-9);
        assert!((obs.policy_writes_per_second - 0.6).abs() < 1e-9);
        assert_eq!(obs.by_class["per-pod"], 7);
        let web = &t.namespaces[1];
        assert_eq!((web.leases, web.policy_leases), (5, 1), "a high-churn Deployment keeps its own lease");
        assert_eq!(t.namespaces[0].namespace.as_deref(), Some("obs"), "largest writes/s first");
        assert_eq!((t.totals.leases, t.totals.policy_leases), (13, 3));
    }
}
