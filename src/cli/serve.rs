//! `leaselint serve`: builds the admission configuration (the run's config with each object
//! linted alone; the `--mutate` rules), starts a tokio runtime and serves until SIGTERM. The
//! server's log lines go to stderr.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::webhook::{self, Admission, Metrics, Mutation, ServeOptions};

use super::EXIT_ERROR;
use super::args::{ServeArgs, SetupArgs};

fn duration(flag: &str, text: &str) -> Result<Duration, String> {
    crate::k8s::duration::parse_seconds(text)
        .filter(|s| *s >= 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{flag} {text}: not a duration (20s, 1m)"))
}

pub(super) fn serve(args: &ServeArgs, setup_args: &SetupArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("leaselint: {message}");
        ExitCode::from(EXIT_ERROR)
    };
    let start = std::path::Path::new(".");
    let Ok(validate) = super::setup_or_exit(setup_args, None, false, start) else { return ExitCode::from(EXIT_ERROR) };
    let (shutdown_grace, cert_poll) =
        match (duration("--shutdown-grace", &args.shutdown_grace), duration("--cert-poll", &args.cert_poll)) {
            (Ok(g), Ok(p)) => (g, p.max(Duration::from_millis(50))),
            (Err(e), _) | (_, Err(e)) => return fail(e),
        };
    // `--mutate`: rule codes (names accepted); `none` turns mutation off.
    let mut codes = Vec::new();
    for wanted in args.mutate.iter().map(|s| s.trim()).filter(|s| !s.is_empty() && *s != "none") {
        match validate.registry.resolve(wanted) {
            Some(r) if r.meta.fix == crate::lint::FixKind::None => {
                return fail(format!("--mutate {wanted}: rule {} has no fix", r.meta.code));
            }
            Some(r) => codes.push(r.meta.code.clone()),
            None => return fail(format!("--mutate: unknown rule `{wanted}`; `leaselint rules` lists them")),
        }
    }
    let mutation = if codes.is_empty() {
        None
    } else {
        let Ok(again) = super::setup_or_exit(setup_args, None, false, start) else { return ExitCode::from(EXIT_ERROR) };
        let known = again.registry.rules.iter().map(|r| r.meta.code.clone()).collect::<Vec<_>>();
        let config = webhook::mutation_config(&again.config, &codes, known.into_iter());
        let registry = again.registry.reconfigure(&config);
        Some(Mutation { config, registry })
    };
    let config = validate.config.alone();
    let registry = validate.registry.reconfigure(&config);
    let admission = Admission {
        config,
        registry,
        mutation,
        deny_on: args.deny_on.map(Into::into),
        deny_per_pod_leases: args.deny_per_pod_leases,
    };
    let options = ServeOptions {
        addr: args.addr,
        metrics_addr: args.metrics_addr,
        tls_cert: args.tls_cert.clone(),
        tls_key: args.tls_key.clone(),
        cert_poll,
        shutdown_grace,
        log: Arc::new(|line: String| eprintln!("leaselint serve: {line}")),
        watch_leases: args.watch_leases.then(|| crate::cluster::ConnectOptions {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
        }),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    let served = runtime.block_on(webhook::serve(options, admission, Metrics::new(), |addr, metrics| {
        eprintln!("leaselint serve: webhook on https://{addr} (POST /validate, /mutate), metrics on http://{metrics}");
    }));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}
