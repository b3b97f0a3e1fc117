//! Building a run's configuration and rules: the config file (`--config`, or `.leaselint.yaml`
//! found from the linted path upward, as ruff finds its configuration), user rule directories (`rulesDirs`, `--rules-dir`),
//! then the flags, which override the file.

use std::path::{Path, PathBuf};

use crate::config::file::{self as config_file, KnownRule};
use crate::config::{LintConfig, RuleSetting};
use crate::datarules::{self, DataRule};
use crate::diag::Severity;
use crate::lint::{Registry, Rule};
use crate::yaml::{FileError, NodePath};

use super::args::{RuleArgs, SetupArgs};

/// A mistake in the setup: in a file (rendered with its snippet) or in the flags.
#[derive(Debug)]
pub(super) enum SetupError {
    File(FileError),
    Usage(String),
}

impl From<FileError> for SetupError {
    fn from(e: FileError) -> Self {
        SetupError::File(e)
    }
}

/// The configuration and rules of a run.
pub(super) struct Setup {
    pub(super) config: LintConfig,
    pub(super) registry: Registry,
    /// The severity from which findings fail the run.
    pub(super) fail_on: Severity,
}

/// The flags a run overrides the config file with (none for `rules` and `explain`).
#[derive(Clone, Copy)]
pub(super) struct Overrides<'a> {
    pub(super) rules: &'a RuleArgs,
    /// `--namespace` of a lint run (the namespace of objects without one).
    pub(super) namespace: Option<&'a str>,
}

/// Reads the config file and user rules and applies the flags of `check`.
pub(super) fn setup(args: &SetupArgs, check: Option<Overrides<'_>>, start: &Path) -> Result<Setup, SetupError> {
    let config_path = if args.no_config {
        None
    } else if let Some(path) = &args.config {
        if !path.is_file() {
            return Err(SetupError::Usage(format!("--config {}: no such file", path.display())));
        }
        Some(path.clone())
    } else {
        config_file::discover(start)
    };
    let parsed = config_path.as_deref().map(config_file::read).transpose()?;

    let mut user: Vec<DataRule> = Vec::new();
    if let Some(p) = &parsed {
        for (i, dir) in p.rules_dirs().into_iter().enumerate() {
            if !dir.exists() {
                let at = NodePath::keys(&["rulesDirs"]).index(i);
                return Err(p.value_error(&at, format!("no such rules directory: {}", dir.display())).into());
            }
            load_rules(&dir, &mut user)?;
        }
    }
    for dir in &args.rules_dir {
        if !dir.exists() {
            return Err(SetupError::Usage(format!("--rules-dir {}: no such file or directory", dir.display())));
        }
        load_rules(dir, &mut user)?;
    }

    // Rule names in the config are checked against the built-in rules' metadata and the user
    // rules, before the registry (which needs the config) exists.
    let mut known: Vec<KnownRule> = crate::lint::meta::embedded()
        .map_err(SetupError::Usage)?
        .into_iter()
        .map(|m| KnownRule { code: m.code, name: m.name, aliases: m.aliases, group: m.group })
        .collect();
    for rule in &user {
        let clash = known.iter().find(|k| k.code.eq_ignore_ascii_case(rule.code()) || k.name == rule.name());
        if let Some(k) = clash {
            let what = if k.code.eq_ignore_ascii_case(rule.code()) { "code" } else { "name" };
            return Err(SetupError::Usage(format!(
                "{}: rule {what} `{}` is already used by rule {} {}",
                rule.origin(),
                if what == "code" { rule.code() } else { rule.name() },
                k.code,
                k.name
            )));
        }
        let group = rule.meta().and_then(|m| m.group.clone());
        known.push(KnownRule {
            code: rule.code().to_string(),
            name: rule.name().to_string(),
            aliases: Vec::new(),
            group,
        });
    }

    let mut config = LintConfig { limits: args.limits.limits(), ..LintConfig::default() };
    if let Some(p) = &parsed {
        config_file::apply(p, &known, &mut config)?;
    }
    let mut fail_on = config.fail_on.unwrap_or(Severity::Warning);
    if let Some(check) = check {
        apply_flags(check, &known, &mut config)?;
        if let Some(f) = check.rules.fail_on {
            fail_on = f.into();
        }
    }
    let mut rules: Vec<Box<dyn Rule>> = crate::rules::builtin();
    rules.extend(user.into_iter().map(|r| Box::new(r) as Box<dyn Rule>));
    let registry = Registry::new(rules, &config).map_err(SetupError::Usage)?;
    Ok(Setup { config, registry, fail_on })
}

/// Loads every `*.yaml`/`*.yml` file under `path` (or the file itself), in name order.
fn load_rules(path: &Path, out: &mut Vec<DataRule>) -> Result<(), SetupError> {
    let mut files: Vec<PathBuf> = if path.is_dir() {
        walkdir::WalkDir::new(path)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(walkdir::DirEntry::into_path)
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .collect()
    } else {
        vec![path.to_path_buf()]
    };
    files.sort();
    for file in files {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(&file).map_err(|e| FileError::unreadable(&name, &e))?;
        out.extend(datarules::load(&name, &text)?);
    }
    Ok(())
}

/// `--select`, `--ignore`, `--nodes`, `--fanout-replicas`, `--namespace`: they override the
/// config file.
fn apply_flags(check: Overrides<'_>, known: &[KnownRule], config: &mut LintConfig) -> Result<(), SetupError> {
    let args = check.rules;
    let codes_of = |wanted: &str| {
        config_file::resolve_rules(known, wanted.trim())
            .ok_or_else(|| SetupError::Usage(format!("unknown rule or group `{wanted}`; `leaselint rules` lists them")))
    };
    if let Some(ns) = check.namespace {
        if let Some(why) = crate::config::namespace_error(ns) {
            return Err(SetupError::Usage(format!("--namespace: {why}")));
        }
        config.namespace = Some(ns.to_string());
    }
    let selected: Vec<String> =
        args.select.iter().map(|s| codes_of(s)).collect::<Result<Vec<_>, _>>()?.into_iter().flatten().collect();
    let ignored: Vec<String> =
        args.ignore.iter().map(|s| codes_of(s)).collect::<Result<Vec<_>, _>>()?.into_iter().flatten().collect();
    for r in known {
        if (!selected.is_empty() && !selected.contains(&r.code)) || ignored.contains(&r.code) {
            config.rules.insert(r.code.clone(), RuleSetting::Off);
        } else if selected.contains(&r.code) && config.rules.get(&r.code) == Some(&RuleSetting::Off) {
            // Selecting a rule on the command line runs it even when the file turns it off.
            config.rules.remove(&r.code);
        }
    }
    if let Some(n) = args.nodes {
        config.thresholds.nodes = n;
    }
    if let Some(n) = args.fanout_replicas {
        config.thresholds.fanout_replicas = n;
    }
    Ok(())
}
