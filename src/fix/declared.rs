//! The changes the applied fixes declared for one document, as a tree of paths, and the two ways
//! a fixed document is compared with the document before against them: by data hash (the fixed
//! document's hash with the declared changes undone must equal the old hash), and, when that is
//! not possible or fails, as JSON, which also tells where the undeclared difference is.

use serde_json::Value as Json;

use crate::change::{Change, NodePath, Seg};
use crate::yaml::NodeRef;
use crate::yaml::hash::{key_hash, map_hash, seq_hash};

/// The changes of a pass over one file, without repeats (identical edits of two fixes declare
/// the same change once), by the document they are in.
#[derive(Default)]
pub(crate) struct Changes<'c> {
    all: Vec<&'c Change>,
    by_doc: std::collections::HashMap<usize, Vec<&'c Change>>,
}

impl<'c> Changes<'c> {
    pub(crate) fn new(changes: impl Iterator<Item = &'c Change>) -> Self {
        let mut seen = std::collections::HashSet::new();
        let mut out = Changes::default();
        for c in changes {
            if seen.insert(c) {
                out.all.push(c);
                out.by_doc.entry(c.doc()).or_default().push(c);
            }
        }
        out
    }

    /// Every change, in order.
    pub(crate) fn all(&self) -> &[&'c Change] {
        &self.all
    }

    /// The changes of document `doc` (and the documents added after it).
    pub(crate) fn of(&self, doc: usize) -> &[&'c Change] {
        self.by_doc.get(&doc).map_or(&[], Vec::as_slice)
    }

    /// How many documents are added right after document `doc`.
    pub(crate) fn added_after(&self, doc: usize) -> usize {
        self.of(doc)
            .iter()
            .filter_map(|c| match c {
                Change::AddDocuments { after, count } if *after == doc => Some(*count),
                _ => None,
            })
            .sum()
    }

    /// Whether document `doc` is removed.
    pub(crate) fn removed(&self, doc: usize) -> bool {
        self.of(doc).iter().any(|c| matches!(c, Change::RemoveDocument { doc: d } if *d == doc))
    }

    /// How many documents are added after documents that are not in `known` (at the start).
    pub(crate) fn added_at_start(&self, known: &[usize]) -> usize {
        self.all
            .iter()
            .filter_map(|c| match c {
                Change::AddDocuments { after, count } if !known.contains(after) => Some(*count),
                _ => None,
            })
            .sum()
    }
}

/// The declared changes at one node and below.
#[derive(Debug, Default)]
pub(crate) struct Declared {
    /// The node gets a new value: its old hash (`None`: it did not exist).
    set: Option<Option<u64>>,
    /// The node (an entry or item) is removed: its old hash.
    removed: Option<u64>,
    /// Items inserted into this sequence: (before old item, count).
    inserts: Vec<(usize, usize)>,
    children: Vec<(Seg, Declared)>,
}

impl Declared {
    /// The tree of the changes of document `doc`.
    pub(crate) fn of<'c>(doc: usize, changes: impl Iterator<Item = &'c Change>) -> Declared {
        let mut root = Declared::default();
        for c in changes.filter(|c| c.doc() == doc) {
            match c {
                Change::Set { path, old, .. } => root.at(path).set = Some(*old),
                Change::Remove { path, old, .. } => root.at(path).removed = Some(*old),
                Change::Insert { path, at, count, .. } => root.at(path).inserts.push((*at, *count)),
                Change::AddDocuments { .. } | Change::RemoveDocument { .. } => {}
            }
        }
        root
    }

    /// Whether nothing is declared.
    pub(crate) fn is_empty(&self) -> bool {
        self.set.is_none() && self.removed.is_none() && self.inserts.is_empty() && self.children.is_empty()
    }

    fn at(&mut self, path: &NodePath) -> &mut Declared {
        self.at_segments(path.segments())
    }

    fn at_segments(&mut self, segs: &[Seg]) -> &mut Declared {
        let Some((seg, rest)) = segs.split_first() else { return self };
        let i = match self.children.iter().position(|(s, _)| s == seg) {
            Some(i) => i,
            None => {
                self.children.push((seg.clone(), Declared::default()));
                self.children.len() - 1
            }
        };
        // `i` indexes our own vector (found or just pushed).
        self.children[i].1.at_segments(rest)
    }

    fn child(&self, seg: &Seg) -> Option<&Declared> {
        self.children.iter().find(|(s, _)| s == seg).map(|(_, d)| d)
    }

    fn key(&self, k: &str) -> Option<&Declared> {
        self.children.iter().find(|(s, _)| matches!(s, Seg::Key(x) if x == k)).map(|(_, d)| d)
    }

    fn removed_keys(&self) -> impl Iterator<Item = (&str, u64)> {
        self.children.iter().filter_map(|(s, d)| match (s, d.removed) {
            (Seg::Key(k), Some(h)) => Some((k.as_ref(), h)),
            _ => None,
        })
    }

    fn inserted(&self, at: usize) -> usize {
        self.inserts.iter().filter(|(a, _)| *a == at).map(|(_, c)| c).sum()
    }
}

/// The data hash the old node had, computed from the fixed node `n` (with `hashes`, the data
/// hashes of the fixed document's nodes) by undoing the declared changes; `None` when the fixed
/// node does not fit the declarations (the JSON comparison then says where).
pub(crate) fn old_hash(n: NodeRef<'_, '_>, hashes: &[u64], d: Option<&Declared>) -> Option<u64> {
    let own = |n: NodeRef<'_, '_>| hashes.get(n.resolve().id as usize).copied();
    let Some(d) = d else { return own(n) };
    if let Some(set) = d.set {
        return set;
    }
    if d.removed.is_some() {
        return None;
    }
    let n = n.resolve();
    if n.is_mapping() {
        let mut entries = Vec::new();
        for (k, v) in n.entries() {
            let key = k.scalar()?;
            let child = d.key(key);
            match child {
                Some(c) if c.removed.is_some() => return None,
                Some(c) if c.set == Some(None) => {}
                _ => entries.push((key_hash(key), old_hash(v, hashes, child)?)),
            }
        }
        entries.extend(d.removed_keys().map(|(k, h)| (key_hash(k), h)));
        return Some(map_hash(entries.into_iter()));
    }
    if n.is_sequence() {
        let items: Vec<_> = n.items().collect();
        let inserted: usize = d.inserts.iter().map(|(_, c)| c).sum();
        let removed = d.children.iter().filter(|(s, c)| matches!(s, Seg::Index(_)) && c.removed.is_some()).count();
        let old_len = (items.len() + removed).checked_sub(inserted)?;
        let mut old = Vec::with_capacity(old_len);
        let mut pos = 0;
        for i in 0..=old_len {
            pos += d.inserted(i);
            if i == old_len {
                break;
            }
            let child = d.child(&Seg::Index(i));
            if let Some(h) = child.and_then(|c| c.removed) {
                old.push(h);
                continue;
            }
            old.push(old_hash(*items.get(pos)?, hashes, child)?);
            pos += 1;
        }
        return (pos == items.len()).then(|| seq_hash(old.into_iter()));
    }
    if d.children.is_empty() && d.inserts.is_empty() { own(n) } else { None }
}

/// Where the fixed value differs from the old one outside the declared changes.
#[derive(Debug)]
pub(crate) struct Difference {
    pub(crate) path: NodePath,
    pub(crate) what: String,
}

/// Compares the old and the fixed value as JSON under the declarations.
pub(crate) fn compare(old: &Json, new: &Json, d: Option<&Declared>, path: &NodePath) -> Result<(), Difference> {
    let diff = |p: NodePath, what: String| Err(Difference { path: p, what });
    if d.is_some_and(|d| d.set.is_some()) {
        return Ok(());
    }
    match (old, new) {
        (Json::Object(o), Json::Object(n)) => {
            for (k, ov) in o {
                let child = d.and_then(|d| d.key(k));
                let here = path.key(k.clone());
                if child.is_some_and(|c| c.removed.is_some()) {
                    if n.contains_key(k) {
                        return diff(here, "was to be removed but is still there".into());
                    }
                    continue;
                }
                match n.get(k) {
                    Some(nv) => compare(ov, nv, child, &here)?,
                    None => return diff(here, "was removed".into()),
                }
            }
            for k in n.keys().filter(|k| !o.contains_key(*k)) {
                if d.and_then(|d| d.key(k)).is_none_or(|c| c.set.is_none()) {
                    return diff(path.key(k.clone()), "was added".into());
                }
            }
            Ok(())
        }
        (Json::Array(o), Json::Array(n)) => {
            let mut pos = 0;
            for (i, ov) in o.iter().enumerate() {
                pos += d.map_or(0, |d| d.inserted(i));
                let child = d.and_then(|d| d.child(&Seg::Index(i)));
                if child.is_some_and(|c| c.removed.is_some()) {
                    continue;
                }
                let Some(nv) = n.get(pos) else { return diff(path.index(i), "was removed".into()) };
                compare(ov, nv, child, &path.index(i))?;
                pos += 1;
            }
            pos += d.map_or(0, |d| d.inserted(o.len()));
            if pos != n.len() {
                return diff(path.clone(), format!("has {} items instead of {pos}", n.len()));
            }
            Ok(())
        }
        _ if old == new => Ok(()),
        _ => diff(path.clone(), format!("changed from `{}` to `{}`", short(old), short(new))),
    }
}

fn short(v: &Json) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 { format!("{}…", s.chars().take(40).collect::<String>()) } else { s }
}

/// "Job `reindex` (`spec.template.spec`)" for a path inside a Kubernetes object of the document
/// (the innermost mapping with `kind` and `metadata.name` on the way), else "`path`".
pub(crate) fn describe(doc: &Json, path: &NodePath) -> String {
    let mut node = Some(doc);
    let mut owner = None;
    for (depth, seg) in path.segments().iter().enumerate() {
        let Some(n) = node else { break };
        if let (Some(kind), Some(name)) =
            (n.get("kind").and_then(Json::as_str), n.get("metadata").and_then(|m| m.get("name")).and_then(Json::as_str))
        {
            owner = Some((kind, name, depth));
        }
        node = match seg {
            Seg::Key(k) => n.get(k.as_ref()),
            Seg::Index(i) => n.get(*i),
        };
    }
    match owner {
        Some((kind, name, depth)) => {
            let rest = path.skip(depth);
            if rest.is_empty() { format!("{kind} `{name}`") } else { format!("`{rest}` of {kind} `{name}`") }
        }
        None if path.is_empty() => "the document".to_string(),
        None => format!("`{path}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::{Declared, compare, old_hash};
    use crate::change::{Change, NodePath};
    use crate::yaml::hash::{data_hash, node_hashes};
    use crate::yaml::{Limits, json::to_json, parse_chunk};

    fn hash_of(text: &str) -> u64 {
        let (docs, _) = parse_chunk(text, 0..text.len(), Limits::default());
        data_hash(docs[0].root().unwrap()).unwrap()
    }

    /// Undoes `changes` on `new` by hash and by JSON; both must agree with `expect`.
    fn check(old: &str, new: &str, changes: &[Change], expect: bool) {
        let d = Declared::of(0, changes.iter());
        let (docs, _) = parse_chunk(new, 0..new.len(), Limits::default());
        let hashes = node_hashes(&docs[0]).unwrap();
        let by_hash = old_hash(docs[0].root().unwrap(), &hashes, Some(&d)) == Some(hash_of(old));
        let (old_docs, _) = parse_chunk(old, 0..old.len(), Limits::default());
        let o = to_json(old_docs[0].root().unwrap()).unwrap();
        let n = to_json(docs[0].root().unwrap()).unwrap();
        let by_json = compare(&o, &n, Some(&d), &NodePath::root());
        assert_eq!(by_hash, expect, "hash: {old} -> {new}");
        assert_eq!(by_json.is_ok(), expect, "json: {old} -> {new}: {by_json:?}");
    }

    fn path(p: &str) -> NodePath {
        NodePath::parse_dotted(p).unwrap()
    }

    #[test]
    fn declared_changes_are_undone() {
        let set = |p: &str, old: Option<&str>| Change::Set { doc: 0, path: path(p), old: old.map(hash_of) };
        check("a: 1\nb: 2\n", "a: 1\nb: 3\n", &[set("b", Some("2"))], true);
        check("a: 1\n", "a: 1\nb: 3\n", &[set("b", None)], true);
        check("a: 1\nb: 2\n", "a: 1\n", &[Change::Remove { doc: 0, path: path("b"), old: hash_of("2") }], true);
        let ins = Change::Insert { doc: 0, path: path("l"), at: 0, count: 1 };
        check("l: [x, y]\n", "l: [n, x, y]\n", &[ins], true);
        let app = Change::Insert { doc: 0, path: path("l"), at: 2, count: 2 };
        check("l: [x, y]\n", "l: [x, y, n, m]\n", &[app], true);
        let rm = Change::Remove { doc: 0, path: path("l[0]"), old: hash_of("x") };
        check("l: [x, y]\n", "l: [y]\n", &[rm], true);
    }

    #[test]
    fn undeclared_changes_are_caught() {
        let set = |p: &str, old: Option<&str>| Change::Set { doc: 0, path: path(p), old: old.map(hash_of) };
        check("a: 1\nb: 2\n", "a: 5\nb: 3\n", &[set("b", Some("2"))], false);
        check("a: 1\n", "a: 1\nb: 3\nc: 4\n", &[set("b", None)], false);
        check("l: [x, y]\n", "l: [n, x]\n", &[Change::Insert { doc: 0, path: path("l"), at: 0, count: 1 }], false);
        check("a: &r {c: 1}\nb: *r\n", "a: &r {c: 2}\nb: *r\n", &[set("a.c", Some("1"))], false);
        check("s: |+\n  t\n\n\nn: 1\n", "s: |+\n  t\nx: 1\n\n\nn: 1\n", &[set("x", None)], false);
    }
}
