//! Every file of the real-world corpus (`../shared/corpus/real/`, rendered charts and manifests
//! written by others) lints without a crash and without parse errors, and its findings, grouped
//! by rule, match the reviewed snapshot in `tests/snapshots/`. The corpus stays outside the
//! repository: without it this test prints a notice and passes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

mod common;

use std::collections::BTreeMap;

use common::{corpus_dir, corpus_files, json, run_in};
use serde_json::Value;

/// Findings grouped by rule: a count line per rule, then its findings in file order.
fn by_rule(report: &Value) -> String {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in report["findings"].as_array().into_iter().flatten() {
        let object = &f["object"];
        let line = format!(
            "  {}:{} {} {}/{} {}\n    {}{}",
            f["line"],
            f["column"],
            object["kind"].as_str().unwrap_or("-"),
            object["namespace"].as_str().unwrap_or("-"),
            object["name"].as_str().unwrap_or("-"),
            f["path"].as_str().unwrap_or(""),
            f["message"].as_str().unwrap_or(""),
            f["fix"].as_str().map(|k| format!(" [fix: {k}]")).unwrap_or_default(),
        );
        groups
            .entry(format!("{} {}", f["rule"].as_str().unwrap_or("?"), f["name"].as_str().unwrap_or("?")))
            .or_default()
            .push(line);
    }
    let mut out = format!("objects: {}, documents: {}\n", report["summary"]["objects"], report["summary"]["documents"]);
    for (rule, lines) in groups {
        out.push_str(&format!("{rule}: {}\n{}\n", lines.len(), lines.join("\n")));
    }
    out
}

#[test]
fn real_corpus_lints_cleanly_and_matches_reviewed_findings() {
    let Some(dir) = corpus_dir() else {
        eprintln!("notice: ../shared/corpus/real is absent; skipping the real-corpus test");
        return;
    };
    let files = corpus_files(&dir);
    assert!(files.len() >= 40, "the corpus has 46 files");
    let mut total_objects = 0;
    for file in files {
        let out = run_in(&dir, &["--format", "json", &file], None);
        let code = out.status.code();
        assert!(matches!(code, Some(0 | 1)), "{file}: exit code {code:?}\n{}", String::from_utf8_lossy(&out.stderr));
        let report = json(&out);
        assert_eq!(report["errors"], Value::Array(vec![]), "{file}: parse errors: {}", report["errors"]);
        total_objects += report["summary"]["objects"].as_u64().unwrap_or(0);
        let name = file.trim_end_matches(".yaml").to_string();
        insta::assert_snapshot!(name, by_rule(&report));
    }
    assert_eq!(total_objects, 1058, "SOURCES.md counts 1058 objects in the corpus");
}

/// `--fix` on a copy of every corpus file keeps the guarantees of SPEC §5: it succeeds, a second
/// run changes nothing, no safe-fixable finding remains, the stdin pipe gives the same bytes as
/// the in-place fix, every comment line survives in order, and the only lines taken out are the
/// ones the safe fixes rewrite (CPU limits and `ndots` values).
#[test]
fn fixing_the_real_corpus_keeps_the_guarantees() {
    let Some(dir) = corpus_dir() else {
        eprintln!("notice: ../shared/corpus/real is absent; skipping the real-corpus fix test");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let files = corpus_files(&dir);
    let mut changed = 0;
    for file in files {
        let original = std::fs::read_to_string(dir.join(&file)).unwrap();
        std::fs::write(tmp.path().join(&file), &original).unwrap();
        let out = run_in(tmp.path(), &["--fix", "--format", "json", &file], None);
        assert_ne!(out.status.code(), Some(2), "{file}: --fix failed: {}", String::from_utf8_lossy(&out.stdout));
        let fixed = std::fs::read_to_string(tmp.path().join(&file)).unwrap();
        changed += usize::from(fixed != original);

        let again = run_in(tmp.path(), &["--fix", "--format", "json", &file], None);
        assert_ne!(again.status.code(), Some(2));
        assert_eq!(std::fs::read_to_string(tmp.path().join(&file)).unwrap(), fixed, "{file}: --fix is not idempotent");

        let report = json(&run_in(tmp.path(), &["--format", "json", &file], None));
        assert_eq!(report["errors"], Value::Array(vec![]), "{file}: the fixed file has errors");
        let safe_left: Vec<_> = report["findings"].as_array().unwrap().iter().filter(|f| f["fix"] == "safe").collect();
        assert!(safe_left.is_empty(), "{file}: safe-fixable findings remain: {safe_left:?}");

        let piped = run_in(tmp.path(), &["--fix", "--format", "json", "-"], Some(original.as_bytes()));
        assert_eq!(String::from_utf8(piped.stdout).unwrap(), fixed, "{file}: stdin and in-place fixes differ");

        let comments =
            |t: &str| t.lines().filter(|l| l.trim_start().starts_with('#')).map(str::to_string).collect::<Vec<_>>();
        let fixed_comments = comments(&fixed);
        let mut rest = fixed_comments.iter();
        for c in comments(&original) {
            assert!(rest.any(|f| *f == c), "{file}: the comment `{c}` was lost or moved");
        }
        // Every original line that a safe fix does not rewrite is still there, in order.
        let rewritten = |l: &str| {
            let l = l.trim();
            l.starts_with("cpu:") || l.starts_with("limits:") || l.starts_with("value:") || l.contains("ndots")
        };
        let mut rest = fixed.lines();
        for line in original.lines().filter(|l| !rewritten(l)) {
            assert!(rest.any(|f| f == line), "{file}: --fix lost or moved the line {line:?}");
        }
    }
    assert!(changed >= 30, "most corpus files have safe fixes ({changed} changed)");
}
