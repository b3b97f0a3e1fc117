//! A document as `serde_json::Value`, read the way the API server reads YAML (go-yaml types,
//! merge keys, the last of duplicated keys), for type-checking with k8s-openapi. Aliases are
//! expanded within a node budget so that an alias bomb cannot blow up memory. Built-in rules do
//! not use it: JSONPath data rules (policy as code) will, and tests compare the tree
//! deserializer (`de`) against it.
#![allow(dead_code, reason = "the JSON view for JSONPath data rules and the tree deserializer's tests")]

use serde_json::{Map, Number, Value};

use super::scalar::Resolved;
use super::tree::NodeRef;

/// Most nodes one conversion may produce (aliases included).
const NODE_BUDGET: usize = 1_000_000;

/// Converts a node; `None` when the alias expansion exceeds the budget, a key is not a scalar,
/// or a number does not fit JSON.
pub(crate) fn to_json(node: NodeRef<'_, '_>) -> Option<Value> {
    let mut budget = NODE_BUDGET;
    convert(node, &mut budget, 0)
}

fn convert(node: NodeRef<'_, '_>, budget: &mut usize, depth: usize) -> Option<Value> {
    *budget = budget.checked_sub(1)?;
    if depth > super::tree::DATA_DEPTH {
        return None;
    }
    let node = node.resolve();
    if node.is_mapping() {
        let mut map = Map::new();
        let mut merges = Vec::new();
        for (k, v) in node.entries() {
            let key = k.scalar()?;
            if key == "<<" && k.style() == super::Style::Plain {
                merges.push(v);
                continue;
            }
            map.insert(key.to_string(), convert(v, budget, depth + 1)?);
        }
        // Merged keys never override the mapping's own; earlier sources win over later ones.
        for m in merges {
            let sources: Vec<_> = if m.is_sequence() { m.items().collect() } else { vec![m] };
            for src in sources {
                if let Some(Value::Object(extra)) = convert(src, budget, depth + 1) {
                    for (k, v) in extra {
                        map.entry(k).or_insert(v);
                    }
                }
            }
        }
        return Some(Value::Object(map));
    }
    if node.is_sequence() {
        return node.items().map(|i| convert(i, budget, depth + 1)).collect::<Option<Vec<_>>>().map(Value::Array);
    }
    let text = node.scalar()?;
    Some(match node.resolved()? {
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) => Value::Number(Number::from(i)),
        Resolved::Float => float(text).map_or_else(|| Value::String(text.to_string()), Value::Number),
        Resolved::Str => Value::String(text.to_string()),
    })
}

fn float(text: &str) -> Option<Number> {
    let f: f64 = text.replace('_', "").parse().ok()?;
    Number::from_f64(f)
}

#[cfg(test)]
mod tests {
    use super::to_json;
    use crate::yaml::{Limits, parse_chunk};

    fn json(text: &str) -> Option<serde_json::Value> {
        // The parser's alias limit is lifted: these tests check the converter's own budget.
        let limits = Limits { max_alias_nodes: u64::MAX, ..Limits::default() };
        let (docs, errors) = parse_chunk(text, 0..text.len(), limits);
        assert!(errors.is_empty());
        to_json(docs[0].root().unwrap())
    }

    #[test]
    fn types_merges_and_duplicates() {
        let v = json("a: yes\nb: \"1\"\nc: 0755\nd: 1.5\ne: ~\nbase: &b {x: 1, y: 2}\nm: {<<: *b, y: 3}\nk: 1\nk: 2\n")
            .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a": true, "b": "1", "c": 493, "d": 1.5, "e": null,
                "base": {"x": 1, "y": 2}, "m": {"x": 1, "y": 3}, "k": 2})
        );
    }

    #[test]
    fn alias_bombs_hit_the_budget() {
        let text = crate::yaml::alias_bomb();
        assert_eq!(json(&text), None);
    }
}
