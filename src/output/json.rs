//! The JSON report: `{"version": 1, "findings": [...], "summary": {...}, "errors": [...]}`.
//! Stable: fields are only ever added.

use std::io::Write;

use serde::Serialize;

use super::Report;

#[derive(Serialize)]
struct Json<'a, F, S> {
    version: u32,
    findings: F,
    summary: S,
    errors: Vec<Error<'a>>,
}

/// The findings, serialized one by one (positions were computed in parallel beforehand), so
/// the report is never held in memory twice.
struct Findings<'a> {
    report: &'a Report<'a>,
    positions: Vec<((usize, usize), (usize, usize))>,
    related: Vec<Vec<(usize, usize)>>,
}

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.positions.len()))?;
        let related = self.related.iter().map(Vec::as_slice).chain(std::iter::repeat(&[][..]));
        for ((d, pos), rel) in self.report.diagnostics.iter().zip(&self.positions).zip(related) {
            if let Some(finding) = finding(self.report, d, *pos, rel) {
                seq.serialize_element(&finding)?;
            }
        }
        seq.end()
    }
}

/// A value serialized through its `Display` (the node path), without an intermediate `String`.
struct Displayed<'a, T: std::fmt::Display>(&'a T);

impl<T: std::fmt::Display> Serialize for Displayed<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

#[derive(Serialize)]
struct Finding<'a> {
    rule: &'a str,
    name: &'a str,
    severity: &'a str,
    /// Null for an object read from a cluster (`resource` names it).
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    /// The API path of an object read from a cluster (`leaselint audit`; added, absent for files).
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<&'a str>,
    object: Option<Object<'a>>,
    path: Displayed<'a, crate::yaml::NodePath>,
    message: &'a str,
    source: Option<&'a str>,
    fix: Option<&'a str>,
    /// What the fix does (added to the v1 contract; null without a fix).
    fix_title: Option<&'a str>,
    /// Why `--fix` would not apply the fix here (added; null when it would). Such a finding is
    /// not counted as fixable.
    fix_refused: Option<&'a str>,
    /// Related locations (added): `[{file, line, column, message}]`, empty when none.
    related: Vec<RelatedEntry<'a>>,
    /// For `leaselint render`, when `file`/`line` name the template or resource the object
    /// came from: the position in the rendered stream (added; null otherwise).
    rendered: Option<Position>,
}

#[derive(Serialize)]
struct Position {
    line: usize,
    column: usize,
}

#[derive(Serialize)]
struct RelatedEntry<'a> {
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<&'a str>,
    message: &'a str,
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
    fixed: usize,
    would_fix: usize,
    /// Findings hidden by `--baseline` (added).
    baselined: usize,
}

#[derive(Serialize)]
struct Error<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
}

fn finding<'a>(
    report: &'a Report<'a>,
    d: &'a crate::diag::Diagnostic,
    ((line, column), (end_line, end_column)): ((usize, usize), (usize, usize)),
    related: &[(usize, usize)],
) -> Option<Finding<'a>> {
    let file = report.files.get(d.loc.file)?;
    let info = d.loc.object.as_deref();
    let in_file = |n: usize| (!file.resource).then_some(n);
    Some(Finding {
        rule: d.code,
        name: d.name,
        severity: d.severity.as_str(),
        file: (!file.resource).then_some(file.name.as_str()),
        line: in_file(line),
        column: in_file(column),
        end_line: in_file(end_line),
        end_column: in_file(end_column),
        resource: file.resource.then_some(file.name.as_str()),
        object: info.map(|i| Object {
            api_version: &i.object.api_version,
            kind: &i.object.kind,
            namespace: i.object.namespace.as_deref(),
            name: &i.object.name,
        }),
        path: Displayed(&d.loc.path),
        message: &d.message,
        source: info.and_then(|i| i.source.as_deref()),
        fix: d.fix.as_ref().and_then(|f| f.applicability.as_json()),
        fix_title: d.fix.as_ref().filter(|f| f.applicability.as_json().is_some()).map(|f| f.title.as_str()),
        fix_refused: d.fix.as_ref().and_then(|f| f.refused.as_deref()),
        related: d
            .related
            .iter()
            .zip(related)
            .filter_map(|(r, &(line, column))| {
                let file = report.files.get(r.loc.file)?;
                let (name, resource) = (file.name.as_str(), file.resource);
                Some(RelatedEntry {
                    file: (!resource).then_some(name),
                    line: (!resource).then_some(line),
                    column: (!resource).then_some(column),
                    resource: resource.then_some(name),
                    message: &r.message,
                })
            })
            .collect(),
        rendered: d.rendered.map(|(line, column)| Position { line, column }),
    })
}

/// The `findings` array of a report, for another JSON report to embed (`audit`).
pub(crate) fn findings<'a>(report: &'a Report<'a>) -> impl Serialize + 'a {
    Findings { report, positions: super::positions(report), related: super::related_positions(report) }
}

/// The `summary` object of a report, for another JSON report to embed (`audit`).
pub(crate) fn summary(report: &Report<'_>) -> impl Serialize + use<> {
    let s = &report.summary;
    Summary {
        files: s.files,
        documents: s.documents,
        objects: s.objects,
        errors: s.errors,
        warnings: s.warnings,
        infos: s.infos,
        fixable: s.fixable,
        fixed: s.fixed,
        would_fix: s.would_fix,
        baselined: s.baselined,
    }
}

pub(crate) fn render(report: &Report<'_>, out: &mut impl Write) -> std::io::Result<()> {
    let json = Json {
        version: 1,
        findings: findings(report),
        summary: summary(report),
        errors: report
            .errors
            .iter()
            .map(|e| Error { file: &e.file, line: e.line, column: e.column, message: &e.message })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &json).map_err(std::io::Error::other)?;
    writeln!(out)
}
