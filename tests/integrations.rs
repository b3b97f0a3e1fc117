//! The GitHub Action and the pre-commit hooks: their files declare what SPEC section 8 asks, and
//! their commands work. The Action's steps run here as the runner would run them (bash, with the
//! step's `env` evaluated from the inputs, a fake `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY`, and a
//! built leaselint where the install step puts it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr, reason = "tests fail loudly")]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::repo;
use serde_json::Value;

fn yaml(path: &str) -> Value {
    yaml_serde::from_str(&std::fs::read_to_string(repo().join(path)).unwrap()).unwrap()
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: web}\nspec:\n  \
                          replicas: 1\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: \
                          {app: api}}\n    spec:\n      containers: [{name: api, image: api:1}]\n";

/// A workspace with a Deployment that has two warnings (ndots, memory limit), one with a safe fix.
fn workspace() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("deploy")).unwrap();
    std::fs::write(tmp.path().join("deploy/api.yaml"), DEPLOYMENT).unwrap();
    tmp
}

fn step<'a>(action: &'a Value, id: &str) -> &'a Value {
    let steps = action["runs"]["steps"].as_array().unwrap();
    steps.iter().find(|s| s["id"] == id).unwrap_or_else(|| panic!("a step with id {id}"))
}

struct ActionRun {
    status: Option<i32>,
    stdout: String,
    stderr: String,
    /// `GITHUB_OUTPUT` as name -> value.
    outputs: BTreeMap<String, String>,
    /// What the step wrote to `GITHUB_STEP_SUMMARY`.
    summary: String,
    workspace: PathBuf,
}

/// Runs the Action's step `id` in `ws` as the runner would: its `run` script in bash, its `env`
/// evaluated (`inputs.*` from `inputs` or the defaults, `github.action_path` = `action_path`).
fn run_step(id: &str, action_path: &Path, ws: &Path, inputs: &[(&str, &str)]) -> ActionRun {
    let action = yaml("action.yml");
    let step = step(&action, id);
    let home = ws.join(".home");
    let bin = home.join(".cache/leaselint-action/bin");
    std::fs::create_dir_all(&bin).unwrap();
    // A link, not a copy: writing an executable while other test threads fork and exec can make
    // its own exec fail with "text file busy" (exit 126).
    let link = bin.join("leaselint");
    if link.symlink_metadata().is_err() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_leaselint"), &link).unwrap();
    }
    let runner_temp = ws.join(".runner-temp");
    std::fs::create_dir_all(&runner_temp).unwrap();
    let outputs = runner_temp.join("github-output");
    let summary = runner_temp.join("step-summary");
    for file in [&outputs, &summary] {
        std::fs::write(file, "").unwrap();
    }
    let mut cmd = Command::new("bash");
    // The runner's `shell: bash` is `bash --noprofile --norc -eo pipefail {0}`.
    cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"].as_str().unwrap()])
        .current_dir(ws)
        .env("HOME", &home)
        .env("RUNNER_TEMP", &runner_temp)
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_PATH", runner_temp.join("github-path"));
    for (var, expr) in step["env"].as_object().into_iter().flatten() {
        let expr = expr.as_str().unwrap();
        let value = if expr == "${{ github.action_path }}" {
            action_path.to_string_lossy().into_owned()
        } else if let Some(name) = expr.strip_prefix("${{ inputs.").and_then(|e| e.strip_suffix(" }}")) {
            let default = action["inputs"][name]["default"].as_str().unwrap_or_else(|| panic!("input {name}"));
            inputs.iter().find(|(n, _)| *n == name).map_or(default, |(_, v)| v).to_string()
        } else {
            panic!("the test does not evaluate `{expr}` ({var})");
        };
        cmd.env(var, value);
    }
    let out = cmd.output().unwrap();
    let outputs = std::fs::read_to_string(&outputs).unwrap();
    ActionRun {
        status: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        outputs: outputs.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.into(), v.into())).collect(),
        summary: std::fs::read_to_string(&summary).unwrap(),
        workspace: ws.to_path_buf(),
    }
}

/// Runs the Action's `Lint` step from this repository.
fn run_action(ws: &Path, inputs: &[(&str, &str)]) -> ActionRun {
    run_step("lint", &repo(), ws, inputs)
}

impl ActionRun {
    fn output(&self, name: &str) -> &str {
        self.outputs.get(name).unwrap_or_else(|| panic!("no output {name}: {:?}\n{}", self.outputs, self.stderr))
    }
}

#[test]
fn the_action_declares_its_inputs_and_outputs_and_installs_locked_with_a_cache() {
    let action = yaml("action.yml");
    for input in ["paths", "format", "fail-on", "config", "fix", "sarif-file", "args"] {
        assert!(action["inputs"][input]["description"].is_string(), "input {input}");
    }
    for output in ["findings", "errors", "exit-code", "sarif-file", "markdown-file", "json-file"] {
        assert!(action["outputs"][output]["description"].is_string(), "output {output}");
        assert_eq!(action["outputs"][output]["value"], format!("${{{{ steps.lint.outputs.{output} }}}}"));
    }
    // Every input reaches the lint step through the environment (never spliced into the script).
    let lint = step(&action, "lint");
    for input in action["inputs"].as_object().unwrap().keys() {
        let var = format!("INPUT_{}", input.to_uppercase().replace('-', "_"));
        assert_eq!(lint["env"][&var], format!("${{{{ inputs.{input} }}}}"), "{var}");
    }
    assert_eq!(action["runs"]["using"], "composite");
    for step in action["runs"]["steps"].as_array().unwrap() {
        if let Some(run) = step["run"].as_str() {
            assert!(!run.contains("${{"), "no expression inside a script: {run}");
        }
    }
    let install = action["runs"]["steps"].as_array().unwrap().iter().find(|s| s["name"] == "Install leaselint");
    let install = install.expect("an install step")["run"].as_str().unwrap();
    assert!(install.contains("cargo install --locked --path \"$ACTION_PATH\""), "{install}");
    let cache = step(&action, "cache");
    assert!(cache["uses"].as_str().unwrap().starts_with("actions/cache@"));
    assert!(cache["with"]["key"].as_str().unwrap().contains("${{ steps.key.outputs.hash }}"));
    let key_script = std::fs::read_to_string(repo().join(".github/action/cache-key.sh")).unwrap();
    for hashed in ["action.yml", "Cargo.toml", "Cargo.lock", "src", "rules", ".github/action"] {
        assert!(key_script.contains(hashed), "the cache key hashes {hashed}");
    }
}

/// Copies what the cache key hashes (and README.md, which it must not hash) into a temp dir.
fn action_copy() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        if from.is_dir() {
            std::fs::create_dir_all(to).unwrap();
            for entry in std::fs::read_dir(from).unwrap() {
                let entry = entry.unwrap();
                copy(&entry.path(), &to.join(entry.file_name()));
            }
        } else {
            std::fs::copy(from, to).unwrap();
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    for part in ["action.yml", "Cargo.toml", "Cargo.lock", "README.md", "src", "rules", ".github/action"] {
        copy(&repo().join(part), &tmp.path().join(part));
    }
    tmp
}

#[test]
fn the_build_cache_key_changes_with_the_actions_own_sources() {
    let copy = action_copy();
    let ws = tempfile::tempdir().unwrap();
    let key = || {
        let run = run_step("key", copy.path(), ws.path(), &[]);
        assert_eq!(run.status, Some(0), "{}", run.stderr);
        let hash = run.output("hash").to_string();
        assert!(hash.len() >= 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()), "{hash}");
        hash
    };
    let first = key();
    assert_eq!(key(), first, "the key is stable");
    std::fs::write(copy.path().join("README.md"), "docs only\n").unwrap();
    assert_eq!(key(), first, "documentation is not part of the build");
    let mut seen = vec![first];
    for changed in
        ["src/main.rs", "rules/LL006-ndots-default.yaml", "action.yml", "Cargo.lock", ".github/action/lint.sh"]
    {
        let path = copy.path().join(changed);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("\n# changed\n");
        std::fs::write(&path, text).unwrap();
        let next = key();
        assert!(!seen.contains(&next), "changing {changed} changes the key");
        seen.push(next);
    }
    std::fs::write(copy.path().join("src/new_module.rs"), "").unwrap();
    assert!(!seen.contains(&key()), "a new source file changes the key");
}

#[test]
fn the_action_annotates_writes_sarif_fixes_and_fails_as_asked() {
    let ws = workspace();
    let run = run_action(ws.path(), &[("paths", "deploy")]);
    assert_eq!(run.status, Some(1), "warnings fail at the default fail-on: {}", run.stderr);
    assert!(run.stdout.contains("::warning file=deploy/api.yaml,line="), "{}", run.stdout);
    assert_eq!(run.output("exit-code"), "1");
    assert_eq!(run.output("findings"), "2");
    assert_eq!(run.output("errors"), "0");
    assert!(run.stdout.contains("leaselint: all 2 annotations are shown"), "{}", run.stdout);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(run.output("json-file")).unwrap()).unwrap();
    assert_eq!(report["summary"]["warnings"], 2);

    let run = run_action(ws.path(), &[("paths", "deploy"), ("fail-on", "error")]);
    assert_eq!(run.status, Some(0), "no error-level finding");
    assert_eq!((run.output("exit-code"), run.output("findings")), ("0", "2"));

    let run = run_action(ws.path(), &[("paths", "deploy"), ("format", "sarif"), ("fail-on", "error")]);
    assert_eq!(run.status, Some(0));
    assert_eq!(run.output("sarif-file"), "leaselint.sarif");
    let log: Value =
        serde_json::from_str(&std::fs::read_to_string(run.workspace.join("leaselint.sarif")).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert!(!run.summary.is_empty(), "the job summary is written whatever the format");

    std::fs::write(ws.path().join("strict.yaml"), "rules: {LL006: error}\n").unwrap();
    let run = run_action(ws.path(), &[("paths", "deploy"), ("config", "strict.yaml"), ("fail-on", "error")]);
    assert_eq!(run.status, Some(1), "the config input is used");
    assert_eq!((run.output("errors"), run.output("findings")), ("1", "2"), "the counts use the config too");

    let run = run_action(ws.path(), &[("paths", "deploy"), ("fix", "true"), ("args", "--select LL006")]);
    assert_eq!(run.status, Some(0), "the fix removed the only selected finding: {}", run.stdout);
    assert_eq!(run.output("findings"), "0");
    let fixed = std::fs::read_to_string(ws.path().join("deploy/api.yaml")).unwrap();
    assert!(fixed.contains("ndots"), "{fixed}");

    std::fs::write(ws.path().join("deploy/broken.yaml"), "a: [\n").unwrap();
    let run = run_action(ws.path(), &[("paths", "deploy")]);
    assert_eq!(run.output("exit-code"), "2", "input that does not parse");
    assert_eq!(run.status, Some(2));
}

#[test]
fn the_job_summary_lists_every_finding_and_the_log_counts_what_the_annotations_left_out() {
    // 15 Deployments with an ndots finding (raised to error) and a memory-limit warning each: 15
    // error and 15 warning annotations, of which GitHub keeps 10 of each.
    let ws = workspace();
    for i in 0..15 {
        let text = DEPLOYMENT.replace(": api", &format!(": api{i}"));
        std::fs::write(ws.path().join(format!("deploy/api{i}.yaml")), text).unwrap();
    }
    std::fs::remove_file(ws.path().join("deploy/api.yaml")).unwrap();
    std::fs::write(ws.path().join("strict.yaml"), "rules: {LL006: error}\n").unwrap();
    let run = run_action(ws.path(), &[("paths", "deploy"), ("config", "strict.yaml")]);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(run.output("json-file")).unwrap()).unwrap();
    let (errors, warnings) =
        (report["summary"]["errors"].as_u64().unwrap(), report["summary"]["warnings"].as_u64().unwrap());
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    assert_eq!(run.output("findings"), (errors + warnings).to_string());
    assert_eq!(run.output("errors"), errors.to_string());
    let annotated = |level: &str| run.stdout.lines().filter(|l| l.starts_with(&format!("::{level} "))).count() as u64;
    assert_eq!((annotated("error"), annotated("warning")), (errors, warnings));
    let left_out = errors.saturating_sub(10) + warnings.saturating_sub(10);
    assert_eq!((errors, warnings, left_out), (15, 15, 10));
    let total = errors + warnings;
    let expected = format!("{left_out} of the {total} annotations were left out");
    assert!(run.stdout.contains(&expected), "log says `{expected}`:\n{}", run.stdout);
    assert!(run.summary.contains(&format!("{left_out} findings are not annotated")), "{}", run.summary);

    let markdown = std::fs::read_to_string(run.output("markdown-file")).unwrap();
    assert!(run.summary.ends_with(&markdown), "the summary holds the whole Markdown report");
    for finding in report["findings"].as_array().unwrap() {
        let (file, rule) = (finding["file"].as_str().unwrap(), finding["rule"].as_str().unwrap());
        assert!(
            markdown.lines().any(|l| l.contains(file) && l.contains(rule)),
            "the summary has a row for {rule} in {file}:\n{markdown}"
        );
    }
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
