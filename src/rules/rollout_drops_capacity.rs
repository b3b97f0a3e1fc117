//! LL012 rollout-drops-capacity.

use crate::diag::{Fix, Patch};
use crate::k8s::rollout::{Budget, DeploymentStrategy, IntOrPercent, deployment_fenceposts};
use crate::k8s::{Inventory, Kind};
use crate::lint::{Ctx, Rule};
use crate::yaml::NodeRef;
use crate::yaml::edit::{EditError, Editor, Value};

use super::helpers::latency::replicated_latency_sensitive;

/// Finds latency-sensitive Deployments (as LL004 decides) with 2 or more replicas (as LL007
/// counts them, HPA `minReplicas` included) whose rollout takes pods out of service before their
/// replacements are ready:
/// - `strategy: Recreate` (every pod stops before a new one starts);
/// - a RollingUpdate whose `maxUnavailable` comes to 1 or more, computed as the deployment
///   controller does (`ResolveFenceposts`): default 25 %, a percentage of the replicas rounded
///   down, `maxSurge` (default 25 %) rounded up, and `maxUnavailable` 1 when both come to 0.
///   So 2 or 3 replicas with the defaults pass (25 % rounds down to 0) and 4 fail.
///
/// Not detected: StatefulSets (they replace one pod at a time by design and cannot surge),
/// DaemonSets, values the API server rejects (a strategy type other than `Recreate` or
/// `RollingUpdate`, `maxUnavailable: "1"` without `%`), and budgets written as Helm-unrendered
/// text. The replica count is the one in the manifest (or the HPA's `minReplicas`): an HPA that
/// scales up makes a percentage take more pods down than the message says.
///
/// ## Fix safety
/// Unsafe: `maxUnavailable: 0` makes every rollout start surge pods first, so the namespace needs
/// room (quota, nodes) for them, and a rollout stalls where there is none. For `Recreate` the fix
/// switches to `RollingUpdate`, so old and new pods run side by side during a rollout, which
/// `Recreate` may have been chosen to avoid (a `ReadWriteOnce` volume, a schema migration).
/// When `maxSurge` comes to 0 it is set to `25%` (both 0 is invalid). Refused when a container
/// binds a `hostPort`: two such pods never share a node, so a surge pod needs a node that runs
/// none, and with `maxUnavailable: 0` the rollout stalls when every eligible node runs one.
pub(crate) struct RolloutDropsCapacity;

impl Rule for RolloutDropsCapacity {
    fn code(&self) -> &'static str {
        "LL012"
    }

    fn name(&self) -> &'static str {
        "rollout-drops-capacity"
    }

    fn check_inventory(&self, inv: &Inventory, cx: &mut Ctx<'_>) {
        for w in inv.workloads.iter().filter(|w| w.kind == Kind::Deployment) {
            let Some(facts) = w.rollout.as_deref() else { continue };
            let Some(strategy) = &facts.strategy else { continue };
            if *strategy == DeploymentStrategy::Invalid {
                continue;
            }
            let Some(scope) = replicated_latency_sensitive(w, inv, cx.config) else { continue };
            let Some(replicas) = scope.replicas else { continue };
            let who = scope.describe(w);
            let (message, fix) = match strategy {
                DeploymentStrategy::Recreate => (
                    format!(
                        "{who} uses `strategy: Recreate`: every rollout stops all {replicas} pods before a new one \
                         starts, so its Services have no ready pod until the new ones pass their readiness probes"
                    ),
                    Fix::unsafe_(
                        "switch to `RollingUpdate` with `maxUnavailable: 0` (old and new pods then run side by side, \
                         and a rollout needs room for a surge pod)",
                    ),
                ),
                DeploymentStrategy::RollingUpdate { max_surge, max_unavailable } => {
                    let value = |b: &Option<Budget>| b.as_ref().map(|b| b.value);
                    let (surge, unavailable) =
                        deployment_fenceposts(value(max_surge), value(max_unavailable), replicas);
                    if unavailable < 1 {
                        continue;
                    }
                    let down = unavailable.min(replicas);
                    let budget =
                        describe_budget(max_unavailable.as_ref(), max_surge.as_ref(), replicas, surge, unavailable);
                    let left = match replicas - down {
                        0 => "no pod is left to serve".to_string(),
                        1 => "the one left carries all the traffic".to_string(),
                        n => format!("the other {n} carry their traffic"),
                    };
                    let title = if surge == 0 {
                        "set `maxUnavailable: 0` and `maxSurge: 25%` (a rollout then needs room for surge pods)"
                    } else {
                        "set `maxUnavailable: 0` (a rollout then needs room for surge pods)"
                    };
                    (
                        format!(
                            "{who}: {budget}: a rollout takes up to {down} of {replicas} pods out of service \
                             before their replacements are ready, and {left}"
                        ),
                        Fix::unsafe_(title),
                    )
                }
                DeploymentStrategy::Invalid => continue,
            };
            // Two pods that bind one host port never share a node: a surge pod needs a node
            // without one, and with `maxUnavailable: 0` the rollout stalls when every eligible
            // node runs a pod already.
            let host_port = facts.spread.host_port;
            let fix = cx.with_edits(fix, &[&w.info], |e| {
                if host_port {
                    return Err(EditError(
                        "a container binds a `hostPort`: a surge pod needs a node that runs no pod of this \
                         Deployment, so with `maxUnavailable: 0` a rollout stalls when every eligible node runs one"
                            .into(),
                    ));
                }
                let obj = e.object(&w.info)?;
                let spec = obj.root.get("spec").ok_or_else(|| EditError("internal error: the spec moved".into()))?;
                no_unavailable(&e.editor(w.info.file)?, spec, replicas)
            });
            let finding = cx.report(facts.strategy_loc.clone(), message).fix(fix);
            scope.relate(finding).emit();
        }
    }
}

/// "`maxUnavailable: 25%` of 8 replicas is 2 (rounded down)", "the default `maxUnavailable`
/// (25%) of 4 replicas is 1", or why Kubernetes uses 1.
fn describe_budget(
    written: Option<&Budget>,
    written_surge: Option<&Budget>,
    replicas: i64,
    surge: i64,
    unavailable: i64,
) -> String {
    let shown = match written {
        Some(b) => format!("`maxUnavailable: {}`", b.text),
        None => "the default `maxUnavailable` (25%)".to_string(),
    };
    let value = written.map_or(IntOrPercent::Percent(25), |b| b.value);
    let scaled = value.scaled(replicas, false);
    if surge == 0 && scaled == 0 {
        let surge = written_surge.map_or_else(|| "`maxSurge`".to_string(), |b| format!("`maxSurge: {}`", b.text));
        return format!("{shown} and {surge} both come to 0 of {replicas} replicas, so Kubernetes uses 1");
    }
    match value {
        IntOrPercent::Percent(_) => {
            format!("{shown} of {replicas} replicas is {unavailable} (rounded down)")
        }
        IntOrPercent::Int(_) => shown,
    }
}

/// Sets `maxUnavailable: 0` (and `maxSurge: 25%` when the surge comes to 0), switching a
/// `Recreate` strategy to `RollingUpdate`.
fn no_unavailable(ed: &Editor<'_>, spec: NodeRef<'_, '_>, replicas: i64) -> Result<Patch, EditError> {
    let zero = Value::raw("0");
    let surge = Value::str("25%");
    let Some(strategy) = spec.get("strategy").filter(|s| !s.is_null()) else {
        let rolling = Value::map(vec![("maxUnavailable", zero)]);
        return ed.insert_entry(spec, "strategy", &Value::map(vec![("rollingUpdate", rolling)]));
    };
    let mut patch = Patch::default();
    if let Some(t) = strategy.get("type").filter(|t| t.as_str() == Some("Recreate")) {
        patch.add(ed.replace_scalar(t, &Value::str("RollingUpdate"))?);
    }
    let rolling = strategy.get("rollingUpdate");
    let surge_is_zero = rolling
        .and_then(|r| r.get("maxSurge"))
        .filter(|s| !s.is_null())
        .and_then(IntOrPercent::of)
        .is_some_and(|s| s.scaled(replicas, true) == 0);
    match rolling {
        Some(r) if r.is_mapping() => {
            patch.add(ed.set_scalar_entry(r, "maxUnavailable", &zero)?);
            if surge_is_zero && let Some(s) = r.get("maxSurge") {
                patch.add(ed.replace_scalar(s, &surge)?);
            }
        }
        Some(null) if null.is_null() => {
            patch.add(ed.replace_scalar(null, &Value::map(vec![("maxUnavailable", zero)]))?);
        }
        Some(_) => return Err(EditError("`strategy.rollingUpdate` is not a mapping".into())),
        None => patch.add(ed.insert_entry(strategy, "rollingUpdate", &Value::map(vec![("maxUnavailable", zero)]))?),
    }
    Ok(patch)
}
