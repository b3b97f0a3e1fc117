//! LL010 duplicate-key.

use crate::k8s::{Kind, Object};
use crate::lint::{Ctx, Rule};
use crate::yaml;

/// Finds mappings that hold the same key twice, in every object (a `List` reports the keys
/// outside its items; each item reports its own). Keys are compared by value, so `name` and
/// `"name"` are the same key; merge keys (`<<`) are not keys.
///
/// The first copy is a related location. When the mapping also holds a key such as
/// `---apiVersion` (a separator glued to the next line, so two documents became one mapping),
/// the message names that as the cause.
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
            let mapping = obj.get(&path.prefix(path.len().saturating_sub(1)));
            let glued =
                mapping.and_then(|m| m.entries().find_map(|(k, _)| k.scalar().filter(|s| is_glued_separator(s))));
            let message = match glued {
                Some(g) => format!(
                    "key `{name}` is set twice in this mapping because the document separator is glued to the next \
                     line (`{}`): YAML reads that line as a key, so two objects became one; put `---` on a line of \
                     its own",
                    short(g)
                ),
                None => format!(
                    "key `{name}` is set twice in this mapping: YAML tools disagree on which value wins and the API \
                     server's strict field validation rejects the object (leaselint reads the last one)"
                ),
            };
            let mut finding = cx.report(obj.key_at(&path), message);
            if let Some(first) = doc.node(dup.first) {
                // The path of a key names its last copy: the first copy is located by its span.
                let loc = crate::diag::Loc {
                    file: obj.info.file,
                    span: first.span(),
                    path: path.clone(),
                    object: Some(std::sync::Arc::clone(&obj.info)),
                };
                finding = finding.related(loc, format!("the first `{name}`"));
            }
            finding.emit();
        }
    }
}

/// A key that is a document separator glued to the line after it (`---apiVersion`, a real Helm
/// template bug: `---` must be followed by a space or a line end to separate documents).
fn is_glued_separator(key: &str) -> bool {
    key.strip_prefix("---").is_some_and(|rest| rest.chars().next().is_some_and(|c| !c.is_whitespace() && c != '-'))
}

/// The glued line as shown in the message (at most 40 characters).
fn short(key: &str) -> String {
    let shown: String = key.chars().take(40).collect();
    if shown.len() < key.len() { format!("{shown}…") } else { shown }
}
