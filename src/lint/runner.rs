//! The lint run: split every file into document chunks, parse them in parallel, run per-object
//! rules and extract inventory facts while each tree is alive, then run cross-object rules on
//! the inventory. Trees are dropped as soon as their chunk is done, so memory stays near the
//! size of the input.

use std::ops::Range;

use rayon::prelude::*;

use crate::config::LintConfig;
use crate::diag::{Applicability, Diagnostic, ObjId};
use crate::k8s::{self, Facts, Inventory};
use crate::source::{FileId, FileRole, SourceFile, split_documents};
use crate::yaml::edit::Conventions;
use crate::yaml::{self, Limits};

use super::suppress::{self, Suppressions};
use super::{Ctx, Edits, Registry, ValuesDoc};
use crate::yaml::suppress::{IgnoreComment, ignore_comments};

/// Input that could not be read or parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InputError {
    /// The file as named in reports.
    pub(crate) file: String,
    /// The file's index when it was loaded (for source snippets).
    pub(crate) file_id: Option<FileId>,
    /// Byte offset of the problem in the file.
    pub(crate) offset: usize,
    pub(crate) message: String,
}

/// A problem found in a part of a file that the previous fix pass changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// The changed part does not parse.
    Parse { file: FileId, offset: usize, message: String },
    /// An object of the changed part does not type-check.
    Type { file: FileId, chunk: Range<usize>, key: ObjectKey, error: String },
}

/// apiVersion, kind, namespace, name.
pub(crate) type ObjectKey = (String, String, Option<String>, String);

/// Byte ranges (of the current text) that the previous fix pass changed, by file.
pub(crate) type Changed = std::collections::HashMap<FileId, Vec<Range<usize>>>;

/// What a lint run produced (before sorting and rendering).
#[derive(Debug, Default)]
pub(crate) struct LintOutput {
    /// Problems in the parts a previous fix pass changed (`lint_for_fix` with changes only).
    pub(crate) checks: Vec<Check>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) errors: Vec<InputError>,
    /// YAML documents with content.
    pub(crate) documents: usize,
    /// Kubernetes objects (`List` items counted one by one).
    pub(crate) objects: usize,
}

#[derive(Default)]
struct ChunkOutput<'a> {
    checks: Vec<Check>,
    diagnostics: Vec<Diagnostic>,
    facts: Vec<Facts>,
    errors: Vec<InputError>,
    documents: usize,
    objects: usize,
    /// The chunk's trees, kept when fixing.
    trees: Option<(FileId, Vec<yaml::Doc<'a>>)>,
    /// Objects with an ignore annotation, and the chunk's suppression comments.
    ignores: Vec<(ObjId, Vec<String>)>,
    comments: Vec<IgnoreComment>,
}

/// The parsed documents of every chunk of a run (kept only when fixing).
pub(crate) struct Trees<'a> {
    files: &'a [SourceFile],
    chunks: Vec<(FileId, Vec<yaml::Doc<'a>>)>,
    custom: &'a [k8s::CustomKind],
}

impl<'a> Trees<'a> {
    /// The object with this id, parsed again from the kept tree.
    pub(crate) fn object(&self, id: ObjId) -> Option<k8s::Object<'_>> {
        let (file, docs) = self.chunks.get(id.chunk as usize)?;
        let doc = docs.get(id.doc as usize)?;
        let text = &self.files.get(*file)?.text;
        k8s::objects_in(doc, text, *file, self.custom, ObjId { item: 0, ..id }).into_iter().nth(id.item as usize)
    }

    /// The document holding the object with this id, and how many documents its chunk holds.
    pub(crate) fn document(&self, id: ObjId) -> Option<(&yaml::Doc<'a>, usize)> {
        let (_, docs) = self.chunks.get(id.chunk as usize)?;
        Some((docs.get(id.doc as usize)?, docs.len()))
    }
}

/// Chunks of every manifest file, in file order.
fn manifest_chunks(files: &[SourceFile]) -> Vec<(FileId, Range<usize>)> {
    files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.role == FileRole::Manifests)
        .flat_map(|(id, f)| split_documents(&f.text).into_iter().map(move |c| (id, c)))
        .collect()
}

/// Parses a chunk, reporting invalid UTF-8 and parse errors as input errors.
fn parse<'a>(
    file: &'a SourceFile,
    id: FileId,
    chunk: Range<usize>,
    limits: Limits,
    errors: &mut Vec<InputError>,
) -> Vec<yaml::Doc<'a>> {
    if let Some(bad) = file.has_invalid_utf8_in(&chunk) {
        errors.push(InputError {
            file: file.name.clone(),
            file_id: Some(id),
            offset: bad,
            message: "invalid UTF-8: this document holds bytes that are not UTF-8 text; it is not linted".to_string(),
        });
        return Vec::new();
    }
    let (docs, parse_errors) = yaml::parse_chunk(&file.text, chunk, limits);
    errors.extend(parse_errors.into_iter().map(|e| InputError {
        file: file.name.clone(),
        file_id: Some(id),
        offset: e.offset,
        message: format!("YAML parse error: {}; this document is not linted", e.message),
    }));
    docs
}

/// Lints every file (no fix edits are built).
pub(crate) fn lint(files: &[SourceFile], registry: &Registry, config: &LintConfig) -> LintOutput {
    run(files, registry, config, None, None)
}

/// Lints every file and builds the edits of every fix: the parsed trees are kept for the whole
/// run so that cross-object rules can edit the objects they report.
/// `changed` names the parts a previous pass edited: they are checked (parse errors, and
/// k8s-openapi types of their objects) into `LintOutput::checks`.
pub(crate) fn lint_for_fix(
    files: &[SourceFile],
    registry: &Registry,
    config: &LintConfig,
    wanted: Applicability,
    changed: &Changed,
) -> LintOutput {
    run(files, registry, config, Some(wanted), Some(changed))
}

/// Lints every file without building fix edits, checking the parts a previous fix pass changed
/// (parse errors, k8s-openapi types) into `LintOutput::checks`: the cheap lint that verifies a
/// pass and tells whether anything is left to fix.
pub(crate) fn lint_checking(
    files: &[SourceFile],
    registry: &Registry,
    config: &LintConfig,
    changed: &Changed,
) -> LintOutput {
    run(files, registry, config, None, Some(changed))
}

/// Whether `chunk` overlaps or touches one of `ranges` (sorted, disjoint).
fn touches(ranges: &[Range<usize>], chunk: &Range<usize>) -> bool {
    let i = ranges.partition_point(|r| r.end < chunk.start);
    ranges.get(i).is_some_and(|r| r.start <= chunk.end)
}

/// Type-checks the objects of a changed chunk; records failures.
fn check_chunk(file: FileId, chunk: &Range<usize>, docs: &[yaml::Doc<'_>], text: &str, out: &mut Vec<Check>) {
    for doc in docs {
        for obj in k8s::objects_in(doc, text, file, &[], ObjId::default()) {
            if obj.kind == k8s::Kind::List {
                continue;
            }
            let r = &obj.info.object;
            let result = k8s::typed::check_node(&r.api_version, &r.kind, obj.root);
            if let Err(error) = result {
                let key = (r.api_version.clone(), r.kind.clone(), r.namespace.clone(), r.name.clone());
                out.push(Check::Type { file, chunk: chunk.clone(), key, error });
            }
        }
    }
}

/// `fixing`: build the edits of fixes at or above this applicability (and keep the trees).
fn run(
    files: &[SourceFile],
    registry: &Registry,
    config: &LintConfig,
    fixing: Option<Applicability>,
    changed: Option<&Changed>,
) -> LintOutput {
    let with_edits = fixing.is_some();
    let wanted = fixing.unwrap_or(Applicability::Safe);
    let limits = config.limits;
    let chunks = manifest_chunks(files);
    let per_object: Vec<_> = registry.enabled().collect();
    let conventions: Vec<Conventions> =
        if with_edits { files.iter().map(|f| Conventions::of(&f.text)).collect() } else { Vec::new() };
    let outputs: Vec<ChunkOutput<'_>> = chunks
        .par_iter()
        .enumerate()
        .with_min_len(4)
        .map(|(index, (id, chunk))| {
            let mut out = ChunkOutput::default();
            let Some(file) = files.get(*id) else { return out };
            let errors_before = out.errors.len();
            let docs = parse(file, *id, chunk.clone(), limits, &mut out.errors);
            if changed.and_then(|c| c.get(id)).is_some_and(|r| touches(r, chunk)) {
                if let Some(e) = out.errors.get(errors_before) {
                    out.checks.push(Check::Parse { file: *id, offset: e.offset, message: e.message.clone() });
                } else if file.role == FileRole::Manifests {
                    check_chunk(*id, chunk, &docs, &file.text, &mut out.checks);
                }
            }
            let edits = with_edits.then(|| Edits::new(files, None, &conventions, wanted));
            for (d, doc) in docs.iter().enumerate() {
                if doc.has_content() {
                    out.documents += 1;
                }
                out.comments.extend(ignore_comments(doc, &file.text));
                let at = ObjId {
                    chunk: u32::try_from(index).unwrap_or(u32::MAX),
                    doc: u32::try_from(d).unwrap_or(u32::MAX),
                    item: 0,
                };
                for obj in k8s::objects_in(doc, &file.text, *id, &config.pod_template_kinds, at) {
                    if obj.kind != k8s::Kind::List {
                        out.objects += 1;
                    }
                    for r in &per_object {
                        let mut cx = Ctx::new(r, config, &mut out.diagnostics, edits.as_ref());
                        r.rule.check_object(&obj, &mut cx);
                    }
                    if let Some(tokens) = suppress::annotation_ignores(&obj) {
                        out.ignores.push((obj.info.id, tokens));
                    }
                    if let Some(f) = k8s::extract_facts(&obj, &config.carriers) {
                        out.facts.push(f);
                    }
                }
            }
            if with_edits {
                out.trees = Some((*id, docs));
            }
            out
        })
        .collect();

    let mut result = LintOutput::default();
    let mut inventory = Inventory::default();
    let mut trees = Trees { files, chunks: Vec::with_capacity(outputs.len()), custom: &config.pod_template_kinds };
    let mut suppressions = Suppressions::default();
    for (out, (file, _)) in outputs.into_iter().zip(&chunks) {
        suppressions.annotations.extend(out.ignores);
        if !out.comments.is_empty() {
            suppressions.comments.entry(*file).or_default().extend(out.comments);
        }
        result.checks.extend(out.checks);
        result.diagnostics.extend(out.diagnostics);
        result.errors.extend(out.errors);
        result.documents += out.documents;
        result.objects += out.objects;
        for f in out.facts {
            inventory.add(f);
        }
        if with_edits {
            trees.chunks.push(out.trees.unwrap_or_default());
        }
    }
    inventory.finish();
    let edits = with_edits.then(|| Edits::new(files, Some(&trees), &conventions, wanted));
    for (id, file) in files.iter().enumerate().filter(|(_, f)| f.role == FileRole::HelmValues) {
        let comments = lint_values(file, id, registry, config, limits, edits.as_ref(), &mut result);
        if !comments.is_empty() {
            suppressions.comments.entry(id).or_default().extend(comments);
        }
    }
    let enabled: Vec<_> = registry.enabled().collect();
    let cross: Vec<Vec<Diagnostic>> = enabled
        .par_iter()
        .map(|r| {
            let mut found = Vec::new();
            let mut cx = Ctx::new(r, config, &mut found, edits.as_ref());
            r.rule.check_inventory(&inventory, &mut cx);
            found
        })
        .collect();
    result.diagnostics.extend(cross.into_iter().flatten());
    suppress::apply(&mut result.diagnostics, files, registry, config, &suppressions, with_edits);
    result.diagnostics.par_sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    result.errors.sort_by_key(|e| (e.file_id, e.offset));
    result
}

fn lint_values(
    file: &SourceFile,
    id: FileId,
    registry: &Registry,
    config: &LintConfig,
    limits: Limits,
    edits: Option<&Edits<'_>>,
    result: &mut LintOutput,
) -> Vec<IgnoreComment> {
    let errors_before = result.errors.len();
    let mut seen_content = false;
    let mut comments = Vec::new();
    for chunk in split_documents(&file.text) {
        let docs = parse(file, id, chunk, limits, &mut result.errors);
        for doc in &docs {
            comments.extend(ignore_comments(doc, &file.text));
            let Some(root) = doc.root().filter(|_| doc.has_content()) else { continue };
            seen_content = true;
            result.documents += 1;
            let values = ValuesDoc { root: Some(root), doc: Some(doc), file: id, text: &file.text };
            check_values(&values, registry, config, edits, result);
        }
    }
    if !seen_content && result.errors.len() == errors_before {
        // A values file with no content at all still lacks every setting.
        let values = ValuesDoc { root: None, doc: None, file: id, text: &file.text };
        check_values(&values, registry, config, edits, result);
    }
    comments
}

fn check_values(
    values: &ValuesDoc<'_>,
    registry: &Registry,
    config: &LintConfig,
    edits: Option<&Edits<'_>>,
    result: &mut LintOutput,
) {
    for r in registry.enabled() {
        let mut cx = Ctx::new(r, config, &mut result.diagnostics, edits);
        r.rule.check_values(values, &mut cx);
    }
}

/// The parse-only pass of the benchmark: the same splitting and parallel parsing as `lint`,
/// without rules. Returns (documents, nodes, errors).
pub(crate) fn parse_only(files: &[SourceFile], limits: Limits) -> (usize, usize, usize) {
    let chunks = manifest_chunks(files);
    chunks
        .par_iter()
        .with_min_len(4)
        .map(|(id, chunk)| {
            let Some(file) = files.get(*id) else { return (0, 0, 0) };
            let mut errors = Vec::new();
            let docs = parse(file, *id, chunk.clone(), limits, &mut errors);
            let nodes = docs.iter().map(|d| d.nodes.len()).sum::<usize>();
            (docs.iter().filter(|d| d.has_content()).count(), nodes, errors.len())
        })
        .reduce(|| (0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2))
}
