//! No data loss on `--fix`: leaselint killed with SIGKILL at many points of an in-place fix of a
//! large file leaves either the old bytes or the new bytes, with the file's permissions; and
//! read-only files and directories, and files changed since they were read, are refused with a
//! clear error and left as they are.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr, reason = "tests fail loudly")]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A stream of `n` Deployments (each gets a few safe fixes), Services and ConfigMaps, with
/// comments: about 1 KB per object.
fn stream(n: usize) -> String {
    let mut s = String::with_capacity(n * 1100);
    for i in 0..n {
        s.push_str(&format!(
            "# app {i}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: team-{t}\n\
             spec:\n  replicas: {r}\n  selector:\n    matchLabels: {{app: app-{i}}}\n  template:\n    metadata:\n      \
             labels: {{app: app-{i}}}\n    spec:\n      containers:\n        - name: main  # the app\n          \
             image: registry.example/app:{i}\n          resources:\n            requests: {{cpu: 100m, memory: 64Mi}}\n\
             ---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app-{i}\n  namespace: team-{t}\nspec:\n  \
             selector: {{app: app-{i}}}\n  ports: [{{port: 80}}]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  \
             name: app-{i}-config\n  namespace: team-{t}\ndata:\n  key: value-{i}\n",
            t = i % 7,
            r = 2 + i % 3,
        ));
    }
    s
}

fn leaselint(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_leaselint"));
    cmd.arg("--no-config").args(args).current_dir(dir).stdout(Stdio::null()).stderr(Stdio::null());
    cmd
}

fn temp_leftovers(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".leaselint-"))
        .count()
}

/// When to kill a run.
#[derive(Clone, Copy, Debug)]
enum KillAt {
    /// This long after the start.
    After(Duration),
    /// This long after the temporary file of the fixed text appears (during the write, the
    /// flush or the rename).
    WhileWriting(Duration),
}

#[test]
fn sigkill_during_fix_leaves_the_old_or_the_new_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let old = stream(1500);
    // The expected result, and how long an undisturbed fix takes.
    std::fs::write(d.join("ref.yaml"), &old).unwrap();
    let start = Instant::now();
    let status = leaselint(d, &["--fix", "ref.yaml"]).status().unwrap();
    let full = start.elapsed();
    assert!(status.code().is_some(), "{status:?}");
    let new = std::fs::read_to_string(d.join("ref.yaml")).unwrap();
    assert_ne!(new, old, "the stream has something to fix");

    // Kill points spread over the whole run, and points during the write (found by watching for
    // the temporary file), 0 to 5.4 ms after it appears.
    let mut points: Vec<KillAt> = (1..=12).map(|i| KillAt::After(full.mul_f64(f64::from(i) / 12.0))).collect();
    points.extend((0..28).map(|i| KillAt::WhileWriting(Duration::from_micros(200 * i))));
    let (mut kept_old, mut got_new, mut during_write, mut finished) = (0, 0, 0, 0);
    for (k, at) in points.iter().enumerate() {
        let sub = d.join(format!("run{k}"));
        std::fs::create_dir(&sub).unwrap();
        let path = sub.join("app.yaml");
        std::fs::write(&path, &old).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let mut child = leaselint(&sub, &["--fix", "app.yaml"]).spawn().unwrap();
        match *at {
            KillAt::After(t) => std::thread::sleep(t),
            KillAt::WhileWriting(t) => {
                while temp_leftovers(&sub) == 0 && child.try_wait().unwrap().is_none() {
                    std::hint::spin_loop();
                }
                std::thread::sleep(t);
            }
        }
        let killed = child.try_wait().unwrap().is_none();
        if killed {
            child.kill().unwrap(); // SIGKILL
        }
        child.wait().unwrap();
        let now = std::fs::read(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "kill point {k} ({at:?}): permissions changed");
        if now == old.as_bytes() {
            kept_old += 1;
        } else if now == new.as_bytes() {
            got_new += 1;
        } else {
            panic!("kill point {k} ({at:?}): the file is neither the old nor the new bytes ({} bytes)", now.len());
        }
        if killed {
            // The temporary file is still there: the kill landed between its creation and the rename.
            during_write += usize::from(temp_leftovers(&sub) > 0);
        } else {
            finished += 1;
            assert_eq!(temp_leftovers(&sub), 0);
        }
        std::fs::remove_dir_all(&sub).unwrap();
    }
    eprintln!(
        "{} kill points over a {full:?} fix of {} bytes: old bytes {kept_old}, new bytes {got_new}; killed while the \
         temporary file existed {during_write}, finished before the kill {finished}",
        points.len(),
        old.len()
    );
    assert!(kept_old > 0 && during_write > 0, "kills landed before and during the write");
}

#[test]
fn read_only_files_and_directories_are_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let old = stream(3);
    std::fs::write(d.join("ro.yaml"), &old).unwrap();
    std::fs::set_permissions(d.join("ro.yaml"), std::fs::Permissions::from_mode(0o444)).unwrap();
    let locked = d.join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::write(locked.join("app.yaml"), &old).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = leaselint(d, &["--fix", "--format", "json", "ro.yaml", "locked/app.yaml"])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    // The summary counts them as files not written, not as input that could not be read.
    let human = leaselint(d, &["--fix", "ro.yaml"]).stdout(Stdio::piped()).output().unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("; 1 fixed file could not be written"), "{text}");
    assert!(!text.contains("input error") && !text.contains("fixable with --fix"), "{text}");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}: {}", e["file"].as_str().unwrap(), e["message"].as_str().unwrap()))
        .collect();
    let locked_dir = std::fs::canonicalize(&locked).unwrap();
    assert_eq!(
        errors,
        [
            "ro.yaml: cannot write the fixed file: the file is read-only; it is unchanged".to_string(),
            format!(
                "locked/app.yaml: cannot write the fixed file: its directory {} is read-only (the fixed file is \
                 written beside it, then renamed); it is unchanged",
                locked_dir.display()
            ),
        ]
    );
    assert_eq!(std::fs::read_to_string(d.join("ro.yaml")).unwrap(), old);
    assert_eq!(std::fs::read_to_string(locked.join("app.yaml")).unwrap(), old);
    assert_eq!(std::fs::metadata(d.join("ro.yaml")).unwrap().permissions().mode() & 0o777, 0o444);
}

fn fixed(dir: &Path, text: &str) -> String {
    std::fs::write(dir.join("ref.yaml"), text).unwrap();
    leaselint(dir, &["--fix", "ref.yaml"]).status().unwrap();
    std::fs::read_to_string(dir.join("ref.yaml")).unwrap()
}

#[test]
fn a_file_changed_after_it_was_read_is_not_overwritten() {
    // A large file, fixed while another process rewrites it: the rewrite must survive, as it is
    // or fixed (when leaselint read it after the rewrite), never lost under leaselint's fix of the
    // old text.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let old = stream(1000);
    let theirs = format!("# edited by someone else\n{old}");
    let (fixed_old, fixed_theirs) = (fixed(d, &old), fixed(d, &theirs));
    let path = d.join("app.yaml");
    let (mut refused, mut kept, mut fixed_after) = (0, 0, 0);
    for attempt in 0..10 {
        std::fs::write(&path, &old).unwrap();
        let mut child = leaselint(d, &["--fix", "app.yaml"]).spawn().unwrap();
        // Rewrite it (atomically, as editors do) while leaselint works on it.
        std::thread::sleep(Duration::from_millis(20 + 50 * attempt));
        let tmp = d.join("editor.tmp");
        std::fs::write(&tmp, &theirs).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        let status = child.wait().unwrap();
        let now = std::fs::read_to_string(&path).unwrap();
        assert!(now != fixed_old, "attempt {attempt}: the other process's change was overwritten ({status:?})");
        if now == fixed_theirs {
            fixed_after += 1;
        } else {
            assert_eq!(now, theirs, "attempt {attempt}");
            kept += 1;
            refused += usize::from(status.code() == Some(2));
        }
    }
    eprintln!(
        "10 runs: their change kept {kept} times ({refused} refusals to write), read and fixed {fixed_after} times"
    );
    assert!(refused > 0, "no run saw the change between its read and its write");
}
