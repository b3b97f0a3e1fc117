//! LL006 ndots-default.

use crate::diag::{Fix, Patch, Severity};
use crate::k8s::Object;
use crate::lint::{Ctx, Rule};
use crate::yaml::edit::{EditError, Editor, Value};
use crate::yaml::{NodeRef, Resolved};

/// Finds pods that use cluster DNS (`dnsPolicy` unset, `ClusterFirst` or
/// `ClusterFirstWithHostNet`) without an `ndots` option, or with `ndots` above the policy value
/// (2). Skipped: `dnsPolicy: Default` and `None`, and `hostNetwork: true` pods whose `dnsPolicy`
/// is unset or `ClusterFirst` (they use the node's resolver). An `ndots` value that is not a
/// string is reported as an error, since the API server rejects it.
///
/// Cost: a cluster pod's search list has three cluster domains (`<ns>.svc.cluster.local`,
/// `svc.cluster.local`, `cluster.local`) plus usually one from the node, so a name with fewer
/// dots than `ndots` is tried up to four times before it is tried as written, each with an A and
/// an AAAA query: up to 10 packets instead of 2.
///
/// The fix (safe) adds or sets `ndots: "2"` and `single-request-reopen`, keeping other options.
pub(crate) struct NdotsDefault;

/// Search domains tried before an external name: three cluster ones and one from the node.
const SEARCH_DOMAINS: u32 = 4;

fn packets(ndots: u32) -> String {
    format!(
        "every external name with fewer than {ndots} dots walks the search list first: up to {} DNS packets per lookup instead of 2",
        (SEARCH_DOMAINS + 1) * 2
    )
}

impl Rule for NdotsDefault {
    fn code(&self) -> &'static str {
        "LL006"
    }

    fn name(&self) -> &'static str {
        "ndots-default"
    }

    fn check_object(&self, obj: &Object<'_>, cx: &mut Ctx<'_>) {
        let Some(pod) = obj.pod() else { return };
        if obj.helm_hook().is_some() {
            // A hook or chart test runs once: a few extra DNS packets, once.
            return;
        }
        let policy = pod.spec.get("dnsPolicy").and_then(|p| p.as_text());
        match policy {
            Some("Default" | "None") => return,
            None | Some("ClusterFirst") if pod.host_network() => return,
            _ => {}
        }
        let max = cx.config.policy.ndots;
        let spec = pod.spec;
        let file = obj.info.file;
        let fix = |cx: &Ctx<'_>| {
            let title = format!("set `dnsConfig.options` `ndots: \"{max}\"` and `single-request-reopen`");
            cx.with_edits(Fix::safe(title), &[], |e| ndots_edits(&e.editor(file)?, spec, max))
        };
        let options_path = pod.spec_path.key("dnsConfig").key("options");
        let options = pod.spec.get_path(&["dnsConfig", "options"]);
        let ndots = options.and_then(|opts| {
            opts.items().enumerate().filter(|(_, o)| o.get("name").and_then(|n| n.as_text()) == Some("ndots")).last()
        });
        let Some((index, option)) = ndots else {
            let message = format!("pod uses cluster DNS with the default `ndots:5`: {}", packets(5));
            let fix = fix(cx);
            cx.report(obj.at(&options_path), message).fix(fix).emit();
            return;
        };
        let value_path = options_path.index(index).key("value");
        let Some(value) = option.get("value").filter(|v| !v.is_null()) else { return };
        match value.resolved() {
            Some(Resolved::Str) => {
                let Some(n) = value.as_str().and_then(|s| s.trim().parse::<u32>().ok()) else { return };
                if n > max {
                    let message = format!("`ndots` is `{n}`, above the policy's {max}: {}", packets(n));
                    let fix = fix(cx);
                    cx.report(obj.at(&value_path), message).fix(fix).emit();
                }
            }
            _ => {
                let shown = value.scalar().unwrap_or("a collection");
                let message = format!(
                    "`ndots` value `{shown}` is not a string: the API server rejects the pod (write `\"{shown}\"`)"
                );
                let fix = fix(cx);
                cx.report(obj.at(&value_path), message).severity(Severity::Error).fix(fix).emit();
            }
        }
    }
}

/// Sets `ndots` to the policy value and adds `single-request-reopen`, keeping other options.
fn ndots_edits(ed: &Editor<'_>, spec: NodeRef<'_, '_>, ndots: u32) -> Result<Patch, EditError> {
    let want = Value::str(ndots.to_string());
    let ndots_item = Value::map(vec![("name", Value::str("ndots")), ("value", want.clone())]);
    let reopen = Value::map(vec![("name", Value::str("single-request-reopen"))]);
    let options = Value::Seq(vec![ndots_item.clone(), reopen.clone()]);
    let Some(dns) = spec.get("dnsConfig") else {
        return ed.insert_entry(spec, "dnsConfig", &Value::map(vec![("options", options)]));
    };
    if dns.is_null() {
        return ed.replace_scalar(dns, &Value::map(vec![("options", options)]));
    }
    let Some(opts) = dns.get("options") else {
        return ed.insert_entry(dns, "options", &options);
    };
    if opts.is_null() {
        return ed.replace_scalar(opts, &options);
    }
    if !opts.is_sequence() {
        return Err(EditError("`dnsConfig.options` is not a list".into()));
    }
    let named = |name: &str| opts.items().filter(|o| o.get("name").and_then(|n| n.as_text()) == Some(name)).last();
    let mut edits = Patch::default();
    let mut add = Vec::new();
    match named("ndots") {
        Some(item) => match item.get("value") {
            Some(v) => edits.add(ed.replace_scalar(v, &want)?),
            None => edits.add(ed.insert_entry(item, "value", &want)?),
        },
        None => add.push(ndots_item),
    }
    if named("single-request-reopen").is_none() {
        add.push(reopen);
    }
    if !add.is_empty() {
        edits.add(ed.append_items(opts, &add)?);
    }
    Ok(edits)
}
