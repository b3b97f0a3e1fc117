//! A simulated cluster at scale: N nodes with their heartbeat Leases in `kube-node-lease`, the
//! API server's identity Lease, Deployments with their ReplicaSets and Pods, StatefulSets whose
//! Pods each hold a per-pod Lease, spread over namespaces.
//!
//! Everything but the Pods is small enough to be stored ([`Scale::materialize`]); the Pods are
//! made from their index when a list page or a get asks for them, so 200,000 Pods cost no memory.

use std::ops::Range;
use std::time::Duration;

use serde_json::{Value, json};

use crate::resources::Resource;

/// How big the simulated cluster is.
#[derive(Debug, Clone)]
pub struct ScaleSpec {
    pub nodes: usize,
    pub namespaces: usize,
    pub deployments: usize,
    /// Pods in all: those of the StatefulSets (one per per-pod Lease) and the rest spread over
    /// the Deployments.
    pub pods: usize,
    pub statefulsets: usize,
    /// Per-pod Leases, one for each StatefulSet pod (so also the number of StatefulSet pods).
    pub per_pod_leases: usize,
    /// How often node heartbeat Leases are renewed (kubelet: 10 s).
    pub node_lease_period: Option<Duration>,
    /// How often per-pod Leases are renewed (client-go's retry period: 2 s).
    pub pod_lease_period: Option<Duration>,
}

impl ScaleSpec {
    /// The seed cluster: 4,000 nodes, 200,000 pods, 5,000 Deployments, 2,000 per-pod Leases.
    pub fn seed() -> Self {
        ScaleSpec {
            nodes: 4_000,
            namespaces: 100,
            deployments: 5_000,
            pods: 200_000,
            statefulsets: 20,
            per_pod_leases: 2_000,
            node_lease_period: Some(Duration::from_secs(10)),
            pod_lease_period: Some(Duration::from_secs(2)),
        }
    }
}

/// The generator: object `i` of a kind is a pure function of the spec and `i`.
#[derive(Debug, Clone)]
pub struct Scale {
    spec: ScaleSpec,
    deployment_pods: usize,
    created: String,
}

/// Digits of generated name suffixes (no vowels, as Kubernetes' random suffixes).
const DIGITS: &[u8; 30] = b"0123456789bcdfghjklmnpqrstvwxz";

fn suffix(mut n: usize, width: usize) -> String {
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[n % DIGITS.len()];
        n /= DIGITS.len();
    }
    String::from_utf8(out).unwrap_or_default()
}

fn parse_suffix(s: &str) -> Option<usize> {
    s.bytes().try_fold(0usize, |acc, b| {
        let d = DIGITS.iter().position(|&x| x == b)?;
        acc.checked_mul(DIGITS.len())?.checked_add(d)
    })
}

fn uid(kind: u32, i: usize) -> String {
    format!("{kind:08x}-0000-4000-8000-{i:012x}")
}

impl Scale {
    pub fn new(mut spec: ScaleSpec, created: String) -> Self {
        spec.namespaces = spec.namespaces.max(1);
        spec.nodes = spec.nodes.max(1);
        spec.per_pod_leases = spec.per_pod_leases.min(spec.pods);
        if spec.statefulsets == 0 {
            spec.per_pod_leases = 0;
        }
        let deployment_pods = spec.pods - spec.per_pod_leases;
        if spec.deployments == 0 {
            spec.pods = spec.per_pod_leases;
        }
        Scale { deployment_pods: if spec.deployments == 0 { 0 } else { deployment_pods }, spec, created }
    }

    pub fn spec(&self) -> &ScaleSpec {
        &self.spec
    }

    fn namespace(&self, k: usize) -> String {
        format!("ns-{k:04}")
    }

    fn namespace_index(&self, ns: &str) -> Option<usize> {
        let k: usize = ns.strip_prefix("ns-")?.parse().ok()?;
        (k < self.spec.namespaces).then_some(k)
    }

    fn node(&self, n: usize) -> String {
        format!("node-{n:05}")
    }

    /// First pod index of Deployment `d` (d may be `deployments`: the end).
    fn deployment_start(&self, d: usize) -> usize {
        d * self.deployment_pods / self.spec.deployments.max(1)
    }

    fn sts_start(&self, s: usize) -> usize {
        self.deployment_pods + s * self.spec.per_pod_leases / self.spec.statefulsets.max(1)
    }

    fn deployment_namespace(&self, d: usize) -> usize {
        d * self.spec.namespaces / self.spec.deployments.max(1)
    }

    fn sts_namespace(&self, s: usize) -> usize {
        s * self.spec.namespaces / self.spec.statefulsets.max(1)
    }

    /// Index range of Deployments (or StatefulSets) in namespace `k`.
    fn owners_in(&self, k: usize, count: usize) -> Range<usize> {
        let ns = self.spec.namespaces;
        // The first owner o with o * ns / count >= k.
        let first = |k: usize| (k * count).div_ceil(ns);
        first(k)..first(k + 1).min(count)
    }

    fn deployment_of(&self, i: usize) -> usize {
        let mut d = i * self.spec.deployments / self.deployment_pods.max(1);
        while d + 1 < self.spec.deployments && self.deployment_start(d + 1) <= i {
            d += 1;
        }
        while d > 0 && self.deployment_start(d) > i {
            d -= 1;
        }
        d
    }

    fn sts_of(&self, i: usize) -> usize {
        let j = i - self.deployment_pods;
        let mut s = j * self.spec.statefulsets / self.spec.per_pod_leases.max(1);
        while s + 1 < self.spec.statefulsets && self.sts_start(s + 1) <= i {
            s += 1;
        }
        while s > 0 && self.sts_start(s) > i {
            s -= 1;
        }
        s
    }

    fn rs_hash(d: usize) -> String {
        suffix(d.wrapping_mul(2_654_435_761) % 205_891_132_094_649, 10)
    }

    /// The ranges of generated object indexes a list of `res` (in `namespace`) covers.
    pub fn ranges(&self, res: &Resource, namespace: Option<&str>) -> Vec<Range<usize>> {
        if res.kind != "Pod" {
            return Vec::new();
        }
        let Some(ns) = namespace else { return std::iter::once(0..self.spec.pods).collect() };
        let Some(k) = self.namespace_index(ns) else { return Vec::new() };
        let d = self.owners_in(k, self.spec.deployments);
        let s = self.owners_in(k, self.spec.statefulsets);
        let mut out = Vec::new();
        if self.deployment_pods > 0 && !d.is_empty() {
            out.push(self.deployment_start(d.start)..self.deployment_start(d.end));
        }
        if self.spec.per_pod_leases > 0 && !s.is_empty() {
            out.push(self.sts_start(s.start)..self.sts_start(s.end));
        }
        out.retain(|r| !r.is_empty());
        out
    }

    /// The name and namespace of pod `i`.
    fn pod_name(&self, i: usize) -> (String, String) {
        if i < self.deployment_pods {
            let d = self.deployment_of(i);
            (
                self.namespace(self.deployment_namespace(d)),
                format!("deploy-{d:05}-{}-{}", Self::rs_hash(d), suffix(i, 5)),
            )
        } else {
            let s = self.sts_of(i);
            (self.namespace(self.sts_namespace(s)), format!("sts-{s:03}-{}", i - self.sts_start(s)))
        }
    }

    /// Generated object `i` of `res` (only Pods are generated).
    pub fn object(&self, _res: &Resource, i: usize) -> Value {
        let (namespace, name) = self.pod_name(i);
        let (owner, labels) = if i < self.deployment_pods {
            let d = self.deployment_of(i);
            let rs = format!("deploy-{d:05}-{}", Self::rs_hash(d));
            (
                json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "uid": uid(2, d), "controller": true, "blockOwnerDeletion": true}),
                json!({"app": format!("deploy-{d:05}"), "pod-template-hash": Self::rs_hash(d)}),
            )
        } else {
            let s = self.sts_of(i);
            (
                json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "name": format!("sts-{s:03}"), "uid": uid(3, s), "controller": true, "blockOwnerDeletion": true}),
                json!({"app": format!("sts-{s:03}"), "statefulset.kubernetes.io/pod-name": name}),
            )
        };
        let node = self.node(i % self.spec.nodes);
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "name": name, "namespace": namespace, "uid": uid(1, i), "resourceVersion": "2",
                "creationTimestamp": self.created, "labels": labels, "ownerReferences": [owner],
            },
            "spec": {
                "nodeName": node, "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                "serviceAccountName": "default", "terminationGracePeriodSeconds": 30,
                "containers": [{
                    "name": "app", "image": "registry.example/app:1.0", "imagePullPolicy": "IfNotPresent",
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}],
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                    "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}],
                }],
                "volumes": [{"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [{"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}],
            },
            "status": {
                "phase": "Running", "hostIP": "10.0.0.1", "podIP": format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255),
                "qosClass": "Burstable", "startTime": self.created,
                "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": self.created}],
            },
        })
    }

    /// A generated object by name, for `GET …/pods/<name>`.
    pub fn find(&self, res: &Resource, namespace: &str, name: &str) -> Option<Value> {
        if res.kind != "Pod" {
            return None;
        }
        let i = if let Some(rest) = name.strip_prefix("sts-") {
            let (s, ordinal) = rest.split_once('-')?;
            let s: usize = s.parse().ok()?;
            if s >= self.spec.statefulsets {
                return None;
            }
            self.sts_start(s) + ordinal.parse::<usize>().ok()?
        } else {
            parse_suffix(name.rsplit('-').next()?)?
        };
        if i >= self.spec.pods {
            return None;
        }
        (self.pod_name(i) == (namespace.to_string(), name.to_string())).then(|| self.object(res, i))
    }

    /// The stored part: namespaces, nodes, node and identity Leases, Deployments, ReplicaSets,
    /// StatefulSets and the per-pod Leases, each with its renewal period when it is a Lease.
    pub fn materialize(&self) -> Vec<(Value, Option<Duration>)> {
        let spec = &self.spec;
        let created = &self.created;
        let mut out: Vec<(Value, Option<Duration>)> = Vec::new();
        for ns in ["default", "kube-system", "kube-node-lease"] {
            out.push((json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}), None));
        }
        for k in 0..spec.namespaces {
            out.push((json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace(k)}}), None));
        }
        for n in 0..spec.nodes {
            let name = self.node(n);
            out.push((
                json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
                    "status": {"capacity": {"cpu": "16", "memory": "64Gi", "pods": "110"},
                        "conditions": [{"type": "Ready", "status": "True"}]}}),
                None,
            ));
            out.push((
                json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": name, "namespace": "kube-node-lease",
                        "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": name, "uid": uid(5, n)}]},
                    "spec": {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": created}}),
                spec.node_lease_period,
            ));
        }
        out.push((
            json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": "apiserver-6qrh2mzb4wdsbuttvgwn6rcfwe", "namespace": "kube-system",
                    "labels": {"apiserver.kubernetes.io/identity": "kube-apiserver", "kubernetes.io/hostname": "control-plane"}},
                "spec": {"holderIdentity": "apiserver-6qrh2mzb4wdsbuttvgwn6rcfwe_3ee3f6d4-4a0e-4d5c-9d4e-0c2c3e1f9a10",
                    "leaseDurationSeconds": 3600, "renewTime": created}}),
            Some(Duration::from_secs(10)),
        ));
        for d in 0..spec.deployments {
            let ns = self.namespace(self.deployment_namespace(d));
            let name = format!("deploy-{d:05}");
            let replicas = self.deployment_start(d + 1) - self.deployment_start(d);
            let template = json!({"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0",
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}}]}});
            out.push((
                json!({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": name, "namespace": ns, "uid": uid(4, d), "creationTimestamp": created},
                    "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": template}}),
                None,
            ));
            out.push((
                json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "metadata": {"name": format!("{name}-{}", Self::rs_hash(d)), "namespace": ns, "uid": uid(2, d),
                        "creationTimestamp": created, "labels": {"app": name, "pod-template-hash": Self::rs_hash(d)},
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": uid(4, d), "controller": true}]},
                    "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": template}}),
                None,
            ));
        }
        for s in 0..spec.statefulsets {
            let ns = self.namespace(self.sts_namespace(s));
            let name = format!("sts-{s:03}");
            let replicas = self.sts_start(s + 1) - self.sts_start(s);
            out.push((
                json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
                    "metadata": {"name": name, "namespace": ns, "uid": uid(3, s), "creationTimestamp": created},
                    "spec": {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": {"app": name}},
                        "template": {"metadata": {"labels": {"app": name}},
                            "spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0",
                                "env": [{"name": "LEASE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}]}}}}),
                None,
            ));
            for ordinal in 0..replicas {
                let pod = format!("{name}-{ordinal}");
                out.push((
                    json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                        "metadata": {"name": pod, "namespace": ns, "creationTimestamp": created},
                        "spec": {"holderIdentity": pod, "leaseDurationSeconds": 15, "renewTime": created,
                            "acquireTime": created, "leaseTransitions": 0}}),
                    spec.pod_lease_period,
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources;

    fn small() -> Scale {
        Scale::new(
            ScaleSpec {
                nodes: 3,
                namespaces: 4,
                deployments: 7,
                pods: 100,
                statefulsets: 3,
                per_pod_leases: 10,
                node_lease_period: None,
                pod_lease_period: None,
            },
            "2025-01-01T00:00:00Z".to_string(),
        )
    }

    #[test]
    fn namespace_ranges_partition_the_pods() {
        let scale = small();
        let pods = resources::by_kind("v1", "Pod").copied().unwrap_or(resources::RESOURCES[0]);
        let mut seen = vec![0u32; 100];
        for k in 0..4 {
            let ns = format!("ns-{k:04}");
            for range in scale.ranges(&pods, Some(&ns)) {
                for i in range {
                    seen[i] += 1;
                    let obj = scale.object(&pods, i);
                    assert_eq!(obj["metadata"]["namespace"], ns.as_str(), "pod {i}");
                    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
                    assert_eq!(scale.find(&pods, &ns, name), Some(obj.clone()), "find {name}");
                }
            }
        }
        assert!(seen.iter().all(|&n| n == 1), "{seen:?}");
    }

    #[test]
    fn suffix_round_trips() {
        for n in [0, 1, 26, 27, 199_999, 14_000_000] {
            assert_eq!(parse_suffix(&suffix(n, 5)), Some(n));
        }
    }
}
