//! Kubernetes' rollout arithmetic and defaults, as the controllers and the kubelet apply them:
//! rolling-update budgets (int or percentage, rounding), probe and termination defaults, the HPA's
//! scale-down stabilization default, and the rollout facts of Deployments and StatefulSets that
//! the `rollout` rules (LL012–LL017) read from the inventory. Uses `yaml` and `diag`.

use std::collections::BTreeMap;

use crate::diag::Loc;
use crate::yaml::{NodePath, NodeRef};

use super::{Kind, Object, Pod, PodSelector};

/// `maxUnavailable` and `maxSurge` of a Deployment's RollingUpdate when unset (apps/v1).
pub(crate) const DEFAULT_MAX_UNAVAILABLE: IntOrPercent = IntOrPercent::Percent(25);
/// See [`DEFAULT_MAX_UNAVAILABLE`].
pub(crate) const DEFAULT_MAX_SURGE: IntOrPercent = IntOrPercent::Percent(25);
/// A StatefulSet's RollingUpdate `maxUnavailable` when unset.
pub(crate) const DEFAULT_STATEFULSET_MAX_UNAVAILABLE: IntOrPercent = IntOrPercent::Int(1);
/// A probe's `periodSeconds` when unset.
pub(crate) const DEFAULT_PROBE_PERIOD_SECONDS: i64 = 10;
/// A probe's `failureThreshold` when unset.
pub(crate) const DEFAULT_PROBE_FAILURE_THRESHOLD: i64 = 3;
/// A pod's `terminationGracePeriodSeconds` when unset.
pub(crate) const DEFAULT_TERMINATION_GRACE_SECONDS: i64 = 30;
/// The kubelet's minimum grace left for SIGTERM after a preStop hook used up the grace period
/// (`minimumGracePeriodInSeconds`): SIGKILL follows 2 s later.
pub(crate) const MIN_GRACE_AFTER_PRESTOP_SECONDS: i64 = 2;
/// The HPA's scale-down stabilization window when `behavior.scaleDown` does not set one
/// (autoscaling/v2; the controller's `--horizontal-pod-autoscaler-downscale-stabilization`).
pub(crate) const DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS: i64 = 300;
/// The topology key of one node.
pub(crate) const HOSTNAME_KEY: &str = "kubernetes.io/hostname";

/// An int-or-string budget (`maxUnavailable: 1`, `maxSurge: "25%"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IntOrPercent {
    Int(i64),
    Percent(i64),
}

impl IntOrPercent {
    /// Reads an int-or-string node: an integer, or a string `N%`. A string without `%` (`"1"`)
    /// or a negative value is what the API server rejects: `None`.
    pub(crate) fn of(node: NodeRef<'_, '_>) -> Option<IntOrPercent> {
        if let Some(i) = node.as_i64() {
            return (i >= 0).then_some(IntOrPercent::Int(i));
        }
        let p = node.as_str()?.trim().strip_suffix('%')?.parse::<i64>().ok()?;
        (p >= 0).then_some(IntOrPercent::Percent(p))
    }

    /// The value scaled against `total`, as `intstr.GetScaledValueFromIntOrPercent`: an integer
    /// as it is, a percentage of `total` rounded up or down.
    pub(crate) fn scaled(self, total: i64, round_up: bool) -> i64 {
        match self {
            IntOrPercent::Int(i) => i,
            IntOrPercent::Percent(p) => {
                let n = p.saturating_mul(total.max(0));
                if round_up { (n + 99) / 100 } else { n / 100 }
            }
        }
    }
}

/// What a Deployment's RollingUpdate allows for `replicas` pods, as the deployment controller's
/// `ResolveFenceposts`: (`maxSurge` rounded up, `maxUnavailable` rounded down), defaults 25 %
/// each, and `maxUnavailable` 1 when both come to 0 (a rollout must make progress).
pub(crate) fn deployment_fenceposts(
    max_surge: Option<IntOrPercent>,
    max_unavailable: Option<IntOrPercent>,
    replicas: i64,
) -> (i64, i64) {
    let surge = max_surge.unwrap_or(DEFAULT_MAX_SURGE).scaled(replicas, true);
    let unavailable = max_unavailable.unwrap_or(DEFAULT_MAX_UNAVAILABLE).scaled(replicas, false);
    if surge == 0 && unavailable == 0 { (0, 1) } else { (surge, unavailable) }
}

/// How many pods a StatefulSet's RollingUpdate takes down at once, as the StatefulSet
/// controller's `getStatefulSetMaxUnavailable`: `maxUnavailable` (default 1) of `replicas`,
/// a percentage rounded down, at least 1. (Pods with an ordinal below `partition` are not
/// updated at all.)
pub(crate) fn statefulset_max_unavailable(max_unavailable: Option<IntOrPercent>, replicas: i64) -> i64 {
    max_unavailable.unwrap_or(DEFAULT_STATEFULSET_MAX_UNAVAILABLE).scaled(replicas, false).max(1)
}

/// How long a probe must fail before it acts: `failureThreshold` × `periodSeconds`, each with
/// its default (3 × 10 s = 30 s).
pub(crate) fn probe_failure_window(failure_threshold: Option<i64>, period_seconds: Option<i64>) -> i64 {
    failure_threshold
        .unwrap_or(DEFAULT_PROBE_FAILURE_THRESHOLD)
        .saturating_mul(period_seconds.unwrap_or(DEFAULT_PROBE_PERIOD_SECONDS))
}

/// An integer field: unset, set, or set to something the API server rejects (a string, a
/// negative number), which the rules leave alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IntSetting {
    Unset,
    Set(i64),
    Invalid,
}

impl IntSetting {
    /// Reads `node` (absent or null: unset).
    pub(crate) fn of(node: Option<NodeRef<'_, '_>>) -> IntSetting {
        match node.filter(|n| !n.is_null()) {
            None => IntSetting::Unset,
            Some(n) => match n.as_i64() {
                Some(i) if i >= 0 => IntSetting::Set(i),
                _ => IntSetting::Invalid,
            },
        }
    }

    /// The value, `None` when unset; `Err` when invalid.
    pub(crate) fn value(self) -> Result<Option<i64>, ()> {
        match self {
            IntSetting::Unset => Ok(None),
            IntSetting::Set(i) => Ok(Some(i)),
            IntSetting::Invalid => Err(()),
        }
    }
}

/// A budget as written: its value and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Budget {
    pub(crate) value: IntOrPercent,
    pub(crate) text: String,
}

/// A Deployment's `spec.strategy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DeploymentStrategy {
    /// Every old pod is stopped before new ones start.
    Recreate,
    /// The default; each budget is `None` when unset.
    RollingUpdate { max_surge: Option<Budget>, max_unavailable: Option<Budget> },
    /// A type or value the API server rejects: the rules leave it alone.
    Invalid,
}

/// A StatefulSet's `spec.updateStrategy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StatefulSetStrategy {
    /// The default: the controller replaces pods from the highest ordinal down, `maxUnavailable`
    /// (default 1) at a time, leaving ordinals below `partition` (default 0) alone.
    RollingUpdate { max_unavailable: Option<IntOrPercent>, partition: i64 },
    /// Pods are replaced only when someone deletes them: there is no automatic rollout.
    OnDelete,
    /// A type or value the API server rejects.
    Invalid,
}

/// Reads a StatefulSet's `spec.updateStrategy` (absent: RollingUpdate with the defaults).
pub(crate) fn statefulset_strategy(strategy: Option<NodeRef<'_, '_>>) -> StatefulSetStrategy {
    let Some(strategy) = strategy.filter(|s| !s.is_null()) else {
        return StatefulSetStrategy::RollingUpdate { max_unavailable: None, partition: 0 };
    };
    match strategy.get("type").filter(|t| !t.is_null()).map(|t| t.as_str()) {
        Some(Some("OnDelete")) => return StatefulSetStrategy::OnDelete,
        None | Some(Some("RollingUpdate")) => {}
        Some(_) => return StatefulSetStrategy::Invalid,
    }
    let rolling = strategy.get("rollingUpdate").filter(|r| !r.is_null());
    let max_unavailable = match rolling.and_then(|r| r.get("maxUnavailable")).filter(|n| !n.is_null()) {
        None => None,
        Some(node) => match IntOrPercent::of(node) {
            Some(v) => Some(v),
            None => return StatefulSetStrategy::Invalid,
        },
    };
    let partition = match IntSetting::of(rolling.and_then(|r| r.get("partition"))) {
        IntSetting::Unset => 0,
        IntSetting::Set(p) => p,
        IntSetting::Invalid => return StatefulSetStrategy::Invalid,
    };
    StatefulSetStrategy::RollingUpdate { max_unavailable, partition }
}

/// How a pod template spreads its pods over nodes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct HostSpread {
    /// A `topologySpreadConstraints` entry on `kubernetes.io/hostname` (any `whenUnsatisfiable`).
    pub(crate) constraint: bool,
    /// A `requiredDuringSchedulingIgnoredDuringExecution` pod anti-affinity term on it.
    pub(crate) required_anti_affinity: bool,
    /// A `preferredDuringSchedulingIgnoredDuringExecution` term on it (best effort).
    pub(crate) preferred_anti_affinity: bool,
    /// The topology keys of the other spread constraints (`topology.kubernetes.io/zone`).
    pub(crate) other_keys: Vec<String>,
    /// A container binds a `hostPort`: two such pods never share a node (the scheduler's
    /// `NodePorts` filter), and a surge pod needs a node without one.
    pub(crate) host_port: bool,
    /// Pinned to one node (`nodeName`, or a `nodeSelector` on `kubernetes.io/hostname`): every
    /// replica runs there by design.
    pub(crate) pinned: bool,
    /// A spread constraint or anti-affinity term on the hostname whose `labelSelector` does not
    /// select the pod template's own labels (or is missing: it then selects no pod), so it keeps
    /// these replicas apart from other pods, if any, not from each other.
    pub(crate) foreign_selector: bool,
}

impl HostSpread {
    /// One node failure cannot take every replica: a hostname constraint or a required
    /// anti-affinity keeps them apart.
    pub(crate) fn is_spread(&self) -> bool {
        self.constraint || self.required_anti_affinity || self.host_port
    }
}

/// The rollout facts of a Deployment or StatefulSet with a pod spec.
#[derive(Clone, Debug)]
pub(crate) struct RolloutFacts {
    /// `spec.strategy` of a Deployment; `None` for a StatefulSet.
    pub(crate) strategy: Option<DeploymentStrategy>,
    /// `spec.updateStrategy` of a StatefulSet; `None` for a Deployment.
    pub(crate) update_strategy: Option<StatefulSetStrategy>,
    /// Where LL012 reports: `spec.strategy.type` of a Recreate Deployment, else
    /// `spec.strategy.rollingUpdate.maxUnavailable` (or the deepest node on the way).
    pub(crate) strategy_loc: Loc,
    pub(crate) min_ready_seconds: IntSetting,
    /// `spec.minReadySeconds` (or `spec` when unset).
    pub(crate) min_ready_loc: Loc,
    pub(crate) spread: HostSpread,
    /// `topologySpreadConstraints` of the pod spec (or the pod spec when it has none).
    pub(crate) spread_loc: Loc,
}

impl RolloutFacts {
    /// Path of the pod spec, for fixes: `spec.template.spec` in a Deployment and a StatefulSet
    /// alike (computed, not kept: one path fewer per workload in a 20k-object run).
    pub(crate) fn spec_path(&self) -> NodePath {
        NodePath::keys(&["spec", "template", "spec"])
    }

    /// The facts moved by `delta` bytes.
    pub(crate) fn shift(&mut self, delta: isize) {
        for loc in [&mut self.strategy_loc, &mut self.min_ready_loc, &mut self.spread_loc] {
            loc.shift(delta);
        }
    }
}

/// A readiness probe that fails for less than this long takes its pod out of its Services too
/// soon (LL017; SPEC §12: the defaults, 3 × 10 s).
pub(crate) const MIN_READINESS_WINDOW_SECONDS: i64 = 30;

/// A container's readiness probe that takes the pod out of its Services after less than
/// [`MIN_READINESS_WINDOW_SECONDS`] of failures (only such probes are kept: LL017 reads them).
#[derive(Clone, Debug)]
pub(crate) struct Readiness {
    pub(crate) failure_threshold: IntSetting,
    pub(crate) period_seconds: IntSetting,
    /// Path of the `readinessProbe`, for fixes.
    pub(crate) probe_path: NodePath,
    /// `failureThreshold`, else `periodSeconds`, else the probe: where LL017 reports.
    pub(crate) loc: Loc,
}

impl Readiness {
    /// The probe of a container when its failure window is short (`None` when it has none, it
    /// is not a mapping, its window is long enough, or a value is one the API server rejects).
    pub(crate) fn short(obj: &Object<'_>, container: NodeRef<'_, '_>, container_path: &NodePath) -> Option<Readiness> {
        let probe = container.get("readinessProbe").filter(|p| p.is_mapping())?;
        let failure_threshold = IntSetting::of(probe.get("failureThreshold"));
        let period_seconds = IntSetting::of(probe.get("periodSeconds"));
        let window = probe_failure_window(failure_threshold.value().ok()?, period_seconds.value().ok()?);
        if window >= MIN_READINESS_WINDOW_SECONDS {
            return None;
        }
        let probe_path = container_path.key("readinessProbe");
        let at = if failure_threshold != IntSetting::Unset {
            probe_path.key("failureThreshold")
        } else if period_seconds != IntSetting::Unset {
            probe_path.key("periodSeconds")
        } else {
            probe_path.clone()
        };
        Some(Readiness { failure_threshold, period_seconds, loc: obj.at(&at), probe_path })
    }
}

/// The rollout facts of a Deployment or StatefulSet whose template has a pod spec.
pub(crate) fn rollout_facts(obj: &Object<'_>, pod: Option<&Pod<'_>>) -> Option<RolloutFacts> {
    if !matches!(obj.kind, Kind::Deployment | Kind::StatefulSet) {
        return None;
    }
    let pod = pod?;
    let spec = obj.root.get("spec")?;
    let (strategy, strategy_path) = if obj.kind == Kind::Deployment {
        let strategy = deployment_strategy(spec.get("strategy"));
        let path = if strategy == DeploymentStrategy::Recreate {
            NodePath::keys(&["spec", "strategy", "type"])
        } else {
            NodePath::keys(&["spec", "strategy", "rollingUpdate", "maxUnavailable"])
        };
        (Some(strategy), path)
    } else {
        (None, NodePath::keys(&["spec", "updateStrategy"]))
    };
    let min_ready_path = NodePath::keys(&["spec", "minReadySeconds"]);
    let update_strategy = (obj.kind == Kind::StatefulSet).then(|| statefulset_strategy(spec.get("updateStrategy")));
    Some(RolloutFacts {
        strategy,
        update_strategy,
        strategy_loc: obj.at(&strategy_path),
        min_ready_seconds: IntSetting::of(spec.get("minReadySeconds")),
        min_ready_loc: obj.at(&min_ready_path),
        spread: host_spread(pod.spec, &super::string_map(pod.meta.and_then(|m| m.get("labels")))),
        spread_loc: obj.at(&pod.spec_path.key("topologySpreadConstraints")),
    })
}

/// Reads a Deployment's `spec.strategy` (absent: RollingUpdate with the defaults).
pub(crate) fn deployment_strategy(strategy: Option<NodeRef<'_, '_>>) -> DeploymentStrategy {
    let Some(strategy) = strategy.filter(|s| !s.is_null()) else {
        return DeploymentStrategy::RollingUpdate { max_surge: None, max_unavailable: None };
    };
    if !strategy.is_mapping() {
        return DeploymentStrategy::Invalid;
    }
    match strategy.get("type").filter(|t| !t.is_null()).map(|t| t.as_str()) {
        Some(Some("Recreate")) => return DeploymentStrategy::Recreate,
        None | Some(Some("RollingUpdate")) => {}
        Some(_) => return DeploymentStrategy::Invalid,
    }
    let rolling = strategy.get("rollingUpdate").filter(|r| !r.is_null());
    let budget = |key: &str| -> Result<Option<Budget>, ()> {
        let Some(node) = rolling.and_then(|r| r.get(key)).filter(|n| !n.is_null()) else { return Ok(None) };
        let value = IntOrPercent::of(node).ok_or(())?;
        Ok(Some(Budget { value, text: node.scalar().unwrap_or_default().to_string() }))
    };
    match (budget("maxSurge"), budget("maxUnavailable")) {
        (Ok(max_surge), Ok(max_unavailable)) => DeploymentStrategy::RollingUpdate { max_surge, max_unavailable },
        _ => DeploymentStrategy::Invalid,
    }
}

/// How a pod spec spreads its pods over nodes.
pub(crate) fn host_spread(spec: NodeRef<'_, '_>, pod_labels: &BTreeMap<String, String>) -> HostSpread {
    let mut spread = HostSpread::default();
    // A constraint or term counts only when its `labelSelector` selects the replicas themselves:
    // the scheduler counts (or avoids) the pods it selects, and a missing selector selects none
    // (`metav1.LabelSelectorAsSelector(nil)`); an empty one `{}` selects every pod. A spread
    // constraint's `matchLabelKeys` narrow its selector to the pod's own values, so with no
    // `labelSelector` they still select the replicas (the API server merges them into one).
    let own = |entry: NodeRef<'_, '_>, label_keys: bool| {
        let selector = entry.get("labelSelector").filter(|s| !s.is_null());
        match selector {
            None => label_keys && entry.get("matchLabelKeys").is_some_and(|k| k.items().next().is_some()),
            Some(s) => PodSelector::from_label_selector(Some(s), true).matches(pod_labels),
        }
    };
    let mut foreign = false;
    for c in spec.get("topologySpreadConstraints").into_iter().flat_map(|c| c.items()) {
        match c.get("topologyKey").and_then(|k| k.as_text()) {
            Some(HOSTNAME_KEY) if own(c, true) => spread.constraint = true,
            Some(HOSTNAME_KEY) => foreign = true,
            Some(other) => spread.other_keys.push(other.to_string()),
            None => {}
        }
    }
    spread.host_port = ["containers", "initContainers"].iter().any(|list| {
        spec.get(list).into_iter().flat_map(|c| c.items()).any(|c| {
            c.get("ports").into_iter().flat_map(|p| p.items()).any(|p| p.get("hostPort").is_some_and(|h| !h.is_null()))
        })
    });
    spread.pinned = spec.get("nodeName").and_then(|n| n.as_text()).is_some_and(|n| !n.is_empty())
        || spec.get("nodeSelector").and_then(|s| s.get(HOSTNAME_KEY)).is_some();
    let anti = spec.get_path(&["affinity", "podAntiAffinity"]);
    let terms = |key: &str| anti.and_then(|a| a.get(key)).into_iter().flat_map(|terms| terms.items());
    for term in terms("requiredDuringSchedulingIgnoredDuringExecution") {
        match term.get("topologyKey").and_then(|k| k.as_text()) {
            Some(HOSTNAME_KEY) if own(term, false) => spread.required_anti_affinity = true,
            Some(HOSTNAME_KEY) => foreign = true,
            _ => {}
        }
    }
    for term in terms("preferredDuringSchedulingIgnoredDuringExecution").filter_map(|t| t.get("podAffinityTerm")) {
        match term.get("topologyKey").and_then(|k| k.as_text()) {
            Some(HOSTNAME_KEY) if own(term, false) => spread.preferred_anti_affinity = true,
            Some(HOSTNAME_KEY) => foreign = true,
            _ => {}
        }
    }
    spread.foreign_selector = foreign;
    spread
}

#[cfg(test)]
#[path = "rollout_tests.rs"]
mod tests;
