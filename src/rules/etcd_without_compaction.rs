//! LL019 etcd-without-compaction.

use crate::diag::Fix;
use crate::k8s::Object;
use crate::k8s::etcd::{self, AddSite, Member};
use crate::lint::{Ctx, Rule};
use crate::rules::helpers::etcd as edits;
use crate::yaml::NodePath;

/// Finds etcd members that nobody compacts: neither a kube-apiserver (which compacts its etcd
/// every 5 minutes by default, `--etcd-compaction-interval`) nor etcd itself
/// (`--auto-compaction-retention` unset or `0`).
///
/// Compacted by a kube-apiserver, so never reported: kubeadm's static etcd Pod (labels
/// `component: etcd` and `tier: control-plane`, in `kube-system`), a pod that also runs a
/// kube-apiserver container that compacts, and the local etcd of kubeadm `ClusterConfiguration`s
/// and Cluster API `KubeadmControlPlane`s (this rule reads only containers). Also skipped: etcd 2
/// images (`…/etcd:v2.x`, no MVCC history to compact), members whose settings may come from where
/// the run cannot see (`--config-file`, `ETCD_CONFIG_FILE`, `envFrom`).
///
/// Not detected: a kube-apiserver in another object that points at this etcd (a hosted control
/// plane's StatefulSet etcd): such an etcd is reported, and the finding is suppressed on it.
///
/// ## Fix safety
/// Unsafe: `--auto-compaction-mode=periodic --auto-compaction-retention=1h` (as `ETCD_*`
/// variables when the member is configured through them, as bitnami's image is) makes etcd drop
/// revisions older than an hour, which a client reading or watching from an older revision then
/// cannot get (`mvcc: required revision has been compacted`). No fix when the mode is set to
/// `revision` (a retention of hours means nothing there) or the settings are in a script.
pub(crate) struct EtcdWithoutCompaction;

/// etcd's default backend quota (`--quota-backend-bytes` 0 means 2 GiB).
const QUOTA: &str = "2 GiB";

impl Rule for EtcdWithoutCompaction {
    fn code(&self) -> &'static str {
        "LL019"
    }

    fn name(&self) -> &'static str {
        "etcd-without-compaction"
    }

    fn check_object(&self, obj: &Object<'_>, cx: &mut Ctx<'_>) {
        let Some(pod) = obj.pod() else { return };
        if etcd::is_kubeadm_static_pod(obj) {
            return;
        }
        let members = etcd::members(&pod);
        if members.is_empty() {
            return;
        }
        let apiservers = etcd::apiservers(&pod);
        if apiservers.iter().any(|a| a.compacts) {
            return;
        }
        let nobody = if apiservers.is_empty() {
            "no kube-apiserver compacts it (it is no kubeadm or Cluster API control-plane member)"
        } else {
            "its kube-apiserver does not compact it (`--etcd-compaction-interval=0`)"
        };
        for m in members {
            if m.major.is_some_and(|v| v < 3) || !m.config.is_complete() {
                continue;
            }
            check(obj, &m, nobody, cx);
        }
    }
}

/// A retention that turns compaction off (`0`, `0h`, `0s`, `0m`).
fn is_off(retention: &str) -> bool {
    let digits = retention.trim().trim_end_matches(['h', 'm', 's']);
    !digits.is_empty() && digits.chars().all(|c| c == '0' || c == '.')
}

fn check(obj: &Object<'_>, m: &Member<'_>, nobody: &str, cx: &mut Ctx<'_>) {
    let config = &m.config;
    let retention = config.get("auto-compaction-retention");
    if retention.is_some_and(|r| !is_off(&r.value)) {
        return;
    }
    let name = m.container.name;
    let cost = format!(
        "its history grows with every write until the backend quota ({QUOTA} by default) raises the NOSPACE alarm \
         and etcd refuses writes"
    );
    let (at, message) = match retention {
        Some(r) => (
            r.path.clone(),
            format!("etcd `{name}` turns auto-compaction off (retention `{}`) and {nobody}: {cost}", r.value),
        ),
        None => (report_path(m), format!("etcd `{name}` sets no `--auto-compaction-retention` and {nobody}: {cost}")),
    };
    let mode = config.get("auto-compaction-mode");
    let revision_mode = mode.is_some_and(|s| s.value.trim() == "revision");
    let editable = !revision_mode
        && retention.is_none_or(edits::is_editable)
        && mode.is_none_or(edits::is_editable)
        && config.add.is_some();
    let fix = editable.then(|| {
        let how = if config.uses_env() { "`ETCD_AUTO_COMPACTION_*` variables" } else { "flags" };
        let title = format!(
            "compact every hour: `auto-compaction-mode=periodic`, `auto-compaction-retention=1h` as {how} (revisions \
             older than an hour are dropped; restarts the members)"
        );
        let file = obj.info.file;
        cx.with_edits(Fix::unsafe_(title), &[], |e| {
            let ed = e.editor(file)?;
            let site = config.add.as_ref().ok_or_else(|| crate::yaml::edit::EditError("nowhere to add".into()))?;
            let mut added: Vec<(&str, &str)> = Vec::new();
            let mut patch = crate::diag::Patch::default();
            match mode {
                Some(s) if s.value.trim() != "periodic" => patch.add(edits::set(&ed, obj, s, "periodic")?),
                Some(_) => {}
                None => added.push(("auto-compaction-mode", "periodic")),
            }
            match retention {
                Some(r) => patch.add(edits::set(&ed, obj, r, "1h")?),
                None => added.push(("auto-compaction-retention", "1h")),
            }
            if !added.is_empty() {
                patch.add(edits::add(&ed, obj, site, &added)?);
            }
            Ok(patch)
        })
    });
    cx.report(obj.at(&at), message).fix_opt(fix).emit();
}

/// Where a missing retention is reported: the list that holds the member's flags, its `env`, or
/// the container.
fn report_path(m: &Member<'_>) -> NodePath {
    match &m.config.add {
        Some(AddSite::Flags(list)) => list.clone(),
        _ => m.container.path.key("env"),
    }
}

#[cfg(test)]
mod tests {
    use super::is_off;

    #[test]
    fn retentions_that_turn_compaction_off() {
        for (value, off) in [
            ("0", true),
            ("0h", true),
            ("0.0", true),
            ("1", false),
            ("1h", false),
            ("30m", false),
            ("1000", false),
            ("", false),
        ] {
            assert_eq!(is_off(value), off, "{value}");
        }
    }
}
