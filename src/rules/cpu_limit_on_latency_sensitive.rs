//! LL004 cpu-limit-on-latency-sensitive.

use crate::diag::{Fix, Patch};
use crate::k8s::{Inventory, Qos, quantity};
use crate::lint::{Ctx, Rule};
use crate::yaml::NodeRef;
use crate::yaml::edit::{EditError, Editor, Value};

use super::helpers::latency::latency_reason;
use super::helpers::policy::number;

/// Finds `resources.limits.cpu` on the containers of latency-sensitive pods: regular containers
/// and restartable (sidecar) init containers; one-shot init containers only delay start-up. When
/// some container of the pod declares `ports`, a container that declares none (a config
/// reloader, a log shipper) serves no request and is skipped; when none declares ports (they are
/// optional), every container counts.
///
/// A pod is latency-sensitive when, in this order:
/// 1. it is a Job or CronJob, or a Helm hook or test: never;
/// 2. the object or its pod template has the label or annotation
///    `leaselint.io/latency-sensitive`: `"false"` opts out, `"true"` opts in;
/// 3. a `latencySensitive.selectors` label selector from config matches its pod labels;
/// 4. (`latencySensitive.inferFromServices`, on by default) it is a Deployment or StatefulSet
///    whose pod labels a *serving* Service in the same namespace selects: not headless
///    (`clusterIP: None`, peer discovery) and not only metrics ports (`metrics`, `*-metrics`,
///    `prometheus`, `monitoring`). The Service is a related location.
///
/// Helm hooks and tests (`helm.sh/hook`) are never latency-sensitive: they run once.
///
/// ## Fix safety
/// Safe when the pod is Burstable: the limit is removed and, when `requests.cpu` was absent, set
/// to the old limit (Kubernetes defaults a missing request to the limit, so removing the limit
/// alone would drop the request). Unsafe when the pod is Guaranteed: it becomes Burstable and
/// loses exclusive CPUs under the static CPU manager policy. Refused in a namespace whose
/// ResourceQuota constrains `limits.cpu` (the API server would reject the pod without a limit)
/// or whose LimitRange gives containers a default CPU limit (it would come back), as far as the
/// run holds those objects; the message names the LimitRange.
pub(crate) struct CpuLimitOnLatencySensitive;

impl Rule for CpuLimitOnLatencySensitive {
    fn code(&self) -> &'static str {
        "LL004"
    }

    fn name(&self) -> &'static str {
        "cpu-limit-on-latency-sensitive"
    }

    fn check_inventory(&self, inv: &Inventory, cx: &mut Ctx<'_>) {
        for w in &inv.workloads {
            if !w.containers.iter().any(|c| c.cpu_limit.is_some()) {
                continue;
            }
            let Some((why, service)) = latency_reason(w, inv, cx.config) else { continue };
            // In a pod whose serving containers declare their ports, a container without ports
            // (a config reloader, a log shipper) serves no request: its throttling adds no latency.
            let running = |c: &&crate::k8s::ContainerFacts| !c.init || c.restartable;
            let some_serve = w.containers.iter().filter(running).any(|c| c.has_ports);
            for c in &w.containers {
                if c.init && !c.restartable {
                    continue;
                }
                if some_serve && !c.has_ports {
                    continue;
                }
                let Some((limit, loc)) = &c.cpu_limit else { continue };
                let quota = quantity::parse(limit).map(|cores| cores * 100.0);
                let cost = match quota {
                    Some(ms) => format!(
                        "once its threads use {}ms of CPU in a 100ms period the kernel's CFS quota freezes all of them \
                         for the rest of the period, however idle the node is",
                        number(ms)
                    ),
                    None => "the kernel's CFS quota freezes every thread for the rest of each 100ms period once the quota is spent".to_string(),
                };
                let keep_request = match &c.cpu_request {
                    Some(_) => String::new(),
                    None => format!(" and set `requests.cpu` to `{limit}`"),
                };
                let (fix, note) = if w.qos == Qos::Guaranteed {
                    (
                        Fix::unsafe_(format!("remove the cpu limit{keep_request} (the pod becomes Burstable)")),
                        "; the pod is Guaranteed, so removing the limit makes it Burstable and gives up exclusive CPUs under the static CPU manager policy",
                    )
                } else {
                    (Fix::safe(format!("remove the cpu limit{keep_request}")), "")
                };
                let ns = inv.namespace_of(&w.info);
                let default =
                    inv.limit_ranges.iter().find(|l| inv.namespace_of(&l.info) == ns && l.default_cpu.is_some());
                let quota = inv.quotas.iter().find(|q| inv.namespace_of(&q.info) == ns && q.limits_cpu);
                let default_note = default.map_or_else(String::new, |l| {
                    format!(
                        "; LimitRange `{}` gives containers a default CPU limit of `{}`, so removing the limit from the \
                         manifest does not remove it from the pod",
                        l.info.object.name,
                        l.default_cpu.as_deref().unwrap_or_default()
                    )
                });
                let message = format!(
                    "cpu limit `{limit}` on container `{}` of a latency-sensitive pod ({why}): {cost}{note}{default_note}",
                    c.name
                );
                let refusal = match (quota, default) {
                    (Some(q), _) => Some(format!(
                        "ResourceQuota `{}` constrains `limits.cpu` in this namespace: the API server rejects pods \
                         without a CPU limit there",
                        q.info.object.name
                    )),
                    (None, Some(l)) => Some(format!(
                        "LimitRange `{}` would put a default CPU limit back on the container",
                        l.info.object.name
                    )),
                    (None, None) => None,
                };
                let fix = match refusal {
                    Some(why) => Fix { refused: Some(why), ..fix },
                    None => cx.with_edits(fix, &[&w.info], |e| {
                        let obj = e.object(&w.info)?;
                        // The limit is at `<container>.resources.limits.cpu`.
                        let path = loc.path.prefix(loc.path.len().saturating_sub(3));
                        let container =
                            obj.get(&path).ok_or_else(|| EditError("internal error: the container moved".into()))?;
                        remove_cpu_limit(&e.editor(w.info.file)?, container, c.cpu_request.is_none())
                    }),
                };
                let mut finding = cx.report(loc.clone(), message).fix(fix);
                if let Some(s) = service {
                    finding =
                        finding.related(s.loc.clone(), format!("Service `{}` serves these pods", s.info.object.name));
                }
                if let Some(l) = default {
                    finding = finding.related(
                        l.loc.clone(),
                        format!("LimitRange `{}` sets a default CPU limit", l.info.object.name),
                    );
                }
                finding.emit();
            }
        }
    }
}

/// Removes `limits.cpu` (and a `limits` left empty) and, when `set_request`, writes the old
/// limit as `requests.cpu` (Kubernetes defaulted the missing request to the limit).
fn remove_cpu_limit(ed: &Editor<'_>, container: NodeRef<'_, '_>, set_request: bool) -> Result<Patch, EditError> {
    let missing = || EditError("internal error: the limit moved".into());
    let resources = container.get("resources").ok_or_else(missing)?;
    let limits = resources.get("limits").ok_or_else(missing)?;
    let limit = limits.get("cpu").ok_or_else(missing)?;
    let value = Value::from_node(limit, ed.text());
    let only_cpu = limits.entries().count() == 1;
    let mut edits = Patch::default();
    let requests = resources.get("requests").filter(|r| r.is_mapping());
    match (set_request, requests) {
        (true, Some(requests)) => edits.add(ed.insert_entry(requests, "cpu", &value)?),
        (true, None) if only_cpu => {
            // `limits: {cpu: X}` becomes `requests: {cpu: X}` in place.
            return ed.replace_entry(resources, "limits", "requests", &Value::map(vec![("cpu", value)]));
        }
        (true, None) => edits.add(ed.insert_entry(resources, "requests", &Value::map(vec![("cpu", value)]))?),
        (false, _) => {}
    }
    if only_cpu {
        edits.add(ed.remove_entry(resources, "limits")?);
    } else {
        edits.add(ed.remove_entry(limits, "cpu")?);
    }
    Ok(edits)
}
