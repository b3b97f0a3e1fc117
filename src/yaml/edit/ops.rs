//! The edit operations: each returns the `Patch` of one change to a node, a sequence, an
//! object or a document.

use std::ops::Range;

use crate::change::{Change, Edit, Patch};

use super::super::tree::{Doc, DocPlace, NodeRef, Style};
use super::render::{self, Quote, Value, quote_str};
use super::{EditError, Editor, refuse};

impl Editor<'_> {
    // ---- edits -------------------------------------------------------------------------------

    /// Replaces a scalar value (keeping its quoting style when the new value allows it).
    pub(crate) fn replace_scalar(&self, node: NodeRef<'_, '_>, new: &Value) -> Result<Patch, EditError> {
        if node.is_alias() {
            return refuse("the value is an alias (`*name`); edit the anchored value instead");
        }
        if node.scalar().is_none() {
            return refuse("the value is a collection, not a scalar");
        }
        self.check_shared(node)?;
        let quote = match node.style() {
            Style::DoubleQuoted => Quote::Double,
            Style::SingleQuoted => Quote::Single,
            _ => Quote::Plain,
        };
        let content = match new {
            Value::Str(s) if self.conv.json => render::json_string(s),
            Value::Str(s) => quote_str(s, quote),
            other => self.scalar(other, quote),
        };
        let change = Self::set(node.doc, Self::path(node)?, Some(node));
        let span = node.span();
        let end =
            if matches!(node.style(), Style::Literal | Style::Folded) { self.content_end(node) } else { span.end };
        if span.start == end {
            // An empty value (`key:`): its span sits at the colon; write it after.
            let at = if self.text.as_bytes().get(span.start) == Some(&b':') { span.start + 1 } else { span.start };
            return Ok(Patch::new(Edit { range: at..at, content: format!(" {content}") }, vec![change]));
        }
        Ok(Patch::new(Edit { range: span.start..end, content }, vec![change]))
    }

    /// Replaces the entry `key` of `map` by `new_key: new_value` (same place, same indentation).
    pub(crate) fn replace_entry(
        &self,
        map: NodeRef<'_, '_>,
        key: &str,
        new_key: &str,
        new: &Value,
    ) -> Result<Patch, EditError> {
        let (k, v) = map.entry(key).ok_or_else(|| EditError(format!("no `{key}` to replace")))?;
        self.check_shared(map)?;
        self.check_shared(k)?;
        self.check_anchors_kept(k)?;
        self.check_anchors_kept(v)?;
        let path = Self::path(map)?;
        let changes = if new_key == key {
            vec![Self::set(map.doc, path.key(key.to_string()), Some(v))]
        } else {
            vec![
                Self::removed(map.doc, path.key(key.to_string()), v),
                Self::set(map.doc, path.key(new_key.to_string()), map.get(new_key)),
            ]
        };
        let quote = self.neighbour_quote(map);
        let end = self.content_end(v).max(k.span().end);
        let range = k.span().start..end;
        if map.style() == Style::Flow {
            self.kept_comments(map.doc, &range, false)?;
            let content = format!("{}: {}", self.key(new_key), self.flow(new, quote));
            return Ok(Patch::new(Edit { range, content }, changes));
        }
        let col = self.column(k.span().start);
        let ed = self.local(end);
        let mut content = ed.block_entry(new_key, new, col, quote);
        let kept = self.kept_comments(map.doc, &range, true)?;
        if !kept.is_empty() {
            // The comments of the replaced lines follow the new entry, each on its own line.
            content.push_str(ed.nl());
            content.push_str(kept.trim_end_matches(['\r', '\n']));
        }
        Ok(Patch::new(Edit { range, content }, changes))
    }

    /// Removes the entry `key` of `map`, with its line(s) in block style (a comment on those
    /// lines stays, on a line of its own). Refuses to empty a block mapping (remove its parent
    /// entry instead).
    pub(crate) fn remove_entry(&self, map: NodeRef<'_, '_>, key: &str) -> Result<Patch, EditError> {
        let entries: Vec<_> = map.entries().collect();
        let Some(pos) = entries.iter().rposition(|(k, _)| k.scalar() == Some(key)) else {
            return refuse(format!("no `{key}` to remove"));
        };
        let (k, v) = entries.get(pos).copied().ok_or_else(|| EditError("internal error: entry".into()))?;
        self.check_shared(map)?;
        self.check_anchors_kept(k)?;
        self.check_anchors_kept(v)?;
        let change = Self::removed(map.doc, Self::path(map)?.key(key.to_string()), v);
        let end = self.content_end(v).max(k.span().end);
        let edit = |range: Range<usize>| -> Result<Patch, EditError> {
            self.kept_comments(map.doc, &range, false)?;
            Ok(Patch::new(Edit { range, content: String::new() }, vec![change.clone()]))
        };
        if map.style() == Style::Flow {
            // `{a: 1, b: 2}`: take the entry and the comma after it, or the comma before it.
            if let Some((next_k, _)) = entries.get(pos + 1) {
                return edit(k.span().start..next_k.span().start);
            }
            if let Some((_, prev_v)) = pos.checked_sub(1).and_then(|p| entries.get(p)) {
                return edit(self.content_end(*prev_v)..end);
            }
            return edit(k.span().start..end);
        }
        if entries.len() == 1 {
            return refuse(format!("removing `{key}` would leave an empty mapping; remove the mapping instead"));
        }
        if !self.starts_line(k.span().start) {
            // The first key shares its line with a `- ` (or `key:`): keep that prefix and pull
            // the next entry up.
            let Some((next_k, _)) = entries.get(pos + 1) else {
                return refuse(format!("`{key}` shares its line with other syntax"));
            };
            return edit(k.span().start..next_k.span().start);
        }
        if self.text.get(end..self.line_end(end)).is_some_and(|rest| {
            let r = rest.trim_start();
            !(r.is_empty() || r.starts_with('#'))
        }) {
            return refuse(format!("`{key}` shares its last line with other syntax"));
        }
        let range = self.line_start(k.span().start)..self.removal_end(v).max(self.next_line(end));
        let content = self.kept_comments(map.doc, &range, true)?;
        Ok(Patch::new(Edit { range, content }, vec![change]))
    }

    /// Sets `key` of `map` to `value`: replaces its scalar value ([`Editor::replace_scalar`], which
    /// refuses an alias or a collection), or adds the entry ([`Editor::insert_entry`]).
    pub(crate) fn set_scalar_entry(&self, map: NodeRef<'_, '_>, key: &str, value: &Value) -> Result<Patch, EditError> {
        match map.get(key) {
            Some(node) => self.replace_scalar(node, value),
            None => self.insert_entry(map, key, value),
        }
    }

    /// Adds `key: value` as the last entry of `map`, right after its last entry's line (so a
    /// comment block that follows, which belongs to the next key, stays below).
    pub(crate) fn insert_entry(&self, map: NodeRef<'_, '_>, key: &str, value: &Value) -> Result<Patch, EditError> {
        if map.is_alias() {
            return refuse("the mapping is an alias (`*name`)");
        }
        if !map.is_mapping() {
            return refuse("not a mapping");
        }
        self.check_shared(map)?;
        let change = Self::set(map.doc, Self::path(map)?.key(key.to_string()), map.get(key));
        let quote = self.neighbour_quote(map);
        if map.style() == Style::Flow {
            return Ok(Patch::new(self.insert_flow(map, Some(key), value, quote)?, vec![change]));
        }
        let Some((first_k, _)) = map.entries().next() else { return refuse("empty block mapping") };
        let (last_k, last_v) = map.entries().last().ok_or_else(|| EditError("internal error: last entry".into()))?;
        let col = self.column(first_k.span().start);
        let (mut at, at_line_start) = self.after_node(last_v);
        if !at_line_start {
            at = at.max(self.line_end(last_k.span().end));
        }
        let ed = self.local(at);
        // Collections go in flow style when the mapping's other collections are all flow
        // (`requests: {cpu: 1}` beside `limits: {memory: 1Gi}`).
        let mut siblings = map.entries().map(|(_, v)| v).filter(|v| v.is_mapping() || v.is_sequence()).peekable();
        let flow = siblings.peek().is_some() && siblings.all(|v| v.style() == Style::Flow);
        let entry = if flow && value.is_collection() {
            format!("{}: {}", self.key(key), ed.flow(value, quote))
        } else {
            ed.block_entry(key, value, col, quote)
        };
        let pad = " ".repeat(col);
        let content =
            if at_line_start { format!("{pad}{entry}{}", ed.nl()) } else { format!("{}{pad}{entry}", ed.nl()) };
        Ok(Patch::new(Edit { range: at..at, content }, vec![change]))
    }

    /// Inserts a member (`key: value`, or an item when `key` is `None`) into a flow collection,
    /// after its last member.
    fn insert_flow(
        &self,
        node: NodeRef<'_, '_>,
        key: Option<&str>,
        value: &Value,
        quote: Quote,
    ) -> Result<Edit, EditError> {
        let member = |v: String| key.map_or_else(|| v.clone(), |k| format!("{}: {v}", self.key(k)));
        let span = node.span();
        let inner = self.text.get(span.start + 1..span.end.saturating_sub(1)).unwrap_or_default();
        if inner.contains('\n') {
            // A multi-line flow collection: the member goes after the last one, on its own line
            // at the same column.
            let last = if node.is_mapping() {
                node.entries().last().map(|(k, v)| (k.span().start, self.content_end(v).max(k.span().end)))
            } else {
                node.items().last().map(|v| (v.span().start, self.content_end(v)))
            };
            if let Some((start, end)) = last {
                let col = if self.starts_line(start) { self.column(start) } else { self.indentation(start) };
                let ed = self.local(end);
                let text = member(ed.flow_at(value, col, quote));
                return Ok(Edit { range: end..end, content: format!(",{}{}{text}", ed.nl(), " ".repeat(col)) });
            }
        }
        let text = member(self.flow(value, quote));
        if inner.trim().is_empty() {
            return Ok(Edit { range: span.start + 1..span.end.saturating_sub(1), content: text });
        }
        let last_end = span.start + 1 + inner.trim_end().len();
        Ok(Edit { range: last_end..last_end, content: format!(", {text}") })
    }

    /// The edit that adds `item` after the last item of `seq`.
    fn append_edit(&self, seq: NodeRef<'_, '_>, item: &Value) -> Result<Edit, EditError> {
        let quote = self.neighbour_quote(seq);
        if seq.style() == Style::Flow {
            return self.insert_flow(seq, None, item, quote);
        }
        let dash = self.column(seq.span().start);
        let last = seq.items().last().ok_or_else(|| EditError("empty block sequence".into()))?;
        let (at, at_line_start) = self.after_node(last);
        let ed = self.local(at);
        let text = format!("{}{}", " ".repeat(dash), ed.item_in(seq, item, dash, quote));
        let content = if at_line_start { format!("{text}{}", ed.nl()) } else { format!("{}{text}", ed.nl()) };
        Ok(Edit { range: at..at, content })
    }

    fn check_sequence(&self, seq: NodeRef<'_, '_>) -> Result<(), EditError> {
        if seq.is_alias() || !seq.is_sequence() {
            return refuse("not a sequence");
        }
        self.check_shared(seq)
    }

    /// Adds `item` at the end of `seq`.
    pub(crate) fn append_item(&self, seq: NodeRef<'_, '_>, item: &Value) -> Result<Patch, EditError> {
        self.append_items(seq, std::slice::from_ref(item))
    }

    /// Adds `items` at the end of `seq`, as one edit.
    pub(crate) fn append_items(&self, seq: NodeRef<'_, '_>, items: &[Value]) -> Result<Patch, EditError> {
        self.check_sequence(seq)?;
        let len = seq.items().count();
        let change = Change::Insert { doc: seq.doc.span.start, path: Self::path(seq)?, at: len, count: items.len() };
        if seq.style() == Style::Flow && len == 0 {
            let quote = self.neighbour_quote(seq);
            let span = seq.span();
            let content = items.iter().map(|i| self.flow(i, quote)).collect::<Vec<_>>().join(", ");
            let edit = Edit { range: span.start + 1..span.end.saturating_sub(1), content };
            return Ok(Patch::new(edit, vec![change]));
        }
        let mut edits = items.iter().map(|i| self.append_edit(seq, i)).collect::<Result<Vec<_>, _>>()?;
        let first = edits.first().cloned().ok_or_else(|| EditError("nothing to add".into()))?;
        let content = edits.drain(..).map(|e| e.content).collect::<String>();
        Ok(Patch::new(Edit { range: first.range, content }, vec![change]))
    }

    /// Adds a block mapping at the end of the text (a values file with no content yet).
    pub(crate) fn append_at_end(&self, body: &Value) -> Patch {
        let end = self.text.len();
        let lead = if end == 0 || self.text.ends_with('\n') { "" } else { self.nl() };
        let edit = Edit { range: end..end, content: format!("{lead}{}", self.document(body)) };
        Patch::new(edit, vec![Change::AddDocuments { after: 0, count: 1 }])
    }

    /// Adds `item` at the start of `seq` (before its first item).
    pub(crate) fn prepend_item(&self, seq: NodeRef<'_, '_>, item: &Value) -> Result<Patch, EditError> {
        self.check_sequence(seq)?;
        let change = Change::Insert { doc: seq.doc.span.start, path: Self::path(seq)?, at: 0, count: 1 };
        let quote = self.neighbour_quote(seq);
        if seq.style() == Style::Flow {
            let first = seq.items().next();
            let inner = self.text.get(seq.span()).unwrap_or_default();
            if let Some(first) = first.filter(|_| inner.contains('\n')) {
                // A multi-line flow sequence: the item goes before the first one, at its column.
                let start = first.span().start;
                let col = self.column(start);
                let ed = self.local(start);
                let content = format!("{},{}{}", ed.flow_at(item, col, quote), ed.nl(), " ".repeat(col));
                return Ok(Patch::new(Edit { range: start..start, content }, vec![change]));
            }
            let start = seq.span().start + 1;
            let text = self.flow(item, quote);
            let content = if first.is_none() { text } else { format!("{text}, ") };
            return Ok(Patch::new(Edit { range: start..start, content }, vec![change]));
        }
        let start = seq.span().start;
        if !self.starts_line(start) {
            return refuse("the sequence starts on the line of its key");
        }
        let dash = self.column(start);
        let ed = self.local(start);
        let content = format!("{}{}{}", ed.item_in(seq, item, dash, quote), ed.nl(), " ".repeat(dash));
        Ok(Patch::new(Edit { range: start..start, content }, vec![change]))
    }

    /// Removes item `index` of `seq` (its line(s) in block style; a comment on them stays).
    /// Refuses to empty a block sequence.
    pub(crate) fn remove_item(&self, seq: NodeRef<'_, '_>, index: usize) -> Result<Patch, EditError> {
        self.check_sequence(seq)?;
        let items: Vec<_> = seq.items().collect();
        let item = *items.get(index).ok_or_else(|| EditError(format!("no item {index} to remove")))?;
        self.check_anchors_kept(item)?;
        let change = Self::removed(seq.doc, Self::path(seq)?.index(index), item);
        let end = self.content_end(item);
        if seq.style() == Style::Flow {
            let range = if let Some(next) = items.get(index + 1) {
                item.span().start..next.span().start
            } else if let Some(prev) = index.checked_sub(1).and_then(|p| items.get(p)) {
                self.content_end(*prev)..end
            } else {
                item.span().start..end
            };
            self.kept_comments(seq.doc, &range, false)?;
            return Ok(Patch::new(Edit { range, content: String::new() }, vec![change]));
        }
        if items.len() == 1 {
            return refuse("removing the item would leave an empty sequence; replace the sequence with `[]`");
        }
        let line = self.line_start(item.span().start);
        let before = self.text.get(line..item.span().start).unwrap_or_default();
        if before.trim() != "-" {
            return refuse("the item shares its line with other syntax");
        }
        if self.text.get(end..self.line_end(end)).is_some_and(|rest| {
            let r = rest.trim_start();
            !(r.is_empty() || r.starts_with('#'))
        }) {
            return refuse("the item shares its last line with other syntax");
        }
        let range = line..self.removal_end(item).max(self.next_line(end));
        let content = self.kept_comments(seq.doc, &range, true)?;
        Ok(Patch::new(Edit { range, content }, vec![change]))
    }

    /// Removes an object from its document: the whole document when the object is the
    /// document's root, or its item of a `List` (never the `List` with it). `docs_in_chunk` is
    /// the number of documents in the object's `---` section.
    pub(crate) fn remove_object(&self, object: NodeRef<'_, '_>, docs_in_chunk: usize) -> Result<Patch, EditError> {
        let doc = object.doc;
        let root = doc.root().ok_or_else(|| EditError("internal error: the document is empty".into()))?;
        if object.id == root.id {
            return self.remove_document(doc, docs_in_chunk);
        }
        let items = root.get("items").filter(|i| i.is_sequence());
        let index = items.and_then(|s| s.items().position(|i| i.resolve().id == object.id));
        let (Some(items), Some(index)) = (items, index) else {
            return refuse("the object is neither a document nor an item of a `List`");
        };
        if items.items().count() == 1 {
            return self.replace_entry(root, "items", "items", &Value::Seq(Vec::new()));
        }
        self.remove_item(items, index)
    }

    /// Adds a new document after the document at `doc`: `---` and `body` (a block mapping).
    /// Refused in a JSON file, which holds one value.
    pub(crate) fn insert_document_after(&self, doc: &DocPlace, body: &Value) -> Result<Patch, EditError> {
        if self.conv.json {
            return refuse(
                "a JSON file holds one object and no `---` documents: put the new object in a file of its own",
            );
        }
        let change = Change::AddDocuments { after: doc.start, count: 1 };
        let ed = self.local(doc.start);
        let text = ed.document(body);
        let chunk_end = doc.chunk.end;
        let doc_end = doc.end;
        // After the last document of its chunk, the next `---` (or the end) is the place.
        let at = if self.text.get(doc_end..chunk_end).is_some_and(|rest| rest.lines().all(is_blank_or_comment)) {
            chunk_end
        } else {
            self.next_line(doc_end)
        };
        let ends_with_nl = at == 0 || self.text.as_bytes().get(at - 1) == Some(&b'\n');
        if at >= self.text.len() {
            let lead = if ends_with_nl { "" } else { ed.nl() };
            let mut body = format!("{lead}---{}{text}", ed.nl());
            if !self.text.ends_with('\n') {
                // Keep the file's missing final line break missing.
                let trimmed = body.trim_end_matches(['\r', '\n']).len();
                body.truncate(trimmed);
            }
            return Ok(Patch::new(Edit { range: at..at, content: body }, vec![change]));
        }
        if !ends_with_nl {
            return refuse("the document does not end at a line break");
        }
        Ok(Patch::new(Edit { range: at..at, content: format!("---{}{text}", ed.nl()) }, vec![change]))
    }

    /// Removes `doc` (its chunk: from its `---` to the next one) from the stream. Its comments
    /// stay, after its `---`, as a document without content. Refused in a JSON file.
    pub(crate) fn remove_document(&self, doc: &Doc<'_>, docs_in_chunk: usize) -> Result<Patch, EditError> {
        if self.conv.json {
            return refuse("the object is the whole JSON file; delete the file instead");
        }
        if docs_in_chunk != 1 {
            return refuse("the document shares its `---` section with another document (separated by `...`)");
        }
        let chunk = doc.chunk.clone();
        let kept = self.kept_comments(doc, &chunk, true)?;
        let mut content = String::new();
        if !kept.is_empty() {
            if self.text.get(chunk.clone()).is_some_and(|t| t.starts_with("---")) {
                content.push_str("---");
                content.push_str(self.local(chunk.start).nl());
            }
            content.push_str(&kept);
        }
        let change = Change::RemoveDocument { doc: doc.span.start };
        Ok(Patch::new(Edit { range: chunk, content }, vec![change]))
    }
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#') || t == "..."
}
