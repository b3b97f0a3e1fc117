//! `--fix`, `--unsafe-fixes` and `--diff` through the real binary: in-place atomic writes that
//! keep permissions and symbolic links, the stdin pipe, files with parse errors left alone, exit
//! codes after fixing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{json, repo, run_in};

fn fixture(rel: &str) -> String {
    std::fs::read_to_string(repo().join("fixtures").join(rel)).unwrap()
}

#[test]
fn fix_rewrites_in_place_keeping_permissions_and_links() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let original = fixture("LL006-ndots-default/fail.yaml");
    std::fs::write(d.join("app.yaml"), &original).unwrap();
    std::fs::set_permissions(d.join("app.yaml"), std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("app.yaml", d.join("link.yaml")).unwrap();
    let clean = fixture("_streams/clean.yaml");
    std::fs::write(d.join("clean.yaml"), &clean).unwrap();

    let out = run_in(d, &["--fix", "--select", "LL006", "link.yaml", "clean.yaml"], None);
    assert_eq!(out.status.code(), Some(0), "every LL006 finding is fixed: {}", String::from_utf8_lossy(&out.stderr));
    let fixed = std::fs::read_to_string(d.join("app.yaml")).unwrap();
    assert_ne!(fixed, original);
    assert!(std::fs::symlink_metadata(d.join("link.yaml")).unwrap().file_type().is_symlink(), "the link stays a link");
    assert_eq!(std::fs::metadata(d.join("app.yaml")).unwrap().permissions().mode() & 0o777, 0o640);
    assert_eq!(std::fs::read_to_string(d.join("clean.yaml")).unwrap(), clean, "a file without fixes is not rewritten");
    let leftovers: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".leaselint-"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file is left behind");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Fixed 5 findings in 1 file (LL006 ×5); 0 remain"), "{stderr}");
}

#[test]
fn stdin_gets_the_whole_fixed_stream_on_stdout_and_the_report_on_stderr() {
    let input = fixture("_streams/helm-stream.yaml");
    let out = run_in(&repo(), &["--fix", "--format", "json", "-"], Some(input.as_bytes()));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("---\n# Source: shop/templates/serviceaccount.yaml"), "{stdout}");
    assert!(stdout.contains("ndots"), "the stream is fixed");
    let report: serde_json::Value = serde_json::from_slice(&out.stderr).expect("stderr holds only the JSON report");
    assert_eq!(report["summary"]["fixed"], 1);

    // The same input fixed in place gives the same bytes.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.yaml"), &input).unwrap();
    run_in(dir.path(), &["--fix", "s.yaml"], None);
    assert_eq!(std::fs::read_to_string(dir.path().join("s.yaml")).unwrap(), stdout);

    // Without anything to fix, the stream passes through unchanged.
    let clean = fixture("_streams/clean.yaml");
    let out = run_in(&repo(), &["--fix", "-"], Some(clean.as_bytes()));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), clean);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_stream_repeats_its_unparsable_documents_verbatim_and_fixes_the_others() {
    let broken = fixture("_streams/broken.yaml");
    let out = run_in(&repo(), &["--fix", "-"], Some(broken.as_bytes()));
    assert_eq!(out.status.code(), Some(2), "the parse errors make exit code 2");
    let stdout = String::from_utf8(out.stdout).unwrap();
    for doc in broken.split("---\n").filter(|d| d.contains("broken") || d.contains("undefined")) {
        assert!(stdout.contains(doc), "an unparsable document is repeated as it was:\n{doc}\n--- got\n{stdout}");
    }
    assert!(stdout.contains("name: ndots"), "the Pod that parses is fixed:\n{stdout}");
    // A file with the same text is not edited at all.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("b.yaml"), &broken).unwrap();
    let out = run_in(dir.path(), &["--fix", "b.yaml"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(dir.path().join("b.yaml")).unwrap(), broken);
}

#[test]
fn diff_prints_what_fix_would_change_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let original = fixture("LL008-pdb-blocks-eviction/fail.yaml");
    std::fs::write(dir.path().join("pdb.yaml"), &original).unwrap();
    let out = run_in(dir.path(), &["--diff", "--select", "LL008", "pdb.yaml"], None);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "", "LL008's fix is unsafe: nothing without --unsafe-fixes");
    let out = run_in(dir.path(), &["--diff", "--unsafe-fixes", "--select", "LL008", "pdb.yaml"], None);
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(diff.starts_with("--- a/pdb.yaml\n+++ b/pdb.yaml\n"), "{diff}");
    assert!(diff.contains("-  maxUnavailable: 0\n+  maxUnavailable: 1\n"), "{diff}");
    assert_eq!(out.status.code(), Some(1), "a non-empty diff exits 1");
    assert_eq!(std::fs::read_to_string(dir.path().join("pdb.yaml")).unwrap(), original);
}

#[test]
fn unsafe_fixes_need_fix_or_diff_and_unsafe_ones_remain_with_fix_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pdb.yaml"), fixture("LL008-pdb-blocks-eviction/fail.yaml")).unwrap();
    let out = run_in(dir.path(), &["--unsafe-fixes", "pdb.yaml"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = run_in(dir.path(), &["--fix", "--select", "LL008", "--format", "json", "pdb.yaml"], None);
    let report = json(&out);
    assert_eq!(report["summary"]["fixed"], 0);
    assert_eq!(report["findings"].as_array().unwrap().len(), 5, "unsafe fixes stay findings");
    assert_eq!(out.status.code(), Some(1), "remaining findings decide the exit code");
}
