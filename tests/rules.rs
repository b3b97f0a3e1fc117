//! The fixture driver: for every `fixtures/<CODE>-<name>/` folder, lints each `pass*` file with
//! only that rule (asserting no finding) and each `fail*` file (asserting at least one finding
//! per `# why:` case, then snapshotting the findings beside the fixture).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

mod common;

use std::path::Path;

use common::{concise, json, repo, run_in};

fn fixture_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("fixture dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && n != "config.yaml" && n != "Chart.yaml")
        .collect();
    names.sort();
    names
}

/// How a folder's rule is run: alone (`--select`), or, when the folder has a `config.yaml`, with
/// that config and every rule it leaves on (rules about other rules' findings, such as LL011,
/// need them); findings of other rules are then dropped from the report.
fn rule_args(dir: &Path, code: &str) -> Vec<String> {
    if dir.join("config.yaml").is_file() {
        vec!["--config".into(), "config.yaml".into()]
    } else {
        vec!["--select".into(), code.into()]
    }
}

/// Runs leaselint in `dir` with the folder's rule arguments and `extra`.
fn run_rule(dir: &Path, code: &str, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<String> = rule_args(dir, code);
    args.extend(extra.iter().map(|s| (*s).to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_in(dir, &args, None)
}

/// The report with only `code`'s findings.
fn only_rule(mut report: serde_json::Value, code: &str) -> serde_json::Value {
    if let Some(findings) = report["findings"].as_array_mut() {
        findings.retain(|f| f["rule"] == code);
    }
    report
}

fn lint_fixture(dir: &Path, code: &str, file: &str) -> serde_json::Value {
    // LL003's folder holds a Chart.yaml, so its `values-*.yaml` files are read as values files.
    let out = run_rule(dir, code, &["--format", "json", file]);
    let report = json(&out);
    if dir.join("config.yaml").is_file() {
        return only_rule(report, code);
    }
    assert!(
        report["errors"].as_array().is_some_and(|e| e.is_empty()),
        "{}/{file}: unexpected input errors:\n{}",
        dir.display(),
        concise(&report)
    );
    report
}

#[test]
fn every_rule_fixture_behaves() {
    let root = repo().join("fixtures");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("fixtures/")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("LL")))
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 10, "expected a fixture folder per rule");
    let rules = json(&run_in(&repo(), &["rules", "--format", "json"], None));
    let fixable: Vec<String> = rules["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["fix"] != "none")
        .map(|r| r["code"].as_str().unwrap().to_string())
        .collect();
    for dir in dirs {
        let folder = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let code = folder.split('-').next().unwrap_or_default().to_string();
        for file in fixture_files(&dir) {
            let role = file.strip_prefix("values-").unwrap_or(&file).to_string();
            let report = lint_fixture(&dir, &code, &file);
            let findings = report["findings"].as_array().cloned().unwrap_or_default();
            assert!(
                findings.iter().all(|f| f["rule"] == code.as_str()),
                "{folder}/{file}: --select {code} reported another rule"
            );
            if role.starts_with("pass") {
                assert!(findings.is_empty(), "{folder}/{file} must not trigger {code}:\n{}", concise(&report));
            } else if role.starts_with("fail") {
                let text = std::fs::read_to_string(dir.join(&file)).expect("fixture");
                let cases = text.lines().filter(|l| l.trim_start().starts_with("# why:")).count();
                assert!(cases >= 1, "{folder}/{file}: give each failing case a `# why:` comment");
                assert!(
                    findings.len() >= cases,
                    "{folder}/{file}: {cases} cases but {} findings:\n{}",
                    findings.len(),
                    concise(&report)
                );
                let mut settings = insta::Settings::clone_current();
                settings.set_snapshot_path(&dir);
                settings.set_prepend_module_to_snapshot(false);
                settings.set_omit_expression(true);
                let name = file.trim_end_matches(".yaml").to_string();
                settings.bind(|| insta::assert_snapshot!(name.clone(), concise(&report)));
                if fixable.contains(&code) {
                    let diff = fix_cycle(&dir, &code, &file);
                    settings.bind(|| insta::assert_snapshot!(format!("{name}.fixed"), diff));
                }
            }
        }
    }
}

/// Runs `--fix --unsafe-fixes` on a copy of the fixture and checks the fix guarantees: the fixed
/// file lints without input errors (it parses; --fix type-checked it), a second run changes
/// nothing, and no finding of the rule with a fix remains. Returns the diff for the snapshot.
fn fix_cycle(dir: &Path, code: &str, file: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()) {
        let name = entry.file_name();
        if name.to_string_lossy().ends_with(".yaml") {
            std::fs::copy(entry.path(), tmp.path().join(&name)).unwrap();
        }
    }
    let original = std::fs::read_to_string(dir.join(file)).unwrap();
    let out = run_rule(tmp.path(), code, &["--fix", "--unsafe-fixes", "--format", "json", file]);
    assert_ne!(out.status.code(), Some(2), "{file}: --fix failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let fixed = std::fs::read_to_string(tmp.path().join(file)).unwrap();
    assert_ne!(fixed, original, "{file}: --fix changed nothing");
    let again = run_rule(tmp.path(), code, &["--fix", "--unsafe-fixes", "--format", "json", file]);
    assert_ne!(again.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join(file)).unwrap(),
        fixed,
        "{file}: a second --fix changed the file"
    );
    let report = json(&run_rule(tmp.path(), code, &["--format", "json", file]));
    assert_eq!(report["errors"], serde_json::Value::Array(vec![]), "{file}: the fixed file has errors");
    let fixable_left: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == code && !f["fix"].is_null() && f["fix_refused"].is_null())
        .collect();
    assert!(fixable_left.is_empty(), "{file}: fixable findings remain after --fix:\n{}", concise(&report));
    similar::TextDiff::from_lines(&original, &fixed).unified_diff().header(file, &format!("{file} (fixed)")).to_string()
}
