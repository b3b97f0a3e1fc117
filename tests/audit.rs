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
    let kubeconfig = kubeconfig_of(&server, tmp.path());
    let out = audit(&kubeconfig, &["--sample", "0", "--format", "json"]);
    // The per-pod Leases of `obs` are LL001 errors.
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["version"], 1);
    let findings: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["resource"].as_str().unwrap()))
        .collect();
    assert_eq!(
        findings,
        [
            ("LL001", "apis/coordination.k8s.io/v1/namespaces/obs/leases/collector-0"),
            ("LL001", "apis/coordination.k8s.io/v1/namespaces/obs/leases/collector-1"),
            ("LL001", "apis/coordination.k8s.io/v1/namespaces/obs/leases/collector-2"),
        ],
        "the Pods and the ReplicaSet have controllers: their Deployment or StatefulSet is linted, not each copy"
    );
    assert_eq!(report["summary"]["errors"], 3);
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
    let kubeconfig = kubeconfig_of(&server, tmp.path());
    let out = audit(&kubeconfig, &["--sample", "0", "--format", "json"]);
    assert_eq!(code(&out), 1, "findings, not an error: {}", stderr(&out));
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
    let out = audit(&kubeconfig, &["--sample", "0", "--format", "json", "--exit-zero"]);
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
            "--exit-zero",
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
            "--exit-zero",
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
    assert_eq!(requests, 21, "4 pages of Leases, 2 of Pods, 1 of each of the 15 other resources");
    // One at a time, ten a second: at least (requests - 1) / 10 seconds.
    let least = std::time::Duration::from_secs_f64((requests - 1) as f64 / 10.0);
    assert!(started.elapsed() >= least, "{:?} for {requests} requests", started.elapsed());
    server.stop();
}

/// `deploy/audit-rbac.yaml` grants exactly what an audit asks for (from the request log of a
/// sampled audit), read-only, and lints clean.
#[test]
fn the_audit_rbac_grants_what_the_audit_reads_and_nothing_else() {
    let out = leaselint().args(["--no-config", "--format", "json", "deploy/audit-rbac.yaml"]).output().unwrap();
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    let text = std::fs::read_to_string(common::repo().join("deploy/audit-rbac.yaml")).unwrap();
    let role = &parse_objects(&text).unwrap()[0];
    let mut granted = std::collections::BTreeSet::new();
    for rule in role["rules"].as_array().unwrap() {
        for group in rule["apiGroups"].as_array().unwrap() {
            for resource in rule["resources"].as_array().unwrap() {
                for verb in rule["verbs"].as_array().unwrap() {
                    let (g, r, v) = (group.as_str().unwrap(), resource.as_str().unwrap(), verb.as_str().unwrap());
                    granted.insert((g.to_string(), r.to_string(), v.to_string()));
                }
            }
        }
    }
    let config = Config {
        objects: parse_objects(CLUSTER).unwrap(),
        lease_renew_period: Some(std::time::Duration::from_millis(100)),
        ..Config::default()
    };
    let server = ApiServer::start(config).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = kubeconfig_of(&server, tmp.path());
    let out = audit(&kubeconfig, &["--sample", "1s", "--format", "json", "--exit-zero"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut asked = std::collections::BTreeSet::new();
    for r in server.requests() {
        // `/api/v1/pods`, `/apis/apps/v1/deployments`: the group and the resource.
        let parts: Vec<&str> = r.path.trim_start_matches('/').split('/').collect();
        let (group, resource) = match parts.as_slice() {
            ["api", _, resource] => ("", *resource),
            ["apis", group, _, resource] => (*group, *resource),
            _ => panic!("not a list of all namespaces: {}", r.path),
        };
        let verb = if r.is_watch() { "watch" } else { "list" };
        asked.insert((group.to_string(), resource.to_string(), verb.to_string()));
    }
    server.stop();
    assert_eq!(granted, asked, "the ClusterRole grants exactly what the audit asks for");
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
    let out = audit(&kubeconfig, &["--sample", "2s", "--format", "json", "--exit-zero"]);
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
    let out = audit(&kubeconfig, &["--sample", "1s", "--format", "json", "-n", "obs", "--exit-zero"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    let namespaces: Vec<&str> =
        report["leases"].as_array().unwrap().iter().map(|l| l["namespace"].as_str().unwrap()).collect();
    assert_eq!(namespaces, ["obs", "obs", "obs"]);
    let requests = server.requests();
    // Namespaced resources in `obs` only; ClusterRoles and their bindings (RoleBindings refer
    // to ClusterRoles) are cluster-scoped.
    let cluster_scoped =
        ["/apis/rbac.authorization.k8s.io/v1/clusterroles", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"];
    assert!(
        requests.iter().all(|r| r.path.contains("/namespaces/obs/") || cluster_scoped.contains(&r.path.as_str())),
        "{:?}",
        requests.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    assert_eq!(requests.iter().filter(|r| r.is_watch()).count(), 1);
    server.stop();
}

/// A finding as both reports give it, without its place (file and line, or API path).
fn finding_key(f: &Value) -> String {
    let o = &f["object"];
    format!(
        "{} {} {} {}/{}/{} {} | {} | fix {}",
        f["rule"],
        f["severity"],
        o["apiVersion"],
        o["kind"],
        o["namespace"],
        o["name"],
        f["path"],
        f["message"],
        f["fix"]
    )
}

/// Every rule runs on the live objects as on files: the objects of each real chart of the
/// corpus that the server serves (every kind the audit reads), served by the test API server,
/// give the audit the findings a lint of the same objects gives — same rule, object, path,
/// message and fix — with the API path in place of a file and no line.
#[test]
fn rules_on_live_objects_find_what_a_lint_of_the_same_objects_finds() {
    let Some(dir) = common::corpus_dir() else {
        eprintln!("note: ../shared/corpus/real is absent: the real-chart audit parity is skipped");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut compared = 0;
    let mut findings = 0;
    for name in common::corpus_files(&dir) {
        let text = std::fs::read_to_string(dir.join(&name)).unwrap();
        // A file the server cannot take as a cluster's objects (duplicate keys: LL010's
        // fixtures) has no live counterpart.
        let Ok(objects) = parse_objects(&text) else { continue };
        let mut served: Vec<Value> = Vec::new();
        for mut o in objects {
            let (Some(api_version), Some(kind)) = (o["apiVersion"].as_str(), o["kind"].as_str()) else { continue };
            let Some(res) = leaselint_test_apiserver::resources::by_kind(api_version, kind) else { continue };
            if kind == "Namespace" || kind == "Node" {
                // Served, but not among what the audit reads.
                continue;
            }
            if res.namespaced && o["metadata"]["namespace"].as_str().is_none() {
                o["metadata"]["namespace"] = Value::from("default");
            }
            if !common::valid(&o) {
                // The API server would have refused it (`defaultMode: "0755"` read as a string).
                continue;
            }
            let key =
                |v: &Value| (v["kind"].clone(), v["metadata"]["namespace"].clone(), v["metadata"]["name"].clone());
            // The API server holds one object per name: the last of a stream wins, as kubectl apply.
            served.retain(|s| key(s) != key(&o));
            served.push(o);
        }
        if served.is_empty() {
            continue;
        }
        let server = ApiServer::start(Config { objects: served.clone(), ..Config::default() }).unwrap();
        let kubeconfig = kubeconfig_of(&server, tmp.path());
        let out = audit(&kubeconfig, &["--sample", "0", "--format", "json", "--exit-zero"]);
        server.stop();
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        let live = json(&out);
        assert_eq!(live["errors"], serde_json::json!([]), "{name}");
        let stream: Vec<String> = served.iter().map(Value::to_string).collect();
        let file = tmp.path().join("objects.yaml");
        std::fs::write(&file, stream.join("\n---\n")).unwrap();
        let out = leaselint()
            .args(["--no-config", "--format", "json", "--exit-zero", "-n", "default"])
            .arg(&file)
            .output()
            .unwrap();
        let linted = json(&out);
        let keys = |report: &Value| {
            let mut keys: Vec<String> = report["findings"].as_array().unwrap().iter().map(finding_key).collect();
            keys.sort();
            keys
        };
        assert_eq!(keys(&live), keys(&linted), "{name}: the audit and the lint of the same objects differ");
        for f in live["findings"].as_array().unwrap() {
            assert!(f["file"].is_null() && f["line"].is_null() && f["column"].is_null(), "{f}");
            let o = &f["object"];
            let resource = f["resource"].as_str().unwrap();
            assert!(resource.ends_with(&format!("/{}", o["name"].as_str().unwrap())), "{resource}");
            assert!(resource.starts_with("api/v1/") || resource.starts_with("apis/"), "{resource}");
        }
        assert_eq!(live["summary"]["objects"].as_u64(), Some(served.len() as u64), "{name}");
        compared += 1;
        findings += live["findings"].as_array().unwrap().len();
    }
    assert!(compared >= 40, "{compared} charts compared");
    eprintln!("{compared} real charts audited; {findings} findings, each as the lint of the same objects");
}

/// Workloads as a cluster holds them: a serving Deployment with a CPU limit (LL004) and no PDB
/// (LL007), one that suppresses LL006 by annotation, a CronJob and the Job it made, a bare Pod,
/// a static Pod's mirror, and the controlled copies (ReplicaSet, Pods) that are not linted.
const LIVE: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: web
  annotations: {kubectl.kubernetes.io/last-applied-configuration: '{"kind":"Deployment"}'}
  managedFields: [{manager: kubectl, operation: Apply, apiVersion: apps/v1}]
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      dnsConfig: {options: [{name: ndots, value: "2"}]}
      containers:
        - name: api
          image: example/api:1
          resources: {requests: {cpu: 500m, memory: 256Mi}, limits: {cpu: "1", memory: 512Mi}}
status: {replicas: 3, readyReplicas: 3}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: web}
spec: {selector: {app: api}, ports: [{name: http, port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  namespace: web
  annotations: {leaselint.io/ignore: "LL006,LL005"}
spec:
  replicas: 1
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec: {containers: [{name: worker, image: example/worker:1}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-7d9f8b6c5
  namespace: web
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: u1, controller: true}]
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: example/api:1}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-7d9f8b6c5-x2x4z
  namespace: web
  labels: {app: api}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-7d9f8b6c5, uid: u2, controller: true}]
spec: {containers: [{name: api, image: example/api:1}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: jobs}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          dnsConfig: {options: [{name: ndots, value: "2"}]}
          containers: [{name: report, image: example/report:1, resources: {limits: {memory: 64Mi}}}]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: report-29000000
  namespace: jobs
  ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: report, uid: u3, controller: true}]
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: report, image: example/report:1}]
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: jobs}
spec:
  dnsConfig: {options: [{name: ndots, value: "2"}]}
  containers: [{name: shell, image: busybox, resources: {limits: {memory: 32Mi}}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: etcd-cp-1
  namespace: kube-system
  annotations: {kubernetes.io/config.mirror: "1f0d"}
  ownerReferences: [{apiVersion: v1, kind: Node, name: cp-1, uid: u4, controller: true}]
spec:
  hostNetwork: true
  containers: [{name: etcd, image: registry.k8s.io/etcd:3.5.15-0}]
"#;

fn live_server() -> ApiServer {
    ApiServer::start(Config { objects: parse_objects(LIVE).unwrap(), ..Config::default() }).unwrap()
}

fn rules_and_resources(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["resource"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn every_rule_runs_on_the_live_objects_with_their_annotations() {
    let server = live_server();
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = kubeconfig_of(&server, tmp.path());
    let out = audit(&kubeconfig, &["--sample", "0", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = json(&out);
    let found = rules_and_resources(&report);
    let expected = [
        ("LL004", "apis/apps/v1/namespaces/web/deployments/api"),
        ("LL007", "apis/apps/v1/namespaces/web/deployments/api"),
        ("LL013", "apis/apps/v1/namespaces/web/deployments/api"),
        ("LL015", "apis/apps/v1/namespaces/web/deployments/api"),
        ("LL005", "api/v1/namespaces/kube-system/pods/etcd-cp-1"),
    ];
    for (rule, resource) in expected {
        assert!(found.iter().any(|(r, p)| r == rule && p == resource), "{rule} on {resource}: {found:?}");
    }
    // `worker` suppresses LL005 and LL006 by annotation; the ReplicaSet, its Pod and the
    // CronJob's Job are copies of a template that is linted where it is declared; `debug` and
    // the CronJob pass; the static Pod uses the host's DNS. `api` (served, with 2 or more
    // replicas) also has no `minReadySeconds` and no spreading over nodes (LL013, LL015).
    assert_eq!(found.len(), 5, "{found:?}");
    let f = report["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "LL004").unwrap();
    assert_eq!(
        f["object"],
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "web", "name": "api"})
    );
    assert!(f["file"].is_null() && f["line"].is_null() && f["end_column"].is_null());
    assert_eq!(f["path"], "spec.template.spec.containers[0].resources.limits.cpu");
    assert_eq!(f["fix"], "safe");
    // The Service that made it latency-sensitive, by its API path.
    assert_eq!(f["related"][0]["resource"], "api/v1/namespaces/web/services/api");
    assert!(f["related"][0]["file"].is_null());
    // Counted as the lint counts: every object read that a manifest would declare.
    assert_eq!(report["summary"]["objects"], 6, "{}", report["summary"]);
    // LL004, LL005, LL007 and LL015 warn; LL013 is an info.
    assert_eq!((report["summary"]["warnings"].as_u64(), report["summary"]["errors"].as_u64()), (Some(4), Some(0)));

    // --fail-on error: warnings do not fail; --select narrows the rules; a config file in the
    // working directory is used as for a lint.
    let out = audit(&kubeconfig, &["--sample", "0", "--format", "json", "--fail-on", "error"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = audit(&kubeconfig, &["--sample", "0", "--format", "json", "--select", "LL007"]);
    assert_eq!(rules_and_resources(&json(&out)).len(), 1);
    std::fs::write(tmp.path().join(".leaselint.yaml"), "rules:\n  LL004: off\n  LL007: error\n").unwrap();
    let out = leaselint()
        .current_dir(tmp.path())
        .args(["audit", "--sample", "0", "--format", "json", "--kubeconfig"])
        .arg(&kubeconfig)
        .output()
        .unwrap();
    let report = json(&out);
    let found = rules_and_resources(&report);
    // LL004 off: LL005, LL007, LL013 and LL015 remain.
    assert_eq!(found.len(), 4, "{found:?}");
    let ll007 = report["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "LL007").unwrap();
    assert_eq!(ll007["severity"], "error", "LL007 raised by the config");

    // Human output: kind/namespace/name and the API path instead of a snippet.
    let out = audit(&kubeconfig, &["--sample", "0"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("object: Deployment web/api"), "{text}");
    assert!(text.contains("resource: apis/apps/v1/namespaces/web/deployments/api"), "{text}");
    assert!(text.contains("path: spec.template.spec.containers[0].resources.limits.cpu"), "{text}");
    assert!(text.contains("related: api/v1/namespaces/web/services/api: "), "{text}");
    assert!(text.contains("Found 5 findings (0 errors, 4 warnings, 1 info) in 6 objects"), "{text}");
    assert!(!text.contains("│"), "no source snippet: {text}");
    // Markdown: the impact table, then the findings by API path.
    let out = audit(&kubeconfig, &["--sample", "0", "--format", "markdown"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("| LL004 | warning | `apis/apps/v1/namespaces/web/deployments/api` |"), "{text}");

    // What was read: every resource of SPEC §9 once, never Secrets or ConfigMaps.
    let requests = server.requests();
    for path in [
        "/apis/apps/v1/deployments",
        "/apis/batch/v1/cronjobs",
        "/apis/policy/v1/poddisruptionbudgets",
        "/apis/autoscaling/v2/horizontalpodautoscalers",
        "/api/v1/limitranges",
        "/api/v1/resourcequotas",
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
    ] {
        assert!(requests.iter().any(|r| r.path == path), "{path}");
    }
    assert!(requests.iter().all(|r| !r.path.contains("secrets") && !r.path.contains("configmaps")));
    server.stop();
}

#[test]
fn a_forbidden_workload_resource_leaves_the_rules_the_rest() {
    let server = live_server();
    server.forbid("deployments");
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = kubeconfig_of(&server, tmp.path());
    let out = audit(&kubeconfig, &["--sample", "0", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["errors"][0]["resource"], "deployments.apps");
    assert_eq!(
        rules_and_resources(&report),
        [("LL005".to_string(), "api/v1/namespaces/kube-system/pods/etcd-cp-1".to_string())]
    );
    server.stop();
}

/// A kubeconfig with two contexts: `broken` (current: a closed port) and `good` (this server,
/// with `user`'s YAML as its user).
fn two_contexts(server: &ApiServer, user: &str) -> String {
    let ca_data = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, server.ca_pem());
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: good\n  cluster:\n    server: {}\n    \
         certificate-authority-data: {ca_data}\n- name: broken\n  cluster:\n    server: https://127.0.0.1:1\n    \
         certificate-authority-data: {ca_data}\nusers:\n- name: good\n  user:\n{user}\ncontexts:\n\
         - name: good\n  context: {{cluster: good, user: good}}\n- name: broken\n  context: {{cluster: broken, user: good}}\n\
         current-context: broken\n",
        server.url()
    )
}

/// Connection as kubectl resolves it, with the authentications `kube` supports: a client
/// certificate, an exec credential plugin, `KUBECONFIG` and `--context`; a wrong token is a
/// clear error.
#[test]
fn connects_with_client_certificates_exec_plugins_and_contexts() {
    let server = server();
    let tmp = tempfile::tempdir().unwrap();
    let run = |kubeconfig: &std::path::Path, extra: &[&str]| {
        leaselint()
            .args(["--no-config", "audit", "--sample", "0", "--format", "json", "--exit-zero"])
            .args(extra)
            .env("KUBECONFIG", kubeconfig)
            .env("HOME", tmp.path())
            .output()
            .unwrap()
    };
    // A client certificate signed by the cluster's CA (no token).
    let certs = tmp.path().join("cert-kubeconfig");
    std::fs::write(&certs, server.client_cert_kubeconfig()).unwrap();
    let out = run(&certs, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["leases"].as_array().unwrap().len(), 7);
    let requests = server.requests();
    assert!(!requests.is_empty() && requests.iter().all(|r| r.client_cert && r.status == 200));
    server.clear_requests();

    // An exec plugin that prints an ExecCredential with the token, in the context `--context`
    // names (the current context points at a closed port), from `KUBECONFIG`.
    let plugin = tmp.path().join("credential-plugin");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\necho '{{\"apiVersion\": \"client.authentication.k8s.io/v1\", \"kind\": \"ExecCredential\", \
             \"status\": {{\"token\": \"{}\"}}}}'\n",
            server.token()
        ),
    )
    .unwrap();
    let mut permissions = std::fs::metadata(&plugin).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&plugin, permissions).unwrap();
    let user = format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: Never",
        plugin.display()
    );
    let exec = tmp.path().join("exec-kubeconfig");
    std::fs::write(&exec, two_contexts(&server, &user)).unwrap();
    let out = run(&exec, &["--context", "good"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["cluster"]["context"], "good");
    assert_eq!(report["leases"].as_array().unwrap().len(), 7);
    assert!(server.requests().iter().all(|r| !r.client_cert && r.status == 200));
    // The current context (a closed port): nothing could be read, exit 2 with the reason.
    let out = run(&exec, &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("127.0.0.1:1"), "{}", stderr(&out));

    // A wrong token: 401 on every list, exit 2 with the API's answer.
    let wrong = tmp.path().join("wrong-kubeconfig");
    std::fs::write(&wrong, server.kubeconfig().replace(server.token(), "not-the-token")).unwrap();
    let out = run(&wrong, &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("Unauthorized"), "{}", stderr(&out));
    server.stop();
}

/// While sampling, a progress bar is drawn on stderr when stderr is a terminal (here a pseudo
/// terminal from util-linux `script`), and nothing when it is not.
#[test]
fn a_progress_bar_shows_the_sample_on_a_terminal() {
    let Some(script) = ["/usr/bin/script", "/bin/script"].into_iter().find(|p| std::path::Path::new(p).is_file())
    else {
        eprintln!("NOTICE: util-linux `script` is not installed: the progress bar test is SKIPPED");
        return;
    };
    let server = server();
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = kubeconfig_of(&server, tmp.path());
    let report = tmp.path().join("report.json");
    let command = format!(
        "{} --no-config audit --sample 1s --format json --exit-zero --kubeconfig {} --output-file {}",
        env!("CARGO_BIN_EXE_leaselint"),
        kubeconfig.display(),
        report.display()
    );
    let out = std::process::Command::new(script).args(["-qec", &command, "/dev/null"]).output().unwrap();
    server.stop();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let terminal = String::from_utf8_lossy(&out.stdout);
    assert!(terminal.contains("sampling lease renewals"), "{terminal}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(report["sample_seconds"], 1.0);
}

/// `--write-baseline` records the live findings by API path; `--baseline` hides them (the run
/// passes), and a finding the baseline does not record still fails it.
#[test]
fn a_baseline_hides_the_live_findings_it_records() {
    let server = live_server();
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = kubeconfig_of(&server, tmp.path());
    let file = tmp.path().join("audit-baseline.json");
    let path = file.to_str().unwrap();
    let out = audit(&kubeconfig, &["--sample", "0", "--format", "json", "--write-baseline", path]);
    assert_eq!(code(&out), 0, "every finding recorded: {}", stderr(&out));
    assert!(stderr(&out).contains("recorded 5 findings"), "{}", stderr(&out));
    let mut recorded: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let entries = recorded["findings"].as_array().unwrap();
    assert_eq!(entries.len(), 5);
    let ll004 = entries.iter().find(|e| e["rule"] == "LL004").unwrap();
    assert_eq!(ll004["file"], "apis/apps/v1/namespaces/web/deployments/api");
    assert_eq!(
        (&ll004["kind"], &ll004["namespace"], &ll004["name"]),
        (&"Deployment".into(), &"web".into(), &"api".into())
    );
    assert_eq!(ll004["path"], "spec.template.spec.containers[0].resources.limits.cpu");

    let out = audit(&kubeconfig, &["--sample", "0", "--format", "json", "--baseline", path]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(report["summary"]["baselined"], 5, "{}", report["summary"]);
    let out = audit(&kubeconfig, &["--sample", "0", "--baseline", path]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("5 findings hidden by the baseline"));

    // Without LL004's entry, LL004 is new again and fails the run.
    recorded["findings"].as_array_mut().unwrap().retain(|e| e["rule"] != "LL004");
    std::fs::write(&file, recorded.to_string()).unwrap();
    let out = audit(&kubeconfig, &["--sample", "0", "--format", "json", "--baseline", path]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(
        rules_and_resources(&json(&out)),
        [("LL004".to_string(), "apis/apps/v1/namespaces/web/deployments/api".to_string())]
    );

    // A missing baseline is an error that says how to write one.
    let missing = tmp.path().join("none.json");
    let out = audit(&kubeconfig, &["--sample", "0", "--baseline", missing.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--write-baseline"), "{}", stderr(&out));
    server.stop();
}
