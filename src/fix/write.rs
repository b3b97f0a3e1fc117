//! Writing fixed files: atomically (a temporary file in the same directory, then a rename, with
//! the original's permissions), and unified diffs for `--diff`.

use std::io::Write;
use std::path::Path;

/// Replaces the file at `path` (through symbolic links) with `contents`: either the old bytes or
/// the new bytes are on disk at any moment.
pub(crate) fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let target = std::fs::canonicalize(path)?;
    let dir = target.parent().unwrap_or(Path::new("."));
    let permissions = std::fs::metadata(&target)?.permissions();
    let mut tmp = tempfile::Builder::new().prefix(".leaselint-").suffix(".tmp").tempfile_in(dir)?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    tmp.as_file().set_permissions(permissions)?;
    tmp.persist(&target).map_err(|e| e.error)?;
    Ok(())
}

/// A unified diff of `old` and `new` with `a/` and `b/` headers (empty when equal).
pub(crate) fn unified_diff(name: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}
