//! How plain scalars resolve, the way Kubernetes reads YAML (go-yaml v2, YAML 1.1 flavoured):
//! `yes`/`on` are booleans, `0755` is octal, `~` and the empty scalar are null.

/// The type a plain scalar resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Float,
    Str,
}

/// Resolves a plain (unquoted, untagged) scalar.
pub(crate) fn resolve_plain(s: &str) -> Resolved {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Resolved::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN"
        | ".NAN" => return Resolved::Float,
        _ => {}
    }
    let first = s.as_bytes().first().copied().unwrap_or(b'x');
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Resolved::Str;
    }
    if let Some(i) = parse_int(s) {
        return Resolved::Int(i);
    }
    // go-yaml v2 tests the float pattern after removing `_` too (`1_000.5` is a float).
    if is_float(&s.replace('_', "")) { Resolved::Float } else { Resolved::Str }
}

/// go's `strconv.ParseInt(s, 0, 64)` after removing `_`: sign, then `0x`, `0o`, `0b` or a
/// leading `0` (octal) prefix, or decimal.
fn parse_int(s: &str) -> Option<i64> {
    let cleaned: String;
    let s = if s.contains('_') {
        cleaned = s.replace('_', "");
        cleaned.as_str()
    } else {
        s
    };
    let (neg, digits) = match s.as_bytes().first()? {
        b'-' => (true, s.get(1..)?),
        b'+' => (false, s.get(1..)?),
        _ => (false, s),
    };
    let (radix, body) = if let Some(rest) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        (16, rest)
    } else if let Some(rest) = digits.strip_prefix("0o").or_else(|| digits.strip_prefix("0O")) {
        (8, rest)
    } else if let Some(rest) = digits.strip_prefix("0b").or_else(|| digits.strip_prefix("0B")) {
        (2, rest)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, digits.get(1..)?)
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.bytes().all(|b| (b as char).is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(body, radix).ok()?;
    let value = if neg { -magnitude } else { magnitude };
    i64::try_from(value).ok()
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let int_digits = i - int_start;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if int_digits == 0 && i == frac_start {
            return false;
        }
    } else if int_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let exp_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::{Resolved, resolve_plain};

    #[test]
    fn resolves_like_go_yaml_v2() {
        let cases = [
            ("", Resolved::Null),
            ("~", Resolved::Null),
            ("null", Resolved::Null),
            ("yes", Resolved::Bool(true)),
            ("Off", Resolved::Bool(false)),
            ("true", Resolved::Bool(true)),
            ("0755", Resolved::Int(493)),
            ("0x1F", Resolved::Int(31)),
            ("0b101", Resolved::Int(5)),
            ("1_000", Resolved::Int(1000)),
            ("-3", Resolved::Int(-3)),
            ("3", Resolved::Int(3)),
            ("0", Resolved::Int(0)),
            ("1.5", Resolved::Float),
            ("1e3", Resolved::Float),
            (".5", Resolved::Float),
            (".inf", Resolved::Float),
            ("=", Resolved::Str),
            ("0789", Resolved::Float),
            ("500m", Resolved::Str),
            ("1.2.3", Resolved::Str),
            ("-", Resolved::Str),
            ("99999999999999999999", Resolved::Float),
            ("nginx", Resolved::Str),
            ("1_000.5", Resolved::Float),
            ("1_0e1", Resolved::Float),
            ("0_8", Resolved::Float),
            ("_", Resolved::Str),
        ];
        for (input, want) in cases {
            assert_eq!(resolve_plain(input), want, "{input:?}");
        }
    }
}
