//! The test API server (tests/apiserver) against real `kubectl` and against its own wire contract:
//! pagination with pages smaller than `limit`, 410 for an expired continue token, watches with
//! bookmarks and timeouts, 401, 403, 429 with `Retry-After`, the request log, the lease clock and
//! the scale generator. Each test stops the server (and any kubectl) it started.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr, reason = "tests")]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use leaselint_test_apiserver::{ApiServer, Config, ScaleSpec, parse_objects};
use serde_json::{Value, json};

const FIXTURES: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: web}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: api-leader, namespace: web}
spec: {holderIdentity: api-7d4b9c-x2x9q_1b2c3d4e-0000-4000-8000-000000000001, leaseDurationSeconds: 15}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: worker-0, namespace: web}
spec: {holderIdentity: worker-0, leaseDurationSeconds: 15}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: node-a, namespace: kube-node-lease}
spec: {holderIdentity: node-a, leaseDurationSeconds: 40}
---
kind: List
apiVersion: v1
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: worker-0, namespace: web}
  spec: {containers: [{name: app, image: app:1}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: worker-1, namespace: web}
  spec: {containers: [{name: app, image: app:1}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: api-7d4b9c-x2x9q, namespace: web}
  spec: {containers: [{name: app, image: app:1}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: dns-1, namespace: kube-system}
  spec: {containers: [{name: dns, image: dns:1}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: dns-2, namespace: kube-system}
  spec: {containers: [{name: dns, image: dns:1}]}
"#;

fn fixtures() -> Vec<Value> {
    parse_objects(FIXTURES).unwrap()
}

fn start(config: Config) -> ApiServer {
    ApiServer::start(Config { objects: fixtures(), ..config }).unwrap()
}

/// kubectl with the server's kubeconfig and a discovery cache of its own.
fn kubectl_cmd(kubectl: &Path, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(kubectl);
    cmd.arg("--kubeconfig").arg(dir.join("kubeconfig")).args(args);
    cmd.env("KUBECACHEDIR", dir.join("cache")).env("HOME", dir).env_remove("KUBECONFIG");
    cmd.stdin(Stdio::null());
    cmd
}

fn run_kubectl(kubectl: &Path, dir: &Path, args: &[&str]) -> String {
    let out = kubectl_cmd(kubectl, dir, args).output().unwrap();
    assert!(out.status.success(), "kubectl {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn list_requests(server: &ApiServer, path: &str) -> Vec<leaselint_test_apiserver::RequestRecord> {
    server.requests().into_iter().filter(|r| r.path == path && !r.is_watch()).collect()
}

#[test]
fn kubectl_gets_leases_in_all_namespaces() {
    let Some(kubectl) = common::kubectl("the kubectl test against the test API server") else { return };
    let server = start(Config::default());
    let dir = tempfile::tempdir().unwrap();
    server.write_kubeconfig(&dir.path().join("kubeconfig")).unwrap();

    let table = run_kubectl(&kubectl, dir.path(), &["get", "leases", "-A"]);
    let rows: Vec<Vec<&str>> = table.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows[0], ["NAMESPACE", "NAME", "HOLDER", "AGE"], "{table}");
    let names: Vec<(&str, &str)> = rows[1..].iter().map(|r| (r[0], r[1])).collect();
    assert_eq!(names, [("kube-node-lease", "node-a"), ("web", "api-leader"), ("web", "worker-0")], "{table}");

    let json: Value =
        serde_json::from_str(&run_kubectl(&kubectl, dir.path(), &["get", "leases", "-A", "-o", "json"])).unwrap();
    let holders: Vec<&str> =
        json["items"].as_array().unwrap().iter().map(|i| i["spec"]["holderIdentity"].as_str().unwrap()).collect();
    assert_eq!(holders, ["node-a", "api-7d4b9c-x2x9q_1b2c3d4e-0000-4000-8000-000000000001", "worker-0"]);
    assert_eq!(json["items"][0]["kind"], "Lease");

    // What kubectl asked for: legacy discovery (we do not answer the aggregated form), then one
    // list with limit=500 per `get`, the first one asking for a Table.
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    for needed in ["/api", "/apis", "/apis/coordination.k8s.io/v1"] {
        assert!(paths.iter().any(|p| p == needed), "kubectl did not ask for {needed}: {paths:?}");
    }
    let lists = list_requests(&server, "/apis/coordination.k8s.io/v1/leases");
    assert_eq!(lists.len(), 2, "{lists:?}");
    assert!(lists.iter().all(|r| r.param("limit").as_deref() == Some("500") && r.status == 200));
    assert!(lists[0].accept.contains("as=Table"), "{}", lists[0].accept);
    assert!(server.requests().iter().all(|r| r.status == 200), "{:?}", server.requests());

    // A client certificate the server's CA signed authenticates kubectl without a token.
    server.clear_requests();
    std::fs::write(dir.path().join("kubeconfig"), server.client_cert_kubeconfig()).unwrap();
    let table = run_kubectl(&kubectl, dir.path(), &["get", "leases", "-A", "--no-headers"]);
    assert_eq!(table.lines().count(), 3, "{table}");
    assert!(server.requests().iter().all(|r| r.client_cert && r.status == 200), "{:?}", server.requests());
    server.stop();
}

#[test]
fn kubectl_follows_continue_tokens_with_small_pages() {
    let Some(kubectl) = common::kubectl("the kubectl test against the test API server") else { return };
    // The server answers at most one item a page: smaller than kubectl's --chunk-size=2.
    let server = start(Config { max_page: Some(1), ..Config::default() });
    let dir = tempfile::tempdir().unwrap();
    server.write_kubeconfig(&dir.path().join("kubeconfig")).unwrap();

    let out = run_kubectl(&kubectl, dir.path(), &["get", "pods", "-A", "--chunk-size=2", "-o", "name"]);
    let names: Vec<&str> = out.lines().collect();
    assert_eq!(names, ["pod/dns-1", "pod/dns-2", "pod/api-7d4b9c-x2x9q", "pod/worker-0", "pod/worker-1"], "{out}");
    let lists = list_requests(&server, "/api/v1/pods");
    assert_eq!(lists.len(), 5, "one request per page of one: {lists:?}");
    assert!(lists.iter().all(|r| r.param("limit").as_deref() == Some("2")));
    assert!(lists[0].param("continue").is_none());
    assert!(lists[1..].iter().all(|r| r.param("continue").is_some()));

    // The same with full pages of two, printed as kubectl's table.
    let server2 = start(Config::default());
    server2.write_kubeconfig(&dir.path().join("kubeconfig")).unwrap();
    let table = run_kubectl(&kubectl, dir.path(), &["get", "pods", "-A", "--chunk-size=2"]);
    assert_eq!(table.lines().count(), 6, "{table}");
    assert_eq!(list_requests(&server2, "/api/v1/pods").len(), 3);
    server2.stop();
    server.stop();
}

#[test]
fn kubectl_watches_leases_renewed_on_the_clock() {
    let Some(kubectl) = common::kubectl("the kubectl test against the test API server") else { return };
    let server = start(Config { lease_renew_period: Some(Duration::from_millis(100)), ..Config::default() });
    let dir = tempfile::tempdir().unwrap();
    server.write_kubeconfig(&dir.path().join("kubeconfig")).unwrap();

    let mut child = kubectl_cmd(&kubectl, dir.path(), &["get", "leases", "-A", "--watch", "-o", "name"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    // A watchdog stops kubectl by its pid if the lines do not come (the test then fails).
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if wait.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Three from the list, then renewals arrive as watch events.
    let mut seen = Vec::new();
    while seen.len() < 9 {
        match lines.next() {
            Some(Ok(line)) => seen.push(line),
            _ => break,
        }
    }
    // Stop kubectl by its process id, then reap it.
    let _ = done.send(());
    watchdog.join().unwrap();
    Command::new("kill").arg(pid.to_string()).status().unwrap();
    child.wait().unwrap();
    assert_eq!(seen.len(), 9, "{seen:?}");
    assert_eq!(
        &seen[..3],
        [
            "lease.coordination.k8s.io/node-a",
            "lease.coordination.k8s.io/api-leader",
            "lease.coordination.k8s.io/worker-0"
        ]
    );
    assert!(seen[3..].iter().all(|l| l.starts_with("lease.coordination.k8s.io/")), "{seen:?}");
    let watches: Vec<_> = server.requests().into_iter().filter(|r| r.is_watch()).collect();
    assert_eq!(watches.len(), 1, "{watches:?}");
    assert_eq!(watches[0].path, "/apis/coordination.k8s.io/v1/leases");
    assert!(watches[0].param("resourceVersion").is_some());
    server.stop();
}

fn names(list: &Value) -> Vec<String> {
    list["items"].as_array().unwrap().iter().map(|i| i["metadata"]["name"].as_str().unwrap().to_string()).collect()
}

#[test]
fn lists_pages_smaller_than_limit_and_expires_continue_tokens() {
    let server = start(Config { max_page: Some(2), ..Config::default() });
    let client = server.client();
    let first = client.get("/api/v1/pods?limit=3").unwrap();
    assert_eq!(first.status, 200);
    assert_eq!(first.header("content-type"), Some("application/json"));
    let doc = first.json();
    assert_eq!(doc["kind"], "PodList");
    assert_eq!(doc["apiVersion"], "v1");
    assert_eq!(names(&doc), ["dns-1", "dns-2"], "a page smaller than limit");
    assert!(doc["items"][0].get("kind").is_none(), "list items carry no kind, as the API server sends them");
    let rv = doc["metadata"]["resourceVersion"].as_str().unwrap().to_string();
    let token = doc["metadata"]["continue"].as_str().unwrap().to_string();

    let mut all = names(&doc);
    let mut next = Some(token.clone());
    while let Some(token) = next {
        let page = client.get(&format!("/api/v1/pods?limit=3&continue={token}")).unwrap().json();
        assert_eq!(page["metadata"]["resourceVersion"], rv.as_str(), "pages share the list's resourceVersion");
        all.extend(names(&page));
        next = page["metadata"]["continue"].as_str().map(str::to_string);
    }
    assert_eq!(all, ["dns-1", "dns-2", "api-7d4b9c-x2x9q", "worker-0", "worker-1"]);

    // A namespaced list, and no pagination without a limit.
    let web = client.get("/api/v1/namespaces/web/pods").unwrap().json();
    assert_eq!(names(&web), ["api-7d4b9c-x2x9q", "worker-0", "worker-1"]);
    assert!(web["metadata"].get("continue").is_none());

    server.compact();
    let gone = client.get(&format!("/api/v1/pods?limit=3&continue={token}")).unwrap();
    assert_eq!(gone.status, 410);
    let status = gone.json();
    assert_eq!(
        (status["kind"].as_str(), status["reason"].as_str(), status["code"].as_u64()),
        (Some("Status"), Some("Expired"), Some(410))
    );
    server.stop();
}

fn collect_events(watch: &mut leaselint_test_apiserver::client::Watch, deadline: Duration) -> Vec<Value> {
    let start = Instant::now();
    let mut events = Vec::new();
    while start.elapsed() < deadline {
        match watch.next_event().unwrap() {
            Some(event) => events.push(event),
            None => break,
        }
    }
    events
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

#[test]
fn watch_sends_bookmarks_and_ends_after_timeout_seconds() {
    let server = start(Config {
        lease_renew_period: Some(Duration::from_millis(200)),
        bookmark_interval: Duration::from_millis(300),
        ..Config::default()
    });
    server.set_lease_renewal("kube-node-lease", "node-a", None);
    let client = server.client();
    let started = Instant::now();
    let mut watch = client
        .watch("/apis/coordination.k8s.io/v1/namespaces/web/leases?watch=1&allowWatchBookmarks=true&timeoutSeconds=2")
        .unwrap();
    assert_eq!(watch.status, 200);
    let events = collect_events(&mut watch, Duration::from_secs(10));
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(1900) && elapsed < Duration::from_secs(8), "ended after {elapsed:?}");
    let kinds = types(&events);
    assert_eq!(&kinds[..2], ["ADDED", "ADDED"], "{kinds:?}");
    assert!(kinds.contains(&"MODIFIED") && kinds.contains(&"BOOKMARK"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"BOOKMARK"), "a last bookmark before the timeout");
    let mut last_rv = 0;
    for event in &events {
        let object = &event["object"];
        assert_eq!(object["kind"], "Lease");
        assert_eq!(object["apiVersion"], "coordination.k8s.io/v1");
        if event["type"] == "MODIFIED" {
            assert_eq!(object["metadata"]["namespace"], "web", "only the watched namespace");
            assert!(object["spec"]["renewTime"].as_str().unwrap().ends_with('Z'));
        }
        let rv: u64 = object["metadata"]["resourceVersion"].as_str().unwrap().parse().unwrap();
        if event["type"] != "ADDED" {
            assert!(rv >= last_rv, "resourceVersions never go back: {events:?}");
            last_rv = rv;
        }
    }
    // The renewal bumps renewTime and resourceVersion of the stored object.
    let lease = server.get("coordination.k8s.io/v1", "Lease", "web", "worker-0").unwrap();
    assert!(lease["spec"]["renewTime"].is_string());
    let node = server.get("coordination.k8s.io/v1", "Lease", "kube-node-lease", "node-a").unwrap();
    assert!(node["spec"].get("renewTime").is_none(), "a lease whose renewal was switched off is not renewed");
    server.stop();
}

#[test]
fn watch_from_a_resource_version_replays_changes_and_410s_when_too_old() {
    let server = start(Config::default());
    let client = server.client();
    let list = client.get("/api/v1/namespaces/web/pods").unwrap().json();
    let rv = list["metadata"]["resourceVersion"].as_str().unwrap().to_string();
    server
        .apply(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "worker-2", "namespace": "web"}}))
        .unwrap();
    server
        .apply(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "other", "namespace": "kube-system"}}))
        .unwrap();
    assert!(server.delete("v1", "Pod", "web", "worker-0"));
    let mut watch =
        client.watch(&format!("/api/v1/namespaces/web/pods?watch=true&resourceVersion={rv}&timeoutSeconds=1")).unwrap();
    let events = collect_events(&mut watch, Duration::from_secs(10));
    assert_eq!(types(&events), ["ADDED", "DELETED"]);
    assert_eq!(events[0]["object"]["metadata"]["name"], "worker-2");
    assert_eq!(events[1]["object"]["metadata"]["name"], "worker-0");

    server.compact();
    let mut watch = client.watch(&format!("/api/v1/namespaces/web/pods?watch=true&resourceVersion={rv}")).unwrap();
    let events = collect_events(&mut watch, Duration::from_secs(10));
    assert_eq!(types(&events), ["ERROR"]);
    assert_eq!(events[0]["object"]["code"], 410);
    assert_eq!(events[0]["object"]["reason"], "Expired");
    server.stop();
}

#[test]
fn a_watch_ends_at_the_servers_cut_whatever_its_timeout() {
    let server = start(Config { max_watch: Some(Duration::from_millis(500)), ..Config::default() });
    let started = Instant::now();
    let mut watch = server.client().watch("/apis/coordination.k8s.io/v1/leases?watch=1&timeoutSeconds=600").unwrap();
    let events = collect_events(&mut watch, Duration::from_secs(10));
    assert_eq!(types(&events), ["ADDED", "ADDED", "ADDED"]);
    assert!(started.elapsed() < Duration::from_secs(5));
    server.stop();
}

#[test]
fn rejects_requests_without_the_token() {
    let server = start(Config::default());
    for client in [server.client().with_token(None), server.client().with_token(Some("wrong"))] {
        let reply = client.get("/api/v1/pods").unwrap();
        assert_eq!(reply.status, 401);
        assert_eq!(reply.json()["reason"], "Unauthorized");
    }
    assert_eq!(server.client().get("/api/v1/pods").unwrap().status, 200);
    server.stop();
}

#[test]
fn forbids_a_chosen_resource() {
    let server = start(Config::default());
    server.forbid("roles");
    let client = server.client();
    let reply = client.get("/apis/rbac.authorization.k8s.io/v1/roles?limit=500").unwrap();
    assert_eq!(reply.status, 403);
    let status = reply.json();
    assert_eq!(
        (status["kind"].as_str(), status["reason"].as_str(), status["code"].as_u64()),
        (Some("Status"), Some("Forbidden"), Some(403))
    );
    assert!(status["message"].as_str().unwrap().contains("cannot list resource \"roles\""), "{status}");
    assert_eq!(client.get("/apis/rbac.authorization.k8s.io/v1/namespaces/web/roles?watch=1").unwrap().status, 403);
    assert_eq!(client.get("/apis/rbac.authorization.k8s.io/v1/rolebindings").unwrap().status, 200);
    server.stop();
}

#[test]
fn throttles_the_next_requests_with_retry_after() {
    let server = start(Config::default());
    server.throttle(2, 3);
    let client = server.client();
    for _ in 0..2 {
        let reply = client.get("/apis/apps/v1/deployments").unwrap();
        assert_eq!(reply.status, 429);
        assert_eq!(reply.header("retry-after"), Some("3"));
        assert_eq!(reply.json()["reason"], "TooManyRequests");
    }
    assert_eq!(client.get("/apis/apps/v1/deployments").unwrap().status, 200);
    server.stop();
}

#[test]
fn records_every_request() {
    let server = start(Config::default());
    let client = server.client();
    client.get("/api/v1/namespaces/web/pods?limit=500&labelSelector=app%3Dweb").unwrap();
    client.get("/api/v1/secrets").unwrap();
    client.get("/apis/coordination.k8s.io/v1/namespaces/web/leases/worker-0").unwrap();
    let log = server.requests();
    let seen: Vec<(&str, &str, u16)> = log.iter().map(|r| (r.method.as_str(), r.path.as_str(), r.status)).collect();
    assert_eq!(
        seen,
        [
            ("GET", "/api/v1/namespaces/web/pods", 200),
            ("GET", "/api/v1/secrets", 404),
            ("GET", "/apis/coordination.k8s.io/v1/namespaces/web/leases/worker-0", 200),
        ]
    );
    assert_eq!(log[0].query, "limit=500&labelSelector=app%3Dweb");
    assert_eq!(log[0].param("labelSelector").as_deref(), Some("app=web"));
    assert!(log[0].bytes > 100);
    assert_eq!(log[0].user_agent, "leaselint-test-client");
    server.clear_requests();
    assert!(server.requests().is_empty());
    server.stop();
}

#[test]
fn serves_discovery() {
    let server = start(Config::default());
    let client = server.client();
    assert_eq!(client.get("/version").unwrap().json()["major"], "1");
    let apis = client.get("/apis").unwrap().json();
    let groups: Vec<&str> = apis["groups"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(groups, ["apps", "batch", "policy", "autoscaling", "rbac.authorization.k8s.io", "coordination.k8s.io"]);
    let core = client.get("/api/v1").unwrap().json();
    assert_eq!(core["kind"], "APIResourceList");
    let plurals: Vec<&str> =
        core["resources"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert!(!plurals.contains(&"secrets") && !plurals.contains(&"configmaps"), "{plurals:?}");
    let leases = client.get("/apis/coordination.k8s.io/v1").unwrap().json();
    assert_eq!(leases["resources"][0]["kind"], "Lease");
    assert_eq!(leases["resources"][0]["namespaced"], true);
    server.stop();
}

#[test]
fn generates_a_cluster_at_scale_lazily() {
    let spec = ScaleSpec {
        nodes: 50,
        namespaces: 10,
        deployments: 100,
        pods: 20_000,
        statefulsets: 4,
        per_pod_leases: 200,
        node_lease_period: None,
        pod_lease_period: None,
    };
    let server = ApiServer::start(Config { scale: Some(spec), ..Config::default() }).unwrap();
    let client = server.client();
    let mut pods = 0;
    let mut pages = 0;
    let mut owners = std::collections::BTreeSet::new();
    let mut next = String::new();
    loop {
        let page = client.get(&format!("/api/v1/pods?limit=500&continue={next}")).unwrap().json();
        pages += 1;
        for pod in page["items"].as_array().unwrap() {
            pods += 1;
            owners.insert(pod["metadata"]["ownerReferences"][0]["kind"].as_str().unwrap().to_string());
        }
        match page["metadata"]["continue"].as_str() {
            Some(token) => next = token.to_string(),
            None => break,
        }
    }
    assert_eq!((pods, pages), (20_000, 40));
    assert_eq!(owners.into_iter().collect::<Vec<_>>(), ["ReplicaSet", "StatefulSet"]);

    // Pod → ReplicaSet → Deployment, by name and uid.
    let ns = client.get("/api/v1/namespaces/ns-0003/pods?limit=1").unwrap().json();
    let pod = &ns["items"][0];
    let rs_ref = &pod["metadata"]["ownerReferences"][0];
    let rs = client
        .get(&format!("/apis/apps/v1/namespaces/ns-0003/replicasets/{}", rs_ref["name"].as_str().unwrap()))
        .unwrap()
        .json();
    assert_eq!(rs["metadata"]["uid"], rs_ref["uid"]);
    let deploy_ref = &rs["metadata"]["ownerReferences"][0];
    let deploy = client
        .get(&format!("/apis/apps/v1/namespaces/ns-0003/deployments/{}", deploy_ref["name"].as_str().unwrap()))
        .unwrap()
        .json();
    assert_eq!(deploy["metadata"]["uid"], deploy_ref["uid"]);
    let name = pod["metadata"]["name"].as_str().unwrap();
    assert_eq!(
        client.get(&format!("/api/v1/namespaces/ns-0003/pods/{name}")).unwrap().json()["metadata"]["name"],
        name
    );

    // Leases: 50 node heartbeats, the API server identity, 200 per-pod leases of StatefulSet pods.
    let leases = client.get("/apis/coordination.k8s.io/v1/leases").unwrap().json();
    let items = leases["items"].as_array().unwrap();
    assert_eq!(items.len(), 251);
    assert_eq!(items.iter().filter(|l| l["metadata"]["namespace"] == "kube-node-lease").count(), 50);
    let identity = items.iter().find(|l| l["metadata"]["namespace"] == "kube-system").unwrap();
    assert_eq!(identity["metadata"]["labels"]["apiserver.kubernetes.io/identity"], "kube-apiserver");
    let per_pod = items.iter().find(|l| l["metadata"]["name"].as_str().unwrap().starts_with("sts-")).unwrap();
    let (ns, holder) =
        (per_pod["metadata"]["namespace"].as_str().unwrap(), per_pod["spec"]["holderIdentity"].as_str().unwrap());
    let holder_pod = client.get(&format!("/api/v1/namespaces/{ns}/pods/{holder}")).unwrap().json();
    assert_eq!(holder_pod["metadata"]["ownerReferences"][0]["kind"], "StatefulSet");
    server.stop();
}
