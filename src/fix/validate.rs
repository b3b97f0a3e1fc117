//! Judging a fix pass: the next pass's lint parses and type-checks every part of a file that the
//! pass changed (`lint::Check`). A changed part that does not parse, or an object that no longer
//! type-checks against its k8s-openapi type, breaks the pass for that file. Objects that were
//! already invalid before the pass are held to parsing only; a renamed or new object must
//! type-check unless it fails exactly as an object of the old part did.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::diag::{Edit, ObjId};
use crate::k8s::{self, Kind, typed};
use crate::lint::{Check, ObjectKey};
use crate::source::{FileId, SourceFile, split_documents};
use crate::yaml::{Doc, Limits, parse_chunk};

/// An object and its type-check result (`Ok(false)`: leaselint has no type for it).
type Checked = (ObjectKey, Result<bool, String>);

/// What a pass changed in one file.
pub(crate) struct Change<'a> {
    /// The text before the pass.
    pub(crate) old: &'a str,
    /// The pass's edits, sorted, in the old text's coordinates.
    pub(crate) edits: &'a [Edit],
    /// The old text's chunks, split when first needed.
    pub(crate) old_chunks: std::cell::OnceCell<Vec<Range<usize>>>,
}

impl<'a> Change<'a> {
    pub(crate) fn new(old: &'a str, edits: &'a [Edit]) -> Self {
        Change { old, edits, old_chunks: std::cell::OnceCell::new() }
    }
}

/// The ranges of the new text that `edits` wrote (sorted, disjoint).
pub(crate) fn new_ranges(edits: &[Edit]) -> Vec<Range<usize>> {
    let mut delta: isize = 0;
    edits
        .iter()
        .map(|e| {
            let start = e.range.start.saturating_add_signed(delta);
            delta += e.content.len() as isize - e.range.len() as isize;
            start..start + e.content.len()
        })
        .collect()
}

/// The offset in the old text of `new` (a position in the new text outside the edits).
fn old_offset(edits: &[Edit], new: usize) -> usize {
    let mut delta: isize = 0;
    for e in edits {
        let new_start = e.range.start.saturating_add_signed(delta);
        if new_start > new {
            break;
        }
        delta += e.content.len() as isize - e.range.len() as isize;
    }
    new.saturating_add_signed(-delta)
}

/// The files whose last pass broke something, with the reason.
pub(crate) fn judge(
    checks: &[Check],
    files: &[SourceFile],
    changes: &BTreeMap<FileId, Change<'_>>,
    limits: Limits,
) -> BTreeMap<FileId, String> {
    let mut broken = BTreeMap::new();
    for check in checks {
        match check {
            Check::Parse { file, offset, message } => {
                if changes.contains_key(file) && !broken.contains_key(file) {
                    let (line, col) = files.get(*file).map_or((1, 1), |f| f.lines.line_col(&f.text, *offset));
                    broken.insert(*file, format!("the fixed file does not parse at {line}:{col}: {message}"));
                }
            }
            Check::Type { file, chunk, key, error } => {
                let Some(change) = changes.get(file) else { continue };
                if broken.contains_key(file) {
                    continue;
                }
                if breaks(change, chunk, key, error, limits) {
                    broken.insert(*file, format!("{} `{}` no longer type-checks as {}: {error}", key.1, key.3, key.0));
                }
            }
        }
    }
    broken
}

/// Whether a type failure of `key` in the new `chunk` is new (the pass caused it).
fn breaks(change: &Change<'_>, chunk: &Range<usize>, key: &ObjectKey, error: &str, limits: Limits) -> bool {
    let at = old_offset(change.edits, chunk.start);
    let old_chunks = change.old_chunks.get_or_init(|| split_documents(change.old));
    // The old chunk at that place, and its neighbours (documents may have been added or removed).
    let i = old_chunks.partition_point(|c| c.end <= at).min(old_chunks.len().saturating_sub(1));
    let before: Vec<Checked> = old_chunks
        .get(i.saturating_sub(1)..(i + 2).min(old_chunks.len()))
        .unwrap_or_default()
        .iter()
        .flat_map(|c| {
            let (docs, _) = parse_chunk(change.old, c.clone(), limits);
            docs.iter().flat_map(|d| typed_objects(d, change.old)).collect::<Vec<_>>()
        })
        .collect();
    match before.iter().find(|(k, _)| k == key) {
        Some((_, result)) => result.is_ok(),
        None => !before.iter().any(|(_, r)| r.as_ref().err().is_some_and(|e| e == error)),
    }
}

/// The objects of a document with their type-check result.
fn typed_objects(doc: &Doc<'_>, text: &str) -> Vec<Checked> {
    k8s::objects_in(doc, text, 0, &[], ObjId::default())
        .into_iter()
        .filter(|o| o.kind != Kind::List)
        .map(|o| {
            let r = &o.info.object;
            let key = (r.api_version.clone(), r.kind.clone(), r.namespace.clone(), r.name.clone());
            let result = typed::check_node(&r.api_version, &r.kind, o.root);
            (key, result)
        })
        .collect()
}
