//! LL019 etcd-without-compaction.

use crate::diag::{Fix, Patch};
use crate::k8s::etcd::{self, Uncompacted};
use crate::k8s::{Container, Inventory, Workload};
use crate::lint::{Ctx, Rule};
use crate::rules::helpers::etcd as edits;
use crate::yaml::edit::EditError;

/// Finds etcd members that nobody compacts: neither a kube-apiserver (which compacts its etcd
/// every 5 minutes by default, `--etcd-compaction-interval`) nor etcd itself
/// (`--auto-compaction-retention` unset or `0`).
///
/// Compacted by a kube-apiserver, so never reported: a static control-plane etcd Pod in
/// `kube-system` (kubeadm's labels `component: etcd` and `tier: control-plane`, a
/// `tier: control-plane` label, a mirror-Pod annotation, or a Node as owner); a pod that also runs a
/// kube-apiserver that compacts; a workload whose pods a compacting kube-apiserver anywhere in the
/// run names in `--etcd-servers` — through a Service that selects them (`etcd`,
/// `etcd.ns.svc…`) or as a StatefulSet pod (`etcd-0.etcd-headless.ns.svc…`), in its namespace
/// (a hosted control plane); and the local etcd of kubeadm `ClusterConfiguration`s and Cluster
/// API `KubeadmControlPlane`s (this rule reads only containers). Also skipped: etcd 2 images
/// (`…/etcd:v2.x`, no MVCC history to compact), members whose settings may come from where the
/// run cannot see (`--config-file`, `ETCD_CONFIG_FILE`, `envFrom`).
///
/// A cross-object rule: the facts come from `k8s::etcd::facts` in the inventory.
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

    fn check_inventory(&self, inv: &Inventory, cx: &mut Ctx<'_>) {
        // Where compacting API servers point, with the namespace each runs in.
        let hosts: Vec<(&str, Option<&str>)> = inv
            .workloads
            .iter()
            .filter_map(|w| Some((w, w.etcd.as_ref()?)))
            .flat_map(|(w, e)| e.compacting_hosts.iter().map(move |h| (h.as_str(), inv.namespace_of(&w.info))))
            .collect();
        for w in &inv.workloads {
            let Some(facts) = w.etcd.as_ref().filter(|e| !e.uncompacted.is_empty()) else { continue };
            let ns = inv.namespace_of(&w.info);
            let services: Vec<&str> = inv.services_selecting(w).map(|s| s.info.object.name.as_str()).collect();
            let name = w.info.object.name.as_str();
            if hosts.iter().any(|(h, api_ns)| etcd::host_names(h, name, ns, &services, *api_ns)) {
                continue;
            }
            for u in &facts.uncompacted {
                report(w, u, cx);
            }
        }
    }
}

fn report(w: &Workload, u: &Uncompacted, cx: &mut Ctx<'_>) {
    let nobody = if u.apiserver_off {
        "its kube-apiserver does not compact it (`--etcd-compaction-interval=0`)"
    } else {
        "no kube-apiserver compacts it (not a kubeadm or Cluster API control-plane member, and no kube-apiserver of \
         the run uses it)"
    };
    let cost = format!(
        "its history grows with every write until the backend quota ({QUOTA} by default) raises the NOSPACE alarm \
         and etcd refuses writes"
    );
    let name = &u.container;
    let message = match &u.retention {
        Some(r) => format!("etcd `{name}` turns auto-compaction off (retention `{r}`) and {nobody}: {cost}"),
        None => format!("etcd `{name}` sets no `--auto-compaction-retention` and {nobody}: {cost}"),
    };
    let fix = u.editable.then(|| {
        let how = if u.via_env { "`ETCD_AUTO_COMPACTION_*` variables" } else { "flags" };
        let title = format!(
            "compact every hour: `auto-compaction-mode=periodic`, `auto-compaction-retention=1h` as {how} (revisions \
             older than an hour are dropped; restarts the members)"
        );
        cx.with_edits(Fix::unsafe_(title), &[&w.info], |e| {
            let obj = e.object(&w.info)?;
            let ed = e.editor(w.info.file)?;
            let node = obj.get(&u.path).ok_or_else(|| EditError("internal error: the container is gone".into()))?;
            let container = Container {
                node,
                path: u.path.clone(),
                name: node.get("name").and_then(|n| n.as_text()).unwrap_or_default(),
                init: false,
                restartable: false,
            };
            let member = etcd::member(container).ok_or_else(|| EditError("internal error: no etcd member".into()))?;
            let config = &member.config;
            let site = config.add.as_ref().ok_or_else(|| EditError("nowhere to add the settings".into()))?;
            let mut added: Vec<(&str, &str)> = Vec::new();
            let mut patch = Patch::default();
            match config.get("auto-compaction-mode") {
                Some(s) if s.value.trim() != "periodic" => patch.add(edits::set(&ed, &obj, s, "periodic")?),
                Some(_) => {}
                None => added.push(("auto-compaction-mode", "periodic")),
            }
            match config.get("auto-compaction-retention") {
                Some(r) => patch.add(edits::set(&ed, &obj, r, "1h")?),
                None => added.push(("auto-compaction-retention", "1h")),
            }
            if !added.is_empty() {
                patch.add(edits::add(&ed, &obj, site, &added)?);
            }
            Ok(patch)
        })
    });
    cx.report(u.loc.clone(), message).fix_opt(fix).emit();
}
