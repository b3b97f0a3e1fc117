//! The command line: arguments, reading inputs, running the linter, printing, exit codes. The
//! only module that reads the environment, prints, or picks exit codes.
#![allow(clippy::print_stderr, reason = "the CLI reports notices and errors on stderr")]

mod args;
#[cfg(feature = "cluster")]
mod audit;
mod fixing;
mod render;
mod rules;
#[cfg(feature = "webhook")]
mod serve;
mod setup;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use crate::diag::Severity;
use crate::lint::{self, Registry};
use crate::output::{self, ErrorEntry, HumanOptions, Report, Summary};
use crate::source::{self, SourceFile, WalkOptions};

use args::{Cli, Command, Format};

/// Exit code: findings at or above `--fail-on`.
const EXIT_FINDINGS: u8 = 1;
/// Exit code: usage, config, I/O or parse errors.
pub(crate) const EXIT_ERROR: u8 = 2;

/// GitHub code scanning rejects a SARIF run with more results than this.
const GITHUB_MAX_RESULTS: usize = 25_000;

/// Runs leaselint with the process's arguments.
pub fn run() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let parsed = Cli::command().try_get_matches().and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, m)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if let Some((sub, _)) = matches.subcommand() {
        // The lint flags belong to the run they configure: before a subcommand they would be
        // dropped silently (`leaselint --format json render chart`). Global flags (`--config`,
        // `--no-config`, `--rules-dir`, limits) work on either side.
        let misplaced = Cli::command()
            .get_arguments()
            .filter(|a| !a.is_global_set())
            .find(|a| matches.value_source(a.get_id().as_str()) == Some(clap::parser::ValueSource::CommandLine))
            .map(|a| a.get_long().map_or_else(|| a.get_id().to_string(), |l| format!("--{l}")));
        if let Some(flag) = misplaced {
            let takes = Cli::command()
                .find_subcommand(sub)
                .is_some_and(|c| c.get_arguments().any(|a| a.get_long().is_some_and(|l| format!("--{l}") == flag)));
            let hint = if takes { format!("put it after `{sub}`") } else { format!("`{sub}` does not take it") };
            eprintln!("leaselint: `{flag}` comes before the subcommand `{sub}`: {hint}");
            return ExitCode::from(EXIT_ERROR);
        }
    }
    if let Some(threads) = cli.setup.threads {
        // Fails only when the pool was already built, which cannot happen this early.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(threads.max(1)).build_global();
    }
    match cli.command {
        Some(Command::Rules { format }) => rules::list(format, &cli.setup),
        Some(Command::Explain { rule }) => rules::explain(&rule, &cli.setup),
        Some(Command::Render(args)) => render::render(&args, &cli.setup),
        Some(Command::Report(args)) => impact_report(&args.check, args.svg.as_deref(), &cli.setup),
        #[cfg(feature = "cluster")]
        Some(Command::Audit(args)) => audit::audit(&args, &cli.setup),
        #[cfg(feature = "webhook")]
        Some(Command::Serve(args)) => serve::serve(&args, &cli.setup),
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "leaselint", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        None if cli.check.parse_only => parse_only(&input_paths(&cli.check), &cli.setup.limits),
        None => check(&cli.check, &cli.setup),
    }
}

/// Builds the run's setup, printing what is wrong (exit 2) when it cannot.
fn setup_or_exit(
    args: &args::SetupArgs,
    check: Option<setup::Overrides<'_>>,
    color: bool,
    start: &std::path::Path,
) -> Result<setup::Setup, ExitCode> {
    setup::setup(args, check, start).map_err(|e| {
        match e {
            setup::SetupError::Usage(message) => eprintln!("leaselint: {message}"),
            setup::SetupError::File(e) => {
                let theme =
                    if color { miette::GraphicalTheme::unicode() } else { miette::GraphicalTheme::unicode_nocolor() };
                let mut text = String::new();
                let rendered = miette::GraphicalReportHandler::new_themed(theme)
                    .with_width(terminal_width())
                    .render_report(&mut text, &e);
                if rendered.is_err() {
                    text = e.to_string();
                }
                eprint!("{text}");
            }
        }
        ExitCode::from(EXIT_ERROR)
    })
}

/// Whether stderr gets colour.
fn stderr_color(choice: args::Color) -> bool {
    match choice {
        args::Color::Always => true,
        args::Color::Never => false,
        args::Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

/// Inputs to read: the paths, or stdin when there are none and stdin is not a terminal, or the
/// current directory.
fn input_paths(args: &args::CheckArgs) -> Vec<std::path::PathBuf> {
    if !args.paths.is_empty() {
        return args.paths.clone();
    }
    if std::io::stdin().is_terminal() { vec![".".into()] } else { vec!["-".into()] }
}

struct Loaded {
    files: Vec<SourceFile>,
    errors: Vec<ErrorEntry>,
    notices: Vec<String>,
    /// Standard input was one of the inputs.
    stdin: bool,
    /// Standard input as read, when it could not be decoded (binary, empty, invalid UTF-8):
    /// `--fix` repeats it on stdout byte for byte.
    stdin_raw: Option<Vec<u8>>,
    /// Standard input was larger than `--max-file-size`: `stdin_raw` holds the part read, and
    /// `--fix` copies the rest through after it.
    stdin_more: bool,
    /// `--max-file-size`.
    max_file_size: usize,
    /// For `render`: the file in the repository each document of the rendered stream came
    /// from (findings are moved onto it).
    origins: Vec<Origin>,
}

/// A document of a rendered stream and the file it came from (a Helm template, a Kustomize
/// resource).
struct Origin {
    /// Where the document starts in the stream.
    start: usize,
    path: std::path::PathBuf,
}

fn load(args: &args::CheckArgs, max_file_size: usize, limits: crate::yaml::Limits) -> Result<Loaded, String> {
    let exclude = if args.exclude.is_empty() {
        None
    } else {
        let mut b = globset::GlobSetBuilder::new();
        for g in &args.exclude {
            b.add(globset::Glob::new(g).map_err(|e| format!("--exclude {g}: {e}"))?);
        }
        Some(b.build().map_err(|e| format!("--exclude: {e}"))?)
    };
    let opts = WalkOptions { exclude, values: args.values.clone(), no_ignore: args.no_ignore };
    let mut found = source::discover(&input_paths(args), &opts);
    let mut errors: Vec<ErrorEntry> = found.errors.iter().map(source_error).collect();
    let mut files = Vec::new();
    let mut stdin_read = false;
    let mut stdin_raw = None;
    let mut stdin_more = false;
    for input in found.inputs {
        if input.path.is_none() {
            if stdin_read {
                continue;
            }
            stdin_read = true;
            match load_stdin(input.name, input.role, max_file_size) {
                Ok((file, raw)) => {
                    files.push(file);
                    stdin_raw = raw;
                }
                Err((e, raw, more)) => {
                    errors.push(source_error(&e));
                    stdin_raw = raw;
                    stdin_more = more;
                }
            }
            continue;
        }
        match source::load(input.name, input.path.as_deref(), input.role, max_file_size) {
            // A file found by walking that does not parse and holds `{{` or `{%` is a template
            // (a Helm or Jinja file outside a chart's `templates/`): it is not linted, so
            // `--fix` never writes it. The same file named on the command line is an error.
            Ok(f) if input.walked && lint::is_unrendered_template(&f, limits) => {
                found.notices.push(format!(
                    "{}: looks like a template: render it first (it does not parse and holds `{{{{` or `{{%`); skipped",
                    f.name
                ));
            }
            Ok(f) => files.push(f),
            Err(e) => errors.push(source_error(&e)),
        }
    }
    Ok(Loaded {
        files,
        errors,
        notices: found.notices,
        stdin: stdin_read,
        stdin_raw,
        stdin_more,
        max_file_size,
        origins: Vec::new(),
    })
}

/// Reads standard input. Input that cannot be decoded (empty, binary, invalid UTF-8) or read
/// whole (too large, a read error) comes back as read too, for `--fix` to repeat, with whether
/// more remains unread.
#[allow(clippy::type_complexity, reason = "the file or the error, each with the raw bytes")]
fn load_stdin(
    name: String,
    role: source::FileRole,
    max_file_size: usize,
) -> Result<(SourceFile, Option<Vec<u8>>), (source::SourceError, Option<Vec<u8>>, bool)> {
    let bytes = source::read_stdin(max_file_size).map_err(|f| (f.error, Some(f.read), f.more))?;
    if source::is_blank(&bytes) {
        return Err((source::SourceError::Empty { path: name }, Some(bytes), false));
    }
    if let Some((line, column)) = source::binary_at(&bytes) {
        return Err((source::SourceError::Binary { path: name, line, column }, Some(bytes), false));
    }
    let raw = std::str::from_utf8(&bytes).is_err().then(|| bytes.clone());
    match source::from_bytes(name, None, role, bytes) {
        Ok(file) => Ok((file, raw)),
        Err(e) => Err((e, raw, false)),
    }
}

fn source_error(e: &source::SourceError) -> ErrorEntry {
    let (line, column) = e.position();
    ErrorEntry {
        file: e.file_name().to_string(),
        file_id: None,
        offset: 0,
        line,
        column,
        message: e.message(),
        unwritten: false,
    }
}

/// `leaselint report`: the lease impact table estimated from the manifests.
fn impact_report(args: &args::CheckArgs, svg: Option<&std::path::Path>, setup_args: &args::SetupArgs) -> ExitCode {
    if args.fix
        || args.diff
        || args.statistics
        || !matches!(args.format, Format::Human | Format::Json | Format::Markdown)
    {
        eprintln!("leaselint: report prints --format human, json or markdown, and fixes nothing");
        return ExitCode::from(EXIT_ERROR);
    }
    let Some((setup, loaded)) = prepare_and_load(args, setup_args) else { return ExitCode::from(EXIT_ERROR) };
    if !args.quiet {
        for n in &loaded.notices {
            eprintln!("leaselint: note: {n}");
        }
    }
    let (facts, output) = lint::facts(&loaded.files, &setup.registry, &setup.config);
    let mut inventory = crate::k8s::Inventory::default();
    inventory.release_namespace.clone_from(&setup.config.namespace);
    for f in &facts {
        inventory.add(f);
    }
    inventory.finish();
    let policy = &setup.config.policy;
    let assumptions = crate::report::Assumptions {
        nodes: setup.config.thresholds.nodes,
        renewal_interval: policy.renewal_interval,
        high_churn_threshold_per_hour: policy.high_churn_threshold_per_hour,
    };
    let groups = crate::report::from_manifests(&inventory, assumptions);
    let impact = crate::report::impact(&groups, assumptions, true);
    if let Err(code) = write_svg(svg, &impact, true) {
        return code;
    }
    let mut buf = Vec::new();
    let written = match args.format {
        Format::Json => crate::report::render_json(&impact, &mut buf),
        Format::Markdown => crate::report::render_markdown(&impact, Some(crate::report::MANIFEST_NOTE), &mut buf),
        _ => crate::report::render_human(&impact, Some(crate::report::MANIFEST_NOTE), &mut buf),
    };
    if let Err(code) = write_report(args.output_file.as_deref(), written, &buf) {
        return code;
    }
    let mut errors = loaded.errors;
    errors.extend(input_errors(&output, &loaded.files));
    for e in &errors {
        eprintln!("leaselint: {}:{}:{}: {}", e.file, e.line, e.column, e.message);
    }
    if errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_ERROR) }
}

/// Draws the impact table as an SVG bar chart into `path` (`--svg` of `report` and `audit`).
fn write_svg(path: Option<&std::path::Path>, impact: &crate::report::Impact, estimated: bool) -> Result<(), ExitCode> {
    let Some(path) = path else { return Ok(()) };
    let drawn = crate::report::render_svg(impact, estimated)
        .and_then(|text| std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display())));
    drawn.map_err(|e| {
        eprintln!("leaselint: --svg: {e}");
        ExitCode::from(EXIT_ERROR)
    })
}

/// Writes a rendered report (`report`, `audit`) to `--output-file` or stdout; a closed pipe is
/// not an error.
fn write_report(
    output_file: Option<&std::path::Path>,
    written: std::io::Result<()>,
    buf: &[u8],
) -> Result<(), ExitCode> {
    let flushed = written.and_then(|()| match output_file {
        Some(path) => std::fs::write(path, buf),
        None => std::io::stdout().lock().write_all(buf),
    });
    match flushed {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("leaselint: cannot write the report: {e}");
            Err(ExitCode::from(EXIT_ERROR))
        }
        _ => Ok(()),
    }
}

/// The subcommand a missing path was probably meant to be (`explian` → `explain`), as clap
/// suggests for mistyped flags: edit distance at most 2, or a prefix of 3 letters or more.
fn mistyped_subcommand(path: &std::path::Path) -> Option<String> {
    use clap::CommandFactory;
    if path.exists() || path.components().count() != 1 {
        return None;
    }
    let word = path.to_str()?;
    if word.contains('.') || word.is_empty() {
        return None;
    }
    Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|name| strsim::damerau_levenshtein(word, name) <= 2 || (word.len() >= 3 && name.starts_with(word)))
        .min_by_key(|name| strsim::damerau_levenshtein(word, name))
}

fn check(args: &args::CheckArgs, setup_args: &args::SetupArgs) -> ExitCode {
    if let Some((path, sub)) = args.paths.iter().find_map(|p| mistyped_subcommand(p).map(|s| (p, s))) {
        eprintln!(
            "leaselint: `{}` is neither a file nor a subcommand; did you mean `leaselint {sub}`? (`leaselint --help` \
             lists the subcommands; `./{}` names a file)",
            path.display(),
            path.display()
        );
        return ExitCode::from(EXIT_ERROR);
    }
    let Some((setup, loaded)) = prepare_and_load(args, setup_args) else { return ExitCode::from(EXIT_ERROR) };
    check_loaded(args, setup, loaded)
}

/// Checks the flags that go together and builds the setup; `None` after printing why not.
fn prepare(args: &args::CheckArgs, setup: &args::SetupArgs, start: &std::path::Path) -> Option<setup::Setup> {
    if args.statistics && matches!(args.format, Format::Sarif | Format::Github | Format::Markdown) {
        let format = format!("{:?}", args.format).to_lowercase();
        eprintln!("leaselint: --statistics prints text (human, concise) or JSON, not --format {format}");
        return None;
    }
    if args.unsafe_fixes && !(args.fix || args.diff) {
        eprintln!("leaselint: --unsafe-fixes needs --fix (apply) or --diff (show)");
        return None;
    }
    let overrides = setup::Overrides { rules: &args.rules, namespace: args.namespace.as_deref() };
    setup_or_exit(setup, Some(overrides), stderr_color(args.color), start).ok()
}

/// The setup (config found from the paths) and the loaded inputs; `None` after printing why not.
fn prepare_and_load(args: &args::CheckArgs, setup_args: &args::SetupArgs) -> Option<(setup::Setup, Loaded)> {
    let setup = prepare(args, setup_args, &config_start(&args.paths))?;
    match load(args, setup_args.limits.max_file_size, setup.config.limits) {
        Ok(loaded) => Some((setup, loaded)),
        Err(e) => {
            eprintln!("leaselint: {e}");
            None
        }
    }
}

/// Where the config file is looked for: the directory of the first path linted (a file's
/// directory, a directory itself), or the working directory for standard input, as ruff does.
fn config_start(paths: &[std::path::PathBuf]) -> std::path::PathBuf {
    let Some(first) = paths.first().filter(|p| p.as_os_str() != "-") else { return ".".into() };
    let dir = if first.is_dir() { first.as_path() } else { first.parent().unwrap_or(std::path::Path::new(".")) };
    if dir.as_os_str().is_empty() { ".".into() } else { dir.to_path_buf() }
}

/// Lints (or fixes) loaded inputs and reports.
fn check_loaded(args: &args::CheckArgs, setup: setup::Setup, loaded: Loaded) -> ExitCode {
    let setup::Setup { config, registry, fail_on } = setup;
    if !args.quiet {
        for n in &loaded.notices {
            eprintln!("leaselint: note: {n}");
        }
    }
    if args.fix || args.diff {
        return fixing::fix(args, &config, &registry, fail_on, loaded);
    }
    let mut result = lint::lint(&loaded.files, &registry, &config);
    let mut errors = loaded.errors;
    errors.extend(input_errors(&result, &loaded.files));
    let mut loaded = Loaded { errors: Vec::new(), ..loaded };
    let linted_files = loaded.files.len();
    if !loaded.origins.is_empty() {
        move_to_origins(&loaded.origins, &mut loaded.files, &mut result.diagnostics, loaded.max_file_size);
        result.diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }
    let baselined = match baseline(&BaselineUse::of(args, &config), &loaded.files, &mut result.diagnostics) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let mut summary = Summary::count(&result.diagnostics, linted_files, result.documents, result.objects);
    summary.baselined = baselined;
    let report = Report { files: &loaded.files, diagnostics: &result.diagnostics, errors: &errors, summary };
    if let Err(code) = render(args, &registry, &report, Sink::of(args, loaded.stdin)) {
        return code;
    }
    let code = exit_code(args, fail_on, &result.diagnostics, &errors, false);
    // The process ends here: freeing the run's many allocations one by one only costs time.
    std::mem::forget(result);
    std::mem::forget(loaded.files);
    code
}

/// Moves the findings of a rendered stream (file 0) onto the files its documents came from:
/// the template or resource is loaded as one more file of the report, the finding points at its
/// key there (found by `source::template::locate_key`, else line 1), and keeps its place in the
/// stream as `rendered`. SARIF and GitHub annotations then attach to files of the repository.
fn move_to_origins(
    origins: &[Origin],
    files: &mut Vec<SourceFile>,
    diagnostics: &mut [crate::diag::Diagnostic],
    max_file_size: usize,
) {
    let stream: crate::source::FileId = 0;
    let mut loaded: std::collections::HashMap<&std::path::Path, Option<crate::source::FileId>> =
        std::collections::HashMap::new();
    for d in diagnostics.iter_mut().filter(|d| d.loc.file == stream) {
        let at = d.loc.span.start;
        let Some(origin) = origins.iter().take_while(|o| o.start <= at).last() else { continue };
        let id = *loaded.entry(&origin.path).or_insert_with(|| {
            let name = origin.path.to_string_lossy().into_owned();
            let file = source::load(name, Some(&origin.path), source::FileRole::Manifests, max_file_size).ok()?;
            files.push(file);
            Some(files.len() - 1)
        });
        let (Some(id), Some(rendered)) = (id, files.get(stream)) else { continue };
        let position = rendered.lines().line_col(&rendered.text, at);
        let Some(file) = files.get(id) else { continue };
        let key = d.loc.path.segments().last().and_then(|s| match s {
            crate::change::Seg::Key(k) => Some(k.len()),
            crate::change::Seg::Index(_) => None,
        });
        let span = match source::template::locate_key(&file.text, &d.loc.path) {
            Some(offset) => offset..offset + key.unwrap_or(1).min(file.text.len() - offset),
            None => 0..0,
        };
        d.rendered = Some(position);
        d.loc.file = id;
        d.loc.span = span;
    }
}

/// Input errors of a lint run, with line and column.
pub(crate) fn input_errors<'a>(
    result: &'a lint::LintOutput,
    files: &'a [SourceFile],
) -> impl Iterator<Item = ErrorEntry> + 'a {
    result.errors.iter().map(|e| {
        let (line, column) =
            e.file_id.and_then(|id| files.get(id)).map_or((1, 1), |f| f.lines().line_col(&f.text, e.offset));
        ErrorEntry {
            file: e.file.clone(),
            file_id: e.file_id,
            offset: e.offset,
            line,
            column,
            message: e.message.clone(),
            unwritten: false,
        }
    })
}

/// Where the report goes: stdout, or stderr when stdout carries the fixed stream or a diff, or
/// the `--output-file`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sink {
    Stdout,
    Stderr,
    File,
}

impl Sink {
    /// The report's place for these arguments: `--output-file`; else stderr when stdout carries
    /// data (`--diff`, or `--fix` with standard input among the inputs); else stdout.
    fn of(args: &args::CheckArgs, stdin: bool) -> Sink {
        if args.output_file.is_some() {
            Sink::File
        } else if args.diff || (args.fix && stdin) {
            Sink::Stderr
        } else {
            Sink::Stdout
        }
    }
}

/// The baseline of a run: the file `--write-baseline` writes, the one `--baseline` (or the
/// config's `baseline`) reads, and whether to keep quiet about writing.
pub(crate) struct BaselineUse<'a> {
    pub(crate) write: Option<&'a std::path::Path>,
    pub(crate) read: Option<&'a std::path::Path>,
    pub(crate) quiet: bool,
}

impl BaselineUse<'_> {
    fn of<'a>(args: &'a args::CheckArgs, config: &'a crate::config::LintConfig) -> BaselineUse<'a> {
        BaselineUse {
            write: args.write_baseline.as_deref(),
            read: args.baseline.as_deref().or(config.baseline.as_deref()),
            quiet: args.quiet,
        }
    }
}

/// Applies the baseline: writes one with `--write-baseline` (then every finding is recorded, so
/// none is left), else hides the findings `--baseline` (or the config's `baseline`) records.
/// Returns how many findings were hidden; exit 2 when the file cannot be read or written.
fn baseline(
    using: &BaselineUse<'_>,
    files: &[SourceFile],
    diagnostics: &mut Vec<crate::diag::Diagnostic>,
) -> Result<usize, ExitCode> {
    use crate::lint::baseline;
    let fail = |message: String| {
        eprintln!("leaselint: {message}");
        ExitCode::from(EXIT_ERROR)
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    if let Some(path) = using.write {
        let naming = baseline::Naming::new(path, &cwd);
        let recorded = baseline::record(diagnostics, files, &naming);
        let mut text = serde_json::to_string_pretty(&recorded).map_err(|e| fail(e.to_string()))?;
        text.push('\n');
        std::fs::write(path, text).map_err(|e| fail(format!("cannot write the baseline {}: {e}", path.display())))?;
        if !using.quiet {
            eprintln!(
                "leaselint: recorded {} findings in {}; hide them with `--baseline {}` (or config `baseline`)",
                recorded.findings.len(),
                path.display(),
                path.display()
            );
        }
        return Ok(baseline::hide(diagnostics, files, &naming, &recorded));
    }
    let Some(path) = using.read else { return Ok(0) };
    let text = std::fs::read_to_string(path).map_err(|e| {
        fail(format!(
            "cannot read the baseline {}: {e} (create it with --write-baseline {})",
            path.display(),
            path.display()
        ))
    })?;
    let recorded =
        baseline::parse(&text).map_err(|e| fail(format!("{}: not a leaselint baseline: {e}", path.display())))?;
    Ok(baseline::hide(diagnostics, files, &baseline::Naming::new(path, &cwd), &recorded))
}

fn render(args: &args::CheckArgs, registry: &Registry, report: &Report<'_>, sink: Sink) -> Result<(), ExitCode> {
    let is_terminal = match sink {
        Sink::Stdout => std::io::stdout().is_terminal(),
        Sink::Stderr => std::io::stderr().is_terminal(),
        Sink::File => false,
    };
    let mut buf = Vec::with_capacity(1 << 16);
    let written = match args.format {
        Format::Json if args.statistics => output::render_statistics_json(report, &mut buf),
        _ if args.statistics => output::render_statistics(report, &mut buf),
        Format::Concise => output::render_concise(report, args.quiet, &mut buf),
        Format::Markdown => output::render_markdown(report, &mut buf),
        Format::Json => output::render_json(report, &mut buf),
        Format::Github => output::render_github(report, &mut buf),
        Format::Sarif => {
            if report.diagnostics.len() > GITHUB_MAX_RESULTS {
                eprintln!(
                    "leaselint: note: the SARIF log has {} results; GitHub code scanning rejects a run with more \
                     than {GITHUB_MAX_RESULTS} (narrow the paths or raise --fail-on)",
                    report.diagnostics.len()
                );
            }
            let rules = registry.enabled().map(|r| (&r.meta, r.severity)).collect();
            let srcroot = std::env::current_dir().ok();
            output::render_sarif(report, &output::SarifOptions { rules, srcroot }, &mut buf)
        }
        Format::Human => {
            let color = match args.color {
                args::Color::Always => true,
                args::Color::Never => false,
                args::Color::Auto => is_terminal && std::env::var_os("NO_COLOR").is_none(),
            };
            let options = HumanOptions { color, width: terminal_width(), wrap: is_terminal, quiet: args.quiet };
            output::render_human(report, options, &mut buf)
        }
    };
    let flushed = written.and_then(|()| match sink {
        Sink::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(&buf).and_then(|()| out.flush())
        }
        Sink::Stderr => std::io::stderr().lock().write_all(&buf),
        Sink::File => match &args.output_file {
            Some(path) => std::fs::write(path, &buf),
            None => Ok(()),
        },
    });
    match flushed {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            match (&args.output_file, sink) {
                (Some(path), Sink::File) => {
                    eprintln!("leaselint: cannot write the report to {}: {e}", path.display());
                }
                _ => eprintln!("leaselint: cannot write the report: {e}"),
            }
            Err(ExitCode::from(EXIT_ERROR))
        }
        _ => Ok(()),
    }
}

/// 2 on input errors; 1 on findings at or above `--fail-on` (or a non-empty `--diff`), unless
/// `--exit-zero`; else 0.
fn exit_code(
    args: &args::CheckArgs,
    threshold: Severity,
    diagnostics: &[crate::diag::Diagnostic],
    errors: &[ErrorEntry],
    diff: bool,
) -> ExitCode {
    if !errors.is_empty() {
        return ExitCode::from(EXIT_ERROR);
    }
    if args.exit_zero {
        return ExitCode::SUCCESS;
    }
    if diff || diagnostics.iter().any(|d| d.severity >= threshold) {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

/// The width human output wraps at on a terminal: `COLUMNS`, else the terminal's own width
/// (stdout's, else stderr's), else 100.
fn terminal_width() -> usize {
    let measured = || {
        terminal_size::terminal_size_of(std::io::stdout())
            .or_else(|| terminal_size::terminal_size_of(std::io::stderr()))
            .map(|(w, _)| usize::from(w.0))
    };
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).or_else(measured).filter(|w| *w >= 40).unwrap_or(100)
}

/// The benchmark's parse-only pass: read, split and parse in parallel, as `check` does.
fn parse_only(paths: &[std::path::PathBuf], limits: &args::LimitArgs) -> ExitCode {
    let found = source::discover(paths, &WalkOptions::default());
    let mut files = Vec::new();
    for input in found.inputs {
        match source::load(input.name, input.path.as_deref(), source::FileRole::Manifests, limits.max_file_size) {
            Ok(f) => files.push(f),
            Err(e) => {
                eprintln!("leaselint: {e}");
                return ExitCode::from(EXIT_ERROR);
            }
        }
    }
    let (documents, nodes, errors) = lint::parse_only(&files, limits.limits());
    eprintln!("parse-only: {} files, {documents} documents, {nodes} nodes, {errors} errors", files.len());
    ExitCode::SUCCESS
}
