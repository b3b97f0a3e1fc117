//! `leaselint rules` and `leaselint explain`: the embedded rule documentation.
#![allow(clippy::print_stderr, reason = "these commands report a bad rule name on stderr")]

use std::io::Write;
use std::process::ExitCode;

use crate::config::LintConfig;
use crate::lint::{FixKind, Registry, RuleMeta};

use super::args::Format;

fn registry() -> Result<Registry, ExitCode> {
    Registry::new(crate::rules::builtin(), &LintConfig::default()).map_err(|e| {
        eprintln!("leaselint: {e}");
        ExitCode::from(super::EXIT_ERROR)
    })
}

fn fix_word(f: FixKind) -> &'static str {
    match f {
        FixKind::None => "none",
        FixKind::Safe => "safe",
        FixKind::Unsafe => "unsafe",
        FixKind::Mixed => "mixed",
    }
}

/// The rules table, one line per rule.
pub(super) fn list(format: Format) -> ExitCode {
    let registry = match registry() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let metas: Vec<&RuleMeta> = registry.rules.iter().map(|r| &r.meta).collect();
    let mut text = String::new();
    match format {
        Format::Json => {
            let rules: Vec<_> = metas
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "code": m.code, "name": m.name, "severity": m.severity.as_str(),
                        "fix": fix_word(m.fix), "summary": m.summary,
                    })
                })
                .collect();
            text = serde_json::to_string_pretty(&serde_json::json!({"version": 1, "rules": rules})).unwrap_or_default();
            text.push('\n');
        }
        Format::Human => {
            for m in metas {
                text.push_str(&format!(
                    "{:<6} {:<32} {:<8} {:<7} {}\n",
                    m.code,
                    m.name,
                    m.severity.as_str(),
                    fix_word(m.fix),
                    m.summary
                ));
            }
        }
    }
    print(&text)
}

/// Writes to stdout; a closed pipe (`leaselint rules | head`) is not an error.
fn print(text: &str) -> ExitCode {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("leaselint: cannot write: {e}");
            ExitCode::from(super::EXIT_ERROR)
        }
        _ => ExitCode::SUCCESS,
    }
}

/// One rule's documentation.
pub(super) fn explain(wanted: &str) -> ExitCode {
    let registry = match registry() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let found = registry
        .rules
        .iter()
        .map(|r| &r.meta)
        .find(|m| m.code.eq_ignore_ascii_case(wanted) || m.name == wanted || m.aliases.iter().any(|a| a == wanted));
    let Some(m) = found else {
        eprintln!("leaselint: unknown rule `{wanted}`; `leaselint rules` lists them");
        return ExitCode::from(super::EXIT_ERROR);
    };
    let text = format!(
        "{} {} ({}, fix: {})\n\n{}\n\nWhy\n\n{}How to fix\n\n{}Failing example\n\n{}Passing example\n\n{}",
        m.code,
        m.name,
        m.severity.as_str(),
        fix_word(m.fix),
        m.summary,
        indent(&m.rationale),
        indent(&m.remediation),
        indent(&m.examples.fail),
        indent(&m.examples.pass),
    );
    print(&format!("{}\n", text.trim_end_matches('\n')))
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| if l.is_empty() { "\n".to_string() } else { format!("    {l}\n") })
        .collect::<String>()
        + "\n"
}
