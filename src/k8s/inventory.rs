//! The run-wide inventory: small facts extracted once from every object (workloads, PDBs, HPAs,
//! Services, Leases, RBAC) so that cross-object rules run after every document's tree is gone.
//! Facts hold resolved `Loc`s for the nodes rules report at.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::diag::{Loc, ObjectInfo};
use crate::yaml::edit::Value;
use crate::yaml::{DocPlace, NodePath, NodeRef};

use super::carriers::{self, Carrier, CarrierNames};
use super::rollout::{Readiness, RolloutFacts, rollout_facts};
use super::{Kind, Object, PodSelector, quantity};

/// A pod-carrying object.
#[derive(Clone, Debug)]
pub(crate) struct Workload {
    pub(crate) info: Arc<ObjectInfo>,
    pub(crate) kind: Kind,
    /// `spec.replicas` (default 1), Job `parallelism`; `None` for DaemonSets (one per node).
    pub(crate) replicas: Option<i64>,
    /// Where the replica count is (or would be) written.
    pub(crate) replicas_loc: Loc,
    pub(crate) pod_labels: BTreeMap<String, String>,
    pub(crate) service_account: String,
    /// A Helm hook or test (`helm.sh/hook`): runs once, when Helm says so.
    pub(crate) helm_hook: bool,
    /// A container gets `spec.nodeName` from the downward API (an env var with
    /// `valueFrom.fieldRef.fieldPath: spec.nodeName`): on a DaemonSet, a node agent that filters
    /// what it watches by its own node.
    pub(crate) node_name_from_downward_api: bool,
    /// `leaselint.io/latency-sensitive` on the object or its pod template, as a label or an
    /// annotation: `Some(false)` when any of them says `"false"`.
    pub(crate) latency_sensitive: Option<bool>,
    /// `leaselint.io/rollouts-per-hour`.
    pub(crate) rollouts_per_hour: Option<f64>,
    pub(crate) containers: Vec<ContainerFacts>,
    pub(crate) qos: Qos,
    pub(crate) carriers: Vec<Carrier>,
    /// A leader-election retry period set by flag, in seconds.
    pub(crate) retry_period: Option<f64>,
    /// Where the workload's document is (LL007 adds its PodDisruptionBudget after it).
    pub(crate) doc: DocPlace,
    /// `spec.selector` of a Deployment or StatefulSet as written, or why a PodDisruptionBudget
    /// cannot copy it (it is not a valid label selector, or it does not select the workload's
    /// own pod template).
    pub(crate) selector: Option<Result<Value, String>>,
    /// Strategy, `minReadySeconds` and spreading of a Deployment or StatefulSet with a pod spec
    /// (the `rollout` rules).
    pub(crate) rollout: Option<Box<RolloutFacts>>,
    /// etcd members nobody compacts and the etcd servers of compacting kube-apiservers (LL019).
    pub(crate) etcd: Option<Box<super::etcd::EtcdFacts>>,
}

/// Resources of one container.
#[derive(Clone, Debug)]
pub(crate) struct ContainerFacts {
    pub(crate) name: String,
    pub(crate) init: bool,
    pub(crate) restartable: bool,
    /// `resources.limits.cpu` as written, and where.
    pub(crate) cpu_limit: Option<(String, Loc)>,
    pub(crate) cpu_request: Option<String>,
    /// The container declares `ports` (it serves something).
    pub(crate) has_ports: bool,
    /// Its readiness probe when it takes the pod out of its Services too soon (regular and
    /// sidecar containers; LL017). Boxed: most containers have none, and the facts of every
    /// container of a run stay in memory until the cross-object rules have run.
    pub(crate) readiness: Option<Box<Readiness>>,
}

/// A pod's QoS class, computed the way the kubelet does from every container's requests and
/// limits (a missing request defaults to the limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Qos {
    Guaranteed,
    Burstable,
    BestEffort,
}

/// A `minAvailable` or `maxUnavailable` value.
#[derive(Clone, Debug)]
pub(crate) struct PdbBudget {
    pub(crate) text: String,
    /// The integer, or the percentage when `percent`.
    pub(crate) value: Option<i64>,
    pub(crate) percent: bool,
    pub(crate) loc: Loc,
}

#[derive(Clone, Debug)]
pub(crate) struct Pdb {
    pub(crate) info: Arc<ObjectInfo>,
    pub(crate) selector: PodSelector,
    pub(crate) min_available: Option<PdbBudget>,
    pub(crate) max_unavailable: Option<PdbBudget>,
}

#[derive(Clone, Debug)]
pub(crate) struct Hpa {
    /// Where `minReplicas` is (or the HPA's name when it is not set): a related location.
    pub(crate) loc: Loc,
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
    pub(crate) target_group: String,
    pub(crate) target_kind: String,
    pub(crate) target_name: String,
    pub(crate) min_replicas: i64,
}

#[derive(Clone, Debug)]
pub(crate) struct Service {
    pub(crate) info: Arc<ObjectInfo>,
    pub(crate) selector: PodSelector,
    /// Serves clients (LL004): not headless (`clusterIP: None`, a peer-discovery Service) and
    /// not only metrics ports (every port named `metrics`, `*-metrics`, `prometheus` or
    /// `monitoring`).
    pub(crate) serving: bool,
    /// The Service's `metadata.name`: a related location.
    pub(crate) loc: Loc,
}

#[derive(Clone, Debug)]
pub(crate) struct Lease {
    pub(crate) info: Arc<ObjectInfo>,
    pub(crate) name_loc: Loc,
    pub(crate) labels: BTreeMap<String, String>,
}

/// One rule of a Role or ClusterRole.
#[derive(Clone, Debug)]
pub(crate) struct RoleRule {
    pub(crate) api_groups: Vec<String>,
    pub(crate) resources: Vec<String>,
    pub(crate) verbs: Vec<String>,
    pub(crate) resource_names: Vec<(String, Loc)>,
    /// The `resourceNames` node (or the rule when it has none).
    pub(crate) resource_names_loc: Loc,
}

#[derive(Clone, Debug)]
pub(crate) struct Role {
    pub(crate) info: Arc<ObjectInfo>,
    pub(crate) cluster: bool,
    pub(crate) rules: Vec<RoleRule>,
}

#[derive(Clone, Debug)]
pub(crate) struct Subject {
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Binding {
    pub(crate) info: Arc<ObjectInfo>,
    pub(crate) cluster: bool,
    pub(crate) role_kind: String,
    pub(crate) role_name: String,
    pub(crate) subjects: Vec<Subject>,
}

/// A ResourceQuota: whether it constrains `limits.cpu` (pods without a CPU limit are then
/// rejected in its namespace).
#[derive(Clone, Debug)]
pub(crate) struct Quota {
    pub(crate) info: Arc<ObjectInfo>,
    pub(crate) limits_cpu: bool,
}

/// A LimitRange: the default CPU limit it gives containers, if any.
#[derive(Clone, Debug)]
pub(crate) struct LimitRange {
    pub(crate) info: Arc<ObjectInfo>,
    pub(crate) default_cpu: Option<String>,
    /// The LimitRange's `metadata.name`: a related location.
    pub(crate) loc: Loc,
}

/// The facts of one object.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant, reason = "facts are built once per object and moved into the inventory")]
pub(crate) enum Facts {
    Workload(Box<Workload>),
    Pdb(Pdb),
    Hpa(Hpa),
    Service(Service),
    Lease(Lease),
    Role(Role),
    Binding(Binding),
    Quota(Quota),
    LimitRange(LimitRange),
}

/// Every fact of the run, in input order, with the indexes cross-object rules query so that a
/// run stays linear in the number of objects.
/// The facts stay where the chunks that found them keep them (`--fix` keeps them across passes):
/// the inventory holds references.
#[derive(Debug, Default)]
pub(crate) struct Inventory<'f> {
    pub(crate) workloads: Vec<&'f Workload>,
    pub(crate) pdbs: Vec<&'f Pdb>,
    pub(crate) hpas: Vec<&'f Hpa>,
    pub(crate) services: Vec<&'f Service>,
    pub(crate) leases: Vec<&'f Lease>,
    pub(crate) roles: Vec<&'f Role>,
    pub(crate) bindings: Vec<&'f Binding>,
    pub(crate) quotas: Vec<&'f Quota>,
    pub(crate) limit_ranges: Vec<&'f LimitRange>,
    /// Where objects without `metadata.namespace` are applied (`--namespace`, config
    /// `namespace`); `None`: they share one unnamed release namespace.
    pub(crate) release_namespace: Option<String>,
    index: Index,
}

type Namespace = Option<String>;

/// Selectors indexed by one `key=value` they require, per namespace.
#[derive(Debug, Default)]
struct SelectorIndex {
    anchored: HashMap<(Namespace, String, String), Vec<usize>>,
    /// Selectors without a required `key=value` (checked against every pod of the namespace).
    open: HashMap<Namespace, Vec<usize>>,
}

impl SelectorIndex {
    fn build<'a>(selectors: impl Iterator<Item = (Namespace, &'a PodSelector)>) -> Self {
        let mut index = SelectorIndex::default();
        for (i, (ns, sel)) in selectors.enumerate() {
            match (sel, sel.anchor()) {
                (PodSelector::Nothing, _) => {}
                (_, Some((k, v))) => index.anchored.entry((ns, k.to_string(), v.to_string())).or_default().push(i),
                (_, None) => index.open.entry(ns).or_default().push(i),
            }
        }
        index
    }

    /// Candidates (a superset of the selectors that match `labels` in `ns`), sorted.
    fn candidates(&self, ns: &Namespace, labels: &BTreeMap<String, String>) -> Vec<usize> {
        let mut out: Vec<usize> = self.open.get(ns).cloned().unwrap_or_default();
        for (k, v) in labels {
            if let Some(hits) = self.anchored.get(&(ns.clone(), k.clone(), v.clone())) {
                out.extend(hits);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[derive(Debug, Default)]
struct Index {
    services: SelectorIndex,
    pdbs: SelectorIndex,
    /// (namespace, group, kind, name) → largest `minReplicas`.
    /// (namespace, group, kind, name) → the HPA with the largest `minReplicas` (an index into
    /// `hpas`).
    hpa_min: HashMap<(Namespace, String, String, String), usize>,
    /// Workloads by namespace and by one of their pod labels.
    workloads_by_label: HashMap<(Namespace, String, String), Vec<usize>>,
    workloads_by_namespace: HashMap<Namespace, Vec<usize>>,
}

impl Workload {
    /// How often its lease holder renews, seconds: `--leader-elect-retry-period` when a
    /// container sets it, else client-go's default.
    pub(crate) fn renew_seconds(&self) -> f64 {
        self.retry_period.filter(|r| *r > 0.0).unwrap_or(carriers::CLIENT_GO_RETRY_PERIOD_SECONDS)
    }
}

impl Lease {
    /// Labelled with a pod's name or index (`statefulset.kubernetes.io/pod-name`, …).
    pub(crate) fn has_pod_label(&self) -> bool {
        super::pod_names::POD_LABELS.iter().any(|k| self.labels.contains_key(*k))
    }

    /// Kept by Kubernetes itself, one per node or per API server by design: a node heartbeat
    /// (in `namespace` [`NODE_LEASE_NAMESPACE`](super::NODE_LEASE_NAMESPACE)) or an API server
    /// identity Lease.
    pub(crate) fn is_system(&self, namespace: Option<&str>) -> bool {
        namespace == Some(super::NODE_LEASE_NAMESPACE) || self.labels.contains_key(super::APISERVER_IDENTITY_LABEL)
    }
}

impl Facts {
    /// The facts moved by `delta` bytes (their object's text is unchanged and moved there).
    pub(crate) fn shift(&mut self, delta: isize) {
        match self {
            Facts::Workload(w) => {
                w.replicas_loc.shift(delta);
                w.doc.shift(delta);
                for c in &mut w.carriers {
                    c.loc.shift(delta);
                }
                for c in &mut w.containers {
                    if let Some((_, loc)) = &mut c.cpu_limit {
                        loc.shift(delta);
                    }
                    if let Some(r) = &mut c.readiness {
                        r.loc.shift(delta);
                    }
                }
                if let Some(r) = &mut w.rollout {
                    r.shift(delta);
                }
                if let Some(e) = &mut w.etcd {
                    e.shift(delta);
                }
            }
            Facts::Pdb(p) => {
                for b in [&mut p.min_available, &mut p.max_unavailable].into_iter().flatten() {
                    b.loc.shift(delta);
                }
            }
            Facts::Lease(l) => l.name_loc.shift(delta),
            Facts::Role(r) => {
                for rule in &mut r.rules {
                    rule.resource_names_loc.shift(delta);
                    for (_, loc) in &mut rule.resource_names {
                        loc.shift(delta);
                    }
                }
            }
            Facts::Hpa(h) => h.loc.shift(delta),
            Facts::Service(s) => s.loc.shift(delta),
            Facts::LimitRange(l) => l.loc.shift(delta),
            Facts::Binding(_) | Facts::Quota(_) => {}
        }
    }
}

impl<'f> Inventory<'f> {
    pub(crate) fn add(&mut self, facts: &'f Facts) {
        match facts {
            Facts::Workload(w) => self.workloads.push(w),
            Facts::Pdb(p) => self.pdbs.push(p),
            Facts::Hpa(h) => self.hpas.push(h),
            Facts::Service(s) => self.services.push(s),
            Facts::Lease(l) => self.leases.push(l),
            Facts::Role(r) => self.roles.push(r),
            Facts::Binding(b) => self.bindings.push(b),
            Facts::Quota(q) => self.quotas.push(q),
            Facts::LimitRange(l) => self.limit_ranges.push(l),
        }
    }

    /// Builds the indexes; call once after the last `add`.
    pub(crate) fn finish(&mut self) {
        let mut index = Index {
            services: SelectorIndex::build(self.services.iter().map(|s| (self.ns(&s.info), &s.selector))),
            pdbs: SelectorIndex::build(self.pdbs.iter().map(|p| (self.ns(&p.info), &p.selector))),
            ..Index::default()
        };
        for (i, h) in self.hpas.iter().enumerate() {
            let ns = h.namespace.clone().or_else(|| self.release_namespace.clone());
            let key = (ns, h.target_group.clone(), h.target_kind.clone(), h.target_name.clone());
            let best = index.hpa_min.entry(key).or_insert(i);
            if self.hpas.get(*best).is_some_and(|b| b.min_replicas < h.min_replicas) {
                *best = i;
            }
        }
        // Workloads are looked up by the labels PDB selectors require: index only those.
        let wanted: std::collections::HashSet<(Option<&str>, &str, &str)> = self
            .pdbs
            .iter()
            .filter_map(|p| p.selector.anchor().map(|(k, v)| (self.namespace_of(&p.info), k, v)))
            .collect();
        let any_open = !index.pdbs.open.is_empty();
        for (i, w) in self.workloads.iter().enumerate() {
            let ns = self.ns(&w.info);
            if any_open {
                index.workloads_by_namespace.entry(ns.clone()).or_default().push(i);
            }
            for (k, v) in &w.pod_labels {
                if wanted.contains(&(ns.as_deref(), k.as_str(), v.as_str())) {
                    index.workloads_by_label.entry((ns.clone(), k.clone(), v.clone())).or_default().push(i);
                }
            }
        }
        self.index = index;
    }

    /// The Services in the workload's namespace that select its pods, in input order.
    pub(crate) fn services_selecting<'s>(&'s self, w: &'s Workload) -> impl Iterator<Item = &'f Service> + 's {
        selecting(&self.index.services, &self.services, w, self.ns(&w.info), |s| &s.selector)
    }

    /// The namespace an object is applied in: its own, else the release namespace
    /// (`--namespace`); `None` is the unnamed release namespace.
    pub(crate) fn namespace_of<'a>(&'a self, info: &'a ObjectInfo) -> Option<&'a str> {
        info.object.namespace.as_deref().or(self.release_namespace.as_deref())
    }

    fn ns(&self, info: &ObjectInfo) -> Namespace {
        self.namespace_of(info).map(str::to_string)
    }

    /// The PDBs in the workload's namespace that select its pods, in input order.
    pub(crate) fn pdbs_selecting<'s>(&'s self, w: &'s Workload) -> impl Iterator<Item = &'f Pdb> + 's {
        selecting(&self.index.pdbs, &self.pdbs, w, self.ns(&w.info), |p| &p.selector)
    }

    /// The workloads in the PDB's namespace whose pods it selects, in input order.
    pub(crate) fn selected_by<'s>(&'s self, pdb: &'s Pdb) -> impl Iterator<Item = &'f Workload> + 's {
        let ns = self.ns(&pdb.info);
        let candidates = match pdb.selector.anchor() {
            Some((k, v)) => self.index.workloads_by_label.get(&(ns, k.to_string(), v.to_string())),
            None => self.index.workloads_by_namespace.get(&ns),
        };
        candidates
            .into_iter()
            .flatten()
            .filter_map(|&i| self.workloads.get(i).copied())
            .filter(move |w| pdb.selector.matches(&w.pod_labels))
    }

    /// The Role or ClusterRole a binding refers to, if the run holds it.
    pub(crate) fn role_of(&self, b: &Binding) -> Option<&'f Role> {
        self.roles.iter().copied().find(|r| {
            r.info.object.name == b.role_name
                && match b.role_kind.as_str() {
                    "ClusterRole" => r.cluster,
                    "Role" => !r.cluster && self.namespace_of(&r.info) == self.namespace_of(&b.info),
                    _ => false,
                }
        })
    }

    /// The HPA `minReplicas` for a workload, when an HPA in its namespace targets it.
    pub(crate) fn hpa_min_replicas(&self, w: &Workload) -> Option<i64> {
        self.hpa_of(w).map(|h| h.min_replicas)
    }

    /// The HPA in the workload's namespace that targets it (the one with the largest
    /// `minReplicas` when several do).
    pub(crate) fn hpa_of(&self, w: &Workload) -> Option<&'f Hpa> {
        let group = super::kinds::group_of(&w.info.object.api_version).to_string();
        let key = (self.ns(&w.info), group, w.info.object.kind.clone(), w.info.object.name.clone());
        self.index.hpa_min.get(&key).and_then(|i| self.hpas.get(*i).copied())
    }

    /// The replica count rules use: the larger of `spec.replicas` (default 1) and the
    /// `minReplicas` of an HPA that targets the workload. `None` for DaemonSets.
    pub(crate) fn replicas(&self, w: &Workload) -> Option<i64> {
        let own = w.replicas?;
        Some(self.hpa_min_replicas(w).map_or(own, |min| own.max(min)))
    }
}

/// The items of `items` (indexed by `index`) whose selector selects the workload's pods.
fn selecting<'s, 'f, T>(
    index: &SelectorIndex,
    items: &'s [&'f T],
    w: &'s Workload,
    ns: Namespace,
    selector: fn(&T) -> &PodSelector,
) -> impl Iterator<Item = &'f T> + 's {
    index
        .candidates(&ns, &w.pod_labels)
        .into_iter()
        .filter_map(|i| items.get(i).copied())
        .filter(move |item| selector(item).matches(&w.pod_labels))
}

/// Names of ports that only expose metrics (Prometheus conventions).
fn is_metrics_port(name: &str) -> bool {
    matches!(name, "metrics" | "prometheus" | "monitoring") || name.ends_with("-metrics")
}

/// A Service that clients call: not headless and not only metrics ports (SPEC §4, LL004). A
/// Service without ports is taken as serving (nothing says otherwise).
fn is_serving(obj: &Object<'_>) -> bool {
    let spec = obj.root.get("spec");
    if spec.and_then(|s| s.get("clusterIP")).and_then(|c| c.as_text()) == Some("None") {
        return false;
    }
    let ports: Vec<_> = spec.and_then(|s| s.get("ports")).map(|p| p.items().collect()).unwrap_or_default();
    ports.is_empty() || !ports.iter().all(|p| p.get("name").and_then(|n| n.as_text()).is_some_and(is_metrics_port))
}

/// Extracts the facts of one object (none for kinds no cross-object rule needs).
pub(crate) fn extract_facts(obj: &Object<'_>, names: &CarrierNames) -> Option<Facts> {
    Some(match &obj.kind {
        k if k.has_pod() => Facts::Workload(Box::new(workload(obj, names)?)),
        Kind::PodDisruptionBudget => Facts::Pdb(pdb(obj)),
        Kind::HorizontalPodAutoscaler => Facts::Hpa(hpa(obj)?),
        Kind::Service => Facts::Service(Service {
            info: Arc::clone(&obj.info),
            selector: if obj.root.get_path(&["spec", "type"]).and_then(|t| t.as_str()) == Some("ExternalName") {
                PodSelector::Nothing
            } else {
                PodSelector::from_map(obj.root.get_path(&["spec", "selector"]))
            },
            serving: is_serving(obj),
            loc: obj.at(&NodePath::keys(&["metadata", "name"])),
        }),
        Kind::Lease => Facts::Lease(Lease {
            info: Arc::clone(&obj.info),
            name_loc: obj.at(&NodePath::keys(&["metadata", "name"])),
            labels: obj.labels(),
        }),
        Kind::Role | Kind::ClusterRole => Facts::Role(role(obj)),
        Kind::RoleBinding | Kind::ClusterRoleBinding => Facts::Binding(binding(obj)?),
        Kind::ResourceQuota => Facts::Quota(Quota {
            info: Arc::clone(&obj.info),
            limits_cpu: obj.root.get_path(&["spec", "hard"]).is_some_and(|h| h.get("limits.cpu").is_some()),
        }),
        Kind::LimitRange => Facts::LimitRange(LimitRange {
            loc: obj.at(&NodePath::keys(&["metadata", "name"])),
            info: Arc::clone(&obj.info),
            default_cpu: obj.root.get_path(&["spec", "limits"]).and_then(|limits| {
                limits.items().find_map(|l| {
                    let container = l.get("type").and_then(|t| t.as_text()).is_none_or(|t| t == "Container");
                    if !container {
                        return None;
                    }
                    l.get_path(&["default", "cpu"]).and_then(|c| c.as_text()).map(str::to_string)
                })
            }),
        }),
        _ => return None,
    })
}

const LATENCY_KEY: &str = "leaselint.io/latency-sensitive";
const ROLLOUTS_KEY: &str = "leaselint.io/rollouts-per-hour";

fn workload(obj: &Object<'_>, names: &CarrierNames) -> Option<Workload> {
    // A template without a pod spec still has labels that selectors count (LL007, LL008).
    let pod = obj.pod();
    let meta = match &pod {
        Some(p) => p.meta,
        None => super::Pod::template_meta(obj)?,
    };
    let meta_value = |section: &str, key: &str| meta?.get(section)?.get(key)?.as_text();
    let pod_labels = super::string_map(meta.and_then(|m| m.get("labels")));
    let containers = pod.as_ref().map(super::Pod::containers).unwrap_or_default();
    let replicas_path = match obj.kind {
        Kind::Job => Some(NodePath::keys(&["spec", "parallelism"])),
        Kind::CronJob => Some(NodePath::keys(&["spec", "jobTemplate", "spec", "parallelism"])),
        Kind::DaemonSet => None,
        Kind::Pod => None,
        _ => Some(NodePath::keys(&["spec", "replicas"])),
    };
    let replicas = match (&obj.kind, &replicas_path) {
        (Kind::DaemonSet, _) => None,
        (Kind::Pod, _) => Some(1),
        (_, Some(p)) => Some(obj.get(p).and_then(|n| n.as_i64()).unwrap_or(1)),
        (_, None) => Some(1),
    };
    let name_loc = obj.at(&NodePath::keys(&["metadata", "name"]));
    let replicas_loc = match &replicas_path {
        Some(p) if obj.get(p).is_some() => obj.at(p),
        _ => name_loc.clone(),
    };
    let mut flags = Vec::new();
    for section in ["labels", "annotations"] {
        flags
            .push(obj.root.get_path(&["metadata", section]).and_then(|m| m.get(LATENCY_KEY)).and_then(|v| v.as_text()));
        flags.push(meta_value(section, LATENCY_KEY));
    }
    let latency_sensitive = if flags.contains(&Some("false")) {
        Some(false)
    } else if flags.contains(&Some("true")) {
        Some(true)
    } else {
        None
    };
    let rollouts_per_hour = obj
        .annotation(ROLLOUTS_KEY)
        .or_else(|| meta_value("annotations", ROLLOUTS_KEY))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite());
    let facts: Vec<ContainerFacts> = containers
        .iter()
        .map(|c| ContainerFacts {
            name: c.name.to_string(),
            init: c.init,
            restartable: c.restartable,
            cpu_limit: c
                .resource("limits", "cpu")
                .map(|v| (v.to_string(), obj.at(&c.path.key("resources").key("limits").key("cpu")))),
            cpu_request: c.resource("requests", "cpu").map(str::to_string),
            has_ports: c.node.get("ports").is_some_and(|p| p.items().next().is_some()),
            readiness: (!c.init || c.restartable)
                .then(|| Readiness::short(obj, c.node, &c.path))
                .flatten()
                .map(Box::new),
        })
        .collect();
    let qos = qos_class(&containers);
    let retry_period = containers.iter().find_map(|c| {
        ["command", "args"].iter().find_map(|list| {
            c.node.get(list)?.items().find_map(|item| {
                let text = item.as_text()?;
                let (flag, value) = text.split_once('=')?;
                let bare = flag.trim_start_matches('-');
                matches!(bare, "leader-elect-retry-period" | "leader-election-retry-period")
                    .then(|| super::duration::parse_seconds(value))
                    .flatten()
            })
        })
    });
    let selector = matches!(obj.kind, Kind::Deployment | Kind::StatefulSet)
        .then(|| obj.root.get_path(&["spec", "selector"]).filter(|s| s.is_mapping()))
        .flatten()
        .map(|s| {
            if let Some(e) = super::selector::label_selector_error(s) {
                return Err(format!(
                    "the workload's `spec.selector` is not a valid label selector ({e}); fix it first"
                ));
            }
            if !PodSelector::from_label_selector(Some(s), true).matches(&pod_labels) {
                return Err("the workload's `spec.selector` does not select its own pod template's labels; fix the \
                            workload first"
                    .to_string());
            }
            if let Some(key) = long_label_key(s) {
                return Err(format!(
                    "the workload's `spec.selector` has a label key of {} characters, longer than a label key \
                     can be ({MAX_LABEL_KEY}: a 253-character prefix, `/` and a 63-character name); fix it first",
                    key.chars().count()
                ));
            }
            Ok(Value::from_node(s, obj.text))
        });
    Some(Workload {
        rollout: rollout_facts(obj, pod.as_ref()).map(Box::new),
        doc: obj.root.doc.place(),
        selector,
        info: Arc::clone(&obj.info),
        kind: obj.kind.clone(),
        replicas,
        replicas_loc,
        helm_hook: obj.helm_hook().is_some(),
        node_name_from_downward_api: containers.iter().any(|c| {
            c.node.get("env").is_some_and(|env| {
                env.items().any(|e| {
                    e.get_path(&["valueFrom", "fieldRef", "fieldPath"]).and_then(|f| f.as_text())
                        == Some("spec.nodeName")
                })
            })
        }),
        pod_labels,
        service_account: pod.as_ref().map_or("default", super::Pod::service_account).to_string(),
        latency_sensitive,
        rollouts_per_hour,
        carriers: carriers::find(obj, &containers, names),
        etcd: super::etcd::facts(obj, &containers),
        containers: facts,
        qos,
        retry_period,
    })
}

/// The QoS class: Guaranteed when every container (init containers included) has cpu and
/// memory limits and its requests, where set, equal them; BestEffort when no container has
/// any cpu or memory request or limit; Burstable otherwise.
fn qos_class(containers: &[super::Container<'_>]) -> Qos {
    let mut any = false;
    let mut guaranteed = !containers.is_empty();
    for c in containers {
        for res in ["cpu", "memory"] {
            let limit = c.resource("limits", res);
            let request = c.resource("requests", res);
            any |= limit.is_some() || request.is_some();
            match (limit, request) {
                (Some(l), Some(r)) if quantity::equal(l, r) => {}
                (Some(_), None) => {}
                _ => guaranteed = false,
            }
        }
    }
    if !any {
        Qos::BestEffort
    } else if guaranteed {
        Qos::Guaranteed
    } else {
        Qos::Burstable
    }
}

fn budget(obj: &Object<'_>, key: &'static str) -> Option<PdbBudget> {
    let path = NodePath::keys(&["spec", key]);
    let node = obj.get(&path).filter(|n| !n.is_null())?;
    let text = node.as_text()?.to_string();
    let (value, percent) = if let Some(i) = node.as_i64() {
        (Some(i), false)
    } else if let Some(p) = text.strip_suffix('%') {
        (p.trim().parse::<i64>().ok(), true)
    } else {
        (None, false)
    };
    Some(PdbBudget { text, value, percent, loc: obj.at(&path) })
}

fn pdb(obj: &Object<'_>) -> Pdb {
    // policy/v1beta1 read an empty selector as "no pods"; policy/v1 as "every pod".
    let v1beta1 = obj.info.object.api_version.ends_with("/v1beta1");
    Pdb {
        info: Arc::clone(&obj.info),
        selector: PodSelector::from_label_selector(obj.root.get_path(&["spec", "selector"]), !v1beta1),
        min_available: budget(obj, "minAvailable"),
        max_unavailable: budget(obj, "maxUnavailable"),
    }
}

fn hpa(obj: &Object<'_>) -> Option<Hpa> {
    let target = obj.root.get_path(&["spec", "scaleTargetRef"])?;
    let api = target.get("apiVersion").and_then(|v| v.as_text()).unwrap_or("apps/v1");
    let min_path = NodePath::keys(&["spec", "minReplicas"]);
    let loc =
        if obj.get(&min_path).is_some() { obj.at(&min_path) } else { obj.at(&NodePath::keys(&["metadata", "name"])) };
    Some(Hpa {
        loc,
        name: obj.info.object.name.clone(),
        namespace: obj.info.object.namespace.clone(),
        target_group: super::kinds::group_of(api).to_string(),
        target_kind: target.get("kind")?.as_text()?.to_string(),
        target_name: target.get("name")?.as_text()?.to_string(),
        min_replicas: obj.root.get_path(&["spec", "minReplicas"]).and_then(|v| v.as_i64()).unwrap_or(1),
    })
}

fn strings(node: Option<crate::yaml::NodeRef<'_, '_>>) -> Vec<String> {
    node.map(|n| n.items().filter_map(|i| i.as_text().map(str::to_string)).collect()).unwrap_or_default()
}

fn role(obj: &Object<'_>) -> Role {
    let mut rules = Vec::new();
    if let Some(seq) = obj.root.get("rules") {
        for (i, rule) in seq.items().enumerate() {
            let path = NodePath::keys(&["rules"]).index(i);
            let names_path = path.key("resourceNames");
            let resource_names = rule
                .get("resourceNames")
                .map(|n| {
                    n.items()
                        .enumerate()
                        .filter_map(|(j, item)| Some((item.as_text()?.to_string(), obj.at(&names_path.index(j)))))
                        .collect()
                })
                .unwrap_or_default();
            rules.push(RoleRule {
                api_groups: strings(rule.get("apiGroups")),
                resources: strings(rule.get("resources")),
                verbs: strings(rule.get("verbs")),
                resource_names,
                resource_names_loc: obj.at(&names_path),
            });
        }
    }
    Role { info: Arc::clone(&obj.info), cluster: obj.kind == Kind::ClusterRole, rules }
}

fn binding(obj: &Object<'_>) -> Option<Binding> {
    let role_ref = obj.root.get("roleRef")?;
    let subjects = obj
        .root
        .get("subjects")
        .map(|s| {
            s.items()
                .filter_map(|sub| {
                    Some(Subject {
                        kind: sub.get("kind")?.as_text()?.to_string(),
                        name: sub.get("name")?.as_text()?.to_string(),
                        namespace: sub
                            .get("namespace")
                            .and_then(|n| n.as_text())
                            .filter(|n| !n.is_empty())
                            .map(str::to_string),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Binding {
        info: Arc::clone(&obj.info),
        cluster: obj.kind == Kind::ClusterRoleBinding,
        role_kind: role_ref.get("kind")?.as_text()?.to_string(),
        role_name: role_ref.get("name")?.as_text()?.to_string(),
        subjects,
    })
}

/// Longest valid label key: a DNS-subdomain prefix (253), `/`, a name (63) (Kubernetes
/// `validation.IsQualifiedName`).
const MAX_LABEL_KEY: usize = 253 + 1 + 63;

/// A selector key longer than any label key can be (such a key, written back, may not even be
/// a valid implicit YAML key: those end within 1,024 characters).
fn long_label_key<'d>(selector: NodeRef<'d, '_>) -> Option<&'d str> {
    let labels = selector.get("matchLabels").into_iter().flat_map(|m| m.entries().map(|(k, _)| k.scalar()));
    let expressions = selector.get("matchExpressions").into_iter().flat_map(|e| e.items().map(|i| i.get_str("key")));
    labels.chain(expressions).flatten().find(|k| k.chars().count() > MAX_LABEL_KEY)
}
