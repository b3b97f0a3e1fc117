//! `leaselint rules` and `leaselint explain`: the embedded rule documentation.
#![allow(clippy::print_stderr, reason = "these commands report a bad rule name on stderr")]

use std::io::Write;
use std::process::ExitCode;

use crate::lint::{FixKind, Registry, RuleMeta};

use super::args::{ListFormat, SetupArgs};

/// Every rule: built in, and the user rules of the config and `--rules-dir`.
fn registry(setup: &SetupArgs) -> Result<Registry, ExitCode> {
    super::setup_or_exit(setup, None, super::stderr_color(super::args::Color::Auto), std::path::Path::new("."))
        .map(|s| s.registry)
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
pub(super) fn list(format: ListFormat, setup: &SetupArgs) -> ExitCode {
    let registry = match registry(setup) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let metas: Vec<&RuleMeta> = registry.rules.iter().map(|r| &r.meta).collect();
    let mut text = String::new();
    match format {
        ListFormat::Json => {
            let rules: Vec<_> = metas
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "code": m.code, "name": m.name, "group": m.group, "severity": m.severity.as_str(),
                        "fix": fix_word(m.fix), "summary": m.summary,
                        "help_uri": m.help_uri, "origin": m.origin,
                    })
                })
                .collect();
            text = serde_json::to_string_pretty(&serde_json::json!({"version": 1, "rules": rules})).unwrap_or_default();
            text.push('\n');
        }
        ListFormat::Human => {
            for m in metas {
                text.push_str(&format!(
                    "{:<6} {:<32} {:<14} {:<8} {:<7} {}\n",
                    m.code,
                    m.name,
                    m.group.as_deref().unwrap_or("-"),
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
pub(super) fn explain(wanted: &str, setup: &SetupArgs) -> ExitCode {
    let registry = match registry(setup) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let Some(m) = registry.resolve(wanted).map(|r| &r.meta) else {
        eprintln!("leaselint: unknown rule `{wanted}`; `leaselint rules` lists them");
        return ExitCode::from(super::EXIT_ERROR);
    };
    let mut text =
        format!("{} {} ({}, fix: {})\n\n{}\n\n", m.code, m.name, m.severity.as_str(), fix_word(m.fix), m.summary);
    for (title, body) in [("Why", &m.rationale), ("How to fix", &m.remediation)] {
        if !body.trim().is_empty() {
            text.push_str(&format!("{title}\n\n{}", indent(body)));
        }
    }
    if let Some(ex) = &m.examples {
        text.push_str(&format!("Failing example\n\n{}Passing example\n\n{}", indent(&ex.fail), indent(&ex.pass)));
    }
    if let Some(origin) = &m.origin {
        text.push_str(&format!("Defined in {origin}\n"));
    }
    if let Some(uri) = &m.help_uri {
        text.push_str(&format!("More: {uri}\n"));
    }
    print(&format!("{}\n", text.trim_end_matches('\n')))
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| if l.is_empty() { "\n".to_string() } else { format!("    {l}\n") })
        .collect::<String>()
        + "\n"
}
