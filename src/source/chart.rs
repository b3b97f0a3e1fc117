//! The Helm chart a values file belongs to, read for LL003: the words its templates use (and
//! those of the unpacked subcharts under its `charts/`), so that the lint layer can decide
//! whether the chart uses leases. This module only reads and tokenises; it decides nothing.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// What the templates of a chart (and of its unpacked subcharts) say, as far as LL003 asks.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Chart {
    /// The chart directory, canonical when it can be made so: the values files of one chart
    /// share it, however they were named.
    pub(crate) dir: PathBuf,
    /// Every word of the templates: runs of ASCII letters, digits, `_` and `-` (`--lease-name`,
    /// `MY_LEASE_NAME`, `leaseConsolidation` of `.Values.global.leaseConsolidation.enabled`).
    pub(crate) words: BTreeSet<String>,
    /// A template holds a `kind: Lease` line.
    pub(crate) kind_lease: bool,
}

/// Templates larger than this are not read (a generated blob, not a template a human wrote).
const MAX_TEMPLATE_BYTES: u64 = 8 << 20;

/// How deep subcharts are followed (`charts/a/charts/b/…`): a guard against link loops.
const MAX_SUBCHART_DEPTH: usize = 8;

/// The chart of a values file: its directory holds `Chart.yaml`. `None` for a values file
/// outside any chart (a `--values` file for a pipe).
pub(crate) fn of_values_file(path: &Path) -> Option<Chart> {
    let parent = path.parent()?;
    let dir = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
    if !dir.join("Chart.yaml").is_file() {
        return None;
    }
    let mut chart = Chart { dir: dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()), ..Chart::default() };
    read_chart(dir, 0, &mut chart);
    Some(chart)
}

/// Reads the templates of the chart in `dir`, then those of each unpacked subchart in its
/// `charts/` (packed `.tgz` subcharts are not opened).
fn read_chart(dir: &Path, depth: usize, chart: &mut Chart) {
    let templates = dir.join("templates");
    if templates.is_dir() {
        for entry in walkdir::WalkDir::new(&templates).follow_links(true).sort_by_file_name().into_iter().flatten() {
            if entry.file_type().is_file()
                && let Some(text) = read_template(entry.path())
            {
                add_words(&text, chart);
            }
        }
    }
    if depth >= MAX_SUBCHART_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir.join("charts")) else { return };
    let mut subcharts: Vec<PathBuf> =
        entries.flatten().map(|e| e.path()).filter(|p| p.is_dir() && p.join("Chart.yaml").is_file()).collect();
    subcharts.sort();
    for sub in subcharts {
        read_chart(&sub, depth + 1, chart);
    }
}

/// A template's text, or `None` when it is too large, binary or unreadable.
fn read_template(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_TEMPLATE_BYTES + 1).read_to_end(&mut bytes).ok()?;
    if bytes.len() as u64 > MAX_TEMPLATE_BYTES || super::binary_at(&bytes).is_some() {
        return None;
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Adds the words of a template and notes a `kind: Lease` line.
pub(crate) fn add_words(text: &str, chart: &mut Chart) {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    for word in text.split(|c: char| !is_word(c)) {
        if word.chars().any(|c| c.is_ascii_alphanumeric()) && !chart.words.contains(word) {
            chart.words.insert(word.to_string());
        }
    }
    chart.kind_lease |= text.lines().any(is_kind_lease);
}

/// `kind: Lease` (quoted or not, with a trailing comment or not; also as a list item).
fn is_kind_lease(line: &str) -> bool {
    let line = line.trim_start().trim_start_matches("- ").trim_start();
    let Some(rest) = line.strip_prefix("kind:") else { return false };
    let value = rest.split(" #").next().unwrap_or_default().trim();
    value.trim_matches(|c| c == '"' || c == '\'') == "Lease"
}

#[cfg(test)]
mod tests {
    use super::{Chart, add_words};

    fn words(text: &str) -> Chart {
        let mut chart = Chart::default();
        add_words(text, &mut chart);
        chart
    }

    #[test]
    fn flags_env_names_and_values_paths_are_words() {
        let c = words(
            "args: [\"--leader-elect-resource-name={{ .Values.global.leaseConsolidation.name }}\"]\n- name: MY_LEASE_NAME\n",
        );
        for w in ["--leader-elect-resource-name", "leaseConsolidation", "MY_LEASE_NAME", "Values"] {
            assert!(c.words.contains(w), "{w}");
        }
        assert!(!c.words.contains("--"));
    }

    #[test]
    fn kind_lease_lines() {
        for (text, lease) in [
            ("kind: Lease\n", true),
            ("  kind: \"Lease\" # the lock\n", true),
            ("- kind: Lease\n", true),
            ("kind: LeaseSet\n", false),
            ("kind: Deployment\n# kind: Lease is not used\n", false),
        ] {
            assert_eq!(words(text).kind_lease, lease, "{text}");
        }
    }
}
