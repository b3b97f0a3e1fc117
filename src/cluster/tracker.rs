//! The Leases that serve's watch follows (SPEC §11 "Lease metrics"): each classified as the
//! census does, but without Pods (serve may only list and watch Leases), with its renewal
//! [`Rhythm`]. Pure and synchronous: the watch hands it Leases, and it tells a [`LeaseSink`] the
//! counts per namespace and class and each renewal. Must not import `webhook` (the sink is how
//! the metrics hear of it).
//!
//! Classes without Pods: `node-heartbeat` (namespace `kube-node-lease`), `apiserver-identity`
//! (`kube-system`, label `apiserver.kubernetes.io/identity`), `per-pod` (LL001 (b): two or more
//! Leases of one namespace whose names share a stem and differ by pod suffixes of one shape, or
//! two or more with a pod label), `leader-election` (`holderIdentity` `<pod>_<uuid>`, as client-go
//! writes it), `other`.
//!
//! Cost: the state is bounded by the Leases there are (a DELETED Lease drops its own; an empty
//! namespace is dropped): a few hundred bytes a Lease (its name, its [`Rhythm`], its place in
//! the indexes). The per-pod groups are kept as indexes (names by stem and suffix shape,
//! labelled names) updated on each change in O(1) — never recomputed over a namespace's Leases
//! — and a Lease's class is recomputed only for the Lease that changed and, when a group
//! reaches or leaves two members, for the other one.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use k8s_openapi::api::coordination::v1::Lease;

use super::census::{class_of, is_client_go_identity};
use super::rhythm::{Renewal, Rhythm};
use crate::k8s::APISERVER_IDENTITY_LABEL;
use crate::k8s::pod_names::{POD_LABELS, Suffix, stems};
use crate::report::Class;

/// Where the tracker's numbers go (serve's Prometheus families).
pub(crate) trait LeaseSink {
    /// The number of Leases of `class` in `namespace` is now `leases` (0: none left).
    fn count(&mut self, namespace: &str, class: Class, leases: u32);
    /// A Lease of `class` in `namespace` was renewed.
    fn renewed(&mut self, namespace: &str, class: Class, renewal: Renewal);
    /// Whether the watch is up (listed and watching) or down (retrying).
    fn watching(&mut self, up: bool);
}

/// What is kept of one Lease.
#[derive(Debug)]
struct Tracked {
    class: Class,
    /// Labelled `apiserver.kubernetes.io/identity`.
    identity: bool,
    /// Labelled with a pod's name or index (`POD_LABELS`).
    pod_label: bool,
    /// Held by `<pod>_<uuid>`.
    leader: bool,
    rhythm: Rhythm,
    /// The list that last saw it (a re-list drops the Leases it did not see).
    epoch: u32,
}

fn suffix_index(s: Suffix) -> usize {
    match s {
        Suffix::Ordinal => 0,
        Suffix::HashAndRandom => 1,
        Suffix::Random => 2,
    }
}

fn class_index(c: Class) -> usize {
    match c {
        Class::NodeHeartbeat => 0,
        Class::ApiserverIdentity => 1,
        Class::PerPod => 2,
        Class::LeaderElection => 3,
        Class::Other => 4,
    }
}

/// The Leases of one namespace and its per-pod indexes.
#[derive(Debug, Default)]
struct Namespace {
    leases: HashMap<Arc<str>, Tracked>,
    /// Names by stem, one set per suffix shape (`Suffix`): two or more names in one set are a
    /// per-pod group ([`crate::k8s::pod_names::stem_groups`]).
    stems: HashMap<Box<str>, [HashSet<Arc<str>>; 3]>,
    /// Names with a pod label: two or more are per-pod.
    labelled: HashSet<Arc<str>>,
    /// Leases per class (`class_index`).
    counts: [u32; 5],
}

impl Namespace {
    /// Adds `delta` to the count of `class`; returns the new count.
    fn add(&mut self, class: Class, delta: i32) -> u32 {
        let count = &mut self.counts[class_index(class)];
        *count = count.saturating_add_signed(delta);
        *count
    }

    fn is_per_pod(&self, name: &str, pod_label: bool) -> bool {
        (pod_label && self.labelled.len() >= 2)
            || stems(name).into_iter().any(|(stem, suffix)| {
                self.stems.get(stem).and_then(|s| s.get(suffix_index(suffix))).is_some_and(|g| g.len() >= 2)
            })
    }

    /// Adds `name` to its stem groups; returns the names whose group just reached two.
    fn join_stems(&mut self, name: &Arc<str>) -> Vec<Arc<str>> {
        let mut others = Vec::new();
        for (stem, suffix) in stems(name) {
            let sets = self.stems.entry(stem.into()).or_default();
            let Some(group) = sets.get_mut(suffix_index(suffix)) else { continue };
            group.insert(Arc::clone(name));
            if group.len() == 2 {
                others.extend(group.iter().filter(|n| *n != name).cloned());
            }
        }
        others
    }

    /// Removes `name` from its stem groups; returns the names left alone in a group.
    fn leave_stems(&mut self, name: &str) -> Vec<Arc<str>> {
        let mut others = Vec::new();
        for (stem, suffix) in stems(name) {
            let Some(sets) = self.stems.get_mut(stem) else { continue };
            if let Some(group) = sets.get_mut(suffix_index(suffix)) {
                group.remove(name);
                if group.len() == 1 {
                    others.extend(group.iter().cloned());
                }
            }
            if sets.iter().all(HashSet::is_empty) {
                self.stems.remove(stem);
            }
        }
        others
    }

    /// Sets whether `name` has a pod label; returns the other labelled names whose class may
    /// change (the labelled set reached or left two).
    fn set_labelled(&mut self, name: &Arc<str>, labelled: bool) -> Vec<Arc<str>> {
        let changed = if labelled { self.labelled.insert(Arc::clone(name)) } else { self.labelled.remove(name) };
        let threshold = if labelled { 2 } else { 1 };
        if changed && self.labelled.len() == threshold {
            self.labelled.iter().filter(|n| *n != name).cloned().collect()
        } else {
            Vec::new()
        }
    }
}

/// Every Lease the watch has seen, by namespace.
#[derive(Debug, Default)]
pub(crate) struct LeaseTracker {
    namespaces: HashMap<Arc<str>, Namespace>,
    /// The current list (a re-list after 410 starts a new one).
    epoch: u32,
}

/// A Lease's `spec.renewTime`, microseconds since the epoch.
fn renew_time(l: &Lease) -> Option<i64> {
    l.spec.as_ref().and_then(|s| s.renew_time.as_ref()).map(|t| t.0.as_microsecond())
}

impl LeaseTracker {
    /// Leases tracked.
    pub(crate) fn len(&self) -> usize {
        self.namespaces.values().map(|n| n.leases.len()).sum()
    }

    /// Starts a (re-)list: Leases not seen by [`LeaseTracker::end_list`] are dropped.
    pub(crate) fn begin_list(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
    }

    /// One Lease of the list: its state now. A `renewTime` that moved since the watch last saw
    /// it is not counted: the renewals between were not seen (how many is unknown).
    pub(crate) fn listed(&mut self, lease: &Lease, sink: &mut dyn LeaseSink) {
        self.upsert(lease, false, sink);
    }

    /// Ends a list: Leases deleted while the watch was down are dropped.
    pub(crate) fn end_list(&mut self, sink: &mut dyn LeaseSink) {
        let epoch = self.epoch;
        let gone: Vec<(Arc<str>, Arc<str>)> = self
            .namespaces
            .iter()
            .flat_map(|(ns, n)| {
                n.leases.iter().filter(|(_, t)| t.epoch != epoch).map(|(name, _)| (ns.clone(), name.clone()))
            })
            .collect();
        for (ns, name) in gone {
            self.remove(&ns, &name, sink);
        }
    }

    /// ADDED: a new Lease (its `renewTime` is where its first interval starts).
    pub(crate) fn added(&mut self, lease: &Lease, sink: &mut dyn LeaseSink) {
        self.upsert(lease, false, sink);
    }

    /// MODIFIED: a renewal when `spec.renewTime` moved (and was set before).
    pub(crate) fn modified(&mut self, lease: &Lease, sink: &mut dyn LeaseSink) {
        self.upsert(lease, true, sink);
    }

    /// DELETED: the Lease and its state are dropped.
    pub(crate) fn deleted(&mut self, lease: &Lease, sink: &mut dyn LeaseSink) {
        let (Some(ns), Some(name)) = (lease.metadata.namespace.as_deref(), lease.metadata.name.as_deref()) else {
            return;
        };
        self.remove(ns, name, sink);
    }

    fn upsert(&mut self, lease: &Lease, renewal: bool, sink: &mut dyn LeaseSink) {
        let meta = &lease.metadata;
        let (Some(ns_name), Some(name)) = (meta.namespace.as_deref(), meta.name.as_deref()) else { return };
        let labels = meta.labels.as_ref();
        let identity = labels.is_some_and(|l| l.contains_key(APISERVER_IDENTITY_LABEL));
        let pod_label = labels.is_some_and(|l| POD_LABELS.iter().any(|k| l.contains_key(*k)));
        let holder = lease.spec.as_ref().and_then(|s| s.holder_identity.as_deref());
        let leader = holder.is_some_and(is_client_go_identity);
        let renewed_at = renew_time(lease);
        let epoch = self.epoch;

        if !self.namespaces.contains_key(ns_name) {
            self.namespaces.insert(Arc::from(ns_name), Namespace::default());
        }
        let Some(ns) = self.namespaces.get_mut(ns_name) else { return };
        let (key, mut affected) = match ns.leases.get_key_value(name) {
            Some((k, _)) => (Arc::clone(k), Vec::new()),
            None => {
                // A new Lease joins the per-pod indexes first, so that it is counted once, in
                // its class.
                let key: Arc<str> = Arc::from(name);
                let mut others = ns.join_stems(&key);
                others.extend(ns.set_labelled(&key, pod_label));
                let class = class_of(ns_name, identity, ns.is_per_pod(name, pod_label), leader);
                let tracked = Tracked { class, identity, pod_label, leader, rhythm: Rhythm::default(), epoch };
                ns.leases.insert(Arc::clone(&key), tracked);
                sink.count(ns_name, class, ns.add(class, 1));
                (key, others)
            }
        };
        affected.extend(ns.set_labelled(&key, pod_label));
        if let Some(t) = ns.leases.get_mut(name) {
            t.identity = identity;
            t.pod_label = pod_label;
            t.leader = leader;
            t.epoch = epoch;
        }
        reclassify(ns_name, ns, name, sink);
        for other in affected {
            reclassify(ns_name, ns, &other, sink);
        }
        let Some(t) = ns.leases.get_mut(name) else { return };
        match (renewal, t.rhythm.last(), renewed_at) {
            (true, Some(before), Some(now)) if before != now => {
                let r = t.rhythm.renew(now);
                sink.renewed(ns_name, t.class, r);
            }
            _ => t.rhythm.set_last(renewed_at),
        }
    }

    fn remove(&mut self, ns_name: &str, name: &str, sink: &mut dyn LeaseSink) {
        let Some(ns) = self.namespaces.get_mut(ns_name) else { return };
        let Some((key, t)) = ns.leases.remove_entry(name) else { return };
        sink.count(ns_name, t.class, ns.add(t.class, -1));
        let mut affected = ns.leave_stems(name);
        affected.extend(ns.set_labelled(&key, false));
        for other in affected {
            reclassify(ns_name, ns, &other, sink);
        }
        if ns.leases.is_empty() {
            self.namespaces.remove(ns_name);
        }
    }
}

/// Recomputes one Lease's class; a change moves it between the counts.
fn reclassify(ns_name: &str, ns: &mut Namespace, name: &str, sink: &mut dyn LeaseSink) {
    let Some(t) = ns.leases.get(name) else { return };
    let class = class_of(ns_name, t.identity, ns.is_per_pod(name, t.pod_label), t.leader);
    let before = t.class;
    if class == before {
        return;
    }
    if let Some(t) = ns.leases.get_mut(name) {
        t.class = class;
    }
    sink.count(ns_name, before, ns.add(before, -1));
    sink.count(ns_name, class, ns.add(class, 1));
}

#[cfg(test)]
#[path = "tracker_tests.rs"]
mod tests;
