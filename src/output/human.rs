//! The human report: one miette diagnostic per finding, with the source snippet and a label
//! under the node, then a summary line.

use std::fmt;
use std::io::Write;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode,
    SourceSpan, SpanContents,
};

use super::Report;
use crate::diag::{self, Severity};
use crate::source::SourceFile;

/// Rendering choices (colour off and a fixed width in tests).
#[derive(Clone, Copy, Debug)]
pub(crate) struct HumanOptions {
    pub(crate) color: bool,
    /// Columns to wrap text at, when `wrap`.
    pub(crate) width: usize,
    /// Wrap long lines (on a terminal only: wrapped text in a pipe or a log splits names).
    pub(crate) wrap: bool,
    /// Findings only: no summary line.
    pub(crate) quiet: bool,
}

/// A file as miette source code that reads only the lines around a span (miette's own
/// implementation scans from the start of the file for every snippet).
struct FileSource<'a> {
    file: &'a SourceFile,
}

impl SourceCode for FileSource<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let text = &self.file.text;
        let start = span.offset().min(text.len());
        let end = (span.offset() + span.len()).min(text.len());
        if before == 0 && after == 0 {
            // The header's `file:line:column`: exactly the span, with its own position.
            let (line, column) = self.file.lines().line_col(text, start);
            let data = text.get(start..end).ok_or(MietteError::OutOfBounds)?;
            return Ok(Box::new(MietteSpanContents::new_named(
                self.file.name.clone(),
                data.as_bytes(),
                *span,
                line - 1,
                column - 1,
                data.lines().count().max(1),
            )));
        }
        let (first_line, _) = self.file.lines().line_col(text, start);
        let (last_line, _) = self.file.lines().line_col(text, end.saturating_sub(usize::from(end > start)));
        let from_line = first_line.saturating_sub(before).max(1);
        let to_line = last_line + after;
        let window_start = self.file.lines().line_range(text, from_line).map_or(0, |r| r.start);
        let window_end = (from_line..=to_line)
            .rev()
            .find_map(|l| self.file.lines().line_range(text, l))
            .map_or(text.len(), |r| r.end);
        let data = text.get(window_start..window_end).ok_or(MietteError::OutOfBounds)?;
        let line_count = data.lines().count().max(1);
        Ok(Box::new(MietteSpanContents::new_named(
            self.file.name.clone(),
            data.as_bytes(),
            SourceSpan::new(window_start.into(), window_end - window_start),
            from_line - 1,
            0,
            line_count,
        )))
    }
}

/// One finding or input error as a miette diagnostic.
struct Human<'a> {
    code: String,
    message: String,
    severity: miette::Severity,
    source: Option<FileSource<'a>>,
    label: Option<LabeledSpan>,
    /// Labels of related locations in the same file.
    more: Vec<LabeledSpan>,
    help: Option<String>,
}

impl fmt::Debug for Human<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Human<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Human<'_> {}

impl Diagnostic for Human<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let label = self.label.clone()?;
        Some(Box::new(std::iter::once(label).chain(self.more.iter().cloned())) as Box<dyn Iterator<Item = LabeledSpan>>)
    }
}

fn miette_severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

fn finding<'a>(report: &Report<'a>, d: &'a diag::Diagnostic) -> Option<Human<'a>> {
    let file = report.files.get(d.loc.file)?;
    let label_text = if d.loc.path.is_empty() { None } else { Some(d.loc.path.to_string()) };
    let mut help = Vec::new();
    if let Some(info) = d.loc.object.as_deref() {
        let o = &info.object;
        if file.resource {
            // An object read from a cluster: no snippet; its kind/namespace/name and API path.
            let name = o.namespace.as_deref().map_or_else(|| o.name.clone(), |n| format!("{n}/{}", o.name));
            help.push(format!("object: {} {name}", o.kind));
        } else {
            let ns = o.namespace.as_deref().map_or_else(String::new, |n| format!(" in namespace {n}"));
            help.push(format!("object: {} {}{ns}", o.kind, o.name));
        }
        if let Some(src) = &info.source {
            help.push(format!("rendered from: {src}"));
        }
    }
    if file.resource {
        help.push(format!("resource: {}", file.name));
        if let Some(path) = &label_text {
            help.push(format!("path: {path}"));
        }
    }
    let mut more = Vec::new();
    for r in &d.related {
        if r.loc.file == d.loc.file && !file.resource {
            more.push(LabeledSpan::new(Some(r.message.clone()), r.loc.span.start, r.loc.span.len()));
        } else if let Some(other) = report.files.get(r.loc.file) {
            if other.resource {
                help.push(format!("related: {}: {}", other.name, r.message));
            } else {
                let (line, col) = other.lines().line_col(&other.text, r.loc.span.start);
                help.push(format!("related: {}:{line}:{col}: {}", other.name, r.message));
            }
        }
    }
    if let Some(fix) = &d.fix {
        match (fix.applicability.as_json(), &fix.refused) {
            (Some(_), Some(why)) => help.push(format!("fix refused ({}): {why}", fix.title)),
            // A live object is not rewritten: the fix is for the manifests it came from.
            (Some(kind), None) if file.resource => {
                help.push(format!("{kind} fix for the manifests (leaselint --fix): {}", fix.title));
            }
            (Some(kind), None) => {
                let flag = if kind == "safe" { "--fix" } else { "--fix --unsafe-fixes" };
                help.push(format!("{kind} fix ({flag}): {}", fix.title));
            }
            (None, _) => {}
        }
    }
    let (source, label) = if file.resource {
        (None, None)
    } else {
        (Some(FileSource { file }), Some(LabeledSpan::new(label_text, d.loc.span.start, d.loc.span.len())))
    };
    Some(Human {
        code: format!("{} {}", d.code, d.name),
        message: d.message.clone(),
        severity: miette_severity(d.severity),
        source,
        label,
        more,
        help: if help.is_empty() { None } else { Some(help.join("\n")) },
    })
}

pub(crate) fn render(report: &Report<'_>, opts: HumanOptions, out: &mut impl Write) -> std::io::Result<()> {
    let theme = if opts.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(if opts.wrap { opts.width } else { usize::MAX / 4 })
        .with_wrap_lines(opts.wrap)
        .with_context_lines(1);
    let mut buf = String::new();
    for e in report.errors {
        let source = e.file_id.and_then(|id| report.files.get(id)).map(|file| FileSource { file });
        let has_source = source.is_some();
        let d = Human {
            code: "error".to_string(),
            message: format!("{}:{}:{}: {}", e.file, e.line, e.column, e.message),
            severity: miette::Severity::Error,
            source,
            label: has_source.then(|| LabeledSpan::new(None, e.offset, 0)),
            more: Vec::new(),
            help: None,
        };
        buf.clear();
        handler.render_report(&mut buf, &d).map_err(std::io::Error::other)?;
        out.write_all(buf.as_bytes())?;
    }
    for d in report.diagnostics {
        let Some(h) = finding(report, d) else { continue };
        buf.clear();
        handler.render_report(&mut buf, &h).map_err(std::io::Error::other)?;
        out.write_all(buf.as_bytes())?;
    }
    if !opts.quiet {
        writeln!(out, "{}", super::summary_line(report))?;
    }
    Ok(())
}
