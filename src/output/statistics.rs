//! `--statistics`: the count of findings per rule instead of the findings, as ruff prints it:
//! count, code, name, and how many of them `--fix` (and `--fix --unsafe-fixes`) would fix. JSON:
//! `[{"code", "name", "count", "fixable", "unsafe_fixable"}]`, most frequent first.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use super::Report;

#[derive(Serialize)]
struct Row<'a> {
    code: &'a str,
    name: &'a str,
    count: usize,
    /// Fixable with `--fix` or `--fix --unsafe-fixes` (as `summary.fixable`).
    fixable: usize,
    /// Of those, the ones only `--unsafe-fixes` applies.
    unsafe_fixable: usize,
}

fn rows<'a>(report: &'a Report<'a>) -> Vec<Row<'a>> {
    let mut per_rule: BTreeMap<&str, Row<'_>> = BTreeMap::new();
    for d in report.diagnostics {
        let row = per_rule.entry(d.code).or_insert(Row {
            code: d.code,
            name: d.name,
            count: 0,
            fixable: 0,
            unsafe_fixable: 0,
        });
        row.count += 1;
        if let Some(fix) = d.fix.as_ref().filter(|f| super::is_fixable(f)) {
            row.fixable += 1;
            if fix.applicability == crate::diag::Applicability::Unsafe {
                row.unsafe_fixable += 1;
            }
        }
    }
    let mut rows: Vec<Row<'_>> = per_rule.into_values().collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(b.code)));
    rows
}

pub(crate) fn render_text(report: &Report<'_>, out: &mut impl Write) -> std::io::Result<()> {
    let rows = rows(report);
    let width = rows.iter().map(|r| r.count.to_string().len()).max().unwrap_or(1);
    for r in &rows {
        let safe = r.fixable - r.unsafe_fixable;
        let fixable = match (safe, r.unsafe_fixable) {
            (0, 0) => String::new(),
            (s, 0) => format!("  ({s} fixable with --fix)"),
            (0, u) => format!("  ({u} fixable with --fix --unsafe-fixes)"),
            (s, u) => format!("  ({s} fixable with --fix, {u} more with --unsafe-fixes)"),
        };
        writeln!(out, "{:>width$}  {}  {}{fixable}", r.count, r.code, r.name)?;
    }
    for e in report.errors {
        writeln!(out, "{}:{}:{}: error: {}", e.file, e.line, e.column, e.message)?;
    }
    Ok(())
}

pub(crate) fn render_json(report: &Report<'_>, out: &mut impl Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &rows(report)).map_err(std::io::Error::other)?;
    writeln!(out)
}
