//! Which etcd a kube-apiserver compacts: the kube-apiservers of a pod and their etcd servers,
//! kubeadm's static etcd Pod, and the facts LL019 keeps in the inventory.

use std::collections::BTreeMap;

use super::{AddSite, EtcdConfig, Form, list_words, members, mentions_etcd, program_args, read_flags};
use crate::diag::Loc;
use crate::k8s::pod::{Container, Pod};
use crate::k8s::{Kind, Object};
use crate::yaml::NodePath;

/// A kube-apiserver container: the etcd servers it uses and whether it compacts them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Apiserver {
    /// Hosts of `--etcd-servers` (`etcd-0.etcd-headless.ns.svc`, `127.0.0.1`).
    pub(crate) hosts: Vec<String>,
    /// `--etcd-compaction-interval` is not `0` (default 5m: the API server compacts every five
    /// minutes).
    pub(crate) compacts: bool,
}

/// The kube-apiserver containers of a pod.
pub(crate) fn apiservers(pod: &Pod<'_>) -> Vec<Apiserver> {
    let mut out = Vec::new();
    if !super::pod_mentions(pod, "etcd") {
        return out;
    }
    for c in pod.containers().into_iter().filter(|c| !c.init && mentions_etcd(c)) {
        let mut words = list_words(&c, "command");
        words.extend(list_words(&c, "args"));
        let image = c.node.get("image").and_then(|i| i.as_text()).unwrap_or_default();
        let flags = match program_args(&words, "kube-apiserver") {
            Some(f) => f,
            None if list_words(&c, "command").is_empty() && image.contains("kube-apiserver") => words,
            None => continue,
        };
        let mut config = EtcdConfig::default();
        read_flags(&flags, &mut config);
        let env: BTreeMap<&str, &str> =
            c.env().into_iter().filter_map(|(_, n, e)| Some((n, e.get("value")?.as_text()?))).collect();
        let servers = config.get("etcd-servers").map(|s| kubelet_expand(&s.value, &env)).unwrap_or_default();
        let compacts = config
            .get("etcd-compaction-interval")
            .is_none_or(|s| !matches!(s.value.trim(), "0" | "0s" | "0m" | "0h" | "0m0s"));
        out.push(Apiserver { hosts: servers.split(',').filter_map(url_host).collect(), compacts });
    }
    out
}

/// `$(VAR)` resolved from the container's literal env values, as the kubelet does.
fn kubelet_expand(value: &str, env: &BTreeMap<&str, &str>) -> String {
    let mut out = value.to_string();
    for (name, v) in env {
        out = out.replace(&format!("$({name})"), v);
    }
    out
}

/// The host of `https://host:2379` (or of `host:2379`), lower case.
pub(crate) fn url_host(url: &str) -> Option<String> {
    let url = url.trim();
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', ':']).next()?.trim();
    (!host.is_empty() && !host.contains('$')).then(|| host.to_ascii_lowercase())
}

/// A control-plane etcd Pod of the cluster itself, which the cluster's kube-apiserver compacts: a
/// Pod in `kube-system` (or without a namespace, as a static Pod manifest may be) that is a static
/// Pod — kubeadm's labels `component: etcd` and `tier: control-plane` (RKE2 uses them too), a
/// `tier: control-plane` label, the kubelet's mirror-Pod annotation `kubernetes.io/config.mirror`,
/// or a Node as its owner (how the API server shows a static Pod).
pub(crate) fn is_static_control_plane_pod(obj: &Object<'_>) -> bool {
    if obj.kind != Kind::Pod || obj.info.object.namespace.as_deref().is_some_and(|ns| ns != "kube-system") {
        return false;
    }
    let labels = obj.labels();
    let control_plane = labels.get("tier").map(String::as_str) == Some("control-plane");
    let mirror = obj.annotation("kubernetes.io/config.mirror").is_some();
    let node_owned = obj
        .root
        .get_path(&["metadata", "ownerReferences"])
        .is_some_and(|refs| refs.items().any(|r| r.get_str("kind") == Some("Node")));
    control_plane || mirror || node_owned
}

/// What LL019 needs of a workload's pod once its tree is gone (the run's inventory keeps it):
/// the members nobody in the pod compacts, and the etcd servers that compacting kube-apiservers
/// of the pod use (a hosted control plane's API server compacts an etcd of another object).
#[derive(Clone, Debug)]
pub(crate) struct EtcdFacts {
    pub(crate) uncompacted: Vec<Uncompacted>,
    /// Hosts of `--etcd-servers` of the pod's kube-apiservers that compact.
    pub(crate) compacting_hosts: Vec<String>,
}

/// A member that neither compacts itself nor is compacted by a kube-apiserver of its pod.
#[derive(Clone, Debug)]
pub(crate) struct Uncompacted {
    pub(crate) container: String,
    /// The container's path: a fix reads the member again there.
    pub(crate) path: NodePath,
    /// Where to report: the retention set to `0`, the member's flag list, or its `env`.
    pub(crate) loc: Loc,
    /// `--auto-compaction-retention` as written, when it turns compaction off.
    pub(crate) retention: Option<String>,
    /// The pod runs a kube-apiserver, with `--etcd-compaction-interval=0`.
    pub(crate) apiserver_off: bool,
    /// A fix can turn compaction on: the settings are not in a script, and the mode is not
    /// `revision` (where a retention of hours means nothing).
    pub(crate) editable: bool,
    /// The member is configured through `ETCD_*` variables (a fix adds those).
    pub(crate) via_env: bool,
}

impl EtcdFacts {
    /// The facts moved by `delta` bytes.
    pub(crate) fn shift(&mut self, delta: isize) {
        for u in &mut self.uncompacted {
            u.loc.shift(delta);
        }
    }
}

/// The etcd facts of a pod's containers; `None` (at the cost of a few string tests per
/// container) when no container mentions etcd.
pub(crate) fn facts(obj: &Object<'_>, containers: &[Container<'_>]) -> Option<Box<EtcdFacts>> {
    if !containers.iter().any(|c| !c.init && mentions_etcd(c)) {
        return None;
    }
    let pod = obj.pod()?;
    let apiservers = apiservers(&pod);
    let compacting_hosts: Vec<String> =
        apiservers.iter().filter(|a| a.compacts).flat_map(|a| a.hosts.clone()).collect();
    let mut uncompacted = Vec::new();
    if !is_static_control_plane_pod(obj) && compacting_hosts.is_empty() && !apiservers.iter().any(|a| a.compacts) {
        for m in members(&pod) {
            if m.major.is_some_and(|v| v < 3) || !m.config.is_complete() {
                continue;
            }
            let retention = m.config.get("auto-compaction-retention");
            if retention.is_some_and(|r| !is_retention_off(&r.value)) {
                continue;
            }
            let path = match (retention, &m.config.add) {
                (Some(r), _) => r.path.clone(),
                (None, Some(AddSite::Flags(list))) => list.clone(),
                (None, _) => m.container.path.key("env"),
            };
            let mode = m.config.get("auto-compaction-mode");
            let editable = mode.is_none_or(|s| s.value.trim() != "revision")
                && retention.is_none_or(|r| r.form != Form::Embedded)
                && mode.is_none_or(|s| s.form != Form::Embedded)
                && m.config.add.is_some();
            uncompacted.push(Uncompacted {
                editable,
                via_env: m.config.uses_env(),
                container: m.container.name.to_string(),
                path: m.container.path.clone(),
                loc: obj.at(&path),
                retention: retention.map(|r| r.value.clone()),
                apiserver_off: !apiservers.is_empty(),
            });
        }
    }
    (!uncompacted.is_empty() || !compacting_hosts.is_empty())
        .then(|| Box::new(EtcdFacts { uncompacted, compacting_hosts }))
}

/// A retention that turns compaction off (`0`, `0h`, `0s`, `0m`).
pub(crate) fn is_retention_off(retention: &str) -> bool {
    let digits = retention.trim().trim_end_matches(['h', 'm', 's']);
    !digits.is_empty() && digits.chars().all(|c| c == '0' || c == '.')
}

/// Whether an API server host (`etcd`, `etcd.ns.svc`, `etcd-0.etcd-headless.ns.svc.cluster.local`)
/// names the pods of a workload `name` in namespace `ns`, reached through one of `services`
/// (the Services that select its pods), or as a StatefulSet pod `name-N`. `apiserver_ns` is
/// where the API server runs (a short name resolves there).
pub(crate) fn host_names(
    host: &str,
    name: &str,
    ns: Option<&str>,
    services: &[&str],
    apiserver_ns: Option<&str>,
) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    let first = labels.first().copied().unwrap_or_default();
    let in_ns = |i: usize| labels.get(i).map_or(apiserver_ns == ns, |n| Some(*n) == ns);
    let pod_of_set = first
        .strip_prefix(name)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    if pod_of_set {
        return labels.get(1).is_some_and(|svc| services.contains(svc)) && in_ns(2);
    }
    services.contains(&first) && in_ns(1)
}
