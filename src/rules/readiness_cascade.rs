//! LL017 readiness-cascade.

use crate::diag::Fix;
use crate::k8s::Inventory;
use crate::k8s::rollout::{
    DEFAULT_PROBE_FAILURE_THRESHOLD, DEFAULT_PROBE_PERIOD_SECONDS, MIN_READINESS_WINDOW_SECONDS, probe_failure_window,
};
use crate::lint::{Ctx, Rule};
use crate::yaml::edit::{EditError, Value};

use super::helpers::latency::replicated_latency_sensitive;

/// What the fix raises the window to.
const FIXED_WINDOW_SECONDS: i64 = 60;

/// Finds readiness probes of latency-sensitive pods (as LL004 decides) that take the pod out of
/// its Services after less than 30 s of failures: `failureThreshold` × `periodSeconds`, with the
/// defaults 3 and 10 (so a probe with both defaults, 30 s, passes). Under a load spike an
/// overloaded pod fails its probe and leaves; its traffic moves to the others, which overload
/// and leave in turn, until none is left (the seeds' cascade).
///
/// Only workloads with 2 or more pods (replicas as LL007 counts them; a DaemonSet counts) are
/// checked: with one pod there is no other to cascade to. Every regular and sidecar container's
/// probe counts (a pod is ready only when all of them are). Not detected: `timeoutSeconds`
/// (a timeout counts as one failure and is already within the period) and values the API server
/// rejects.
///
/// ## Fix safety
/// Unsafe: `failureThreshold` is raised so that failures last 60 s (`⌈60 / periodSeconds⌉`), so
/// a pod that really fails keeps receiving requests for up to 60 s.
pub(crate) struct ReadinessCascade;

impl Rule for ReadinessCascade {
    fn code(&self) -> &'static str {
        "LL017"
    }

    fn name(&self) -> &'static str {
        "readiness-cascade"
    }

    fn check_inventory(&self, inv: &Inventory, cx: &mut Ctx<'_>) {
        for w in &inv.workloads {
            // The facts keep only the probes whose window is short.
            if w.containers.iter().all(|c| c.readiness.is_none()) {
                continue;
            }
            let Some(scope) = replicated_latency_sensitive(w, inv, cx.config) else { continue };
            for c in &w.containers {
                let Some(r) = &c.readiness else { continue };
                let (Ok(f), Ok(p)) = (r.failure_threshold.value(), r.period_seconds.value()) else { continue };
                let threshold = f.unwrap_or(DEFAULT_PROBE_FAILURE_THRESHOLD);
                let period = p.unwrap_or(DEFAULT_PROBE_PERIOD_SECONDS).max(1);
                let window = probe_failure_window(f, p);
                let wanted = (FIXED_WINDOW_SECONDS + period - 1) / period;
                let shown =
                    |v: Option<i64>, d: i64| if v.is_some() { String::new() } else { format!(" (default {d})") };
                let message = format!(
                    "{}: the readiness probe of container `{}` takes a pod out of its Services after {threshold} \
                     failure{}{} × {period}s{} = {window}s, less than {MIN_READINESS_WINDOW_SECONDS}s: under a load spike \
                     overloaded pods leave one after another, their traffic moves to the rest, and the rest collapse",
                    scope.describe(w),
                    c.name,
                    if threshold == 1 { "" } else { "s" },
                    shown(f, DEFAULT_PROBE_FAILURE_THRESHOLD),
                    shown(p, DEFAULT_PROBE_PERIOD_SECONDS),
                );
                let fix = Fix::unsafe_(format!(
                    "set `failureThreshold: {wanted}` ({wanted} × {period}s = {}s: a pod that really fails keeps \
                     receiving requests that long)",
                    wanted * period
                ));
                let probe_path = r.probe_path.clone();
                let fix = cx.with_edits(fix, &[&w.info], |e| {
                    let obj = e.object(&w.info)?;
                    let ed = e.editor(w.info.file)?;
                    let probe =
                        obj.get(&probe_path).ok_or_else(|| EditError("internal error: the probe moved".into()))?;
                    ed.set_scalar_entry(probe, "failureThreshold", &Value::raw(wanted.to_string()))
                });
                let finding = cx.report(r.loc.clone(), message).fix(fix);
                scope.relate(finding).emit();
            }
        }
    }
}
