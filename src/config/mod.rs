//! Configuration values: the lease policy, carrier lists, thresholds and rule settings, with the
//! defaults of SPEC §3, §4 and §6, and `.leaselint.yaml` loading (`file`). Flags override the file.

pub(crate) mod file;

use std::collections::BTreeMap;

use crate::diag::Severity;
use crate::k8s::{CarrierNames, CustomKind, PodSelector};

/// The namespace-scoped lease policy (SPEC §3).
#[derive(Clone, Debug)]
pub(crate) struct Policy {
    /// `ns-lease-{namespace}`.
    pub(crate) namespace_lease: String,
    /// `{name}-lease`, for Deployments that roll more often than the threshold.
    pub(crate) deployment_lease: String,
    /// Renewal interval of the policy lease, in seconds.
    pub(crate) renewal_interval: f64,
    pub(crate) high_churn_threshold_per_hour: f64,
    /// The largest `ndots` allowed (LL006).
    pub(crate) ndots: u32,
    /// LL003 judges every chart, not only those that use leases
    /// (`policy.requireLeaseConsolidationValues`).
    pub(crate) require_lease_consolidation_values: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            namespace_lease: "ns-lease-{namespace}".to_string(),
            deployment_lease: "{name}-lease".to_string(),
            renewal_interval: 10.0,
            high_churn_threshold_per_hour: 1.0,
            ndots: 2,
            require_lease_consolidation_values: false,
        }
    }
}

/// Numeric thresholds of the rules.
#[derive(Clone, Debug)]
pub(crate) struct Thresholds {
    /// LL009: replicas from which a workload's watches count as fan-out.
    pub(crate) fanout_replicas: i64,
    /// Nodes assumed for DaemonSets (LL001, LL009).
    pub(crate) nodes: i64,
    /// LL007: replicas from which a workload needs a PDB.
    pub(crate) pdb_min_replicas: i64,
    /// LL013: the least `minReadySeconds` of a latency-sensitive workload (seeds' table: 10 s).
    pub(crate) min_ready_seconds: i64,
    /// LL016: the least HPA scale-down stabilization window, seconds (Kubernetes' default 300).
    pub(crate) scale_down_stabilization_seconds: i64,
    /// LL018: the least etcd `--heartbeat-interval`, milliseconds (etcd's default 100).
    pub(crate) etcd_heartbeat_ms: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            fanout_replicas: 20,
            nodes: 100,
            pdb_min_replicas: 2,
            min_ready_seconds: 10,
            scale_down_stabilization_seconds: 300,
            etcd_heartbeat_ms: 100,
        }
    }
}

/// How LL004 decides that a pod is latency-sensitive besides its own label or annotation.
#[derive(Clone, Debug)]
pub(crate) struct LatencySensitive {
    pub(crate) infer_from_services: bool,
    pub(crate) selectors: Vec<PodSelector>,
}

impl Default for LatencySensitive {
    fn default() -> Self {
        LatencySensitive { infer_from_services: true, selectors: Vec::new() }
    }
}

/// A rule's configured state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RuleSetting {
    Off,
    Severity(Severity),
}

/// An `ignore` entry: findings of `rules` (every rule when empty) on objects whose kind,
/// namespace and name match the globs (a missing glob matches anything), or in files matching
/// `file`.
#[derive(Clone, Debug)]
pub(crate) struct IgnoreEntry {
    pub(crate) kind: Option<globset::GlobMatcher>,
    pub(crate) namespace: Option<globset::GlobMatcher>,
    pub(crate) name: Option<globset::GlobMatcher>,
    pub(crate) file: Option<globset::GlobMatcher>,
    /// Rule codes.
    pub(crate) rules: Vec<String>,
    /// Where the config file is: `file` globs also match paths relative to its directory, so
    /// one config gives the same result from any working directory.
    pub(crate) places: Option<FilePlaces>,
}

/// The config file's directory and the working directory, both absolute.
#[derive(Clone, Debug)]
pub(crate) struct FilePlaces {
    pub(crate) root: std::path::PathBuf,
    pub(crate) cwd: std::path::PathBuf,
}

impl FilePlaces {
    /// `path` (as given on the command line) relative to the config file's directory, with `/`
    /// separators; `None` when it is outside it.
    pub(crate) fn relative(&self, path: &std::path::Path) -> Option<String> {
        let absolute = crate::source::lexical_normal(&self.cwd.join(path));
        let inside = absolute.strip_prefix(&self.root).ok()?;
        Some(inside.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"))
    }
}

/// Everything the rules read.
#[derive(Clone, Debug, Default)]
pub(crate) struct LintConfig {
    pub(crate) policy: Policy,
    pub(crate) carriers: CarrierNames,
    pub(crate) latency: LatencySensitive,
    pub(crate) thresholds: Thresholds,
    pub(crate) pod_template_kinds: Vec<CustomKind>,
    /// By rule code.
    pub(crate) rules: BTreeMap<String, RuleSetting>,
    /// `failOn` of the config file (the `--fail-on` flag wins).
    pub(crate) fail_on: Option<Severity>,
    pub(crate) ignore: Vec<IgnoreEntry>,
    /// Bounds on hostile input (flags only).
    pub(crate) limits: crate::yaml::Limits,
    /// `fixes: {safe: [...], unsafe: [...]}`: rule code → the class its fixes get.
    pub(crate) fix_classes: BTreeMap<String, crate::diag::Applicability>,
    /// Where objects without a namespace are applied (`namespace`, `--namespace`); `None`: one
    /// unnamed release namespace (what `helm template` without `--namespace` prints).
    pub(crate) namespace: Option<String>,
    /// `baseline`, relative to the config file's directory (`--baseline` wins).
    pub(crate) baseline: Option<std::path::PathBuf>,
    /// Each object is linted alone (`serve`: the object of one AdmissionReview): what judges
    /// relations between objects cannot see the others and is skipped (SPEC §11).
    pub(crate) alone: bool,
}

impl LintConfig {
    /// This configuration for objects linted one at a time (admission, SPEC §11): LL007–LL009
    /// (PDBs, HPAs, bindings of other objects) and LL011 (an annotation for a rule that needs
    /// the others would look unused) are off, latency-sensitivity is not inferred from Services,
    /// and LL001 (b) and LL002 (b) (groups of Leases, pod names in Roles) are skipped by their
    /// rules; annotations, labels and config selectors still count.
    #[cfg_attr(not(feature = "webhook"), allow(dead_code, reason = "used by serve"))]
    pub(crate) fn alone(&self) -> LintConfig {
        let mut config = self.clone();
        config.alone = true;
        config.latency.infer_from_services = false;
        for code in ["LL007", "LL008", "LL009", "LL011"] {
            config.rules.insert(code.to_string(), RuleSetting::Off);
        }
        config
    }
}

/// Why `name` cannot be a namespace: Kubernetes namespaces are DNS-1123 labels (lowercase
/// letters, digits and `-`, starting and ending with a letter or digit, at most 63 characters).
pub(crate) fn namespace_error(name: &str) -> Option<String> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    (!valid).then(|| {
        format!(
            "`{name}` is not a valid namespace: a namespace is a DNS-1123 label (lowercase letters, digits and `-`, \
             starting and ending with a letter or digit, at most 63 characters)"
        )
    })
}
