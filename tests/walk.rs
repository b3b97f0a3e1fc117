//! Walking a repository (what a pre-commit hook's `args: [.]` does): `.gitignore`, `.ignore` and
//! the global git excludes, `--no-ignore`, hidden files, Kustomize roots and their patches, and
//! files that look like unrendered templates. Each test runs the real binary in a fresh
//! `git init` tree, with `HOME` and the global git config inside the tempdir so that the test
//! machine's own excludes do not interfere.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{json, leaselint};
use serde_json::Value;

/// A Deployment with findings (no memory limit, default ndots, no PDB) and safe fixes.
const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: registry.example/api:1.0
";

/// An object with no finding.
const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: web}\ndata: {a: b}\n";

/// A Helm-style template outside a chart: it does not parse as YAML.
const TEMPLATE: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Values.name }}
{{- if .Values.extra }}
data: {a: b}
{{- end }}
";

struct Tree {
    /// Holds `home/` (HOME, the global git config) and `repo/`.
    _dir: tempfile::TempDir,
    home: PathBuf,
    repo: PathBuf,
}

impl Tree {
    /// A fresh tree; `git init` in `repo/` when `git` is true.
    fn new(git: bool) -> Tree {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&repo).unwrap();
        std::fs::write(home.join(".gitconfig"), "").unwrap();
        let tree = Tree { _dir: dir, home, repo };
        if git {
            let status = tree.env(std::process::Command::new("git")).args(["init", "-q"]).status().unwrap();
            assert!(status.success(), "git init");
        }
        tree
    }

    /// The environment every command of the test runs with.
    fn env<C: Envs>(&self, mut cmd: C) -> C {
        cmd.set_env("HOME", self.home.as_os_str());
        cmd.set_env("GIT_CONFIG_GLOBAL", self.home.join(".gitconfig").as_os_str());
        cmd.set_env("XDG_CONFIG_HOME", self.home.join(".config").as_os_str());
        cmd.set_env("GIT_CONFIG_NOSYSTEM", "1".as_ref());
        cmd.set_dir(&self.repo);
        cmd
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.repo.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.repo.join(path)).unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = self.env(leaselint());
        cmd.args(args).write_stdin(Vec::new());
        cmd.output().unwrap()
    }

    /// `--format json ARGS`: the report, the exit code and stderr.
    fn report(&self, args: &[&str]) -> (Value, i32, String) {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        (json(&out), out.status.code().unwrap(), String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// `std::process::Command` and `assert_cmd::Command` alike.
trait Envs {
    fn set_env(&mut self, key: &str, value: &std::ffi::OsStr);
    fn set_dir(&mut self, dir: &Path);
}

impl Envs for std::process::Command {
    fn set_env(&mut self, key: &str, value: &std::ffi::OsStr) {
        self.env(key, value);
    }
    fn set_dir(&mut self, dir: &Path) {
        self.current_dir(dir);
    }
}

impl Envs for assert_cmd::Command {
    fn set_env(&mut self, key: &str, value: &std::ffi::OsStr) {
        self.env(key, value);
    }
    fn set_dir(&mut self, dir: &Path) {
        self.current_dir(dir);
    }
}

/// The files with findings.
fn files(report: &Value) -> BTreeSet<String> {
    report["findings"].as_array().unwrap().iter().map(|f| f["file"].as_str().unwrap().to_string()).collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn gitignore_ignore_and_global_excludes_are_respected() {
    let t = Tree::new(true);
    let excludes = t.home.join("global-excludes");
    std::fs::write(&excludes, "*.local.yaml\n").unwrap();
    std::fs::write(t.home.join(".gitconfig"), format!("[core]\n\texcludesFile = {}\n", excludes.display())).unwrap();
    t.write(".gitignore", "gen/\n");
    t.write(".ignore", "scratch.yaml\n");
    t.write("deploy/.gitignore", "old.yaml\n");
    for f in ["app.yaml", "gen/out.yaml", "scratch.yaml", "dev.local.yaml", "deploy/old.yaml", "deploy/new.yaml"] {
        t.write(f, DEPLOYMENT);
    }

    let (walked, code, stderr) = t.report(&["."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(files(&walked), set(&["app.yaml", "deploy/new.yaml"]), "ignored files are not linted");
    assert_eq!(walked["summary"]["files"], 2);

    let (all, _, _) = t.report(&["--no-ignore", "."]);
    assert_eq!(
        files(&all),
        set(&["app.yaml", "deploy/new.yaml", "deploy/old.yaml", "dev.local.yaml", "gen/out.yaml", "scratch.yaml"]),
        "--no-ignore lints them"
    );

    let (named, _, _) = t.report(&["gen/out.yaml", "dev.local.yaml"]);
    assert_eq!(files(&named), set(&["dev.local.yaml", "gen/out.yaml"]), "a file named is always read");
}

#[test]
fn outside_a_git_repository_only_ignore_files_apply() {
    // As git, ripgrep and ruff: `.gitignore` means something inside a repository only; `.ignore`
    // applies everywhere.
    let t = Tree::new(false);
    t.write(".gitignore", "gen/\n");
    t.write(".ignore", "scratch.yaml\n");
    for f in ["app.yaml", "gen/out.yaml", "scratch.yaml"] {
        t.write(f, DEPLOYMENT);
    }
    let (report, _, stderr) = t.report(&["."]);
    assert_eq!(files(&report), set(&["app.yaml", "gen/out.yaml"]), "{stderr}");
}

#[test]
fn hidden_files_are_skipped_unless_named() {
    let t = Tree::new(true);
    t.write("app.yaml", DEPLOYMENT);
    t.write(".pre-commit-config.yaml", DEPLOYMENT);
    t.write(".github/workflows/ci.yaml", DEPLOYMENT);
    let (walked, _, _) = t.report(&["."]);
    assert_eq!(files(&walked), set(&["app.yaml"]));
    let (named, _, _) = t.report(&[".pre-commit-config.yaml", ".github"]);
    assert_eq!(
        files(&named),
        set(&[".github/workflows/ci.yaml", ".pre-commit-config.yaml"]),
        "a hidden file or directory named on the command line is read"
    );
}

/// base/ (a kustomization with a resource), overlays/prod (patches of each kind and a
/// component), components/tls (a component with a patch).
fn kustomize_tree(t: &Tree) {
    t.write(
        "base/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deployment.yaml]\n",
    );
    t.write("base/deployment.yaml", DEPLOYMENT);
    t.write(
        "overlays/prod/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [../../base, extra.yaml]
components: [../../components/tls]
patches:
- path: replicas.yaml
- patch: |-
    - op: replace
      path: /spec/replicas
      value: 5
  target: {kind: Deployment}
patchesStrategicMerge:
- memory.yaml
patchesJson6902:
- target: {group: apps, version: v1, kind: Deployment, name: api}
  path: json-patch.yaml
",
    );
    t.write("overlays/prod/extra.yaml", CONFIGMAP);
    // Strategic-merge patches look like workloads with holes: linting them as objects reports
    // findings and `--fix` would add to them.
    let patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: web}\nspec:\n  template:\n    spec:\n      containers:\n      - name: api\n        resources: {limits: {cpu: 500m}}\n";
    t.write("overlays/prod/replicas.yaml", patch);
    t.write("overlays/prod/memory.yaml", patch);
    t.write("overlays/prod/json-patch.yaml", "- op: add\n  path: /spec/template/spec/dnsPolicy\n  value: Default\n");
    t.write(
        "components/tls/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- path: tls.yaml\n",
    );
    t.write("components/tls/tls.yaml", patch);
}

#[test]
fn kustomize_patches_are_skipped_with_a_notice_and_never_fixed() {
    let t = Tree::new(true);
    kustomize_tree(&t);
    let (report, _, stderr) = t.report(&["."]);
    assert_eq!(files(&report), set(&["base/deployment.yaml"]), "patches and kustomization files are not linted");
    assert_eq!(report["errors"], Value::Array(vec![]));
    assert_eq!(report["summary"]["files"], 2, "base/deployment.yaml and overlays/prod/extra.yaml");
    for patch in ["overlays/prod/replicas.yaml", "overlays/prod/memory.yaml", "overlays/prod/json-patch.yaml"] {
        assert!(
            stderr.contains(&format!(
                "{patch}: a Kustomize patch of overlays/prod (a fragment of an object, not an object); skipped"
            )),
            "{patch}: {stderr}"
        );
    }
    assert!(
        stderr.contains("components/tls/tls.yaml: a Kustomize patch of overlays/prod"),
        "a component's patch is named with the kustomization that uses it: {stderr}"
    );
    assert!(!stderr.contains("is a Kustomize root"), "no render notice for roots found by walking: {stderr}");

    let patches = ["overlays/prod/replicas.yaml", "overlays/prod/memory.yaml", "components/tls/tls.yaml"];
    let before: Vec<String> = patches.iter().map(|p| t.read(p)).collect();
    let base = t.read("base/deployment.yaml");
    let out = t.run(&["--fix", "."]);
    assert!(out.status.code().unwrap() <= 1, "{}", String::from_utf8_lossy(&out.stderr));
    let after: Vec<String> = patches.iter().map(|p| t.read(p)).collect();
    assert_eq!(before, after, "--fix never writes a patch");
    assert_ne!(t.read("base/deployment.yaml"), base, "--fix still fixes the resources");
}

#[test]
fn a_kustomize_root_named_gets_the_render_notice() {
    let t = Tree::new(true);
    kustomize_tree(&t);
    let (report, code, stderr) = t.report(&["overlays/prod"]);
    assert!(
        stderr.contains(
            "overlays/prod is a Kustomize root: its files are linted one by one as plain manifests (patches \
             skipped); lint what it builds with `leaselint render overlays/prod`"
        ),
        "{stderr}"
    );
    assert_eq!(code, 0, "extra.yaml is linted and clean; the patches are skipped: {report}");
    assert_eq!(report["summary"]["files"], 1);

    // The kustomization file itself, named, is no Kubernetes object with findings.
    let (named, code, _) = t.report(&["overlays/prod/kustomization.yaml"]);
    assert_eq!((named["findings"].as_array().unwrap().len(), code), (0, 0), "{named}");
}

#[test]
fn templates_found_by_walking_are_skipped_and_named_ones_are_errors() {
    let t = Tree::new(true);
    t.write("settings.yaml", CONFIGMAP);
    t.write("deploy/configmap.yaml", TEMPLATE);
    t.write("deploy/role.yaml", "{% if admin %}\nkind: ClusterRole\n{% endif %}\n: [\n");
    t.write("deploy/broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: [\n");

    // A file that does not parse and has no template marker stays an error.
    let (report, code, stderr) = t.report(&["."]);
    assert_eq!(code, 2, "{stderr}");
    let errors: Vec<&str> = report["errors"].as_array().unwrap().iter().map(|e| e["file"].as_str().unwrap()).collect();
    assert_eq!(errors, ["deploy/broken.yaml"]);
    for f in ["deploy/configmap.yaml", "deploy/role.yaml"] {
        assert!(
            stderr.contains(&format!(
                "{f}: looks like a template: render it first (it does not parse and holds `{{{{` or `{{%`); skipped"
            )),
            "{f}: {stderr}"
        );
    }

    std::fs::remove_file(t.repo.join("deploy/broken.yaml")).unwrap();
    let (report, code, stderr) = t.report(&["."]);
    assert_eq!((code, &report["errors"]), (0, &Value::Array(vec![])), "{stderr}");
    assert_eq!(report["summary"]["files"], 1, "only settings.yaml is linted");

    let before = t.read("deploy/configmap.yaml");
    let out = t.run(&["--fix", "--unsafe-fixes", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(t.read("deploy/configmap.yaml"), before, "--fix never writes a template");

    let (named, code, stderr) = t.report(&["deploy/configmap.yaml"]);
    assert_eq!(code, 2, "named on the command line, it is an error: {stderr}");
    assert_eq!(named["errors"][0]["file"], "deploy/configmap.yaml");
    assert!(!stderr.contains("looks like a template"), "{stderr}");
}
