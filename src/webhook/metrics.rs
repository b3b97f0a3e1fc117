//! The metrics of `serve` (SPEC §11), with `prometheus-client`, exposed on `/metrics` in the
//! OpenMetrics text format (which Prometheus reads): the admission latency per endpoint and the
//! warnings, denials and mutations per rule; the lease metrics of `--watch-leases` register into
//! the same registry.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Label of the admission latency histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct EndpointLabel {
    pub(crate) endpoint: String,
}

/// Label of the per-rule counters.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RuleLabel {
    pub(crate) rule: String,
}

/// Latency buckets, seconds: 100 µs doubling to 3.3 s (the webhook's target is 5 ms; the API
/// server gives up at `timeoutSeconds` 3).
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

/// The server's metrics and their registry.
pub(crate) struct Metrics {
    pub(crate) registry: Registry,
    pub(crate) latency: Family<EndpointLabel, Histogram, fn() -> Histogram>,
    pub(crate) warnings: Family<RuleLabel, Counter>,
    pub(crate) denials: Family<RuleLabel, Counter>,
    pub(crate) mutations: Family<RuleLabel, Counter>,
}

impl Metrics {
    pub(crate) fn new() -> Metrics {
        let mut registry = Registry::default();
        let latency: Family<EndpointLabel, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "leaselint_admission_request_duration_seconds",
            "Time to answer one AdmissionReview, seconds, per endpoint (validate, mutate)",
            latency.clone(),
        );
        let warnings = Family::<RuleLabel, Counter>::default();
        registry.register("leaselint_admission_warnings", "Admission warnings sent, per rule", warnings.clone());
        let denials = Family::<RuleLabel, Counter>::default();
        registry.register("leaselint_admission_denials", "Admission requests denied, per rule", denials.clone());
        let mutations = Family::<RuleLabel, Counter>::default();
        registry.register("leaselint_admission_mutations", "Objects mutated, per rule applied", mutations.clone());
        Metrics { registry, latency, warnings, denials, mutations }
    }

    /// Counts one answered review.
    pub(crate) fn observe(&self, endpoint: &str, seconds: f64, outcome: &super::admission::Outcome) {
        self.latency.get_or_create(&EndpointLabel { endpoint: endpoint.to_string() }).observe(seconds);
        for (family, codes) in
            [(&self.warnings, &outcome.warned), (&self.denials, &outcome.denied), (&self.mutations, &outcome.mutated)]
        {
            for code in codes {
                family.get_or_create(&RuleLabel { rule: code.clone() }).inc();
            }
        }
    }

    /// Registers the lease families of `--watch-leases` (SPEC §11) into this registry.
    pub(crate) fn register_leases(&mut self) -> super::leases::LeaseMetrics {
        super::leases::LeaseMetrics::register(&mut self.registry)
    }

    /// The OpenMetrics text of every metric.
    pub(crate) fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}
