//! The Kubernetes object model: objects found in documents (with `List` items), kinds by API
//! group, pod templates and containers, label selectors, quantities, lease carriers, and the
//! run-wide `Inventory` of facts that cross-object rules read. Uses `yaml`, `source`, `diag`.

pub(crate) mod carriers;
pub(crate) mod duration;
pub(crate) mod etcd;
pub(crate) mod etcd_defrag;
mod inventory;
mod kinds;
mod pod;
pub(crate) mod pod_names;
pub(crate) mod quantity;
pub(crate) mod rollout;
mod selector;
pub(crate) mod shell;
pub(crate) mod sleep;
pub(crate) mod typed;

use std::collections::BTreeMap;
use std::sync::Arc;

pub(crate) use carriers::{CarrierNames, CarrierRole};
pub(crate) use inventory::{
    Binding, ContainerFacts, Facts, Hpa, Inventory, Lease, Pdb, PdbBudget, Qos, RoleRule, Service, Subject, Workload,
    extract_facts,
};
pub(crate) use kinds::{CustomKind, Kind, recognise};
pub(crate) use pod::{Container, Pod};
pub(crate) use selector::PodSelector;

use crate::diag::{Loc, ObjId, ObjectInfo, ObjectRef};
use crate::source::FileId;
use crate::yaml::{self, Doc, NodePath, NodeRef};

/// One Kubernetes object: a document's root mapping, or one item of a `List`.
#[derive(Clone)]
pub(crate) struct Object<'d> {
    pub(crate) root: NodeRef<'d, 'd>,
    pub(crate) kind: Kind,
    pub(crate) info: Arc<ObjectInfo>,
    /// The whole file's text (spans are file offsets).
    pub(crate) text: &'d str,
    /// The object as JSON, built on first use and shared by the rules that read it (data rules).
    json: std::cell::OnceCell<Option<serde_json::Value>>,
}

impl<'d> Object<'d> {
    /// The node at `path`, if it exists.
    pub(crate) fn get(&self, path: &NodePath) -> Option<NodeRef<'d, 'd>> {
        let mut node = self.root;
        for seg in path.segments() {
            node = match seg {
                yaml::Seg::Key(k) => node.get(k)?,
                yaml::Seg::Index(i) => node.item(*i)?,
            };
        }
        Some(node)
    }

    /// The location to report for `path`: the node itself, or for a missing node the deepest
    /// node that exists on the way (a missing key is reported at the mapping it belongs in).
    pub(crate) fn at(&self, path: &NodePath) -> Loc {
        let found = yaml::locate(self.text, self.root, path);
        Loc { file: self.info.file, span: found.span, path: found.path, object: Some(Arc::clone(&self.info)) }
    }

    /// Like [`Object::at`], but a path that ends in an existing key labels the key itself.
    pub(crate) fn key_at(&self, path: &NodePath) -> Loc {
        let found = yaml::locate_key(self.text, self.root, path);
        Loc { file: self.info.file, span: found.span, path: found.path, object: Some(Arc::clone(&self.info)) }
    }

    /// `metadata.labels` as strings.
    pub(crate) fn labels(&self) -> BTreeMap<String, String> {
        string_map(self.root.get_path(&["metadata", "labels"]))
    }

    /// An annotation's value.
    pub(crate) fn annotation(&self, key: &str) -> Option<&'d str> {
        self.root.get_path(&["metadata", "annotations"])?.get(key)?.as_text()
    }

    /// The object as a JSON value (`None` when it cannot be one: a non-scalar key, an alias
    /// expansion over budget), converted once for all the rules of a run.
    pub(crate) fn json(&self) -> Option<&serde_json::Value> {
        self.json.get_or_init(|| yaml::json::to_json(self.root)).as_ref()
    }

    /// The pod template and spec, for kinds that carry one and have it.
    pub(crate) fn pod(&self) -> Option<Pod<'d>> {
        Pod::of(self)
    }

    /// The value of the `helm.sh/hook` annotation: a Helm hook (`pre-install`, a migration Job)
    /// or a chart test (`test`), which runs once when Helm says so, not as a serving workload.
    pub(crate) fn helm_hook(&self) -> Option<&'d str> {
        self.annotation(HELM_HOOK)
    }
}

/// The namespace of the nodes' heartbeat Leases: the kubelet keeps one Lease per node there and
/// renews it every 10 s (Kubernetes' `kube-node-lease`). One Lease per node is the design, never
/// a per-pod lease.
pub(crate) const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";
/// The label of the API servers' identity Leases in `kube-system` (one per API server, kept by
/// the API server itself).
pub(crate) const APISERVER_IDENTITY_LABEL: &str = "apiserver.kubernetes.io/identity";

/// The annotation that makes an object a Helm hook or test (Helm's `release.HookAnnotation`).
pub(crate) const HELM_HOOK: &str = "helm.sh/hook";

/// A mapping of strings (labels, annotations, selectors); entries that are not scalars are
/// skipped, numbers are kept as written.
pub(crate) fn string_map(node: Option<NodeRef<'_, '_>>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(node) = node {
        for (k, v) in node.entries() {
            if let (Some(k), Some(v)) = (k.scalar(), v.as_text()) {
                out.insert(k.to_string(), v.to_string());
            }
        }
    }
    out
}

/// The objects of one document: its root when it has `apiVersion` and `kind`, and for
/// `kind: List`/`*List` each item too. Documents that are not objects give none.
/// `at` gives the chunk and document of `doc` in the run (items are numbered in the result).
pub(crate) fn objects_in<'d>(
    doc: &'d Doc<'d>,
    text: &'d str,
    file: FileId,
    custom: &[CustomKind],
    at: ObjId,
) -> Vec<Object<'d>> {
    let mut out = Vec::new();
    let Some(root) = doc.root() else { return out };
    let source = helm_source(doc, text);
    let Some(obj) = object_at(root, text, file, source.clone(), custom) else { return out };
    let is_list = obj.info.object.kind.ends_with("List") && root.get("items").is_some_and(|items| items.is_sequence());
    if is_list {
        // Items of a typed list (`DeploymentList`) may omit their apiVersion and kind.
        let list_kind = obj.info.object.kind.strip_suffix("List").filter(|k| !k.is_empty());
        let implied = list_kind.map(|k| (obj.info.object.api_version.as_str(), k));
        let items = root.get("items").into_iter().flat_map(|s| s.items());
        let children: Vec<_> =
            items.filter_map(|item| object_with(item, text, file, source.clone(), custom, implied)).collect();
        out.push(Object { kind: Kind::List, json: std::cell::OnceCell::new(), ..obj });
        out.extend(children);
    } else {
        out.push(obj);
    }
    for (i, o) in out.iter_mut().enumerate() {
        if let Some(info) = Arc::get_mut(&mut o.info) {
            info.id = ObjId { item: u32::try_from(i).unwrap_or(u32::MAX), ..at };
        }
    }
    out
}

fn object_at<'d>(
    node: NodeRef<'d, 'd>,
    text: &'d str,
    file: FileId,
    source: Option<String>,
    custom: &[CustomKind],
) -> Option<Object<'d>> {
    object_with(node, text, file, source, custom, None)
}

/// An object at `node`; `implied` gives the apiVersion and kind of items of a typed list that
/// do not state their own.
fn object_with<'d>(
    node: NodeRef<'d, 'd>,
    text: &'d str,
    file: FileId,
    source: Option<String>,
    custom: &[CustomKind],
    implied: Option<(&str, &str)>,
) -> Option<Object<'d>> {
    if !node.is_mapping() {
        return None;
    }
    let own_api = node.get("apiVersion").and_then(|v| v.as_text());
    let own_kind = node.get_str("kind");
    let (api_version, kind_name) = match (own_api, own_kind, implied) {
        (Some(a), Some(k), _) => (a.to_string(), k.to_string()),
        (None, None, Some((a, k))) => (a.to_string(), k.to_string()),
        (None, Some(k), Some((a, _))) => (a.to_string(), k.to_string()),
        _ => return None,
    };
    let (api_version, kind_name) = (api_version.as_str(), kind_name.as_str());
    let meta = node.get("metadata");
    let namespace = meta.and_then(|m| m.get("namespace")).and_then(|n| n.as_text()).filter(|n| !n.is_empty());
    let name = meta
        .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
        .and_then(|n| n.as_text())
        .unwrap_or_default();
    let kind = recognise(api_version, kind_name, custom);
    let object = ObjectRef {
        api_version: api_version.to_string(),
        kind: kind_name.to_string(),
        namespace: namespace.map(str::to_string),
        name: name.to_string(),
    };
    let info = Arc::new(ObjectInfo { file, object, source, id: ObjId::default() });
    Some(Object { root: node, kind, info, text, json: std::cell::OnceCell::new() })
}

/// The `# Source: <path>` comment `helm template` prints before each document.
pub(crate) fn helm_source(doc: &Doc<'_>, text: &str) -> Option<String> {
    let content_start = doc.root().map_or(doc.span.end, |r| r.span().start);
    doc.comments
        .iter()
        .take_while(|c| c.start < content_start)
        .filter_map(|c| text.get(c.clone()))
        .filter_map(|c| c.strip_prefix("# Source: "))
        .last()
        .map(|s| s.trim().to_string())
}

#[cfg(test)]
mod tests;
