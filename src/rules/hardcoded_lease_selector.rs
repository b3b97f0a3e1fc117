//! LL002 hardcoded-lease-selector.

use crate::diag::Fix;
use crate::k8s::{Binding, CarrierRole, Inventory, RoleRule, Workload};
use crate::lint::{Ctx, Rule};
use crate::yaml::edit::{EditError, Value};

use super::helpers::fixes::carrier_edits;

use super::helpers::policy::namespace_lease_name;
use crate::k8s::pod_names::{pod_of, stem_groups};

/// Finds lease selectors that break when leases are consolidated or the namespace changes.
///
/// (a) A lease namespace carrier (flag or env var, SPEC §3) whose value is a literal namespace
/// (no `$(VAR)`, not set from the downward API): `kustomize` namespace transforms and
/// `helm --namespace` do not rewrite it.
///
/// (b) A Role or ClusterRole rule that covers `leases` (API group `coordination.k8s.io` or `*`,
/// resource `leases` or `*`) with `resourceNames` that are pod-derived (a set sharing a stem with
/// pod suffixes, or the pod name of a workload in the run), and that does not already allow the
/// namespace lease: the consolidated lease would be denied. One finding per rule.
///
/// ## Fix safety
/// (a) is unsafe: `$(POD_NAMESPACE)` moves the lease into the pod's own namespace, which changes
/// behaviour when the literal named another namespace. It is refused when the run's RBAC grants
/// the workload's ServiceAccount lease access in the literal namespace and nothing grants it in
/// the pod's own namespace (cert-manager's chart: Role and RoleBinding `…:leaderelection` in
/// `kube-system`): the moved lease would be denied and leader election would stop. (b) is safe:
/// it only adds the policy lease name to `resourceNames` (Roles with a namespace only; a
/// ClusterRole or a Role in the release namespace cannot name its namespace lease).
pub(crate) struct HardcodedLeaseSelector;

impl Rule for HardcodedLeaseSelector {
    fn code(&self) -> &'static str {
        "LL002"
    }

    fn name(&self) -> &'static str {
        "hardcoded-lease-selector"
    }

    fn check_inventory(&self, inv: &Inventory, cx: &mut Ctx<'_>) {
        for w in &inv.workloads {
            for c in w.carriers.iter().filter(|c| c.role == CarrierRole::Namespace) {
                let Some(literal) = c.literal() else { continue };
                let site = if c.is_env { format!("env `{}`", c.label) } else { format!("`{}`", c.label) };
                let message = format!(
                    "lease namespace `{literal}` ({site} in container `{}`) is a literal: kustomize namespace \
                     transforms and `helm --namespace` leave it behind, so the lease stays in `{literal}` \
                     wherever the workload is deployed",
                    c.container
                );
                let fix = Fix::unsafe_(
                    "use `$(POD_NAMESPACE)` from the downward API (the lease moves into the pod's namespace)",
                );
                let fix = match rbac_lockout(inv, w, literal) {
                    Some(why) => Fix { refused: Some(why), ..fix },
                    None => cx.with_edits(fix, &[&w.info], |e| carrier_edits(e, &w.info, c, "$(POD_NAMESPACE)")),
                };
                cx.report(c.loc.clone(), message).fix(fix).emit();
            }
        }
        if cx.config.alone {
            // Which names are pods' needs the workloads (an object linted alone has none).
            return;
        }
        for role in &inv.roles {
            for rule in role.rules.iter().filter(|r| covers_leases(r)) {
                let names: Vec<&str> = rule.resource_names.iter().map(|(n, _)| n.as_str()).collect();
                let mut derived: Vec<&str> = stem_groups(&names).into_iter().flat_map(|(_, g)| g).collect();
                derived.extend(names.iter().copied().filter(|n| pod_of(n, &inv.workloads).is_some()));
                derived.sort_unstable();
                derived.dedup();
                if derived.is_empty() {
                    continue;
                }
                let namespace = role.info.object.namespace.as_deref().filter(|_| !role.cluster);
                let target = namespace.map(|n| namespace_lease_name(n, &cx.config.policy));
                if target.as_ref().is_some_and(|t| names.contains(&t.as_str())) {
                    continue;
                }
                let shown: Vec<String> = derived.iter().take(4).map(|n| format!("`{n}`")).collect();
                let lease = target.clone().map_or_else(
                    || {
                        format!(
                            "the namespace lease (`{}`)",
                            cx.config.policy.namespace_lease.replace("{namespace}", "<namespace>")
                        )
                    },
                    |t| format!("`{t}`"),
                );
                let message = format!(
                    "{} `{}` allows only per-pod Lease names ({}{}) in `resourceNames`: once the leases \
                     are consolidated into {lease} the holders are denied and leader election stops",
                    role.info.object.kind,
                    role.info.object.name,
                    shown.join(", "),
                    if derived.len() > 4 { ", …" } else { "" },
                );
                let fix = target.map(|t| {
                    let fix = Fix::safe(format!("add `{t}` to `resourceNames`"));
                    cx.with_edits(fix, &[&role.info], |e| {
                        let obj = e.object(&role.info)?;
                        let names = obj
                            .get(&rule.resource_names_loc.path)
                            .ok_or_else(|| EditError("internal error: `resourceNames` moved".into()))?;
                        e.editor(role.info.file)?.append_item(names, &Value::str(t.clone()))
                    })
                });
                cx.report(rule.resource_names_loc.clone(), message).fix_opt(fix).emit();
            }
        }
    }
}

fn covers_leases(rule: &RoleRule) -> bool {
    grants_leases(rule) && !rule.resource_names.is_empty()
}

/// A rule that grants something on Leases (any name).
fn grants_leases(rule: &RoleRule) -> bool {
    let group = rule.api_groups.iter().any(|g| g == "coordination.k8s.io" || g == "*");
    let resource = rule.resources.iter().any(|r| r == "leases" || r == "*");
    group && resource && !rule.verbs.is_empty()
}

/// Why moving the workload's lease out of the literal namespace `literal` would lock it out:
/// the run's RBAC grants its ServiceAccount lease access there (a RoleBinding in `literal`) and
/// nothing grants it in the pod's own namespace (a RoleBinding there, or a ClusterRoleBinding).
/// `None` when the RBAC allows the move or the run holds no RBAC for the ServiceAccount.
fn rbac_lockout(inv: &Inventory, w: &Workload, literal: &str) -> Option<String> {
    let own = inv.namespace_of(&w.info);
    if own == Some(literal) {
        return None;
    }
    let sa = w.service_account.as_str();
    // The ServiceAccount is a subject of the binding (a missing subject namespace means the
    // binding's; an unknown release namespace matches any).
    let binds_sa = |b: &Binding| {
        b.subjects.iter().any(|s| {
            let ns = s.namespace.as_deref().or(inv.namespace_of(&b.info));
            s.kind == "ServiceAccount" && s.name == sa && (own.is_none() || ns == own)
        })
    };
    let grants = |b: &&Binding| binds_sa(b) && inv.role_of(b).is_some_and(|r| r.rules.iter().any(grants_leases));
    let granting: Vec<&Binding> = inv.bindings.iter().copied().filter(grants).collect();
    let in_own = granting.iter().any(|b| b.cluster || (own.is_some() && inv.namespace_of(&b.info) == own));
    let in_literal = granting.iter().find(|b| !b.cluster && inv.namespace_of(&b.info) == Some(literal))?;
    if in_own {
        return None;
    }
    let role = inv
        .role_of(in_literal)
        .map_or_else(String::new, |r| format!("{} `{}`, ", r.info.object.kind, r.info.object.name));
    Some(format!(
        "ServiceAccount `{sa}` may use Leases only in `{literal}` ({role}RoleBinding `{}`): with the lease in the \
         pod's own namespace leader election would be denied; grant lease access in that namespace first",
        in_literal.info.object.name
    ))
}
