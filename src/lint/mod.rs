//! The Rule trait, rule metadata and registry, the reporting context, and the runner that
//! parses documents in parallel, runs per-object rules, builds the inventory and runs the
//! cross-object rules. Uses `k8s`, `yaml`, `source`, `diag` and config values.

pub(crate) mod baseline;
pub(crate) mod meta;
mod runner;
mod suppress;
mod values;

pub(crate) use meta::{FixKind, RuleMeta};
mod trees;

pub(crate) use runner::{
    Assembled, ChunkOutput, DocSummary, LintOutput, RunEnv, assemble, conventions, facts, is_unrendered_template, lint,
    lint_chunk, lint_docs, manifest_chunks, map_items, parse, parse_only,
};
pub(crate) use trees::Trees;

use crate::config::{LintConfig, RuleSetting};
use crate::diag::{Diagnostic, Edit, Fix, Loc, ObjectInfo, Patch, Severity};
use crate::k8s::{Inventory, Object};
use crate::source::{FileId, SourceFile};
use crate::yaml::edit::{self, Conventions, EditError, Editor};
use crate::yaml::{self, Doc, NodePath, NodeRef};

/// A built-in or user rule. Implement the one `check_*` method the rule needs.
pub(crate) trait Rule: Send + Sync {
    /// The stable code, e.g. `LL004`.
    fn code(&self) -> &'static str;
    /// The kebab-case name, e.g. `cpu-limit-on-latency-sensitive`.
    fn name(&self) -> &'static str;
    /// The rule's documentation, for rules not built in (built-in rules take theirs from the
    /// embedded `rules/*.yaml` by code).
    fn meta(&self) -> Option<&RuleMeta> {
        None
    }
    /// Called for every Kubernetes object (every item of a `List` too, and the `List` itself).
    fn check_object(&self, _obj: &Object<'_>, _cx: &mut Ctx<'_>) {}
    /// Called once per run with the facts of every object.
    fn check_inventory(&self, _inv: &Inventory, _cx: &mut Ctx<'_>) {}
    /// Called for every document of a Helm values file.
    fn check_values(&self, _values: &ValuesDoc<'_>, _cx: &mut Ctx<'_>) {}
}

/// A registered rule with its metadata and its configured state.
pub(crate) struct Registered {
    pub(crate) rule: Box<dyn Rule>,
    pub(crate) meta: RuleMeta,
    /// The severity findings get (the configured one, or the rule's default).
    pub(crate) severity: Severity,
    /// Configured explicitly (then per-finding severities give way to it).
    pub(crate) configured: bool,
    pub(crate) enabled: bool,
}

/// The rules of a run, ordered by code.
pub(crate) struct Registry {
    pub(crate) rules: Vec<Registered>,
}

impl Registry {
    /// Pairs each rule with its embedded metadata (by code) and applies config settings.
    pub(crate) fn new(rules: Vec<Box<dyn Rule>>, config: &LintConfig) -> Result<Registry, String> {
        let metas = meta::embedded()?;
        let mut out = Vec::new();
        for rule in rules {
            let meta = match rule.meta() {
                Some(m) => m.clone(),
                None => metas
                    .iter()
                    .find(|m| m.code == rule.code())
                    .cloned()
                    .ok_or_else(|| format!("internal error: no rules/{}-{}.yaml", rule.code(), rule.name()))?,
            };
            let (severity, configured, enabled) = settings(&meta, config);
            out.push(Registered { rule, meta, severity, configured, enabled });
        }
        out.sort_by(|a, b| a.meta.code.cmp(&b.meta.code));
        Ok(Registry { rules: out })
    }

    /// The same rules with the settings of another configuration (`serve` lints objects alone).
    #[cfg_attr(not(feature = "webhook"), allow(dead_code, reason = "used by serve"))]
    pub(crate) fn reconfigure(self, config: &LintConfig) -> Registry {
        let rules = self
            .rules
            .into_iter()
            .map(|r| {
                let (severity, configured, enabled) = settings(&r.meta, config);
                Registered { severity, configured, enabled, ..r }
            })
            .collect();
        Registry { rules }
    }

    /// The rule named by code (any case), name or alias.
    pub(crate) fn resolve(&self, wanted: &str) -> Option<&Registered> {
        self.rules.iter().find(|r| {
            r.meta.code.eq_ignore_ascii_case(wanted)
                || r.meta.name == wanted
                || r.meta.aliases.iter().any(|a| a == wanted)
        })
    }

    pub(crate) fn enabled(&self) -> impl Iterator<Item = &Registered> {
        self.rules.iter().filter(|r| r.enabled)
    }
}

/// A rule's severity, whether the config sets it, and whether it runs.
fn settings(meta: &RuleMeta, config: &LintConfig) -> (Severity, bool, bool) {
    match config.rules.get(&meta.code).copied() {
        None => (meta.severity, false, true),
        Some(RuleSetting::Off) => (meta.severity, true, false),
        Some(RuleSetting::Severity(s)) => (s, true, true),
    }
}

/// Where fixes are built: the run's files (with their writing conventions) and where each
/// chunk of the run is, so that a cross-object rule can parse again the documents it edits.
pub(crate) struct EditEnv<'r> {
    pub(crate) files: &'r [SourceFile],
    pub(crate) conventions: &'r [Conventions],
    /// Chunk id → (file, byte range in the current text).
    pub(crate) chunks: &'r ChunkTable,
    pub(crate) limits: yaml::Limits,
    /// Kinds the config declares as pod-template carriers.
    pub(crate) custom: &'r [crate::k8s::CustomKind],
    /// Keep the built edits (`--fix`); a plain lint builds them only to learn whether the fix
    /// would be refused, then drops them.
    pub(crate) keep_edits: bool,
}

/// Where the chunks of a run are, by chunk id (`ObjId::chunk`). Ids stay the same while a chunk's
/// text is unchanged across `--fix` passes; a changed chunk gets a new id.
#[derive(Debug, Default, Clone)]
pub(crate) struct ChunkTable {
    slots: Vec<Option<(FileId, std::ops::Range<usize>)>>,
}

impl ChunkTable {
    /// A new id for a chunk.
    pub(crate) fn add(&mut self, file: FileId, range: std::ops::Range<usize>) -> u32 {
        self.slots.push(Some((file, range)));
        u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
    }

    /// An id for a chunk whose place is set later (`set`).
    pub(crate) fn reserve(&mut self) -> u32 {
        self.slots.push(None);
        u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
    }

    /// Places chunk `id` (a moved chunk whose text is unchanged, or a reserved one) at `range`.
    pub(crate) fn set(&mut self, id: u32, file: FileId, range: std::ops::Range<usize>) {
        if let Some(slot) = self.slots.get_mut(id as usize) {
            *slot = Some((file, range));
        }
    }

    /// Forgets chunk `id` (its text changed or is gone).
    pub(crate) fn remove(&mut self, id: u32) {
        if let Some(slot) = self.slots.get_mut(id as usize) {
            *slot = None;
        }
    }

    pub(crate) fn get(&self, id: u32) -> Option<(FileId, std::ops::Range<usize>)> {
        self.slots.get(id as usize).cloned().flatten()
    }
}

/// What one fix is built with: an editor per file and, for cross-object rules, the parsed
/// documents of the objects the fix edits.
pub(crate) struct Edits<'r> {
    env: &'r EditEnv<'r>,
    trees: Option<&'r Trees<'r>>,
}

impl<'r> Edits<'r> {
    /// The editor for a file.
    pub(crate) fn editor(&self, file: FileId) -> Result<Editor<'r>, EditError> {
        let text = &self.env.files.get(file).ok_or_else(|| EditError("internal error: no such file".into()))?.text;
        let conv = self.env.conventions.get(file).copied().unwrap_or_else(|| Conventions::of(text, false));
        Ok(Editor::with(text, conv))
    }

    /// An object the fix named when it was built (for cross-object rules).
    pub(crate) fn object(&self, info: &ObjectInfo) -> Result<Object<'r>, EditError> {
        self.trees
            .and_then(|t| t.object(info.id))
            .ok_or_else(|| EditError("internal error: the object's tree is not available".into()))
    }

    /// The document holding an object the fix named, and how many documents share its `---`
    /// section.
    pub(crate) fn document(&self, info: &ObjectInfo) -> Result<(&'r Doc<'r>, usize), EditError> {
        self.trees
            .and_then(|t| t.document(info.id))
            .ok_or_else(|| EditError("internal error: the object's document is not available".into()))
    }
}

/// What rules report through.
pub(crate) struct Ctx<'r> {
    rule: &'r Registered,
    pub(crate) config: &'r LintConfig,
    diagnostics: &'r mut Vec<Diagnostic>,
    env: Option<&'r EditEnv<'r>>,
}

impl<'r> Ctx<'r> {
    pub(crate) fn new(
        rule: &'r Registered,
        config: &'r LintConfig,
        diagnostics: &'r mut Vec<Diagnostic>,
        env: Option<&'r EditEnv<'r>>,
    ) -> Self {
        Ctx { rule, config, diagnostics, env }
    }

    /// Builds the fix's edits and the changes they declare. `objects` are the objects a
    /// cross-object rule edits: their documents are parsed again for the build (a per-object
    /// rule passes none and edits the object it was given). Edits that touch are merged; a
    /// refusal is kept on the fix and reported.
    pub(crate) fn with_edits(
        &self,
        mut fix: Fix,
        objects: &[&ObjectInfo],
        build: impl FnOnce(&Edits<'_>) -> Result<Patch, EditError>,
    ) -> Fix {
        let Some(env) = self.env else { return fix };
        let trees = (!objects.is_empty()).then(|| Trees::load(env, objects));
        let edits = Edits { env, trees: trees.as_ref() };
        let built = build(&edits).and_then(|patch| {
            let merged =
                edit::merge(patch.edits).ok_or_else(|| EditError("internal error: the fix's edits overlap".into()))?;
            let mut changes = patch.changes;
            dedup_in_order(&mut changes);
            Ok(Patch { edits: merged, changes })
        });
        match built {
            Ok(p) if p.edits.is_empty() => fix.refused = Some("internal error: the fix has no edit".into()),
            Ok(p) if env.keep_edits => {
                fix.edits = p.edits;
                fix.changes = p.changes;
            }
            // A plain lint keeps only where the edits are (what tells whether they touch a
            // document that does not parse), not what they write.
            Ok(p) => fix.edits = p.edits.into_iter().map(|e| Edit { range: e.range, content: String::new() }).collect(),
            Err(e) => fix.refused = Some(e.0),
        }
        fix
    }

    /// Whether a file of the run holds JSON (its fixes write JSON).
    pub(crate) fn is_json(&self, file: FileId) -> bool {
        self.env.and_then(|e| e.files.get(file)).is_some_and(|f| f.json)
    }

    /// Starts a finding at `loc` (from `Object::at` or `ValuesDoc::at`).
    #[must_use = "call .emit() to record the finding"]
    pub(crate) fn report(&mut self, loc: Loc, message: impl Into<String>) -> DiagnosticBuilder<'_, 'r> {
        let diag = Diagnostic {
            code: self.rule.rule.code(),
            name: self.rule.rule.name(),
            severity: self.rule.severity,
            loc,
            message: message.into(),
            fix: None,
            related: Vec::new(),
            rendered: None,
        };
        DiagnosticBuilder { cx: self, diag }
    }
}

/// Removes repeated items, keeping the first of each.
fn dedup_in_order<T: PartialEq>(items: &mut Vec<T>) {
    let mut i = 0;
    while i < items.len() {
        if items.get(..i).is_some_and(|before| items.get(i).is_some_and(|x| before.contains(x))) {
            items.remove(i);
        } else {
            i += 1;
        }
    }
}

/// A finding being built.
pub(crate) struct DiagnosticBuilder<'c, 'r> {
    cx: &'c mut Ctx<'r>,
    diag: Diagnostic,
}

impl DiagnosticBuilder<'_, '_> {
    /// Attaches a fix.
    #[must_use]
    pub(crate) fn fix(mut self, fix: Fix) -> Self {
        self.diag.fix = Some(fix);
        self
    }

    /// Attaches a fix when there is one.
    #[must_use]
    pub(crate) fn fix_opt(mut self, fix: Option<Fix>) -> Self {
        self.diag.fix = fix;
        self
    }

    /// Adds a related location (shown beside the finding; SARIF `relatedLocations`).
    #[must_use]
    pub(crate) fn related(mut self, loc: Loc, message: impl Into<String>) -> Self {
        self.diag.related.push(crate::diag::Related { loc, message: message.into() });
        self
    }

    /// A severity for this finding only (a severity set in config wins over it).
    #[must_use]
    pub(crate) fn severity(mut self, severity: Severity) -> Self {
        if !self.cx.rule.configured {
            self.diag.severity = severity;
        }
        self
    }

    pub(crate) fn emit(self) {
        self.cx.diagnostics.push(self.diag);
    }
}

/// One document of a Helm values file (`root` is `None` for a file with no content, such as a
/// `values.yaml` that is all comments), with the values files it is merged over.
pub(crate) struct ValuesDoc<'d> {
    pub(crate) root: Option<NodeRef<'d, 'd>>,
    #[allow(dead_code, reason = "for fixes that replace a whole values document")]
    pub(crate) doc: Option<&'d Doc<'d>>,
    pub(crate) file: FileId,
    pub(crate) text: &'d str,
    /// The values files this one is an overlay of, bottom first, as Helm merges `-f` files:
    /// a chart's `values.yaml` under its `values-*.yaml`, or the `--values` files given before
    /// this one. Empty when the file is judged alone.
    pub(crate) below: &'d [ValuesLayer<'d>],
}

/// A values file under an overlay: its first document with content.
#[derive(Clone, Copy)]
pub(crate) struct ValuesLayer<'d> {
    pub(crate) root: NodeRef<'d, 'd>,
    /// The file as named in reports.
    pub(crate) name: &'d str,
}

impl<'d> ValuesDoc<'d> {
    /// The location to report for `path` (the deepest existing node on the way).
    pub(crate) fn at(&self, path: &NodePath) -> Loc {
        match self.root {
            Some(root) => {
                let found = yaml::locate(self.text, root, path);
                Loc { file: self.file, span: found.span, path: found.path, object: None }
            }
            None => Loc { file: self.file, span: 0..0, path: NodePath::root(), object: None },
        }
    }
}
