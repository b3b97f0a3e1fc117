//! Edit helpers: the only way fixes change YAML. Each helper returns one `Edit` (a byte range of
//! the file and its replacement) and writes YAML the way the surrounding file does: its
//! indentation step, indented or indentless sequences, block or flow collections, the quoting of
//! neighbouring scalars, CRLF or LF line ends. Bytes outside the edited node are never touched.
//! A construct the helpers cannot edit safely is refused with an `EditError` that says why.

use std::ops::Range;

use crate::diag::Edit;

use super::scalar::{Resolved, resolve_plain};
use super::tree::{Doc, NodeRef, Style};

/// Why an edit was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct EditError(pub(crate) String);

fn refuse<T>(why: impl Into<String>) -> Result<T, EditError> {
    Err(EditError(why.into()))
}

/// A YAML value to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    /// A string: written plain when that reads back as the same string, quoted otherwise.
    Str(String),
    /// A scalar written exactly as given (`1`, `true`, `10s`, `512Mi`).
    Raw(String),
    /// A mapping, in this key order.
    Map(Vec<(String, Value)>),
    /// A sequence.
    Seq(Vec<Value>),
}

impl Value {
    pub(crate) fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    pub(crate) fn raw(s: impl Into<String>) -> Value {
        Value::Raw(s.into())
    }

    pub(crate) fn map(entries: Vec<(&str, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn is_collection(&self) -> bool {
        matches!(self, Value::Map(m) if !m.is_empty()) || matches!(self, Value::Seq(s) if !s.is_empty())
    }

    /// A copy of a node as a value: scalars keep their source text (and so their quoting),
    /// aliases are followed.
    pub(crate) fn from_node(node: NodeRef<'_, '_>, text: &str) -> Value {
        let node = node.resolve();
        if node.is_mapping() {
            return Value::Map(
                node.entries()
                    .map(|(k, v)| (k.scalar().unwrap_or_default().to_string(), Value::from_node(v, text)))
                    .collect(),
            );
        }
        if node.is_sequence() {
            return Value::Seq(node.items().map(|i| Value::from_node(i, text)).collect());
        }
        let source = node.source(text);
        if source.is_empty() {
            // An empty value is null (`key:`); written out, it must stay null, not become a string.
            return Value::Raw("null".to_string());
        }
        if matches!(node.style(), Style::Literal | Style::Folded) {
            Value::Str(node.scalar().unwrap_or_default().to_string())
        } else {
            Value::Raw(source.to_string())
        }
    }
}

/// How strings are quoted when they must be (or when the neighbours are).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Quote {
    /// Plain when safe, else double quotes.
    Plain,
    Double,
    Single,
}

/// Writing conventions of one file, read off the file itself.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Conventions {
    /// `\r\n` or `\n`.
    pub(crate) newline: &'static str,
    /// Spaces per nesting level of block mappings.
    pub(crate) indent: usize,
    /// Whether block sequences under a key are indented (`key:\n  - a`) or not (`key:\n- a`).
    pub(crate) indented_sequences: bool,
}

impl Conventions {
    /// Reads the line ends, indentation step and sequence style of `text` (defaults: LF, 2,
    /// indented).
    pub(crate) fn of(text: &str) -> Conventions {
        let newline = match memchr::memchr(b'\n', text.as_bytes()) {
            Some(i) if i > 0 && text.as_bytes().get(i - 1) == Some(&b'\r') => "\r\n",
            _ => "\n",
        };
        let mut indent = None;
        let mut indented = None;
        let mut prev: Option<(usize, bool)> = None; // (indent, line ends with ':')
        for line in text.lines().take(2000) {
            let trimmed = line.trim_start_matches(' ');
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("---") {
                continue;
            }
            let ind = line.len() - trimmed.len();
            if let Some((p, opened)) = prev {
                if opened {
                    if trimmed.starts_with("- ") || trimmed == "-" {
                        indented.get_or_insert(ind > p);
                    } else if ind > p && indent.is_none() {
                        indent = Some(ind - p);
                    }
                }
            }
            let body = trimmed.split(" #").next().unwrap_or(trimmed).trim_end();
            prev = Some((ind, body.ends_with(':')));
            if indent.is_some() && indented.is_some() {
                break;
            }
        }
        Conventions {
            newline,
            indent: indent.filter(|i| (1..=8).contains(i)).unwrap_or(2),
            indented_sequences: indented.unwrap_or(true),
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
        Editor { text, conv: Conventions::of(text) }
    }

    /// An editor with conventions already read (once per file).
    pub(crate) fn with(text: &'t str, conv: Conventions) -> Self {
        Editor { text, conv }
    }

    pub(crate) fn text(&self) -> &'t str {
        self.text
    }

    fn nl(&self) -> &'static str {
        self.conv.newline
    }

    /// This editor, writing the line ends of the line at `offset` (files may mix CRLF and LF).
    fn local(&self, offset: usize) -> Editor<'t> {
        let nl = self.text.get(offset..).and_then(|t| t.find('\n')).map(|i| offset + i);
        let newline = match nl {
            Some(i) if i > 0 && self.text.as_bytes().get(i - 1) == Some(&b'\r') => "\r\n",
            Some(_) => "\n",
            None => self.conv.newline,
        };
        Editor { text: self.text, conv: Conventions { newline, ..self.conv } }
    }

    // ---- positions ---------------------------------------------------------------------------

    fn line_start(&self, offset: usize) -> usize {
        self.text.get(..offset).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1)
    }

    /// Offset of the line break ending the line of `offset` (`\r\n` or `\n`), or the end of text.
    fn line_end(&self, offset: usize) -> usize {
        let nl = self.text.get(offset..).and_then(|t| t.find('\n')).map_or(self.text.len(), |i| offset + i);
        if nl > 0 && self.text.as_bytes().get(nl - 1) == Some(&b'\r') && nl > offset { nl - 1 } else { nl }
    }

    /// Offset just after the line break ending the line of `offset` (or the end of text).
    fn next_line(&self, offset: usize) -> usize {
        self.text.get(offset..).and_then(|t| t.find('\n')).map_or(self.text.len(), |i| offset + i + 1)
    }

    fn column(&self, offset: usize) -> usize {
        offset - self.line_start(offset)
    }

    /// Whether only spaces precede `offset` on its line.
    fn starts_line(&self, offset: usize) -> bool {
        self.text.get(self.line_start(offset)..offset).is_some_and(|p| p.bytes().all(|b| b == b' '))
    }

    /// The end of a node's content: its span without trailing blanks and line breaks (block
    /// scalars' spans run to the next token).
    fn content_end(&self, node: NodeRef<'_, '_>) -> usize {
        let span = node.span();
        let body = self.text.get(span.clone()).unwrap_or_default();
        span.start + body.trim_end_matches([' ', '\t', '\r', '\n']).len()
    }

    // ---- rendering ---------------------------------------------------------------------------

    /// A scalar as it should be written, following the quoting preference.
    fn scalar(&self, v: &Value, quote: Quote) -> String {
        match v {
            Value::Raw(s) => s.clone(),
            Value::Str(s) => quote_str(s, quote),
            Value::Map(m) if m.is_empty() => "{}".to_string(),
            Value::Seq(s) if s.is_empty() => "[]".to_string(),
            Value::Map(_) | Value::Seq(_) => self.flow(v, quote),
        }
    }

    /// A value in flow style (`{a: 1, b: [x]}`).
    fn flow(&self, v: &Value, quote: Quote) -> String {
        match v {
            Value::Map(m) => {
                let inner: Vec<String> =
                    m.iter().map(|(k, v)| format!("{}: {}", key_str(k), self.flow(v, quote))).collect();
                format!("{{{}}}", inner.join(", "))
            }
            Value::Seq(s) => format!("[{}]", s.iter().map(|v| self.flow(v, quote)).collect::<Vec<_>>().join(", ")),
            scalar => self.scalar(scalar, quote),
        }
    }

    /// The lines of `key: value` for a block mapping at column `col` (first line without its
    /// indentation; later lines with theirs).
    fn block_entry(&self, key: &str, v: &Value, col: usize, quote: Quote) -> String {
        let key = key_str(key);
        match v {
            Value::Map(m) if !m.is_empty() => {
                let child = col + self.conv.indent;
                let mut out = format!("{key}:");
                for (k, v) in m {
                    out.push_str(self.nl());
                    out.push_str(&" ".repeat(child));
                    out.push_str(&self.block_entry(k, v, child, quote));
                }
                out
            }
            Value::Seq(s) if !s.is_empty() => {
                let dash = if self.conv.indented_sequences { col + self.conv.indent } else { col };
                let mut out = format!("{key}:");
                for item in s {
                    out.push_str(self.nl());
                    out.push_str(&" ".repeat(dash));
                    out.push_str(&self.block_item(item, dash, quote));
                }
                out
            }
            scalar => format!("{key}: {}", self.scalar(scalar, quote)),
        }
    }

    /// `- item` for a block sequence whose dash is at column `dash` (first line without its
    /// indentation).
    fn block_item(&self, v: &Value, dash: usize, quote: Quote) -> String {
        match v {
            Value::Map(m) if !m.is_empty() => {
                let col = dash + 2;
                let mut out = String::from("- ");
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push_str(self.nl());
                        out.push_str(&" ".repeat(col));
                    }
                    out.push_str(&self.block_entry(k, v, col, quote));
                }
                out
            }
            Value::Seq(s) if !s.is_empty() => format!("- {}", self.flow(&Value::Seq(s.clone()), quote)),
            scalar => format!("- {}", self.scalar(scalar, quote)),
        }
    }

    /// A whole document body (a block mapping at column 0), each line ended by a line break.
    pub(crate) fn document(&self, v: &Value) -> String {
        let mut out = String::new();
        if let Value::Map(m) = v {
            for (k, v) in m {
                out.push_str(&self.block_entry(k, v, 0, Quote::Plain));
                out.push_str(self.nl());
            }
        }
        out
    }

    /// `- item` in the style of the sequence's other items: flow mappings (`- {name: a}`) when
    /// its mapping items are all written that way, block otherwise.
    fn item_in(&self, seq: NodeRef<'_, '_>, item: &Value, dash: usize, quote: Quote) -> String {
        let mut maps = seq.items().filter(|i| i.is_mapping()).peekable();
        let flow = maps.peek().is_some() && maps.all(|i| i.style() == Style::Flow);
        if flow && matches!(item, Value::Map(_)) {
            format!("- {}", self.flow(item, quote))
        } else {
            self.block_item(item, dash, quote)
        }
    }

    /// The quoting the scalars in `node` (a mapping's values or a sequence's items) use.
    fn neighbour_quote(&self, node: NodeRef<'_, '_>) -> Quote {
        let styles: Vec<Style> = if node.is_mapping() {
            node.entries().map(|(_, v)| v).filter(|v| v.scalar().is_some()).map(|v| v.style()).collect()
        } else {
            node.items().filter(|v| v.scalar().is_some()).map(|v| v.style()).collect()
        };
        let double = styles.iter().filter(|s| **s == Style::DoubleQuoted).count();
        let single = styles.iter().filter(|s| **s == Style::SingleQuoted).count();
        let plain = styles.iter().filter(|s| **s == Style::Plain).count();
        if double > plain && double >= single {
            Quote::Double
        } else if single > plain {
            Quote::Single
        } else {
            Quote::Plain
        }
    }

    // ---- edits -------------------------------------------------------------------------------

    /// Replaces a scalar value (keeping its quoting style when the new value allows it).
    pub(crate) fn replace_scalar(&self, node: NodeRef<'_, '_>, new: &Value) -> Result<Edit, EditError> {
        if node.is_alias() {
            return refuse("the value is an alias (`*name`); edit the anchored value instead");
        }
        if node.scalar().is_none() {
            return refuse("the value is a collection, not a scalar");
        }
        let quote = match node.style() {
            Style::DoubleQuoted => Quote::Double,
            Style::SingleQuoted => Quote::Single,
            _ => Quote::Plain,
        };
        let content = match new {
            Value::Str(s) => quote_str(s, quote),
            other => self.scalar(other, quote),
        };
        let span = node.span();
        let end =
            if matches!(node.style(), Style::Literal | Style::Folded) { self.content_end(node) } else { span.end };
        if span.start == end {
            // An empty value (`key:`): its span sits at the colon; write it after.
            let at = if self.text.as_bytes().get(span.start) == Some(&b':') { span.start + 1 } else { span.start };
            return Ok(Edit { range: at..at, content: format!(" {content}") });
        }
        Ok(Edit { range: span.start..end, content })
    }

    /// Replaces the entry `key` of `map` by `new_key: new_value` (same place, same indentation).
    pub(crate) fn replace_entry(
        &self,
        map: NodeRef<'_, '_>,
        key: &str,
        new_key: &str,
        new: &Value,
    ) -> Result<Edit, EditError> {
        let (k, v) = map.entry(key).ok_or_else(|| EditError(format!("no `{key}` to replace")))?;
        let quote = self.neighbour_quote(map);
        let end = self.content_end(v).max(k.span().end);
        if map.style() == Style::Flow {
            return Ok(Edit {
                range: k.span().start..end,
                content: format!("{}: {}", key_str(new_key), self.flow(new, quote)),
            });
        }
        let col = self.column(k.span().start);
        Ok(Edit { range: k.span().start..end, content: self.local(end).block_entry(new_key, new, col, quote) })
    }

    /// Removes the entry `key` of `map`, with its line(s) in block style. Refuses to empty a
    /// block mapping (remove its parent entry instead).
    pub(crate) fn remove_entry(&self, map: NodeRef<'_, '_>, key: &str) -> Result<Edit, EditError> {
        let entries: Vec<_> = map.entries().collect();
        let Some(pos) = entries.iter().rposition(|(k, _)| k.scalar() == Some(key)) else {
            return refuse(format!("no `{key}` to remove"));
        };
        let (k, v) = entries.get(pos).copied().ok_or_else(|| EditError("internal error: entry".into()))?;
        let end = self.content_end(v).max(k.span().end);
        if map.style() == Style::Flow {
            // `{a: 1, b: 2}`: take the entry and the comma after it, or the comma before it.
            if let Some((next_k, _)) = entries.get(pos + 1) {
                return Ok(Edit { range: k.span().start..next_k.span().start, content: String::new() });
            }
            if let Some((_, prev_v)) = pos.checked_sub(1).and_then(|p| entries.get(p)) {
                return Ok(Edit { range: prev_v.span().end..end, content: String::new() });
            }
            return Ok(Edit { range: k.span().start..end, content: String::new() });
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
            return Ok(Edit { range: k.span().start..next_k.span().start, content: String::new() });
        }
        if self.text.get(end..self.line_end(end)).is_some_and(|rest| {
            let r = rest.trim_start();
            !(r.is_empty() || r.starts_with('#'))
        }) {
            return refuse(format!("`{key}` shares its last line with other syntax"));
        }
        Ok(Edit { range: self.line_start(k.span().start)..self.next_line(end), content: String::new() })
    }

    /// Adds `key: value` as the last entry of `map`, right after its last entry's line (so a
    /// comment block that follows, which belongs to the next key, stays below).
    pub(crate) fn insert_entry(&self, map: NodeRef<'_, '_>, key: &str, value: &Value) -> Result<Edit, EditError> {
        if map.is_alias() {
            return refuse("the mapping is an alias (`*name`)");
        }
        if !map.is_mapping() {
            return refuse("not a mapping");
        }
        let quote = self.neighbour_quote(map);
        if map.style() == Style::Flow {
            return self.insert_flow(map, &format!("{}: {}", key_str(key), self.flow(value, quote)));
        }
        let Some((first_k, _)) = map.entries().next() else { return refuse("empty block mapping") };
        let (last_k, last_v) = map.entries().last().ok_or_else(|| EditError("internal error: last entry".into()))?;
        let col = self.column(first_k.span().start);
        let after = self.line_end(self.content_end(last_v).max(last_k.span().end));
        let ed = self.local(after);
        // Collections go in flow style when the mapping's other collections are all flow
        // (`requests: {cpu: 1}` beside `limits: {memory: 1Gi}`).
        let mut siblings = map.entries().map(|(_, v)| v).filter(|v| v.is_mapping() || v.is_sequence()).peekable();
        let flow = siblings.peek().is_some() && siblings.all(|v| v.style() == Style::Flow);
        let entry = if flow && value.is_collection() {
            format!("{}: {}", key_str(key), ed.flow(value, quote))
        } else {
            ed.block_entry(key, value, col, quote)
        };
        Ok(Edit { range: after..after, content: format!("{}{}{entry}", ed.nl(), " ".repeat(col)) })
    }

    /// Inserts `item_text` into a flow collection, after its last element.
    fn insert_flow(&self, node: NodeRef<'_, '_>, item_text: &str) -> Result<Edit, EditError> {
        let span = node.span();
        let inner = self.text.get(span.start + 1..span.end.saturating_sub(1)).unwrap_or_default();
        if inner.contains('\n') {
            // A multi-line flow collection: put the element after the last one, on its own line.
            let last = if node.is_mapping() { node.entries().last().map(|(_, v)| v) } else { node.items().last() };
            if let Some(last) = last {
                let end = self.content_end(last);
                let col = self.column(
                    self.line_start(end)
                        + self.text.get(self.line_start(end)..end).map_or(0, |l| l.len() - l.trim_start().len()),
                );
                return Ok(Edit {
                    range: end..end,
                    content: format!(",{}{}{item_text}", self.local(end).nl(), " ".repeat(col)),
                });
            }
        }
        if inner.trim().is_empty() {
            return Ok(Edit { range: span.start + 1..span.end.saturating_sub(1), content: item_text.to_string() });
        }
        let last_end = span.start + 1 + inner.trim_end().len();
        Ok(Edit { range: last_end..last_end, content: format!(", {item_text}") })
    }

    /// Adds `item` at the end of `seq`.
    pub(crate) fn append_item(&self, seq: NodeRef<'_, '_>, item: &Value) -> Result<Edit, EditError> {
        if seq.is_alias() || !seq.is_sequence() {
            return refuse("not a sequence");
        }
        let quote = self.neighbour_quote(seq);
        if seq.style() == Style::Flow {
            return self.insert_flow(seq, &self.flow(item, quote));
        }
        let dash = self.column(seq.span().start);
        let last = seq.items().last().ok_or_else(|| EditError("empty block sequence".into()))?;
        let after = self.line_end(self.content_end(last));
        let ed = self.local(after);
        Ok(Edit {
            range: after..after,
            content: format!("{}{}{}", ed.nl(), " ".repeat(dash), ed.item_in(seq, item, dash, quote)),
        })
    }

    /// Adds `items` at the end of `seq`, as one edit.
    pub(crate) fn append_items(&self, seq: NodeRef<'_, '_>, items: &[Value]) -> Result<Edit, EditError> {
        if seq.style() == Style::Flow && seq.items().next().is_none() {
            let quote = self.neighbour_quote(seq);
            let span = seq.span();
            let content = items.iter().map(|i| self.flow(i, quote)).collect::<Vec<_>>().join(", ");
            return Ok(Edit { range: span.start + 1..span.end.saturating_sub(1), content });
        }
        let mut edits = items.iter().map(|i| self.append_item(seq, i)).collect::<Result<Vec<_>, _>>()?;
        let first = edits.first().cloned().ok_or_else(|| EditError("nothing to add".into()))?;
        let content = edits.drain(..).map(|e| e.content).collect::<String>();
        Ok(Edit { range: first.range, content })
    }

    /// Adds a block mapping at the end of the text (a values file with no content yet).
    pub(crate) fn append_at_end(&self, body: &Value) -> Edit {
        let end = self.text.len();
        let lead = if end == 0 || self.text.ends_with('\n') { "" } else { self.nl() };
        Edit { range: end..end, content: format!("{lead}{}", self.document(body)) }
    }

    /// Adds `item` at the start of `seq` (before its first item).
    pub(crate) fn prepend_item(&self, seq: NodeRef<'_, '_>, item: &Value) -> Result<Edit, EditError> {
        if seq.is_alias() || !seq.is_sequence() {
            return refuse("not a sequence");
        }
        let quote = self.neighbour_quote(seq);
        if seq.style() == Style::Flow {
            let start = seq.span().start + 1;
            let empty = seq.items().next().is_none();
            let text = self.flow(item, quote);
            return Ok(Edit { range: start..start, content: if empty { text } else { format!("{text}, ") } });
        }
        let start = seq.span().start;
        if !self.starts_line(start) {
            return refuse("the sequence starts on the line of its key");
        }
        let dash = self.column(start);
        let ed = self.local(start);
        Ok(Edit {
            range: start..start,
            content: format!("{}{}{}", ed.item_in(seq, item, dash, quote), ed.nl(), " ".repeat(dash)),
        })
    }

    /// Adds a new document after `doc`: `---` and `body` (a block mapping).
    pub(crate) fn insert_document_after(&self, doc: &Doc<'_>, body: &Value) -> Result<Edit, EditError> {
        let ed = self.local(doc.span.start);
        let text = ed.document(body);
        let chunk_end = doc.chunk.end;
        let doc_end = doc.span.end;
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
            return Ok(Edit { range: at..at, content: body });
        }
        if !ends_with_nl {
            return refuse("the document does not end at a line break");
        }
        Ok(Edit { range: at..at, content: format!("---{}{text}", ed.nl()) })
    }

    /// Removes `doc` (its chunk: from its `---` to the next one) from the stream.
    pub(crate) fn remove_document(&self, doc: &Doc<'_>, docs_in_chunk: usize) -> Result<Edit, EditError> {
        if docs_in_chunk != 1 {
            return refuse("the document shares its `---` section with another document (separated by `...`)");
        }
        Ok(Edit { range: doc.chunk.clone(), content: String::new() })
    }
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#') || t == "..."
}

/// A mapping key as written: plain when that is safe.
fn key_str(k: &str) -> String {
    quote_str(k, Quote::Plain)
}

/// Whether `s` can be written as a plain scalar and read back as the same string.
fn is_plain_safe(s: &str) -> bool {
    if s.is_empty() || s != s.trim() || resolve_plain(s) != Resolved::Str {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // `-x` and `--flag` are fine: a dash followed by a non-blank is a plain scalar.
        let dash_ok = first == '-' && s.len() > 1 && !s.starts_with("- ") && !s.starts_with("---");
        if !dash_ok {
            return false;
        }
    }
    !(s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.contains(['\n', '\t', '{', '}', '[', ']', ','])
        || s.chars().any(char::is_control))
}

/// Writes a string scalar with the preferred quoting when needed (or always, for `Double` and
/// `Single`).
pub(crate) fn quote_str(s: &str, quote: Quote) -> String {
    match quote {
        Quote::Plain if is_plain_safe(s) => s.to_string(),
        Quote::Single if !s.contains('\n') && !s.chars().any(char::is_control) => {
            format!("'{}'", s.replace('\'', "''"))
        }
        _ => serde_json::Value::from(s).to_string(),
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

/// Merges edits that touch into single edits, so that one fix's edits are disjoint (an insertion
/// right after a removal, two insertions at one offset, kept in order). Edits that really
/// overlap cannot be merged: `None`.
pub(crate) fn merge(mut edits: Vec<Edit>) -> Option<Vec<Edit>> {
    // An insertion that starts a new line (`\n  key: v` at a line end) inside lines that are
    // removed by a deletion is the same insertion at the end of the deletion, with its line break
    // moved last: the removed lines were where it would have gone.
    let deletions: Vec<Range<usize>> =
        edits.iter().filter(|e| e.content.is_empty() && !e.range.is_empty()).map(|e| e.range.clone()).collect();
    for e in edits.iter_mut().filter(|e| e.range.is_empty()) {
        let Some(d) = deletions.iter().find(|d| d.start < e.range.start && e.range.start < d.end) else { continue };
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

/// Byte range helper for tests and callers: the text an edit replaces.
#[allow(dead_code, reason = "used by tests")]
pub(crate) fn replaced<'t>(text: &'t str, range: &Range<usize>) -> &'t str {
    text.get(range.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests;
