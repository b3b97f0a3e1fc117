//! `.leaselint.yaml`: discovery (the current directory and its parents, or `--config`),
//! parsing (serde, unknown keys rejected) and validation, with every error pointing at the file,
//! line and column of the offending key or value.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::Deserialize;

use super::{IgnoreEntry, LintConfig, RuleSetting};
use crate::diag::Severity;
use crate::k8s::{CarrierNames, CustomKind, PodSelector, duration};
use crate::yaml::{FileError, NodePath};

/// The config file names looked for, in order.
pub(crate) const FILE_NAMES: [&str; 2] = [".leaselint.yaml", ".leaselint.yml"];

/// Finds the config file: `.leaselint.yaml` in `start` or its nearest parent, named relative to
/// `start` when it is inside it (`.leaselint.yaml`, `../.leaselint.yaml`).
pub(crate) fn discover(start: &Path) -> Option<PathBuf> {
    let absolute = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
    let mut relative = if start == Path::new(".") { PathBuf::new() } else { start.to_path_buf() };
    for dir in absolute.ancestors() {
        for name in FILE_NAMES {
            if dir.join(name).is_file() {
                return Some(relative.join(name));
            }
        }
        relative = relative.join("..");
    }
    None
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ConfigFile {
    fail_on: Option<Severity>,
    rules: Option<BTreeMap<String, RuleValue>>,
    policy: Option<PolicyFile>,
    lease_carriers: Option<CarriersFile>,
    latency_sensitive: Option<LatencyFile>,
    thresholds: Option<ThresholdsFile>,
    pod_template_kinds: Option<Vec<KindFile>>,
    ignore: Option<Vec<IgnoreFile>>,
    rules_dirs: Option<Vec<String>>,
    fixes: Option<FixesFile>,
    namespace: Option<String>,
    baseline: Option<String>,
}

/// `fixes: {safe: [...], unsafe: [...]}`: rules whose fixes count as safe (applied by plain
/// `--fix`) or unsafe (only with `--unsafe-fixes`), as ruff's `extend-safe-fixes` and
/// `extend-unsafe-fixes`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FixesFile {
    safe: Option<Vec<String>>,
    #[serde(rename = "unsafe")]
    unsafe_: Option<Vec<String>>,
}

/// A rule's setting: a level (`off`), or a table (`{severity: error}`).
#[derive(Debug)]
enum RuleValue {
    Level(Level),
    Table(RuleTable),
}

impl<'de> Deserialize<'de> for RuleValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RuleValue;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("off, error, warning, info, or {severity: ...}")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RuleValue, E> {
                Level::deserialize(serde::de::value::StrDeserializer::<E>::new(v)).map(RuleValue::Level)
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<RuleValue, E> {
                // YAML 1.1 reads a bare `off` as false.
                if v {
                    Err(E::invalid_value(serde::de::Unexpected::Bool(v), &self))
                } else {
                    Ok(RuleValue::Level(Level::Off))
                }
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RuleValue, A::Error> {
                RuleTable::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(RuleValue::Table)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Level {
    Off,
    Error,
    Warning,
    Info,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleTable {
    severity: Level,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PolicyFile {
    namespace_lease: Option<String>,
    deployment_lease: Option<String>,
    renewal_interval: Option<String>,
    high_churn_threshold_per_hour: Option<u32>,
    ndots: Option<u32>,
    require_lease_consolidation_values: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CarriersFile {
    name_args: Option<Vec<String>>,
    namespace_args: Option<Vec<String>>,
    name_env: Option<Vec<String>>,
    namespace_env: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LatencyFile {
    infer_from_services: Option<bool>,
    selectors: Option<Vec<LabelSelector>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ThresholdsFile {
    fanout_replicas: Option<u32>,
    nodes: Option<u32>,
    pdb_min_replicas: Option<u32>,
    min_ready_seconds: Option<u32>,
    scale_down_stabilization_seconds: Option<u32>,
    etcd_heartbeat_ms: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KindFile {
    api_version: String,
    kind: String,
    path: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreFile {
    kind: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
    file: Option<String>,
    rules: Option<Vec<String>>,
}

/// A parsed config file, before rule names are checked (user rules are loaded first).
pub(crate) struct Parsed {
    pub(crate) path: PathBuf,
    name: String,
    text: String,
    file: ConfigFile,
}

impl Parsed {
    /// `rulesDirs`, relative to the config file's directory.
    pub(crate) fn rules_dirs(&self) -> Vec<PathBuf> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        self.file.rules_dirs.iter().flatten().map(|d| dir.join(d)).collect()
    }

    /// An error at the key `path` ends in.
    pub(crate) fn error(&self, path: &NodePath, message: impl Into<String>) -> FileError {
        FileError::at_path(&self.name, &self.text, path, message)
    }

    /// An error at the value at `path`.
    pub(crate) fn value_error(&self, path: &NodePath, message: impl Into<String>) -> FileError {
        FileError::at_value(&self.name, &self.text, path, message)
    }
}

/// Reads and parses a config file.
pub(crate) fn read(path: &Path) -> Result<Parsed, FileError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| FileError::unreadable(&name, &e))?;
    parse(path, name, text)
}

/// Parses a config file's text (an empty file, or one with only comments, sets nothing).
pub(crate) fn parse(path: &Path, name: String, text: String) -> Result<Parsed, FileError> {
    let file: Option<ConfigFile> = yaml_serde::from_str(&text).map_err(|e| {
        FileError::from_serde(&name, &text, 0, &e).help("see the configuration reference in the README")
    })?;
    let file = file.unwrap_or_default();
    Ok(Parsed { path: path.to_path_buf(), name, text, file })
}

/// A rule's identity, for checking names in the config.
pub(crate) struct KnownRule {
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) aliases: Vec<String>,
    /// The rule's group (SPEC §4).
    pub(crate) group: Option<String>,
}

/// The code of a rule named by code, name or alias.
pub(crate) fn resolve_rule(known: &[KnownRule], wanted: &str) -> Option<String> {
    known
        .iter()
        .find(|r| r.code.eq_ignore_ascii_case(wanted) || r.name == wanted || r.aliases.iter().any(|a| a == wanted))
        .map(|r| r.code.clone())
}

/// The codes a name stands for: one rule (code, name or alias), or every rule of a group
/// (`rollout`); `None` when it is neither.
pub(crate) fn resolve_rules(known: &[KnownRule], wanted: &str) -> Option<Vec<String>> {
    if let Some(code) = resolve_rule(known, wanted) {
        return Some(vec![code]);
    }
    let group: Vec<String> =
        known.iter().filter(|r| r.group.as_deref() == Some(wanted)).map(|r| r.code.clone()).collect();
    (!group.is_empty()).then_some(group)
}

fn severity(level: Level) -> RuleSetting {
    match level {
        Level::Off => RuleSetting::Off,
        Level::Error => RuleSetting::Severity(Severity::Error),
        Level::Warning => RuleSetting::Severity(Severity::Warning),
        Level::Info => RuleSetting::Severity(Severity::Info),
    }
}

/// Applies a parsed config on top of `config`, checking rule names against `known`.
pub(crate) fn apply(parsed: &Parsed, known: &[KnownRule], config: &mut LintConfig) -> Result<(), FileError> {
    let f = &parsed.file;
    let unknown_rule = |path: NodePath, name: &str| {
        parsed
            .error(&path, format!("unknown rule `{name}`"))
            .help("rules are named by code (LL004) or name; `leaselint rules` lists them")
    };
    if let Some(level) = f.fail_on {
        config.fail_on = Some(level);
    }
    if let Some(b) = &f.baseline {
        // Relative to the config file, as `rulesDirs`.
        config.baseline = Some(parsed.path.parent().unwrap_or(Path::new(".")).join(b));
    }
    if let Some(ns) = &f.namespace {
        if let Some(why) = super::namespace_error(ns) {
            return Err(parsed.value_error(&NodePath::keys(&["namespace"]), why));
        }
        config.namespace = Some(ns.clone());
    }
    // Groups first, then single rules: `{rollout: off, LL012: warning}` runs LL012 alone.
    let mut settings: Vec<(bool, Vec<String>, Level)> = Vec::new();
    for (name, value) in f.rules.iter().flatten() {
        let codes = resolve_rules(known, name)
            .ok_or_else(|| unknown_rule(NodePath::keys(&["rules"]).key(name.clone()), name))?;
        let level = match value {
            RuleValue::Level(l) => *l,
            RuleValue::Table(t) => t.severity,
        };
        settings.push((resolve_rule(known, name).is_some(), codes, level));
    }
    settings.sort_by_key(|(single, _, _)| *single);
    for (_, codes, level) in settings {
        for code in codes {
            config.rules.insert(code, severity(level));
        }
    }
    if let Some(fixes) = &f.fixes {
        use crate::diag::Applicability;
        for (key, list, class) in
            [("safe", &fixes.safe, Applicability::Safe), ("unsafe", &fixes.unsafe_, Applicability::Unsafe)]
        {
            for (i, name) in list.iter().flatten().enumerate() {
                let at = NodePath::keys(&["fixes", key]).index(i);
                let codes = resolve_rules(known, name).ok_or_else(|| {
                    parsed
                        .value_error(&at, format!("unknown rule `{name}`"))
                        .help("rules are named by code (LL001), name or group; `leaselint rules` lists them")
                })?;
                for code in codes {
                    if config.fix_classes.get(&code).is_some_and(|c| *c != class) {
                        return Err(parsed.value_error(&at, format!("`{name}` is listed as both safe and unsafe")));
                    }
                    config.fix_classes.insert(code, class);
                }
            }
        }
    }
    if let Some(p) = &f.policy {
        let at = |key: &'static str| NodePath::keys(&["policy", key]);
        if let Some(ns) = &p.namespace_lease {
            if !ns.contains("{namespace}") {
                return Err(parsed.value_error(&at("namespaceLease"), "`namespaceLease` must contain `{namespace}`"));
            }
            config.policy.namespace_lease = ns.clone();
        }
        if let Some(d) = &p.deployment_lease {
            if !d.contains("{name}") {
                return Err(parsed.value_error(&at("deploymentLease"), "`deploymentLease` must contain `{name}`"));
            }
            config.policy.deployment_lease = d.clone();
        }
        if let Some(r) = &p.renewal_interval {
            let seconds = duration::parse_seconds(r).filter(|s| *s > 0.0).ok_or_else(|| {
                parsed.value_error(&at("renewalInterval"), format!("`{r}` is not a duration such as `10s` or `1m`"))
            })?;
            config.policy.renewal_interval = seconds;
        }
        if let Some(t) = p.high_churn_threshold_per_hour {
            config.policy.high_churn_threshold_per_hour = f64::from(t);
        }
        if let Some(n) = p.ndots {
            config.policy.ndots = n;
        }
        if let Some(r) = p.require_lease_consolidation_values {
            config.policy.require_lease_consolidation_values = r;
        }
    }
    if let Some(c) = &f.lease_carriers {
        let defaults = CarrierNames::default();
        config.carriers = CarrierNames {
            name_args: c.name_args.clone().unwrap_or(defaults.name_args),
            namespace_args: c.namespace_args.clone().unwrap_or(defaults.namespace_args),
            name_env: c.name_env.clone().unwrap_or(defaults.name_env),
            namespace_env: c.namespace_env.clone().unwrap_or(defaults.namespace_env),
        };
    }
    if let Some(l) = &f.latency_sensitive {
        if let Some(infer) = l.infer_from_services {
            config.latency.infer_from_services = infer;
        }
        for (i, s) in l.selectors.iter().flatten().enumerate() {
            let selector = PodSelector::from_selector(s.clone()).ok_or_else(|| {
                parsed.value_error(
                    &NodePath::keys(&["latencySensitive", "selectors"]).index(i),
                    "invalid label selector (operators are In, NotIn, Exists, DoesNotExist; In and NotIn need values)",
                )
            })?;
            config.latency.selectors.push(selector);
        }
    }
    if let Some(t) = &f.thresholds {
        if let Some(n) = t.fanout_replicas {
            config.thresholds.fanout_replicas = i64::from(n);
        }
        if let Some(n) = t.nodes {
            config.thresholds.nodes = i64::from(n);
        }
        if let Some(n) = t.pdb_min_replicas {
            config.thresholds.pdb_min_replicas = i64::from(n);
        }
        if let Some(n) = t.min_ready_seconds {
            config.thresholds.min_ready_seconds = i64::from(n);
        }
        if let Some(n) = t.scale_down_stabilization_seconds {
            config.thresholds.scale_down_stabilization_seconds = i64::from(n);
        }
        if let Some(n) = t.etcd_heartbeat_ms {
            config.thresholds.etcd_heartbeat_ms = i64::from(n);
        }
    }
    for (i, k) in f.pod_template_kinds.iter().flatten().enumerate() {
        let template = NodePath::parse_dotted(&k.path).ok_or_else(|| {
            parsed.value_error(
                &NodePath::keys(&["podTemplateKinds"]).index(i).key("path"),
                format!("`{}` is not a path such as `spec.template`", k.path),
            )
        })?;
        config.pod_template_kinds.push(CustomKind {
            api_version: k.api_version.clone(),
            kind: k.kind.clone(),
            template,
        });
    }
    for (i, e) in f.ignore.iter().flatten().enumerate() {
        let at = NodePath::keys(&["ignore"]).index(i);
        let glob = |field: &'static str, value: &Option<String>| -> Result<Option<globset::GlobMatcher>, FileError> {
            value
                .as_deref()
                .map(|g| {
                    globset::Glob::new(g)
                        .map(|g| g.compile_matcher())
                        .map_err(|err| parsed.value_error(&at.key(field), format!("invalid glob `{g}`: {err}")))
                })
                .transpose()
        };
        let mut rules = Vec::new();
        for (j, r) in e.rules.iter().flatten().enumerate() {
            rules.extend(resolve_rules(known, r).ok_or_else(|| unknown_rule(at.key("rules").index(j), r))?);
        }
        let cwd = std::env::current_dir().unwrap_or_default();
        let root = crate::source::lexical_normal(&cwd.join(parsed.path.parent().unwrap_or(Path::new("."))));
        config.ignore.push(IgnoreEntry {
            kind: glob("kind", &e.kind)?,
            namespace: glob("namespace", &e.namespace)?,
            name: glob("name", &e.name)?,
            file: glob("file", &e.file)?,
            rules,
            places: Some(super::FilePlaces { root, cwd }),
        });
    }
    Ok(())
}
