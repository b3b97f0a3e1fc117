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
