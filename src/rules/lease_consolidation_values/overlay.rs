//! LL003 on an overlay: a values file judged merged over the files below it, as Helm merges
//! `-f` files (maps merge deeply, the later file wins, `null` deletes a key, a scalar replaces
//! a map). Only what the overlay itself supplies is reported, at its node; what comes from the
//! files below is their own finding.

use crate::diag::Fix;
use crate::k8s::duration;
use crate::lint::{Ctx, ValuesDoc, ValuesLayer};
use crate::yaml::edit::{EditError, Value};
use crate::yaml::{NodePath, NodeRef};

use super::{MIN_RENEWAL_SECONDS, set_key, shown};

/// Where the merged value at a path comes from.
enum Merged<'d> {
    /// The merged value is there. `top`: the overlay wrote it (for a mapping: the overlay's
    /// own mapping is the topmost one merged).
    Value { node: NodeRef<'d, 'd>, top: bool },
    /// Nothing is there.
    Absent { cut: Option<Cut<'d>> },
}

/// A `null` that deletes a key, or a value that is not a mapping where the path goes on.
struct Cut<'d> {
    node: NodeRef<'d, 'd>,
    /// How many keys of the path lead to `node` (`global` is 1).
    len: usize,
    /// The overlay wrote it.
    top: bool,
}

/// The mappings at the path's end, topmost first, as they merge (a `null` or a non-mapping
/// hides everything below it). `layers`: (root, written by the overlay), topmost first.
fn maps_at<'d>(layers: &[(NodeRef<'d, 'd>, bool)], keys: &[&str]) -> Result<Vec<(NodeRef<'d, 'd>, bool)>, Merged<'d>> {
    let mut maps: Vec<(NodeRef<'d, 'd>, bool)> = layers.iter().copied().filter(|(n, _)| n.is_mapping()).collect();
    for (i, key) in keys.iter().enumerate() {
        let mut next = Vec::new();
        for (map, top) in &maps {
            let Some(v) = map.get(key).map(NodeRef::resolve) else { continue };
            if next.is_empty() {
                if v.is_mapping() {
                    next.push((v, *top));
                } else if i + 1 == keys.len() && !v.is_null() {
                    return Err(Merged::Value { node: v, top: *top });
                } else {
                    return Err(Merged::Absent { cut: Some(Cut { node: v, len: i + 1, top: *top }) });
                }
            } else if v.is_mapping() {
                next.push((v, *top));
            } else {
                break;
            }
        }
        if next.is_empty() {
            return Err(Merged::Absent { cut: None });
        }
        maps = next;
    }
    Ok(maps)
}

fn merged<'d>(layers: &[(NodeRef<'d, 'd>, bool)], keys: &[&str]) -> Merged<'d> {
    match maps_at(layers, keys) {
        Ok(maps) => match maps.first() {
            Some((node, top)) => Merged::Value { node: *node, top: *top },
            None => Merged::Absent { cut: None },
        },
        Err(m) => m,
    }
}

/// The keys of the files below at `keys` that a mapping written over a cut must delete again
/// (`key: null`) so that the cut keeps hiding them: `value` with those nulls added, at every
/// level of the mapping.
fn keep_hidden(value: Value, below: &[(NodeRef<'_, '_>, bool)], keys: &[&str]) -> Value {
    let Value::Map(entries) = value else { return value };
    let lower = maps_at(below, keys).unwrap_or_default();
    let mut entries: Vec<(String, Value)> = entries
        .into_iter()
        .map(|(k, v)| {
            let v = {
                let mut path: Vec<&str> = keys.to_vec();
                path.push(k.as_str());
                keep_hidden(v, below, &path)
            };
            (k, v)
        })
        .collect();
    for (map, _) in &lower {
        for (k, _) in map.entries() {
            let Some(k) = k.scalar() else { continue };
            if k != "<<" && !entries.iter().any(|(e, _)| e == k) {
                entries.push((k.to_string(), Value::raw("null")));
            }
        }
    }
    Value::Map(entries)
}

/// The settings `--fix` writes: the namespace lease policy.
fn policy_block(interval: &str, threshold: &str) -> Value {
    Value::map(vec![
        ("enabled", Value::raw("true")),
        ("scope", Value::str("namespace")),
        ("renewalInterval", Value::raw(interval)),
        ("highChurnDeployments", Value::map(vec![("thresholdPerHour", Value::raw(threshold))])),
    ])
}

/// `value` nested under `keys` (`a.b` and `v` make `{a: {b: v}}`).
fn nest(keys: &[&str], value: Value) -> Value {
    keys.iter().rev().fold(value, |v, k| Value::map(vec![(k, v)]))
}

/// The names of the files below, for messages.
fn names(below: &[ValuesLayer<'_>]) -> String {
    below.iter().map(|l| format!("`{}`", l.name)).collect::<Vec<_>>().join(", ")
}

/// Judges the overlay `values` over `values.below`.
pub(super) fn check_overlay(values: &ValuesDoc<'_>, cx: &mut Ctx<'_>) {
    let mut layers: Vec<(NodeRef<'_, '_>, bool)> = values.root.map(|r| (r, true)).into_iter().collect();
    let below: Vec<(NodeRef<'_, '_>, bool)> = values.below.iter().rev().map(|l| (l.root, false)).collect();
    layers.extend(below.iter().copied());
    let policy = &cx.config.policy;
    let interval = format!("{}s", crate::rules::helpers::policy::number(policy.renewal_interval));
    let threshold = format!("{}", policy.high_churn_threshold_per_hour.max(1.0).round());
    let block_keys = ["global", "leaseConsolidation"];
    // The overlay replaces the whole block (with a scalar) or deletes it (`null`).
    let cut = match merged(&layers, &block_keys) {
        Merged::Value { node, .. } if node.is_mapping() => None,
        Merged::Value { node, top: true } => Some(Cut { node, len: 2, top: true }),
        Merged::Absent { cut: Some(cut) } if cut.top => Some(cut),
        _ => return,
    };
    if let Some(cut) = cut {
        let block = policy_block(&interval, &threshold);
        report_cut(values, cx, &below, &block_keys, cut, block, "the chart's workloads keep one Lease per pod");
        return;
    }
    let keys: [(&[&'static str], Value, &str); 4] = [
        (&["global", "leaseConsolidation", "enabled"], Value::raw("true"), "consolidation stays off"),
        (&["global", "leaseConsolidation", "scope"], Value::str("namespace"), "it must be `namespace`"),
        (
            &["global", "leaseConsolidation", "renewalInterval"],
            Value::raw(interval.clone()),
            "set a duration of at least 10s (client-go renews every 2s by default)",
        ),
        (
            &["global", "leaseConsolidation", "highChurnDeployments", "thresholdPerHour"],
            Value::raw(threshold.clone()),
            "set an integer ≥ 1",
        ),
    ];
    for (path, value, cost) in keys {
        match merged(&layers, path) {
            Merged::Value { node, top: true } => {
                let Some(message) = wrong(path, node, values.text) else { continue };
                let (parent, key) = path.split_at(path.len() - 1);
                let key = key.first().copied().unwrap_or_default();
                let title = match key {
                    "thresholdPerHour" => format!("set `thresholdPerHour` to {threshold}"),
                    _ => format!("set `global.leaseConsolidation.{key}`"),
                };
                let fix = cx.with_edits(Fix::safe(title), &[], |e| {
                    let map = values
                        .root
                        .and_then(|r| r.get_path(parent))
                        .ok_or_else(|| EditError("internal error: the overlay's mapping is gone".into()))?;
                    set_key(&e.editor(values.file)?, map, key, &value)
                });
                cx.report(values.at(&NodePath::keys(path)), message).fix(fix).emit();
            }
            Merged::Absent { cut: Some(cut) } if cut.top => report_cut(values, cx, &below, path, cut, value, cost),
            _ => {}
        }
    }
}

/// What is wrong with the value the overlay sets at `path`, `None` when it is right (the
/// messages of a file judged alone).
fn wrong(path: &[&str], v: NodeRef<'_, '_>, text: &str) -> Option<String> {
    match path.last().copied().unwrap_or_default() {
        "enabled" => (v.as_bool() != Some(true)).then(|| {
            format!("`leaseConsolidation.enabled` is `{}`, not `true`: consolidation stays off", shown(text, v))
        }),
        "scope" => (v.as_str() != Some("namespace"))
            .then(|| format!("`leaseConsolidation.scope` is `{}`, not `namespace`", shown(text, v))),
        "renewalInterval" => match v.as_str().and_then(duration::parse_seconds) {
            Some(s) if s >= MIN_RENEWAL_SECONDS => None,
            Some(s) => Some(format!(
                "`leaseConsolidation.renewalInterval` is `{}`: renewing every {}s costs {}× the writes of 10s",
                shown(text, v),
                crate::rules::helpers::policy::number(s),
                crate::rules::helpers::policy::number(if s > 0.0 { MIN_RENEWAL_SECONDS / s } else { f64::INFINITY })
            )),
            None => Some(format!(
                "`leaseConsolidation.renewalInterval` is `{}`, not a duration such as `10s`",
                shown(text, v)
            )),
        },
        _ => v.as_i64().is_none_or(|n| n < 1).then(|| {
            format!(
                "`leaseConsolidation.highChurnDeployments.thresholdPerHour` is `{}`, not an integer ≥ 1",
                shown(text, v)
            )
        }),
    }
}

/// Reports a `null` or a non-mapping the overlay writes on the way to `path` (which it deletes
/// or hides), with a fix that writes `value` there instead, keeping hidden what the cut hid.
fn report_cut(
    values: &ValuesDoc<'_>,
    cx: &mut Ctx<'_>,
    below: &[(NodeRef<'_, '_>, bool)],
    path: &[&'static str],
    cut: Cut<'_>,
    value: Value,
    cost: &str,
) {
    let (at, rest) = path.split_at(cut.len.min(path.len()));
    let written = NodePath::keys(at);
    let target = NodePath::keys(path);
    let how = if cut.node.is_null() && at.len() == path.len() {
        format!("`{written}: null` deletes the key from the values below it ({})", names(values.below))
    } else if cut.node.is_null() {
        format!("`{written}: null` deletes `{target}` from the values below it ({})", names(values.below))
    } else {
        format!(
            "`{written}` is `{}`, which replaces the mapping of the values below it ({}), so `{target}` is missing",
            shown(values.text, cut.node),
            names(values.below)
        )
    };
    let message = format!("{how}: {cost}");
    let value = keep_hidden(nest(rest, value), below, at);
    let title = if path.len() == 2 {
        "set `global.leaseConsolidation` to the namespace lease policy in this file".to_string()
    } else {
        format!("set `{target}` in this file")
    };
    let fix = cx.with_edits(Fix::safe(title), &[], |e| {
        let ed = e.editor(values.file)?;
        let (parent, key) = at.split_at(at.len().saturating_sub(1));
        let key = key.first().copied().unwrap_or_default();
        let map = values
            .root
            .and_then(|r| r.get_path(parent))
            .ok_or_else(|| EditError("internal error: the overlay's mapping is gone".into()))?;
        set_key(&ed, map, key, &value)
    });
    cx.report(values.at(&written), message).fix(fix).emit();
}
