//! Kustomize roots met while walking: which files a `kustomization.yaml` names as patches (they
//! are fragments of objects, not objects, so walking skips them). This module only reads the
//! kustomization files (through `yaml_serde`); it lints nothing and uses nothing else of ours.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The names kustomize looks for in a directory, in its order.
pub(crate) const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Kustomization files larger than this are not read (no hand-written kustomization is).
const MAX_KUSTOMIZATION_BYTES: u64 = 4 << 20;

/// How deep `components` are followed (a component may list components): a guard against loops.
const MAX_COMPONENT_DEPTH: usize = 8;

/// What a kustomization names, as far as walking asks: its patch files and its components,
/// as written (relative to its directory).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Kustomization {
    /// `patches[].path`, `patchesStrategicMerge[]` (file names, not inline patches) and
    /// `patchesJson6902[].path`.
    pub(crate) patches: Vec<String>,
    /// `components[]`: directories with their own kustomization (kind `Component`).
    pub(crate) components: Vec<String>,
    /// The file is a component's (`kind: Component`): it is not built alone.
    pub(crate) component: bool,
}

/// The kustomization file of `dir`, when `dir` is a Kustomize root.
pub(crate) fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    KUSTOMIZATION_FILES.iter().map(|name| dir.join(name)).find(|p| p.is_file())
}

/// Whether `path` is named like a kustomization file and sits in a Kustomize root.
pub(crate) fn is_kustomization_file(path: &Path) -> bool {
    let named = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| KUSTOMIZATION_FILES.contains(&n));
    named && path.is_file()
}

/// Reads what a kustomization text names. An error says why it could not be read (it is not
/// YAML, or its top level is not a mapping).
pub(crate) fn parse(text: &str) -> Result<Kustomization, String> {
    let value: yaml_serde::Value = yaml_serde::from_str(text).map_err(|e| e.to_string())?;
    if value.is_null() {
        return Ok(Kustomization::default());
    }
    if value.as_mapping().is_none() {
        return Err("the top level is not a mapping".to_string());
    }
    let items = |key: &str| value.get(key).and_then(yaml_serde::Value::as_sequence).into_iter().flatten();
    let path_of = |item: &yaml_serde::Value| item.get("path").and_then(yaml_serde::Value::as_str).map(str::to_string);
    let mut k = Kustomization {
        component: value.get("kind").and_then(yaml_serde::Value::as_str) == Some("Component"),
        ..Kustomization::default()
    };
    k.patches.extend(items("patches").filter_map(path_of));
    // A `patchesStrategicMerge` entry is a file name or an inline patch (a YAML text).
    k.patches.extend(
        items("patchesStrategicMerge")
            .filter_map(yaml_serde::Value::as_str)
            .filter(|s| !s.contains('\n') && !s.trim_start().starts_with('{'))
            .map(|s| s.trim().to_string()),
    );
    k.patches.extend(items("patchesJson6902").filter_map(path_of));
    k.components.extend(items("components").filter_map(yaml_serde::Value::as_str).map(|s| s.trim().to_string()));
    k.patches.retain(|p| !p.is_empty());
    k.components.retain(|c| !c.is_empty());
    Ok(k)
}

/// Reads the kustomization file `file`.
pub(crate) fn read(file: &Path) -> Result<Kustomization, String> {
    let meta = std::fs::metadata(file).map_err(|e| e.to_string())?;
    if meta.len() > MAX_KUSTOMIZATION_BYTES {
        return Err(format!("larger than {MAX_KUSTOMIZATION_BYTES} bytes; not read"));
    }
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    parse(&text)
}

/// The patch files of a Kustomize root or component.
#[derive(Debug, Default)]
pub(crate) struct Patches {
    /// Its own and its components' patch files, as normalised paths (`normalise` of a walked
    /// file finds it here).
    pub(crate) files: BTreeSet<PathBuf>,
    /// The directory holds a component, not a kustomization that is built alone.
    pub(crate) component: bool,
}

/// The patch files of the Kustomize root `dir` and of its components (followed to their own
/// kustomizations). Problems (a kustomization that cannot be read) come back as notices.
pub(crate) fn patch_files(dir: &Path, notices: &mut Vec<String>) -> Patches {
    let mut patches = Patches::default();
    let mut seen = BTreeSet::new();
    collect(dir, 0, &mut patches, &mut seen, notices);
    patches
}

fn collect(dir: &Path, depth: usize, patches: &mut Patches, seen: &mut BTreeSet<PathBuf>, notices: &mut Vec<String>) {
    let Some(file) = kustomization_file(dir) else { return };
    if !seen.insert(normalise(&file)) {
        return;
    }
    let k = match read(&file) {
        Ok(k) => k,
        Err(e) => {
            // A component's broken kustomization is kustomize's error to report; only the
            // root's is worth a notice (its patches, if any, are then linted as files).
            if depth == 0 {
                notices.push(format!(
                    "{}: cannot read the kustomization ({e}); its patches, if any, are linted as manifests",
                    super::walk::display(&file)
                ));
            }
            return;
        }
    };
    if depth == 0 {
        patches.component = k.component;
    }
    patches.files.extend(k.patches.iter().map(|p| normalise(&dir.join(p))));
    if depth < MAX_COMPONENT_DEPTH {
        for c in &k.components {
            collect(&dir.join(c), depth + 1, patches, seen, notices);
        }
    }
}

/// A path to compare with others: canonical when the file exists, else with `.` and `..`
/// resolved by name.
pub(crate) fn normalise(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map(|d| d.join(path)).unwrap_or_else(|_| path.to_path_buf())
    };
    super::lexical_normal(&absolute)
}

#[cfg(test)]
mod tests {
    use super::{Kustomization, parse};

    fn k(patches: &[&str], components: &[&str]) -> Kustomization {
        Kustomization {
            patches: patches.iter().map(|s| s.to_string()).collect(),
            components: components.iter().map(|s| s.to_string()).collect(),
            component: false,
        }
    }

    #[test]
    fn patch_fields_and_components() {
        let cases: &[(&str, Kustomization)] = &[
            ("", k(&[], &[])),
            ("resources: [deploy.yaml]\n", k(&[], &[])),
            (
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../base]\n\
                 patches:\n- path: replicas.yaml\n- path: probes.yaml\n  target: {kind: Deployment}\n",
                k(&["replicas.yaml", "probes.yaml"], &[]),
            ),
            (
                "patchesStrategicMerge:\n- memory.yaml\n- |-\n  apiVersion: apps/v1\n  kind: Deployment\n",
                k(&["memory.yaml"], &[]),
            ),
            (
                "patchesJson6902:\n- target: {kind: Deployment, name: api}\n  path: json-patch.yaml\n",
                k(&["json-patch.yaml"], &[]),
            ),
            ("components:\n- ../components/tls\n", k(&[], &["../components/tls"])),
            (
                "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches: [{path: tls.yaml}]\n",
                Kustomization { component: true, ..k(&["tls.yaml"], &[]) },
            ),
            // Inline patches have no file; odd shapes are not applicable.
            ("patches:\n- patch: |-\n    - op: remove\n      path: /spec/replicas\n", k(&[], &[])),
            ("patches: deploy.yaml\ncomponents: {a: b}\n", k(&[], &[])),
            ("patchesStrategicMerge: [\"\", 3, {a: b}]\n", k(&[], &[])),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text).as_ref(), Ok(expected), "{text}");
        }
    }

    #[test]
    fn errors_say_why() {
        assert!(parse("[a, b]\n").is_err_and(|e| e.contains("mapping")));
        assert!(parse("patches: [\n").is_err());
    }

    #[test]
    fn normalise_resolves_dots_of_missing_files() {
        let p = super::normalise(std::path::Path::new("/nowhere/a/../b/./c.yaml"));
        assert_eq!(p, std::path::PathBuf::from("/nowhere/b/c.yaml"));
    }
}
