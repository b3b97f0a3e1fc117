#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

use super::compaction::{apiservers, is_static_control_plane_pod};
use super::{AddSite, Form, Member, image_major, is_etcd_image, kubeadm_etcd, members};
use crate::diag::ObjId;
use crate::k8s::{Object, objects_in};
use crate::yaml::{Limits, NodePath, parse_chunk};

/// Runs `f` on the first object of `yaml`.
pub(crate) fn with_object<R>(yaml: &str, f: impl FnOnce(&Object<'_>) -> R) -> R {
    let (docs, errors) = parse_chunk(yaml, 0..yaml.len(), Limits::default());
    assert!(errors.is_empty(), "{errors:?}");
    let objects = objects_in(&docs[0], yaml, 0, &[], ObjId::default());
    f(&objects[0])
}

fn pod(containers: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: ns}}\nspec:\n  containers:\n{containers}")
}

/// (heartbeat, election, retention) of each member, with the paths of heartbeat and election.
fn read(yaml: &str) -> Vec<(Option<i64>, Option<i64>, Option<String>)> {
    with_object(yaml, |o| {
        let pod = o.pod().unwrap();
        members(&pod)
            .iter()
            .map(|m: &Member<'_>| {
                (
                    m.config.millis("heartbeat-interval").map(|(v, _)| v),
                    m.config.millis("election-timeout").map(|(v, _)| v),
                    m.config.get("auto-compaction-retention").map(|s| s.value.clone()),
                )
            })
            .collect()
    })
}

#[test]
fn kubeadm_static_pod_flags_in_both_forms() {
    let yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd-cp1\n  namespace: kube-system\n  labels: {component: etcd, tier: control-plane}\nspec:\n  containers:\n  - name: etcd\n    image: registry.k8s.io/etcd:3.5.15-0\n    command:\n    - etcd\n    - --heartbeat-interval=50\n    - --election-timeout\n    - \"500\"\n    - --data-dir=/var/lib/etcd\n";
    with_object(yaml, |o| {
        assert!(is_static_control_plane_pod(o));
        let ms = members(&o.pod().unwrap());
        assert_eq!(ms.len(), 1);
        let c = &ms[0].config;
        let (hb, s) = c.millis("heartbeat-interval").unwrap();
        assert_eq!((hb, &s.form), (50, &Form::Joined { flag: "--heartbeat-interval".into() }));
        assert_eq!(s.path.to_string(), "spec.containers[0].command[1]");
        let (el, s) = c.millis("election-timeout").unwrap();
        assert_eq!((el, &s.form, s.path.to_string()), (500, &Form::Value, "spec.containers[0].command[3]".into()));
        assert_eq!(c.add, Some(AddSite::Flags(NodePath::keys(&["spec", "containers"]).index(0).key("command"))));
        assert_eq!(ms[0].major, Some(3));
    });
}

#[test]
fn which_containers_are_members() {
    let cases = [
        // (container, members)
        ("  - {name: e, image: quay.io/coreos/etcd:v3.5.0}\n", 1),
        ("  - {name: e, image: gcr.io/etcd-development/etcd:v3.5.17, args: [--name=a]}\n", 1),
        ("  - {name: e, image: example/db:1, command: [/usr/local/bin/etcd, --name=a]}\n", 1),
        ("  - {name: e, image: example/db:1, command: [tini, --, etcd]}\n", 1),
        ("  - {name: e, image: bitnami/etcd:3.6, args: [/opt/bitnami/scripts/etcd/run.sh]}\n", 1),
        ("  - {name: e, image: busybox, command: [sh, -c, 'echo start; exec etcd --name=$(hostname)']}\n", 1),
        // etcdctl, other programs in an etcd image, images that only contain the word.
        ("  - {name: c, image: registry.k8s.io/etcd:3.5.15-0, command: [etcdctl, defrag]}\n", 0),
        ("  - {name: c, image: bitnami/etcd:3.6, command: [/bin/bash, -c, 'etcdctl defrag']}\n", 0),
        ("  - {name: c, image: bitnami/etcd:3.6, args: [etcdctl, endpoint, health]}\n", 0),
        ("  - {name: c, image: bitnami/etcd:3.6, command: [/opt/bitnami/scripts/etcd/entrypoint.sh]}\n", 0),
        ("  - {name: d, image: openshift/etcd-20-centos7}\n", 0),
        ("  - {name: o, image: quay.io/coreos/etcd-operator:v0.9.4}\n", 0),
        ("  - {name: s, image: busybox, command: [sh, -c, 'echo waiting for etcd; sleep 5']}\n", 0),
        (
            "  - {name: a, image: registry.k8s.io/kube-apiserver:v1.31.0, command: [kube-apiserver, --etcd-servers=https://127.0.0.1:2379]}\n",
            0,
        ),
    ];
    for (container, want) in cases {
        let yaml = pod(container);
        assert_eq!(read(&yaml).len(), want, "{container}");
    }
}

#[test]
fn env_settings_and_flags_win() {
    let env = "    env:\n    - {name: ETCD_HEARTBEAT_INTERVAL, value: \"50\"}\n    - {name: ETCD_ELECTION_TIMEOUT, value: \"400\"}\n    - {name: ETCD_AUTO_COMPACTION_RETENTION, value: 1h}\n    - {name: ETCDCTL_API, value: \"3\"}\n";
    let bitnami = pod(&format!("  - name: etcd\n    image: docker.io/bitnami/etcd:3.6.4-debian-12-r3\n{env}"));
    assert_eq!(read(&bitnami), vec![(Some(50), Some(400), Some("1h".into()))]);
    with_object(&bitnami, |o| {
        let m = &members(&o.pod().unwrap())[0];
        assert!(m.config.uses_env());
        let (_, s) = m.config.millis("heartbeat-interval").unwrap();
        assert_eq!(s.path.to_string(), "spec.containers[0].env[0].value");
    });
    // A flag wins over its variable, as etcd reads them.
    let both = pod(&format!("  - name: etcd\n    image: x/etcd:3.5.0\n    args: [--heartbeat-interval=200]\n{env}"));
    assert_eq!(read(&both), vec![(Some(200), Some(400), Some("1h".into()))]);
    // The last flag of a name wins.
    let twice = pod(
        "  - {name: etcd, image: x/etcd:3.5.0, command: [etcd, --heartbeat-interval=10, --heartbeat-interval=300]}\n",
    );
    assert_eq!(read(&twice)[0].0, Some(300));
}

#[test]
fn config_files_and_env_from_leave_settings_unknown() {
    let yaml = pod("  - {name: etcd, image: x/etcd:3.5.0, command: [etcd, --config-file=/etc/etcd.yaml]}\n");
    with_object(&yaml, |o| assert!(!members(&o.pod().unwrap())[0].config.is_complete()));
    let yaml = pod("  - name: etcd\n    image: x/etcd:3.5.0\n    envFrom: [{configMapRef: {name: etcd-env}}]\n");
    with_object(&yaml, |o| assert!(!members(&o.pod().unwrap())[0].config.is_complete()));
    let yaml = pod("  - {name: etcd, image: x/etcd:3.5.0, envFrom: null}\n");
    with_object(&yaml, |o| assert!(members(&o.pod().unwrap())[0].config.is_complete()));
}

#[test]
fn wrapped_members_read_their_script() {
    let script = "set -e\nHB=50\nif [ -n \"$X\" ]; then\n  exec etcd --heartbeat-interval=${HB} --election-timeout 250 \\\n    --auto-compaction-retention=$RET\nfi\n";
    let yaml = pod(&format!(
        "  - name: etcd\n    image: busybox\n    command: [/bin/sh, -ec]\n    args:\n    - |\n{}",
        script.lines().map(|l| format!("      {l}\n")).collect::<String>()
    ));
    assert_eq!(read(&yaml), vec![(Some(50), Some(250), Some("$RET".into()))]);
    with_object(&yaml, |o| {
        let m = &members(&o.pod().unwrap())[0];
        let (_, s) = m.config.millis("heartbeat-interval").unwrap();
        assert_eq!((s.form.clone(), s.path.to_string()), (Form::Embedded, "spec.containers[0].args[0]".into()));
        // Settings are added as variables (the script's flags cannot be edited).
        assert!(m.config.uses_env());
    });
}

#[test]
fn images() {
    assert!(is_etcd_image("registry.k8s.io/etcd:3.5.15-0"));
    assert!(is_etcd_image("registry.k8s.io/etcd@sha256:abc"));
    assert!(is_etcd_image("bitnami/etcd"));
    assert!(!is_etcd_image("openshift/etcd-20-centos7"));
    assert!(!is_etcd_image("example/etcdctl:3"));
    assert!(!is_etcd_image("registry.example:5000/etcd-backup:1"));
    assert_eq!(image_major("quay.io/coreos/etcd:v2.3.8"), Some(2));
    assert_eq!(image_major("registry.example:5000/etcd:3.4.13-0"), Some(3));
    assert_eq!(image_major("bitnami/etcd:latest"), None);
    assert_eq!(image_major("bitnami/etcd"), None);
}

#[test]
fn kubeadm_configurations() {
    let v1beta3 = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\netcd:\n  local:\n    extraArgs:\n      heartbeat-interval: \"50\"\n      election-timeout: \"500\"\n";
    with_object(v1beta3, |o| {
        let k = kubeadm_etcd(o).unwrap();
        let (hb, s) = k.config.millis("heartbeat-interval").unwrap();
        assert_eq!((hb, s.path.to_string()), (50, "etcd.local.extraArgs.heartbeat-interval".into()));
        assert_eq!(k.config.add, Some(AddSite::ArgsMap(NodePath::keys(&["etcd", "local", "extraArgs"]))));
    });
    let v1beta4 = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\netcd:\n  local:\n    extraArgs:\n    - name: heartbeat-interval\n      value: \"50\"\n";
    with_object(v1beta4, |o| {
        let k = kubeadm_etcd(o).unwrap();
        let (hb, s) = k.config.millis("heartbeat-interval").unwrap();
        assert_eq!((hb, s.path.to_string()), (50, "etcd.local.extraArgs[0].value".into()));
        assert!(matches!(k.config.add, Some(AddSite::ArgsList(_))));
    });
    let kcp = "apiVersion: controlplane.cluster.x-k8s.io/v1beta1\nkind: KubeadmControlPlane\nmetadata: {name: cp}\nspec:\n  kubeadmConfigSpec:\n    clusterConfiguration:\n      etcd:\n        local:\n          extraArgs: {heartbeat-interval: \"40\"}\n";
    with_object(kcp, |o| {
        let k = kubeadm_etcd(o).unwrap();
        let (hb, s) = k.config.millis("heartbeat-interval").unwrap();
        assert_eq!(
            (hb, s.path.to_string()),
            (40, "spec.kubeadmConfigSpec.clusterConfiguration.etcd.local.extraArgs.heartbeat-interval".into())
        );
    });
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kubeadm-config, namespace: kube-system}\ndata:\n  ClusterConfiguration: |\n    apiVersion: kubeadm.k8s.io/v1beta4\n    kind: ClusterConfiguration\n    etcd:\n      local:\n        extraArgs:\n        - {name: heartbeat-interval, value: \"30\"}\n";
    with_object(cm, |o| {
        let k = kubeadm_etcd(o).unwrap();
        assert!(k.embedded);
        let (hb, s) = k.config.millis("heartbeat-interval").unwrap();
        assert_eq!((hb, s.form.clone(), s.path.to_string()), (30, Form::Embedded, "data.ClusterConfiguration".into()));
        assert_eq!(k.config.add, None);
    });
    let external = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\netcd:\n  external:\n    endpoints: [https://10.0.0.1:2379]\n";
    with_object(external, |o| assert!(kubeadm_etcd(o).is_none()));
    let other = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n";
    with_object(other, |o| assert!(kubeadm_etcd(o).is_none()));
}

#[test]
fn apiserver_etcd_servers_and_compaction() {
    let yaml = pod(
        "  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command: [kube-apiserver, \"--etcd-servers=https://127.0.0.1:2379,https://$(ETCD_HOST):2379\", --etcd-compaction-interval=0]\n    env: [{name: ETCD_HOST, value: etcd-0.etcd-headless.cp.svc}]\n",
    );
    with_object(&yaml, |o| {
        let a = apiservers(&o.pod().unwrap());
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].hosts, vec!["127.0.0.1".to_string(), "etcd-0.etcd-headless.cp.svc".into()]);
        assert!(!a[0].compacts);
    });
    let yaml = pod(
        "  - name: apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    args: [--etcd-servers, \"http://etcd:2379\"]\n",
    );
    with_object(&yaml, |o| {
        let a = apiservers(&o.pod().unwrap());
        assert_eq!((a[0].hosts.clone(), a[0].compacts), (vec!["etcd".to_string()], true));
    });
}

#[test]
fn retentions_that_turn_compaction_off() {
    for (value, off) in [
        ("0", true),
        ("0h", true),
        ("0.0", true),
        ("1", false),
        ("1h", false),
        ("30m", false),
        ("1000", false),
        ("", false),
    ] {
        assert_eq!(super::compaction::is_retention_off(value), off, "{value}");
    }
}

#[test]
fn api_server_hosts_that_name_a_workload() {
    use super::host_names;
    let svcs = ["etcd", "etcd-headless"];
    let cases = [
        // (host, etcd namespace, api server namespace, names it)
        ("etcd", Some("cp"), Some("cp"), true),
        ("etcd", Some("cp"), Some("other"), false),
        ("etcd.cp.svc", Some("cp"), Some("other"), true),
        ("etcd.cp.svc.cluster.local", Some("cp"), None, true),
        ("etcd.x.svc", Some("cp"), Some("cp"), false),
        ("etcd-0.etcd-headless.cp.svc.cluster.local", Some("cp"), Some("other"), true),
        ("etcd-1.etcd-headless", Some("cp"), Some("cp"), true),
        ("etcd-a.etcd-headless", Some("cp"), Some("cp"), false),
        ("etcd-0.unknown.cp.svc", Some("cp"), Some("cp"), false),
        ("other", Some("cp"), Some("cp"), false),
        ("127.0.0.1", Some("cp"), Some("cp"), false),
    ];
    for (host, ns, api_ns, want) in cases {
        assert_eq!(host_names(host, "etcd", ns, &svcs, api_ns), want, "{host}");
    }
}

#[test]
fn static_control_plane_pods() {
    let cases = [
        ("namespace: kube-system, labels: {component: etcd, tier: control-plane}", true),
        ("labels: {component: etcd, tier: control-plane}", true),
        ("namespace: kube-system, annotations: {kubernetes.io/config.mirror: 1f0d}", true),
        ("namespace: kube-system, ownerReferences: [{apiVersion: v1, kind: Node, name: cp-1, uid: u}]", true),
        ("namespace: kube-system", false),
        ("namespace: store, labels: {component: etcd, tier: control-plane}", false),
        ("namespace: kube-system, ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: e, uid: u}]", false),
    ];
    for (meta, want) in cases {
        let yaml =
            format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: etcd-cp-1, {meta}}}\nspec: {{containers: []}}\n");
        with_object(&yaml, |o| assert_eq!(is_static_control_plane_pod(o), want, "{meta}"));
    }
}
