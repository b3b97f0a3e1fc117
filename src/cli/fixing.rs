//! `--fix` and `--diff`: run the fixer, write files atomically (or the fixed stream to stdout),
//! print diffs, and report what is on disk (or, for `--diff`, what would remain, at its place in
//! the file on disk).
#![allow(clippy::print_stderr, reason = "the CLI reports fix outcomes on stderr")]

use std::io::Write;
use std::process::ExitCode;

use crate::config::LintConfig;
use crate::fix::{self, Digest, FixRun};
use crate::lint::{self, Registry};
use crate::output::{ErrorEntry, Report, Summary};
use crate::source::{self, SourceFile};

use super::{EXIT_ERROR, Loaded, Sink, args, exit_code, input_errors, render};

pub(super) fn fix(
    args: &args::CheckArgs,
    config: &LintConfig,
    registry: &Registry,
    fail_on: crate::diag::Severity,
    loaded: Loaded,
) -> ExitCode {
    let sink = Sink::of(args, loaded.stdin);
    let Loaded { files, errors: load_errors, stdin_raw, stdin_more, max_file_size, .. } = loaded;
    // What the files on disk are compared with before they are replaced (a digest: the texts
    // are not kept twice), and what `--diff` shows the changes against.
    let digests: Vec<Option<Digest>> =
        files.iter().map(|f| f.path.as_ref().map(|_| Digest::of(f.text.as_bytes()))).collect();
    let originals: Option<Vec<String>> = args.diff.then(|| files.iter().map(|f| f.text.clone()).collect());
    let opts = fix::Options { unsafe_fixes: args.unsafe_fixes, history: args.diff };
    let run: FixRun = fix::run(files, registry, config, opts);
    let mut errors = load_errors;
    if !run.converged {
        errors.push(entry(
            "<fix>",
            format!(
                "internal error: fixes did not converge after {} passes; the files keep their last checked state",
                fix::MAX_PASSES
            ),
        ));
    }
    match originals {
        Some(originals) => diff(args, config, registry, fail_on, run, originals, errors, sink),
        None => {
            let w = Writing { digests, stdin_raw, stdin_more, max_file_size };
            write(args, config, registry, fail_on, run, w, errors, sink)
        }
    }
}

fn entry(file: &str, message: String) -> ErrorEntry {
    ErrorEntry { file: file.to_string(), file_id: None, offset: 0, line: 1, column: 1, message, unwritten: false }
}

/// A fixed file or stream that could not be written back.
fn unwritten(file: &str, message: String) -> ErrorEntry {
    ErrorEntry { unwritten: true, ..entry(file, message) }
}

/// What writing the fixed files needs besides them.
struct Writing {
    /// Per file on disk, the digest of what was read.
    digests: Vec<Option<Digest>>,
    /// Standard input as read, when it could not be decoded.
    stdin_raw: Option<Vec<u8>>,
    /// Standard input was larger than `--max-file-size`: the rest is copied through unread.
    stdin_more: bool,
    /// `--max-file-size`, for reading back a file that could not be written.
    max_file_size: usize,
}

/// `--fix`: writes every changed file (stdin: the whole stream to stdout) and reports what is on
/// disk. A file that could not be written counts no fix, and the report describes it as it is.
#[allow(clippy::too_many_arguments, reason = "the run, what writing needs and where the report goes")]
fn write(
    args: &args::CheckArgs,
    config: &LintConfig,
    registry: &Registry,
    fail_on: crate::diag::Severity,
    run: FixRun,
    w: Writing,
    mut errors: Vec<ErrorEntry>,
    sink: Sink,
) -> ExitCode {
    let Writing { digests, stdin_raw, stdin_more, max_file_size } = w;
    let mut failed: Vec<usize> = Vec::new();
    let mut stdin_written = false;
    for (id, (file, changed)) in run.files.iter().zip(&run.changed).enumerate() {
        match &file.path {
            // The whole stream goes to stdout, fixed or not, so pipes keep working; input that
            // could not be decoded is repeated as read.
            None => {
                stdin_written = true;
                let bytes = stdin_raw.as_deref().unwrap_or(file.text.as_bytes());
                let mut out = std::io::stdout().lock();
                if let Err(e) = out.write_all(bytes).and_then(|()| out.flush())
                    && e.kind() != std::io::ErrorKind::BrokenPipe
                {
                    errors.push(unwritten(&file.name, format!("cannot write the fixed stream: {e}")));
                    failed.push(id);
                }
            }
            Some(path) if *changed => {
                let Some(Some(expected)) = digests.get(id) else { continue };
                if let Err(e) = fix::write_atomic(path, expected, file.text.as_bytes()) {
                    errors.push(unwritten(&file.name, format!("cannot write the fixed file: {e}; it is unchanged")));
                    failed.push(id);
                }
            }
            Some(_) => {}
        }
    }
    if !stdin_written && let Some(raw) = &stdin_raw {
        // Standard input that could not be read as text at all, or not whole: repeated byte
        // for byte (a stream over the size limit is passed through to its end, unfixed).
        let mut out = std::io::stdout().lock();
        let copied = out.write_all(raw).and_then(|()| {
            if stdin_more { std::io::copy(&mut std::io::stdin().lock(), &mut out).map(|_| ()) } else { Ok(()) }
        });
        if let Err(e) = copied.and_then(|()| out.flush())
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            errors.push(entry("<stdin>", format!("cannot pass standard input through: {e}")));
        }
    }
    let applied: Vec<&fix::Applied> = run.applied.iter().filter(|a| !failed.contains(&a.file)).collect();
    let changed_files = run.changed.iter().enumerate().filter(|(i, c)| **c && !failed.contains(i)).count();
    let FixRun { files, report, chunks, .. } = run;
    // The process ends soon: the chunks' results are not freed one by one.
    std::mem::forget(chunks);
    // Files that could not be written are reported as they are on disk: lint again with them.
    let (files, report) = if failed.iter().any(|&i| files.get(i).is_some_and(|f| f.path.is_some())) {
        let files: Vec<SourceFile> = files
            .into_iter()
            .enumerate()
            .map(|(i, f)| match (&f.path, failed.contains(&i)) {
                (Some(path), true) => source::load(f.name.clone(), Some(path), f.role, max_file_size).unwrap_or(f),
                _ => f,
            })
            .collect();
        let report = lint::lint(&files, registry, config);
        (files, report)
    } else {
        (files, report)
    };
    errors.extend(input_errors(&report, &files));
    let mut report = report;
    let baselined = match super::baseline(&super::BaselineUse::of(args, config), &files, &mut report.diagnostics) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let mut summary = Summary::count(&report.diagnostics, files.len(), report.documents, report.objects);
    summary.fixed = applied.len();
    summary.baselined = baselined;
    let rendered = Report { files: &files, diagnostics: &report.diagnostics, errors: &errors, summary };
    if let Err(code) = render(args, registry, &rendered, sink) {
        return code;
    }
    if (args.format != args::Format::Json || sink == Sink::File) && !args.quiet {
        eprintln!("leaselint: {}", outcome_line("Fixed", &applied, changed_files, report.diagnostics.len()));
    }
    let code = exit_code(args, fail_on, &report.diagnostics, &errors, false);
    // The process ends here: freeing the run's many allocations one by one only costs time.
    std::mem::forget(report);
    std::mem::forget(files);
    code
}

/// "Fixed 12 findings in 3 files (LL006 ×8, LL007 ×4); 5 remain".
fn outcome_line(verb: &str, applied: &[&fix::Applied], files: usize, remaining: usize) -> String {
    let mut per_rule: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for a in applied {
        *per_rule.entry(a.code).or_default() += 1;
    }
    let rules: Vec<String> = per_rule.iter().map(|(code, n)| format!("{code} ×{n}")).collect();
    format!(
        "{verb} {} finding{} in {files} file{}{}; {remaining} remain{}",
        applied.len(),
        if applied.len() == 1 { "" } else { "s" },
        if files == 1 { "" } else { "s" },
        if rules.is_empty() { String::new() } else { format!(" ({})", rules.join(", ")) },
        if remaining == 1 { "s" } else { "" },
    )
}

/// `--diff`: prints the diffs and reports the findings that would remain, at their lines in the
/// files on disk.
#[allow(clippy::too_many_arguments, reason = "the parts of one --diff run")]
fn diff(
    args: &args::CheckArgs,
    config: &LintConfig,
    registry: &Registry,
    fail_on: crate::diag::Severity,
    run: FixRun,
    originals: Vec<String>,
    mut errors: Vec<ErrorEntry>,
    sink: Sink,
) -> ExitCode {
    let mut any_diff = false;
    {
        let mut out = std::io::stdout().lock();
        for (file, old) in run.files.iter().zip(&originals) {
            let diff = fix::unified_diff(&file.name, old, &file.text);
            any_diff |= !diff.is_empty();
            if out.write_all(diff.as_bytes()).is_err() {
                break;
            }
        }
    }
    let changed_files = run.changed.iter().filter(|c| **c).count();
    let FixRun { files, report, applied, history, chunks, .. } = run;
    std::mem::forget(chunks);
    // The files as they are on disk, and the remaining findings moved back onto them.
    let on_disk: Vec<SourceFile> = files
        .iter()
        .zip(originals)
        .map(|(f, old)| SourceFile::new(f.name.clone(), f.path.clone(), f.role, old.into_bytes()))
        .collect();
    let mut diagnostics = report.diagnostics;
    for d in &mut diagnostics {
        let start = fix::map_back(&history, d.loc.file, d.loc.span.start);
        let end = fix::map_back(&history, d.loc.file, d.loc.span.end).max(start);
        d.loc.span = start..end;
    }
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut input = lint::LintOutput { errors: report.errors, ..lint::LintOutput::default() };
    for e in &mut input.errors {
        if let Some(f) = e.file_id {
            e.offset = fix::map_back(&history, f, e.offset);
        }
    }
    errors.extend(input_errors(&input, &on_disk));
    let baselined = match super::baseline(&super::BaselineUse::of(args, config), &on_disk, &mut diagnostics) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let mut summary = Summary::count(&diagnostics, on_disk.len(), report.documents, report.objects);
    summary.would_fix = applied.len();
    summary.baselined = baselined;
    let rendered = Report { files: &on_disk, diagnostics: &diagnostics, errors: &errors, summary };
    if let Err(code) = render(args, registry, &rendered, sink) {
        return code;
    }
    if (args.format != args::Format::Json || sink == Sink::File) && !args.quiet {
        let applied: Vec<&fix::Applied> = applied.iter().collect();
        eprintln!("leaselint: {}", outcome_line("Would fix", &applied, changed_files, diagnostics.len()));
    }
    if errors.iter().any(|e| e.message.starts_with("internal error")) {
        return ExitCode::from(EXIT_ERROR);
    }
    exit_code(args, fail_on, &diagnostics, &errors, any_diff)
}
