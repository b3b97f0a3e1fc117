#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

use super::{Defrag, Targets, defrags};
use crate::k8s::etcd::tests::with_object;

/// The defrag calls of a CronJob-less pod whose one container runs `sh -c SCRIPT`, as
/// (targets, guarded).
fn script(script: &str) -> Vec<(Targets, bool)> {
    calls(&format!("command: [/bin/sh, -c]\n    args:\n    - |\n{}", indent(script)), "")
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("      {l}\n")).collect()
}

fn calls(container: &str, env: &str) -> Vec<(Targets, bool)> {
    let yaml = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n  - name: defrag\n    image: bitnami/etcd:3.6\n{env}    {container}"
    );
    with_object(&yaml, |o| {
        let pod = o.pod().unwrap();
        let c = pod.containers().into_iter().next().unwrap();
        defrags(&c).into_iter().map(|d: Defrag| (d.targets, d.guarded)).collect()
    })
}

use Targets::{Cluster, Default, One, Several, Unknown};

#[test]
fn plain_command_lists() {
    assert_eq!(
        calls("command: [etcdctl, \"--endpoints=https://a:2379,https://b:2379\", defrag]\n", ""),
        vec![(Several(2), false)]
    );
    assert_eq!(calls("command: [etcdctl, --endpoints, https://a:2379, defrag]\n", ""), vec![(One, false)]);
    assert_eq!(calls("command: [etcdctl, defrag, --cluster]\n", ""), vec![(Cluster, false)]);
    assert_eq!(calls("args: [etcdctl, defrag]\n", ""), vec![(Default, false)]);
    // Endpoints from the environment.
    let env = "    env: [{name: ETCDCTL_ENDPOINTS, value: \"http://a:2379,http://b:2379,http://c:2379\"}]\n";
    assert_eq!(calls("command: [etcdctl, defrag]\n", env), vec![(Several(3), false)]);
    // Other etcdctl commands, and the offline defrag of a stopped member's data dir.
    assert_eq!(calls("command: [etcdctl, endpoint, status, --cluster]\n", ""), vec![]);
    assert_eq!(calls("command: [etcdctl, defrag, --data-dir, /var/lib/etcd]\n", ""), vec![]);
    assert_eq!(calls("command: [etcdutl, defrag, --data-dir, /var/lib/etcd]\n", ""), vec![]);
}

#[test]
fn bitnami_defrag_cronjob() {
    // bitnami/etcd 12.0.20's cronjob-defrag.yaml, as rendered.
    let s = r#"#!/usr/bin/env bash
set -eo pipefail

# Include library
. /opt/bitnami/scripts/libetcd.sh

# Load etcd environment settings
. /opt/bitnami/scripts/etcd-env.sh

# Common flags
read -r -a flags <<<"$(etcdctl_auth_flags)"
cmd="etcdctl --command-timeout=60s ${flags[@]}"
$cmd --endpoints="http://etcd-0.etcd-headless.etcd.svc.cluster.local:2379,http://etcd-1.etcd-headless.etcd.svc.cluster.local:2379,http://etcd-2.etcd-headless.etcd.svc.cluster.local:2379" defrag"#;
    assert_eq!(
        calls(&format!("command:\n    - /bin/bash\n    - -c\n    - |-\n{}", indent(s)), ""),
        vec![(Several(3), false)]
    );
}

#[test]
fn chains_and_sequences() {
    assert_eq!(script("etcdctl endpoint health && etcdctl defrag --cluster"), vec![(Cluster, false)]);
    assert_eq!(script("set -e; etcdctl --endpoints=$EP defrag; echo done"), vec![(Unknown, false)]);
    // Exit codes of `endpoint status` only say the member answers: no guard.
    assert_eq!(script("etcdctl endpoint status && etcdctl defrag"), vec![(Default, false)]);
    assert_eq!(script("ETCDCTL_API=3 timeout 120 etcdctl --endpoints=a:2379 defrag"), vec![(One, false)]);
    assert_eq!(script("export ETCDCTL_ENDPOINTS=a:2379,b:2379\nexec etcdctl defrag"), vec![(Several(2), false)]);
    assert_eq!(script("kubectl -n kube-system exec etcd-cp1 -- etcdctl defrag --cluster"), vec![(Cluster, false)]);
    assert_eq!(script("kubectl exec etcd-0 -- sh -c 'etcdctl defrag'"), vec![(Default, false)]);
    assert_eq!(script("echo etcdctl defrag is not run here"), vec![]);
    // xargs runs one call per endpoint.
    assert_eq!(script("echo $EPS | tr , '\\n' | xargs -I{} etcdctl --endpoints={} defrag"), vec![(One, false)]);
    assert_eq!(script("echo $EPS | xargs -n 1 -I {} etcdctl --endpoints {} defrag"), vec![(One, false)]);
}

#[test]
fn loops_over_endpoints() {
    let s = "for ep in https://a:2379 https://b:2379 https://c:2379; do\n  etcdctl --endpoints=\"$ep\" defrag\n  sleep 30\ndone";
    assert_eq!(script(s), vec![(One, false)]);
    let s = "for ep in $(echo \"$ENDPOINTS\" | tr , ' '); do etcdctl --endpoints \"${ep}\" defrag; done";
    assert_eq!(script(s), vec![(One, false)]);
    // A function called once per endpoint.
    let s = "d() {\n  ep=\"$1\"\n  etcdctl --endpoints=\"$ep\" defrag\n}\nfor m in a b c; do d \"$m\"; done";
    assert_eq!(script(s), vec![(One, false)]);
}

#[test]
fn guards_on_endpoint_status() {
    // An if whose test reads the status output.
    let s = "if [ \"$(etcdctl endpoint status -w json | jq '.[0].Status.raftIndex - .[0].Status.raftAppliedIndex')\" -lt 1000 ]; then\n  etcdctl defrag\nfi";
    assert_eq!(script(s), vec![(Default, true)]);
    // Through variables.
    let s = "status=$(etcdctl --endpoints=\"$EP\" endpoint status -w json)\napplied=$(echo \"$status\" | jq .raftAppliedIndex)\nbacklog=$(( $(echo \"$status\" | jq .raftIndex) - applied ))\n[ \"$backlog\" -lt 1000 ] && etcdctl --endpoints=\"$EP\" defrag";
    assert_eq!(script(s), vec![(Unknown, true)]);
    // A pipeline into grep.
    let s = "etcdctl endpoint status | grep -q 'false, false' && etcdctl defrag";
    assert_eq!(script(s), vec![(Default, true)]);
    // An early exit.
    let s = "b=$(etcdctl endpoint status -w json | jq .x)\n[ \"$b\" -lt 100 ] || exit 0\netcdctl defrag";
    assert_eq!(script(s), vec![(Default, true)]);
    let s = "b=$(etcdctl endpoint status -w json | jq .x)\nif [ \"$b\" -gt 100 ]; then\n  echo busy; exit 1\nfi\netcdctl defrag";
    assert_eq!(script(s), vec![(Default, true)]);
    // A loop that waits for the backlog to drain.
    let s = "backlog() { etcdctl endpoint status -w json | jq .x; }\nwhile [ \"$(backlog)\" -gt 100 ]; do sleep 5; done\netcdctl defrag";
    assert_eq!(script(s), vec![(Default, true)]);
    // read in a pipeline.
    let s = "etcdctl endpoint status --cluster -w simple | while IFS=, read -r ep id ver size leader rest; do\n  if [ \"$leader\" = \" false\" ]; then etcdctl --endpoints=\"$ep\" defrag; fi\ndone";
    assert_eq!(script(s), vec![(Unknown, true)]);
    // A status call whose output nobody reads is no guard; neither is a condition on something else.
    let s = "etcdctl endpoint status -w table\nif [ -f /tmp/go ]; then etcdctl defrag; fi";
    assert_eq!(script(s), vec![(Default, false)]);
    // A guard around one call leaves the next one unguarded.
    let s = "if [ \"$(etcdctl endpoint status | wc -l)\" -gt 0 ]; then etcdctl defrag; fi\netcdctl defrag --cluster";
    assert_eq!(script(s), vec![(Default, true), (Cluster, false)]);
}

#[test]
fn one_member_at_a_time_leader_last() {
    let s = r#"set -eu
field() { printf '%s' "$2" | grep -o "\"$1\":[0-9]*" | head -n1 | cut -d: -f2; }
defrag_member() {
  ep="$1"
  tries=0
  while :; do
    status=$(etcdctl --endpoints="$ep" endpoint status -w json)
    backlog=$(( $(field raftIndex "$status") - $(field raftAppliedIndex "$status") ))
    if [ "$backlog" -lt "$MAX_BACKLOG" ]; then
      etcdctl --endpoints="$ep" --command-timeout=120s defrag
      return 0
    fi
    tries=$((tries + 1))
    [ "$tries" -lt 30 ] || return 1
    sleep 10
  done
}
followers=""
leader=""
for ep in $(printf '%s' "$ENDPOINTS" | tr ',' ' '); do
  status=$(etcdctl --endpoints="$ep" endpoint status -w json)
  if [ "$(field member_id "$status")" = "$(field leader "$status")" ]; then leader="$ep"; else followers="$followers $ep"; fi
done
for ep in $followers $leader; do
  defrag_member "$ep"
done"#;
    assert_eq!(script(s), vec![(One, true)]);
}

#[test]
fn the_shipped_example_defragments_one_guarded_member_per_call() {
    let yaml = include_str!("../../../examples/etcd-defrag-guard.yaml");
    with_object(yaml, |o| {
        let pod = o.pod().unwrap();
        let c = pod.containers().into_iter().next().unwrap();
        let calls: Vec<(Targets, bool)> = defrags(&c).into_iter().map(|d| (d.targets, d.guarded)).collect();
        assert_eq!(calls, vec![(One, true)]);
    });
}
