//! Auditing a whole tiled log: every entry against its leaf hash, every tile against the
//! level below, and the root against the signed checkpoint.

use verifier::{
    Checkpoint, Hash, TILE_WIDTH, TileSource as _, Trust, VerifiedCheckpoint, entries_path, leaf_hash,
    parse_entry_bundle, root_from_tiles, tile_path, tile_width,
};

use crate::error::LogError;
use crate::log::fold_perfect;
use crate::storage::{Fetch, FetchTiles};

/// What an audit established.
#[derive(Debug, Clone)]
pub struct AuditReport {
    /// The verified checkpoint.
    pub checkpoint: Checkpoint,
    /// Key that signed it, `name+keyid`.
    pub log_key: String,
    /// Witnesses whose cosignatures verified.
    pub cosigners: Vec<String>,
    /// Hash tiles and entry bundles read and checked.
    pub tiles_checked: u64,
}

/// Why an audit failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The checkpoint does not verify under the trust given.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// The log's data contradicts itself or its checkpoint; names the first place it does.
    #[error("{0}")]
    Inconsistent(String),
    /// A file could not be read.
    #[error(transparent)]
    Log(#[from] LogError),
}

/// Reads a whole log and checks it: the checkpoint under `trust`, every entry bundle against
/// its hash tile, every higher tile against the tiles below, and the root. `progress` sees
/// (level-0 tiles done, level-0 tiles in all).
///
/// # Errors
/// [`AuditError::Checkpoint`], [`AuditError::Inconsistent`] naming the first disagreement
/// precisely, or [`AuditError::Log`] for unreadable files.
pub fn audit(
    fetch: &dyn Fetch,
    trust: &Trust,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<AuditReport, AuditError> {
    let bytes = fetch
        .fetch("checkpoint")
        .map_err(|e| LogError::NotALog(format!("{}: couldn't read the checkpoint: {e}", fetch.location())))?
        .ok_or_else(|| LogError::NotALog(format!("{} is not a log (no checkpoint)", fetch.location())))?;
    let v: VerifiedCheckpoint =
        trust.verify_checkpoint(&bytes).map_err(|e| AuditError::Checkpoint(e.to_string()))?;
    let size = v.checkpoint.size;
    let tiles = FetchTiles::new(fetch);
    let bad = |s: String| AuditError::Inconsistent(s);
    let mut checked = 0u64;
    let mut pending = Pending { nodes: vec![Vec::new(); 9], done: vec![0; 9] };
    let level0_tiles = size.div_ceil(TILE_WIDTH);
    for t in 0..level0_tiles {
        let w = tile_width(0, t, size);
        let hashes = read_hashes(&tiles, 0, t, w)?;
        let rel = entries_path(t, w);
        let mut data = fetch.fetch(&rel).map_err(|e| bad(format!("{rel}: {e}")))?;
        if data.is_none() && u64::from(w) < TILE_WIDTH {
            data =
                fetch.fetch(&entries_path(t, TILE_WIDTH as u16)).map_err(|e| bad(format!("{rel}: {e}")))?;
        }
        let data = data.ok_or_else(|| bad(format!("{rel} is missing")))?;
        let entries = parse_entry_bundle(&rel, &data).map_err(|e| bad(e.to_string()))?;
        if entries.len() < usize::from(w) {
            return Err(bad(format!("{rel} holds {} entries, want {w}", entries.len())));
        }
        for (i, (e, h)) in entries.iter().zip(&hashes).enumerate() {
            let got = leaf_hash(e);
            if got != *h {
                return Err(bad(format!(
                    "entry {} (#{i} of {rel}) hashes to {got}, but {} holds {h}",
                    t * TILE_WIDTH + i as u64,
                    tile_path(0, t, w)
                )));
            }
        }
        checked += 2;
        if u64::from(w) == TILE_WIDTH {
            push_expected(&tiles, &mut pending, 1, fold_perfect(&hashes), &mut checked)?;
        }
        progress(t + 1, level0_tiles);
    }
    // Partial tiles above level 0 hold the nodes of the complete parts of the right edge.
    for level in 1..pending.nodes.len() {
        if pending.nodes[level].is_empty() {
            continue;
        }
        let t = pending.done[level];
        let w = tile_width(level as u8, t, size);
        compare(&tiles, level as u8, t, w, &pending.nodes[level])?;
        checked += 1;
    }
    let root = root_from_tiles(&tiles, size).map_err(|e| bad(e.to_string()))?;
    if root != v.checkpoint.root_hash {
        return Err(bad(format!(
            "tiles give root {root} for size {size}, but the checkpoint signs {}",
            v.checkpoint.root_hash
        )));
    }
    let cosigners = v.cosignatures.iter().map(|c| format!("{}+{:08x}", c.name, c.key_id)).collect();
    Ok(AuditReport { checkpoint: v.checkpoint, log_key: v.log_key, cosigners, tiles_checked: checked })
}

fn read_hashes(tiles: &FetchTiles<'_>, level: u8, t: u64, w: u16) -> Result<Vec<Hash>, AuditError> {
    let data = tiles.read_tile(level, t, w).map_err(|e| AuditError::Inconsistent(e.to_string()))?;
    if data.len() != usize::from(w) * 32 {
        return Err(AuditError::Inconsistent(format!(
            "{} is {} bytes, want {}",
            tile_path(level, t, w),
            data.len(),
            usize::from(w) * 32
        )));
    }
    Ok(data.chunks_exact(32).filter_map(Hash::from_slice).collect())
}

fn compare(tiles: &FetchTiles<'_>, level: u8, t: u64, w: u16, want: &[Hash]) -> Result<(), AuditError> {
    let got = read_hashes(tiles, level, t, w)?;
    if got.len() != want.len() {
        return Err(AuditError::Inconsistent(format!(
            "{} has {} hashes, want {}",
            tile_path(level, t, w),
            got.len(),
            want.len()
        )));
    }
    for (i, (g, e)) in got.iter().zip(want).enumerate() {
        if g != e {
            return Err(AuditError::Inconsistent(format!(
                "hash #{i} of {} is {g}, but the tiles below give {e}",
                tile_path(level, t, w)
            )));
        }
    }
    Ok(())
}

/// Nodes computed from the level below, waiting to be compared with their tile.
struct Pending {
    /// `nodes[l]`: level-`l` nodes of the tile not yet complete.
    nodes: Vec<Vec<Hash>>,
    /// `done[l]`: full level-`l` tiles already compared.
    done: Vec<u64>,
}

fn push_expected(
    tiles: &FetchTiles<'_>,
    p: &mut Pending,
    level: usize,
    node: Hash,
    checked: &mut u64,
) -> Result<(), AuditError> {
    if level >= p.nodes.len() {
        return Err(AuditError::Inconsistent("tree is deeper than 2^64 leaves".to_owned()));
    }
    p.nodes[level].push(node);
    if p.nodes[level].len() as u64 == TILE_WIDTH {
        let nodes = std::mem::take(&mut p.nodes[level]);
        compare(tiles, level as u8, p.done[level], TILE_WIDTH as u16, &nodes)?;
        p.done[level] += 1;
        *checked += 1;
        push_expected(tiles, p, level + 1, fold_perfect(&nodes), checked)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::{LockMode, Log};
    use crate::storage::DirFetch;
    use verifier::KeyKind;
    use verifier::write::SignerKey;

    #[test]
    fn tessera_test_log_audits() {
        let dir = ::tests::vector("tessera-testdata-log");
        let vkey = std::fs::read_to_string(dir.join("log.vkey")).unwrap();
        let trust = Trust::Key(verifier::parse_verifier_key(vkey.trim()).unwrap());
        let r = audit(&DirFetch(dir), &trust, &mut |_, _| {}).unwrap();
        assert_eq!(r.checkpoint.size, 15);
    }

    #[test]
    fn audit_finds_the_first_corruption() {
        let key = SignerKey::from_seed("example.com/audit", KeyKind::Ed25519, &[8; 32]).unwrap();
        let d = tempfile::tempdir().unwrap();
        let mut log = Log::init(d.path(), key.clone()).unwrap();
        log.append((0..70_000u64).map(|i| Ok(format!("e{i}").into_bytes())), &mut |_, _| {}).unwrap();
        drop(log);
        let trust = Trust::Key(key.verifier.clone());
        let fetch = DirFetch(d.path().to_owned());
        let r = audit(&fetch, &trust, &mut |_, _| {}).unwrap();
        assert_eq!(r.checkpoint.size, 70_000);
        // Flip a byte in an entry bundle, then in a level-1 tile.
        let bundle = d.path().join("tile/entries/001");
        let orig = std::fs::read(&bundle).unwrap();
        let mut bad = orig.clone();
        bad[5] ^= 1;
        std::fs::write(&bundle, &bad).unwrap();
        let e = audit(&fetch, &trust, &mut |_, _| {}).unwrap_err().to_string();
        assert!(e.contains("entry 256 (#0 of tile/entries/001) hashes to"), "{e}");
        std::fs::write(&bundle, &orig).unwrap();
        let t1 = d.path().join("tile/1/000");
        let mut bad = std::fs::read(&t1).unwrap();
        bad[40] ^= 1;
        std::fs::write(&t1, &bad).unwrap();
        let e = audit(&fetch, &trust, &mut |_, _| {}).unwrap_err().to_string();
        assert!(e.contains("hash #1 of tile/1/000"), "{e}");
        // The writer checks the right edge it appends to, and refuses a corrupt one.
        let edge = d.path().join("tile/0/273.p/112");
        let mut bad = std::fs::read(&edge).unwrap();
        bad[0] ^= 1;
        std::fs::write(&edge, &bad).unwrap();
        let e = Log::open(d.path(), key, LockMode::Fail, &mut || {}).unwrap_err();
        assert!(matches!(e, LogError::Corrupt { .. }), "{e}");
    }
}
