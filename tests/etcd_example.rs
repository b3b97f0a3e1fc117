//! `examples/etcd-defrag-guard.yaml`, the defrag CronJob the README's LL020 docs point to: it
//! lints clean with every rule and no config, and LL020 passes it because of its guard (the same
//! script without the backlog test, or defragmenting `--cluster`, is reported).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

mod common;

use common::{code, concise, json, repo, run_in};

const EXAMPLE: &str = "examples/etcd-defrag-guard.yaml";

#[test]
fn the_defrag_guard_example_lints_clean() {
    let out = run_in(&repo(), &["--no-config", "--format", "json", EXAMPLE], None);
    let report = json(&out);
    assert_eq!(code(&out), 0, "{}", concise(&report));
    assert_eq!(report["findings"], serde_json::json!([]), "{}", concise(&report));
    assert_eq!(report["errors"], serde_json::json!([]));
}

/// LL020's findings on the example with `edit` applied to its text.
fn ll020_on(edit: impl Fn(&str) -> String) -> Vec<String> {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join(EXAMPLE)).unwrap();
    let changed = edit(&text);
    assert_ne!(changed, text, "the edit must change the example");
    std::fs::write(tmp.path().join("cronjob.yaml"), changed).unwrap();
    let report =
        json(&run_in(tmp.path(), &["--no-config", "--select", "LL020", "--format", "json", "cronjob.yaml"], None));
    report["findings"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap().to_string()).collect()
}

#[test]
fn ll020_passes_the_example_because_of_its_guard() {
    // The backlog test removed: the defrag runs whatever the load.
    let unguarded = ll020_on(|t| t.replace(r#"if [ "$backlog" -lt "$MAX_BACKLOG" ]; then"#, "if true; then"));
    assert_eq!(unguarded.len(), 1, "{unguarded:?}");
    assert!(unguarded[0].contains("no guard on `etcdctl endpoint status` output"), "{unguarded:?}");
    // Every member in one call, even behind the guard.
    let cluster = ll020_on(|t| {
        t.replace(r#"etcdctl --endpoints="$ep" --command-timeout=300s defrag"#, "etcdctl defrag --cluster")
    });
    assert_eq!(cluster.len(), 1, "{cluster:?}");
    assert!(cluster[0].contains("defragments every member (`--cluster`) in one call:"), "{cluster:?}");
}
