//! Data hashes: a 64-bit hash of what a node means, not how it is written. Aliases are expanded,
//! scalars hash as the API server reads them (`2` and `"2"` differ, `0755` and `493` do not,
//! quoting and block-scalar style do not matter but a block scalar's kept trailing lines do), and
//! mappings hash as sets of entries (key order does not matter). `--fix` hashes every document
//! it may change and compares the hash of the fixed document, with the fix's declared changes
//! masked, against it: equal hashes mean no undeclared change.
//!
//! Documents whose mappings use merge keys (`<<`) or hold duplicated keys, and mappings with
//! collection keys, have no fast hash (`None`); callers then compare the documents as JSON.
//! The hash is `std`'s `DefaultHasher` (SipHash-1-3 with fixed keys): stable within one run,
//! which is all a fix run compares.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};

use super::scalar::Resolved;
use super::tree::{Doc, NodeId, NodeKind, NodeRef, Style};

/// The data hash of every node of `doc` (an alias has its target's hash), indexed by node id;
/// `None` when the document has no fast hash (merge keys, duplicated keys, collection keys).
pub(crate) fn node_hashes(doc: &Doc<'_>) -> Option<Vec<u64>> {
    if !doc.duplicates.is_empty() {
        return None;
    }
    let n = doc.nodes.len();
    let mut hashes = vec![0u64; n];
    hash_range(doc, 0, n, &mut hashes, &mut HashMap::new())?;
    Some(hashes)
}

/// The data hash of one node (through aliases); `None` as for [`node_hashes`].
pub(crate) fn data_hash(node: NodeRef<'_, '_>) -> Option<u64> {
    let node = node.resolve();
    if !node.doc.duplicates.is_empty() {
        return None;
    }
    let start = node.id as usize;
    let end = node.subtree().end as usize;
    let mut hashes = vec![0u64; end - start];
    hash_range(node.doc, start, end, &mut hashes, &mut HashMap::new())?;
    hashes.first().copied()
}

/// Hashes nodes `start..end` (one whole subtree, or every node of the document) into
/// `out[id - start]`, children before their collection (post-order over the pre-ordered arena).
/// Aliases whose target lies before `start` are hashed on their own and remembered in `outside`.
fn hash_range(
    doc: &Doc<'_>,
    start: usize,
    end: usize,
    out: &mut [u64],
    outside: &mut HashMap<NodeId, u64>,
) -> Option<()> {
    let mut open: Vec<usize> = Vec::new();
    for id in start..end {
        while let Some(&o) = open.last() {
            if doc.nodes.get(o).is_some_and(|n| n.end as usize <= id) {
                open.pop();
                let h = collection_hash(doc, o, start, out)?;
                *out.get_mut(o - start)? = h;
            } else {
                break;
            }
        }
        let node = doc.nodes.get(id)?;
        match node.kind {
            NodeKind::Scalar => *out.get_mut(id - start)? = scalar_hash(doc.node(id as NodeId)?),
            NodeKind::Alias => {
                let target = node.target as usize;
                let h = if target >= start && target < id {
                    *out.get(target - start)?
                } else if let Some(h) = outside.get(&node.target) {
                    *h
                } else {
                    let t_end = doc.nodes.get(target)?.end as usize;
                    let mut inner = vec![0u64; t_end - target];
                    hash_range(doc, target, t_end, &mut inner, outside)?;
                    let h = *inner.first()?;
                    outside.insert(node.target, h);
                    h
                };
                *out.get_mut(id - start)? = h;
            }
            NodeKind::Mapping | NodeKind::Sequence => open.push(id),
        }
    }
    while let Some(o) = open.pop() {
        let h = collection_hash(doc, o, start, out)?;
        *out.get_mut(o - start)? = h;
    }
    Some(())
}

/// The hash of collection `id` from its children's hashes.
fn collection_hash(doc: &Doc<'_>, id: usize, start: usize, out: &[u64]) -> Option<u64> {
    let node = doc.nodes.get(id)?;
    let mut child = id + 1;
    let mut children = Vec::with_capacity(node.len as usize);
    for _ in 0..node.len {
        children.push(child);
        child = doc.nodes.get(child)?.end as usize;
    }
    if node.kind == NodeKind::Sequence {
        return Some(seq_hash(children.iter().map(|c| out.get(c - start).copied().unwrap_or(0))));
    }
    let mut entries = Vec::with_capacity(children.len() / 2);
    for pair in children.chunks(2) {
        let (&k, &v) = (pair.first()?, pair.get(1)?);
        let key = doc.nodes.get(k)?;
        if key.kind != NodeKind::Scalar {
            return None;
        }
        if key.style == Style::Plain && key.value == "<<" {
            return None;
        }
        entries.push((key_hash(&key.value), *out.get(v - start)?));
    }
    Some(map_hash(entries.into_iter()))
}

/// A mapping key's hash (keys are compared by their text, as JSON object keys).
pub(crate) fn key_hash(key: &str) -> u64 {
    let mut h = DefaultHasher::new();
    h.write_u8(b'k');
    h.write(key.as_bytes());
    h.finish()
}

/// A mapping's hash from its (key hash, value hash) entries, in any order.
pub(crate) fn map_hash(entries: impl Iterator<Item = (u64, u64)>) -> u64 {
    let (mut sum, mut xor, mut count) = (0u64, 0u64, 0u64);
    for (k, v) in entries {
        let mut e = DefaultHasher::new();
        e.write_u64(k);
        e.write_u64(v);
        let eh = e.finish();
        sum = sum.wrapping_add(eh);
        xor ^= eh.rotate_left(17);
        count += 1;
    }
    let mut h = DefaultHasher::new();
    h.write_u8(b'm');
    h.write_u64(count);
    h.write_u64(sum);
    h.write_u64(xor);
    h.finish()
}

/// A sequence's hash from its items' hashes, in order.
pub(crate) fn seq_hash(items: impl Iterator<Item = u64>) -> u64 {
    let mut h = DefaultHasher::new();
    h.write_u8(b'q');
    let mut count = 0u64;
    for i in items {
        h.write_u64(i);
        count += 1;
    }
    h.write_u64(count);
    h.finish()
}

fn scalar_hash(node: NodeRef<'_, '_>) -> u64 {
    let text = node.scalar().unwrap_or_default();
    let mut h = DefaultHasher::new();
    match node.resolved() {
        Some(Resolved::Null) | None => h.write_u8(b'n'),
        Some(Resolved::Bool(b)) => {
            h.write_u8(b'b');
            h.write_u8(u8::from(b));
        }
        Some(Resolved::Int(i)) => {
            h.write_u8(b'i');
            h.write_i64(i);
        }
        Some(Resolved::Float) => match text.replace('_', "").parse::<f64>() {
            Ok(f) if f.is_finite() => {
                h.write_u8(b'f');
                h.write_u64(f.to_bits());
            }
            _ => {
                h.write_u8(b's');
                h.write(text.as_bytes());
            }
        },
        Some(Resolved::Str) => {
            h.write_u8(b's');
            h.write(text.as_bytes());
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::{data_hash, node_hashes};
    use crate::yaml::{Limits, parse_chunk};

    fn root_hash(text: &str) -> Option<u64> {
        let (docs, errors) = parse_chunk(text, 0..text.len(), Limits::default());
        assert!(errors.is_empty(), "{errors:?}");
        let doc = docs.first().unwrap();
        let all = node_hashes(doc);
        let one = data_hash(doc.root().unwrap());
        assert_eq!(all.as_ref().and_then(|h| h.first().copied()), one, "both routes agree");
        one
    }

    #[test]
    fn equal_data_hashes_equal() {
        let a = root_hash("a: 1\nb: [x, \"y\"]\nc: {d: \"s\"}\n");
        assert_eq!(a, root_hash("c:\n  d: s\nb:\n- x\n- 'y'\na: 0x1\n"), "order, style and notation");
        assert_eq!(root_hash("a: &x {k: v}\nb: *x\n"), root_hash("a: {k: v}\nb: {k: v}\n"), "aliases expand");
        assert_eq!(root_hash("s: |\n  t\n"), root_hash("s: \"t\\n\"\n"));
    }

    #[test]
    fn different_data_hashes_differ() {
        let base = root_hash("a: 1\n");
        for other in ["a: \"1\"\n", "a: 2\n", "b: 1\n", "a: [1]\n", "a: 1\nb: ~\n", "a: true\n"] {
            assert_ne!(base, root_hash(other), "{other}");
        }
        assert_ne!(root_hash("s: |+\n  t\n\n\nn: 1\n"), root_hash("s: |+\n  t\nn: 1\n"), "kept lines count");
        assert_ne!(root_hash("q: [a, b]\n"), root_hash("q: [b, a]\n"), "sequences are ordered");
    }

    #[test]
    fn merge_and_duplicate_keys_have_no_fast_hash() {
        assert_eq!(root_hash("b: &b {x: 1}\nm: {<<: *b}\n"), None);
        let text = "a: 1\na: 2\n";
        let (docs, _) = parse_chunk(text, 0..text.len(), Limits::default());
        assert_eq!(node_hashes(&docs[0]), None);
    }

    #[test]
    fn a_subtree_hash_follows_aliases_outside_it() {
        let text = "a: &x [1, 2]\nb: {c: *x}\n";
        let (docs, _) = parse_chunk(text, 0..text.len(), Limits::default());
        let root = docs[0].root().unwrap();
        let b = root.get("b").unwrap();
        let direct = parse_chunk("c: [1, 2]\n", 0..10, Limits::default()).0;
        assert_eq!(data_hash(b), data_hash(direct[0].root().unwrap()));
    }
}
