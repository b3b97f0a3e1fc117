//! Models of the custom resources in deploy/serve, for tests/deploy.rs: only their documented
//! fields, with `deny_unknown_fields`, so a misspelled or misplaced field is an error.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::{Deserialize, Serialize};

// cert-manager.io/v1, from the Go types the CRDs are generated from:
//   https://github.com/cert-manager/cert-manager/blob/master/pkg/apis/certmanager/v1/types_certificate.go
//   https://github.com/cert-manager/cert-manager/blob/master/pkg/apis/certmanager/v1/types_issuer.go
//   https://github.com/cert-manager/cert-manager/blob/master/pkg/apis/meta/v1/types.go (IssuerReference)
// and the reference at https://cert-manager.io/docs/reference/api-docs/. Fields these manifests do
// not use (keystores, additionalOutputFormats, nameConstraints, otherNames; the ACME, Vault and
// Venafi issuers) are left out: using one means adding it here, from those sources.

/// cert-manager.io/v1 Certificate.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Certificate {
    pub(crate) api_version: String,
    pub(crate) kind: String,
    pub(crate) metadata: ObjectMeta,
    pub(crate) spec: CertificateSpec,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct CertificateSpec {
    pub(crate) secret_name: String,
    pub(crate) issuer_ref: IssuerRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) common_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) literal_subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) subject: Option<X509Subject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) dns_names: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ip_addresses: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) uris: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) email_addresses: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) duration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) renew_before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) renew_before_percentage: Option<i32>,
    #[serde(rename = "isCA", default, skip_serializing_if = "Option::is_none")]
    pub(crate) is_ca: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) usages: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) private_key: Option<PrivateKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) encode_usages_in_request: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) revision_history_limit: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) secret_template: Option<SecretTemplate>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct IssuerRef {
    pub(crate) name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) group: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct X509Subject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) organizations: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) countries: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) organizational_units: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) localities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) provinces: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) street_addresses: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) postal_codes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) serial_number: Option<String>,
}

/// `privateKey`; the enums hold the values the CRD allows.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct PrivateKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) algorithm: Option<KeyAlgorithm>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) encoding: Option<KeyEncoding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rotation_policy: Option<RotationPolicy>,
}

#[derive(Debug, Deserialize, Serialize, PartialEq)]
pub(crate) enum KeyAlgorithm {
    #[serde(rename = "RSA")]
    Rsa,
    #[serde(rename = "ECDSA")]
    Ecdsa,
    Ed25519,
}

#[derive(Debug, Deserialize, Serialize, PartialEq)]
pub(crate) enum KeyEncoding {
    #[serde(rename = "PKCS1")]
    Pkcs1,
    #[serde(rename = "PKCS8")]
    Pkcs8,
}

#[derive(Debug, Deserialize, Serialize, PartialEq)]
pub(crate) enum RotationPolicy {
    Never,
    Always,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecretTemplate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) annotations: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) labels: Option<BTreeMap<String, String>>,
}

/// cert-manager.io/v1 Issuer: the self-signed and the CA issuer.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Issuer {
    pub(crate) api_version: String,
    pub(crate) kind: String,
    pub(crate) metadata: ObjectMeta,
    pub(crate) spec: IssuerSpec,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct IssuerSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) self_signed: Option<SelfSignedIssuer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ca: Option<CaIssuer>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct SelfSignedIssuer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) crl_distribution_points: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct CaIssuer {
    pub(crate) secret_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) crl_distribution_points: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ocsp_servers: Option<Vec<String>>,
}

// monitoring.coreos.com/v1, from the Prometheus Operator's Go types:
//   https://github.com/prometheus-operator/prometheus-operator/blob/main/pkg/apis/monitoring/v1/prometheusrule_types.go
//   https://github.com/prometheus-operator/prometheus-operator/blob/main/pkg/apis/monitoring/v1/servicemonitor_types.go
//   https://github.com/prometheus-operator/prometheus-operator/blob/main/pkg/apis/monitoring/v1/types.go (Endpoint, NamespaceSelector)
// and the rule file format at https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/
// (`for` and `keep_firing_for` keep Prometheus' snake case in the CRD).

/// monitoring.coreos.com/v1 PrometheusRule.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct PrometheusRule {
    pub(crate) api_version: String,
    pub(crate) kind: String,
    pub(crate) metadata: ObjectMeta,
    pub(crate) spec: PrometheusRuleSpec,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PrometheusRuleSpec {
    pub(crate) groups: Vec<RuleGroup>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleGroup {
    pub(crate) name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) partial_response_strategy: Option<String>,
    pub(crate) rules: Vec<Rule>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) alert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) record: Option<String>,
    pub(crate) expr: String,
    #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
    pub(crate) for_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) keep_firing_for: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) annotations: Option<BTreeMap<String, String>>,
}

/// monitoring.coreos.com/v1 ServiceMonitor.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ServiceMonitor {
    pub(crate) api_version: String,
    pub(crate) kind: String,
    pub(crate) metadata: ObjectMeta,
    pub(crate) spec: ServiceMonitorSpec,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ServiceMonitorSpec {
    pub(crate) selector: LabelSelector,
    pub(crate) endpoints: Vec<ScrapeEndpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) namespace_selector: Option<MonitorNamespaceSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) job_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) target_labels: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pod_target_labels: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sample_limit: Option<u64>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ScrapeEndpoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) port: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) target_port: Option<IntOrString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) scheme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) scrape_timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) honor_labels: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct MonitorNamespaceSelector {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) any: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) match_names: Option<Vec<String>>,
}
