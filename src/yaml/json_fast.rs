//! The fast path for a chunk that is one JSON object or array (objects read from a cluster, the
//! object of an AdmissionReview, `.json` files): it builds the very `Doc` that granit-parser's
//! events build — same nodes, spans, styles, values, duplicates — without the YAML scanner (the
//! parity test below compares them node for node). Whatever it does not handle exactly returns
//! `None`, and the chunk goes through the YAML parser: `\u` escapes, comments, anything after
//! the value, nesting deeper than the limit, or text that is not JSON.

use std::borrow::Cow;
use std::ops::Range;

use super::parse::{Limits, find_duplicates};
use super::tree::{DATA_DEPTH, Doc, Node, NodeId, NodeKind, Style, TagKind};

/// A collection being filled: its node and how many children it has.
struct Open {
    id: NodeId,
    mapping: bool,
}

struct Builder<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    end: usize,
    nodes: Vec<Node<'a>>,
    stack: Vec<Open>,
    max_depth: usize,
}

impl<'a> Builder<'a> {
    fn skip_space(&mut self) {
        while self.pos < self.end && matches!(self.bytes[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        (self.pos < self.end).then(|| self.bytes[self.pos])
    }

    /// Adds a node as the next child of the open collection.
    fn push(&mut self, node: Node<'a>) -> Option<NodeId> {
        let id = NodeId::try_from(self.nodes.len()).ok()?;
        self.nodes.push(node);
        if let Some(open) = self.stack.last()
            && let Some(parent) = self.nodes.get_mut(open.id as usize)
        {
            parent.len += 1;
        }
        Some(id)
    }

    fn leaf(&mut self, style: Style, span: Range<usize>, value: Cow<'a, str>) -> Option<NodeId> {
        let id = NodeId::try_from(self.nodes.len()).ok()?;
        self.push(Node {
            kind: NodeKind::Scalar,
            style,
            tag: TagKind::None,
            span,
            end: id + 1,
            len: 0,
            target: id,
            value,
        })
    }

    fn open(&mut self, mapping: bool) -> Option<()> {
        if self.stack.len() >= self.max_depth {
            return None;
        }
        let id = NodeId::try_from(self.nodes.len()).ok()?;
        let kind = if mapping { NodeKind::Mapping } else { NodeKind::Sequence };
        let start = self.pos;
        self.push(Node {
            kind,
            style: Style::Flow,
            tag: TagKind::None,
            span: start..start + 1,
            end: id + 1,
            len: 0,
            target: id,
            value: Cow::Borrowed(""),
        })?;
        self.pos += 1;
        self.stack.push(Open { id, mapping });
        Some(())
    }

    /// Closes the open collection at its bracket (at `pos`).
    fn close(&mut self, doc_duplicates: &mut Vec<Range<usize>>) -> Option<()> {
        let open = self.stack.pop()?;
        let next = NodeId::try_from(self.nodes.len()).ok()?;
        self.pos += 1;
        let node = self.nodes.get_mut(open.id as usize)?;
        node.end = next;
        node.span.end = self.pos;
        if open.mapping {
            doc_duplicates.push(open.id as usize..next as usize);
        }
        Some(())
    }

    /// A JSON string at `pos`: its span (quotes included) and its value.
    fn string(&mut self) -> Option<(Range<usize>, Cow<'a, str>)> {
        let start = self.pos;
        let mut i = start + 1;
        let mut escaped = false;
        while i < self.end {
            match self.bytes[i] {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    i += 2;
                }
                b if b < 0x20 => return None,
                _ => i += 1,
            }
        }
        if i >= self.end {
            return None;
        }
        let raw = self.text.get(start + 1..i)?;
        self.pos = i + 1;
        let value = if escaped { Cow::Owned(unescape(raw)?) } else { Cow::Borrowed(raw) };
        Some((start..self.pos, value))
    }

    /// A number, `true`, `false` or `null` at `pos`: a plain scalar.
    fn plain(&mut self) -> Option<(Range<usize>, Cow<'a, str>)> {
        let start = self.pos;
        let mut i = start;
        while i < self.end && matches!(self.bytes[i], b'0'..=b'9' | b'a'..=b'z' | b'-' | b'+' | b'.' | b'E') {
            i += 1;
        }
        let word = self.text.get(start..i)?;
        let ok = matches!(word, "true" | "false" | "null") || is_number(word);
        if !ok {
            return None;
        }
        self.pos = i;
        Some((start..i, Cow::Borrowed(word)))
    }

    /// One value at `pos` (a scalar, or the opening of a collection).
    fn value(&mut self) -> Option<()> {
        match self.peek()? {
            b'{' => self.open(true),
            b'[' => self.open(false),
            b'"' => {
                let (span, value) = self.string()?;
                self.leaf(Style::DoubleQuoted, span, value).map(|_| ())
            }
            _ => {
                let (span, value) = self.plain()?;
                self.leaf(Style::Plain, span, value).map(|_| ())
            }
        }
    }
}

/// JSON's number grammar (RFC 8259), which YAML 1.2's core schema reads as the same number.
fn is_number(w: &str) -> bool {
    let b = w.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let s = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - s
    };
    let int_start = i;
    if digits(&mut i) == 0 || (b[int_start] == b'0' && i - int_start > 1) {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// JSON escapes that YAML's double-quoted scalars read the same way; `\u` is left to the YAML
/// parser (surrogate pairs).
fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            _ => return None,
        });
    }
    Some(out)
}

/// The chunk `chunk` of `text` as one document when it is exactly one JSON object or array
/// (whitespace around it); `None` otherwise.
pub(crate) fn parse<'a>(text: &'a str, chunk: Range<usize>, limits: Limits) -> Option<Doc<'a>> {
    let bytes = text.as_bytes();
    let mut b = Builder {
        text,
        bytes,
        pos: chunk.start,
        end: chunk.end.min(bytes.len()),
        nodes: Vec::with_capacity(((chunk.end - chunk.start) / 12).clamp(8, 1 << 16)),
        stack: Vec::new(),
        max_depth: limits.max_depth,
    };
    b.skip_space();
    if !matches!(b.peek(), Some(b'{' | b'[')) {
        return None;
    }
    let content_start = b.pos;
    let mut mappings: Vec<Range<usize>> = Vec::new();
    let mut max_depth = 0;
    b.value()?;
    while let Some(open) = b.stack.last() {
        max_depth = max_depth.max(b.stack.len());
        let (id, mapping) = (open.id, open.mapping);
        b.skip_space();
        let len = b.nodes.get(id as usize)?.len;
        let close = if mapping { b'}' } else { b']' };
        if b.peek()? == close {
            // A mapping closes after a value, never after a key.
            if mapping && len % 2 == 1 {
                return None;
            }
            b.close(&mut mappings)?;
            continue;
        }
        if len > 0 && !(mapping && len % 2 == 1) {
            if b.peek()? != b',' {
                return None;
            }
            b.pos += 1;
            b.skip_space();
        }
        if mapping && len % 2 == 0 {
            // A key, then `:`.
            if b.peek()? != b'"' {
                return None;
            }
            let (span, value) = b.string()?;
            b.leaf(Style::DoubleQuoted, span, value)?;
            b.skip_space();
            if b.peek()? != b':' {
                return None;
            }
            b.pos += 1;
            b.skip_space();
        }
        b.value()?;
    }
    let content_end = b.pos;
    b.skip_space();
    if b.pos != b.end {
        return None;
    }
    let mut doc = Doc {
        nodes: b.nodes,
        span: content_start..content_end,
        comments: Vec::new(),
        duplicates: Vec::new(),
        aliases: Vec::new(),
        not_data: max_depth > DATA_DEPTH,
        chunk,
    };
    // Mappings close inner first, as the YAML builder finds their duplicates.
    for m in mappings {
        find_duplicates(&mut doc, m.start as NodeId);
    }
    Some(doc)
}

#[cfg(test)]
mod tests {
    use super::super::parse::{Limits, parse_with_granit};

    /// The fast path builds the YAML parser's tree, node for node, or declines (`false`).
    fn same(text: &str) -> bool {
        let fast = super::parse(text, 0..text.len(), Limits::default());
        let (slow, errors) = parse_with_granit(text, 0..text.len(), Limits::default());
        let Some(fast) = fast else { return false };
        assert!(errors.is_empty(), "{text}: the fast path read what YAML refuses: {errors:?}");
        assert_eq!(slow.len(), 1, "{text}");
        let slow = &slow[0];
        assert_eq!(format!("{:?}", fast.nodes), format!("{:?}", slow.nodes), "{text}");
        assert_eq!(fast.span, slow.span, "{text}");
        assert_eq!(format!("{:?}", fast.duplicates), format!("{:?}", slow.duplicates), "{text}");
        assert_eq!((fast.not_data, &fast.chunk), (slow.not_data, &slow.chunk), "{text}");
        true
    }

    #[test]
    fn builds_the_yaml_parsers_tree() {
        for text in [
            r#"{"a":1,"b":[true,false,null,-1.5e3,0],"c":{"d":"e\"f\\g\nh\/i"}}"#,
            "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"p\"},\n  \"x\": []\n}\n",
            "  [ {\"k\": \"v\", \"k\": \"w\"}, [], {} , \"s\" ]  \n",
            r#"{"empty":"","n":12,"f":0.5,"big":123456789012345678901234567890}"#,
        ] {
            assert!(same(text), "{text}");
        }
    }

    #[test]
    fn declines_what_it_does_not_read_exactly() {
        for text in [
            "{\"a\": 1} # comment",
            "{\"a\": \"\\u00e9\"}",
            "{\"a\": 1}{\"b\": 2}",
            "{a: 1}",
            "{\"a\": 01}",
            "{\"a\": 1,}",
            "{\"a\"}",
            "---\n{\"a\": 1}",
            "\"scalar\"",
            "{\"a\": tru}",
        ] {
            assert!(super::parse(text, 0..text.len(), Limits::default()).is_none(), "{text}");
        }
        let deep = "[".repeat(300) + &"]".repeat(300);
        assert!(super::parse(&deep, 0..deep.len(), Limits::default()).is_none());
    }

    /// Every fixture and corpus object, written as compact and as pretty JSON.
    #[test]
    fn every_fixture_object_as_json_gives_the_same_tree() {
        let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (mut seen, mut fast) = (0, 0);
        // The fixtures, and the real charts of the corpus when `../shared` is beside the checkout.
        let dirs = std::fs::read_dir(repo.join("fixtures"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|d| d.path())
            .chain(std::iter::once(repo.join("../shared/corpus/real")));
        for dir in dirs {
            for file in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = file.path();
                if path.extension().is_none_or(|e| e != "yaml") {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&path) else { continue };
                for doc in text.split("\n---") {
                    let Ok(value) = yaml_serde::from_str::<serde_json::Value>(doc) else { continue };
                    if !value.is_object() {
                        continue;
                    }
                    fast += usize::from(same(&value.to_string()));
                    fast += usize::from(same(&serde_json::to_string_pretty(&value).unwrap_or_default()));
                    seen += 2;
                }
            }
        }
        assert!(seen > 200, "{seen} objects");
        // Only `\u` escapes (non-ASCII text that serde_json writes as is, so none) decline.
        assert_eq!(fast, seen, "{fast} of {seen} took the fast path");
    }
}
