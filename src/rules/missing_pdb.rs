//! LL007 missing-pdb.

use crate::diag::Fix;
use crate::k8s::{Inventory, Kind};
use crate::lint::{Ctx, Rule};

/// Finds Deployments and StatefulSets with 2 or more replicas (`thresholds.pdbMinReplicas`) that
/// no PodDisruptionBudget in their namespace selects. Replicas are the larger of `spec.replicas`
/// and the `minReplicas` of an HPA whose `scaleTargetRef` names the workload. Selection follows
/// Kubernetes: the PDB's selector is matched against the *pod template's* labels, with
/// `matchLabels` and `matchExpressions`; a policy/v1 empty selector selects every pod of the
/// namespace (policy/v1beta1: none). The PDB may be in any file of the run.
///
/// The fix (safe) appends a `policy/v1` PodDisruptionBudget `{name}-pdb` after the workload's
/// document, with `maxUnavailable: 1` and the workload's `spec.selector`.
pub(crate) struct MissingPdb;

impl Rule for MissingPdb {
    fn code(&self) -> &'static str {
        "LL007"
    }

    fn name(&self) -> &'static str {
        "missing-pdb"
    }

    fn check_inventory(&self, inv: &Inventory, cx: &mut Ctx<'_>) {
        let min = cx.config.thresholds.pdb_min_replicas;
        for w in inv.workloads.iter().filter(|w| matches!(w.kind, Kind::Deployment | Kind::StatefulSet)) {
            let Some(replicas) = inv.replicas(w) else { continue };
            if replicas < min {
                continue;
            }
            if inv.pdbs_selecting(w).next().is_some() {
                continue;
            }
            let hpa = match inv.hpa_min_replicas(w) {
                Some(m) if m >= w.replicas.unwrap_or(1) => format!(" (HPA minReplicas {m})"),
                _ => String::new(),
            };
            let message = format!(
                "{} `{}` runs {replicas} replicas{hpa} and no PodDisruptionBudget selects its pods: a node drain \
                 can evict all {replicas} at once",
                w.info.object.kind, w.info.object.name
            );
            let fix =
                Fix::safe(format!("add PodDisruptionBudget `{}-pdb` with `maxUnavailable: 1`", w.info.object.name));
            cx.report(w.replicas_loc.clone(), message).fix(fix).emit();
        }
    }
}
