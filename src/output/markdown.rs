//! The markdown report, for pull-request comments and GitHub job summaries
//! (`$GITHUB_STEP_SUMMARY`): a summary table, the count per rule, then one row per finding
//! (rule, severity, location, object, message) and per input error. GitHub caps a job summary
//! at 1 MiB, so at most [`MAX_ROWS`] findings are listed and the rest counted.

use std::collections::BTreeMap;
use std::io::Write;

use super::Report;

/// Findings listed one by one (about 300 bytes each: well under GitHub's 1 MiB summary cap).
pub(crate) const MAX_ROWS: usize = 1000;

/// Escapes text for a table cell: `|` would end the cell (inside code spans too, as GitHub reads
/// tables), a newline the row; `<` outside a code span would start HTML (inside one it is
/// shown as written, so it is left alone there).
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    for c in text.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '|' => out.push_str("\\|"),
            '\n' => out.push_str("<br>"),
            '<' if !in_code => out.push_str("&lt;"),
            '\\' if !in_code => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out
}

pub(crate) fn render(report: &Report<'_>, out: &mut impl Write) -> std::io::Result<()> {
    let s = &report.summary;
    writeln!(out, "## leaselint\n")?;
    writeln!(out, "{}\n", super::summary_line(report))?;
    writeln!(out, "| errors | warnings | infos | fixable | input errors | files | objects |")?;
    writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|")?;
    writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} |\n",
        s.errors,
        s.warnings,
        s.infos,
        s.fixable,
        report.errors.len(),
        s.files,
        s.objects
    )?;
    if !report.diagnostics.is_empty() {
        let mut per_rule: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for d in report.diagnostics {
            *per_rule.entry((d.code, d.name)).or_default() += 1;
        }
        writeln!(out, "| rule | findings |")?;
        writeln!(out, "|---|---:|")?;
        for ((code, name), n) in &per_rule {
            writeln!(out, "| {code} {name} | {n} |")?;
        }
        writeln!(out)?;
        writeln!(out, "| rule | severity | location | object | message |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for (d, (start, _)) in report.diagnostics.iter().zip(super::positions(report)).take(MAX_ROWS) {
            let Some(file) = report.files.get(d.loc.file) else { continue };
            let object = d.loc.object.as_deref().map_or_else(String::new, |o| {
                let r = &o.object;
                match &r.namespace {
                    Some(ns) => format!("{} {ns}/{}", r.kind, r.name),
                    None => format!("{} {}", r.kind, r.name),
                }
            });
            writeln!(
                out,
                "| {} | {} | `{}` | {} | {} |",
                d.code,
                d.severity,
                super::location(file, start).replace('|', "\\|").replace('`', "'"),
                cell(&object),
                cell(&d.message)
            )?;
        }
        if report.diagnostics.len() > MAX_ROWS {
            writeln!(out, "\n{} more findings are not listed here.", report.diagnostics.len() - MAX_ROWS)?;
        }
        writeln!(out)?;
    }
    if !report.errors.is_empty() {
        writeln!(out, "| input error | location |")?;
        writeln!(out, "|---|---|")?;
        for e in report.errors {
            let file = e.file.replace('|', "\\|").replace('`', "'");
            writeln!(out, "| {} | `{file}:{}:{}` |", cell(&e.message), e.line, e.column)?;
        }
        writeln!(out)?;
    }
    Ok(())
}
