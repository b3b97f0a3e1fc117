//! Tests of the rollout arithmetic: fenceposts, StatefulSet budgets, probe windows, and reading
//! strategies and spreading from manifests.

#![allow(clippy::expect_used, reason = "tests fail loudly")]

use super::*;

#[test]
fn deployment_fenceposts_round_as_the_controller() {
    let p = IntOrPercent::Percent;
    let i = IntOrPercent::Int;
    // (maxSurge, maxUnavailable, replicas) → (surge, unavailable)
    let cases = [
        (None, None, 4, (1, 1)),  // 25% of 4: 1 and 1
        (None, None, 3, (1, 0)),  // 25% of 3: surge 0.75 up to 1, unavailable down to 0
        (None, None, 1, (1, 0)),  // one replica: surge 1, nothing unavailable
        (None, None, 10, (3, 2)), // 2.5 up to 3, down to 2
        (None, None, 0, (0, 1)),  // both 0: maxUnavailable 1
        (Some(i(0)), Some(i(0)), 5, (0, 1)),
        (Some(p(0)), Some(p(10)), 4, (0, 1)), // 10% of 4 rounds down to 0, surge 0: 1
        (Some(i(0)), Some(i(1)), 4, (0, 1)),
        (Some(i(1)), Some(i(0)), 4, (1, 0)),
        (Some(p(50)), Some(p(50)), 3, (2, 1)),
        (Some(p(100)), Some(p(100)), 7, (7, 7)),
        (None, Some(i(3)), 2, (1, 3)),
    ];
    for (surge, unavailable, replicas, want) in cases {
        assert_eq!(
            deployment_fenceposts(surge, unavailable, replicas),
            want,
            "{surge:?} {unavailable:?} of {replicas}"
        );
    }
}

#[test]
fn statefulset_max_unavailable_rounds_down_to_at_least_one() {
    let cases = [
        (None, 5, 1),
        (Some(IntOrPercent::Int(2)), 5, 2),
        (Some(IntOrPercent::Percent(50)), 5, 2),
        (Some(IntOrPercent::Percent(10)), 5, 1),
        (Some(IntOrPercent::Percent(100)), 3, 3),
    ];
    for (value, replicas, want) in cases {
        assert_eq!(statefulset_max_unavailable(value, replicas), want, "{value:?} of {replicas}");
    }
}

#[test]
fn statefulset_strategies() {
    let cases = [
        ("{}", StatefulSetStrategy::RollingUpdate { max_unavailable: None, partition: 0 }),
        ("{updateStrategy: {type: OnDelete}}", StatefulSetStrategy::OnDelete),
        (
            "{updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 2, maxUnavailable: 50%}}}",
            StatefulSetStrategy::RollingUpdate { max_unavailable: Some(IntOrPercent::Percent(50)), partition: 2 },
        ),
        ("{updateStrategy: {rollingUpdate: {partition: \"2\"}}}", StatefulSetStrategy::Invalid),
        ("{updateStrategy: {type: Blue}}", StatefulSetStrategy::Invalid),
    ];
    for (text, want) in cases {
        let d = doc(text);
        let root = d.root().expect("root");
        assert_eq!(statefulset_strategy(root.get("updateStrategy")), want, "{text}");
    }
}

#[test]
fn probe_windows_use_the_defaults() {
    assert_eq!(probe_failure_window(None, None), 30);
    assert_eq!(probe_failure_window(Some(1), None), 10);
    assert_eq!(probe_failure_window(None, Some(5)), 15);
    assert_eq!(probe_failure_window(Some(6), Some(10)), 60);
}

fn doc(text: &str) -> crate::yaml::Doc<'_> {
    let (docs, errors) = crate::yaml::parse_chunk(text, 0..text.len(), crate::yaml::Limits::default());
    assert!(errors.is_empty(), "{text}");
    docs.into_iter().next().expect("one document")
}

#[test]
fn int_or_percent_reads_what_the_api_accepts() {
    let text = "a: 1\nb: \"25%\"\nc: 25%\nd: \"1\"\ne: -1\nf: 1.5\ng: \"x%\"\n";
    let d = doc(text);
    let root = d.root().expect("root");
    let read = |k: &str| root.get(k).and_then(IntOrPercent::of);
    assert_eq!(read("a"), Some(IntOrPercent::Int(1)));
    assert_eq!(read("b"), Some(IntOrPercent::Percent(25)));
    assert_eq!(read("c"), Some(IntOrPercent::Percent(25)));
    for bad in ["d", "e", "f", "g"] {
        assert_eq!(read(bad), None, "{bad}");
    }
}

#[test]
fn strategies() {
    let cases = [
        ("{}", DeploymentStrategy::RollingUpdate { max_surge: None, max_unavailable: None }),
        ("{strategy: {type: Recreate}}", DeploymentStrategy::Recreate),
        ("{strategy: {type: Blue}}", DeploymentStrategy::Invalid),
        ("{strategy: {rollingUpdate: {maxUnavailable: \"1\"}}}", DeploymentStrategy::Invalid),
        (
            "{strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 50%}}}",
            DeploymentStrategy::RollingUpdate {
                max_surge: Some(Budget { value: IntOrPercent::Percent(50), text: "50%".into() }),
                max_unavailable: Some(Budget { value: IntOrPercent::Int(0), text: "0".into() }),
            },
        ),
    ];
    for (text, want) in cases {
        let d = doc(text);
        let root = d.root().expect("root");
        assert_eq!(deployment_strategy(root.get("strategy")), want, "{text}");
    }
}

#[test]
fn host_spread_counts_hostname_constraints_and_required_anti_affinity_on_the_pods_own_labels() {
    let labels: BTreeMap<String, String> = [("app".to_string(), "web".to_string())].into();
    // (pod spec, spread, preferred seen, foreign selector seen)
    let cases = [
        ("{}", false, false, false),
        (
            "{topologySpreadConstraints: [{topologyKey: kubernetes.io/hostname, maxSkew: 1, \
             labelSelector: {matchLabels: {app: web}}}]}",
            true,
            false,
            false,
        ),
        // matchLabelKeys alone select the pod's own values.
        (
            "{topologySpreadConstraints: [{topologyKey: kubernetes.io/hostname, maxSkew: 1, \
             matchLabelKeys: [pod-template-hash]}]}",
            true,
            false,
            false,
        ),
        // No selector selects no pod; another app's selector spreads from that app only.
        ("{topologySpreadConstraints: [{topologyKey: kubernetes.io/hostname, maxSkew: 1}]}", false, false, true),
        (
            "{topologySpreadConstraints: [{topologyKey: kubernetes.io/hostname, maxSkew: 1, \
             labelSelector: {matchLabels: {app: api}}}]}",
            false,
            false,
            true,
        ),
        // An empty selector selects every pod, these too.
        (
            "{topologySpreadConstraints: [{topologyKey: kubernetes.io/hostname, maxSkew: 1, labelSelector: {}}]}",
            true,
            false,
            false,
        ),
        ("{topologySpreadConstraints: [{topologyKey: topology.kubernetes.io/zone}]}", false, false, false),
        (
            "{affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: \
             [{topologyKey: kubernetes.io/hostname, labelSelector: {matchExpressions: \
             [{key: app, operator: In, values: [web, api]}]}}]}}}",
            true,
            false,
            false,
        ),
        (
            "{affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: \
             [{topologyKey: kubernetes.io/hostname}]}}}",
            false,
            false,
            true,
        ),
        (
            "{affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: \
             [{topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: api}}}, \
             {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: web}}}]}}}",
            true,
            false,
            true,
        ),
        (
            "{affinity: {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: \
             [{weight: 100, podAffinityTerm: {topologyKey: kubernetes.io/hostname, \
             labelSelector: {matchLabels: {app: web}}}}]}}}",
            false,
            true,
            false,
        ),
        ("{containers: [{name: a, ports: [{containerPort: 80, hostPort: 80}]}]}", true, false, false),
        ("{containers: [{name: a, ports: [{containerPort: 80}]}]}", false, false, false),
    ];
    for (text, spread, preferred, foreign) in cases {
        let d = doc(text);
        let s = host_spread(d.root().expect("root"), &labels);
        assert_eq!(s.is_spread(), spread, "{text}");
        assert_eq!(s.preferred_anti_affinity, preferred, "{text}");
        assert_eq!(s.foreign_selector, foreign, "{text}");
    }
    for (text, pinned) in [
        ("{nodeName: node-1}", true),
        ("{nodeSelector: {kubernetes.io/hostname: node-1}}", true),
        ("{nodeSelector: {disktype: ssd}}", false),
    ] {
        let d = doc(text);
        assert_eq!(host_spread(d.root().expect("root"), &labels).pinned, pinned, "{text}");
    }
}
