//! Suppression comments: `# leaselint: ignore[LL004, ndots-default]` silences those rules on the
//! comment's line (and, for a comment alone on its line, on the next line);
//! `# leaselint: ignore` silences every rule there. Only real comments count (the parser's
//! comment spans), never text inside a string or block scalar.

use std::ops::Range;

use super::Doc;

/// The directive's marker inside a comment.
const MARKER: &str = "leaselint:";

/// One suppression comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IgnoreComment {
    /// The whole comment, from `#` to the end of the line.
    pub(crate) span: Range<usize>,
    /// The directive inside it (`leaselint: ignore[...]`).
    pub(crate) directive: Range<usize>,
    /// Nothing but whitespace before the comment on its line.
    pub(crate) own_line: bool,
    /// What it suppresses.
    pub(crate) target: Target,
}

/// The rules a suppression comment names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// Every rule (`# leaselint: ignore`).
    All,
    /// These codes or names, each with its span.
    Rules(Vec<(String, Range<usize>)>),
    /// `leaselint:` followed by something that is not a suppression.
    Malformed(String),
}

/// The suppression comments of a document.
pub(crate) fn ignore_comments(doc: &Doc<'_>, text: &str) -> Vec<IgnoreComment> {
    doc.comments.iter().filter_map(|c| parse(text, c.clone())).collect()
}

/// Where the directive's `leaselint:` starts in a comment (which starts at `#`): the marker as a
/// word of its own (after `#`, whitespace or the start), followed by `ignore`, anywhere in the
/// comment (`# batch job; leaselint: ignore[LL004]`), or followed by anything when it opens the
/// comment (`# leaselint: disable` is a mistake worth reporting). Prose that merely contains it
/// is no directive: `# image ghcr.io/leaselint/leaselint:0.1.0`, `# see leaselint: docs`.
fn marker(comment: &str) -> Option<usize> {
    // Where the comment's text begins, after its `#` and spaces.
    let opening = comment.len() - comment.trim_start_matches('#').trim_start().len();
    let mut from = 0;
    while let Some(found) = comment.get(from..)?.find(MARKER) {
        let at = from + found;
        let boundary = comment.get(..at)?.chars().next_back().is_none_or(|c| c == '#' || c.is_whitespace());
        let ignore = comment.get(at + MARKER.len()..)?.trim_start().starts_with("ignore");
        if boundary && (ignore || at == opening) {
            return Some(at);
        }
        from = at + MARKER.len();
    }
    None
}

/// Parses one comment (the span starts at `#`).
pub(crate) fn parse(text: &str, span: Range<usize>) -> Option<IgnoreComment> {
    let comment = text.get(span.clone())?;
    let at = marker(comment)?;
    let line_start = text.get(..span.start)?.rfind('\n').map_or(0, |i| i + 1);
    let own_line = text.get(line_start..span.start).is_some_and(|p| p.trim().is_empty());
    let directive_start = span.start + at;
    let rest = comment.get(at + MARKER.len()..)?;
    let after_marker = directive_start + MARKER.len();
    let trimmed = rest.trim_start();
    let mut offset = after_marker + (rest.len() - trimmed.len());
    let make = |target: Target, end: usize| IgnoreComment {
        span: span.clone(),
        directive: directive_start..end,
        own_line,
        target,
    };
    let Some(after) = trimmed.strip_prefix("ignore") else {
        let word = trimmed.split_whitespace().next().unwrap_or_default();
        return Some(make(
            Target::Malformed(format!("`leaselint: {word}` is not a directive (write `leaselint: ignore[CODE]`)")),
            offset + word.len(),
        ));
    };
    offset += "ignore".len();
    let Some(list) = after.strip_prefix('[') else {
        // `ignore` alone, or followed by a space and a reason.
        if after.is_empty() || after.starts_with(char::is_whitespace) {
            return Some(make(Target::All, offset));
        }
        return Some(make(
            Target::Malformed("write `leaselint: ignore[CODE, ...]` or `leaselint: ignore`".into()),
            offset,
        ));
    };
    offset += 1;
    let Some(close) = list.find(']') else {
        return Some(make(Target::Malformed("the rule list has no closing `]`".into()), span.end));
    };
    let mut rules = Vec::new();
    let mut pos = offset;
    for part in list.get(..close).unwrap_or_default().split(',') {
        let name = part.trim();
        let lead = part.len() - part.trim_start().len();
        if !name.is_empty() {
            rules.push((name.to_string(), pos + lead..pos + lead + name.len()));
        }
        pos += part.len() + 1;
    }
    let end = offset + close + 1;
    if rules.is_empty() {
        return Some(make(Target::Malformed("the rule list is empty".into()), end));
    }
    Some(make(Target::Rules(rules), end))
}

#[cfg(test)]
mod tests {
    use super::{Target, parse};

    fn comment(text: &str) -> Option<super::IgnoreComment> {
        let start = text.find('#').unwrap();
        let end = text[start..].find('\n').map_or(text.len(), |e| start + e);
        parse(text, start..end)
    }

    #[test]
    fn reads_rule_lists_blanket_directives_and_mistakes() {
        let text = "cpu: 500m  # leaselint: ignore[LL004, ndots-default] -- batch job\n";
        let c = comment(text).unwrap();
        assert!(!c.own_line);
        let Target::Rules(rules) = &c.target else { panic!("{c:?}") };
        let names: Vec<_> = rules.iter().map(|(n, r)| (n.as_str(), &text[r.clone()])).collect();
        assert_eq!(names, [("LL004", "LL004"), ("ndots-default", "ndots-default")]);
        assert_eq!(&text[c.directive.clone()], "leaselint: ignore[LL004, ndots-default]");

        let c = comment("  # leaselint: ignore  reason here\n").unwrap();
        assert!(c.own_line);
        assert_eq!(c.target, Target::All);

        assert_eq!(comment("# a normal comment\n"), None);
        // Prose that contains the marker is no directive.
        for prose in [
            "# Image: ghcr.io/leaselint/leaselint:0.1.0 is built from this repository",
            "# run leaselint:0.1.0 in CI",
            "# see https://example.com/leaselint: the docs",
        ] {
            assert_eq!(comment(prose), None, "{prose}");
        }
        let c = comment("cpu: 1 # a batch job; leaselint: ignore[LL004]\n").unwrap();
        assert!(matches!(&c.target, Target::Rules(r) if r.len() == 1), "{c:?}");
        for bad in [
            "# leaselint: ignored",
            "# leaselint: disable[LL004]",
            "# leaselint: ignore[LL004",
            "# leaselint: ignore[]",
        ] {
            assert!(matches!(comment(bad).unwrap().target, Target::Malformed(_)), "{bad}");
        }
    }
}
