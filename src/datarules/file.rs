//! The user rule file format (SPEC §7): serde model with unknown keys rejected, and validation
//! of codes, kinds, JSONPath, regexes, bounds and message placeholders, each error pointing at
//! the file, line and column of the offending key or value.

use jsonpath_rust::parser::parse_json_path;
use serde::Deserialize;
use serde_json::Value;

use super::eval::{Op, as_number};
use super::{Assertion, DataRule, KindMatch, Namespaces};
use crate::diag::Severity;
use crate::lint::{FixKind, RuleMeta, meta::Examples};
use crate::yaml::{FileError, NodePath};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RuleFile {
    code: String,
    name: String,
    severity: Severity,
    /// A group name that `--select`, `--ignore` and the config's `rules` accept (optional).
    group: Option<String>,
    summary: String,
    #[serde(default)]
    rationale: String,
    #[serde(default)]
    remediation: String,
    examples: Option<Examples>,
    help_uri: Option<String>,
    #[serde(rename = "match")]
    matches: MatchFile,
    #[serde(rename = "assert")]
    asserts: Vec<AssertFile>,
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchFile {
    kinds: Vec<KindFile>,
    namespaces: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum KindFile {
    Kind(String),
    Full {
        #[serde(rename = "apiVersion")]
        api_version: String,
        kind: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AssertFile {
    path: String,
    exists: Option<bool>,
    equals: Option<Value>,
    matches: Option<String>,
    #[serde(rename = "in")]
    one_of: Option<Vec<Value>>,
    less_or_equal: Option<Value>,
    message: Option<String>,
}

/// The placeholders a message may use.
const PLACEHOLDERS: [&str; 7] = ["kind", "name", "namespace", "apiVersion", "path", "value", "reason"];

/// Parses the rules of one file (one rule per YAML document).
pub(crate) fn load(name: &str, text: &str) -> Result<Vec<DataRule>, FileError> {
    let mut rules = Vec::new();
    for doc in yaml_serde::Deserializer::from_str(text) {
        let parsed = Option::<RuleFile>::deserialize(doc).map_err(|e| {
            FileError::from_serde(name, text, 0, &e).help("a rule has code, name, severity, summary, match, assert")
        })?;
        // Documents without content (only comments) are skipped here and when locating.
        let Some(file) = parsed else { continue };
        let index = rules.len();
        let at = |path: NodePath, message: String| FileError::at_node(name, text, index, &path, false, message);
        rules.push(validate(file, name, &at)?);
    }
    Ok(rules)
}

fn validate(f: RuleFile, origin: &str, at: &dyn Fn(NodePath, String) -> FileError) -> Result<DataRule, FileError> {
    let code_ok = !f.code.is_empty() && f.code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !code_ok || f.code.to_ascii_uppercase().starts_with("LL") {
        return Err(at(
            NodePath::keys(&["code"]),
            format!(
                "`{}` cannot be a user rule code: use letters, digits, `-` or `_`, not starting with `LL` (kept for built-in rules)",
                f.code
            ),
        ));
    }
    let name_ok =
        !f.name.is_empty() && f.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !name_ok {
        return Err(at(
            NodePath::keys(&["name"]),
            format!("rule names are kebab-case (`missing-priority-class`), not `{}`", f.name),
        ));
    }
    if f.matches.kinds.is_empty() {
        return Err(at(NodePath::keys(&["match", "kinds"]), "`kinds` lists at least one kind (or `\"*\"`)".into()));
    }
    let kinds = f
        .matches
        .kinds
        .into_iter()
        .map(|k| match k {
            KindFile::Kind(kind) => KindMatch { api_version: None, kind },
            KindFile::Full { api_version, kind } => KindMatch { api_version: Some(api_version), kind },
        })
        .collect();
    let namespaces = match f.matches.namespaces {
        None => None,
        Some(globs) => {
            let (mut include, mut exclude) = (globset::GlobSetBuilder::new(), globset::GlobSetBuilder::new());
            let mut any_include = false;
            for (i, g) in globs.iter().enumerate() {
                let (negated, pattern) = g.strip_prefix('!').map_or((false, g.as_str()), |p| (true, p));
                let glob = globset::Glob::new(pattern).map_err(|e| {
                    at(NodePath::keys(&["match", "namespaces"]).index(i), format!("invalid glob `{g}`: {e}"))
                })?;
                if negated {
                    exclude.add(glob);
                } else {
                    any_include = true;
                    include.add(glob);
                }
            }
            if !any_include {
                include.add(globset::Glob::new("*").map_err(|e| at(NodePath::keys(&["match"]), e.to_string()))?);
            }
            let build = |b: globset::GlobSetBuilder| {
                b.build().map_err(|e| at(NodePath::keys(&["match", "namespaces"]), e.to_string()))
            };
            Some(Namespaces { include: build(include)?, exclude: build(exclude)? })
        }
    };
    if f.asserts.is_empty() {
        return Err(at(NodePath::keys(&["assert"]), "`assert` lists at least one assertion".into()));
    }
    let mut asserts = Vec::new();
    for (i, a) in f.asserts.into_iter().enumerate() {
        asserts.push(assertion(a, NodePath::keys(&["assert"]).index(i), at)?);
    }
    for (path, message) in std::iter::once((NodePath::keys(&["message"]), f.message.as_deref())).chain(
        asserts
            .iter()
            .enumerate()
            .map(|(i, a)| (NodePath::keys(&["assert"]).index(i).key("message"), a.message.as_deref())),
    ) {
        if let Some(unknown) = message.and_then(unknown_placeholder) {
            return Err(at(
                path,
                format!(
                    "unknown placeholder `{{{unknown}}}`; messages may use {}",
                    PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                ),
            ));
        }
    }
    let meta = RuleMeta {
        code: f.code,
        name: f.name,
        severity: f.severity,
        fix: FixKind::None,
        group: f.group,
        summary: f.summary,
        rationale: f.rationale,
        remediation: f.remediation,
        examples: f.examples,
        aliases: Vec::new(),
        help_uri: f.help_uri,
        origin: Some(origin.to_string()),
    };
    Ok(DataRule::new(meta, kinds, namespaces, asserts, f.message))
}

fn assertion(
    a: AssertFile,
    at_path: NodePath,
    at: &dyn Fn(NodePath, String) -> FileError,
) -> Result<Assertion, FileError> {
    let query = parse_json_path(&a.path).map_err(|e| {
        let detail = e.to_string().lines().next().unwrap_or_default().to_string();
        at(at_path.key("path"), format!("`{}` is not a JSONPath (RFC 9535) query: {detail}", a.path))
    })?;
    let mut ops = Vec::new();
    if let Some(e) = a.exists {
        ops.push(Op::Exists(e));
    }
    if let Some(v) = a.equals {
        ops.push(Op::Equals(v));
    }
    if let Some(re) = &a.matches {
        let regex = regex::Regex::new(re)
            .map_err(|e| at(at_path.key("matches"), format!("`{re}` is not a regular expression: {e}")))?;
        ops.push(Op::Matches(regex));
    }
    if let Some(list) = a.one_of {
        ops.push(Op::In(list));
    }
    if let Some(bound) = &a.less_or_equal {
        let max = as_number(bound).ok_or_else(|| {
            at(
                at_path.key("lessOrEqual"),
                format!("`lessOrEqual` takes a number or a quantity such as `4Gi`, not {bound}"),
            )
        })?;
        let shown = match bound {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        ops.push(Op::LessOrEqual(shown, max));
    }
    if ops.is_empty() {
        return Err(at(at_path, "an assertion needs an operator: exists, equals, matches, in or lessOrEqual".into()));
    }
    Ok(Assertion { path: a.path, query, ops, message: a.message })
}

/// The first `{placeholder}` of `message` that is not a known one.
fn unknown_placeholder(message: &str) -> Option<String> {
    let mut rest = message;
    while let Some(open) = rest.find('{') {
        let after = rest.get(open + 1..)?;
        let close = after.find('}')?;
        let name = after.get(..close)?;
        if !PLACEHOLDERS.contains(&name) {
            return Some(name.to_string());
        }
        rest = after.get(close + 1..)?;
    }
    None
}
