//! Determinism: the same input gives byte-identical output (JSON, SARIF, GitHub annotations,
//! the human report without colour, and fixed files) across runs and with 1 or 2 threads.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr, reason = "tests fail loudly")]

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The inputs: every fixture, and the shared real-world corpus when it is there.
fn inputs() -> Vec<PathBuf> {
    let mut paths = vec![repo().join("fixtures")];
    let shared = repo().join("../shared/corpus/real");
    if shared.is_dir() {
        paths.push(shared);
    } else {
        eprintln!("notice: {} is absent; determinism is checked on fixtures/ only", shared.display());
    }
    paths
}

fn output(args: &[&str], threads: &str, paths: &[PathBuf], dir: &Path) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_leaselint"))
        .args(["--no-config", "--threads", threads, "--color", "never"])
        .args(args)
        .args(paths)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0..=2)), "{args:?}: {:?}", out.status);
    let mut bytes = out.stdout;
    bytes.extend_from_slice(b"\n--- stderr ---\n");
    bytes.extend_from_slice(&out.stderr);
    bytes
}

#[test]
fn reports_are_byte_identical_across_runs_and_threads() {
    let paths = inputs();
    for format in ["json", "sarif", "github", "human"] {
        let args = ["--format", format];
        let first = output(&args, "1", &paths, repo());
        assert!(first.len() > 1000, "{format}: a real report");
        for (threads, run) in [("1", 2), ("2", 1), ("2", 2)] {
            let again = output(&args, threads, &paths, repo());
            assert!(again == first, "{format}: run {run} with {threads} thread(s) differs from the first run");
        }
    }
}

#[test]
fn fixed_files_are_byte_identical_across_runs_and_threads() {
    type Files = Vec<(PathBuf, Vec<u8>)>;
    let mut results: Vec<(String, Files)> = Vec::new();
    for (threads, run) in [("1", 1), ("1", 2), ("2", 1), ("2", 2)] {
        let dir = tempfile::tempdir().unwrap();
        let mut copies = Vec::new();
        for input in inputs() {
            let dest = dir.path().join(input.file_name().unwrap());
            copy_tree(&input, &dest);
            copies.push(dest);
        }
        let report = output(&["--fix", "--unsafe-fixes", "--format", "json"], threads, &copies, dir.path());
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(dir.path()).sort_by_file_name() {
            let entry = entry.unwrap();
            if entry.file_type().is_file() {
                let rel = entry.path().strip_prefix(dir.path()).unwrap().to_path_buf();
                files.push((rel, std::fs::read(entry.path()).unwrap()));
            }
        }
        let label = format!("run {run} with {threads} thread(s)");
        if let Some((first_label, first)) = results.first() {
            assert_eq!(files.len(), first.len());
            for ((p, a), (_, b)) in files.iter().zip(first) {
                assert!(a == b, "{}: {label} differs from {first_label}", p.display());
            }
        }
        let text = String::from_utf8_lossy(&report);
        assert!(text.contains("\"fixed\""), "{text}");
        results.push((label, files));
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
            // Copies of read-only files (the shared corpus is read-only) must be writable.
            let mut perms = std::fs::metadata(&dest).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false, reason = "a private temporary copy")]
            perms.set_readonly(false);
            std::fs::set_permissions(&dest, perms).unwrap();
        }
    }
}
