//! The local etcd of kubeadm configurations: `ClusterConfiguration` documents (v1beta3
//! `extraArgs` map, v1beta4 `{name, value}` list), the `kubeadm-config` ConfigMap's string, and
//! Cluster API `KubeadmControlPlane`s.

use super::{AddSite, EtcdConfig, Form, Setting};
use crate::k8s::{Kind, Object};
use crate::yaml::{self, NodePath, NodeRef};

/// The local etcd a kubeadm configuration sets up.
#[derive(Clone, Debug)]
pub(crate) struct KubeadmEtcd {
    pub(crate) config: EtcdConfig,
    /// The node to report at when a setting is absent: `etcd.local.extraArgs`, `etcd.local`,
    /// `etcd`, the configuration itself, or the ConfigMap's `data.ClusterConfiguration`.
    pub(crate) anchor: NodePath,
    /// Read from the `kubeadm-config` ConfigMap's `ClusterConfiguration` string.
    pub(crate) embedded: bool,
}

/// The local etcd of a kubeadm `ClusterConfiguration` document, a Cluster API
/// `KubeadmControlPlane`, or a ConfigMap holding a `ClusterConfiguration` (kubeadm-config);
/// `None` for other objects and for external etcd.
pub(crate) fn kubeadm_etcd(obj: &Object<'_>) -> Option<KubeadmEtcd> {
    match obj.kind {
        Kind::KubeadmClusterConfiguration => cluster_configuration(obj.root, &NodePath::root(), None),
        Kind::KubeadmControlPlane => {
            let base = NodePath::keys(&["spec", "kubeadmConfigSpec", "clusterConfiguration"]);
            cluster_configuration(obj.get(&base)?, &base, None)
        }
        Kind::ConfigMap => {
            let path = NodePath::keys(&["data", "ClusterConfiguration"]);
            let text = obj.get(&path)?.as_str()?;
            if !text.contains("ClusterConfiguration") || !text.contains("etcd") {
                return None;
            }
            let (docs, _) = yaml::parse_chunk(text, 0..text.len(), yaml::Limits::default());
            let root = docs.iter().find_map(|d| d.root())?;
            cluster_configuration(root, &NodePath::root(), Some(path))
        }
        _ => None,
    }
}

fn cluster_configuration(cc: NodeRef<'_, '_>, base: &NodePath, embedded: Option<NodePath>) -> Option<KubeadmEtcd> {
    let etcd = cc.get("etcd");
    if etcd.is_some_and(|e| e.get("external").is_some()) {
        return None;
    }
    let local = etcd.and_then(|e| e.get("local"));
    let extra = local.and_then(|l| l.get("extraArgs"));
    let extra_path = base.key("etcd").key("local").key("extraArgs");
    let at = |p: NodePath| embedded.clone().unwrap_or(p);
    let form = if embedded.is_some() { Form::Embedded } else { Form::Value };
    let mut config = EtcdConfig::default();
    if let Some(extra) = extra {
        if extra.is_mapping() {
            for (k, v) in extra.entries() {
                let (Some(k), Some(value)) = (k.scalar(), v.as_text()) else { continue };
                let path = at(extra_path.key(k.to_string()));
                config.set(k, Setting { value: value.to_string(), path, form: form.clone() });
            }
            config.add = embedded.is_none().then(|| AddSite::ArgsMap(extra_path.clone()));
        } else if extra.is_sequence() {
            for (i, item) in extra.items().enumerate() {
                let (Some(name), Some(value)) = (item.get_str("name"), item.get("value").and_then(|v| v.as_text()))
                else {
                    continue;
                };
                let path = at(extra_path.index(i).key("value"));
                config.set(name, Setting { value: value.to_string(), path, form: form.clone() });
            }
            config.add = embedded.is_none().then(|| AddSite::ArgsList(extra_path.clone()));
        }
    }
    let anchor = match (&embedded, extra, local, etcd) {
        (Some(p), ..) => p.clone(),
        (None, Some(_), ..) => extra_path,
        (None, None, Some(_), _) => base.key("etcd").key("local"),
        (None, None, None, Some(_)) => base.key("etcd"),
        _ => base.clone(),
    };
    Some(KubeadmEtcd { config, anchor, embedded: embedded.is_some() })
}
