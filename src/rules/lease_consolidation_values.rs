//! LL003 lease-consolidation-values.

mod overlay;

use crate::diag::{Fix, Patch, Severity};
use crate::k8s::duration;
use crate::lint::{Ctx, Rule, ValuesDoc};
use crate::yaml::edit::{EditError, Editor, Value};
use crate::yaml::{NodePath, NodeRef};

/// Checks a Helm values file (a chart's `values*.yaml`, or `--values FILE`) for the lease
/// consolidation settings charts read from `global.leaseConsolidation`:
///
/// ```yaml
/// global:
///   leaseConsolidation:
///     enabled: true
///     scope: namespace
///     renewalInterval: 10s          # a Go duration, at least 10s
///     highChurnDeployments:
///       thresholdPerHour: 1         # an integer >= 1
/// ```
///
/// One finding per missing or wrong key (the whole block when it is missing). A
/// `leaseConsolidation` block anywhere else gets an `info` hint: subcharts see only globals.
/// Values files of subcharts (inside a chart's `charts/`) are not checked: they get the parent's
/// globals.
///
/// **Which files are judged** is decided by the runner (`lint::values`), not here: only the
/// values files of a chart that uses leases reach this rule. A chart uses leases when its
/// templates or those of its unpacked subcharts (`charts/*/`, recursively; `.tgz` archives are
/// not opened) hold the word `leaseConsolidation`, a configured carrier flag (`--flag` or
/// `-flag`) or a word matching a configured carrier env pattern, or a `kind: Lease` line; or
/// when any of its values files that are inputs holds a `leaseConsolidation` key at any depth.
/// A values file outside any chart directory (`--values` for a pipe) is judged when the run's
/// manifests have a workload with a lease carrier or a Lease object, and a chart's values file
/// is judged too when the run has such manifests from a pipe or `render` (a stream with no
/// file: it is the rendered chart). Config
/// `policy.requireLeaseConsolidationValues: true` judges every values file. Not detected: lease
/// use that only a packed subchart or a library chart outside `charts/` has.
///
/// **Overlays** (`ValuesDoc::below` not empty) are judged merged, as Helm merges `-f` files:
/// a chart's `values-*.yaml` over its `values.yaml` (the `values.yaml` must be an input of the
/// run), and `--values` files outside a chart each over those given before it (and over the
/// chart's `values.yaml` when the run holds exactly one chart). Only what the
/// overlay supplies is reported, at its node: a wrong value it sets, or a `null` / non-mapping
/// it writes on the way to a setting (which deletes or hides what the files below set). A
/// setting missing from every file is the finding of the bottom file alone. The fix of a
/// `null` or scalar writes the settings in its place, with `key: null` for every key the files
/// below had there, so that the overlay keeps deleting what it deleted.
///
/// The fix (safe) inserts or corrects the keys, keeping every comment.
pub(crate) struct LeaseConsolidationValues;

const MIN_RENEWAL_SECONDS: f64 = 10.0;

impl Rule for LeaseConsolidationValues {
    fn code(&self) -> &'static str {
        "LL003"
    }

    fn name(&self) -> &'static str {
        "lease-consolidation-values"
    }

    fn check_values(&self, values: &ValuesDoc<'_>, cx: &mut Ctx<'_>) {
        if let Some(root) = values.root {
            hint_misplaced(values, root, NodePath::root(), 0, cx);
        }
        if values.below.is_empty() {
            check_alone(values, cx);
        } else {
            overlay::check_overlay(values, cx);
        }
    }
}

/// Judges a values file on its own (a chart's `values.yaml`, or an overlay with nothing under it).
fn check_alone(values: &ValuesDoc<'_>, cx: &mut Ctx<'_>) {
    {
        let base = NodePath::keys(&["global", "leaseConsolidation"]);
        let block = values.root.and_then(|r| r.get_path(&["global", "leaseConsolidation"])).filter(|b| b.is_mapping());
        let policy = &cx.config.policy;
        let interval = format!("{}s", super::helpers::policy::number(policy.renewal_interval));
        let threshold = format!("{}", policy.high_churn_threshold_per_hour.max(1.0).round());
        let Some(block) = block else {
            let message = "`global.leaseConsolidation` is missing: the chart's workloads keep one Lease per pod \
                           (subcharts read only globals, so the settings belong under `global`)";
            let settings = Value::map(vec![
                ("enabled", Value::raw("true")),
                ("scope", Value::str("namespace")),
                ("renewalInterval", Value::raw(interval.clone())),
                ("highChurnDeployments", Value::map(vec![("thresholdPerHour", Value::raw(threshold.clone()))])),
            ]);
            let fix = Fix::safe("add `global.leaseConsolidation` with the namespace lease policy");
            let fix = cx.with_edits(fix, &[], |e| {
                let ed = e.editor(values.file)?;
                let lc = Value::map(vec![("leaseConsolidation", settings)]);
                let Some(root) = values.root else {
                    return Ok(ed.append_at_end(&Value::map(vec![("global", lc)])));
                };
                match root.get("global") {
                    Some(global) if global.is_mapping() => {
                        let settings = match lc {
                            Value::Map(mut m) => m.pop().map(|(_, v)| v).unwrap_or(Value::Map(Vec::new())),
                            other => other,
                        };
                        set_key(&ed, global, "leaseConsolidation", &settings)
                    }
                    Some(global) if global.is_null() => ed.replace_scalar(global, &lc),
                    Some(_) => Err(EditError("`global` is not a mapping".into())),
                    None if root.is_mapping() => ed.insert_entry(root, "global", &lc),
                    None => Err(EditError("the values file is not a mapping".into())),
                }
            });
            cx.report(values.at(&base), message).fix(fix).emit();
            return;
        };
        let problem = |key: &'static str, value: Value, message: String, cx: &mut Ctx<'_>| {
            let fix = cx.with_edits(Fix::safe(format!("set `global.leaseConsolidation.{key}`")), &[], |e| {
                set_key(&e.editor(values.file)?, block, key, &value)
            });
            cx.report(values.at(&NodePath::keys(&["global", "leaseConsolidation", key])), message).fix(fix).emit();
        };
        let enabled = || Value::raw("true");
        match block.get("enabled") {
            None => problem(
                "enabled",
                enabled(),
                "`leaseConsolidation.enabled` is missing: consolidation stays off".into(),
                cx,
            ),
            Some(v) if v.as_bool() != Some(true) => problem(
                "enabled",
                enabled(),
                format!(
                    "`leaseConsolidation.enabled` is `{}`, not `true`: consolidation stays off",
                    shown(values.text, v)
                ),
                cx,
            ),
            _ => {}
        }
        let scope = || Value::str("namespace");
        match block.get("scope") {
            None => {
                problem("scope", scope(), "`leaseConsolidation.scope` is missing: it must be `namespace`".into(), cx)
            }
            Some(v) if v.as_str() != Some("namespace") => problem(
                "scope",
                scope(),
                format!("`leaseConsolidation.scope` is `{}`, not `namespace`", shown(values.text, v)),
                cx,
            ),
            _ => {}
        }
        let renewal = || Value::raw(interval.clone());
        match block.get("renewalInterval") {
            None => problem(
                "renewalInterval",
                renewal(),
                "`leaseConsolidation.renewalInterval` is missing: set a duration of at least 10s (client-go renews every 2s by default)".into(),
                cx,
            ),
            Some(v) => match v.as_str().and_then(duration::parse_seconds) {
                Some(s) if s >= MIN_RENEWAL_SECONDS => {}
                Some(s) => problem(
                    "renewalInterval",
                    renewal(),
                    format!(
                        "`leaseConsolidation.renewalInterval` is `{}`: renewing every {}s costs {}× the writes of 10s",
                        shown(values.text, v),
                        super::helpers::policy::number(s),
                        super::helpers::policy::number(if s > 0.0 { MIN_RENEWAL_SECONDS / s } else { f64::INFINITY })
                    ),
                    cx,
                ),
                None => problem(
                    "renewalInterval",
                    renewal(),
                    format!("`leaseConsolidation.renewalInterval` is `{}`, not a duration such as `10s`", shown(values.text, v)),
                    cx,
                ),
            },
        }
        let churn = block.get("highChurnDeployments").filter(|h| h.is_mapping());
        match churn.and_then(|h| h.get("thresholdPerHour")) {
            None => {
                let message =
                    "`leaseConsolidation.highChurnDeployments.thresholdPerHour` is missing: set an integer ≥ 1";
                let fix = cx.with_edits(
                    Fix::safe(format!("set `highChurnDeployments.thresholdPerHour` to {threshold}")),
                    &[],
                    |e| {
                        let ed = e.editor(values.file)?;
                        let n = Value::raw(threshold.clone());
                        match churn {
                            Some(h) => ed.insert_entry(h, "thresholdPerHour", &n),
                            None => {
                                set_key(&ed, block, "highChurnDeployments", &Value::map(vec![("thresholdPerHour", n)]))
                            }
                        }
                    },
                );
                let path = NodePath::keys(&["global", "leaseConsolidation", "highChurnDeployments"]);
                cx.report(values.at(&path), message).fix(fix).emit();
            }
            Some(v) if v.as_i64().is_none_or(|n| n < 1) => {
                let message = format!(
                    "`leaseConsolidation.highChurnDeployments.thresholdPerHour` is `{}`, not an integer ≥ 1",
                    shown(values.text, v)
                );
                let fix = cx.with_edits(Fix::safe(format!("set `thresholdPerHour` to {threshold}")), &[], |e| {
                    e.editor(values.file)?.replace_scalar(v, &Value::raw(threshold.clone()))
                });
                let path =
                    NodePath::keys(&["global", "leaseConsolidation", "highChurnDeployments", "thresholdPerHour"]);
                cx.report(values.at(&path), message).fix(fix).emit();
            }
            _ => {}
        }
    }
}

/// Sets `key` of `map` to `value`: replaces a scalar (or null) value, replaces a collection entry,
/// or adds the entry.
fn set_key(ed: &Editor<'_>, map: NodeRef<'_, '_>, key: &str, value: &Value) -> Result<Patch, EditError> {
    match map.get(key) {
        Some(v) if v.scalar().is_none() || v.is_alias() => ed.replace_entry(map, key, key, value),
        _ => ed.set_scalar_entry(map, key, value),
    }
}

fn shown(text: &str, v: NodeRef<'_, '_>) -> String {
    if v.is_mapping() {
        return "a mapping".into();
    }
    if v.is_sequence() {
        return "a list".into();
    }
    v.source(text).to_string()
}

/// Hints at `leaseConsolidation` blocks outside `global` (up to a few levels deep).
fn hint_misplaced(values: &ValuesDoc<'_>, node: NodeRef<'_, '_>, path: NodePath, depth: usize, cx: &mut Ctx<'_>) {
    if depth > 4 || !node.is_mapping() {
        return;
    }
    for (k, v) in node.entries() {
        let Some(key) = k.scalar() else { continue };
        let here = path.key(key.to_string());
        if key == "leaseConsolidation" && path != NodePath::keys(&["global"]) {
            let message = format!(
                "`{here}` is not read: subcharts see only `global` values, so lease consolidation settings belong in `global.leaseConsolidation`"
            );
            cx.report(values.at(&here), message).severity(Severity::Info).emit();
        } else {
            hint_misplaced(values, v, here, depth + 1, cx);
        }
    }
}
