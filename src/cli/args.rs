//! Command-line arguments (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diag::Severity;
use crate::yaml::Limits;

/// Lint Kubernetes manifests for per-pod leases, CPU limits, ndots, PDBs and API fan-out.
#[derive(Parser, Debug)]
#[command(name = "leaselint", version, about)]
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
    /// Use this config file instead of looking for `.leaselint.yaml` in the directory of the
    /// first path linted and its parents (the current directory for standard input, `audit` and
    /// `serve`).
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
    #[command(flatten)]
    pub(crate) limits: LimitArgs,
}

/// Bounds on hostile input (see the README's "Limits"): a document or file over a limit is an
/// error (exit 2), never a hang or an out-of-memory kill.
#[derive(Args, Debug, Clone)]
pub(crate) struct LimitArgs {
    /// Deepest nesting of collections in a document.
    #[arg(long, value_name = "LEVELS", global = true, default_value_t = Limits::DEFAULT_MAX_DEPTH as u64,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub(crate) max_depth: u64,
    /// Most nodes that aliases (`*name`) may add to a document when expanded.
    #[arg(long, value_name = "NODES", global = true, default_value_t = Limits::DEFAULT_MAX_ALIAS_NODES)]
    pub(crate) max_alias_nodes: u64,
    /// Largest document (from its `---` to the next), e.g. `64MiB`, `200M`, `1G`.
    #[arg(long, value_name = "SIZE", global = true, default_value = "64MiB", value_parser = parse_size)]
    pub(crate) max_document_size: usize,
    /// Largest file (or standard input) read, e.g. `1GiB`.
    #[arg(long, value_name = "SIZE", global = true, default_value = "1GiB", value_parser = parse_size)]
    pub(crate) max_file_size: usize,
}

impl LimitArgs {
    pub(crate) fn limits(&self) -> Limits {
        Limits {
            max_depth: usize::try_from(self.max_depth).unwrap_or(usize::MAX),
            max_alias_nodes: self.max_alias_nodes,
            max_document_bytes: self.max_document_size,
        }
    }
}

/// A size in bytes: a number with an optional unit, K/M/G (powers of 1024, with or without
/// `i`/`iB`/`B`), e.g. `64MiB`, `200M`, `1G`, `4096`.
pub(crate) fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num.parse().map_err(|_| format!("`{s}` is not a size (e.g. 64MiB, 200M, 1G, 4096)"))?;
    let shift = match unit.trim().to_ascii_lowercase().trim_end_matches('b').trim_end_matches('i') {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        _ => return Err(format!("`{s}`: unknown unit (use K, M or G, e.g. 64MiB)")),
    };
    let bytes = n.checked_shl(shift).filter(|b| b >> shift == n).ok_or_else(|| format!("`{s}` is too large"))?;
    let bytes = usize::try_from(bytes).map_err(|_| format!("`{s}` is too large"))?;
    if bytes == 0 {
        return Err("the size must be more than 0".into());
    }
    Ok(bytes)
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
    /// The lease impact table estimated from manifests: per namespace, the Leases the workloads
    /// make, their writes/s, and the same under the namespace lease policy (`--format human`,
    /// `json` or `markdown`).
    Report(Box<ReportArgs>),
    /// The lease census of a live cluster (read-only, through the Kubernetes API): every Lease
    /// classified, its owner, stale and orphaned Leases, and the impact table now and under the
    /// namespace lease policy.
    #[cfg(feature = "cluster")]
    Audit(Box<AuditArgs>),
    /// The admission webhook (`POST /validate`, `POST /mutate` over HTTPS) and the lease
    /// metrics (`/metrics`, `/healthz`, `/readyz` over HTTP), run in the cluster (deploy/serve).
    #[cfg(feature = "webhook")]
    Serve(Box<ServeArgs>),
    /// Print a shell completion script (`leaselint completions bash > /etc/bash_completion.d/leaselint`).
    Completions {
        /// The shell: bash, elvish, fish, powershell or zsh.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
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
    /// Set a chart value (`helm template --set`; repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub(crate) set: Vec<String>,
    #[command(flatten)]
    pub(crate) check: CheckArgs,
}

/// `leaselint audit`.
#[cfg(feature = "cluster")]
#[derive(Args, Debug)]
pub(crate) struct AuditArgs {
    /// The kubeconfig to use [default: `KUBECONFIG`, else `~/.kube/config`, else the in-cluster
    /// ServiceAccount].
    #[arg(long, value_name = "FILE")]
    pub(crate) kubeconfig: Option<PathBuf>,
    /// The kubeconfig context [default: its current context].
    #[arg(long, value_name = "NAME")]
    pub(crate) context: Option<String>,
    /// Audit only this namespace (repeatable) [default: every namespace].
    #[arg(long, short = 'n', value_name = "NS")]
    pub(crate) namespace: Vec<String>,
    /// Output: the census and the impact table.
    #[arg(long, value_enum, default_value_t = AuditFormat::Human)]
    pub(crate) format: AuditFormat,
    /// Also draw the impact table as an SVG bar chart in this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) svg: Option<PathBuf>,
    /// How long to watch Leases and count their renewals (`30s`, `2m`; `0` skips it: rates are
    /// then estimated).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub(crate) sample: String,
    /// Requests per second to the API server, on average (client-side rate limit).
    #[arg(long, value_name = "N", default_value_t = 20.0)]
    pub(crate) qps: f64,
    /// Requests the rate limit lets through at once.
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub(crate) burst: u32,
    /// Write the report to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) output_file: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) rules: RuleArgs,
    /// Exit with 0 even when there are findings (exit 2 still when nothing could be read).
    #[arg(long)]
    pub(crate) exit_zero: bool,
    /// Hide the findings recorded in this baseline file (matched by rule, API path, object and
    /// path inside it). The config's `baseline`, which records the repository's files, is not
    /// used.
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
    /// Record every current finding of the cluster in this baseline file (then adopt it with
    /// --baseline).
    #[arg(long, value_name = "FILE")]
    pub(crate) write_baseline: Option<PathBuf>,
}

/// `leaselint serve`.
#[cfg(feature = "webhook")]
#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// The HTTPS address of the webhook (`:8443` listens on every interface).
    #[arg(long, value_name = "ADDR", default_value = ":8443", value_parser = parse_addr)]
    pub(crate) addr: std::net::SocketAddr,
    /// The plain-HTTP address of `/metrics`, `/healthz` and `/readyz`.
    #[arg(long, value_name = "ADDR", default_value = ":9090", value_parser = parse_addr)]
    pub(crate) metrics_addr: std::net::SocketAddr,
    /// The webhook's certificate chain (PEM), reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    pub(crate) tls_cert: PathBuf,
    /// The certificate's private key (PEM), reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    pub(crate) tls_key: PathBuf,
    /// Deny a request (403) when a finding has this severity or a higher one [default: none: no
    /// request is denied for its findings].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub(crate) deny_on: Option<FailOn>,
    /// The rules whose fixes `/mutate` applies, safe or unsafe (codes or names, comma-separated;
    /// `none` for no mutation).
    #[arg(long, value_name = "RULES", value_delimiter = ',', default_value = "LL006")]
    pub(crate) mutate: Vec<String>,
    /// Deny the creation of per-pod Leases (named after the pod that creates them, or with a pod
    /// label) instead of warning.
    #[arg(long)]
    pub(crate) deny_per_pod_leases: bool,
    /// Keep one watch on Leases and export the renewal metrics (in-cluster, or --kubeconfig).
    #[arg(long)]
    pub(crate) watch_leases: bool,
    /// The kubeconfig for --watch-leases [default: in-cluster, else KUBECONFIG or ~/.kube/config].
    #[arg(long, value_name = "FILE")]
    pub(crate) kubeconfig: Option<PathBuf>,
    /// The kubeconfig context for --watch-leases.
    #[arg(long, value_name = "NAME")]
    pub(crate) context: Option<String>,
    /// After SIGTERM, how long in-flight requests may take before the process exits.
    #[arg(long, value_name = "DURATION", default_value = "20s")]
    pub(crate) shutdown_grace: String,
    /// How often the certificate files are checked for a change.
    #[arg(long, value_name = "DURATION", default_value = "5s", hide = true)]
    pub(crate) cert_poll: String,
}

/// `:8443` (every interface) or `HOST:PORT`.
#[cfg(feature = "webhook")]
fn parse_addr(s: &str) -> Result<std::net::SocketAddr, String> {
    let full = if s.starts_with(':') { format!("0.0.0.0{s}") } else { s.to_string() };
    full.parse().map_err(|e| format!("`{s}` is not an address (`:8443`, `127.0.0.1:8443`): {e}"))
}

/// Which rules run and what fails the run (linting and `audit`); these override the config file.
#[derive(Args, Debug, Default)]
pub(crate) struct RuleArgs {
    /// Exit with 1 when a finding has this severity or a higher one [default: the config's
    /// `failOn`, else warning].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub(crate) fail_on: Option<FailOn>,
    /// Run only these rules (codes, names or groups such as `rollout`, comma-separated or repeated).
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub(crate) select: Vec<String>,
    /// Do not run these rules (codes, names or groups such as `control-plane`, comma-separated or
    /// repeated).
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub(crate) ignore: Vec<String>,
    /// Nodes assumed for DaemonSets (LL001 lease counts, LL009 fan-out).
    #[arg(long, value_name = "N")]
    pub(crate) nodes: Option<i64>,
    /// Replicas from which a workload's list/watch counts as fan-out (LL009).
    #[arg(long, value_name = "N")]
    pub(crate) fanout_replicas: Option<i64>,
}

/// Output of `leaselint audit` (and `report`).
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuditFormat {
    Human,
    Json,
    Markdown,
}

/// `leaselint report PATHS`.
#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
    /// Also draw the table as an SVG bar chart (writes/s now and under the policy, per
    /// namespace, largest first) in this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) svg: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) check: CheckArgs,
}

#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    /// Files or directories to lint; `-` reads stdin. With no path, stdin is read when it is not
    /// a terminal, else the current directory. Directories are walked for *.yaml, *.yml, *.json,
    /// skipping hidden entries and what `.gitignore` and `.ignore` ignore (see --no-ignore);
    /// chart `templates/`, Kustomize patches and files that look like unrendered templates are
    /// skipped with a notice. A file named here is always read.
    pub(crate) paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
    #[command(flatten)]
    pub(crate) rules: RuleArgs,
    /// Write the report to this file instead of stdout (or stderr, where stdout carries the
    /// fixed stream or the diff).
    #[arg(long, value_name = "FILE")]
    pub(crate) output_file: Option<PathBuf>,
    /// Exit with 0 even when there are findings (input errors still exit with 2).
    #[arg(long)]
    pub(crate) exit_zero: bool,
    /// Print the number of findings per rule instead of the findings (`--format json`: a JSON
    /// array of `{code, name, count, fixable}`).
    #[arg(long)]
    pub(crate) statistics: bool,
    /// Print the findings only: no notes on stderr and no summary line.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
    /// Hide the findings recorded in this baseline file (matched by rule, file, object and path,
    /// never by line) [default: the config's `baseline`].
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
    /// Record every current finding in this baseline file (then adopt it with --baseline).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["fix", "diff"])]
    pub(crate) write_baseline: Option<PathBuf>,
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
    /// A Helm values file to check with LL003 (repeatable; for pipes; `render` also passes it to
    /// `helm template`).
    #[arg(long = "values", value_name = "FILE")]
    pub(crate) values: Vec<PathBuf>,
    /// Skip files and directories matching this glob while walking directories (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub(crate) exclude: Vec<String>,
    /// Walk what `.gitignore` (inside a git repository), `.ignore`, `.git/info/exclude` and the
    /// global git excludes (`core.excludesFile`) would skip. Hidden files and directories are
    /// still skipped unless named.
    #[arg(long)]
    pub(crate) no_ignore: bool,
    /// The namespace objects without `metadata.namespace` are applied in (`kubectl apply -n`,
    /// `helm template --namespace`; `render` passes it to helm) [default: the config's
    /// `namespace`, else one unnamed release namespace].
    #[arg(long, short = 'n', value_name = "NAME")]
    pub(crate) namespace: Option<String>,
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
    /// One line per finding: `file:line:col: LL004 [warning] message`.
    Concise,
    /// A summary table and one row per finding, for pull-request comments and job summaries.
    Markdown,
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

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_binary_units() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("200M"), Ok(200 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("8 KB"), Ok(8 << 10));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12X").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }
}
