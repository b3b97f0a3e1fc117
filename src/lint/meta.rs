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
    pub(crate) summary: String,
    pub(crate) rationale: String,
    pub(crate) remediation: String,
    pub(crate) examples: Examples,
    /// Earlier names, still accepted by config and suppressions.
    #[serde(default)]
    pub(crate) aliases: Vec<String>,
}

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
];

/// Parses one embedded rule file.
pub(crate) fn parse(file: &str, contents: &str) -> Result<RuleMeta, String> {
    yaml_serde::from_str(contents).map_err(|e| format!("internal error: rules/{file}: {e}"))
}
