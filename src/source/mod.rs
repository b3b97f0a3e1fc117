//! Reading input: files, recursive directories and stdin; UTF-8 and binary checks; splitting a
//! stream into documents by byte ranges; byte offset to line/column. Only this module reads
//! input. It may use `diag` and nothing else of ours.

pub(crate) mod chart;
mod kustomize;
mod line_index;
mod split;
pub(crate) mod template;
mod walk;

use std::io::Read;
use std::path::{Path, PathBuf};

pub(crate) use line_index::{LineIndex, line_cols};
pub(crate) use split::split_documents;
pub(crate) use walk::{WalkOptions, discover};

/// Index of a file in the run's `Sources`.
pub(crate) type FileId = usize;

/// What a file holds, as far as the linter is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileRole {
    /// Kubernetes manifests (any YAML/JSON stream).
    Manifests,
    /// A Helm values file (checked by LL003 only).
    HelmValues,
}

/// One input file held in memory for the whole run.
#[derive(Debug)]
pub(crate) struct SourceFile {
    /// Name shown in reports: the path as given (relative paths stay relative), or `<stdin>`.
    pub(crate) name: String,
    /// The path on disk; `None` for stdin.
    #[allow(dead_code, reason = "where --fix writes the file back (fix capability)")]
    pub(crate) path: Option<PathBuf>,
    pub(crate) role: FileRole,
    /// The file's text. Bytes that are not valid UTF-8 are replaced one for one by `?`, so byte
    /// offsets are those of the original file; the documents that held them are not linted.
    pub(crate) text: String,
    /// Byte ranges of the original file that were not valid UTF-8.
    pub(crate) invalid_utf8: Vec<std::ops::Range<usize>>,
    /// Built on first use (`lines()`): a `--fix` pass makes new texts that are only read by the
    /// parser until something is reported.
    lines: std::sync::OnceLock<LineIndex>,
    /// The file holds JSON: its name ends in `.json`, or (stdin) the whole text is one JSON
    /// value. `--fix` keeps such a file JSON.
    pub(crate) json: bool,
    /// For a Helm values file inside a chart directory: what the chart's templates say (LL003
    /// judges only charts that use leases). `None` for other files and for values files outside
    /// any chart.
    pub(crate) chart: Option<std::sync::Arc<chart::Chart>>,
    /// An object read from a cluster (`audit`): `name` is its API path
    /// (`apis/apps/v1/namespaces/web/deployments/api`) and the text its JSON. Reports name the
    /// path as `resource`, with no file, line or column.
    pub(crate) resource: bool,
}

impl SourceFile {
    pub(crate) fn new(name: String, path: Option<PathBuf>, role: FileRole, bytes: Vec<u8>) -> Self {
        let (text, invalid_utf8) = into_text(bytes);
        let json = is_json(&name, path.as_deref(), &text);
        SourceFile {
            name,
            path,
            role,
            text,
            invalid_utf8,
            lines: std::sync::OnceLock::new(),
            json,
            chart: None,
            resource: false,
        }
    }

    /// An object read from a cluster: its API path and its JSON (one document). The JSON is read
    /// as YAML (JSON is YAML) and `json` stays false: nothing is written back to a cluster, and
    /// fixes are judged as for the YAML manifests the object came from (a JSON file refuses
    /// fixes that append a document, which a manifest does not).
    #[cfg_attr(not(feature = "cluster"), allow(dead_code, reason = "used by audit and serve"))]
    pub(crate) fn resource(api_path: String, json: String) -> Self {
        SourceFile {
            name: api_path,
            path: None,
            role: FileRole::Manifests,
            text: json,
            invalid_utf8: Vec::new(),
            lines: std::sync::OnceLock::new(),
            json: false,
            chart: None,
            resource: true,
        }
    }

    /// Byte offset ↔ line and column.
    pub(crate) fn lines(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(&self.text))
    }

    /// Whether any byte in `range` was invalid UTF-8 in the original file.
    pub(crate) fn has_invalid_utf8_in(&self, range: &std::ops::Range<usize>) -> Option<usize> {
        self.invalid_utf8.iter().find(|bad| bad.start < range.end && range.start < bad.end).map(|bad| bad.start)
    }

    /// The same file with another text (a fixed version of it): it stays JSON or YAML as it was
    /// read, whatever the new text looks like.
    pub(crate) fn with_text(&self, text: String) -> SourceFile {
        let mut file = SourceFile::new(self.name.clone(), self.path.clone(), self.role, text.into_bytes());
        file.json = self.json;
        file.chart.clone_from(&self.chart);
        file.resource = self.resource;
        file
    }
}

/// Whether a file holds JSON: by its name (`.json`), or for stdin by its content.
fn is_json(name: &str, path: Option<&Path>, text: &str) -> bool {
    let by_name = |n: &str| n.len() > 5 && n.get(n.len() - 5..).is_some_and(|e| e.eq_ignore_ascii_case(".json"));
    match path {
        Some(p) => p.to_str().is_some_and(by_name) || by_name(name),
        None => {
            let t = text.trim_start_matches('\u{feff}').trim_start();
            (t.starts_with('{') || t.starts_with('['))
                && serde_json::from_str::<serde::de::IgnoredAny>(text.trim_start_matches('\u{feff}')).is_ok()
        }
    }
}

/// Converts bytes to a `String`, replacing every byte of an invalid UTF-8 sequence by `?` so that
/// byte offsets are preserved. Returns the byte ranges that were replaced.
fn into_text(bytes: Vec<u8>) -> (String, Vec<std::ops::Range<usize>>) {
    match String::from_utf8(bytes) {
        Ok(text) => (text, Vec::new()),
        Err(err) => {
            let mut bytes = err.into_bytes();
            let mut invalid = Vec::new();
            let mut pos = 0;
            while pos < bytes.len() {
                let rest = bytes.get(pos..).unwrap_or_default();
                match std::str::from_utf8(rest) {
                    Ok(_) => break,
                    Err(e) => {
                        let start = pos + e.valid_up_to();
                        let len = e.error_len().unwrap_or(rest.len() - e.valid_up_to());
                        let end = start + len.max(1);
                        for b in bytes.get_mut(start..end).into_iter().flatten() {
                            *b = b'?';
                        }
                        invalid.push(start..end);
                        pos = end;
                    }
                }
            }
            // Every invalid byte was replaced by ASCII, so this cannot fail; fall back to a
            // lossy conversion rather than panic if it ever did.
            let text = String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            (text, invalid)
        }
    }
}

/// A failure to read input. Reported in `Report.errors` with file, line and column.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SourceError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}:{line}:{column}: binary file (it holds a NUL byte), not YAML or JSON; skipped")]
    Binary { path: String, line: usize, column: usize },
    #[error(
        "{path}: standard input is empty: the command before the pipe may have failed (`leaselint .` lints the current directory)"
    )]
    Empty { path: String },
    #[error("{path}: {message}")]
    Walk { path: String, message: String },
}

impl SourceError {
    pub(crate) fn file_name(&self) -> &str {
        match self {
            SourceError::Read { path, .. }
            | SourceError::Binary { path, .. }
            | SourceError::Empty { path }
            | SourceError::Walk { path, .. } => path,
        }
    }

    /// 1-based line and column of the problem (1:1 when it concerns the whole file).
    pub(crate) fn position(&self) -> (usize, usize) {
        match self {
            SourceError::Binary { line, column, .. } => (*line, *column),
            _ => (1, 1),
        }
    }

    /// The message without the file name (the report carries the file separately).
    pub(crate) fn message(&self) -> String {
        match self {
            SourceError::Read { message, .. } => format!("cannot read the file: {message}"),
            SourceError::Binary { .. } => "binary file (it holds a NUL byte), not YAML or JSON; skipped".to_string(),
            SourceError::Empty { .. } => "standard input is empty: the command before the pipe may have failed \
                                          (`leaselint .` lints the current directory)"
                .to_string(),
            SourceError::Walk { message, .. } => message.clone(),
        }
    }
}

/// The largest file leaselint reads: byte offsets are kept as `u32` in the line index.
pub(crate) const MAX_FILE_BYTES: usize = u32::MAX as usize;

/// How many leading bytes are checked for NUL to call a file binary (as git does).
const BINARY_SNIFF_BYTES: usize = 8000;

/// Loads one file (or stdin when `path` is `None`) and checks it is text. An empty file is fine
/// (it holds no document); empty stdin is an error.
/// At most `max_bytes` are read (`--max-file-size`): a larger input is an error, not an
/// unbounded allocation. A regular file that changes while it is read is an error too: what was
/// read may be half of an edit, and `--fix` must not write over the change.
pub(crate) fn load(
    name: String,
    path: Option<&Path>,
    role: FileRole,
    max_bytes: usize,
) -> Result<SourceFile, SourceError> {
    let read_error = |e: std::io::Error| SourceError::Read { path: name.clone(), message: describe_io(&e) };
    let too_large = || SourceError::Read {
        path: name.clone(),
        message: format!("larger than {max_bytes} bytes (raise the limit with --max-file-size)"),
    };
    let limit = max_bytes.min(MAX_FILE_BYTES);
    let bytes = match path {
        Some(p) => {
            let mut file = std::fs::File::open(p).map_err(read_error)?;
            let before = file.metadata().map_err(read_error)?;
            if before.is_dir() {
                return Err(SourceError::Read { path: name, message: "is a directory".into() });
            }
            if before.is_file() && before.len() > limit as u64 {
                return Err(too_large());
            }
            let size = usize::try_from(before.len()).unwrap_or(usize::MAX);
            let bytes = read_at_most(&mut file, limit, size).map_err(read_error)?.ok_or_else(too_large)?;
            if before.is_file() {
                let after = file.metadata().map_err(read_error)?;
                let same = after.len() == before.len()
                    && bytes.len() as u64 == before.len()
                    && after.modified().ok() == before.modified().ok();
                if !same {
                    return Err(SourceError::Read {
                        path: name,
                        message: "the file changed while it was being read; nothing in it was linted or fixed \
                                  (run again when it is no longer being written)"
                            .into(),
                    });
                }
            }
            bytes
        }
        None => read_stdin(max_bytes).map_err(|f| match f.error {
            SourceError::Read { message, .. } => SourceError::Read { path: name.clone(), message },
            other => other,
        })?,
    };
    if path.is_none() && is_blank(&bytes) {
        return Err(SourceError::Empty { path: name });
    }
    let mut file = from_bytes(name, path.map(Path::to_path_buf), role, bytes)?;
    if role == FileRole::HelmValues {
        // The chart's templates are read here (only this module reads): LL003 decides from
        // them whether the chart uses leases.
        file.chart = path.and_then(chart::of_values_file).map(std::sync::Arc::new);
    }
    Ok(file)
}

/// Standard input that could not be read whole.
#[derive(Debug)]
pub(crate) struct StdinFailure {
    pub(crate) error: SourceError,
    /// What was read before the error or the size limit stopped the reading.
    pub(crate) read: Vec<u8>,
    /// More remains unread (the size limit stopped the reading, not an error).
    pub(crate) more: bool,
}

/// Reads standard input (at most `max_bytes`, `--max-file-size`).
pub(crate) fn read_stdin(max_bytes: usize) -> Result<Vec<u8>, StdinFailure> {
    let limit = max_bytes.min(MAX_FILE_BYTES);
    let mut read = Vec::new();
    let result = std::io::stdin().lock().take(limit as u64 + 1).read_to_end(&mut read);
    let failure = |message: String, read: Vec<u8>, more: bool| StdinFailure {
        error: SourceError::Read { path: "<stdin>".into(), message },
        read,
        more,
    };
    match result {
        Err(e) => Err(failure(describe_io(&e), read, false)),
        Ok(_) if read.len() > limit => {
            Err(failure(format!("larger than {max_bytes} bytes (raise the limit with --max-file-size)"), read, true))
        }
        Ok(_) => Ok(read),
    }
}

/// Whether `bytes` hold no YAML content: only whitespace, comments and document markers (an
/// empty file, which is fine; as standard input it is an error).
pub(crate) fn is_blank(bytes: &[u8]) -> bool {
    let content = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    content.split(|b| *b == b'\n').all(|line| {
        let t = line.trim_ascii();
        t.is_empty() || t.starts_with(b"#") || t == b"---" || t == b"..."
    })
}

/// Where the first NUL byte is (line, column), when `bytes` look binary (a NUL in the first
/// 8,000 bytes, as git decides).
pub(crate) fn binary_at(bytes: &[u8]) -> Option<(usize, usize)> {
    let sniff = bytes.get(..BINARY_SNIFF_BYTES.min(bytes.len())).unwrap_or_default();
    let nul = memchr::memchr(0, sniff)?;
    let before = bytes.get(..nul).unwrap_or_default();
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    Some((line, nul - line_start + 1))
}

/// Reads to the end, or `None` when there are more than `limit` bytes. `expected` is the size
/// the reader is known to have (a regular file's), so that the buffer is allocated once at that
/// size instead of doubling past it.
fn read_at_most(reader: &mut impl Read, limit: usize, expected: usize) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::with_capacity(expected.min(limit).saturating_add(1));
    reader.take(limit as u64 + 1).read_to_end(&mut buf)?;
    Ok((buf.len() <= limit).then_some(buf))
}

/// Checks and wraps bytes already read.
pub(crate) fn from_bytes(
    name: String,
    path: Option<PathBuf>,
    role: FileRole,
    bytes: Vec<u8>,
) -> Result<SourceFile, SourceError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(SourceError::Read {
            path: name,
            message: format!("the file is larger than {} bytes (4 GiB); split it", MAX_FILE_BYTES),
        });
    }
    if let Some((line, column)) = binary_at(&bytes) {
        return Err(SourceError::Binary { path: name, line, column });
    }
    Ok(SourceFile::new(name, path, role, bytes))
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_string(),
        _ => e.to_string(),
    }
}

/// `path` with `.` and `..` resolved by name, without touching the file system (`a/./b/../c` is
/// `a/c`): for comparing and showing paths that may not exist.
pub(crate) fn lexical_normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
