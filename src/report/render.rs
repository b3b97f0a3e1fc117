//! The impact table as text, JSON (`{"version": 1, "namespaces": [...], "totals": {...}}`) and
//! Markdown.

use std::io::Write;

use serde::Serialize;

use super::{Class, Impact};

/// The seed's reference points, printed under the table: a published case measured 30,000
/// lease writes/s at about 150 pods with per-pod leases, against 120 writes/s with one lease
/// per namespace.
const REFERENCE: &str = "reference: a published case measured 30,000 lease writes/s (47 ms fsync queueing) at ~150 \
                         pods with per-pod leases, and 120 writes/s with one lease per namespace";

fn namespace_name(ns: Option<&str>) -> &str {
    ns.unwrap_or("(release namespace)")
}

/// A rate with at most two decimals.
fn rate(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Columns: namespace, Leases per class, total, writes/s, and the same under the policy.
fn table(impact: &Impact) -> Vec<Vec<String>> {
    let mut header = vec!["namespace".to_string()];
    header.extend(Class::ALL.iter().map(|c| c.as_str().to_string()));
    header.extend(["leases", "writes/s", "policy leases", "policy writes/s"].map(String::from));
    let mut rows = vec![header];
    for r in &impact.namespaces {
        let mut row = vec![namespace_name(r.namespace.as_deref()).to_string()];
        row.extend(Class::ALL.iter().map(|c| r.by_class.get(c.as_str()).copied().unwrap_or(0).to_string()));
        row.extend([
            r.leases.to_string(),
            rate(r.writes_per_second),
            r.policy_leases.to_string(),
            rate(r.policy_writes_per_second),
        ]);
        rows.push(row);
    }
    let t = &impact.totals;
    let mut total = vec!["total".to_string()];
    for c in Class::ALL {
        total.push(
            impact.namespaces.iter().map(|r| r.by_class.get(c.as_str()).copied().unwrap_or(0)).sum::<u64>().to_string(),
        );
    }
    total.extend([
        t.leases.to_string(),
        rate(t.writes_per_second),
        t.policy_leases.to_string(),
        rate(t.policy_writes_per_second),
    ]);
    rows.push(total);
    rows
}

pub(crate) fn render_human(impact: &Impact, estimated: bool, out: &mut impl Write) -> std::io::Result<()> {
    let rows = table(impact);
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|i| rows.iter().map(|r| r.get(i).map_or(0, |c| c.chars().count())).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let w = widths.get(i).copied().unwrap_or(0);
                if i == 0 { format!("{c:<w$}") } else { format!("{c:>w$}") }
            })
            .collect();
        writeln!(out, "{}", cells.join("  ").trim_end())?;
    }
    let t = &impact.totals;
    if estimated {
        writeln!(out, "\nestimated from manifests: renewals every --leader-elect-retry-period, else client-go's 2s")?;
    }
    if t.writes_per_second > 0.0 {
        writeln!(
            out,
            "under the namespace lease policy: {} → {} Leases, {} → {} writes/s",
            t.leases,
            t.policy_leases,
            rate(t.writes_per_second),
            rate(t.policy_writes_per_second)
        )?;
    }
    writeln!(out, "{REFERENCE}")
}

pub(crate) fn render_markdown(impact: &Impact, estimated: bool, out: &mut impl Write) -> std::io::Result<()> {
    let rows = table(impact);
    writeln!(out, "## Lease impact\n")?;
    for (i, row) in rows.iter().enumerate() {
        let last = i + 1 == rows.len();
        let cells: Vec<String> = row
            .iter()
            .map(|c| if last { format!("**{}**", c.replace('|', "\\|")) } else { c.replace('|', "\\|") })
            .collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
        if i == 0 {
            writeln!(out, "|---|{}", "---:|".repeat(row.len().saturating_sub(1)))?;
        }
    }
    writeln!(out)?;
    if estimated {
        writeln!(
            out,
            "Estimated from manifests (renewals every `--leader-elect-retry-period`, else client-go's 2 s).\n"
        )?;
    }
    writeln!(out, "{}", REFERENCE.replacen("reference: ", "Reference: ", 1))
}

#[derive(Serialize)]
struct Json<'a> {
    version: u32,
    namespaces: &'a [super::NamespaceRow],
    totals: &'a super::Totals,
}

pub(crate) fn render_json(impact: &Impact, out: &mut impl Write) -> std::io::Result<()> {
    let json = Json { version: 1, namespaces: &impact.namespaces, totals: &impact.totals };
    serde_json::to_writer_pretty(&mut *out, &json).map_err(std::io::Error::other)?;
    writeln!(out)
}
