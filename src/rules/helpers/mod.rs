//! Logic shared by several rules: pod-derived names and the policy's lease names and rates.

pub(crate) mod etcd;
pub(crate) mod fixes;
pub(crate) mod policy;
