//! Data rules: rules declared in YAML with JSONPath assertions (SPEC §7), loaded from the user's
//! rule directories and run through the same `Rule` trait as the built-in rules. Uses `lint`,
//! `k8s`, `yaml`, `diag`; never `output`, `fix` or `cli` (the CLI reads the files).

mod eval;
mod file;

use jsonpath_rust::parser::model::JpQuery;

use crate::k8s::{Kind, Object};
use crate::lint::{Ctx, Rule, RuleMeta};

pub(crate) use file::load;

/// A kind a rule matches: `Deployment` (any apiVersion), `*`, or an exact apiVersion and kind.
#[derive(Debug)]
pub(crate) struct KindMatch {
    api_version: Option<String>,
    kind: String,
}

impl KindMatch {
    fn matches(&self, api_version: &str, kind: &str) -> bool {
        (self.kind == "*" || self.kind == kind) && self.api_version.as_deref().is_none_or(|a| a == api_version)
    }
}

/// The namespaces a rule matches: any `include` glob and no `exclude` (`!glob`) glob. Objects
/// without a namespace are matched as the empty name.
#[derive(Debug)]
pub(crate) struct Namespaces {
    include: globset::GlobSet,
    exclude: globset::GlobSet,
}

impl Namespaces {
    fn matches(&self, namespace: &str) -> bool {
        self.include.is_match(namespace) && !self.exclude.is_match(namespace)
    }
}

/// One JSONPath assertion.
#[derive(Debug)]
pub(crate) struct Assertion {
    /// As written, for messages.
    path: String,
    query: JpQuery,
    ops: Vec<eval::Op>,
    /// Overrides the rule's message.
    message: Option<String>,
}

/// A rule from a user rule file.
#[derive(Debug)]
pub(crate) struct DataRule {
    meta: RuleMeta,
    /// The code and name, for the `Rule` trait (leaked once per loaded rule: they live as long
    /// as the process).
    code: &'static str,
    name: &'static str,
    kinds: Vec<KindMatch>,
    namespaces: Option<Namespaces>,
    asserts: Vec<Assertion>,
    message: Option<String>,
}

impl DataRule {
    fn new(
        meta: RuleMeta,
        kinds: Vec<KindMatch>,
        namespaces: Option<Namespaces>,
        asserts: Vec<Assertion>,
        message: Option<String>,
    ) -> Self {
        let code: &'static str = Box::leak(meta.code.clone().into_boxed_str());
        let name: &'static str = Box::leak(meta.name.clone().into_boxed_str());
        DataRule { meta, code, name, kinds, namespaces, asserts, message }
    }

    /// The file the rule came from.
    pub(crate) fn origin(&self) -> &str {
        self.meta.origin.as_deref().unwrap_or_default()
    }

    fn applies_to(&self, obj: &Object<'_>) -> bool {
        let r = &obj.info.object;
        let kind_ok =
            self.kinds.iter().any(|k| k.matches(&r.api_version, &r.kind) && (obj.kind != Kind::List || k.kind != "*"));
        kind_ok && self.namespaces.as_ref().is_none_or(|n| n.matches(r.namespace.as_deref().unwrap_or_default()))
    }
}

/// Fills `{kind}`, `{name}`, `{namespace}`, `{apiVersion}`, `{path}`, `{value}` and `{reason}`.
fn expand(template: &str, obj: &Object<'_>, path: &str, value: &str, reason: &str) -> String {
    let r = &obj.info.object;
    template
        .replace("{kind}", &r.kind)
        .replace("{name}", &r.name)
        .replace("{namespace}", r.namespace.as_deref().unwrap_or(""))
        .replace("{apiVersion}", &r.api_version)
        .replace("{path}", path)
        .replace("{value}", value)
        .replace("{reason}", reason)
}

impl Rule for DataRule {
    fn code(&self) -> &'static str {
        self.code
    }

    fn name(&self) -> &'static str {
        self.name
    }

    fn meta(&self) -> Option<&RuleMeta> {
        Some(&self.meta)
    }

    fn check_object(&self, obj: &Object<'_>, cx: &mut Ctx<'_>) {
        if !self.applies_to(obj) {
            return;
        }
        let Some(json) = obj.json() else { return };
        for a in &self.asserts {
            for failure in eval::check(&a.query, &a.ops, json) {
                let path = failure.path.to_string();
                let value = failure.value.as_ref().map(eval::show).unwrap_or_default();
                let message = match a.message.as_deref().or(self.message.as_deref()) {
                    Some(template) => expand(template, obj, &path, &value, &failure.reason),
                    None => {
                        let shown = if path.is_empty() { "the object".to_string() } else { format!("`{path}`") };
                        format!("{shown} {} (`{}`)", failure.reason, a.path)
                    }
                };
                cx.report(obj.at(&failure.path), message).emit();
            }
        }
    }
}
