//! The vocabulary of a change to a file, shared by the layers below and above it: byte `Span`s,
//! text `Edit`s, `NodePath`s inside objects, and the `Change`s a fix declares it makes. It sits
//! below `diag` and `yaml` (both use it) and uses nothing of ours.

mod path;

use std::ops::Range;

pub(crate) use path::{NodePath, Seg};

/// A byte range into a whole file (never line/column; those are computed in `output`).
pub(crate) type Span = Range<usize>;

/// One text edit on a file: replace `range` with `content`. An insertion has an empty range, a
/// deletion empty content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Edit {
    pub(crate) range: Span,
    pub(crate) content: String,
}

impl Edit {
    /// The edit moved by `delta` bytes (its text moved that far in a later version of the file).
    #[must_use]
    pub(crate) fn shifted(&self, delta: isize) -> Edit {
        Edit { range: shift_range(&self.range, delta), content: self.content.clone() }
    }
}

/// `offset` moved by `delta` bytes.
pub(crate) fn shift(offset: usize, delta: isize) -> usize {
    offset.saturating_add_signed(delta)
}

/// `range` moved by `delta` bytes.
pub(crate) fn shift_range(range: &Span, delta: isize) -> Span {
    shift(range.start, delta)..shift(range.end, delta)
}

/// What a fix declares it changes, in the coordinates of the text it was built on. A document is
/// named by the byte offset where it starts (its `---`, or its first comment or content); paths
/// start at the document's root (a `List` item's path starts with `items[i]`). Hashes are the
/// data hashes of `yaml::data_hash` (aliases expanded, scalars as the API server reads them).
///
/// After a pass every changed document is parsed again and compared as data with the document
/// before: any difference that no change of the applied fixes declares refuses the fix.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Change {
    /// The node at `path` gets a new value (or is added: `old` is `None` when it did not exist).
    Set { doc: usize, path: NodePath, old: Option<u64> },
    /// The mapping entry or sequence item at `path` is removed; `old` is the removed value's hash.
    Remove { doc: usize, path: NodePath, old: u64 },
    /// `count` items are inserted into the sequence at `path`, before its item `at` (`at` = the
    /// old length: after the last item).
    Insert { doc: usize, path: NodePath, at: usize, count: usize },
    /// `count` documents are added right after the document `after`.
    AddDocuments { after: usize, count: usize },
    /// The document is removed (the comments in it may stay, as a document without content).
    RemoveDocument { doc: usize },
}

impl Change {
    /// The document the change is in (for added documents: the one they follow).
    pub(crate) fn doc(&self) -> usize {
        match self {
            Change::Set { doc, .. }
            | Change::Remove { doc, .. }
            | Change::Insert { doc, .. }
            | Change::RemoveDocument { doc } => *doc,
            Change::AddDocuments { after, .. } => *after,
        }
    }

    /// The change with its document offset moved by `delta` bytes.
    #[must_use]
    pub(crate) fn shifted(&self, delta: isize) -> Change {
        let mut c = self.clone();
        match &mut c {
            Change::Set { doc, .. }
            | Change::Remove { doc, .. }
            | Change::Insert { doc, .. }
            | Change::RemoveDocument { doc } => *doc = shift(*doc, delta),
            Change::AddDocuments { after, .. } => *after = shift(*after, delta),
        }
        c
    }
}

/// The edits of (part of) a fix and the changes they declare.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Patch {
    pub(crate) edits: Vec<Edit>,
    pub(crate) changes: Vec<Change>,
}

impl Patch {
    /// One edit and what it changes.
    pub(crate) fn new(edit: Edit, changes: Vec<Change>) -> Patch {
        Patch { edits: vec![edit], changes }
    }

    /// Adds another patch's edits and changes.
    pub(crate) fn add(&mut self, other: Patch) {
        self.edits.extend(other.edits);
        self.changes.extend(other.changes);
    }
}

impl Extend<Patch> for Patch {
    fn extend<I: IntoIterator<Item = Patch>>(&mut self, iter: I) {
        for p in iter {
            self.add(p);
        }
    }
}

impl FromIterator<Patch> for Patch {
    fn from_iter<I: IntoIterator<Item = Patch>>(iter: I) -> Self {
        let mut p = Patch::default();
        p.extend(iter);
        p
    }
}
