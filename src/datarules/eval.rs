//! Evaluating one JSONPath assertion of a data rule on one object's JSON value, and turning the
//! normalized paths jsonpath-rust returns (`$['spec']['containers'][0]`) into `NodePath`s.
//!
//! Semantics of `exists: true`: every step that selects by name or index must find its member
//! under each node the path has reached so far, and the last step must select something under
//! each node it is applied to. Other steps (wildcards, slices, filters, `..`) that select
//! nothing end that branch quietly: there is nothing to check there. A failure is located at
//! the deepest node that exists. Every other operator is checked on each node the whole path
//! selects; a path that selects nothing passes (combine with `exists: true` to require it).

use std::borrow::Cow;

use jsonpath_rust::parser::model::{JpQuery, Segment, Selector};
use jsonpath_rust::query::{QueryRef, js_path_process};
use regex::Regex;
use serde_json::Value;

use crate::k8s::quantity;
use crate::yaml::NodePath;

/// One operator of an assertion.
#[derive(Debug)]
pub(crate) enum Op {
    Exists(bool),
    Equals(Value),
    Matches(Regex),
    In(Vec<Value>),
    /// The bound as written, and its value (a number, or a quantity in base units).
    LessOrEqual(String, f64),
}

/// One failed check: where, and why.
#[derive(Debug, PartialEq)]
pub(crate) struct Failure {
    /// The node that failed, or the deepest existing parent of a missing one.
    pub(crate) path: NodePath,
    /// The failing value (none for a missing node).
    pub(crate) value: Option<Value>,
    /// What is wrong, for messages: ``is missing``, ``is `5`, not `3` ``.
    pub(crate) reason: String,
}

/// Checks `ops` of the assertion `query` on `root`.
pub(crate) fn check(query: &JpQuery, ops: &[Op], root: &Value) -> Vec<Failure> {
    let mut failures = Vec::new();
    let wants_existence = ops.iter().any(|op| matches!(op, Op::Exists(true)));
    let matched = if wants_existence {
        walk_requiring(query, root, &mut failures)
    } else {
        js_path_process(query, root).unwrap_or_default()
    };
    for node in matched {
        let (path, value) = (&node.path, node.val);
        for op in ops {
            if let Some(reason) = violation(op, value) {
                failures.push(Failure {
                    path: to_node_path(path).unwrap_or_default(),
                    value: Some(value.clone()),
                    reason,
                });
                break;
            }
        }
    }
    failures
}

/// Why `value` breaks `op`, or `None` when it holds.
fn violation(op: &Op, value: &Value) -> Option<String> {
    let shown = || show(value);
    match op {
        Op::Exists(true) => None,
        Op::Exists(false) => Some("is set".to_string()),
        Op::Equals(want) => (!same(value, want)).then(|| format!("is {}, not {}", shown(), show(want))),
        Op::Matches(re) => match scalar_text(value) {
            Some(text) if re.is_match(&text) => None,
            Some(_) => Some(format!("is {}, which does not match `{}`", shown(), re.as_str())),
            None => Some(format!("is {}, not a string", shown())),
        },
        Op::In(list) => (!list.iter().any(|w| same(value, w))).then(|| {
            let allowed: Vec<String> = list.iter().map(show).collect();
            format!("is {}, not one of {}", shown(), allowed.join(", "))
        }),
        Op::LessOrEqual(bound, max) => match as_number(value) {
            Some(n) if n <= *max + f64::EPSILON * max.abs().max(1.0) => None,
            Some(_) => Some(format!("is {}, above `{bound}`", shown())),
            None => Some(format!("is {}, not a number or quantity", shown())),
        },
    }
}

/// Walks `query` step by step, recording a failure for each required member that is missing;
/// returns what the whole path selects.
fn walk_requiring<'v>(query: &JpQuery, root: &'v Value, failures: &mut Vec<Failure>) -> Vec<QueryRef<'v, Value>> {
    let mut reached: Vec<QueryRef<'v, Value>> = vec![QueryRef { val: root, path: "$".to_string() }];
    let last = query.segments.len().saturating_sub(1);
    for (i, segment) in query.segments.iter().enumerate() {
        let prefix = JpQuery::new(query.segments.get(..=i).map(<[Segment]>::to_vec).unwrap_or_default());
        let next = js_path_process(&prefix, root).unwrap_or_default();
        let required = i == last || singular(segment).is_some();
        if required {
            for parent in &reached {
                let parent_path = &parent.path;
                let has_child = match singular(segment) {
                    Some(sel) => child(parent.val, sel).is_some(),
                    None => next.iter().any(|n| is_under(&n.path, parent_path)),
                };
                if !has_child {
                    failures.push(Failure {
                        path: to_node_path(parent_path).unwrap_or_default(),
                        value: None,
                        reason: format!("has no `{}`", step_text(segment)),
                    });
                }
            }
        }
        reached = next;
        if reached.is_empty() {
            break;
        }
    }
    reached
}

/// Whether normalized path `path` is strictly below `parent`.
fn is_under(path: &str, parent: &str) -> bool {
    path.len() > parent.len() && path.starts_with(parent) && path.as_bytes().get(parent.len()) == Some(&b'[')
}

/// The one member a step selects by name or index.
fn singular(segment: &Segment) -> Option<&Selector> {
    match segment {
        Segment::Selector(s @ (Selector::Name(_) | Selector::Index(_))) => Some(s),
        Segment::Selectors(list) => match list.as_slice() {
            [s @ (Selector::Name(_) | Selector::Index(_))] => Some(s),
            _ => None,
        },
        _ => None,
    }
}

fn child<'v>(value: &'v Value, selector: &Selector) -> Option<&'v Value> {
    match (selector, value) {
        (Selector::Name(name), Value::Object(map)) => map.get(name.as_str()),
        (Selector::Index(i), Value::Array(items)) => {
            let len = i64::try_from(items.len()).ok()?;
            let at = if *i < 0 { len + i } else { *i };
            items.get(usize::try_from(at).ok()?)
        }
        _ => None,
    }
}

/// A step as users write it, for messages: `priorityClassName`, `[0]`, `[*]`.
fn step_text(segment: &Segment) -> String {
    match singular(segment) {
        Some(Selector::Name(n)) => n.clone(),
        Some(Selector::Index(i)) => format!("[{i}]"),
        _ => match segment {
            Segment::Descendant(inner) => format!("..{inner}"),
            Segment::Selector(Selector::Wildcard) => "[*]".to_string(),
            other => {
                let text = other.to_string();
                if text.starts_with('[') { text } else { format!("[{text}]") }
            }
        },
    }
}

/// JSON values compare as JSON, except that numbers compare by value (`1` equals `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn scalar_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Owned(b.to_string())),
        _ => None,
    }
}

/// A number, or a quantity string in base units (`500m` → 0.5, `1Gi` → 1073741824).
pub(crate) fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => quantity::parse(s),
        _ => None,
    }
}

/// A value for messages: `` `500m` ``, `` `3` ``, `` `{…}` ``.
pub(crate) fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        Value::Object(_) => "a mapping".to_string(),
        Value::Array(_) => "a list".to_string(),
        other => format!("`{other}`"),
    }
}

/// Converts a normalized path (RFC 9535 §2.7: `$['spec']['containers'][0]`) to a `NodePath`;
/// `None` when it is not one.
pub(crate) fn to_node_path(normalized: &str) -> Option<NodePath> {
    let mut rest = normalized.strip_prefix('$')?;
    let mut path = NodePath::root();
    while !rest.is_empty() {
        rest = rest.strip_prefix('[')?;
        if let Some(quoted) = rest.strip_prefix('\'') {
            let mut key = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                let (i, c) = chars.next()?;
                match c {
                    '\'' => break i,
                    '\\' => {
                        let (_, e) = chars.next()?;
                        key.push(match e {
                            'b' => '\u{0008}',
                            'f' => '\u{000C}',
                            'n' => '\n',
                            'r' => '\r',
                            't' => '\t',
                            'u' => {
                                let hex: String =
                                    (0..4).map(|_| chars.next().map(|(_, h)| h)).collect::<Option<_>>()?;
                                char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
                            }
                            other => other,
                        });
                    }
                    c => key.push(c),
                }
            };
            path = path.key(key);
            rest = quoted.get(end + 1..)?.strip_prefix(']')?;
        } else {
            let (n, after) = rest.split_once(']')?;
            path = path.index(n.parse().ok()?);
            rest = after;
        }
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use jsonpath_rust::parser::parse_json_path;
    use serde_json::json;

    use super::{Op, check, to_node_path};

    #[test]
    fn normalized_paths_become_node_paths() {
        let cases = [
            ("$", ""),
            ("$['spec']['containers'][0]['name']", "spec.containers[0].name"),
            ("$['metadata']['labels']['app.kubernetes.io/name']", "metadata.labels[\"app.kubernetes.io/name\"]"),
            ("$['a\\'b']['c\\\\d']", "[\"a'b\"][\"c\\\\d\"]"),
            ("$['x\\u000ay'][12]", "[\"x\\ny\"][12]"),
        ];
        for (normalized, want) in cases {
            assert_eq!(to_node_path(normalized).map(|p| p.to_string()).as_deref(), Some(want), "{normalized}");
        }
        for bad in ["spec", "$[", "$['a'", "$[x]", "$['a\\u00']"] {
            assert_eq!(to_node_path(bad), None, "{bad}");
        }
    }

    fn failures(path: &str, ops: &[Op], value: &serde_json::Value) -> Vec<(String, String)> {
        let query = parse_json_path(path).unwrap();
        check(&query, ops, value).into_iter().map(|f| (f.path.to_string(), f.reason)).collect()
    }

    #[test]
    fn exists_reports_each_missing_branch_at_its_deepest_parent() {
        let pod = json!({"spec": {"containers": [
            {"name": "a", "resources": {"limits": {"memory": "1Gi"}}},
            {"name": "b", "resources": {}},
            {"name": "c"},
        ]}});
        let got = failures("$.spec.containers[*].resources.limits.memory", &[Op::Exists(true)], &pod);
        assert_eq!(
            got,
            [
                ("spec.containers[2]".to_string(), "has no `resources`".to_string()),
                ("spec.containers[1].resources".to_string(), "has no `limits`".to_string()),
            ]
        );
        assert_eq!(
            failures("$.spec.priorityClassName", &[Op::Exists(true)], &pod),
            [("spec".to_string(), "has no `priorityClassName`".to_string())]
        );
        assert_eq!(failures("$.spec.containers[0].name", &[Op::Exists(true)], &pod), []);
    }

    #[test]
    fn exists_skips_optional_branches_but_requires_the_last_step() {
        let pod = json!({"spec": {"containers": [{"name": "a"}]}});
        // `..initContainers` selects nothing: nothing to check.
        assert_eq!(failures("$..initContainers[*].resources", &[Op::Exists(true)], &pod), []);
        // A final filter that selects nothing fails at the node it was applied to.
        assert_eq!(
            failures("$.spec.containers[?@.name=='istio-proxy']", &[Op::Exists(true)], &pod),
            [("spec.containers".to_string(), "has no `[?@.name == \"istio-proxy\"]`".to_string())]
        );
    }

    #[test]
    fn value_operators_check_every_selected_node() {
        let d = json!({"spec": {"replicas": 60, "template": {"spec": {"containers": [
            {"image": "registry.corp/a:1", "resources": {"limits": {"memory": "8Gi", "cpu": 2}}},
            {"image": "docker.io/b", "resources": {"limits": {"memory": "512Mi", "cpu": "500m"}}},
        ]}}}});
        let re = regex::Regex::new("^registry\\.corp/").unwrap();
        assert_eq!(
            failures("$.spec.template.spec.containers[*].image", &[Op::Matches(re)], &d),
            [(
                "spec.template.spec.containers[1].image".to_string(),
                "is `docker.io/b`, which does not match `^registry\\.corp/`".to_string()
            )]
        );
        let mem = failures(
            "$.spec.template.spec.containers[*].resources.limits.memory",
            &[Op::LessOrEqual("4Gi".into(), 4.0 * 1024.0 * 1024.0 * 1024.0)],
            &d,
        );
        assert_eq!(
            mem,
            [("spec.template.spec.containers[0].resources.limits.memory".into(), "is `8Gi`, above `4Gi`".into())]
        );
        let cpu = failures("$..limits.cpu", &[Op::LessOrEqual("1".into(), 1.0)], &d);
        assert_eq!(cpu, [("spec.template.spec.containers[0].resources.limits.cpu".into(), "is `2`, above `1`".into())]);
        assert_eq!(failures("$.spec.replicas", &[Op::Equals(json!(60.0))], &d), [], "numbers compare by value");
        assert_eq!(
            failures("$.spec.replicas", &[Op::In(vec![json!(1), json!(2)])], &d),
            [("spec.replicas".into(), "is `60`, not one of `1`, `2`".into())]
        );
        assert_eq!(failures("$.spec.paused", &[Op::Equals(json!(true))], &d), [], "a missing node passes");
        assert_eq!(
            failures("$.spec.paused", &[Op::Exists(true), Op::Equals(json!(true))], &d),
            [("spec".into(), "has no `paused`".into())]
        );
        assert_eq!(failures("$.spec.replicas", &[Op::Exists(false)], &d), [("spec.replicas".into(), "is set".into())]);
    }
}
