//! What a team needs to adopt leaselint, as ruff users expect it: concise and markdown output,
//! `--statistics`, `--quiet`, `--exit-zero`, completions, "did you mean" for a mistyped
//! subcommand, global flags on either side of a subcommand, the config found from the linted
//! path, and baselines that survive line moves.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail on a broken setup")]

mod common;

use common::{code, json, leaselint, run_in, stderr, stdout, write};
use serde_json::Value;

/// Two findings: LL006 (no ndots) and LL005 (no memory limit) on one Deployment.
const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: web}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: example/api:1
";

fn rules_of(report: &Value) -> Vec<String> {
    report["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
}

#[test]
fn concise_markdown_and_statistics() {
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("api.yaml"), DEPLOYMENT);
    let out = run_in(tmp.path(), &["--no-config", "--format", "concise", "api.yaml"], None);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("api.yaml:8:5: LL006 [warning] pod uses cluster DNS"), "{text}");
    assert!(lines[1].starts_with("api.yaml:10:11: LL005 [warning] container `api` has no memory limit"), "{text}");
    assert!(lines[2].starts_with("Found 2 findings"), "{text}");

    let out = run_in(tmp.path(), &["--no-config", "--format", "markdown", "api.yaml"], None);
    let text = stdout(&out);
    assert!(text.starts_with("## leaselint\n"), "{text}");
    assert!(text.contains("| errors | warnings | infos | fixable | input errors | files | objects |"), "{text}");
    assert!(text.contains("| LL006 ndots-default | 1 |"), "{text}");
    assert!(
        text.contains("| LL005 | warning | `api.yaml:10:11` | Deployment web/api | container `api` has no"),
        "{text}"
    );

    let out = run_in(tmp.path(), &["--no-config", "--statistics", "api.yaml"], None);
    assert_eq!(code(&out), 1, "statistics keep the exit code");
    assert_eq!(stdout(&out), "1  LL005  missing-memory-limit\n1  LL006  ndots-default  (1 fixable with --fix)\n");
    let out = run_in(tmp.path(), &["--no-config", "--statistics", "--format", "json", "api.yaml"], None);
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        rows[1],
        serde_json::json!({"code": "LL006", "name": "ndots-default", "count": 1, "fixable": 1, "unsafe_fixable": 0})
    );
    // Formats that cannot hold a count per rule are an error, never text in a SARIF file.
    for format in ["sarif", "github", "markdown"] {
        let out = run_in(tmp.path(), &["--no-config", "--statistics", "--format", format, "api.yaml"], None);
        assert_eq!(code(&out), 2, "{format}");
        assert!(stderr(&out).contains("--statistics prints text"), "{}", stderr(&out));
    }
}

#[test]
fn quiet_exit_zero_and_output_file() {
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("deploy/api.yaml"), DEPLOYMENT);
    write(&tmp.path().join("deploy/chart/Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n");
    write(&tmp.path().join("deploy/chart/templates/x.yaml"), "{{ .Values.x }}\n");
    let loud = run_in(tmp.path(), &["--no-config", "--format", "concise", "deploy"], None);
    assert!(stderr(&loud).contains("note:"), "the templates/ notice: {}", stderr(&loud));
    let out = run_in(tmp.path(), &["--no-config", "--format", "concise", "--quiet", "deploy"], None);
    assert_eq!(stderr(&out), "", "no notes with --quiet");
    assert_eq!(stdout(&out).lines().count(), 2, "findings only, no summary: {}", stdout(&out));
    let out = run_in(tmp.path(), &["--no-config", "--exit-zero", "deploy"], None);
    assert_eq!(code(&out), 0);
    // Input errors still fail.
    write(&tmp.path().join("broken.yaml"), "a: [1\n");
    let out = run_in(tmp.path(), &["--no-config", "--exit-zero", "broken.yaml"], None);
    assert_eq!(code(&out), 2);
    let out = run_in(tmp.path(), &["--no-config", "--format", "markdown", "--output-file", "r.md", "deploy"], None);
    assert_eq!(stdout(&out), "");
    assert!(std::fs::read_to_string(tmp.path().join("r.md")).unwrap().starts_with("## leaselint"));
}

#[test]
fn completions_subcommand_hints_and_global_flags() {
    for shell in ["bash", "zsh", "fish"] {
        let out = leaselint().args(["completions", shell]).output().unwrap();
        assert_eq!(code(&out), 0);
        assert!(stdout(&out).contains("leaselint"), "{shell}");
        assert!(stdout(&out).contains("statistics"), "{shell}: flags are completed");
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = run_in(tmp.path(), &["explian", "LL001"], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("did you mean `leaselint explain`?"), "{}", stderr(&out));
    // A file with that name is still linted.
    write(&tmp.path().join("explian"), DEPLOYMENT);
    let out = run_in(tmp.path(), &["--no-config", "--format", "json", "explian"], None);
    assert_eq!(rules_of(&json(&out)), ["LL006", "LL005"]);
    // Global flags before or after the subcommand.
    for args in [&["--no-config", "explain", "LL001"][..], &["explain", "LL001", "--no-config"][..]] {
        let out = run_in(tmp.path(), args, None);
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).starts_with("LL001 per-pod-lease"), "{args:?}");
    }
    // A lint flag before a subcommand is not dropped silently.
    let out = run_in(tmp.path(), &["--format", "json", "render", "."], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("put it after `render`"), "{}", stderr(&out));
    let out = run_in(tmp.path(), &["--format", "json", "rules"], None);
    assert!(stderr(&out).contains("put it after `rules`"), "rules has its own --format: {}", stderr(&out));
    let out = run_in(tmp.path(), &["--fix", "rules"], None);
    assert!(stderr(&out).contains("`rules` does not take it"), "{}", stderr(&out));
}

#[test]
fn the_config_is_found_from_the_linted_path() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    write(&repo.join(".leaselint.yaml"), "rules: {LL006: off}\n");
    write(&repo.join("deploy/api.yaml"), DEPLOYMENT);
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    for path in ["../repo/deploy", "../repo/deploy/api.yaml"] {
        let out = run_in(&elsewhere, &["--format", "json", path], None);
        assert_eq!(rules_of(&json(&out)), ["LL005"], "{path}: the repository's config turns LL006 off");
    }
    // `ignore` file globs match paths relative to the config file too, from anywhere.
    write(&repo.join(".leaselint.yaml"), "rules: {LL006: off}\nignore: [{file: \"deploy/**\", rules: [LL005]}]\n");
    for (dir, path) in [(&elsewhere, "../repo/deploy"), (&repo.join("deploy"), "."), (&repo, "deploy")] {
        let out = run_in(dir, &["--format", "json", path], None);
        assert_eq!(rules_of(&json(&out)), Vec::<String>::new(), "{path} from {}", dir.display());
    }
    write(&repo.join(".leaselint.yaml"), "rules: {LL006: off}\n");
    // Standard input uses the working directory's.
    let out = run_in(&elsewhere, &["--format", "json", "-"], Some(DEPLOYMENT.as_bytes()));
    assert_eq!(rules_of(&json(&out)), ["LL006", "LL005"]);
    let out = run_in(&repo, &["--format", "json", "-"], Some(DEPLOYMENT.as_bytes()));
    assert_eq!(rules_of(&json(&out)), ["LL005"]);
}

#[test]
fn a_baseline_hides_recorded_findings_across_line_moves() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    write(&repo.join("deploy/api.yaml"), DEPLOYMENT);
    let out = run_in(repo, &["--no-config", "--write-baseline", ".leaselint-baseline.json", "deploy"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("recorded 2 findings"), "{}", stderr(&out));
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.join(".leaselint-baseline.json")).unwrap()).unwrap();
    assert_eq!(written["version"], 1);
    assert_eq!(written["findings"][0]["file"], "deploy/api.yaml");
    assert_eq!(written["findings"][0]["path"], "spec.template.spec.containers[0]");
    assert!(written["findings"][0].get("line").is_none(), "never matched by line");

    // Lines move (a comment and a label added above); a new container adds a new finding.
    let moved = DEPLOYMENT.replace(
        "metadata: {name: api, namespace: web}",
        "# owned by the web team\nmetadata:\n  name: api\n  namespace: web\n  labels: {team: web}",
    ) + "        - name: sidecar\n          image: example/sidecar:1\n";
    write(&repo.join("deploy/api.yaml"), &moved);
    let out =
        run_in(repo, &["--no-config", "--baseline", ".leaselint-baseline.json", "--format", "json", "deploy"], None);
    let report = json(&out);
    assert_eq!(rules_of(&report), ["LL005"], "only the new container's finding");
    assert_eq!(report["findings"][0]["path"], "spec.template.spec.containers[1]");
    assert_eq!(report["summary"]["baselined"], 2);
    let out = run_in(repo, &["--no-config", "--baseline", ".leaselint-baseline.json", "deploy"], None);
    assert!(stdout(&out).contains("; 2 findings hidden by the baseline"), "{}", stdout(&out));

    // The config's `baseline` (relative to the config file), from another directory.
    write(&repo.join(".leaselint.yaml"), "baseline: .leaselint-baseline.json\n");
    let out = run_in(&repo.join("deploy"), &["--format", "json", "api.yaml"], None);
    assert_eq!(rules_of(&json(&out)), ["LL005"]);
    assert_eq!(code(&out), 1);

    // A missing or broken baseline is an error that says how to make one.
    let out = run_in(repo, &["--no-config", "--baseline", "nope.json", "deploy"], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--write-baseline nope.json"), "{}", stderr(&out));
    write(&repo.join("bad.json"), "{\"version\": 7, \"findings\": []}");
    let out = run_in(repo, &["--no-config", "--baseline", "bad.json", "deploy"], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("not a leaselint baseline"), "{}", stderr(&out));
}
