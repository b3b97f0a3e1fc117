//! Hostile input: every case ends within a time bound, under a memory ceiling (`ulimit -v`),
//! with exit 0/1 and the expected report or exit 2 and a clear error with line and column;
//! never a panic, a hang or an abort. The bounds are generous for the debug build on a loaded
//! 2-core CI machine; the release build is 10-50x faster (see the README's "Limits").

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr, reason = "tests fail loudly")]

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Virtual memory ceiling for every run (KiB): address space, not RSS, so it includes thread
/// stacks and malloc arenas; a run that needs more aborts and the test fails.
const MEMORY_KIB: u64 = 3 << 20;

struct Run {
    out: Output,
    took: Duration,
}

impl Run {
    fn code(&self) -> i32 {
        self.out.status.code().unwrap_or_else(|| panic!("killed by a signal: {:?}\n{}", self.out.status, self.stderr()))
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stderr()))
    }
    /// `file:line:column message` of each error of the JSON report.
    fn errors(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{}:{}:{} {}",
                    e["file"].as_str().unwrap(),
                    e["line"],
                    e["column"],
                    e["message"].as_str().unwrap()
                )
            })
            .collect()
    }
}

/// Runs leaselint in `dir` under the memory ceiling, killing it after `limit`.
fn run(dir: &Path, args: &[&str], stdin: Option<Vec<u8>>, limit: Duration) -> Run {
    run_as(dir, args, stdin, limit, &[])
}

fn run_as(dir: &Path, args: &[&str], stdin: Option<Vec<u8>>, limit: Duration, prefix: &[&str]) -> Run {
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(format!("ulimit -v {MEMORY_KIB} && exec \"$@\""))
        .arg("bash")
        .args(prefix)
        .arg(env!("CARGO_BIN_EXE_leaselint"))
        .arg("--no-config")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let feeder = stdin.map(|data| {
        let mut pipe = child.stdin.take().unwrap();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        })
    });
    let (out_tx, out_rx) = std::sync::mpsc::channel();
    let pid = child.id();
    std::thread::spawn(move || {
        let _ = out_tx.send(child.wait_with_output());
    });
    let out = match out_rx.recv_timeout(limit) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("leaselint {args:?} did not end within {limit:?} (a hang)");
        }
    };
    if let Some(f) = feeder {
        let _ = f.join();
    }
    let took = start.elapsed();
    let r = Run { out, took };
    let stderr = r.stderr();
    assert!(!stderr.contains("panicked"), "panic on {args:?}:\n{stderr}");
    assert!(!stderr.contains("memory allocation"), "out of memory on {args:?}:\n{stderr}");
    r
}

const SECS: fn(u64) -> Duration = Duration::from_secs;

fn alias_bomb(levels: usize) -> String {
    let mut s = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for i in 1..levels {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        s.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
    }
    s
}

#[test]
fn alias_bombs_and_recursive_aliases_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 10^9 nodes when expanded, 200 bytes on disk.
    std::fs::write(d.join("bomb.yaml"), alias_bomb(9)).unwrap();
    std::fs::write(
        d.join("cycle.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: x\n  labels: {a: *m}\n",
    )
    .unwrap();
    let r = run(d, &["--format", "json", "bomb.yaml", "cycle.yaml"], None, SECS(20));
    assert_eq!(r.code(), 2);
    assert_eq!(
        r.errors(),
        [
            "bomb.yaml:7:12 YAML parse error: aliases expand this document by more than 1000000 nodes (an alias bomb?); \
             raise the limit with --max-alias-nodes; this document is not linted",
            "cycle.yaml:5:15 YAML parse error: recursive alias: this alias is inside the node its anchor names, so it \
             would expand forever; this document is not linted",
        ]
    );
    // Raising the limit is the user's call: the tree keeps aliases unexpanded, so the run still
    // ends at once (rules and type checks follow aliases within their own node budget).
    let r = run(d, &["--format", "json", "--max-alias-nodes", "2000000000", "bomb.yaml"], None, SECS(20));
    assert_eq!(r.code(), 0, "{}", r.stderr());
    assert_eq!(r.json()["summary"]["objects"], 1);
    // The limit counts the nodes aliases add: ten aliases of an 11-node list add 10 x 10.
    std::fs::write(d.join("small.yaml"), alias_bomb(2)).unwrap();
    assert_eq!(run(d, &["--max-alias-nodes", "100", "small.yaml"], None, SECS(20)).code(), 0);
    assert_eq!(run(d, &["--max-alias-nodes", "99", "small.yaml"], None, SECS(20)).code(), 2);
}

#[test]
fn deep_nesting_stops_at_the_depth_limit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let n = 10_000;
    std::fs::write(d.join("flow.yaml"), format!("a: {}{}\n", "[".repeat(n), "]".repeat(n))).unwrap();
    let mut block = String::from("a:\n");
    for i in 1..n {
        block.push_str(&" ".repeat(i));
        block.push_str("b:\n");
    }
    std::fs::write(d.join("block.yaml"), block).unwrap();
    let r = run(d, &["--format", "json", "flow.yaml", "block.yaml"], None, SECS(60));
    assert_eq!(r.code(), 2);
    assert_eq!(
        r.errors(),
        [
            "flow.yaml:1:260 YAML parse error: collections are nested deeper than the limit of 256 levels (raise it \
             with --max-depth); this document is not linted",
            "block.yaml:257:257 YAML parse error: collections are nested deeper than the limit of 256 levels (raise it \
             with --max-depth); this document is not linted",
        ]
    );
    // Raised, the parser (which does not recurse) takes it, and so does --fix.
    let r = run(d, &["--format", "json", "--max-depth", "20000", "flow.yaml", "block.yaml"], None, SECS(60));
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let deep = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d}}\nspec:\n  selector: {{matchLabels: {{app: d}}}}\n  \
         template:\n    metadata: {{labels: {{app: d}}}}\n    spec:\n      containers: [{{name: c, image: x}}]\n      \
         extra: {}{}\n",
        "[".repeat(n),
        "]".repeat(n)
    );
    std::fs::write(d.join("deploy.yaml"), deep).unwrap();
    let r = run(d, &["--fix", "--format", "json", "--max-depth", "20000", "deploy.yaml"], None, SECS(60));
    assert!(r.errors().is_empty(), "{:?}", r.errors());
}

#[test]
fn huge_documents_and_streams_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // One 100 MB document: refused by size before parsing.
    let mut big = String::with_capacity(101 << 20);
    big.push_str("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n");
    let mut i = 0;
    while big.len() < 100 << 20 {
        big.push_str(&format!("  key{i}: {}\n", "v".repeat(100)));
        i += 1;
    }
    std::fs::write(d.join("big.yaml"), &big).unwrap();
    drop(big);
    let r = run(d, &["--format", "json", "big.yaml"], None, SECS(60));
    assert_eq!(r.code(), 2);
    let errors = r.errors();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("big.yaml:1:1 YAML parse error: this document is 104")
            && errors[0].contains("bytes, more than the limit of 67108864 bytes (raise it with --max-document-size)"),
        "{errors:?}"
    );
    // The file limit: the whole input is not even read.
    let r = run(d, &["--format", "json", "--max-file-size", "10MiB", "big.yaml"], None, SECS(30));
    assert_eq!(r.code(), 2);
    assert_eq!(
        r.errors(),
        ["big.yaml:1:1 cannot read the file: larger than 10485760 bytes (raise the limit with --max-file-size)"]
    );
    // A raised document limit parses a large document (8 MB here, to keep the debug build quick).
    let mut doc = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: eight\ndata:\n");
    let mut i = 0;
    while doc.len() < 8 << 20 {
        doc.push_str(&format!("  key{i}: {}\n", "v".repeat(100)));
        i += 1;
    }
    std::fs::write(d.join("eight.yaml"), &doc).unwrap();
    assert_eq!(run(d, &["--max-document-size", "4M", "eight.yaml"], None, SECS(60)).code(), 2);
    let r = run(d, &["--format", "json", "--max-document-size", "16M", "eight.yaml"], None, SECS(120));
    assert_eq!(r.code(), 0, "{}", r.stderr());
    // 100,000 tiny documents.
    let tiny: String =
        (0..100_000).map(|i| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n")).collect();
    let r = run(d, &["--format", "json", "-"], Some(tiny.into_bytes()), SECS(120));
    assert_eq!(r.code(), 0, "{}", r.stderr());
    assert_eq!(r.json()["summary"]["objects"], 100_000);
    eprintln!("100,000 documents in {:?} (debug build)", r.took);
}

#[test]
fn endless_stdin_stops_at_the_file_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_leaselint"));
    cmd.args(["--no-config", "--format", "json", "--max-file-size", "4MiB", "-"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut pipe = child.stdin.take().unwrap();
    // Writes until leaselint stops reading (it closes the pipe when it exits).
    let writer = std::thread::spawn(move || {
        let line = b"- a: b\n".repeat(1024);
        while pipe.write_all(&line).is_ok() {}
    });
    let start = Instant::now();
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(start.elapsed() < SECS(30));
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["errors"][0]["message"],
        "cannot read the file: larger than 4194304 bytes (raise the limit with --max-file-size)"
    );
}

#[test]
fn long_lines_nul_bytes_binary_tabs_and_bad_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let w = |name: &str, bytes: &[u8]| std::fs::write(d.join(name), bytes).unwrap();
    let long = "x".repeat(30_000);
    w(
        "long-value.yaml",
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: long\ndata:\n  k: {long}\n").as_bytes(),
    );
    // YAML caps implicit keys at 1024 characters.
    w(
        "long-key.yaml",
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: long\ndata:\n  {long}: v\n").as_bytes(),
    );
    let mut nul_late = b"apiVersion: v1\nkind: ConfigMap\n".to_vec();
    nul_late.extend(b"# padding\n".repeat(1000));
    nul_late.extend(b"metadata:\n  name: a\x00b\n");
    w("nul-late.yaml", &nul_late);
    w("nul.yaml", b"apiVersion: v1\nkind: Config\x00Map\n");
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    png.extend((0..4096u32).map(|i| (i * 7919 % 251) as u8));
    w("image.yaml", &png);
    w("tabs.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: tabs\n");
    w("latin1.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n");
    let r = run(
        d,
        &[
            "--format",
            "json",
            "long-value.yaml",
            "long-key.yaml",
            "nul-late.yaml",
            "nul.yaml",
            "image.yaml",
            "tabs.yaml",
            "latin1.yaml",
        ],
        None,
        SECS(30),
    );
    assert_eq!(r.code(), 2);
    assert_eq!(
        r.errors(),
        [
            "nul.yaml:2:13 binary file (it holds a NUL byte), not YAML or JSON; skipped",
            "image.yaml:3:1 binary file (it holds a NUL byte), not YAML or JSON; skipped",
            "long-key.yaml:6:30003 YAML parse error: mapping values are not allowed in this context; this document is \
             not linted",
            "nul-late.yaml:1004:10 YAML parse error: unexpected character: `\\u{0}'; this document is not linted",
            "tabs.yaml:4:2 YAML parse error: tabs disallowed within this context (block indentation); this document is \
             not linted",
            "latin1.yaml:4:12 invalid UTF-8: this document holds bytes that are not UTF-8 text; it is not linted",
        ]
    );
    let report = r.json();
    let files: Vec<&str> = report["findings"].as_array().unwrap().iter().filter_map(|f| f["file"].as_str()).collect();
    assert!(files.is_empty(), "{files:?}");
    assert_eq!(r.json()["summary"]["objects"], 1, "the long value parses");
}

#[test]
fn byte_order_marks_in_the_middle_and_duplicate_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Files saved with a BOM, concatenated: a BOM may start any document (YAML 1.2).
    std::fs::write(
        d.join("concat.yaml"),
        b"\xef\xbb\xbfapiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n\xef\xbb\xbf---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n",
    )
    .unwrap();
    // Inside a document it is an error (after the `---` marker, as YAML says).
    std::fs::write(
        d.join("inside.yaml"),
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n\xef\xbb\xbfkind: x\n",
    )
    .unwrap();
    std::fs::write(
        d.join("dup.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\ndata:\n  k: 1\n  k: 2\n",
    )
    .unwrap();
    let r = run(d, &["--format", "json", "concat.yaml", "inside.yaml", "dup.yaml"], None, SECS(30));
    assert_eq!(r.code(), 2);
    assert_eq!(
        r.errors(),
        ["inside.yaml:6:1 YAML parse error: a BOM must not appear inside a document; this document is not linted"]
    );
    let report = r.json();
    assert_eq!(report["summary"]["documents"], 4);
    let codes: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["file"].as_str().unwrap(), f["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(codes, [("dup.yaml", "LL010")]);
}

#[test]
fn symlink_loops_fifos_and_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    let tree = d.join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    std::os::unix::fs::symlink("..", tree.join("sub").join("up")).unwrap();
    std::fs::write(tree.join("ok.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n").unwrap();
    let fifo = tree.join("pipe.yaml");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let secret = tree.join("secret.yaml");
    std::fs::write(&secret, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads anything: drop to `nobody` for the permission check (setpriv, util-linux).
    let root = std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false);
    let setpriv = Command::new("setpriv").arg("--version").output().is_ok_and(|o| o.status.success());
    let prefix: &[&str] = match (root, setpriv) {
        (false, _) => &[],
        (true, true) => &["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"],
        (true, false) => {
            eprintln!("notice: running as root without setpriv: the unreadable file is readable here; not checked");
            std::fs::remove_file(&secret).unwrap();
            &[]
        }
    };
    let r = run_as(d, &["--format", "json", "tree"], None, SECS(30), prefix);
    assert_eq!(r.code(), 2, "{}", r.stderr());
    let mut errors = r.errors();
    errors.sort();
    let mut expected =
        vec!["tree/sub/up:1:1 symbolic link loop: this directory links back to one of its parents; skipped"];
    if !prefix.is_empty() || !root {
        expected.insert(0, "tree/secret.yaml:1:1 cannot read the file: permission denied");
    }
    assert_eq!(errors, expected);
    assert!(r.stderr().contains("tree/pipe.yaml: not a regular file; skipped"), "{}", r.stderr());
    assert_eq!(r.json()["summary"]["objects"], 1);
}

#[test]
fn a_file_that_changes_while_read_is_never_half_linted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let path = d.join("moving.yaml");
    let doc = |i: usize| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  k: v\n");
    std::fs::write(&path, doc(0).repeat(20_000)).unwrap();
    // A writer appends while leaselint reads: every run must end, either with a consistent
    // snapshot or with the "changed while it was being read" error.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stop, path) = (stop.clone(), path.clone());
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
            let mut i = 1;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                f.write_all(doc(i).as_bytes()).unwrap();
                i += 1;
                if i % 64 == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        })
    };
    let mut changed = 0;
    for _ in 0..5 {
        let r = run(&d, &["--format", "json", "moving.yaml"], None, SECS(60));
        match r.code() {
            0 => {}
            2 => {
                let errors = r.errors();
                assert_eq!(errors.len(), 1, "{errors:?}");
                assert!(errors[0].contains("the file changed while it was being read"), "{errors:?}");
                changed += 1;
            }
            c => panic!("exit {c}: {}", r.stderr()),
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    eprintln!("{changed} of 5 runs saw the file change");
}
