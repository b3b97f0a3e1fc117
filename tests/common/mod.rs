//! Helpers shared by the integration tests: run the real binary, read its JSON report, render
//! findings as concise text for snapshots.
#![allow(dead_code, reason = "each test binary uses a different subset")]
#![allow(clippy::expect_used, clippy::panic, reason = "test helpers fail the test on a broken setup")]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn leaselint() -> Command {
    let mut cmd = Command::cargo_bin("leaselint").expect("binary builds");
    cmd.env_remove("NO_COLOR").env("COLUMNS", "100");
    cmd
}

/// Runs leaselint in `dir` with `args` and returns the process output.
pub(crate) fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = leaselint();
    cmd.current_dir(dir).args(args);
    match stdin {
        Some(bytes) => cmd.write_stdin(bytes.to_vec()),
        None => cmd.write_stdin(Vec::new()),
    };
    cmd.output().expect("leaselint runs")
}

/// Parses the JSON report on stdout.
pub(crate) fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// One finding per block: position, rule, severity, object, path; then the message, the Helm
/// source and the fix.
pub(crate) fn concise(report: &Value) -> String {
    let mut out = String::new();
    for f in report["findings"].as_array().into_iter().flatten() {
        let object = match &f["object"] {
            Value::Null => "-".to_string(),
            o => format!(
                "{} {}/{}",
                o["kind"].as_str().unwrap_or("?"),
                o["namespace"].as_str().unwrap_or("-"),
                o["name"].as_str().unwrap_or("?")
            ),
        };
        out.push_str(&format!(
            "{}:{}:{}-{}:{} {} {} {} {}\n  {}\n",
            f["file"].as_str().unwrap_or("?"),
            f["line"],
            f["column"],
            f["end_line"],
            f["end_column"],
            f["rule"].as_str().unwrap_or("?"),
            f["severity"].as_str().unwrap_or("?"),
            object,
            f["path"].as_str().unwrap_or("?"),
            f["message"].as_str().unwrap_or("?"),
        ));
        if let Some(src) = f["source"].as_str() {
            out.push_str(&format!("  source: {src}\n"));
        }
        if let Some(fix) = f["fix"].as_str() {
            out.push_str(&format!("  fix ({fix}): {}\n", f["fix_title"].as_str().unwrap_or("?")));
        }
        if let Some(why) = f["fix_refused"].as_str() {
            out.push_str(&format!("  fix refused: {why}\n"));
        }
        for r in f["related"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "  related: {}:{}:{} {}\n",
                r["file"].as_str().unwrap_or("?"),
                r["line"],
                r["column"],
                r["message"].as_str().unwrap_or("?")
            ));
        }
    }
    for e in report["errors"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "error {}:{}:{} {}\n",
            e["file"].as_str().unwrap_or("?"),
            e["line"],
            e["column"],
            e["message"].as_str().unwrap_or("?")
        ));
    }
    out
}

/// The real-world corpus, when this checkout sits beside `../shared`.
pub(crate) fn corpus_dir() -> Option<PathBuf> {
    let dir = repo().join("../shared/corpus/real");
    if dir.is_dir() { Some(dir) } else { None }
}

/// The `*.yaml` files of the corpus, sorted.
pub(crate) fn corpus_files(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("corpus dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    files.sort();
    files
}

/// Writes `text` to `path`, creating its directories.
pub(crate) fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("directories");
    }
    std::fs::write(path, text).expect("write");
}

/// The exit code of a finished process.
pub(crate) fn code(out: &Output) -> i32 {
    out.status.code().expect("exit code")
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Whether an object deserializes into its k8s-openapi type, as the API server would accept it
/// (`false` for kinds the test API server does not serve).
#[allow(dead_code, reason = "used by the audit and serve tests")]
pub(crate) fn valid(o: &serde_json::Value) -> bool {
    use k8s_openapi::api::rbac::v1 as rbac;
    use k8s_openapi::api::{apps::v1 as apps, autoscaling::v2 as autoscaling, batch::v1 as batch};
    use k8s_openapi::api::{coordination::v1 as coordination, core::v1 as core, policy::v1 as policy};
    fn is<T: serde::de::DeserializeOwned>(o: &serde_json::Value) -> bool {
        serde_json::from_value::<T>(o.clone()).is_ok()
    }
    match o["kind"].as_str().unwrap_or_default() {
        "Pod" => is::<core::Pod>(o),
        "Service" => is::<core::Service>(o),
        "LimitRange" => is::<core::LimitRange>(o),
        "ResourceQuota" => is::<core::ResourceQuota>(o),
        "Namespace" => is::<core::Namespace>(o),
        "Node" => is::<core::Node>(o),
        "Deployment" => is::<apps::Deployment>(o),
        "StatefulSet" => is::<apps::StatefulSet>(o),
        "DaemonSet" => is::<apps::DaemonSet>(o),
        "ReplicaSet" => is::<apps::ReplicaSet>(o),
        "Job" => is::<batch::Job>(o),
        "CronJob" => is::<batch::CronJob>(o),
        "PodDisruptionBudget" => is::<policy::PodDisruptionBudget>(o),
        "HorizontalPodAutoscaler" => is::<autoscaling::HorizontalPodAutoscaler>(o),
        "Role" => is::<rbac::Role>(o),
        "RoleBinding" => is::<rbac::RoleBinding>(o),
        "ClusterRole" => is::<rbac::ClusterRole>(o),
        "ClusterRoleBinding" => is::<rbac::ClusterRoleBinding>(o),
        "Lease" => is::<coordination::Lease>(o),
        _ => false,
    }
}

/// The kubectl on PATH, or `None` with a notice that `skipped` is skipped.
#[allow(dead_code, clippy::print_stderr, reason = "used by the tests that run kubectl; the notice is the point")]
pub(crate) fn kubectl(skipped: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("kubectl"))
        .find(|p| p.is_file());
    if found.is_none() {
        eprintln!("NOTICE: kubectl is not installed: {skipped} is SKIPPED");
    }
    found
}
