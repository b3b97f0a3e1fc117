//! Applying fixes: choosing the fixes of a pass (at or above the requested applicability, never
//! two that overlap), splicing their edits, validating the result (it must parse, and every
//! changed object that type-checked before must still type-check), and repeating until nothing
//! more applies (at most `MAX_PASSES`). A file with a parse error is never edited; a pass that
//! breaks a file is discarded for that file and reported. Uses `diag`, `source`, `yaml`, `k8s`,
//! and the lint runner to re-lint between passes.

mod validate;
mod write;

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::config::LintConfig;
use crate::diag::{Applicability, Diagnostic, Edit};
use crate::lint::{Changed, LintOutput, Registry, lint_checking, lint_for_fix};
use crate::source::{FileId, SourceFile};
use crate::yaml::edit;

pub(crate) use write::{unified_diff, write_atomic};

/// Passes after which fixing stops (hitting it is a bug: fixes that do not converge).
pub(crate) const MAX_PASSES: usize = 10;

/// One fix that was applied.
#[derive(Clone, Debug)]
pub(crate) struct Applied {
    pub(crate) code: &'static str,
}

/// A pass that was discarded for one file because its result did not validate.
#[derive(Clone, Debug)]
pub(crate) struct Discarded {
    pub(crate) file: FileId,
    pub(crate) pass: usize,
    pub(crate) codes: Vec<&'static str>,
    pub(crate) reason: String,
}

/// The outcome of `--fix`.
pub(crate) struct FixRun {
    /// The files as fixed (unchanged ones as read).
    pub(crate) files: Vec<SourceFile>,
    /// Which files changed.
    pub(crate) changed: Vec<bool>,
    pub(crate) applied: Vec<Applied>,
    pub(crate) discarded: Vec<Discarded>,
    /// The lint of the fixed files: what remains.
    pub(crate) report: LintOutput,
    /// Whether the passes stopped because nothing more applied (not at `MAX_PASSES`).
    pub(crate) converged: bool,
    /// The edits of every pass that was kept, in order, each in the coordinates of the file's
    /// text before that pass: replaying them on the input gives the output (what the fuzz
    /// target checks: no byte outside an edit changes).
    #[cfg_attr(not(any(test, feature = "fuzzing")), allow(dead_code, reason = "read by the fuzz target"))]
    pub(crate) history: Vec<(FileId, Vec<Edit>)>,
}

/// Fixes `files` in memory: safe fixes, and unsafe ones too when `unsafe_fixes`.
pub(crate) fn run(mut files: Vec<SourceFile>, registry: &Registry, config: &LintConfig, unsafe_fixes: bool) -> FixRun {
    let wanted = if unsafe_fixes { Applicability::Unsafe } else { Applicability::Safe };
    let originals: Vec<String> = files.iter().map(|f| f.text.clone()).collect();
    let mut frozen = vec![false; files.len()];
    let mut applied = Vec::new();
    let mut history = Vec::new();
    let mut discarded = Vec::new();
    let mut pending: BTreeMap<FileId, Pending> = BTreeMap::new();
    let mut pass = 0;
    loop {
        let changed: Changed = pending.iter().map(|(f, p)| (*f, validate::new_ranges(&p.edits))).collect();
        // The first lint builds the fixes' edits. Later ones first only check the last pass
        // (edits are not built and trees not kept, as in a plain lint); the edits are built again
        // only when something is left to fix, which is rare: most runs converge in one pass.
        let mut report = if pass == 0 {
            lint_for_fix(&files, registry, config, wanted, &changed)
        } else {
            lint_checking(&files, registry, config, &changed)
        };
        // This lint re-parsed the last pass's changes: a pass that broke a file is undone there.
        let changes = pending.iter().map(|(f, p)| (*f, validate::Change::new(&p.old, &p.edits))).collect();
        let broken = validate::judge(&report.checks, &files, &changes, config.limits);
        drop(changes);
        let reverted = !broken.is_empty();
        for (file, reason) in broken {
            let (Some(p), Some(slot)) = (pending.remove(&file), files.get_mut(file)) else { continue };
            *slot = SourceFile::new(slot.name.clone(), slot.path.clone(), slot.role, p.old.into_bytes());
            if let Some(f) = frozen.get_mut(file) {
                *f = true;
            }
            discarded.push(Discarded { file, pass: p.pass, codes: p.codes, reason });
        }
        for (file, p) in std::mem::take(&mut pending) {
            applied.extend(p.applied);
            history.push((file, p.edits));
        }
        if reverted {
            continue; // lint again: the report describes texts that were undone
        }
        for e in &report.errors {
            if let Some(id) = e.file_id {
                // A file with a parse error (or invalid UTF-8) is never edited.
                if let Some(f) = frozen.get_mut(id) {
                    *f = true;
                }
            }
        }
        let fixable = |d: &Diagnostic, frozen: &[bool]| {
            d.fix.as_ref().is_some_and(|f| f.applicability >= wanted)
                && !frozen.get(d.loc.file).copied().unwrap_or(true)
        };
        if pass > 0 && report.diagnostics.iter().any(|d| fixable(d, &frozen)) {
            // Something is left to fix (or a fix whose edits were refused, which only building
            // them tells): lint again with edits. The texts were checked above.
            report = lint_for_fix(&files, registry, config, wanted, &Changed::new());
        }
        let mut by_file: BTreeMap<FileId, Vec<&Diagnostic>> = BTreeMap::new();
        for d in &report.diagnostics {
            let Some(fix) = &d.fix else { continue };
            if fixable(d, &frozen) && !fix.edits.is_empty() {
                by_file.entry(d.loc.file).or_default().push(d);
            }
        }
        let nothing_left = by_file.is_empty();
        if nothing_left || pass >= MAX_PASSES {
            drop(by_file);
            let changed = files.iter().zip(&originals).map(|(f, o)| f.text != *o).collect();
            return FixRun { files, changed, applied, discarded, report, converged: nothing_left, history };
        }
        pass += 1;
        let results: Vec<(FileId, Option<Pending>)> = by_file
            .into_par_iter()
            .filter_map(|(file, diags)| Some((file, apply_pass(files.get(file)?, &diags, pass))))
            .collect();
        drop(report);
        for (file, result) in results {
            let (Some(mut p), Some(slot)) = (result, files.get_mut(file)) else { continue };
            let new = std::mem::take(&mut p.new_text);
            let fixed = SourceFile::new(slot.name.clone(), slot.path.clone(), slot.role, new.into_bytes());
            p.old = std::mem::replace(slot, fixed).text;
            pending.insert(file, p);
        }
    }
}

/// A pass's change to one file, until the next lint has checked it.
struct Pending {
    old: String,
    new_text: String,
    edits: Vec<Edit>,
    pass: usize,
    codes: Vec<&'static str>,
    applied: Vec<Applied>,
}

/// Chooses the fixes of one pass for one file and applies them.
fn apply_pass(source: &SourceFile, diags: &[&Diagnostic], pass: usize) -> Option<Pending> {
    let (edits, chosen) = choose(diags);
    let new_text = edit::apply(&source.text, &edits)?;
    Some(Pending {
        old: String::new(),
        new_text,
        edits,
        pass,
        codes: chosen.iter().map(|d| d.code).collect(),
        applied: chosen.iter().map(|d| Applied { code: d.code }).collect(),
    })
}

/// Fixes in order of their first edit (then code); a fix is taken only if none of its edits
/// overlaps an edit already taken. Two insertions at one offset overlap unless identical
/// (identical edits are applied once).
fn choose<'d>(diags: &[&'d Diagnostic]) -> (Vec<Edit>, Vec<&'d Diagnostic>) {
    let mut sorted: Vec<&Diagnostic> = diags.to_vec();
    sorted.sort_by_key(|d| {
        let first = d.fix.as_ref().and_then(|f| f.edits.first()).map(|e| (e.range.start, e.range.end));
        (first, d.code)
    });
    // Taken edits by (start, end): they are disjoint, so only neighbours can overlap a new one.
    let mut taken: BTreeMap<(usize, usize), Vec<Edit>> = BTreeMap::new();
    let mut chosen = Vec::new();
    for d in sorted {
        let Some(fix) = &d.fix else { continue };
        let mut new: Vec<&Edit> = Vec::new();
        let mut ok = true;
        for e in &fix.edits {
            let (start, end) = (e.range.start, e.range.end);
            let near = taken
                .range(..=(end, usize::MAX))
                .rev()
                .take_while(|((s, en), _)| *en >= start || *s >= start)
                .flat_map(|(_, es)| es.iter());
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
                taken.entry((e.range.start, e.range.end)).or_default().push(e.clone());
            }
            chosen.push(d);
        }
    }
    (taken.into_values().flatten().collect(), chosen)
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
mod tests;
