//! LL010 duplicate-key.

use crate::k8s::{Kind, Object};
use crate::lint::{Ctx, Rule};
use crate::yaml;

/// Finds mappings that hold the same key twice, in every object (a `List` reports the keys
/// outside its items; each item reports its own). Keys are compared by value, so `name` and
/// `"name"` are the same key; merge keys (`<<`) are not keys.
///
/// No fix: which value was meant is for a person to decide.
pub(crate) struct DuplicateKey;

impl Rule for DuplicateKey {
    fn code(&self) -> &'static str {
        "LL010"
    }

    fn name(&self) -> &'static str {
        "duplicate-key"
    }

    fn check_object(&self, obj: &Object<'_>, cx: &mut Ctx<'_>) {
        let doc = obj.root.doc;
        if doc.duplicates.is_empty() {
            return;
        }
        let own = obj.root.subtree();
        let items: Vec<_> = if obj.kind == Kind::List {
            obj.root.get("items").into_iter().flat_map(|s| s.items()).map(|i| i.subtree()).collect()
        } else {
            Vec::new()
        };
        for dup in &doc.duplicates {
            if !own.contains(&dup.later) || items.iter().any(|r| r.contains(&dup.later)) {
                continue;
            }
            let Some(key) = doc.node(dup.later) else { continue };
            let Some(path) = yaml::path_to(obj.root, dup.later) else { continue };
            let name = key.scalar().unwrap_or_default();
            let message = format!(
                "key `{name}` is set twice in this mapping: YAML tools disagree on which value wins and the \
                 API server's strict field validation rejects the object (leaselint reads the last one)"
            );
            cx.report(obj.key_at(&path), message).emit();
        }
    }
}
