//! `leaselint render PATH`: renders a Helm chart with `helm template` or a kustomization with
//! `kustomize build` (or `kubectl kustomize`) and lints the stream, plus the chart's values
//! files. The rendered stream is reported as `helm template PATH` / `kustomize build PATH`; with
//! `--fix` the fixed stream goes to stdout, as for a pipe.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::source::{self, FileRole, WalkOptions};

use super::args::{RenderArgs, SetupArgs};
use super::{EXIT_ERROR, Loaded, Origin, check_loaded, prepare, source_error};

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
fn command_for(
    args: &RenderArgs,
    kind: &Target,
    namespace: Option<&str>,
    wrapper: Option<&Path>,
) -> Result<(Command, String), String> {
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
            // Built through a wrapper kustomization that adds origin annotations (each object's
            // resource file), which are removed again before linting.
            let target = wrapper.unwrap_or(path);
            if let Some(kustomize) = on_path("kustomize") {
                let mut cmd = Command::new(kustomize);
                cmd.arg("build").arg(target);
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
            cmd.arg("kustomize").arg(target);
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
    let Some(prepared) = prepare(&args.check, setup, &args.path) else { return ExitCode::from(EXIT_ERROR) };
    let namespace = prepared.config.namespace.clone();
    let wrapper = match kind {
        Target::Kustomization => match origin_wrapper(&args.path) {
            Ok(dir) => Some(dir),
            Err(e) => return fail(format!("cannot prepare the kustomize build: {e}")),
        },
        Target::Chart => None,
    };
    let (cmd, name) = match command_for(args, &kind, namespace.as_deref(), wrapper.as_ref().map(|w| w.path())) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let stream = match run(cmd, &name) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let (stream, origins) = match (&kind, &wrapper) {
        (Target::Kustomization, Some(dir)) => strip_origins(stream, dir.path()),
        _ => {
            let origins = helm_origins(&stream, &args.path);
            (stream, origins)
        }
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
        origins,
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

/// A temporary kustomization that builds `target` with `buildMetadata: [originAnnotations]`, so
/// that every object says which resource file it came from.
fn origin_wrapper(target: &Path) -> std::io::Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    let absolute = std::fs::canonicalize(target)?;
    let here = std::fs::canonicalize(dir.path())?;
    // Kustomize takes a directory resource by relative path only.
    let common = absolute.components().zip(here.components()).take_while(|(a, b)| a == b).count();
    let mut relative = PathBuf::new();
    for _ in here.components().skip(common) {
        relative.push("..");
    }
    relative.extend(absolute.components().skip(common));
    let resource = serde_json::to_string(&relative.to_string_lossy()).map_err(std::io::Error::other)?;
    std::fs::write(
        dir.path().join("kustomization.yaml"),
        format!("resources:\n  - {resource}\nbuildMetadata: [originAnnotations]\n"),
    )?;
    Ok(dir)
}

/// The document start offsets of a stream (where each `---` chunk begins).
fn document_starts(text: &str) -> Vec<usize> {
    source::split_documents(text).into_iter().map(|r| r.start).collect()
}

/// For a Helm stream: each document's template file, from its `# Source: <chart>/<path>`
/// comment (the chart's name is replaced by its directory), when the file exists.
fn helm_origins(stream: &[u8], chart: &Path) -> Vec<Origin> {
    let Ok(text) = std::str::from_utf8(stream) else { return Vec::new() };
    let mut out = Vec::new();
    for (range, start) in source::split_documents(text).into_iter().zip(document_starts(text)) {
        let Some(chunk) = text.get(range) else { continue };
        let Some(source) = chunk.lines().find_map(|l| l.trim_end().strip_prefix("# Source: ")) else { continue };
        let Some((_, inside)) = source.split_once('/') else { continue };
        let path = chart.join(inside);
        if path.is_file() {
            out.push(Origin { start, path });
        }
    }
    out
}

/// For a Kustomize stream built with origin annotations: each object's resource file (relative
/// to the wrapper `dir` in the annotation), and the stream without those annotations (an
/// `annotations:` map left empty goes too). Kustomize prints block style with two-space
/// indentation, which this relies on; anything else is left as it is.
fn strip_origins(stream: Vec<u8>, dir: &Path) -> (Vec<u8>, Vec<Origin>) {
    const KEY: &str = "config.kubernetes.io/origin: |";
    let Ok(text) = String::from_utf8(stream.clone()) else { return (stream, Vec::new()) };
    let mut out = String::with_capacity(text.len());
    let mut origins = Vec::new();
    for range in source::split_documents(&text) {
        let Some(chunk) = text.get(range) else { continue };
        let start = out.len();
        let lines: Vec<&str> = chunk.split_inclusive('\n').collect();
        let mut kept: Vec<&str> = Vec::with_capacity(lines.len());
        let mut origin = None;
        let mut i = 0;
        while let Some(line) = lines.get(i) {
            let indent = line.len() - line.trim_start_matches(' ').len();
            if line.trim() == KEY && indent == 4 {
                // The block scalar's lines are indented deeper than the key.
                i += 1;
                while let Some(body) = lines.get(i).filter(|l| l.len() - l.trim_start_matches(' ').len() > indent) {
                    if let Some(p) = body.trim().strip_prefix("path: ") {
                        origin = Some(p.trim().to_string());
                    }
                    i += 1;
                }
                continue;
            }
            kept.push(line);
            i += 1;
        }
        // `  annotations:` with nothing under it any more.
        let mut cleaned: Vec<&str> = Vec::with_capacity(kept.len());
        for (j, line) in kept.iter().enumerate() {
            let empty_map = line.trim_end() == "  annotations:"
                && kept.get(j + 1).is_none_or(|next| next.len() - next.trim_start_matches(' ').len() <= 2);
            if !empty_map {
                cleaned.push(line);
            }
        }
        out.extend(cleaned);
        if let Some(p) = origin {
            let path = source::lexical_normal(&dir.join(p));
            let cwd = std::env::current_dir().unwrap_or_default();
            let shown = path.strip_prefix(&cwd).map(Path::to_path_buf).unwrap_or(path);
            if shown.is_file() || cwd.join(&shown).is_file() {
                origins.push(Origin { start, path: shown });
            }
        }
    }
    (out.into_bytes(), origins)
}
