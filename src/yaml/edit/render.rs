//! Values to write and how they are written: YAML in the style of the surrounding file (block or
//! flow, quoting), or JSON (RFC 8259) in a `.json` file.

use super::super::scalar::{Resolved, resolve_plain};
use super::super::tree::{NodeRef, Style, TagKind};
use super::Editor;

/// A YAML value to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    /// A string: written plain when that reads back as the same string, quoted otherwise.
    Str(String),
    /// A scalar written exactly as given (`1`, `true`, `10s`, `512Mi`); in JSON, a token that
    /// is not a JSON number, `true`, `false` or `null` is written as a string.
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

    pub(crate) fn is_collection(&self) -> bool {
        matches!(self, Value::Map(m) if !m.is_empty()) || matches!(self, Value::Seq(s) if !s.is_empty())
    }

    /// A copy of a node as a value: scalars keep their source text (and so their quoting) where
    /// it stands alone, aliases are followed.
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
        let written = text.get(node.span()).unwrap_or_default().trim_end();
        let resolved = node.resolved();
        if resolved == Some(Resolved::Null) || (written.is_empty() && resolved.is_none()) {
            // An empty value is null (`key:`); written out, it must stay null, not become a
            // string. An empty `!!str` is the empty string (below).
            return Value::Raw("null".to_string());
        }
        // The source text is kept only where it reads back alone as the same value: one line
        // (a quoted scalar folds its line breaks), no tag (`!!str 123` copied as `123` would be a
        // number), not a block scalar (its text depends on the indentation).
        let keep_source = node.tag() == TagKind::None
            && !written.contains('\n')
            && !matches!(node.style(), Style::Literal | Style::Folded);
        let scalar = node.scalar().unwrap_or_default().to_string();
        match resolved {
            _ if keep_source => Value::Raw(written.to_string()),
            Some(Resolved::Str) | None => Value::Str(scalar),
            Some(_) => Value::Raw(scalar),
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

/// Whether `s` can be written as a plain scalar and read back as the same string.
fn is_plain_safe(s: &str) -> bool {
    if s.is_empty() || s != s.trim() || resolve_plain(s) != Resolved::Str || s == "<<" || looks_like_timestamp(s) {
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
    // One pass over the bytes (this runs for every string a fix writes): no `: ` or `:` at the
    // end, no ` #`, no line break, tab, flow indicator or control character.
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        let unsafe_byte = match c {
            b'\n' | b'\t' | b'{' | b'}' | b'[' | b']' | b',' => true,
            b':' => b.get(i + 1).is_none_or(|next| *next == b' '),
            b'#' => i > 0 && b.get(i - 1) == Some(&b' '),
            _ => c < 0x20 || c == 0x7f,
        };
        if unsafe_byte {
            return false;
        }
    }
    s.is_ascii() || !s.chars().any(needs_escape)
}

/// go-yaml v2 reads a plain scalar that starts with `YYYY-` and parses as a date or time as a
/// timestamp, not a string: such strings are quoted (whether or not the rest parses).
fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 4 && b.iter().take(4).all(u8::is_ascii_digit) && b.get(4) == Some(&b'-')
}

/// Characters written as escapes, never raw: control characters (C0, DEL, C1), the YAML 1.1
/// line breaks U+0085, U+2028 and U+2029 (a parser would break the line there), and the byte
/// order mark and non-characters, which YAML does not allow in text.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
}

/// Writes a string scalar with the preferred quoting when needed (or always, for `Double` and
/// `Single`).
pub(crate) fn quote_str(s: &str, quote: Quote) -> String {
    match quote {
        Quote::Plain if is_plain_safe(s) => s.to_string(),
        Quote::Single if !s.contains('\n') && !s.chars().any(char::is_control) => {
            format!("'{}'", s.replace('\'', "''"))
        }
        _ => json_string(s),
    }
}

/// A JSON string literal (also a valid double-quoted YAML scalar).
pub(crate) fn json_string(s: &str) -> String {
    // Serializing a `str` cannot fail. JSON escapes C0 controls only; the characters YAML 1.1
    // takes as line breaks or does not allow (`needs_escape`) are escaped too, as `\uXXXX`,
    // which JSON and YAML double-quoted scalars both read back as the same character.
    let json = serde_json::to_string(s).unwrap_or_default();
    if json.is_ascii() || !json.chars().any(needs_escape) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if needs_escape(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether `s` is a JSON scalar token: a number, `true`, `false`, `null` or a string literal.
fn is_json_scalar(s: &str) -> bool {
    matches!(
        serde_json::from_str::<serde_json::Value>(s),
        Ok(serde_json::Value::Null
            | serde_json::Value::Bool(_)
            | serde_json::Value::Number(_)
            | serde_json::Value::String(_))
    )
}

/// A value as JSON: on one line (`col: None`), or pretty-printed with nested members indented
/// `step` spaces beyond `col`, the column of the line the value starts on.
pub(crate) fn json(v: &Value, col: Option<usize>, step: usize, nl: &str) -> String {
    match v {
        Value::Raw(s) if is_json_scalar(s) => s.clone(),
        Value::Raw(s) | Value::Str(s) => json_string(s),
        Value::Map(m) if m.is_empty() => "{}".to_string(),
        Value::Seq(s) if s.is_empty() => "[]".to_string(),
        Value::Map(m) => {
            let members: Vec<(Option<String>, &Value)> = m.iter().map(|(k, v)| (Some(json_string(k)), v)).collect();
            json_members(&members, ('{', '}'), col, step, nl)
        }
        Value::Seq(s) => {
            let members: Vec<(Option<String>, &Value)> = s.iter().map(|v| (None, v)).collect();
            json_members(&members, ('[', ']'), col, step, nl)
        }
    }
}

fn json_members(
    members: &[(Option<String>, &Value)],
    (open, close): (char, char),
    col: Option<usize>,
    step: usize,
    nl: &str,
) -> String {
    let Some(col) = col else {
        let inner: Vec<String> = members
            .iter()
            .map(|(k, v)| match k {
                Some(k) => format!("{k}: {}", json(v, None, step, nl)),
                None => json(v, None, step, nl),
            })
            .collect();
        return format!("{open}{}{close}", inner.join(", "));
    };
    let inner_col = col + step;
    let pad = " ".repeat(inner_col);
    let lines: Vec<String> = members
        .iter()
        .map(|(k, v)| match k {
            Some(k) => format!("{pad}{k}: {}", json(v, Some(inner_col), step, nl)),
            None => format!("{pad}{}", json(v, Some(inner_col), step, nl)),
        })
        .collect();
    format!("{open}{nl}{}{nl}{}{close}", lines.join(&format!(",{nl}")), " ".repeat(col))
}

impl Editor<'_> {
    // ---- rendering ---------------------------------------------------------------------------

    /// A mapping key as written.
    pub(super) fn key(&self, k: &str) -> String {
        if self.conv.json { json_string(k) } else { quote_str(k, Quote::Plain) }
    }

    /// A scalar as it should be written, following the quoting preference.
    pub(super) fn scalar(&self, v: &Value, quote: Quote) -> String {
        if self.conv.json {
            return json(v, None, self.conv.indent, self.nl());
        }
        match v {
            Value::Raw(s) => s.clone(),
            Value::Str(s) => quote_str(s, quote),
            Value::Map(m) if m.is_empty() => "{}".to_string(),
            Value::Seq(s) if s.is_empty() => "[]".to_string(),
            Value::Map(_) | Value::Seq(_) => self.flow(v, quote),
        }
    }

    /// A value in flow style (`{a: 1, b: [x]}`; JSON in a JSON file).
    pub(super) fn flow(&self, v: &Value, quote: Quote) -> String {
        if self.conv.json {
            return json(v, None, self.conv.indent, self.nl());
        }
        match v {
            Value::Map(m) => {
                let inner: Vec<String> =
                    m.iter().map(|(k, v)| format!("{}: {}", self.key(k), self.flow(v, quote))).collect();
                format!("{{{}}}", inner.join(", "))
            }
            Value::Seq(s) => format!("[{}]", s.iter().map(|v| self.flow(v, quote)).collect::<Vec<_>>().join(", ")),
            scalar => self.scalar(scalar, quote),
        }
    }

    /// A value on lines of their own in a flow collection whose members start at column `col`
    /// (pretty-printed JSON in a JSON file, one-line flow YAML otherwise).
    pub(super) fn flow_at(&self, v: &Value, col: usize, quote: Quote) -> String {
        if self.conv.json { json(v, Some(col), self.conv.indent, self.nl()) } else { self.flow(v, quote) }
    }

    /// The lines of `key: value` for a block mapping at column `col` (first line without its
    /// indentation; later lines with theirs).
    pub(super) fn block_entry(&self, key: &str, v: &Value, col: usize, quote: Quote) -> String {
        let mut out = String::with_capacity(64);
        self.write_entry(&mut out, key, v, col, quote);
        out
    }

    /// Line breaks and indentation written straight into the output (rendering runs once per
    /// fixable finding, so it allocates as little as it can).
    fn newline_at(&self, out: &mut String, col: usize) {
        out.push_str(self.nl());
        out.extend(std::iter::repeat_n(' ', col));
    }

    fn write_entry(&self, out: &mut String, key: &str, v: &Value, col: usize, quote: Quote) {
        out.push_str(&self.key(key));
        match v {
            Value::Map(m) if !m.is_empty() => {
                out.push(':');
                let child = col + self.conv.indent;
                for (k, v) in m {
                    self.newline_at(out, child);
                    self.write_entry(out, k, v, child, quote);
                }
            }
            Value::Seq(s) if !s.is_empty() => {
                out.push(':');
                let dash = if self.conv.indented_sequences { col + self.conv.indent } else { col };
                for item in s {
                    self.newline_at(out, dash);
                    self.write_item(out, item, dash, quote);
                }
            }
            scalar => {
                out.push_str(": ");
                out.push_str(&self.scalar(scalar, quote));
            }
        }
    }

    /// `- item` for a block sequence whose dash is at column `dash` (first line without its
    /// indentation).
    pub(super) fn block_item(&self, v: &Value, dash: usize, quote: Quote) -> String {
        let mut out = String::with_capacity(64);
        self.write_item(&mut out, v, dash, quote);
        out
    }

    fn write_item(&self, out: &mut String, v: &Value, dash: usize, quote: Quote) {
        out.push_str("- ");
        match v {
            Value::Map(m) if !m.is_empty() => {
                let col = dash + 2;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        self.newline_at(out, col);
                    }
                    self.write_entry(out, k, v, col, quote);
                }
            }
            Value::Seq(s) if !s.is_empty() => out.push_str(&self.flow(v, quote)),
            scalar => out.push_str(&self.scalar(scalar, quote)),
        }
    }

    /// A whole document body (a block mapping at column 0), each line ended by a line break.
    pub(crate) fn document(&self, v: &Value) -> String {
        let mut out = String::with_capacity(256);
        if let Value::Map(m) = v {
            for (k, v) in m {
                self.write_entry(&mut out, k, v, 0, Quote::Plain);
                out.push_str(self.nl());
            }
        }
        out
    }

    /// `- item` in the style of the sequence's other items: flow mappings (`- {name: a}`) when
    /// its mapping items are all written that way, block otherwise.
    pub(super) fn item_in(&self, seq: NodeRef<'_, '_>, item: &Value, dash: usize, quote: Quote) -> String {
        let mut maps = seq.items().filter(|i| i.is_mapping()).peekable();
        let flow = maps.peek().is_some() && maps.all(|i| i.style() == Style::Flow);
        if flow && matches!(item, Value::Map(_)) {
            format!("- {}", self.flow(item, quote))
        } else {
            self.block_item(item, dash, quote)
        }
    }

    /// The quoting the scalars in `node` (a mapping's values or a sequence's items) use.
    pub(super) fn neighbour_quote(&self, node: NodeRef<'_, '_>) -> Quote {
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
}

#[cfg(test)]
mod tests {
    use super::{Value, json};

    #[test]
    pub(super) fn json_values_are_valid_json() {
        let v = Value::map(vec![
            ("name", Value::str("ndots")),
            ("value", Value::str("2")),
            ("n", Value::raw("1")),
            ("d", Value::raw("10s")),
            ("q", Value::raw("\"500m\"")),
            ("l", Value::Seq(vec![Value::raw("true"), Value::Map(Vec::new())])),
        ]);
        let one = json(&v, None, 2, "\n");
        assert_eq!(one, r#"{"name": "ndots", "value": "2", "n": 1, "d": "10s", "q": "500m", "l": [true, {}]}"#);
        let pretty = json(&v, Some(2), 2, "\n");
        assert!(pretty.starts_with("{\n    \"name\": \"ndots\",\n"), "{pretty}");
        assert!(pretty.ends_with("\n  }"), "{pretty}");
        for text in [one, pretty] {
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back["d"], "10s");
        }
    }
}
