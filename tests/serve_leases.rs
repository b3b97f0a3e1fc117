//! `leaselint serve --watch-leases` against the test API server (tests/apiserver: TLS, Leases
//! renewed every 100 ms, watches cut by the server after 1 s): the lease metrics on `/metrics`
//! (counts per namespace and class, renewals, intervals, the lag of one late renewal), one
//! watch at a time in every namespace, resumed where the server cut it, a re-list after 410,
//! the watch reported down when the API server goes, and a clean exit on SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use leaselint_test_apiserver::{ApiServer, Config, parse_objects};

const UUID: &str = "6a1e0c8e-0a4f-4d0b-8f43-7d9f8b6c5aaa";

/// A node heartbeat, an API server identity, a StatefulSet's three per-pod Leases, a
/// leader-election lock held by a Deployment's pod (client-go's `<pod>_<uuid>`), and an unheld
/// Lease (never renewed).
fn cluster() -> String {
    format!(
        r#"
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {{name: node-1, namespace: kube-node-lease}}
spec: {{holderIdentity: node-1, leaseDurationSeconds: 40}}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: apiserver-abc
  namespace: kube-system
  labels: {{apiserver.kubernetes.io/identity: kube-apiserver}}
spec: {{holderIdentity: apiserver-abc_{UUID}, leaseDurationSeconds: 3600}}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {{name: collector-0, namespace: obs}}
spec: {{holderIdentity: collector-0, leaseDurationSeconds: 15}}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {{name: collector-1, namespace: obs}}
spec: {{holderIdentity: collector-1, leaseDurationSeconds: 15}}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {{name: collector-2, namespace: obs}}
spec: {{holderIdentity: collector-2, leaseDurationSeconds: 15}}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {{name: api-lock, namespace: web}}
spec: {{holderIdentity: api-7d9f8b6c5-x2x4z_{UUID}, leaseDurationSeconds: 15}}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {{name: spare, namespace: web}}
spec: {{leaseDurationSeconds: 15}}
"#
    )
}

/// A self-signed certificate for the webhook (its HTTPS port is not used here).
fn write_cert(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (dir.join("tls.crt"), dir.join("tls.key"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    (cert, key)
}

/// The running `leaselint serve`, its stderr lines as they come, and its metrics address.
struct Serve {
    /// `None` once terminated.
    child: Option<Child>,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
    metrics: SocketAddr,
}

impl Serve {
    fn start(kubeconfig: &Path, cert: &Path, key: &Path) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_leaselint"))
            .args(["--no-config", "serve", "--watch-leases", "--kubeconfig"])
            .arg(kubeconfig)
            .args(["--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--tls-cert"])
            .arg(cert)
            .arg("--tls-key")
            .arg(key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut serve = Serve { child: Some(child), lines, log: Vec::new(), metrics: "127.0.0.1:0".parse().unwrap() };
        let line = serve.wait_for_line("metrics on http://", Duration::from_secs(10));
        let addr = line.rsplit("metrics on http://").next().unwrap().trim();
        serve.metrics = addr.parse().unwrap_or_else(|e| panic!("{addr}: {e}"));
        serve
    }

    /// Whether a stderr line so far contains `text`.
    fn has_line(&mut self, text: &str) -> bool {
        self.log.extend(self.lines.try_iter());
        self.log.iter().any(|l| l.contains(text))
    }

    /// Waits for a stderr line that contains `text`.
    fn wait_for_line(&mut self, text: &str, timeout: Duration) -> String {
        let end = Instant::now() + timeout;
        if let Some(line) = self.log.iter().find(|l| l.contains(text)) {
            return line.clone();
        }
        while let Ok(line) = self.lines.recv_timeout(end.saturating_duration_since(Instant::now())) {
            self.log.push(line.clone());
            if line.contains(text) {
                return line;
            }
        }
        panic!("no line with `{text}` on stderr:\n{}", self.log.join("\n"));
    }

    /// Scrapes `/metrics` over plain HTTP/1.1.
    fn scrape(&self) -> Metrics {
        let mut tcp = TcpStream::connect(self.metrics).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(tcp, "GET /metrics HTTP/1.1\r\nHost: leaselint\r\nConnection: close\r\n\r\n").unwrap();
        let mut answer = String::new();
        tcp.read_to_string(&mut answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        Metrics::parse(body)
    }

    /// Scrapes until `ready` holds for the metrics, or panics with the last ones.
    fn scrape_until(&self, what: &str, timeout: Duration, ready: impl Fn(&Metrics) -> bool) -> Metrics {
        let end = Instant::now() + timeout;
        loop {
            let m = self.scrape();
            if ready(&m) {
                return m;
            }
            if Instant::now() > end {
                panic!("{what}: not within {timeout:?}:\n{}", m.text);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, then the exit code.
    fn terminate(mut self) -> (Option<i32>, Vec<String>) {
        let mut child = self.child.take().unwrap();
        let pid = child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        self.log.extend(self.lines.try_iter());
        (status.code(), std::mem::take(&mut self.log))
    }
}

impl Drop for Serve {
    /// A test that failed midway leaves no server behind.
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Polls the API server's request log every 10 ms in the background, noting when each watch
/// request first appears (its path and resourceVersion), so that watches that overlap would
/// show up as starts close together.
struct WatchLog {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Vec<Watch>>,
}

/// A watch request: when it was first seen, its path, its resourceVersion.
#[derive(Debug)]
struct Watch {
    seen: Instant,
    path: String,
    version: Option<String>,
}

impl WatchLog {
    fn start(server: &Arc<ApiServer>) -> WatchLog {
        let stop = Arc::new(AtomicBool::new(false));
        let (server, flag) = (Arc::clone(server), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let mut seen: Vec<Watch> = Vec::new();
            while !flag.load(Ordering::SeqCst) {
                let watches: Vec<_> = server.requests().into_iter().filter(|r| r.is_watch()).collect();
                for w in watches.iter().skip(seen.len()) {
                    seen.push(Watch {
                        seen: Instant::now(),
                        path: w.path.clone(),
                        version: w.param("resourceVersion"),
                    });
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            seen
        });
        WatchLog { stop, thread }
    }

    fn finish(self) -> Vec<Watch> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap()
    }
}

/// One scrape: every sample by name and labels.
struct Metrics {
    text: String,
    samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Metrics {
    fn parse(text: &str) -> Metrics {
        let mut samples = Vec::new();
        for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
            let (series, value) = line.rsplit_once(' ').unwrap();
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split(',')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap();
                    (k.to_string(), v.trim_matches('"').to_string())
                })
                .collect();
            samples.push((name.to_string(), labels, value.parse().unwrap()));
        }
        Metrics { text: text.to_string(), samples }
    }

    /// The sample `name` whose labels are exactly `labels`.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples.iter().find_map(|(n, l, v)| {
            let same = n == name
                && l.len() == labels.len()
                && labels.iter().all(|(k, want)| l.get(*k).is_some_and(|got| got == want));
            same.then_some(*v)
        })
    }

    /// A sample of a lease family for a namespace and class (0 when absent).
    fn lease(&self, name: &str, namespace: &str, class: &str) -> f64 {
        self.get(name, &[("namespace", namespace), ("class", class)]).unwrap_or(0.0)
    }

    /// A histogram bucket for a namespace and class (0 when absent).
    fn bucket(&self, name: &str, le: &str, namespace: &str, class: &str) -> f64 {
        self.get(&format!("{name}_bucket"), &[("le", le), ("namespace", namespace), ("class", class)]).unwrap_or(0.0)
    }
}

const LEASES: &str = "leaselint_leases";
const RENEWALS: &str = "leaselint_lease_renewals_total";
const INTERVAL: &str = "leaselint_lease_renew_interval_seconds";
const LAG: &str = "leaselint_lease_renew_lag_seconds";
const UP: &str = "leaselint_lease_watch_up";
const LEASES_PATH: &str = "/apis/coordination.k8s.io/v1/leases";

#[test]
fn lease_metrics_follow_renewals_with_one_watch() {
    let test_started = Instant::now();
    let max_watch = Duration::from_secs(1);
    let config = Config {
        objects: parse_objects(&cluster()).unwrap(),
        lease_renew_period: Some(Duration::from_millis(100)),
        max_watch: Some(max_watch),
        ..Config::default()
    };
    let server = Arc::new(ApiServer::start(config).unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = tmp.path().join("kubeconfig");
    server.write_kubeconfig(&kubeconfig).unwrap();
    let (cert, key) = write_cert(tmp.path());
    let watch_log = WatchLog::start(&server);
    let mut serve = Serve::start(&kubeconfig, &cert, &key);

    // The Leases by namespace and class, without Pods.
    let m = serve.scrape_until("the Leases counted", Duration::from_secs(5), |m| m.get(UP, &[]) == Some(1.0));
    for (namespace, class, n) in [
        ("kube-node-lease", "node-heartbeat", 1.0),
        ("kube-system", "apiserver-identity", 1.0),
        ("obs", "per-pod", 3.0),
        ("web", "leader-election", 1.0),
        ("web", "other", 1.0),
    ] {
        assert_eq!(m.lease(LEASES, namespace, class), n, "{namespace} {class}:\n{}", m.text);
    }
    assert_eq!(m.samples.iter().filter(|s| s.0 == LEASES).count(), 5, "{}", m.text);

    // Renewals counted and increasing; intervals near the 100 ms period.
    let first = serve.scrape_until("renewals", Duration::from_secs(5), |m| m.lease(RENEWALS, "obs", "per-pod") >= 15.0);
    let later = serve.scrape_until("more renewals", Duration::from_secs(5), |m| {
        m.lease(RENEWALS, "obs", "per-pod") >= first.lease(RENEWALS, "obs", "per-pod") + 6.0
    });
    assert!(later.lease(RENEWALS, "kube-node-lease", "node-heartbeat") >= 3.0, "{}", later.text);
    assert_eq!(later.lease(RENEWALS, "web", "other"), 0.0, "the unheld Lease is never renewed");
    let count = later.lease(&format!("{INTERVAL}_count"), "obs", "per-pod");
    let sum = later.lease(&format!("{INTERVAL}_sum"), "obs", "per-pod");
    assert!(count >= 12.0, "{}", later.text);
    let mean = sum / count;
    assert!((0.09..0.2).contains(&mean), "mean interval {mean} s for a 100 ms period:\n{}", later.text);
    assert!(later.lease(RENEWALS, "obs", "per-pod") >= count, "{}", later.text);

    // One renewal of collector-1 comes ~1.2 s late, then the period is 100 ms again.
    let renew_time =
        || server.get("coordination.k8s.io/v1", "Lease", "obs", "collector-1").unwrap()["spec"]["renewTime"].clone();
    server.set_lease_renewal("obs", "collector-1", Some(Duration::from_millis(1200)));
    // Nothing renews it before the new period has passed.
    let before = renew_time();
    let slowed = Instant::now();
    while renew_time() == before {
        assert!(slowed.elapsed() < Duration::from_secs(5), "collector-1 was not renewed");
        std::thread::sleep(Duration::from_millis(2));
    }
    server.set_lease_renewal("obs", "collector-1", Some(Duration::from_millis(100)));
    assert!(slowed.elapsed() >= Duration::from_millis(1150), "{:?}", slowed.elapsed());
    let lag_count = format!("{LAG}_count");
    let lagged = serve.scrape_until("the late renewal", Duration::from_secs(5), |m| {
        m.lease(&lag_count, "obs", "per-pod") > m.bucket(LAG, "0.5", "obs", "per-pod")
    });
    let (lags, on_time) = (lagged.lease(&lag_count, "obs", "per-pod"), lagged.bucket(LAG, "0.5", "obs", "per-pod"));
    assert_eq!(lags - on_time, 1.0, "one late renewal, the others on time:\n{}", lagged.text);
    assert_eq!(lagged.bucket(LAG, "1.0", "obs", "per-pod"), on_time, "about 1.1 s late:\n{}", lagged.text);
    assert_eq!(lagged.bucket(LAG, "2.0", "obs", "per-pod"), lags, "{}", lagged.text);
    assert!(lagged.lease(&format!("{LAG}_sum"), "obs", "per-pod") >= 1.0, "{}", lagged.text);
    // On-time renewals land in the lowest bucket.
    for (namespace, class) in [("kube-node-lease", "node-heartbeat"), ("web", "leader-election")] {
        let count = lagged.lease(&lag_count, namespace, class);
        assert!(count >= 1.0, "{namespace} {class}:\n{}", lagged.text);
        assert_eq!(lagged.bucket(LAG, "0.5", namespace, class), count, "{namespace} {class}:\n{}", lagged.text);
    }

    // A deleted Lease leaves the count; collector-0 and -1 are still a group.
    assert!(server.delete("coordination.k8s.io/v1", "Lease", "obs", "collector-2"));
    serve.scrape_until("the deleted Lease", Duration::from_secs(5), |m| m.lease(LEASES, "obs", "per-pod") == 2.0);

    // One watch at a time, in every namespace: each starts after the server cut the one before
    // (1 s), from the resourceVersion where that one stopped; the Leases were listed once.
    let cut = Instant::now();
    while server.requests().iter().filter(|r| r.is_watch()).count() < 3 {
        assert!(cut.elapsed() < Duration::from_secs(5), "the watch was not opened again");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(50));
    let watches = watch_log.finish();
    assert!(watches.len() >= 3, "the server cut the watch every second: {watches:?}");
    assert!(watches.iter().all(|w| w.path == LEASES_PATH), "never one per namespace: {watches:?}");
    for pair in watches.windows(2) {
        let gap = pair[1].seen - pair[0].seen;
        assert!(gap >= max_watch - Duration::from_millis(150), "two watches {gap:?} apart: {watches:?}");
    }
    let versions: Vec<u64> = watches.iter().map(|w| w.version.as_deref().unwrap().parse().unwrap()).collect();
    assert!(versions[0] > 0 && versions.windows(2).all(|v| v[0] < v[1]), "resumed where it stopped: {versions:?}");
    let lease_lists = || server.requests().iter().filter(|r| r.path == LEASES_PATH && !r.is_watch()).count();
    assert_eq!(lease_lists(), 1);

    // Compactions until a resumed watch gets 410: the Leases are listed again, and counted as
    // before. (A compaction expires the resourceVersion a watch resumes from only when it comes
    // between the watch's last event and the next watch, hence many.)
    let compacting = Instant::now();
    while !serve.has_line("(410): listing") {
        assert!(compacting.elapsed() < Duration::from_secs(5), "no 410:\n{}", serve.log.join("\n"));
        server.compact();
        std::thread::sleep(Duration::from_millis(2));
    }
    while lease_lists() < 2 {
        assert!(compacting.elapsed() < Duration::from_secs(10), "not listed again");
        std::thread::sleep(Duration::from_millis(10));
    }
    let relisted = serve.scrape_until("the re-list", Duration::from_secs(5), |m| {
        m.lease(LEASES, "obs", "per-pod") == 2.0 && m.get(UP, &[]) == Some(1.0)
    });
    assert_eq!(relisted.lease(LEASES, "web", "leader-election"), 1.0);
    let renewed = relisted.lease(RENEWALS, "obs", "per-pod");
    serve.scrape_until("renewals after the re-list", Duration::from_secs(5), |m| {
        m.lease(RENEWALS, "obs", "per-pod") > renewed + 3.0
    });

    // The API server goes away: the watch is down, and the log says why.
    Arc::try_unwrap(server).ok().unwrap().stop();
    serve.scrape_until("the watch down", Duration::from_secs(10), |m| m.get(UP, &[]) == Some(0.0));
    serve.wait_for_line("the Lease watch failed", Duration::from_secs(5));

    let (code, log) = serve.terminate();
    assert_eq!(code, Some(0), "{}", log.join("\n"));
    assert!(test_started.elapsed() < Duration::from_secs(20), "{:?}", test_started.elapsed());
}
