//! The faults of issue 9, each as the small input it was found with, through the real binary:
//! a fix changes nothing but what it declares, lint advertises what `--fix` does, reports tell
//! what happened on disk, and pipes carry the stream and nothing else.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

mod common;

use std::path::Path;

use serde_json::Value;

use common::{json, run_in};

/// Writes `text` to `dir/name`, runs `--fix` (with `extra` flags) on it, and returns the fixed
/// text and the JSON report.
fn fix_file(dir: &Path, name: &str, text: &str, extra: &[&str]) -> (String, Value) {
    std::fs::write(dir.join(name), text).unwrap();
    let mut args = vec!["--no-config", "--fix", "--format", "json"];
    args.extend_from_slice(extra);
    args.push(name);
    let out = run_in(dir, &args, None);
    let report = json(&out);
    (std::fs::read_to_string(dir.join(name)).unwrap(), report)
}

/// The JSON report of a plain lint.
fn lint(dir: &Path, name: &str, text: &str, extra: &[&str]) -> Value {
    std::fs::write(dir.join(name), text).unwrap();
    let mut args = vec!["--no-config", "--format", "json"];
    args.extend_from_slice(extra);
    args.push(name);
    json(&run_in(dir, &args, None))
}

/// Every document of a YAML stream as JSON values (documents without content left out).
fn data(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for doc in text.split("\n---\n") {
        let v: Option<Value> = yaml_serde::from_str(doc).unwrap_or_else(|e| panic!("does not parse: {e}\n{doc}"));
        out.extend(v.filter(|v| !v.is_null()));
    }
    out
}

fn findings<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == rule).collect()
}

const LEASE: &str = "apiVersion: coordination.k8s.io/v1\nkind: Lease\n";

fn lease(name: &str, indent: &str) -> String {
    let body = format!(
        "{LEASE}metadata:\n  name: {name}\n  namespace: edge\nspec:\n  holderIdentity: {name}\n  leaseDurationSeconds: 15\n"
    );
    body.lines().map(|l| format!("{indent}{l}\n")).collect()
}

fn list(items: &[String]) -> String {
    let mut out = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for item in items {
        let mut lines = item.lines();
        out.push_str(&format!("  - {}\n", lines.next().unwrap().trim_start()));
        for l in lines {
            out.push_str(&format!("    {}\n", l.strip_prefix("  ").unwrap_or(l).trim_end()));
        }
    }
    out
}

const CONFIGMAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: relay-config\n  namespace: edge\ndata:\n  mode: fast\n";

/// Fault 1: a group member inside a `List` is removed from the `List`, never the `List`, in any
/// order of documents, and a `List` holding two members is fixed too.
#[test]
fn per_pod_lease_groups_remove_list_items_not_lists() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let indented = |name: &str| lease(name, "  ");
    let cases = [
        format!("{}---\n{}", lease("relay-0", ""), list(&[indented("relay-1"), CONFIGMAP.into(), indented("relay-2")])),
        format!("{}---\n{}", list(&[indented("relay-1"), CONFIGMAP.into(), indented("relay-2")]), lease("relay-0", "")),
        list(&[indented("relay-1"), indented("relay-2"), CONFIGMAP.into()]),
    ];
    for (i, text) in cases.iter().enumerate() {
        let before = lint(d, "l.yaml", text, &[]);
        let group = findings(&before, "LL001");
        assert!(group.len() >= 2, "case {i}: {before}");
        assert!(group.iter().all(|f| f["fix"] == "unsafe" && f["fix_refused"].is_null()), "case {i}: {before}");
        let (fixed, report) = fix_file(d, "l.yaml", text, &["--unsafe-fixes"]);
        assert_eq!(report["summary"]["fixed"].as_u64().unwrap() as usize, group.len(), "case {i}: {report}");
        let docs = data(&fixed);
        let all = serde_json::to_string(&docs).unwrap();
        assert!(all.contains("relay-config"), "case {i}: the ConfigMap is kept:\n{fixed}");
        assert!(all.contains("ns-lease-edge"), "case {i}: one namespace lease:\n{fixed}");
        assert!(!all.contains("relay-1") && !all.contains("relay-2"), "case {i}: members removed:\n{fixed}");
        assert!(docs.iter().any(|d| d["kind"] == "List"), "case {i}: the List stays:\n{fixed}");
    }
}

/// Fault 2: an insertion after a keep-chomping block scalar (`|+`, `>+`) keeps its kept lines.
#[test]
fn insertions_keep_the_kept_lines_of_block_scalars() {
    let dir = tempfile::tempdir().unwrap();
    for indicator in ["|+", ">+", "|2+"] {
        let text = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: web\nspec:\n  containers:\n    - name: c\n      image: x\n      args:\n        - {indicator}\n          keep these\n\n\n"
        );
        let (fixed, report) = fix_file(dir.path(), "p.yaml", &text, &["--select", "LL006"]);
        assert_eq!(report["summary"]["fixed"], 1, "{indicator}: {report}");
        let before = &data(&text)[0]["spec"]["containers"][0]["args"][0];
        let after = &data(&fixed)[0];
        assert_eq!(&after["spec"]["containers"][0]["args"][0], before, "{indicator}: the value changed:\n{fixed}");
        assert_eq!(after["spec"]["dnsConfig"]["options"][0]["value"], "2", "{indicator}:\n{fixed}");
    }
}

/// Fault 2, second member: the `POD_NAMESPACE` env insertion of LL001 (a) after a `|+` scalar.
#[test]
fn env_insertion_after_a_kept_block_scalar() {
    let dir = tempfile::tempdir().unwrap();
    // The lease name is a pod of the StatefulSet itself (`ctl-0`): the container has no `env`,
    // so the fix inserts one after the `|+` scalar that ends the container.
    let text = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: ctl\n  namespace: ops\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: ctl}\n  template:\n    metadata:\n      labels: {app: ctl}\n    spec:\n      containers:\n        - name: c\n          image: x\n          args:\n            - --lease-name=ctl-0\n            - |+\n              kept\n\n";
    let (fixed, report) = fix_file(dir.path(), "d.yaml", text, &["--select", "LL001", "--unsafe-fixes"]);
    assert_eq!(report["summary"]["fixed"], 1, "{report}\n{fixed}");
    let before = &data(text)[0]["spec"]["template"]["spec"]["containers"][0]["args"][1];
    let after = &data(&fixed)[0]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(&after["args"][1], before, "{fixed}");
    assert_eq!(after["env"][0]["name"], "POD_NAMESPACE", "{fixed}");
}

/// Fault 3: a node shared through an anchor is not edited; lint and `--fix` both say why.
#[test]
fn a_fix_through_an_anchor_is_refused_with_the_other_object() {
    let dir = tempfile::tempdir().unwrap();
    let text = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: api\n      namespace: web\n      annotations: {leaselint.io/latency-sensitive: \"true\"}\n    spec:\n      selector:\n        matchLabels: {app: api}\n      template:\n        metadata:\n          labels: {app: api}\n        spec:\n          containers:\n            - name: api\n              image: x\n              resources: &res\n                requests: {cpu: 200m, memory: 1Gi}\n                limits: {cpu: 400m, memory: 1Gi}\n  - apiVersion: batch/v1\n    kind: Job\n    metadata:\n      name: reindex\n      namespace: web\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n            - name: reindex\n              image: x\n              resources: *res\n";
    let report = lint(dir.path(), "a.yaml", text, &["--select", "LL004"]);
    let f = findings(&report, "LL004");
    assert_eq!(f.len(), 1, "{report}");
    let why = f[0]["fix_refused"].as_str().unwrap_or_default();
    assert!(why.contains("anchor `&res`") && why.contains("Job `reindex`"), "{why}");
    assert_eq!(report["summary"]["fixable"], 0);
    let (fixed, report) = fix_file(dir.path(), "a.yaml", text, &["--select", "LL004"]);
    assert_eq!(fixed, text, "nothing is edited");
    assert_eq!(report["summary"]["fixed"], 0);
}

const JSON_DEPLOYMENT: &str = r#"{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {
    "name": "api",
    "namespace": "web"
  },
  "spec": {
    "replicas": 3,
    "selector": {
      "matchLabels": {
        "app": "api"
      }
    },
    "template": {
      "metadata": {
        "labels": {
          "app": "api"
        }
      },
      "spec": {
        "containers": [
          {
            "name": "api",
            "image": "example/api:1"
          }
        ]
      }
    }
  }
}
"#;

/// Fault 4: a `.json` file stays JSON: edits in JSON syntax, the PodDisruptionBudget refused
/// (no second object in a JSON file), except in a JSON `List`, where it becomes an item.
#[test]
fn json_files_stay_json() {
    let dir = tempfile::tempdir().unwrap();
    let report = lint(dir.path(), "app.json", JSON_DEPLOYMENT, &[]);
    let pdb = findings(&report, "LL007");
    assert!(pdb[0]["fix_refused"].as_str().unwrap_or_default().contains("JSON"), "{report}");
    let (fixed, report) = fix_file(dir.path(), "app.json", JSON_DEPLOYMENT, &[]);
    let v: Value = serde_json::from_str(&fixed).unwrap_or_else(|e| panic!("not JSON ({e}):\n{fixed}"));
    assert_eq!(v["spec"]["template"]["spec"]["dnsConfig"]["options"][0]["value"], "2", "{fixed}");
    assert_eq!(report["summary"]["fixed"], 1, "{report}");
    assert!(fixed.contains("\n        \"dnsConfig\": {\n"), "pretty-printed like its neighbours:\n{fixed}");

    let items: String = JSON_DEPLOYMENT.lines().map(|l| format!("    {l}\n")).collect();
    let json_list = format!(
        "{{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [\n{}  ]\n}}\n",
        items.trim_start()
    );
    serde_json::from_str::<Value>(&json_list).unwrap();
    let (fixed, report) = fix_file(dir.path(), "list.json", &json_list, &[]);
    let v: Value = serde_json::from_str(&fixed).unwrap_or_else(|e| panic!("not JSON ({e}):\n{fixed}"));
    assert_eq!(v["items"][1]["kind"], "PodDisruptionBudget", "{fixed}");
    assert_eq!(v["items"][1]["spec"]["selector"]["matchLabels"]["app"], "api", "{fixed}");
    assert_eq!(report["summary"]["fixed"], 2, "{report}");
}

/// The rollout rules' unsafe fixes write JSON in a `.json` file too: a `Recreate` strategy
/// switched to `RollingUpdate`, `minReadySeconds`, a spread constraint, a probe's
/// `failureThreshold` and an HPA's window, all in one JSON `List`.
#[test]
fn rollout_fixes_keep_json_json() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"{
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {
      "apiVersion": "apps/v1",
      "kind": "Deployment",
      "metadata": {"name": "api", "namespace": "web"},
      "spec": {
        "replicas": 4,
        "strategy": {"type": "Recreate"},
        "selector": {"matchLabels": {"app": "api"}},
        "template": {
          "metadata": {"labels": {"app": "api"}},
          "spec": {
            "containers": [
              {"name": "api", "image": "api:1.4",
               "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5}}
            ]
          }
        }
      }
    },
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "web"},
     "spec": {"selector": {"app": "api"}}},
    {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "api", "namespace": "web"},
     "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}, "minReplicas": 4,
              "maxReplicas": 8, "behavior": {"scaleDown": {"stabilizationWindowSeconds": 10}}}}
  ]
}
"#;
    let (fixed, report) = fix_file(dir.path(), "list.json", text, &["--select", "rollout", "--unsafe-fixes"]);
    let v: Value = serde_json::from_str(&fixed).unwrap_or_else(|e| panic!("not JSON ({e}):\n{fixed}"));
    assert_eq!(report["summary"]["fixed"], 5, "{report}");
    let spec = &v["items"][0]["spec"];
    assert_eq!(spec["strategy"]["type"], "RollingUpdate", "{fixed}");
    assert_eq!(spec["strategy"]["rollingUpdate"]["maxUnavailable"], 0, "{fixed}");
    assert_eq!(spec["minReadySeconds"], 30, "{fixed}");
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["containers"][0]["readinessProbe"]["failureThreshold"], 12, "{fixed}");
    assert_eq!(pod["topologySpreadConstraints"][0]["labelSelector"]["matchLabels"]["app"], "api", "{fixed}");
    assert_eq!(v["items"][2]["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"], 300, "{fixed}");
    let again = lint(dir.path(), "list.json", &fixed, &["--select", "rollout"]);
    assert_eq!(again["findings"], Value::Array(vec![]), "{again}");
}

/// Fault 5: a comment on a line a fix removes stays, on a line of its own.
#[test]
fn comments_of_removed_lines_stay() {
    let dir = tempfile::tempdir().unwrap();
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: web\n  annotations: {leaselint.io/latency-sensitive: \"true\"}\nspec:\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      containers:\n        - name: api\n          image: x\n          resources:\n            requests:\n              cpu: 300m\n              memory: 1Gi\n            limits:\n              cpu: 600m  # agreed with the capacity team\n              memory: 2Gi\n";
    let (fixed, report) = fix_file(dir.path(), "c.yaml", text, &["--select", "LL004"]);
    assert_eq!(report["summary"]["fixed"], 1, "{report}");
    assert!(fixed.contains("\n              # agreed with the capacity team\n"), "{fixed}");
    assert!(!fixed.contains("cpu: 600m"), "{fixed}");
}

/// Fault 6: in a pipe, stdout carries the stream and nothing else, whatever fails.
#[test]
fn pipes_carry_the_stream_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01";
    for format in ["human", "json"] {
        let out = run_in(dir.path(), &["--no-config", "--fix", "--format", format], Some(png));
        assert_eq!(out.stdout, png, "{format}: binary input is repeated byte for byte");
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("binary"), "{format}: the error is on stderr");

        let out = run_in(dir.path(), &["--no-config", "--fix", "--format", format], Some(b""));
        assert!(out.stdout.is_empty(), "{format}: empty stdin gives an empty stream");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("the command before the pipe may have failed"), "{format}: {err}");

        let latin1 = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n";
        let out = run_in(dir.path(), &["--no-config", "--fix", "--format", format], Some(latin1));
        assert_eq!(out.stdout, latin1, "{format}: invalid UTF-8 is repeated byte for byte");
        assert_eq!(out.status.code(), Some(2));
    }
}

/// Fault 7: lint runs the checks `--fix` runs, and counts as fixable only what it then fixes.
#[test]
fn lint_reports_the_fixes_fix_would_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ctl\n  namespace: ops\nspec:\n  selector:\n    matchLabels: {app: ctl}\n  template:\n    metadata:\n      labels: {app: ctl}\n    spec:\n      dnsConfig: {options: [{name: ndots, value: \"2\"}]}\n      containers:\n        - name: c\n          image: x\n          resources: {limits: {memory: 1Gi}}\n          env:\n            - name: LEASE_NAMESPACE\n              value: kube-system\n            - name: POD_NAMESPACE\n              valueFrom: {fieldRef: {fieldPath: metadata.namespace}}\n";
    let report = lint(dir.path(), "e.yaml", text, &[]);
    let f = findings(&report, "LL002");
    assert_eq!(f.len(), 1, "{report}");
    assert!(f[0]["fix_refused"].as_str().unwrap_or_default().contains("defined after"), "{report}");
    assert_eq!(report["summary"]["fixable"], 0, "{report}");
    let (fixed, report) = fix_file(dir.path(), "e.yaml", text, &["--unsafe-fixes"]);
    assert_eq!(report["summary"]["fixed"], 0);
    assert_eq!(fixed, text);

    // Findings in a file with a parse error: refused, not fixable.
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: x}]\n";
    let broken = format!("{pod}---\nkey: [unclosed\n");
    let report = lint(dir.path(), "b.yaml", &broken, &[]);
    assert_eq!(report["summary"]["fixable"], 0, "{report}");
    let f = findings(&report, "LL006");
    assert!(f[0]["fix_refused"].as_str().unwrap_or_default().contains("b.yaml does not parse (line 7"), "{report}");
}

/// Fault 8: a file that could not be written counts nothing as fixed and is reported as it is
/// on disk; `--diff` reports the remaining findings at their lines on disk and `would_fix`.
#[test]
fn reports_tell_what_happened_on_disk() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = std::fs::read_to_string(common::repo().join("fixtures/LL006-ndots-default/fail.yaml")).unwrap();
    std::fs::write(d.join("ro.yaml"), &text).unwrap();
    std::fs::set_permissions(d.join("ro.yaml"), std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = run_in(d, &["--no-config", "--fix", "--select", "LL006", "--format", "json", "ro.yaml"], None);
    assert_eq!(out.status.code(), Some(2));
    let report = json(&out);
    assert_eq!(report["summary"]["fixed"], 0, "{report}");
    let before = lint(d, "copy.yaml", &text, &["--select", "LL006"]);
    assert_eq!(report["findings"].as_array().unwrap().len(), before["findings"].as_array().unwrap().len());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("Fixed 5"), "{stderr}");
    assert!(report["errors"].to_string().contains("read-only"), "{report}");
    assert_eq!(std::fs::read_to_string(d.join("ro.yaml")).unwrap(), text);

    // --diff: a duplicate key after a fixable finding stays where it is on disk.
    let dup = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: x\n  hostname: a\n  hostname: b\n";
    std::fs::write(d.join("dup.yaml"), dup).unwrap();
    let out = run_in(d, &["--no-config", "--diff", "--select", "LL006,LL010", "--format", "json", "dup.yaml"], None);
    let report: Value = serde_json::from_slice(&out.stderr).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    let ll010 = findings(&report, "LL010");
    assert_eq!(ll010[0]["line"], 10, "the line on disk, not in the fixed text: {report}");
    assert_eq!(report["summary"]["would_fix"], 1);
    assert_eq!(report["summary"]["fixed"], 0);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("--- a/dup.yaml"), "the diff alone is on stdout");
    assert_eq!(std::fs::read_to_string(d.join("dup.yaml")).unwrap(), dup);
}

/// Fault 9: an empty file is not an error (an empty values file of a chart either); empty
/// stdin is.
#[test]
fn empty_files_are_fine_and_empty_stdin_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("chart")).unwrap();
    std::fs::write(d.join("chart/Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n").unwrap();
    std::fs::write(d.join("chart/values-prod.yaml"), "").unwrap();
    std::fs::write(d.join("empty.yaml"), "").unwrap();
    std::fs::write(d.join("comments.yaml"), "# nothing yet\n---\n").unwrap();
    let out = run_in(d, &["--no-config", "--format", "json", "--select", "LL006", "."], None);
    let report = json(&out);
    assert_eq!(report["errors"], Value::Array(vec![]), "{report}");
    assert_eq!(out.status.code(), Some(0), "{report}");
    let out = run_in(d, &["--no-config", "--format", "json", "-"], Some(b"\n  \n"));
    assert_eq!(out.status.code(), Some(2));
    let report = json(&out);
    assert!(report["errors"].to_string().contains("the command before the pipe may have failed"), "{report}");
}

/// `fixes: {safe: [LL001]}` makes LL001's fixes safe for a team that adopted the policy.
#[test]
fn config_promotes_a_rules_fixes_to_safe() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = format!("{}---\n{}", lease("relay-0", ""), lease("relay-1", ""));
    std::fs::write(d.join(".leaselint.yaml"), "fixes:\n  safe: [per-pod-lease]\n").unwrap();
    std::fs::write(d.join("l.yaml"), &text).unwrap();
    let out = run_in(d, &["--fix", "--format", "json", "l.yaml"], None);
    assert_eq!(json(&out)["summary"]["fixed"], 2, "{}", String::from_utf8_lossy(&out.stdout));
    std::fs::write(d.join(".leaselint.yaml"), "fixes:\n  safe: [LL001]\n  unsafe: [LL001]\n").unwrap();
    let out = run_in(d, &["l.yaml"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("both safe and unsafe"));
}

/// LL002 (a) is refused when the run's RBAC grants lease access only in the literal namespace
/// (cert-manager's chart), and LL004 in a namespace whose ResourceQuota constrains `limits.cpu`.
#[test]
fn rule_level_refusals_name_the_objects_behind_them() {
    let dir = tempfile::tempdir().unwrap();
    let rbac = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cert-manager, namespace: certs}\nspec:\n  selector: {matchLabels: {app: cm}}\n  template:\n    metadata: {labels: {app: cm}}\n    spec:\n      serviceAccountName: cert-manager\n      dnsConfig: {options: [{name: ndots, value: \"2\"}]}\n      containers:\n        - name: c\n          image: x\n          resources: {limits: {memory: 1Gi}}\n          args: [--leader-election-namespace=kube-system]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: \"cert-manager:leaderelection\", namespace: kube-system}\nrules:\n  - {apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, create, update]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: \"cert-manager:leaderelection\", namespace: kube-system}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: \"cert-manager:leaderelection\"}\nsubjects:\n  - {kind: ServiceAccount, name: cert-manager, namespace: certs}\n";
    let report = lint(dir.path(), "r.yaml", rbac, &["--select", "LL002"]);
    let why = findings(&report, "LL002")[0]["fix_refused"].as_str().unwrap_or_default().to_string();
    assert!(why.contains("Role `cert-manager:leaderelection`") && why.contains("RoleBinding"), "{why}");

    let quota = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: web\n  annotations: {leaselint.io/latency-sensitive: \"true\"}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers:\n        - name: api\n          image: x\n          resources: {requests: {cpu: 100m}, limits: {cpu: 500m, memory: 1Gi}}\n---\napiVersion: v1\nkind: ResourceQuota\nmetadata: {name: compute, namespace: web}\nspec:\n  hard: {limits.cpu: \"20\"}\n";
    let report = lint(dir.path(), "q.yaml", quota, &["--select", "LL004"]);
    let why = findings(&report, "LL004")[0]["fix_refused"].as_str().unwrap_or_default().to_string();
    assert!(why.contains("ResourceQuota `compute`"), "{why}");
    let limit_range = quota.replace(
        "kind: ResourceQuota\nmetadata: {name: compute, namespace: web}\nspec:\n  hard: {limits.cpu: \"20\"}\n",
        "kind: LimitRange\nmetadata: {name: defaults, namespace: web}\nspec:\n  limits: [{type: Container, default: {cpu: 500m}}]\n",
    );
    let report = lint(dir.path(), "lr.yaml", &limit_range, &["--select", "LL004"]);
    let f = findings(&report, "LL004");
    assert!(f[0]["message"].as_str().unwrap_or_default().contains("LimitRange `defaults`"), "{report}");
    assert!(f[0]["fix_refused"].as_str().unwrap_or_default().contains("LimitRange `defaults`"), "{report}");
}

/// Review findings: lint's fixable count is what `--fix` then fixes, on inputs where the edit or
/// its check once went wrong: a removal or insertion next to a block scalar ending in a line of
/// spaces, values copied from a `!!str` tag or a multi-line quoted scalar, and two list items
/// with one name (one of them already failing the type check: `image: y` is a YAML 1.1 bool).
#[test]
fn lint_counts_what_fix_fixes_on_review_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let pod = |name: &str, image: &str, indent: &str| -> String {
        let body = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: c\n    image: {image}\n    resources:\n      limits:\n        memory: 1Gi\n"
        );
        body.lines().map(|l| format!("{indent}{l}\n")).collect()
    };
    let items = |a: &str, b: &str| list(&[pod("p", a, "  "), pod("p", b, "  ")]);
    let deployment = |selector: &str, label: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app: {selector}\n  template:\n    metadata:\n      labels:\n        app: {label}\n    spec:\n      dnsPolicy: Default\n      containers:\n      - name: c\n        image: x\n        resources:\n          limits:\n            memory: 1Gi\n"
        )
    };
    let spaces = "       ";
    let cases = [
        (
            "scheduler-spaces",
            format!("{}  schedulerName: |\n    foo\n{spaces}\n---\n{CONFIGMAP}", pod("p", "x", "")),
            1,
        ),
        (
            "group-spaces",
            format!(
                "{LEASE}metadata:\n  name: a\n  namespace: ns\n  labels:\n    statefulset.kubernetes.io/pod-name: a-0\nspec:\n  strategy: |\n    foo\n{spaces}\n---\n{LEASE}metadata:\n  name: b\n  namespace: ns\n  labels:\n    statefulset.kubernetes.io/pod-name: b-0\nspec:\n  strategy: |\n    bar\n{spaces}\n---\n{CONFIGMAP}"
            ),
            1,
        ),
        ("str-tag", deployment("!!str 123", "!!str 123"), 1),
        ("multi-line-quoted", deployment("\"a\n        b\"", "\"a b\""), 1),
        ("same-name-items", items("x", "z2"), 2),
        ("same-name-items-one-broken", items("x", "y"), 2),
        // A second review: indentation indicators, an empty `!!str`, an item added beside two
        // items of one name (one already broken), strings YAML 1.1 reads otherwise.
        (
            "indentation-indicator-insert",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: x\n      resources: {limits: {memory: 1Gi}}\n      args:\n        - |2-\n           four\n          two\n".to_string(),
            1,
        ),
        (
            "indentation-indicator-remove",
            format!(
                "{LEASE}metadata:\n  name: collector-0\n  namespace: obs\nspec:\n  holderIdentity: |2\n      four\n    two\n  leaseDurationSeconds: 15\n---\n{LEASE}metadata:\n  name: collector-1\n  namespace: obs\nspec:\n  holderIdentity: collector-1\n"
            ),
            1,
        ),
        ("empty-str-tag", deployment("!!str", "\"\""), 1),
        ("underscored-float", deployment("!!str 1_000.5", "\"1_000.5\""), 1),
        ("line-separator", deployment("!!str \"x\\Ly\"", "\"x\\Ly\""), 1),
        ("date", deployment("\"2024-01-01\"", "\"2024-01-01\""), 1),
        (
            "same-name-json-items.json",
            {
                let item = |replicas: u32, image: &str| {
                    format!(
                        r#"{{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {{"name": "api", "namespace": "web"}}, "spec": {{"replicas": {replicas}, "selector": {{"matchLabels": {{"app": "api"}}}}, "template": {{"metadata": {{"labels": {{"app": "api"}}}}, "spec": {{"dnsPolicy": "Default", "containers": [{{"name": "api", "image": {image}, "resources": {{"limits": {{"memory": "1Gi"}}}}}}]}}}}}}}}"#
                    )
                };
                format!(
                    "{{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [\n    {},\n    {}\n  ]\n}}\n",
                    item(3, "\"x\""),
                    item(1, "5")
                )
            },
            1,
        ),
    ];
    for (name, text, at_least) in cases {
        let file = if name.ends_with(".json") { name.to_string() } else { format!("{name}.yaml") };
        let report = lint(dir.path(), &file, &text, &[]);
        let advertised = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["fix"] != Value::Null && f["fix_refused"] == Value::Null)
            .count();
        let (fixed_text, fixed) = fix_file(dir.path(), &file, &text, &["--unsafe-fixes"]);
        let done = fixed["summary"]["fixed"].as_u64().unwrap() as usize;
        assert_eq!(advertised, done, "{name}: lint advertised {advertised} fixes, --fix made {done}\n{fixed_text}");
        assert!(done >= at_least, "{name}: {done} fixes\n{fixed_text}");
        data(&fixed_text);
    }
}

/// Standard input over `--max-file-size` is not fixed, but `--fix` passes it through whole.
#[test]
fn stdin_over_the_size_limit_passes_through() {
    let dir = tempfile::tempdir().unwrap();
    let stream: String =
        (0..200).map(|i| format!("{CONFIGMAP}---\n").replace("relay-config", &format!("c{i}"))).collect();
    let out = run_in(dir.path(), &["--no-config", "--fix", "--max-file-size", "1000"], Some(stream.as_bytes()));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), stream, "the whole stream comes out as it went in");
    assert!(String::from_utf8_lossy(&out.stderr).contains("larger than 1000 bytes"));
}

/// Refusals found in review, each with its reason in lint and in `--fix`: removing a value that
/// holds an anchor another node still uses, and copying a selector key longer than any label
/// key (written back, it would not even be a valid implicit YAML key).
#[test]
fn removals_keep_anchors_and_copies_keep_valid_keys() {
    let dir = tempfile::tempdir().unwrap();
    let anchored = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: checkout\n  namespace: shop\nspec:\n  selector:\n    matchLabels: {app: checkout}\n  template:\n    metadata:\n      labels: {app: checkout}\n      annotations:\n        leaselint.io/latency-sensitive: \"true\"\n    spec:\n      dnsPolicy: Default\n      containers:\n        - name: app\n          image: example/checkout:2\n          resources:\n            limits:\n              cpu: &x 1\n              memory: *x\n";
    let key = "k".repeat(1100);
    let long_key = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 3\n  selector:\n    matchLabels:\n      ? {key}\n      : v\n  template:\n    metadata:\n      labels:\n        ? {key}\n        : v\n    spec:\n      dnsPolicy: Default\n      containers:\n        - name: api\n          image: x\n          resources: {{limits: {{memory: 1Gi}}}}\n"
    );
    for (name, text, rule, reason) in [
        ("anchored.yaml", anchored.to_string(), "LL004", "holds anchor `&x`"),
        ("long-key.yaml", long_key, "LL007", "label key of 1100 characters"),
    ] {
        let report = lint(dir.path(), name, &text, &[]);
        let refused = findings(&report, rule);
        assert_eq!(refused.len(), 1, "{name}: {report}");
        assert!(refused[0]["fix_refused"].as_str().unwrap().contains(reason), "{name}: {report}");
        let (fixed_text, fixed) = fix_file(dir.path(), name, &text, &["--unsafe-fixes"]);
        assert_eq!(fixed["summary"]["fixed"], 0, "{name}");
        assert_eq!(fixed_text, text, "{name}: nothing changes");
    }
}
