//! Helm values files (LL003): each file is parsed, the files are grouped by chart, the lint
//! layer decides for each group whether its chart uses leases (from the template words
//! `source` read), and the values rules run on each document with the files it is merged over.

use std::path::Path;

use crate::k8s::carriers::glob;
use crate::k8s::{CarrierNames, Inventory};
use crate::source::chart::Chart;
use crate::source::{FileId, FileRole, SourceFile, split_documents};
use crate::yaml::suppress::{IgnoreComment, ignore_comments};
use crate::yaml::{Doc, NodeRef};

use super::runner::{LintOutput, RunEnv, parse};
use super::{Ctx, ValuesDoc, ValuesLayer};

/// What the values files produced.
#[derive(Default)]
pub(super) struct ValuesOutput {
    pub(super) out: LintOutput,
    /// Each file's suppression comments.
    pub(super) comments: Vec<(FileId, Vec<IgnoreComment>)>,
}

/// A values file, parsed.
struct Parsed<'a> {
    id: FileId,
    file: &'a SourceFile,
    docs: Vec<Doc<'a>>,
    /// It parsed without error.
    clean: bool,
}

impl Parsed<'_> {
    /// The first document with content, as a layer under an overlay (Helm reads one document).
    fn layer(&self) -> Option<ValuesLayer<'_>> {
        let root = self.docs.iter().filter(|d| d.has_content()).find_map(|d| d.root())?;
        Some(ValuesLayer { root, name: &self.file.name })
    }

    /// `values.yaml` or `values.yml`: the chart's defaults, under its other values files.
    fn is_chart_defaults(&self) -> bool {
        let name = self.file.path.as_deref().and_then(Path::file_name).and_then(|n| n.to_str());
        matches!(name, Some("values.yaml" | "values.yml"))
    }
}

/// Lints every Helm values file of the run. `inventory`: the facts of the run's manifests (a
/// values file outside any chart belongs to the linted stream).
pub(super) fn lint_values_files(run: &RunEnv<'_>, inventory: &Inventory<'_>) -> ValuesOutput {
    let mut result = ValuesOutput::default();
    let mut parsed: Vec<Parsed<'_>> = Vec::new();
    for (id, file) in run.edits.files.iter().enumerate().filter(|(_, f)| f.role == FileRole::HelmValues) {
        let errors_before = result.out.errors.len();
        let mut docs = Vec::new();
        let mut comments = Vec::new();
        for chunk in split_documents(&file.text) {
            for doc in parse(file, id, chunk, run.config.limits, &mut result.out.errors) {
                comments.extend(ignore_comments(&doc, &file.text));
                if doc.has_content() && doc.root().is_some() {
                    result.out.documents += 1;
                }
                docs.push(doc);
            }
        }
        if !comments.is_empty() {
            result.comments.push((id, comments));
        }
        let clean = result.out.errors.len() == errors_before;
        parsed.push(Parsed { id, file, docs, clean });
    }
    // The values files of one chart form a group; those outside any chart (`--values` for a
    // pipe) form one group, in the order given.
    let mut groups: Vec<(Option<&Chart>, Vec<&Parsed<'_>>)> = Vec::new();
    for p in &parsed {
        let chart = p.file.chart.as_deref();
        let key = chart.map(|c| c.dir.as_path());
        match groups.iter_mut().find(|(c, _)| c.map(|c| c.dir.as_path()) == key) {
            Some((_, members)) => members.push(p),
            None => groups.push((chart, vec![p])),
        }
    }
    // The linted manifests name a lease. They stand for the chart when they were piped in or
    // rendered (a stream with no file: `helm template . | leaselint --values …`).
    let stream_leases = !inventory.leases.is_empty() || inventory.workloads.iter().any(|w| !w.carriers.is_empty());
    let piped = run.edits.files.iter().any(|f| f.role == FileRole::Manifests && f.path.is_none());
    let charts: Vec<&(Option<&Chart>, Vec<&Parsed<'_>>)> = groups.iter().filter(|(c, _)| c.is_some()).collect();
    // With one chart in the run, `--values` files outside it are overlays of its `values.yaml`
    // (`render CHART --values prod.yaml`, or a pipe that names both).
    let only_chart = match charts.as_slice() {
        [one] => Some(*one),
        _ => None,
    };
    let judged = |chart: Option<&Chart>, members: &[&Parsed<'_>]| {
        run.config.policy.require_lease_consolidation_values
            || members.iter().any(|p| p.docs.iter().filter_map(|d| d.root()).any(has_lease_key))
            || match chart {
                Some(c) => mentions_leases(c, &run.config.carriers) || (piped && stream_leases),
                None => stream_leases,
            }
    };
    for (chart, members) in &groups {
        if chart.is_some() {
            if !judged(*chart, members) {
                continue;
            }
            // Each other values file of a chart is an overlay of its `values.yaml`.
            let defaults: Vec<ValuesLayer<'_>> = defaults_of(members).into_iter().collect();
            for p in members {
                let below = if p.is_chart_defaults() { &[][..] } else { &defaults[..] };
                check_file(run, p, below, &mut result.out);
            }
        } else {
            let with_chart = only_chart.is_some_and(|(c, m)| judged(*c, m));
            if !with_chart && !judged(None, members) {
                continue;
            }
            // Each `--values` file is an overlay of all the files given before it (and of the
            // one chart's `values.yaml`).
            let mut below: Vec<ValuesLayer<'_>> = only_chart.and_then(|(_, m)| defaults_of(m)).into_iter().collect();
            for p in members {
                check_file(run, p, &below, &mut result.out);
                below.extend(p.layer());
            }
        }
    }
    result
}

/// The chart's `values.yaml` among `members`, as the layer under its overlays.
fn defaults_of<'p>(members: &[&'p Parsed<'_>]) -> Option<ValuesLayer<'p>> {
    members.iter().find(|p| p.is_chart_defaults()).and_then(|p| p.layer())
}

/// Runs the values rules on each document of a file (a file with no content at all still lacks
/// every setting).
fn check_file(run: &RunEnv<'_>, p: &Parsed<'_>, below: &[ValuesLayer<'_>], result: &mut LintOutput) {
    let mut seen_content = false;
    for doc in &p.docs {
        let Some(root) = doc.root().filter(|_| doc.has_content()) else { continue };
        seen_content = true;
        let values = ValuesDoc { root: Some(root), doc: Some(doc), file: p.id, text: &p.file.text, below };
        check_values(&values, run, result);
    }
    if !seen_content && p.clean {
        let values = ValuesDoc { root: None, doc: None, file: p.id, text: &p.file.text, below };
        check_values(&values, run, result);
    }
}

fn check_values(values: &ValuesDoc<'_>, run: &RunEnv<'_>, result: &mut LintOutput) {
    for r in run.registry.enabled() {
        let mut cx = Ctx::new(r, run.config, &mut result.diagnostics, Some(&run.edits));
        r.rule.check_values(values, &mut cx);
    }
}

/// How deep a values tree is searched for `leaseConsolidation`.
const MAX_SEARCH_DEPTH: usize = 32;

/// A `leaseConsolidation` key anywhere in a values tree.
fn has_lease_key(root: NodeRef<'_, '_>) -> bool {
    let mut stack = vec![(root, 0)];
    while let Some((node, depth)) = stack.pop() {
        if depth > MAX_SEARCH_DEPTH {
            continue;
        }
        for (k, v) in node.entries() {
            if k.scalar() == Some("leaseConsolidation") {
                return true;
            }
            stack.push((v, depth + 1));
        }
        stack.extend(node.items().map(|i| (i, depth + 1)));
    }
    false
}

/// The chart's templates mention `leaseConsolidation`, a lease carrier flag or env var name
/// (the configured lists; `*` in env names matches any text), or hold `kind: Lease`.
pub(crate) fn mentions_leases(chart: &Chart, names: &CarrierNames) -> bool {
    if chart.kind_lease || chart.words.contains("leaseConsolidation") {
        return true;
    }
    let flag = names.name_args.iter().chain(&names.namespace_args).any(|f| {
        let bare = f.trim_start_matches('-');
        !bare.is_empty() && (chart.words.contains(&format!("--{bare}")) || chart.words.contains(&format!("-{bare}")))
    });
    flag || chart.words.iter().any(|w| names.name_env.iter().chain(&names.namespace_env).any(|p| glob(p, w)))
}

#[cfg(test)]
mod tests {
    use super::mentions_leases;
    use crate::k8s::CarrierNames;
    use crate::source::chart::{Chart, add_words};

    fn chart(text: &str) -> Chart {
        let mut c = Chart::default();
        add_words(text, &mut c);
        c
    }

    #[test]
    fn what_counts_as_lease_use() {
        let names = CarrierNames::default();
        for (text, uses) in [
            ("args: [--leader-elect-resource-name=x]", true),
            ("- -election-id\n", true),
            ("- name: CONTROLLER_LEASE_NAME\n", true),
            ("enabled: {{ .Values.global.leaseConsolidation.enabled }}", true),
            ("kind: Lease\n", true),
            ("args: [--leader-elect=true]\n- name: LEASE_NAMESPACE_X\n", false),
            ("replicas: {{ .Values.replicaCount }}\nkind: Deployment\n", false),
        ] {
            assert_eq!(mentions_leases(&chart(text), &names), uses, "{text}");
        }
    }
}
