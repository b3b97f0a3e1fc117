//! Label selectors with Kubernetes semantics, matched by kube-core's `Selector`.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use kube_core::{Selector, SelectorExt};

use crate::yaml::NodeRef;

/// What a selector selects.
#[derive(Clone, Debug)]
pub(crate) enum PodSelector {
    /// A missing or null selector, or one the API server would reject: selects no pod.
    Nothing,
    /// Selects the pods whose labels match (an empty selector selects every pod). `anchor` is
    /// one `key=value` the selector requires, when it has one (used to index selectors).
    Matching { selector: Selector, anchor: Option<(String, String)> },
}

impl PodSelector {
    /// A `LabelSelector` (`matchLabels` and `matchExpressions` with `In`, `NotIn`, `Exists`,
    /// `DoesNotExist`). An empty selector selects everything when `empty_selects_all`
    /// (policy/v1 PDBs) and nothing otherwise (policy/v1beta1).
    pub(crate) fn from_label_selector(node: Option<NodeRef<'_, '_>>, empty_selects_all: bool) -> Self {
        let Some(node) = node.filter(|n| n.is_mapping()) else { return PodSelector::Nothing };
        let Some(selector) = to_label_selector(node) else { return PodSelector::Nothing };
        let empty = selector.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
            && selector.match_expressions.as_ref().is_none_or(Vec::is_empty);
        if empty && !empty_selects_all {
            return PodSelector::Nothing;
        }
        Self::from_selector(selector).unwrap_or(PodSelector::Nothing)
    }

    /// A deserialized `LabelSelector` (from config); `None` when the API server would reject it
    /// (an unknown operator, or `In`/`NotIn` without values). An empty selector selects every pod.
    pub(crate) fn from_selector(selector: LabelSelector) -> Option<Self> {
        let invalid = selector
            .match_expressions
            .iter()
            .flatten()
            .any(|e| matches!(e.operator.as_str(), "In" | "NotIn") && e.values.as_ref().is_none_or(Vec::is_empty));
        if invalid {
            return None;
        }
        let anchor = anchor_of(&selector);
        Selector::try_from(selector).ok().map(|selector| PodSelector::Matching { selector, anchor })
    }

    /// A Service's `spec.selector` map: empty or missing selects nothing (endpoints are managed
    /// elsewhere).
    pub(crate) fn from_map(node: Option<NodeRef<'_, '_>>) -> Self {
        let map = super::string_map(node);
        if map.is_empty() {
            return PodSelector::Nothing;
        }
        let anchor = map.iter().next().map(|(k, v)| (k.clone(), v.clone()));
        PodSelector::Matching { selector: map.into_iter().collect(), anchor }
    }

    pub(crate) fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            PodSelector::Nothing => false,
            PodSelector::Matching { selector, .. } => selector.matches(labels),
        }
    }

    /// A `key=value` every selected pod has, if the selector requires one.
    pub(crate) fn anchor(&self) -> Option<(&str, &str)> {
        match self {
            PodSelector::Matching { anchor: Some((k, v)), .. } => Some((k, v)),
            _ => None,
        }
    }
}

/// Why a `LabelSelector` node would not deserialize into the k8s-openapi type (and so would
/// not be a valid selector of a new object): `matchLabels` must map strings to strings and
/// `matchExpressions` must list `{key, operator, values}` with string fields. `None` when it is
/// valid. Checked by hand instead of through serde: it runs for every Deployment and
/// StatefulSet of a run (tested against the serde route).
pub(crate) fn label_selector_error(node: NodeRef<'_, '_>) -> Option<String> {
    if !node.is_mapping() {
        return Some("it is not a mapping".into());
    }
    // k8s-openapi takes a missing `key` or `operator` as empty (the API server then rejects
    // the object, but it deserializes); a present one must be a string.
    let text = |n: Option<NodeRef<'_, '_>>| n.is_none_or(|v| v.is_null() || v.as_str().is_some());
    if let Some(labels) = node.get("matchLabels").filter(|n| !n.is_null()) {
        if !labels.is_mapping() {
            return Some("`matchLabels` is not a mapping".into());
        }
        if let Some((k, _)) = labels.entries().find(|(k, v)| k.as_str().is_none() || v.as_str().is_none()) {
            return Some(format!("`matchLabels.{}` is not a string", k.scalar().unwrap_or("?")));
        }
    }
    if let Some(exprs) = node.get("matchExpressions").filter(|n| !n.is_null()) {
        if !exprs.is_sequence() {
            return Some("`matchExpressions` is not a list".into());
        }
        for (i, e) in exprs.items().enumerate() {
            let values_ok = e
                .get("values")
                .filter(|v| !v.is_null())
                .is_none_or(|v| v.is_sequence() && v.items().all(|item| item.as_str().is_some()));
            if !e.is_mapping() || !text(e.get("key")) || !text(e.get("operator")) || !values_ok {
                return Some(format!("`matchExpressions[{i}]` is not a `{{key, operator, values}}` of strings"));
            }
        }
    }
    None
}

fn anchor_of(selector: &LabelSelector) -> Option<(String, String)> {
    if let Some((k, v)) = selector.match_labels.as_ref().and_then(|m| m.iter().next()) {
        return Some((k.clone(), v.clone()));
    }
    selector.match_expressions.iter().flatten().find_map(|e| {
        let values = e.values.as_ref()?;
        (e.operator == "In" && values.len() == 1).then(|| (e.key.clone(), values.first().cloned().unwrap_or_default()))
    })
}

fn to_label_selector(node: NodeRef<'_, '_>) -> Option<LabelSelector> {
    let match_labels = node.get("matchLabels").filter(|n| !n.is_null()).map(|n| super::string_map(Some(n)));
    let mut expressions = Vec::new();
    if let Some(exprs) = node.get("matchExpressions") {
        for e in exprs.items() {
            let key = e.get("key")?.as_text()?.to_string();
            let operator = e.get("operator")?.as_text()?.to_string();
            let values = e
                .get("values")
                .filter(|v| v.is_sequence())
                .map(|v| v.items().filter_map(|i| i.as_text().map(str::to_string)).collect::<Vec<_>>());
            if matches!(operator.as_str(), "In" | "NotIn") && values.as_ref().is_none_or(Vec::is_empty) {
                return None; // the API server rejects In/NotIn without values
            }
            expressions.push(LabelSelectorRequirement { key, operator, values });
        }
    }
    Some(LabelSelector {
        match_labels,
        match_expressions: if expressions.is_empty() { None } else { Some(expressions) },
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_selector_check_agrees_with_serde() {
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
        let cases = [
            "{matchLabels: {app: a}}",
            "{matchLabels: {app, api}}",
            "{matchLabels: {app: 1}}",
            "{matchLabels: {app: \"1\"}}",
            "{matchLabels: ~}",
            "{matchLabels: [a]}",
            "{matchExpressions: [{key: a, operator: In, values: [x, y]}]}",
            "{matchExpressions: [{key: a, operator: Exists}]}",
            "{matchExpressions: [{key: a, operator: In, values: [1]}]}",
            "{matchExpressions: [{key: a}]}",
            "{matchExpressions: [{key: ~, operator: In}]}",
            "{matchLabels: {a: b}, matchExpressions: [{key: x, operator: In, values: ~}]}",
            "{matchExpressions: [{operator: 1}]}",
            "{matchExpressions: {key: a}}",
            "{}",
            "{other: 1}",
        ];
        for text in cases {
            let (docs, errors) = crate::yaml::parse_chunk(text, 0..text.len(), crate::yaml::Limits::default());
            assert!(errors.is_empty(), "{text}");
            let node = docs[0].root().unwrap();
            let by_hand = super::label_selector_error(node).is_none();
            let by_serde = crate::yaml::de::from_node::<LabelSelector>(node).is_ok();
            assert_eq!(by_hand, by_serde, "{text}");
        }
    }

    use std::collections::BTreeMap;

    use super::PodSelector;
    use crate::yaml::{Limits, parse_chunk};

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
    }

    fn check(selector_yaml: &str, all: bool, cases: &[(&[(&str, &str)], bool)]) {
        let text = format!("s: {selector_yaml}\n");
        let (docs, errors) = parse_chunk(&text, 0..text.len(), Limits::default());
        assert!(errors.is_empty(), "{errors:?}");
        let node = docs[0].root().unwrap().get("s");
        let sel = PodSelector::from_label_selector(node, all);
        for (pod, want) in cases {
            assert_eq!(sel.matches(&labels(pod)), *want, "{selector_yaml} on {pod:?}");
        }
    }

    #[test]
    fn match_labels_and_expressions_follow_kubernetes() {
        check(
            "{matchLabels: {app: a}}",
            true,
            &[(&[("app", "a"), ("x", "y")], true), (&[("app", "b")], false), (&[], false)],
        );
        check(
            "{matchExpressions: [{key: tier, operator: In, values: [web, api]}]}",
            true,
            &[(&[("tier", "web")], true), (&[("tier", "db")], false), (&[], false)],
        );
        check(
            "{matchExpressions: [{key: tier, operator: NotIn, values: [db]}]}",
            true,
            &[(&[("tier", "web")], true), (&[("tier", "db")], false), (&[], true)],
        );
        check(
            "{matchExpressions: [{key: canary, operator: Exists}]}",
            true,
            &[(&[("canary", "")], true), (&[], false)],
        );
        check(
            "{matchExpressions: [{key: canary, operator: DoesNotExist}]}",
            true,
            &[(&[("canary", "1")], false), (&[], true)],
        );
        check(
            "{matchLabels: {app: a}, matchExpressions: [{key: v, operator: In, values: ['1']}]}",
            true,
            &[(&[("app", "a"), ("v", "1")], true), (&[("app", "a")], false)],
        );
    }

    #[test]
    fn empty_null_and_invalid_selectors() {
        check("{}", true, &[(&[("a", "b")], true), (&[], true)]);
        check("{}", false, &[(&[("a", "b")], false)]);
        check("null", true, &[(&[("a", "b")], false)]);
        check("{matchExpressions: [{key: a, operator: In, values: []}]}", true, &[(&[("a", "b")], false)]);
        check("{matchExpressions: [{key: a, operator: Bogus}]}", true, &[(&[("a", "b")], false)]);
    }
}
