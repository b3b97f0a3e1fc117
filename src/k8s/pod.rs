//! Pod templates and containers of every workload kind.

use super::Object;
use crate::yaml::{NodePath, NodeRef};

/// The pod of a workload: its template's metadata and its spec, with their paths.
#[derive(Clone)]
pub(crate) struct Pod<'d> {
    /// Path of the pod spec (`spec.template.spec`).
    pub(crate) spec_path: NodePath,
    pub(crate) spec: NodeRef<'d, 'd>,
    /// The template's `metadata` (the object's own for a Pod).
    pub(crate) meta: Option<NodeRef<'d, 'd>>,
}

/// One container of a pod spec.
#[derive(Clone)]
pub(crate) struct Container<'d> {
    pub(crate) node: NodeRef<'d, 'd>,
    /// `spec.template.spec.containers[0]`.
    pub(crate) path: NodePath,
    pub(crate) name: &'d str,
    /// An init container (`initContainers`).
    pub(crate) init: bool,
    /// An init container with `restartPolicy: Always` (a sidecar that keeps running).
    pub(crate) restartable: bool,
}

impl<'d> Pod<'d> {
    pub(crate) fn of(obj: &Object<'d>) -> Option<Pod<'d>> {
        let template_path = obj.kind.template_path()?;
        let template = obj.get(&template_path)?;
        let spec = template.get("spec").filter(|s| s.is_mapping())?;
        Some(Pod { spec_path: template_path.key("spec"), meta: template.get("metadata"), spec })
    }

    /// The template's `metadata` of a workload whose template has no pod spec (partial manifests,
    /// such as kube-linter's fixtures): its labels still count for selectors. `None` when the
    /// kind has no template or the template is not a mapping.
    pub(crate) fn template_meta(obj: &Object<'d>) -> Option<Option<NodeRef<'d, 'd>>> {
        let template = obj.get(&obj.kind.template_path()?).filter(|t| t.is_mapping())?;
        Some(template.get("metadata"))
    }

    /// A label or annotation of the pod template.
    pub(crate) fn meta_value(&self, section: &str, key: &str) -> Option<&'d str> {
        self.meta?.get(section)?.get(key)?.as_text()
    }

    /// Containers first, then init containers, each with its index in its own list.
    pub(crate) fn containers(&self) -> Vec<Container<'d>> {
        let mut out = Vec::new();
        for (list, init) in [("containers", false), ("initContainers", true)] {
            let Some(seq) = self.spec.get(list) else { continue };
            for (index, node) in seq.items().enumerate() {
                if !node.is_mapping() {
                    continue;
                }
                let restartable = init && node.get_str("restartPolicy") == Some("Always");
                out.push(Container {
                    node,
                    path: self.spec_path.key(list).index(index),
                    name: node.get("name").and_then(|n| n.as_text()).unwrap_or_default(),
                    init,
                    restartable,
                });
            }
        }
        out
    }

    /// `spec.hostNetwork: true`.
    pub(crate) fn host_network(&self) -> bool {
        self.spec.get("hostNetwork").and_then(|v| v.as_bool()) == Some(true)
    }

    /// The service account the pod runs as (`default` when unset).
    pub(crate) fn service_account(&self) -> &'d str {
        self.spec
            .get("serviceAccountName")
            .or_else(|| self.spec.get("serviceAccount"))
            .and_then(|v| v.as_text())
            .filter(|s| !s.is_empty())
            .unwrap_or("default")
    }
}

impl<'d> Container<'d> {
    /// `resources.<section>.<resource>` as text, e.g. `resource("limits", "cpu")`.
    pub(crate) fn resource(&self, section: &str, resource: &str) -> Option<&'d str> {
        self.node.get("resources")?.get(section)?.get(resource)?.as_text()
    }

    /// The container's env entries as (index, name, entry node).
    pub(crate) fn env(&self) -> Vec<(usize, &'d str, NodeRef<'d, 'd>)> {
        let Some(env) = self.node.get("env") else { return Vec::new() };
        env.items().enumerate().filter_map(|(i, e)| Some((i, e.get("name")?.as_text()?, e))).collect()
    }
}
