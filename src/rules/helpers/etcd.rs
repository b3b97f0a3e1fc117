//! Edits of etcd settings shared by the control-plane rules: rewrite a setting where it is
//! written (a `--flag=value` item, the item after `--flag`, an `ETCD_*` value, an `extraArgs`
//! value), or add settings where the member keeps them (its flag list, its `ETCD_*` variables,
//! kubeadm `extraArgs`).

use crate::diag::Patch;
use crate::k8s::Object;
use crate::k8s::etcd::{AddSite, Form, Setting};
use crate::yaml::NodePath;
use crate::yaml::edit::{EditError, Editor, Value};

/// Whether the setting can be rewritten by an edit (not inside a script or an embedded string).
pub(crate) fn is_editable(setting: &Setting) -> bool {
    setting.form != Form::Embedded
}

/// Rewrites a setting's value.
pub(crate) fn set(ed: &Editor<'_>, obj: &Object<'_>, setting: &Setting, value: &str) -> Result<Patch, EditError> {
    let node = node(obj, &setting.path)?;
    match &setting.form {
        Form::Joined { flag } => ed.replace_scalar(node, &Value::str(format!("{flag}={value}"))),
        Form::Value => ed.replace_scalar(node, &Value::str(value)),
        Form::Embedded => Err(EditError("the setting is inside a script or an embedded document".into())),
    }
}

/// Adds settings (flag name without dashes, value) where the member keeps its settings.
pub(crate) fn add(
    ed: &Editor<'_>,
    obj: &Object<'_>,
    site: &AddSite,
    settings: &[(&str, &str)],
) -> Result<Patch, EditError> {
    match site {
        AddSite::Flags(list) => {
            let items: Vec<Value> = settings.iter().map(|(f, v)| Value::str(format!("--{f}={v}"))).collect();
            ed.append_items(node(obj, list)?, &items)
        }
        AddSite::Env(container) => {
            let items: Vec<Value> = settings
                .iter()
                .map(|(f, v)| {
                    let name = format!("ETCD_{}", f.to_ascii_uppercase().replace('-', "_"));
                    Value::map(vec![("name", Value::str(name)), ("value", Value::str(*v))])
                })
                .collect();
            let container = node(obj, container)?;
            match container.get("env").filter(|e| !e.is_null()) {
                Some(env) => ed.append_items(env, &items),
                None => ed.insert_entry(container, "env", &Value::Seq(items)),
            }
        }
        AddSite::ArgsMap(map) => {
            let [(f, v)] = settings else {
                return Err(EditError("internal error: one `extraArgs` entry at a time".into()));
            };
            ed.insert_entry(node(obj, map)?, f, &Value::str(*v))
        }
        AddSite::ArgsList(list) => {
            let items: Vec<Value> = settings
                .iter()
                .map(|(f, v)| Value::map(vec![("name", Value::str(*f)), ("value", Value::str(*v))]))
                .collect();
            ed.append_items(node(obj, list)?, &items)
        }
    }
}

fn node<'d>(obj: &Object<'d>, path: &NodePath) -> Result<crate::yaml::NodeRef<'d, 'd>, EditError> {
    obj.get(path).ok_or_else(|| EditError(format!("internal error: no `{path}`")))
}
