//! Which pods are latency-sensitive (SPEC §4, LL004): the one decision that LL004 and the
//! rollout rules (LL012, LL013, LL015, LL017) share.

use crate::config::LintConfig;
use crate::k8s::{Hpa, Inventory, Kind, Service, Workload};
use crate::lint::DiagnosticBuilder;

/// Why the workload's pods are latency-sensitive, and the serving Service that made them so
/// (when that is the reason); `None` when they are not. In this order:
/// 1. Jobs, CronJobs and Helm hooks or tests never are (they run once);
/// 2. `leaselint.io/latency-sensitive` on the object or its pod template: `"false"` opts out,
///    `"true"` opts in;
/// 3. a `latencySensitive.selectors` label selector of the config matches the pod labels;
/// 4. (`latencySensitive.inferFromServices`, on by default) a Deployment or StatefulSet whose pods
///    a *serving* Service of the same namespace selects (not headless, not only metrics ports);
///    of several, the one first by name is named.
pub(crate) fn latency_reason<'i>(
    w: &Workload,
    inv: &Inventory<'i>,
    config: &LintConfig,
) -> Option<(String, Option<&'i Service>)> {
    if w.kind.is_batch() || w.helm_hook {
        return None;
    }
    match w.latency_sensitive {
        Some(false) => return None,
        Some(true) => return Some(("marked `leaselint.io/latency-sensitive: \"true\"`".to_string(), None)),
        None => {}
    }
    if config.latency.selectors.iter().any(|s| s.matches(&w.pod_labels)) {
        return Some(("matched by a `latencySensitive` selector in config".to_string(), None));
    }
    if config.latency.infer_from_services && matches!(w.kind, Kind::Deployment | Kind::StatefulSet) {
        // Headless (peer discovery) and metrics-only Services do not serve clients. Of several
        // serving Services the one first by name is named: the same whatever order the objects
        // come in (a stream, or the API server's lists in `audit`).
        let service = inv
            .services_selecting(w)
            .filter(|s| s.serving)
            .min_by(|a, b| a.info.object.name.cmp(&b.info.object.name))?;
        return Some((format!("Service `{}` serves its pods", service.info.object.name), Some(service)));
    }
    None
}

/// A latency-sensitive workload with 2 or more pods: the scope of the `rollout` rules.
pub(crate) struct Replicated<'i> {
    /// Replicas as LL007 counts them (HPA `minReplicas` included); `None` for a DaemonSet (one
    /// pod per node).
    pub(crate) replicas: Option<i64>,
    /// Why its pods are latency-sensitive.
    pub(crate) why: String,
    /// The serving Service that made them so.
    pub(crate) service: Option<&'i Service>,
    /// The HPA whose `minReplicas` was counted.
    pub(crate) hpa: Option<&'i Hpa>,
}

impl Replicated<'_> {
    /// "Deployment `api` (4 replicas, latency-sensitive: Service `api` serves its pods)".
    pub(crate) fn describe(&self, w: &Workload) -> String {
        let count = match self.replicas {
            Some(n) => format!("{n} replicas"),
            None => "one pod per node".to_string(),
        };
        let hpa = self.hpa.map_or_else(String::new, |h| format!(", the `minReplicas` of HPA `{}`", h.name));
        format!("{} `{}` ({count}{hpa}; latency-sensitive: {})", w.info.object.kind, w.info.object.name, self.why)
    }

    /// Adds the Service and the HPA as related locations.
    pub(crate) fn relate<'c, 'r>(&self, mut finding: DiagnosticBuilder<'c, 'r>) -> DiagnosticBuilder<'c, 'r> {
        if let Some(s) = self.service {
            finding = finding.related(s.loc.clone(), format!("Service `{}` serves these pods", s.info.object.name));
        }
        if let Some(h) = self.hpa {
            finding = finding.related(
                h.loc.clone(),
                format!("HorizontalPodAutoscaler `{}` keeps at least {} replicas", h.name, h.min_replicas),
            );
        }
        finding
    }
}

/// The workload when it is latency-sensitive (as LL004 decides) and runs 2 or more pods (as
/// LL007 counts replicas: `spec.replicas`, or the `minReplicas` of an HPA that targets it); a
/// DaemonSet counts as 2 or more. The replica count is checked first: it is cheaper than the
/// Service lookup.
pub(crate) fn replicated_latency_sensitive<'i>(
    w: &Workload,
    inv: &Inventory<'i>,
    config: &LintConfig,
) -> Option<Replicated<'i>> {
    // Only a workload with fewer than 2 replicas of its own needs its HPA before the Service
    // lookup; the others look their HPA up once they are known to be latency-sensitive.
    if w.replicas.is_some_and(|own| own < 2) && inv.replicas(w).is_some_and(|r| r < 2) {
        return None;
    }
    let (why, service) = latency_reason(w, inv, config)?;
    let replicas = inv.replicas(w);
    let hpa = inv.hpa_of(w).filter(|h| w.replicas.is_some_and(|own| h.min_replicas > own));
    Some(Replicated { replicas, why, service, hpa })
}
