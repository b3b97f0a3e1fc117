//! Edits shared by several rules' fixes.

use crate::diag::{ObjectInfo, Patch};
use crate::k8s::carriers::{Carrier, Site};
use crate::lint::Edits;
use crate::yaml::NodeRef;
use crate::yaml::edit::{EditError, Editor, Value};

/// The env var the policy's lease names use inside pod templates.
pub(crate) const POD_NAMESPACE: &str = "POD_NAMESPACE";

/// `{name: POD_NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}`.
fn pod_namespace_item() -> Value {
    Value::map(vec![
        ("name", Value::str(POD_NAMESPACE)),
        (
            "valueFrom",
            Value::map(vec![("fieldRef", Value::map(vec![("fieldPath", Value::str("metadata.namespace"))]))]),
        ),
    ])
}

/// Makes `POD_NAMESPACE` (from the downward API) available to `$(POD_NAMESPACE)` references in
/// the container: added as the first env var when missing, so it precedes every variable that
/// refers to it. `user` is the index of the env var that will refer to it (for env carriers).
pub(crate) fn ensure_pod_namespace(
    ed: &Editor<'_>,
    container: NodeRef<'_, '_>,
    user: Option<usize>,
) -> Result<Option<Patch>, EditError> {
    let Some(env) = container.get("env").filter(|e| !e.is_null()) else {
        return ed.insert_entry(container, "env", &Value::Seq(vec![pod_namespace_item()])).map(Some);
    };
    if !env.is_sequence() {
        return Err(EditError("the container's `env` is not a list".into()));
    }
    let existing =
        env.items().enumerate().find(|(_, e)| e.get("name").and_then(|n| n.as_text()) == Some(POD_NAMESPACE));
    match existing {
        Some((i, e)) => {
            let field = e.get_path(&["valueFrom", "fieldRef", "fieldPath"]).and_then(|f| f.as_text());
            if field != Some("metadata.namespace") {
                return Err(EditError(format!(
                    "the container already has a `{POD_NAMESPACE}` env var that is not the pod's namespace"
                )));
            }
            if user.is_some_and(|u| i > u) {
                return Err(EditError(format!(
                    "`{POD_NAMESPACE}` is defined after the variable that would use it; move it first"
                )));
            }
            Ok(None)
        }
        None => ed.prepend_item(env, &pod_namespace_item()).map(Some),
    }
}

/// Rewrites a lease carrier's value to `new_value` (and adds `POD_NAMESPACE` when the new value
/// refers to it).
pub(crate) fn carrier_edits(
    e: &Edits<'_>,
    info: &ObjectInfo,
    c: &Carrier,
    new_value: &str,
) -> Result<Patch, EditError> {
    let obj = e.object(info)?;
    let ed = e.editor(info.file)?;
    let missing = || EditError("internal error: the carrier is no longer where it was found".into());
    let container = obj.get(&c.container_path).ok_or_else(missing)?;
    let mut patch = Patch::default();
    let mut user = None;
    match &c.site {
        Site::Item { range } => {
            let item = obj.get(&c.loc.path).ok_or_else(missing)?;
            let text = item.as_text().ok_or_else(missing)?;
            let new = match range {
                Some(r) => format!(
                    "{}{new_value}{}",
                    text.get(..r.start).ok_or_else(missing)?,
                    text.get(r.end..).ok_or_else(missing)?
                ),
                None => new_value.to_string(),
            };
            patch.add(ed.replace_scalar(item, &Value::str(new))?);
        }
        Site::EnvValue { index } => {
            let value = container.get("env").and_then(|env| env.item(*index)).and_then(|i| i.get("value"));
            patch.add(ed.replace_scalar(value.ok_or_else(missing)?, &Value::str(new_value))?);
            user = Some(*index);
        }
        Site::EnvValueFrom { index } => {
            let item = container.get("env").and_then(|env| env.item(*index)).ok_or_else(missing)?;
            patch.add(ed.replace_entry(item, "valueFrom", "value", &Value::str(new_value))?);
            user = Some(*index);
        }
    }
    if new_value.contains(&format!("$({POD_NAMESPACE})")) {
        patch.extend(ensure_pod_namespace(&ed, container, user)?);
    }
    Ok(patch)
}
