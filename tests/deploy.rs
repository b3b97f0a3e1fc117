//! The install of `leaselint serve` (deploy/serve, SPEC §11): leaselint reports nothing on it (nor
//! on the whole of deploy/), every object deserializes into its type without an unknown field, the
//! points SPEC §11 lists hold across the objects, and `kubectl kustomize deploy/serve` builds the
//! same objects.
//!
//! Built-in kinds are checked with their k8s-openapi types. Those ignore unknown fields, so every
//! object is also serialized back from its type and must give back every key and value of the
//! original. The custom resources (cert-manager, Prometheus Operator) get small serde models with
//! `deny_unknown_fields`, in tests/deploy/crds.rs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr, reason = "tests fail loudly")]

mod common;
#[path = "deploy/crds.rs"]
mod crds;

use std::collections::{BTreeMap, BTreeSet};

use std::process::{Command, Stdio};

use common::{code, concise, json, repo, run_in, stderr};
use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, RuleWithOperations, ServiceReference, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Container, Namespace, PodSpec, Service, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube_core::{Selector, SelectorExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crds::{Certificate, Issuer, KeyAlgorithm, KeyEncoding, PrometheusRule, RotationPolicy, Rule, ServiceMonitor};

/// The install, relative to the repository.
const SERVE: &str = "deploy/serve";

// ---------------------------------------------------------------------------------------------
// Reading the install.

/// One object of the install and the file it came from.
struct Manifest {
    file: String,
    value: Value,
}

/// The documents of a YAML stream as JSON values (empty documents dropped).
fn parse_stream(text: &str, origin: &str) -> Vec<Value> {
    yaml_serde::Deserializer::from_str(text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{origin} is not YAML: {e}")))
        .filter(|v| !v.is_null())
        .collect()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The files `deploy/serve/kustomization.yaml` lists.
fn resources() -> Vec<String> {
    let kustomization = parse_stream(&read(&format!("{SERVE}/kustomization.yaml")), "kustomization.yaml");
    let list = kustomization[0]["resources"].as_array().expect("kustomization.yaml has `resources`");
    list.iter().map(|r| r.as_str().expect("a resource is a file name").to_string()).collect()
}

/// Every object of the files the kustomization lists, in order.
fn manifests() -> Vec<Manifest> {
    let mut out = Vec::new();
    for file in resources() {
        let rel = format!("{SERVE}/{file}");
        for value in parse_stream(&read(&rel), &rel) {
            out.push(Manifest { file: rel.clone(), value });
        }
    }
    out
}

/// Fails when `back` (an object serialized from its type) lacks a key of `original` or reads a
/// value differently: the key was unknown to the type (misspelled, misplaced) or had a wrong type.
fn assert_round_trip(original: &Value, back: &Value, at: &str, file: &str) {
    match (original, back) {
        (Value::Object(o), Value::Object(b)) => {
            for (key, value) in o {
                let path = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
                let Some(read_back) = b.get(key) else {
                    panic!("{file}: `{path}` is not a field of its type (misspelled or misplaced?)");
                };
                assert_round_trip(value, read_back, &path, file);
            }
        }
        (Value::Array(o), Value::Array(b)) => {
            assert_eq!(o.len(), b.len(), "{file}: `{at}` reads back with another length");
            for (i, (value, read_back)) in o.iter().zip(b).enumerate() {
                assert_round_trip(value, read_back, &format!("{at}[{i}]"), file);
            }
        }
        (o, b) => assert_eq!(o, b, "{file}: `{at}` reads back as another value"),
    }
}

/// The object as `T`, after checking that `T` knows every field of it.
fn typed<T: DeserializeOwned + Serialize>(m: &Manifest) -> T {
    let value: T = serde_json::from_value(m.value.clone()).unwrap_or_else(|e| {
        panic!("{}: {} {} does not deserialize: {e}", m.file, m.value["kind"], m.value["metadata"]["name"])
    });
    let back = serde_json::to_value(&value).unwrap();
    assert_round_trip(&m.value, &back, "", &m.file);
    value
}

/// The install, each object in its type.
#[derive(Default)]
struct Install {
    namespaces: Vec<Namespace>,
    service_accounts: Vec<ServiceAccount>,
    cluster_roles: Vec<ClusterRole>,
    cluster_role_bindings: Vec<ClusterRoleBinding>,
    deployments: Vec<Deployment>,
    pdbs: Vec<PodDisruptionBudget>,
    services: Vec<Service>,
    validating: Vec<ValidatingWebhookConfiguration>,
    mutating: Vec<MutatingWebhookConfiguration>,
    issuers: Vec<Issuer>,
    certificates: Vec<Certificate>,
    prometheus_rules: Vec<PrometheusRule>,
    service_monitors: Vec<ServiceMonitor>,
}

fn install() -> Install {
    let mut i = Install::default();
    for m in manifests() {
        let api_version = m.value["apiVersion"].as_str().unwrap_or_default();
        let kind = m.value["kind"].as_str().unwrap_or_default();
        match (api_version, kind) {
            ("v1", "Namespace") => i.namespaces.push(typed(&m)),
            ("v1", "ServiceAccount") => i.service_accounts.push(typed(&m)),
            ("v1", "Service") => i.services.push(typed(&m)),
            ("rbac.authorization.k8s.io/v1", "ClusterRole") => i.cluster_roles.push(typed(&m)),
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => i.cluster_role_bindings.push(typed(&m)),
            ("apps/v1", "Deployment") => i.deployments.push(typed(&m)),
            ("policy/v1", "PodDisruptionBudget") => i.pdbs.push(typed(&m)),
            ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration") => i.validating.push(typed(&m)),
            ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration") => i.mutating.push(typed(&m)),
            ("cert-manager.io/v1", "Issuer") => i.issuers.push(typed(&m)),
            ("cert-manager.io/v1", "Certificate") => i.certificates.push(typed(&m)),
            ("monitoring.coreos.com/v1", "PrometheusRule") => i.prometheus_rules.push(typed(&m)),
            ("monitoring.coreos.com/v1", "ServiceMonitor") => i.service_monitors.push(typed(&m)),
            _ => panic!("{}: {api_version} {kind} has no type in this test: add one", m.file),
        }
    }
    i
}

/// The one item of a list.
fn only<'a, T>(items: &'a [T], what: &str) -> &'a T {
    assert_eq!(items.len(), 1, "the install has exactly one {what}");
    &items[0]
}

fn name(meta: &ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or_default()
}

fn namespace(meta: &ObjectMeta) -> &str {
    meta.namespace.as_deref().unwrap_or_default()
}

fn selects(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let selector = Selector::try_from(selector.clone()).expect("a valid label selector");
    !selector.selects_all() && selector.matches(labels)
}

fn pod_labels(d: &Deployment) -> BTreeMap<String, String> {
    d.spec.template.metadata.as_ref().and_then(|m| m.labels.clone()).unwrap_or_default()
}

fn pod_spec(d: &Deployment) -> &PodSpec {
    d.spec.template.spec.as_ref().expect("a pod spec")
}

fn server(d: &Deployment) -> &Container {
    only(&pod_spec(d).containers, "container in the Deployment")
}

/// The value of `--flag=value` or `--flag value` in the server's args.
fn flag<'a>(c: &'a Container, flag: &str) -> Option<&'a str> {
    let args = c.args.as_deref().unwrap_or_default();
    let prefix = format!("{flag}=");
    args.iter().enumerate().find_map(|(i, a)| {
        if let Some(v) = a.strip_prefix(&prefix) {
            Some(v)
        } else if a == flag {
            args.get(i + 1).map(String::as_str)
        } else {
            None
        }
    })
}

/// The port number of a container port given by number or name.
fn container_port(c: &Container, port: &IntOrString) -> i32 {
    match port {
        IntOrString::Int(n) => *n,
        IntOrString::String(name) => {
            c.ports
                .as_deref()
                .unwrap_or_default()
                .iter()
                .find(|p| p.name.as_deref() == Some(name.as_str()))
                .unwrap_or_else(|| panic!("no container port named {name}"))
                .container_port
        }
    }
}

/// A Go duration (`90m`, `2160h`, `1h30m`, `20s`) in seconds.
fn go_duration(text: &str) -> u64 {
    let mut total = 0;
    let mut number = String::new();
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            number.push(ch);
            continue;
        }
        let n: u64 = number.parse().unwrap_or_else(|_| panic!("`{text}` is not a Go duration"));
        total += n * match ch {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => panic!("`{text}`: unit `{ch}` is not used here"),
        };
        number.clear();
    }
    assert!(number.is_empty() && total > 0, "`{text}` is not a Go duration");
    total
}

/// One webhook of either configuration, with the fields SPEC §11 fixes.
struct Hook {
    name: String,
    admission_review_versions: Vec<String>,
    service: Option<ServiceReference>,
    url: Option<String>,
    failure_policy: Option<String>,
    side_effects: String,
    timeout_seconds: Option<i32>,
    namespace_selector: Option<LabelSelector>,
    object_selector: Option<LabelSelector>,
    rules: Vec<RuleWithOperations>,
    ca_injected_from: Option<String>,
}

const INJECT_CA: &str = "cert-manager.io/inject-ca-from";

fn hooks(i: &Install) -> Vec<Hook> {
    let mut out = Vec::new();
    // The validating and mutating webhook types have the same fields.
    macro_rules! collect {
        ($configs:expr) => {
            for c in $configs {
                let inject = c.metadata.annotations.as_ref().and_then(|a| a.get(INJECT_CA)).cloned();
                for w in c.webhooks.as_deref().unwrap_or_default() {
                    out.push(Hook {
                        name: w.name.clone(),
                        admission_review_versions: w.admission_review_versions.clone(),
                        service: w.client_config.service.clone(),
                        url: w.client_config.url.clone(),
                        failure_policy: w.failure_policy.clone(),
                        side_effects: w.side_effects.clone(),
                        timeout_seconds: w.timeout_seconds,
                        namespace_selector: w.namespace_selector.clone(),
                        object_selector: w.object_selector.clone(),
                        rules: w.rules.clone().unwrap_or_default(),
                        ca_injected_from: inject.clone(),
                    });
                }
            }
        };
    }
    collect!(&i.validating);
    collect!(&i.mutating);
    out
}

/// (group, resource) → operations, over every rule of a webhook.
fn coverage(rules: &[RuleWithOperations]) -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut out: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for r in rules {
        for group in r.api_groups.as_deref().unwrap_or_default() {
            for resource in r.resources.as_deref().unwrap_or_default() {
                let ops = out.entry((group.clone(), resource.clone())).or_default();
                ops.extend(r.operations.iter().flatten().cloned());
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The tests.

#[test]
fn leaselint_reports_nothing_on_the_install_nor_on_deploy() {
    for (dir, objects) in [(SERVE, Some(manifests().len())), ("deploy", None)] {
        let out = run_in(&repo(), &["--no-config", "--format", "json", dir], None);
        let report = json(&out);
        assert_eq!(concise(&report), "", "leaselint on {dir} (stderr: {})", stderr(&out));
        assert_eq!(code(&out), 0, "leaselint on {dir} exits 0 (stderr: {})", stderr(&out));
        if let Some(objects) = objects {
            assert_eq!(report["summary"]["objects"], objects, "leaselint read every object of {dir}");
        }
    }
}

#[test]
fn every_file_is_in_the_kustomization_and_every_object_has_its_type() {
    let mut on_disk: Vec<String> = std::fs::read_dir(repo().join(SERVE))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| (n.ends_with(".yaml") || n.ends_with(".yml")) && n != "kustomization.yaml")
        .collect();
    on_disk.sort();
    let mut listed = resources();
    listed.sort();
    assert_eq!(listed, on_disk, "kustomization.yaml lists every manifest of {SERVE}");

    let i = install();
    only(&i.namespaces, "Namespace");
    only(&i.service_accounts, "ServiceAccount");
    only(&i.cluster_roles, "ClusterRole");
    only(&i.cluster_role_bindings, "ClusterRoleBinding");
    only(&i.deployments, "Deployment");
    only(&i.pdbs, "PodDisruptionBudget");
    only(&i.services, "Service");
    only(&i.validating, "ValidatingWebhookConfiguration");
    only(&i.mutating, "MutatingWebhookConfiguration");
    assert_eq!(i.issuers.len(), 2, "a self-signed Issuer and the CA Issuer it bootstraps");
    assert_eq!(i.certificates.len(), 2, "the CA and the serving Certificate");
    only(&i.prometheus_rules, "PrometheusRule");
    only(&i.service_monitors, "ServiceMonitor");
}

#[test]
fn the_round_trip_catches_a_misspelled_field() {
    let mut value = parse_stream(&read(&format!("{SERVE}/deployment.yaml")), "deployment.yaml").remove(0);
    value["spec"]["template"]["spec"]["dnsConfig"]["option"] = serde_json::json!([{"name": "ndots", "value": "2"}]);
    let m = Manifest { file: "deployment.yaml".into(), value };
    let caught = std::panic::catch_unwind(|| typed::<Deployment>(&m)).expect_err("the unknown field is caught");
    let message = caught.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("`spec.template.spec.dnsConfig.option` is not a field"), "{message}");

    let docs = parse_stream(&read(&format!("{SERVE}/certificate.yaml")), "certificate.yaml");
    let mut value = docs.into_iter().find(|d| d["kind"] == "Certificate").expect("a Certificate");
    value["spec"]["dnsName"] = serde_json::json!(["x"]);
    assert!(serde_json::from_value::<Certificate>(value).is_err(), "deny_unknown_fields rejects `dnsName`");
}

#[test]
fn everything_lives_in_the_leaselint_namespace() {
    let i = install();
    let ns = only(&i.namespaces, "Namespace");
    assert_eq!(name(&ns.metadata), "leaselint");
    let labels = ns.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.get("kubernetes.io/metadata.name").map(String::as_str), Some("leaselint"));
    for m in manifests() {
        let kind = m.value["kind"].as_str().unwrap_or_default();
        let cluster_scoped = matches!(
            kind,
            "Namespace"
                | "ClusterRole"
                | "ClusterRoleBinding"
                | "ValidatingWebhookConfiguration"
                | "MutatingWebhookConfiguration"
        );
        let object_ns = m.value["metadata"]["namespace"].as_str();
        if cluster_scoped {
            assert_eq!(object_ns, None, "{}: {kind} is cluster-scoped", m.file);
        } else {
            assert_eq!(object_ns, Some("leaselint"), "{}: {kind} {}", m.file, m.value["metadata"]["name"]);
        }
    }
}

#[test]
fn cluster_role_grants_list_and_watch_on_leases_only() {
    let i = install();
    let role = only(&i.cluster_roles, "ClusterRole");
    assert!(role.aggregation_rule.is_none());
    let rule = only(role.rules.as_deref().unwrap_or_default(), "rule in the ClusterRole");
    assert_eq!(rule.api_groups.as_deref(), Some(&["coordination.k8s.io".to_string()][..]));
    assert_eq!(rule.resources.as_deref(), Some(&["leases".to_string()][..]));
    let verbs: BTreeSet<&str> = rule.verbs.iter().map(String::as_str).collect();
    assert_eq!(verbs, BTreeSet::from(["list", "watch"]));
    assert!(rule.resource_names.is_none() && rule.non_resource_urls.is_none());

    let binding = only(&i.cluster_role_bindings, "ClusterRoleBinding");
    assert_eq!((binding.role_ref.kind.as_str(), binding.role_ref.name.as_str()), ("ClusterRole", name(&role.metadata)));
    let subject = only(binding.subjects.as_deref().unwrap_or_default(), "subject of the binding");
    let sa = only(&i.service_accounts, "ServiceAccount");
    assert_eq!(subject.kind, "ServiceAccount");
    assert_eq!(subject.name, name(&sa.metadata));
    assert_eq!(subject.namespace.as_deref(), Some(namespace(&sa.metadata)));
    let d = only(&i.deployments, "Deployment");
    assert_eq!(pod_spec(d).service_account_name.as_deref(), Some(name(&sa.metadata)), "the pods run as it");
}

#[test]
fn deployment_runs_two_replicas_spread_over_nodes_under_a_pdb() {
    let i = install();
    let d = only(&i.deployments, "Deployment");
    let spec = &d.spec;
    assert_eq!(spec.replicas, Some(2));
    let labels = pod_labels(d);
    assert!(selects(&spec.selector, &labels), "the Deployment's selector selects its pods");

    let pdb = only(&i.pdbs, "PodDisruptionBudget");
    assert_eq!(namespace(&pdb.metadata), namespace(&d.metadata));
    let pdb_spec = pdb.spec.as_ref().unwrap();
    assert_eq!(pdb_spec.max_unavailable, Some(IntOrString::Int(1)));
    assert!(pdb_spec.min_available.is_none());
    assert!(selects(pdb_spec.selector.as_ref().expect("a PDB selector"), &labels), "the PDB selects the pods");

    let spread = pod_spec(d).topology_spread_constraints.as_deref().unwrap_or_default();
    let on_nodes = spread
        .iter()
        .find(|c| c.topology_key == "kubernetes.io/hostname")
        .expect("a topology spread constraint across nodes");
    assert_eq!(on_nodes.max_skew, 1);
    assert!(["ScheduleAnyway", "DoNotSchedule"].contains(&on_nodes.when_unsatisfiable.as_str()));
    assert!(selects(on_nodes.label_selector.as_ref().expect("a labelSelector"), &labels), "it counts these pods");
}

#[test]
fn deployment_pods_follow_the_policy() {
    let i = install();
    let d = only(&i.deployments, "Deployment");
    let pod = pod_spec(d);

    let options = pod.dns_config.as_ref().and_then(|c| c.options.clone()).unwrap_or_default();
    let option = |n: &str| options.iter().find(|o| o.name.as_deref() == Some(n));
    assert_eq!(option("ndots").and_then(|o| o.value.as_deref()), Some("2"));
    assert!(option("single-request-reopen").is_some());

    for c in pod.containers.iter().chain(pod.init_containers.iter().flatten()) {
        let resources = c.resources.as_ref().expect("resources");
        let limits = resources.limits.clone().unwrap_or_default();
        let requests = resources.requests.clone().unwrap_or_default();
        assert!(!limits.contains_key("cpu"), "container {}: no CPU limit", c.name);
        assert!(limits.contains_key("memory"), "container {}: a memory limit", c.name);
        assert!(requests.contains_key("cpu"), "container {}: a CPU request", c.name);
    }

    let c = server(d);
    let metrics_port = flag(c, "--metrics-addr").and_then(|a| a.rsplit_once(':')).expect("--metrics-addr host:port").1;
    let metrics_port: i32 = metrics_port.parse().unwrap();
    assert_eq!(metrics_port, 9090);
    for (probe, path) in [(&c.readiness_probe, "/readyz"), (&c.liveness_probe, "/healthz")] {
        let get = probe.as_ref().and_then(|p| p.http_get.as_ref()).expect("an httpGet probe");
        assert_eq!(get.path.as_deref(), Some(path));
        assert_eq!(container_port(c, &get.port), metrics_port, "{path} is probed on the metrics port");
        assert!(get.scheme.as_deref().is_none_or(|s| s == "HTTP"), "the metrics port is plain HTTP");
    }

    let grace = pod.termination_grace_period_seconds.expect("terminationGracePeriodSeconds");
    let shutdown = go_duration(flag(c, "--shutdown-grace").unwrap_or("20s"));
    assert!(grace > i64::try_from(shutdown).unwrap(), "the kubelet waits {grace}s > --shutdown-grace {shutdown}s");
}

#[test]
fn deployment_is_locked_down() {
    let i = install();
    let d = only(&i.deployments, "Deployment");
    let pod = pod_spec(d);
    let pod_ctx = pod.security_context.clone().unwrap_or_default();
    for c in &pod.containers {
        let ctx = c.security_context.clone().unwrap_or_default();
        let non_root = ctx.run_as_non_root.or(pod_ctx.run_as_non_root);
        assert_eq!(non_root, Some(true), "container {}: runAsNonRoot", c.name);
        assert_eq!(ctx.read_only_root_filesystem, Some(true), "container {}: readOnlyRootFilesystem", c.name);
        assert_eq!(ctx.allow_privilege_escalation, Some(false), "container {}: no privilege escalation", c.name);
        let drop = ctx.capabilities.as_ref().and_then(|caps| caps.drop.clone()).unwrap_or_default();
        assert_eq!(drop, ["ALL"], "container {}: drops every capability", c.name);
        assert!(ctx.capabilities.as_ref().and_then(|caps| caps.add.as_ref()).is_none());
        let seccomp = ctx.seccomp_profile.or(pod_ctx.seccomp_profile.clone()).expect("a seccomp profile");
        assert_eq!(seccomp.type_, "RuntimeDefault", "container {}", c.name);
    }
}

#[test]
fn deployment_serves_with_the_certificate_it_mounts() {
    let i = install();
    let d = only(&i.deployments, "Deployment");
    let c = server(d);
    assert_eq!(c.image.as_deref(), Some(concat!("ghcr.io/leaselint/leaselint:", env!("CARGO_PKG_VERSION"))));
    let args = c.args.as_deref().unwrap_or_default();
    assert_eq!(args.first().map(String::as_str), Some("serve"));
    assert!(args.iter().any(|a| a == "--watch-leases"));
    assert_eq!(flag(c, "--addr"), Some("0.0.0.0:8443"));
    assert_eq!(flag(c, "--tls-cert"), Some("/tls/tls.crt"));
    assert_eq!(flag(c, "--tls-key"), Some("/tls/tls.key"));

    let mount = c.volume_mounts.iter().flatten().find(|m| m.mount_path == "/tls").expect("a volume at /tls");
    assert!(mount.sub_path.is_none(), "no subPath: rotated files must show up");
    let volume = pod_spec(d).volumes.iter().flatten().find(|v| v.name == mount.name).expect("the mounted volume");
    let secret = volume.secret.as_ref().and_then(|s| s.secret_name.as_deref()).expect("a Secret volume");

    let serving = i.certificates.iter().find(|cert| cert.spec.secret_name == secret).expect("a Certificate writes it");
    let service = only(&i.services, "Service");
    let host = format!("{}.{}.svc", name(&service.metadata), namespace(&service.metadata));
    let dns: BTreeSet<String> = serving.spec.dns_names.iter().flatten().cloned().collect();
    assert_eq!(dns, BTreeSet::from([format!("{host}.cluster.local"), host]), "the certificate names the Service");
}

#[test]
fn service_exposes_the_webhook_on_443_and_the_metrics() {
    let i = install();
    let d = only(&i.deployments, "Deployment");
    let c = server(d);
    let service = only(&i.services, "Service");
    let spec = service.spec.as_ref().unwrap();
    let selector = spec.selector.clone().expect("a selector");
    let labels = pod_labels(d);
    assert!(selector.iter().all(|(k, v)| labels.get(k) == Some(v)), "the Service selects the pods");
    let ports = spec.ports.as_deref().unwrap_or_default();
    let port = |n: &str| ports.iter().find(|p| p.name.as_deref() == Some(n)).unwrap_or_else(|| panic!("port {n}"));
    let webhook = port("webhook");
    assert_eq!(webhook.port, 443);
    assert_eq!(container_port(c, webhook.target_port.as_ref().unwrap()), 8443);
    let metrics = port("metrics");
    assert_eq!(metrics.port, 9090);
    assert_eq!(container_port(c, metrics.target_port.as_ref().unwrap()), 9090);
}

#[test]
fn certificates_bootstrap_a_ca_for_the_serving_certificate() {
    let i = install();
    let issuer = |n: &str| i.issuers.iter().find(|x| name(&x.metadata) == n).unwrap_or_else(|| panic!("Issuer {n}"));
    let d = only(&i.deployments, "Deployment");
    let mounted = pod_spec(d).volumes.iter().flatten().find_map(|v| v.secret.as_ref()?.secret_name.clone()).unwrap();
    let serving = i.certificates.iter().find(|c| c.spec.secret_name == mounted).expect("the serving Certificate");

    // serving <- CA Issuer <- CA Certificate <- self-signed Issuer
    assert_eq!(serving.spec.issuer_ref.kind.as_deref(), Some("Issuer"));
    let ca_issuer = issuer(&serving.spec.issuer_ref.name);
    let ca_secret = &ca_issuer.spec.ca.as_ref().expect("the serving Certificate comes from a CA Issuer").secret_name;
    let ca = i.certificates.iter().find(|c| &c.spec.secret_name == ca_secret).expect("a Certificate makes the CA");
    assert_eq!(ca.spec.is_ca, Some(true));
    let root = issuer(&ca.spec.issuer_ref.name);
    assert!(root.spec.self_signed.is_some() && root.spec.ca.is_none(), "the CA is self-signed");

    for cert in &i.certificates {
        let what = name(&cert.metadata);
        assert_eq!(cert.spec.issuer_ref.group.as_deref().unwrap_or("cert-manager.io"), "cert-manager.io");
        let duration = go_duration(cert.spec.duration.as_deref().expect("a duration"));
        let renew = go_duration(cert.spec.renew_before.as_deref().expect("renewBefore"));
        assert!(duration >= 3600 && renew >= 300 && renew < duration, "{what}: renews before it expires");
        let key = cert.spec.private_key.as_ref().expect("privateKey");
        assert_eq!(key.encoding, Some(KeyEncoding::Pkcs8), "{what}: rustls reads PKCS#8");
        assert_eq!(key.rotation_policy, Some(RotationPolicy::Always), "{what}");
        assert_eq!(key.algorithm, Some(KeyAlgorithm::Ecdsa), "{what}");
    }
    assert_eq!(ca.spec.usages, None);
    assert!(serving.spec.usages.iter().flatten().any(|u| u == "server auth"));
    assert_ne!(serving.spec.is_ca, Some(true));
    // The CA outlives many serving certificates.
    let ca_life = go_duration(ca.spec.duration.as_deref().unwrap());
    assert!(ca_life >= 10 * go_duration(serving.spec.duration.as_deref().unwrap()));
}

#[test]
fn webhooks_fail_open_and_leave_out_system_namespaces_and_opted_out_objects() {
    let i = install();
    let all = hooks(&i);
    let names: BTreeSet<&str> = all.iter().map(|h| h.name.as_str()).collect();
    assert_eq!((all.len(), names.len()), (2, 2), "one validating and one mutating webhook, with distinct names");
    let service = only(&i.services, "Service");
    let namespace_name = name(&only(&i.namespaces, "Namespace").metadata).to_string();
    let webhook_port =
        service.spec.as_ref().unwrap().ports.iter().flatten().find(|p| p.name.as_deref() == Some("webhook"));
    let serving = i.certificates.iter().find(|c| c.spec.dns_names.is_some()).expect("the serving Certificate");

    for (hook, path) in all.iter().zip(["/validate", "/mutate"]) {
        let h = &hook.name;
        assert_eq!(hook.failure_policy.as_deref(), Some("Ignore"), "{h}: fails open");
        assert_eq!(hook.timeout_seconds, Some(3), "{h}");
        assert_eq!(hook.side_effects, "None", "{h}");
        assert_eq!(hook.admission_review_versions, ["v1"], "{h}");
        assert!(hook.url.is_none(), "{h}: called through the Service");
        let svc = hook.service.as_ref().expect("a service reference");
        assert_eq!(
            (svc.name.as_str(), svc.namespace.as_str()),
            (name(&service.metadata), namespace(&service.metadata))
        );
        assert_eq!(svc.path.as_deref(), Some(path), "{h}");
        assert_eq!(svc.port.unwrap_or(443), webhook_port.unwrap().port, "{h}: the Service's webhook port");
        let inject = format!("{}/{}", namespace(&serving.metadata), name(&serving.metadata));
        assert_eq!(hook.ca_injected_from.as_deref(), Some(inject.as_str()), "{h}: cert-manager injects the CA");
        assert_eq!(inject, "leaselint/leaselint-webhook");

        let ns = hook.namespace_selector.as_ref().expect("a namespaceSelector");
        for left_out in ["kube-system", namespace_name.as_str()] {
            let labels = BTreeMap::from([("kubernetes.io/metadata.name".to_string(), left_out.to_string())]);
            assert!(!selects(ns, &labels), "{h}: namespace {left_out} is left out");
        }
        let other = BTreeMap::from([("kubernetes.io/metadata.name".to_string(), "shop".to_string())]);
        assert!(selects(ns, &other), "{h}: other namespaces are in");
        let exprs = ns.match_expressions.as_deref().unwrap_or_default();
        assert!(exprs.iter().any(|e| e.key == "kubernetes.io/metadata.name" && e.operator == "NotIn"), "{h}");

        let objects = hook.object_selector.as_ref().expect("an objectSelector");
        let off = BTreeMap::from([("leaselint.io/admission".to_string(), "off".to_string())]);
        assert!(!selects(objects, &off), "{h}: `leaselint.io/admission: off` opts out");
        let unlabelled = BTreeMap::from([("app".to_string(), "shop".to_string())]);
        assert!(selects(objects, &unlabelled), "{h}: unlabelled objects are in");
    }
}

#[test]
fn webhook_rules_cover_the_kinds_the_rules_read() {
    let i = install();
    let all = hooks(&i);
    let (validate, mutate) = (&all[0], &all[1]);
    let both = ["CREATE", "UPDATE"];
    let kinds = [
        ("apps", "deployments", &both[..]),
        ("apps", "statefulsets", &both[..]),
        ("apps", "daemonsets", &both[..]),
        ("apps", "replicasets", &both[..]),
        ("batch", "jobs", &both[..]),
        ("batch", "cronjobs", &both[..]),
        // a pod's spec is immutable: UPDATEs are controllers' metadata and finalizer edits
        ("", "pods", &["CREATE"][..]),
        ("policy", "poddisruptionbudgets", &both[..]),
        ("autoscaling", "horizontalpodautoscalers", &both[..]),
        ("rbac.authorization.k8s.io", "roles", &both[..]),
        ("rbac.authorization.k8s.io", "rolebindings", &both[..]),
        // every renewal is an UPDATE: only the CREATE is checked
        ("coordination.k8s.io", "leases", &["CREATE"][..]),
    ];
    let ops = |o: &[&str]| o.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let want: BTreeMap<_, _> = kinds.iter().map(|(g, r, o)| ((g.to_string(), r.to_string()), ops(o))).collect();
    assert_eq!(coverage(&validate.rules), want, "/validate sees every kind the rules read");

    // /mutate: what a fix may change at admission, and nothing a patch would break.
    let mut want_mutate = want.clone();
    want_mutate.remove(&("coordination.k8s.io".into(), "leases".into())); // never changed at admission
    want_mutate.remove(&("apps".into(), "replicasets".into())); // the Deployment controller owns them
    want_mutate.insert(("batch".into(), "jobs".into()), ops(&["CREATE"])); // the template is immutable
    assert_eq!(coverage(&mutate.rules), want_mutate, "/mutate");

    for hook in [validate, mutate] {
        for r in &hook.rules {
            assert_eq!(r.scope.as_deref(), Some("Namespaced"), "{}", hook.name);
            assert!(r.api_versions.iter().flatten().all(|v| v != "*"), "{}: pinned versions", hook.name);
            assert!(r.resources.iter().flatten().all(|res| !res.contains('/')), "{}: no subresources", hook.name);
        }
    }
}

#[test]
fn prometheus_rule_alerts_on_p99_renewal_lag() {
    let i = install();
    let rule = only(&i.prometheus_rules, "PrometheusRule");
    let alerts: Vec<&Rule> = rule.spec.groups.iter().flat_map(|g| &g.rules).filter(|r| r.alert.is_some()).collect();
    let lag = alerts
        .iter()
        .find(|r| r.expr.contains("leaselint_lease_renew_lag_seconds_bucket"))
        .expect("an alert on the renewal lag histogram");
    for part in
        ["histogram_quantile(0.99,", "sum by (le, namespace)", "rate(leaselint_lease_renew_lag_seconds_bucket[5m])"]
    {
        assert!(lag.expr.contains(part), "`{}` has `{part}`", lag.expr);
    }
    assert!(lag.expr.trim_end().ends_with("> 2"), "`{}` compares with 2 s", lag.expr);
    assert_eq!(lag.for_.as_deref(), Some("5m"));
    let annotations = lag.annotations.clone().unwrap_or_default();
    let summary = annotations.get("summary").expect("a summary");
    let description = annotations.get("description").expect("a description");
    assert!(summary.contains("{{ $labels.namespace }}"), "{summary}");
    for words in ["lateness, not age", "renewed every 10 s", "\"old\""] {
        assert!(description.contains(words), "the description explains lag: {words}");
    }
    assert!(lag.labels.as_ref().is_some_and(|l| l.contains_key("severity")));
}

#[test]
fn service_monitor_scrapes_the_metrics_port() {
    let i = install();
    let monitor = only(&i.service_monitors, "ServiceMonitor");
    let service = only(&i.services, "Service");
    let service_labels = service.metadata.labels.clone().unwrap_or_default();
    assert!(selects(&monitor.spec.selector, &service_labels), "it selects the Service");
    let names = monitor.spec.namespace_selector.as_ref().and_then(|n| n.match_names.clone()).unwrap_or_default();
    assert_eq!(names, [namespace(&service.metadata)]);
    let endpoint = only(&monitor.spec.endpoints, "scrape endpoint");
    assert_eq!(endpoint.port.as_deref(), Some("metrics"));
    assert_eq!(endpoint.path.as_deref().unwrap_or("/metrics"), "/metrics");
    assert_eq!(endpoint.scheme.as_deref().unwrap_or("http"), "http");
    let ports = service.spec.as_ref().unwrap().ports.as_deref().unwrap_or_default();
    assert!(ports.iter().any(|p| p.name.as_deref() == Some("metrics")), "the Service has the port");
}

/// Objects keyed by apiVersion, kind, namespace and name.
fn keyed(objects: impl IntoIterator<Item = Value>) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for v in objects {
        let key = format!(
            "{} {} {}/{}",
            v["apiVersion"].as_str().unwrap_or_default(),
            v["kind"].as_str().unwrap_or_default(),
            v["metadata"]["namespace"].as_str().unwrap_or("-"),
            v["metadata"]["name"].as_str().unwrap_or_default()
        );
        assert!(out.insert(key.clone(), v).is_none(), "{key} is defined twice");
    }
    out
}

#[test]
fn kustomize_builds_the_same_objects() {
    let Some(kubectl) = common::kubectl("the `kubectl kustomize deploy/serve` test") else { return };
    let out =
        Command::new(kubectl).args(["kustomize", SERVE]).current_dir(repo()).stdin(Stdio::null()).output().unwrap();
    assert!(out.status.success(), "kubectl kustomize {SERVE}: {}", String::from_utf8_lossy(&out.stderr));
    let built = keyed(parse_stream(&String::from_utf8(out.stdout).unwrap(), "kubectl kustomize"));
    let files = keyed(manifests().into_iter().map(|m| m.value));
    assert_eq!(built.keys().collect::<Vec<_>>(), files.keys().collect::<Vec<_>>(), "the same objects");
    for (key, value) in &files {
        assert_eq!(&built[key], value, "{key}: kustomize builds it unchanged");
    }
}
