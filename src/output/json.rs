//! The JSON report: `{"version": 1, "findings": [...], "summary": {...}, "errors": [...]}`.
//! Stable: fields are only ever added.

use std::io::Write;

use rayon::prelude::*;
use serde::Serialize;

use super::{Report, position};

#[derive(Serialize)]
struct Json<'a> {
    version: u32,
    findings: Vec<Finding<'a>>,
    summary: Summary,
    errors: Vec<Error<'a>>,
}

#[derive(Serialize)]
struct Finding<'a> {
    rule: &'a str,
    name: &'a str,
    severity: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    object: Option<Object<'a>>,
    path: String,
    message: &'a str,
    source: Option<&'a str>,
    fix: Option<&'a str>,
    /// What the fix does (added to the v1 contract; null without a fix).
    fix_title: Option<&'a str>,
}

#[derive(Serialize)]
struct Object<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    documents: usize,
    objects: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    fixable: usize,
}

#[derive(Serialize)]
struct Error<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
}

pub(crate) fn render(report: &Report<'_>, out: &mut impl Write) -> std::io::Result<()> {
    // Positions and paths are computed in parallel; serialization stays in order.
    let findings = report
        .diagnostics
        .par_iter()
        .filter_map(|d| {
            let file = report.files.get(d.loc.file)?;
            let ((line, column), (end_line, end_column)) = position(file, &d.loc.span);
            let info = d.loc.object.as_deref();
            Some(Finding {
                rule: d.code,
                name: d.name,
                severity: d.severity.as_str(),
                file: &file.name,
                line,
                column,
                end_line,
                end_column,
                object: info.map(|i| Object {
                    api_version: &i.object.api_version,
                    kind: &i.object.kind,
                    namespace: i.object.namespace.as_deref(),
                    name: &i.object.name,
                }),
                path: d.loc.path.to_string(),
                message: &d.message,
                source: info.and_then(|i| i.source.as_deref()),
                fix: d.fix.as_ref().and_then(|f| f.applicability.as_json()),
                fix_title: d.fix.as_ref().filter(|f| f.applicability.as_json().is_some()).map(|f| f.title.as_str()),
            })
        })
        .collect();
    let s = &report.summary;
    let json = Json {
        version: 1,
        findings,
        summary: Summary {
            files: s.files,
            documents: s.documents,
            objects: s.objects,
            errors: s.errors,
            warnings: s.warnings,
            infos: s.infos,
            fixable: s.fixable,
        },
        errors: report
            .errors
            .iter()
            .map(|e| Error { file: &e.file, line: e.line, column: e.column, message: &e.message })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &json).map_err(std::io::Error::other)?;
    writeln!(out)
}
