//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` line per finding and
//! per input error, which the runner turns into annotations on the pull request, then a plain
//! summary line for the log.

use std::io::Write;

use super::Report;
use crate::diag::Severity;

/// Escapes a command's message (GitHub's `escapeData`).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value (GitHub's `escapeProperty`: also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

pub(crate) fn render(report: &Report<'_>, out: &mut impl Write) -> std::io::Result<()> {
    for e in report.errors {
        writeln!(
            out,
            "::error file={},line={},col={},title={}::{}",
            escape_property(&e.file),
            e.line,
            e.column,
            escape_property("leaselint: input error"),
            escape_data(&e.message)
        )?;
    }
    for (d, ((line, col), (end_line, end_col))) in report.diagnostics.iter().zip(super::positions(report)) {
        let Some(file) = report.files.get(d.loc.file) else { continue };
        let mut message = d.message.clone();
        if let Some(fix) = d.fix.as_ref().filter(|f| f.applicability.as_json().is_some()) {
            match &fix.refused {
                Some(why) => message.push_str(&format!("\nfix refused ({}): {why}", fix.title)),
                None => {
                    let how = if fix.applicability == crate::diag::Applicability::Safe {
                        "--fix"
                    } else {
                        "--fix --unsafe-fixes"
                    };
                    message.push_str(&format!("\nfix ({how}): {}", fix.title));
                }
            }
        }
        if let Some(source) = d.loc.object.as_ref().and_then(|o| o.source.as_deref()) {
            message.push_str(&format!("\nrendered from {source}"));
        }
        // GitHub rejects an end column on a multi-line annotation.
        let end = if end_line == line {
            format!(",endLine={end_line},endColumn={end_col}")
        } else {
            format!(",endLine={end_line}")
        };
        writeln!(
            out,
            "::{} file={},line={line},col={col}{end},title={}::{}",
            command(d.severity),
            escape_property(&file.name),
            escape_property(&format!("{} {}", d.code, d.name)),
            escape_data(&message)
        )?;
    }
    writeln!(out, "leaselint: {}", super::summary_line(report))
}

#[cfg(test)]
mod tests {
    use super::{escape_data, escape_property};

    #[test]
    fn escapes_like_the_actions_toolkit() {
        assert_eq!(escape_data("50% of a\r\nb: c, d"), "50%25 of a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
