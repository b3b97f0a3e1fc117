//! Which pods are latency-sensitive (SPEC §4, LL004): the one decision that LL004 and the
//! rollout rules (LL012, LL013, LL015, LL017) share.

use crate::config::LintConfig;
use crate::k8s::{Inventory, Kind, Service, Workload};

/// Why the workload's pods are latency-sensitive, and the serving Service that made them so
/// (when that is the reason); `None` when they are not. In this order:
/// 1. Jobs, CronJobs and Helm hooks or tests never are (they run once);
/// 2. `leaselint.io/latency-sensitive` on the object or its pod template: `"false"` opts out,
///    `"true"` opts in;
/// 3. a `latencySensitive.selectors` label selector of the config matches the pod labels;
/// 4. (`latencySensitive.inferFromServices`, on by default) a Deployment or StatefulSet whose pods
///    a *serving* Service of the same namespace selects (not headless, not only metrics ports).
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
        // Headless (peer discovery) and metrics-only Services do not serve clients.
        let service = inv.services_selecting(w).find(|s| s.serving)?;
        return Some((format!("Service `{}` serves its pods", service.info.object.name), Some(service)));
    }
    None
}
