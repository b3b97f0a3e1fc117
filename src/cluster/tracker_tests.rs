//! Tests of the lease tracker: classes without Pods, per-pod groups as they form and break,
//! renewals, re-lists, and the state dropped with the Leases.

use std::collections::BTreeMap;

use k8s_openapi::api::coordination::v1::Lease;
use serde_json::json;

use super::{LeaseSink, LeaseTracker};
use crate::cluster::rhythm::Renewal;
use crate::k8s::pod_names::per_pod_groups;
use crate::report::Class;

/// Records the counts (latest per namespace and class) and the renewals.
#[derive(Default)]
struct Recorder {
    counts: BTreeMap<(String, &'static str), u32>,
    renewals: Vec<(String, &'static str, Renewal)>,
}

impl LeaseSink for Recorder {
    fn count(&mut self, namespace: &str, class: Class, leases: u32) {
        self.counts.insert((namespace.to_string(), class.as_str()), leases);
    }
    fn renewed(&mut self, namespace: &str, class: Class, renewal: Renewal) {
        self.renewals.push((namespace.to_string(), class.as_str(), renewal));
    }
    fn watching(&mut self, _up: bool) {}
}

impl Recorder {
    /// The non-zero counts, as `namespace/class=n`.
    fn counts(&self) -> Vec<String> {
        self.counts.iter().filter(|(_, n)| **n > 0).map(|((ns, c), n)| format!("{ns}/{c}={n}")).collect()
    }
}

/// A Lease; `renew` in seconds since the epoch.
fn lease(ns: &str, name: &str, labels: &[&str], holder: Option<&str>, renew: Option<f64>) -> Lease {
    let labels: serde_json::Map<String, serde_json::Value> =
        labels.iter().map(|l| ((*l).to_string(), json!("x"))).collect();
    let stamp = renew.map(|s| {
        let micros = (s * 1e6).round() as i64;
        k8s_openapi::jiff::Timestamp::from_microsecond(micros).unwrap().to_string()
    });
    serde_json::from_value(json!({
        "metadata": {"namespace": ns, "name": name, "labels": labels},
        "spec": {"holderIdentity": holder, "renewTime": stamp},
    }))
    .unwrap()
}

const UUID: &str = "6a1e0c8e-0a4f-4d0b-8f43-7d9f8b6c5aaa";

#[test]
fn classes_without_pods() {
    let mut t = LeaseTracker::default();
    let mut r = Recorder::default();
    let holder = format!("api-7d9f8b6c5-x2x4z_{UUID}");
    for l in [
        lease("kube-node-lease", "node-1", &[], Some("node-1"), None),
        lease("kube-system", "apiserver-abc", &["apiserver.kubernetes.io/identity"], Some("a"), None),
        lease("obs", "collector-0", &[], Some("collector-0"), None),
        lease("obs", "collector-1", &[], Some("collector-1"), None),
        lease("obs", "shard-a", &["apps.kubernetes.io/pod-index"], None, None),
        lease("obs", "shard-b", &["apps.kubernetes.io/pod-index"], None, None),
        lease("web", "api-lock", &[], Some(&holder), None),
        lease("web", "spare", &[], None, None),
        lease("web", "my_lock", &[], Some("my_lock"), None),
    ] {
        t.added(&l, &mut r);
    }
    assert_eq!(
        r.counts(),
        [
            "kube-node-lease/node-heartbeat=1",
            "kube-system/apiserver-identity=1",
            "obs/per-pod=4",
            "web/leader-election=1",
            "web/other=2",
        ]
    );
    assert_eq!(t.len(), 9);
}

#[test]
fn a_per_pod_group_forms_at_two_names_and_breaks_below() {
    let mut t = LeaseTracker::default();
    let mut r = Recorder::default();
    t.added(&lease("obs", "collector-0", &[], None, None), &mut r);
    assert_eq!(r.counts(), ["obs/other=1"], "one name alone is not a group");
    t.added(&lease("obs", "collector-1", &[], None, None), &mut r);
    assert_eq!(r.counts(), ["obs/per-pod=2"]);
    t.added(&lease("obs", "collector-2", &[], None, None), &mut r);
    t.deleted(&lease("obs", "collector-1", &[], None, None), &mut r);
    assert_eq!(r.counts(), ["obs/per-pod=2"]);
    t.deleted(&lease("obs", "collector-0", &[], None, None), &mut r);
    assert_eq!(r.counts(), ["obs/other=1"], "collector-2 is alone again");
    // Labels: the second labelled Lease makes both per-pod; a label removed undoes it.
    t.added(&lease("obs", "a", &["statefulset.kubernetes.io/pod-name"], None, None), &mut r);
    t.added(&lease("obs", "b", &["statefulset.kubernetes.io/pod-name"], None, None), &mut r);
    assert_eq!(r.counts(), ["obs/other=1", "obs/per-pod=2"]);
    t.modified(&lease("obs", "b", &[], None, None), &mut r);
    assert_eq!(r.counts(), ["obs/other=3"]);
}

#[test]
fn a_lock_taken_by_a_pod_becomes_leader_election() {
    let mut t = LeaseTracker::default();
    let mut r = Recorder::default();
    t.added(&lease("web", "lock", &[], None, None), &mut r);
    assert_eq!(r.counts(), ["web/other=1"]);
    t.modified(&lease("web", "lock", &[], Some(&format!("api-0_{UUID}")), Some(100.0)), &mut r);
    assert_eq!(r.counts(), ["web/leader-election=1"]);
    assert!(r.renewals.is_empty(), "the first renewTime is no renewal");
}

#[test]
fn renewals_are_modified_events_whose_renew_time_moved() {
    let mut t = LeaseTracker::default();
    let mut r = Recorder::default();
    t.listed(&lease("obs", "collector-0", &[], Some("c"), Some(100.0)), &mut r);
    t.modified(&lease("obs", "collector-0", &[], Some("c"), Some(100.0)), &mut r);
    assert!(r.renewals.is_empty(), "an update that did not renew");
    for s in [102.0, 104.0, 106.0, 108.0, 111.5] {
        t.modified(&lease("obs", "collector-0", &[], Some("c"), Some(s)), &mut r);
    }
    let got: Vec<(Option<f64>, Option<f64>)> = r.renewals.iter().map(|(_, _, x)| (x.interval, x.lag)).collect();
    assert_eq!(
        got,
        [(Some(2.0), None), (Some(2.0), None), (Some(2.0), None), (Some(2.0), Some(0.0)), (Some(3.5), Some(1.5))]
    );
    assert!(r.renewals.iter().all(|(ns, c, _)| ns == "obs" && *c == "other"));
}

#[test]
fn a_relist_drops_the_deleted_and_does_not_count_unseen_renewals() {
    let mut t = LeaseTracker::default();
    let mut r = Recorder::default();
    t.begin_list();
    t.listed(&lease("a", "x", &[], Some("h"), Some(10.0)), &mut r);
    t.listed(&lease("a", "y", &[], Some("h"), Some(10.0)), &mut r);
    t.end_list(&mut r);
    assert_eq!(r.counts(), ["a/other=2"]);
    t.begin_list();
    t.listed(&lease("a", "x", &[], Some("h"), Some(30.0)), &mut r);
    t.end_list(&mut r);
    assert_eq!(r.counts(), ["a/other=1"]);
    assert!(r.renewals.is_empty());
    // The next renewal is measured from the listed renewTime.
    t.modified(&lease("a", "x", &[], Some("h"), Some(32.0)), &mut r);
    assert_eq!(r.renewals[0].2.interval, Some(2.0));
}

#[test]
fn deleting_every_lease_leaves_no_state() {
    let mut t = LeaseTracker::default();
    let mut r = Recorder::default();
    for round in 0..3 {
        for i in 0..50 {
            let ns = format!("ns-{round}-{}", i % 5);
            t.added(&lease(&ns, &format!("w-{i}"), &["apps.kubernetes.io/pod-index"], None, Some(1.0)), &mut r);
        }
        for i in 0..50 {
            let ns = format!("ns-{round}-{}", i % 5);
            t.deleted(&lease(&ns, &format!("w-{i}"), &[], None, None), &mut r);
        }
    }
    assert_eq!(t.len(), 0);
    assert!(t.namespaces.is_empty());
    assert!(r.counts().is_empty());
}

/// The incremental groups agree with LL001 (b)'s `per_pod_groups` over the same names, whatever
/// the order of additions and deletions.
#[test]
fn incremental_groups_agree_with_per_pod_groups() {
    let names = [
        "collector-0",
        "collector-1",
        "collector-10",
        "api-7d9f8b6c5-x2x4z",
        "api-7d9f8b6c5-b7kqz",
        "api-5c4d8f9b7-x2x4z",
        "exporter-x2x4z",
        "exporter-b7kqz",
        "lock",
        "my-lock-1",
        "labelled",
        "labelled-too",
    ];
    let labelled = |n: &str| n.starts_with("labelled");
    // A simple deterministic shuffle of adds and deletes.
    let mut present: Vec<&str> = Vec::new();
    let mut t = LeaseTracker::default();
    let mut r = Recorder::default();
    let mut seed = 7u64;
    for _ in 0..400 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let name = names[(seed >> 33) as usize % names.len()];
        let labels: &[&str] = if labelled(name) { &["apps.kubernetes.io/pod-index"] } else { &[] };
        if let Some(i) = present.iter().position(|n| *n == name) {
            present.remove(i);
            t.deleted(&lease("ns", name, labels, None, None), &mut r);
        } else {
            present.push(name);
            t.added(&lease("ns", name, labels, None, None), &mut r);
        }
        let entries: Vec<(&str, bool)> = present.iter().map(|n| (*n, labelled(n))).collect();
        let expected = per_pod_groups(&entries).len() as u32;
        let got = r.counts.get(&("ns".to_string(), "per-pod")).copied().unwrap_or(0);
        assert_eq!(got, expected, "{present:?}");
        let other = r.counts.get(&("ns".to_string(), "other")).copied().unwrap_or(0);
        assert_eq!(got + other, present.len() as u32);
    }
}

/// 10,000 per-pod Leases of one StatefulSet in one namespace (the worst case for the groups:
/// one stem), each renewed, then deleted: linear work (a quadratic one would take minutes in a
/// debug build), and no state left.
#[test]
fn ten_thousand_leases_of_one_stem() {
    let mut t = LeaseTracker::default();
    let mut r = Recorder::default();
    let n = 10_000;
    let leases: Vec<Lease> = (0..n).map(|i| lease("big", &format!("replica-{i}"), &[], Some("h"), Some(1.0))).collect();
    t.begin_list();
    for l in &leases {
        t.listed(l, &mut r);
    }
    t.end_list(&mut r);
    assert_eq!(r.counts(), [format!("big/per-pod={n}")]);
    for i in 0..n {
        t.modified(&lease("big", &format!("replica-{i}"), &[], Some("h"), Some(3.0)), &mut r);
    }
    assert_eq!(r.renewals.len(), n);
    for l in &leases {
        t.deleted(l, &mut r);
    }
    assert_eq!(t.len(), 0);
    assert!(t.namespaces.is_empty());
}
