//! A small reader of the POSIX shell scripts containers run (`sh -c '…'`, `bash -c "…"`): words
//! with their quotes removed, and the statements they form — simple commands, `&&`/`||` lists,
//! pipelines, `if`, `while`/`until`, `for`, `case`, `{ }` and `( )` groups, functions. Enough
//! to follow what an etcd maintenance script runs and under which condition; not a shell: it
//! never expands globs and never fails (what it cannot read becomes words). Uses nothing of ours.

/// A statement of a script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stmt {
    /// `A=1 cmd arg > file`: the leading assignments, the words, the redirection targets.
    Simple { assigns: Vec<(String, String)>, words: Vec<String>, redirects: Vec<String> },
    /// `a && b || c`: the first statement, then each connector (`true` for `&&`) and statement.
    AndOr(Box<Stmt>, Vec<(bool, Stmt)>),
    /// `a | b | c`.
    Pipeline(Vec<Stmt>),
    /// `if c; then b; elif c; then b; else e; fi`.
    If { arms: Vec<(Vec<Stmt>, Vec<Stmt>)>, otherwise: Vec<Stmt> },
    /// `while c; do b; done` (`until` when `until`).
    Loop { until: bool, cond: Vec<Stmt>, body: Vec<Stmt> },
    /// `for var in items; do body; done` (`items` is `None` for `for var; do`, the arguments).
    For { var: String, items: Option<Vec<String>>, body: Vec<Stmt> },
    /// `case word in pat) body;; esac`.
    Case { word: String, arms: Vec<Vec<Stmt>> },
    /// `{ …; }` or `( … )`.
    Group(Vec<Stmt>),
    /// `name() { … }` or `function name { … }`.
    Function { name: String, body: Vec<Stmt> },
}

mod lex;
mod parse;

pub(crate) use parse::parse;

/// The shells whose `-c` runs a script.
pub(crate) fn is_shell(word: &str) -> bool {
    matches!(basename(word), "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh" | "busybox")
}

/// The script of a shell invocation `sh [-e…] -c SCRIPT …` given as words, with its index.
pub(crate) fn script_of<S: AsRef<str>>(words: &[S]) -> Option<(usize, &str)> {
    let first = words.first()?.as_ref();
    if !is_shell(first) {
        return None;
    }
    let mut i = 1;
    // `busybox sh -c`
    if basename(first) == "busybox" && words.get(1).is_some_and(|w| is_shell(w.as_ref())) {
        i = 2;
    }
    while let Some(w) = words.get(i).map(AsRef::as_ref) {
        if w.starts_with("--") || !w.starts_with('-') {
            return None;
        }
        i += 1;
        // `-c`, `-ec`, `-xc`, `-euxc`: a cluster of one-letter options that holds `c`.
        if w.contains('c') && !w.contains('o') {
            return words.get(i).map(|s| (i, s.as_ref()));
        }
        if w == "-o" {
            i += 1; // `-o pipefail`
        }
    }
    None
}

/// The last path segment of a command (`/usr/local/bin/etcd` → `etcd`).
pub(crate) fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// Commands that run the next word as the program (`exec etcd`, `tini -- etcd`, `timeout 60
/// etcdctl …`, `xargs -n1 etcdctl …`); what follows them is options, assignments and, for
/// `timeout`, a duration, which each caller skips as its command line needs.
pub(crate) fn is_wrapper(word: &str) -> bool {
    matches!(
        basename(word),
        "exec"
            | "command"
            | "nohup"
            | "sudo"
            | "time"
            | "env"
            | "nice"
            | "ionice"
            | "chrt"
            | "taskset"
            | "tini"
            | "dumb-init"
            | "timeout"
            | "xargs"
            | "--"
    )
}

/// `NAME=value` as (name, value).
pub(crate) fn assignment(word: &str) -> Option<(&str, &str)> {
    let (name, value) = word.split_once('=')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    ((first.is_ascii_alphabetic() || first == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some((name, value))
}

/// The names a text refers to as `$NAME`, `${NAME…}` or by name in `$(( arithmetic ))`
/// (not `$(…)`).
pub(crate) fn var_refs(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        rest = rest.get(at + 1..).unwrap_or_default();
        if let Some(arith) = rest.strip_prefix("((") {
            let inner = arith.get(..arith.find("))").unwrap_or(arith.len())).unwrap_or_default();
            out.extend(
                inner
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .filter(|w| w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')),
            );
            continue;
        }
        let body = rest.strip_prefix('{').unwrap_or(rest);
        let end = body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(body.len());
        if let Some(name) = body.get(..end).filter(|n| !n.is_empty()) {
            out.push(name);
        }
    }
    out
}

/// Replaces `$NAME`, `${NAME}` and `${NAME:-default}` by what `lookup` knows; `None` when a
/// reference (or a command substitution) stays unknown.
pub(crate) fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let after = rest.get(at + 1..).unwrap_or_default();
        if let Some(braced) = after.strip_prefix('{') {
            let end = braced.find('}')?;
            let inner = braced.get(..end).unwrap_or_default();
            let (name, default) = match inner.split_once(":-").or_else(|| inner.split_once('-')) {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            out.push_str(&lookup(name).or_else(|| default.map(str::to_string))?);
            rest = braced.get(end + 1..).unwrap_or_default();
        } else {
            let end = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
            if end == 0 {
                if after.starts_with(['(', '`']) {
                    return None;
                }
                out.push('$');
                rest = after;
                continue;
            }
            out.push_str(&lookup(after.get(..end).unwrap_or_default())?);
            rest = after.get(end..).unwrap_or_default();
        }
    }
    out.push_str(rest);
    Some(out)
}

impl Stmt {
    /// Every word, assigned value and redirection target of the statement and what it holds.
    pub(crate) fn texts<'s>(&'s self, out: &mut Vec<&'s str>) {
        let all = |stmts: &'s [Stmt], out: &mut Vec<&'s str>| stmts.iter().for_each(|s| s.texts(out));
        match self {
            Stmt::Simple { assigns, words, redirects } => {
                out.extend(assigns.iter().map(|(_, v)| v.as_str()));
                out.extend(words.iter().map(String::as_str));
                out.extend(redirects.iter().map(String::as_str));
            }
            Stmt::AndOr(first, rest) => {
                first.texts(out);
                rest.iter().for_each(|(_, s)| s.texts(out));
            }
            Stmt::Pipeline(stmts) | Stmt::Group(stmts) => all(stmts, out),
            Stmt::If { arms, otherwise } => {
                for (c, b) in arms {
                    all(c, out);
                    all(b, out);
                }
                all(otherwise, out);
            }
            Stmt::Loop { cond, body, .. } => {
                all(cond, out);
                all(body, out);
            }
            Stmt::For { items, body, .. } => {
                out.extend(items.iter().flatten().map(String::as_str));
                all(body, out);
            }
            Stmt::Case { word, arms } => {
                out.push(word);
                arms.iter().for_each(|a| all(a, out));
            }
            Stmt::Function { body, .. } => all(body, out),
        }
    }

    /// Ends the script or leaves the loop or function (`exit`, `return`, `continue`, `break`)
    /// at its top level or in a branch.
    pub(crate) fn leaves(&self) -> bool {
        match self {
            Stmt::Simple { words, .. } => {
                words.first().is_some_and(|w| matches!(w.as_str(), "exit" | "return" | "continue" | "break"))
            }
            Stmt::AndOr(first, rest) => first.leaves() || rest.iter().any(|(_, s)| s.leaves()),
            Stmt::Group(stmts) => stmts.iter().any(Stmt::leaves),
            Stmt::If { arms, otherwise } => {
                arms.iter().any(|(_, b)| b.iter().any(Stmt::leaves)) || otherwise.iter().any(Stmt::leaves)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;
