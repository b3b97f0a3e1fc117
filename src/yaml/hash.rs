//! Data hashes: a 64-bit hash of what a node means, not how it is written. Aliases are expanded,
//! scalars hash as the API server reads them (`2` and `"2"` differ, `0755` and `493` do not,
//! quoting and block-scalar style do not matter but a block scalar's kept trailing lines do), and
//! mappings hash as sets of entries (key order does not matter). `--fix` hashes every document
//! it may change and compares the hash of the fixed document, with the fix's declared changes
//! masked, against it: equal hashes mean no undeclared change.
//!
//! Documents whose mappings use merge keys (`<<`) or hold duplicated keys, and mappings with
//! collection keys, have no fast hash (`None`); callers then compare the documents as JSON.
//! The hash is XXH3 (64-bit, `xxhash-rust`): fast on the short strings YAML holds, and with no
//! structural weakness on them; nothing depends on its values across runs.

use std::collections::HashMap;
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

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

/// Seeds that keep the kinds of values apart (a string never hashes like a number).
const KEY: u64 = 0x006b_6579;
const MAP: u64 = 0x006d_6170;
const SEQ: u64 = 0x0073_6571;
const STR: u64 = 0x0073_7472;

/// A mapping key's hash (keys are compared by their text, as JSON object keys).
pub(crate) fn key_hash(key: &str) -> u64 {
    xxh3_64_with_seed(key.as_bytes(), KEY)
}

/// Two 64-bit values as 16 bytes.
fn pair(a: u64, b: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&a.to_le_bytes());
    out[8..].copy_from_slice(&b.to_le_bytes());
    out
}

/// A mapping's hash from its (key hash, value hash) entries, in any order.
pub(crate) fn map_hash(entries: impl Iterator<Item = (u64, u64)>) -> u64 {
    let (mut sum, mut xor, mut count) = (0u64, 0u64, 0u64);
    for (k, v) in entries {
        let eh = xxh3_64(&pair(k, v));
        sum = sum.wrapping_add(eh);
        xor ^= eh.rotate_left(17);
        count += 1;
    }
    xxh3_64_with_seed(&pair(sum, xor), MAP ^ count)
}

/// A sequence's hash from its items' hashes, in order.
pub(crate) fn seq_hash(items: impl Iterator<Item = u64>) -> u64 {
    let mut h = SEQ;
    let mut count = 0u64;
    for i in items {
        h = xxh3_64_with_seed(&i.to_le_bytes(), h);
        count += 1;
    }
    xxh3_64_with_seed(&count.to_le_bytes(), h)
}

fn scalar_hash(node: NodeRef<'_, '_>) -> u64 {
    let text = node.scalar().unwrap_or_default();
    match node.resolved() {
        Some(Resolved::Null) | None => xxh3_64_with_seed(b"null", 1),
        Some(Resolved::Bool(b)) => xxh3_64_with_seed(&[u8::from(b)], 2),
        Some(Resolved::Int(i)) => xxh3_64_with_seed(&i.to_le_bytes(), 3),
        Some(Resolved::Float) => match text.replace('_', "").parse::<f64>() {
            Ok(f) if f.is_finite() => xxh3_64_with_seed(&f.to_bits().to_le_bytes(), 4),
            _ => xxh3_64_with_seed(text.as_bytes(), STR),
        },
        Some(Resolved::Str) => xxh3_64_with_seed(text.as_bytes(), STR),
    }
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
