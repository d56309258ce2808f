//! C2SP tlog-tiles: tile paths, entry bundles, and RFC 9162 proofs built from tiles.
//!
//! SPEC: <https://c2sp.org/tlog-tiles>. A hash tile at level `L` holds up to 256 hashes of
//! tree nodes at tree level `8·L`; `tile/<L>/<N>` is full, `tile/<L>/<N>.p/<W>` holds the first
//! `W` (1..=255). Proofs are built here, from any [`TileSource`], because the browser must
//! build them from a static log's tiles as much as the log writer does; the tiles are
//! untrusted, so every proof built from them is then checked against signed roots.

use crate::hash::{Hash, node_hash};

/// Tile height: each tile spans 8 tree levels.
pub const TILE_HEIGHT: u32 = 8;
/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Highest tile level: level-7 tiles hold nodes at tree level 56, enough for 2^64 leaves.
pub const MAX_TILE_LEVEL: u8 = 7;
/// Largest entry an entry bundle can hold (uint16 length prefix).
pub const MAX_ENTRY_SIZE: usize = u16::MAX as usize;

/// Why tiles could not give a hash or proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TileError {
    /// The tile could not be read (missing, unreadable, network error).
    #[error("couldn't read {path}: {reason}")]
    Unavailable {
        /// The tile's path.
        path: String,
        /// Why.
        reason: String,
    },
    /// The tile was read but has the wrong length for its width.
    #[error("{path} is {got} bytes, want {want}")]
    WrongSize {
        /// The tile's path.
        path: String,
        /// Bytes read.
        got: usize,
        /// Bytes a tile of this width has.
        want: usize,
    },
    /// The request itself is impossible for the tree size (index or range out of bounds).
    #[error("{0}")]
    OutOfRange(String),
    /// An entry bundle is malformed.
    #[error("malformed entry bundle {path}: {reason}")]
    BadBundle {
        /// The bundle's path.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// Formats the `<N>` part of a tile path: zero-padded 3-digit groups, all but the last
/// prefixed with `x` (1234067 → `x001/x234/067`).
fn format_index(mut index: u64) -> String {
    let mut groups = vec![format!("{:03}", index % 1000)];
    index /= 1000;
    while index > 0 {
        groups.push(format!("x{:03}", index % 1000));
        index /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

/// Returns the path of hash tile `index` at `level` with `width` hashes (256 means full).
///
/// SPEC: <https://c2sp.org/tlog-tiles#merkle-tree>
pub fn tile_path(level: u8, index: u64, width: u16) -> String {
    let mut p = format!("tile/{level}/{}", format_index(index));
    if u64::from(width) < TILE_WIDTH {
        p.push_str(&format!(".p/{width}"));
    }
    p
}

/// Returns the path of entry bundle `index` with `width` entries (256 means full).
pub fn entries_path(index: u64, width: u16) -> String {
    let mut p = format!("tile/entries/{}", format_index(index));
    if u64::from(width) < TILE_WIDTH {
        p.push_str(&format!(".p/{width}"));
    }
    p
}

/// A parsed tile path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TilePath {
    /// Hash tile level, or `None` for an entry bundle.
    pub level: Option<u8>,
    /// Tile index.
    pub index: u64,
    /// Width, 1..=256.
    pub width: u16,
}

/// Parses a hash tile or entry bundle path; `None` unless it is exactly as [`tile_path`] or
/// [`entries_path`] would write it.
pub fn parse_tile_path(path: &str) -> Option<TilePath> {
    let rest = path.strip_prefix("tile/")?;
    let (level, rest) = rest.split_once('/')?;
    let level = if level == "entries" {
        None
    } else {
        let l = crate::checkpoint::parse_decimal(level)?;
        if l > u64::from(MAX_TILE_LEVEL) {
            return None;
        }
        Some(l as u8)
    };
    let (index_part, width) = match rest.split_once(".p/") {
        Some((i, w)) => {
            let w = crate::checkpoint::parse_decimal(w)?;
            if w == 0 || w >= TILE_WIDTH {
                return None;
            }
            (i, w as u16)
        }
        None => (rest, TILE_WIDTH as u16),
    };
    let groups: Vec<&str> = index_part.split('/').collect();
    let mut index: u64 = 0;
    for (i, g) in groups.iter().enumerate() {
        let digits = if i + 1 < groups.len() { g.strip_prefix('x')? } else { g };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        index = index.checked_mul(1000)?.checked_add(digits.parse::<u64>().ok()?)?;
    }
    // Canonical: no leading all-zero groups.
    let parsed = TilePath { level, index, width };
    let canonical = match level {
        Some(l) => tile_path(l, index, width),
        None => entries_path(index, width),
    };
    (canonical == path).then_some(parsed)
}

/// Where tiles come from: files, HTTP, or a map in tests.
///
/// Implementations MUST return the bytes of the hash tile at `level`/`index` holding exactly
/// `width` hashes: the partial tile `.p/<width>` when `width < 256`, or, when that is gone,
/// the first `width` hashes of a wider tile at the same position. Contents are untrusted.
pub trait TileSource {
    /// Reads a hash tile.
    ///
    /// # Errors
    /// [`TileError::Unavailable`] when the tile cannot be read.
    fn read_tile(&self, level: u8, index: u64, width: u16) -> Result<Vec<u8>, TileError>;

    /// A complete node's hash computed earlier, if this source caches them (building many
    /// proofs against one tree then costs each node once). Default: no cache.
    fn cached_node(&self, _level: u32, _index: u64) -> Option<Hash> {
        None
    }

    /// Offers a computed complete node's hash to the cache. Default: ignored.
    fn cache_node(&self, _level: u32, _index: u64, _hash: Hash) {}
}

/// Width of tile `tile` at `level` in a tree of `size` leaves (0 if it does not exist yet).
/// The tile first, then the tree, as in [`tile_path`] and the prove functions.
pub fn tile_width(level: u8, tile: u64, size: u64) -> u16 {
    let nodes = size >> (TILE_HEIGHT * u32::from(level));
    let start = tile.saturating_mul(TILE_WIDTH);
    if nodes <= start { 0 } else { (nodes - start).min(TILE_WIDTH) as u16 }
}

/// Reads hashes `[from, from + count)` of the stored level-`8·level` nodes of a tree of `size`.
fn stored_hashes(
    src: &dyn TileSource,
    size: u64,
    level: u8,
    from: u64,
    count: u64,
) -> Result<Vec<Hash>, TileError> {
    let tile = from / TILE_WIDTH;
    let offset = (from % TILE_WIDTH) as usize;
    let width = tile_width(level, tile, size);
    if offset as u64 + count > u64::from(width) {
        return Err(TileError::OutOfRange(format!(
            "nodes {from}..{} at tile level {level} are not in a tree of size {size}",
            from + count
        )));
    }
    let data = src.read_tile(level, tile, width)?;
    let want = usize::from(width) * 32;
    if data.len() != want {
        return Err(TileError::WrongSize { path: tile_path(level, tile, width), got: data.len(), want });
    }
    Ok(data[offset * 32..(offset + count as usize) * 32]
        .chunks_exact(32)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            Hash(h)
        })
        .collect())
}

/// Returns the hash of the complete node at tree level `level` and `index` (covering leaves
/// `[index·2^level, (index+1)·2^level)`) in a tree of `size`, read from tiles.
///
/// # Errors
/// [`TileError::OutOfRange`] if the node is not complete in the tree, or a read error.
fn node_from_tiles(src: &dyn TileSource, size: u64, level: u32, index: u64) -> Result<Hash, TileError> {
    if level >= 64 {
        return Err(TileError::OutOfRange(format!("tree level {level} is too high")));
    }
    if let Some(h) = src.cached_node(level, index) {
        return Ok(h);
    }
    let tile_level = (level / TILE_HEIGHT) as u8;
    let sub = level % TILE_HEIGHT;
    let first = index
        .checked_mul(1 << sub)
        .ok_or_else(|| TileError::OutOfRange(format!("node {index} at level {level} is beyond any tree")))?;
    let mut hashes = stored_hashes(src, size, tile_level, first, 1 << sub)?;
    while hashes.len() > 1 {
        hashes = hashes.chunks_exact(2).map(|p| node_hash(&p[0], &p[1])).collect();
    }
    src.cache_node(level, index, hashes[0]);
    Ok(hashes[0])
}

/// Returns the RFC 9162 hash `MTH(D[start:end])` of a subtree of the tree of `size`, read
/// from tiles. `[start, end)` must be a subtree (see [`crate::is_valid_subtree`]).
///
/// # Errors
/// [`TileError::OutOfRange`] if the range is not a subtree inside the tree, or a read error.
fn subtree_hash_from_tiles(src: &dyn TileSource, size: u64, start: u64, end: u64) -> Result<Hash, TileError> {
    if !crate::merkle::is_valid_subtree(start, end) || end > size {
        return Err(TileError::OutOfRange(format!(
            "[{start}, {end}) is not a subtree of a tree of size {size}"
        )));
    }
    // Split into maximal aligned power-of-two blocks, left to right; fold from the right.
    let mut nodes = Vec::new();
    let mut s = start;
    while s < end {
        let mut level = s.trailing_zeros().min(63);
        while level > 0 && s.checked_add(1 << level).is_none_or(|e| e > end) {
            level -= 1;
        }
        nodes.push(node_from_tiles(src, size, level, s >> level)?);
        s += 1 << level;
    }
    let mut h = nodes.pop().ok_or_else(|| TileError::OutOfRange("empty range".to_owned()))?;
    while let Some(left) = nodes.pop() {
        h = node_hash(&left, &h);
    }
    Ok(h)
}

/// Returns the RFC 9162 root of the tree of `size` from its tiles (`SHA-256("")` for size 0).
///
/// # Errors
/// A read error, or [`TileError::WrongSize`] for a tile of the wrong length.
pub fn root_from_tiles(src: &dyn TileSource, size: u64) -> Result<Hash, TileError> {
    if size == 0 {
        return Ok(Hash::EMPTY_TREE);
    }
    subtree_hash_from_tiles(src, size, 0, size)
}

/// The largest power of two smaller than `n` (RFC 9162's `k`). Requires `n > 1`.
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// Builds the RFC 9162 §2.1.3.1 inclusion proof for leaf `index` in the tree of `size`
/// (`PROOF(index, D[size])`: the leaf first, then the tree, as in [`crate::verify_inclusion`]).
///
/// # Errors
/// [`TileError::OutOfRange`] unless `index < size`, or a read error.
pub fn prove_inclusion(src: &dyn TileSource, index: u64, size: u64) -> Result<Vec<Hash>, TileError> {
    if index >= size {
        return Err(TileError::OutOfRange(format!("index {index} is beyond tree size {size}")));
    }
    let mut proof = Vec::new();
    let (mut lo, mut hi) = (0u64, size);
    while hi - lo > 1 {
        let k = split(hi - lo);
        if index < lo + k {
            proof.push(subtree_hash_from_tiles(src, size, lo + k, hi)?);
            hi = lo + k;
        } else {
            proof.push(subtree_hash_from_tiles(src, size, lo, lo + k)?);
            lo += k;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// Builds the RFC 9162 §2.1.4.1 consistency proof from `size1` to `size2` (old size first,
/// as in [`crate::verify_consistency`]).
///
/// # Errors
/// [`TileError::OutOfRange`] unless `0 < size1 <= size2`, or a read error.
pub fn prove_consistency(src: &dyn TileSource, size1: u64, size2: u64) -> Result<Vec<Hash>, TileError> {
    if size1 == 0 || size1 > size2 {
        return Err(TileError::OutOfRange(format!(
            "no consistency proof from size {size1} to {size2} (need 0 < old <= new)"
        )));
    }
    // SUBPROOF(m, D[lo:hi], b), unrolled from the top.
    let mut proof = Vec::new();
    let (mut m, mut lo, mut hi, mut b) = (size1, 0u64, size2, true);
    loop {
        let n = hi - lo;
        if m == n {
            if !b {
                proof.push(subtree_hash_from_tiles(src, size2, lo, hi)?);
            }
            break;
        }
        let k = split(n);
        if m <= k {
            proof.push(subtree_hash_from_tiles(src, size2, lo + k, hi)?);
            hi = lo + k;
        } else {
            proof.push(subtree_hash_from_tiles(src, size2, lo, lo + k)?);
            m -= k;
            lo += k;
            b = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// A [`TileSource`] that serves zero hashes and records every tile asked for: run a proof
/// builder with it to learn which tiles to fetch (proof shapes do not depend on contents).
#[derive(Debug, Default)]
pub struct TileRecorder {
    wanted: core::cell::RefCell<Vec<(u8, u64, u16)>>,
}

impl TileRecorder {
    /// The tiles asked for, as `(level, index, width)`, deduplicated and sorted.
    pub fn wanted(&self) -> Vec<(u8, u64, u16)> {
        let mut w = self.wanted.borrow().clone();
        w.sort_unstable();
        w.dedup();
        w
    }
}

impl TileSource for TileRecorder {
    fn read_tile(&self, level: u8, index: u64, width: u16) -> Result<Vec<u8>, TileError> {
        self.wanted.borrow_mut().push((level, index, width));
        Ok(vec![0; usize::from(width) * 32])
    }
}

/// Splits a C2SP entry bundle into its entries (each a big-endian uint16 length, then bytes).
///
/// # Errors
/// [`TileError::BadBundle`] if a length runs past the end.
pub fn parse_entry_bundle<'a>(path: &str, bundle: &'a [u8]) -> Result<Vec<&'a [u8]>, TileError> {
    let mut out = Vec::new();
    let mut rest = bundle;
    while !rest.is_empty() {
        if rest.len() < 2 {
            return Err(TileError::BadBundle {
                path: path.to_owned(),
                reason: "truncated length".to_owned(),
            });
        }
        let n = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        if rest.len() < 2 + n {
            return Err(TileError::BadBundle {
                path: path.to_owned(),
                reason: format!("entry {} claims {n} bytes, {} left", out.len(), rest.len() - 2),
            });
        }
        out.push(&rest[2..2 + n]);
        rest = &rest[2 + n..];
    }
    Ok(out)
}

#[cfg(feature = "write")]
/// Appends one entry to an entry bundle.
///
/// # Errors
/// [`TileError::OutOfRange`] if the entry is longer than 65,535 bytes.
pub fn push_bundle_entry(bundle: &mut Vec<u8>, entry: &[u8]) -> Result<(), TileError> {
    let n = u16::try_from(entry.len()).map_err(|_| {
        TileError::OutOfRange(format!(
            "entry is {} bytes; tlog-tiles entries are at most 65,535",
            entry.len()
        ))
    })?;
    bundle.extend_from_slice(&n.to_be_bytes());
    bundle.extend_from_slice(entry);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::hash::leaf_hash;
    use crate::merkle::{tree_root, verify_consistency, verify_inclusion};

    /// Tiles of a whole tree in memory, built the slow way.
    struct MapSource(HashMap<(u8, u64), Vec<Hash>>);

    impl MapSource {
        fn new(leaves: &[Hash]) -> Self {
            let mut m = HashMap::new();
            let mut level_nodes = leaves.to_vec();
            for level in 0..=MAX_TILE_LEVEL {
                if level_nodes.is_empty() {
                    break;
                }
                for (i, chunk) in level_nodes.chunks(256).enumerate() {
                    m.insert((level, i as u64), chunk.to_vec());
                }
                // Next tile level: complete 256-node groups folded.
                level_nodes = level_nodes.chunks_exact(256).map(tree_root).collect();
            }
            MapSource(m)
        }
    }

    impl TileSource for MapSource {
        fn read_tile(&self, level: u8, index: u64, width: u16) -> Result<Vec<u8>, TileError> {
            let t = self.0.get(&(level, index)).ok_or_else(|| TileError::Unavailable {
                path: tile_path(level, index, width),
                reason: "absent".into(),
            })?;
            Ok(t[..usize::from(width)].iter().flat_map(|h| h.0).collect())
        }
    }

    #[test]
    fn paths() {
        assert_eq!(tile_path(0, 1234067, 256), "tile/0/x001/x234/067");
        assert_eq!(tile_path(1, 0, 17), "tile/1/000.p/17");
        assert_eq!(entries_path(1000, 3), "tile/entries/x001/000.p/3");
        for p in ["tile/0/x001/x234/067", "tile/1/000.p/17", "tile/entries/x001/000.p/3", "tile/7/255"] {
            let t = parse_tile_path(p);
            assert!(t.is_some(), "{p}");
        }
        for p in [
            "tile/0/001/234",
            "tile/0/x000/001",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/8/000",
            "tile/0/1",
        ] {
            assert_eq!(parse_tile_path(p), None, "{p}");
        }
        // C2SP example: a tree of 70,000 leaves.
        assert_eq!(tile_width(0, 273, 70_000), 112);
        assert_eq!(tile_width(1, 1, 70_000), 17);
        assert_eq!(tile_width(2, 0, 70_000), 1);
    }

    #[test]
    fn proofs_from_tiles_across_tile_boundaries() {
        for n in [1u64, 2, 255, 256, 257, 511, 513, 65_535, 65_536, 65_537] {
            let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
            let src = MapSource::new(&leaves);
            let root = root_from_tiles(&src, n).unwrap();
            assert_eq!(root, tree_root(&leaves), "root of {n}");
            for i in [0, n / 3, n - 1] {
                let p = prove_inclusion(&src, i, n).unwrap();
                verify_inclusion(i, n, &leaves[i as usize], &p, &root).unwrap();
            }
            for m in [1, n / 2 + 1, n - 1, n].into_iter().filter(|&m| m >= 1) {
                let p = prove_consistency(&src, m, n).unwrap();
                let r1 = tree_root(&leaves[..m as usize]);
                verify_consistency(m, n, &p, &r1, &root).unwrap();
            }
            // The leaf comes first, then the tree (as in verify_inclusion): swapped, it is refused.
            assert!(matches!(prove_inclusion(&src, n, 1), Err(TileError::OutOfRange(_))), "{n}");
        }
    }

    #[test]
    fn recorder_lists_tiles() {
        let r = TileRecorder::default();
        prove_consistency(&r, 70_000, 70_001).unwrap();
        let w = r.wanted();
        assert!(w.iter().all(|&(l, i, width)| tile_width(l, i, 70_001) == width));
        assert!(!w.is_empty());
    }

    #[test]
    fn bundles() {
        let mut b = Vec::new();
        push_bundle_entry(&mut b, b"one").unwrap();
        push_bundle_entry(&mut b, b"").unwrap();
        assert_eq!(parse_entry_bundle("x", &b).unwrap(), vec![&b"one"[..], &b""[..]]);
        assert!(parse_entry_bundle("x", &b[..4]).is_err());
        assert!(push_bundle_entry(&mut b, &vec![0; 65_536]).is_err());
    }
}
