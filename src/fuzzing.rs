//! The fuzz targets' entry points (`fuzz/fuzz_targets/`) and the properties they check. Not an
//! API: compiled with the `fuzzing` feature (for `cargo fuzz`) and for the unit tests that replay
//! the saved crash and regression inputs (`fuzz/regressions/`). Each function panics when a
//! property does not hold: libFuzzer reports a panic as a crash and keeps the input.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, reason = "a failed property is a crash, on purpose")]
#![allow(unreachable_pub, reason = "called from the fuzz crate")]

use std::ops::Range;

use crate::config::LintConfig;
use crate::diag::Applicability;
use crate::lint::{self, Registry};
use crate::output::{self, ErrorEntry, HumanOptions, Report, SarifOptions, Summary};
use crate::source::{self, FileRole, SourceFile, split_documents};
use crate::yaml::{Limits, edit, parse_chunk};

/// Small limits, so that the fuzzer spends its time on structure, not on size.
fn limits() -> Limits {
    Limits { max_depth: 64, max_alias_nodes: 10_000, max_document_bytes: 1 << 20 }
}

fn config() -> LintConfig {
    LintConfig { limits: limits(), ..LintConfig::default() }
}

fn registry(config: &LintConfig) -> Registry {
    Registry::new(crate::rules::builtin(), config).expect("the built-in rules register")
}

fn load(data: &[u8]) -> Option<SourceFile> {
    source::from_bytes("fuzz.yaml".to_string(), None, FileRole::Manifests, data.to_vec()).ok()
}

/// Splitting and parsing: chunks cover the text in order; every node and error lies in its
/// chunk, on character boundaries; line and column can be computed for every offset.
pub fn split_and_parse(data: &[u8]) {
    let Some(file) = load(data) else { return };
    let text = &file.text;
    let chunks = split_documents(text);
    assert_eq!(chunks.first().map(|c| c.start), Some(0), "chunks start at 0");
    assert_eq!(chunks.last().map(|c| c.end), Some(text.len()), "chunks end at the end");
    for w in chunks.windows(2) {
        assert_eq!(w[0].end, w[1].start, "chunks are contiguous");
    }
    for chunk in chunks {
        if file.has_invalid_utf8_in(&chunk).is_some() {
            continue;
        }
        let (docs, errors) = parse_chunk(text, chunk.clone(), limits());
        for doc in &docs {
            assert_in(text, &chunk, &doc.span, "document");
            for (i, node) in doc.nodes.iter().enumerate() {
                assert_in(text, &chunk, &node.span, "node");
                assert!(node.end as usize > i && node.end as usize <= doc.nodes.len(), "subtree end");
                assert!((node.target as usize) < doc.nodes.len(), "alias target");
            }
            for c in &doc.comments {
                assert_in(text, &chunk, c, "comment");
            }
        }
        for e in errors {
            assert!(chunk.start <= e.offset && e.offset <= chunk.end, "error offset {} outside {chunk:?}", e.offset);
            let (line, column) = file.lines().line_col(text, e.offset);
            assert!(line >= 1 && column >= 1);
        }
    }
}

fn assert_in(text: &str, chunk: &Range<usize>, span: &Range<usize>, what: &str) {
    assert!(span.start <= span.end, "{what} span {span:?} is reversed");
    assert!(chunk.start <= span.start && span.end <= chunk.end, "{what} span {span:?} outside its chunk {chunk:?}");
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what} span {span:?} splits a character"
    );
}

/// The whole lint: every finding lies in the text on character boundaries, and every output
/// format renders (JSON and SARIF as valid JSON).
pub fn lint(data: &[u8]) {
    let Some(file) = load(data) else { return };
    let config = config();
    let registry = registry(&config);
    let files = vec![file];
    let out = lint::lint(&files, &registry, &config);
    let text = &files[0].text;
    for d in &out.diagnostics {
        let span = &d.loc.span;
        assert!(span.start <= span.end && span.end <= text.len(), "{} span {span:?} out of the text", d.code);
        assert!(
            text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
            "{} span splits a character",
            d.code
        );
        if let Some(fix) = &d.fix {
            for e in &fix.edits {
                assert!(e.range.start <= e.range.end && e.range.end <= text.len(), "{} edit out of the text", d.code);
            }
        }
    }
    let errors: Vec<ErrorEntry> = crate::cli::input_errors(&out, &files).collect();
    let summary = Summary::count(&out.diagnostics, 1, out.documents, out.objects);
    let report = Report { files: &files, diagnostics: &out.diagnostics, errors: &errors, summary };
    let mut buf = Vec::new();
    output::render_json(&report, &mut buf).expect("json renders");
    serde_json::from_slice::<serde_json::Value>(&buf).expect("the JSON report is JSON");
    buf.clear();
    let rules = registry.enabled().map(|r| (&r.meta, r.severity)).collect();
    output::render_sarif(&report, &SarifOptions { rules, srcroot: None }, &mut buf).expect("sarif renders");
    serde_json::from_slice::<serde_json::Value>(&buf).expect("the SARIF log is JSON");
    buf.clear();
    output::render_human(&report, HumanOptions { color: false, width: 80, wrap: true, quiet: false }, &mut buf)
        .expect("human renders");
    buf.clear();
    output::render_github(&report, &mut buf).expect("github renders");
}

/// `--fix` (the first byte's bit 0: unsafe fixes too; bit 1: the input is stdin, not a file;
/// bit 2: the file is a `.json` file):
/// replaying the kept passes' edits on the input gives the output, so no byte outside an edit
/// changed; every kept pass changed nothing but what its fixes declared, compared as data (as
/// JSON, independently of the hashes the run compared); a file that parsed still parses, one
/// that did not is untouched (on stdin: its documents that do not parse are); what a plain lint
/// counted as fixable is what was fixed; fixing again changes nothing.
pub fn fix(data: &[u8]) {
    let flags = data.first().copied().unwrap_or(0);
    let unsafe_fixes = flags & 1 == 1;
    let stdin = flags & 2 == 2;
    let json = flags & 4 == 4;
    let name = if json { "fuzz.json" } else { "fuzz.yaml" };
    let bytes = data.get(1..).unwrap_or_default().to_vec();
    let Ok(mut file) = source::from_bytes(name.to_string(), None, FileRole::Manifests, bytes) else { return };
    file.json = json;
    if !stdin {
        file.path = Some(name.into());
    }
    let original = file.text.clone();
    let config = config();
    let registry = registry(&config);
    let before = lint::lint(std::slice::from_ref(&file), &registry, &config);
    let wanted = if unsafe_fixes { Applicability::Unsafe } else { Applicability::Safe };
    let fixable = before.diagnostics.iter().filter(|d| d.fix.as_ref().is_some_and(|f| f.applies(wanted))).count();
    let broken: Vec<Range<usize>> = before
        .errors
        .iter()
        .filter_map(|e| split_documents(&original).into_iter().find(|c| c.start <= e.offset && e.offset <= c.end))
        .collect();
    let opts = crate::fix::Options { unsafe_fixes, history: true };
    let run = crate::fix::run(vec![file], &registry, &config, opts);
    let fixed = &run.files[0].text;
    assert!(run.converged, "fixes did not converge");
    let mut replayed = original.clone();
    for pass in &run.history {
        let next = edit::apply(&replayed, &pass.edits).expect("a kept pass's edits are disjoint and inside its text");
        let old = SourceFile::new("old.yaml".into(), None, FileRole::Manifests, replayed.into_bytes());
        let new = SourceFile::new("new.yaml".into(), None, FileRole::Manifests, next.clone().into_bytes());
        let changes: Vec<&crate::change::Change> = pass.changes.iter().collect();
        if let Err(f) = crate::fix::check_by_json(&old, Some(&new), &changes, limits()) {
            panic!("a kept pass changed what it did not declare: {}", f.reason);
        }
        replayed = next;
    }
    assert_eq!(&replayed, fixed, "the output is not the input with the edits applied");
    if json && before.errors.is_empty() && serde_json::from_str::<serde_json::Value>(&original).is_ok() {
        serde_json::from_str::<serde_json::Value>(fixed).expect("a JSON file stays JSON");
    }
    if before.errors.is_empty() {
        assert!(run.report.errors.is_empty(), "the fixed file has errors: {:?}", run.report.errors.first());
    } else if !stdin {
        assert_eq!(fixed, &original, "a file with errors was changed");
    } else {
        for chunk in &broken {
            let text = original.get(chunk.clone()).unwrap_or_default();
            assert!(fixed.contains(text), "a document that does not parse was changed: {text:?}");
        }
    }
    assert_eq!(
        run.applied.len(),
        fixable,
        "lint counted {fixable} fixable findings, --fix fixed {}",
        run.applied.len()
    );
    let again = crate::fix::run(run.files, &registry, &config, opts);
    assert!(again.history.is_empty(), "a second --fix changed the file");
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every input saved under `fuzz/regressions/<target>/` (crashes the fuzzer found, fixed
    /// since) goes through its target again.
    #[test]
    fn saved_fuzz_inputs_hold() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join("regressions");
        type Target = fn(&[u8]);
        let targets: [(&str, Target); 3] =
            [("split_parse", super::split_and_parse), ("lint", super::lint), ("fix", super::fix)];
        let mut ran = 0;
        for (name, target) in targets {
            let Ok(entries) = std::fs::read_dir(root.join(name)) else { continue };
            let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
            paths.sort();
            for path in paths {
                let data = std::fs::read(&path).unwrap();
                let outcome = std::panic::catch_unwind(|| target(&data));
                assert!(outcome.is_ok(), "{name}: {} fails again", path.display());
                ran += 1;
            }
        }
        eprintln!("replayed {ran} saved fuzz inputs");
    }

    #[test]
    fn targets_accept_the_fixtures() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        for entry in walkdir::WalkDir::new(fixtures).into_iter().filter_map(Result::ok) {
            if entry.path().extension().is_some_and(|e| e == "yaml") && !entry.path().ends_with("config.yaml") {
                let data = std::fs::read(entry.path()).unwrap();
                super::split_and_parse(&data);
                super::lint(&data);
                let mut with_flag = vec![0u8];
                with_flag.extend_from_slice(&data);
                super::fix(&with_flag);
            }
        }
    }
}
