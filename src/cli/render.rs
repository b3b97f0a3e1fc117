//! `leaselint render PATH`: renders a Helm chart with `helm template` or a kustomization with
//! `kustomize build` (or `kubectl kustomize`) and lints the stream, plus the chart's values
//! files. The rendered stream is reported as `helm template PATH` / `kustomize build PATH`; with
//! `--fix` the fixed stream goes to stdout, as for a pipe.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::source::{self, FileRole, WalkOptions};

use super::args::{RenderArgs, SetupArgs};
use super::{EXIT_ERROR, Loaded, check_loaded, prepare, source_error};

/// What a directory holds.
enum Target {
    Chart,
    Kustomization,
}

const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

fn target(path: &Path) -> Option<Target> {
    if path.join("Chart.yaml").is_file() {
        Some(Target::Chart)
    } else if KUSTOMIZATION_FILES.iter().any(|f| path.join(f).is_file()) {
        Some(Target::Kustomization)
    } else {
        None
    }
}

/// The first executable named `name` on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file() || p.with_extension("exe").is_file()
}

/// The command that renders `path`, and the name the stream gets in reports.
fn command_for(args: &RenderArgs, kind: &Target, namespace: Option<&str>) -> Result<(Command, String), String> {
    let path = &args.path;
    let shown = path.display().to_string();
    match kind {
        Target::Chart => {
            let helm = on_path("helm").ok_or_else(|| {
                format!(
                    "cannot render the chart {shown}: `helm` is not on PATH. Install Helm 3 \
                     (https://helm.sh/docs/intro/install/), or render elsewhere and pipe: \
                     `helm template {shown} | leaselint -`"
                )
            })?;
            let mut cmd = Command::new(helm);
            cmd.arg("template").arg(path);
            if let Some(ns) = namespace {
                cmd.arg("--namespace").arg(ns);
            }
            for v in &args.check.values {
                cmd.arg("--values").arg(v);
            }
            for s in &args.set {
                cmd.arg("--set").arg(s);
            }
            Ok((cmd, format!("helm template {shown}")))
        }
        Target::Kustomization => {
            // `--namespace` still tells the rules where objects without a namespace go.
            if !args.set.is_empty() {
                return Err("--set applies to Helm charts; set values in the kustomization".into());
            }
            if let Some(kustomize) = on_path("kustomize") {
                let mut cmd = Command::new(kustomize);
                cmd.arg("build").arg(path);
                return Ok((cmd, format!("kustomize build {shown}")));
            }
            let kubectl = on_path("kubectl").ok_or_else(|| {
                format!(
                    "cannot build the kustomization {shown}: neither `kustomize` nor `kubectl` is on PATH. \
                     Install one (https://kubectl.docs.kubernetes.io/installation/kustomize/), or pipe: \
                     `kustomize build {shown} | leaselint -`"
                )
            })?;
            let mut cmd = Command::new(kubectl);
            cmd.arg("kustomize").arg(path);
            Ok((cmd, format!("kubectl kustomize {shown}")))
        }
    }
}

/// Runs the renderer; its stdout is the stream.
fn run(mut cmd: Command, name: &str) -> Result<Vec<u8>, String> {
    let program: OsString = cmd.get_program().to_os_string();
    let out = cmd.output().map_err(|e| format!("cannot run {}: {e}", program.to_string_lossy()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!("`{name}` failed ({}):\n{}", out.status, stderr.trim_end()));
    }
    Ok(out.stdout)
}

pub(super) fn render(args: &RenderArgs, setup: &SetupArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("leaselint: {message}");
        ExitCode::from(EXIT_ERROR)
    };
    if !args.check.paths.is_empty() {
        return fail("render takes one chart or kustomization directory".into());
    }
    let Some(kind) = target(&args.path) else {
        return fail(format!(
            "{} is neither a Helm chart (no Chart.yaml) nor a kustomization (no kustomization.yaml)",
            args.path.display()
        ));
    };
    let Some(prepared) = prepare(&args.check, setup) else { return ExitCode::from(EXIT_ERROR) };
    let namespace = prepared.config.namespace.clone();
    let (cmd, name) = match command_for(args, &kind, namespace.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let stream = match run(cmd, &name) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let mut loaded = Loaded {
        files: Vec::new(),
        errors: Vec::new(),
        notices: Vec::new(),
        // The rendered stream is not a file: like stdin, `--fix` prints it fixed.
        stdin: true,
        stdin_raw: None,
        stdin_more: false,
        max_file_size: setup.limits.max_file_size,
    };
    match source::from_bytes(name, None, FileRole::Manifests, stream) {
        Ok(f) => loaded.files.push(f),
        Err(e) => loaded.errors.push(source_error(&e)),
    }
    // The chart's own values files and `--values` files, for LL003.
    let chart_values = if matches!(kind, Target::Chart) { vec![args.path.clone()] } else { Vec::new() };
    let found = source::discover(
        &chart_values,
        &WalkOptions { exclude: None, values: args.check.values.clone(), no_ignore: false },
    );
    loaded.errors.extend(found.errors.iter().map(source_error));
    for input in found.inputs.into_iter().filter(|i| i.role == FileRole::HelmValues) {
        match source::load(input.name, input.path.as_deref(), input.role, setup.limits.max_file_size) {
            Ok(f) => loaded.files.push(f),
            Err(e) => loaded.errors.push(source_error(&e)),
        }
    }
    check_loaded(&args.check, prepared, loaded)
}
