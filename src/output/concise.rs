//! The concise report, as ruff's: one line per finding, `file:line:col: LL004 [warning] message`,
//! input errors as `file:line:col: error: message`, then the summary line (not with `--quiet`).

use std::io::Write;

use super::Report;

pub(crate) fn render(report: &Report<'_>, quiet: bool, out: &mut impl Write) -> std::io::Result<()> {
    for e in report.errors {
        writeln!(out, "{}:{}:{}: error: {}", e.file, e.line, e.column, one_line(&e.message))?;
    }
    for (d, (start, _)) in report.diagnostics.iter().zip(super::positions(report)) {
        let Some(file) = report.files.get(d.loc.file) else { continue };
        let at = super::location(file, start);
        writeln!(out, "{at}: {} [{}] {}", d.code, d.severity, one_line(&d.message))?;
    }
    if !quiet {
        writeln!(out, "{}", super::summary_line(report))?;
    }
    Ok(())
}

/// A message on one line (messages are one line already; input errors may not be).
fn one_line(message: &str) -> std::borrow::Cow<'_, str> {
    if message.contains('\n') { message.replace('\n', " ").into() } else { message.into() }
}
