//! LL003's chart fixtures: each directory of `fixtures/LL003-lease-consolidation-values/cases/`
//! is a chart (or, with an `args.txt`, a stream with `--values` files) linted as a whole with
//! LL003 alone. `pass-*` must give no finding; `fail-*` must give at least one, and its findings
//! and the diff `--fix` makes (on a copy of the whole directory) are snapshotted beside it as
//! `<case>.snap` and `<case>.fixed.snap`. The fix must be complete and idempotent, and a plain
//! lint must count as fixable exactly what `--fix` then fixes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

mod common;

use std::path::{Path, PathBuf};

use common::{concise, json, repo, run_in};

fn cases_dir() -> PathBuf {
    repo().join("fixtures/LL003-lease-consolidation-values/cases")
}

/// The arguments of a case: `args.txt` (one per line, `#` lines are comments) or `.`.
fn case_args(dir: &Path) -> Vec<String> {
    match std::fs::read_to_string(dir.join("args.txt")) {
        Ok(text) => text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).map(str::to_string).collect(),
        Err(_) => vec![".".to_string()],
    }
}

fn lint(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["--select", "LL003", "--format", "json"];
    args.extend_from_slice(extra);
    let case = case_args(dir);
    args.extend(case.iter().map(String::as_str));
    let out = run_in(dir, &args, None);
    assert_ne!(out.status.code(), Some(2), "{}: exit 2:\n{}", dir.display(), String::from_utf8_lossy(&out.stderr));
    json(&out)
}

/// Every file under `dir`, relative to it, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap().to_path_buf())
        .collect();
    out.sort();
    out
}

fn copy_dir(from: &Path, to: &Path) {
    for rel in files_under(from) {
        let target = to.join(&rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(from.join(&rel), target).unwrap();
    }
}

fn has_why(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()).any(|e| {
        std::fs::read_to_string(e.path()).is_ok_and(|t| t.lines().any(|l| l.trim_start().starts_with("# why:")))
    })
}

#[test]
fn chart_cases_behave() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("cases dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 6, "expected LL003 chart cases");
    for dir in cases {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(has_why(&dir), "{name}: say what the case is about in a `# why:` comment");
        let report = lint(&dir, &[]);
        assert_eq!(report["errors"], serde_json::json!([]), "{name}: input errors:\n{}", concise(&report));
        let findings = report["findings"].as_array().cloned().unwrap_or_default();
        if name.starts_with("pass") {
            assert!(findings.is_empty(), "{name} must not trigger LL003:\n{}", concise(&report));
            continue;
        }
        assert!(name.starts_with("fail"), "{name}: a case is pass-* or fail-*");
        assert!(!findings.is_empty(), "{name} must trigger LL003");
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(cases_dir());
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(name.clone(), concise(&report)));
        let fixable = report["summary"]["fixable"].as_u64().unwrap_or(0);
        if fixable > 0 {
            let diff = fix_cycle(&dir, &name, fixable);
            settings.bind(|| insta::assert_snapshot!(format!("{name}.fixed"), diff));
        }
    }
}

/// Fixes a copy of the case; checks that the fix leaves no fixable finding, that a second run
/// changes nothing, and that it fixed what the plain lint counted. Returns the diff of every
/// changed file.
fn fix_cycle(dir: &Path, name: &str, fixable: u64) -> String {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(dir, tmp.path());
    let fixed = lint(tmp.path(), &["--fix", "--unsafe-fixes"]);
    let done = fixed["summary"]["fixed"].as_u64().unwrap_or(0);
    assert_eq!(done, fixable, "{name}: lint counted {fixable} fixable, --fix fixed {done}:\n{fixed:#}");
    let after: Vec<(PathBuf, String)> = files_under(tmp.path())
        .into_iter()
        .map(|f| (f.clone(), std::fs::read_to_string(tmp.path().join(&f)).unwrap_or_default()))
        .collect();
    let again = lint(tmp.path(), &["--fix", "--unsafe-fixes"]);
    assert_eq!(again["summary"]["fixed"].as_u64().unwrap_or(0), 0, "{name}: a second --fix changed something");
    let report = lint(tmp.path(), &[]);
    let left: Vec<_> = report["findings"].as_array().unwrap().iter().filter(|f| !f["fix"].is_null()).collect();
    assert!(left.is_empty(), "{name}: fixable findings remain after --fix:\n{}", concise(&report));
    let mut diff = String::new();
    for (rel, new) in after {
        let old = std::fs::read_to_string(dir.join(&rel)).unwrap_or_default();
        if old != new {
            let label = rel.display().to_string();
            diff.push_str(
                &similar::TextDiff::from_lines(&old, &new)
                    .unified_diff()
                    .header(&label, &format!("{label} (fixed)"))
                    .to_string(),
            );
        }
    }
    assert!(!diff.is_empty(), "{name}: --fix changed nothing");
    diff
}
