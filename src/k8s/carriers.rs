//! Lease carriers: the flags and env vars through which a workload names its lease (SPEC §3),
//! with `$(VAR)` references resolved through the container's env the way the kubelet does.

use crate::diag::Loc;
use crate::yaml::{NodePath, NodeRef};

use super::{Container, Object};

/// client-go's default leader-election retry period, seconds: how often a holder renews its
/// lease when the container sets no `--leader-elect-retry-period`.
pub(crate) const CLIENT_GO_RETRY_PERIOD_SECONDS: f64 = 2.0;

/// The configurable lists of carrier flags and env var patterns (`*` matches any text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CarrierNames {
    pub(crate) name_args: Vec<String>,
    pub(crate) namespace_args: Vec<String>,
    pub(crate) name_env: Vec<String>,
    pub(crate) namespace_env: Vec<String>,
}

impl Default for CarrierNames {
    fn default() -> Self {
        let v = |xs: &[&str]| xs.iter().map(|s| (*s).to_string()).collect();
        CarrierNames {
            name_args: v(&[
                "--lease-name",
                "--lease-lock-name",
                "--lock-name",
                "--leader-elect-resource-name",
                "--leader-election-id",
                "--election-id",
                "--leader-election-lease-name",
            ]),
            namespace_args: v(&[
                "--lease-namespace",
                "--leader-elect-resource-namespace",
                "--leader-election-namespace",
            ]),
            name_env: v(&["LEASE_NAME", "*_LEASE_NAME", "LEADER_ELECTION_ID", "ELECTION_ID", "LOCK_NAME"]),
            namespace_env: v(&["LEASE_NAMESPACE", "*_LEASE_NAMESPACE", "LEADER_ELECTION_NAMESPACE"]),
        }
    }
}

/// What a carrier names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CarrierRole {
    Name,
    Namespace,
}

/// A `$(VAR)` reference in a carrier's value and the downward-API field it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct VarRef {
    pub(crate) name: String,
    /// `valueFrom.fieldRef.fieldPath` of the variable (or of a variable its value refers to).
    pub(crate) field_path: Option<String>,
}

/// One place where a container names its lease or lease namespace.
#[derive(Clone, Debug)]
pub(crate) struct Carrier {
    pub(crate) role: CarrierRole,
    /// The flag (`--election-id`) or the env var name (`LEASE_NAME`).
    pub(crate) label: String,
    pub(crate) is_env: bool,
    pub(crate) container: String,
    /// The value as written (`$(POD_NAME)`, `my-lock`); `None` for an env var set by `valueFrom`.
    pub(crate) value: Option<String>,
    /// For an env var set by `valueFrom.fieldRef`: its `fieldPath`.
    pub(crate) field_path: Option<String>,
    pub(crate) refs: Vec<VarRef>,
    /// The node holding the value (the args item, the env `value` or `valueFrom`).
    pub(crate) loc: Loc,
    /// Path of the container in its object.
    pub(crate) container_path: NodePath,
    /// Where exactly the value is, for the fix.
    pub(crate) site: Site,
}

/// Where a carrier's value is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Site {
    /// An args/command item: the whole item, or `range` (bytes of the item's text) inside it.
    Item { range: Option<std::ops::Range<usize>> },
    /// The env var `env[index]`, set with `value`.
    EnvValue { index: usize },
    /// The env var `env[index]`, set with `valueFrom`.
    EnvValueFrom { index: usize },
}

/// Downward-API fields that differ per pod.
pub(crate) const POD_FIELDS: [&str; 2] = ["metadata.name", "spec.nodeName"];

impl Carrier {
    /// The pod field this value is derived from (`metadata.name`, `spec.nodeName`), directly or
    /// through a `$(VAR)`, with the variable's name when it came through one.
    pub(crate) fn pod_field(&self) -> Option<(&str, Option<&str>)> {
        if let Some(f) = self.field_path.as_deref().filter(|f| POD_FIELDS.contains(f)) {
            return Some((f, None));
        }
        self.refs.iter().find_map(|r| {
            let f = r.field_path.as_deref().filter(|f| POD_FIELDS.contains(f))?;
            Some((f, Some(r.name.as_str())))
        })
    }

    /// A value written as a literal (no `$(VAR)` and not from `valueFrom`).
    pub(crate) fn literal(&self) -> Option<&str> {
        let v = self.value.as_deref()?;
        (self.refs.is_empty() && !v.is_empty()).then_some(v)
    }
}

/// Every carrier of every container of `obj`'s pod.
pub(crate) fn find(obj: &Object<'_>, containers: &[Container<'_>], names: &CarrierNames) -> Vec<Carrier> {
    let mut out = Vec::new();
    for c in containers {
        let env = c.env();
        for list in ["command", "args"] {
            let Some(seq) = c.node.get(list) else { continue };
            let items: Vec<_> = seq.items().collect();
            for (i, item) in items.iter().enumerate() {
                let Some(text) = item.as_text().filter(|t| t.contains('-')) else { continue };
                for (flag, value, at_next) in flags_in(text, items.get(i + 1).and_then(|n| n.as_text())) {
                    let range = (!at_next).then(|| {
                        let start = value.as_ptr() as usize - text.as_ptr() as usize;
                        start..start + value.len()
                    });
                    let role = if matches_flag(&names.name_args, flag) {
                        CarrierRole::Name
                    } else if matches_flag(&names.namespace_args, flag) {
                        CarrierRole::Namespace
                    } else {
                        continue;
                    };
                    let index = if at_next { i + 1 } else { i };
                    out.push(Carrier {
                        role,
                        label: normalise_flag(flag),
                        is_env: false,
                        container: c.name.to_string(),
                        refs: resolve_refs(value, &env, env.len()),
                        value: Some(value.to_string()),
                        field_path: None,
                        loc: obj.at(&c.path.key(list).index(index)),
                        container_path: c.path.clone(),
                        site: Site::Item { range },
                    });
                }
            }
        }
        for &(idx, var, entry) in &env {
            let role = if names.name_env.iter().any(|p| glob(p, var)) {
                CarrierRole::Name
            } else if names.namespace_env.iter().any(|p| glob(p, var)) {
                CarrierRole::Namespace
            } else {
                continue;
            };
            let env_path = c.path.key("env").index(idx);
            let (value, field_path, loc, site) = match (entry.get("value"), field_ref(entry)) {
                (_, Some(f)) => {
                    (None, Some(f.to_string()), obj.at(&env_path.key("valueFrom")), Site::EnvValueFrom { index: idx })
                }
                (Some(v), None) => (
                    v.as_text().map(str::to_string),
                    None,
                    obj.at(&env_path.key("value")),
                    Site::EnvValue { index: idx },
                ),
                (None, None) if entry.get("valueFrom").is_some() => continue,
                (None, None) => (Some(String::new()), None, obj.at(&env_path), Site::EnvValue { index: idx }),
            };
            let refs = value.as_deref().map(|v| resolve_refs(v, &env, idx)).unwrap_or_default();
            out.push(Carrier {
                role,
                label: var.to_string(),
                is_env: true,
                container: c.name.to_string(),
                value,
                field_path,
                refs,
                loc,
                container_path: c.path.clone(),
                site,
            });
        }
    }
    out
}

/// Flags in one args item: `--flag=value` (also inside a shell command line) or `--flag`
/// followed by its value in the next item. Returns (flag, value, value is in the next item).
fn flags_in<'t>(item: &'t str, next: Option<&'t str>) -> Vec<(&'t str, &'t str, bool)> {
    let mut out = Vec::new();
    let tokens: Vec<&str> = item.split_whitespace().collect();
    let single = tokens.len() == 1;
    for (i, token) in tokens.iter().enumerate() {
        if !token.starts_with('-') {
            continue;
        }
        if let Some((flag, value)) = token.split_once('=') {
            out.push((flag, trim_quotes(value), false));
        } else if single {
            if let Some(next) = next.filter(|n| !n.starts_with('-')) {
                out.push((token, next, true));
            }
        } else if let Some(value) = tokens.get(i + 1).filter(|n| !n.starts_with('-')) {
            out.push((token, trim_quotes(value), false));
        }
    }
    out
}

fn trim_quotes(s: &str) -> &str {
    s.trim_matches(|c| c == '"' || c == '\'')
}

/// `--flag` and `-flag` (Go's flag package accepts both) match a configured `--flag`.
fn matches_flag(list: &[String], flag: &str) -> bool {
    let bare = flag.trim_start_matches('-');
    list.iter().any(|f| f.trim_start_matches('-') == bare)
}

fn normalise_flag(flag: &str) -> String {
    format!("--{}", flag.trim_start_matches('-'))
}

fn field_ref<'d>(entry: NodeRef<'d, 'd>) -> Option<&'d str> {
    entry.get("valueFrom")?.get("fieldRef")?.get("fieldPath")?.as_text()
}

/// `*` matches any run of characters; everything else literally.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let Some((first, tail)) = pattern.split_once('*') else { return pattern == text };
    let (middle, last) = tail.rsplit_once('*').unwrap_or(("", tail));
    if text.len() < first.len() + last.len() || !text.starts_with(first) || !text.ends_with(last) {
        return false;
    }
    let mut rest = text.get(first.len()..text.len() - last.len()).unwrap_or("");
    for part in middle.split('*').filter(|p| !p.is_empty()) {
        match rest.find(part) {
            Some(at) => rest = rest.get(at + part.len()..).unwrap_or(""),
            None => return false,
        }
    }
    true
}

/// The `$(VAR)` references of a value (`$$(VAR)` is an escaped literal).
pub(crate) fn var_refs(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let b = value.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        if b.get(i) == Some(&b'$') {
            match b.get(i + 1) {
                Some(b'$') => i += 2,
                Some(b'(') => {
                    if let Some(close) = value.get(i + 2..).and_then(|r| r.find(')')) {
                        if let Some(name) = value.get(i + 2..i + 2 + close) {
                            out.push(name);
                        }
                        i += close + 3;
                    } else {
                        break;
                    }
                }
                _ => i += 1,
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Resolves the references of `value` against env entries before index `before` (the kubelet
/// expands `$(VAR)` in env only from earlier entries, and in args from all of them).
fn resolve_refs(value: &str, env: &[(usize, &str, NodeRef<'_, '_>)], before: usize) -> Vec<VarRef> {
    var_refs(value)
        .into_iter()
        .map(|name| VarRef { name: name.to_string(), field_path: field_of(name, env, before, 0) })
        .collect()
}

fn field_of(name: &str, env: &[(usize, &str, NodeRef<'_, '_>)], before: usize, depth: usize) -> Option<String> {
    if depth > 8 {
        return None;
    }
    let &(idx, _, entry) = env.iter().rfind(|(i, n, _)| *i < before && *n == name)?;
    if let Some(f) = field_ref(entry) {
        return Some(f.to_string());
    }
    let value = entry.get("value")?.as_text()?;
    var_refs(value)
        .into_iter()
        .find_map(|inner| field_of(inner, env, idx, depth + 1).filter(|f| POD_FIELDS.contains(&f.as_str())))
}

#[cfg(test)]
mod tests {
    use super::{flags_in, glob, var_refs};

    #[test]
    fn env_patterns() {
        assert!(glob("*_LEASE_NAME", "CONTROLLER_LEASE_NAME"));
        assert!(!glob("*_LEASE_NAME", "LEASE_NAME"));
        assert!(!glob("*_LEASE_NAME", "X_LEASE_NAMESPACE"));
        assert!(glob("LEASE_NAME", "LEASE_NAME"));
        assert!(glob("A*B*C", "AxxBxC"));
        assert!(!glob("A*B*C", "AxxC"));
    }

    #[test]
    fn var_references() {
        assert_eq!(var_refs("$(POD_NAME)-lock"), vec!["POD_NAME"]);
        assert_eq!(var_refs("$$(ESCAPED) $(A)$(B)"), vec!["A", "B"]);
        assert_eq!(var_refs("plain $HOME ${X}"), Vec::<&str>::new());
        assert_eq!(var_refs("$(unclosed"), Vec::<&str>::new());
    }

    #[test]
    fn flags_joined_split_and_in_scripts() {
        assert_eq!(flags_in("--lease-name=x", None), vec![("--lease-name", "x", false)]);
        assert_eq!(flags_in("--lease-name", Some("x")), vec![("--lease-name", "x", true)]);
        assert_eq!(flags_in("--verbose", Some("--x")), vec![]);
        assert_eq!(
            flags_in("exec app --lease-name=$(POD_NAME) --election-id lock", None),
            vec![("--lease-name", "$(POD_NAME)", false), ("--election-id", "lock", false)]
        );
    }
}
