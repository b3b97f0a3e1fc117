//! Rule metadata from `rules/<CODE>-<name>.yaml`, embedded in the binary.

use serde::Deserialize;

use crate::diag::Severity;

/// What kind of fix a rule offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum FixKind {
    None,
    Safe,
    Unsafe,
    Mixed,
}

/// A failing and a passing example.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Examples {
    pub(crate) fail: String,
    pub(crate) pass: String,
}

/// The documentation and defaults of one rule.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleMeta {
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) severity: Severity,
    pub(crate) fix: FixKind,
    /// The rule group (SPEC §4: `lease`, `latency`, `disruption`, `control-plane`, `yaml`,
    /// `rollout`), which `--select`, `--ignore` and the config's `rules` accept; required for
    /// built-in rules, optional for user rules.
    #[serde(default)]
    pub(crate) group: Option<String>,
    pub(crate) summary: String,
    pub(crate) rationale: String,
    pub(crate) remediation: String,
    /// Required for built-in rules (tests/meta.rs runs them); optional for user rules.
    pub(crate) examples: Option<Examples>,
    /// Earlier names, still accepted by config and suppressions.
    #[serde(default)]
    pub(crate) aliases: Vec<String>,
    /// Where the rule's documentation lives (built-in rules: `docs/rules.md`).
    #[serde(skip)]
    pub(crate) help_uri: Option<String>,
    /// The file a user rule came from (`None` for built-in rules).
    #[serde(skip)]
    pub(crate) origin: Option<String>,
}

/// The repository's URL (from Cargo.toml), where the rule documentation is published.
pub(crate) const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// The embedded rule files, as (file name, contents).
pub(crate) const RULE_FILES: &[(&str, &str)] = &[
    ("LL001-per-pod-lease.yaml", include_str!("../../rules/LL001-per-pod-lease.yaml")),
    ("LL002-hardcoded-lease-selector.yaml", include_str!("../../rules/LL002-hardcoded-lease-selector.yaml")),
    ("LL003-lease-consolidation-values.yaml", include_str!("../../rules/LL003-lease-consolidation-values.yaml")),
    (
        "LL004-cpu-limit-on-latency-sensitive.yaml",
        include_str!("../../rules/LL004-cpu-limit-on-latency-sensitive.yaml"),
    ),
    ("LL005-missing-memory-limit.yaml", include_str!("../../rules/LL005-missing-memory-limit.yaml")),
    ("LL006-ndots-default.yaml", include_str!("../../rules/LL006-ndots-default.yaml")),
    ("LL007-missing-pdb.yaml", include_str!("../../rules/LL007-missing-pdb.yaml")),
    ("LL008-pdb-blocks-eviction.yaml", include_str!("../../rules/LL008-pdb-blocks-eviction.yaml")),
    ("LL009-api-fanout.yaml", include_str!("../../rules/LL009-api-fanout.yaml")),
    ("LL010-duplicate-key.yaml", include_str!("../../rules/LL010-duplicate-key.yaml")),
    ("LL011-unused-suppression.yaml", include_str!("../../rules/LL011-unused-suppression.yaml")),
    ("LL012-rollout-drops-capacity.yaml", include_str!("../../rules/LL012-rollout-drops-capacity.yaml")),
    ("LL013-missing-min-ready-seconds.yaml", include_str!("../../rules/LL013-missing-min-ready-seconds.yaml")),
    ("LL014-prestop-exceeds-grace-period.yaml", include_str!("../../rules/LL014-prestop-exceeds-grace-period.yaml")),
    ("LL015-missing-topology-spread.yaml", include_str!("../../rules/LL015-missing-topology-spread.yaml")),
    ("LL016-hpa-scale-down-flapping.yaml", include_str!("../../rules/LL016-hpa-scale-down-flapping.yaml")),
    ("LL017-readiness-cascade.yaml", include_str!("../../rules/LL017-readiness-cascade.yaml")),
    ("LL018-etcd-heartbeat-overtuned.yaml", include_str!("../../rules/LL018-etcd-heartbeat-overtuned.yaml")),
    ("LL019-etcd-without-compaction.yaml", include_str!("../../rules/LL019-etcd-without-compaction.yaml")),
    ("LL020-unguarded-etcd-defrag.yaml", include_str!("../../rules/LL020-unguarded-etcd-defrag.yaml")),
    ("LL021-etcd-liveness-too-strict.yaml", include_str!("../../rules/LL021-etcd-liveness-too-strict.yaml")),
];

/// The metadata of every built-in rule, from the embedded files.
pub(crate) fn embedded() -> Result<Vec<RuleMeta>, String> {
    RULE_FILES.iter().map(|(file, text)| parse(file, text)).collect()
}

/// Parses one embedded rule file.
pub(crate) fn parse(file: &str, contents: &str) -> Result<RuleMeta, String> {
    let mut meta: RuleMeta =
        yaml_serde::from_str(contents).map_err(|e| format!("internal error: rules/{file}: {e}"))?;
    meta.help_uri = Some(help_uri(&meta.code, &meta.name));
    Ok(meta)
}

/// The URL of a built-in rule's section in `docs/rules.md` (GitHub's heading anchors: lower
/// case, spaces to dashes).
pub(crate) fn help_uri(code: &str, name: &str) -> String {
    format!("{REPOSITORY}/blob/main/docs/rules.md#{}-{name}", code.to_ascii_lowercase())
}
