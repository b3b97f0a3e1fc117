//! Validating a fixed file before it is kept: every changed part must parse, and every changed
//! object that type-checked against its k8s-openapi type before must still do so (objects that
//! were already invalid are held to parsing only; new objects must type-check).

use std::collections::HashMap;
use std::ops::Range;

use crate::diag::{Edit, ObjId};
use crate::k8s::{self, Kind, typed};
use crate::source::{FileRole, SourceFile, split_documents};
use crate::yaml::{Limits, json, parse_chunk};

type Key = (String, String, Option<String>, String);

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
    let new_lines = crate::source::LineIndex::new(new_text);
    let mut after: Vec<(Key, Result<bool, String>)> = Vec::new();
    for chunk in touched(new_text, &new_ranges) {
        let (docs, errors) = parse_chunk(new_text, chunk, Limits::default());
        if let Some(e) = errors.first() {
            let (line, col) = new_lines.line_col(new_text, e.offset);
            return Err(format!("the fixed file does not parse at {line}:{col}: {}", e.message));
        }
        if old.role == FileRole::HelmValues {
            continue;
        }
        for doc in &docs {
            after.extend(typed_objects(doc, new_text));
        }
    }
    if after.iter().all(|(_, r)| r.is_ok()) {
        return Ok(());
    }
    let mut before: HashMap<Key, bool> = HashMap::new();
    let mut old_errors: Vec<String> = Vec::new();
    for chunk in touched(&old.text, &old_ranges) {
        let (docs, _) = parse_chunk(&old.text, chunk, Limits::default());
        for doc in &docs {
            for (key, r) in typed_objects(doc, &old.text) {
                before.insert(key, r.is_ok());
                old_errors.extend(r.err());
            }
        }
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
fn typed_objects(doc: &crate::yaml::Doc<'_>, text: &str) -> Vec<(Key, Result<bool, String>)> {
    k8s::objects_in(doc, text, 0, &[], ObjId::default())
        .into_iter()
        .filter(|o| o.kind != Kind::List)
        .map(|o| {
            let r = &o.info.object;
            let key = (r.api_version.clone(), r.kind.clone(), r.namespace.clone(), r.name.clone());
            let result = match json::to_json(o.root) {
                Some(value) => typed::check(&r.api_version, &r.kind, &value),
                None => Err("the object cannot be read as JSON (an alias expands too far)".to_string()),
            };
            (key, result)
        })
        .collect()
}
