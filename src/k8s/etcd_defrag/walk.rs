//! The walk over a script's statements: variables (known values, status-derived, one endpoint
//! at a time), functions and their arguments, guards, and each `etcdctl defrag` call.

use std::collections::{BTreeMap, BTreeSet};

use super::{Defrag, Targets};
use crate::k8s::shell::{self, Stmt};
use crate::yaml::NodePath;

#[derive(Clone, Debug, Default)]
struct Var {
    /// The value, when every reference in it is known.
    value: Option<String>,
    /// The value with unknown references left as written (`etcdctl ${flags[@]}`).
    text: String,
    /// Derived from `etcdctl endpoint status` output.
    status: bool,
    /// One word of a list (a loop variable, a function argument): one endpoint at a time.
    single: bool,
}

#[derive(Default)]
pub(super) struct Walker {
    env: BTreeMap<String, String>,
    vars: BTreeMap<String, Var>,
    functions: BTreeMap<String, Vec<Stmt>>,
    /// Functions whose body runs `etcdctl endpoint status`.
    status_functions: BTreeSet<String>,
    path: NodePath,
    pub(super) out: Vec<Defrag>,
    depth: usize,
}

/// Calls, nested scripts and functions deeper than this are not followed.
const MAX_DEPTH: usize = 8;

/// etcdctl's global flags that take a value as the next word.
fn takes_value(flag: &str) -> bool {
    matches!(
        flag,
        "endpoints"
            | "cacert"
            | "cert"
            | "key"
            | "user"
            | "password"
            | "command-timeout"
            | "dial-timeout"
            | "keepalive-time"
            | "keepalive-timeout"
            | "write-out"
            | "w"
            | "discovery-srv"
            | "discovery-srv-name"
            | "data-dir"
            | "auth-jwt-token"
    )
}

impl Walker {
    /// A walker over a container's script: `env` is its literal environment, `path` the item
    /// its calls are reported at.
    pub(super) fn new(env: BTreeMap<String, String>, path: NodePath) -> Self {
        Walker { env, path, ..Walker::default() }
    }

    fn lookup(&self, name: &str) -> Option<String> {
        match self.vars.get(name) {
            Some(v) => v.value.clone(),
            None => self.env.get(name).cloned(),
        }
    }

    /// The text runs `etcdctl endpoint status` (or a function that does).
    fn runs_status(&self, text: &str) -> bool {
        let cleaned: String = text
            .chars()
            .map(|c| if matches!(c, '"' | '\'' | '(' | ')' | '`' | '|' | ';' | '$') { ' ' } else { c })
            .collect();
        let words: Vec<&str> = cleaned.split_whitespace().collect();
        words.windows(2).any(|w| w == ["endpoint", "status"])
            || words.iter().any(|w| self.status_functions.contains(*w))
    }

    /// The text reads status output: a command substitution that runs it, or a variable
    /// derived from it.
    fn reads_status(&self, text: &str) -> bool {
        ((text.contains("$(") || text.contains('`')) && self.runs_status(text))
            || shell::var_refs(text).iter().any(|n| self.vars.get(*n).is_some_and(|v| v.status))
    }

    fn is_guard(&self, s: &Stmt) -> bool {
        match s {
            Stmt::Simple { words, .. } => !words.is_empty() && words.iter().any(|w| self.reads_status(w)),
            Stmt::Pipeline(cmds) => {
                let upstream = cmds.split_last().map_or(&[][..], |(_, rest)| rest);
                upstream.iter().any(|c| {
                    let mut t = Vec::new();
                    c.texts(&mut t);
                    self.runs_status(&t.join(" "))
                }) || cmds.iter().any(|c| self.is_guard(c))
            }
            Stmt::AndOr(first, rest) => self.is_guard(first) || rest.iter().any(|(_, s)| self.is_guard(s)),
            Stmt::Group(b) => b.iter().any(|s| self.is_guard(s)),
            Stmt::If { arms, otherwise } => {
                arms.iter().any(|(c, b)| c.iter().chain(b).any(|s| self.is_guard(s)))
                    || otherwise.iter().any(|s| self.is_guard(s))
            }
            Stmt::Loop { cond, body, .. } => cond.iter().chain(body).any(|s| self.is_guard(s)),
            _ => false,
        }
    }

    /// Walks statements; returns whether what follows them is guarded.
    pub(super) fn list(&mut self, stmts: &[Stmt], mut guarded: bool) -> bool {
        for s in stmts {
            guarded |= self.stmt(s, guarded);
        }
        guarded
    }

    /// Walks one statement; returns whether it guards what follows it in its list.
    fn stmt(&mut self, s: &Stmt, guarded: bool) -> bool {
        match s {
            Stmt::Simple { .. } => {
                self.simple(s, guarded);
                false
            }
            Stmt::AndOr(first, rest) => {
                let mut seen = self.is_guard(first);
                self.stmt(first, guarded);
                let mut after = false;
                for (_, st) in rest {
                    self.stmt(st, guarded || seen);
                    after |= seen && st.leaves();
                    seen |= self.is_guard(st);
                }
                after
            }
            Stmt::Pipeline(cmds) => {
                let mut status_in = false;
                for c in cmds {
                    if status_in {
                        self.taint_reads(c);
                    }
                    self.stmt(c, guarded);
                    let mut t = Vec::new();
                    c.texts(&mut t);
                    status_in |= self.runs_status(&t.join(" "));
                }
                false
            }
            Stmt::If { arms, otherwise } => {
                let mut any = false;
                let mut leaves = false;
                for (cond, body) in arms {
                    self.list(cond, guarded);
                    any |= cond.iter().any(|c| self.is_guard(c));
                    self.list(body, guarded || any);
                    leaves |= body.iter().any(Stmt::leaves);
                }
                self.list(otherwise, guarded || any);
                leaves |= otherwise.iter().any(Stmt::leaves);
                any && leaves
            }
            Stmt::Loop { cond, body, .. } => {
                self.list(cond, guarded);
                let mut g = cond.iter().any(|c| self.is_guard(c));
                self.list(body, guarded || g);
                // A variable the body assigns from status output may be what the condition reads.
                g |= cond.iter().any(|c| self.is_guard(c));
                g
            }
            Stmt::For { var, items, body } => {
                let status = items.iter().flatten().any(|w| self.reads_status(w) || self.runs_status(w));
                self.vars.insert(var.clone(), Var { status, single: true, ..Var::default() });
                self.list(body, guarded);
                false
            }
            Stmt::Case { word, arms } => {
                let g = self.reads_status(word);
                for a in arms {
                    self.list(a, guarded || g);
                }
                false
            }
            Stmt::Group(body) => self.list(body, guarded) && !guarded,
            Stmt::Function { name, body } => {
                let mut t = Vec::new();
                body.iter().for_each(|b| b.texts(&mut t));
                if self.runs_status(&t.join(" ")) {
                    self.status_functions.insert(name.clone());
                }
                self.functions.insert(name.clone(), body.clone());
                false
            }
        }
    }

    /// `read` after status output in a pipeline: the variables it sets are status-derived.
    fn taint_reads(&mut self, s: &Stmt) {
        match s {
            Stmt::Simple { words, .. } if words.first().is_some_and(|w| w == "read") => {
                for w in words.iter().skip(1).filter(|w| !w.starts_with('-')) {
                    self.vars.insert(w.clone(), Var { status: true, ..Var::default() });
                }
            }
            Stmt::Loop { cond, .. } => cond.iter().for_each(|c| self.taint_reads(c)),
            Stmt::AndOr(first, rest) => {
                self.taint_reads(first);
                rest.iter().for_each(|(_, s)| self.taint_reads(s));
            }
            _ => {}
        }
    }

    fn assign(&mut self, name: &str, value: &str) {
        let refs = shell::var_refs(value);
        let var = Var {
            value: shell::expand(value, &|n| self.lookup(n)),
            text: shell::expand(value, &|n| self.lookup(n).or_else(|| Some(format!("${{{n}}}")))).unwrap_or_default(),
            status: self.reads_status(value),
            single: !refs.is_empty()
                && !value.contains(',')
                && refs.iter().all(|r| self.vars.get(*r).is_some_and(|v| v.single)),
        };
        self.vars.insert(name.to_string(), var);
    }

    fn simple(&mut self, s: &Stmt, guarded: bool) {
        let Stmt::Simple { assigns, words, .. } = s else { return };
        if words.is_empty() {
            for (n, v) in assigns {
                self.assign(n, v);
            }
            return;
        }
        let Some(first) = words.first() else { return };
        if matches!(first.as_str(), "export" | "local" | "declare" | "readonly" | "typeset") {
            for (n, v) in words.iter().skip(1).filter_map(|w| shell::assignment(w)) {
                self.assign(n, v);
            }
            return;
        }
        if self.depth >= MAX_DEPTH {
            return;
        }
        if let Some(body) = self.functions.get(first).cloned() {
            self.call(&body, words.get(1..).unwrap_or_default(), guarded);
            return;
        }
        // `$cmd …` where `cmd="etcdctl --command-timeout=60s …"`.
        let mut expanded: Vec<String> = Vec::new();
        let refs = shell::var_refs(first);
        let whole_var = refs.len() == 1 && first.starts_with('$') && !first.starts_with("$(");
        let text = refs.first().and_then(|r| self.vars.get(*r)).map(|v| v.text.clone()).filter(|t| !t.is_empty());
        match text.or_else(|| refs.first().and_then(|r| self.env.get(*r).cloned())).filter(|_| whole_var) {
            Some(v) => expanded.extend(v.split_whitespace().map(str::to_string)),
            None => expanded.push(first.clone()),
        }
        expanded.extend(words.iter().skip(1).cloned());
        let Some(start) = program_start(&expanded) else { return };
        let program = expanded.get(start..).unwrap_or_default();
        if let Some((_, script)) = shell::script_of(program) {
            let stmts = shell::parse(script);
            self.depth += 1;
            self.list(&stmts, guarded);
            self.depth -= 1;
            return;
        }
        let args = match program.first().map(|p| shell::basename(p)) {
            Some("etcdctl") => program.get(1..).unwrap_or_default(),
            // `kubectl exec etcd-0 -- etcdctl defrag`
            _ => match program.iter().position(|w| w == "--") {
                Some(dd) => {
                    let rest = program.get(dd + 1..).unwrap_or_default();
                    let nested = Stmt::Simple { assigns: vec![], words: rest.to_vec(), redirects: vec![] };
                    self.depth += 1;
                    self.simple(&nested, guarded);
                    self.depth -= 1;
                    return;
                }
                None => return,
            },
        };
        self.etcdctl(args, assigns, guarded);
    }

    /// Calls a function with `args` as `$1`, `$2`, … (and `$@`).
    fn call(&mut self, body: &[Stmt], args: &[String], guarded: bool) {
        let saved: Vec<(String, Option<Var>)> = (1..=args.len().max(9))
            .map(|i| i.to_string())
            .chain(["@".to_string()])
            .map(|n| (n.clone(), self.vars.get(&n).cloned()))
            .collect();
        for i in 1..=9 {
            let var = args.get(i - 1).map_or_else(Var::default, |a| Var {
                value: shell::expand(a, &|n| self.lookup(n)),
                text: a.clone(),
                status: self.reads_status(a),
                single: !a.contains(','),
            });
            self.vars.insert(i.to_string(), var);
        }
        let all = args.iter().map(|a| shell::expand(a, &|n| self.lookup(n))).collect::<Option<Vec<_>>>();
        self.vars.insert(
            "@".into(),
            Var { value: all.map(|a| a.join(" ")), text: args.join(" "), status: false, single: false },
        );
        // `"$@"` passes the words on as they are.
        let body: Vec<Stmt> = body.iter().map(|s| splice_args(s, args)).collect();
        self.depth += 1;
        self.list(&body, guarded);
        self.depth -= 1;
        for (n, v) in saved {
            match v {
                Some(v) => self.vars.insert(n, v),
                None => self.vars.remove(&n),
            };
        }
    }

    fn etcdctl(&mut self, args: &[String], assigns: &[(String, String)], guarded: bool) {
        let mut positional = Vec::new();
        let mut endpoints: Option<String> = None;
        let mut cluster = false;
        let mut offline = false;
        let mut i = 0;
        while let Some(w) = args.get(i) {
            i += 1;
            let Some(body) = w.strip_prefix("--").or_else(|| w.strip_prefix('-')).filter(|b| !b.is_empty()) else {
                // An unknown variable (`${flags[@]}`) holds flags, not the command.
                if !w.starts_with('$') {
                    positional.push(w.as_str());
                }
                continue;
            };
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None if takes_value(body) => {
                    i += 1;
                    (body, args.get(i - 1).cloned())
                }
                None => (body, None),
            };
            match name {
                "endpoints" => endpoints = value,
                "cluster" => cluster = value.as_deref() != Some("false"),
                "data-dir" => offline = true,
                _ => {}
            }
        }
        if positional.first() != Some(&"defrag") || offline {
            return;
        }
        let from_env = || {
            assigns
                .iter()
                .find(|(n, _)| n == "ETCDCTL_ENDPOINTS")
                .map(|(_, v)| v.clone())
                .or_else(|| self.lookup("ETCDCTL_ENDPOINTS"))
        };
        let written = endpoints.or_else(from_env);
        let targets = if cluster {
            Targets::Cluster
        } else {
            match &written {
                None => Targets::Default,
                Some(w) => self.count(w),
            }
        };
        let endpoints = written.map(|w| shell::expand(&w, &|n| self.lookup(n)).unwrap_or(w));
        self.out.push(Defrag { path: self.path.clone(), targets, endpoints, guarded });
    }

    fn count(&self, written: &str) -> Targets {
        let parts = |s: &str| s.split([',', ' ']).filter(|p| !p.trim().is_empty()).count();
        match shell::expand(written, &|n| self.lookup(n)) {
            Some(e) if parts(&e) > 1 => Targets::Several(parts(&e)),
            Some(e) if parts(&e) == 1 => Targets::One,
            Some(_) => Targets::Default,
            None if written.contains(',') => Targets::Several(parts(written)),
            None => {
                let refs = shell::var_refs(written);
                if !refs.is_empty() && refs.iter().all(|r| self.vars.get(*r).is_some_and(|v| v.single)) {
                    Targets::One
                } else {
                    Targets::Unknown
                }
            }
        }
    }
}

/// The index of the program a command runs, after prefixes (`exec`, `timeout 60`, `env A=1`).
fn program_start(words: &[String]) -> Option<usize> {
    let mut i = 0;
    while let Some(w) = words.get(i) {
        let b = shell::basename(w);
        let takes_duration = b == "timeout";
        if !shell::is_wrapper(w) {
            return Some(i);
        }
        i += 1;
        while let Some(w) = words.get(i).filter(|w| w.starts_with('-') || shell::assignment(w).is_some()) {
            // `xargs -I {} …`, `xargs -n 1 …`: options whose value is the next word.
            let valued = b == "xargs" && matches!(w.as_str(), "-I" | "-n" | "-P" | "-L" | "-d" | "-a" | "-E" | "-s");
            i += if valued { 2 } else { 1 };
        }
        if takes_duration {
            i += 1;
        }
    }
    None
}

/// A function body with `"$@"` replaced by the call's words.
fn splice_args(s: &Stmt, args: &[String]) -> Stmt {
    let splice = |stmts: &[Stmt]| stmts.iter().map(|s| splice_args(s, args)).collect::<Vec<_>>();
    match s {
        Stmt::Simple { assigns, words, redirects } => Stmt::Simple {
            assigns: assigns.clone(),
            words: words
                .iter()
                .flat_map(|w| if w == "$@" || w == "${@}" { args.to_vec() } else { vec![w.clone()] })
                .collect(),
            redirects: redirects.clone(),
        },
        Stmt::AndOr(first, rest) => Stmt::AndOr(
            Box::new(splice_args(first, args)),
            rest.iter().map(|(a, s)| (*a, splice_args(s, args))).collect(),
        ),
        Stmt::Pipeline(b) => Stmt::Pipeline(splice(b)),
        Stmt::Group(b) => Stmt::Group(splice(b)),
        Stmt::If { arms, otherwise } => {
            Stmt::If { arms: arms.iter().map(|(c, b)| (splice(c), splice(b))).collect(), otherwise: splice(otherwise) }
        }
        Stmt::Loop { until, cond, body } => Stmt::Loop { until: *until, cond: splice(cond), body: splice(body) },
        other => other.clone(),
    }
}
