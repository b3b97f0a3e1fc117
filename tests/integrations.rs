//! The GitHub Action and the pre-commit hooks: their files declare what SPEC section 8 asks, and
//! their commands work. The Action's lint script runs here as the runner would run it (bash,
//! with the inputs in the environment and a built leaselint where the install step puts it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::repo;
use serde_json::Value;

fn yaml(path: &str) -> Value {
    yaml_serde::from_str(&std::fs::read_to_string(repo().join(path)).unwrap()).unwrap()
}

/// A workspace with a Deployment that has warnings (ndots, memory limit) and a safe fix.
fn workspace() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("deploy")).unwrap();
    std::fs::write(
        tmp.path().join("deploy/api.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: web}\nspec:\n  replicas: 1\n  \
         selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      \
         containers: [{name: api, image: api:1}]\n",
    )
    .unwrap();
    tmp
}

struct ActionRun {
    status: Option<i32>,
    stdout: String,
    outputs: String,
    workspace: PathBuf,
}

/// Runs the Action's `Lint` step in `ws` with these inputs (the rest at their defaults).
fn run_action(ws: &Path, inputs: &[(&str, &str)]) -> ActionRun {
    let action = yaml("action.yml");
    let steps = action["runs"]["steps"].as_array().unwrap();
    let lint = steps.iter().find(|s| s["id"] == "lint").expect("a step with id lint");
    let script = lint["run"].as_str().unwrap();
    let home = ws.join(".home");
    let bin = home.join(".cache/leaselint-action/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_leaselint"), bin.join("leaselint")).unwrap();
    let outputs = ws.join(".github-output");
    let mut cmd = Command::new("bash");
    cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(ws)
        .env("HOME", &home)
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_PATH", ws.join(".github-path"));
    for (name, spec) in action["inputs"].as_object().unwrap() {
        let value = inputs.iter().find(|(n, _)| n == name).map_or(spec["default"].as_str().unwrap_or(""), |(_, v)| v);
        cmd.env(format!("INPUT_{}", name.to_uppercase().replace('-', "_")), value);
    }
    let out = cmd.output().unwrap();
    ActionRun {
        status: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        outputs: std::fs::read_to_string(&outputs).unwrap_or_default(),
        workspace: ws.to_path_buf(),
    }
}

#[test]
fn the_action_declares_its_inputs_and_installs_from_the_repository_with_a_cache() {
    let action = yaml("action.yml");
    for input in ["paths", "format", "fail-on", "config", "fix"] {
        assert!(action["inputs"][input]["description"].is_string(), "input {input}");
    }
    // Every input reaches the lint step through the environment (never spliced into the script).
    let steps = action["runs"]["steps"].as_array().unwrap();
    let lint = steps.iter().find(|s| s["id"] == "lint").unwrap();
    for input in action["inputs"].as_object().unwrap().keys() {
        let var = format!("INPUT_{}", input.to_uppercase().replace('-', "_"));
        assert_eq!(lint["env"][&var], format!("${{{{ inputs.{input} }}}}"), "{var}");
    }
    assert!(!lint["run"].as_str().unwrap().contains("${{"), "no expression inside the script");
    assert_eq!(action["runs"]["using"], "composite");
    let text = serde_json::to_string(steps).unwrap();
    assert!(text.contains("actions/cache@") && text.contains("cargo install --locked --path"), "{text}");
}

#[test]
fn the_action_annotates_writes_sarif_fixes_and_fails_as_asked() {
    let ws = workspace();
    let run = run_action(ws.path(), &[("paths", "deploy")]);
    assert_eq!(run.status, Some(1), "warnings fail at the default fail-on");
    assert!(run.stdout.contains("::warning file=deploy/api.yaml,line="), "{}", run.stdout);

    let run = run_action(ws.path(), &[("paths", "deploy"), ("fail-on", "error")]);
    assert_eq!(run.status, Some(0), "no error-level finding");

    let run = run_action(ws.path(), &[("paths", "deploy"), ("format", "sarif"), ("fail-on", "error")]);
    assert_eq!(run.status, Some(0));
    assert!(run.outputs.contains("sarif-file=leaselint.sarif"));
    let log: Value =
        serde_json::from_str(&std::fs::read_to_string(run.workspace.join("leaselint.sarif")).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");

    std::fs::write(ws.path().join("strict.yaml"), "rules: {LL006: error}\n").unwrap();
    let run = run_action(ws.path(), &[("paths", "deploy"), ("config", "strict.yaml"), ("fail-on", "error")]);
    assert_eq!(run.status, Some(1), "the config input is used");

    let run = run_action(ws.path(), &[("paths", "deploy"), ("fix", "true"), ("args", "--select LL006")]);
    assert_eq!(run.status, Some(0), "the fix removed the only selected finding: {}", run.stdout);
    let fixed = std::fs::read_to_string(ws.path().join("deploy/api.yaml")).unwrap();
    assert!(fixed.contains("ndots"), "{fixed}");
}

#[test]
fn the_pre_commit_hooks_lint_and_fix_the_tree() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hooks = hooks.as_array().unwrap();
    let ids: Vec<&str> = hooks.iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["leaselint", "leaselint-fix"]);
    let ws = workspace();
    for hook in hooks {
        assert_eq!(hook["language"], "rust", "pre-commit builds it with cargo");
        let mut words: Vec<String> = hook["entry"].as_str().unwrap().split_whitespace().map(str::to_string).collect();
        assert_eq!(words.remove(0), "leaselint");
        words.extend(hook["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()));
        let out = Command::new(env!("CARGO_BIN_EXE_leaselint")).args(&words).current_dir(ws.path()).output().unwrap();
        // pre-commit fails a hook that exits non-zero or (for the fixer) changes files.
        assert_eq!(out.status.code(), Some(1), "{}: {}", hook["id"], String::from_utf8_lossy(&out.stderr));
    }
    let fixed = std::fs::read_to_string(ws.path().join("deploy/api.yaml")).unwrap();
    assert!(fixed.contains("ndots"), "leaselint-fix rewrote the file");
}
