//! Command-line arguments (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diag::Severity;

/// Lint Kubernetes manifests for per-pod leases, CPU limits, ndots, PDBs and API fan-out.
#[derive(Parser, Debug)]
#[command(name = "leaselint", version, about, args_conflicts_with_subcommands = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    #[command(flatten)]
    pub(crate) check: CheckArgs,
    #[command(flatten)]
    pub(crate) setup: SetupArgs,
}

/// Where configuration and user rules come from (for every subcommand).
#[derive(Args, Debug)]
pub(crate) struct SetupArgs {
    /// Use this config file instead of looking for `.leaselint.yaml` in the current directory and
    /// its parents.
    #[arg(long, value_name = "FILE", global = true, conflicts_with = "no_config")]
    pub(crate) config: Option<PathBuf>,
    /// Use no config file.
    #[arg(long, global = true)]
    pub(crate) no_config: bool,
    /// Load user rules from this directory or file (repeatable; adds to the config's `rulesDirs`).
    #[arg(long, value_name = "DIR", global = true)]
    pub(crate) rules_dir: Vec<PathBuf>,
    /// Worker threads for parsing (default: one per CPU).
    #[arg(long, value_name = "N", global = true)]
    pub(crate) threads: Option<usize>,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// List the rules: code, name, default severity, fix, summary.
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Explain one rule: rationale, remediation, examples.
    Explain {
        /// A rule code (`LL004`) or name (`cpu-limit-on-latency-sensitive`).
        rule: String,
    },
    /// Render a Helm chart (`helm template`) or a kustomization (`kustomize build`, or
    /// `kubectl kustomize`) and lint the result; the chart's values files are checked too.
    Render(Box<RenderArgs>),
}

/// `leaselint render PATH`.
#[derive(Args, Debug)]
pub(crate) struct RenderArgs {
    /// A chart directory (with Chart.yaml) or a kustomization directory (with kustomization.yaml).
    pub(crate) path: PathBuf,
    /// Namespace to render the chart into (`helm template --namespace`).
    #[arg(long, value_name = "NS")]
    pub(crate) namespace: Option<String>,
    /// Set a chart value (`helm template --set`; repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub(crate) set: Vec<String>,
    #[command(flatten)]
    pub(crate) check: CheckArgs,
}

#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    /// Files or directories to lint (directories are walked for *.yaml, *.yml, *.json); `-` reads
    /// stdin. With no path, stdin is read when it is not a terminal, else the current directory.
    pub(crate) paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
    /// Exit with 1 when a finding has this severity or a higher one [default: the config's
    /// `failOn`, else warning].
    #[arg(long, value_enum)]
    pub(crate) fail_on: Option<FailOn>,
    /// Apply safe fixes: files are rewritten in place (atomically); with stdin the fixed stream
    /// goes to stdout and the report to stderr.
    #[arg(long)]
    pub(crate) fix: bool,
    /// Apply unsafe fixes too (with --fix or --diff).
    #[arg(long)]
    pub(crate) unsafe_fixes: bool,
    /// Print a unified diff of what --fix would change; write nothing.
    #[arg(long)]
    pub(crate) diff: bool,
    /// Run only these rules (codes or names, comma-separated or repeated).
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub(crate) select: Vec<String>,
    /// Do not run these rules (codes or names, comma-separated or repeated).
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub(crate) ignore: Vec<String>,
    /// A Helm values file to check with LL003 (repeatable; for pipes; `render` also passes it to
    /// `helm template`).
    #[arg(long = "values", value_name = "FILE")]
    pub(crate) values: Vec<PathBuf>,
    /// Skip files and directories matching this glob while walking directories (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub(crate) exclude: Vec<String>,
    /// Nodes assumed for DaemonSets (LL001 lease counts, LL009 fan-out).
    #[arg(long, value_name = "N")]
    pub(crate) nodes: Option<i64>,
    /// Replicas from which a workload's list/watch counts as fan-out (LL009).
    #[arg(long, value_name = "N")]
    pub(crate) fanout_replicas: Option<i64>,
    /// Benchmark helper: read, split and parse the inputs as a lint run does, without rules.
    #[arg(long, hide = true)]
    pub(crate) parse_only: bool,
    /// Colour in human output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub(crate) color: Color,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Human,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
}

/// Output of `leaselint rules`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ListFormat {
    Human,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailOn {
    Error,
    Warning,
    Info,
}

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Severity {
        match f {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Info => Severity::Info,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Color {
    Auto,
    Always,
    Never,
}
