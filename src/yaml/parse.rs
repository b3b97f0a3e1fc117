//! Building `Doc`s from granit-parser events: one pass, one stack, spans in file coordinates.

use std::borrow::Cow;
use std::ops::Range;

use granit_parser::{Event, Parser, ScalarStyle, Span, StructureStyle};

use super::tree::{Doc, Duplicate, Node, NodeId, NodeKind, Style, TagKind};

/// A document (or part of a stream) that does not parse. `offset` is a byte offset in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParseError {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

/// Limits that keep hostile input bounded in time and memory (`--max-depth`,
/// `--max-alias-nodes`, `--max-document-size`). A document over a limit is a parse error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Nesting depth of collections.
    pub(crate) max_depth: usize,
    /// Nodes that aliases may add to a document when expanded ("billion laughs").
    pub(crate) max_alias_nodes: u64,
    /// Bytes of one chunk of a stream (a document, from its `---` to the next).
    pub(crate) max_document_bytes: usize,
}

impl Limits {
    pub(crate) const DEFAULT_MAX_DEPTH: usize = 256;
    pub(crate) const DEFAULT_MAX_ALIAS_NODES: u64 = 1_000_000;
    pub(crate) const DEFAULT_MAX_DOCUMENT_BYTES: usize = 64 << 20;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: Self::DEFAULT_MAX_DEPTH,
            max_alias_nodes: Self::DEFAULT_MAX_ALIAS_NODES,
            max_document_bytes: Self::DEFAULT_MAX_DOCUMENT_BYTES,
        }
    }
}

/// Parses one chunk of a stream (`text` is the whole file, `chunk` the byte range to parse).
/// Returns every document that parsed and one error for each part that did not; parsing resumes
/// at the next document after an error.
pub(crate) fn parse_chunk<'a>(text: &'a str, chunk: Range<usize>, limits: Limits) -> (Vec<Doc<'a>>, Vec<ParseError>) {
    // One JSON object or array (live objects, admission requests, `.json` files): the same
    // tree without the YAML scanner. It declines anything it does not read exactly.
    let size = chunk.end.saturating_sub(chunk.start);
    let starts_json = text.get(chunk.clone()).is_some_and(|t| t.trim_start().starts_with(['{', '[']));
    if starts_json
        && size <= limits.max_document_bytes
        && let Some(doc) = super::json_fast::parse(text, chunk.clone(), limits)
    {
        return (vec![doc], Vec::new());
    }
    parse_with_granit(text, chunk, limits)
}

/// [`parse_chunk`] through granit-parser's events (every YAML chunk, and JSON the fast path
/// declines).
pub(super) fn parse_with_granit<'a>(
    text: &'a str,
    chunk: Range<usize>,
    limits: Limits,
) -> (Vec<Doc<'a>>, Vec<ParseError>) {
    let base = chunk.start;
    let Some(src) = text.get(chunk.clone()) else {
        return (
            Vec::new(),
            vec![ParseError { offset: base, message: "internal error: chunk is not on a character boundary".into() }],
        );
    };
    if src.len() > limits.max_document_bytes {
        return (
            Vec::new(),
            vec![ParseError {
                offset: base,
                message: format!(
                    "this document is {} bytes, more than the limit of {} bytes (raise it with \
                     --max-document-size)",
                    src.len(),
                    limits.max_document_bytes
                ),
            }],
        );
    }
    let options = granit_parser::options! {
        block_nesting_limit: limits.max_depth,
        flow_nesting_limit: limits.max_depth,
    };
    let mut parser = Parser::new_from_str_with_options(src, options);
    let mut b = Builder::new(text, base, chunk, limits);
    let mut errors = Vec::new();
    loop {
        match parser.next_event() {
            None => break,
            Some(Ok((event, span))) => {
                if matches!(event, Event::StreamEnd) {
                    break;
                }
                if let Err(message) = b.event(event, span) {
                    let offset = b.offset_of(span.start);
                    errors.push(ParseError { offset, message });
                    b.abandon();
                    if !skip_document(&mut parser, &mut errors, &b, limits) {
                        break;
                    }
                }
            }
            Some(Err(e)) => {
                let offset = b.offset_of(*e.marker());
                errors.push(ParseError { offset, message: describe(&e, limits) });
                b.abandon();
                if !skip_document(&mut parser, &mut errors, &b, limits) {
                    break;
                }
            }
        }
    }
    errors.append(&mut b.late_errors);
    errors.sort_by_key(|e| e.offset);
    (b.docs, errors)
}

/// Resumes after an error; false when nothing more can be parsed.
fn skip_document<'a>(
    parser: &mut Parser<'a, granit_parser::StrInput<'a>>,
    errors: &mut Vec<ParseError>,
    b: &Builder<'a>,
    limits: Limits,
) -> bool {
    match parser.proceed_next_document() {
        Ok(more) => more,
        Err(e) => {
            errors.push(ParseError { offset: b.offset_of(*e.marker()), message: describe(&e, limits) });
            false
        }
    }
}

fn describe(e: &granit_parser::ScanError, limits: Limits) -> String {
    use granit_parser::ErrorKind;
    match e.kind() {
        ErrorKind::RecursionLimitExceeded => format!(
            "collections are nested deeper than the limit of {} levels (raise it with --max-depth)",
            limits.max_depth
        ),
        ErrorKind::UnknownAnchor => {
            format!(
                "{}: an alias (`*name`) refers to an anchor (`&name`) that is not defined before it in this document",
                e.info()
            )
        }
        _ => e.info(),
    }
}

struct Open {
    id: NodeId,
    last_child: Option<NodeId>,
    /// Waiting for a mapping key (true) or value (false).
    expect_key: bool,
}

struct Builder<'a> {
    text: &'a str,
    base: usize,
    chunk: Range<usize>,
    docs: Vec<Doc<'a>>,
    cur: Option<Doc<'a>>,
    stack: Vec<Open>,
    anchors: Vec<(usize, NodeId)>,
    pending_comments: Vec<Range<usize>>,
    /// End of the previous event, to find block scalar indicators.
    last_end: usize,
    limits: Limits,
    /// The open document has an alias (its expansion is measured at its end).
    has_alias: bool,
    /// Errors found once a document was complete (the parser has moved past it).
    late_errors: Vec<ParseError>,
}

impl<'a> Builder<'a> {
    fn new(text: &'a str, base: usize, chunk: Range<usize>, limits: Limits) -> Self {
        Builder {
            text,
            base,
            chunk,
            docs: Vec::new(),
            cur: None,
            stack: Vec::new(),
            anchors: Vec::new(),
            pending_comments: Vec::new(),
            last_end: base,
            limits,
            has_alias: false,
            late_errors: Vec::new(),
        }
    }

    fn offset_of(&self, m: granit_parser::Marker) -> usize {
        self.base + m.byte_offset().unwrap_or(0)
    }

    fn range(&self, span: Span) -> Range<usize> {
        let start = self.offset_of(span.start);
        let end = self.offset_of(span.end).max(start);
        start..end
    }

    /// Drops a document whose parse failed.
    fn abandon(&mut self) {
        self.cur = None;
        self.stack.clear();
        self.anchors.clear();
        self.has_alias = false;
    }

    fn event(&mut self, event: Event<'a>, span: Span) -> Result<(), String> {
        let range = self.range(span);
        match event {
            Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart(..) => {
                let comments = std::mem::take(&mut self.pending_comments);
                let start = comments.first().map_or(range.start, |c| c.start.min(range.start));
                // About one node per 16 bytes of YAML: sized once instead of grown.
                let nodes = Vec::with_capacity((self.chunk.end.saturating_sub(range.start) / 16).clamp(8, 1 << 16));
                self.cur = Some(Doc {
                    nodes,
                    span: start..range.end,
                    comments,
                    duplicates: Vec::new(),
                    aliases: Vec::new(),
                    not_data: false,
                    chunk: self.chunk.clone(),
                });
                self.anchors.clear();
                self.has_alias = false;
            }
            Event::DocumentEnd => {
                if let Some(mut doc) = self.cur.take() {
                    let content_end = doc.nodes.first().map_or(doc.span.end, |n| n.span.end);
                    doc.span.end = doc.span.end.max(content_end).max(range.end);
                    let added = if self.has_alias { alias_expansion(&doc.nodes) } else { 0 };
                    if added > self.limits.max_alias_nodes {
                        let first_alias = doc.nodes.iter().find(|n| n.kind == NodeKind::Alias);
                        self.late_errors.push(ParseError {
                            offset: first_alias.map_or(doc.span.start, |n| n.span.start),
                            message: format!(
                                "aliases expand this document by more than {} nodes (an alias bomb?); \
                                 raise the limit with --max-alias-nodes",
                                self.limits.max_alias_nodes
                            ),
                        });
                    } else {
                        self.docs.push(doc);
                    }
                }
                self.stack.clear();
                self.has_alias = false;
            }
            Event::Comment(..) => match self.cur.as_mut() {
                Some(doc) => doc.comments.push(range.clone()),
                None => self.pending_comments.push(range.clone()),
            },
            Event::Alias(anchor) => {
                let target = self.anchors.iter().rev().find(|(a, _)| *a == anchor).map(|(_, id)| *id);
                let Some(target) = target else {
                    return Err("an alias refers to an anchor that is not defined before it".into());
                };
                if self.stack.iter().any(|open| open.id == target) {
                    return Err("recursive alias: this alias is inside the node its anchor names, so it would \
                                expand forever"
                        .into());
                }
                self.has_alias = true;
                let id = self.leaf(
                    NodeKind::Alias,
                    Style::Plain,
                    TagKind::None,
                    range.clone(),
                    Cow::Borrowed(""),
                    Some(target),
                )?;
                if let Some(doc) = self.cur.as_mut() {
                    doc.aliases.push(id);
                }
            }
            Event::UnresolvedAlias(name) => {
                return Err(format!("undefined alias `*{name}`: no anchor `&{name}` before it in this document"));
            }
            Event::Anchor(..) => {}
            Event::Scalar(value, style, anchor, tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted => Style::SingleQuoted,
                    ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                    ScalarStyle::Literal => Style::Literal,
                    ScalarStyle::Folded => Style::Folded,
                };
                let mut range = range.clone();
                if matches!(style, Style::Literal | Style::Folded) {
                    range.start = self.block_indicator(range.start);
                }
                let tag = tag_kind(tag.as_deref());
                let id = self.leaf(NodeKind::Scalar, style, tag, range.clone(), value, None)?;
                if anchor != 0 {
                    self.anchors.push((anchor, id));
                }
            }
            Event::MappingStart(style, anchor, tag) => {
                self.open(NodeKind::Mapping, style, anchor, tag.as_deref(), range.clone())?;
            }
            Event::SequenceStart(style, anchor, tag) => {
                self.open(NodeKind::Sequence, style, anchor, tag.as_deref(), range.clone())?;
            }
            Event::MappingEnd | Event::SequenceEnd => self.close(range.clone()),
            _ => {}
        }
        self.last_end = self.last_end.max(range.end);
        Ok(())
    }

    /// Adds a node as the next child of the open collection (or as the root).
    fn push(&mut self, node: Node<'a>) -> Result<NodeId, String> {
        let Some(doc) = self.cur.as_mut() else {
            return Err("internal error: content outside a document".into());
        };
        let id = NodeId::try_from(doc.nodes.len()).map_err(|_| "document has too many nodes".to_string())?;
        doc.nodes.push(node);
        if let Some(open) = self.stack.last_mut() {
            open.last_child = Some(id);
            open.expect_key = !open.expect_key;
            if let Some(parent) = doc.nodes.get_mut(open.id as usize) {
                parent.len += 1;
            }
        }
        Ok(id)
    }

    fn leaf(
        &mut self,
        kind: NodeKind,
        style: Style,
        tag: TagKind,
        span: Range<usize>,
        value: Cow<'a, str>,
        target: Option<NodeId>,
    ) -> Result<NodeId, String> {
        let next = self.cur.as_ref().map_or(0, |d| d.nodes.len());
        let id = NodeId::try_from(next).map_err(|_| "document has too many nodes".to_string())?;
        self.push(Node { kind, style, tag, span, end: id + 1, len: 0, target: target.unwrap_or(id), value })
    }

    fn open(
        &mut self,
        kind: NodeKind,
        style: StructureStyle,
        anchor: usize,
        tag: Option<&granit_parser::Tag>,
        mut span: Range<usize>,
    ) -> Result<(), String> {
        let style = match style {
            StructureStyle::Block => Style::Block,
            StructureStyle::Flow => Style::Flow,
        };
        if kind == NodeKind::Sequence && style == Style::Block {
            span.start = self.dash_before(span.start);
        }
        let next = self.cur.as_ref().map_or(0, |d| d.nodes.len());
        let id = NodeId::try_from(next).map_err(|_| "document has too many nodes".to_string())?;
        self.push(Node {
            kind,
            style,
            tag: tag_kind(tag),
            span,
            end: id + 1,
            len: 0,
            target: id,
            value: Cow::Borrowed(""),
        })?;
        if anchor != 0 {
            self.anchors.push((anchor, id));
        }
        self.stack.push(Open { id, last_child: None, expect_key: kind == NodeKind::Mapping });
        if self.stack.len() > super::tree::DATA_DEPTH
            && let Some(doc) = self.cur.as_mut()
        {
            doc.not_data = true;
        }
        Ok(())
    }

    fn close(&mut self, end_span: Range<usize>) {
        let Some(open) = self.stack.pop() else { return };
        let Some(doc) = self.cur.as_mut() else { return };
        let next = NodeId::try_from(doc.nodes.len()).unwrap_or(NodeId::MAX);
        let last_end = open.last_child.and_then(|c| doc.nodes.get(c as usize)).map(|c| c.span.end);
        let Some(node) = doc.nodes.get_mut(open.id as usize) else { return };
        node.end = next;
        node.span.end = match node.style {
            Style::Flow => end_span.end.max(node.span.start),
            _ => last_end.unwrap_or(node.span.end).max(node.span.start),
        };
        if node.kind == NodeKind::Mapping {
            find_duplicates(doc, open.id);
        }
    }

    /// Block scalars: the span starts at the `|` or `>` indicator, found after the previous
    /// token (skipping comments).
    fn block_indicator(&self, content_start: usize) -> usize {
        let from = self.last_end.min(content_start);
        let Some(between) = self.text.get(from..content_start) else { return content_start };
        let mut in_comment = false;
        let mut prev_blank = true;
        for (i, c) in between.char_indices() {
            match c {
                '\n' => in_comment = false,
                '#' if prev_blank => in_comment = true,
                '|' | '>' if !in_comment => return from + i,
                _ => {}
            }
            prev_blank = c == ' ' || c == '\t' || c == '\n';
        }
        content_start
    }

    /// Block sequences: the span starts at the first `-`.
    fn dash_before(&self, start: usize) -> usize {
        let bytes = self.text.as_bytes();
        let mut i = start;
        while i > self.base {
            match bytes.get(i - 1) {
                Some(b' ' | b'\t') => i -= 1,
                Some(b'-') => return i - 1,
                _ => break,
            }
        }
        start
    }
}

/// How many nodes the aliases of a document add when every alias is expanded (saturating).
/// Linear: nodes are visited in post-order (children, then their collection), and an alias
/// names an anchored node whose subtree is complete before it, so its expanded size is known.
fn alias_expansion(nodes: &[Node<'_>]) -> u64 {
    let mut size = vec![0u64; nodes.len()];
    let mut open: Vec<usize> = Vec::new();
    let finish = |id: usize, open: &[usize], size: &mut [u64]| {
        let s = size.get(id).copied().unwrap_or(0);
        if let Some(parent) = open.last().and_then(|p| size.get_mut(*p)) {
            *parent = parent.saturating_add(s);
        }
    };
    for (id, node) in nodes.iter().enumerate() {
        while open.last().and_then(|o| nodes.get(*o)).is_some_and(|o| o.end as usize <= id) {
            if let Some(done) = open.pop() {
                finish(done, &open, &mut size);
            }
        }
        let own = match node.kind {
            NodeKind::Alias => size.get(node.target as usize).copied().unwrap_or(1).max(1),
            _ => 1,
        };
        if let Some(s) = size.get_mut(id) {
            *s = own;
        }
        if matches!(node.kind, NodeKind::Mapping | NodeKind::Sequence) {
            open.push(id);
        } else {
            finish(id, &open, &mut size);
        }
    }
    while let Some(done) = open.pop() {
        finish(done, &open, &mut size);
    }
    size.first().copied().unwrap_or(0).saturating_sub(nodes.len() as u64)
}

fn tag_kind(tag: Option<&granit_parser::Tag>) -> TagKind {
    match tag {
        None => TagKind::None,
        Some(t) if t.is_yaml_core_schema_tag("str") => TagKind::Str,
        Some(_) => TagKind::Other,
    }
}

/// Records keys that appear twice in the mapping `id` (compared by their scalar value).
pub(super) fn find_duplicates(doc: &mut Doc<'_>, id: NodeId) {
    let Some(map) = doc.node(id) else { return };
    let collection_key = map.entries().any(|(k, _)| k.scalar().is_none());
    let keys: Vec<(NodeId, &str)> = map
        .entries()
        .filter_map(|(k, _)| k.scalar().filter(|s| *s != "<<" || k.style() != Style::Plain).map(|s| (k.id, s)))
        .collect();
    let mut found = Vec::new();
    if keys.len() <= 24 {
        for (i, (later, key)) in keys.iter().enumerate() {
            if let Some((first, _)) = keys.iter().take(i).find(|(_, k)| k == key) {
                found.push(Duplicate { first: *first, later: *later });
            }
        }
    } else {
        let mut seen: std::collections::HashMap<&str, NodeId> = std::collections::HashMap::with_capacity(keys.len());
        for (later, key) in &keys {
            if let Some(first) = seen.get(key) {
                found.push(Duplicate { first: *first, later: *later });
            } else {
                seen.insert(key, *later);
            }
        }
    }
    doc.duplicates.extend(found);
    if collection_key {
        doc.not_data = true;
    }
}
