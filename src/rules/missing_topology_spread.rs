//! LL015 missing-topology-spread.

use crate::diag::Fix;
use crate::k8s::rollout::HOSTNAME_KEY;
use crate::k8s::{Inventory, Kind};
use crate::lint::{Ctx, Rule};
use crate::yaml::edit::{EditError, Value};

use super::helpers::latency::replicated_latency_sensitive;

/// Finds latency-sensitive Deployments and StatefulSets (as LL004 decides) with 2 or more
/// replicas (as LL007 counts them) whose pod template has neither a `topologySpreadConstraints`
/// entry on `kubernetes.io/hostname` (any `whenUnsatisfiable`) nor a required pod anti-affinity
/// term on it. Without either, only the scheduler's default spreading applies, which is best
/// effort (`ScheduleAnyway`, `maxSkew` 3 per node): under pressure every replica may land on one
/// node, and one node failure takes them all.
///
/// A *preferred* anti-affinity on the hostname is best effort too and does not count (the
/// message says it was seen); constraints on other keys (zones) do not keep two replicas off
/// one node. A container with a `hostPort` does: the scheduler never puts two pods that bind
/// the same host port on one node. A pod pinned to one node (`nodeName`, or a `nodeSelector` on
/// `kubernetes.io/hostname`) is skipped: its replicas share that node by design. A constraint or
/// anti-affinity term counts only when its `labelSelector` selects the pod template's own labels:
/// the scheduler spreads (or keeps apart) the pods a selector selects, a missing selector selects
/// none, and a selector copied from another workload keeps these replicas off *its* pods only
/// (the message says so). Not detected: DaemonSets (one pod per node), and cluster-wide default
/// constraints set in the scheduler's configuration (invisible in manifests).
///
/// ## Fix safety
/// Unsafe: it adds `{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable:
/// DoNotSchedule, labelSelector: <the workload's spec.selector>}`, and `DoNotSchedule` leaves
/// pods pending when no node keeps the skew (fewer schedulable nodes than the spread needs, node
/// selectors, taints). Refused when the workload's selector cannot be copied (not a valid label
/// selector, or it does not select the workload's own pods).
pub(crate) struct MissingTopologySpread;

impl Rule for MissingTopologySpread {
    fn code(&self) -> &'static str {
        "LL015"
    }

    fn name(&self) -> &'static str {
        "missing-topology-spread"
    }

    fn check_inventory(&self, inv: &Inventory, cx: &mut Ctx<'_>) {
        for w in inv.workloads.iter().filter(|w| matches!(w.kind, Kind::Deployment | Kind::StatefulSet)) {
            let Some(facts) = w.rollout.as_deref() else { continue };
            // Pinned to one node on purpose: there is nothing to spread over.
            if facts.spread.is_spread() || facts.spread.pinned {
                continue;
            }
            let Some(scope) = replicated_latency_sensitive(w, inv, cx.config) else { continue };
            let all = match scope.replicas {
                Some(2) => "both replicas".to_string(),
                Some(n) => format!("all {n} replicas"),
                None => "every replica".to_string(),
            };
            let mut seen = Vec::new();
            if facts.spread.preferred_anti_affinity {
                seen.push("its preferred pod anti-affinity on the hostname is best effort too".to_string());
            }
            if facts.spread.foreign_selector {
                seen.push(
                    "its constraint or anti-affinity on the hostname has a `labelSelector` that is missing or \
                     does not match the pod template's labels, so it selects other pods, not these replicas"
                        .to_string(),
                );
            }
            if !facts.spread.other_keys.is_empty() {
                let keys: Vec<String> = facts.spread.other_keys.iter().map(|k| format!("`{k}`")).collect();
                seen.push(format!("its spread constraints on {} do not keep replicas off one node", keys.join(", ")));
            }
            let seen = if seen.is_empty() { String::new() } else { format!(" ({})", seen.join("; ")) };
            let own = if facts.spread.foreign_selector { " that select its own pods" } else { "" };
            let message = format!(
                "{} has no `topologySpreadConstraints` on `{HOSTNAME_KEY}` and no required pod anti-affinity on it{own}: \
                 the scheduler's default spreading is best effort (`ScheduleAnyway`, `maxSkew` 3), so under \
                 pressure {all} may land on one node, and one node failure takes them all{seen}",
                scope.describe(w)
            );
            let fix = Fix::unsafe_(format!(
                "add a `topologySpreadConstraints` entry on `{HOSTNAME_KEY}` with `maxSkew: 1` and \
                 `whenUnsatisfiable: DoNotSchedule` (pods stay pending when no node keeps the skew)"
            ));
            let fix = cx.with_edits(fix, &[&w.info], |e| {
                let selector = match &w.selector {
                    Some(Ok(s)) => s.clone(),
                    Some(Err(why)) => return Err(EditError(why.clone())),
                    None if !w.pod_labels.is_empty() => Value::map(vec![(
                        "matchLabels",
                        Value::Map(w.pod_labels.iter().map(|(k, v)| (k.clone(), Value::str(v.clone()))).collect()),
                    )]),
                    None => return Err(EditError("the workload has no selector and no pod labels to copy".into())),
                };
                let constraint = Value::map(vec![
                    ("maxSkew", Value::raw("1")),
                    ("topologyKey", Value::str(HOSTNAME_KEY)),
                    ("whenUnsatisfiable", Value::str("DoNotSchedule")),
                    ("labelSelector", selector),
                ]);
                let obj = e.object(&w.info)?;
                let ed = e.editor(w.info.file)?;
                let spec = obj
                    .get(&facts.spec_path())
                    .ok_or_else(|| EditError("internal error: the pod spec moved".into()))?;
                match spec.get("topologySpreadConstraints") {
                    // The API server rejects two constraints with the same topologyKey and
                    // whenUnsatisfiable: the one there selects other pods and is the user's to fix.
                    Some(list) if list.items().any(hostname_do_not_schedule) => Err(EditError(format!(
                        "a `DoNotSchedule` constraint on `{HOSTNAME_KEY}` exists with a `labelSelector` that does not \
                         select these pods, and the API server rejects a second one; give it the workload's selector"
                    ))),
                    Some(list) if list.is_sequence() => ed.append_item(list, &constraint),
                    Some(null) if null.is_null() => ed.replace_scalar(null, &Value::Seq(vec![constraint])),
                    Some(_) => Err(EditError("`topologySpreadConstraints` is not a list".into())),
                    None => ed.insert_entry(spec, "topologySpreadConstraints", &Value::Seq(vec![constraint])),
                }
            });
            let finding = cx.report(facts.spread_loc.clone(), message).fix(fix);
            scope.relate(finding).emit();
        }
    }
}

/// A `topologySpreadConstraints` entry on the hostname with `whenUnsatisfiable: DoNotSchedule`
/// (the default when unset).
fn hostname_do_not_schedule(c: crate::yaml::NodeRef<'_, '_>) -> bool {
    c.get("topologyKey").and_then(|k| k.as_text()) == Some(HOSTNAME_KEY)
        && c.get("whenUnsatisfiable").and_then(|w| w.as_text()).is_none_or(|w| w == "DoNotSchedule")
}
