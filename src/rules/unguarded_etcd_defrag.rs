//! LL020 unguarded-etcd-defrag.

use crate::k8s::Object;
use crate::k8s::etcd_defrag::{self, Defrag, Targets};
use crate::lint::{Ctx, Rule};

/// Finds `etcdctl … defrag` calls that defragment several members in one call (`--cluster`, or
/// more than one endpoint in `--endpoints` or `ETCDCTL_ENDPOINTS`), or that no guard on
/// `etcdctl endpoint status` output protects (see `k8s::etcd_defrag` for what a guard is).
///
/// Read in every pod-carrying kind (CronJobs and Jobs above all; a Deployment that loops over a
/// defrag is the same job), in `command`/`args` and in shell scripts there: `&&`/`;` lists,
/// `if`/`while`/`case`, `for` loops over endpoints (one endpoint per call counts as one member),
/// functions, `$cmd` variables holding `etcdctl …`, `xargs … etcdctl`, `kubectl exec … -- etcdctl`. One finding per
/// container, at the item that holds the first offending call.
///
/// Not detected: scripts that live outside the manifest (a mounted ConfigMap script, an image's
/// own script), `etcdctl defrag --data-dir` / `etcdutl defrag` (offline: the member is stopped).
/// Endpoints the reader cannot resolve (`--endpoints=$ENDPOINTS` from outside) do not count as
/// several, so such a call is reported only when it has no guard.
pub(crate) struct UnguardedEtcdDefrag;

impl Rule for UnguardedEtcdDefrag {
    fn code(&self) -> &'static str {
        "LL020"
    }

    fn name(&self) -> &'static str {
        "unguarded-etcd-defrag"
    }

    fn check_object(&self, obj: &Object<'_>, cx: &mut Ctx<'_>) {
        let Some(pod) = obj.pod() else { return };
        if !crate::k8s::etcd::pod_mentions(&pod, "defrag") && !has_defrag_init(&pod) {
            return;
        }
        for c in pod.containers() {
            if !etcd_defrag::mentions_defrag(&c) {
                continue;
            }
            let calls = etcd_defrag::defrags(&c);
            let mut offending = calls.iter().filter(|d| several(d).is_some() || !d.guarded);
            let Some(first) = offending.next() else { continue };
            let more = offending.count();
            let mut message = message(first);
            if more > 0 {
                message.push_str(&format!(
                    " ({more} more such call{} in this container)",
                    if more == 1 { "" } else { "s" }
                ));
            }
            cx.report(obj.at(&first.path), message).emit();
        }
    }
}

/// How the call reaches several members, when it does.
fn several(d: &Defrag) -> Option<String> {
    match d.targets {
        Targets::Cluster => Some("every member (`--cluster`)".to_string()),
        Targets::Several(n) => {
            let shown = d.endpoints.as_deref().map(short).unwrap_or_default();
            Some(format!("{n} members (`{shown}`)"))
        }
        _ => None,
    }
}

/// Endpoints as shown in a message: the first one and how many more.
fn short(endpoints: &str) -> String {
    let parts: Vec<&str> = endpoints.split([',', ' ']).filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [first, rest @ ..] if !rest.is_empty() => format!("{first},…"),
        _ => endpoints.to_string(),
    }
}

const COST: &str = "a member blocks reads and writes while it is defragmented, and under load writes wait 100+ ms";
const ADVICE: &str = "defragment one member at a time, the leader last, only while its apply backlog \
                      (`raftIndex - raftAppliedIndex` from `etcdctl endpoint status`) is low";

fn message(d: &Defrag) -> String {
    match (several(d), d.guarded) {
        (Some(who), false) => format!(
            "`etcdctl defrag` defragments {who} in one call with no guard on `etcdctl endpoint status`: {COST}; {ADVICE}"
        ),
        (Some(who), true) => format!("`etcdctl defrag` defragments {who} in one call: {COST}; {ADVICE}"),
        (None, _) => format!(
            "`etcdctl defrag` runs with no guard on `etcdctl endpoint status` output, whatever the member's load: \
             {COST}; {ADVICE}"
        ),
    }
}

/// An init container mentions `defrag` (init containers run it too, once per pod start).
fn has_defrag_init(pod: &crate::k8s::Pod<'_>) -> bool {
    pod.spec.get("initContainers").is_some_and(|cs| {
        cs.items().any(|c| {
            ["command", "args"].iter().any(|list| {
                c.get(list).is_some_and(|l| l.items().any(|i| i.as_text().is_some_and(|t| t.contains("defrag"))))
            })
        })
    })
}
