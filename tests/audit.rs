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

/// Runs `leaselint --no-config audit ARGS --kubeconfig KUBECONFIG`.
fn audit(kubeconfig: &std::path::Path, args: &[&str]) -> std::process::Output {
    leaselint().args(["--no-config", "audit"]).args(args).arg("--kubeconfig").arg(kubeconfig).output().unwrap()
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
    let out = audit(&kubeconfig, &["--sample", "0", "--format", "json"]);
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
    let out = audit(&kubeconfig, &["--sample", "0"]);
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
    let out = audit(&kubeconfig, &["--sample", "0", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["errors"][0]["resource"], "pods");
    assert!(report["errors"][0]["message"].as_str().unwrap().contains("forbidden"), "{}", report["errors"]);
    assert_eq!(report["leases"].as_array().unwrap().len(), 7, "the Leases were read");
    let orphaned = report["leases"].as_array().unwrap().iter().filter(|l| l["orphaned"] == true).count();
    assert_eq!(orphaned, 0, "without the pods nothing is known to be orphaned");
    // Human output names the cluster, the classes and the command that cleans orphaned Leases.
    let out = audit(&kubeconfig, &["--sample", "0"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("could not read pods"), "{text}");
    server.stop();
    // A cluster that cannot be reached at all: exit 2 with the reason.
    let out = audit(&kubeconfig, &["--sample", "0"]);
    assert_eq!(code(&out), 2);
}

fn kubeconfig_of(server: &ApiServer, dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("kubeconfig");
    server.write_kubeconfig(&path).unwrap();
    path
}

#[test]
fn a_429_storm_is_waited_out_as_the_server_asks() {
    let server = server();
    server.throttle(3, 1);
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = kubeconfig_of(&server, tmp.path());
    let started = std::time::Instant::now();
    let out = audit(&kubeconfig, &["--sample", "0", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["errors"], serde_json::json!([]));
    assert_eq!(report["leases"].as_array().unwrap().len(), 7);
    let throttled = server.requests().iter().filter(|r| r.status == 429).count();
    assert_eq!(throttled, 3);
    assert!(started.elapsed() >= std::time::Duration::from_secs(3), "Retry-After: 1 honoured three times");
    server.stop();
}

#[test]
fn an_expired_continue_token_starts_the_list_again() {
    let server = server();
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = kubeconfig_of(&server, tmp.path());
    // Two requests a second: the test expires the tokens between two pages of the Pods.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_leaselint"))
        .args([
            "--no-config",
            "audit",
            "--sample",
            "0",
            "--format",
            "json",
            "--qps",
            "2",
            "--burst",
            "1",
            "--kubeconfig",
        ])
        .arg(&kubeconfig)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    // The Pods are read first, two a page: expire the token their first page handed out.
    while !server.requests().iter().any(|r| r.path == "/api/v1/pods") {
        if std::time::Instant::now() > deadline {
            // Stopped by its pid before failing.
            let _ = child.kill();
            let _ = child.wait();
            panic!("the audit never listed the pods");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    server.compact();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"], serde_json::json!([]));
    assert_eq!(report["leases"].as_array().unwrap().len(), 7, "every Lease once");
    let requests = server.requests();
    assert!(requests.iter().any(|r| r.status == 410), "a page was refused");
    // The first list with a second page is the Pods' (read first): listed again from page one.
    let pod_firsts = requests.iter().filter(|r| r.path == "/api/v1/pods" && r.param("continue").is_none()).count();
    assert_eq!(pod_firsts, 2, "the Pods were listed again from the first page");
    assert_eq!(report["leases"].as_array().unwrap().len(), 7);
    server.stop();
}

#[test]
fn requests_keep_to_the_rate_limit() {
    let server = server();
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = kubeconfig_of(&server, tmp.path());
    let started = std::time::Instant::now();
    let out = leaselint()
        .args([
            "--no-config",
            "audit",
            "--sample",
            "0",
            "--format",
            "json",
            "--qps",
            "10",
            "--burst",
            "1",
            "--kubeconfig",
        ])
        .arg(&kubeconfig)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0);
    let requests = server.requests().len();
    assert_eq!(requests, 7, "4 pages of Leases, 2 of Pods, 1 of ReplicaSets");
    // One at a time, ten a second: at least (requests - 1) / 10 seconds.
    let least = std::time::Duration::from_secs_f64((requests - 1) as f64 / 10.0);
    assert!(started.elapsed() >= least, "{:?} for {requests} requests", started.elapsed());
    server.stop();
}

/// `deploy/audit-rbac.yaml` grants what the audit reads and nothing it never reads, and lints
/// clean.
#[test]
fn the_audit_rbac_is_read_only_and_clean() {
    let out = leaselint().args(["--no-config", "--format", "json", "deploy/audit-rbac.yaml"]).output().unwrap();
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    let text = std::fs::read_to_string(common::repo().join("deploy/audit-rbac.yaml")).unwrap();
    let role = &parse_objects(&text).unwrap()[0];
    for rule in role["rules"].as_array().unwrap() {
        assert_eq!(rule["verbs"], serde_json::json!(["get", "list", "watch"]), "read-only");
        let resources = rule["resources"].as_array().unwrap();
        assert!(!resources.iter().any(|r| r == "secrets" || r == "configmaps"));
    }
    let granted: Vec<&str> = role["rules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["resources"].as_array().unwrap())
        .filter_map(Value::as_str)
        .collect();
    for read in ["leases", "pods", "replicasets"] {
        assert!(granted.contains(&read), "{read}");
    }
}

#[test]
fn renewals_are_measured_with_one_watch() {
    // Every held Lease is renewed every 100 ms; `collector-2` (its pod gone) never.
    let objects = parse_objects(CLUSTER).unwrap();
    let config = Config {
        objects,
        lease_renew_period: Some(std::time::Duration::from_millis(100)),
        max_watch: Some(std::time::Duration::from_millis(700)),
        ..Config::default()
    };
    let server = ApiServer::start(config).unwrap();
    server.set_lease_renewal("obs", "collector-2", None);
    // Renewed once or twice in the sample: the first renewal counts against the listed renewTime.
    server.set_lease_renewal("obs", "collector-1", Some(std::time::Duration::from_millis(1500)));
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = kubeconfig_of(&server, tmp.path());
    let out = audit(&kubeconfig, &["--sample", "2s", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["sample_seconds"], 2.0);
    assert!(!stderr(&out).contains("sampling"), "no progress bar when stderr is not a terminal");
    let c0 = lease(&report, "obs", "collector-0");
    assert_eq!(c0["estimated"], false);
    let renewals = c0["renewals"].as_u64().unwrap();
    assert!((10..=22).contains(&renewals), "about 20 renewals in 2 s: {renewals}");
    assert_eq!(c0["writes_per_second"].as_f64().unwrap(), renewals as f64 / 2.0);
    assert_eq!(lease(&report, "obs", "collector-2")["renewals"], 0);
    let slow = lease(&report, "obs", "collector-1")["renewals"].as_u64().unwrap();
    assert!((1..=2).contains(&slow), "{slow}");
    // One watch at a time; the server cuts each after 700 ms, so the audit opened it again.
    let watches: Vec<_> = server.requests().into_iter().filter(|r| r.is_watch()).collect();
    assert!(watches.len() >= 3, "{}", watches.len());
    assert_eq!(report["api"]["watches"].as_u64(), Some(watches.len() as u64));
    assert!(watches.iter().all(|w| w.path == "/apis/coordination.k8s.io/v1/leases"), "never one per namespace");
    assert!(watches.iter().all(|w| w.param("resourceVersion").is_some_and(|v| v != "0")), "resumed where it stopped");
    server.stop();
}

#[test]
fn namespaces_narrow_the_audit() {
    let server = server();
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = kubeconfig_of(&server, tmp.path());
    let out = audit(&kubeconfig, &["--sample", "1s", "--format", "json", "-n", "obs"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    let namespaces: Vec<&str> =
        report["leases"].as_array().unwrap().iter().map(|l| l["namespace"].as_str().unwrap()).collect();
    assert_eq!(namespaces, ["obs", "obs", "obs"]);
    let requests = server.requests();
    assert!(
        requests.iter().all(|r| r.path.contains("/namespaces/obs/")),
        "{:?}",
        requests.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    assert_eq!(requests.iter().filter(|r| r.is_watch()).count(), 1);
    server.stop();
}
