//! The lint run: split every file into document chunks, parse them in parallel, run per-object
//! rules (building their fixes) and extract inventory facts while each tree is alive, then
//! assemble: run cross-object rules on the inventory, lint Helm values files, apply
//! suppressions, and mark the fixes `--fix` would refuse. Trees are dropped as soon as their
//! chunk is done, so memory stays near the size of the input.
//!
//! The per-chunk results (`ChunkOutput`) are what `--fix` keeps between passes: a chunk whose
//! text a pass did not change keeps its results (moved to its new offset), and only changed
//! chunks are parsed and linted again.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use rayon::prelude::*;

use crate::config::LintConfig;
use crate::diag::{Diagnostic, ObjId};
use crate::k8s::{self, Facts, Inventory};
use crate::source::{FileId, FileRole, SourceFile, split_documents};
use crate::yaml::edit::Conventions;
use crate::yaml::suppress::{IgnoreComment, ignore_comments};
use crate::yaml::{self, Doc, Limits};

use super::suppress::{self, Suppressions};
use super::{ChunkTable, Ctx, EditEnv, Registry};

/// Runs of fewer chunks than this are linted on the calling thread: handing one object's work to
/// the thread pool and back costs more than the work (measured on `serve`'s `/validate`: 15 % of
/// its CPU went to the hand-offs; bench/webhook.md).
const SMALL_RUN: usize = 2;

/// `f` of every item, in order: on the calling thread for fewer than [`SMALL_RUN`] items (one
/// AdmissionReview's object), else on the rayon pool in pieces of at least `min_len` items.
/// The fixer's passes use it too: a `serve` request that handed its one object to the pool
/// blocked its tokio worker on the hand-off (bench/webhook.md).
pub(crate) fn map_items<T: Sync, R: Send>(items: &[T], min_len: usize, f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    if items.len() < SMALL_RUN {
        items.iter().map(f).collect()
    } else {
        items.par_iter().with_min_len(min_len).map(f).collect()
    }
}

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

/// One document of a chunk, as `--fix` needs it to check a pass: where it starts, whether it
/// has content, and its data hash (`None`: no fast hash; the check then parses the old text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DocSummary {
    pub(crate) start: usize,
    pub(crate) content: bool,
    pub(crate) hash: Option<u64>,
}

/// What one chunk of a manifest file produced.
#[derive(Clone, Debug)]
pub(crate) struct ChunkOutput {
    pub(crate) file: FileId,
    /// The chunk's id in the run's `ChunkTable` (`ObjId::chunk` of its objects).
    pub(crate) id: u32,
    pub(crate) range: Range<usize>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) facts: Vec<Facts>,
    pub(crate) errors: Vec<InputError>,
    /// YAML documents with content.
    pub(crate) documents: usize,
    /// Kubernetes objects (`List` items counted one by one).
    pub(crate) objects: usize,
    /// Objects with an ignore annotation, and the chunk's suppression comments.
    pub(crate) ignores: Vec<(ObjId, Vec<String>)>,
    pub(crate) comments: Vec<IgnoreComment>,
    /// The chunk's documents (data hashes only in `--fix` runs).
    pub(crate) docs: Vec<DocSummary>,
    /// Findings and facts were dropped (`strip`): lint the chunk again before using them.
    pub(crate) stripped: bool,
}

impl ChunkOutput {
    fn empty(file: FileId, id: u32, range: Range<usize>) -> Self {
        ChunkOutput {
            file,
            id,
            range,
            diagnostics: Vec::new(),
            facts: Vec::new(),
            errors: Vec::new(),
            documents: 0,
            objects: 0,
            ignores: Vec::new(),
            comments: Vec::new(),
            docs: Vec::new(),
            stripped: false,
        }
    }

    /// Drops the findings and facts of a chunk that a `--fix` pass is replacing (what is left
    /// tells where it is and what its documents hash to).
    pub(crate) fn strip(&mut self) {
        self.diagnostics = Vec::new();
        self.facts = Vec::new();
        self.ignores = Vec::new();
        self.comments = Vec::new();
        self.stripped = true;
    }

    /// The chunk's results moved by `delta` bytes (its text is unchanged and now starts there).
    pub(crate) fn shift(&mut self, delta: isize) {
        if delta == 0 {
            return;
        }
        let s = |r: &Range<usize>| crate::change::shift_range(r, delta);
        self.range = s(&self.range);
        for d in &mut self.diagnostics {
            d.shift(delta);
        }
        for f in &mut self.facts {
            f.shift(delta);
        }
        for e in &mut self.errors {
            e.offset = crate::change::shift(e.offset, delta);
        }
        for c in &mut self.comments {
            c.span = s(&c.span);
            c.directive = s(&c.directive);
            if let yaml::suppress::Target::Rules(rules) = &mut c.target {
                for (_, r) in rules {
                    *r = s(r);
                }
            }
        }
        for d in &mut self.docs {
            d.start = crate::change::shift(d.start, delta);
        }
    }
}

/// What a lint run produced (before sorting and rendering).
#[derive(Debug, Default)]
pub(crate) struct LintOutput {
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) errors: Vec<InputError>,
    /// YAML documents with content.
    pub(crate) documents: usize,
    /// Kubernetes objects (`List` items counted one by one).
    pub(crate) objects: usize,
}

/// A lint run's findings before they are all owned: the chunks' own findings are borrowed
/// (`--fix` keeps them in its chunks for the next pass: no copy of every finding per pass); the
/// others (cross-object rules, values files, unused suppressions) are owned.
#[derive(Debug, Default)]
pub(crate) struct Assembled<'o> {
    pub(crate) diagnostics: Vec<Cow<'o, Diagnostic>>,
    pub(crate) errors: Vec<InputError>,
    pub(crate) documents: usize,
    pub(crate) objects: usize,
}

impl Assembled<'_> {
    /// The findings owned (the borrowed ones copied).
    pub(crate) fn into_output(self) -> LintOutput {
        LintOutput {
            diagnostics: self.diagnostics.into_iter().map(Cow::into_owned).collect(),
            errors: self.errors,
            documents: self.documents,
            objects: self.objects,
        }
    }
}

/// Everything a chunk is linted with.
pub(crate) struct RunEnv<'r> {
    pub(crate) registry: &'r Registry,
    pub(crate) config: &'r LintConfig,
    pub(crate) edits: EditEnv<'r>,
    /// Compute documents' data hashes (`--fix`).
    pub(crate) hashes: bool,
}

impl RunEnv<'_> {
    fn files(&self) -> &[SourceFile] {
        self.edits.files
    }
}

/// The writing conventions of every file (for fixes).
pub(crate) fn conventions(files: &[SourceFile]) -> Vec<Conventions> {
    files.iter().map(|f| Conventions::of(&f.text, f.json)).collect()
}

/// Chunks of every manifest file, in file order.
pub(crate) fn manifest_chunks(files: &[SourceFile]) -> Vec<(FileId, Range<usize>)> {
    files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.role == FileRole::Manifests)
        .flat_map(|(id, f)| split_documents(&f.text).into_iter().map(move |c| (id, c)))
        .collect()
}

/// Parses a chunk, reporting invalid UTF-8 and parse errors as input errors.
pub(crate) fn parse<'a>(
    file: &'a SourceFile,
    id: FileId,
    chunk: Range<usize>,
    limits: Limits,
    errors: &mut Vec<InputError>,
) -> Vec<Doc<'a>> {
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

/// Lints every file.
pub(crate) fn lint(files: &[SourceFile], registry: &Registry, config: &LintConfig) -> LintOutput {
    run_chunks(files, registry, config, |run, mut outputs| {
        // The chunks are not kept: their findings move into the result.
        let taken: Vec<Diagnostic> = outputs.iter_mut().flat_map(|o| std::mem::take(&mut o.diagnostics)).collect();
        let refs: Vec<&ChunkOutput> = outputs.iter().collect();
        assemble(run, &refs, taken).into_output()
    })
}

/// The facts of every object of `files` (for `leaselint report`), with the input errors: the
/// same parse and extraction as [`lint`], whose findings are dropped.
pub(crate) fn facts(files: &[SourceFile], registry: &Registry, config: &LintConfig) -> (Vec<k8s::Facts>, LintOutput) {
    run_chunks(files, registry, config, |_, outputs| {
        let mut out = LintOutput::default();
        let mut facts = Vec::new();
        for o in outputs {
            out.errors.extend(o.errors);
            out.documents += o.documents;
            out.objects += o.objects;
            facts.extend(o.facts);
        }
        (facts, out)
    })
}

/// Splits `files` into chunks, lints them in parallel and hands the chunks' results to `finish`
/// with the run's environment.
fn run_chunks<R>(
    files: &[SourceFile],
    registry: &Registry,
    config: &LintConfig,
    finish: impl FnOnce(&RunEnv<'_>, Vec<ChunkOutput>) -> R,
) -> R {
    let chunks = manifest_chunks(files);
    let mut table = ChunkTable::default();
    let ids: Vec<u32> = chunks.iter().map(|(f, r)| table.add(*f, r.clone())).collect();
    let conv = conventions(files);
    let run = RunEnv {
        registry,
        config,
        edits: EditEnv {
            files,
            conventions: &conv,
            chunks: &table,
            limits: config.limits,
            custom: &config.pod_template_kinds,
            keep_edits: false,
        },
        hashes: false,
    };
    let items: Vec<(&(FileId, Range<usize>), &u32)> = chunks.iter().zip(&ids).collect();
    let outputs = map_items(&items, 4, |((file, range), id)| lint_chunk(&run, *file, **id, range.clone()));
    finish(&run, outputs)
}

/// Parses and lints one chunk.
pub(crate) fn lint_chunk(run: &RunEnv<'_>, file: FileId, id: u32, range: Range<usize>) -> ChunkOutput {
    let Some(source) = run.files().get(file) else { return ChunkOutput::empty(file, id, range) };
    let mut errors = Vec::new();
    let docs = parse(source, file, range.clone(), run.config.limits, &mut errors);
    let mut out = lint_docs(run, file, id, range, &docs, None);
    out.errors = errors;
    out
}

/// Lints the parsed documents of one chunk: per-object rules (with their fixes), facts,
/// suppressions, and (for `--fix`) the documents' data hashes (`hashes`: already computed, by
/// document).
pub(crate) fn lint_docs(
    run: &RunEnv<'_>,
    file: FileId,
    id: u32,
    range: Range<usize>,
    docs: &[Doc<'_>],
    hashes: Option<&[Option<u64>]>,
) -> ChunkOutput {
    let mut out = ChunkOutput::empty(file, id, range);
    let Some(source) = run.files().get(file) else { return out };
    let config = run.config;
    let per_object: Vec<_> = run.registry.enabled().collect();
    for (d, doc) in docs.iter().enumerate() {
        let content = doc.has_content();
        if content {
            out.documents += 1;
        }
        let hash = match hashes {
            Some(known) => known.get(d).copied().flatten(),
            None if run.hashes => yaml::hash::node_hashes(doc).and_then(|h| h.first().copied()),
            None => None,
        };
        if run.hashes {
            out.docs.push(DocSummary { start: doc.span.start, content, hash });
        }
        out.comments.extend(ignore_comments(doc, &source.text));
        let at = ObjId { chunk: id, doc: u32::try_from(d).unwrap_or(u32::MAX), item: 0 };
        for obj in k8s::objects_in(doc, &source.text, file, &config.pod_template_kinds, at) {
            if obj.kind != k8s::Kind::List {
                out.objects += 1;
            }
            for r in &per_object {
                let mut cx = Ctx::new(r, config, &mut out.diagnostics, Some(&run.edits));
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
    out
}

/// Runs what needs every chunk: cross-object rules on the inventory of every chunk's facts,
/// Helm values files, suppressions; then marks the fixes `--fix` refuses because their file (or,
/// on stdin, their document) does not parse. `taken`: findings the caller moved out of the
/// chunks; the findings still in the chunks are borrowed.
pub(crate) fn assemble<'o>(run: &RunEnv<'_>, outputs: &[&'o ChunkOutput], taken: Vec<Diagnostic>) -> Assembled<'o> {
    let files = run.files();
    let (registry, config) = (run.registry, run.config);
    let mut result = Assembled::default();
    result.diagnostics.extend(taken.into_iter().map(Cow::Owned));
    let mut inventory = Inventory::default();
    inventory.release_namespace.clone_from(&config.namespace);
    let mut suppressions = Suppressions::default();
    for out in outputs {
        suppressions.annotations.extend(out.ignores.iter().cloned());
        if !out.comments.is_empty() {
            suppressions.comments.entry(out.file).or_default().extend(out.comments.iter().cloned());
        }
        result.diagnostics.extend(out.diagnostics.iter().map(Cow::Borrowed));
        result.errors.extend(out.errors.iter().cloned());
        result.documents += out.documents;
        result.objects += out.objects;
        for f in &out.facts {
            inventory.add(f);
        }
    }
    inventory.finish();
    let values = super::values::lint_values_files(run, &inventory);
    result.diagnostics.extend(values.out.diagnostics.into_iter().map(Cow::Owned));
    result.errors.extend(values.out.errors);
    result.documents += values.out.documents;
    for (id, comments) in values.comments {
        suppressions.comments.entry(id).or_default().extend(comments);
    }
    let enabled: Vec<_> = registry.enabled().collect();
    let check = |r: &&crate::lint::Registered| {
        let mut found = Vec::new();
        let mut cx = Ctx::new(r, config, &mut found, Some(&run.edits));
        r.rule.check_inventory(&inventory, &mut cx);
        found
    };
    let cross: Vec<Vec<Diagnostic>> =
        if outputs.len() < SMALL_RUN { enabled.iter().map(check).collect() } else { map_items(&enabled, 1, check) };
    result.diagnostics.extend(cross.into_iter().flatten().map(Cow::Owned));
    suppress::apply(&mut result.diagnostics, files, registry, config, &suppressions);
    if !config.fix_classes.is_empty() {
        // The config's `fixes: {safe: [...], unsafe: [...]}` reclassifies a rule's fixes.
        for d in &mut result.diagnostics {
            let class = config.fix_classes.get(d.code).copied();
            if let Some(class) = class.filter(|c| d.fix.as_ref().is_some_and(|f| f.applicability != *c))
                && let Some(fix) = d.to_mut().fix.as_mut()
            {
                fix.applicability = class;
            }
        }
    }
    refuse_unparsable(&mut result, files, outputs);
    result.diagnostics.par_sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    result.errors.sort_by_key(|e| (e.file_id, e.offset));
    result
}

/// Refuses the fixes `--fix` would not apply because their input does not parse: every fix in
/// a file with a parse error or invalid UTF-8, which is never edited; on stdin (where each
/// document that parses is fixed and the others are repeated as they are), the fixes whose
/// edits touch a document that does not parse.
fn refuse_unparsable(result: &mut Assembled<'_>, files: &[SourceFile], outputs: &[&ChunkOutput]) {
    if result.errors.is_empty() && files.iter().all(|f| f.invalid_utf8.is_empty()) {
        return;
    }
    let mut first_error: HashMap<FileId, usize> = HashMap::new();
    for e in &result.errors {
        if let Some(f) = e.file_id {
            let at = first_error.entry(f).or_insert(e.offset);
            *at = (*at).min(e.offset);
        }
    }
    let broken_chunks: Vec<(FileId, Range<usize>)> =
        outputs.iter().filter(|o| !o.errors.is_empty()).map(|o| (o.file, o.range.clone())).collect();
    for d in &mut result.diagnostics {
        let Some(fix) = d.fix.as_ref().filter(|f| f.refused.is_none()) else { continue };
        let file = d.loc.file;
        let Some(source) = files.get(file) else { continue };
        let whole = source.path.is_some() || !source.invalid_utf8.is_empty();
        let why = if whole {
            if let Some(offset) = first_error.get(&file) {
                let (line, col) = source.lines().line_col(&source.text, *offset);
                Some(format!(
                    "{} does not parse (line {line}, column {col}): --fix leaves a file with an error unchanged",
                    source.name
                ))
            } else if !source.invalid_utf8.is_empty() {
                Some(format!("{} is not valid UTF-8: --fix repeats it unchanged", source.name))
            } else {
                None
            }
        } else {
            // Text inserted between two documents does not touch either (a document added
            // before one that does not parse leaves it as it was).
            let touches_broken = fix.edits.iter().any(|e| {
                broken_chunks.iter().any(|(f, r)| {
                    *f == file
                        && if e.range.is_empty() {
                            r.start < e.range.start && e.range.start < r.end
                        } else {
                            e.range.start < r.end && r.start < e.range.end
                        }
                })
            });
            touches_broken.then(|| "the fix edits a document that does not parse".to_string())
        };
        if let Some(why) = why
            && let Some(fix) = d.to_mut().fix.as_mut()
        {
            fix.refused = Some(why);
        }
    }
}

/// Whether a file found by walking looks like an unrendered template: some document does not
/// parse and the text holds a template marker (`{{` of Go/Helm templates, `{%` of Jinja).
/// Such a file is skipped with a notice rather than reported as an error.
pub(crate) fn is_unrendered_template(file: &SourceFile, limits: Limits) -> bool {
    if file.role != FileRole::Manifests || !(file.text.contains("{{") || file.text.contains("{%")) {
        return false;
    }
    split_documents(&file.text).into_iter().any(|chunk| !yaml::parse_chunk(&file.text, chunk, limits).1.is_empty())
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
