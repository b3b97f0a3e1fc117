//! A serde `Deserializer` over the spanned tree, reading YAML the way `to_json` does (go-yaml
//! types, merge keys, the last of duplicated keys) without building a `serde_json::Value`:
//! `--fix` type-checks thousands of objects with it. Strict like the JSON route: `true` where a
//! string is required is an error. Aliases are followed within a node budget.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use super::scalar::Resolved;
use super::tree::{NodeRef, Style};

/// Most nodes one deserialization may visit (aliases included).
const NODE_BUDGET: usize = 1_000_000;

/// A deserialization error (a message; the tree's spans are not needed by its callers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeError(String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

/// Deserializes `T` from a node.
pub(crate) fn from_node<'de, T: serde::Deserialize<'de>>(node: NodeRef<'de, 'de>) -> Result<T, DeError> {
    let budget = Cell::new(NODE_BUDGET);
    T::deserialize(NodeDe { node, budget: &budget, depth: 0 })
}

struct NodeDe<'b, 'de> {
    node: NodeRef<'de, 'de>,
    budget: &'b Cell<usize>,
    depth: usize,
}

impl<'b, 'de> NodeDe<'b, 'de> {
    fn child(&self, node: NodeRef<'de, 'de>) -> NodeDe<'b, 'de> {
        NodeDe { node, budget: self.budget, depth: self.depth + 1 }
    }

    fn spend(&self) -> Result<(), DeError> {
        let left = self.budget.get().checked_sub(1).ok_or_else(|| DeError("an alias expands too far".into()))?;
        self.budget.set(left);
        if self.depth > 512 {
            return Err(DeError("the document nests too deeply".into()));
        }
        Ok(())
    }
}

/// The entries of a mapping as go-yaml reads them: the last of duplicated keys, then keys merged
/// with `<<` that the mapping does not set itself.
fn effective_entries<'de>(map: NodeRef<'de, 'de>) -> Vec<(NodeRef<'de, 'de>, NodeRef<'de, 'de>)> {
    let all: Vec<_> = map.entries().collect();
    let is_merge = |k: &NodeRef<'_, '_>| k.scalar() == Some("<<") && k.style() == Style::Plain;
    let mut out: Vec<(NodeRef<'de, 'de>, NodeRef<'de, 'de>)> = Vec::with_capacity(all.len());
    for (i, (k, v)) in all.iter().enumerate() {
        if is_merge(k) {
            continue;
        }
        let key = k.scalar();
        let later = all.iter().skip(i + 1).any(|(k2, _)| !is_merge(k2) && k2.scalar() == key);
        if !later {
            out.push((*k, *v));
        }
    }
    for (k, v) in all.iter().filter(|(k, _)| is_merge(k)) {
        let _ = k;
        let sources: Vec<_> = if v.is_sequence() { v.items().collect() } else { vec![*v] };
        for src in sources {
            let src = src.resolve();
            if !src.is_mapping() {
                continue;
            }
            for (mk, mv) in effective_entries(src) {
                if !out.iter().any(|(ok, _)| ok.scalar() == mk.scalar()) {
                    out.push((mk, mv));
                }
            }
        }
    }
    out
}

impl<'de> de::Deserializer<'de> for NodeDe<'_, 'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.spend()?;
        let node = self.node.resolve();
        if node.is_mapping() {
            let entries = effective_entries(node);
            return visitor.visit_map(Entries { de: &self, entries: entries.into_iter(), value: None });
        }
        if node.is_sequence() {
            return visitor.visit_seq(Items { de: &self, items: node.items().collect::<Vec<_>>().into_iter() });
        }
        let text = node.scalar().unwrap_or_default();
        match node.resolved() {
            Some(Resolved::Null) | None => visitor.visit_unit(),
            Some(Resolved::Bool(b)) => visitor.visit_bool(b),
            Some(Resolved::Int(i)) => visitor.visit_i64(i),
            Some(Resolved::Float) => match text.replace('_', "").parse::<f64>() {
                Ok(f) if f.is_finite() => visitor.visit_f64(f),
                _ => visitor.visit_borrowed_str(text),
            },
            Some(Resolved::Str) => visitor.visit_borrowed_str(text),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() { visitor.visit_none() } else { visitor.visit_some(self) }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.node.resolve().scalar() {
            Some(s) => visitor.visit_enum(s.into_deserializer()),
            None => Err(DeError("expected a string for an enum".into())),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

struct Entries<'a, 'b, 'de, I: Iterator<Item = (NodeRef<'de, 'de>, NodeRef<'de, 'de>)>> {
    de: &'a NodeDe<'b, 'de>,
    entries: I,
    value: Option<NodeRef<'de, 'de>>,
}

impl<'de, I: Iterator<Item = (NodeRef<'de, 'de>, NodeRef<'de, 'de>)>> MapAccess<'de> for Entries<'_, '_, 'de, I> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        let Some((k, v)) = self.entries.next() else { return Ok(None) };
        self.value = Some(v);
        // Keys are read as strings (JSON objects have string keys).
        let key = k.resolve().scalar().ok_or_else(|| DeError("a mapping key is not a scalar".into()))?;
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let v = self.value.take().ok_or_else(|| DeError("internal error: a value without a key".into()))?;
        seed.deserialize(self.de.child(v))
    }
}

struct Items<'a, 'b, 'de, I: Iterator<Item = NodeRef<'de, 'de>>> {
    de: &'a NodeDe<'b, 'de>,
    items: I,
}

impl<'de, I: Iterator<Item = NodeRef<'de, 'de>>> SeqAccess<'de> for Items<'_, '_, 'de, I> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            Some(item) => seed.deserialize(self.de.child(item)).map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::from_node;
    use crate::yaml::{Limits, parse_chunk};

    fn value(text: &str) -> Result<serde_json::Value, super::DeError> {
        // The parser's alias limit is lifted: these tests check the converter's own budget.
        let limits = Limits { max_alias_nodes: u64::MAX, ..Limits::default() };
        let (docs, errors) = parse_chunk(text, 0..text.len(), limits);
        assert!(errors.is_empty());
        from_node(docs[0].root().unwrap())
    }

    #[test]
    fn reads_like_to_json() {
        let text = "a: yes\nb: \"1\"\nc: 0755\nd: 1.5\ne: ~\nbase: &b {x: 1, y: 2}\nm: {<<: *b, y: 3}\nk: 1\nk: 2\n";
        let (docs, _) = parse_chunk(text, 0..text.len(), Limits::default());
        let via_json = crate::yaml::json::to_json(docs[0].root().unwrap()).unwrap();
        assert_eq!(value(text).unwrap(), via_json);
    }

    #[test]
    fn typed_checks_are_strict() {
        let ok = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: \"true\"}\n";
        let bad = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: true}\n";
        let check = |t: &str| {
            let (docs, _) = parse_chunk(t, 0..t.len(), Limits::default());
            from_node::<k8s_openapi::api::core::v1::ConfigMap>(docs[0].root().unwrap()).map(|_| ())
        };
        assert!(check(ok).is_ok());
        assert!(check(bad).is_err());
    }

    #[test]
    fn alias_bombs_hit_the_budget() {
        let text = crate::yaml::alias_bomb();
        assert!(value(&text).is_err());
    }
}
