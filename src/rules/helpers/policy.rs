//! The namespace-scoped lease policy applied to one workload or namespace, and the numbers the
//! messages quote.

use crate::config::Policy;
use crate::k8s::{Kind, Workload};

/// client-go's default leader-election retry period: how often a holder renews its lease.
pub(crate) const DEFAULT_RENEW_SECONDS: f64 = 2.0;

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

/// A rate or count for a message: at most two decimals, no trailing zeros.
pub(crate) fn number(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
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

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn numbers_drop_trailing_zeros() {
        assert_eq!(number(1.5), "1.5");
        assert_eq!(number(0.1), "0.1");
        assert_eq!(number(50.0), "50");
        assert_eq!(number(1.0 / 3.0), "0.33");
    }
}
