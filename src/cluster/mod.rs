//! The live cluster (SPEC §9): connecting as kubectl does (the `kube` client), paginated reads
//! that keep only the facts the census needs, and the lease census. Async code lives here only;
//! the CLI starts a tokio runtime for `audit` alone.
//!
//! First part of `leaselint audit`: the census and its impact table, with estimated rates, the
//! client-side rate limit and retries, and renewals measured with one watch. Not yet: the rules
//! on live objects (see the README's "Live cluster" section).
//!
//! For `serve --watch-leases`: the same watch for the life of the server (`follow`), feeding the
//! pure lease tracker (`tracker`: classes without Pods, `rhythm`: renewal intervals and lag).

mod census;
mod follow;
mod objects;
mod rhythm;
mod sample;
mod tracker;
mod watch;

use std::path::PathBuf;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

pub(crate) use census::{Census, LeaseRecord, classify};
pub(crate) use follow::follow_leases;
pub(crate) use objects::LiveObjects;
pub(crate) use rhythm::Renewal;
pub(crate) use sample::{Renewals, sample};
pub(crate) use tracker::LeaseSink;

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

/// What the audit read: the census, the objects the rules read, and how many lists succeeded.
#[derive(Debug, Default)]
pub(crate) struct ClusterRead {
    pub(crate) census: Census,
    pub(crate) objects: LiveObjects,
    /// Resources listed without error (per namespace with `-n`): 0 means nothing could be read.
    pub(crate) listed: usize,
    /// The API server could not be reached at all (the first list failed without an answer, or
    /// with 401 for the credentials): why, and nothing else was asked.
    pub(crate) unreachable: Option<String>,
}

/// How a list's objects are taken in.
trait Take<K> {
    fn take(read: &mut ClusterRead, object: K);
}

/// Objects the rules read, kept whole (reduced to what a manifest holds).
struct Lint;

impl<K: kube::Resource<DynamicType = ()> + serde::Serialize> Take<K> for Lint {
    fn take(read: &mut ClusterRead, object: K) {
        read.objects.add(&object);
    }
}

impl Take<Pod> for Census {
    fn take(read: &mut ClusterRead, pod: Pod) {
        read.census.add_pod(&pod.metadata);
        if objects::lint_pod(&pod.metadata) {
            read.objects.add(&pod);
        }
    }
}

impl Take<ReplicaSet> for Census {
    fn take(read: &mut ClusterRead, rs: ReplicaSet) {
        read.census.add_replica_set(&rs.metadata);
        if objects::lint_owned(&rs.metadata) {
            read.objects.add(&rs);
        }
    }
}

impl Take<Job> for Census {
    fn take(read: &mut ClusterRead, job: Job) {
        if objects::lint_owned(&job.metadata) {
            read.objects.add(&job);
        }
    }
}

impl Take<Lease> for Census {
    fn take(read: &mut ClusterRead, lease: Lease) {
        read.census.add_lease(&lease);
        if objects::lint_lease(&lease.metadata) {
            read.objects.add(&lease);
        }
    }
}

/// One resource of SPEC §9 to list: its name in `errors`, and whether it lives in namespaces.
struct Reader<'c> {
    client: &'c kube::Client,
    scopes: Vec<Option<&'c str>>,
    limit: &'c mut RateLimit,
    usage: &'c mut ApiUse,
    errors: &'c mut Vec<ReadError>,
}

impl Reader<'_> {
    /// Lists a namespaced resource in every scope (all namespaces, or each `-n`), handing each
    /// object to `T`; returns the last list's resourceVersion when one succeeded.
    async fn namespaced<K, T>(&mut self, read: &mut ClusterRead) -> Option<String>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug,
        T: Take<K>,
    {
        let mut version = None;
        for scope in self.scopes.clone() {
            if read.unreachable.is_some() {
                return None;
            }
            let api: Api<K> = match scope {
                Some(ns) => Api::namespaced(self.client.clone(), ns),
                None => Api::all(self.client.clone()),
            };
            match list_each(&api, self.limit, self.usage, |o| T::take(read, o)).await {
                Ok(v) => {
                    read.listed += 1;
                    version = Some(v);
                }
                Err(e) => self.failed::<K>(read, scope, e),
            }
        }
        version
    }

    /// Lists a cluster-scoped resource (RBAC's ClusterRoles and bindings, read with `-n` too:
    /// RoleBindings refer to ClusterRoles).
    async fn cluster<K>(&mut self, read: &mut ClusterRead)
    where
        K: kube::Resource<Scope = k8s_openapi::ClusterResourceScope, DynamicType = ()>
            + Clone
            + serde::de::DeserializeOwned
            + serde::Serialize
            + std::fmt::Debug,
    {
        if read.unreachable.is_some() {
            return;
        }
        let api: Api<K> = Api::all(self.client.clone());
        match list_each(&api, self.limit, self.usage, |o| Lint::take(read, o)).await {
            Ok(_) => read.listed += 1,
            Err(e) => self.failed::<K>(read, None, e),
        }
    }

    /// Records a failed list; when nothing was listed yet and the server never answered
    /// (connection refused, TLS, DNS) or refused the credentials (401), the reading stops.
    fn failed<K: kube::Resource<DynamicType = ()>>(
        &mut self,
        read: &mut ClusterRead,
        scope: Option<&str>,
        e: kube::Error,
    ) {
        let unauthorized = matches!(&e, kube::Error::Api(status) if status.code == 401);
        if read.listed == 0 && (unauthorized || !matches!(e, kube::Error::Api(_))) {
            read.unreachable = Some(if unauthorized {
                format!("the credentials were refused (401): {}", error_chain(&e))
            } else {
                error_chain(&e)
            });
            return;
        }
        let plural = K::plural(&());
        let group = K::group(&());
        let resource = if group.is_empty() { plural.to_string() } else { format!("{plural}.{group}") };
        let resource = scope.map_or_else(|| resource.clone(), |ns| format!("{resource} in {ns}"));
        self.errors.push(ReadError { resource, message: error_chain(&e) });
    }
}

/// An error with its causes: `client error (Connect): tcp connect error: Connection refused (os
/// error 111)` rather than kube's outermost `client error (Connect)`.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// Reads the resources of SPEC §9 — never Secrets or ConfigMaps — in every namespace, or in
/// each of `namespaces` (`-n`): Pods and ReplicaSets (the census keeps their owners), the
/// workloads, Services, PodDisruptionBudgets, HorizontalPodAutoscalers, RBAC, LimitRanges and
/// ResourceQuotas (kept for the rules), then Leases (both). A resource that fails (403, …) goes
/// to `errors` and the rest is read.
pub(crate) async fn read_cluster(
    client: &kube::Client,
    namespaces: &[String],
    limit: &mut RateLimit,
    usage: &mut ApiUse,
    errors: &mut Vec<ReadError>,
) -> ClusterRead {
    use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
    use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
    use k8s_openapi::api::batch::v1::CronJob;
    use k8s_openapi::api::core::v1::{LimitRange, ResourceQuota, Service};
    use k8s_openapi::api::policy::v1::PodDisruptionBudget;
    use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};

    let mut read = ClusterRead::default();
    let scopes: Vec<Option<&str>> =
        if namespaces.is_empty() { vec![None] } else { namespaces.iter().map(|n| Some(n.as_str())).collect() };
    let mut r = Reader { client, scopes, limit, usage, errors };
    let before = r.errors.len();
    r.namespaced::<Pod, Census>(&mut read).await;
    // A 403 on pods leaves owners unknown and nothing orphaned.
    read.census.pods_read = r.errors.len() == before;
    r.namespaced::<ReplicaSet, Census>(&mut read).await;
    r.namespaced::<Deployment, Lint>(&mut read).await;
    r.namespaced::<StatefulSet, Lint>(&mut read).await;
    r.namespaced::<DaemonSet, Lint>(&mut read).await;
    r.namespaced::<Job, Census>(&mut read).await;
    r.namespaced::<CronJob, Lint>(&mut read).await;
    r.namespaced::<Service, Lint>(&mut read).await;
    r.namespaced::<PodDisruptionBudget, Lint>(&mut read).await;
    r.namespaced::<HorizontalPodAutoscaler, Lint>(&mut read).await;
    r.namespaced::<Role, Lint>(&mut read).await;
    r.namespaced::<RoleBinding, Lint>(&mut read).await;
    r.cluster::<ClusterRole>(&mut read).await;
    r.cluster::<ClusterRoleBinding>(&mut read).await;
    r.namespaced::<LimitRange, Lint>(&mut read).await;
    r.namespaced::<ResourceQuota, Lint>(&mut read).await;
    // Leases last: the sampling watch starts at their list's resourceVersion, which must still
    // be in the server's watch history.
    read.census.lease_version = r.namespaced::<Lease, Census>(&mut read).await;
    read.census.namespaces = namespaces.to_vec();
    read
}
