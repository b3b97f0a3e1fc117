//! Turning command-line paths into the list of inputs: files, recursive directories (the
//! `ignore` crate's walker: `.gitignore`, `.ignore` and the global git excludes respected,
//! hidden entries skipped), stdin; Helm chart detection (values files for LL003, `templates/`
//! skipped with a notice); Kustomize roots (their patch files skipped with a notice).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use globset::GlobSet;

use super::{FileRole, SourceError, kustomize};

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InputKind {
    /// Display name (the path as found, or `<stdin>`).
    pub(crate) name: String,
    /// `None` for stdin.
    pub(crate) path: Option<PathBuf>,
    pub(crate) role: FileRole,
    /// Found by walking a directory (not named on the command line): a file that does not
    /// parse and looks like a template is then skipped with a notice instead of an error.
    pub(crate) walked: bool,
}

#[derive(Debug, Default)]
pub(crate) struct WalkOptions {
    /// `--exclude` globs, matched against the path as displayed and against the file name.
    pub(crate) exclude: Option<GlobSet>,
    /// `--values` files: Helm values files named explicitly.
    pub(crate) values: Vec<PathBuf>,
    /// `--no-ignore`: walk what `.gitignore`, `.ignore` and the global git excludes ignore
    /// (hidden files and directories are still skipped).
    pub(crate) no_ignore: bool,
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
            found.inputs.push(InputKind {
                name: STDIN_NAME.to_string(),
                path: None,
                role: FileRole::Manifests,
                walked: false,
            });
        } else if path.is_dir() {
            if kustomize::kustomization_file(path).is_some() {
                let dir = display_dir(path);
                found.notices.push(format!(
                    "{dir} is a Kustomize root: its files are linted one by one as plain manifests (patches \
                     skipped); lint what it builds with `leaselint render {dir}`"
                ));
            }
            walk_dir(path, opts, &mut found);
        } else {
            // Files named explicitly are always read (even without a YAML extension, hidden or
            // ignored), and a missing file becomes a read error with its name.
            let role = if is_chart_values_file(path) { FileRole::HelmValues } else { FileRole::Manifests };
            found.inputs.push(InputKind { name: display(path), path: Some(path.clone()), role, walked: false });
        }
    }
    for values in &opts.values {
        found.inputs.retain(|i| i.path.as_deref() != Some(values.as_path()));
        found.inputs.push(InputKind {
            name: display(values),
            path: Some(values.clone()),
            role: FileRole::HelmValues,
            walked: false,
        });
    }
    found
}

fn walk_dir(root: &Path, opts: &WalkOptions, found: &mut Discovered) {
    // Chart `templates/` directories the filter prunes, for their notices (the filter runs
    // inside the walker, in walking order).
    let pruned: Arc<Mutex<Vec<PathBuf>>> = Arc::default();
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .follow_links(true)
        .sort_by_file_name(|a, b| a.cmp(b))
        // `.gitignore`, `.ignore`, `.git/info/exclude`, the global git excludes, and those of
        // parent directories; `.gitignore` only inside a git repository (as git, ripgrep and
        // ruff read it).
        .standard_filters(!opts.no_ignore)
        .hidden(true);
    let exclude = opts.exclude.clone();
    let templates = Arc::clone(&pruned);
    builder.filter_entry(move |e| {
        if e.depth() == 0 || !e.file_type().is_some_and(|t| t.is_dir()) {
            return true;
        }
        if exclude.as_ref().is_some_and(|set| is_excluded_by(set, e.path())) {
            return false;
        }
        if is_chart_templates_dir(e.path()) {
            if let Ok(mut dirs) = templates.lock() {
                dirs.push(e.path().to_path_buf());
            }
            return false;
        }
        true
    });
    let mut candidates: Vec<InputKind> = Vec::new();
    // Patch files of the Kustomize roots met, with the root they belong to (a kustomization
    // that uses them rather than a component, which is not built alone).
    let mut patches: BTreeMap<PathBuf, (String, bool)> = BTreeMap::new();
    for entry in builder.build() {
        note_templates(&pruned, found);
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                report_walk_error(root, &err, found);
                continue;
            }
        };
        if let Some(err) = entry.error() {
            // A problem in an ignore file (a bad glob): the rest of it still applies.
            found.notices.push(format!("{}: ignore file: {err}", display(entry.path())));
        }
        let path = entry.path();
        let Some(file_type) = entry.file_type() else { continue };
        if file_type.is_dir() {
            if kustomize::kustomization_file(path).is_some() {
                let dir = display_dir(path);
                let found_patches = kustomize::patch_files(path, &mut found.notices);
                for patch in found_patches.files {
                    let root = patches.entry(patch).or_insert_with(|| (dir.clone(), found_patches.component));
                    if root.1 && !found_patches.component {
                        *root = (dir.clone(), false);
                    }
                }
            }
            continue;
        }
        if !has_manifest_extension(path)
            || is_excluded(path, opts)
            || is_chart_metadata(path)
            || kustomize::is_kustomization_file(path)
        {
            continue;
        }
        if !file_type.is_file() {
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
        candidates.push(InputKind { name: display(path), path: Some(path.to_path_buf()), role, walked: true });
    }
    note_templates(&pruned, found);
    for input in candidates {
        let root_of =
            input.path.as_deref().filter(|_| !patches.is_empty()).and_then(|p| patches.get(&kustomize::normalise(p)));
        match root_of {
            Some((dir, false)) => found.notices.push(format!(
                "{}: a Kustomize patch of {dir} (a fragment of an object, not an object); skipped (lint what \
                 the kustomization builds: `leaselint render {dir}`)",
                input.name
            )),
            Some((dir, true)) => found.notices.push(format!(
                "{}: a patch of the Kustomize component {dir} (a fragment of an object, not an object); \
                 skipped (lint what a kustomization that uses it builds: `leaselint render DIR`)",
                input.name
            )),
            None => found.inputs.push(input),
        }
    }
}

/// Notices for the chart `templates/` directories the walk pruned so far.
fn note_templates(pruned: &Mutex<Vec<PathBuf>>, found: &mut Discovered) {
    let Ok(mut dirs) = pruned.lock() else { return };
    for path in dirs.drain(..) {
        let chart = display(path.parent().unwrap_or(&path));
        found.notices.push(format!(
            "{}: Helm templates are Go templates, not YAML; skipped (lint the rendered \
             chart: `helm template {chart} | leaselint` or `leaselint render {chart}`)",
            display(&path),
        ));
    }
}

/// A walking error: a directory or file that cannot be read, or a symbolic link loop, is an
/// input error; a problem in an ignore file is a notice.
fn report_walk_error(root: &Path, err: &ignore::Error, found: &mut Discovered) {
    let mut path: Option<&Path> = None;
    let mut walking = false;
    let mut e = err;
    loop {
        match e {
            ignore::Error::WithPath { path: p, err } => {
                path.get_or_insert(p);
                e = err;
            }
            ignore::Error::WithDepth { err, .. } => {
                walking = true;
                e = err;
            }
            ignore::Error::WithLineNumber { err, .. } => e = err,
            ignore::Error::Loop { child, .. } => {
                found.errors.push(SourceError::Walk {
                    path: display(path.unwrap_or(child)),
                    message: "symbolic link loop: this directory links back to one of its parents; skipped".to_string(),
                });
                return;
            }
            _ => break,
        }
    }
    let path = display(path.unwrap_or(root));
    match e.io_error() {
        Some(io) if walking => {
            found.errors.push(SourceError::Walk { path, message: format!("cannot read: {io}") });
        }
        _ if walking => found.errors.push(SourceError::Walk { path, message: e.to_string() }),
        _ => found.notices.push(format!("{path}: ignore file: {err}")),
    }
}

fn is_excluded(path: &Path, opts: &WalkOptions) -> bool {
    opts.exclude.as_ref().is_some_and(|set| is_excluded_by(set, path))
}

fn is_excluded_by(set: &GlobSet, path: &Path) -> bool {
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

pub(crate) fn display(path: &Path) -> String {
    let s = path.display().to_string();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// A directory as shown in a notice (`.` rather than nothing).
fn display_dir(path: &Path) -> String {
    let s = display(path);
    match s.trim_end_matches('/') {
        "" if s.is_empty() => ".".to_string(),
        "" => s,
        t => t.to_string(),
    }
}
