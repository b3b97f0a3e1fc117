//! Rendering a report: `human` (miette), `json` (the SPEC §2 contract), `sarif` (2.1.0) and
//! `github` (workflow commands). Each renderer is `render(&Report, &mut impl Write)`. Uses
//! `diag`, `source` and rule metadata only.

mod concise;
mod github;
mod human;
mod json;
mod markdown;
mod sarif;
mod statistics;

use crate::diag::{Diagnostic, Severity};
use crate::source::{FileId, SourceFile};

pub(crate) use concise::render as render_concise;
pub(crate) use github::render as render_github;
pub(crate) use human::{HumanOptions, render as render_human};
pub(crate) use json::render as render_json;
#[cfg(feature = "cluster")]
pub(crate) use json::{findings as json_findings, summary as json_summary};
pub(crate) use markdown::render as render_markdown;
pub(crate) use sarif::{SarifOptions, render as render_sarif};
pub(crate) use statistics::{render_json as render_statistics_json, render_text as render_statistics};

/// Input that could not be read or parsed, or a fixed file `--fix` could not write back, with its
/// position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ErrorEntry {
    pub(crate) file: String,
    /// The loaded file, for a source snippet.
    pub(crate) file_id: Option<FileId>,
    pub(crate) offset: usize,
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) message: String,
    /// A fixed file or stream that `--fix` could not write back (the summary counts these apart
    /// from input errors).
    pub(crate) unwritten: bool,
}

/// Counts for the summary line and the JSON `summary` object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) files: usize,
    pub(crate) documents: usize,
    pub(crate) objects: usize,
    pub(crate) errors: usize,
    pub(crate) warnings: usize,
    pub(crate) infos: usize,
    /// Findings whose fix `--fix` (safe) or `--fix --unsafe-fixes` (unsafe) applies: refused
    /// fixes do not count.
    pub(crate) fixable: usize,
    /// Fixes applied by `--fix` and written (0 otherwise).
    pub(crate) fixed: usize,
    /// Fixes `--diff` shows (0 otherwise).
    pub(crate) would_fix: usize,
    /// Findings hidden because `--baseline` records them (not counted above).
    pub(crate) baselined: usize,
}

/// Everything a renderer needs.
pub(crate) struct Report<'a> {
    pub(crate) files: &'a [SourceFile],
    pub(crate) diagnostics: &'a [Diagnostic],
    pub(crate) errors: &'a [ErrorEntry],
    pub(crate) summary: Summary,
}

impl Summary {
    pub(crate) fn count(diagnostics: &[Diagnostic], files: usize, documents: usize, objects: usize) -> Summary {
        let mut s = Summary { files, documents, objects, ..Summary::default() };
        for d in diagnostics {
            match d.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
            }
            if d.fix.as_ref().is_some_and(is_fixable) {
                s.fixable += 1;
            }
        }
        s
    }
}

/// The summary line of the human, concise and markdown reports: "Found 3 findings (1 error, 2
/// warnings, 0 infos) in 2 files, …; 1 fixable with --fix".
pub(crate) fn summary_line(report: &Report<'_>) -> String {
    let s = &report.summary;
    let findings = s.errors + s.warnings + s.infos;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut line = if findings == 0 {
        "No findings".to_string()
    } else {
        format!(
            "Found {} ({}, {}, {})",
            plural(findings, "finding"),
            plural(s.errors, "error"),
            plural(s.warnings, "warning"),
            plural(s.infos, "info")
        )
    };
    let live = !report.files.is_empty() && report.files.iter().all(|f| f.resource);
    if live {
        // Objects read from a cluster: one object per "file" and "document".
        line.push_str(&format!(" in {}", plural(s.objects, "object")));
    } else {
        line.push_str(&format!(
            " in {}, {}, {}",
            plural(s.files, "file"),
            plural(s.documents, "document"),
            plural(s.objects, "object")
        ));
    }
    let unsafe_fixes = report
        .diagnostics
        .iter()
        .filter(|d| {
            d.fix.as_ref().is_some_and(|f| is_fixable(f) && f.applicability == crate::diag::Applicability::Unsafe)
        })
        .count();
    let safe_fixes = s.fixable.saturating_sub(unsafe_fixes);
    let unwritten = report.errors.iter().filter(|e| e.unwritten).count();
    // When `--fix` ran but could not write some files, the lines above say why, and suggesting
    // the flags that were given would mislead.
    if unwritten == 0 {
        if live {
            // A cluster is not rewritten: the fixes are for the manifests the objects came from.
            if s.fixable > 0 {
                line.push_str(&format!("; {} with a fix for their manifests (leaselint --fix)", s.fixable));
            }
        } else {
            if safe_fixes > 0 {
                line.push_str(&format!("; {safe_fixes} fixable with --fix"));
            }
            if unsafe_fixes > 0 {
                line.push_str(&format!("; {unsafe_fixes} more with --fix --unsafe-fixes"));
            }
        }
    }
    let refused = report.diagnostics.iter().filter(|d| d.fix.as_ref().is_some_and(|f| f.refused.is_some())).count();
    if refused > 0 {
        let what = if refused == 1 { "1 fix refused".to_string() } else { format!("{refused} fixes refused") };
        line.push_str(&format!("; {what} (the findings say why)"));
    }
    let input_errors = report.errors.len() - unwritten;
    if input_errors > 0 {
        line.push_str(&format!("; {} could not be read or parsed", plural(input_errors, "input error")));
    }
    if unwritten > 0 {
        line.push_str(&format!("; {} could not be written", plural(unwritten, "fixed file")));
    }
    if s.baselined > 0 {
        line.push_str(&format!("; {} hidden by the baseline", plural(s.baselined, "finding")));
    }
    line
}

/// Where a finding is, in one-line formats: `file:line:col`, or the API path of an object read
/// from a cluster (it has no line).
pub(crate) fn location(file: &SourceFile, (line, column): (usize, usize)) -> String {
    if file.resource { file.name.clone() } else { format!("{}:{line}:{column}", file.name) }
}

/// A fix `--fix` would apply (safe or unsafe, not refused).
pub(crate) fn is_fixable(f: &crate::diag::Fix) -> bool {
    f.applicability.as_json().is_some() && f.refused.is_none()
}

/// 1-based (line, column) of every related location of every finding, in order (one sweep of
/// each file, as [`positions`]).
pub(crate) fn related_positions(report: &Report<'_>) -> Vec<Vec<(usize, usize)>> {
    let mut out: Vec<Vec<(usize, usize)>> = report.diagnostics.iter().map(|d| vec![(0, 0); d.related.len()]).collect();
    let mut points: Vec<(FileId, usize, usize, usize)> = Vec::new();
    for (i, d) in report.diagnostics.iter().enumerate() {
        for (j, r) in d.related.iter().enumerate() {
            points.push((r.loc.file, r.loc.span.start, i, j));
        }
    }
    if points.is_empty() {
        return out;
    }
    points.sort_unstable();
    for group in points.chunk_by(|a, b| a.0 == b.0) {
        let Some(file) = group.first().and_then(|p| report.files.get(p.0)) else { continue };
        let offsets: Vec<usize> = group.iter().map(|p| p.1).collect();
        for (p, lc) in group.iter().zip(crate::source::line_cols(&file.text, &offsets)) {
            if let Some(slot) = out.get_mut(p.2).and_then(|v| v.get_mut(p.3)) {
                *slot = lc;
            }
        }
    }
    out
}

/// 1-based (line, column) of the start and end (exclusive) of every finding of a report,
/// sweeping each file once: a report never builds a file's line index (which
/// costs 4 bytes per line of the input).
pub(crate) fn positions(report: &Report<'_>) -> Vec<((usize, usize), (usize, usize))> {
    let mut out = vec![((0, 0), (0, 0)); report.diagnostics.len()];
    let mut points: Vec<(FileId, usize, usize, bool)> = Vec::with_capacity(report.diagnostics.len() * 2);
    for (i, d) in report.diagnostics.iter().enumerate() {
        let span = &d.loc.span;
        points.push((d.loc.file, span.start, i, false));
        if span.end > span.start {
            points.push((d.loc.file, span.end, i, true));
        }
    }
    points.sort_unstable();
    for group in points.chunk_by(|a, b| a.0 == b.0) {
        let Some(file) = group.first().and_then(|p| report.files.get(p.0)) else { continue };
        let offsets: Vec<usize> = group.iter().map(|p| p.1).collect();
        for (p, lc) in group.iter().zip(crate::source::line_cols(&file.text, &offsets)) {
            if let Some(slot) = out.get_mut(p.2) {
                if p.3 {
                    slot.1 = lc;
                } else {
                    *slot = (lc, lc);
                }
            }
        }
    }
    out
}
