//! `leaselint serve` as the API server uses it: real AdmissionReviews over TLS with keep-alive
//! (a certificate made here with rcgen), every rule's fixture objects through `/validate` and
//! `/mutate` compared with what the linter and `--fix` make of the same object, malformed and
//! oversized bodies, certificate rotation while serving, and SIGTERM.

#![cfg(feature = "webhook")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use leaselint_test_apiserver::client::{Client, Reply};
use leaselint_test_apiserver::{parse_objects, resources};
use serde_json::{Value, json};

/// A CA and a serving certificate for 127.0.0.1 that it signed.
struct Certs {
    ca_der: Vec<u8>,
    cert_pem: String,
    key_pem: String,
}

fn certs(name: &str) -> Certs {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, format!("{name} CA"));
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    leaf.distinguished_name.push(DnType::CommonName, "leaselint-webhook");
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    Certs { ca_der: ca_cert.der().to_vec(), cert_pem: cert.pem(), key_pem: key.serialize_pem() }
}

/// A running `leaselint serve` (stopped by its pid when dropped).
struct Serve {
    child: Child,
    addr: SocketAddr,
    metrics: SocketAddr,
    ca_der: Vec<u8>,
    dir: tempfile::TempDir,
    log: Arc<Mutex<Vec<String>>>,
}

impl Serve {
    fn start(extra: &[&str]) -> Serve {
        let dir = tempfile::tempdir().unwrap();
        let c = certs("first");
        std::fs::write(dir.path().join("tls.crt"), &c.cert_pem).unwrap();
        std::fs::write(dir.path().join("tls.key"), &c.key_pem).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_leaselint"))
            .args(["--no-config", "serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--tls-cert"])
            .arg(dir.path().join("tls.crt"))
            .arg("--tls-key")
            .arg(dir.path().join("tls.key"))
            .args(["--cert-poll", "100ms"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let addr = |after: &str| -> SocketAddr {
            let rest = first.split(after).nth(1).unwrap_or_else(|| panic!("no {after} in {first:?}"));
            rest.split([' ', ',', ')']).next().unwrap().parse().unwrap()
        };
        let (addr, metrics) = (addr("webhook on https://"), addr("metrics on http://"));
        // The rest of the log, kept for the assertions (and so that the pipe never fills).
        let log = Arc::new(Mutex::new(vec![first]));
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Serve { child, addr, metrics, ca_der: c.ca_der, dir, log }
    }

    fn client(&self) -> Client {
        Client::new(self.addr, &self.ca_der, None)
    }

    /// A plain-HTTP GET on the metrics port: (status, body).
    fn get(&self, path: &str) -> (u16, String) {
        let mut tcp = std::net::TcpStream::connect(self.metrics).unwrap();
        write!(tcp, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        let mut text = String::new();
        tcp.read_to_string(&mut text).unwrap();
        let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
        (status, body)
    }

    fn terminate(&self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An AdmissionReview for `object` (its resource from the test API server's table).
fn review(object: &Value, operation: &str, old: Option<&Value>) -> Value {
    let api_version = object["apiVersion"].as_str().unwrap();
    let kind = object["kind"].as_str().unwrap();
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let plural = resources::by_kind(api_version, kind)
        .map_or_else(|| format!("{}s", kind.to_lowercase()), |r| r.plural.to_string());
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "6f1c1b52-9a3e-4a5e-9d38-1d2f0b6a7c11",
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": plural},
            "name": object["metadata"]["name"],
            "namespace": object["metadata"]["namespace"],
            "operation": operation,
            "userInfo": {"username": "system:serviceaccount:web:deployer"},
            "object": object,
            "oldObject": old,
            "dryRun": false
        }
    })
}

fn response(reply: &Reply) -> Value {
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let review = reply.json();
    assert_eq!(review["kind"], "AdmissionReview");
    assert_eq!(review["apiVersion"], "admission.k8s.io/v1");
    review["response"].clone()
}

fn warnings(response: &Value) -> Vec<String> {
    let mut w: Vec<String> = response["warnings"]
        .as_array()
        .map(|a| a.iter().map(|w| w.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    w.sort();
    w
}

/// The objects of every rule's fixtures that the API server serves, with a namespace (as the
/// API server fills it in before admission).
fn fixture_objects() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let root = common::repo().join("fixtures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    for dir in dirs.iter().filter(|d| d.file_name().unwrap().to_string_lossy().starts_with("LL")) {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files.iter().filter(|f| f.extension().is_some_and(|e| e == "yaml")) {
            // Duplicate keys (LL010's fixtures) are no object an API server would hold.
            let Ok(objects) = parse_objects(&std::fs::read_to_string(file).unwrap()) else { continue };
            for mut o in objects {
                let (Some(v), Some(k)) = (o["apiVersion"].as_str(), o["kind"].as_str()) else { continue };
                let (v, k) = (v.to_string(), k.to_string());
                let Some(res) = resources::by_kind(&v, &k) else { continue };
                if o["metadata"]["name"].as_str().is_none() || !common::valid(&o) {
                    // Not an object an API server would hold (a merge key YAML 1.2 left as is).
                    continue;
                }
                if res.namespaced && o["metadata"]["namespace"].as_str().is_none() {
                    o["metadata"]["namespace"] = Value::from("default");
                }
                let name = format!("{} {} {}", file.strip_prefix(&root).unwrap().display(), k, o["metadata"]["name"]);
                out.push((name, o));
            }
        }
    }
    out
}

/// Runs `leaselint ARGS FILE` on one object written to `dir` and returns the JSON report.
fn lint_one(dir: &Path, object: &Value, args: &[&str]) -> Value {
    let file = dir.join("object.yaml");
    std::fs::write(&file, object.to_string()).unwrap();
    let out = common::leaselint()
        .args(["--no-config", "--format", "json", "--exit-zero"])
        .args(args)
        .arg(&file)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)))
}

/// Kubernetes shows at most 256 characters of a warning: the webhook's cut.
fn cut(text: &str) -> String {
    if text.chars().count() <= 255 { text.to_string() } else { text.chars().take(254).chain(['…']).collect() }
}

#[test]
fn validate_warns_what_the_linter_finds_on_each_object() {
    let serve = Serve::start(&[]);
    let mut session = serve.client().session().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let objects = fixture_objects();
    assert!(objects.len() >= 40, "{} fixture objects", objects.len());
    let mut warned = 0;
    for (name, object) in &objects {
        let r = response(&session.post("/validate", review(object, "CREATE", None).to_string().as_bytes()).unwrap());
        assert_eq!(r["uid"], "6f1c1b52-9a3e-4a5e-9d38-1d2f0b6a7c11", "{name}");
        assert_eq!(r["allowed"], true, "{name}: no --deny-on");
        let mut got = warnings(&r);
        // A Lease with a pod label is a per-pod Lease at admission (LL001 (b) needs two in a run).
        let pod_label = object["kind"] == "Lease"
            && object["metadata"]["labels"].as_object().is_some_and(|l| {
                l.contains_key("statefulset.kubernetes.io/pod-name") || l.contains_key("apps.kubernetes.io/pod-index")
            });
        if pod_label {
            let before = got.len();
            got.retain(|w| !w.contains("carries the pod label"));
            assert_eq!(got.len() + 1, before, "{name}: the pod-label warning");
        }
        // The object alone, as a lint run of one file; what needs other objects is left out
        // (LL007-LL009, LL011; LL002 (b) on Roles).
        let report = lint_one(tmp.path(), object, &["--ignore", "LL007,LL008,LL009,LL011"]);
        let mut expected: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| !(f["rule"] == "LL002" && f["object"]["kind"].as_str().is_some_and(|k| k.ends_with("Role"))))
            .map(|f| {
                cut(&format!(
                    "{} {}: {}",
                    f["rule"].as_str().unwrap(),
                    f["name"].as_str().unwrap(),
                    f["message"].as_str().unwrap()
                ))
            })
            .collect();
        expected.sort();
        assert_eq!(got, expected, "{name}");
        assert!(got.iter().all(|w| w.chars().count() < 256));
        warned += got.len();
    }
    assert!(warned >= 30, "{warned} warnings");
    // The latency histogram and the warning counters count what was answered.
    let (status, metrics) = serve.get("/metrics");
    assert_eq!(status, 200);
    assert!(
        metrics.contains(&format!(
            "leaselint_admission_request_duration_seconds_count{{endpoint=\"validate\"}} {}",
            objects.len()
        )),
        "{metrics}"
    );
    assert!(metrics.contains("leaselint_admission_warnings_total{rule=\"LL006\"}"), "{metrics}");
}

/// Applies an RFC 6902 patch (base64 in the response) to `object`.
fn patched(object: &Value, response: &Value) -> Value {
    use base64::Engine;
    let Some(patch) = response["patch"].as_str() else { return object.clone() };
    assert_eq!(response["patchType"], "JSONPatch");
    let bytes = base64::engine::general_purpose::STANDARD.decode(patch).unwrap();
    let patch: json_patch::Patch = serde_json::from_slice(&bytes).unwrap();
    let mut out = object.clone();
    json_patch::patch(&mut out, &patch).unwrap();
    out
}

/// What `leaselint --fix` makes of the object (JSON in, JSON out on stdin).
fn fixed_by_cli(object: &Value, args: &[&str]) -> Value {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leaselint"))
        .args(["--no-config", "--fix", "--exit-zero", "--quiet"])
        .args(args)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(object.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn compare_mutations(serve: &Serve, rules: &str, fix_args: &[&str]) -> usize {
    let mut session = serve.client().session().unwrap();
    let mut mutated = 0;
    for (name, object) in fixture_objects() {
        if object["kind"].as_str().is_some_and(|k| k.ends_with("Role")) {
            // LL002 (b) (pod names in a Role) needs the workloads: not judged at admission.
            continue;
        }
        let r = response(&session.post("/mutate", review(&object, "CREATE", None).to_string().as_bytes()).unwrap());
        assert_eq!(r["allowed"], true);
        let after = patched(&object, &r);
        let mut expected = fixed_by_cli(&object, fix_args);
        if expected != object {
            let applied = after["metadata"]["annotations"]["leaselint.io/mutated"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: {r}"));
            assert!(applied.split(',').all(|c| rules.contains(c)), "{name}: {applied}");
            expected["metadata"]["annotations"]["leaselint.io/mutated"] = Value::from(applied);
            mutated += 1;
        } else {
            assert!(r.get("patch").is_none(), "{name}: nothing to fix, no patch: {r}");
        }
        assert_eq!(after, expected, "{name}: /mutate and --fix differ");
    }
    mutated
}

#[test]
fn mutate_patches_the_object_into_what_fix_makes_of_it() {
    // The default: LL006's safe fix.
    let serve = Serve::start(&[]);
    let mutated = compare_mutations(&serve, "LL006", &["--select", "LL006"]);
    assert!(mutated >= 5, "{mutated}");
    drop(serve);
    // The operator's list, applied whether safe or unsafe.
    let rules = "LL001,LL002,LL004,LL005,LL006";
    let serve = Serve::start(&["--mutate", rules]);
    let mutated = compare_mutations(&serve, rules, &["--unsafe-fixes", "--select", rules]);
    assert!(mutated >= 10, "{mutated}");
    let (_, metrics) = serve.get("/metrics");
    assert!(metrics.contains("leaselint_admission_mutations_total{rule=\"LL005\"}"), "{metrics}");
}

fn deployment(ndots: bool) -> Value {
    let mut spec = json!({"containers": [{"name": "api", "image": "example/api:1",
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}}]});
    if ndots {
        spec["dnsConfig"] = json!({"options": [{"name": "ndots", "value": "2"}]});
    }
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "web"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "api"}},
            "template": {"metadata": {"labels": {"app": "api"}}, "spec": spec}}})
}

#[test]
fn requests_as_the_api_server_sends_them() {
    let serve = Serve::start(&["--deny-on", "warning", "--deny-per-pod-leases"]);
    let mut session = serve.client().session().unwrap();
    // dryRun is answered like any request; --deny-on warning denies with 403 and the reasons.
    let mut dry = review(&deployment(false), "CREATE", None);
    dry["request"]["dryRun"] = Value::from(true);
    let r = response(&session.post("/validate", dry.to_string().as_bytes()).unwrap());
    assert_eq!(r["allowed"], false);
    assert_eq!(r["status"]["code"], 403);
    assert!(r["status"]["message"].as_str().unwrap().contains("LL006 ndots-default"), "{r}");
    // UPDATE: the new object is judged, not the old one.
    let update = review(&deployment(true), "UPDATE", Some(&deployment(false)));
    let r = response(&session.post("/validate", update.to_string().as_bytes()).unwrap());
    assert_eq!((r["allowed"].as_bool(), r.get("warnings")), (Some(true), None), "{r}");
    // An UPDATE that brings a finding is denied; one that keeps a finding the old object had
    // (a controller scaling it, a finalizer removed) is warned about and allowed.
    let update = review(&deployment(false), "UPDATE", Some(&deployment(true)));
    assert_eq!(response(&session.post("/validate", update.to_string().as_bytes()).unwrap())["allowed"], false);
    let mut scaled = deployment(false);
    scaled["spec"]["replicas"] = Value::from(5);
    let update = review(&scaled, "UPDATE", Some(&deployment(false)));
    let r = response(&session.post("/validate", update.to_string().as_bytes()).unwrap());
    assert_eq!(r["allowed"], true, "{r}");
    assert!(warnings(&r).iter().any(|w| w.starts_with("LL006 ndots-default")), "{r}");
    // DELETE carries no object to judge.
    let mut delete = review(&deployment(false), "DELETE", None);
    delete["request"]["object"] = Value::Null;
    delete["request"]["oldObject"] = deployment(false);
    assert_eq!(response(&session.post("/validate", delete.to_string().as_bytes()).unwrap())["allowed"], true);
    // An unknown kind: allowed, no warnings.
    let config_map = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "web"}, "data": {"a": "b"}});
    let r = response(&session.post("/validate", review(&config_map, "CREATE", None).to_string().as_bytes()).unwrap());
    assert_eq!((r["allowed"].as_bool(), r.get("warnings")), (Some(true), None), "{r}");
    // A per-pod Lease: created by the pod it is named after (the API server names the pod a
    // ServiceAccount token is bound to in userInfo.extra).
    let lease = json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "collector-0-lock", "namespace": "obs"}, "spec": {"holderIdentity": "collector-0"}});
    let mut create = review(&lease, "CREATE", None);
    create["request"]["userInfo"]["extra"] = json!({"authentication.kubernetes.io/pod-name": ["collector-0"]});
    let r = response(&session.post("/validate", create.to_string().as_bytes()).unwrap());
    assert_eq!(r["allowed"], false, "{r}");
    assert!(r["status"]["message"].as_str().unwrap().contains("named after the pod `collector-0`"), "{r}");
    // A shared lock created by a pod with another name: fine.
    create["request"]["object"]["metadata"]["name"] = Value::from("collector-leader");
    create["request"]["name"] = Value::from("collector-leader");
    let r = response(&session.post("/validate", create.to_string().as_bytes()).unwrap());
    assert_eq!((r["allowed"].as_bool(), r.get("warnings")), (Some(true), None), "{r}");

    // Malformed bodies: 400 with a message, and the connection goes on.
    for body in [&b"{not json"[..], br#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}"#, b"[]"] {
        let reply = session.post("/validate", body).unwrap();
        assert_eq!(reply.status, 400, "{}", String::from_utf8_lossy(&reply.body));
        assert!(reply.json()["message"].as_str().unwrap().contains("AdmissionReview"), "{}", reply.json());
    }
    // Over 3 MiB: 413 (the body is not read).
    let mut big = review(&deployment(false), "CREATE", None);
    big["request"]["object"]["metadata"]["annotations"] = json!({"pad": "x".repeat(3 * 1024 * 1024)});
    let reply = serve.client().session().unwrap().post("/validate", big.to_string().as_bytes());
    match reply {
        Ok(reply) => assert_eq!(reply.status, 413),
        // The server may close the connection before the client is done sending.
        Err(e) => {
            assert!(matches!(e.kind(), std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset), "{e}")
        }
    }
    let reply = session.post("/nowhere", b"{}").unwrap();
    assert_eq!(reply.status, 404);
    let (_, metrics) = serve.get("/metrics");
    assert!(metrics.contains("leaselint_admission_denials_total{rule=\"LL001\"} 1"), "{metrics}");
    assert!(metrics.contains("leaselint_admission_denials_total{rule=\"LL006\"} 2"), "{metrics}");
}

#[test]
fn a_rotated_certificate_is_served_without_a_restart() {
    let serve = Serve::start(&[]);
    let body = review(&deployment(true), "CREATE", None).to_string();
    let mut kept = serve.client().session().unwrap();
    assert_eq!(kept.post("/validate", body.as_bytes()).unwrap().status, 200);
    // cert-manager renews: a new key and a certificate from another CA, written in place.
    let next = certs("second");
    std::fs::write(serve.dir.path().join("tls.key"), &next.key_pem).unwrap();
    std::fs::write(serve.dir.path().join("tls.crt"), &next.cert_pem).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let renewed = Client::new(serve.addr, &next.ca_der, None);
    loop {
        if let Ok(mut s) = renewed.session() {
            assert_eq!(s.post("/validate", body.as_bytes()).unwrap().status, 200);
            break;
        }
        assert!(Instant::now() < deadline, "the new certificate was never served: {:?}", serve.log.lock().unwrap());
        std::thread::sleep(Duration::from_millis(50));
    }
    // New connections get the new certificate; the open one keeps working.
    assert!(serve.client().session().is_err(), "the old CA no longer verifies the server");
    assert_eq!(kept.post("/validate", body.as_bytes()).unwrap().status, 200);
    assert!(serve.log.lock().unwrap().iter().any(|l| l.contains("reloaded the certificate")));
}

#[test]
fn sigterm_fails_readiness_and_lets_requests_in_flight_finish() {
    let mut serve = Serve::start(&["--shutdown-grace", "10s"]);
    assert_eq!(serve.get("/readyz").0, 200);
    assert_eq!(serve.get("/healthz").0, 200);
    let body = review(&deployment(false), "CREATE", None).to_string();
    let mut session = serve.client().session().unwrap();
    // A request in flight: its head and half its body are sent.
    session.start_post("/validate", body.as_bytes(), body.len() / 2).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    serve.terminate();
    let deadline = Instant::now() + Duration::from_secs(5);
    while serve.get("/readyz").0 != 503 {
        assert!(Instant::now() < deadline, "readiness never failed");
        std::thread::sleep(Duration::from_millis(20));
    }
    // New connections are refused; the request in flight is answered.
    assert!(serve.client().session().and_then(|mut s| s.post("/validate", body.as_bytes())).is_err());
    let reply = session.finish(body.as_bytes(), body.len() / 2).unwrap();
    assert_eq!(response(&reply)["allowed"], true);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = serve.child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "still running after the grace");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}
