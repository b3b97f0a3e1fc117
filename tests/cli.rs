//! The real binary: pipes, exit codes, the JSON contract, input errors, chart directories and the
//! human report.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

mod common;

use common::{code, concise, json, leaselint, repo, run_in, write};
use serde_json::Value;

fn streams() -> std::path::PathBuf {
    repo().join("fixtures/_streams")
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

#[test]
fn json_report_has_the_contract_fields() {
    let out = run_in(&streams(), &["--format", "json", "helm-stream.yaml"], None);
    let report = json(&out);
    assert_eq!(keys(&report), ["errors", "findings", "summary", "version"]);
    assert_eq!(report["version"], 1);
    let finding = &report["findings"][0];
    assert_eq!(
        keys(finding),
        [
            "column",
            "end_column",
            "end_line",
            "file",
            "fix",
            "fix_refused",
            "fix_title",
            "line",
            "message",
            "name",
            "object",
            "path",
            "related",
            "rendered",
            "rule",
            "severity",
            "source"
        ]
    );
    assert_eq!(keys(&finding["object"]), ["apiVersion", "kind", "name", "namespace"]);
    assert_eq!(finding["object"]["namespace"], Value::Null, "unset namespace is null");
    assert_eq!(finding["source"], "shop/templates/deployment.yaml");
    assert_eq!(finding["file"], "helm-stream.yaml");
    assert_eq!(
        keys(&report["summary"]),
        ["baselined", "documents", "errors", "files", "fixable", "fixed", "infos", "objects", "warnings", "would_fix"]
    );
    assert_eq!(report["summary"]["files"], 1);
    assert_eq!(report["summary"]["documents"], 3, "the empty helm document is not counted");
    assert_eq!(report["summary"]["objects"], 3);
    assert_eq!(report["errors"], Value::Array(vec![]));
    insta::assert_snapshot!("helm_stream_findings", concise(&report));
}

#[test]
fn stdin_is_read_when_piped_or_named_dash() {
    let stream = std::fs::read(streams().join("helm-stream.yaml")).unwrap();
    for args in [&["--format", "json"][..], &["--format", "json", "-"][..]] {
        let report = json(&run_in(&streams(), args, Some(&stream)));
        let files: Vec<&str> =
            report["findings"].as_array().unwrap().iter().filter_map(|f| f["file"].as_str()).collect();
        assert!(!files.is_empty() && files.iter().all(|f| *f == "<stdin>"), "{args:?}: {files:?}");
        assert_eq!(report["summary"]["objects"], 3);
    }
}

#[test]
fn exit_codes_follow_fail_on() {
    assert_eq!(code(&run_in(&streams(), &["clean.yaml"], None)), 0);
    assert_eq!(code(&run_in(&streams(), &["helm-stream.yaml"], None)), 1, "warnings fail by default");
    assert_eq!(code(&run_in(&streams(), &["--fail-on", "error", "helm-stream.yaml"], None)), 0);
    assert_eq!(code(&run_in(&streams(), &["--fail-on", "info", "clean.yaml"], None)), 0);
    assert_eq!(code(&run_in(&streams(), &["broken.yaml"], None)), 2, "parse errors exit 2");
    assert_eq!(code(&run_in(&streams(), &["--fail-on", "error", "broken.yaml"], None)), 2);
    assert_eq!(code(&run_in(&streams(), &["--no-such-flag"], None)), 2, "usage errors exit 2");
    assert_eq!(code(&run_in(&streams(), &["--select", "LL999", "clean.yaml"], None)), 2);
    assert_eq!(code(&run_in(&streams(), &["--select", "ndots-default", "clean.yaml"], None)), 0);
}

#[test]
fn a_broken_document_is_an_error_and_the_others_are_linted() {
    let report = json(&run_in(&streams(), &["--format", "json", "broken.yaml"], None));
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{report}");
    // The unclosed flow mapping of line 8 runs into line 9, where the parser finds `:`.
    assert_eq!((errors[0]["line"].as_u64(), errors[0]["column"].as_u64()), (Some(9), Some(5)));
    assert!(errors[0]["message"].as_str().unwrap().starts_with("YAML parse error"));
    assert_eq!(errors[1]["line"], 23);
    assert!(errors[1]["message"].as_str().unwrap().contains("anchor"), "{}", errors[1]["message"]);
    let linted: Vec<&str> =
        report["findings"].as_array().unwrap().iter().filter_map(|f| f["object"]["name"].as_str()).collect();
    assert!(linted.contains(&"later"), "the document after the broken one is linted: {linted:?}");
    assert_eq!(report["summary"]["documents"], 2);
}

#[test]
fn unreadable_binary_and_non_utf8_files_are_errors_and_empty_files_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("empty.yaml"), "").unwrap();
    std::fs::write(d.join("blank.yaml"), "\n  \n").unwrap();
    std::fs::write(d.join("binary.yaml"), b"apiVersion: v1\nkind: \x00\x01\x02").unwrap();
    let mut mixed = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: \xff\xfe}\n".to_vec();
    mixed.extend_from_slice(
        b"---\napiVersion: v1\nkind: Pod\nmetadata: {name: after}\nspec: {containers: [{name: c, image: x}]}\n",
    );
    std::fs::write(d.join("latin1.yaml"), mixed).unwrap();
    let out = run_in(
        d,
        &["--format", "json", "empty.yaml", "blank.yaml", "binary.yaml", "latin1.yaml", "missing.yaml"],
        None,
    );
    assert_eq!(code(&out), 2);
    let report = json(&out);
    let errors: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!("{}:{}:{} {}", e["file"].as_str().unwrap(), e["line"], e["column"], e["message"].as_str().unwrap())
        })
        .collect();
    insta::assert_snapshot!("bad_files", errors.join("\n"));
    let names: Vec<&str> =
        report["findings"].as_array().unwrap().iter().filter_map(|f| f["object"]["name"].as_str()).collect();
    assert!(names.contains(&"after"), "documents after the invalid UTF-8 one are linted: {names:?}");
}

#[test]
fn bom_crlf_lists_and_yaml11_scalars() {
    let report = json(&run_in(&streams(), &["--format", "json", "bom-crlf.yaml", "list.yaml", "yaml11.yaml"], None));
    assert_eq!(report["errors"], Value::Array(vec![]), "{report}");
    insta::assert_snapshot!("bom_crlf_list_yaml11", concise(&report));
    assert_eq!(report["summary"]["objects"], 5, "List items count one by one");
}

#[test]
fn chart_directories_check_values_and_skip_templates() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("mychart");
    write(&chart.join("Chart.yaml"), "apiVersion: v2\nname: mychart\nversion: 0.1.0\n");
    write(&chart.join("values.yaml"), "replicaCount: 1\n");
    write(
        &chart.join("templates/deployment.yaml"),
        // The template names a lease (LL003 judges only charts that use leases).
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n{{- if .Values.x }}\nargs: [--election-id=x]\n",
    );
    write(&chart.join("charts/sub/Chart.yaml"), "apiVersion: v2\nname: sub\nversion: 0.1.0\n");
    write(&chart.join("charts/sub/values.yaml"), "image: x\n");
    write(
        &chart.join("crds/lease.yaml"),
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: l, namespace: x}\n",
    );
    write(&dir.path().join(".hidden/bad.yaml"), "{{ not yaml");
    let out = run_in(dir.path(), &["--format", "json", "."], None);
    let report = json(&out);
    assert_eq!(report["errors"], Value::Array(vec![]), "templates and hidden dirs are skipped: {report}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("mychart/templates: Helm templates are Go templates"), "notice on stderr: {stderr}");
    let files: Vec<&str> = report["findings"].as_array().unwrap().iter().filter_map(|f| f["file"].as_str()).collect();
    assert_eq!(files, ["mychart/values.yaml"], "LL003 on the chart's values, not the subchart's");
    assert_eq!(report["summary"]["files"], 2, "values.yaml and crds/lease.yaml");

    let excluded = json(&run_in(dir.path(), &["--format", "json", "--exclude", "crds", "."], None));
    assert_eq!(excluded["summary"]["files"], 1);

    let piped = json(&run_in(
        dir.path(),
        &["--format", "json", "--values", "mychart/values.yaml", "-"],
        Some(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"),
    ));
    assert_eq!(piped["findings"][0]["rule"], "LL003", "--values names a values file for a pipe");
    assert_eq!(piped["summary"]["files"], 2);
}

#[test]
fn human_report_has_snippets_labels_and_a_summary() {
    let out = run_in(&streams(), &["--color", "never", "helm-stream.yaml"], None);
    let text = String::from_utf8(out.stdout).unwrap();
    insta::assert_snapshot!("human_helm_stream", text);
}

#[test]
fn rules_and_explain() {
    let out = leaselint().arg("rules").output().unwrap();
    assert!(out.status.success());
    // One line per built-in rule, as many as `rules/` has files.
    let files = std::fs::read_dir(repo().join("rules")).unwrap().count();
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), files);
    let out = leaselint().args(["explain", "ndots-default"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("LL006 ndots-default (warning, fix: safe)"));
    let out = leaselint().args(["explain", "LL999"]).output().unwrap();
    assert_eq!(code(&out), 2);
}

/// A node agent without a namespace (as `helm template` prints it) and the ClusterRoleBinding
/// that names its ServiceAccount in `prod`.
const RELEASE_NAMESPACE: &str = r#"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      serviceAccountName: agent
      containers: [{name: agent, image: example/agent:1, resources: {limits: {memory: 64Mi}}}]
      dnsConfig: {options: [{name: ndots, value: "2"}]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: agent}
rules: [{apiGroups: [""], resources: [services], verbs: [list, watch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: agent}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: agent}
subjects: [{kind: ServiceAccount, name: agent, namespace: prod}]
"#;

#[test]
fn namespace_names_the_release_namespace() {
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("agent.yaml"), RELEASE_NAMESPACE);
    let rules = |args: &[&str]| -> Vec<String> {
        let out = run_in(tmp.path(), args, None);
        assert_ne!(code(&out), 2, "{}", String::from_utf8_lossy(&out.stderr));
        json(&out)["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
    };
    // Without it, the DaemonSet's namespace is the unnamed release namespace, not `prod`.
    assert_eq!(rules(&["--no-config", "--format", "json", "agent.yaml"]), Vec::<String>::new());
    // With it (flag or config), the binding's subject is the DaemonSet's ServiceAccount.
    assert_eq!(rules(&["--no-config", "--format", "json", "-n", "prod", "agent.yaml"]), ["LL009"]);
    assert_eq!(
        rules(&["--no-config", "--format", "json", "--namespace", "staging", "agent.yaml"]),
        Vec::<String>::new()
    );
    write(&tmp.path().join(".leaselint.yaml"), "namespace: prod\n");
    assert_eq!(rules(&["--format", "json", "agent.yaml"]), ["LL009"]);
    // The flag wins over the config; the report keeps the namespace as written (null).
    assert_eq!(rules(&["--format", "json", "-n", "dev", "agent.yaml"]), Vec::<String>::new());
    let out = run_in(tmp.path(), &["--format", "json", "agent.yaml"], None);
    assert_eq!(json(&out)["findings"][0]["object"]["namespace"], Value::Null);
    // A name the API server would reject is a usage error.
    let out = run_in(tmp.path(), &["--no-config", "-n", "Prod_1", "agent.yaml"], None);
    assert_eq!(code(&out), 2);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a valid namespace"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A served Deployment that follows the seeds' table of critical settings: no surge-less
/// rollout, `minReadySeconds`, a preStop sleep inside its grace period, spreading over nodes,
/// the HPA's default scale-down window and a readiness window of 30 s.
const SEEDS_TABLE: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: web}
spec:
  replicas: 4
  minReadySeconds: 10
  strategy: {rollingUpdate: {maxUnavailable: 0, maxSurge: 25%}}
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      terminationGracePeriodSeconds: 45
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: api}}}
      containers:
        - name: api
          image: example/api:1.4
          ports: [{containerPort: 8080}]
          lifecycle: {preStop: {exec: {command: [sh, -c, "sleep 10"]}}}
          readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 5, failureThreshold: 6}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: web}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api, namespace: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 4
  maxReplicas: 12
  behavior: {scaleUp: {stabilizationWindowSeconds: 0}}
"#;

/// SPEC §12: the rollout rules are on by default, and their scope keeps them quiet on charts
/// that follow the seeds' table.
#[test]
fn the_rollout_rules_are_quiet_on_a_workload_that_follows_the_seeds_table() {
    let out =
        run_in(&repo(), &["--no-config", "--select", "rollout", "--format", "json", "-"], Some(SEEDS_TABLE.as_bytes()));
    let report = json(&out);
    assert_eq!(report["findings"], Value::Array(vec![]), "{}", concise(&report));
    assert_eq!(report["summary"]["objects"], 3);
    // The same Deployment with its rollout defaults (25% of 4 is 1 unavailable) is found.
    let defaults = SEEDS_TABLE.replace("  strategy: {rollingUpdate: {maxUnavailable: 0, maxSurge: 25%}}\n", "");
    let report = json(&run_in(&repo(), &["--no-config", "--format", "json", "-"], Some(defaults.as_bytes())));
    let rules: Vec<&str> = report["findings"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
    assert!(rules.contains(&"LL012"), "{}", concise(&report));
}
