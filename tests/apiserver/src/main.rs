//! `leaselint-test-apiserver`: the test API server as its own process, for benchmarks and for
//! pointing kubectl at by hand. It writes `DIR/kubeconfig` and `DIR/ca.crt`, prints one line
//! `ready <url> <kubeconfig>` and serves until it is killed (stop it by its process id).
//!
//! ```text
//! leaselint-test-apiserver --dir DIR [--port N] [--token T] [--fixtures FILE]...
//!     [--seed | --nodes N --pods N --deployments N --statefulsets N --per-pod-leases N --namespaces N]
//!     [--max-page N] [--renew-ms MS] [--bookmark-ms MS] [--max-watch-s S] [--request-log FILE]
//! ```
//! `--request-log FILE` appends every request as a JSON line (method, path, query, status,
//! bytes), flushed every 200 ms.
#![allow(clippy::print_stdout, clippy::print_stderr, reason = "a command-line tool")]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use leaselint_test_apiserver::{ApiServer, Config, ScaleSpec, parse_objects};

fn number<T: std::str::FromStr>(args: &mut impl Iterator<Item = String>, flag: &str) -> Result<T, String> {
    args.next().and_then(|v| v.parse().ok()).ok_or_else(|| format!("{flag} needs a number"))
}

fn run() -> Result<(), String> {
    let mut config = Config::default();
    let mut dir: Option<PathBuf> = None;
    let mut log: Option<PathBuf> = None;
    let mut scale: Option<ScaleSpec> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let spec = || {
            scale.clone().unwrap_or(ScaleSpec {
                pods: 0,
                deployments: 0,
                statefulsets: 0,
                per_pod_leases: 0,
                nodes: 1,
                namespaces: 1,
                ..ScaleSpec::seed()
            })
        };
        match arg.as_str() {
            "--dir" => dir = args.next().map(PathBuf::from),
            "--port" => config.port = number(&mut args, &arg)?,
            "--token" => config.token = args.next().ok_or("--token needs a value")?,
            "--fixtures" => {
                let path = args.next().ok_or("--fixtures needs a file")?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                config.objects.extend(parse_objects(&text).map_err(|e| format!("{path}: {e}"))?);
            }
            "--seed" => scale = Some(ScaleSpec::seed()),
            "--nodes" => scale = Some(ScaleSpec { nodes: number(&mut args, &arg)?, ..spec() }),
            "--pods" => scale = Some(ScaleSpec { pods: number(&mut args, &arg)?, ..spec() }),
            "--deployments" => scale = Some(ScaleSpec { deployments: number(&mut args, &arg)?, ..spec() }),
            "--statefulsets" => scale = Some(ScaleSpec { statefulsets: number(&mut args, &arg)?, ..spec() }),
            "--per-pod-leases" => scale = Some(ScaleSpec { per_pod_leases: number(&mut args, &arg)?, ..spec() }),
            "--namespaces" => scale = Some(ScaleSpec { namespaces: number(&mut args, &arg)?, ..spec() }),
            "--max-page" => config.max_page = Some(number(&mut args, &arg)?),
            "--renew-ms" => config.lease_renew_period = Some(Duration::from_millis(number(&mut args, &arg)?)),
            "--bookmark-ms" => config.bookmark_interval = Duration::from_millis(number(&mut args, &arg)?),
            "--max-watch-s" => config.max_watch = Some(Duration::from_secs(number(&mut args, &arg)?)),
            "--request-log" => log = args.next().map(PathBuf::from),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let dir = dir.ok_or("--dir DIR is required (the kubeconfig and CA are written there)")?;
    config.scale = scale;
    let server = ApiServer::start(config).map_err(|e| e.to_string())?;
    let kubeconfig = dir.join("kubeconfig");
    server.write_kubeconfig(&kubeconfig).map_err(|e| format!("{}: {e}", kubeconfig.display()))?;
    std::fs::write(dir.join("ca.crt"), server.ca_pem()).map_err(|e| e.to_string())?;
    println!("ready {} {}", server.url(), kubeconfig.display());
    let _ = std::io::stdout().flush();
    let mut written = 0;
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let Some(path) = &log else { continue };
        let requests = server.requests();
        let Some(new) = requests.get(written..) else { continue };
        if new.is_empty() {
            continue;
        }
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(|e| e.to_string())?;
        for r in new {
            let line = serde_json::json!({"method": r.method, "path": r.path, "query": r.query, "status": r.status, "bytes": r.bytes});
            writeln!(file, "{line}").map_err(|e| e.to_string())?;
        }
        written = requests.len();
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("leaselint-test-apiserver: {e}");
            ExitCode::from(2)
        }
    }
}
