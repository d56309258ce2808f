//! Counting distinct combinations of columns in memory that depends on the number of distinct
//! values and combinations, never on the number of rows or the width of the strings.
//!
//! Two streaming passes over the input (polars batches):
//! 1. each column's distinct values (one hash set per column, filled in parallel);
//! 2. each row's values become integer codes (a value's index among its column's sorted
//!    values), packed into one `u64` (or `u128`) key, first column in the highest bits, so
//!    the keys' numeric order is the codes' lexicographic order. Keys are buffered, sorted and
//!    run-length counted, and merged into one sorted array of (key, rows).
//!
//! The result is exactly what a group-by of the text columns followed by sorting the codes
//! gives (docs/design/0015): the same combinations in the same order, so every sum the search
//! makes, and every figure of the release, is unchanged.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use polars::prelude::*;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::Error;
use crate::data::Input;
use crate::labels::Labels;

/// Distinct combinations of some columns, with their counts, in code form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Combinations {
    /// Per column, its distinct values, sorted; a value's code is its index.
    pub values: Vec<Labels>,
    /// Per column, the code of each combination. Combinations are sorted by their codes,
    /// first column first.
    pub codes: Codes,
    /// Rows of each combination.
    pub count: Vec<u64>,
}

/// The codes of several columns for each combination: packed into one word per combination
/// when they fit in 64 bits (8 bytes a combination, where a vector per column takes 4 bytes a
/// column), else a vector per column. Equality compares the codes, not the layout.
#[derive(Debug, Clone)]
pub enum Codes {
    /// `bits[j]` bits per column, the first column in the highest bits (so the words' order
    /// is the codes' lexicographic order). A column with one value takes no bits.
    Packed {
        /// One word per combination.
        words: Vec<u64>,
        /// Bits per column.
        bits: Vec<u32>,
    },
    /// Per column, the code of each combination.
    Columns(Vec<Vec<u32>>),
}

impl Default for Codes {
    fn default() -> Self {
        Codes::Columns(Vec::new())
    }
}

impl From<Vec<Vec<u32>>> for Codes {
    fn from(columns: Vec<Vec<u32>>) -> Self {
        Codes::Columns(columns)
    }
}

impl PartialEq for Codes {
    fn eq(&self, other: &Self) -> bool {
        self.width() == other.width()
            && self.len() == other.len()
            && (0..self.width()).all(|j| {
                let (a, b) = (self.column(j), other.column(j));
                (0..self.len()).all(|i| a.at(i) == b.at(i))
            })
    }
}

impl Eq for Codes {}

/// Per column, the (shift, mask) of its field in a packed word.
pub type Fields = Vec<(u32, u64)>;

/// One column of [`Codes`].
#[derive(Debug, Clone, Copy)]
pub enum Column<'a> {
    /// A vector of codes.
    Codes(&'a [u32]),
    /// A field of packed words: `(word >> shift) & mask`.
    Packed {
        /// The words of every combination.
        words: &'a [u64],
        /// Where the column's field starts.
        shift: u32,
        /// The field's bits (0 for a column with one value).
        mask: u64,
    },
}

impl Column<'_> {
    /// The code of combination `i`.
    #[inline]
    pub fn at(&self, i: usize) -> u32 {
        match self {
            Column::Codes(c) => c[i],
            Column::Packed { words, shift, mask } => ((words[i] >> shift) & mask) as u32,
        }
    }
}

impl Codes {
    /// Codes given column by column, packed when they fit in 64 bits (each column taking the
    /// bits of its largest code), else kept as they are.
    pub fn pack(columns: Vec<Vec<u32>>) -> Codes {
        let bits: Vec<u32> =
            columns.iter().map(|c| bits_for(c.iter().max().map_or(0, |&m| m as usize + 1))).collect();
        let n = columns.first().map_or(0, Vec::len);
        if bits.iter().sum::<u32>() > 64 || columns.iter().any(|c| c.len() != n) {
            return Codes::Columns(columns);
        }
        let words = (0..n)
            .into_par_iter()
            .map(|i| columns.iter().zip(&bits).fold(0u64, |w, (c, &b)| w.push(c[i], b)))
            .collect();
        Codes::Packed { words, bits }
    }

    /// Number of columns.
    pub fn width(&self) -> usize {
        match self {
            Codes::Packed { bits, .. } => bits.len(),
            Codes::Columns(c) => c.len(),
        }
    }

    /// Number of combinations (0 without columns).
    pub fn len(&self) -> usize {
        match self {
            Codes::Packed { words, bits } => {
                if bits.is_empty() {
                    0
                } else {
                    words.len()
                }
            }
            Codes::Columns(c) => c.first().map_or(0, Vec::len),
        }
    }

    /// True when there is no combination.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The shift and mask of column `j`'s field in a packed word (the columns after it are in
    /// the lower bits; a column of 0 bits has mask 0).
    fn field(bits: &[u32], j: usize) -> (u32, u64) {
        debug_assert!(bits.iter().sum::<u32>() <= 64, "packed codes of more than 64 bits");
        let shift: u32 = bits[j + 1..].iter().sum();
        match bits[j] {
            0 => (0, 0),
            b => (shift, u64::MAX >> (64 - b)),
        }
    }

    /// Per column, the shift and mask of its field in a packed word.
    fn fields(bits: &[u32]) -> Fields {
        (0..bits.len()).map(|j| Self::field(bits, j)).collect()
    }

    /// Column `j` (take it out of loops: each call sums the widths of the columns after `j`).
    pub fn column(&self, j: usize) -> Column<'_> {
        match self {
            Codes::Packed { words, bits } => {
                let (shift, mask) = Self::field(bits, j);
                Column::Packed { words, shift, mask }
            }
            Codes::Columns(c) => Column::Codes(&c[j]),
        }
    }

    /// The code of combination `i` in column `j` (in a loop over many `i`, read [`Codes::column`]
    /// once instead).
    #[inline]
    pub fn get(&self, j: usize, i: usize) -> u32 {
        match self {
            Codes::Packed { words, bits } => {
                let (shift, mask) = Self::field(bits, j);
                ((words[i] >> shift) & mask) as u32
            }
            Codes::Columns(c) => c[j][i],
        }
    }

    /// Combinations `a` and `b` compared by their codes, first column first.
    pub fn compare(&self, a: usize, b: usize) -> std::cmp::Ordering {
        match self {
            Codes::Packed { words, .. } => words[a].cmp(&words[b]),
            Codes::Columns(c) => c
                .iter()
                .map(|col| col[a].cmp(&col[b]))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal),
        }
    }

    /// The packed words with each column's (shift, mask), when packed.
    pub fn packed(&self) -> Option<(&[u64], Fields)> {
        match self {
            Codes::Packed { words, bits } => Some((words, Self::fields(bits))),
            Codes::Columns(_) => None,
        }
    }

    /// A vector per column (a copy, when packed).
    pub fn to_columns(&self) -> Vec<Vec<u32>> {
        match self {
            Codes::Columns(c) => c.clone(),
            Codes::Packed { .. } => (0..self.width())
                .map(|j| {
                    let col = self.column(j);
                    (0..self.len()).into_par_iter().map(|i| col.at(i)).collect()
                })
                .collect(),
        }
    }

    /// Removes the columns from `at` on and returns them as vectors; packed words keep the
    /// first `at` columns' fields (shifted down, in place).
    pub fn split_off(&mut self, at: usize) -> Vec<Vec<u32>> {
        match self {
            Codes::Columns(c) => c.split_off(at.min(c.len())),
            Codes::Packed { words, bits } => {
                let at = at.min(bits.len());
                let fields = Self::fields(bits);
                let tail: Vec<Vec<u32>> = fields[at..]
                    .iter()
                    .map(|&(shift, mask)| words.par_iter().map(|&w| ((w >> shift) & mask) as u32).collect())
                    .collect();
                let drop: u32 = bits[at..].iter().sum();
                if drop > 0 {
                    // At most 64 bits in all; a shift by 64 would overflow.
                    words.par_iter_mut().for_each(|w| *w = w.checked_shr(drop).unwrap_or(0));
                }
                bits.truncate(at);
                tail
            }
        }
    }
}

impl Combinations {
    /// Combinations counted elsewhere (a cluster's group-by), normalised to what counting here
    /// gives: `values[j]` holds column j's distinct values in any order and `ids[j][i]` is
    /// combination i's index into it; the result has sorted values, codes that index them,
    /// combinations sorted by their codes (first column first) and equal ones merged.
    /// ([`crate::intern::Interner`] builds the same from batches as they arrive, in less memory.)
    pub fn from_interned(
        values: Vec<Vec<String>>,
        ids: Vec<Vec<u32>>,
        count: Vec<u64>,
    ) -> Result<Combinations, Error> {
        let internal = |m: String| Error::Polars(format!("internal: interned combinations: {m}"));
        if values.len() != ids.len() || ids.iter().any(|col| col.len() != count.len()) {
            return Err(internal("columns of different lengths".into()));
        }
        if u32::try_from(count.len()).is_err() || values.iter().any(|v| u32::try_from(v.len()).is_err()) {
            return Err(internal("more than 2^32 combinations or values".into()));
        }
        if ids.iter().zip(&values).any(|(col, vals)| col.iter().any(|&id| id as usize >= vals.len())) {
            return Err(internal("an id names no value".into()));
        }
        let (sorted_values, code_of): (Vec<Labels>, Vec<Vec<u32>>) = values
            .into_iter()
            .map(|vals| {
                let text = vals.iter().map(String::len).sum();
                sort_values(vals.len(), text, |id| vals[id as usize].as_str())
            })
            .unzip();
        Ok(combine(sorted_values, code_of, ids, vec![count]))
    }
}

/// Per column of interned combinations: its `n` distinct values (`value(id)` for ids
/// `0..n`, in any order; `text` bytes in all) sorted, and each id's code (its value's index
/// among them; equal values under two ids, never from a group-by, share one code).
pub(crate) fn sort_values<'a>(
    n: usize,
    text: usize,
    value: impl Fn(u32) -> &'a str + Sync,
) -> (Labels, Vec<u32>) {
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.par_sort_unstable_by(|&a, &b| value(a).cmp(value(b)));
    let mut code = vec![0u32; n];
    // Kept for the whole run: no room left over from growing.
    let mut taken = Labels::with_capacities(n, text);
    for &id in &order {
        let v = value(id);
        if taken.last() != Some(v) {
            taken.push(v);
        }
        // At most as many values as ids, which fit in u32 (the callers check).
        code[id as usize] = (taken.len() - 1) as u32;
    }
    (taken, code)
}

/// One column's id for each interned combination.
pub(crate) trait Ids: Sync {
    /// Combination `i`'s id.
    fn id(&self, i: usize) -> u32;
}

impl Ids for Vec<u32> {
    #[inline]
    fn id(&self, i: usize) -> u32 {
        self[i]
    }
}

/// Interned combinations (`ids[j]`, turned into codes by `code_of[j]`; the counts in chunks of
/// consecutive combinations) sorted by their codes and merged, packed when they fit in 64
/// bits: the end of [`Combinations::from_interned`] and of [`crate::intern::Interner::finish`].
pub(crate) fn combine<I: Ids>(
    values: Vec<Labels>,
    code_of: Vec<Vec<u32>>,
    ids: Vec<I>,
    count: Vec<Vec<u64>>,
) -> Combinations {
    let bits: Vec<u32> = values.iter().map(|v| bits_for(v.len())).collect();
    let (codes, count) = match bits.iter().sum::<u32>() {
        0..=64 => {
            let (words, count) = merge_packed::<u64, I>(ids, code_of, &bits, count);
            (Codes::Packed { words, bits }, count)
        }
        65..=128 => {
            let (keys, count) = merge_packed::<u128, I>(ids, code_of, &bits, count);
            (Codes::Columns(unpack(&keys, |&k| k, &bits)), count)
        }
        _ => {
            let (codes, count) = merge_by_codes(ids, code_of, count);
            (Codes::Columns(codes), count)
        }
    };
    Combinations { values, codes, count }
}

/// Combinations given by ids (`ids[j][i]`, turned into codes by `code_of[j]`) sorted by their
/// codes, first column first, equal ones merged with their counts summed: as packed keys (`bits`
/// per column, at most what `K` holds), so the sort reads one array, not one per column. Returns
/// the sorted distinct keys and their counts.
///
/// Memory: the (key, count) pairs (16 or 32 bytes a combination) are built a chunk of counts at
/// a time, each chunk freed once read, beside the ids; the peak is at the end, when the keys
/// and the counts are copied out of the pairs (32 or 48 bytes a combination).
fn merge_packed<K: Key, I: Ids>(
    ids: Vec<I>,
    code_of: Vec<Vec<u32>>,
    bits: &[u32],
    count: Vec<Vec<u64>>,
) -> (Vec<K>, Vec<u64>) {
    let n: usize = count.iter().map(Vec::len).sum();
    let mut pairs: Vec<(K, u64)> = Vec::with_capacity(n);
    let key = |i: usize| {
        ids.iter()
            .zip(&code_of)
            .zip(bits)
            .fold(K::default(), |k, ((col, code), &b)| k.push(code[col.id(i) as usize], b))
    };
    let mut start = 0usize;
    for chunk in count {
        pairs.par_extend(chunk.par_iter().enumerate().map(|(r, &c)| (key(start + r), c)));
        start += chunk.len();
    }
    drop(ids);
    drop(code_of);
    pairs.par_sort_unstable_by_key(|p| p.0);
    pairs.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            kept.1 += later.1;
        }
        same
    });
    // New vectors: collecting `pairs.into_iter()` would reuse its buffer (16 or 32 bytes a
    // combination) for as long as the search keeps the keys or counts.
    let keys = pairs.par_iter().map(|p| p.0).collect();
    let count = pairs.par_iter().map(|p| p.1).collect();
    (keys, count)
}

/// Each column's codes from the packed keys of `items` (`bits` per column, first column in the
/// highest bits).
fn unpack<T: Sync, K: Key>(items: &[T], key: impl Fn(&T) -> K + Sync, bits: &[u32]) -> Vec<Vec<u32>> {
    let mut shift: u32 = bits.iter().sum();
    bits.iter()
        .map(|&b| {
            shift -= b;
            items.par_iter().map(|t| key(t).field(shift, b)).collect()
        })
        .collect()
}

/// [`merge_packed`] for codes wider than 128 bits together: sorted by comparing codes column by
/// column.
fn merge_by_codes<I: Ids>(
    ids: Vec<I>,
    code_of: Vec<Vec<u32>>,
    count: Vec<Vec<u64>>,
) -> (Vec<Vec<u32>>, Vec<u64>) {
    let n: usize = count.iter().map(Vec::len).sum();
    // Each column's codes; its ids and their codes freed once read.
    let codes: Vec<Vec<u32>> = ids
        .into_iter()
        .zip(code_of)
        .map(|(col, code)| (0..n).into_par_iter().map(|i| code[col.id(i) as usize]).collect())
        .collect();
    let mut joined = Vec::with_capacity(n);
    for chunk in count {
        joined.extend(chunk);
    }
    let count = joined;
    let mut order: Vec<u32> = (0..count.len() as u32).collect();
    order.par_sort_unstable_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        codes.iter().map(|col| col[a].cmp(&col[b])).find(|o| o.is_ne()).unwrap_or(std::cmp::Ordering::Equal)
    });
    let same = |a: u32, b: u32| codes.iter().all(|col| col[a as usize] == col[b as usize]);
    // Merge runs of equal combinations, keeping the first of each.
    let mut firsts: Vec<u32> = Vec::with_capacity(order.len());
    let mut merged: Vec<u64> = Vec::with_capacity(order.len());
    for &i in &order {
        match (firsts.last(), merged.last_mut()) {
            (Some(&f), Some(n)) if same(f, i) => *n += count[i as usize],
            _ => {
                firsts.push(i);
                merged.push(count[i as usize]);
            }
        }
    }
    drop(order);
    let codes = codes.iter().map(|col| firsts.iter().map(|&i| col[i as usize]).collect()).collect();
    (codes, merged)
}

/// Rows per batch handed over by the polars streaming engine.
const BATCH_ROWS: usize = 100_000;
/// Keys buffered before they are sorted and merged (at least; the buffer grows with the
/// merged combinations so merging costs O(n log n) overall).
const MIN_BUFFER: usize = 1 << 22;

/// Bits needed for the codes of a column with `card` distinct values.
pub(crate) fn bits_for(card: usize) -> u32 {
    if card <= 1 { 0 } else { usize::BITS - (card - 1).leading_zeros() }
}

/// A packed key: the codes of one row, first column in the highest bits.
trait Key: Copy + Ord + std::hash::Hash + Send + Sync + Default + 'static {
    fn push(self, code: u32, bits: u32) -> Self;
    fn field(self, shift: u32, bits: u32) -> u32;
}

impl Key for u64 {
    fn push(self, code: u32, bits: u32) -> Self {
        if bits == 0 { self } else { (self << bits) | code as u64 }
    }
    fn field(self, shift: u32, bits: u32) -> u32 {
        if bits == 0 { 0 } else { ((self >> shift) & ((1u64 << bits) - 1)) as u32 }
    }
}

impl Key for u128 {
    fn push(self, code: u32, bits: u32) -> Self {
        if bits == 0 { self } else { (self << bits) | code as u128 }
    }
    fn field(self, shift: u32, bits: u32) -> u32 {
        if bits == 0 { 0 } else { ((self >> shift) & ((1u128 << bits) - 1)) as u32 }
    }
}

/// Calls `f` with every batch of `lf` (one chunk per column), in order, on the streaming engine.
fn for_each_batch(
    lf: LazyFrame,
    f: impl FnMut(&DataFrame) -> PolarsResult<()> + Send + 'static,
) -> PolarsResult<()> {
    let f = Mutex::new(f);
    let callback = PlanCallback::new(move |mut df: DataFrame| -> PolarsResult<bool> {
        df.rechunk_mut_par();
        let mut f = f.lock().map_err(|_| PolarsError::ComputeError("batch lock poisoned".into()))?;
        f(&df)?;
        Ok(false)
    });
    lf.sink_batches(callback, true, NonZeroUsize::new(BATCH_ROWS))?
        .collect_with_engine(Engine::Streaming)
        .map(|_| ())
}

/// The text columns `names` of a batch (nulls read as "").
fn text_columns<'a>(df: &'a DataFrame, names: &[String]) -> PolarsResult<Vec<&'a StringChunked>> {
    names.iter().map(|c| df.column(c.as_str())?.str()).collect()
}

impl Input {
    /// Distinct combinations of `columns` (as text, empty for null) with their row counts, in
    /// two streaming passes (module documentation). `None` when the packed codes would need
    /// more than 128 bits; then [`Input::combinations`] is the way.
    pub fn count_combinations(&self, columns: &[String]) -> Result<Option<Combinations>, Error> {
        self.count_combinations_with(columns, MIN_BUFFER)
    }

    fn count_combinations_with(
        &self,
        columns: &[String],
        min_buffer: usize,
    ) -> Result<Option<Combinations>, Error> {
        let err = |e: PolarsError| Error::Input { path: self.path.clone(), message: e.to_string() };
        let lf = self.text_columns(columns);
        // Pass 1: distinct values per column.
        let sets: Arc<Mutex<Vec<FxHashSet<Box<str>>>>> =
            Arc::new(Mutex::new(vec![FxHashSet::default(); columns.len()]));
        {
            let (sets, names) = (Arc::clone(&sets), columns.to_vec());
            for_each_batch(lf.clone(), move |df| {
                let cols = text_columns(df, &names)?;
                let mut sets = sets.lock().map_err(|_| PolarsError::ComputeError("lock poisoned".into()))?;
                sets.par_iter_mut().zip(cols.par_iter()).for_each(|(set, ca)| {
                    for v in ca.iter() {
                        let v = v.unwrap_or("");
                        if !set.contains(v) {
                            set.insert(v.into());
                        }
                    }
                });
                Ok(())
            })
            .map_err(err)?;
        }
        let sets = std::mem::take(&mut *sets.lock().map_err(|_| Error::Polars("lock poisoned".into()))?);
        let bits: Vec<u32> = sets.iter().map(|set| bits_for(set.len())).collect();
        let total: u32 = bits.iter().sum();
        if total > 128 || bits.iter().any(|&b| b > 32) {
            // Codes are u32 in keys of at most 128 bits: such columns are grouped as text.
            return Ok(None);
        }
        let mut values: Vec<Labels> = Vec::with_capacity(sets.len());
        let mut dictionaries: Vec<FxHashMap<Box<str>, u32>> = Vec::with_capacity(sets.len());
        for set in sets {
            let mut sorted: Vec<Box<str>> = set.into_iter().collect();
            sorted.par_sort_unstable();
            values.push(sorted.iter().collect());
            dictionaries.push(sorted.into_iter().enumerate().map(|(i, v)| (v, i as u32)).collect());
        }
        // Pass 2: keys, sorted and counted.
        let (keys, counts) = if total <= 64 {
            let (k, c) = self.pass_two::<u64>(lf, columns, dictionaries, &bits, min_buffer)?;
            (Packed::Narrow(k), c)
        } else {
            let (k, c) = self.pass_two::<u128>(lf, columns, dictionaries, &bits, min_buffer)?;
            (Packed::Wide(k), c)
        };
        // Narrow keys are the packed codes as they are (no copy).
        let codes = match keys {
            Packed::Narrow(words) => Codes::Packed { words, bits },
            Packed::Wide(k) => Codes::Columns(unpack(&k, |&x| x, &bits)),
        };
        Ok(Some(Combinations { values, codes, count: counts }))
    }

    /// [`Input::count_combinations`] by a polars group-by of the text columns, whatever the
    /// number of bits: memory grows with the combinations' text (the fallback beyond 128 bits,
    /// and the reference the packed count is tested against).
    pub fn combinations_by_group_by(&self, columns: &[String]) -> Result<Combinations, Error> {
        let combos = self.combinations(columns)?;
        let c = combos.column("__n").map_err(|e| Error::Polars(e.to_string()))?;
        let counts: Vec<u64> =
            c.u64().map_err(|e| Error::Polars(e.to_string()))?.iter().map(|v| v.unwrap_or(0)).collect();
        let mut values = Vec::with_capacity(columns.len());
        let mut codes = Vec::with_capacity(columns.len());
        for c in columns {
            let (distinct, code) = encode(&combos, c)?;
            values.push(distinct);
            codes.push(code);
        }
        drop(combos);
        Combinations::from_interned(values, codes, counts)
    }

    fn pass_two<K: Key>(
        &self,
        lf: LazyFrame,
        columns: &[String],
        dictionaries: Vec<FxHashMap<Box<str>, u32>>,
        bits: &[u32],
        min_buffer: usize,
    ) -> Result<(Vec<K>, Vec<u64>), Error> {
        let err = |e: PolarsError| Error::Input { path: self.path.clone(), message: e.to_string() };
        let state = Arc::new(Mutex::new(Counter::<K, u32>::default()));
        {
            let (state, names, bits) = (Arc::clone(&state), columns.to_vec(), bits.to_vec());
            let dictionaries = Arc::new(dictionaries);
            for_each_batch(lf, move |df| {
                let cols = text_columns(df, &names)?;
                // Codes per column, columns in parallel.
                let codes: Vec<Vec<u32>> = cols
                    .par_iter()
                    .zip(dictionaries.par_iter())
                    .zip(names.par_iter())
                    .map(|((ca, dict), name)| {
                        ca.iter()
                            .map(|v| {
                                let v = v.unwrap_or("");
                                dict.get(v).copied().ok_or_else(|| {
                                    PolarsError::ComputeError(
                                        format!(
                                            "column '{name}': value {v:?} was not there when the input was first read; \
                                             the file changed while it was being read"
                                        )
                                        .into(),
                                    )
                                })
                            })
                            .collect::<PolarsResult<Vec<u32>>>()
                    })
                    .collect::<PolarsResult<_>>()?;
                let mut counter = state.lock().map_err(|_| PolarsError::ComputeError("lock poisoned".into()))?;
                let n = df.height();
                counter.buffer.reserve(n);
                for r in 0..n {
                    let mut key = K::default();
                    for (c, &b) in codes.iter().zip(&bits) {
                        key = key.push(c[r], b);
                    }
                    counter.buffer.push(key);
                }
                if counter.buffer.len() >= min_buffer.max(counter.keys.len() / 2) {
                    counter.flush();
                }
                Ok(())
            })
            .map_err(err)?;
        }
        let counter = std::mem::take(&mut *state.lock().map_err(|_| Error::Polars("lock poisoned".into()))?);
        Ok(counter.finish())
    }
}

/// The sorted distinct values of a text column and each row's code (index into them), without
/// copying every row's string.
fn encode(df: &DataFrame, name: &str) -> Result<(Vec<String>, Vec<u32>), Error> {
    let c = df.column(name).map_err(|e| Error::Polars(e.to_string()))?;
    let ca = c.str().map_err(|e| Error::Polars(e.to_string()))?;
    let mut set: rustc_hash::FxHashSet<&str> = Default::default();
    for v in ca.iter() {
        set.insert(v.unwrap_or(""));
    }
    let mut distinct: Vec<&str> = set.into_iter().collect();
    distinct.sort_unstable();
    let index: rustc_hash::FxHashMap<&str, u32> =
        distinct.iter().enumerate().map(|(i, v)| (*v, i as u32)).collect();
    let codes = ca.iter().map(|v| index.get(v.unwrap_or("")).copied().unwrap_or(0)).collect();
    Ok((distinct.into_iter().map(str::to_string).collect(), codes))
}

/// Keys of either width.
enum Packed {
    Narrow(Vec<u64>),
    Wide(Vec<u128>),
}

/// A count as the counter keeps it: narrower than the `u64` the search reads, so the counter's
/// merges hold less. A count that reaches `MAX` is kept exactly beside it ([`Counter::big`]).
trait Count: Copy + Send + Sync + Eq + Default + 'static {
    const MAX: Self;
    fn get(self) -> u64;
    /// `n` itself if below `MAX`.
    fn narrow(n: u64) -> Option<Self>;
}

macro_rules! count {
    ($t:ty) => {
        impl Count for $t {
            const MAX: Self = <$t>::MAX;
            fn get(self) -> u64 {
                u64::from(self)
            }
            fn narrow(n: u64) -> Option<Self> {
                <$t>::try_from(n).ok().filter(|&c| c != <$t>::MAX)
            }
        }
    };
}
count!(u32);
// (Tests only: reaching `MAX` after a few rows exercises the exact counts kept beside.)
#[cfg(test)]
count!(u8);

/// Sorted distinct keys with their counts, and keys not yet merged in.
///
/// Memory: merging a buffer grows `keys` and `counts` in place (by exactly the keys new to
/// them) and fills them from the back, so the old and the merged vectors are never held
/// together; with 4-byte counts the last merge holds about 12 bytes a combination besides the
/// buffer (it held 32: old and new keys and 8-byte counts).
struct Counter<K, C = u32> {
    keys: Vec<K>,
    counts: Vec<C>,
    /// Exact counts of the keys whose `counts` entry is `C::MAX` (more than 4 billion rows for
    /// `u32`, so empty in practice).
    big: FxHashMap<K, u64>,
    buffer: Vec<K>,
}

impl<K, C> Default for Counter<K, C> {
    fn default() -> Self {
        Counter { keys: Vec::new(), counts: Vec::new(), big: FxHashMap::default(), buffer: Vec::new() }
    }
}

impl<K: Key, C: Count> Counter<K, C> {
    /// The count to store for `key` with `n` rows, recording `n` in `big` if it does not fit.
    fn store(&mut self, key: K, n: u64) -> C {
        C::narrow(n).unwrap_or_else(|| {
            self.big.insert(key, n);
            C::MAX
        })
    }

    /// The rows counted for entry `i`.
    fn count(&self, i: usize) -> u64 {
        let c = self.counts[i];
        if c == C::MAX { self.big.get(&self.keys[i]).copied().unwrap_or(c.get()) } else { c.get() }
    }

    /// Sorts and counts the buffer and merges it into `keys`/`counts`.
    fn flush(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        let mut buf = std::mem::take(&mut self.buffer);
        buf.par_sort_unstable();
        // Run-length count in place: buf[..u] are the distinct keys, runs their counts.
        let mut runs: Vec<u64> = Vec::new();
        let mut u = 0usize;
        for i in 0..buf.len() {
            if u > 0 && buf[u - 1] == buf[i] {
                if let Some(last) = runs.last_mut() {
                    *last += 1;
                }
            } else {
                buf[u] = buf[i];
                u += 1;
                runs.push(1);
            }
        }
        buf.truncate(u);
        // How many of the buffer's keys are new.
        let old = self.keys.len();
        let (mut i, mut new) = (0usize, 0usize);
        for k in &buf {
            while i < old && self.keys[i] < *k {
                i += 1;
            }
            if i >= old || self.keys[i] != *k {
                new += 1;
            }
        }
        self.keys.reserve_exact(new);
        self.keys.resize(old + new, K::default());
        self.counts.reserve_exact(new);
        self.counts.resize(old + new, C::default());
        // From the back: `w` is the next slot to fill; the old entries below `i` have not moved.
        let (mut i, mut w) = (old, old + new);
        for j in (0..u).rev() {
            let k = buf[j];
            while i > 0 && self.keys[i - 1] > k {
                i -= 1;
                w -= 1;
                self.keys[w] = self.keys[i];
                self.counts[w] = self.counts[i];
            }
            let n = if i > 0 && self.keys[i - 1] == k {
                i -= 1;
                self.count(i) + runs[j]
            } else {
                runs[j]
            };
            w -= 1;
            self.keys[w] = k;
            self.counts[w] = self.store(k, n);
        }
        debug_assert_eq!(w, i, "every new key placed");
    }

    /// The keys and their counts as the search reads them.
    fn finish(mut self) -> (Vec<K>, Vec<u64>) {
        self.flush();
        let counts = (0..self.keys.len()).map(|i| self.count(i)).collect();
        (self.keys, counts)
    }
}

/// The process's peak resident memory so far (VmHWM), in bytes; `None` where the OS does not
/// say (only Linux's `/proc/self/status` is read).
pub fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cluster's group-by arrives in any order with values interned as first seen; it
    /// normalises to exactly what counting here gives.
    #[test]
    fn interned_combinations_normalise_to_the_counted_form() {
        let rows: Vec<[&str; 3]> = (0..500u32)
            .map(|i| {
                [
                    ["b", "a", "c", ""][(i % 4) as usize],
                    ["x", "é", "y"][(i % 3) as usize],
                    ["1", "10", "2", "9", "z"][(i * 7 % 5) as usize],
                ]
            })
            .collect();
        // Expected: sorted values, codes, combinations sorted by codes, counts.
        let expected_values: Vec<Vec<String>> = (0..3)
            .map(|j| {
                let mut v: Vec<String> = rows.iter().map(|r| r[j].to_string()).collect();
                v.sort();
                v.dedup();
                v
            })
            .collect();
        let mut tally: std::collections::BTreeMap<Vec<u32>, u64> = Default::default();
        for r in &rows {
            let key = (0..3)
                .map(|j| expected_values[j].iter().position(|v| v == r[j]).expect("value") as u32)
                .collect();
            *tally.entry(key).or_default() += 1;
        }
        // Interned in reverse first-seen order, combinations split in two (a duplicate to merge).
        let mut values: Vec<Vec<String>> = vec![Vec::new(); 3];
        let mut ids: Vec<Vec<u32>> = vec![Vec::new(); 3];
        let mut count = Vec::new();
        for (key, &n) in tally.iter().rev() {
            for part in [n / 2, n - n / 2].into_iter().filter(|&p| p > 0) {
                for j in 0..3 {
                    let v = &expected_values[j][key[j] as usize];
                    let id = match values[j].iter().position(|x| x == v) {
                        Some(p) => p,
                        None => {
                            values[j].push(v.clone());
                            values[j].len() - 1
                        }
                    };
                    ids[j].push(id as u32);
                }
                count.push(part);
            }
        }
        let bad = Combinations::from_interned(values.clone(), ids.clone(), count[1..].to_vec());
        assert!(bad.is_err(), "lengths that differ are refused");
        let mut wild = ids.clone();
        wild[0][0] = 99;
        assert!(
            Combinations::from_interned(values.clone(), wild, count.clone()).is_err(),
            "an id past the values"
        );
        let got = Combinations::from_interned(values, ids, count).expect("normalised");
        let expected = Combinations {
            values: expected_values.iter().map(|v| v.iter().collect()).collect(),
            codes: Codes::Columns((0..3).map(|j| tally.keys().map(|k| k[j]).collect()).collect()),
            count: tally.values().copied().collect(),
        };
        assert!(matches!(got.codes, Codes::Packed { .. }), "codes of 2 + 2 + 3 bits come packed");
        assert_eq!(got, expected);
        assert_eq!(got.count.iter().sum::<u64>(), 500);
    }

    /// The three ways of merging interned combinations (u64 keys, u128 keys, comparing codes)
    /// give the same sorted, merged combinations as a tally, ids mapped through their codes.
    #[test]
    fn interned_combinations_merge_the_same_packed_or_compared() {
        let mut rng = ::synth::Rng::new(7);
        let cards = [5u32, 1, 300, 2, 40];
        let n = 20_000;
        // Ids in a shuffled order of each column's codes (code_of maps them back).
        let code_of: Vec<Vec<u32>> = cards
            .iter()
            .map(|&c| {
                let mut v: Vec<u32> = (0..c).collect();
                for i in (1..v.len()).rev() {
                    v.swap(i, rng.below(i as u64 + 1) as usize);
                }
                v
            })
            .collect();
        let ids: Vec<Vec<u32>> =
            cards.iter().map(|&c| (0..n).map(|_| rng.below(u64::from(c)) as u32).collect()).collect();
        let count: Vec<u64> = (0..n).map(|_| 1 + rng.below(9)).collect();
        let mut tally: std::collections::BTreeMap<Vec<u32>, u64> = Default::default();
        for i in 0..n {
            let key = (0..cards.len()).map(|j| code_of[j][ids[j][i] as usize]).collect();
            *tally.entry(key).or_default() += count[i];
        }
        assert!(tally.len() < n, "some combinations repeat, so merging is exercised");
        let expected: (Vec<Vec<u32>>, Vec<u64>) = (
            (0..cards.len()).map(|j| tally.keys().map(|k| k[j]).collect()).collect(),
            tally.values().copied().collect(),
        );
        let bits: Vec<u32> = cards.iter().map(|&c| bits_for(c as usize)).collect();
        assert_eq!(merged::<u64>(ids.clone(), code_of.clone(), &bits, count.clone()), expected);
        assert_eq!(merged::<u128>(ids.clone(), code_of.clone(), &bits, count.clone()), expected);
        assert_eq!(merge_by_codes(ids, code_of, vec![count]), expected);
        let none: (Vec<Vec<u32>>, Vec<u64>) = (vec![Vec::new(); 2], Vec::new());
        assert_eq!(merged::<u64>(vec![Vec::new(); 2], vec![vec![0], vec![0]], &[0, 0], Vec::new()), none);
    }

    /// [`merge_packed`] with its keys unpacked into a vector of codes per column.
    fn merged<K: Key>(
        ids: Vec<Vec<u32>>,
        code_of: Vec<Vec<u32>>,
        bits: &[u32],
        count: Vec<u64>,
    ) -> (Vec<Vec<u32>>, Vec<u64>) {
        // The counts in chunks of 1, 2, 3, ... (the chunks' boundaries must not matter).
        let mut chunks = Vec::new();
        let mut rest = count.as_slice();
        while !rest.is_empty() {
            let (head, tail) = rest.split_at((chunks.len() + 1).min(rest.len()));
            chunks.push(head.to_vec());
            rest = tail;
        }
        let (keys, count) = merge_packed::<K, Vec<u32>>(ids, code_of, bits, chunks);
        (unpack(&keys, |&k| k, bits), count)
    }

    /// Packed codes read, copy, split and compare as the same codes in vectors do: fields of 0
    /// bits, a field reaching the top bit, and a split that drops every bit.
    #[test]
    fn packed_codes_read_split_and_compare_as_columns() {
        let bits = vec![3u32, 0, 29, 32];
        let rows: Vec<[u32; 4]> = vec![[0, 0, 0, 0], [7, 0, (1 << 29) - 1, u32::MAX], [5, 0, 12345, 1 << 31]];
        let words: Vec<u64> =
            rows.iter().map(|r| r.iter().zip(&bits).fold(0u64, |k, (&c, &b)| k.push(c, b))).collect();
        let columns: Vec<Vec<u32>> = (0..4).map(|j| rows.iter().map(|r| r[j]).collect()).collect();
        let packed = Codes::Packed { words, bits };
        assert_eq!((packed.width(), packed.len()), (4, 3));
        for (j, col) in columns.iter().enumerate() {
            for (i, &c) in col.iter().enumerate() {
                assert_eq!((packed.get(j, i), packed.column(j).at(i)), (c, c), "column {j}, row {i}");
            }
        }
        assert_eq!(packed.to_columns(), columns);
        assert_eq!(packed, Codes::Columns(columns.clone()));
        let mut changed = columns.clone();
        changed[3][2] -= 1;
        assert_ne!(packed, Codes::Columns(changed), "one code differs");
        for at in [0usize, 1, 2, 3, 4] {
            let (mut p, mut c) = (packed.clone(), Codes::Columns(columns.clone()));
            assert_eq!(p.split_off(at), c.split_off(at), "tail at {at}");
            assert_eq!(p, c, "head at {at}");
            assert_eq!(p.width(), at);
        }
    }

    /// Keys filled to the last bit (two 32-bit columns in a u64, four in a u128) keep the codes'
    /// order and unpack to them, the largest code included.
    #[test]
    fn packed_keys_of_exactly_64_and_128_bits_merge_as_codes_compare() {
        let top = u32::MAX;
        for m in [2usize, 4] {
            // Ids are codes (identity maps of two entries: 0 and the largest code, by id 0 and 1).
            let code_of = vec![vec![0, top]; m];
            let rows: Vec<Vec<u32>> =
                (0..1u32 << m).map(|r| (0..m).map(|j| (r >> j) & 1).collect()).collect();
            // Every combination twice, in reverse order.
            let ids: Vec<Vec<u32>> =
                (0..m).map(|j| rows.iter().rev().chain(rows.iter().rev()).map(|r| r[j]).collect()).collect();
            let count: Vec<u64> = (0..2 * rows.len() as u64).collect();
            let bits = vec![32u32; m];
            let got = if m == 2 {
                merged::<u64>(ids.clone(), code_of.clone(), &bits, count.clone())
            } else {
                merged::<u128>(ids.clone(), code_of.clone(), &bits, count.clone())
            };
            assert_eq!(got, merge_by_codes(ids, code_of, vec![count]), "{m} columns of 32 bits");
            assert_eq!(got.1.len(), rows.len());
            assert_eq!(got.0[0].last(), Some(&top), "the largest code sorts last and unpacks whole");
        }
    }

    #[test]
    fn keys_pack_and_unpack_and_sort_as_codes_do() {
        let bits = [3u32, 0, 7, 1];
        let rows = [[5u32, 0, 100, 1], [5, 0, 99, 1], [0, 0, 127, 0], [7, 0, 0, 1]];
        let pack = |r: &[u32; 4]| r.iter().zip(&bits).fold(0u64, |k, (&c, &b)| k.push(c, b));
        let mut keys: Vec<u64> = rows.iter().map(pack).collect();
        let mut sorted = rows.to_vec();
        sorted.sort();
        keys.sort();
        for (k, r) in keys.iter().zip(&sorted) {
            let mut shift: u32 = bits.iter().sum();
            for (j, &b) in bits.iter().enumerate() {
                shift -= b;
                assert_eq!(k.field(shift, b), r[j]);
            }
        }
    }

    #[test]
    fn merging_counts_every_key_once() {
        // Rounds of growing and shrinking buffers: keys all new, all old, mixed, above every
        // key held, and one key repeated (below every key held: the next test's key 0).
        let mut c = Counter::<u64, u32>::default();
        let mut expected: std::collections::BTreeMap<u64, u64> = Default::default();
        let mut x = 7u64;
        for round in 0..12u64 {
            let (n, modulus, offset) = match round {
                3 => (1, 1, 5_000),
                4 => (500, 200, 0),
                5 => (700, 50, 10_000),
                6 => (300, 1, 42),
                _ => (1000 + round * 300, 700, 0),
            };
            for _ in 0..n {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let k = offset + (x >> 33) % modulus;
                c.buffer.push(k);
                *expected.entry(k).or_insert(0) += 1;
            }
            c.flush();
            let got: Vec<(u64, u64)> = (0..c.keys.len()).map(|i| (c.keys[i], c.count(i))).collect();
            assert_eq!(got, expected.clone().into_iter().collect::<Vec<_>>(), "round {round}");
            assert_eq!(c.keys.len(), c.counts.len());
        }
        c.flush(); // nothing buffered: nothing changes
        let (keys, counts) = c.finish();
        assert_eq!(
            keys.into_iter().zip(counts).collect::<Vec<_>>(),
            expected.into_iter().collect::<Vec<_>>()
        );
    }

    /// Counts beyond what the counter's narrow type holds are kept exactly beside it (with `u8`
    /// counts: 255 and more rows), whether they get there in one buffer or over several merges.
    #[test]
    fn counts_beyond_the_narrow_type_are_exact() {
        let mut c = Counter::<u64, u8>::default();
        let mut expected: std::collections::BTreeMap<u64, u64> = Default::default();
        let mut add = |c: &mut Counter<u64, u8>, k: u64, n: u64| {
            c.buffer.extend(std::iter::repeat_n(k, n as usize));
            *expected.entry(k).or_insert(0) += n;
        };
        add(&mut c, 1, 254); // just below MAX
        add(&mut c, 2, 255); // MAX itself: kept beside
        add(&mut c, 3, 1000); // well beyond, in one buffer
        c.flush();
        add(&mut c, 1, 1); // reaches MAX by a merge
        add(&mut c, 2, 3); // grows while kept beside
        add(&mut c, 4, 7);
        c.flush();
        for _ in 0..3 {
            add(&mut c, 3, 100);
            add(&mut c, 0, 100); // crosses MAX over merges, below every other key
            c.flush();
        }
        assert_eq!(c.counts[c.keys.iter().position(|&k| k == 4).expect("4")], 7);
        assert!(c.big.len() == 4, "{:?}", c.big);
        let (keys, counts) = c.finish();
        assert_eq!(
            keys.into_iter().zip(counts).collect::<Vec<_>>(),
            expected.into_iter().collect::<Vec<_>>()
        );
    }

    fn scratch(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("ledgerless-counts-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("scratch dir");
        d
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// The packed, streamed count equals the group-by of the text, combination by combination
    /// and in the same order: over several batches, many merges, nulls and empty fields.
    #[test]
    fn the_packed_count_equals_the_group_by() {
        let d = scratch("patients");
        for file in ["p.csv", "p.parquet"] {
            let path = d.join(file);
            crate::data::write_patients(&path, 0..230_001, 5, false).expect("patients");
            let input = Input::open(&path).expect("open");
            let cols =
                names(&["age", "sex", "ethnicity", "postcode", "region", "admission_date", "diagnosis"]);
            let reference = input.combinations_by_group_by(&cols).expect("group-by");
            for min_buffer in [1, 5_000, MIN_BUFFER] {
                let packed = input.count_combinations_with(&cols, min_buffer).expect("count").expect("fits");
                assert!(matches!(packed.codes, Codes::Packed { .. }), "codes within 64 bits stay packed");
                assert_eq!(packed, reference, "{file}, buffer {min_buffer}");
            }
            assert_eq!(reference.count.iter().sum::<u64>(), 230_001);
        }
        let path = d.join("odd.csv");
        std::fs::write(&path, "a,b,c\nx,,é\n,,é\nx,\"\",ü\nx,,é\n\"\",y,\n").expect("write");
        let input = Input::open(&path).expect("open");
        let cols = names(&["a", "b", "c"]);
        let packed = input.count_combinations(&cols).expect("count").expect("fits");
        assert_eq!(packed, input.combinations_by_group_by(&cols).expect("group-by"));
        assert_eq!(packed.values[0], ["", "x"]);
        assert_eq!(packed.count.iter().sum::<u64>(), 5);
        let _ = std::fs::remove_dir_all(&d);
    }

    /// Keys of 65–128 bits are counted in `u128`; beyond 128 bits the count says so (`None`)
    /// and the group-by is used instead.
    #[test]
    fn wide_keys_are_counted_and_wider_ones_fall_back() {
        let d = scratch("wide");
        let path = d.join("w.csv");
        let mut text = String::from("a,b,c,d,e,f,g,h,i,j\n");
        let mut x = 11u64;
        for _ in 0..20_000 {
            let row: Vec<String> = (0..10)
                .map(|_| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    format!("{}", (x >> 33) % 16_000)
                })
                .collect();
            text.push_str(&row.join(","));
            text.push('\n');
        }
        std::fs::write(&path, text).expect("write");
        let input = Input::open(&path).expect("open");
        let five = names(&["a", "b", "c", "d", "e"]);
        let packed = input.count_combinations_with(&five, 1_000).expect("count").expect("fits 128 bits");
        assert!(packed.values.iter().map(|v| bits_for(v.len())).sum::<u32>() > 64);
        assert_eq!(packed, input.combinations_by_group_by(&five).expect("group-by"));
        let ten = names(&["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]);
        assert!(input.count_combinations(&ten).expect("count").is_none());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn bits_cover_every_code() {
        assert_eq!(bits_for(0), 0);
        assert_eq!(bits_for(1), 0);
        assert_eq!(bits_for(2), 1);
        assert_eq!(bits_for(3), 2);
        assert_eq!(bits_for(256), 8);
        assert_eq!(bits_for(257), 9);
    }
}
