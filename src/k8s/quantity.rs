//! Kubernetes resource quantities (`500m`, `1.5`, `256Mi`, `1e3`): parsing for comparison and
//! scaling for fixes.

/// Splits a quantity into its number and its suffix (`256Mi` → (`256`, `Mi`)).
fn split(q: &str) -> Option<(&str, &str)> {
    let q = q.trim();
    let end = q
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '+' || c == '-'))))
        .map_or(q.len(), |(i, _)| i);
    let (num, suffix) = q.split_at(end);
    if num.is_empty() || num == "." || num == "+" || num == "-" {
        return None;
    }
    Some((num, suffix))
}

fn multiplier(suffix: &str) -> Option<f64> {
    Some(match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0_f64.powi(4),
        "Pi" => 1024.0_f64.powi(5),
        "Ei" => 1024.0_f64.powi(6),
        s if s.starts_with(['e', 'E']) => 10f64.powi(s.get(1..)?.parse::<i32>().ok()?),
        _ => return None,
    })
}

/// The value of a quantity in base units (cores, bytes), or `None` when it is not one.
pub(crate) fn parse(q: &str) -> Option<f64> {
    let (num, suffix) = split(q)?;
    let n: f64 = num.parse().ok()?;
    Some(n * multiplier(suffix)?)
}

/// Whether two quantities are equal (`500m` == `0.5`).
pub(crate) fn equal(a: &str, b: &str) -> bool {
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => (x - y).abs() <= f64::EPSILON * x.abs().max(y.abs()).max(1.0),
        _ => a.trim() == b.trim(),
    }
}

/// `q` times `factor`, keeping its suffix (`256Mi` × 2 → `512Mi`, `0.5Gi` × 2 → `1Gi`).
pub(crate) fn scale(q: &str, factor: u32) -> Option<String> {
    let (num, suffix) = split(q)?;
    multiplier(suffix)?;
    let n: f64 = num.parse().ok()?;
    let v = n * f64::from(factor);
    let text = if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    Some(format!("{text}{suffix}"))
}

/// A rate or count for a message: at most two decimals, no trailing zeros.
pub(crate) fn number(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::{equal, number, parse, scale};

    #[test]
    fn numbers_drop_trailing_zeros() {
        assert_eq!(number(1.5), "1.5");
        assert_eq!(number(0.1), "0.1");
        assert_eq!(number(50.0), "50");
        assert_eq!(number(1.0 / 3.0), "0.33");
    }

    #[test]
    fn parses_decimal_binary_and_exponent_suffixes() {
        let cases = [
            ("500m", 0.5),
            ("1", 1.0),
            ("1.5", 1.5),
            ("1Ki", 1024.0),
            ("2Mi", 2097152.0),
            ("1e3", 1000.0),
            ("1G", 1e9),
        ];
        for (q, want) in cases {
            assert_eq!(parse(q), Some(want), "{q}");
        }
        for bad in ["", "abc", "1Zi", "m"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn compares_by_value() {
        assert!(equal("500m", "0.5"));
        assert!(equal("1Gi", "1073741824"));
        assert!(!equal("1Gi", "1G"));
    }

    #[test]
    fn scales_keeping_the_suffix() {
        assert_eq!(scale("256Mi", 2).as_deref(), Some("512Mi"));
        assert_eq!(scale("0.5Gi", 2).as_deref(), Some("1Gi"));
        assert_eq!(scale("1.25G", 2).as_deref(), Some("2.5G"));
        assert_eq!(scale("64", 2).as_deref(), Some("128"));
        assert_eq!(scale("x", 2), None);
    }
}
