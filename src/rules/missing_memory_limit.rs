//! LL005 missing-memory-limit.

use crate::diag::{Fix, Patch};
use crate::k8s::{Object, quantity};
use crate::lint::{Ctx, Rule};
use crate::yaml::NodeRef;
use crate::yaml::edit::{EditError, Editor, Value};

/// Finds containers (init containers included) without `resources.limits.memory`. A pod-level
/// memory limit (`spec.resources.limits.memory`) bounds every container, so such pods are skipped.
///
/// ## Fix safety
/// Unsafe, and offered only when `requests.memory` is set: the limit becomes twice the request,
/// which can OOM-kill a container that uses more today.
pub(crate) struct MissingMemoryLimit;

impl Rule for MissingMemoryLimit {
    fn code(&self) -> &'static str {
        "LL005"
    }

    fn name(&self) -> &'static str {
        "missing-memory-limit"
    }

    fn check_object(&self, obj: &Object<'_>, cx: &mut Ctx<'_>) {
        let Some(pod) = obj.pod() else { return };
        if obj.helm_hook().is_some() {
            // A hook or chart test runs once, when Helm says so.
            return;
        }
        if pod.spec.get_path(&["resources", "limits", "memory"]).is_some() {
            return;
        }
        for c in pod.containers() {
            if c.resource("limits", "memory").is_some() {
                continue;
            }
            let what = if c.init { "init container" } else { "container" };
            let message = format!(
                "{what} `{}` has no memory limit: only the node's OOM killer bounds it, and a leak takes \
                 memory from every pod on the node",
                c.name
            );
            let fix = c.resource("requests", "memory").and_then(|req| {
                let limit = quantity::scale(req, 2)?;
                let title = format!(
                    "set `limits.memory` to `{limit}` (2 × the `{req}` request; the container is OOM-killed above it)"
                );
                let container = c.node;
                let file = obj.info.file;
                Some(
                    cx.with_edits(Fix::unsafe_(title), &[], |e| {
                        memory_limit_edits(&e.editor(file)?, container, &limit)
                    }),
                )
            });
            let path = c.path.key("resources").key("limits").key("memory");
            cx.report(obj.at(&path), message).fix_opt(fix).emit();
        }
    }
}

/// Adds `resources.limits.memory: <limit>`.
fn memory_limit_edits(ed: &Editor<'_>, container: NodeRef<'_, '_>, limit: &str) -> Result<Patch, EditError> {
    let resources = container.get("resources").ok_or_else(|| EditError("no `resources`".into()))?;
    let memory = Value::map(vec![("memory", Value::raw(limit))]);
    match resources.get("limits") {
        None => ed.insert_entry(resources, "limits", &memory),
        Some(l) if l.is_null() => ed.replace_scalar(l, &memory),
        Some(l) => ed.insert_entry(l, "memory", &Value::raw(limit)),
    }
}
