//! `leaselint report`: the lease impact table estimated from manifests (SPEC §10).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::{code, json, run_in, stdout, write};

/// A StatefulSet of 3 whose lease name is the pod's name (3 per-pod Leases renewed every 2 s), a
/// Deployment of 2 with a shared lock renewed every 4 s, and a DaemonSet whose lease is the node
/// name (one per node), all in `obs`; a high-churn Deployment in `web` with per-pod leases.
const MANIFESTS: &str = r#"apiVersion: apps/v1
kind: StatefulSet
metadata: {name: collector, namespace: obs}
spec:
  replicas: 3
  serviceName: collector
  selector: {matchLabels: {app: collector}}
  template:
    metadata: {labels: {app: collector}}
    spec:
      containers:
        - name: c
          image: x
          args: ["--lease-name=$(POD_NAME)"]
          env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: operator, namespace: obs}
spec:
  replicas: 2
  selector: {matchLabels: {app: operator}}
  template:
    metadata: {labels: {app: operator}}
    spec:
      containers: [{name: m, image: x, args: ["--election-id=operator-lock", "--leader-elect-retry-period=4s"]}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: obs}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
        - name: a
          image: x
          env:
            - {name: LEASE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: web
  annotations: {leaselint.io/rollouts-per-hour: "6"}
spec:
  replicas: 4
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: x
          args: ["--lease-name=$(POD_NAME)"]
          env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
"#;

#[test]
fn the_impact_table_is_estimated_from_manifests() {
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("m.yaml"), MANIFESTS);
    let out = run_in(tmp.path(), &["report", "--no-config", "--nodes", "10", "--format", "json", "m.yaml"], None);
    assert_eq!(code(&out), 0);
    let report = json(&out);
    let obs = &report["namespaces"][0];
    assert_eq!(obs["namespace"], "obs", "largest writes/s first");
    // 3 per-pod (collector) + 10 per-node (agent) + 1 shared lock.
    assert_eq!(obs["leases"], 14);
    assert_eq!(obs["by_class"]["per-pod"], 13);
    assert_eq!(obs["by_class"]["leader-election"], 1);
    // 13 Leases every 2 s + the lock every 4 s.
    assert_eq!(obs["writes_per_second"], 6.75);
    // Under the policy: the namespace lease (every 10 s) and the lock, unchanged.
    assert_eq!(obs["policy_leases"], 2);
    assert_eq!(obs["policy_writes_per_second"], 0.35);
    assert_eq!(obs["estimated"], true);
    let web = &report["namespaces"][1];
    assert_eq!((web["leases"].as_u64(), web["policy_leases"].as_u64()), (Some(4), Some(1)), "its own lease");
    assert_eq!(report["totals"]["leases"], 18);
    assert_eq!(report["totals"]["policy_leases"], 3);

    let out = run_in(tmp.path(), &["report", "--no-config", "--nodes", "10", "m.yaml"], None);
    let text = stdout(&out);
    assert!(text.starts_with("namespace"), "{text}");
    assert!(text.contains("under the namespace lease policy: 18 → 3 Leases, 8.75 → 0.45 writes/s"), "{text}");
    let out = run_in(tmp.path(), &["report", "--no-config", "--format", "markdown", "m.yaml"], None);
    assert!(stdout(&out).starts_with("## Lease impact\n\n| namespace |"), "{}", stdout(&out));
    let out = run_in(tmp.path(), &["report", "--no-config", "--format", "sarif", "m.yaml"], None);
    assert_eq!(code(&out), 2);
    // The chart: one pair of bars per namespace, largest first, with the totals in the caption.
    let out = run_in(tmp.path(), &["report", "--no-config", "--nodes", "10", "--svg", "impact.svg", "m.yaml"], None);
    assert_eq!(code(&out), 0);
    let svg = std::fs::read_to_string(tmp.path().join("impact.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(svg.contains("Lease writes/s: 8.75 now, 0.45 under the policy (estimated)"));
    let (obs, web) = (svg.find(">\nobs\n<").expect("obs label"), svg.find(">\nweb\n<").expect("web label"));
    assert!(obs < web, "largest first");
    assert!(svg.contains("under the policy") && svg.matches("<rect").count() >= 4 + 2);
}
