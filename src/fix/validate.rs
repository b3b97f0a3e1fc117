//! Validating a fixed file before it is kept: every changed part must parse, and every changed
//! object that type-checked against its k8s-openapi type before must still do so (objects that
//! were already invalid are held to parsing only; new objects must type-check).

use std::collections::HashMap;
use std::ops::Range;

use rayon::prelude::*;

use crate::diag::{Edit, ObjId};
use crate::k8s::{self, Kind, typed};
use crate::source::{FileRole, SourceFile, split_documents};
use crate::yaml::{Limits, json, parse_chunk};

type Key = (String, String, Option<String>, String);

/// An object and whether it type-checks (`Ok(false)`: leaselint has no type for it).
type Checked = (Key, Result<bool, String>);

/// Checks the new text of `old` after `edits` (sorted, disjoint, in old coordinates).
pub(crate) fn check(old: &SourceFile, new_text: &str, edits: &[Edit]) -> Result<(), String> {
    let old_ranges: Vec<Range<usize>> = edits.iter().map(|e| e.range.clone()).collect();
    let mut delta: isize = 0;
    let mut new_ranges = Vec::with_capacity(edits.len());
    for e in edits {
        let start = e.range.start.saturating_add_signed(delta);
        new_ranges.push(start..start + e.content.len());
        delta += e.content.len() as isize - e.range.len() as isize;
    }
    let typed = old.role != FileRole::HelmValues;
    let checked: Vec<Result<Vec<Checked>, usize>> = touched(new_text, &new_ranges)
        .into_par_iter()
        .map(|chunk| {
            let (docs, errors) = parse_chunk(new_text, chunk, Limits::default());
            if let Some(e) = errors.first() {
                return Err(e.offset);
            }
            Ok(if typed { docs.iter().flat_map(|d| typed_objects(d, new_text)).collect() } else { Vec::new() })
        })
        .collect();
    let mut after: Vec<Checked> = Vec::new();
    for c in checked {
        match c {
            Ok(objects) => after.extend(objects.into_iter().filter(|(_, r)| r.is_err())),
            Err(offset) => {
                let (docs, errors) = parse_chunk(new_text, 0..new_text.len(), Limits::default());
                drop(docs);
                let message = errors.first().map_or_else(String::new, |e| e.message.clone());
                let (line, col) = crate::source::LineIndex::new(new_text).line_col(new_text, offset);
                return Err(format!("the fixed file does not parse at {line}:{col}: {message}"));
            }
        }
    }
    if after.is_empty() {
        return Ok(());
    }
    // Only objects that fail now are looked up in the old text.
    let failing: std::collections::HashSet<&Key> = after.iter().map(|(k, _)| k).collect();
    let old_results: Vec<Checked> = touched(&old.text, &old_ranges)
        .into_par_iter()
        .flat_map_iter(|chunk| {
            let (docs, _) = parse_chunk(&old.text, chunk, Limits::default());
            docs.iter().flat_map(|d| typed_objects_where(d, &old.text, &|k| failing.contains(k))).collect::<Vec<_>>()
        })
        .collect();
    let mut before: HashMap<Key, bool> = HashMap::new();
    let mut old_errors: Vec<String> = Vec::new();
    for (key, r) in old_results {
        before.insert(key, r.is_ok());
        old_errors.extend(r.err());
    }
    if after.iter().any(|(k, _)| !before.contains_key(k)) {
        // A renamed or new object fails: compare with every failure of the edited region.
        old_errors = touched(&old.text, &old_ranges)
            .into_par_iter()
            .flat_map_iter(|chunk| {
                let (docs, _) = parse_chunk(&old.text, chunk, Limits::default());
                docs.iter().flat_map(|d| typed_objects(d, &old.text)).filter_map(|(_, r)| r.err()).collect::<Vec<_>>()
            })
            .collect();
    }
    for (key, r) in after {
        if let Err(e) = r {
            // Known and valid before: the fix broke it. Renamed or new: it must be valid unless
            // it fails exactly as an object of the edited region already did.
            let broke = match before.get(&key) {
                Some(valid) => *valid,
                None => !old_errors.contains(&e),
            };
            if broke {
                return Err(format!("{} `{}` no longer type-checks as {}: {e}", key.1, key.3, key.0));
            }
        }
    }
    Ok(())
}

/// The chunks of `text` that overlap or touch any of `ranges`.
fn touched(text: &str, ranges: &[Range<usize>]) -> Vec<Range<usize>> {
    split_documents(text).into_iter().filter(|c| ranges.iter().any(|r| r.start <= c.end && c.start <= r.end)).collect()
}

/// The objects of a document with their type-check result.
fn typed_objects(doc: &crate::yaml::Doc<'_>, text: &str) -> Vec<Checked> {
    typed_objects_where(doc, text, &|_| true)
}

/// Like [`typed_objects`], for the objects whose key passes `wanted`.
fn typed_objects_where(doc: &crate::yaml::Doc<'_>, text: &str, wanted: &dyn Fn(&Key) -> bool) -> Vec<Checked> {
    k8s::objects_in(doc, text, 0, &[], ObjId::default())
        .into_iter()
        .filter(|o| o.kind != Kind::List)
        .filter_map(|o| {
            let r = &o.info.object;
            let key = (r.api_version.clone(), r.kind.clone(), r.namespace.clone(), r.name.clone());
            if !wanted(&key) {
                return None;
            }
            let result = match json::to_json(o.root) {
                Some(value) => typed::check(&r.api_version, &r.kind, value),
                None => Err("the object cannot be read as JSON (an alias expands too far)".to_string()),
            };
            Some((key, result))
        })
        .collect()
}
