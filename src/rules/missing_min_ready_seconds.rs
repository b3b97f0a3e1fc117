//! LL013 missing-min-ready-seconds.

use crate::diag::Fix;
use crate::k8s::rollout::{IntSetting, StatefulSetStrategy, statefulset_max_unavailable};
use crate::k8s::{Inventory, Kind};
use crate::lint::{Ctx, Rule};
use crate::yaml::edit::{EditError, Value};

use super::helpers::latency::replicated_latency_sensitive;

/// What the fix writes (seconds), unless the configured threshold is higher.
const FIXED_MIN_READY_SECONDS: i64 = 30;

/// Finds latency-sensitive Deployments and StatefulSets (as LL004 decides) with 2 or more
/// replicas (as LL007 counts them) whose `spec.minReadySeconds` is below
/// `thresholds.minReadySeconds` (10; unset is 0). Without it a new pod counts as available the
/// moment its readiness probe passes, so the rollout replaces the next old pod before the new
/// one has shown it stays up.
///
/// For a StatefulSet the message says how many pods the rollout replaces next: its
/// `rollingUpdate.maxUnavailable` (default 1, a percentage rounded down, at least 1; honoured
/// where the `MaxUnavailableStatefulSet` feature is on). An `OnDelete` StatefulSet is skipped:
/// its pods are replaced by hand, no rollout goes on by itself.
///
/// Not detected: DaemonSets and ReplicaSets (rarely rolled by hand), a value the API server
/// rejects (a string, a negative number), and one replica (a rollout of one pod has no "next"
/// pod to protect).
///
/// ## Fix safety
/// Unsafe: `minReadySeconds: 30` (or the threshold when it is higher) makes every rollout step
/// wait 30 s longer, and pods count as available 30 s later after every restart (what a PDB and
/// the HPA see). Refused when the Deployment sets `progressDeadlineSeconds` at or below that
/// value: the API server requires it to be greater than `minReadySeconds`.
pub(crate) struct MissingMinReadySeconds;

impl Rule for MissingMinReadySeconds {
    fn code(&self) -> &'static str {
        "LL013"
    }

    fn name(&self) -> &'static str {
        "missing-min-ready-seconds"
    }

    fn check_inventory(&self, inv: &Inventory, cx: &mut Ctx<'_>) {
        let threshold = cx.config.thresholds.min_ready_seconds;
        let fixed = FIXED_MIN_READY_SECONDS.max(threshold);
        for w in inv.workloads.iter().filter(|w| matches!(w.kind, Kind::Deployment | Kind::StatefulSet)) {
            let Some(facts) = w.rollout.as_deref() else { continue };
            let current = match facts.min_ready_seconds {
                IntSetting::Unset => None,
                IntSetting::Set(s) => Some(s),
                IntSetting::Invalid => continue,
            };
            if current.unwrap_or(0) >= threshold {
                continue;
            }
            // Pods of an `OnDelete` StatefulSet are replaced by hand: no rollout goes on by itself.
            let step = match &facts.update_strategy {
                None => None,
                Some(StatefulSetStrategy::RollingUpdate { max_unavailable, .. }) => Some(*max_unavailable),
                Some(StatefulSetStrategy::OnDelete | StatefulSetStrategy::Invalid) => continue,
            };
            let Some(scope) = replicated_latency_sensitive(w, inv, cx.config) else { continue };
            let next = match (step, scope.replicas) {
                (Some(max), Some(replicas)) => {
                    let n = statefulset_max_unavailable(max, replicas);
                    format!(
                        "the rollout goes on to the next {}",
                        if n == 1 { "pod".to_string() } else { format!("{n} pods") }
                    )
                }
                _ => "the rollout goes on replacing old pods".to_string(),
            };
            let setting = match current {
                None => "has no `minReadySeconds`, so a new pod counts as available the moment it is ready".to_string(),
                Some(0) => {
                    "has `minReadySeconds: 0`, so a new pod counts as available the moment it is ready".to_string()
                }
                Some(s) => format!(
                    "has `minReadySeconds: {s}`, below {threshold}: a new pod counts as available {s}s after it is \
                     ready"
                ),
            };
            let message = format!(
                "{} {setting}; a pod that crashes {threshold}s after it became ready has already replaced an old \
                 one, and {next}",
                scope.describe(w)
            );
            let fix = Fix::unsafe_(format!(
                "set `minReadySeconds: {fixed}` (every rollout step waits {fixed}s longer before it goes on)"
            ));
            let fix = cx.with_edits(fix, &[&w.info], |e| {
                let obj = e.object(&w.info)?;
                let ed = e.editor(w.info.file)?;
                let spec = obj.root.get("spec").ok_or_else(|| EditError("internal error: the spec moved".into()))?;
                // The API server rejects a Deployment whose `progressDeadlineSeconds` is not
                // greater than its `minReadySeconds` (default 600: only an explicit value can be).
                if let IntSetting::Set(deadline) = IntSetting::of(spec.get("progressDeadlineSeconds"))
                    && deadline <= fixed
                {
                    return Err(EditError(format!(
                        "`progressDeadlineSeconds: {deadline}` must stay greater than `minReadySeconds` (the API \
                         server rejects the Deployment otherwise); raise it above {fixed} first"
                    )));
                }
                ed.set_scalar_entry(spec, "minReadySeconds", &Value::raw(fixed.to_string()))
            });
            let finding = cx.report(facts.min_ready_loc.clone(), message).fix(fix);
            scope.relate(finding).emit();
        }
    }
}
