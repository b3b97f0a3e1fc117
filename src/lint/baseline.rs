//! Baselines: the findings a repository already had when it adopted leaselint, recorded with
//! `--write-baseline FILE` and hidden with `--baseline FILE` (config `baseline`), so that only
//! new findings fail the run.
//!
//! A finding is matched by rule, file, object (kind, namespace, name) and path inside the
//! object — never by line or column, so edits elsewhere in a file do not bring recorded findings
//! back. Matching counts: a baseline that recorded one LL005 on a container hides one such
//! finding, not a second one added later at the same path. Files are recorded relative to the
//! baseline file's directory (`/` separators), so the baseline works from any working
//! directory. Pure: the CLI reads and writes the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;
use crate::source::SourceFile;

/// The baseline file: `{"version": 1, "findings": [...]}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BaselineFile {
    pub(crate) version: u32,
    pub(crate) findings: Vec<Entry>,
}

/// One recorded finding. `message` is kept for people reading the file; it is not matched.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entry {
    pub(crate) rule: String,
    pub(crate) file: String,
    pub(crate) kind: Option<String>,
    pub(crate) namespace: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) message: Option<String>,
}

impl Entry {
    fn key(&self) -> (&str, &str, Option<&str>, Option<&str>, Option<&str>, &str) {
        (&self.rule, &self.file, self.kind.as_deref(), self.namespace.as_deref(), self.name.as_deref(), &self.path)
    }
}

/// How files are named in a baseline: relative to the directory that holds it.
pub(crate) struct Naming {
    /// The baseline file's directory, absolute.
    dir: PathBuf,
    /// The working directory, absolute (input names are relative to it).
    cwd: PathBuf,
}

impl Naming {
    /// `baseline`: the baseline file's path as given; `cwd`: the working directory.
    pub(crate) fn new(baseline: &Path, cwd: &Path) -> Naming {
        let file = if baseline.is_absolute() { baseline.to_path_buf() } else { cwd.join(baseline) };
        let dir = crate::source::lexical_normal(file.parent().unwrap_or(Path::new("/")));
        Naming { dir, cwd: crate::source::lexical_normal(cwd) }
    }

    /// The name a baseline records for an input (`<stdin>` and rendered streams as they are).
    fn name(&self, file: &SourceFile) -> String {
        let Some(path) = &file.path else { return file.name.clone() };
        let absolute =
            crate::source::lexical_normal(&if path.is_absolute() { path.clone() } else { self.cwd.join(path) });
        relative(&absolute, &self.dir).unwrap_or_else(|| absolute.to_string_lossy().replace('\\', "/"))
    }
}

/// `path` relative to `base` (`../x` when it is beside it), with `/` separators.
fn relative(path: &Path, base: &Path) -> Option<String> {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return None;
    }
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), b.len() - common).collect();
    parts.extend(p.iter().skip(common).map(|c| c.as_os_str().to_string_lossy().into_owned()));
    Some(parts.join("/"))
}

/// The entry that records `d`.
fn entry(d: &Diagnostic, files: &[SourceFile], naming: &Naming) -> Option<Entry> {
    let file = files.get(d.loc.file)?;
    let object = d.loc.object.as_deref().map(|o| &o.object);
    Some(Entry {
        rule: d.code.to_string(),
        file: naming.name(file),
        kind: object.map(|o| o.kind.clone()),
        namespace: object.and_then(|o| o.namespace.clone()),
        name: object.map(|o| o.name.clone()),
        path: d.loc.path.to_string(),
        message: Some(d.message.clone()),
    })
}

/// The baseline of `diagnostics`, sorted by file, rule, object and path.
pub(crate) fn record(diagnostics: &[Diagnostic], files: &[SourceFile], naming: &Naming) -> BaselineFile {
    let mut findings: Vec<Entry> = diagnostics.iter().filter_map(|d| entry(d, files, naming)).collect();
    findings.sort_by(|a, b| a.file.cmp(&b.file).then_with(|| a.key().cmp(&b.key())));
    BaselineFile { version: 1, findings }
}

/// Removes the findings the baseline records (each recorded entry hides one finding); returns
/// how many were hidden.
pub(crate) fn hide(
    diagnostics: &mut Vec<Diagnostic>,
    files: &[SourceFile],
    naming: &Naming,
    baseline: &BaselineFile,
) -> usize {
    let mut left: HashMap<Entry, usize> = HashMap::new();
    for e in &baseline.findings {
        *left.entry(Entry { message: None, ..e.clone() }).or_default() += 1;
    }
    let before = diagnostics.len();
    diagnostics.retain(|d| {
        let Some(e) = entry(d, files, naming) else { return true };
        match left.get_mut(&Entry { message: None, ..e }) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        }
    });
    before - diagnostics.len()
}

/// Parses a baseline file; the error says what is wrong.
pub(crate) fn parse(text: &str) -> Result<BaselineFile, String> {
    let file: BaselineFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if file.version != 1 {
        return Err(format!("unknown baseline version {} (this leaselint writes version 1)", file.version));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileRole;

    #[test]
    fn files_are_named_relative_to_the_baseline() {
        let naming = Naming::new(Path::new("ci/baseline.json"), Path::new("/repo"));
        let f = SourceFile::new("deploy/a.yaml".into(), Some("deploy/a.yaml".into()), FileRole::Manifests, vec![]);
        assert_eq!(naming.name(&f), "../deploy/a.yaml");
        let naming = Naming::new(Path::new("/repo/.leaselint-baseline.json"), Path::new("/repo/deploy"));
        let f = SourceFile::new("a.yaml".into(), Some("./a.yaml".into()), FileRole::Manifests, vec![]);
        assert_eq!(naming.name(&f), "deploy/a.yaml");
        let stdin = SourceFile::new("<stdin>".into(), None, FileRole::Manifests, vec![]);
        assert_eq!(naming.name(&stdin), "<stdin>");
    }

    #[test]
    fn a_baseline_of_another_version_is_refused() {
        assert!(parse(r#"{"version": 2, "findings": []}"#).is_err());
        assert!(parse(r#"{"version": 1, "findings": [], "extra": 1}"#).is_err());
        assert!(parse(r#"{"version": 1, "findings": []}"#).is_ok());
    }
}
