//! The live cluster (SPEC §9): connecting as kubectl does (the `kube` client), paginated reads
//! that keep only the facts the census needs, and the lease census. Async code lives here only;
//! the CLI starts a tokio runtime for `audit` alone.
//!
//! First part of `leaselint audit`: the census and its impact table, with estimated rates, the
//! client-side rate limit and retries, and renewals measured with one watch. Not yet: the rules
//! on live objects (see the README's "Live cluster" section).

mod census;
mod sample;

use std::path::PathBuf;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

pub(crate) use census::{Census, LeaseRecord, classify};
pub(crate) use sample::{Renewals, sample};

/// The resources the census reads (`read_census`) per namespace scope: when every one fails,
/// nothing was read.
pub(crate) const CENSUS_RESOURCES: usize = 3;

/// Objects asked for per list request (SPEC §9: `limit` 500, `continue`).
pub(crate) const PAGE_SIZE: u32 = 500;

/// Where to connect: as kubectl resolves it.
#[derive(Clone, Debug, Default)]
pub(crate) struct ConnectOptions {
    /// `--kubeconfig FILE`; else `KUBECONFIG`, `~/.kube/config`, or the in-cluster ServiceAccount.
    pub(crate) kubeconfig: Option<PathBuf>,
    /// `--context NAME`; else the kubeconfig's current context.
    pub(crate) context: Option<String>,
}

/// A connected client and what it connected to.
pub(crate) struct Connection {
    pub(crate) client: kube::Client,
    pub(crate) context: Option<String>,
    pub(crate) server: String,
}

/// Connects as kubectl does; the error names what was tried.
pub(crate) async fn connect(o: &ConnectOptions) -> Result<Connection, String> {
    let options = KubeConfigOptions { context: o.context.clone(), cluster: None, user: None };
    let (config, context) = match &o.kubeconfig {
        Some(path) => {
            let kubeconfig = Kubeconfig::read_from(path)
                .map_err(|e| format!("cannot read the kubeconfig {}: {e}", path.display()))?;
            let context = o.context.clone().or_else(|| kubeconfig.current_context.clone());
            let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| format!("{}: {e}", path.display()))?;
            (config, context)
        }
        None if o.context.is_some() => {
            let config = kube::Config::from_kubeconfig(&options).await.map_err(|e| format!("kubeconfig: {e}"))?;
            (config, o.context.clone())
        }
        None => {
            let context = Kubeconfig::read().ok().and_then(|k| k.current_context);
            let config = kube::Config::infer().await.map_err(|e| {
                format!("no cluster to connect to ({e}); give --kubeconfig FILE, set KUBECONFIG, or run in a pod")
            })?;
            (config, context)
        }
    };
    let server = config.cluster_url.to_string();
    let client = kube::Client::try_from(config).map_err(|e| format!("cannot build the client for {server}: {e}"))?;
    Ok(Connection { client, context, server })
}

/// Counts of what the audit asked the API server.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub(crate) struct ApiUse {
    pub(crate) requests: u64,
    pub(crate) lists: u64,
    pub(crate) watches: u64,
}

/// A resource that could not be read, for the report's `errors`.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct ReadError {
    pub(crate) resource: String,
    pub(crate) message: String,
}

/// The client-side rate limit (`--qps`, `--burst`): a token bucket that requests wait on.
#[derive(Debug)]
pub(crate) struct RateLimit {
    qps: f64,
    burst: f64,
    tokens: f64,
    last: std::time::Instant,
}

impl RateLimit {
    /// `qps` requests per second on average, `burst` at once (the audit's defaults are 20 and
    /// 40, as SPEC §9 sets them).
    pub(crate) fn new(qps: f64, burst: u32) -> RateLimit {
        let burst = f64::from(burst.max(1));
        RateLimit { qps: qps.max(0.01), burst, tokens: burst, last: std::time::Instant::now() }
    }

    /// Waits until a request may go.
    async fn acquire(&mut self) {
        loop {
            let now = std::time::Instant::now();
            self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * self.qps).min(self.burst);
            self.last = now;
            if self.tokens >= 1.0 {
                self.tokens -= 1.0;
                return;
            }
            let wait = (1.0 - self.tokens) / self.qps;
            tokio::time::sleep(std::time::Duration::from_secs_f64(wait)).await;
        }
    }
}

/// Attempts per request before its error is reported (429 and 5xx answers are retried).
const ATTEMPTS: u32 = 6;
/// The first backoff, doubled after each retry, when the answer names no `Retry-After`.
const FIRST_BACKOFF_SECONDS: f64 = 0.5;
/// The longest single wait, whatever the server asks.
const MAX_WAIT_SECONDS: f64 = 30.0;

/// One list request with the rate limit, and retries with backoff on 429 and 5xx that honour
/// the server's `retryAfterSeconds` (the `Retry-After` of a `Status`).
async fn list_page<K>(
    api: &Api<K>,
    params: &ListParams,
    limit: &mut RateLimit,
    usage: &mut ApiUse,
) -> Result<kube::core::ObjectList<K>, kube::Error>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let mut backoff = FIRST_BACKOFF_SECONDS;
    let mut attempt = 1;
    loop {
        limit.acquire().await;
        usage.requests += 1;
        usage.lists += 1;
        match api.list(params).await {
            Err(kube::Error::Api(status)) if (status.code == 429 || status.code >= 500) && attempt < ATTEMPTS => {
                let asked = status.details.as_ref().map(|d| d.retry_after_seconds).filter(|s| *s > 0).map(f64::from);
                let wait = asked.unwrap_or(backoff).min(MAX_WAIT_SECONDS);
                tokio::time::sleep(std::time::Duration::from_secs_f64(wait)).await;
                backoff *= 2.0;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Lists every object of a resource, page by page (following `continue`; a page may hold fewer
/// items than asked), handing each to `each` as it arrives so that no full list is kept. An
/// expired `continue` token (410 Gone) starts the list again from the first page, once: `each`
/// must accept an object twice.
async fn list_each<K>(
    api: &Api<K>,
    limit: &mut RateLimit,
    usage: &mut ApiUse,
    mut each: impl FnMut(K),
) -> Result<String, kube::Error>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let first = ListParams::default().limit(PAGE_SIZE);
    let mut version = String::new();
    let mut params = first.clone();
    let mut restarted = false;
    loop {
        let page = match list_page(api, &params, limit, usage).await {
            Err(kube::Error::Api(status)) if status.code == 410 && !restarted => {
                restarted = true;
                params = first.clone();
                continue;
            }
            other => other?,
        };
        let next = page.metadata.continue_.clone().filter(|c| !c.is_empty());
        if params.continue_token.is_none() {
            // The first page's resourceVersion is the list's snapshot (a watch starts there).
            version = page.metadata.resource_version.clone().unwrap_or_default();
        }
        for item in page.items {
            each(item);
        }
        match next {
            Some(token) => params = params.continue_token(&token),
            None => return Ok(version),
        }
    }
}

/// Reads what the census needs — Pods (name and owner), ReplicaSets (owner), then Leases — in
/// every namespace, or in each of `namespaces` (`-n`). A resource that fails (403, …) goes to
/// `errors` and the rest is read.
pub(crate) async fn read_census(
    client: &kube::Client,
    namespaces: &[String],
    limit: &mut RateLimit,
    usage: &mut ApiUse,
    errors: &mut Vec<ReadError>,
) -> Census {
    let mut census = Census::default();
    let scopes: Vec<Option<&str>> =
        if namespaces.is_empty() { vec![None] } else { namespaces.iter().map(|n| Some(n.as_str())).collect() };
    let failed = |resource: &str, scope: Option<&str>, e: kube::Error, errors: &mut Vec<ReadError>| {
        let resource = scope.map_or_else(|| resource.to_string(), |ns| format!("{resource} in {ns}"));
        errors.push(ReadError { resource, message: e.to_string() });
    };
    fn api<K>(client: &kube::Client, scope: Option<&str>) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        K::DynamicType: Default,
    {
        match scope {
            Some(ns) => Api::namespaced(client.clone(), ns),
            None => Api::all(client.clone()),
        }
    }
    census.pods_read = true;
    for &scope in &scopes {
        let pods: Api<Pod> = api(client, scope);
        if let Err(e) = list_each(&pods, limit, usage, |p| census.add_pod(&p.metadata)).await {
            census.pods_read = false;
            failed("pods", scope, e, errors);
        }
        let replica_sets: Api<ReplicaSet> = api(client, scope);
        if let Err(e) = list_each(&replica_sets, limit, usage, |r| census.add_replica_set(&r.metadata)).await {
            failed("replicasets.apps", scope, e, errors);
        }
    }
    // Leases last: the sampling watch starts at their list's resourceVersion, which must still
    // be in the server's watch history.
    for &scope in &scopes {
        let leases: Api<Lease> = api(client, scope);
        match list_each(&leases, limit, usage, |l| census.add_lease(&l)).await {
            Ok(version) => census.lease_version = Some(version),
            Err(e) => failed("leases.coordination.k8s.io", scope, e, errors),
        }
    }
    census.namespaces = namespaces.to_vec();
    census
}
