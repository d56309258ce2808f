//! Files under LOGDIR: atomic writes, durability, and reading tiles back.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use verifier::{TILE_WIDTH, TileError, TileSource, tile_path};

use crate::error::LogError;

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, then a
/// rename, so readers see the old file or the new one, never a torn one. With `durable`,
/// the data is fsynced before the rename (the caller fsyncs the directory). The temporary
/// name is fixed (`.NAME.tmp`): only the log's lock holder writes these files, and the log
/// clears a leftover one on open.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], durable: bool) -> Result<(), LogError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let mut f = AtomicFile::open(path, &format!(".{name}.tmp"), false, None)
        .map_err(|e| LogError::io("create", path, e))?;
    f.write_all(bytes).map_err(|e| LogError::io("write", path, e))?;
    f.place(durable, true).map_err(|e| LogError::io("rename into place", path, e))?;
    Ok(())
}

/// Writes `bytes` to `path` atomically and durably (a temporary file, fsync, rename, directory
/// fsync): after a crash the file is the old one or the new one. `private` makes it 0600 from
/// its creation. For files outside a log too (bundles, journals), under the caller's own lock.
///
/// # Errors
/// [`LogError::Io`] naming the file.
pub fn write_file_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<(), LogError> {
    let mut f =
        AtomicFile::create(path, private.then_some(0o600)).map_err(|e| LogError::io("create", path, e))?;
    f.write_all(bytes).map_err(|e| LogError::io("write", path, e))?;
    f.commit(true).map_err(|e| LogError::io("rename into place", path, e))?;
    Ok(())
}

/// As [`write_file_atomic`], but without fsync: for many files made durable together by
/// [`sync_all_writes`] before any record says they exist.
///
/// # Errors
/// [`LogError::Io`] naming the file.
pub fn write_file_atomic_no_sync(path: &Path, bytes: &[u8], private: bool) -> Result<(), LogError> {
    let mut f =
        AtomicFile::create(path, private.then_some(0o600)).map_err(|e| LogError::io("create", path, e))?;
    f.write_all(bytes).map_err(|e| LogError::io("write", path, e))?;
    f.place(false, true).map_err(|e| LogError::io("rename into place", path, e))?;
    Ok(())
}

/// Distinguishes the temporary files of one process.
static TEMP_COUNTER: AtomicU32 = AtomicU32::new(0);

/// The one atomic file writer (log files, bundles, journals, keys, CLI outputs, synthetic
/// data): bytes go to a temporary file beside the target until [`AtomicFile::commit`], which
/// fsyncs it, puts it in place and fsyncs the directory, so after a crash the target is the old
/// file or the whole new one. Dropped without committing, the temporary file is removed.
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    tmp: PathBuf,
    file: Option<std::io::BufWriter<File>>,
}

impl AtomicFile {
    /// Opens a new temporary file `.NAME.PID-N.tmp` beside `path` (its folder created if
    /// missing), with permission bits `mode` from its creation on Unix (`Some(0o600)` for a
    /// private file; `None`: the default, 0666 less the umask).
    ///
    /// # Errors
    /// Creating the folder or the temporary file.
    pub fn create(path: &Path, mode: Option<u32>) -> std::io::Result<Self> {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        AtomicFile::open(path, &format!(".{name}.{}-{n}.tmp", std::process::id()), true, mode)
    }

    /// Opens the temporary file `tmp_name` beside `path` (replacing a leftover one unless
    /// `create_new`).
    fn open(path: &Path, tmp_name: &str, create_new: bool, mode: Option<u32>) -> std::io::Result<Self> {
        let dir = parent_dir(path);
        let tmp = dir.join(tmp_name);
        let mut opts = std::fs::OpenOptions::new();
        if create_new {
            opts.write(true).create_new(true);
        } else {
            opts.write(true).create(true).truncate(true);
        }
        #[cfg(unix)]
        if let Some(mode) = mode {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(mode);
        }
        #[cfg(not(unix))]
        let _ = mode;
        let f = match opts.open(&tmp) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir)?;
                opts.open(&tmp)?
            }
            Err(e) => return Err(e),
        };
        Ok(AtomicFile {
            target: path.to_owned(),
            tmp,
            file: Some(std::io::BufWriter::with_capacity(1 << 16, f)),
        })
    }

    /// Makes the file durable and puts it in place, then fsyncs the directory: over an existing
    /// file if `replace`, else only if none exists (atomically: a file that appeared since any
    /// earlier check is never replaced). Returns `Ok(false)`, writing nothing, if `replace` is
    /// false and the target exists.
    ///
    /// # Errors
    /// Flushing, fsyncing or renaming.
    pub fn commit(mut self, replace: bool) -> std::io::Result<bool> {
        if !self.place(true, replace)? {
            return Ok(false);
        }
        // Makes the new name durable (only Unix can open a directory to fsync it).
        #[cfg(unix)]
        File::open(parent_dir(&self.target))?.sync_all()?;
        Ok(true)
    }

    /// Flushes (and with `durable` fsyncs) the file and puts it in place, without the
    /// directory fsync.
    fn place(&mut self, durable: bool, replace: bool) -> std::io::Result<bool> {
        if let Some(w) = self.file.take() {
            let f = w.into_inner().map_err(std::io::IntoInnerError::into_error)?;
            if durable {
                f.sync_all()?;
            }
        }
        if replace {
            std::fs::rename(&self.tmp, &self.target)?;
            Ok(true)
        } else {
            // The temporary file is removed by `drop`.
            link_into_place(&self.tmp, &self.target)
        }
    }
}

impl std::io::Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(std::io::Error::other("the file is already committed")),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // After a rename the temporary name is gone and this fails harmlessly.
        self.file = None;
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// The folder `path` is in (`.` for a bare name).
fn parent_dir(path: &Path) -> &Path {
    path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Puts the finished (and fsynced) temporary file `tmp` at `path` unless `path` exists:
/// a hard link fails atomically if it does, so a file that appeared since any earlier check
/// is never replaced; on a filesystem without hard links, a checked rename. `tmp` stays for
/// the caller to remove. Returns `Ok(false)` if `path` exists.
///
/// # Errors
/// Any I/O error but "exists".
pub fn link_into_place(tmp: &Path, path: &Path) -> std::io::Result<bool> {
    match std::fs::hard_link(tmp, path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(_) if std::fs::symlink_metadata(path).is_ok() => Ok(false),
        Err(_) => std::fs::rename(tmp, path).map(|()| true),
    }
}

/// Makes every write so far on the filesystem holding `dir` durable (one `syncfs`).
///
/// # Errors
/// [`LogError::Io`].
pub fn sync_all_writes(dir: &Path) -> Result<(), LogError> {
    sync_filesystem(dir, &[])
}

/// Writes a tile or entry bundle in place (no temporary file): every tile path an append
/// writes is absent from, or unreferenced by, the published checkpoint, so no reader can see
/// it half-written; the commit protocol makes it durable before any checkpoint names it.
pub(crate) fn write_tile_file(path: &Path, bytes: &[u8]) -> Result<(), LogError> {
    let mut f = match File::create(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let dir = path.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir).map_err(|e| LogError::io("create", dir, e))?;
            File::create(path).map_err(|e| LogError::io("create", path, e))?
        }
        Err(e) => return Err(LogError::io("create", path, e)),
    };
    f.write_all(bytes).map_err(|e| LogError::io("write", path, e))
}

/// Fsyncs a directory, making renames inside it durable (also for files outside a log, e.g.
/// a release directory renamed into place).
///
/// # Errors
/// [`LogError::Io`] naming the directory.
pub fn sync_dir(dir: &Path) -> Result<(), LogError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| LogError::io("fsync directory", dir, e))
}

/// Makes every write so far on the filesystem holding `dir` durable, with one `syncfs`
/// instead of one fsync per tile (thousands of fsyncs would cost seconds per batch).
pub(crate) fn sync_filesystem(dir: &Path, written: &[PathBuf]) -> Result<(), LogError> {
    #[cfg(unix)]
    {
        let _ = written;
        let d = File::open(dir).map_err(|e| LogError::io("open", dir, e))?;
        rustix::fs::syncfs(&d).map_err(|e| LogError::io("syncfs", dir, e.into()))
    }
    #[cfg(not(unix))]
    {
        for p in written {
            File::open(p).and_then(|f| f.sync_all()).map_err(|e| LogError::io("fsync", p, e))?;
        }
        let _ = dir;
        Ok(())
    }
}

/// Opens (creating if needed) the `.lock` file in `dir`, without locking it yet.
pub(crate) fn lock_file(dir: &Path) -> Result<File, LogError> {
    let path = dir.join(".lock");
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| LogError::io("open the lock file", &path, e))
}

/// Reads a file, mapping "not found" to `None`.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, LogError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(LogError::io("read", path, e)),
    }
}

/// Where a log's files come from: a directory, or a URL (implemented by the CLI).
///
/// `fetch` takes a path relative to the log root (`checkpoint`, `tile/0/000.p/5`) and MUST
/// return `Ok(None)` when the file does not exist, and `Err` with a readable reason for any
/// other failure.
pub trait Fetch {
    /// Fetches one file of the log.
    ///
    /// # Errors
    /// A readable reason when the file exists but cannot be read.
    fn fetch(&self, path: &str) -> Result<Option<Vec<u8>>, String>;

    /// Describes where the log is, for messages.
    fn location(&self) -> String;
}

/// A log in a local directory.
#[derive(Debug, Clone)]
pub struct DirFetch(pub PathBuf);

impl Fetch for DirFetch {
    fn fetch(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        read_optional(&self.0.join(path)).map_err(|e| e.to_string())
    }
    fn location(&self) -> String {
        self.0.display().to_string()
    }
}

/// A [`TileSource`] over any [`Fetch`], with a cache and the C2SP fallback: a missing
/// partial tile is read as the prefix of the full tile at the same position.
pub struct FetchTiles<'a> {
    fetch: &'a dyn Fetch,
    latest: Option<u64>,
    cache: RefCell<HashMap<(u8, u64, u16), Vec<u8>>>,
    nodes: RefCell<HashMap<(u32, u64), verifier::Hash>>,
}

impl std::fmt::Debug for FetchTiles<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FetchTiles({})", self.fetch.location())
    }
}

impl<'a> FetchTiles<'a> {
    /// Wraps a fetcher.
    pub fn new(fetch: &'a dyn Fetch) -> Self {
        FetchTiles {
            fetch,
            latest: None,
            cache: RefCell::new(HashMap::new()),
            nodes: RefCell::new(HashMap::new()),
        }
    }

    /// Also reads tiles of older tree sizes as prefixes of the tiles of `latest`, the log's
    /// current size: proofs at sizes no checkpoint was published for need this.
    pub fn with_latest(mut self, latest: u64) -> Self {
        self.latest = Some(latest);
        self
    }
}

impl TileSource for FetchTiles<'_> {
    fn cached_node(&self, level: u32, index: u64) -> Option<verifier::Hash> {
        self.nodes.borrow().get(&(level, index)).copied()
    }

    fn cache_node(&self, level: u32, index: u64, hash: verifier::Hash) {
        self.nodes.borrow_mut().insert((level, index), hash);
    }

    fn read_tile(&self, level: u8, index: u64, width: u16) -> Result<Vec<u8>, TileError> {
        if let Some(t) = self.cache.borrow().get(&(level, index, width)) {
            return Ok(t.clone());
        }
        let path = tile_path(level, index, width);
        let unavailable = |reason: String| TileError::Unavailable { path: path.clone(), reason };
        let mut data = self.fetch.fetch(&path).map_err(unavailable)?;
        if data.is_none() && u64::from(width) < TILE_WIDTH {
            let full = tile_path(level, index, TILE_WIDTH as u16);
            data = self.fetch.fetch(&full).map_err(unavailable)?.map(|mut d| {
                d.truncate(usize::from(width) * 32);
                d
            });
        }
        if let (None, Some(latest)) = (&data, self.latest) {
            let w = verifier::tile_width(level, index, latest);
            if w > width && u64::from(w) < TILE_WIDTH {
                data = self.fetch.fetch(&tile_path(level, index, w)).map_err(unavailable)?.map(|mut d| {
                    d.truncate(usize::from(width) * 32);
                    d
                });
            }
        }
        let data = data.ok_or_else(|| unavailable("not found".to_owned()))?;
        self.cache.borrow_mut().insert((level, index, width), data.clone());
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_file_replaces_or_refuses_and_leaves_no_temporary() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sub").join("a.json");
        write_file_atomic(&p, b"one", true).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let mut f = AtomicFile::create(&p, None).unwrap();
        f.write_all(b"two").unwrap();
        assert!(!f.commit(false).unwrap(), "an existing file is not replaced without `replace`");
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        let mut f = AtomicFile::create(&p, None).unwrap();
        f.write_all(b"two").unwrap();
        drop(f);
        assert_eq!(std::fs::read(&p).unwrap(), b"one", "dropped uncommitted: nothing changes");
        let mut f = AtomicFile::create(&p, None).unwrap();
        f.write_all(b"three").unwrap();
        assert!(f.commit(true).unwrap());
        assert_eq!(std::fs::read(&p).unwrap(), b"three");
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.json"], "no temporary file is left");
    }
}
