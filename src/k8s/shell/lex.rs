//! The shell reader's tokens: words with their quotes removed (substitutions kept as written),
//! operators, here-documents skipped.

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Tok {
    /// `quoted`: some of it was quoted (then it is no keyword); `plain_head`: nothing before
    /// its first `=` was (then it can be an assignment).
    Word {
        text: String,
        quoted: bool,
        plain_head: bool,
    },
    Op(Op),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    Newline,
    Semi,
    DSemi,
    Amp,
    And,
    Or,
    Pipe,
    LParen,
    RParen,
    Redirect,
}

pub(super) fn tokenize(s: &str) -> Vec<Tok> {
    let chars: Vec<char> = s.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut out = Vec::new();
    let mut heredocs: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(c) = at(i) {
        match c {
            ' ' | '\t' | '\r' => i += 1,
            '\\' if at(i + 1) == Some('\n') => i += 2,
            '\n' => {
                out.push(Tok::Op(Op::Newline));
                i += 1;
                for delim in heredocs.drain(..) {
                    i = skip_heredoc(&chars, i, &delim);
                }
            }
            '#' => {
                while at(i).is_some_and(|c| c != '\n') {
                    i += 1;
                }
            }
            ';' if at(i + 1) == Some(';') => {
                out.push(Tok::Op(Op::DSemi));
                i += 2;
            }
            ';' => {
                out.push(Tok::Op(Op::Semi));
                i += 1;
            }
            '&' if at(i + 1) == Some('&') => {
                out.push(Tok::Op(Op::And));
                i += 2;
            }
            '&' if at(i + 1) == Some('>') => {
                out.push(Tok::Op(Op::Redirect));
                i += 2;
                if at(i) == Some('>') {
                    i += 1;
                }
            }
            '&' => {
                out.push(Tok::Op(Op::Amp));
                i += 1;
            }
            '|' if at(i + 1) == Some('|') => {
                out.push(Tok::Op(Op::Or));
                i += 2;
            }
            '|' => {
                out.push(Tok::Op(Op::Pipe));
                i += if at(i + 1) == Some('&') { 2 } else { 1 };
            }
            '(' => {
                out.push(Tok::Op(Op::LParen));
                i += 1;
            }
            ')' => {
                out.push(Tok::Op(Op::RParen));
                i += 1;
            }
            '<' if at(i + 1) == Some('<') && at(i + 2) != Some('<') => {
                // A here-document: its body (after the line's end) is skipped.
                i += 2;
                if at(i) == Some('-') {
                    i += 1;
                }
                while at(i).is_some_and(|c| c == ' ' || c == '\t') {
                    i += 1;
                }
                let (word, next) = read_word(&chars, i);
                i = next.max(i + 1).min(chars.len());
                if !word.text.is_empty() {
                    heredocs.push(word.text);
                }
            }
            '<' | '>' => {
                out.push(Tok::Op(Op::Redirect));
                i += 1;
                while at(i).is_some_and(|c| matches!(c, '<' | '>' | '&' | '|')) {
                    i += 1;
                }
            }
            _ => {
                let (word, next) = read_word(&chars, i);
                // A file descriptor before a redirection (`2>&1`) is no word.
                let fd = next < chars.len()
                    && matches!(at(next), Some('<' | '>'))
                    && !word.quoted
                    && word.text.chars().all(|c| c.is_ascii_digit());
                if !fd {
                    out.push(Tok::Word { text: word.text, quoted: word.quoted, plain_head: word.plain_head });
                }
                i = next.max(i + 1);
            }
        }
    }
    out
}

struct RawWord {
    text: String,
    quoted: bool,
    plain_head: bool,
}

/// Reads one word from `i`: quotes removed, `$(…)`, `${…}` and backquotes kept as written.
fn read_word(chars: &[char], mut i: usize) -> (RawWord, usize) {
    let at = |i: usize| chars.get(i).copied();
    let mut text = String::new();
    let mut quoted = false;
    let mut plain_head = true;
    while let Some(c) = at(i) {
        if matches!(c, '\'' | '"' | '\\') && !text.contains('=') {
            plain_head = false;
        }
        match c {
            ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '(' | ')' | '<' | '>' => break,
            '\\' => {
                if let Some(n) = at(i + 1).filter(|n| *n != '\n') {
                    text.push(n);
                }
                i += 2;
            }
            '\'' => {
                quoted = true;
                i += 1;
                while let Some(c) = at(i).filter(|c| *c != '\'') {
                    text.push(c);
                    i += 1;
                }
                i += 1;
            }
            '"' => {
                quoted = true;
                i += 1;
                while let Some(c) = at(i).filter(|c| *c != '"') {
                    match c {
                        '\\' if at(i + 1).is_some_and(|n| matches!(n, '$' | '`' | '"' | '\\' | '\n')) => {
                            if let Some(n) = at(i + 1).filter(|n| *n != '\n') {
                                text.push(n);
                            }
                            i += 2;
                        }
                        '$' if matches!(at(i + 1), Some('(' | '{')) => i = copy_balanced(chars, i, &mut text),
                        '`' => i = copy_backquoted(chars, i, &mut text),
                        _ => {
                            text.push(c);
                            i += 1;
                        }
                    }
                }
                i += 1;
            }
            '$' if matches!(at(i + 1), Some('(' | '{')) => i = copy_balanced(chars, i, &mut text),
            '`' => i = copy_backquoted(chars, i, &mut text),
            _ => {
                text.push(c);
                i += 1;
            }
        }
    }
    (RawWord { text, quoted, plain_head }, i)
}

/// Copies `$(…)`, `$((…))` or `${…}` starting at the `$` at `i`, with what is nested in it.
fn copy_balanced(chars: &[char], mut i: usize, out: &mut String) -> usize {
    let (open, close) = if chars.get(i + 1) == Some(&'{') { ('{', '}') } else { ('(', ')') };
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    while let Some(&c) = chars.get(i) {
        out.push(c);
        i += 1;
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), '\\') => {
                if let Some(&n) = chars.get(i) {
                    out.push(n);
                    i += 1;
                }
            }
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, c) if c == open => depth += 1,
            (None, c) if c == close => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
    }
    i
}

fn copy_backquoted(chars: &[char], mut i: usize, out: &mut String) -> usize {
    out.push('`');
    i += 1;
    while let Some(&c) = chars.get(i) {
        out.push(c);
        i += 1;
        if c == '`' {
            break;
        }
    }
    i
}

/// Skips the lines of a here-document from `i` up to and including its delimiter line.
fn skip_heredoc(chars: &[char], mut i: usize, delim: &str) -> usize {
    while i < chars.len() {
        let end = chars.get(i..).and_then(|rest| rest.iter().position(|c| *c == '\n')).map_or(chars.len(), |p| i + p);
        let line: String = chars.get(i..end).unwrap_or_default().iter().collect();
        i = end + 1;
        if line.trim() == delim {
            break;
        }
    }
    i.min(chars.len())
}
