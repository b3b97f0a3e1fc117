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

fn lint_fixture(dir: &Path, code: &str, file: &str) -> serde_json::Value {
    // LL003's folder holds a Chart.yaml, so its `values-*.yaml` files are read as values files.
    let out = run_in(dir, &["--format", "json", "--select", code, file], None);
    let report = json(&out);
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
                settings.bind(|| insta::assert_snapshot!(name, concise(&report)));
            }
        }
    }
}
