//! leaselint: a policy-as-code linter and manifest transformer for Kubernetes.
//!
//! The binary is a thin wrapper around [`run`]; everything else is crate-private.

mod diag;
mod source;
mod yaml;
