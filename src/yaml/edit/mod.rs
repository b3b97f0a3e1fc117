//! Edit helpers: the only way fixes change YAML. Each helper returns a `Patch`: the `Edit` (a
//! byte range of the file and its replacement) and the `Change`s it makes to the document's
//! data (the node it sets, adds or removes, by its path from the document's root), which `--fix`
//! checks after the pass. Helpers write YAML the way the surrounding file does: its indentation
//! step, indented or indentless sequences, block or flow collections, the quoting of
//! neighbouring scalars, CRLF or LF line ends, and JSON in a `.json` file. Bytes outside the
//! edited node are never touched, and no helper deletes a comment: a comment on a line that an
//! edit removes is kept on a line of its own. A construct the helpers cannot edit safely is
//! refused with an `EditError` that says why: among them any node that an alias (`*name`)
//! elsewhere repeats, since editing it would change the other place too.

mod ops;
mod render;

use std::ops::Range;

use crate::change::{Change, Edit, NodePath};

use super::hash::data_hash;
use super::path_to;
use super::tree::{Doc, NodeId, NodeRef, Style};

pub(crate) use render::Value;
#[cfg(test)]
use render::{Quote, quote_str};

/// Why an edit was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct EditError(pub(crate) String);

fn refuse<T>(why: impl Into<String>) -> Result<T, EditError> {
    Err(EditError(why.into()))
}

/// Writing conventions of one file, read off the file itself.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Conventions {
    /// `\r\n` or `\n`.
    pub(crate) newline: &'static str,
    /// Spaces per nesting level of block mappings (of JSON members in a JSON file).
    pub(crate) indent: usize,
    /// Whether block sequences under a key are indented (`key:\n  - a`) or not (`key:\n- a`).
    pub(crate) indented_sequences: bool,
    /// The file is JSON (RFC 8259): edits write JSON, and documents cannot be added.
    pub(crate) json: bool,
}

impl Conventions {
    /// Reads the line ends, indentation step and sequence style of `text` (defaults: LF, 2,
    /// indented); `json` for a JSON file.
    pub(crate) fn of(text: &str, json: bool) -> Conventions {
        let newline = match memchr::memchr(b'\n', text.as_bytes()) {
            Some(i) if i > 0 && text.as_bytes().get(i - 1) == Some(&b'\r') => "\r\n",
            _ => "\n",
        };
        let mut indent = None;
        let mut indented = None;
        let mut prev: Option<(usize, bool)> = None; // (indent, line opens a nested level)
        for line in text.lines().take(2000) {
            let trimmed = line.trim_start_matches(' ');
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("---") {
                continue;
            }
            let ind = line.len() - trimmed.len();
            if let Some((p, opened)) = prev
                && opened
            {
                if !json && (trimmed.starts_with("- ") || trimmed == "-") {
                    indented.get_or_insert(ind > p);
                } else if ind > p && indent.is_none() {
                    indent = Some(ind - p);
                }
            }
            let body = trimmed.split(" #").next().unwrap_or(trimmed).trim_end();
            let opens = if json { body.ends_with(['{', '[']) } else { body.ends_with(':') };
            prev = Some((ind, opens));
            if indent.is_some() && (json || indented.is_some()) {
                break;
            }
        }
        Conventions {
            newline,
            indent: indent.filter(|i| (1..=8).contains(i)).unwrap_or(2),
            indented_sequences: indented.unwrap_or(true),
            json,
        }
    }
}

/// Builds edits on one file.
pub(crate) struct Editor<'t> {
    text: &'t str,
    conv: Conventions,
}

impl<'t> Editor<'t> {
    #[cfg(test)]
    pub(crate) fn new(text: &'t str) -> Self {
        Editor { text, conv: Conventions::of(text, false) }
    }

    /// An editor with conventions already read (once per file).
    pub(crate) fn with(text: &'t str, conv: Conventions) -> Self {
        Editor { text, conv }
    }

    pub(crate) fn text(&self) -> &'t str {
        self.text
    }

    pub(super) fn nl(&self) -> &'static str {
        self.conv.newline
    }

    /// This editor, writing the line ends of the line at `offset` (files may mix CRLF and LF).
    pub(super) fn local(&self, offset: usize) -> Editor<'t> {
        let nl = self.text.get(offset..).and_then(|t| t.find('\n')).map(|i| offset + i);
        let newline = match nl {
            Some(i) if i > 0 && self.text.as_bytes().get(i - 1) == Some(&b'\r') => "\r\n",
            Some(_) => "\n",
            None => self.conv.newline,
        };
        Editor { text: self.text, conv: Conventions { newline, ..self.conv } }
    }

    // ---- positions ---------------------------------------------------------------------------

    pub(super) fn line_start(&self, offset: usize) -> usize {
        self.text.get(..offset).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1)
    }

    /// Offset of the line break ending the line of `offset` (`\r\n` or `\n`), or the end of text.
    pub(super) fn line_end(&self, offset: usize) -> usize {
        let nl = self.text.get(offset..).and_then(|t| t.find('\n')).map_or(self.text.len(), |i| offset + i);
        if nl > 0 && self.text.as_bytes().get(nl - 1) == Some(&b'\r') && nl > offset { nl - 1 } else { nl }
    }

    /// Offset just after the line break ending the line of `offset` (or the end of text).
    pub(super) fn next_line(&self, offset: usize) -> usize {
        self.text.get(offset..).and_then(|t| t.find('\n')).map_or(self.text.len(), |i| offset + i + 1)
    }

    pub(super) fn column(&self, offset: usize) -> usize {
        offset - self.line_start(offset)
    }

    /// The indentation (leading spaces) of the line of `offset`.
    pub(super) fn indentation(&self, offset: usize) -> usize {
        let start = self.line_start(offset);
        self.text.get(start..).map_or(0, |l| l.len() - l.trim_start_matches(' ').len())
    }

    /// Whether only spaces precede `offset` on its line.
    pub(super) fn starts_line(&self, offset: usize) -> bool {
        self.text.get(self.line_start(offset)..offset).is_some_and(|p| p.bytes().all(|b| b == b' '))
    }

    /// The end of a node's content: for a node that ends in a block scalar (`|`, `>`, or a
    /// collection whose last value is one), the end of the scalar's last content line (a line
    /// of only spaces counts when it has more than the scalar's indentation: it is part of the
    /// value); otherwise the node's span without trailing blanks and line breaks.
    pub(super) fn content_end(&self, node: NodeRef<'_, '_>) -> usize {
        let last = Self::last_descendant(node);
        if let Some(end) = self.block_scalar_end(last) {
            return end;
        }
        let span = node.span();
        let body = self.text.get(span.clone()).unwrap_or_default();
        span.start + body.trim_end_matches([' ', '\t', '\r', '\n']).len()
    }

    /// The node that ends `node`'s text: itself, or the last value of a block collection, down.
    fn last_descendant<'n, 'a>(node: NodeRef<'n, 'a>) -> NodeRef<'n, 'a> {
        let mut last = node;
        while last.is_block_collection() {
            let child = if last.is_mapping() { last.entries().last().map(|(_, v)| v) } else { last.items().last() };
            match child {
                Some(c) => last = c,
                None => break,
            }
        }
        last
    }

    /// For a block scalar: the end of its last content line (before the line break).
    fn block_scalar_end(&self, node: NodeRef<'_, '_>) -> Option<usize> {
        if node.is_alias() || !matches!(node.style(), Style::Literal | Style::Folded) {
            return None;
        }
        let span = node.span();
        let header_end = self.line_end(span.start);
        let mut at = self.next_line(span.start);
        let mut indent: Option<usize> = self.explicit_indent(node, at, span.end);
        let mut end = header_end;
        while at < span.end.min(self.text.len()) {
            let line_end = self.line_end(at);
            let line = self.text.get(at..line_end).unwrap_or_default();
            let spaces = line.len() - line.trim_start_matches(' ').len();
            let blank = line.trim_start_matches(' ').is_empty();
            match indent {
                None if blank => {}
                None => {
                    indent = Some(spaces);
                    end = line_end;
                }
                Some(n) if spaces >= n && line.len() > n => end = line_end,
                Some(n) if !blank && spaces < n => break,
                Some(_) => {}
            }
            at = self.next_line(at);
            if at == line_end {
                break;
            }
        }
        Some(end)
    }

    /// The content indentation of a block scalar with an indentation indicator (`|2`, `>1-`):
    /// not the first content line's (that line may be indented further), but what the value
    /// says: the first content line's spaces less those the value kept at its start.
    fn explicit_indent(&self, node: NodeRef<'_, '_>, first_line: usize, end: usize) -> Option<usize> {
        let header = self.text.get(node.span().start..self.line_end(node.span().start))?;
        if !header.chars().skip(1).take_while(|c| !c.is_whitespace()).any(|c| c.is_ascii_digit()) {
            return None;
        }
        let spaces = |line: &str| line.len() - line.trim_start_matches(' ').len();
        let value_line = node.scalar()?.lines().find(|l| !l.trim_start_matches(' ').is_empty())?;
        let mut at = first_line;
        while at < end.min(self.text.len()) {
            let line = self.text.get(at..self.line_end(at)).unwrap_or_default();
            if !line.trim_start_matches(' ').is_empty() {
                return spaces(line).checked_sub(spaces(value_line));
            }
            let next = self.next_line(at);
            if next == at {
                break;
            }
            at = next;
        }
        None
    }

    /// Where text that follows `node` on new lines goes: after the line the node's content ends
    /// on (`(offset, false)`: the new text starts with a line break), or, when the node ends in a
    /// block scalar that keeps its trailing line breaks (`|+`, `>+`), at the start of the line
    /// after those kept lines (`(offset, true)`: the new text ends with a line break), so that
    /// the scalar keeps every line that belongs to it.
    pub(super) fn after_node(&self, node: NodeRef<'_, '_>) -> (usize, bool) {
        if let Some(end) = self.kept_end(Self::last_descendant(node)) {
            return (end, true);
        }
        (self.line_end(self.content_end(node)), false)
    }

    /// Where the text of `node` ends for removing it: after the line break of its last line,
    /// or after the kept lines of a `|+` / `>+` scalar that ends it.
    pub(super) fn removal_end(&self, node: NodeRef<'_, '_>) -> usize {
        self.kept_end(Self::last_descendant(node)).unwrap_or_else(|| self.next_line(self.content_end(node)))
    }

    /// For a block scalar with the keep indicator (`|+`, `>2+`), the offset just after the last
    /// line break that belongs to its value.
    pub(super) fn kept_end(&self, node: NodeRef<'_, '_>) -> Option<usize> {
        if node.is_alias() || !matches!(node.style(), Style::Literal | Style::Folded) {
            return None;
        }
        let header = self.text.get(node.span().start..)?.lines().next()?;
        let indicators: String =
            header.chars().skip(1).take_while(|c| c.is_ascii_digit() || *c == '+' || *c == '-').collect();
        if !indicators.contains('+') {
            return None;
        }
        let value = node.scalar()?;
        let kept = value.len() - value.trim_end_matches('\n').len();
        // From the end of the last content line (or of the header, with no content), each kept
        // line break is one line further.
        let mut at = self.block_scalar_end(node)?;
        for _ in 0..kept {
            at = self.next_line(at);
        }
        (kept > 0).then_some(at)
    }

    // ---- what an edit changes ------------------------------------------------------------------

    /// The path of `node` from its document's root.
    pub(super) fn path(node: NodeRef<'_, '_>) -> Result<NodePath, EditError> {
        let root = node.doc.root().ok_or_else(|| EditError("internal error: the document is empty".into()))?;
        path_to(root, node.id).ok_or_else(|| EditError("internal error: the node is not in its document".into()))
    }

    /// Refuses to edit `node` when it is, or is inside, a node that an alias repeats (or is an
    /// alias itself): the edit would change every place that repeats it.
    pub(super) fn check_shared(&self, node: NodeRef<'_, '_>) -> Result<(), EditError> {
        let doc = node.doc;
        if doc.not_data {
            return refuse(
                "the document has a key that is a collection, or nests deeper than 512 levels: it has no JSON form \
                 (the API server would reject it), so the fix could not be checked",
            );
        }
        let physical = node.resolve();
        for &alias in &doc.aliases {
            let Some(a) = doc.node(alias) else { continue };
            let target = a.resolve();
            if !target.subtree().contains(&physical.id) {
                continue;
            }
            let name = self.text.get(a.span()).unwrap_or("*").trim_start_matches('*');
            // The other place: the anchor's own node when `node` is this alias, else the alias.
            let other = if node.id == alias { target.id } else { alias };
            return refuse(format!(
                "the node is shared through anchor `&{name}` with {}: the fix would change both (give each its \
                 own copy first)",
                describe_node(doc, other)
            ));
        }
        Ok(())
    }

    /// Refuses to remove (or replace) `node` when it holds an anchor that an alias outside it
    /// still uses: the alias would point nowhere and the document would not parse.
    pub(super) fn check_anchors_kept(&self, node: NodeRef<'_, '_>) -> Result<(), EditError> {
        let doc = node.doc;
        let inside = node.subtree();
        for &alias in &doc.aliases {
            let Some(a) = doc.node(alias) else { continue };
            if inside.contains(&alias) || !inside.contains(&a.resolve().id) {
                continue;
            }
            let name = self.text.get(a.span()).unwrap_or("*").trim_start_matches('*');
            return refuse(format!(
                "the removed value holds anchor `&{name}`, which {} still uses: `*{name}` would point nowhere \
                 (give it its own value first)",
                describe_node(doc, alias)
            ));
        }
        Ok(())
    }

    /// `Set` of the node at `path` (`node` is its current value, if any).
    pub(super) fn set(doc: &Doc<'_>, path: NodePath, node: Option<NodeRef<'_, '_>>) -> Change {
        Change::Set { doc: doc.span.start, path, old: node.map(|n| data_hash(n).unwrap_or(0)) }
    }

    pub(super) fn removed(doc: &Doc<'_>, path: NodePath, node: NodeRef<'_, '_>) -> Change {
        Change::Remove { doc: doc.span.start, path, old: data_hash(node).unwrap_or(0) }
    }

    /// The comments inside `range` (keeping each on a line of its own at the indentation of the
    /// line it stood on), or a refusal when `own_lines` is false and there are any.
    pub(super) fn kept_comments(
        &self,
        doc: &Doc<'_>,
        range: &Range<usize>,
        own_lines: bool,
    ) -> Result<String, EditError> {
        let mut out = String::new();
        for c in doc.comments.iter().filter(|c| c.start >= range.start && c.end <= range.end) {
            if !own_lines {
                return refuse("a comment stands inside the text the fix would replace");
            }
            let comment = self.text.get(c.clone()).unwrap_or_default().trim_end_matches('\r');
            out.push_str(&" ".repeat(self.indentation(c.start)));
            out.push_str(comment);
            out.push_str(self.local(c.start).nl());
        }
        Ok(out)
    }
}

/// How a node is named in a refusal: "Job `reindex` (`spec.template.spec`)" inside a
/// Kubernetes object (the innermost mapping with `kind` and `metadata.name`), else its path.
fn describe_node(doc: &Doc<'_>, id: NodeId) -> String {
    let Some(path) = doc.root().and_then(|root| path_to(root, id)) else { return "another node".to_string() };
    let mut node = doc.root();
    let mut owner = None;
    for (depth, seg) in path.segments().iter().enumerate() {
        let Some(n) = node else { break };
        let name = n.get_path(&["metadata", "name"]).and_then(|v| v.as_text());
        if let (Some(kind), Some(name)) = (n.get_str("kind"), name) {
            owner = Some((kind, name, depth));
        }
        node = match seg {
            crate::change::Seg::Key(k) => n.get(k),
            crate::change::Seg::Index(i) => n.item(*i),
        };
    }
    match owner {
        Some((kind, name, depth)) => {
            let rest = path.skip(depth);
            if rest.is_empty() { format!("{kind} `{name}`") } else { format!("{kind} `{name}` (`{rest}`)") }
        }
        None => format!("`{path}`"),
    }
}

/// Applies edits to `text` (sorted, disjoint), back to front.
pub(crate) fn apply(text: &str, edits: &[Edit]) -> Option<String> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len() + edits.iter().map(|e| e.content.len()).sum::<usize>());
    let mut at = 0;
    for e in sorted {
        if e.range.start < at || e.range.end < e.range.start {
            return None;
        }
        out.push_str(text.get(at..e.range.start)?);
        out.push_str(&e.content);
        at = e.range.end;
    }
    out.push_str(text.get(at..)?);
    Some(out)
}

/// Applies edits (sorted, disjoint) to `text` in its own buffer: grown once to the new length,
/// segments moved into place, the edits' contents written last. A large file is never held
/// twice (a `--fix` pass over a stream would otherwise need the old and the new text at once).
/// Edits that are not sorted, disjoint and on character boundaries give the text back unchanged
/// (`Err`).
pub(crate) fn apply_in_place(text: String, edits: &[Edit]) -> Result<String, String> {
    let mut at = 0;
    for e in edits {
        let ok = e.range.start >= at
            && e.range.start <= e.range.end
            && text.is_char_boundary(e.range.start)
            && text.is_char_boundary(e.range.end);
        if !ok {
            return Err(text);
        }
        at = e.range.end;
    }
    let old_len = text.len();
    let delta: isize = edits.iter().map(|e| e.content.len() as isize - e.range.len() as isize).sum();
    let new_len = old_len.saturating_add_signed(delta);
    let mut bytes = text.into_bytes();
    bytes.resize(old_len.max(new_len), 0);
    // The unchanged segments: (source start, source end, destination start). Segment i lies
    // after edit i-1 (the first before edit 0).
    let mut segments: Vec<(usize, usize, usize)> = Vec::with_capacity(edits.len() + 1);
    let mut src: usize = 0;
    let mut shift: isize = 0;
    for e in edits {
        segments.push((src, e.range.start, src.saturating_add_signed(shift)));
        shift += e.content.len() as isize - e.range.len() as isize;
        src = e.range.end;
    }
    segments.push((src, old_len, src.saturating_add_signed(shift)));
    // Segments that move left go first, front to back; those that move right then, back to
    // front: no segment is written over before it has moved.
    for &(s, e, d) in segments.iter().filter(|(s, _, d)| d <= s) {
        bytes.copy_within(s..e, d);
    }
    for &(s, e, d) in segments.iter().rev().filter(|(s, _, d)| d > s) {
        bytes.copy_within(s..e, d);
    }
    let mut shift: isize = 0;
    for e in edits {
        let d = e.range.start.saturating_add_signed(shift);
        if let Some(slot) = bytes.get_mut(d..d + e.content.len()) {
            slot.copy_from_slice(e.content.as_bytes());
        }
        shift += e.content.len() as isize - e.range.len() as isize;
    }
    bytes.truncate(new_len);
    String::from_utf8(bytes).map_err(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Merges edits that touch into single edits, so that one fix's edits are disjoint (an insertion
/// right after a removal, two insertions at one offset, kept in order). Edits that really
/// overlap cannot be merged: `None`.
pub(crate) fn merge(mut edits: Vec<Edit>) -> Option<Vec<Edit>> {
    // An insertion that starts a new line (`\n  key: v` at a line end) inside lines that are
    // removed (a removal writes nothing, or only the kept comment lines) is the same insertion
    // at the end of the removal, with its line break moved last: the removed lines were where
    // it would have gone.
    let removals: Vec<Range<usize>> = edits
        .iter()
        .filter(|e| !e.range.is_empty() && (e.content.is_empty() || e.content.ends_with('\n')))
        .map(|e| e.range.clone())
        .collect();
    for e in edits.iter_mut().filter(|e| e.range.is_empty()) {
        let Some(d) = removals.iter().find(|d| d.start < e.range.start && e.range.start < d.end) else { continue };
        let nl = if e.content.starts_with("\r\n") {
            "\r\n"
        } else if e.content.starts_with('\n') {
            "\n"
        } else {
            continue;
        };
        e.content = format!("{}{nl}", e.content.get(nl.len()..).unwrap_or_default());
        e.range = d.end..d.end;
    }
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out: Vec<Edit> = Vec::with_capacity(edits.len());
    for e in edits {
        match out.last_mut() {
            Some(last) if e.range.start < last.range.end => return None,
            Some(last) if e.range.start == last.range.end => {
                last.content.push_str(&e.content);
                last.range.end = e.range.end;
            }
            _ => out.push(e),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests;
