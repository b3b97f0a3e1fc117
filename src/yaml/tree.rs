//! The spanned YAML tree: one flat, pre-ordered node arena per document, with byte spans into
//! the whole file for every node (keys, values, mappings, sequences, items) and the document.

use std::borrow::Cow;
use std::ops::Range;

use super::scalar::{Resolved, resolve_plain};

/// Index of a node in its document's arena.
pub(crate) type NodeId = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NodeKind {
    Scalar,
    Mapping,
    Sequence,
    /// An alias (`*name`); `Node::target` is the anchored node.
    Alias,
}

/// Source notation of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
    /// Block collection (indentation).
    Block,
    /// Flow collection (`{}` / `[]`).
    Flow,
}

/// An explicit tag on a node, as far as resolution cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TagKind {
    None,
    /// `!!str`: the scalar is a string whatever it looks like.
    Str,
    /// Any other tag.
    Other,
}

/// One node. Children of a collection follow it in the arena; `end` is one past its subtree.
/// Mapping children alternate key, value.
#[derive(Clone, Debug)]
pub(crate) struct Node<'a> {
    pub(crate) kind: NodeKind,
    pub(crate) style: Style,
    pub(crate) tag: TagKind,
    /// Byte span in the file. Block scalars start at their `|`/`>` indicator; block sequences at
    /// the first `-`; block mappings at the first key; flow collections at the bracket.
    pub(crate) span: Range<usize>,
    /// One past the last node of this subtree.
    pub(crate) end: NodeId,
    /// Number of direct children (a mapping has two per entry).
    pub(crate) len: u32,
    /// For aliases, the anchored node; otherwise the node itself.
    pub(crate) target: NodeId,
    /// Scalar value after escape processing (empty for collections and aliases).
    pub(crate) value: Cow<'a, str>,
}

/// A mapping that holds the same key twice (LL010).
#[derive(Clone, Debug)]
pub(crate) struct Duplicate {
    /// The first occurrence of the key.
    pub(crate) first: NodeId,
    /// The later occurrence (its value is the one used).
    pub(crate) later: NodeId,
}

/// One YAML document of a stream.
#[derive(Debug)]
pub(crate) struct Doc<'a> {
    pub(crate) nodes: Vec<Node<'a>>,
    /// From the `---` marker (or the first content) to the end of the content or `...`.
    pub(crate) span: Range<usize>,
    /// Spans of the comments that belong to this document (those before its content included).
    pub(crate) comments: Vec<Range<usize>>,
    pub(crate) duplicates: Vec<Duplicate>,
    /// The alias nodes (`*name`), in document order.
    pub(crate) aliases: Vec<NodeId>,
    /// The document has a mapping key that is a collection (`? [a, b]: x`), or nests deeper
    /// than `DATA_DEPTH`: it has no JSON form, so a fix could not be checked as data.
    pub(crate) not_data: bool,
    /// The chunk of the stream this document was parsed from (`---` to the next `---`).
    pub(crate) chunk: Range<usize>,
}

/// Where a document is in its file: what adding a document after it needs, kept without the
/// tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DocPlace {
    /// `Doc::span.start`: where the document starts (its `---`, first comment or content).
    pub(crate) start: usize,
    /// `Doc::span.end`.
    pub(crate) end: usize,
    /// `Doc::chunk`.
    pub(crate) chunk: Range<usize>,
}

impl DocPlace {
    /// The place moved by `delta` bytes.
    pub(crate) fn shift(&mut self, delta: isize) {
        self.start = crate::change::shift(self.start, delta);
        self.end = crate::change::shift(self.end, delta);
        self.chunk = crate::change::shift_range(&self.chunk, delta);
    }
}

impl<'a> Doc<'a> {
    /// Where the document is.
    pub(crate) fn place(&self) -> DocPlace {
        DocPlace { start: self.span.start, end: self.span.end, chunk: self.chunk.clone() }
    }

    /// The root node, or `None` for an empty document.
    pub(crate) fn root(&self) -> Option<NodeRef<'_, 'a>> {
        if self.nodes.is_empty() { None } else { Some(NodeRef { doc: self, id: 0 }) }
    }

    /// A view of node `id`.
    pub(crate) fn node(&self, id: NodeId) -> Option<NodeRef<'_, 'a>> {
        self.nodes.get(id as usize).map(|_| NodeRef { doc: self, id })
    }

    /// Whether the document holds content (not only comments or a null).
    pub(crate) fn has_content(&self) -> bool {
        self.root().is_some_and(|r| !r.is_null())
    }
}

/// A borrowed view of one node.
#[derive(Clone, Copy)]
pub(crate) struct NodeRef<'d, 'a> {
    pub(crate) doc: &'d Doc<'a>,
    pub(crate) id: NodeId,
}

impl std::fmt::Debug for NodeRef<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NodeRef({}, {:?})", self.id, self.raw().kind)
    }
}

/// The deepest nesting the JSON view (`json::to_json`) converts.
pub(crate) const DATA_DEPTH: usize = 512;

/// Merge keys (`<<: *base`) are followed this many levels deep at most.
const MAX_MERGE_DEPTH: usize = 8;

impl<'d, 'a> NodeRef<'d, 'a> {
    fn raw(&self) -> &'d Node<'a> {
        // Ids are only ever made from indices of this arena.
        &self.doc.nodes[self.id as usize]
    }

    /// Follows an alias to its anchored node (an alias never targets an alias).
    #[must_use]
    pub(crate) fn resolve(self) -> Self {
        let n = self.raw();
        if n.kind == NodeKind::Alias { NodeRef { doc: self.doc, id: n.target } } else { self }
    }

    pub(crate) fn kind(&self) -> NodeKind {
        self.resolve().raw().kind
    }

    pub(crate) fn style(&self) -> Style {
        self.resolve().raw().style
    }

    /// Byte span in the file of this node as written (an alias's own `*name` token).
    pub(crate) fn span(&self) -> Range<usize> {
        self.raw().span.clone()
    }

    pub(crate) fn is_mapping(&self) -> bool {
        self.kind() == NodeKind::Mapping
    }

    pub(crate) fn is_sequence(&self) -> bool {
        self.kind() == NodeKind::Sequence
    }

    pub(crate) fn is_alias(&self) -> bool {
        self.raw().kind == NodeKind::Alias
    }

    /// A block (indented) collection, as opposed to a flow collection or a scalar.
    pub(crate) fn is_block_collection(&self) -> bool {
        let n = self.raw();
        matches!(n.kind, NodeKind::Mapping | NodeKind::Sequence) && n.style == Style::Block
    }

    /// The raw scalar text after escapes, whatever type it resolves to.
    pub(crate) fn scalar(&self) -> Option<&'d str> {
        let n = self.resolve().raw();
        (n.kind == NodeKind::Scalar).then_some(n.value.as_ref())
    }

    /// The scalar's tag, as far as it matters here.
    pub(crate) fn tag(&self) -> TagKind {
        self.resolve().raw().tag
    }

    /// How the scalar resolves (quoted, block and `!!str` scalars are strings).
    pub(crate) fn resolved(&self) -> Option<Resolved> {
        let n = self.resolve().raw();
        if n.kind != NodeKind::Scalar {
            return None;
        }
        Some(match (n.style, n.tag) {
            (_, TagKind::Str) => Resolved::Str,
            (Style::Plain, _) => resolve_plain(&n.value),
            _ => Resolved::Str,
        })
    }

    /// The value when the scalar is a string (`"2"`, `web`), not a number, bool or null.
    pub(crate) fn as_str(&self) -> Option<&'d str> {
        match self.resolved()? {
            Resolved::Str => self.scalar(),
            _ => None,
        }
    }

    /// The value of a string or number scalar as text (`2`, `"2"`, `1.5`), not of a bool or null.
    pub(crate) fn as_text(&self) -> Option<&'d str> {
        match self.resolved()? {
            Resolved::Str | Resolved::Int(_) | Resolved::Float => self.scalar(),
            _ => None,
        }
    }

    pub(crate) fn as_i64(&self) -> Option<i64> {
        match self.resolved()? {
            Resolved::Int(i) => Some(i),
            _ => None,
        }
    }

    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self.resolved()? {
            Resolved::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// A null scalar (`~`, `null`, or nothing at all).
    pub(crate) fn is_null(&self) -> bool {
        self.resolved() == Some(Resolved::Null)
    }

    /// Direct children (through an alias).
    fn children(self) -> Children<'d, 'a> {
        let target = self.resolve();
        let n = target.raw();
        Children { doc: self.doc, next: target.id + 1, left: n.len }
    }

    /// Entries of a mapping as (key, value), in source order; empty for other nodes.
    pub(crate) fn entries(self) -> impl Iterator<Item = (NodeRef<'d, 'a>, NodeRef<'d, 'a>)> {
        let mut children = if self.is_mapping() { Some(self.children()) } else { None };
        std::iter::from_fn(move || {
            let c = children.as_mut()?;
            let k = c.next()?;
            let v = c.next()?;
            Some((k, v))
        })
    }

    /// Items of a sequence; empty for other nodes.
    pub(crate) fn items(self) -> impl Iterator<Item = NodeRef<'d, 'a>> {
        let children = if self.is_sequence() { Some(self.children()) } else { None };
        children.into_iter().flatten()
    }

    /// The entry for `key` as (key node, value node). With a duplicated key the last one wins,
    /// and keys merged with `<<` count when the mapping does not set them itself.
    pub(crate) fn entry(self, key: &str) -> Option<(NodeRef<'d, 'a>, NodeRef<'d, 'a>)> {
        self.entry_depth(key, 0)
    }

    fn entry_depth(self, key: &str, depth: usize) -> Option<(NodeRef<'d, 'a>, NodeRef<'d, 'a>)> {
        if !self.is_mapping() {
            return None;
        }
        let mut found = None;
        let mut merges = false;
        // Without duplicated keys in the document (nearly always), the first match is the
        // answer; otherwise the last one wins and every entry is read.
        let first_wins = self.doc.duplicates.is_empty();
        for (k, v) in self.entries() {
            match k.scalar() {
                Some(s) if s == key => {
                    found = Some((k, v));
                    if first_wins {
                        break;
                    }
                }
                Some("<<") if k.style() == Style::Plain => merges = true,
                _ => {}
            }
        }
        if found.is_some() || !merges || depth >= MAX_MERGE_DEPTH {
            return found;
        }
        // Explicit keys win over merged ones; earlier merge sources win over later ones.
        for (k, v) in self.entries() {
            if k.scalar() == Some("<<") && k.style() == Style::Plain {
                let sources: Vec<_> = if v.is_sequence() { v.items().collect() } else { vec![v] };
                for src in sources {
                    if let Some(hit) = src.resolve().entry_depth(key, depth + 1) {
                        return Some(hit);
                    }
                }
            }
        }
        None
    }

    /// The value for `key` (see [`NodeRef::entry`]).
    pub(crate) fn get(self, key: &str) -> Option<NodeRef<'d, 'a>> {
        self.entry(key).map(|(_, v)| v)
    }

    /// Item `index` of a sequence.
    pub(crate) fn item(self, index: usize) -> Option<NodeRef<'d, 'a>> {
        self.items().nth(index)
    }

    /// Follows a dotted list of keys.
    pub(crate) fn get_path(self, keys: &[&str]) -> Option<NodeRef<'d, 'a>> {
        keys.iter().try_fold(self, |node, k| node.get(k))
    }

    /// The value for `key` when it is a string.
    pub(crate) fn get_str(self, key: &str) -> Option<&'d str> {
        self.get(key).and_then(|v| v.as_str())
    }

    /// The node as written in `text` (the whole file), cut at the end of its first line.
    pub(crate) fn source<'t>(&self, text: &'t str) -> &'t str {
        let raw = text.get(self.span()).unwrap_or_default();
        raw.lines().next().unwrap_or_default().trim_end()
    }

    /// Ids of every node in this subtree (not through aliases).
    pub(crate) fn subtree(&self) -> Range<NodeId> {
        self.id..self.raw().end
    }
}

struct Children<'d, 'a> {
    doc: &'d Doc<'a>,
    next: NodeId,
    left: u32,
}

impl<'d, 'a> Iterator for Children<'d, 'a> {
    type Item = NodeRef<'d, 'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let node = self.doc.nodes.get(self.next as usize)?;
        let item = NodeRef { doc: self.doc, id: self.next };
        self.next = node.end;
        self.left -= 1;
        Some(item)
    }
}
