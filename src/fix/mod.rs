//! Applying fixes. A pass takes the fixes at or above the requested applicability that nothing
//! refused, never two that overlap, and splices their edits; then every changed document is
//! parsed again, compared as data with the document before (nothing but what the fixes declared
//! may differ), type-checked, and linted for the next pass — unchanged documents keep their
//! results. A fix whose edits changed more than it declared (or broke parsing or types) is
//! refused with the reason and the pass is redone without it. Passes repeat until nothing more
//! applies (at most `MAX_PASSES`). A file with a parse error is never edited; on stdin, the
//! documents that parse are. Uses `diag`, `source`, `yaml`, `k8s` and the lint runner.

mod declared;
mod verify;
mod write;

use std::collections::{BTreeMap, HashMap};

use crate::change::{Change, Edit};
use crate::config::LintConfig;
use crate::diag::{Applicability, Diagnostic};
use crate::lint::{Assembled, ChunkOutput, ChunkTable, EditEnv, LintOutput, Registry, RunEnv, assemble, conventions};
use crate::source::{FileId, FileRole, SourceFile};
use crate::yaml::edit;

#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use verify::check_by_json;
pub(crate) use write::{Digest, unified_diff, write_atomic};

/// Passes after which fixing stops (hitting it is a bug: fixes that do not converge).
pub(crate) const MAX_PASSES: usize = 10;

/// One fix that was applied.
#[derive(Clone, Debug)]
pub(crate) struct Applied {
    pub(crate) code: &'static str,
    pub(crate) file: FileId,
}

/// What `--fix` is asked to do.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Options {
    /// Apply unsafe fixes too.
    pub(crate) unsafe_fixes: bool,
    /// Keep every pass's edits (`FixRun::history`).
    pub(crate) history: bool,
}

/// The outcome of `--fix`.
pub(crate) struct FixRun {
    /// The files as fixed (unchanged ones as read).
    pub(crate) files: Vec<SourceFile>,
    /// Which files changed.
    pub(crate) changed: Vec<bool>,
    pub(crate) applied: Vec<Applied>,
    /// The lint of the fixed files: what remains.
    pub(crate) report: LintOutput,
    /// Whether the passes stopped because nothing more applied (not at `MAX_PASSES`).
    pub(crate) converged: bool,
    /// With `Options::history`: the edits of every pass, in order, each in the coordinates of
    /// the file's text before that pass, with the changes the pass's fixes declared. Replaying
    /// them on the input gives the output.
    pub(crate) history: Vec<Pass>,
    /// The chunks' lint results of the last pass, left for the caller to drop (a process that
    /// is about to exit need not free them one by one).
    pub(crate) chunks: Vec<Vec<ChunkOutput>>,
}

/// One kept pass over one file.
#[derive(Clone, Debug)]
pub(crate) struct Pass {
    pub(crate) file: FileId,
    pub(crate) edits: Vec<Edit>,
    #[cfg_attr(not(any(test, feature = "fuzzing")), allow(dead_code, reason = "checked by the fuzz target"))]
    pub(crate) changes: Vec<Change>,
}

/// The offset in a file as it was read of `offset` in the fixed file: the kept passes' edits
/// (`FixRun::history`) undone, last pass first. An offset inside inserted text maps to where the
/// text was inserted.
pub(crate) fn map_back(history: &[Pass], file: FileId, offset: usize) -> usize {
    let mut at = offset;
    for p in history.iter().rev().filter(|p| p.file == file) {
        at = before_edits(&p.edits, at);
    }
    at
}

/// The offset before `edits` (sorted, disjoint) of `at`, an offset after them.
fn before_edits(edits: &[Edit], at: usize) -> usize {
    let mut delta: isize = 0;
    for e in edits {
        let new_start = e.range.start.saturating_add_signed(delta);
        if at < new_start {
            break;
        }
        if at < new_start + e.content.len() {
            return e.range.start;
        }
        delta += e.content.len() as isize - e.range.len() as isize;
    }
    at.saturating_add_signed(-delta)
}

/// A finding's identity across passes (its offsets move): rule, file, object and path.
/// The last element tells findings apart that share the rest (two objects of one identity in a
/// `List`): it counts the earlier findings with the same rest, in report order.
type FixKey = (&'static str, FileId, Option<(String, String, Option<String>, String)>, String, usize);

fn base_key_of(d: &Diagnostic) -> FixKey {
    let object = d.loc.object.as_ref().map(|o| {
        let r = &o.object;
        (r.api_version.clone(), r.kind.clone(), r.namespace.clone(), r.name.clone())
    });
    (d.code, d.loc.file, object, d.loc.path.to_string(), 0)
}

/// The keys of a report's findings (in its order).
fn keys_of<'d>(diags: impl Iterator<Item = &'d Diagnostic>) -> Vec<FixKey> {
    let mut seen: HashMap<FixKey, usize> = HashMap::new();
    diags
        .map(|d| {
            let mut key = base_key_of(d);
            let n = seen.entry(key.clone()).or_default();
            key.4 = *n;
            *n += 1;
            key
        })
        .collect()
}

/// The run's state between passes.
struct State {
    files: Vec<SourceFile>,
    /// Per file, its chunks' lint results in order (manifest files only).
    outputs: Vec<Vec<ChunkOutput>>,
    table: ChunkTable,
}

impl State {
    /// Takes the fix of the finding `key` out of the chunk of `file` that holds offset `at` (the
    /// chunk is replaced by the pass; if it stays unchanged after all, it is linted again).
    fn take_fix(&mut self, file: FileId, at: usize, key: &FixKey) -> Option<Chosen> {
        let outputs = self.outputs.get_mut(file)?;
        let i = outputs.partition_point(|o| o.range.end <= at).min(outputs.len().saturating_sub(1));
        let chunk = outputs.get_mut(i)?;
        // A finding whose fix was taken has no edits left (two findings may share a key).
        let base = (key.0, key.1, key.2.clone(), key.3.clone(), 0);
        let d = chunk
            .diagnostics
            .iter_mut()
            .find(|d| d.fix.as_ref().is_some_and(|f| !f.edits.is_empty()) && base_key_of(d) == base)?;
        let fix = d.fix.as_mut()?;
        let c = Chosen {
            code: d.code,
            key: key.clone(),
            edits: std::mem::take(&mut fix.edits),
            changes: std::mem::take(&mut fix.changes),
        };
        chunk.stripped = true;
        (!c.edits.is_empty()).then_some(c)
    }

    /// The run's findings now (the chunks' findings borrowed).
    fn report<'s>(&'s self, conv: &'s [edit::Conventions], registry: &Registry, config: &LintConfig) -> Assembled<'s> {
        let run = run_env(&self.files, conv, &self.table, registry, config);
        let refs: Vec<&ChunkOutput> = self.outputs.iter().flatten().collect();
        assemble(&run, &refs, Vec::new())
    }
}

fn run_env<'r>(
    files: &'r [SourceFile],
    conv: &'r [edit::Conventions],
    table: &'r ChunkTable,
    registry: &'r Registry,
    config: &'r LintConfig,
) -> RunEnv<'r> {
    RunEnv {
        registry,
        config,
        edits: EditEnv {
            files,
            conventions: conv,
            chunks: table,
            limits: config.limits,
            custom: &config.pod_template_kinds,
            keep_edits: true,
        },
        hashes: true,
    }
}

/// Fixes `files` in memory.
pub(crate) fn run(files: Vec<SourceFile>, registry: &Registry, config: &LintConfig, opts: Options) -> FixRun {
    let wanted = if opts.unsafe_fixes { Applicability::Unsafe } else { Applicability::Safe };
    let mut state = first_pass(files, registry, config);
    let mut changed = vec![false; state.files.len()];
    let mut applied = Vec::new();
    let mut history = Vec::new();
    let mut refused: HashMap<FixKey, String> = HashMap::new();
    let mut pass = 0;
    loop {
        let conv = conventions(&state.files);
        let mut report = state.report(&conv, registry, config);
        let keys = keys_of(report.diagnostics.iter().map(|d| &**d));
        if !refused.is_empty() {
            for (d, key) in report.diagnostics.iter_mut().zip(&keys) {
                let refusal = d.fix.as_ref().filter(|f| f.refused.is_none()).and_then(|_| refused.get(key));
                if let Some(why) = refusal.cloned()
                    && let Some(fix) = d.to_mut().fix.as_mut()
                {
                    fix.refused = Some(why);
                }
            }
        }
        let applicable = |d: &Diagnostic| d.fix.as_ref().is_some_and(|f| f.applies(wanted) && !f.edits.is_empty());
        let nothing_left = !report.diagnostics.iter().any(|d| applicable(d));
        if nothing_left || pass >= MAX_PASSES {
            let report = report.into_output();
            drop(conv);
            let State { files, outputs: chunks, .. } = state;
            return FixRun { files, changed, applied, report, converged: nothing_left, history, chunks };
        }
        pass += 1;
        // The fixes of the pass: chosen by reference, then taken out of the report (the fixes
        // of cross-object rules) or out of their chunks (which the pass replaces): never copied.
        let mut by_file: BTreeMap<FileId, Vec<usize>> = BTreeMap::new();
        for (i, d) in report.diagnostics.iter().enumerate().filter(|(_, d)| applicable(d)) {
            by_file.entry(d.loc.file).or_default().push(i);
        }
        let mut picked: Vec<usize> = Vec::new();
        for indices in by_file.values() {
            let group: Vec<&Diagnostic> =
                indices.iter().filter_map(|&i| report.diagnostics.get(i).map(|d| &**d)).collect();
            picked.extend(choose(&group).1.into_iter().filter_map(|k| indices.get(k).copied()));
        }
        picked.sort_unstable();
        let mut chosen: BTreeMap<FileId, Vec<Chosen>> = BTreeMap::new();
        let mut in_chunks: Vec<(FileId, usize, FixKey)> = Vec::new();
        let mut next = picked.iter().copied().peekable();
        for ((i, d), key) in report.diagnostics.into_iter().enumerate().zip(keys) {
            if next.peek() != Some(&i) {
                continue;
            }
            next.next();
            match d {
                std::borrow::Cow::Owned(d) => {
                    let file = d.loc.file;
                    chosen.entry(file).or_default().extend(Chosen::take(d, key));
                }
                std::borrow::Cow::Borrowed(d) => in_chunks.push((d.loc.file, d.loc.span.start, key)),
            }
        }
        drop(conv);
        for (file, at, key) in in_chunks {
            if let Some(c) = state.take_fix(file, at, &key) {
                chosen.entry(file).or_default().push(c);
            }
        }
        let outcome = apply_pass(&mut state, chosen, registry, config);
        for (key, why) in outcome.refused {
            refused.insert(key, why);
        }
        for (codes, p) in outcome.applied {
            let file = p.file;
            if let Some(c) = changed.get_mut(file) {
                *c = true;
            }
            applied.extend(codes.into_iter().map(|code| Applied { code, file }));
            if opts.history {
                history.push(p);
            }
        }
    }
}

/// Lints every chunk (with data hashes) and keeps the results by file.
fn first_pass(files: Vec<SourceFile>, registry: &Registry, config: &LintConfig) -> State {
    let chunks = crate::lint::manifest_chunks(&files);
    let mut table = ChunkTable::default();
    let ids: Vec<u32> = chunks.iter().map(|(f, r)| table.add(*f, r.clone())).collect();
    let conv = conventions(&files);
    let outs: Vec<ChunkOutput> = {
        let run = run_env(&files, &conv, &table, registry, config);
        let items: Vec<_> = chunks.iter().zip(&ids).collect();
        crate::lint::map_items(&items, 4, |((file, range), id)| {
            crate::lint::lint_chunk(&run, *file, **id, range.clone())
        })
    };
    let mut outputs: Vec<Vec<ChunkOutput>> = (0..files.len()).map(|_| Vec::new()).collect();
    for o in outs {
        if let Some(v) = outputs.get_mut(o.file) {
            v.push(o);
        }
    }
    State { files, outputs, table }
}

/// What a pass did.
#[derive(Default)]
struct PassOutcome {
    /// Per changed file: the codes of the fixes applied, and the pass (edits, declared changes).
    applied: Vec<(Vec<&'static str>, Pass)>,
    refused: Vec<(FixKey, String)>,
}

/// A fix taken for a pass: what applying and refusing it needs (taken out of its finding, so
/// that the run's report can be dropped during the pass).
#[derive(Debug)]
struct Chosen {
    code: &'static str,
    key: FixKey,
    edits: Vec<Edit>,
    changes: Vec<Change>,
}

impl Chosen {
    /// The fix of a finding the caller owns.
    fn take(d: Diagnostic, key: FixKey) -> Option<Chosen> {
        let fix = d.fix?;
        Some(Chosen { code: d.code, key, edits: fix.edits, changes: fix.changes })
    }
}

/// One file's part of a pass: the fixes still in it, and the edits of the text installed now
/// with the old text each replaced (the old text itself is not kept during the pass: it is
/// recovered from the new text when a check needs it).
struct FilePass {
    file: FileId,
    role: FileRole,
    fixes: Vec<Chosen>,
    edits: Vec<Edit>,
    replaced: Vec<String>,
    /// Whether `edits` are applied to the installed text (after the first round).
    installed: bool,
}

impl FilePass {
    fn changes(&self) -> declared::Changes<'_> {
        declared::Changes::new(self.fixes.iter().flat_map(|f| f.changes.iter()))
    }

    /// The text before the pass, given the installed text.
    fn old<'a>(&'a self, installed: &'a str) -> verify::OldText<'a> {
        let (edits, replaced) = if self.installed { (&self.edits[..], &self.replaced[..]) } else { (&[][..], &[][..]) };
        verify::OldText { new: installed, edits, replaced }
    }
}

/// The merged edits of `fixes` (identical edits once).
fn merged_edits(fixes: &[Chosen]) -> Vec<Edit> {
    choose(fixes).0
}

/// Installs the text of a file's pass with its current fixes: the old text (moved out of the
/// file, or recovered from the text of the previous round) with the fixes' edits applied.
fn install_text(state: &mut State, p: &mut FilePass) {
    let Some(slot) = state.files.get_mut(p.file) else { return };
    let old_text = if p.installed { p.old(&slot.text).whole() } else { std::mem::take(&mut slot.text) };
    // The old text goes before the new one's line index is built (and that is built only when
    // a report needs it): at no moment are both versions of the file and their indexes in memory.
    let edits = merged_edits(&p.fixes);
    p.replaced = edits.iter().map(|e| old_text.get(e.range.clone()).unwrap_or_default().to_string()).collect();
    let new_text = edit::apply_in_place(old_text, &edits).unwrap_or_else(|unchanged| unchanged);
    *slot = slot.with_text(new_text);
    p.edits = edits;
    p.installed = true;
}

/// Applies the chosen fixes of every file, checks each changed region and lints it, and refuses
/// (then leaves out) the fixes whose edits fail the check, until every file's pass holds.
fn apply_pass(
    state: &mut State,
    chosen: BTreeMap<FileId, Vec<Chosen>>,
    registry: &Registry,
    config: &LintConfig,
) -> PassOutcome {
    let mut outcome = PassOutcome::default();
    let mut passes: Vec<FilePass> = chosen
        .into_iter()
        .filter_map(|(file, fixes)| {
            let role = state.files.get(file)?.role;
            Some(FilePass { file, role, fixes, edits: Vec::new(), replaced: Vec::new(), installed: false })
        })
        .collect();
    loop {
        // Install every file's new text, then check all regions of all files in parallel.
        let mut plans = Vec::new();
        for p in &mut passes {
            let old_ranges: Vec<_> =
                state.outputs.get(p.file).map(|o| o.iter().map(|c| c.range.clone()).collect()).unwrap_or_default();
            // The chunks the fixes edit keep only their place and hashes from here on (a chunk
            // that ends up unchanged after all is linted again).
            let edits = merged_edits(&p.fixes);
            if let Some(outputs) = state.outputs.get_mut(p.file) {
                for i in verify::touched_chunks(&old_ranges, &edits) {
                    if let Some(o) = outputs.get_mut(i) {
                        o.strip();
                    }
                }
            }
            drop(edits);
            install_text(state, p);
            let outputs = state.outputs.get(p.file).map(Vec::as_slice).unwrap_or_default();
            let docs: Vec<&[crate::lint::DocSummary]> = outputs.iter().map(|o| o.docs.as_slice()).collect();
            let new_text = state.files.get(p.file).map_or("", |f| f.text.as_str());
            let plan = verify::plan(&old_ranges, &docs, &p.edits, new_text);
            let ids: Vec<Vec<u32>> =
                plan.regions.iter().map(|r| r.new.iter().map(|_| state.table.reserve()).collect()).collect();
            // The chunks the pass replaces keep only their place and hashes until it is
            // installed (a chunk that ends up unchanged after all is linted again).
            if let Some(outputs) = state.outputs.get_mut(p.file) {
                for r in &plan.regions {
                    for o in outputs.get_mut(r.old.clone()).into_iter().flatten() {
                        o.strip();
                    }
                }
            }
            plans.push((plan, ids));
        }
        let conv = conventions(&state.files);
        let results: Vec<Vec<Result<Vec<ChunkOutput>, verify::Failure>>> = {
            let run = run_env(&state.files, &conv, &state.table, registry, config);
            let items: Vec<_> = passes.iter().zip(&plans).collect();
            crate::lint::map_items(&items, 1, |(p, (plan, ids))| {
                let outputs = state.outputs.get(p.file).map(Vec::as_slice).unwrap_or_default();
                let changes = p.changes();
                let Some(new) = run.edits.files.get(p.file) else { return Vec::new() };
                let old = p.old(&new.text);
                if p.role == FileRole::HelmValues {
                    let old = SourceFile::new(new.name.clone(), new.path.clone(), p.role, old.whole().into_bytes());
                    let all = changes.all();
                    return vec![verify::check_by_json(&old, Some(new), all, config.limits).map(|()| Vec::new())];
                }
                let regions: Vec<_> = plan.regions.iter().zip(ids).collect();
                crate::lint::map_items(&regions, 1, |(region, ids)| {
                    verify::check_region(&run, p.file, &old, outputs, region, &changes, ids, true)
                })
            })
        };
        let mut retry = false;
        for ((p, (plan, _)), result) in passes.iter_mut().zip(&plans).zip(&results) {
            let current = state.files.get(p.file).map_or("", |f| f.text.as_str());
            let failed: Vec<(std::ops::Range<usize>, &verify::Failure)> = result
                .iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    // A values file is checked whole; a manifest file by region.
                    let whole = 0..p.old(current).len();
                    let span = match plan.regions.get(i) {
                        Some(r) if p.role == FileRole::Manifests => r.span.clone(),
                        _ => whole,
                    };
                    r.as_ref().err().map(|f| (span, f))
                })
                .collect();
            if failed.is_empty() {
                continue;
            }
            retry = true;
            let outputs = state.outputs.get(p.file).map(Vec::as_slice).unwrap_or_default();
            let ctx = Settle { outputs, current, registry, config, table: &state.table };
            let before = p.fixes.len();
            for (span, failure) in failed {
                // A region no remaining fix touches failed because of fixes an earlier region
                // already dropped; only when nothing was dropped is it blamed on every fix.
                let blame_all = p.fixes.len() == before;
                settle(p, &span, failure, &ctx, blame_all, &mut outcome);
            }
        }
        if !retry {
            for ((p, (plan, ids)), result) in passes.into_iter().zip(plans).zip(results) {
                install(state, &p, plan, ids, result);
                relint_stripped(state, p.file, registry, config);
                let codes = p.fixes.iter().map(|c| c.code).collect();
                if !p.edits.is_empty() {
                    let changes = p.changes().all().iter().map(|c| (*c).clone()).collect();
                    outcome.applied.push((codes, Pass { file: p.file, edits: p.edits, changes }));
                }
            }
            return outcome;
        }
        // Files whose fixes were all refused get their old text back (and their chunks' results);
        // the others are applied again without the refused fixes.
        let (keep, done): (Vec<_>, Vec<_>) = passes.into_iter().partition(|p| !p.fixes.is_empty());
        for p in done {
            if let Some(slot) = state.files.get_mut(p.file) {
                let old = p.old(&slot.text).whole();
                *slot = slot.with_text(old);
            }
            relint_stripped(state, p.file, registry, config);
        }
        passes = keep;
    }
}

/// Lints again the chunks of `file` whose results a pass dropped but that stayed unchanged.
fn relint_stripped(state: &mut State, file: FileId, registry: &Registry, config: &LintConfig) {
    let Some(outputs) = state.outputs.get(file) else { return };
    let stripped: Vec<usize> = (0..outputs.len()).filter(|&i| outputs.get(i).is_some_and(|o| o.stripped)).collect();
    if stripped.is_empty() {
        return;
    }
    let conv = conventions(&state.files);
    let fresh: Vec<(usize, ChunkOutput)> = {
        let run = run_env(&state.files, &conv, &state.table, registry, config);
        crate::lint::map_items(&stripped, 1, |&i| {
            let o = outputs.get(i)?;
            Some((i, crate::lint::lint_chunk(&run, file, o.id, o.range.clone())))
        })
        .into_iter()
        .flatten()
        .collect()
    };
    if let Some(outputs) = state.outputs.get_mut(file) {
        for (i, o) in fresh {
            if let Some(slot) = outputs.get_mut(i) {
                *slot = o;
            }
        }
    }
}

/// What checking one fix alone needs.
struct Settle<'s> {
    /// The file's chunks before the pass.
    outputs: &'s [ChunkOutput],
    /// The text installed now.
    current: &'s str,
    registry: &'s Registry,
    config: &'s LintConfig,
    table: &'s ChunkTable,
}

/// A region failed: refuse the fix responsible. With one candidate (a fix with an edit in the
/// region) it is refused; with several, each is checked alone and those that fail alone are
/// refused; when none fails alone, all but the first wait for a later pass. With none, every
/// fix is refused when `blame_all` (nothing else explains the failure), else nothing.
fn settle(
    p: &mut FilePass,
    span: &std::ops::Range<usize>,
    failure: &verify::Failure,
    ctx: &Settle<'_>,
    blame_all: bool,
    outcome: &mut PassOutcome,
) {
    let touches = |c: &Chosen| c.edits.iter().any(|e| e.range.start <= span.end && e.range.end >= span.start);
    let candidates: Vec<usize> = (0..p.fixes.len()).filter(|&i| p.fixes.get(i).is_some_and(touches)).collect();
    let refuse = |outcome: &mut PassOutcome, c: &Chosen, why: String| outcome.refused.push((c.key.clone(), why));
    let drop: Vec<usize> = match candidates.as_slice() {
        [] if !blame_all => Vec::new(),
        // No fix touches the region and nothing else explains it: refuse them all.
        [] => {
            for c in &p.fixes {
                refuse(outcome, c, failure.reason.clone());
            }
            (0..p.fixes.len()).collect()
        }
        [one] => {
            if let Some(c) = p.fixes.get(*one) {
                refuse(outcome, c, failure.reason.clone());
            }
            vec![*one]
        }
        many => {
            let old = p.old(ctx.current).whole();
            let mut drop = Vec::new();
            for &i in many {
                let Some(c) = p.fixes.get(i) else { continue };
                if let Err(why) = check_alone(&old, p, c, ctx) {
                    refuse(outcome, c, why);
                    drop.push(i);
                }
            }
            if drop.is_empty() {
                drop.extend(many.iter().skip(1));
            }
            drop
        }
    };
    let mut i = 0;
    p.fixes.retain(|_| {
        let keep = !drop.contains(&i);
        i += 1;
        keep
    });
}

/// Checks one fix alone on the file's old text.
fn check_alone(old: &str, p: &FilePass, fix: &Chosen, ctx: &Settle<'_>) -> Result<(), String> {
    let new_text = edit::apply(old, &fix.edits).ok_or_else(|| "internal error: edits".to_string())?;
    let changes: Vec<&Change> = fix.changes.iter().collect();
    let indexed = declared::Changes::new(fix.changes.iter());
    let new = SourceFile::new("fixed".into(), None, p.role, new_text.into_bytes());
    let old_file = SourceFile::new("old".into(), None, p.role, old.as_bytes().to_vec());
    if p.role == FileRole::HelmValues {
        return verify::check_by_json(&old_file, Some(&new), &changes, ctx.config.limits).map_err(|f| f.reason);
    }
    // A one-file run over the new text: only parsing, comparing and type checks are used.
    let files = vec![new];
    let conv = conventions(&files);
    let run = run_env(&files, &conv, ctx.table, ctx.registry, ctx.config);
    let ranges: Vec<_> = ctx.outputs.iter().map(|o| o.range.clone()).collect();
    let docs: Vec<&[crate::lint::DocSummary]> = ctx.outputs.iter().map(|o| o.docs.as_slice()).collect();
    let text = files.first().map_or("", |f| f.text.as_str());
    let plan = verify::plan(&ranges, &docs, &fix.edits, text);
    let replaced: Vec<String> =
        fix.edits.iter().map(|e| old.get(e.range.clone()).unwrap_or_default().to_string()).collect();
    let old_text = verify::OldText { new: text, edits: &fix.edits, replaced: &replaced };
    for region in &plan.regions {
        verify::check_region(&run, 0, &old_text, ctx.outputs, region, &indexed, &[], false).map_err(|f| f.reason)?;
    }
    Ok(())
}

/// Makes a file's checked pass the state: unchanged chunks move, checked regions replace theirs.
fn install(
    state: &mut State,
    p: &FilePass,
    plan: verify::Plan,
    ids: Vec<Vec<u32>>,
    result: Vec<Result<Vec<ChunkOutput>, verify::Failure>>,
) {
    let Some(old_outputs) = state.outputs.get_mut(p.file) else { return };
    let mut old: Vec<Option<ChunkOutput>> = std::mem::take(old_outputs).into_iter().map(Some).collect();
    let mut next: Vec<ChunkOutput> = Vec::new();
    for (i, delta) in plan.reused {
        if let Some(mut o) = old.get_mut(i).and_then(Option::take) {
            o.shift(delta);
            state.table.set(o.id, p.file, o.range.clone());
            next.push(o);
        }
    }
    for o in old.into_iter().flatten() {
        state.table.remove(o.id);
    }
    for (ids, outputs) in ids.iter().zip(result) {
        for (id, o) in ids.iter().zip(outputs.into_iter().flatten()) {
            state.table.set(*id, p.file, o.range.clone());
            next.push(o);
        }
    }
    next.sort_by_key(|o| o.range.start);
    if let Some(slot) = state.outputs.get_mut(p.file) {
        *slot = next;
    }
}

/// What choosing fixes reads of one: its edits and its rule's code.
trait Candidate {
    fn edits(&self) -> &[Edit];
    fn code(&self) -> &'static str;
}

impl Candidate for Chosen {
    fn edits(&self) -> &[Edit] {
        &self.edits
    }

    fn code(&self) -> &'static str {
        self.code
    }
}

impl Candidate for &Diagnostic {
    fn edits(&self) -> &[Edit] {
        self.fix.as_ref().map_or(&[], |f| f.edits.as_slice())
    }

    fn code(&self) -> &'static str {
        self.code
    }
}

/// Fixes in order of their first edit (then code); a fix is taken only if none of its edits
/// overlaps an edit already taken. Two insertions at one offset overlap unless identical
/// (identical edits are applied once). Returns the edits to apply and the indices of the fixes
/// taken, in order.
fn choose<C: Candidate>(fixes: &[C]) -> (Vec<Edit>, Vec<usize>) {
    let mut order: Vec<usize> = (0..fixes.len()).collect();
    let first = |i: &usize| {
        let c = fixes.get(*i);
        (c.and_then(|c| c.edits().first()).map(|e| (e.range.start, e.range.end)), c.map(Candidate::code))
    };
    order.sort_by_key(first);
    // Taken edits by (start, end): they are disjoint, so only neighbours can overlap a new one.
    let mut taken: BTreeMap<(usize, usize), Vec<&Edit>> = BTreeMap::new();
    let mut chosen = Vec::new();
    for i in order {
        let Some(d) = fixes.get(i) else { continue };
        let mut new: Vec<&Edit> = Vec::new();
        let mut ok = true;
        for e in d.edits() {
            let (start, end) = (e.range.start, e.range.end);
            let near = taken
                .range(..=(end, usize::MAX))
                .rev()
                .take_while(|((s, en), _)| *en >= start || *s >= start)
                .flat_map(|(_, es)| es.iter().copied());
            let mut duplicate = false;
            for t in near.chain(new.iter().copied()) {
                if t == e {
                    duplicate = true; // the same edit from another fix: apply once
                } else if overlaps(t, e) {
                    ok = false;
                }
            }
            if !ok {
                break;
            }
            if !duplicate {
                new.push(e);
            }
        }
        if ok {
            for e in new {
                taken.entry((e.range.start, e.range.end)).or_default().push(e);
            }
            chosen.push(i);
        }
    }
    (taken.into_values().flatten().cloned().collect(), chosen)
}

fn overlaps(a: &Edit, b: &Edit) -> bool {
    let a_ins = a.range.is_empty();
    let b_ins = b.range.is_empty();
    if a_ins && b_ins {
        return a.range.start == b.range.start;
    }
    if a_ins {
        return b.range.start < a.range.start && a.range.start < b.range.end;
    }
    if b_ins {
        return a.range.start < b.range.start && b.range.start < a.range.end;
    }
    a.range.start < b.range.end && b.range.start < a.range.end
}

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
