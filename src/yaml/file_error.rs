//! `FileError`: a mistake in a YAML file leaselint reads for itself (`.leaselint.yaml`, user rule
//! files), pointing at the file, line and column of the offending key or value, rendered by
//! miette at the CLI boundary.

use std::ops::Range;

use super::{Limits, NodePath, locate, locate_key, parse_chunk};

/// A config or rule-file mistake, pointing into the file (boxed: errors stay one pointer wide).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error(transparent)]
#[diagnostic(transparent)]
pub(crate) struct FileError(Box<Detail>);

/// What a `FileError` says and where.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{position}: {message}")]
pub(crate) struct Detail {
    pub(crate) message: String,
    #[source_code]
    pub(crate) src: miette::NamedSource<String>,
    #[label("{label}")]
    pub(crate) span: miette::SourceSpan,
    pub(crate) label: String,
    #[help]
    pub(crate) help: Option<String>,
    /// `file:line:column`.
    pub(crate) position: String,
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |l| l.trim_start_matches('\u{feff}').chars().count());
    (before.matches('\n').count() + 1, column + 1)
}

impl FileError {
    /// An error at byte `span` of `text` (the file `name`).
    pub(crate) fn at(name: &str, text: &str, span: Range<usize>, message: impl Into<String>) -> FileError {
        let (line, col) = line_col(text, span.start);
        let start = span.start.min(text.len());
        let len = span.end.clamp(start, text.len()) - start;
        FileError(Box::new(Detail {
            message: message.into(),
            src: miette::NamedSource::new(name, text.to_string()),
            span: (start, len).into(),
            label: "here".to_string(),
            help: None,
            position: format!("{name}:{line}:{col}"),
        }))
    }

    /// An error at the node `path` of the first document of `text` (at its deepest existing
    /// parent when the node is missing; at a key when the path ends in one).
    pub(crate) fn at_path(name: &str, text: &str, path: &NodePath, message: impl Into<String>) -> FileError {
        FileError::at(name, text, span_of(text, 0, path, true), message)
    }

    /// An error at the value at `path` in the first document of `text` (at its deepest existing
    /// parent when it is missing).
    pub(crate) fn at_value(name: &str, text: &str, path: &NodePath, message: impl Into<String>) -> FileError {
        FileError::at(name, text, span_of(text, 0, path, false), message)
    }

    /// An error at the node `path` of document `doc` (counting documents with content): its
    /// key when `key` and the path ends in one, else its value.
    pub(crate) fn at_node(
        name: &str,
        text: &str,
        doc: usize,
        path: &NodePath,
        key: bool,
        message: impl Into<String>,
    ) -> FileError {
        FileError::at(name, text, span_of(text, doc, path, key), message)
    }

    /// A file that cannot be read.
    pub(crate) fn unreadable(name: &str, e: &std::io::Error) -> FileError {
        FileError::at(name, "", 0..0, format!("cannot read {name}: {e}"))
    }

    #[must_use]
    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.0.help = Some(help.into());
        self
    }

    /// `file:line:column`.
    #[cfg(test)]
    pub(crate) fn position(&self) -> &str {
        &self.0.position
    }

    /// Turns a yaml_serde error into one at its location (the start of the file when it has
    /// none). `base` is the byte offset of the deserialized document in `text`.
    pub(crate) fn from_serde(name: &str, text: &str, base: usize, e: &yaml_serde::Error) -> FileError {
        let at = base + e.location().map_or(0, |l| l.index());
        let message = e.to_string();
        // yaml_serde appends " at line L column C"; the report shows the position itself.
        let message = message.split(" at line ").next().unwrap_or(&message).to_string();
        FileError::at(name, text, at..at, message)
    }
}

/// The span of the node at `path` in document `index` (counting documents with content) of
/// `text`: its key when `key` and the path ends in one, else its value.
fn span_of(text: &str, index: usize, path: &NodePath, key: bool) -> Range<usize> {
    let (docs, _) = parse_chunk(text, 0..text.len(), Limits::default());
    match docs.iter().filter(|d| d.has_content()).nth(index).and_then(|d| d.root()) {
        Some(root) if key => locate_key(text, root, path).span,
        Some(root) => locate(text, root, path).span,
        None => 0..0,
    }
}

#[cfg(test)]
mod tests {
    use super::{FileError, NodePath};

    #[test]
    fn points_at_keys_and_values() {
        let text = "a: 1\nrules:\n  LL999: off\n";
        let e = FileError::at_path("c.yaml", text, &NodePath::keys(&["rules", "LL999"]), "unknown rule");
        assert_eq!(e.position(), "c.yaml:3:3");
        let e = FileError::at_path("c.yaml", text, &NodePath::keys(&["rules", "nope", "x"]), "m");
        assert_eq!(e.position(), "c.yaml:2:1", "a missing key points at the mapping it belongs in");
        let e = FileError::at("c.yaml", "é: x\n", 4..5, "m");
        assert_eq!(e.position(), "c.yaml:1:4", "columns count characters");
    }
}
