//! The namespace-scoped lease policy applied to one workload or namespace, and the numbers the
//! messages quote.

use crate::config::Policy;
use crate::k8s::{Kind, Workload};

pub(crate) use crate::k8s::carriers::CLIENT_GO_RETRY_PERIOD_SECONDS as DEFAULT_RENEW_SECONDS;
pub(crate) use crate::k8s::quantity::number;

/// The Lease name a pod template should use: the Deployment's own lease when it rolls more often
/// than the threshold, otherwise the namespace lease with `$(POD_NAMESPACE)` (never a literal
/// namespace inside a pod template).
pub(crate) fn template_lease_name(w: &Workload, policy: &Policy) -> String {
    let high_churn =
        w.kind == Kind::Deployment && w.rollouts_per_hour.is_some_and(|r| r > policy.high_churn_threshold_per_hour);
    if high_churn {
        policy.deployment_lease.replace("{name}", &w.info.object.name)
    } else {
        policy.namespace_lease.replace("{namespace}", "$(POD_NAMESPACE)")
    }
}

/// The namespace lease of a named namespace (`ns-lease-web`).
pub(crate) fn namespace_lease_name(namespace: &str, policy: &Policy) -> String {
    policy.namespace_lease.replace("{namespace}", namespace)
}

/// "3 Leases renewed every 2s (1.5 writes/s); under the policy 1 Lease renewed every 10s
/// (0.1 writes/s)".
pub(crate) fn lease_cost(leases: i64, renew_now: f64, policy: &Policy) -> String {
    let leases_f = leases as f64;
    format!(
        "{leases} Lease{} renewed every {}s ({} writes/s); under the namespace lease policy 1 Lease \
         renewed every {}s ({} writes/s)",
        if leases == 1 { "" } else { "s" },
        number(renew_now),
        number(leases_f / renew_now),
        number(policy.renewal_interval),
        number(1.0 / policy.renewal_interval),
    )
}
