//! Splitting a YAML stream into chunks at `---` document markers, by byte range.
//!
//! A line that starts with `---` followed by a blank or the end of the line is a document marker
//! wherever it appears (YAML forbids it inside scalars), so splitting there is exact and costs a
//! `memchr` scan. Each chunk is parsed on its own (in parallel); a chunk may still hold several
//! documents separated by `...`, which the parser handles.

use std::ops::Range;

/// Byte ranges covering `text` completely, in order, each starting at a document marker (except
/// the first). A chunk that holds only directives (`%YAML`, `%TAG`), comments and blank lines is
/// merged into the chunk after it, because directives belong to the next document.
pub(crate) fn split_documents(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut starts = Vec::with_capacity(bytes.len() / 2048 + 1);
    if is_marker_at(bytes, 0) {
        starts.push(0);
    }
    for nl in memchr::memmem::find_iter(bytes, b"\n---") {
        let at = nl + 1;
        if is_marker_at(bytes, at) {
            starts.push(at);
        }
    }
    // A byte order mark may start any document of a stream (YAML 1.2, 5.2), as in files saved
    // with one and concatenated: `<BOM>---` at a line start is a marker too (the chunk starts at
    // the BOM, where the parser accepts it).
    let mut with_bom = memchr::memmem::find_iter(bytes, b"\n\xEF\xBB\xBF---")
        .map(|nl| nl + 1)
        .filter(|at| is_marker_at(bytes, at + 3))
        .peekable();
    if with_bom.peek().is_some() {
        starts.extend(with_bom);
        starts.sort_unstable();
    }
    let mut chunks = Vec::with_capacity(starts.len() + 1);
    let mut begin = 0;
    for &s in &starts {
        if s > begin {
            chunks.push(begin..s);
        }
        begin = s;
    }
    if begin < bytes.len() || chunks.is_empty() {
        chunks.push(begin..bytes.len());
    }
    merge_directive_chunks(text, chunks)
}

/// `---` at `at`, followed by a space, a tab, a line break or the end of the input.
fn is_marker_at(bytes: &[u8], at: usize) -> bool {
    bytes.get(at..at + 3) == Some(b"---".as_slice())
        && matches!(bytes.get(at + 3), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
}

fn merge_directive_chunks(text: &str, chunks: Vec<Range<usize>>) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::with_capacity(chunks.len());
    let mut carry: Option<usize> = None;
    for chunk in chunks {
        let start = carry.take().unwrap_or(chunk.start);
        let body = text.get(chunk.clone()).unwrap_or_default();
        if has_directive_only(body) && chunk.end < text.len() {
            carry = Some(start);
            continue;
        }
        out.push(start..chunk.end);
    }
    if let Some(start) = carry {
        out.push(start..text.len());
    }
    out
}

fn has_directive_only(body: &str) -> bool {
    let mut saw_directive = false;
    for line in body.lines() {
        let t = line.trim_start_matches('\u{feff}').trim();
        if t.starts_with('%') {
            saw_directive = true;
        } else if !(t.is_empty() || t.starts_with('#')) {
            return false;
        }
    }
    saw_directive
}

#[cfg(test)]
mod tests {
    use super::split_documents;

    fn pieces(text: &str) -> Vec<&str> {
        split_documents(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn splits_at_markers_only() {
        let text = "a: 1\n---\nb: 2\n--- # c\nc: |\n  ---x\n---\n";
        assert_eq!(pieces(text), vec!["a: 1\n", "---\nb: 2\n", "--- # c\nc: |\n  ---x\n", "---\n"]);
    }

    #[test]
    fn dashes_without_blank_are_content() {
        assert_eq!(pieces("a: 1\n---b\n----\n"), vec!["a: 1\n---b\n----\n"]);
    }

    #[test]
    fn leading_marker_and_crlf() {
        assert_eq!(pieces("---\r\na: 1\r\n---\r\nb: 2"), vec!["---\r\na: 1\r\n", "---\r\nb: 2"]);
    }

    #[test]
    fn a_bom_may_start_a_later_document() {
        let text = "a: 1\n\u{feff}---\nb: 2\n---\n\u{feff}--- \nc: 3\n\u{feff}x: ---\n";
        assert_eq!(
            pieces(text),
            vec!["a: 1\n", "\u{feff}---\nb: 2\n", "---\n", "\u{feff}--- \nc: 3\n\u{feff}x: ---\n"]
        );
    }

    #[test]
    fn directives_join_the_next_document() {
        let text = "%YAML 1.2\n---\na: 1\n---\nb: 2\n";
        assert_eq!(pieces(text), vec!["%YAML 1.2\n---\na: 1\n", "---\nb: 2\n"]);
    }

    #[test]
    fn chunks_cover_everything() {
        for text in ["", "---", "x", "---\n---\n", "a\n---\n%TAG ! x\n"] {
            let chunks = split_documents(text);
            assert_eq!(chunks.first().map(|r| r.start), Some(0), "{text:?}");
            assert_eq!(chunks.last().map(|r| r.end), Some(text.len()), "{text:?}");
            for w in chunks.windows(2) {
                assert_eq!(w[0].end, w[1].start);
            }
        }
    }
}
