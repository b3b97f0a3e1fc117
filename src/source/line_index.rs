//! Byte offset → 1-based line and column (columns count characters, as editors and SARIF do).

/// Start offsets of every line of a text (as `u32`: files are limited to 4 GiB, see
/// `source::MAX_FILE_BYTES`), so the index costs 4 bytes per line.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = Vec::with_capacity(memchr::memchr_iter(b'\n', bytes).count() + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| u32::try_from(i + 1).unwrap_or(u32::MAX)));
        LineIndex { starts }
    }

    fn start(&self, line: usize) -> Option<usize> {
        self.starts.get(line).map(|&s| s as usize)
    }

    /// The 0-based line of a byte offset.
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        self.find(offset)
    }

    /// The byte range of 0-based line `line`, with its line break.
    pub(crate) fn line_span(&self, line: usize, text_len: usize) -> Option<std::ops::Range<usize>> {
        let start = self.start(line)?;
        Some(start..self.start(line + 1).unwrap_or(text_len))
    }

    fn find(&self, offset: usize) -> usize {
        let key = u32::try_from(offset).unwrap_or(u32::MAX);
        match self.starts.binary_search(&key) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// 1-based (line, column) of a byte offset; the column counts characters from the line
    /// start. Offsets past the end clamp to the end; offsets inside a character count it.
    pub(crate) fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.find(offset);
        let start = self.start(line).unwrap_or(0);
        (line + 1, column(text, line, start, offset))
    }

    /// Byte range of the 1-based line `line` without its line break.
    #[allow(dead_code, reason = "used by the human renderer's tests and later by fix diffs")]
    pub(crate) fn line_range(&self, text: &str, line: usize) -> Option<std::ops::Range<usize>> {
        let start = self.start(line.checked_sub(1)?)?;
        let end = self.start(line).map_or(text.len(), |next| next.saturating_sub(1));
        let end = if end > start && text.as_bytes().get(end - 1) == Some(&b'\r') { end - 1 } else { end };
        Some(start..end.max(start))
    }

    /// Start offset of the line holding `offset`.
    #[allow(dead_code, reason = "used by the edit helpers of --fix")]
    pub(crate) fn line_start(&self, offset: usize) -> usize {
        self.start(self.find(offset)).unwrap_or(0)
    }
}

/// The 1-based column of `offset` on 0-based line `line`, which starts at `start`: characters
/// from the line start (a BOM at the very start of the text is not one).
fn column(text: &str, line: usize, start: usize, offset: usize) -> usize {
    let prefix = text.get(start..offset).map_or_else(
        || {
            // Not on a character boundary: count the characters that start before it.
            text.as_bytes().get(start..offset).map_or(0, |b| b.iter().filter(|&&c| (c & 0xC0) != 0x80).count())
        },
        |s| s.chars().count(),
    );
    let bom = usize::from(line == 0 && text.starts_with('\u{feff}') && offset > 0);
    prefix + 1 - bom
}

/// 1-based (line, column) of many offsets of one text, in one pass over it and without an
/// index (`LineIndex::line_col` for each, as a report of a few findings in a large file needs).
/// `offsets` must be sorted.
pub(crate) fn line_cols(text: &str, offsets: &[usize]) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let (mut line, mut start, mut pos) = (0usize, 0usize, 0usize);
    offsets
        .iter()
        .map(|&o| {
            let offset = o.min(text.len());
            if offset > pos {
                for nl in memchr::memchr_iter(b'\n', bytes.get(pos..offset).unwrap_or_default()) {
                    line += 1;
                    start = pos + nl + 1;
                }
                pos = offset;
            }
            (line + 1, column(text, line, start, offset))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_sweep_gives_what_the_index_gives() {
        let text = "\u{feff}ab\nc\u{e9}d\r\n\nxyz";
        let index = super::LineIndex::new(text);
        let offsets: Vec<usize> = (0..=text.len() + 2).collect();
        let swept = super::line_cols(text, &offsets);
        for (o, got) in offsets.iter().zip(swept) {
            assert_eq!(got, index.line_col(text, *o), "offset {o}");
        }
    }

    use super::LineIndex;

    #[test]
    fn lines_and_columns_are_one_based_and_count_characters() {
        let text = "a: 1\nbé: ü\r\nc: 3";
        let idx = LineIndex::new(text);
        let cases = [(0, (1, 1)), (3, (1, 4)), (5, (2, 1)), (9, (2, 4)), (14, (3, 1)), (99, (3, 5))];
        for (offset, want) in cases {
            assert_eq!(idx.line_col(text, offset), want, "offset {offset}");
        }
    }

    #[test]
    fn bom_is_not_a_column() {
        let text = "\u{feff}a: 1\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 3), (1, 1));
    }

    #[test]
    fn line_range_drops_crlf() {
        let text = "a\r\nbb\nc";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_range(text, 1), Some(0..1));
        assert_eq!(idx.line_range(text, 2), Some(3..5));
        assert_eq!(idx.line_range(text, 3), Some(6..7));
        assert_eq!(idx.line_range(text, 4), None);
    }
}
