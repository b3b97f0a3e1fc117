//! `--fix` and `--diff`: run the fixer, write files atomically (or the fixed stream to stdout),
//! print diffs, and report what remains.
#![allow(clippy::print_stderr, reason = "the CLI reports fix outcomes on stderr")]

use std::io::Write;
use std::process::ExitCode;

use crate::config::LintConfig;
use crate::fix::{self, FixRun};
use crate::lint::Registry;
use crate::output::{ErrorEntry, Report, Summary};

use super::{EXIT_ERROR, Loaded, Sink, args, exit_code, input_errors, render};

pub(super) fn fix(
    args: &args::CheckArgs,
    config: &LintConfig,
    registry: &Registry,
    fail_on: crate::diag::Severity,
    loaded: Loaded,
) -> ExitCode {
    let originals: Vec<String> = loaded.files.iter().map(|f| f.text.clone()).collect();
    let run: FixRun = fix::run(loaded.files, registry, config, args.unsafe_fixes);
    let mut errors = loaded.errors;
    errors.extend(input_errors(&run.report, &run.files));
    for d in &run.discarded {
        let name = run.files.get(d.file).map_or("?", |f| f.name.as_str());
        errors.push(ErrorEntry {
            file: name.to_string(),
            file_id: None,
            offset: 0,
            line: 1,
            column: 1,
            message: format!(
                "internal error: the fixes of pass {} ({}) were not applied because the result was invalid: {}",
                d.pass,
                d.codes.join(", "),
                d.reason
            ),
        });
    }
    if !run.converged {
        errors.push(ErrorEntry {
            file: "<fix>".to_string(),
            file_id: None,
            offset: 0,
            line: 1,
            column: 1,
            message: format!(
                "internal error: fixes did not converge after {} passes; the files keep their last valid state",
                fix::MAX_PASSES
            ),
        });
    }
    let stdin_used = run.files.iter().any(|f| f.path.is_none());
    let mut any_diff = false;
    if args.diff {
        let mut out = std::io::stdout().lock();
        for (file, old) in run.files.iter().zip(&originals) {
            let diff = fix::unified_diff(&file.name, old, &file.text);
            any_diff |= !diff.is_empty();
            if out.write_all(diff.as_bytes()).is_err() {
                break;
            }
        }
    } else {
        for ((file, changed), old) in run.files.iter().zip(&run.changed).zip(&originals) {
            match &file.path {
                // The whole stream goes to stdout, fixed or not, so pipes keep working.
                None => {
                    let text = if *changed { &file.text } else { old };
                    let mut out = std::io::stdout().lock();
                    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                        if e.kind() != std::io::ErrorKind::BrokenPipe {
                            errors.push(write_error(&file.name, &e));
                        }
                    }
                }
                Some(path) if *changed => {
                    if let Err(e) = fix::write_atomic(path, old.as_bytes(), file.text.as_bytes()) {
                        errors.push(write_error(&file.name, &e));
                    }
                }
                Some(_) => {}
            }
        }
    }
    let mut summary =
        Summary::count(&run.report.diagnostics, run.files.len(), run.report.documents, run.report.objects);
    summary.fixed = run.applied.len();
    let sink = if args.diff || stdin_used { Sink::Stderr } else { Sink::Stdout };
    let report = Report { files: &run.files, diagnostics: &run.report.diagnostics, errors: &errors, summary };
    if let Err(code) = render(args, registry, &report, sink) {
        return code;
    }
    let changed_files = run.changed.iter().filter(|c| **c).count();
    let verb = if args.diff { "Would fix" } else { "Fixed" };
    let remaining = run.report.diagnostics.len();
    let mut per_rule: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for a in &run.applied {
        *per_rule.entry(a.code).or_default() += 1;
    }
    let rules: Vec<String> = per_rule.iter().map(|(code, n)| format!("{code} ×{n}")).collect();
    if args.format == args::Format::Json {
        // The JSON report carries `summary.fixed`; stderr stays pure JSON when it holds the report.
    } else {
        eprintln!(
            "leaselint: {verb} {} finding{} in {changed_files} file{}{}; {remaining} remain{}",
            run.applied.len(),
            if run.applied.len() == 1 { "" } else { "s" },
            if changed_files == 1 { "" } else { "s" },
            if rules.is_empty() { String::new() } else { format!(" ({})", rules.join(", ")) },
            if remaining == 1 { "s" } else { "" },
        );
    }
    if errors.iter().any(|e| e.message.starts_with("internal error")) {
        return ExitCode::from(EXIT_ERROR);
    }
    let code = exit_code(fail_on, &run.report.diagnostics, &errors, any_diff);
    // The process ends here: freeing the run's many allocations one by one only costs time.
    std::mem::forget(run);
    code
}

fn write_error(name: &str, e: &std::io::Error) -> ErrorEntry {
    ErrorEntry {
        file: name.to_string(),
        file_id: None,
        offset: 0,
        line: 1,
        column: 1,
        message: format!("cannot write the fixed file: {e}; it is unchanged"),
    }
}
