//! Errors of the log writer, each with the context a user needs to act.

use std::path::PathBuf;

/// Why a log operation failed. Nothing is ever half-committed: the checkpoint is the only
/// commit point, so after any error the log is as it was (or, if the new checkpoint was
/// already durable, as it is now).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// A file or directory could not be read or written.
    #[error("couldn't {action} {}: {source}", path.display())]
    Io {
        /// What was being done ("read", "write", "create", ...).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// LOGDIR is not a log (no checkpoint), or already is one (on init).
    #[error("{0}")]
    NotALog(String),
    /// The key does not belong to this log, or is not a log key.
    #[error("{0}")]
    WrongKey(String),
    /// Another process holds the log's lock.
    #[error("another process is appending to {} (lock file {} is held); try again when it finishes", dir.display(), dir.join(".lock").display())]
    Locked {
        /// The log directory.
        dir: PathBuf,
    },
    /// The log's stored data disagrees with its signed checkpoint: it is corrupt.
    #[error("log {} is corrupt: {detail}", dir.display())]
    Corrupt {
        /// The log directory.
        dir: PathBuf,
        /// What disagrees.
        detail: String,
    },
    /// An entry cannot be stored.
    #[error("entry {index}: {reason}")]
    BadEntry {
        /// Index the entry would have had (or its position in the batch).
        index: u64,
        /// Why it was refused.
        reason: String,
    },
    /// A request outside the log (index past the end, sizes out of order).
    #[error("{0}")]
    OutOfRange(String),
    /// A tile could not be read or was malformed.
    #[error(transparent)]
    Tile(#[from] verifier::TileError),
    /// A key, note or checkpoint could not be parsed or verified.
    #[error("{0}")]
    Verify(String),
    /// A path given for output cannot be used as asked (e.g. a directory where a file name
    /// prefix is needed).
    #[error("{0}")]
    BadPath(String),
}

impl LogError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        LogError::Io { action, path: path.into(), source }
    }
}
