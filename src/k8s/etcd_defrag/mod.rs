//! The defrag reader: the `etcdctl … defrag` calls a container makes, in its `command`/`args`
//! or in a shell script there (`sh -c '…'`, multi-line scripts, `&&`, `;`, loops, functions,
//! `$cmd` holding `etcdctl …`, `kubectl exec … -- etcdctl`), the members each call targets
//! (`--endpoints a,b,c` or `--endpoints=…`, `ETCDCTL_ENDPOINTS`, `--cluster`), and whether a
//! shell condition that reads `etcdctl endpoint status` output guards it. Uses `yaml` and the
//! shell reader.
//!
//! A guard is a condition (`if`, `elif`, `while`/`until`, `case`, or an `&&`/`||` list) whose
//! test reads the output of `etcdctl endpoint status`: directly (`$(etcdctl endpoint status …)`,
//! `etcdctl endpoint status … | grep …`), through variables assigned from it (and from those), or
//! through a function whose body runs it. A defrag in a branch of such a condition is guarded, and
//! so is every defrag after a guard that leaves (`[ "$backlog" -lt 1000 ] || exit 1`) or after a
//! loop that waits on one. Exit codes alone (`etcdctl endpoint status && etcdctl defrag`) only
//! say the member answers: no guard.

mod walk;

use super::pod::Container;
use super::shell::{self, Stmt};
use crate::yaml::NodePath;
use walk::Walker;

/// The members one `etcdctl defrag` call defragments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Targets {
    /// No endpoint given: etcdctl's default, `127.0.0.1:2379`, one member.
    Default,
    /// One member (one endpoint, or one per call in a loop over endpoints).
    One,
    /// Several endpoints in one call, as written.
    Several(usize),
    /// `--cluster`: every member of the cluster, one after another.
    Cluster,
    /// Endpoints the reader cannot resolve.
    Unknown,
}

/// One `etcdctl defrag` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Defrag {
    /// The `command`/`args` item that holds it (the script, or the `defrag` word).
    pub(crate) path: NodePath,
    pub(crate) targets: Targets,
    /// The endpoints as written (expanded where the reader knows the variables).
    pub(crate) endpoints: Option<String>,
    pub(crate) guarded: bool,
}

/// A cheap first test: a `command`/`args` item mentions `defrag`.
pub(crate) fn mentions_defrag(c: &Container<'_>) -> bool {
    ["command", "args"].iter().any(|list| {
        c.node.get(list).is_some_and(|l| l.items().any(|i| i.as_text().is_some_and(|t| t.contains("defrag"))))
    })
}

/// The `etcdctl defrag` calls of a container, in script order.
pub(crate) fn defrags(c: &Container<'_>) -> Vec<Defrag> {
    if !mentions_defrag(c) {
        return Vec::new();
    }
    let mut words: Vec<(String, NodePath)> = Vec::new();
    for list in ["command", "args"] {
        let Some(node) = c.node.get(list) else { continue };
        for (i, item) in node.items().enumerate() {
            if let Some(t) = item.as_text() {
                words.push((t.to_string(), c.path.key(list).index(i)));
            }
        }
    }
    let env = c
        .env()
        .into_iter()
        .filter_map(|(_, n, e)| Some((n.to_string(), e.get("value")?.as_text()?.to_string())))
        .collect();
    let texts: Vec<&str> = words.iter().map(|(t, _)| t.as_str()).collect();
    let (path, stmts) = match shell::script_of(&texts) {
        Some((i, script)) => (words.get(i).map(|(_, p)| p.clone()), shell::parse(script)),
        None => {
            let at = words.iter().find(|(t, _)| t == "defrag").or(words.first());
            let simple = Stmt::Simple {
                assigns: vec![],
                words: texts.iter().map(|t| (*t).to_string()).collect(),
                redirects: vec![],
            };
            (at.map(|(_, p)| p.clone()), vec![simple])
        }
    };
    let mut walker = Walker::new(env, path.unwrap_or_else(|| c.path.clone()));
    walker.list(&stmts, false);
    walker.out
}

#[cfg(test)]
mod tests;
