//! `leaselint serve` (SPEC §11): the admission webhook over HTTPS (`POST /validate`,
//! `POST /mutate`) and the metrics over plain HTTP (`/metrics`, `/healthz`, `/readyz`), on hyper
//! and rustls, on the tokio runtime the CLI starts. The certificate is reloaded when its files
//! change; SIGTERM fails readiness at once, lets in-flight requests finish and returns within
//! the shutdown grace. With `--watch-leases`, the lease watch fills the lease metrics
//! (`leases`) for the life of the server.

pub(crate) mod admission;
mod leases;
mod metrics;
mod tls;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;

pub(crate) use admission::{Admission, Endpoint, Mutation, mutation_config};
pub(crate) use metrics::Metrics;

/// The largest AdmissionReview body accepted, bytes (the API server's own request limit is
/// 3 MiB; a larger body is answered 413).
pub(crate) const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;
/// How long a client has for its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where and how to serve.
pub(crate) struct ServeOptions {
    pub(crate) addr: SocketAddr,
    pub(crate) metrics_addr: SocketAddr,
    pub(crate) tls_cert: PathBuf,
    pub(crate) tls_key: PathBuf,
    /// How often the certificate files are checked for a change.
    pub(crate) cert_poll: Duration,
    /// `--shutdown-grace`: the longest wait for in-flight requests after SIGTERM.
    pub(crate) shutdown_grace: Duration,
    /// Lines for the server's log (the CLI writes them to stderr).
    pub(crate) log: Arc<dyn Fn(String) + Send + Sync>,
    /// `--watch-leases`: where the lease watch connects (`None`: no lease metrics).
    pub(crate) watch_leases: Option<crate::cluster::ConnectOptions>,
}

/// What every connection shares.
struct Shared {
    admission: Admission,
    metrics: Metrics,
    /// False once SIGTERM arrived: `/readyz` answers 503.
    ready: AtomicBool,
}

type Body = Full<Bytes>;

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

fn json(status: StatusCode, body: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    response
}

/// A Kubernetes `Status` as the body of an error answer.
fn status(code: StatusCode, reason: &str, message: &str) -> Response<Body> {
    let body = serde_json::json!({
        "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "code": code.as_u16(),
        "message": message,
    });
    json(code, serde_json::to_vec(&body).unwrap_or_default())
}

/// One webhook request: `POST /validate` or `POST /mutate` with an AdmissionReview of at most
/// [`MAX_BODY_BYTES`].
async fn webhook(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let endpoint = match req.uri().path() {
        "/validate" => Endpoint::Validate,
        "/mutate" => Endpoint::Mutate,
        other => {
            return status(
                StatusCode::NOT_FOUND,
                "NotFound",
                &format!("no endpoint {other}: POST /validate or /mutate"),
            );
        }
    };
    if req.method() != Method::POST {
        return status(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "POST an AdmissionReview");
    }
    let started = Instant::now();
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    let too_large = || {
        status(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            &format!("the body is over {MAX_BODY_BYTES} bytes"),
        )
    };
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return too_large();
    }
    let body = match Limited::new(req.into_body(), MAX_BODY_BYTES).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => return too_large(),
        Err(e) => return status(StatusCode::BAD_REQUEST, "BadRequest", &format!("cannot read the body: {e}")),
    };
    let outcome = shared.admission.review(endpoint, &body);
    shared.metrics.observe(endpoint.as_str(), started.elapsed().as_secs_f64(), &outcome);
    let code = StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::OK);
    json(code, outcome.body)
}

/// One metrics-port request: `/metrics`, `/healthz`, `/readyz`.
fn plain(shared: &Shared, req: &Request<Incoming>) -> Response<Body> {
    match req.uri().path() {
        "/metrics" => {
            let mut response = text(StatusCode::OK, shared.metrics.encode());
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            );
            response
        }
        "/healthz" => text(StatusCode::OK, "ok\n"),
        "/readyz" if shared.ready.load(Ordering::SeqCst) => text(StatusCode::OK, "ok\n"),
        "/readyz" => text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n"),
        other => text(StatusCode::NOT_FOUND, format!("no page {other}: /metrics, /healthz, /readyz\n")),
    }
}

/// Binds an address, naming it in the error.
async fn bind(addr: SocketAddr, what: &str) -> Result<tokio::net::TcpListener, String> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr} ({what}): {e}"))
}

/// Waits for SIGTERM or SIGINT.
async fn terminated() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = async { match term.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// Serves until SIGTERM (or SIGINT); `bound` is called with the two addresses once both listen.
pub(crate) async fn serve(
    opts: ServeOptions,
    admission: Admission,
    mut metrics: Metrics,
    bound: impl FnOnce(SocketAddr, SocketAddr),
) -> Result<(), String> {
    let resolver = Arc::new(tls::Reloading::new(opts.tls_cert.clone(), opts.tls_key.clone())?);
    let acceptor = tokio_rustls::TlsAcceptor::from(tls::server_config(Arc::clone(&resolver))?);
    let listener = bind(opts.addr, "webhook").await?;
    let metrics_listener = bind(opts.metrics_addr, "metrics").await?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let metrics_addr = metrics_listener.local_addr().map_err(|e| e.to_string())?;
    // --watch-leases: one watch on Leases for the life of the server, into the same registry.
    let lease_watch = match &opts.watch_leases {
        Some(connect) => Some(leases::spawn(connect, metrics.register_leases(), Arc::clone(&opts.log)).await?),
        None => None,
    };
    let shared = Arc::new(Shared { admission, metrics, ready: AtomicBool::new(true) });
    bound(addr, metrics_addr);

    // The certificate files, checked for a change every `cert_poll`.
    let log = Arc::clone(&opts.log);
    let watcher = Arc::clone(&resolver);
    let poll = opts.cert_poll;
    let reload = tokio::spawn(async move {
        loop {
            tokio::time::sleep(poll).await;
            match watcher.reload_if_changed() {
                Ok(true) => log(format!("reloaded the certificate from {}", watcher.cert.display())),
                Ok(false) => {}
                Err(e) => log(format!("the new certificate files cannot be used yet (the old one is kept): {e}")),
            }
        }
    });

    let metrics_task = tokio::spawn(serve_metrics(metrics_listener, Arc::clone(&shared)));
    let graceful = GracefulShutdown::new();
    let stop = terminated();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else { continue };
                let _ = tcp.set_nodelay(true);
                let acceptor = acceptor.clone();
                let shared = Arc::clone(&shared);
                // The connection's HTTP part is watched, so that a shutdown lets its in-flight
                // request finish (a connection still in its handshake is simply dropped).
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |req| {
                        let shared = Arc::clone(&shared);
                        async move { Ok::<_, Infallible>(webhook(shared, req).await) }
                    });
                    let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), service);
                    let _ = watcher.watch(conn).await;
                });
            }
            () = &mut stop => break,
        }
    }
    // Not ready from now on; no new connections; in-flight requests finish within the grace.
    shared.ready.store(false, Ordering::SeqCst);
    drop(listener);
    (opts.log)(format!("shutting down: waiting up to {:?} for in-flight requests", opts.shutdown_grace));
    if tokio::time::timeout(opts.shutdown_grace, graceful.shutdown()).await.is_err() {
        (opts.log)("the shutdown grace ran out with requests still in flight".to_string());
    }
    reload.abort();
    metrics_task.abort();
    if let Some(task) = lease_watch {
        task.abort();
    }
    Ok(())
}

/// The metrics port: plain HTTP/1.1.
async fn serve_metrics(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else { continue };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let response = plain(&shared, &req);
                async move { Ok::<_, Infallible>(response) }
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tcp), service).await;
        });
    }
}
