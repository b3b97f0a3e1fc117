//! Diagnostics: findings, severities, fixes and their applicability. A leaf module: it uses
//! nothing of ours except `source::FileId` and `yaml::NodePath`, and must never import rules,
//! output or the CLI.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use crate::source::FileId;
use crate::yaml::NodePath;

/// A byte range into a whole file (never line/column; those are computed in `output`).
pub(crate) type Span = Range<usize>;

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

/// One text edit on a file: replace `range` with `content`. An insertion has an empty range, a
/// deletion empty content. Applying edits is the job of the `fix` capability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Edit {
    pub(crate) range: Span,
    pub(crate) content: String,
}

/// A fix: one logical change, applied all or nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fix {
    /// Imperative title, e.g. ``add `dnsConfig` with `ndots: "2"` ``.
    pub(crate) title: String,
    pub(crate) applicability: Applicability,
    /// Sorted, disjoint edits (built only when fixing).
    pub(crate) edits: Vec<Edit>,
    /// Why the edits could not be built (a construct the edit helpers refuse).
    pub(crate) refused: Option<String>,
}

impl Fix {
    pub(crate) fn safe(title: impl Into<String>) -> Fix {
        Fix { title: title.into(), applicability: Applicability::Safe, edits: Vec::new(), refused: None }
    }

    pub(crate) fn unsafe_(title: impl Into<String>) -> Fix {
        Fix { title: title.into(), applicability: Applicability::Unsafe, edits: Vec::new(), refused: None }
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
}

impl Diagnostic {
    /// Stable output order: file, span start, then code.
    pub(crate) fn sort_key(&self) -> (FileId, usize, &'static str, usize) {
        (self.loc.file, self.loc.span.start, self.code, self.loc.span.end)
    }
}
