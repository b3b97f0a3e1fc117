//! leaselint: a policy-as-code linter and manifest transformer for Kubernetes.
//!
//! The binary is a thin wrapper around [`run`]; everything else is crate-private.

mod change;
mod cli;
#[cfg(feature = "cluster")]
mod cluster;
mod config;
mod datarules;
mod diag;
mod fix;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod k8s;
mod lint;
mod output;
mod report;
mod rules;
mod source;
#[cfg(feature = "webhook")]
mod webhook;
mod yaml;

pub use cli::run;
