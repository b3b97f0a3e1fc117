//! Diagnostics: findings, severities, fixes and their applicability. A leaf module: it uses
//! nothing of ours except `source::FileId` and the `change` vocabulary (spans, edits, paths,
//! declared changes), and must never import `yaml`, rules, output or the CLI.

use std::fmt;
use std::sync::Arc;

use crate::change::NodePath;
pub(crate) use crate::change::{Change, Edit, Patch, Span};
use crate::source::FileId;

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a fix may be applied automatically. Ordered: a fix is applied when its applicability
/// is at least the one requested (`--fix` asks for `Safe`, `--unsafe-fixes` for `Unsafe`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Applicability {
    /// Shown, never applied.
    #[allow(dead_code, reason = "part of the edit model; no built-in rule offers display-only fixes yet")]
    DisplayOnly,
    /// Changes behaviour; applied only with `--unsafe-fixes`.
    Unsafe,
    /// Keeps the meaning of the manifest.
    Safe,
}

impl Applicability {
    /// The value of the JSON `fix` field (`"safe"`, `"unsafe"`; display-only fixes report null).
    pub(crate) fn as_json(self) -> Option<&'static str> {
        match self {
            Applicability::Safe => Some("safe"),
            Applicability::Unsafe => Some("unsafe"),
            Applicability::DisplayOnly => None,
        }
    }
}

/// A fix: one logical change, applied all or nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fix {
    /// Imperative title, e.g. ``add `dnsConfig` with `ndots: "2"` ``.
    pub(crate) title: String,
    pub(crate) applicability: Applicability,
    /// Sorted, disjoint edits.
    pub(crate) edits: Vec<Edit>,
    /// What the edits change (checked after they are applied: nothing else may change).
    pub(crate) changes: Vec<Change>,
    /// Why the fix is refused (a construct the edit helpers refuse, a check of the rule, a file
    /// that does not parse, or a change the edits made that the fix did not declare).
    pub(crate) refused: Option<String>,
}

impl Fix {
    pub(crate) fn new(title: impl Into<String>, applicability: Applicability) -> Fix {
        Fix { title: title.into(), applicability, edits: Vec::new(), changes: Vec::new(), refused: None }
    }

    pub(crate) fn safe(title: impl Into<String>) -> Fix {
        Fix::new(title, Applicability::Safe)
    }

    pub(crate) fn unsafe_(title: impl Into<String>) -> Fix {
        Fix::new(title, Applicability::Unsafe)
    }

    /// A fix that `--fix` applies when asked for `wanted` (and nothing refused it).
    pub(crate) fn applies(&self, wanted: Applicability) -> bool {
        self.refused.is_none() && self.applicability >= wanted && self.applicability > Applicability::DisplayOnly
    }

    /// The fix moved by `delta` bytes (its text moved that far in a later version of the file).
    pub(crate) fn shift(&mut self, delta: isize) {
        for e in &mut self.edits {
            *e = e.shifted(delta);
        }
        for c in &mut self.changes {
            *c = c.shifted(delta);
        }
    }
}

/// The Kubernetes object a finding belongs to, plus its Helm `# Source:` attribution.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ObjectRef {
    pub(crate) api_version: String,
    pub(crate) kind: String,
    pub(crate) namespace: Option<String>,
    pub(crate) name: String,
}

/// Where an object is in one lint run: its chunk (of all files), its document in that chunk, and
/// its position among the document's objects (a `List` and its items).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ObjId {
    pub(crate) chunk: u32,
    pub(crate) doc: u32,
    pub(crate) item: u32,
}

/// Identity of one object in a run: the file it is in, what it is, and where Helm says it came from.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ObjectInfo {
    pub(crate) file: FileId,
    pub(crate) object: ObjectRef,
    pub(crate) source: Option<String>,
    pub(crate) id: ObjId,
}

/// A resolved location: the file span to label and the object-relative path of the node.
/// Produced by `k8s::Object::at` (and the values-file view); rules never compute spans.
#[derive(Clone, Debug)]
pub(crate) struct Loc {
    pub(crate) file: FileId,
    pub(crate) span: Span,
    /// The node's path inside its object; displays as
    /// `spec.template.spec.containers[0].resources.limits.cpu`.
    pub(crate) path: NodePath,
    pub(crate) object: Option<Arc<ObjectInfo>>,
}

/// One finding.
#[derive(Clone, Debug)]
pub(crate) struct Diagnostic {
    pub(crate) code: &'static str,
    pub(crate) name: &'static str,
    pub(crate) severity: Severity,
    pub(crate) loc: Loc,
    pub(crate) message: String,
    pub(crate) fix: Option<Fix>,
    /// Other places that explain the finding (the first copy of a duplicated key, the Service
    /// that made a pod latency-sensitive, the HPA whose `minReplicas` was counted): SARIF's
    /// `relatedLocations`, JSON's `related`.
    pub(crate) related: Vec<Related>,
    /// For a finding of `leaselint render` moved onto the file it came from (a Helm template,
    /// a Kustomize resource): its 1-based line and column in the rendered stream.
    pub(crate) rendered: Option<(usize, usize)>,
}

/// A related location of a finding and what it shows.
#[derive(Clone, Debug)]
pub(crate) struct Related {
    pub(crate) loc: Loc,
    pub(crate) message: String,
}

impl Loc {
    /// The location moved by `delta` bytes.
    pub(crate) fn shift(&mut self, delta: isize) {
        self.span = crate::change::shift_range(&self.span, delta);
    }
}

impl Diagnostic {
    /// The finding moved by `delta` bytes (with its fix).
    pub(crate) fn shift(&mut self, delta: isize) {
        self.loc.shift(delta);
        // Findings that move with a chunk relate to nodes of that chunk (cross-object findings
        // are made again from the facts, which move on their own).
        for r in &mut self.related {
            r.loc.shift(delta);
        }
        if let Some(f) = &mut self.fix {
            f.shift(delta);
        }
    }

    /// Stable output order: file, span start, then code.
    pub(crate) fn sort_key(&self) -> (FileId, usize, &'static str, usize) {
        (self.loc.file, self.loc.span.start, self.code, self.loc.span.end)
    }
}
