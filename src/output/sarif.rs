//! SARIF 2.1.0 for GitHub code scanning and other SARIF viewers: one `rules` entry per enabled
//! rule (id, name, help text, help URI), one result per finding with its region (1-based lines,
//! columns in Unicode code points, end column exclusive), the Helm `# Source:` template as a
//! related location, and input errors as tool execution notifications.

use std::io::Write;

use serde::Serialize;
use serde_json::{Value, json};

use super::Report;
use crate::diag::{Applicability, Diagnostic, Severity};
use crate::lint::RuleMeta;

/// The schema URI consumers look for.
const SCHEMA: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// What SARIF needs beyond the report.
pub(crate) struct SarifOptions<'a> {
    /// The rules of the run (their metadata and configured severity), in registry order.
    pub(crate) rules: Vec<(&'a RuleMeta, Severity)>,
    /// The directory relative file names are relative to (`%SRCROOT%`).
    pub(crate) srcroot: Option<std::path::PathBuf>,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `problem.severity` of GitHub code scanning: error, warning or recommendation.
fn level_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "recommendation",
    }
}

/// Percent-encodes what may not appear in a URI path (RFC 3986), keeping `/`.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `file://` URI of a directory, ending in `/` (as `originalUriBaseIds` requires).
fn directory_uri(dir: &std::path::Path) -> String {
    let mut path = dir.to_string_lossy().replace('\\', "/");
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    if !path.ends_with('/') {
        path.push('/');
    }
    format!("file://{}", encode_path(&path))
}

/// An artifact location for a file as reports name it: relative names are relative to
/// `%SRCROOT%`, absolute ones become `file://` URIs.
fn artifact(name: &str, srcroot: bool) -> Value {
    let name = name.replace('\\', "/");
    if name.starts_with('/') {
        return json!({"uri": format!("file://{}", encode_path(&name))});
    }
    let relative = name.trim_start_matches("./");
    if srcroot {
        json!({"uri": encode_path(relative), "uriBaseId": "%SRCROOT%"})
    } else {
        json!({"uri": encode_path(relative)})
    }
}

fn multiformat(text: &str) -> Value {
    json!({"text": text})
}

/// GitHub code scanning accepts descriptions of at most this many characters.
const MAX_DESCRIPTION: usize = 1024;

/// The rationale's leading paragraphs that fit GitHub's limit (the summary when none does);
/// `help` carries the whole text.
fn full_description(m: &RuleMeta) -> String {
    let mut out = String::new();
    for paragraph in m.rationale.trim().split("\n\n") {
        let len = out.chars().count() + paragraph.chars().count() + 2;
        if len > MAX_DESCRIPTION {
            break;
        }
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(paragraph.trim_end());
    }
    if out.is_empty() { m.summary.chars().take(MAX_DESCRIPTION).collect() } else { out }
}

fn rule_entry(m: &RuleMeta, severity: Severity) -> Value {
    let mut help_text = format!("{}\n\n", m.summary);
    let mut help_md = format!("{}\n\n", m.summary);
    for (title, body) in [("Why", &m.rationale), ("How to fix", &m.remediation)] {
        if !body.trim().is_empty() {
            help_text.push_str(&format!("{title}:\n{}\n\n", body.trim_end()));
            help_md.push_str(&format!("**{title}**\n\n{}\n\n", body.trim_end()));
        }
    }
    if let Some(ex) = &m.examples {
        help_md.push_str(&format!("**Failing example**\n\n```yaml\n{}```\n\n", ex.fail));
    }
    let mut entry = json!({
        "id": m.code,
        "name": m.name,
        "shortDescription": multiformat(&m.summary),
        "fullDescription": multiformat(&full_description(m)),
        "help": {"text": help_text.trim_end(), "markdown": help_md.trim_end()},
        "defaultConfiguration": {"level": level(severity)},
        "properties": {"tags": ["kubernetes"], "precision": "very-high", "problem.severity": level_word(severity)},
    });
    if let (Some(uri), Value::Object(map)) = (&m.help_uri, &mut entry) {
        map.insert("helpUri".into(), Value::from(uri.as_str()));
    }
    entry
}

/// A stable identity of a finding that survives edits elsewhere in the file: rule, object and
/// node path (FNV-1a, 64 bits).
fn fingerprint(d: &Diagnostic) -> String {
    let mut key = format!("{}|{}", d.code, d.loc.path);
    if let Some(o) = &d.loc.object {
        let r = &o.object;
        key.push_str(&format!("|{}|{}|{}|{}", r.api_version, r.kind, r.namespace.as_deref().unwrap_or(""), r.name));
    }
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}

struct Results<'a> {
    report: &'a Report<'a>,
    options: &'a SarifOptions<'a>,
}

impl Serialize for Results<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.report.diagnostics.len()))?;
        let related = super::related_positions(self.report);
        let related = related.iter().map(Vec::as_slice).chain(std::iter::repeat(&[][..]));
        for ((d, pos), rel) in self.report.diagnostics.iter().zip(super::positions(self.report)).zip(related) {
            if let Some(r) = result(self.report, self.options, d, pos, rel) {
                seq.serialize_element(&r)?;
            }
        }
        seq.end()
    }
}

fn result(
    report: &Report<'_>,
    options: &SarifOptions<'_>,
    d: &Diagnostic,
    ((line, col), (end_line, end_col)): ((usize, usize), (usize, usize)),
    related: &[(usize, usize)],
) -> Option<Value> {
    let file = report.files.get(d.loc.file)?;
    let srcroot = options.srcroot.is_some();
    let mut message = d.message.clone();
    let source = d.loc.object.as_ref().and_then(|o| o.source.as_deref());
    if let Some(source) = source {
        message.push_str(&format!(" (rendered from [{source}](1))"));
    }
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": artifact(&file.name, srcroot),
            "region": {"startLine": line, "startColumn": col, "endLine": end_line, "endColumn": end_col},
        },
    });
    if let (Some(o), Value::Object(map)) = (&d.loc.object, &mut location) {
        let r = &o.object;
        let qualified = match &r.namespace {
            Some(ns) => format!("{ns}/{}/{}", r.kind, r.name),
            None => format!("{}/{}", r.kind, r.name),
        };
        let logical = if d.loc.path.is_empty() { qualified } else { format!("{qualified}:{}", d.loc.path) };
        map.insert("logicalLocations".into(), json!([{"fullyQualifiedName": logical, "kind": "object"}]));
    }
    let index = options.rules.iter().position(|(m, _)| m.code == d.code);
    let mut result = json!({
        "ruleId": d.code,
        "level": level(d.severity),
        "message": {"text": message},
        "locations": [location],
        "partialFingerprints": {"leaselintFinding/v1": fingerprint(d)},
    });
    let Value::Object(map) = &mut result else { return Some(result) };
    if let Some(i) = index {
        map.insert("ruleIndex".into(), Value::from(i));
    }
    let mut locations = Vec::new();
    if let Some(source) = source {
        locations.push(json!({
            "id": 1,
            "physicalLocation": {"artifactLocation": artifact(source, srcroot)},
            "message": {"text": "the Helm template this object was rendered from"},
        }));
    }
    for (i, (r, &(line, col))) in d.related.iter().zip(related).enumerate() {
        let Some(file) = report.files.get(r.loc.file) else { continue };
        locations.push(json!({
            "id": i + 2,
            "physicalLocation": {
                "artifactLocation": artifact(&file.name, srcroot),
                "region": {"startLine": line, "startColumn": col},
            },
            "message": {"text": r.message},
        }));
    }
    if !locations.is_empty() {
        map.insert("relatedLocations".into(), Value::Array(locations));
    }
    if let Some(fix) = d.fix.as_ref().and_then(|f| f.applicability.as_json().map(|a| (a, f))) {
        let (applicability, f) = fix;
        let command =
            if f.applicability == Applicability::Safe { "leaselint --fix" } else { "leaselint --fix --unsafe-fixes" };
        let mut props =
            json!({"fix": applicability, "fixTitle": f.title, "fixCommand": command, "path": d.loc.path.to_string()});
        if let (Some(why), Some(obj)) = (&f.refused, props.as_object_mut()) {
            obj.remove("fixCommand");
            obj.insert("fixRefused".into(), json!(why));
        }
        map.insert("properties".into(), props);
    } else {
        map.insert("properties".into(), json!({"path": d.loc.path.to_string()}));
    }
    Some(result)
}

pub(crate) fn render(report: &Report<'_>, options: &SarifOptions<'_>, out: &mut impl Write) -> std::io::Result<()> {
    let srcroot = options.srcroot.is_some();
    let rules: Vec<Value> = options.rules.iter().map(|(m, severity)| rule_entry(m, *severity)).collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": {"text": e.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": artifact(&e.file, srcroot),
                    "region": {"startLine": e.line.max(1), "startColumn": e.column.max(1)},
                }}],
            })
        })
        .collect();
    let run = Run {
        tool: json!({"driver": {
            "name": "leaselint",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "informationUri": crate::lint::meta::REPOSITORY,
            "rules": rules,
        }}),
        invocations: json!([{
            "executionSuccessful": report.errors.is_empty(),
            "toolExecutionNotifications": notifications,
        }]),
        original_uri_base_ids: options
            .srcroot
            .as_deref()
            .map(|root| json!({"%SRCROOT%": {"uri": directory_uri(root)}})),
        column_kind: "unicodeCodePoints",
        results: Results { report, options },
    };
    let log = Log { schema: SCHEMA, version: "2.1.0", runs: [run] };
    serde_json::to_writer_pretty(&mut *out, &log).map_err(std::io::Error::other)?;
    writeln!(out)
}

/// The log, serialized field by field so that results stream out one at a time.
#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Value,
    invocations: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_uri_base_ids: Option<Value>,
    column_kind: &'static str,
    results: Results<'a>,
}

#[cfg(test)]
mod tests {
    use super::{artifact, directory_uri, encode_path};

    #[test]
    fn file_names_become_uris() {
        assert_eq!(encode_path("charts/my chart/a#b.yaml"), "charts/my%20chart/a%23b.yaml");
        assert_eq!(artifact("./k8s/app.yaml", true)["uri"], "k8s/app.yaml");
        assert_eq!(artifact("<stdin>", false)["uri"], "%3Cstdin%3E");
        assert_eq!(artifact("/abs/x.yaml", true)["uri"], "file:///abs/x.yaml");
        assert!(artifact("/abs/x.yaml", true).get("uriBaseId").is_none());
        assert_eq!(directory_uri(std::path::Path::new("/work/my repo")), "file:///work/my%20repo/");
    }
}
