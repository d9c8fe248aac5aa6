//! The one reader of input files: every path mlalert reads (files to lint,
//! standard input for `lint -`,
//! `--config`, `--baseline`, `routes --config`, `routes coverage` paths,
//! unit-test files and their `rule_files`) goes through [`read_file`], which
//! stops at a byte limit while reading. A size from `stat()` is only a fast
//! path: devices (`/dev/zero`), FIFOs and `/dev/stdin` report no useful size
//! and are read at most one byte past the limit.

use std::io::Read;
use std::path::Path;

/// Largest input read, in bytes (32 MiB): a rule file or an Alertmanager
/// config is rarely over a few MiB.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Why a file's bytes could not be read. `Display` is the message shown
/// after the path (`rules.yaml: no such file or directory`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReadError {
    /// The path does not exist (or a directory on it does not).
    #[error("no such file or directory")]
    NotFound,
    /// The file exists but cannot be opened for reading.
    #[error("permission denied")]
    PermissionDenied,
    /// The path is a directory.
    #[error("is a directory, not a YAML file")]
    Directory,
    /// The file is larger than the limit: `size` is its size in bytes when
    /// `stat()` says so (a regular file), `None` when reading went past the
    /// limit (a device, a FIFO, a pipe on stdin, a file that grew).
    #[error("{}", too_large(*size, *limit))]
    TooLarge {
        /// The file's size in bytes, when known before reading.
        size: Option<u64>,
        /// The limit, in bytes.
        limit: u64,
    },
    /// Any other I/O error, as the OS words it.
    #[error("{0}")]
    Io(String),
}

fn too_large(size: Option<u64>, limit: u64) -> String {
    let mib = |b: u64| b as f64 / 1_048_576.0;
    match size {
        Some(s) => format!(
            "file is {:.1} MiB, larger than the {:.0} MiB limit for an input file",
            mib(s),
            mib(limit)
        ),
        None => format!(
            "input is larger than the {:.0} MiB limit for an input file (stopped reading there)",
            mib(limit)
        ),
    }
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> ReadError {
        match e.kind() {
            std::io::ErrorKind::NotFound => ReadError::NotFound,
            std::io::ErrorKind::PermissionDenied => ReadError::PermissionDenied,
            std::io::ErrorKind::IsADirectory => ReadError::Directory,
            _ => ReadError::Io(e.to_string()),
        }
    }
}

/// The bytes of `path`, at most [`MAX_FILE_BYTES`]; see [`read_limited`].
///
/// # Errors
/// As [`read_limited`].
pub fn read_file(path: &Path) -> Result<Vec<u8>, ReadError> {
    read_limited(path, MAX_FILE_BYTES)
}

/// The bytes of `path`, at most `limit` bytes. A regular file whose
/// `stat()` size is over the limit is refused before reading; anything else
/// (a device, a FIFO, `/dev/stdin`) is read until end of file or until one
/// byte past the limit, whichever comes first, so memory stays bounded by
/// `limit` whatever the path is. Opening a FIFO blocks until a writer opens
/// it, as `cat` does.
///
/// # Errors
/// [`ReadError`]: missing path, no permission, a directory, over the limit,
/// or another I/O error.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(ReadError::Directory);
    }
    let mut capacity = 0;
    if meta.is_file() {
        if meta.len() > limit {
            return Err(ReadError::TooLarge {
                size: Some(meta.len()),
                limit,
            });
        }
        capacity = meta.len() as usize;
    }
    read_to_limit(file, capacity, limit)
}

/// The bytes of standard input (`mlalert lint -`), at most [`MAX_FILE_BYTES`]:
/// read until end of input or one byte past the limit, as a FIFO is in
/// [`read_limited`].
///
/// # Errors
/// [`ReadError::TooLarge`] past the limit, or the I/O error.
pub fn read_stdin() -> Result<Vec<u8>, ReadError> {
    read_to_limit(std::io::stdin().lock(), 0, MAX_FILE_BYTES)
}

/// Reads `input` to its end, refusing more than `limit` bytes (one byte past
/// the limit is read to tell "exactly at the limit" from "over it").
fn read_to_limit(input: impl Read, capacity: usize, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::with_capacity(capacity);
    input
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { size: None, limit });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_small_files_and_refuses_large_ones_by_size() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.yaml");
        std::fs::write(&p, b"groups: []\n").unwrap();
        assert_eq!(read_limited(&p, 100).unwrap(), b"groups: []\n");
        // Exactly at the limit is accepted, one byte over is not.
        assert_eq!(read_limited(&p, 11).unwrap().len(), 11);
        assert_eq!(
            read_limited(&p, 10),
            Err(ReadError::TooLarge {
                size: Some(11),
                limit: 10
            })
        );
        assert_eq!(
            read_file(&dir.path().join("missing.yaml")),
            Err(ReadError::NotFound)
        );
        assert_eq!(read_file(dir.path()), Err(ReadError::Directory));
    }

    #[cfg(unix)]
    #[test]
    fn a_device_without_end_stops_at_the_limit() {
        // /dev/zero has no size and no end: only the limit stops the read.
        let e = read_limited(Path::new("/dev/zero"), 4096).unwrap_err();
        assert_eq!(
            e,
            ReadError::TooLarge {
                size: None,
                limit: 4096
            }
        );
        assert!(e.to_string().contains("limit"), "{e}");
        // A device with an end is read like a file.
        assert_eq!(read_limited(Path::new("/dev/null"), 10).unwrap(), b"");
    }
}
