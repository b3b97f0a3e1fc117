//! Turning command-line paths into the list of inputs: files, recursive directories (walkdir),
//! stdin; Helm chart detection (values files for LL003, `templates/` skipped with a notice).

use std::path::{Path, PathBuf};

use globset::GlobSet;

use super::{FileRole, SourceError};

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InputKind {
    /// Display name (the path as found, or `<stdin>`).
    pub(crate) name: String,
    /// `None` for stdin.
    pub(crate) path: Option<PathBuf>,
    pub(crate) role: FileRole,
}

#[derive(Debug, Default)]
pub(crate) struct WalkOptions {
    /// `--exclude` globs, matched against the path as displayed and against the file name.
    pub(crate) exclude: Option<GlobSet>,
    /// `--values` files: Helm values files named explicitly.
    pub(crate) values: Vec<PathBuf>,
}

/// What discovery found.
#[derive(Debug, Default)]
pub(crate) struct Discovered {
    pub(crate) inputs: Vec<InputKind>,
    /// Things skipped on purpose that the user should know about (printed to stderr).
    pub(crate) notices: Vec<String>,
    pub(crate) errors: Vec<SourceError>,
}

const STDIN_NAME: &str = "<stdin>";

/// Expands `paths` (`-` means stdin) into inputs, in a stable order: arguments in the order
/// given, directory entries sorted by name.
pub(crate) fn discover(paths: &[PathBuf], opts: &WalkOptions) -> Discovered {
    let mut found = Discovered::default();
    for path in paths {
        if path.as_os_str() == "-" {
            found.inputs.push(InputKind { name: STDIN_NAME.to_string(), path: None, role: FileRole::Manifests });
        } else if path.is_dir() {
            walk_dir(path, opts, &mut found);
        } else {
            // Files named explicitly are always read (even without a YAML extension), and a
            // missing file becomes a read error with its name.
            let role = if is_chart_values_file(path) { FileRole::HelmValues } else { FileRole::Manifests };
            found.inputs.push(InputKind { name: display(path), path: Some(path.clone()), role });
        }
    }
    for values in &opts.values {
        found.inputs.retain(|i| i.path.as_deref() != Some(values.as_path()));
        found.inputs.push(InputKind { name: display(values), path: Some(values.clone()), role: FileRole::HelmValues });
    }
    found
}

fn walk_dir(root: &Path, opts: &WalkOptions, found: &mut Discovered) {
    let mut walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_skipped_dir(e, opts));
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                let path = err.path().map_or_else(|| display(root), display);
                let message = if err.loop_ancestor().is_some() {
                    "symbolic link loop: this directory links back to one of its parents; skipped".to_string()
                } else {
                    err.io_error().map_or_else(|| err.to_string(), |io| format!("cannot read: {io}"))
                };
                found.errors.push(SourceError::Walk { path, message });
                continue;
            }
        };
        let path = entry.path();
        if entry.file_type().is_dir() {
            if is_chart_templates_dir(path) {
                let chart = display(path.parent().unwrap_or(path));
                found.notices.push(format!(
                    "{}: Helm templates are Go templates, not YAML; skipped (lint the rendered \
                     chart: `helm template {chart} | leaselint` or `leaselint render {chart}`)",
                    display(path),
                ));
                walker.skip_current_dir();
            }
            continue;
        }
        if !has_manifest_extension(path) || is_excluded(path, opts) || is_chart_metadata(path) {
            continue;
        }
        if !entry.file_type().is_file() {
            // A FIFO, socket or device found by walking would block or never end: only files
            // named on the command line are read whatever they are (`<(helm template .)`).
            found.notices.push(format!("{}: not a regular file; skipped", display(path)));
            continue;
        }
        let role = if is_chart_values_file(path) {
            if is_subchart(root, path) {
                // A subchart sees only the parent's globals: its own values file is neither
                // checked by LL003 nor a manifest.
                continue;
            }
            FileRole::HelmValues
        } else {
            FileRole::Manifests
        };
        found.inputs.push(InputKind { name: display(path), path: Some(path.to_path_buf()), role });
    }
}

fn is_skipped_dir(e: &walkdir::DirEntry, opts: &WalkOptions) -> bool {
    if !e.file_type().is_dir() {
        return false;
    }
    let hidden = e.file_name().to_str().is_some_and(|n| n.starts_with('.') && n != "." && n != "..");
    hidden || is_excluded(e.path(), opts)
}

fn is_excluded(path: &Path, opts: &WalkOptions) -> bool {
    let Some(set) = &opts.exclude else { return false };
    set.is_match(path)
        || path.file_name().is_some_and(|n| set.is_match(n))
        || path.strip_prefix("./").is_ok_and(|p| set.is_match(p))
}

fn has_manifest_extension(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json"))
}

/// `values.yaml` or `values*.yaml` (also `.yml`) directly inside a directory with `Chart.yaml`.
pub(crate) fn is_chart_values_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else { return false };
    let is_values_name = name.starts_with("values")
        && (name.ends_with(".yaml") || name.ends_with(".yml"))
        && name != "values.schema.json";
    is_values_name && path.parent().is_some_and(is_chart_dir)
}

fn is_chart_dir(dir: &Path) -> bool {
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    dir.join("Chart.yaml").is_file()
}

/// A chart's own metadata files, which are not manifests (`Chart.yaml`, Helm 2's
/// `requirements.yaml`, `values.schema.json`).
fn is_chart_metadata(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else { return false };
    matches!(name, "Chart.yaml" | "requirements.yaml" | "values.schema.json") && path.parent().is_some_and(is_chart_dir)
}

fn is_chart_templates_dir(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "templates") && path.parent().is_some_and(is_chart_dir)
}

/// A chart inside another chart's `charts/` directory.
fn is_subchart(root: &Path, values: &Path) -> bool {
    let Some(chart) = values.parent() else { return false };
    chart
        .ancestors()
        .skip(1)
        .take_while(|a| a.starts_with(root) || *a == root)
        .any(|a| a.file_name().is_some_and(|n| n == "charts") && a.parent().is_some_and(is_chart_dir))
}

fn display(path: &Path) -> String {
    let s = path.display().to_string();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}
