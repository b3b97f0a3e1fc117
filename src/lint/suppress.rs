//! Suppressions, applied after the rules ran (rules never check them): `# leaselint: ignore[..]`
//! comments on the reported node's line or alone on the line above, the `leaselint.io/ignore`
//! annotation on an object or its pod template, and the config's `ignore` entries. Suppression
//! comments that silence nothing are reported as LL011 `unused-suppression`, with a safe fix
//! that removes them.

use std::collections::HashMap;

use crate::config::{IgnoreEntry, LintConfig};
use crate::diag::{Diagnostic, Edit, Fix, Loc, ObjId};
use crate::k8s::Object;
use crate::source::{FileId, SourceFile};
use crate::yaml::NodePath;
use crate::yaml::suppress::{IgnoreComment, Target};

use super::{Registered, Registry};

/// The code of the rule that reports unused suppression comments.
pub(crate) const UNUSED_SUPPRESSION: &str = "LL011";

/// The annotation that suppresses rules on an object (and on its pod template).
pub(crate) const IGNORE_ANNOTATION: &str = "leaselint.io/ignore";

/// What the annotations of an object suppress: rule codes or names as written.
pub(crate) fn annotation_ignores(obj: &Object<'_>) -> Option<Vec<String>> {
    let own = obj.annotation(IGNORE_ANNOTATION);
    let template = obj.pod().and_then(|p| p.meta_value("annotations", IGNORE_ANNOTATION));
    let tokens: Vec<String> = [own, template]
        .into_iter()
        .flatten()
        .flat_map(|v| v.split([',', ' ', '\n', '\t']))
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    (!tokens.is_empty()).then_some(tokens)
}

/// The suppressions found while parsing a run.
#[derive(Default)]
pub(crate) struct Suppressions {
    /// Objects with an ignore annotation.
    pub(crate) annotations: HashMap<ObjId, Vec<String>>,
    /// Suppression comments by file.
    pub(crate) comments: HashMap<FileId, Vec<IgnoreComment>>,
}

/// A suppression comment with its line and which of its rules were used.
struct Comment<'c> {
    file: FileId,
    line: usize,
    comment: &'c IgnoreComment,
    /// For `Target::Rules`: per rule; for `Target::All`: one flag.
    used: Vec<bool>,
}

fn entry_matches(e: &IgnoreEntry, d: &Diagnostic, file: &SourceFile) -> bool {
    if !e.rules.is_empty() && !e.rules.iter().any(|r| r == d.code) {
        return false;
    }
    if let Some(glob) = &e.file {
        let by_name = glob.is_match(file.name.trim_start_matches("./"));
        let from_config = || {
            let relative = e.places.as_ref().zip(file.path.as_deref()).and_then(|(p, path)| p.relative(path));
            relative.is_some_and(|r| glob.is_match(r))
        };
        if !by_name && !from_config() {
            return false;
        }
    }
    let wants_object = e.kind.is_some() || e.namespace.is_some() || e.name.is_some();
    match &d.loc.object {
        None => !wants_object,
        Some(o) => {
            let r = &o.object;
            e.kind.as_ref().is_none_or(|g| g.is_match(&r.kind))
                && e.namespace.as_ref().is_none_or(|g| g.is_match(r.namespace.as_deref().unwrap_or_default()))
                && e.name.as_ref().is_none_or(|g| g.is_match(&r.name))
        }
    }
}

/// Drops suppressed findings and adds LL011 findings for suppression comments that were not
/// used (with the edits of their fixes).
pub(crate) fn apply(
    diagnostics: &mut Vec<std::borrow::Cow<'_, Diagnostic>>,
    files: &[SourceFile],
    registry: &Registry,
    config: &LintConfig,
    found: &Suppressions,
) {
    let mut comments: Vec<Comment<'_>> = Vec::new();
    let mut by_line: HashMap<(FileId, usize), Vec<usize>> = HashMap::new();
    for (&file, list) in &found.comments {
        let Some(f) = files.get(file) else { continue };
        for c in list {
            let line = f.lines().line_of(c.span.start);
            let used = match &c.target {
                Target::Rules(rules) => vec![false; rules.len()],
                _ => vec![false],
            };
            by_line.entry((file, line)).or_default().push(comments.len());
            comments.push(Comment { file, line, comment: c, used });
        }
    }
    let resolves_to = |token: &str, code: &str| registry.resolve(token).is_some_and(|r| r.meta.code == code);
    diagnostics.retain(|d| {
        let Some(file) = files.get(d.loc.file) else { return true };
        if !by_line.is_empty() {
            let line = file.lines().line_of(d.loc.span.start);
            let same = by_line.get(&(d.loc.file, line)).into_iter().flatten();
            let above = line.checked_sub(1).and_then(|l| by_line.get(&(d.loc.file, l))).into_iter().flatten();
            let mut suppressed = false;
            let candidates: Vec<usize> = same
                .copied()
                .chain(above.copied().filter(|&i| comments.get(i).is_some_and(|c| c.comment.own_line)))
                .collect();
            for i in candidates {
                let Some(c) = comments.get_mut(i) else { continue };
                match &c.comment.target {
                    Target::All => {
                        c.used[0] = true;
                        suppressed = true;
                    }
                    Target::Rules(rules) => {
                        for (j, (token, _)) in rules.iter().enumerate() {
                            if resolves_to(token, d.code) {
                                c.used[j] = true;
                                suppressed = true;
                            }
                        }
                    }
                    Target::Malformed(_) => {}
                }
            }
            if suppressed {
                return false;
            }
        }
        if let Some(tokens) = d.loc.object.as_ref().and_then(|o| found.annotations.get(&o.id))
            && tokens.iter().any(|t| t == "*" || t.eq_ignore_ascii_case("all") || resolves_to(t, d.code))
        {
            return false;
        }
        !config.ignore.iter().any(|e| entry_matches(e, d, file))
    });
    let Some(rule) = registry.enabled().find(|r| r.meta.code == UNUSED_SUPPRESSION) else { return };
    comments.sort_by_key(|c| (c.file, c.comment.span.start));
    for c in &comments {
        let Some(file) = files.get(c.file) else { continue };
        let mut found = Vec::new();
        report_unused(c, file, rule, registry, &mut found);
        diagnostics.extend(found.into_iter().map(std::borrow::Cow::Owned));
    }
}

/// LL011 findings for one comment.
fn report_unused(
    c: &Comment<'_>,
    file: &SourceFile,
    rule: &Registered,
    registry: &Registry,
    out: &mut Vec<Diagnostic>,
) {
    let text = &file.text;
    let place = if c.comment.own_line { "on the line below" } else { "on this line" };
    let finding = |span: std::ops::Range<usize>, message: String, fix: Option<Fix>| Diagnostic {
        code: rule.rule.code(),
        name: rule.rule.name(),
        severity: rule.severity,
        loc: Loc { file: c.file, span, path: NodePath::root(), object: None },
        message,
        fix,
        related: Vec::new(),
        rendered: None,
    };
    let remove_all = |title: &str| {
        let mut fix = Fix::safe(title);
        fix.edits = vec![remove_directive(text, file, c)];
        fix
    };
    match &c.comment.target {
        Target::Malformed(why) => {
            out.push(finding(c.comment.directive.clone(), format!("malformed suppression comment: {why}"), None));
        }
        Target::All => {
            if !c.used.first().copied().unwrap_or(true) {
                let message = format!("suppression comment silences nothing: no finding is reported {place}");
                out.push(finding(
                    c.comment.directive.clone(),
                    message,
                    Some(remove_all("remove the suppression comment")),
                ));
            }
        }
        Target::Rules(rules) => {
            // Unknown names and rules that ran without a finding here; rules turned off in
            // this run are left alone (they could not have been used).
            let stale: Vec<(usize, String)> = rules
                .iter()
                .enumerate()
                .filter_map(|(j, (token, _))| match registry.resolve(token) {
                    None => Some((j, format!("unknown rule `{token}` in a suppression comment"))),
                    Some(r) if r.enabled && !c.used.get(j).copied().unwrap_or(true) => Some((
                        j,
                        format!("unused suppression: {} {} reports nothing {place}", r.meta.code, r.meta.name),
                    )),
                    Some(_) => None,
                })
                .collect();
            let keep: Vec<&str> = rules
                .iter()
                .enumerate()
                .filter(|(j, _)| !stale.iter().any(|(s, _)| s == j))
                .map(|(_, (t, _))| t.as_str())
                .collect();
            for (j, message) in stale {
                let Some((token, span)) = rules.get(j) else { continue };
                let fix = if keep.is_empty() {
                    remove_all("remove the suppression comment")
                } else {
                    let mut fix = Fix::safe(format!("remove `{token}` from the suppression comment"));
                    fix.edits = vec![rewrite_list(text, c.comment, &keep)];
                    fix
                };
                out.push(finding(span.clone(), message, Some(fix)));
            }
        }
    }
}

/// Replaces the rule list of a directive with `keep`.
fn rewrite_list(text: &str, c: &IgnoreComment, keep: &[&str]) -> Edit {
    let directive = text.get(c.directive.clone()).unwrap_or_default();
    let open = directive.find('[').map_or(c.directive.end, |i| c.directive.start + i + 1);
    let close = c.directive.end.saturating_sub(1).max(open);
    Edit { range: open..close, content: keep.join(", ") }
}

/// Removes a suppression directive: the whole line when the comment is alone on it and holds
/// nothing else, the comment (with the spaces before it) when it trails a node, or only the
/// directive when the comment says something else before it.
fn remove_directive(text: &str, file: &SourceFile, c: &Comment<'_>) -> Edit {
    let comment = c.comment;
    let before = text.get(comment.span.start..comment.directive.start).unwrap_or_default();
    let alone = before.trim_start_matches('#').trim().is_empty();
    let mut end = comment.span.end;
    while end > comment.span.start && text.as_bytes().get(end - 1) == Some(&b'\r') {
        end -= 1;
    }
    if alone
        && comment.own_line
        && let Some(line) = file.lines().line_span(c.line, text.len())
    {
        return Edit { range: line, content: String::new() };
    }
    let start = if alone { comment.span.start } else { comment.directive.start };
    let bytes = text.as_bytes();
    let mut from = start;
    while from > 0 && matches!(bytes.get(from - 1), Some(b' ' | b'\t')) {
        from -= 1;
    }
    Edit { range: from..end, content: String::new() }
}
