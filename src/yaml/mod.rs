//! The only module that knows the YAML parser. It turns a chunk of a stream into spanned
//! document trees (`Doc`), resolves scalars the way Kubernetes does, names nodes by `NodePath`
//! and turns a path into the span to label. It may use `change` and nothing else of ours.

pub(crate) mod de;
pub(crate) mod edit;
mod file_error;
pub(crate) mod hash;
pub(crate) mod json;
mod json_fast;
mod parse;
mod scalar;
pub(crate) mod suppress;
mod tree;

pub(crate) use crate::change::{NodePath, Seg};
pub(crate) use file_error::FileError;
pub(crate) use parse::{Limits, parse_chunk};
#[allow(unused_imports, reason = "re-exported for rules that read raw scalar types")]
pub(crate) use scalar::Resolved;
pub(crate) use tree::{Doc, DocPlace, NodeId, NodeRef, Style};

use std::ops::Range;

/// The result of looking a path up from a node: the deepest node that exists on the way, the
/// path to it, and the span to label for it.
#[derive(Clone, Debug)]
pub(crate) struct Located {
    pub(crate) path: NodePath,
    pub(crate) span: Range<usize>,
    /// Whether the whole path exists.
    pub(crate) complete: bool,
}

/// Follows `path` from `root`. When part of it is missing, the result names the deepest node
/// that exists (for a missing key: the mapping it belongs in).
pub(crate) fn locate(text: &str, root: NodeRef<'_, '_>, path: &NodePath) -> Located {
    let mut node = root;
    let mut key_span: Option<Range<usize>> = None;
    let mut depth = 0;
    for seg in path.segments() {
        let next = match seg {
            Seg::Key(k) => node.entry(k).map(|(k, v)| (v, Some(k.span()))),
            Seg::Index(i) => node.item(*i).map(|v| (v, None)),
        };
        match next {
            Some((v, ks)) => {
                node = v;
                key_span = ks;
                depth += 1;
            }
            None => break,
        }
    }
    Located { path: path.prefix(depth), span: label_span(text, node, key_span), complete: depth == path.len() }
}

/// Like [`locate`], but when the whole path exists and ends in a key, the span is that key
/// (for findings about the key itself, such as a duplicate).
pub(crate) fn locate_key(text: &str, root: NodeRef<'_, '_>, path: &NodePath) -> Located {
    let mut found = locate(text, root, path);
    if let (true, Some(Seg::Key(k))) = (found.complete, path.segments().last()) {
        let parent = path.prefix(path.len() - 1);
        let mut node = Some(root);
        for seg in parent.segments() {
            node = node.and_then(|n| match seg {
                Seg::Key(k) => n.get(k),
                Seg::Index(i) => n.item(*i),
            });
        }
        if let Some((key, _)) = node.and_then(|n| n.entry(k)) {
            found.span = key.span();
        }
    }
    found
}

/// The span to underline for a node: scalars and one-line flow collections as written; a block
/// collection (or a flow one over several lines) by its key when it has one, otherwise its
/// first line.
pub(crate) fn label_span(text: &str, node: NodeRef<'_, '_>, key_span: Option<Range<usize>>) -> Range<usize> {
    let span = node.span();
    // A flow collection over several lines (pretty-printed JSON) is labelled like a block one.
    // (A block collection is one without reading its text: a missing key is often located at a
    // large mapping, such as a pod spec.)
    let multi_line_flow = || {
        !node.is_alias()
            && (node.is_mapping() || node.is_sequence())
            && text.get(span.clone()).is_some_and(|t| t.contains('\n'))
    };
    let collection = node.is_block_collection() || multi_line_flow();
    if collection || matches!(node.style(), Style::Literal | Style::Folded) && !node.is_alias() {
        if let Some(k) = key_span.filter(|_| collection) {
            return k;
        }
        return first_line(text, span);
    }
    span
}

/// `span` cut at the end of its first line (without the line break).
fn first_line(text: &str, span: Range<usize>) -> Range<usize> {
    let body = text.get(span.clone()).unwrap_or_default();
    match memchr::memchr(b'\n', body.as_bytes()) {
        Some(nl) => {
            let mut end = span.start + nl;
            if end > span.start && text.as_bytes().get(end - 1) == Some(&b'\r') {
                end -= 1;
            }
            span.start..end
        }
        None => span,
    }
}

#[cfg(test)]
mod tests;

/// An alias bomb ("billion laughs"): 9 levels of 10 aliases each, 10^9 nodes when expanded.
#[cfg(test)]
pub(crate) fn alias_bomb() -> String {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    text
}

/// The path from `root` to node `target` of the same document (for a mapping key: the path of
/// its entry). `None` when `target` is not under `root`.
pub(crate) fn path_to(root: NodeRef<'_, '_>, target: NodeId) -> Option<NodePath> {
    let mut path = NodePath::root();
    let mut node = root;
    'descend: loop {
        if node.id == target {
            return Some(path);
        }
        if node.is_alias() || !node.subtree().contains(&target) {
            return None;
        }
        if node.is_mapping() {
            for (k, v) in node.entries() {
                let key = k.scalar().unwrap_or_default();
                if k.subtree().contains(&target) {
                    return Some(path.key(key.to_string()));
                }
                if v.subtree().contains(&target) {
                    path = path.key(key.to_string());
                    node = v;
                    continue 'descend;
                }
            }
        } else {
            for (i, item) in node.items().enumerate() {
                if item.subtree().contains(&target) {
                    path = path.index(i);
                    node = item;
                    continue 'descend;
                }
            }
        }
        return None;
    }
}
