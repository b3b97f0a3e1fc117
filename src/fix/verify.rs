//! Checking one file's pass. The new text is split into chunks; a chunk whose bytes the pass did
//! not touch keeps its lint results (moved). The other chunks form regions (the old chunks a run
//! of edits touched, and the new chunks that replaced them): each region's new documents are
//! parsed once, compared as data with the old documents under the changes the fixes declared
//! (by data hash, and as JSON when the hash cannot tell), type-checked against k8s-openapi,
//! and linted for the next pass. Any difference refuses the fixes whose edits made the region.

use std::ops::Range;

use crate::change::{Change, Edit, NodePath};
use crate::k8s::{self, Kind, typed};
use crate::lint::{ChunkOutput, DocSummary, RunEnv, lint_docs, parse};
use crate::source::{FileId, SourceFile, split_documents};
use crate::yaml::json::to_json;
use crate::yaml::{Doc, Limits};

use super::declared::{Changes, Declared, compare, describe, old_hash};

/// How a pass changed a file's chunks.
pub(crate) struct Plan {
    /// Old chunks whose text is unchanged: (index in the old outputs, byte delta).
    pub(crate) reused: Vec<(usize, isize)>,
    pub(crate) regions: Vec<Region>,
}

/// Old chunks touched by the pass and the new chunks in their place.
pub(crate) struct Region {
    /// Indices into the file's old outputs.
    pub(crate) old: Range<usize>,
    /// New chunks (ranges of the new text).
    pub(crate) new: Vec<Range<usize>>,
    /// The old text's bytes the region covers (an insertion point when `old` is empty).
    pub(crate) span: Range<usize>,
    /// The start of the last document before the region (documents may be added after it).
    pub(crate) prev_doc: Option<usize>,
}

/// The indices of the chunks (`old`, in order) that an edit (sorted, disjoint) changes or
/// inserts text into (an insertion at a chunk's end counts for it: a document may be added).
pub(crate) fn touched_chunks(old: &[Range<usize>], edits: &[Edit]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut next = 0;
    for (i, r) in old.iter().enumerate() {
        while edits.get(next).is_some_and(|e| e.range.end < r.start || (e.range.end == r.start && !e.range.is_empty()))
        {
            next += 1;
        }
        let mut k = next;
        while let Some(e) = edits.get(k).filter(|e| e.range.start <= r.end) {
            let inside = if e.range.is_empty() {
                r.start < e.range.start && e.range.start <= r.end
            } else {
                e.range.start < r.end && r.start < e.range.end
            };
            if inside {
                out.push(i);
                break;
            }
            k += 1;
        }
    }
    out
}

/// Plans the check of a pass over a file whose old chunks are `old` (ranges, in order).
pub(crate) fn plan(old: &[Range<usize>], old_docs: &[&[DocSummary]], edits: &[Edit], new_text: &str) -> Plan {
    let new_chunks = split_documents(new_text);
    // One sweep over the chunks and the (sorted, disjoint) edits: `next` is the first edit that
    // does not end before the chunk, `delta` the size change of the edits before it.
    let mut next = 0;
    let mut delta: isize = 0;
    // Old chunk i is reused when its bytes are untouched and appear as one new chunk.
    let mut pairs: Vec<(usize, usize, isize)> = Vec::new();
    let mut j = 0;
    for (i, r) in old.iter().enumerate() {
        while let Some(e) = edits.get(next) {
            if e.range.end <= r.start && (e.range.start < r.start || e.range.is_empty()) {
                delta += e.content.len() as isize - e.range.len() as isize;
                next += 1;
            } else {
                break;
            }
        }
        let touched = edits.get(next).is_some_and(|e| {
            if e.range.is_empty() {
                r.start < e.range.start && e.range.start < r.end
            } else {
                e.range.start < r.end && r.start < e.range.end
            }
        });
        if touched {
            continue;
        }
        let start = crate::change::shift(r.start, delta);
        let want = start..start + r.len();
        while new_chunks.get(j).is_some_and(|c| c.start < want.start) {
            j += 1;
        }
        if new_chunks.get(j) == Some(&want) {
            pairs.push((i, j, delta));
            j += 1;
        }
    }
    let last_doc = |i: usize| old_docs.get(i).and_then(|d| d.last()).map(|d| d.start);
    let mut regions = Vec::new();
    let (mut oi, mut nj) = (0, 0);
    let mut prev_end = 0;
    let mut prev_doc: Option<usize> = None;
    for &(i, jj, _) in &pairs {
        if oi < i || nj < jj {
            regions.push(Region {
                old: oi..i,
                new: new_chunks.get(nj..jj).unwrap_or_default().to_vec(),
                span: region_span(old, oi..i, prev_end),
                prev_doc,
            });
        }
        prev_end = old.get(i).map_or(prev_end, |r| r.end);
        prev_doc = last_doc(i).or(prev_doc);
        oi = i + 1;
        nj = jj + 1;
    }
    if oi < old.len() || nj < new_chunks.len() {
        regions.push(Region {
            old: oi..old.len(),
            new: new_chunks.get(nj..).unwrap_or_default().to_vec(),
            span: region_span(old, oi..old.len(), prev_end),
            prev_doc,
        });
    }
    Plan { reused: pairs.iter().map(|(i, _, d)| (*i, *d)).collect(), regions }
}

/// The old bytes of chunks `idx` (or the point `at` when there are none).
fn region_span(old: &[Range<usize>], idx: Range<usize>, at: usize) -> Range<usize> {
    if idx.is_empty() {
        return at..at;
    }
    let s = old.get(idx.start).map_or(at, |r| r.start);
    let e = old.get(idx.end - 1).map_or(at, |r| r.end);
    s..e
}

/// The text before a pass, recovered from the text after it: the bytes between edits are the
/// same, and `replaced` holds what each edit replaced. (A pass does not keep the old text: with
/// the new one beside it, a pass would hold the input twice.)
pub(crate) struct OldText<'a> {
    pub(crate) new: &'a str,
    /// The pass's edits (sorted, disjoint, in old coordinates).
    pub(crate) edits: &'a [Edit],
    /// The old text each edit replaced.
    pub(crate) replaced: &'a [String],
}

impl OldText<'_> {
    /// The old text's length.
    pub(crate) fn len(&self) -> usize {
        let delta: isize = self.edits.iter().map(|e| e.content.len() as isize - e.range.len() as isize).sum();
        self.new.len().saturating_add_signed(-delta)
    }

    /// The old text of `range` (old coordinates; no edit may cross its ends).
    pub(crate) fn slice(&self, range: Range<usize>) -> String {
        let mut out = String::with_capacity(range.len());
        let mut delta: isize = 0;
        let mut pos = range.start;
        for (e, old) in self.edits.iter().zip(self.replaced) {
            let before = e.range.end < range.start
                || (e.range.end == range.start && (e.range.start < range.start || e.range.is_empty()));
            if before {
                delta += e.content.len() as isize - e.range.len() as isize;
                continue;
            }
            if e.range.start >= range.end {
                break;
            }
            let from = pos.saturating_add_signed(delta);
            let to = e.range.start.saturating_add_signed(delta);
            out.push_str(self.new.get(from..to).unwrap_or_default());
            out.push_str(old);
            delta += e.content.len() as isize - e.range.len() as isize;
            pos = e.range.end;
        }
        let from = pos.saturating_add_signed(delta);
        let to = range.end.saturating_add_signed(delta);
        out.push_str(self.new.get(from..to).unwrap_or_default());
        out
    }

    /// The whole old text.
    pub(crate) fn whole(&self) -> String {
        self.slice(0..self.len())
    }
}

/// A region's check failed: why.
pub(crate) struct Failure {
    pub(crate) reason: String,
}

/// A new document of a region and how it is checked.
enum Role {
    /// It replaces this old document (by start offset).
    Replaces(usize),
    /// A fix added it.
    Added,
}

/// Checks a region and, when `lint`, lints its new chunks (`ids`: their chunk ids).
#[allow(clippy::too_many_arguments, reason = "one region of one file's pass, with both versions of the file")]
pub(crate) fn check_region(
    run: &RunEnv<'_>,
    file: FileId,
    old_text: &OldText<'_>,
    old_outputs: &[ChunkOutput],
    region: &Region,
    changes: &Changes<'_>,
    ids: &[u32],
    lint: bool,
) -> Result<Vec<ChunkOutput>, Failure> {
    let limits = run.config.limits;
    let Some(new_source) = run.edits.files.get(file) else {
        return Err(Failure { reason: "internal error: no such file".into() });
    };
    let mut parsed: Vec<(Range<usize>, Vec<Doc<'_>>)> = Vec::new();
    for range in &region.new {
        let mut errors = Vec::new();
        let docs = parse(new_source, file, range.clone(), limits, &mut errors);
        if let Some(e) = errors.first() {
            let (line, col) = new_source.lines().line_col(&new_source.text, e.offset);
            return Err(Failure { reason: format!("the fixed file does not parse at {line}:{col}: {}", e.message) });
        }
        parsed.push((range.clone(), docs));
    }
    let old_docs: Vec<DocSummary> =
        old_outputs.get(region.old.clone()).unwrap_or_default().iter().flat_map(|o| o.docs.iter().copied()).collect();
    let old_ranges: Vec<Range<usize>> =
        old_outputs.get(region.old.clone()).unwrap_or_default().iter().map(|o| o.range.clone()).collect();
    let mut slow = OldDocs { old: old_text, span: region.span.clone(), ranges: old_ranges, limits, text: None };
    // Every new document's node hashes, computed once: for the comparison and the next pass.
    let node_hashes: Vec<Vec<Option<Vec<u64>>>> =
        parsed.iter().map(|(_, docs)| docs.iter().map(crate::yaml::hash::node_hashes).collect()).collect();
    let new_docs: Vec<(&Doc<'_>, Option<&Vec<u64>>)> = parsed
        .iter()
        .zip(&node_hashes)
        .flat_map(|((_, docs), hashes)| docs.iter().zip(hashes.iter().map(Option::as_ref)))
        .filter(|(d, _)| d.has_content())
        .collect();
    // Documents added at the start of the file (after no document) count before its first.
    let orphan_adds = if region.old.start == 0 && region.prev_doc.is_none() {
        let known: Vec<usize> = old_outputs.iter().flat_map(|o| o.docs.iter().map(|d| d.start)).collect();
        changes.added_at_start(&known)
    } else {
        0
    };
    let mut roles: Vec<Role> = Vec::new();
    for _ in 0..region.prev_doc.map_or(0, |p| changes.added_after(p)) + orphan_adds {
        roles.push(Role::Added);
    }
    for d in &old_docs {
        if d.content && !changes.removed(d.start) {
            roles.push(Role::Replaces(d.start));
        }
        for _ in 0..changes.added_after(d.start) {
            roles.push(Role::Added);
        }
    }
    if roles.len() != new_docs.len() {
        return Err(Failure {
            reason: format!(
                "the fixed text holds {} documents where the fixes declared {}",
                new_docs.len(),
                roles.len()
            ),
        });
    }
    for ((new, hashes), role) in new_docs.iter().zip(&roles) {
        match role {
            Role::Added => type_check(new, &new_source.text, None)?,
            Role::Replaces(start) => {
                let old = old_docs.iter().find(|d| d.start == *start).copied();
                let declared = Declared::of(*start, changes.of(*start).iter().copied());
                let fast = old.and_then(|o| o.hash).is_some_and(|h| {
                    hashes
                        .is_some_and(|hashes| new.root().and_then(|r| old_hash(r, hashes, Some(&declared))) == Some(h))
                });
                if !fast {
                    compare_slowly(&mut slow, *start, new, &declared)?;
                }
                type_check(new, &new_source.text, Some((&mut slow, *start)))?;
            }
        }
    }
    if !lint {
        return Ok(Vec::new());
    }
    Ok(parsed
        .iter()
        .zip(&node_hashes)
        .zip(ids)
        .map(|(((range, docs), hashes), id)| {
            let roots: Vec<Option<u64>> = hashes.iter().map(|h| h.as_ref().and_then(|h| h.first().copied())).collect();
            lint_docs(run, file, *id, range.clone(), docs, Some(&roots))
        })
        .collect())
}

/// The old documents of a region, recovered and parsed only when a slow check needs them.
struct OldDocs<'o> {
    old: &'o OldText<'o>,
    /// The region's old bytes, and its old chunks.
    span: Range<usize>,
    ranges: Vec<Range<usize>>,
    limits: Limits,
    text: Option<String>,
}

impl OldDocs<'_> {
    /// Runs `f` on the old document that started at `start` (with the region's old text, whose
    /// first byte was at `span.start`).
    fn with<R>(&mut self, start: usize, f: impl FnOnce(&Doc<'_>, &str) -> R) -> Option<R> {
        let base = self.span.start;
        let text: &str = self.text.get_or_insert_with(|| self.old.slice(self.span.clone()));
        for r in &self.ranges {
            let local = r.start.checked_sub(base)?..r.end.checked_sub(base)?;
            let (docs, _) = crate::yaml::parse_chunk(text, local, self.limits);
            if let Some(d) = docs.iter().find(|d| d.span.start + base == start) {
                return Some(f(d, text));
            }
        }
        None
    }
}

/// Compares a fixed document with the old one as JSON.
fn compare_slowly(old: &mut OldDocs<'_>, start: usize, new: &Doc<'_>, declared: &Declared) -> Result<(), Failure> {
    let cannot = || Failure {
        reason: "the document cannot be compared as data (a key that is a collection, or aliases that expand too \
                 far)"
            .into(),
    };
    let gone = || Failure { reason: "internal error: the old document is gone".into() };
    let o = old.with(start, |d, _| d.root().and_then(to_json)).ok_or_else(gone)?.ok_or_else(cannot)?;
    let n = new.root().and_then(to_json).ok_or_else(cannot)?;
    let d = (!declared.is_empty()).then_some(declared);
    compare(&o, &n, d, &NodePath::root()).map_err(|diff| Failure {
        reason: format!(
            "the edits would also change {} ({}), which the fix does not declare: the node may be shared through an \
             anchor, or a block scalar may end there",
            describe(&o, &diff.path),
            diff.what
        ),
    })
}

/// Type-checks the objects of a fixed or added document. A failure is accepted only when the
/// same object (or, for a renamed one, an object of the old document) failed the same way.
fn type_check(new: &Doc<'_>, text: &str, old: Option<(&mut OldDocs<'_>, usize)>) -> Result<(), Failure> {
    let objects = k8s::objects_in(new, text, 0, &[], crate::diag::ObjId::default());
    let objects: Vec<_> = objects.iter().filter(|o| o.kind != Kind::List).collect();
    let mut old = old;
    for (index, obj) in objects.iter().enumerate() {
        let r = &obj.info.object;
        let Err(error) = typed::check_node(&r.api_version, &r.kind, obj.root) else { continue };
        // Which of the objects with this identity it is (two items of a `List` may share one).
        let occurrence = objects.iter().take(index).filter(|o| o.info.object == *r).count();
        let was_broken = match old.as_mut() {
            Some((docs, start)) => docs
                .with(*start, |d, text| {
                    let before = k8s::objects_in(d, text, 0, &[], crate::diag::ObjId::default());
                    let before: Vec<_> = before.iter().filter(|o| o.kind != Kind::List).collect();
                    // The same object: the same occurrence of its identity in the old document
                    // (items added or removed around it do not matter).
                    let same = before.iter().filter(|o| o.info.object == *r).nth(occurrence);
                    match same {
                        Some(o) => typed::check_node(&r.api_version, &r.kind, o.root).is_err(),
                        None => before.iter().any(|o| {
                            let q = &o.info.object;
                            typed::check_node(&q.api_version, &q.kind, o.root).err().as_ref() == Some(&error)
                        }),
                    }
                })
                .unwrap_or(false),
            None => false,
        };
        if !was_broken {
            return Err(Failure {
                reason: format!(
                    "the fixed {} `{}` no longer deserializes as {} {}: {error}",
                    r.kind, r.name, r.api_version, r.kind
                ),
            });
        }
    }
    Ok(())
}

/// Checks a pass over a whole file the slow way: every document of the fixed file is compared as
/// JSON with the old one under the declared changes. Used for Helm values files (small: no
/// hashes) and by the fuzz target, which checks every kept pass of a run this way.
pub(crate) fn check_by_json(
    old: &SourceFile,
    new: Option<&SourceFile>,
    changes: &[&Change],
    limits: Limits,
) -> Result<(), Failure> {
    let changes = Changes::new(changes.iter().copied());
    let new = new.ok_or_else(|| Failure { reason: "internal error: no fixed file".into() })?;
    // A document of the old text that does not parse is never edited (stdin streams): it is left
    // out on both sides when it comes back as it was.
    let (old_docs, broken) = parse_all(old, limits, None)?;
    let (new_docs, _) = parse_all(new, limits, Some(&broken))?;
    let starts: Vec<usize> = old_docs.iter().map(|d| d.span.start).collect();
    let mut roles: Vec<Option<&Doc<'_>>> = vec![None; changes.added_at_start(&starts)];
    for d in &old_docs {
        if d.has_content() && !changes.removed(d.span.start) {
            roles.push(Some(d));
        }
        roles.extend(std::iter::repeat_n(None, changes.added_after(d.span.start)));
    }
    let fixed: Vec<&Doc<'_>> = new_docs.iter().filter(|d| d.has_content()).collect();
    if roles.len() != fixed.len() {
        return Err(Failure {
            reason: format!("the fixed file holds {} documents where the fixes declared {}", fixed.len(), roles.len()),
        });
    }
    let cannot = || Failure { reason: "the values file cannot be compared as data".into() };
    for (n, role) in fixed.iter().zip(roles) {
        let Some(o) = role else { continue };
        let declared = Declared::of(o.span.start, changes.of(o.span.start).iter().copied());
        let (Some(oj), Some(nj)) = (o.root().and_then(to_json), n.root().and_then(to_json)) else {
            // A document that is not data (a collection key): fine only when nothing in it was
            // to change and its text came back as it was.
            let same = old.text.get(o.span.clone()) == new.text.get(n.span.clone());
            if declared.is_empty() && same {
                continue;
            }
            return Err(cannot());
        };
        let d = (!declared.is_empty()).then_some(&declared);
        compare(&oj, &nj, d, &NodePath::root()).map_err(|diff| Failure {
            reason: format!(
                "the edits would also change {} ({}), which the fix does not declare",
                describe(&oj, &diff.path),
                diff.what
            ),
        })?;
    }
    Ok(())
}

/// Every document of a file, and the text of its chunks that do not parse. With `tolerated`, a
/// chunk that does not parse fails unless its text is one of them.
fn parse_all<'f>(
    f: &'f SourceFile,
    limits: Limits,
    tolerated: Option<&[&str]>,
) -> Result<(Vec<Doc<'f>>, Vec<&'f str>), Failure> {
    let mut all = Vec::new();
    let mut broken = Vec::new();
    for chunk in split_documents(&f.text) {
        let text = f.text.get(chunk.clone()).unwrap_or_default();
        let (docs, errors) = crate::yaml::parse_chunk(&f.text, chunk, limits);
        if let Some(e) = errors.first() {
            if tolerated.is_none_or(|t| t.contains(&text)) {
                broken.push(text);
                continue;
            }
            let (line, col) = f.lines().line_col(&f.text, e.offset);
            return Err(Failure { reason: format!("the fixed file does not parse at {line}:{col}: {}", e.message) });
        }
        all.extend(docs);
    }
    Ok((all, broken))
}
