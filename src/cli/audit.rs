//! `leaselint audit`: connects as kubectl does, reads the cluster, lints the live objects with
//! the run's rules and config, and prints the findings, the lease census and the impact table.
//! The only place a tokio runtime is started (one thread: the reads are sequential).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use serde::Serialize;

use crate::cluster::{self, ApiUse, ConnectOptions, LeaseRecord, ReadError};
use crate::output::{self, HumanOptions, Report, Summary};
use crate::report::{self, Assumptions, Class, LeaseGroup};

use super::args::{AuditArgs, AuditFormat, SetupArgs};
use super::{EXIT_ERROR, EXIT_FINDINGS, setup};

#[derive(Serialize)]
struct ClusterInfo<'a> {
    context: Option<&'a str>,
    server: &'a str,
}

/// The JSON report (SPEC §9).
#[derive(Serialize)]
struct Json<'a, F, S> {
    version: u32,
    cluster: ClusterInfo<'a>,
    findings: F,
    leases: &'a [LeaseRecord],
    namespaces: &'a [report::NamespaceRow],
    totals: &'a report::Totals,
    sample_seconds: f64,
    api: ApiUse,
    errors: &'a [ReadError],
    summary: S,
}

pub(super) fn audit(args: &AuditArgs, setup_args: &SetupArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("leaselint: {message}");
        ExitCode::from(EXIT_ERROR)
    };
    // The config is found from the working directory, as for standard input.
    let overrides = setup::Overrides { rules: &args.rules, namespace: None };
    let Ok(setup) = super::setup_or_exit(setup_args, Some(overrides), false, std::path::Path::new(".")) else {
        return ExitCode::from(EXIT_ERROR);
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    let Some(sample_seconds) = crate::k8s::duration::parse_seconds(&args.sample).filter(|s| *s >= 0.0) else {
        return fail(format!("--sample {}: not a duration (30s, 2m, 0)", args.sample));
    };
    let options = ConnectOptions { kubeconfig: args.kubeconfig.clone(), context: args.context.clone() };
    let read = runtime.block_on(async {
        let connection = cluster::connect(&options).await?;
        let mut usage = ApiUse::default();
        let mut errors = Vec::new();
        let mut limit = cluster::RateLimit::new(args.qps, args.burst);
        let read =
            cluster::read_cluster(&connection.client, &args.namespace, &mut limit, &mut usage, &mut errors).await;
        if let Some(why) = &read.unreachable {
            return Err(format!("cannot reach the API server at {}: {why}", connection.server));
        }
        let census = &read.census;
        let mut renewals = None;
        if let (Some(version), true) = (&census.lease_version, sample_seconds > 0.0) {
            let length = std::time::Duration::from_secs_f64(sample_seconds);
            // A progress bar on a terminal only (indicatif draws nothing when stderr is not one).
            let bar = indicatif::ProgressBar::with_draw_target(Some(1000), indicatif::ProgressDrawTarget::stderr());
            bar.set_style(
                indicatif::ProgressStyle::with_template("sampling lease renewals {wide_bar} {elapsed}/{msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_message(args.sample.clone());
            let progress = |done: f64| bar.set_position((done.clamp(0.0, 1.0) * 1000.0) as u64);
            let listed = census.renew_stamps();
            let sampled =
                cluster::sample(&connection.client, version, listed, &args.namespace, length, &mut usage, progress)
                    .await;
            bar.finish_and_clear();
            match sampled {
                Ok(r) => renewals = Some(r),
                Err(e) => errors.push(ReadError { resource: "leases (watch)".into(), message: e.to_string() }),
            }
        }
        Ok::<_, String>((connection, read, usage, errors, renewals))
    });
    let (connection, read, usage, mut errors, renewals) = match read {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let leases = cluster::classify(&read.census, now, renewals.as_ref());
    let listed = read.listed;
    // The rules, on the objects read (as files: same runner, config and suppressions).
    let files = read.objects.into_files();
    let mut linted = crate::lint::lint(&files, &setup.registry, &setup.config);
    errors.extend(linted.errors.iter().map(|e| ReadError { resource: e.file.clone(), message: e.message.clone() }));
    // A live finding is recorded by its API path where a file's would be by its file name.
    let using =
        super::BaselineUse { write: args.write_baseline.as_deref(), read: args.baseline.as_deref(), quiet: false };
    let baselined = match super::baseline(&using, &files, &mut linted.diagnostics) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let mut summary = Summary::count(&linted.diagnostics, files.len(), linted.documents, linted.objects);
    summary.baselined = baselined;
    let findings = Report { files: &files, diagnostics: &linted.diagnostics, errors: &[], summary };
    let estimated = renewals.is_none();
    let note = match &renewals {
        Some(r) => format!("measured: renewals counted by one watch on Leases for {}s", r.seconds),
        None => "estimated (no sample): node heartbeats every 10s, other held Leases every 2s (client-go)".to_string(),
    };
    let policy = &setup.config.policy;
    let assumptions = Assumptions {
        nodes: setup.config.thresholds.nodes,
        renewal_interval: policy.renewal_interval,
        high_churn_threshold_per_hour: policy.high_churn_threshold_per_hour,
    };
    let groups: Vec<LeaseGroup> = leases
        .iter()
        .map(|l| LeaseGroup {
            namespace: Some(l.namespace.clone()),
            class: l.class,
            leases: 1,
            writes_per_second: l.writes_per_second,
            own_lease_under_policy: false,
        })
        .collect();
    let impact = report::impact(&groups, assumptions, estimated);
    if let Err(code) = super::write_svg(args.svg.as_deref(), &impact, estimated) {
        return code;
    }
    let mut buf = Vec::new();
    let written = match args.format {
        AuditFormat::Json => {
            let json = Json {
                version: 1,
                cluster: ClusterInfo { context: connection.context.as_deref(), server: &connection.server },
                findings: output::json_findings(&findings),
                leases: &leases,
                namespaces: &impact.namespaces,
                totals: &impact.totals,
                sample_seconds: renewals.as_ref().map_or(0.0, |r| r.seconds),
                api: usage,
                errors: &errors,
                summary: output::json_summary(&findings),
            };
            serde_json::to_writer_pretty(&mut buf, &json).map_err(std::io::Error::other).and_then(|()| writeln!(buf))
        }
        AuditFormat::Markdown => report::render_markdown(&impact, Some(&note), &mut buf)
            .and_then(|()| writeln!(buf))
            .and_then(|()| output::render_markdown(&findings, &mut buf)),
        AuditFormat::Human => {
            // Findings first, then the census and the table: what a terminal leaves in view.
            let terminal = args.output_file.is_none() && std::io::stdout().is_terminal();
            let options = HumanOptions {
                color: terminal && std::env::var_os("NO_COLOR").is_none(),
                width: super::terminal_width(),
                wrap: terminal,
                quiet: false,
            };
            output::render_human(&findings, options, &mut buf)
                .and_then(|()| writeln!(buf))
                .and_then(|()| human(&connection, &leases, &errors, &mut buf))
                .and_then(|()| report::render_human(&impact, Some(&note), &mut buf))
        }
    };
    if let Err(code) = super::write_report(args.output_file.as_deref(), written, &buf) {
        return code;
    }
    if args.format != AuditFormat::Human {
        for e in &errors {
            eprintln!("leaselint: cannot read {}: {}", e.resource, e.message);
        }
    }
    // Nothing could be read at all: an error. Otherwise the audit stands with what was read.
    if listed == 0 {
        return ExitCode::from(EXIT_ERROR);
    }
    if !args.exit_zero && linted.diagnostics.iter().any(|d| d.severity >= setup.fail_on) {
        return ExitCode::from(EXIT_FINDINGS);
    }
    ExitCode::SUCCESS
}

/// The census in words: the cluster, Leases per class, stale and orphaned ones with the command
/// that cleans the orphaned, and what could not be read.
fn human(
    connection: &cluster::Connection,
    leases: &[LeaseRecord],
    errors: &[ReadError],
    out: &mut impl Write,
) -> std::io::Result<()> {
    let context = connection.context.as_deref().unwrap_or("(in-cluster)");
    writeln!(out, "cluster: {} (context {context})", connection.server)?;
    let by_class: Vec<String> = Class::ALL
        .iter()
        .map(|c| format!("{} {}", leases.iter().filter(|l| l.class == *c).count(), c.as_str()))
        .collect();
    writeln!(out, "{} Leases: {}", leases.len(), by_class.join(", "))?;
    let stale = leases.iter().filter(|l| l.stale).count();
    if stale > 0 {
        writeln!(out, "{stale} stale (not renewed within their leaseDurationSeconds)")?;
    }
    let orphaned: Vec<&LeaseRecord> = leases.iter().filter(|l| l.orphaned).collect();
    if !orphaned.is_empty() {
        writeln!(out, "{} orphaned (their pod no longer exists); to delete them:", orphaned.len())?;
        let mut by_namespace: std::collections::BTreeMap<&str, Vec<&str>> = std::collections::BTreeMap::new();
        for l in &orphaned {
            by_namespace.entry(&l.namespace).or_default().push(&l.name);
        }
        for (ns, names) in by_namespace {
            writeln!(out, "  kubectl delete lease -n {ns} {}", names.join(" "))?;
        }
    }
    for e in errors {
        writeln!(out, "could not read {}: {}", e.resource, e.message)?;
    }
    writeln!(out)
}
