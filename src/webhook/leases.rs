//! The lease metrics of `serve --watch-leases` (SPEC §11): the Prometheus families that
//! [`crate::cluster::follow_leases`] fills through [`LeaseSink`], registered into the server's
//! registry. Names, labels (`namespace`, `class`: the census classes) and buckets are here.
//!
//! - `leaselint_leases{namespace,class}` (gauge): Leases now.
//! - `leaselint_lease_renewals_total{namespace,class}` (counter): renewals seen (a MODIFIED
//!   whose `spec.renewTime` moved).
//! - `leaselint_lease_renew_interval_seconds{namespace,class}` (histogram): `renewTime` to
//!   `renewTime` of one Lease.
//! - `leaselint_lease_renew_lag_seconds{namespace,class}` (histogram): the interval minus the
//!   Lease's usual interval (the median of its last 8 intervals, judged once it has 3), 0 when
//!   on time or early.
//! - `leaselint_lease_watch_up` (gauge): 1 while the Leases are listed and watched, 0 while the
//!   watch is down and retried.
//!
//! The series of a namespace and class are dropped when its last Lease goes (namespaces come
//! and go; keeping their series would grow the registry for ever): its counter starts again
//! from 0 if Leases of that class come back, which `rate()` reads as a counter reset.

use std::collections::HashMap;
use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::cluster::{LeaseSink, Renewal};
use crate::report::Class;

/// Buckets of `leaselint_lease_renew_interval_seconds`, seconds. 0.1–1: sub-second renewals
/// (aggressive per-pod schemes; the tests' 100 ms); 2.2: client-go's leader-election retry
/// period (2 s, `RetryPeriod`: a held lock is renewed that often) plus 10 % for the request;
/// 10.5: the kubelet's node lease renewal (10 s = `nodeLeaseDurationSeconds` 40 × 0.25) and its
/// 4 % jitter (`wait.JitterUntil(…, 0.04, …)` in the lease controller), also the API servers'
/// identity Leases (10 s); 15: client-go's `LeaseDuration` (a lock renewed later than this
/// could have been taken over); 40: the kubelet's `nodeLeaseDurationSeconds` (a node lease
/// renewed later than this has expired); 60: the tail (a minute).
pub(crate) const INTERVAL_BUCKETS: [f64; 9] = [0.1, 0.25, 0.5, 1.0, 2.2, 10.5, 15.0, 40.0, 60.0];

/// Buckets of `leaselint_lease_renew_lag_seconds`, seconds. 0.5: on time — the kubelet's 4 %
/// jitter on 10 s (up to 0.4 s) and a request's round trip; 1 and 5: between the marks;
/// 2: the PrometheusRule's threshold (SPEC §11: p99 lag above 2 s for 5 minutes, the seed's
/// lease-age alert), a boundary so that `histogram_quantile` is exact there; 10: client-go's
/// `RenewDeadline` (a leader this late has already given its lock up) and one whole node
/// heartbeat missed; 15: client-go's `LeaseDuration`; 40: the kubelet's
/// `nodeLeaseDurationSeconds` (the node is marked NotReady); 120: the tail.
pub(crate) const LAG_BUCKETS: [f64; 8] = [0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 40.0, 120.0];

/// Labels of the lease families.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct LeaseLabels {
    pub(crate) namespace: String,
    pub(crate) class: &'static str,
}

fn interval_histogram() -> Histogram {
    Histogram::new(INTERVAL_BUCKETS)
}

fn lag_histogram() -> Histogram {
    Histogram::new(LAG_BUCKETS)
}

type HistogramFamily = Family<LeaseLabels, Histogram, fn() -> Histogram>;

/// The metrics of one namespace and class (handles into the families, kept so that a renewal
/// does not look its labels up).
struct Series {
    renewals: Counter,
    interval: Histogram,
    lag: Histogram,
}

/// The lease families, and the sink that fills them.
pub(crate) struct LeaseMetrics {
    leases: Family<LeaseLabels, Gauge>,
    renewals: Family<LeaseLabels, Counter>,
    interval: HistogramFamily,
    lag: HistogramFamily,
    up: Gauge,
    /// By namespace, then class (as in [`Class::ALL`]).
    series: HashMap<String, [Option<Series>; 5]>,
}

fn slot(class: Class) -> usize {
    Class::ALL.iter().position(|c| *c == class).unwrap_or(0)
}

impl LeaseMetrics {
    /// Registers the lease families into `registry`.
    pub(crate) fn register(registry: &mut Registry) -> LeaseMetrics {
        let m = LeaseMetrics {
            leases: Family::default(),
            renewals: Family::default(),
            interval: Family::new_with_constructor(interval_histogram),
            lag: Family::new_with_constructor(lag_histogram),
            up: Gauge::default(),
            series: HashMap::new(),
        };
        registry.register("leaselint_leases", "Leases now, per namespace and census class", m.leases.clone());
        // prometheus-client adds `_total` to a counter's name.
        registry.register(
            "leaselint_lease_renewals",
            "Lease renewals seen (a MODIFIED whose spec.renewTime moved), per namespace and census class",
            m.renewals.clone(),
        );
        registry.register(
            "leaselint_lease_renew_interval_seconds",
            "Seconds between two renewals of one Lease (renewTime to renewTime), per namespace and census class",
            m.interval.clone(),
        );
        registry.register(
            "leaselint_lease_renew_lag_seconds",
            "Seconds a renewal came after the Lease's usual interval (the median of its last 8, once it has 3), \
             0 when on time, per namespace and census class",
            m.lag.clone(),
        );
        registry.register(
            "leaselint_lease_watch_up",
            "1 while the Leases are listed and watched, 0 while the watch is down and retried",
            m.up.clone(),
        );
        m
    }

    fn labels(namespace: &str, class: Class) -> LeaseLabels {
        LeaseLabels { namespace: namespace.to_string(), class: class.as_str() }
    }

    fn series(&mut self, namespace: &str, class: Class) -> Option<&Series> {
        if !self.series.contains_key(namespace) {
            self.series.insert(namespace.to_string(), Default::default());
        }
        let entry = self.series.get_mut(namespace)?.get_mut(slot(class))?;
        if entry.is_none() {
            let labels = LeaseMetrics::labels(namespace, class);
            *entry = Some(Series {
                renewals: self.renewals.get_or_create_owned(&labels),
                interval: self.interval.get_or_create_owned(&labels),
                lag: self.lag.get_or_create_owned(&labels),
            });
        }
        entry.as_ref()
    }
}

impl LeaseSink for LeaseMetrics {
    fn count(&mut self, namespace: &str, class: Class, leases: u32) {
        let labels = LeaseMetrics::labels(namespace, class);
        if leases > 0 {
            self.leases.get_or_create(&labels).set(i64::from(leases));
            return;
        }
        self.leases.remove(&labels);
        self.renewals.remove(&labels);
        self.interval.remove(&labels);
        self.lag.remove(&labels);
        if let Some(classes) = self.series.get_mut(namespace) {
            if let Some(entry) = classes.get_mut(slot(class)) {
                *entry = None;
            }
            if classes.iter().all(Option::is_none) {
                self.series.remove(namespace);
            }
        }
    }

    fn renewed(&mut self, namespace: &str, class: Class, renewal: Renewal) {
        let Some(series) = self.series(namespace, class) else { return };
        series.renewals.inc();
        if let Some(seconds) = renewal.interval {
            series.interval.observe(seconds);
        }
        if let Some(seconds) = renewal.lag {
            series.lag.observe(seconds);
        }
    }

    fn watching(&mut self, up: bool) {
        self.up.set(i64::from(up));
    }
}

/// Connects as `connect` says and starts the lease watch on the current runtime, filling
/// `metrics` until the task is aborted (at shutdown); errors go to `log`.
pub(crate) async fn spawn(
    connect: &crate::cluster::ConnectOptions,
    mut metrics: LeaseMetrics,
    log: Arc<dyn Fn(String) + Send + Sync>,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let connection = crate::cluster::connect(connect).await.map_err(|e| format!("--watch-leases: {e}"))?;
    log(format!("watching Leases in every namespace on {}", connection.server));
    Ok(tokio::spawn(async move {
        crate::cluster::follow_leases(connection.client, &mut metrics, &*log).await;
    }))
}

#[cfg(test)]
mod tests {
    use super::LeaseMetrics;
    use crate::cluster::{LeaseSink, Renewal};
    use crate::report::Class;

    fn encode(registry: &prometheus_client::registry::Registry) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, registry).unwrap_or_default();
        text
    }

    #[test]
    fn series_follow_the_counts_and_go_with_the_last_lease() {
        let mut registry = prometheus_client::registry::Registry::default();
        let mut m = LeaseMetrics::register(&mut registry);
        m.watching(true);
        m.count("obs", Class::PerPod, 2);
        m.renewed("obs", Class::PerPod, Renewal { interval: Some(0.1), lag: Some(0.0) });
        m.renewed("obs", Class::PerPod, Renewal { interval: None, lag: None });
        let text = encode(&registry);
        assert!(text.contains("leaselint_leases{namespace=\"obs\",class=\"per-pod\"} 2\n"), "{text}");
        assert!(text.contains("leaselint_lease_renewals_total{namespace=\"obs\",class=\"per-pod\"} 2\n"), "{text}");
        assert!(
            text.contains("leaselint_lease_renew_interval_seconds_count{namespace=\"obs\",class=\"per-pod\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "leaselint_lease_renew_lag_seconds_bucket{le=\"0.5\",namespace=\"obs\",class=\"per-pod\"} 1\n"
            ),
            "{text}"
        );
        assert!(text.contains("leaselint_lease_watch_up 1\n"), "{text}");
        m.count("obs", Class::PerPod, 0);
        let text = encode(&registry);
        assert!(!text.contains("namespace=\"obs\""), "{text}");
        assert!(m.series.is_empty());
    }
}
