//! The writer: a C2SP tiled log in a directory, appended to under a lock, crash-safe.
//!
//! Commit protocol, so the log never signs what it has not stored and never signs two roots
//! for one size:
//! 1. write new full and partial tiles and entry bundles (new paths only, no fsync each);
//! 2. `syncfs` once, making them all durable;
//! 3. read the root back from the tiles on disk and check it against the in-memory root;
//! 4. sign the checkpoint and store it durably as `checkpoint.new` (the intent);
//! 5. rename `checkpoint.new` over `checkpoint` and fsync the directory (the commit);
//! 6. delete partial tiles of tiles that are now full.
//!
//! Opening a log rolls a valid `checkpoint.new` forward (its tiles are durable by step 2),
//! so a signature once made is always the one published for its size.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;

use verifier::write::{SignerKey, format_checkpoint, push_bundle_entry, sign_note};
use verifier::{
    Checkpoint, Hash, KeyKind, MAX_TILE_LEVEL, TILE_HEIGHT, TILE_WIDTH, entries_path, leaf_hash, node_hash,
    parse_entry_bundle, root_from_tiles, tile_path, verify_checkpoint,
};

use crate::error::LogError;
use crate::storage::{
    DirFetch, FetchTiles, lock_file, read_optional, sync_dir, sync_filesystem, write_atomic, write_tile_file,
};

/// What to do when another process holds the log's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Wait for it to finish.
    Wait,
    /// Fail at once with [`LogError::Locked`].
    Fail,
}

/// A step of [`Log::append`] after which a test can make it stop, as a crash would.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// After the n-th tile or bundle file was written.
    TileWritten(usize),
    /// After the filesystem sync.
    Synced,
    /// After the signed checkpoint was staged as `checkpoint.new`.
    Staged,
    /// After `checkpoint.new` was renamed over `checkpoint`.
    Published,
}

/// An open log, holding its lock until dropped.
#[derive(Debug)]
pub struct Log {
    dir: PathBuf,
    key: SignerKey,
    _lock: File,
    checkpoint: Checkpoint,
    stop_after: Option<Step>,
}

const CHECKPOINT: &str = "checkpoint";
const STAGED: &str = "checkpoint.new";

/// Takes the exclusive lock of `dir` (its `.lock` file), held until the returned file is
/// dropped: one writer at a time, for a log or any other directory (an issuance's OUT).
///
/// # Errors
/// [`LogError::Locked`] with [`LockMode::Fail`] if another process holds it; I/O errors.
pub fn lock(dir: &Path, mode: LockMode, on_wait: &mut dyn FnMut()) -> Result<File, LogError> {
    let path = dir.join(".lock");
    let f = lock_file(dir)?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => match mode {
            LockMode::Fail => Err(LogError::Locked { dir: dir.to_owned() }),
            LockMode::Wait => {
                on_wait();
                f.lock().map_err(|e| LogError::io("lock", &path, e))?;
                Ok(f)
            }
        },
        Err(std::fs::TryLockError::Error(e)) => Err(LogError::io("lock", &path, e)),
    }
}

fn check_log_key(key: &SignerKey) -> Result<(), LogError> {
    if key.verifier.kind != KeyKind::Ed25519 {
        return Err(LogError::WrongKey(format!(
            "{} is a witness (cosignature) key; a log needs an Ed25519 note key (ledgerless keygen without --witness)",
            key.verifier.label()
        )));
    }
    Ok(())
}

/// Folds a perfect run of 2^k node hashes into their subtree's hash.
pub(crate) fn fold_perfect(nodes: &[Hash]) -> Hash {
    let mut v = nodes.to_vec();
    while v.len() > 1 {
        v = v.chunks_exact(2).map(|p| node_hash(&p[0], &p[1])).collect();
    }
    v.first().copied().unwrap_or(Hash::EMPTY_TREE)
}

/// The RFC 9162 root from the right edge: `edge[l]` holds the stored nodes (tree level 8·l)
/// of the incomplete tile at tile level `l`.
fn root_from_edge(edge: &[Vec<Hash>]) -> Hash {
    let mut nodes = Vec::new();
    for level in edge.iter().rev() {
        let mut rest = &level[..];
        while !rest.is_empty() {
            let k = 1usize << (usize::BITS - 1 - rest.len().leading_zeros());
            nodes.push(fold_perfect(&rest[..k]));
            rest = &rest[k..];
        }
    }
    let Some(mut h) = nodes.pop() else { return Hash::EMPTY_TREE };
    while let Some(left) = nodes.pop() {
        h = node_hash(&left, &h);
    }
    h
}

fn hashes_to_bytes(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

impl Log {
    /// Creates a new, empty log in `dir` (created if missing, else it must be empty) whose
    /// origin is the key's name, and signs its size-0 checkpoint.
    ///
    /// # Errors
    /// [`LogError::NotALog`] if `dir` already holds files, [`LogError::WrongKey`] for a
    /// witness key, [`LogError::Io`] on I/O failure.
    pub fn init(dir: &Path, key: SignerKey) -> Result<Log, LogError> {
        check_log_key(&key)?;
        std::fs::create_dir_all(dir).map_err(|e| LogError::io("create", dir, e))?;
        let lock_file = lock(dir, LockMode::Fail, &mut || {})?;
        let mut entries = std::fs::read_dir(dir).map_err(|e| LogError::io("read", dir, e))?;
        if entries.any(|e| e.map(|e| e.file_name() != ".lock").unwrap_or(true)) {
            return Err(LogError::NotALog(format!(
                "{} is not empty; `log init` only creates a log in a new or empty directory",
                dir.display()
            )));
        }
        let checkpoint = Checkpoint {
            origin: key.verifier.name.clone(),
            size: 0,
            root_hash: Hash::EMPTY_TREE,
            extensions: Vec::new(),
        };
        let signed = sign_note(&format_checkpoint(&checkpoint), &[&key])
            .map_err(|e| LogError::Verify(e.to_string()))?;
        write_atomic(&dir.join(CHECKPOINT), signed.as_bytes(), true)?;
        sync_dir(dir)?;
        Ok(Log { dir: dir.to_owned(), key, _lock: lock_file, checkpoint, stop_after: None })
    }

    /// Opens the log in `dir` for appending with its signing key, after recovering from any
    /// interrupted append and checking the checkpoint against the tiles.
    ///
    /// # Errors
    /// [`LogError::NotALog`] without a checkpoint; [`LogError::WrongKey`] if the checkpoint is
    /// not signed by `key` for its origin; [`LogError::Locked`] under [`LockMode::Fail`];
    /// [`LogError::Corrupt`] if the tiles do not give the signed root.
    pub fn open(
        dir: &Path,
        key: SignerKey,
        mode: LockMode,
        on_wait: &mut dyn FnMut(),
    ) -> Result<Log, LogError> {
        check_log_key(&key)?;
        if !dir.join(CHECKPOINT).is_file() {
            return Err(LogError::NotALog(format!(
                "{} is not a log (no checkpoint file); create one with `ledgerless log init`",
                dir.display()
            )));
        }
        let lock_file = lock(dir, mode, on_wait)?;
        let mut log = Log {
            dir: dir.to_owned(),
            key,
            _lock: lock_file,
            checkpoint: Checkpoint {
                origin: String::new(),
                size: 0,
                root_hash: Hash::EMPTY_TREE,
                extensions: vec![],
            },
            stop_after: None,
        };
        log.checkpoint = log
            .read_own_checkpoint(&dir.join(CHECKPOINT))?
            .ok_or_else(|| LogError::NotALog(format!("{} has no checkpoint", dir.display())))?;
        log.recover()?;
        let fetch = DirFetch(dir.to_owned());
        let tiles = FetchTiles::new(&fetch);
        let root = root_from_tiles(&tiles, log.checkpoint.size).map_err(|e| LogError::Corrupt {
            dir: dir.to_owned(),
            detail: format!("cannot recompute the root of size {}: {e}", log.checkpoint.size),
        })?;
        if root != log.checkpoint.root_hash {
            return Err(LogError::Corrupt {
                dir: dir.to_owned(),
                detail: format!(
                    "tiles give root {root} for size {}, but the checkpoint signs {}",
                    log.checkpoint.size, log.checkpoint.root_hash
                ),
            });
        }
        Ok(log)
    }

    fn read_own_checkpoint(&self, path: &Path) -> Result<Option<Checkpoint>, LogError> {
        let Some(bytes) = read_optional(path)? else { return Ok(None) };
        let v = verify_checkpoint(&bytes, &self.key.verifier).map_err(|e| {
            LogError::WrongKey(format!(
                "{}: {e}; is {} this log's key?",
                path.display(),
                self.key.verifier.label()
            ))
        })?;
        Ok(Some(v.checkpoint))
    }

    /// Rolls a staged checkpoint forward if its tiles are stored, else discards it.
    fn recover(&mut self) -> Result<(), LogError> {
        for name in [STAGED, ".checkpoint.new.tmp"] {
            let path = self.dir.join(name);
            if !path.exists() {
                continue;
            }
            let staged = self.read_own_checkpoint(&path).ok().flatten();
            if let Some(c) = staged.filter(|c| c.size > self.checkpoint.size) {
                let fetch = DirFetch(self.dir.clone());
                let tiles = FetchTiles::new(&fetch);
                if root_from_tiles(&tiles, c.size).is_ok_and(|r| r == c.root_hash) {
                    let bytes = std::fs::read(&path).map_err(|e| LogError::io("read", &path, e))?;
                    write_atomic(&self.dir.join(CHECKPOINT), &bytes, true)?;
                    sync_dir(&self.dir)?;
                    self.checkpoint = c;
                }
            }
            std::fs::remove_file(&path).map_err(|e| LogError::io("remove", &path, e))?;
        }
        Ok(())
    }

    /// The current signed checkpoint's body.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The log's verifier key (public half of its signing key).
    pub fn verifier_key(&self) -> &verifier::VerifierKey {
        &self.key.verifier
    }

    /// The log's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    #[doc(hidden)]
    pub fn stop_after(&mut self, step: Step) {
        self.stop_after = Some(step);
    }

    fn stop(&self, step: Step) -> Result<(), LogError> {
        if self.stop_after == Some(step) {
            return Err(LogError::Verify(format!("stopped after {step:?} (test hook)")));
        }
        Ok(())
    }

    /// Appends entries in order, then durably stores the tiles and publishes a newly signed
    /// checkpoint. `on_entry` sees each entry's index and leaf hash as it is hashed.
    /// Appending nothing changes nothing.
    ///
    /// Memory stays bounded whatever the batch size: tiles are written as they fill.
    ///
    /// # Errors
    /// [`LogError::BadEntry`] for an entry over 65,535 bytes, an error from `entries`, or an
    /// I/O error; in every case the published checkpoint is unchanged.
    pub fn append<I>(
        &mut self,
        entries: I,
        on_entry: &mut dyn FnMut(u64, &Hash),
    ) -> Result<Checkpoint, LogError>
    where
        I: IntoIterator<Item = Result<Vec<u8>, LogError>>,
    {
        let n0 = self.checkpoint.size;
        let (mut edge, mut bundle) = self.load_edge(n0)?;

        // Tile files are written by a second thread while this one hashes.
        let (tx, rx) = mpsc::sync_channel::<(PathBuf, Vec<u8>)>(64);
        let limit = match self.stop_after {
            Some(Step::TileWritten(n)) => Some(n),
            _ => None,
        };
        let writer = thread::spawn(move || -> Result<Vec<PathBuf>, LogError> {
            let mut written = Vec::new();
            for (path, bytes) in rx {
                if limit == Some(written.len()) {
                    return Err(LogError::Verify(format!(
                        "stopped after {} tile writes (test hook)",
                        written.len()
                    )));
                }
                write_tile_file(&path, &bytes)?;
                written.push(path);
            }
            Ok(written)
        });
        let result = self.hash_entries(entries, n0, &mut edge, &mut bundle, &tx, on_entry);
        drop(tx);
        let written =
            writer.join().map_err(|_| LogError::Verify("tile writer thread panicked".to_owned()))??;
        let size = result?;
        if size == n0 {
            return Ok(self.checkpoint.clone());
        }

        // 2. Durable.
        sync_filesystem(&self.dir, &written)?;
        self.stop(Step::Synced)?;

        // 3. What is on disk is what we sign.
        let root = root_from_edge(&edge);
        let fetch = DirFetch(self.dir.clone());
        let on_disk = root_from_tiles(&FetchTiles::new(&fetch), size)?;
        if on_disk != root {
            return Err(LogError::Corrupt {
                dir: self.dir.clone(),
                detail: format!(
                    "tiles read back give root {on_disk} for size {size}, but {root} was written"
                ),
            });
        }

        // 4. Sign and stage.
        let checkpoint = Checkpoint {
            origin: self.checkpoint.origin.clone(),
            size,
            root_hash: root,
            extensions: Vec::new(),
        };
        let signed = sign_note(&format_checkpoint(&checkpoint), &[&self.key])
            .map_err(|e| LogError::Verify(e.to_string()))?;
        write_atomic(&self.dir.join(STAGED), signed.as_bytes(), true)?;
        sync_dir(&self.dir)?;
        self.stop(Step::Staged)?;

        // 5. Publish.
        std::fs::rename(self.dir.join(STAGED), self.dir.join(CHECKPOINT))
            .map_err(|e| LogError::io("publish the new checkpoint to", self.dir.join(CHECKPOINT), e))?;
        sync_dir(&self.dir)?;
        self.checkpoint = checkpoint.clone();
        self.stop(Step::Published)?;

        // 6. Partial tiles of tiles now full are no longer needed.
        self.collect_partials(n0, size);
        Ok(checkpoint)
    }

    /// Loads the right edge of the tree of `size`: each tile level's incomplete tile, and the
    /// incomplete entry bundle.
    fn load_edge(&self, size: u64) -> Result<(Vec<Vec<Hash>>, Vec<u8>), LogError> {
        let corrupt = |detail: String| LogError::Corrupt { dir: self.dir.clone(), detail };
        let mut edge = Vec::new();
        for level in 0..=MAX_TILE_LEVEL {
            let nodes = size >> (TILE_HEIGHT * u32::from(level));
            if nodes == 0 {
                break;
            }
            let width = (nodes % TILE_WIDTH) as u16;
            if width == 0 {
                edge.push(Vec::new());
                continue;
            }
            let path = self.dir.join(tile_path(level, nodes / TILE_WIDTH, width));
            let data =
                read_optional(&path)?.ok_or_else(|| corrupt(format!("{} is missing", path.display())))?;
            if data.len() != usize::from(width) * 32 {
                return Err(corrupt(format!(
                    "{} is {} bytes, want {}",
                    path.display(),
                    data.len(),
                    usize::from(width) * 32
                )));
            }
            edge.push(data.chunks_exact(32).filter_map(Hash::from_slice).collect());
        }
        let width = (size % TILE_WIDTH) as u16;
        let bundle = if width == 0 {
            Vec::new()
        } else {
            let rel = entries_path(size / TILE_WIDTH, width);
            let path = self.dir.join(&rel);
            let data =
                read_optional(&path)?.ok_or_else(|| corrupt(format!("{} is missing", path.display())))?;
            let n = parse_entry_bundle(&rel, &data)?.len();
            if n != usize::from(width) {
                return Err(corrupt(format!("{} holds {n} entries, want {width}", path.display())));
            }
            data
        };
        Ok((edge, bundle))
    }

    /// Hashes entries into the edge, sending full tiles to the writer; returns the new size.
    fn hash_entries<I>(
        &self,
        entries: I,
        n0: u64,
        edge: &mut Vec<Vec<Hash>>,
        bundle: &mut Vec<u8>,
        tx: &mpsc::SyncSender<(PathBuf, Vec<u8>)>,
        on_entry: &mut dyn FnMut(u64, &Hash),
    ) -> Result<u64, LogError>
    where
        I: IntoIterator<Item = Result<Vec<u8>, LogError>>,
    {
        let send = |rel: String, bytes: Vec<u8>| {
            tx.send((self.dir.join(rel), bytes))
                .map_err(|_| LogError::Verify("tile writer stopped early (see the error above)".to_owned()))
        };
        let mut size = n0;
        for entry in entries {
            let entry = entry?;
            push_bundle_entry(bundle, &entry).map_err(|_| LogError::BadEntry {
                index: size,
                reason: format!("{} bytes is over the 65,535-byte limit of tlog-tiles entries", entry.len()),
            })?;
            let mut node = leaf_hash(&entry);
            on_entry(size, &node);
            size += 1;
            let mut level = 0usize;
            loop {
                if edge.len() <= level {
                    edge.push(Vec::new());
                }
                edge[level].push(node);
                if edge[level].len() < TILE_WIDTH as usize {
                    break;
                }
                let tile = (size >> (TILE_HEIGHT as usize * level)) / TILE_WIDTH - 1;
                send(tile_path(level as u8, tile, TILE_WIDTH as u16), hashes_to_bytes(&edge[level]))?;
                if level == 0 {
                    send(entries_path(tile, TILE_WIDTH as u16), std::mem::take(bundle))?;
                }
                node = fold_perfect(&edge[level]);
                edge[level].clear();
                level += 1;
            }
        }
        if size == n0 {
            return Ok(size);
        }
        for (level, nodes) in edge.iter().enumerate() {
            let shift = TILE_HEIGHT as usize * level;
            if !nodes.is_empty() && (size >> shift) != (n0 >> shift) {
                let tile = (size >> shift) / TILE_WIDTH;
                send(tile_path(level as u8, tile, nodes.len() as u16), hashes_to_bytes(nodes))?;
            }
        }
        if !size.is_multiple_of(TILE_WIDTH) {
            send(entries_path(size / TILE_WIDTH, (size % TILE_WIDTH) as u16), bundle.clone())?;
        }
        Ok(size)
    }

    /// Deletes the partial tiles of tiles that became full between sizes `n0` and `n1`.
    /// Best effort: leftovers are harmless, so failures are ignored.
    fn collect_partials(&self, n0: u64, n1: u64) {
        for level in 0..=MAX_TILE_LEVEL {
            let shift = TILE_HEIGHT * u32::from(level);
            let (a, b) = (n0 >> shift, n1 >> shift);
            if a % TILE_WIDTH != 0 && b / TILE_WIDTH > a / TILE_WIDTH {
                let p = self.dir.join(format!("{}.p", tile_path(level, a / TILE_WIDTH, TILE_WIDTH as u16)));
                let _ = std::fs::remove_dir_all(p);
                if level == 0 {
                    let p = self.dir.join(format!("{}.p", entries_path(a / TILE_WIDTH, TILE_WIDTH as u16)));
                    let _ = std::fs::remove_dir_all(p);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use verifier::{prove_consistency, prove_inclusion, tree_root, verify_consistency, verify_inclusion};

    fn key() -> SignerKey {
        SignerKey::from_seed("example.com/test-log", KeyKind::Ed25519, &[3; 32]).unwrap()
    }

    fn entry(i: u64) -> Vec<u8> {
        format!("entry number {i}").into_bytes()
    }

    /// Regression: `TlogProver` passed (size, index) to `verifier::prove_inclusion(src, index,
    /// size)` after the argument order was unified, so every tlog-proof but a lucky one failed.
    #[test]
    fn every_entry_gets_a_tlog_proof_that_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::init(dir.path(), key()).unwrap();
        log.append((0..300).map(|i| Ok(entry(i))), &mut |_, _| {}).unwrap();
        drop(log);
        let fetch = DirFetch(dir.path().to_owned());
        let trust = verifier::Trust::Key(key().verifier);
        for i in [0, 1, 5, 255, 256, 299] {
            let proof = crate::tlog_proof(&fetch, i).unwrap();
            let report = verifier::check_tlog_proof(&trust, proof.as_bytes(), &entry(i));
            assert!(report.verified, "entry {i}: {report:?}");
            let wrong = verifier::check_tlog_proof(&trust, proof.as_bytes(), &entry(i + 1));
            assert!(!wrong.verified, "entry {i}'s proof must not prove entry {}", i + 1);
        }
        assert!(crate::tlog_proof(&fetch, 300).is_err());
    }

    #[test]
    fn appends_across_tile_boundaries_match_the_naive_tree() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::init(dir.path(), key()).unwrap();
        let mut leaves = Vec::new();
        let mut sizes = vec![0u64];
        for batch in [1u64, 254, 1, 1, 300, 65_000, 279, 1, 2] {
            let start = log.checkpoint().size;
            let c = log
                .append((start..start + batch).map(|i| Ok(entry(i))), &mut |i, h| {
                    assert_eq!(i as usize, leaves.len());
                    leaves.push(*h);
                })
                .unwrap();
            assert_eq!(c.root_hash, tree_root(&leaves), "size {}", c.size);
            sizes.push(c.size);
        }
        let size = log.checkpoint().size;
        assert_eq!(size, 65_839);
        drop(log);
        // Reopen: recomputes the root from the tiles and checks it.
        let log = Log::open(dir.path(), key(), LockMode::Fail, &mut || {}).unwrap();
        let fetch = DirFetch(dir.path().to_owned());
        let tiles = FetchTiles::new(&fetch).with_latest(size);
        let root = log.checkpoint().root_hash;
        for i in [0, 255, 256, 257, 65_535, 65_536, 65_537, size - 1] {
            let p = prove_inclusion(&tiles, i, size).unwrap();
            verify_inclusion(i, size, &leaves[i as usize], &p, &root).unwrap();
        }
        for &m in &sizes[1..] {
            let p = prove_consistency(&tiles, m, size).unwrap();
            verify_consistency(m, size, &p, &tree_root(&leaves[..m as usize]), &root).unwrap();
        }
        // Historical sizes never checkpointed are served from prefixes of newer tiles.
        let p = prove_inclusion(&tiles, 299, 300).unwrap();
        verify_inclusion(299, 300, &leaves[299], &p, &tree_root(&leaves[..300])).unwrap();
    }

    #[test]
    fn lock_refuses_a_second_writer() {
        let dir = tempfile::tempdir().unwrap();
        let _log = Log::init(dir.path(), key()).unwrap();
        let e = Log::open(dir.path(), key(), LockMode::Fail, &mut || {}).unwrap_err();
        assert!(matches!(e, LogError::Locked { .. }), "{e}");
    }

    #[test]
    fn wrong_key_and_oversized_entry() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::init(dir.path(), key()).unwrap();
        let e = log.append(vec![Ok(entry(0)), Ok(vec![0; 65_536])], &mut |_, _| {}).unwrap_err();
        assert!(matches!(e, LogError::BadEntry { index: 1, .. }), "{e}");
        assert_eq!(log.checkpoint().size, 0);
        drop(log);
        let other = SignerKey::from_seed("example.com/test-log", KeyKind::Ed25519, &[4; 32]).unwrap();
        let e = Log::open(dir.path(), other, LockMode::Fail, &mut || {}).unwrap_err();
        assert!(matches!(e, LogError::WrongKey(_)), "{e}");
        // The refused batch left the log usable at its old size.
        let mut log = Log::open(dir.path(), key(), LockMode::Fail, &mut || {}).unwrap();
        assert_eq!(log.append(vec![Ok(entry(0))], &mut |_, _| {}).unwrap().size, 1);
    }

    #[test]
    fn logs_of_tile_boundary_sizes_give_the_naive_proofs() {
        for n in [255u64, 256, 257, 65_535, 65_536, 65_537] {
            let dir = tempfile::tempdir().unwrap();
            let mut log = Log::init(dir.path(), key()).unwrap();
            // Two batches, so the second starts mid-tile.
            let half = n / 2 + 1;
            log.append((0..half).map(|i| Ok(entry(i))), &mut |_, _| {}).unwrap();
            log.append((half..n).map(|i| Ok(entry(i))), &mut |_, _| {}).unwrap();
            let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&entry(i))).collect();
            let fetch = DirFetch(dir.path().to_owned());
            let tiles = FetchTiles::new(&fetch).with_latest(n);
            assert_eq!(log.checkpoint().root_hash, ::tests::naive_root(&leaves), "root of {n}");
            for i in [0, 1, 254, 255, 256, n / 2, n - 2, n - 1].into_iter().filter(|&i| i < n) {
                let p = prove_inclusion(&tiles, i, n).unwrap();
                assert_eq!(p, ::tests::naive_inclusion_proof(i as usize, &leaves), "inclusion {i} of {n}");
            }
            for m in [1, 2, 255, 256, 257, half, n - 1, n].into_iter().filter(|&m| m >= 1 && m <= n) {
                let p = prove_consistency(&tiles, m, n).unwrap();
                assert_eq!(
                    p,
                    ::tests::naive_consistency_proof(m as usize, &leaves),
                    "consistency {m} -> {n}"
                );
            }
        }
    }

    #[test]
    fn interrupted_appends_leave_old_or_new_size() {
        // The second batch writes a handful of files (full tile and bundle 001, partial tiles
        // and bundle): stop before each of them, and after each later step.
        let mut steps: Vec<Step> = (0..=8).map(Step::TileWritten).collect();
        steps.extend([Step::Synced, Step::Staged, Step::Published]);
        for step in steps {
            let dir = tempfile::tempdir().unwrap();
            let mut log = Log::init(dir.path(), key()).unwrap();
            log.append((0..300).map(|i| Ok(entry(i))), &mut |_, _| {}).unwrap();
            log.stop_after(step);
            let stopped = log.append((300..700).map(|i| Ok(entry(i))), &mut |_, _| {}).is_err();
            // The batch writes 5 files; a limit past that never triggers.
            assert_eq!(stopped, !matches!(step, Step::TileWritten(k) if k >= 5), "{step:?}");
            drop(log);
            let mut log = Log::open(dir.path(), key(), LockMode::Fail, &mut || {}).unwrap();
            let size = log.checkpoint().size;
            // Staged checkpoints roll forward; earlier stops leave the old size.
            let want = if !stopped || matches!(step, Step::Staged | Step::Published) { 700 } else { 300 };
            assert_eq!(size, want, "{step:?}");
            let c = log.append((size..size + 5).map(|i| Ok(entry(i))), &mut |_, _| {}).unwrap();
            let leaves: Vec<Hash> = (0..size + 5).map(|i| leaf_hash(&entry(i))).collect();
            assert_eq!(c.root_hash, tree_root(&leaves), "{step:?}");
        }
    }
}
