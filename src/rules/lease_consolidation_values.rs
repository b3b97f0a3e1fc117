//! LL003 lease-consolidation-values.

use crate::diag::{Fix, Severity};
use crate::k8s::duration;
use crate::lint::{Ctx, Rule, ValuesDoc};
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
        let base = NodePath::keys(&["global", "leaseConsolidation"]);
        let block = values.root.and_then(|r| r.get_path(&["global", "leaseConsolidation"])).filter(|b| b.is_mapping());
        if let Some(root) = values.root {
            hint_misplaced(values, root, NodePath::root(), 0, cx);
        }
        let Some(block) = block else {
            let message = "`global.leaseConsolidation` is missing: the chart's workloads keep one Lease per pod \
                           (subcharts read only globals, so the settings belong under `global`)";
            cx.report(values.at(&base), message)
                .fix(Fix::safe("add `global.leaseConsolidation` with the namespace lease policy"))
                .emit();
            return;
        };
        let problem = |key: &'static str, message: String, cx: &mut Ctx<'_>| {
            cx.report(values.at(&NodePath::keys(&["global", "leaseConsolidation", key])), message)
                .fix(Fix::safe(format!("set `global.leaseConsolidation.{key}`")))
                .emit();
        };
        match block.get("enabled") {
            None => problem("enabled", "`leaseConsolidation.enabled` is missing: consolidation stays off".into(), cx),
            Some(v) if v.as_bool() != Some(true) => problem(
                "enabled",
                format!(
                    "`leaseConsolidation.enabled` is `{}`, not `true`: consolidation stays off",
                    shown(values.text, v)
                ),
                cx,
            ),
            _ => {}
        }
        match block.get("scope") {
            None => problem("scope", "`leaseConsolidation.scope` is missing: it must be `namespace`".into(), cx),
            Some(v) if v.as_str() != Some("namespace") => problem(
                "scope",
                format!("`leaseConsolidation.scope` is `{}`, not `namespace`", shown(values.text, v)),
                cx,
            ),
            _ => {}
        }
        match block.get("renewalInterval") {
            None => problem(
                "renewalInterval",
                "`leaseConsolidation.renewalInterval` is missing: set a duration of at least 10s (client-go renews every 2s by default)".into(),
                cx,
            ),
            Some(v) => match v.as_str().and_then(duration::parse_seconds) {
                Some(s) if s >= MIN_RENEWAL_SECONDS => {}
                Some(s) => problem(
                    "renewalInterval",
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
                    format!("`leaseConsolidation.renewalInterval` is `{}`, not a duration such as `10s`", shown(values.text, v)),
                    cx,
                ),
            },
        }
        let threshold = block.get("highChurnDeployments").and_then(|h| h.get("thresholdPerHour"));
        match threshold {
            None => problem(
                "highChurnDeployments",
                "`leaseConsolidation.highChurnDeployments.thresholdPerHour` is missing: set an integer ≥ 1".into(),
                cx,
            ),
            Some(v) if v.as_i64().is_none_or(|n| n < 1) => {
                let message = format!(
                    "`leaseConsolidation.highChurnDeployments.thresholdPerHour` is `{}`, not an integer ≥ 1",
                    shown(values.text, v)
                );
                cx.report(
                    values.at(&NodePath::keys(&[
                        "global",
                        "leaseConsolidation",
                        "highChurnDeployments",
                        "thresholdPerHour",
                    ])),
                    message,
                )
                .fix(Fix::safe("set `thresholdPerHour` to 1"))
                .emit();
            }
            _ => {}
        }
    }
}

/// A value as written (`"true"` keeps its quotes, so a string that looks like a boolean shows).
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
