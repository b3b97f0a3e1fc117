//! Logic shared by several rules: pod-derived names, the policy's lease names and rates, and which
//! pods are latency-sensitive.

pub(crate) mod etcd;
pub(crate) mod fixes;
pub(crate) mod latency;
pub(crate) mod policy;
