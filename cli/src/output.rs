//! Where the CLI's output goes. Standard output: only through [`stdout`] (the [`outln!`] and
//! [`out!`] macros), where a closed pipe (`ledgerless … | head -1`) is success, never a panic.
//! Files a command was asked to write (`--out`, `--qr`): never over an existing file unless
//! `--force`, never into a log directory's own files (even with `--force`), and atomically — a
//! temporary file beside the target, fsynced, then linked or renamed into place — so a killed
//! command leaves the old file or the new one, never a torn one.

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use crate::UsageError;

/// Writes to standard output, the one place the CLI does. A closed pipe (the reader, e.g.
/// `head -1`, has what it wanted) is success: the rest is dropped. Any other error is returned.
pub(crate) fn stdout(args: std::fmt::Arguments<'_>) -> Result<(), UsageError> {
    pipe_closed_is_success(std::io::stdout().lock().write_fmt(args))
}

/// [`stdout`] for bytes.
pub(crate) fn stdout_bytes(bytes: &[u8]) -> Result<(), UsageError> {
    let mut out = std::io::stdout().lock();
    pipe_closed_is_success(out.write_all(bytes).and_then(|()| out.flush()))
}

/// A buffered writer on standard output, for commands that print line by line as they go
/// (`log append`); its errors go through [`pipe_closed_is_success`].
pub(crate) fn stdout_buffered() -> std::io::BufWriter<std::io::StdoutLock<'static>> {
    std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock())
}

/// A write's result with a closed pipe counted as success.
pub(crate) fn pipe_closed_is_success(r: std::io::Result<()>) -> Result<(), UsageError> {
    match r {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(UsageError::new(format!("writing to standard output: {e}")))
        }
        _ => Ok(()),
    }
}

/// `println!` through [`stdout`]: evaluates to `Result<(), UsageError>`.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use outln;

/// `print!` through [`stdout`]: evaluates to `Result<(), UsageError>`.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::stdout(format_args!($($arg)*))
    };
}
pub(crate) use out;

/// Names a log directory manages (C2SP tlog-tiles plus our status list and lock): writing
/// over any of them corrupts or rolls back the log.
fn is_managed(first: &std::ffi::OsStr) -> bool {
    let s = first.to_string_lossy();
    s == "checkpoint" || s == "tile" || s == "status" || s.starts_with('.')
}

/// If `target` (absolute) lies inside a log directory's managed files, that log directory.
fn managed_by_log(target: &Path) -> Option<PathBuf> {
    for dir in target.ancestors().skip(1) {
        if dir.join("checkpoint").is_file()
            && let Ok(rel) = target.strip_prefix(dir)
            && let Some(Component::Normal(first)) = rel.components().next()
            && is_managed(first)
        {
            return Some(dir.to_owned());
        }
    }
    None
}

/// Checks that `path` may be written: a file name (not a directory), in an existing
/// directory, not a log's managed file, and not an existing file unless `force`.
/// Returns the target with its directory resolved (symlinks in the directory followed).
pub(crate) fn check_target(flag: &str, path: &Path, force: bool) -> Result<PathBuf, UsageError> {
    let shown = path.display();
    let ends_with_slash = path.as_os_str().to_string_lossy().ends_with(['/', std::path::MAIN_SEPARATOR]);
    let name = match path.components().next_back() {
        Some(Component::Normal(n)) if !ends_with_slash => n.to_owned(),
        _ => {
            return Err(UsageError::new(format!("{flag} {shown} names a directory, not a file"))
                .hint(format!("give a file name, e.g. {flag} {}", Path::new(path).join("out").display())));
        }
    };
    if path.is_dir() {
        return Err(UsageError::new(format!("{flag} {shown} is a directory, not a file"))
            .hint(format!("give a file name, e.g. {flag} {}", path.join("out").display())));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = std::fs::canonicalize(parent).map_err(|e| {
        UsageError::new(format!("cannot write {flag} {shown}: directory {}: {e}", parent.display()))
    })?;
    if !dir.is_dir() {
        return Err(UsageError::new(format!(
            "cannot write {flag} {shown}: {} is not a directory",
            parent.display()
        )));
    }
    let target = dir.join(&name);
    if let Some(log) = managed_by_log(&target) {
        return Err(UsageError::new(format!(
            "refusing to write {flag} {shown}: it is one of the files of the log in {} (even with --force)",
            log.display()
        ))
        .hint("write the output outside the log directory"));
    }
    // symlink_metadata: a symlink (even a dangling one) counts as an existing file.
    if !force && std::fs::symlink_metadata(&target).is_ok() {
        return Err(UsageError::new(format!("{flag} {shown} already exists; refusing to overwrite it"))
            .hint("give a new file name, or --force to replace it"));
    }
    Ok(target)
}

/// An output file being written: a [`tlog::AtomicFile`] (bytes go to a temporary file beside
/// the target until [`Output::commit`]; dropped without committing, the temporary file is
/// removed) with the flag it was asked for, for messages.
#[derive(Debug)]
pub(crate) struct Output {
    flag: String,
    shown: PathBuf,
    file: tlog::AtomicFile,
    force: bool,
}

impl Output {
    /// Checks the target ([`check_target`]) and opens a temporary file beside it.
    pub(crate) fn create(flag: &str, path: &Path, force: bool) -> Result<Self, UsageError> {
        let target = check_target(flag, path, force)?;
        // Replacing a file keeps its permissions (a private file stays private).
        #[cfg(unix)]
        let mode = std::fs::metadata(&target).ok().map(|m| {
            use std::os::unix::fs::PermissionsExt as _;
            m.permissions().mode() & 0o777
        });
        #[cfg(not(unix))]
        let mode = None;
        let file = tlog::AtomicFile::create(&target, mode)
            .map_err(|e| UsageError::new(format!("cannot write {flag} {}: {e}", path.display())))?;
        Ok(Output { flag: flag.to_owned(), shown: path.to_owned(), file, force })
    }

    fn error(&self, e: &std::io::Error) -> UsageError {
        UsageError::new(format!("cannot write {} {}: {e}", self.flag, self.shown.display()))
    }

    /// The writer for the contents.
    pub(crate) fn writer(&mut self) -> &mut tlog::AtomicFile {
        &mut self.file
    }

    /// Makes the file durable and puts it in place: atomically refusing an existing target
    /// (unless `force`), then fsyncs the directory.
    pub(crate) fn commit(self) -> Result<(), UsageError> {
        let Output { flag, shown, file, force } = self;
        // Fails if the target appeared since the check: no race clobbers it.
        match file.commit(force) {
            Ok(true) => Ok(()),
            Ok(false) => Err(UsageError::new(format!(
                "{flag} {} already exists; refusing to overwrite it",
                shown.display()
            ))
            .hint("give a new file name, or --force to replace it")),
            Err(e) => Err(UsageError::new(format!("cannot write {flag} {}: {e}", shown.display()))),
        }
    }
}

/// Writes `bytes` to `path` as an [`Output`].
pub(crate) fn write_file(flag: &str, path: &Path, bytes: &[u8], force: bool) -> Result<(), UsageError> {
    let mut out = Output::create(flag, path, force)?;
    let r = out.writer().write_all(bytes);
    r.map_err(|e| out.error(&e))?;
    out.commit()
}

/// Starts a tokio runtime, binds `sock` (given on the command line as `addr`) and runs the
/// server `serve` makes on that listener until it returns (`serve`, `witness serve`).
pub(crate) fn run_server<F, Fut>(
    addr: &str,
    sock: std::net::SocketAddr,
    serve: F,
) -> Result<std::process::ExitCode, UsageError>
where
    F: FnOnce(tokio::net::TcpListener) -> Fut,
    Fut: std::future::Future<Output = Result<(), UsageError>>,
{
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| UsageError::new(format!("cannot start the server: {e}")))?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(sock)
            .await
            .map_err(|e| UsageError::new(format!("cannot listen on {addr}: {e}")))?;
        serve(listener).await
    })?;
    Ok(std::process::ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_existing_unless_forced_and_log_files_always() {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("a.txt");
        write_file("--out", &p, b"one", false).expect("new file");
        assert!(write_file("--out", &p, b"two", false).is_err());
        assert_eq!(std::fs::read(&p).expect("read"), b"one");
        write_file("--out", &p, b"two", true).expect("forced");
        assert_eq!(std::fs::read(&p).expect("read"), b"two");
        let log = d.path().join("log");
        std::fs::create_dir_all(log.join("tile/0")).expect("mkdir");
        std::fs::write(log.join("checkpoint"), b"x").expect("checkpoint");
        for managed in ["checkpoint", "tile/0/000", "status/ids", ".lock"] {
            assert!(write_file("--out", &log.join(managed), b"y", true).is_err(), "{managed}");
        }
        assert_eq!(std::fs::read(log.join("checkpoint")).expect("read"), b"x");
        write_file("--out", &log.join("proof.txt"), b"ok", false).expect("beside the log files is fine");
        assert!(write_file("--out", d.path(), b"y", true).is_err());
        let leftovers: Vec<_> = std::fs::read_dir(d.path())
            .expect("ls")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
