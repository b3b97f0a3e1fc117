//! LL008 pdb-blocks-eviction.

use crate::diag::Fix;
use crate::k8s::{Inventory, Pdb, PdbBudget, Workload};
use crate::lint::{Ctx, Rule};
use crate::yaml::edit::{EditError, Value};

/// Finds PodDisruptionBudgets that can never allow a voluntary eviction:
/// - `maxUnavailable: 0` or `"0%"`, or `minAvailable: "100%"` (always);
/// - `minAvailable` at least the replicas of every workload it selects, when it selects at least
///   one with pods. Replicas are counted as LL007 counts them (HPA `minReplicas` included), and a
///   percentage is scaled against them and rounded up, as the disruption controller does
///   (`minAvailable: 51%` of 1 replica is 1).
///
/// Selected workloads are Deployments, StatefulSets, ReplicaSets and ReplicationControllers in
/// the PDB's namespace whose pod template labels match its selector.
///
/// ## Fix safety
/// Unsafe: `maxUnavailable: 1` lets a drain take one pod down, which the owner may have ruled out
/// on purpose (a quorum that cannot lose a member).
pub(crate) struct PdbBlocksEviction;

impl Rule for PdbBlocksEviction {
    fn code(&self) -> &'static str {
        "LL008"
    }

    fn name(&self) -> &'static str {
        "pdb-blocks-eviction"
    }

    fn check_inventory(&self, inv: &Inventory, cx: &mut Ctx<'_>) {
        for pdb in &inv.pdbs {
            if let Some((budget, message)) = blocking(pdb, inv) {
                let message = format!(
                    "PodDisruptionBudget `{}`: {message}: node drains and cluster upgrades wait on it forever",
                    pdb.info.object.name
                );
                let fix = Fix::unsafe_("use `maxUnavailable: 1` (a drain may then take one pod down)");
                let fix = cx.with_edits(fix, &[&pdb.info], |e| {
                    let obj = e.object(&pdb.info)?;
                    let ed = e.editor(pdb.info.file)?;
                    let spec = obj.root.get("spec").ok_or_else(|| EditError("the PDB has no spec".into()))?;
                    let one = Value::raw("1");
                    match spec.get("maxUnavailable") {
                        Some(max) => {
                            let mut edits = ed.replace_scalar(max, &one)?;
                            if spec.get("minAvailable").is_some() {
                                edits.add(ed.remove_entry(spec, "minAvailable")?);
                            }
                            Ok(edits)
                        }
                        None => ed.replace_entry(spec, "minAvailable", "maxUnavailable", &one),
                    }
                });
                cx.report(budget.loc.clone(), message).fix(fix).emit();
            }
        }
    }
}

fn blocking<'p>(pdb: &'p Pdb, inv: &Inventory) -> Option<(&'p PdbBudget, String)> {
    if let Some(max) = &pdb.max_unavailable
        && max.value == Some(0)
    {
        return Some((max, format!("`maxUnavailable: {}` never allows a voluntary eviction", max.text)));
    }
    let min = pdb.min_available.as_ref()?;
    let wanted = min.value?;
    if min.percent && wanted >= 100 {
        return Some((min, format!("`minAvailable: {}` never allows a voluntary eviction", min.text)));
    }
    let selected: Vec<(&Workload, i64)> = inv
        .selected_by(pdb)
        .filter(|w| w.kind.is_scalable())
        .filter_map(|w| Some((w, inv.replicas(w)?)))
        .filter(|(_, r)| *r > 0)
        .collect();
    if selected.is_empty() {
        return None;
    }
    let required = |replicas: i64| if min.percent { (wanted * replicas + 99) / 100 } else { wanted };
    if !selected.iter().all(|(_, r)| required(*r) >= *r) {
        return None;
    }
    let shown: Vec<String> = selected
        .iter()
        .take(3)
        .map(|(w, r)| {
            format!("{} `{}` ({r} replica{})", w.info.object.kind, w.info.object.name, if *r == 1 { "" } else { "s" })
        })
        .collect();
    let (w_req, w_rep) = selected.first().map(|(_, r)| (required(*r), *r)).unwrap_or_default();
    let scaled = if min.percent { format!(" ({w_req} of {w_rep} pods, rounded up)") } else { String::new() };
    Some((
        min,
        format!(
            "`minAvailable: {}`{scaled} needs every pod of {} to stay up, so no pod can ever be evicted",
            min.text,
            shown.join(", ")
        ),
    ))
}
