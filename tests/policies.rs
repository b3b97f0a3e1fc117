//! User rules (SPEC section 7): the shipped `examples/policies/`, how assertions locate their
//! findings, and broken rule files reported with file, line and column.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

mod common;

use std::path::Path;

use common::{concise, json, repo, run_in};
use serde_json::Value;

fn policies() -> std::path::PathBuf {
    repo().join("examples/policies")
}

fn policy_files() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(policies())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_example_policy_fires_on_its_failing_example_and_not_on_its_passing_one() {
    let files = policy_files();
    assert!(files.len() >= 5, "examples/policies/ ships a handful of rules");
    let dir = policies();
    let dir = dir.to_str().unwrap();
    for file in files {
        let meta: Value = yaml_serde::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let code = meta["code"].as_str().unwrap();
        for (which, must_fire) in [("fail", true), ("pass", false)] {
            let example = meta["examples"][which].as_str().unwrap();
            let args = ["--no-config", "--rules-dir", dir, "--select", code, "--format", "json", "-"];
            let report = json(&run_in(&repo(), &args, Some(example.as_bytes())));
            assert_eq!(report["errors"], Value::Array(vec![]), "{code} {which}");
            let fired = report["findings"].as_array().unwrap().iter().any(|f| f["rule"] == code);
            assert_eq!(fired, must_fire, "{code}: {which} example\n{}", concise(&report));
        }
    }
}

#[test]
fn rules_and_explain_include_user_rules() {
    let dir = policies();
    let out = run_in(&repo(), &["rules", "--format", "json", "--rules-dir", dir.to_str().unwrap()], None);
    assert!(out.status.success());
    let rules = json(&out)["rules"].as_array().cloned().unwrap();
    let org = rules.iter().find(|r| r["code"] == "ORG001").expect("ORG001 listed");
    assert_eq!(org["name"], "missing-priority-class");
    assert!(org["origin"].as_str().unwrap().ends_with("ORG001-missing-priority-class.yaml"));
    let builtin = rules.iter().find(|r| r["code"] == "LL004").unwrap();
    assert!(builtin["help_uri"].as_str().unwrap().ends_with("docs/rules.md#ll004-cpu-limit-on-latency-sensitive"));

    let out = run_in(&repo(), &["explain", "unapproved-registry", "--rules-dir", dir.to_str().unwrap()], None);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("ORG002 unapproved-registry (error, fix: none)"), "{text}");
    assert!(text.contains("Failing example") && text.contains("Defined in"), "{text}");
}

const MANIFESTS: &str = r#"apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api, namespace: web}
    spec:
      selector: {matchLabels: {app: api}}
      template:
        metadata: {labels: {app: api}}
        spec:
          containers:
            - name: api
              image: registry.example.com/api:1
            - name: proxy
              image: envoyproxy/envoy:v1.31  # leaselint: ignore[unapproved-registry]
            - name: debug
              image: busybox
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: worker, namespace: kube-system}
    spec:
      selector: {matchLabels: {app: worker}}
      template:
        metadata: {labels: {app: worker}}
        spec:
          hostNetwork: true
          priorityClassName: system-node-critical
          containers: [{name: w, image: registry.example.com/w:1}]
"#;

#[test]
fn findings_are_located_at_the_node_or_its_deepest_parent_on_list_items() {
    let dir = policies();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("list.yaml"), MANIFESTS).unwrap();
    std::fs::write(tmp.path().join(".leaselint.yaml"), "rules:\n  ORG001: error\n").unwrap();
    let args =
        ["--rules-dir", dir.to_str().unwrap(), "--select", "ORG001,ORG002,ORG005", "--format", "json", "list.yaml"];
    let report = json(&run_in(tmp.path(), &args, None));
    let got: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{}:{} {} {} {}", f["line"], f["column"], f["rule"], f["severity"], f["path"]))
        .collect();
    assert_eq!(
        got,
        [
            // Missing priorityClassName: the mapping it belongs in, labelled at its key.
            "11:9 \"ORG001\" \"error\" \"spec.template.spec\"",
            // The offending image; the envoy image is suppressed by its comment (by name).
            "18:22 \"ORG002\" \"error\" \"spec.template.spec.containers[2].image\"",
        ],
        "kube-system is excluded from ORG005 by `!kube-system`"
    );
}

/// Loads `rule` from a rules directory; returns (exit code, stderr).
fn load(rule: &str) -> (Option<i32>, String) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("rules")).unwrap();
    std::fs::write(tmp.path().join("rules/bad.yaml"), rule).unwrap();
    std::fs::write(tmp.path().join("m.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n").unwrap();
    let out = run_in(tmp.path(), &["--no-config", "--color", "never", "--rules-dir", "rules", "m.yaml"], None);
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

const GOOD_HEAD: &str = "code: ORG100\nname: x\nseverity: warning\nsummary: s\nmatch: {kinds: [ConfigMap]}\n";

#[test]
fn broken_rule_files_are_errors_with_file_line_and_column() {
    let cases: Vec<(String, &str, &str)> = vec![
        (
            format!("{GOOD_HEAD}assert:\n  - path: $.data\n    greaterThan: 3\n"),
            "rules/bad.yaml:8:5",
            "unknown field `greaterThan`",
        ),
        (
            format!("{GOOD_HEAD}assert:\n  - path: $.data[\n    exists: true\n"),
            "rules/bad.yaml:7:11",
            "is not a JSONPath",
        ),
        (
            format!("{GOOD_HEAD}assert:\n  - path: $.data.x\n    matches: '('\n"),
            "rules/bad.yaml:8:14",
            "not a regular expression",
        ),
        (
            format!("{GOOD_HEAD}assert:\n  - path: $.data.x\n    lessOrEqual: lots\n"),
            "rules/bad.yaml:8:18",
            "number or a quantity",
        ),
        (format!("{GOOD_HEAD}assert:\n  - path: $.data.x\n"), "rules/bad.yaml:7:5", "needs an operator"),
        (format!("{GOOD_HEAD}assert: []\n"), "rules/bad.yaml:6:9", "at least one assertion"),
        (
            format!("{GOOD_HEAD}assert: [{{path: $.a, exists: true}}]\nmessage: \"{{kind}} {{oops}}\"\n"),
            "rules/bad.yaml:7:10",
            "unknown placeholder `{oops}`",
        ),
        (
            GOOD_HEAD.replace("ORG100", "LL100") + "assert: [{path: $.a, exists: true}]\n",
            "rules/bad.yaml:1:7",
            "cannot be a user rule code",
        ),
        (
            GOOD_HEAD.replace("name: x", "name: Bad Name") + "assert: [{path: $.a, exists: true}]\n",
            "rules/bad.yaml:2:7",
            "kebab-case",
        ),
        (
            GOOD_HEAD.replace("severity: warning", "severity: loud") + "assert: [{path: $.a, exists: true}]\n",
            "rules/bad.yaml:3:11",
            "unknown variant `loud`",
        ),
        (
            "code: ORG100\nname: x\n  severity: warning\n".to_string(),
            "rules/bad.yaml:3:11",
            "mapping values are not allowed",
        ),
        (
            GOOD_HEAD.replace("ORG100", "ORG100\nfix: safe") + "assert: [{path: $.a, exists: true}]\n",
            "rules/bad.yaml:2:1",
            "unknown field `fix`",
        ),
    ];
    for (rule, position, message) in cases {
        let (code, err) = load(&rule);
        assert_eq!(code, Some(2), "{rule}\n{err}");
        assert!(err.contains(position), "expected {position} for:\n{rule}\n{err}");
        assert!(err.contains(message), "expected `{message}` for:\n{rule}\n{err}");
    }
    // A second document in the same file is located in that document.
    let two = format!(
        "{GOOD_HEAD}assert: [{{path: $.a, exists: true}}]\n---\n{}assert: []\n",
        GOOD_HEAD.replace("ORG100", "ORG101")
    );
    let (code, err) = load(&two);
    assert_eq!(code, Some(2));
    assert!(err.contains("rules/bad.yaml:13:9"), "{err}");
}

#[test]
fn user_rule_codes_and_names_must_be_unique() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rules");
    std::fs::create_dir(&dir).unwrap();
    let rule = format!("{GOOD_HEAD}assert: [{{path: $.a, exists: true}}]\n");
    std::fs::write(dir.join("a.yaml"), &rule).unwrap();
    std::fs::write(dir.join("b.yaml"), rule.replace("name: x", "name: y")).unwrap();
    std::fs::write(tmp.path().join("m.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n").unwrap();
    let out = run_in(Path::new(tmp.path()), &["--no-config", "--rules-dir", "rules", "m.yaml"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rules/b.yaml: rule code `ORG100` is already used"), "{err}");
}
