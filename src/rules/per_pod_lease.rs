//! LL001 per-pod-lease.

use std::collections::BTreeMap;

use crate::diag::{Fix, ObjectInfo, Patch, Severity};
use crate::k8s::{CarrierRole, Inventory, Kind, Lease, Workload};
use crate::lint::{Ctx, Edits, Rule};
use crate::yaml::edit::{EditError, Value};

use super::helpers::fixes::carrier_edits;

use super::helpers::policy::{DEFAULT_RENEW_SECONDS, lease_cost, namespace_lease_name, template_lease_name};
use crate::k8s::pod_names::{POD_LABELS, per_pod_groups, pod_of};

/// Finds leases that exist once per pod.
///
/// (a) A workload's lease name carrier (flag or env var, SPEC §3) whose value is pod-derived:
/// it refers through `$(VAR)` to an env var set from `metadata.name` or `spec.nodeName` (or is
/// such an env var itself), or it is a literal pod name of a workload in the run (`collector-0`
/// of StatefulSet `collector`). The pod name used as the holder identity is not a carrier and is
/// not reported.
///
/// (b) Two or more Lease objects in one namespace whose names share a stem and differ only by a
/// pod suffix, or that carry the `statefulset.kubernetes.io/pod-name` or
/// `apps.kubernetes.io/pod-index` label; each Lease of the group gets a finding. Leases that
/// Kubernetes keeps one per node or API server by design are never grouped: node heartbeats in
/// `kube-node-lease` and Leases labelled `apiserver.kubernetes.io/identity`.
///
/// Severity: `error` when the workload makes two or more Leases (2+ replicas, or a DaemonSet);
/// `info` for one replica (one Lease now and under the policy: nothing to gain until it scales).
///
/// Lease counts: replicas (the larger of `spec.replicas` and an HPA's `minReplicas`), `--nodes`
/// for DaemonSets; renewals every `--leader-elect-retry-period` when the container sets it, else
/// client-go's 2 s.
///
/// ## Fix safety
/// Both fixes are unsafe: they change who runs. N pods that each led their own lock become one
/// leader and N−1 standbys; for a DaemonSet whose every node's agent must keep working that is
/// an outage (the lease was a per-node heartbeat: turn leader election off instead). (a)
/// rewrites the carrier to the policy lease name and adds the `POD_NAMESPACE` downward-API
/// variable; (b) keeps one Lease renamed to the namespace lease and removes the others (an item
/// of a `List` is removed from the `List`). Objects without a namespace get no (b) fix: a Lease
/// cannot name the release namespace. A team that has adopted the policy makes them safe with
/// config `fixes: {safe: [LL001]}`.
pub(crate) struct PerPodLease;

/// Fields of a Lease that belong to its current holder.
const HOLDER_FIELDS: [&str; 4] = ["holderIdentity", "leaseTransitions", "acquireTime", "renewTime"];

/// `leaseDurationSeconds` of a consolidated Lease that had none (SPEC §3).
const DEFAULT_LEASE_DURATION: u32 = 40;

impl Rule for PerPodLease {
    fn code(&self) -> &'static str {
        "LL001"
    }

    fn name(&self) -> &'static str {
        "per-pod-lease"
    }

    fn check_inventory(&self, inv: &Inventory, cx: &mut Ctx<'_>) {
        check_carriers(inv, cx);
        // A group of Leases needs the others (an object linted alone has none).
        if !cx.config.alone {
            check_lease_objects(inv, cx);
        }
    }
}

fn check_carriers(inv: &Inventory, cx: &mut Ctx<'_>) {
    let policy = cx.config.policy.clone();
    let nodes = cx.config.thresholds.nodes;
    let pods_of = |w: &Workload| if w.kind == Kind::DaemonSet { nodes } else { inv.replicas(w).unwrap_or(1) };
    for &w in &inv.workloads {
        for c in w.carriers.iter().filter(|c| c.role == CarrierRole::Name) {
            // Who makes one Lease per pod: this workload, or the one whose pod name is written.
            let (why, owner) = if let Some((field, var)) = c.pod_field() {
                let why = match var {
                    Some(var) => format!("comes from the pod's `{field}` through `$({var})`"),
                    None => format!("is the pod's `{field}`"),
                };
                (why, w)
            } else if let Some(owner) = c.literal().and_then(|v| pod_of(v, &inv.workloads)) {
                let why = format!("is the name of a pod of {} `{}`", owner.info.object.kind, owner.info.object.name);
                (why, owner)
            } else {
                continue;
            };
            let pods = pods_of(owner);
            let pods_word = if owner.kind == Kind::DaemonSet {
                format!("{pods} nodes (--nodes) make")
            } else if pods == 1 {
                "1 replica makes".to_string()
            } else {
                format!("{pods} replicas make")
            };
            let renew = owner.renew_seconds();
            let target = template_lease_name(w, &policy);
            let value = c.value.as_deref().map_or_else(String::new, |v| format!("`{v}` "));
            let site = if c.is_env { format!("env `{}`", c.label) } else { format!("`{}`", c.label) };
            let message = format!(
                "lease name {value}({site} in container `{}`) {why}, so each pod holds its own Lease: {pods_word} {}",
                c.container,
                lease_cost(pods, renew, &policy),
            );
            let who = if owner.kind == Kind::DaemonSet {
                "; the fix makes one agent the leader and the others standbys, usually an outage for a DaemonSet \
                 whose every node must keep working (then the lease is a per-node heartbeat: turn leader election \
                 off instead)"
                    .to_string()
            } else if pods > 1 {
                let standbys = if pods == 2 { "1 standby".to_string() } else { format!("{} standbys", pods - 1) };
                format!(
                    "; the fix changes who runs: {pods} pods that each led their own lock become one leader and {standbys}"
                )
            } else {
                "; with one replica that is one Lease either way: nothing to gain until it scales".to_string()
            };
            let message = format!("{message}{who}");
            let title = format!("use lease name `{target}` with `POD_NAMESPACE` from the downward API");
            let fix = cx.with_edits(Fix::unsafe_(title), &[&w.info], |e| carrier_edits(e, &w.info, c, &target));
            let mut finding = cx.report(c.loc.clone(), message).fix(fix);
            if owner.kind != Kind::DaemonSet && pods < 2 {
                // One Lease now and under the policy (a config severity still wins).
                finding = finding.severity(Severity::Info);
            }
            finding.emit();
        }
    }
}

fn check_lease_objects(inv: &Inventory, cx: &mut Ctx<'_>) {
    let policy = cx.config.policy.clone();
    let mut by_namespace: BTreeMap<Option<&str>, Vec<&Lease>> = BTreeMap::new();
    for l in &inv.leases {
        let namespace = inv.namespace_of(&l.info);
        // Node heartbeats and API server identities are one per node or server by design.
        if l.is_system(namespace) {
            continue;
        }
        by_namespace.entry(namespace).or_default().push(l);
    }
    for (namespace, leases) in by_namespace {
        // Index of each lease in `leases` → the group that made it per-pod.
        let entries: Vec<(&str, bool)> =
            leases.iter().map(|l| (l.info.object.name.as_str(), l.has_pod_label())).collect();
        let flagged = per_pod_groups(&entries);
        let exists = |name: &str| leases.iter().any(|l| l.info.object.name == name);
        for (i, group) in &flagged {
            let Some(lease) = leases.get(*i) else { continue };
            let count = i64::try_from(group.len()).unwrap_or(i64::MAX);
            let where_ = namespace.map_or_else(|| "the release namespace".to_string(), |n| format!("namespace `{n}`"));
            let shown: Vec<String> = group.iter().take(4).map(|n| format!("`{n}`")).collect();
            let more = if group.len() > 4 { format!(", … ({} in all)", group.len()) } else { String::new() };
            let message = format!(
                "Lease `{}` is one of {count} per-pod Leases in {where_} ({}{more}): {}",
                lease.info.object.name,
                shown.join(", "),
                lease_cost(count, DEFAULT_RENEW_SECONDS, &policy),
            );
            let fix = namespace.map(|n| {
                let target = namespace_lease_name(n, &policy);
                // The first Lease of the group becomes the namespace lease (unless that exists
                // already) and the others leave the stream. Each finding's fix carries every
                // edit of the group in its file, so the group is fixed at once or not at all.
                let members: Vec<&Lease> =
                    flagged.iter().filter(|(_, g)| *g == group).filter_map(|(k, _)| leases.get(*k).copied()).collect();
                let keeper = members.first().map(|l| l.info.id).filter(|_| !exists(&target));
                let title = format!(
                    "replace the {count} Leases with one Lease `{target}` (their holders then share one lock: one \
                     leader, the others standbys)"
                );
                let here: Vec<&Lease> = members.iter().copied().filter(|m| m.info.file == lease.info.file).collect();
                let infos: Vec<&ObjectInfo> = here.iter().map(|m| m.info.as_ref()).collect();
                cx.with_edits(Fix::unsafe_(title), &infos, |e| {
                    let mut patch = Patch::default();
                    for m in &here {
                        if keeper == Some(m.info.id) {
                            patch.add(consolidate(e, &m.info, &target)?);
                        } else {
                            let obj = e.object(&m.info)?;
                            let (_, docs_in_chunk) = e.document(&m.info)?;
                            patch.add(e.editor(m.info.file)?.remove_object(obj.root, docs_in_chunk)?);
                        }
                    }
                    Ok(patch)
                })
            });
            cx.report(lease.name_loc.clone(), message).fix_opt(fix).emit();
        }
    }
}

/// Turns a per-pod Lease into the namespace lease: renamed, its holder fields and pod labels
/// removed, `leaseDurationSeconds` kept or set to 40.
fn consolidate(e: &Edits<'_>, info: &ObjectInfo, target: &str) -> Result<Patch, EditError> {
    let obj = e.object(info)?;
    let ed = e.editor(info.file)?;
    let mut edits = Patch::default();
    let meta = obj.root.get("metadata").ok_or_else(|| EditError("the Lease has no metadata".into()))?;
    let name = meta.get("name").ok_or_else(|| EditError("the Lease has no name".into()))?;
    edits.add(ed.replace_scalar(name, &Value::str(target))?);
    if let Some(labels) = meta.get("labels").filter(|l| l.is_mapping()) {
        let present: Vec<&str> = POD_LABELS.iter().copied().filter(|k| labels.get(k).is_some()).collect();
        if !present.is_empty() && present.len() == labels.entries().count() {
            edits.add(ed.remove_entry(meta, "labels")?);
        } else {
            for k in present {
                edits.add(ed.remove_entry(labels, k)?);
            }
        }
    }
    let duration = Value::raw(DEFAULT_LEASE_DURATION.to_string());
    match obj.root.get("spec").filter(|s| s.is_mapping()) {
        None => edits.add(ed.insert_entry(obj.root, "spec", &Value::map(vec![("leaseDurationSeconds", duration)]))?),
        Some(spec) => {
            let mut remove: Vec<&str> = HOLDER_FIELDS.iter().copied().filter(|k| spec.get(k).is_some()).collect();
            if spec.get("leaseDurationSeconds").is_none() {
                if remove.is_empty() {
                    edits.add(ed.insert_entry(spec, "leaseDurationSeconds", &duration)?);
                } else {
                    let first = remove.remove(0);
                    edits.add(ed.replace_entry(spec, first, "leaseDurationSeconds", &duration)?);
                }
            }
            for k in remove {
                edits.add(ed.remove_entry(spec, k)?);
            }
        }
    }
    Ok(edits)
}
