//! LL018 etcd-heartbeat-overtuned.

use crate::diag::{Fix, Patch};
use crate::k8s::Object;
use crate::k8s::etcd::{self, DEFAULT_ELECTION_MS, DEFAULT_HEARTBEAT_MS, EtcdConfig};
use crate::lint::{Ctx, Rule};
use crate::rules::helpers::etcd as edits;
use crate::yaml::NodePath;
use crate::yaml::edit::EditError;

/// Finds etcd members whose `--heartbeat-interval` is below `thresholds.etcdHeartbeatMs` (100 ms,
/// etcd's default) or whose `--election-timeout` is less than 5 × their heartbeat (etcd's own
/// configuration check rejects that, so the member does not start).
///
/// Read from: etcd member containers of every pod-carrying kind (flags `--flag=value` and
/// `--flag value` in `command`/`args` or in a `sh -c` wrapper, `ETCD_*` variables, flags winning
/// as in etcd), kubeadm `ClusterConfiguration` documents (`etcd.local.extraArgs`, a map in
/// v1beta3 and a `{name, value}` list in v1beta4), the `kubeadm-config` ConfigMap's
/// `ClusterConfiguration` string, and Cluster API `KubeadmControlPlane`s. Unset values are
/// etcd's defaults (100 ms, 1000 ms). Not detected: members with `--config-file`, whose flags
/// and variables etcd ignores; settings in ConfigMaps referenced through `envFrom`; external etcd
/// of a kubeadm configuration (not configured there).
///
/// ## Fix safety
/// Unsafe: the heartbeat becomes the threshold (100 ms) and, when the election timeout would be
/// less than 5 × that, the election timeout becomes 10 × it (1000 ms); an election timeout alone
/// below 5 × the heartbeat becomes 10 × the heartbeat. Changing Raft timing restarts the members
/// (rolling), changes how fast a failed leader is replaced, and must be the same on every member
/// of the cluster. No fix for a setting inside a script or the kubeadm-config ConfigMap's string.
pub(crate) struct EtcdHeartbeatOvertuned;

impl Rule for EtcdHeartbeatOvertuned {
    fn code(&self) -> &'static str {
        "LL018"
    }

    fn name(&self) -> &'static str {
        "etcd-heartbeat-overtuned"
    }

    fn check_object(&self, obj: &Object<'_>, cx: &mut Ctx<'_>) {
        if let Some(pod) = obj.pod() {
            for m in etcd::members(&pod) {
                if !m.config.config_file {
                    let who = format!("etcd `{}`", m.container.name);
                    check(obj, &m.config, &who, &m.container.path, cx);
                }
            }
        } else if let Some(k) = etcd::kubeadm_etcd(obj) {
            let who = if k.embedded {
                "kubeadm's local etcd (in `ClusterConfiguration`)".to_string()
            } else {
                "kubeadm's local etcd".to_string()
            };
            check(obj, &k.config, &who, &k.anchor, cx);
        }
    }
}

fn check(obj: &Object<'_>, config: &EtcdConfig, who: &str, anchor: &NodePath, cx: &mut Ctx<'_>) {
    let threshold = cx.config.thresholds.etcd_heartbeat_ms;
    let heartbeat = config.millis("heartbeat-interval");
    let election = config.millis("election-timeout");
    if heartbeat.is_none() && election.is_none() {
        return;
    }
    let hb = heartbeat.map_or(DEFAULT_HEARTBEAT_MS, |(v, _)| v);
    let el = election.map_or(DEFAULT_ELECTION_MS, |(v, _)| v);
    let ratio = el < 5 * hb;
    let refuses = format!(
        "`--election-timeout` {el} ms is less than 5 × the {hb} ms heartbeat, and etcd refuses to start with that \
         (its configuration check requires 5×; the tuning guide sizes it at about 10×)"
    );
    let file = obj.info.file;
    if let Some((_, hb_setting)) = heartbeat.filter(|(v, _)| *v < threshold) {
        let new_hb = threshold.max(DEFAULT_HEARTBEAT_MS);
        let raise_election = el < 5 * new_hb;
        let per_second = if hb > 0 { format!("{} heartbeats a second", 1000 / hb) } else { "no heartbeat".into() };
        let mut message = format!(
            "{who} sends a heartbeat every {hb} ms, below {threshold} ms: the leader sends each follower \
             {per_second}, and under load a late one starts an election that stalls every write (etcd's default: \
             100 ms, election timeout 1000 ms)"
        );
        if ratio {
            message.push_str(&format!("; {refuses}"));
        }
        let editable = edits::is_editable(hb_setting)
            && (!raise_election || election.is_none_or(|(_, s)| edits::is_editable(s)))
            && (!raise_election || election.is_some() || config.add.is_some());
        let fix = editable.then(|| {
            let title = if raise_election {
                format!(
                    "set the heartbeat interval to {new_hb} ms and the election timeout to {} ms (restarts the members; \
                     use the same values on every member)",
                    10 * new_hb
                )
            } else {
                format!("set the heartbeat interval to {new_hb} ms (restarts the members; use the same value on every member)")
            };
            cx.with_edits(Fix::unsafe_(title), &[], |e| {
                let ed = e.editor(file)?;
                let mut patch = edits::set(&ed, obj, hb_setting, &new_hb.to_string())?;
                if raise_election {
                    patch.add(election_edit(&ed, obj, config, 10 * new_hb)?);
                }
                Ok(patch)
            })
        });
        cx.report(obj.at(&hb_setting.path), message).fix_opt(fix).emit();
    } else if ratio {
        let at = election.or(heartbeat).map_or(anchor.clone(), |(_, s)| s.path.clone());
        let editable = match election {
            Some((_, s)) => edits::is_editable(s),
            None => config.add.is_some(),
        };
        let fix = editable.then(|| {
            let title =
                format!("set the election timeout to {} ms, 10 × the heartbeat (restarts the members)", 10 * hb);
            cx.with_edits(Fix::unsafe_(title), &[], |e| election_edit(&e.editor(file)?, obj, config, 10 * hb))
        });
        cx.report(obj.at(&at), format!("{who}: {refuses}")).fix_opt(fix).emit();
    }
}

/// Sets the election timeout, or adds it where the member keeps its settings.
fn election_edit(
    ed: &crate::yaml::edit::Editor<'_>,
    obj: &Object<'_>,
    config: &EtcdConfig,
    ms: i64,
) -> Result<Patch, EditError> {
    let value = ms.to_string();
    match (config.get("election-timeout"), &config.add) {
        (Some(s), _) => edits::set(ed, obj, s, &value),
        (None, Some(site)) => edits::add(ed, obj, site, &[("election-timeout", &value)]),
        (None, None) => Err(EditError("nowhere to add `--election-timeout`".into())),
    }
}
