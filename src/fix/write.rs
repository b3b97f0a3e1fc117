//! Writing fixed files: atomically (a temporary file in the same directory, then a rename, with
//! the original's permissions), and unified diffs for `--diff`.

use std::io::Write;
use std::path::Path;

/// What a file held when it was read: its length and a hash of its bytes (kept instead of a
/// second copy of every file's text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Digest {
    len: usize,
    hash: u64,
}

impl Digest {
    pub(crate) fn of(bytes: &[u8]) -> Digest {
        Digest { len: bytes.len(), hash: xxhash_rust::xxh3::xxh3_64(bytes) }
    }

    /// The digest of a file's bytes, read in pieces (never the whole file in memory again).
    fn of_file(path: &Path) -> std::io::Result<Digest> {
        use std::io::Read;
        let mut file = std::fs::File::open(path)?;
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut len = 0;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(buf.get(..n).unwrap_or_default());
            len += n;
        }
        Ok(Digest { len, hash: h.digest() })
    }
}

/// Replaces the file at `path` (through symbolic links) with `contents`: either the old bytes or
/// the new bytes are on disk at any moment (a temporary file in the same directory, flushed to
/// disk, then renamed over the file; the directory is flushed after the rename).
///
/// Refused, leaving the file as it is: a read-only file or directory (no write permission bit:
/// leaselint does not replace what was made read-only, even when run as root), and a file whose
/// bytes no longer match `expected` (changed since it was read: writing would lose that change).
pub(crate) fn write_atomic(path: &Path, expected: &Digest, contents: &[u8]) -> std::io::Result<()> {
    let target = std::fs::canonicalize(path)?;
    let dir = target.parent().unwrap_or(Path::new("."));
    let metadata = std::fs::metadata(&target)?;
    if read_only(&metadata) {
        return Err(refused("the file is read-only"));
    }
    if std::fs::metadata(dir).is_ok_and(|m| read_only(&m)) {
        return Err(refused(&format!(
            "its directory {} is read-only (the fixed file is written beside it, then renamed)",
            dir.display()
        )));
    }
    if Digest::of_file(&target)? != *expected {
        return Err(refused("the file changed since leaselint read it; run again"));
    }
    let permissions = metadata.permissions();
    let mut tmp = tempfile::Builder::new().prefix(".leaselint-").suffix(".tmp").tempfile_in(dir)?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    tmp.as_file().set_permissions(permissions)?;
    tmp.persist(&target).map_err(|e| e.error)?;
    // The rename is durable once the directory is flushed (best effort: not every platform or
    // file system can open a directory for it).
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn refused(why: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::PermissionDenied, why.to_string())
}

/// No write permission bit at all (for the owner, the group or others).
fn read_only(m: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        m.permissions().mode() & 0o222 == 0
    }
    #[cfg(not(unix))]
    {
        m.permissions().readonly()
    }
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

#[cfg(test)]
mod tests {
    use super::Digest;

    #[test]
    fn a_file_digest_is_the_digest_of_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.yaml");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(Digest::of_file(&path).unwrap(), Digest::of(&bytes));
        assert_ne!(Digest::of(b"a"), Digest::of(b"b"));
    }
}
