//! One AdmissionReview in, one out (SPEC §11): the object of the request is linted alone, as a
//! run of one object, by the same runner, registry and config as files (STYLE §1: written as a
//! JSON document into an in-memory source named by its API path). `/validate` turns findings
//! into warnings and, at or above `--deny-on`, a denial; `/mutate` applies the fixes of
//! `--mutate RULES` with the same fixer as `--fix` and answers the change as an RFC 6902
//! JSONPatch. Synchronous and pure: the server calls it per request.

use std::collections::BTreeSet;

use kube_core::DynamicObject;
use kube_core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview, Operation};
use serde_json::Value;

use crate::config::{LintConfig, RuleSetting};
use crate::diag::{Diagnostic, Severity};
use crate::k8s::{Kind, pod_names::POD_LABELS};
use crate::lint::{self, Registry};
use crate::source::SourceFile;

/// The annotation a mutated object gets: the rules whose fixes were applied, comma-separated.
pub(crate) const MUTATED_ANNOTATION: &str = "leaselint.io/mutated";
/// The key of `userInfo.extra` where the API server names the pod a ServiceAccount token was
/// bound to (Kubernetes 1.30+, `ServiceAccountTokenPodNodeInfo`).
pub(crate) const POD_NAME_EXTRA: &str = "authentication.kubernetes.io/pod-name";
/// Kubernetes truncates admission warnings longer than this many characters.
pub(crate) const MAX_WARNING_CHARS: usize = 255;

/// Which endpoint a review came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Validate,
    Mutate,
}

impl Endpoint {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Endpoint::Validate => "validate",
            Endpoint::Mutate => "mutate",
        }
    }
}

/// The rules `/mutate` applies (`--mutate RULES`), with a config and registry that run only
/// them (the operator chose them: their fixes are applied safe or unsafe).
pub(crate) struct Mutation {
    pub(crate) config: LintConfig,
    pub(crate) registry: Registry,
}

/// What the server answers with, from the run's configuration.
pub(crate) struct Admission {
    pub(crate) config: LintConfig,
    pub(crate) registry: Registry,
    pub(crate) mutation: Option<Mutation>,
    /// `--deny-on`: findings at or above it deny the request (`None`: never).
    pub(crate) deny_on: Option<Severity>,
    /// `--deny-per-pod-leases`.
    pub(crate) deny_per_pod_leases: bool,
}

/// The answer to one request, and what the metrics count.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// HTTP status: 200 with an AdmissionReview, 400 for a body that is not one.
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    /// Rule codes, once per warning, denial cause and applied fix.
    pub(crate) warned: Vec<String>,
    pub(crate) denied: Vec<String>,
    pub(crate) mutated: Vec<String>,
}

impl Outcome {
    fn bad_request(message: String) -> Outcome {
        let body = serde_json::json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "BadRequest", "code": 400,
            "message": message,
        });
        Outcome {
            status: 400,
            body: serde_json::to_vec(&body).unwrap_or_default(),
            warned: Vec::new(),
            denied: Vec::new(),
            mutated: Vec::new(),
        }
    }
}

/// A warning of at most [`MAX_WARNING_CHARS`] characters: `LL006 ndots-default: message`, cut
/// at a character boundary with `…`.
pub(crate) fn warning(d: &Diagnostic) -> String {
    truncate(&format!("{} {}: {}", d.code, d.name, d.message))
}

/// The API path of the request's object, as the audit names live objects:
/// `apis/apps/v1/namespaces/web/deployments/api` (`api/v1/…` for the core group).
fn resource_path(req: &AdmissionRequest<DynamicObject>, object: &Value) -> String {
    let r = &req.resource;
    let prefix =
        if r.group.is_empty() { format!("api/{}", r.version) } else { format!("apis/{}/{}", r.group, r.version) };
    let name = if req.name.is_empty() {
        // A CREATE with generateName has no name yet.
        object["metadata"]["generateName"].as_str().map_or_else(|| "(new)".to_string(), |g| format!("{g}(new)"))
    } else {
        req.name.clone()
    };
    match req.namespace.as_deref().filter(|n| !n.is_empty()) {
        Some(ns) => format!("{prefix}/namespaces/{ns}/{}/{name}", r.resource),
        None => format!("{prefix}/{}/{name}", r.resource),
    }
}

impl Admission {
    /// Answers the AdmissionReview in `body`.
    pub(crate) fn review(&self, endpoint: Endpoint, body: &[u8]) -> Outcome {
        let review: AdmissionReview<DynamicObject> = match serde_json::from_slice(body) {
            Ok(r) => r,
            Err(e) => return Outcome::bad_request(format!("not an admission.k8s.io/v1 AdmissionReview: {e}")),
        };
        let req: AdmissionRequest<DynamicObject> = match review.try_into() {
            Ok(r) => r,
            Err(_) => return Outcome::bad_request("the AdmissionReview has no `request`".to_string()),
        };
        let mut outcome =
            Outcome { status: 200, body: Vec::new(), warned: Vec::new(), denied: Vec::new(), mutated: Vec::new() };
        let response = self.respond(endpoint, &req, &mut outcome);
        let mut review = serde_json::to_value(response.into_review()).unwrap_or_default();
        // `patch` is Go's `[]byte`: a base64 string, as the API server writes it (kube-core
        // writes an array of numbers, which Go also reads, but no other webhook does).
        if let Some(bytes) = review.pointer("/response/patch").and_then(Value::as_array) {
            let raw: Vec<u8> = bytes.iter().filter_map(|b| u8::try_from(b.as_u64()?).ok()).collect();
            review["response"]["patch"] =
                Value::from(base64::Engine::encode(&base64::engine::general_purpose::STANDARD, raw));
        }
        outcome.body = serde_json::to_vec(&review).unwrap_or_default();
        outcome
    }

    fn respond(
        &self,
        endpoint: Endpoint,
        req: &AdmissionRequest<DynamicObject>,
        out: &mut Outcome,
    ) -> AdmissionResponse {
        let response = AdmissionResponse::from(req);
        let Some(object) =
            req.object.as_ref().filter(|_| matches!(req.operation, Operation::Create | Operation::Update))
        else {
            return response;
        };
        let Ok(mut value) = serde_json::to_value(object) else { return response };
        // An object always has its type in a review; fill it from the request when it does not.
        if value.get("apiVersion").and_then(Value::as_str).is_none_or(str::is_empty) {
            let k = &req.kind;
            let api_version = if k.group.is_empty() { k.version.clone() } else { format!("{}/{}", k.group, k.version) };
            value["apiVersion"] = Value::from(api_version);
            value["kind"] = Value::from(k.kind.clone());
        }
        let api_version = value["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind = value["kind"].as_str().unwrap_or_default().to_string();
        if crate::k8s::recognise(&api_version, &kind, &self.config.pod_template_kinds) == Kind::Other {
            // Nothing the rules read: allowed as it is.
            return response;
        }
        let path = resource_path(req, &value);
        match endpoint {
            Endpoint::Validate => self.validate(req, &value, path, response, out),
            Endpoint::Mutate => self.mutate(value, path, response, out),
        }
    }

    fn validate(
        &self,
        req: &AdmissionRequest<DynamicObject>,
        value: &Value,
        path: String,
        mut response: AdmissionResponse,
        out: &mut Outcome,
    ) -> AdmissionResponse {
        let files = [SourceFile::resource(path.clone(), value.to_string())];
        let linted = lint::lint(&files, &self.registry, &self.config);
        // An UPDATE is denied only for what it brings: a finding the old object had already
        // (same rule, same place) is warned about but never blocks the object's own controller
        // from scaling it or removing a finalizer (Kyverno's `allowExistingViolations`).
        let existing: BTreeSet<(&str, String)> = match (&req.old_object, req.operation.clone(), self.deny_on) {
            (Some(old), Operation::Update, Some(_)) => serde_json::to_value(old)
                .ok()
                .map(|old| {
                    let old_files = [SourceFile::resource(path, old.to_string())];
                    let old_lint = lint::lint(&old_files, &self.registry, &self.config);
                    old_lint.diagnostics.iter().map(|d| (d.code, d.loc.path.to_string())).collect()
                })
                .unwrap_or_default(),
            _ => BTreeSet::new(),
        };
        let mut warnings: Vec<String> = Vec::new();
        let mut denials: Vec<String> = Vec::new();
        for d in &linted.diagnostics {
            warnings.push(warning(d));
            out.warned.push(d.code.to_string());
            let new = !existing.contains(&(d.code, d.loc.path.to_string()));
            if new && self.deny_on.is_some_and(|at| d.severity >= at) {
                denials.push(format!("{} {}: {}", d.code, d.name, d.message));
                out.denied.push(d.code.to_string());
            }
        }
        if req.operation == Operation::Create
            && let Some(why) = per_pod_lease(req, value)
        {
            let d = format!("LL001 per-pod-lease: {why}");
            warnings.push(truncate(&d));
            out.warned.push("LL001".to_string());
            if self.deny_per_pod_leases {
                denials.push(d);
                out.denied.push("LL001".to_string());
            }
        }
        if !warnings.is_empty() {
            response.warnings = Some(warnings);
        }
        if !denials.is_empty() {
            response = response.deny(format!("leaselint denied this object: {}", denials.join("; ")));
            response.result.code = 403;
            response.result.reason = "Forbidden".to_string();
        }
        response
    }

    fn mutate(
        &self,
        original: Value,
        path: String,
        mut response: AdmissionResponse,
        out: &mut Outcome,
    ) -> AdmissionResponse {
        let Some(m) = &self.mutation else { return response };
        let mut file = SourceFile::resource(path, original.to_string());
        // Edited as the JSON it is (fixes write JSON syntax), so the fixed text reads back with
        // serde_json rather than a third YAML parse.
        file.json = true;
        let run = crate::fix::run(
            vec![file],
            &m.registry,
            &m.config,
            crate::fix::Options { unsafe_fixes: true, history: false },
        );
        let applied: BTreeSet<String> = run.applied.iter().map(|a| a.code.to_string()).collect();
        if applied.is_empty() {
            return response;
        }
        let Some(fixed) = run.files.first().and_then(|f| parse_json(&f.text)) else {
            response.warnings = Some(vec!["leaselint: the fixed object could not be read back; not mutated".into()]);
            return response;
        };
        let mut fixed = fixed;
        let codes: Vec<String> = applied.into_iter().collect();
        let api_version = fixed["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind = fixed["kind"].as_str().unwrap_or_default().to_string();
        if let Some(meta) = fixed.get_mut("metadata").and_then(Value::as_object_mut) {
            let annotations = meta.entry("annotations").or_insert_with(|| Value::Object(serde_json::Map::new()));
            if let Some(a) = annotations.as_object_mut() {
                a.insert(MUTATED_ANNOTATION.to_string(), Value::from(codes.join(",")));
            }
        }
        if let Err(why) = crate::k8s::typed::check(&api_version, &kind, fixed.clone()) {
            let warning = format!(
                "leaselint: the fixes of {} would not give a valid {kind} ({why}); not mutated",
                codes.join(",")
            );
            response.warnings = Some(vec![truncate(&warning)]);
            return response;
        }
        let patch = json_patch::diff(&original, &fixed);
        match response.clone().with_patch(patch) {
            Ok(r) => {
                out.mutated = codes;
                r
            }
            Err(e) => {
                response.warnings = Some(vec![truncate(&format!("leaselint: the patch could not be written: {e}"))]);
                response
            }
        }
    }
}

/// `text` cut to [`MAX_WARNING_CHARS`] characters (at a character boundary, ending in `…`).
fn truncate(text: &str) -> String {
    if text.chars().count() <= MAX_WARNING_CHARS {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(MAX_WARNING_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// The fixed object: JSON (what fixes of a JSON object write), else the first YAML document.
fn parse_json(text: &str) -> Option<Value> {
    if let Ok(value) = serde_json::from_str(text) {
        return Some(value);
    }
    let (docs, errors) = crate::yaml::parse_chunk(text, 0..text.len(), crate::yaml::Limits::default());
    if !errors.is_empty() {
        return None;
    }
    crate::yaml::json::to_json(docs.first()?.root()?)
}

/// Why a Lease being created is a per-pod lease: its name is the requesting pod's name (the
/// `authentication.kubernetes.io/pod-name` the API server put in `userInfo.extra`), or derives
/// from it (`<pod>-…`, `…-<pod>`), or it carries a pod label of LL001 (b).
fn per_pod_lease(req: &AdmissionRequest<DynamicObject>, value: &Value) -> Option<String> {
    if value["kind"] != "Lease" || !value["apiVersion"].as_str().is_some_and(|v| v.starts_with("coordination.k8s.io/"))
    {
        return None;
    }
    let name = value["metadata"]["name"].as_str().unwrap_or(req.name.as_str());
    let pod = req.user_info.extra.as_ref().and_then(|e| e.get(POD_NAME_EXTRA)).and_then(|v| v.first());
    if let Some(pod) = pod.filter(|p| !p.is_empty()) {
        let derived = name == pod.as_str()
            || name.strip_prefix(pod.as_str()).is_some_and(|rest| rest.starts_with(['-', '.', '_']))
            || name.strip_suffix(pod.as_str()).is_some_and(|rest| rest.ends_with(['-', '.', '_']));
        if derived {
            return Some(format!(
                "Lease `{name}` is named after the pod `{pod}` that creates it: every replica makes and renews its \
                 own Lease; share one Lease per namespace (a Lease is never renamed at admission: the client \
                 reads its lock back by this name)"
            ));
        }
    }
    let labels = value["metadata"]["labels"].as_object()?;
    let label = POD_LABELS.iter().find(|l| labels.contains_key(**l))?;
    Some(format!("Lease `{name}` carries the pod label `{label}`: one Lease per pod; share one Lease per namespace"))
}

/// The `--mutate` configuration: only `codes` run (`mutate` applies their fixes safe or unsafe:
/// the fixer runs with `unsafe_fixes`).
pub(crate) fn mutation_config(base: &LintConfig, codes: &[String], known: impl Iterator<Item = String>) -> LintConfig {
    let mut config = base.alone();
    for code in known {
        if !codes.contains(&code) {
            config.rules.insert(code, RuleSetting::Off);
        }
    }
    for code in codes {
        if config.rules.get(code) == Some(&RuleSetting::Off) {
            config.rules.remove(code);
        }
    }
    config
}
