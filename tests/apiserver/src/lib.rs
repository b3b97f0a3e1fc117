//! A Kubernetes API server for leaselint's tests, over TLS on loopback.
//!
//! It speaks the wire format `kubectl` and the `kube` client read for the resources of SPEC §9
//! (plus Namespaces and Nodes): discovery, `…List` responses with `metadata.resourceVersion` and
//! `continue`, pages that may be smaller than `limit` ([`Config::max_page`]), 410 Gone for an
//! expired continue token, watches as chunked JSON lines (ADDED, MODIFIED, DELETED, BOOKMARK)
//! that end after `timeoutSeconds`, `as=Table` answers for `kubectl get`, bearer-token auth, and
//! scripted faults (403 for a resource, 429 with `Retry-After` for the next N requests). Leases
//! are renewed on a clock. Every request is recorded.
//!
//! Start it in-process with [`ApiServer::start`] (a background thread with its own tokio
//! runtime; [`ApiServer::stop`] or drop ends it), or as its own process with the
//! `leaselint-test-apiserver` binary.

#![allow(clippy::missing_panics_doc)]

pub mod client;
mod http;
pub mod resources;
pub mod scale;
mod store;
mod table;
mod tls;
mod util;
mod watch;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::oneshot;

pub use scale::ScaleSpec;
pub use store::parse_objects;

/// How to start a server.
#[derive(Debug, Clone)]
pub struct Config {
    /// The bearer token every request must carry.
    pub token: String,
    /// At most this many items per list page, whatever `limit` asks (pages smaller than `limit`).
    pub max_page: Option<usize>,
    /// How often every Lease with a holder is renewed (`None`: never, until set per Lease).
    pub lease_renew_period: Option<Duration>,
    /// How often a watch that allows bookmarks gets a BOOKMARK.
    pub bookmark_interval: Duration,
    /// Every watch ends after this long, whatever its `timeoutSeconds` (the API server's
    /// `--min-request-timeout` cut).
    pub max_watch: Option<Duration>,
    /// Objects to serve from the start.
    pub objects: Vec<Value>,
    /// A generated cluster to serve as well.
    pub scale: Option<ScaleSpec>,
    /// The port on 127.0.0.1 (0: any free port).
    pub port: u16,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            token: "leaselint-test-token".to_string(),
            max_page: None,
            lease_renew_period: None,
            bookmark_interval: Duration::from_secs(1),
            max_watch: None,
            objects: Vec::new(),
            scale: None,
            port: 0,
        }
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    /// The raw query string (empty when none).
    pub query: String,
    pub accept: String,
    pub user_agent: String,
    /// The status the server answered with.
    pub status: u16,
    /// Bytes of the answer's body (0 for a watch, whose body is a stream).
    pub bytes: usize,
    /// The client authenticated with a certificate the server's CA signed (not a token).
    pub client_cert: bool,
}

impl RequestRecord {
    /// The decoded value of one query parameter.
    pub fn param(&self, name: &str) -> Option<String> {
        http::query_params(&self.query).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Whether this request is a watch.
    pub fn is_watch(&self) -> bool {
        self.param("watch").is_some_and(|v| v == "1" || v == "true")
    }
}

#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// Resources (plural or `plural.group`) answered with 403.
    forbidden: BTreeSet<String>,
    /// The next this-many requests get 429.
    throttle: u32,
    retry_after: u32,
}

pub(crate) struct State {
    store: Mutex<store::Store>,
    token: String,
    max_page: Option<usize>,
    bookmark_interval: Duration,
    max_watch: Option<Duration>,
    requests: Mutex<Vec<RequestRecord>>,
    faults: Mutex<Faults>,
    address: Mutex<String>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl State {
    fn store(&self) -> MutexGuard<'_, store::Store> {
        lock(&self.store)
    }
}

/// A running server. Dropping it stops it.
pub struct ApiServer {
    addr: SocketAddr,
    ca_pem: String,
    ca_der: Vec<u8>,
    client_cert_pem: String,
    client_key_pem: String,
    token: String,
    state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// An error starting the server.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

impl ApiServer {
    /// Generates the certificates, loads the objects, binds 127.0.0.1 and serves on a
    /// background thread.
    pub fn start(config: Config) -> Result<ApiServer, StartError> {
        let certs = tls::generate().map_err(StartError)?;
        let mut store = store::Store::new(config.lease_renew_period);
        for obj in config.objects {
            store.apply(obj).map_err(StartError)?;
        }
        if let Some(spec) = config.scale {
            let scale = scale::Scale::new(spec, util::rfc3339(util::unix_now()));
            for (obj, period) in scale.materialize() {
                let applied = store.apply(obj).map_err(StartError)?;
                if applied["kind"] == "Lease" {
                    let meta = &applied["metadata"];
                    let ns = meta["namespace"].as_str().unwrap_or_default();
                    let name = meta["name"].as_str().unwrap_or_default();
                    store.set_renewal(ns, name, period.or(config.lease_renew_period));
                }
            }
            store.scale = Some(scale);
        }
        let state = Arc::new(State {
            store: Mutex::new(store),
            token: config.token.clone(),
            max_page: config.max_page,
            bookmark_interval: config.bookmark_interval,
            max_watch: config.max_watch,
            requests: Mutex::new(Vec::new()),
            faults: Mutex::new(Faults::default()),
            address: Mutex::new(String::new()),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| StartError(e.to_string()))?;
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", config.port))
            .map_err(|e| StartError(format!("bind 127.0.0.1:{}: {e}", config.port)))?;
        std_listener.set_nonblocking(true).map_err(|e| StartError(e.to_string()))?;
        let addr = std_listener.local_addr().map_err(|e| StartError(e.to_string()))?;
        *lock(&state.address) = addr.to_string();
        let (tx, rx) = oneshot::channel();
        let serve_state = Arc::clone(&state);
        let acceptor = tokio_rustls::TlsAcceptor::from(certs.server_config);
        let thread = std::thread::Builder::new()
            .name("test-apiserver".to_string())
            .spawn(move || {
                runtime.block_on(async move {
                    if let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) {
                        tokio::spawn(renew_leases(Arc::clone(&serve_state)));
                        http::serve(listener, acceptor, serve_state, rx).await;
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(200));
            })
            .map_err(|e| StartError(e.to_string()))?;
        Ok(ApiServer {
            addr,
            ca_pem: certs.ca_pem,
            ca_der: certs.ca_der,
            client_cert_pem: certs.client_cert_pem,
            client_key_pem: certs.client_key_pem,
            token: config.token,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The CA certificate (PEM) that signed the server's certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// A small HTTPS client for this server that trusts its CA and sends its token.
    pub fn client(&self) -> client::Client {
        client::Client::new(self.addr, &self.ca_der, Some(self.token.clone()))
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// A kubeconfig with one cluster (server URL, CA data), one user (the token) and one
    /// context `test`, current.
    pub fn kubeconfig(&self) -> String {
        kubeconfig(&self.url(), &self.ca_pem, &self.token)
    }

    /// A kubeconfig like [`ApiServer::kubeconfig`] whose user authenticates with a client
    /// certificate the server's CA signed (`client-certificate-data`, `client-key-data`).
    pub fn client_cert_kubeconfig(&self) -> String {
        let user = format!(
            "    client-certificate-data: {}\n    client-key-data: {}",
            util::base64(self.client_cert_pem.as_bytes()),
            util::base64(self.client_key_pem.as_bytes())
        );
        kubeconfig_with_user(&self.url(), &self.ca_pem, &user)
    }

    /// Writes [`ApiServer::kubeconfig`] to `path`.
    pub fn write_kubeconfig(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.kubeconfig())
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.state.requests).clone()
    }

    /// Forgets the requests recorded so far.
    pub fn clear_requests(&self) {
        lock(&self.state.requests).clear();
    }

    /// Answers every request for `resource` (plural, e.g. `roles`, or `roles.rbac.authorization.k8s.io`)
    /// with 403 Forbidden.
    pub fn forbid(&self, resource: &str) {
        lock(&self.state.faults).forbidden.insert(resource.to_string());
    }

    /// Answers the next `requests` requests with 429 Too Many Requests and `Retry-After: seconds`.
    pub fn throttle(&self, requests: u32, retry_after_seconds: u32) {
        let mut faults = lock(&self.state.faults);
        faults.throttle = requests;
        faults.retry_after = retry_after_seconds;
    }

    /// Creates or replaces an object; watches see ADDED or MODIFIED.
    pub fn apply(&self, obj: Value) -> Result<Value, String> {
        self.state.store().apply(obj).map(|v| (*v).clone())
    }

    /// Deletes an object; watches see DELETED. Returns whether it existed.
    pub fn delete(&self, api_version: &str, kind: &str, namespace: &str, name: &str) -> bool {
        let Some(res) = resources::by_kind(api_version, kind) else { return false };
        self.state.store().delete(res, namespace, name).is_some()
    }

    /// Expires every continue token and watch resourceVersion handed out so far (410 Gone).
    pub fn compact(&self) {
        self.state.store().compact();
    }

    /// Sets how often one Lease is renewed (`None`: never).
    pub fn set_lease_renewal(&self, namespace: &str, name: &str, period: Option<Duration>) {
        self.state.store().set_renewal(namespace, name, period);
    }

    /// The newest resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.state.store().rv
    }

    /// One stored or generated object.
    pub fn get(&self, api_version: &str, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        let res = resources::by_kind(api_version, kind)?;
        self.state.store().get(res, namespace, name).map(|i| i.value().clone())
    }

    /// Stops serving: open connections and watches are cut.
    pub fn stop(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

/// A kubeconfig for `server` with the CA's PEM as `certificate-authority-data` and a token.
pub fn kubeconfig(server: &str, ca_pem: &str, token: &str) -> String {
    kubeconfig_with_user(server, ca_pem, &format!("    token: {token}"))
}

/// A kubeconfig with one cluster (`server`, the CA's PEM as `certificate-authority-data`), one
/// user `test` whose fields are `user` (lines indented by four spaces) and one context `test`,
/// current.
fn kubeconfig_with_user(server: &str, ca_pem: &str, user: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {server}\n    \
         certificate-authority-data: {}\nusers:\n- name: test\n  user:\n{user}\n\
         contexts:\n- name: test\n  context:\n    cluster: test\n    user: test\ncurrent-context: test\n",
        util::base64(ca_pem.as_bytes())
    )
}

/// Renews due Leases, paced by the shortest renewal period (checked at least every 50 ms for
/// periods set later).
async fn renew_leases(state: Arc<State>) {
    loop {
        let pause = state
            .store()
            .shortest_period()
            .map_or(Duration::from_millis(50), |p| (p / 4).max(Duration::from_millis(2)));
        tokio::time::sleep(pause.min(Duration::from_millis(50))).await;
        state.store().renew_due(Instant::now());
    }
}
