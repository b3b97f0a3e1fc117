//! LL006 ndots-default.

use crate::diag::{Fix, Severity};
use crate::k8s::Object;
use crate::lint::{Ctx, Rule};
use crate::yaml::Resolved;

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
        let policy = pod.spec.get("dnsPolicy").and_then(|p| p.as_text());
        match policy {
            Some("Default" | "None") => return,
            None | Some("ClusterFirst") if pod.host_network() => return,
            _ => {}
        }
        let max = cx.config.policy.ndots;
        let fix = || Fix::safe(format!("set `dnsConfig.options` `ndots: \"{max}\"` and `single-request-reopen`"));
        let options_path = pod.spec_path.key("dnsConfig").key("options");
        let options = pod.spec.get_path(&["dnsConfig", "options"]);
        let ndots = options.and_then(|opts| {
            opts.items().enumerate().filter(|(_, o)| o.get("name").and_then(|n| n.as_text()) == Some("ndots")).last()
        });
        let Some((index, option)) = ndots else {
            let message = format!("pod uses cluster DNS with the default `ndots:5`: {}", packets(5));
            cx.report(obj.at(&options_path), message).fix(fix()).emit();
            return;
        };
        let value_path = options_path.index(index).key("value");
        let Some(value) = option.get("value").filter(|v| !v.is_null()) else { return };
        match value.resolved() {
            Some(Resolved::Str) => {
                let Some(n) = value.as_str().and_then(|s| s.trim().parse::<u32>().ok()) else { return };
                if n > max {
                    let message = format!("`ndots` is `{n}`, above the policy's {max}: {}", packets(n));
                    cx.report(obj.at(&value_path), message).fix(fix()).emit();
                }
            }
            _ => {
                let shown = value.scalar().unwrap_or("a collection");
                let message = format!(
                    "`ndots` value `{shown}` is not a string: the API server rejects the pod (write `\"{shown}\"`)"
                );
                cx.report(obj.at(&value_path), message).severity(Severity::Error).fix(fix()).emit();
            }
        }
    }
}
