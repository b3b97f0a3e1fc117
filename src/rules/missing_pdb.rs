//! LL007 missing-pdb.

use crate::diag::Fix;
use crate::k8s::{Inventory, Kind};
use crate::lint::{Ctx, Rule};
use crate::yaml::edit::{EditError, Value};

/// Finds Deployments and StatefulSets with 2 or more replicas (`thresholds.pdbMinReplicas`) that
/// no PodDisruptionBudget in their namespace selects. Replicas are the larger of `spec.replicas`
/// and the `minReplicas` of an HPA whose `scaleTargetRef` names the workload. Selection follows
/// Kubernetes: the PDB's selector is matched against the *pod template's* labels, with
/// `matchLabels` and `matchExpressions`; a policy/v1 empty selector selects every pod of the
/// namespace (policy/v1beta1: none). The PDB may be in any file of the run.
///
/// The fix (safe) appends a `policy/v1` PodDisruptionBudget `{name}-pdb` after the workload's
/// document, with `maxUnavailable: 1` and the workload's `spec.selector`; in a JSON `List` it is
/// added as an item of the `List`. It is refused when that selector does not select the
/// workload's own pod template (such a PDB would select nothing), and in a JSON file that holds
/// one object (JSON has no `---` documents).
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
            let counted_hpa = inv.hpa_of(w).filter(|h| h.min_replicas >= w.replicas.unwrap_or(1));
            let hpa = counted_hpa.map_or_else(String::new, |h| format!(" (HPA minReplicas {})", h.min_replicas));
            let message = format!(
                "{} `{}` runs {replicas} replicas{hpa} and no PodDisruptionBudget selects its pods: nothing \
                 limits how many of them voluntary disruptions (node drains in an upgrade, autoscaler \
                 scale-down) evict at once, up to all {replicas}",
                w.info.object.kind, w.info.object.name
            );
            let name = format!("{}-pdb", w.info.object.name);
            let fix = Fix::safe(format!("add PodDisruptionBudget `{name}` with `maxUnavailable: 1`"));
            // A workload in a JSON `List` gets its PDB as an item of the `List` (the tree is
            // needed); otherwise the facts tell where its document ends.
            let in_json_list = w.info.id.item > 0 && cx.is_json(w.info.file);
            let objects: &[&crate::diag::ObjectInfo] = if in_json_list { &[&w.info] } else { &[] };
            let fix = cx.with_edits(fix, objects, |e| {
                let ed = e.editor(w.info.file)?;
                let selector = match &w.selector {
                    // A PDB with this selector would not select the pods either, or would not
                    // be valid (and the API server rejects such a workload): refused.
                    Some(Err(why)) => return Err(EditError(why.clone())),
                    Some(Ok(s)) => s.clone(),
                    None if !w.pod_labels.is_empty() => Value::map(vec![(
                        "matchLabels",
                        Value::Map(w.pod_labels.iter().map(|(k, v)| (k.clone(), Value::str(v.clone()))).collect()),
                    )]),
                    None => return Err(EditError("the workload has no selector and no pod labels to copy".into())),
                };
                let mut metadata = vec![("name", Value::str(name.clone()))];
                if let Some(ns) = &w.info.object.namespace {
                    metadata.push(("namespace", Value::str(ns.clone())));
                }
                let pdb = Value::map(vec![
                    ("apiVersion", Value::raw("policy/v1")),
                    ("kind", Value::raw("PodDisruptionBudget")),
                    ("metadata", Value::map(metadata)),
                    ("spec", Value::map(vec![("maxUnavailable", Value::raw("1")), ("selector", selector)])),
                ]);
                if in_json_list {
                    let (doc, _) = e.document(&w.info)?;
                    let items = doc
                        .root()
                        .and_then(|r| r.get("items"))
                        .ok_or_else(|| EditError("internal error: the List has no items".into()))?;
                    return ed.append_item(items, &pdb);
                }
                ed.insert_document_after(&w.doc, &pdb)
            });
            let mut finding = cx.report(w.replicas_loc.clone(), message).fix(fix);
            if let Some(h) = counted_hpa {
                finding = finding.related(
                    h.loc.clone(),
                    format!("HorizontalPodAutoscaler `{}` keeps at least {} replicas", h.name, h.min_replicas),
                );
            }
            finding.emit();
        }
    }
}
