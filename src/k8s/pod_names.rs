//! Telling pod names from lock names (SPEC §3): a workload's name followed by a StatefulSet
//! ordinal (`collector-0`) or by a ReplicaSet hash and a pod suffix (`api-7d9f8b6c5-x2x4z`);
//! and sets of two or more names that share a stem and differ only in such suffixes.

use std::collections::BTreeMap;

use super::{Kind, Workload};

/// The characters Kubernetes uses for generated name suffixes and pod-template hashes
/// (`k8s.io/apimachinery/pkg/util/rand`: no vowels, no `0`, `1`, `3`).
const SAFE_CHARS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// How a pod name ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Suffix {
    /// `-0`, `-12`: a StatefulSet pod.
    Ordinal,
    /// `-7d9f8b6c5-x2x4z`: a Deployment pod (ReplicaSet hash, then a random suffix).
    HashAndRandom,
    /// `-x2x4z`: a pod of a ReplicaSet, DaemonSet, ReplicationController or Job.
    Random,
}

fn is_safe(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| SAFE_CHARS.contains(&b))
}

fn is_ordinal(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
}

/// Every way `name` can be read as `<stem><pod suffix>`.
pub(crate) fn stems(name: &str) -> Vec<(&str, Suffix)> {
    let mut out = Vec::new();
    let Some((stem, last)) = name.rsplit_once('-') else { return out };
    if stem.is_empty() {
        return out;
    }
    if is_ordinal(last) {
        out.push((stem, Suffix::Ordinal));
    }
    if is_safe(last, 5, 5) {
        out.push((stem, Suffix::Random));
        if let Some((stem2, hash)) = stem.rsplit_once('-')
            && !stem2.is_empty()
            && is_safe(hash, 6, 10)
            && hash.bytes().any(|b| b.is_ascii_digit())
        {
            out.push((stem2, Suffix::HashAndRandom));
        }
    }
    out
}

fn kind_makes(kind: &Kind, suffix: Suffix) -> bool {
    match suffix {
        Suffix::Ordinal => *kind == Kind::StatefulSet,
        Suffix::HashAndRandom => *kind == Kind::Deployment,
        Suffix::Random => matches!(kind, Kind::ReplicaSet | Kind::DaemonSet | Kind::ReplicationController | Kind::Job),
    }
}

/// The workload whose pods `name` names, if any: `collector-0` for StatefulSet `collector`.
pub(crate) fn pod_of<'w>(name: &str, workloads: &[&'w Workload]) -> Option<&'w Workload> {
    stems(name).into_iter().find_map(|(stem, suffix)| {
        workloads.iter().copied().find(|w| w.info.object.name == stem && kind_makes(&w.kind, suffix))
    })
}

/// Groups of two or more distinct names that share a stem and differ only in a pod suffix of
/// the same shape. Returns (stem, names) with names in input order.
pub(crate) fn stem_groups<'n>(names: &[&'n str]) -> Vec<(&'n str, Vec<&'n str>)> {
    let mut groups: BTreeMap<(&str, Suffix), Vec<&str>> = BTreeMap::new();
    for &name in names {
        for (stem, suffix) in stems(name) {
            let g = groups.entry((stem, suffix)).or_default();
            if !g.contains(&name) {
                g.push(name);
            }
        }
    }
    groups.into_iter().filter(|(_, g)| g.len() >= 2).map(|((stem, _), g)| (stem, g)).collect()
}

/// Labels that tie a Lease to one pod (LL001 (b)).
pub(crate) const POD_LABELS: [&str; 2] = ["statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index"];

/// The per-pod Leases of one namespace (LL001 (b)), by their index in `leases`, each with the
/// names of its group: two or more Leases labelled with a [`POD_LABELS`] label form one group,
/// names that share a stem and differ by pod suffixes ([`stem_groups`]) the others; a Lease in
/// both keeps its label group. `leases`: each Lease's name and whether it has a pod label.
pub(crate) fn per_pod_groups(leases: &[(&str, bool)]) -> BTreeMap<usize, Vec<String>> {
    let mut flagged: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let labelled: Vec<usize> = leases.iter().enumerate().filter(|(_, l)| l.1).map(|(i, _)| i).collect();
    if labelled.len() >= 2 {
        let names: Vec<String> = labelled.iter().filter_map(|&i| leases.get(i)).map(|l| l.0.to_string()).collect();
        for &i in &labelled {
            flagged.entry(i).or_insert_with(|| names.clone());
        }
    }
    let names: Vec<&str> = leases.iter().map(|l| l.0).collect();
    for (_, group) in stem_groups(&names) {
        for (i, l) in leases.iter().enumerate() {
            if group.contains(&l.0) {
                flagged.entry(i).or_insert_with(|| group.iter().map(|s| (*s).to_string()).collect());
            }
        }
    }
    flagged
}

#[cfg(test)]
mod tests {
    use super::{Suffix, stem_groups, stems};

    #[test]
    fn pod_suffixes() {
        assert_eq!(stems("collector-0"), vec![("collector", Suffix::Ordinal)]);
        assert_eq!(stems("collector-12"), vec![("collector", Suffix::Ordinal)]);
        assert_eq!(stems("collector-01"), vec![]);
        assert_eq!(
            stems("api-7d9f8b6c5-x2x4z"),
            vec![("api-7d9f8b6c5", Suffix::Random), ("api", Suffix::HashAndRandom)]
        );
        assert_eq!(stems("node-exporter-x2x4z"), vec![("node-exporter", Suffix::Random)]);
        assert_eq!(stems("ingress-nginx-leader"), vec![]);
        assert_eq!(stems("my-lock"), vec![]);
        assert_eq!(stems("-0"), vec![]);
        assert_eq!(stems("plain"), vec![]);
    }

    #[test]
    fn groups_need_two_names_with_one_stem() {
        let g = stem_groups(&["collector-0", "collector-1", "other-lock", "my-lock-1"]);
        assert_eq!(g, vec![("collector", vec!["collector-0", "collector-1"])]);
        assert!(stem_groups(&["my-lock-1"]).is_empty());
        assert!(stem_groups(&["a-0", "b-1"]).is_empty());
    }
}
