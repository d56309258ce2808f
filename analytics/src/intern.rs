//! Combinations counted elsewhere (a cluster's group-by), interned as their batches arrive.
//!
//! A cluster sends each distinct combination once, as text, with its count, in no particular
//! order; on nearly unique data there are about as many as rows. Holding a `u32` id per column
//! and combination took 4 bytes a column (28 a combination for seven columns) besides the count,
//! and each distinct value was held twice as a `String` (the dictionary's key and the list of
//! values): at 100M combinations that was the cluster client's peak (docs/design/0016). Here a
//! column's ids are bit-packed at the width its distinct values need so far (widened as they
//! grow: the codes' bits in all, under 64 on the synthetic patients, where `u32` ids took 224),
//! and each distinct value is stored once, in a [`Labels`], with a hash table of ids over it.
//!
//! [`Interner::finish`] gives exactly what [`Combinations::from_interned`] gives for the same
//! combinations (sorted values, codes, combinations sorted and merged).

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use crate::counts::{Combinations, Ids, combine, sort_values};
use crate::labels::Labels;

/// Why interned combinations cannot be turned into [`Combinations`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InternError {
    /// A column has more distinct values than codes can number.
    #[error("column {column} has more than 2^32 distinct values")]
    TooManyValues {
        /// The column's index.
        column: usize,
    },
    /// More combinations than codes can number.
    #[error("more than 2^32 combinations ({0})")]
    TooManyCombinations(usize),
    /// A column was given more or fewer values than there are counts.
    #[error("column {column} has {values} values for {counts} counted combinations")]
    Lengths {
        /// The column's index.
        column: usize,
        /// Values pushed to it.
        values: usize,
        /// Counts pushed.
        counts: usize,
    },
}

/// Combinations pushed column by column and batch by batch: each column's values through
/// [`Interner::columns_mut`] (columns can be filled in parallel), the batch's counts through
/// [`Interner::push_counts`].
#[derive(Debug)]
pub struct Interner {
    columns: Vec<Column>,
    /// The counts, a chunk per batch (freed chunk by chunk when they are read into the
    /// sort's pairs, or joined beyond 128 bits).
    count: Vec<Vec<u64>>,
}

impl Interner {
    /// An interner for combinations of `columns` columns.
    pub fn new(columns: usize) -> Self {
        Interner { columns: (0..columns).map(Column::new).collect(), count: Vec::new() }
    }

    /// The columns, to push each combination's value to.
    pub fn columns_mut(&mut self) -> &mut [Column] {
        &mut self.columns
    }

    /// The counts of the next combinations, one per combination, in the order their values
    /// were pushed.
    pub fn push_counts(&mut self, counts: Vec<u64>) {
        if !counts.is_empty() {
            self.count.push(counts);
        }
    }

    /// Combinations counted so far (counts pushed).
    pub fn len(&self) -> usize {
        self.count.iter().map(Vec::len).sum()
    }

    /// True before any count is pushed.
    pub fn is_empty(&self) -> bool {
        self.count.is_empty()
    }

    /// The combinations: values sorted, codes indexing them, combinations sorted by their codes
    /// (first column first) with equal ones merged.
    pub fn finish(self) -> Result<Combinations, InternError> {
        let n = self.len();
        if u32::try_from(n).is_err() {
            return Err(InternError::TooManyCombinations(n));
        }
        if let Some(c) = self.columns.iter().find(|c| c.ids.len != n) {
            return Err(InternError::Lengths { column: c.index, values: c.ids.len, counts: n });
        }
        // Every hash table freed before any column is sorted.
        let columns: Vec<(Labels, PackedIds)> = self.columns.into_iter().map(|c| (c.values, c.ids)).collect();
        let mut values = Vec::with_capacity(columns.len());
        let mut code_of = Vec::with_capacity(columns.len());
        let mut ids = Vec::with_capacity(columns.len());
        for (vals, col) in columns {
            let (sorted, code) = sort_values(vals.len(), vals.text_len(), |id| &vals[id as usize]);
            values.push(sorted);
            code_of.push(code);
            ids.push(col);
        }
        Ok(combine(values, code_of, ids, self.count))
    }
}

/// One column's distinct values (each stored once, in first-seen order) and each combination's
/// id among them.
#[derive(Debug)]
pub struct Column {
    /// The column's index (named in errors).
    index: usize,
    values: Labels,
    /// Ids of `values`, found by their text's hash.
    table: HashTable<u32>,
    ids: PackedIds,
}

impl Column {
    fn new(index: usize) -> Self {
        Column { index, values: Labels::default(), table: HashTable::new(), ids: PackedIds::default() }
    }

    /// The next combination's value in this column.
    pub fn push(&mut self, v: &str) -> Result<(), InternError> {
        let hasher = FxBuildHasher;
        let hash = hasher.hash_one(v);
        let found = self.table.find(hash, |&id| &self.values[id as usize] == v).copied();
        let id = match found {
            Some(id) => id,
            None => {
                let id = u32::try_from(self.values.len())
                    .map_err(|_| InternError::TooManyValues { column: self.index })?;
                self.values.push(v);
                let values = &self.values;
                self.table.insert_unique(hash, id, |&id| hasher.hash_one(&values[id as usize]));
                id
            }
        };
        self.ids.push(id);
        Ok(())
    }
}

/// Words per chunk of [`PackedIds`] (512 KiB): chunks of a fixed size grow without copying,
/// and without the up to half unused that doubling a vector leaves; widening frees the old
/// chunks as it reads them, so a column is held at both widths for about one chunk.
const CHUNK_WORDS: usize = 1 << 16;

/// Ids bit-packed at `width` bits each (the bits of the largest id so far), in chunks of words.
#[derive(Debug, Default)]
struct PackedIds {
    chunks: Vec<Vec<u64>>,
    width: u32,
    len: usize,
}

impl PackedIds {
    /// Appends `id`, first widening every id held if it needs more bits.
    fn push(&mut self, id: u32) {
        let need = u32::BITS - id.leading_zeros();
        if need > self.width {
            self.widen(need);
        }
        self.append(id);
    }

    /// Appends `id`, which fits in `width` bits.
    fn append(&mut self, id: u32) {
        let w = self.width;
        if w > 0 {
            let bit = self.len * w as usize;
            let (word, off) = (bit / 64, (bit % 64) as u32);
            if off == 0 {
                self.new_word(0);
            }
            *self.word_mut(word) |= u64::from(id) << off;
            if off + w > 64 {
                self.new_word(u64::from(id) >> (64 - off));
            }
        }
        self.len += 1;
    }

    fn new_word(&mut self, w: u64) {
        match self.chunks.last_mut() {
            Some(c) if c.len() < CHUNK_WORDS => c.push(w),
            _ => {
                let mut c = Vec::with_capacity(CHUNK_WORDS);
                c.push(w);
                self.chunks.push(c);
            }
        }
    }

    fn word_mut(&mut self, word: usize) -> &mut u64 {
        &mut self.chunks[word / CHUNK_WORDS][word % CHUNK_WORDS]
    }

    #[inline]
    fn word(&self, word: usize) -> u64 {
        self.chunks[word / CHUNK_WORDS][word % CHUNK_WORDS]
    }

    /// Every id rewritten at `width` bits (more than now), each old chunk freed once read.
    fn widen(&mut self, width: u32) {
        let old = std::mem::take(self);
        self.width = width;
        let w = old.width;
        if w == 0 {
            (0..old.len).for_each(|_| self.append(0));
            return;
        }
        // The chunk holding the current word, the one after it (an id may span the two), and
        // the index of the current chunk's first word.
        let mut rest = old.chunks.into_iter();
        let (mut cur, mut next) = (rest.next().unwrap_or_default(), rest.next().unwrap_or_default());
        let mut base = 0usize;
        for i in 0..old.len {
            let bit = i * w as usize;
            let (word, off) = (bit / 64, (bit % 64) as u32);
            while word >= base + CHUNK_WORDS {
                cur = std::mem::replace(&mut next, rest.next().unwrap_or_default());
                base += CHUNK_WORDS;
            }
            let at = word - base;
            let id = extract(cur[at], || if at + 1 < cur.len() { cur[at + 1] } else { next[0] }, off, w);
            self.append(id);
        }
    }
}

/// The `w`-bit id (`w` > 0) starting at bit `off` of the word `lo` and, past its end, in the
/// word `hi()`.
#[inline]
fn extract(lo: u64, hi: impl FnOnce() -> u64, off: u32, w: u32) -> u32 {
    let mut v = lo >> off;
    if off + w > 64 {
        v |= hi() << (64 - off);
    }
    (v & (u64::MAX >> (64 - w))) as u32
}

impl Ids for PackedIds {
    #[inline]
    fn id(&self, i: usize) -> u32 {
        let w = self.width;
        if w == 0 {
            return 0;
        }
        let bit = i * w as usize;
        let (word, off) = (bit / 64, (bit % 64) as u32);
        extract(self.word(word), || self.word(word + 1), off, w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counts::{Codes, bits_for};

    /// Every id, read one by one.
    fn read_back(p: &PackedIds) -> Vec<u32> {
        (0..p.len).map(|i| p.id(i)).collect()
    }

    /// Ids of every width read back as pushed, across words and chunks, through widenings.
    #[test]
    fn packed_ids_read_back_through_widening() {
        let mut rng = ::synth::Rng::new(11);
        let mut p = PackedIds::default();
        let mut expected = Vec::new();
        // Ids of 0 bits first, then growing to 32 bits; enough of them to fill several chunks.
        for i in 0..300_000u64 {
            let limit = 1u64 << (i * 33 / 300_000).min(32);
            let id = rng.below(limit) as u32;
            p.push(id);
            expected.push(id);
        }
        p.push(u32::MAX);
        expected.push(u32::MAX);
        assert_eq!(p.width, 32);
        assert!(p.chunks.len() > 1, "more than one chunk");
        assert_eq!(read_back(&p), expected);
        let mut zeros = PackedIds::default();
        (0..1000).for_each(|_| zeros.push(0));
        assert_eq!((zeros.width, zeros.chunks.len(), read_back(&zeros)), (0, 0, vec![0; 1000]));
    }

    /// At odd widths ids span two words, and two chunks: they read back, and widen, whole.
    #[test]
    fn ids_spanning_words_and_chunks_read_back_and_widen() {
        let mut rng = ::synth::Rng::new(3);
        let mut p = PackedIds::default();
        let mut expected = vec![(1u32 << 27) - 1];
        p.push(expected[0]);
        // 27 bits an id: 200,000 ids are 5.4M bits, past the first chunk's 4M.
        for _ in 0..200_000 {
            let id = rng.below(1 << 27) as u32;
            p.push(id);
            expected.push(id);
        }
        assert_eq!((p.width, p.chunks.len()), (27, 2));
        let spans_chunks = (0..p.len).any(|i| {
            let (first, last) = (i * 27 / 64, (i * 27 + 26) / 64);
            first / CHUNK_WORDS != last / CHUNK_WORDS
        });
        assert!(spans_chunks, "an id spans the two chunks");
        assert_eq!(read_back(&p), expected);
        p.push(1 << 27);
        expected.push(1 << 27);
        assert_eq!((p.width, p.chunks.len()), (28, 2));
        assert_eq!(read_back(&p), expected);
    }

    /// The interner gives what `from_interned` gives, for packed (<= 64 bits), wide (<= 128)
    /// and compared (> 128 bits) codes, in batches, with repeated combinations to merge.
    #[test]
    fn interned_batches_give_what_from_interned_gives() {
        let mut rng = ::synth::Rng::new(5);
        // Cardinalities (small, one value, empty strings, near-unique), rows, and the bits of
        // codes that gives (one path each: packed, u128 keys, compared).
        for (cards, n, bits) in [
            (vec![5u64, 1, 300, 2, 40_000], 50_000usize, 28u32),
            (vec![1u64 << 20; 6], 20_000, 90),
            (vec![1u64 << 30; 11], 5_000, 143),
            (vec![3u64], 0, 0),
        ] {
            let value = |j: usize, v: u64| if v == 0 { String::new() } else { format!("{j}é{v}") };
            let mut rows: Vec<Vec<String>> = (0..n)
                .map(|_| cards.iter().enumerate().map(|(j, &c)| value(j, rng.below(c))).collect())
                .collect();
            // A tenth of the combinations again (a group-by never repeats one, but merging
            // must still be right).
            rows.extend(rows[..n / 10].to_vec());
            let n = rows.len();
            let count: Vec<u64> = (0..n).map(|_| 1 + rng.below(4)).collect();
            // Reference: ids by first sight, through from_interned.
            let mut values: Vec<Vec<String>> = vec![Vec::new(); cards.len()];
            let mut index: Vec<std::collections::HashMap<String, u32>> =
                vec![Default::default(); cards.len()];
            let mut ids: Vec<Vec<u32>> = vec![Vec::new(); cards.len()];
            for r in &rows {
                for (j, v) in r.iter().enumerate() {
                    let next = values[j].len() as u32;
                    let id = *index[j].entry(v.clone()).or_insert_with(|| {
                        values[j].push(v.clone());
                        next
                    });
                    ids[j].push(id);
                }
            }
            let expected = Combinations::from_interned(values, ids, count.clone()).expect("reference");
            // The interner, in batches of uneven sizes.
            let mut interner = Interner::new(cards.len());
            let mut at = 0;
            while at < n {
                let end = (at + 1 + rng.below(3000) as usize).min(n);
                for (j, col) in interner.columns_mut().iter_mut().enumerate() {
                    for r in &rows[at..end] {
                        col.push(&r[j]).expect("push");
                    }
                }
                interner.push_counts(count[at..end].to_vec());
                at = end;
            }
            assert_eq!(interner.len(), n);
            let got = interner.finish().expect("finish");
            assert_eq!(got, expected, "cardinalities {cards:?}");
            assert_eq!(got.values.iter().map(|v| bits_for(v.len())).sum::<u32>(), bits, "{cards:?}");
            assert_eq!(matches!(got.codes, Codes::Packed { .. }), bits <= 64);
            assert_eq!(got.count.iter().sum::<u64>(), count.iter().sum::<u64>());
            assert_eq!(got.count.len() < n, n >= 10, "repeats merged");
        }
    }

    /// A column given more or fewer values than counts is an error, not a wrong result.
    #[test]
    fn a_column_of_another_length_is_refused() {
        let mut interner = Interner::new(2);
        interner.columns_mut()[0].push("a").expect("push");
        interner.columns_mut()[0].push("b").expect("push");
        interner.columns_mut()[1].push("x").expect("push");
        interner.push_counts(vec![1, 1]);
        assert_eq!(
            interner.finish().map(|_| ()),
            Err(InternError::Lengths { column: 1, values: 1, counts: 2 })
        );
    }
}
