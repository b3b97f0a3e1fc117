//! `leaselint render`: a kustomization through the real `kustomize` or `kubectl` (skipped with
//! a visible notice when neither is installed), a chart through a stand-in `helm` that records
//! its arguments, and the error that names the missing tool.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]
#![allow(clippy::print_stderr, reason = "a skipped test says so")]

mod common;

use std::path::Path;

use common::{json, leaselint};

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: 3\n  \
                          selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    \
                          spec:\n      containers:\n        - name: api\n          image: api:1\n          \
                          args: [\"--leader-elect\", \"--leader-election-namespace=kube-system\"]\n";

fn kustomization(dir: &Path) {
    std::fs::create_dir_all(dir.join("base")).unwrap();
    std::fs::write(dir.join("base/kustomization.yaml"), "namespace: shop\nresources: [deploy.yaml]\n").unwrap();
    std::fs::write(dir.join("base/deploy.yaml"), DEPLOYMENT).unwrap();
}

fn tool_on_path(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
}

#[test]
fn renders_a_kustomization_with_kustomize_or_kubectl() {
    if !tool_on_path("kustomize") && !tool_on_path("kubectl") {
        eprintln!(
            "SKIPPED renders_a_kustomization_with_kustomize_or_kubectl: neither kustomize nor kubectl is on PATH"
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    kustomization(tmp.path());
    let out = leaselint().current_dir(tmp.path()).args(["render", "base", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report = json(&out);
    let findings = report["findings"].as_array().unwrap();
    // Findings point at the resource file each object came from (origin annotations, removed
    // again before linting), at the line of the reported key; the stream position stays.
    for f in findings {
        assert_eq!(f["file"], "base/deploy.yaml", "{f}");
        assert!(f["rendered"]["line"].as_u64().is_some(), "{f}");
        assert!(!f["message"].as_str().unwrap().contains("config.kubernetes.io/origin"));
    }
    let ll007 = findings.iter().find(|f| f["rule"] == "LL007").expect("LL007");
    assert_eq!((ll007["line"].as_u64(), ll007["column"].as_u64()), (Some(5), Some(3)), "spec.replicas in deploy.yaml");
    // GitHub annotations attach to the file in the repository.
    let out = leaselint().current_dir(tmp.path()).args(["render", "base", "--format", "github"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("file=base/deploy.yaml,line=5"));
    // The kustomization's namespace reached the object: the lease namespace is still a literal.
    let ll002 = findings.iter().find(|f| f["rule"] == "LL002").expect("LL002");
    assert_eq!(ll002["object"]["namespace"], "shop");
    assert!(ll002["message"].as_str().unwrap().contains("`kube-system`"));
    assert!(findings.iter().any(|f| f["rule"] == "LL007"));
}

#[test]
fn a_missing_renderer_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    kustomization(tmp.path());
    std::fs::create_dir(tmp.path().join("chart")).unwrap();
    std::fs::write(tmp.path().join("chart/Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n").unwrap();
    let empty = tempfile::tempdir().unwrap();
    let run = |what: &str| {
        let out =
            leaselint().current_dir(tmp.path()).env("PATH", empty.path()).args(["render", what]).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, err) = run("base");
    assert_eq!(code, Some(2));
    assert!(err.contains("neither `kustomize` nor `kubectl` is on PATH"), "{err}");
    let (code, err) = run("chart");
    assert_eq!(code, Some(2));
    assert!(err.contains("`helm` is not on PATH") && err.contains("helm template chart | leaselint -"), "{err}");
    let (code, err) = run(".");
    assert_eq!(code, Some(2));
    assert!(err.contains("neither a Helm chart"), "{err}");
}

#[cfg(unix)]
#[test]
fn renders_a_chart_with_helm_template_and_checks_its_values() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("shop");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: shop\nversion: 0.1.0\n").unwrap();
    std::fs::write(chart.join("values.yaml"), "replicaCount: 3\n").unwrap();
    // The template the stand-in "renders" (the stream names it in `# Source:`).
    let template = DEPLOYMENT.replace("replicas: 3", "replicas: {{ .Values.replicaCount }}");
    std::fs::write(chart.join("templates/deployment.yaml"), template).unwrap();
    std::fs::write(tmp.path().join("prod.yaml"), "replicaCount: 5\n").unwrap();
    // A stand-in for helm: records its arguments and prints what `helm template` would.
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let stream = format!("---\n# Source: shop/templates/deployment.yaml\n{DEPLOYMENT}");
    std::fs::write(tmp.path().join("stream.yaml"), stream).unwrap();
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\ncat '{}'\n",
        tmp.path().join("args.txt").display(),
        tmp.path().join("stream.yaml").display()
    );
    std::fs::write(bin.join("helm"), script).unwrap();
    std::fs::set_permissions(bin.join("helm"), std::fs::Permissions::from_mode(0o755)).unwrap();
    // The stand-in comes first on PATH; the rest of PATH gives it `cat`.
    let path = std::env::join_paths(
        std::iter::once(bin.clone()).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let out = leaselint()
        .current_dir(tmp.path())
        .env("PATH", &path)
        .args(["render", "shop", "--namespace", "web", "--values", "prod.yaml", "--set", "a=b", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let args = std::fs::read_to_string(tmp.path().join("args.txt")).unwrap();
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        ["template", "shop", "--namespace", "web", "--values", "prod.yaml", "--set", "a=b"]
    );
    let report = json(&out);
    let by_file = |name: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["file"] == name)
            .map(|f| f["rule"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(by_file("helm template shop"), Vec::<serde_json::Value>::new(), "every finding moved to its template");
    // Findings point at the template named by `# Source:`, at the line of the key there.
    assert!(by_file("shop/templates/deployment.yaml").contains(&"LL002".into()));
    let ll002 = report["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "LL002").unwrap();
    assert_eq!(ll002["source"], "shop/templates/deployment.yaml");
    assert_eq!(ll002["rendered"]["line"], 15, "its place in the rendered stream");
    assert_eq!(ll002["line"], 13, "the args item in the template");
    let ll007 = report["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "LL007").unwrap();
    assert_eq!((ll007["file"].as_str(), ll007["line"].as_u64()), (Some("shop/templates/deployment.yaml"), Some(5)));
    let values: Vec<_> = by_file("shop/values.yaml");
    assert_eq!(values, vec![serde_json::Value::from("LL003")], "the chart's values.yaml is checked");
    // `--values prod.yaml` is an overlay of shop/values.yaml; it only sets replicaCount, so what
    // values.yaml lacks is values.yaml's finding alone.
    assert_eq!(by_file("prod.yaml"), Vec::<serde_json::Value>::new(), "--values files are overlays");

    // A renderer that fails: its error is shown, exit 2.
    std::fs::write(bin.join("helm"), "#!/bin/sh\necho 'Error: chart requires kubeVersion' >&2\nexit 1\n").unwrap();
    let out = leaselint().current_dir(tmp.path()).env("PATH", &path).args(["render", "shop"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("chart requires kubeVersion"));
}

/// The chart `helm create` makes, rendered by a real `helm` (`.ci/run` installs Helm 3.18 from
/// a PyPI package when it is missing; skipped with a notice otherwise): it uses no leases, so
/// LL003 has nothing to say about its values; the chart test pod is a Helm hook (no findings);
/// the findings left point at the lines of `templates/deployment.yaml`.
#[test]
fn renders_a_real_helm_create_chart() {
    if !tool_on_path("helm") {
        eprintln!("SKIPPED renders_a_real_helm_create_chart: helm is not on PATH");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let created = std::process::Command::new("helm").current_dir(tmp.path()).args(["create", "mychart"]).output();
    assert!(created.unwrap().status.success(), "helm create");
    let out = leaselint()
        .current_dir(tmp.path())
        .args(["--no-config", "render", "mychart", "-n", "prod", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report = json(&out);
    let found: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().into(), f["file"].as_str().unwrap().into(), f["line"].as_u64().unwrap()))
        .collect();
    // The lines of the pod spec and of the container in the template `helm create` wrote.
    let template = std::fs::read_to_string(tmp.path().join("mychart/templates/deployment.yaml")).unwrap();
    let line_of = |text: &str| template.lines().position(|l| l == text).map(|i| i as u64 + 1).unwrap();
    let deployment = "mychart/templates/deployment.yaml".to_string();
    assert_eq!(
        found,
        [
            ("LL006".into(), deployment.clone(), line_of("    spec:")),
            ("LL005".into(), deployment, line_of("        - name: {{ .Chart.Name }}")),
        ]
    );
}
