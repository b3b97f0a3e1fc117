//! Go durations (`10s`, `1m30s`, `500ms`), as Kubernetes components and Helm values write them.

/// Seconds in a Go duration string; `None` when it is not one. A bare number is not a duration.
pub(crate) fn parse_seconds(s: &str) -> Option<f64> {
    let s = s.trim();
    if s == "0" {
        return Some(0.0);
    }
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (num, tail) = rest.split_at(num_end);
        if num.is_empty() || num == "." {
            return None;
        }
        let value: f64 = num.parse().ok()?;
        let unit_end = tail.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(tail.len());
        let (unit, next) = tail.split_at(unit_end);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += value * scale;
        rest = next;
    }
    Some(if neg { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::parse_seconds;

    #[test]
    fn go_durations() {
        let cases = [
            ("10s", Some(10.0)),
            ("1m30s", Some(90.0)),
            ("500ms", Some(0.5)),
            ("2h", Some(7200.0)),
            ("0", Some(0.0)),
            ("1.5s", Some(1.5)),
        ];
        for (s, want) in cases {
            assert_eq!(parse_seconds(s), want, "{s}");
        }
        for bad in ["", "10", "s", "10x", "1m30", "ten seconds"] {
            assert_eq!(parse_seconds(bad), None, "{bad}");
        }
    }
}
