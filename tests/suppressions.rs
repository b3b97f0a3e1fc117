//! Suppressions (SPEC section 4): the `leaselint.io/ignore` annotation on an object or its pod
//! template, `# leaselint: ignore[..]` comments, config `ignore` entries, and how they interact
//! with `--fix` and LL011.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

mod common;

use common::{json, run_in};

/// A Deployment that triggers LL005 (no memory limit) and LL006 (ndots), in namespace `ns`.
fn deployment(name: &str, ns: &str, annotations: &str, template_annotations: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\n  annotations: {{{annotations}}}\n\
         spec:\n  replicas: 1\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata:\n      \
         labels: {{app: {name}}}\n      annotations: {{{template_annotations}}}\n    spec:\n      containers:\n        \
         - name: c\n          image: c:1\n"
    )
}

/// (object name, rule) of each finding.
fn lint(dir: &std::path::Path, file: &str, extra: &[&str]) -> Vec<(String, String)> {
    let mut args = vec!["--format", "json", "--select", "LL005,LL006,LL011"];
    args.extend(extra);
    args.push(file);
    let report = json(&run_in(dir, &args, None));
    assert_eq!(report["errors"], serde_json::json!([]));
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["object"]["name"].as_str().unwrap_or("-").to_string(), f["rule"].as_str().unwrap().to_string()))
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(a, b)| ((*a).to_string(), (*b).to_string())).collect()
}

#[test]
fn annotations_on_the_object_or_its_pod_template_suppress_by_code_or_name() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = [
        deployment("plain", "web", "", ""),
        deployment("by-code", "web", "leaselint.io/ignore: \"LL005\"", ""),
        deployment(
            "by-name",
            "web",
            "leaselint.io/ignore: \"missing-memory-limit, ndots-default\", leaselint.io/ignore-reason: \"batch\"",
            "",
        ),
        deployment("on-template", "web", "", "leaselint.io/ignore: LL006"),
        deployment("everything", "web", "leaselint.io/ignore: \"*\"", ""),
    ];
    std::fs::write(tmp.path().join("d.yaml"), docs.join("---\n")).unwrap();
    let got = lint(tmp.path(), "d.yaml", &["--no-config"]);
    assert_eq!(got, pairs(&[("plain", "LL006"), ("plain", "LL005"), ("by-code", "LL006"), ("on-template", "LL005"),]));
}

#[test]
fn config_ignore_entries_match_kind_namespace_name_and_file_globs() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = [
        deployment("coredns", "kube-system", "", ""),
        deployment("api", "web", "", ""),
        deployment("api-canary", "web", "", ""),
    ];
    std::fs::create_dir(tmp.path().join("vendor")).unwrap();
    std::fs::write(tmp.path().join("d.yaml"), docs.join("---\n")).unwrap();
    std::fs::write(tmp.path().join("vendor/v.yaml"), deployment("vendored", "tools", "", "")).unwrap();
    std::fs::write(
        tmp.path().join(".leaselint.yaml"),
        "ignore:\n  - {kind: Deployment, namespace: kube-system, name: \"*\"}\n  \
         - {namespace: web, name: \"*-canary\", rules: [LL006]}\n  - {file: \"vendor/**\", rules: [missing-memory-limit]}\n",
    )
    .unwrap();
    let got = lint(tmp.path(), ".", &[]);
    assert_eq!(got, pairs(&[("api", "LL006"), ("api", "LL005"), ("api-canary", "LL005"), ("vendored", "LL006"),]));
}

const COMMENTED: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:  # leaselint: ignore[ndots-default]
      containers:
        # leaselint: ignore[LL005] -- memory bounded by the LimitRange
        - name: c
          image: c:1
        - name: d  # leaselint: ignore[LL006]
          image: d:1
"#;

#[test]
fn comments_suppress_on_their_line_or_the_next_and_fix_leaves_suppressed_findings_alone() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("c.yaml"), COMMENTED).unwrap();
    let got = lint(tmp.path(), "c.yaml", &["--no-config"]);
    // Container d's LL005 is reported (its comment names LL006, which it does not silence:
    // LL011 reports it); container c's LL005 and the pod's LL006 are silenced.
    assert_eq!(got, pairs(&[("api", "LL005"), ("-", "LL011")]));

    // --fix applies no fix to a suppressed finding: the ndots fix would add dnsConfig.
    let out = run_in(tmp.path(), &["--no-config", "--fix", "--select", "LL006", "c.yaml"], None);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(tmp.path().join("c.yaml")).unwrap(), COMMENTED);
}
