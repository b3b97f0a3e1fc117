//! LL021 etcd-liveness-too-strict.

use crate::diag::Fix;
use crate::k8s::Object;
use crate::k8s::etcd;
use crate::k8s::rollout::{
    DEFAULT_PROBE_FAILURE_THRESHOLD, DEFAULT_PROBE_PERIOD_SECONDS, IntSetting, probe_failure_window,
};
use crate::lint::{Ctx, Rule};
use crate::yaml::edit::Value;

/// Finds etcd members (SPEC §12) whose liveness probe restarts them after less than 60 s of
/// failures: `failureThreshold` × `periodSeconds`, with Kubernetes' defaults 3 and 10 (so a
/// liveness probe with neither set fires after 30 s). kubeadm's static etcd Pod (8 × 10 s = 80 s)
/// and bitnami's chart (5 × 30 s) pass. Members without a liveness probe are not reported, nor
/// are containers that only run etcdctl.
///
/// ## Fix safety
/// Unsafe: `failureThreshold` becomes the smallest value that reaches 60 s
/// (`ceil(60 / periodSeconds)`), so a member that really hangs is restarted later.
pub(crate) struct EtcdLivenessTooStrict;

/// The least time a liveness probe may fail before etcd is restarted, seconds (what a 4,000-node
/// cluster had to raise it to; rules/LL021).
const MIN_SECONDS: i64 = 60;

impl Rule for EtcdLivenessTooStrict {
    fn code(&self) -> &'static str {
        "LL021"
    }

    fn name(&self) -> &'static str {
        "etcd-liveness-too-strict"
    }

    fn check_object(&self, obj: &Object<'_>, cx: &mut Ctx<'_>) {
        let Some(pod) = obj.pod() else { return };
        for m in etcd::members(&pod) {
            let c = &m.container;
            let Some(probe) = c.node.get("livenessProbe").filter(|p| p.is_mapping()) else { continue };
            let setting = |key: &str| IntSetting::of(probe.get(key)).value();
            let (Ok(period), Ok(failures)) = (setting("periodSeconds"), setting("failureThreshold")) else {
                continue;
            };
            let total = probe_failure_window(failures, period);
            let period = period.unwrap_or(DEFAULT_PROBE_PERIOD_SECONDS);
            let failures = failures.unwrap_or(DEFAULT_PROBE_FAILURE_THRESHOLD);
            if period <= 0 || failures <= 0 || total >= MIN_SECONDS {
                continue;
            }
            let wanted = (MIN_SECONDS + period - 1) / period;
            let probe_path = c.path.key("livenessProbe");
            let at = if probe.get("failureThreshold").is_some() {
                probe_path.key("failureThreshold")
            } else {
                probe_path.clone()
            };
            let message = format!(
                "the liveness probe restarts etcd `{}` after {total} s of failures ({failures} × {period} s): a slow \
                 disk (fsync) fails the probe, and the restart takes a member out of a cluster that is already slow; \
                 give it at least {MIN_SECONDS} s",
                c.name
            );
            let title = format!(
                "set `failureThreshold` to {wanted} ({} s; a member that really hangs is restarted later)",
                wanted * period
            );
            let file = obj.info.file;
            let fix = cx.with_edits(Fix::unsafe_(title), &[], |e| {
                let ed = e.editor(file)?;
                ed.set_scalar_entry(probe, "failureThreshold", &Value::raw(wanted.to_string()))
            });
            cx.report(obj.at(&at), message).fix(fix).emit();
        }
    }
}
