//! `leaselint audit` against the test API server (tests/apiserver: TLS, bearer token, pages
//! smaller than `limit`): the lease census of a small cluster, what the audit asked for, and a
//! forbidden resource.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

mod common;

use common::{code, json, leaselint, stderr};
use leaselint_test_apiserver::{ApiServer, Config, parse_objects};
use serde_json::Value;

/// Node heartbeats, the API server identity, a StatefulSet's per-pod Leases (one whose pod is
/// gone), a leader-election lock held by a Deployment's pod, and an unheld Lease.
const CLUSTER: &str = r#"
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: node-1, namespace: kube-node-lease}
spec: {holderIdentity: node-1, leaseDurationSeconds: 40, renewTime: "2099-01-01T00:00:00.000000Z"}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: apiserver-abc
  namespace: kube-system
  labels: {apiserver.kubernetes.io/identity: kube-apiserver}
spec: {holderIdentity: apiserver-abc_1f0d6c6e-2d6b-4c1e-9c5e-0a1b2c3d4e5f, leaseDurationSeconds: 3600, renewTime: "2099-01-01T00:00:00.000000Z"}
---
apiVersion: v1
kind: Pod
metadata:
  name: collector-0
  namespace: obs
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: collector, uid: u1, controller: true}]
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: collector-1
  namespace: obs
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: collector, uid: u1, controller: true}]
spec: {containers: [{name: c, image: x}]}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: collector-0, namespace: obs}
spec: {holderIdentity: collector-0, leaseDurationSeconds: 15, renewTime: "2099-01-01T00:00:00.000000Z"}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: collector-1, namespace: obs}
spec: {holderIdentity: collector-1, leaseDurationSeconds: 15, renewTime: "2099-01-01T00:00:00.000000Z"}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: collector-2, namespace: obs}
spec: {holderIdentity: collector-2, leaseDurationSeconds: 15, renewTime: "2020-01-01T00:00:00.000000Z"}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-7d9f8b6c5
  namespace: web
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: u2, controller: true}]
spec: {selector: {matchLabels: {app: api}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-7d9f8b6c5-x2x4z
  namespace: web
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-7d9f8b6c5, uid: u3, controller: true}]
spec: {containers: [{name: api, image: x}]}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: api-lock, namespace: web}
spec: {holderIdentity: api-7d9f8b6c5-x2x4z_6a1e0c8e-0a4f-4d0b-8f43-7d9f8b6c5aaa, leaseDurationSeconds: 15, renewTime: "2099-01-01T00:00:00.000000Z"}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: spare, namespace: web}
spec: {leaseDurationSeconds: 15}
"#;

fn server() -> ApiServer {
    let objects = parse_objects(CLUSTER).unwrap();
    ApiServer::start(Config { objects, max_page: Some(2), ..Config::default() }).unwrap()
}

fn lease<'a>(report: &'a Value, namespace: &str, name: &str) -> &'a Value {
    report["leases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["namespace"] == namespace && l["name"] == name)
        .unwrap_or_else(|| panic!("no lease {namespace}/{name}"))
}

#[test]
fn the_census_classifies_every_lease_and_finds_its_owner() {
    let server = server();
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = tmp.path().join("kubeconfig");
    server.write_kubeconfig(&kubeconfig).unwrap();
    let out = leaselint()
        .args(["--no-config", "audit", "--kubeconfig"])
        .arg(&kubeconfig)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["version"], 1);
    assert_eq!(report["cluster"]["server"], format!("{}/", server.url()));
    assert_eq!(lease(&report, "kube-node-lease", "node-1")["class"], "node-heartbeat");
    assert_eq!(lease(&report, "kube-node-lease", "node-1")["writes_per_second"], 0.1);
    assert_eq!(lease(&report, "kube-system", "apiserver-abc")["class"], "apiserver-identity");
    let c0 = lease(&report, "obs", "collector-0");
    assert_eq!((c0["class"].as_str(), c0["orphaned"].as_bool()), (Some("per-pod"), Some(false)));
    assert_eq!(c0["owner"], serde_json::json!({"kind": "StatefulSet", "name": "collector"}));
    let c2 = lease(&report, "obs", "collector-2");
    assert_eq!(c2["class"], "per-pod", "named like its siblings");
    assert_eq!((c2["orphaned"].as_bool(), c2["stale"].as_bool()), (Some(true), Some(true)), "its pod is gone");
    let lock = lease(&report, "web", "api-lock");
    assert_eq!(lock["class"], "leader-election");
    assert_eq!(
        lock["owner"],
        serde_json::json!({"kind": "Deployment", "name": "api"}),
        "Pod → ReplicaSet → Deployment"
    );
    assert_eq!(lease(&report, "web", "spare")["class"], "other");
    assert_eq!(lease(&report, "web", "spare")["writes_per_second"], 0.0, "nobody holds it");
    // obs: 3 per-pod Leases now (2 renewed), one namespace Lease under the policy.
    let obs = report["namespaces"].as_array().unwrap().iter().find(|n| n["namespace"] == "obs").unwrap();
    assert_eq!((obs["leases"].as_u64(), obs["policy_leases"].as_u64()), (Some(3), Some(1)));
    assert_eq!(obs["writes_per_second"], 1.0);
    assert_eq!(report["totals"]["leases"], 7);

    // What it asked: lists only (pages of 2 when 500 were asked: `continue` followed), the
    // bearer token, never Secrets or ConfigMaps.
    let requests = server.requests();
    assert!(requests.iter().all(|r| r.method == "GET" && !r.is_watch()));
    assert!(requests.iter().all(|r| !r.path.contains("secrets") && !r.path.contains("configmaps")));
    let lease_pages = requests.iter().filter(|r| r.path == "/apis/coordination.k8s.io/v1/leases").count();
    assert_eq!(lease_pages, 4, "7 Leases in pages of 2");
    assert!(requests.iter().all(|r| r.param("limit").as_deref() == Some("500")));
    assert_eq!(report["api"]["lists"].as_u64(), Some(requests.len() as u64));
    let out = leaselint().args(["--no-config", "audit", "--kubeconfig"]).arg(&kubeconfig).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 orphaned (their pod no longer exists)"), "{text}");
    assert!(text.contains("kubectl delete lease -n obs collector-2"), "{text}");
    assert!(text.contains("1 node-heartbeat, 1 apiserver-identity, 3 per-pod, 1 leader-election, 1 other"), "{text}");
    server.stop();
}

#[test]
fn a_forbidden_resource_is_reported_and_the_audit_goes_on() {
    let server = server();
    server.forbid("pods");
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = tmp.path().join("kubeconfig");
    server.write_kubeconfig(&kubeconfig).unwrap();
    let out = leaselint()
        .args(["--no-config", "audit", "--kubeconfig"])
        .arg(&kubeconfig)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["errors"][0]["resource"], "pods");
    assert!(report["errors"][0]["message"].as_str().unwrap().contains("forbidden"), "{}", report["errors"]);
    assert_eq!(report["leases"].as_array().unwrap().len(), 7, "the Leases were read");
    let orphaned = report["leases"].as_array().unwrap().iter().filter(|l| l["orphaned"] == true).count();
    assert_eq!(orphaned, 0, "without the pods nothing is known to be orphaned");
    // Human output names the cluster, the classes and the command that cleans orphaned Leases.
    let out = leaselint().args(["--no-config", "audit", "--kubeconfig"]).arg(&kubeconfig).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("could not read pods"), "{text}");
    server.stop();
    // A cluster that cannot be reached at all: exit 2 with the reason.
    let out = leaselint().args(["--no-config", "audit", "--kubeconfig"]).arg(&kubeconfig).output().unwrap();
    assert_eq!(code(&out), 2);
}
