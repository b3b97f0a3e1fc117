//! `.leaselint.yaml`: discovery, every key of SPEC section 6, flags over the file, and mistakes
//! reported with file, line and column.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

mod common;

use std::path::Path;

use common::{json, run_in};
use serde_json::Value;

/// The example of SPEC section 6, as written there.
const SPEC_EXAMPLE: &str = r#"failOn: warning                 # error | warning | info
rules:                          # by code or by name
  LL005: off                    # off | error | warning | info
  ndots-default: {severity: error}
policy:
  namespaceLease: "ns-lease-{namespace}"
  deploymentLease: "{name}-lease"
  renewalInterval: 10s
  highChurnThresholdPerHour: 1
  ndots: 2
leaseCarriers:                  # replace the default lists of section 3
  nameArgs: [--lease-name, --election-id]
  namespaceArgs: [--leader-election-namespace]
  nameEnv: [LEASE_NAME, "*_LEASE_NAME"]
  namespaceEnv: [LEASE_NAMESPACE]
latencySensitive:
  inferFromServices: true
  selectors:                    # Kubernetes label selectors on pod labels
    - matchLabels: {tier: frontend}
thresholds:
  fanoutReplicas: 20
  nodes: 100
  pdbMinReplicas: 2
podTemplateKinds:               # extra kinds that carry a pod template
  - {apiVersion: argoproj.io/v1alpha1, kind: Rollout, path: spec.template}
ignore:                         # for objects you cannot annotate (third-party charts)
  - {kind: Deployment, namespace: kube-system, name: "*", rules: [LL004]}
rulesDirs: [policies/]          # user rules, section 7; relative to this file
"#;

const WORKLOADS: &str = r#"# A Rollout: a pod template through podTemplateKinds, latency-sensitive through the selector.
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: shop, namespace: web}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: shop, tier: frontend}}
    spec:
      containers:
        - name: shop
          image: shop:1
          args: ["--lease-name=$(POD_NAME)", "--lease-lock-name=$(POD_NAME)"]
          env:
            - name: POD_NAME
              valueFrom: {fieldRef: {fieldPath: metadata.name}}
          resources:
            limits: {cpu: "1"}
---
# Ignored for LL004 by the config's ignore entry (kube-system, any name).
apiVersion: apps/v1
kind: Deployment
metadata: {name: dns, namespace: kube-system, labels: {leaselint.io/latency-sensitive: "true"}}
spec:
  replicas: 1
  selector: {matchLabels: {app: dns}}
  template:
    metadata: {labels: {app: dns}}
    spec:
      dnsPolicy: Default
      containers:
        - name: dns
          image: dns:1
          resources:
            limits: {cpu: "1", memory: 128Mi}
"#;

const POLICY: &str = r#"code: ORG001
name: missing-priority-class
severity: warning
summary: Workloads must set a priority class
match:
  kinds: [Deployment, StatefulSet, Rollout]
assert:
  - path: $.spec.template.spec.priorityClassName
    exists: true
message: "`{kind}/{name}` has no priorityClassName"
"#;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// (rule, severity, path) of each finding.
fn findings(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                format!(
                    "{}/{} {}",
                    f["object"]["kind"].as_str().unwrap_or("-"),
                    f["object"]["name"].as_str().unwrap_or("-"),
                    f["path"].as_str().unwrap()
                ),
            )
        })
        .collect()
}

fn has(report: &Value, rule: &str) -> bool {
    findings(report).iter().any(|(r, ..)| r == rule)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_spec_example_is_accepted_and_its_keys_take_effect() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), ".leaselint.yaml", SPEC_EXAMPLE);
    write(tmp.path(), "policies/priority.yaml", POLICY);
    write(tmp.path(), "deploy/workloads.yaml", WORKLOADS);
    let out = run_in(tmp.path(), &["--format", "json", "deploy"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let got = findings(&json(&out));
    let expected = [
        // nameArgs replaces the defaults: --lease-name is a carrier, --lease-lock-name no longer.
        ("LL001", "error", "Rollout/shop spec.template.spec.containers[0].args[0]"),
        // The Rollout's template, latency-sensitive through `tier: frontend`.
        ("LL004", "warning", "Rollout/shop spec.template.spec.containers[0].resources.limits.cpu"),
        // ndots-default raised to error.
        ("LL006", "error", "Rollout/shop spec.template.spec"),
        // The user rule from rulesDirs.
        ("ORG001", "warning", "Rollout/shop spec.template.spec"),
        ("ORG001", "warning", "Deployment/dns spec.template.spec"),
    ];
    for (rule, severity, path) in expected {
        assert!(
            got.iter().any(|(r, s, p)| r == rule && s == severity && p == path),
            "missing {rule} {severity} {path} in {got:#?}"
        );
    }
    assert!(!got.iter().any(|(r, ..)| r == "LL005"), "LL005 is off: {got:#?}");
    assert!(!got.iter().any(|(r, _, p)| r == "LL004" && p.starts_with("Deployment/dns")), "the ignore entry: {got:#?}");
    assert_eq!(got.iter().filter(|(r, ..)| r == "LL001").count(), 1, "{got:#?}");
}

#[test]
fn the_file_is_found_upward_or_named_and_flags_override_it() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), ".leaselint.yaml", "failOn: error\nrules:\n  LL004: off\n  LL005: error\n");
    write(tmp.path(), "team/app/workloads.yaml", WORKLOADS);
    let app = tmp.path().join("team/app");
    let lint = |args: &[&str]| {
        let mut all = vec!["--format", "json"];
        all.extend(args);
        all.push("workloads.yaml");
        let out = run_in(&app, &all, None);
        (out.status.code(), json(&out))
    };

    // Found two directories up: LL004 is off; nothing at or above `error` is found.
    let (code, report) = lint(&[]);
    assert!(!has(&report, "LL004"));
    assert_eq!(code, Some(0), "failOn: error");

    // Flags win: --select over `off`, --fail-on over failOn.
    let (code, report) = lint(&["--select", "LL004"]);
    assert!(has(&report, "LL004"), "--select runs a rule the file turns off");
    assert_eq!(code, Some(0));
    assert_eq!(lint(&["--select", "LL004", "--fail-on", "warning"]).0, Some(1));

    // --no-config, and --config instead of the discovered file.
    assert!(has(&lint(&["--no-config"]).1, "LL004"));
    write(tmp.path(), "other.yaml", "rules: {LL004: error}\n");
    let (code, report) = lint(&["--config", "../../other.yaml"]);
    assert!(findings(&report).iter().any(|(r, s, _)| r == "LL004" && s == "error"), "{report}");
    assert_eq!(code, Some(1));
    let out = run_in(&app, &["--config", "missing.yaml", "workloads.yaml"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--config missing.yaml: no such file"), "{}", stderr(&out));
}

/// Runs with `config` as `.leaselint.yaml` and returns (exit code, stderr).
fn with_config(config: &str) -> (Option<i32>, String) {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), ".leaselint.yaml", config);
    write(tmp.path(), "w.yaml", WORKLOADS);
    let out = run_in(tmp.path(), &["--color", "never", "w.yaml"], None);
    (out.status.code(), stderr(&out))
}

#[test]
fn mistakes_name_the_file_line_and_column() {
    let cases = [
        ("thresholds:\n  nodez: 3\n", ".leaselint.yaml:2:3", "unknown field `nodez`"),
        ("failOn: sometimes\n", ".leaselint.yaml:1:9", "unknown variant `sometimes`"),
        ("policy:\n  ndots: two\n", ".leaselint.yaml:2:10", "invalid type"),
        ("rules:\n  LL004: off\n  LL099: warning\n", ".leaselint.yaml:3:3", "unknown rule `LL099`"),
        ("rules:\n  LL004: loud\n", ".leaselint.yaml:2:10", "unknown variant `loud`"),
        ("ignore:\n  - {kind: Pod, rules: [LL004, nope]}\n", ".leaselint.yaml:2:32", "unknown rule `nope`"),
        ("rules:\n  LL005: {severity: loud}\n", ".leaselint.yaml:2:21", "unknown variant `loud`"),
        ("rules:\n  LL005: {level: error}\n", ".leaselint.yaml:2:11", "unknown field `level`"),
        ("ignore:\n  - {name: \"[\"}\n", ".leaselint.yaml:2:12", "invalid glob"),
        ("policy:\n  renewalInterval: soon\n", ".leaselint.yaml:2:20", "not a duration"),
        ("policy:\n  namespaceLease: lease\n", ".leaselint.yaml:2:19", "must contain `{namespace}`"),
        (
            "podTemplateKinds:\n  - {apiVersion: x/v1, kind: X, path: \"spec..t\"}\n",
            ".leaselint.yaml:2:39",
            "not a path",
        ),
        (
            "latencySensitive:\n  selectors:\n    - matchExpressions: [{key: a, operator: In}]\n",
            ".leaselint.yaml:3:7",
            "invalid label selector",
        ),
        ("rulesDirs: [nowhere/]\n", ".leaselint.yaml:1:13", "no such rules directory"),
    ];
    for (config, position, message) in cases {
        let (code, err) = with_config(config);
        assert_eq!(code, Some(2), "{config}: {err}");
        assert!(err.contains(position), "{config}: expected {position} in:\n{err}");
        assert!(err.contains(message), "{config}: expected `{message}` in:\n{err}");
    }
    // Comments only: nothing set, no error.
    assert_eq!(with_config("# nothing yet\n").0, Some(1));
}

/// Rule groups (SPEC §4) wherever a rule is named: `--select`, `--ignore`, the config's `rules`
/// (a single rule's entry wins over its group's, whatever the order) and `ignore` entries.
#[test]
fn groups_select_ignore_and_configure_their_rules() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "workloads.yaml", WORKLOADS);
    let rules = |args: &[&str]| -> std::collections::BTreeSet<String> {
        let mut all = vec!["--no-config", "--format", "json", "--exit-zero"];
        all.extend(args);
        all.push("workloads.yaml");
        findings(&json(&run_in(tmp.path(), &all, None))).into_iter().map(|(r, _, _)| r).collect()
    };
    let everything = rules(&[]);
    let latency = rules(&["--select", "latency"]);
    assert!(
        !latency.is_empty() && latency.iter().all(|r| ["LL004", "LL005", "LL006"].contains(&r.as_str())),
        "{latency:?}"
    );
    let without = rules(&["--ignore", "latency"]);
    assert!(without.iter().all(|r| !latency.contains(r)) && without.len() + latency.len() == everything.len());
    let mixed = rules(&["--select", "latency,LL001"]);
    let lease_one = rules(&["--select", "LL001"]);
    assert_eq!(mixed, latency.union(&lease_one).cloned().collect(), "a group and a rule together");
    let out = run_in(tmp.path(), &["--no-config", "--select", "latencyy", "workloads.yaml"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown rule or group `latencyy`"), "{}", stderr(&out));

    assert!(latency.contains("LL004"), "{latency:?}");
    write(tmp.path(), ".leaselint.yaml", "rules:\n  LL004: warning\n  latency: off\n");
    let out = run_in(tmp.path(), &["--format", "json", "--exit-zero", "workloads.yaml"], None);
    let configured: std::collections::BTreeSet<String> = findings(&json(&out)).into_iter().map(|(r, _, _)| r).collect();
    assert_eq!(configured, without.union(&["LL004".to_string()].into()).cloned().collect(), "the rule's entry wins");
    // `leaselint rules` shows each rule's group.
    let out = run_in(tmp.path(), &["--no-config", "rules", "--format", "json"], None);
    let listed = json(&out);
    let groups: Vec<&str> = listed["rules"].as_array().unwrap().iter().map(|r| r["group"].as_str().unwrap()).collect();
    assert!(
        groups.iter().all(|g| ["lease", "latency", "disruption", "control-plane", "yaml", "rollout"].contains(g)),
        "{groups:?}"
    );
}
