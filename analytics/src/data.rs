//! Reading inputs and writing releases with polars (lazy, streaming where it matters).
//!
//! Every column is read as text so the release keeps the input's exact values; empty fields
//! are treated as the empty string.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use polars::prelude::*;

use crate::Error;
use crate::hierarchy::Generalisation;

/// The input's format, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-, semicolon- or tab-separated text with a header line.
    Csv(u8),
    /// Apache Parquet.
    Parquet,
}

/// An input file opened lazily.
pub struct Input {
    /// Where it is.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// Column names in file order.
    pub columns: Vec<String>,
    /// Parquet columns that can be carried but have no text form (binary, durations, times,
    /// lists, maps, structs), with their type: refused if counted or released ([`Input::check_text`]).
    not_text: Vec<(String, String)>,
    lf: LazyFrame,
}

/// How polars (as built here) can read a Parquet column of an Arrow type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParquetColumn {
    /// Read, and cast to text (each shown so by the test
    /// `parquet_types_read_as_text_are_refused_by_name_otherwise` in `cluster`).
    Text,
    /// Read, but with no text form: fine to drop, refused if counted or released.
    NotText,
    /// polars would fail (or panic) opening the file: refused at open.
    Unreadable,
}

fn parquet_column(t: &ArrowDataType) -> ParquetColumn {
    use ArrowDataType as A;
    match t {
        A::Null
        | A::Boolean
        | A::Int8
        | A::Int16
        | A::Int32
        | A::Int64
        | A::UInt8
        | A::UInt16
        | A::UInt32
        | A::UInt64
        | A::Float32
        | A::Float64
        | A::Utf8
        | A::LargeUtf8
        | A::Utf8View
        | A::Date32
        | A::Date64
        | A::Timestamp(_, None) => ParquetColumn::Text,
        // polars checks a zone when it opens the file, and panics on one it does not know
        // (offsets such as "+05:30" included).
        A::Timestamp(_, Some(tz)) => match TimeZone::opt_try_new(Some(tz.clone())) {
            Ok(_) => ParquetColumn::Text,
            Err(_) => ParquetColumn::Unreadable,
        },
        // polars holds decimals of up to 38 digits (and panics on more).
        A::Decimal(p, _) if (1..=38).contains(p) => ParquetColumn::Text,
        A::Dictionary(_, v, _) if matches!(**v, A::Utf8 | A::LargeUtf8 | A::Utf8View) => ParquetColumn::Text,
        // Times lose their fraction of a second as text (01.5 s reads "00:00:01"): two times
        // would become one value, so they are refused rather than silently truncated.
        A::Binary
        | A::LargeBinary
        | A::BinaryView
        | A::FixedSizeBinary(_)
        | A::Duration(_)
        | A::Time32(_)
        | A::Time64(_) => ParquetColumn::NotText,
        // polars opens the children too: one it cannot read makes the whole column unreadable.
        A::List(f) | A::LargeList(f) | A::Map(f, _) => match parquet_column(&f.dtype) {
            ParquetColumn::Unreadable => ParquetColumn::Unreadable,
            _ => ParquetColumn::NotText,
        },
        A::Struct(fields) if fields.iter().any(|f| parquet_column(&f.dtype) == ParquetColumn::Unreadable) => {
            ParquetColumn::Unreadable
        }
        A::Struct(_) => ParquetColumn::NotText,
        _ => ParquetColumn::Unreadable,
    }
}

/// Each Parquet column's type, read from the footer alone (polars panics converting some Arrow
/// types, such as 256-bit decimals, so they are refused by name before polars sees them).
fn parquet_columns(path: &Path) -> Result<Vec<(String, ArrowDataType)>, Error> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let schema = ParquetReader::new(file).schema().map_err(|e| input_err(path, e.to_string()))?;
    Ok(schema.iter_values().map(|f| (f.name.to_string(), f.dtype.clone())).collect())
}

/// The Parquet columns whose text hangs on a time unit and zone (dates as milliseconds and
/// timestamps), as the local engine reads them: name, the digits of the second's fraction
/// polars writes (3, 6 or 9) and the zone as the file gives it. From the footer alone, so that
/// another engine can check that it reads them alike; a zone polars cannot read is refused.
pub fn parquet_time_columns(path: &Path) -> Result<Vec<(String, u8, Option<String>)>, Error> {
    let mut out = Vec::new();
    for (name, t) in parquet_columns(path)? {
        let (unit, zone) = match &t {
            ArrowDataType::Date64 => (ArrowTimeUnit::Millisecond, None),
            ArrowDataType::Timestamp(unit, zone) => (*unit, zone.as_ref().map(|z| z.to_string())),
            _ => continue,
        };
        if parquet_column(&t) == ParquetColumn::Unreadable {
            return Err(unreadable(path, &name, &t));
        }
        let digits = match unit {
            ArrowTimeUnit::Second | ArrowTimeUnit::Millisecond => 3,
            ArrowTimeUnit::Microsecond => 6,
            ArrowTimeUnit::Nanosecond => 9,
        };
        out.push((name, digits, zone));
    }
    Ok(out)
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("path", &self.path)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// A Parquet column polars cannot open.
fn unreadable(path: &Path, name: &str, t: &ArrowDataType) -> Error {
    input_err(
        path,
        format!(
            "column '{name}' is of type {t:?}, which cannot be read here; convert it (to text, a \
             number or a date) or remove it from the file"
        ),
    )
}

fn input_err(path: &Path, message: impl Into<String>) -> Error {
    Error::Input { path: path.to_path_buf(), message: message.into() }
}

impl Input {
    /// Opens a CSV or Parquet file, checking that CSV lines are well formed first.
    pub fn open(path: &Path) -> Result<Input, Error> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if !meta.is_file() {
            return Err(input_err(path, "is not a file"));
        }
        if meta.len() == 0 {
            return Err(input_err(path, "is empty (no header line, no rows)"));
        }
        let text_path =
            path.to_str().ok_or_else(|| input_err(path, "the path is not valid UTF-8; rename the file"))?;
        let format = match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("csv") => Format::Csv(sniff_separator(path)?),
            Some("parquet") => Format::Parquet,
            _ => return Err(input_err(path, "must end in .csv or .parquet")),
        };
        // Every Parquet column's type, from the footer (a CSV's columns are all text): one
        // polars cannot open is refused here, before polars sees the file.
        let parquet_types = match format {
            Format::Parquet => parquet_columns(path)?,
            Format::Csv(_) => Vec::new(),
        };
        let mut not_text: Vec<(String, String)> = Vec::new();
        for (name, t) in parquet_types {
            match parquet_column(&t) {
                ParquetColumn::Text => {}
                ParquetColumn::NotText => not_text.push((name, format!("{t:?}"))),
                ParquetColumn::Unreadable => return Err(unreadable(path, &name, &t)),
            }
        }
        let lf = match format {
            Format::Csv(sep) => {
                // The header as the csv crate reads it (RFC 4180: `"na""me"` is `na"me`); polars
                // would keep the doubled quote. Every column is text.
                let names = check_csv(path, sep)?;
                let schema: Schema =
                    names.iter().map(|n| Field::new(n.as_str().into(), DataType::String)).collect();
                LazyCsvReader::new(PlRefPath::new(text_path))
                    .with_has_header(true)
                    .with_separator(sep)
                    .with_schema(Some(Arc::new(schema)))
                    .finish()
                    .map_err(|e| input_err(path, e.to_string()))?
            }
            Format::Parquet => LazyFrame::scan_parquet(PlRefPath::new(text_path), ScanArgsParquet::default())
                .map_err(|e| input_err(path, e.to_string()))?,
        };
        let mut lf = lf;
        let schema = lf.collect_schema().map_err(|e| input_err(path, e.to_string()))?;
        let columns: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
        // Everything as text (Parquet may carry numbers and dates).
        let lf =
            lf.select(columns.iter().map(|c| col(c.as_str()).cast(DataType::String)).collect::<Vec<_>>());
        Ok(Input { path: path.to_path_buf(), format, columns, not_text, lf })
    }

    /// Fails naming the first of `columns` that has no text form (binary, a duration, a time, a
    /// list, a map, a struct): `anonymise` reads every column it counts or releases as text.
    pub fn check_text(&self, columns: &[String]) -> Result<(), Error> {
        match self.not_text.iter().find(|(n, _)| columns.contains(n)) {
            Some((n, t)) => Err(input_err(
                &self.path,
                format!(
                    "column '{n}' is of type {t}, which has no text form; add it to the policy's drop \
                     list, or convert it in the file"
                ),
            )),
            None => Ok(()),
        }
    }

    /// Fails naming the first of `wanted` that the input lacks.
    pub fn require(&self, wanted: &[&str], role: &str) -> Result<(), Error> {
        for w in wanted {
            if !self.columns.iter().any(|c| c == w) {
                return Err(input_err(
                    &self.path,
                    format!(
                        "has no column '{w}' (named as {role}); its columns are: {}",
                        self.columns.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    fn text(c: &str) -> Expr {
        col(c).fill_null(lit(""))
    }

    /// The input's `columns` as text (empty for null).
    pub(crate) fn text_columns(&self, columns: &[String]) -> LazyFrame {
        self.lf.clone().select(columns.iter().map(|c| Self::text(c)).collect::<Vec<_>>())
    }

    /// Distinct combinations of `columns` with their row counts (column `__n`, u64).
    pub fn combinations(&self, columns: &[String]) -> Result<DataFrame, Error> {
        let keys: Vec<Expr> = columns.iter().map(|c| col(c.as_str())).collect();
        let lf = self
            .lf
            .clone()
            .select(columns.iter().map(|c| Self::text(c)).collect::<Vec<_>>())
            .group_by(keys)
            .agg([len().cast(DataType::UInt64).alias("__n")]);
        collect(lf).map_err(|e| input_err(&self.path, e.to_string()))
    }

    /// Where `value` first occurs in `column`, as a human line reference.
    pub fn locate(&self, column: &str, value: &str) -> String {
        let lf = self
            .lf
            .clone()
            .with_row_index("__row", None)
            .filter(Self::text(column).eq(lit(value)))
            .select([col("__row").cast(DataType::UInt64)])
            .limit(1);
        let row = collect(lf).ok().and_then(|df| df.column("__row").ok()?.u64().ok()?.get(0));
        match (row, self.format) {
            (Some(r), Format::Csv(_)) => format!("line {}", r + 2),
            (Some(r), Format::Parquet) => format!("row {}", r + 1),
            (None, _) => "the input".to_string(),
        }
    }

    /// The input with `keep` columns as text, for [`write_both`] with a per-batch transform.
    pub fn kept(&self, keep: &[String]) -> LazyFrame {
        self.lf.clone().select(keep.iter().map(|c| Self::text(c)).collect::<Vec<_>>())
    }
}

/// Each quasi-identifier value's code (its index among the sorted values) by hashing, for
/// per-row lookups while a release is written: a binary search over millions of values (a
/// postcode) costs a cache miss per step and made writing 10M rows 5x slower.
#[derive(Debug, Clone, Default)]
pub struct ValueCodes {
    /// Per quasi-identifier: the 64-bit hash of a value to its code, or `u32::MAX` when values
    /// share a hash (those are looked up by binary search).
    maps: Vec<rustc_hash::FxHashMap<u64, u32>>,
}

impl ValueCodes {
    /// Indexes the values of every generalisation.
    pub fn new(gens: &[Generalisation]) -> ValueCodes {
        let maps = gens
            .iter()
            .map(|g| {
                let mut m: rustc_hash::FxHashMap<u64, u32> = Default::default();
                m.reserve(g.values().len());
                for (i, v) in g.values().iter().enumerate() {
                    m.entry(hash_value(v)).and_modify(|c| *c = u32::MAX).or_insert(i as u32);
                }
                m
            })
            .collect();
        ValueCodes { maps }
    }

    /// The code of `v` in `g` (the `j`-th generalisation), if it is one of its values.
    pub fn code(&self, j: usize, g: &Generalisation, v: &str) -> Option<u32> {
        match self.maps.get(j).and_then(|m| m.get(&hash_value(v))) {
            Some(&c) if c != u32::MAX => (g.values().get(c as usize) == Some(v)).then_some(c),
            Some(_) => g.values().binary_search(v).ok().map(|c| c as u32),
            None => None,
        }
    }
}

fn hash_value(v: &str) -> u64 {
    use std::hash::BuildHasher as _;
    rustc_hash::FxBuildHasher.hash_one(v)
}

/// Per quasi-identifier of `gens`, the code of each row's value in `df` (null read as ""); a
/// value the release did not count is an error.
fn value_codes(gens: &[Generalisation], index: &ValueCodes, df: &DataFrame) -> PolarsResult<Vec<Vec<u32>>> {
    gens.iter()
        .enumerate()
        .map(|(j, g)| {
            df.column(g.column.as_str())?
                .str()?
                .iter()
                .map(|v| {
                    let v = v.unwrap_or("");
                    index.code(j, g, v).ok_or_else(|| {
                        PolarsError::ComputeError(
                            format!(
                                "column '{}': value {v:?} was not counted when the release was made",
                                g.column
                            )
                            .into(),
                        )
                    })
                })
                .collect()
        })
        .collect()
}

/// A release decision to apply to batches of rows: one level per column, or per combination.
#[derive(Debug, Clone)]
pub enum Release {
    /// Global (full-domain) recoding.
    Global(GlobalRelease),
    /// Local recoding.
    Local(LocalRelease),
}

impl Release {
    /// Replaces the quasi-identifier columns of `df` (text) by their released labels.
    pub fn apply(&self, gens: &[Generalisation], index: &ValueCodes, df: &mut DataFrame) -> PolarsResult<()> {
        match self {
            Release::Global(r) => r.apply(gens, index, df),
            Release::Local(r) => r.apply(gens, index, df),
        }
    }
}

/// A local release, ready to apply to batches of rows ([`LocalRelease::apply`]): each
/// quasi-identifier value's code (the search's codes: its index among the sorted values), the
/// codes packed into a u64 key per combination (folded through dense ids when they do not fit
/// in one word), and per combination the level of each column.
///
/// Applied in Rust per batch rather than as polars expressions: a polars `replace_strict` with
/// a map per combination runs a join per batch, which took 3.6x as long and more memory.
#[derive(Debug, Clone, Default)]
pub struct LocalRelease {
    /// Key words: per word, the quasi-identifiers it packs and their multipliers. The first
    /// word's cardinality product stays below 2^64, the others' below 2^32.
    pub words: Vec<Vec<(usize, u64)>>,
    /// Per word, the product of its cardinalities.
    pub word_cards: Vec<u64>,
    /// Per word after the first: the dense id (< 2^32) of each key so far; the next key is
    /// `id * word_cards[w] + word`.
    pub folds: Vec<rustc_hash::FxHashMap<u64, u64>>,
    /// The combination (index into `levels`) of each final key.
    pub index: rustc_hash::FxHashMap<u64, u32>,
    /// Per quasi-identifier, the level of each combination (`u8::MAX` when suppressed).
    pub levels: Vec<Vec<u8>>,
}

impl LocalRelease {
    /// Calls `f` once per combination the release holds, with its quasi-identifier value codes
    /// (decoded from its key) and its index into `levels`, in no particular order: what an
    /// engine that writes the release elsewhere needs to map each combination to its labels.
    pub fn for_each_combination<E>(
        &self,
        gens: &[Generalisation],
        mut f: impl FnMut(&[u32], usize) -> Result<(), E>,
        internal: impl Fn(String) -> E,
    ) -> Result<(), E> {
        // Per word, (column, multiplier, cardinality): a word is a mixed-radix number.
        let radix: Vec<Vec<(usize, u64, u64)>> = self
            .words
            .iter()
            .map(|w| {
                w.iter()
                    .map(|&(j, mult)| (j, mult, gens.get(j).map_or(1, |g| g.values().len().max(1) as u64)))
                    .collect()
            })
            .collect();
        // Each fold's ids are dense (0..len): id -> the key before it.
        let mut reverse: Vec<Vec<u64>> = Vec::with_capacity(self.folds.len());
        for fold in &self.folds {
            let mut r = vec![u64::MAX; fold.len()];
            for (&key, &id) in fold {
                match r.get_mut(id as usize) {
                    Some(slot) => *slot = key,
                    None => return Err(internal(format!("fold id {id} beyond its {} keys", fold.len()))),
                }
            }
            reverse.push(r);
        }
        let mut codes = vec![0u32; gens.len()];
        for (&final_key, &combo) in &self.index {
            let mut key = final_key;
            for w in (0..self.words.len()).rev() {
                let word = if w == 0 {
                    key
                } else {
                    let card = self.word_cards[w];
                    let (id, word) = (key / card, key % card);
                    key = reverse[w - 1]
                        .get(id as usize)
                        .copied()
                        .filter(|&k| k != u64::MAX)
                        .ok_or_else(|| internal(format!("key {final_key} names no combination")))?;
                    word
                };
                for &(j, mult, card) in &radix[w] {
                    let code = (word / mult) % card;
                    match codes.get_mut(j) {
                        Some(c) => *c = code as u32,
                        None => {
                            return Err(internal(format!("column {j} beyond the {} columns", gens.len())));
                        }
                    }
                }
            }
            f(&codes, combo as usize)?;
        }
        Ok(())
    }

    /// Replaces the quasi-identifier columns of `df` (text) by their released labels.
    pub fn apply(&self, gens: &[Generalisation], index: &ValueCodes, df: &mut DataFrame) -> PolarsResult<()> {
        let n = df.height();
        let codes = value_codes(gens, index, df)?;
        let word = |w: usize, r: usize| -> u64 {
            self.words[w].iter().map(|&(j, mult)| codes[j][r] as u64 * mult).sum()
        };
        let not_counted = || {
            PolarsError::ComputeError("a row's combination was not counted when the release was made".into())
        };
        let mut combo = Vec::with_capacity(n);
        for r in 0..n {
            let mut key = word(0, r);
            for (w, fold) in self.folds.iter().enumerate() {
                // A key missing from a fold is an error at once (no sentinel key that could
                // name a real combination).
                let id = fold.get(&key).copied().ok_or_else(not_counted)?;
                key = id * self.word_cards[w + 1] + word(w + 1, r);
            }
            let x = self.index.get(&key).copied().ok_or_else(not_counted)?;
            combo.push(x as usize);
        }
        for (j, g) in gens.iter().enumerate() {
            let labels: StringChunked = (0..n)
                .map(|r| {
                    let level = self.levels[j][combo[r]];
                    if level == u8::MAX {
                        Some("*")
                    } else {
                        let l = level as usize;
                        Some(&g.labels[l][g.codes[l][codes[j][r] as usize] as usize])
                    }
                })
                .collect();
            df.with_column(labels.with_name(g.column.as_str().into()).into_column())?;
        }
        Ok(())
    }
}

/// A global release, applied to batches of rows in Rust ([`GlobalRelease::apply`]): every
/// quasi-identifier value becomes its label at the node's level, and the rows of a suppressed
/// class get `*` in every quasi-identifier.
///
/// Not polars expressions: `replace_strict` with a map of every distinct value (millions for a
/// postcode) and a string key per row to test suppression held 2.3 GB more at 10M rows.
#[derive(Debug, Clone, Default)]
pub struct GlobalRelease {
    /// The node: per quasi-identifier, its level.
    pub node: Vec<u8>,
    /// Label codes (per quasi-identifier, at the node's level) of the suppressed classes.
    pub suppressed: rustc_hash::FxHashSet<Vec<u32>>,
    /// `Some(rows)`: the suppressed classes are not in `suppressed` but those the engine staged
    /// for the node (a search on the rows: [`crate::engine::Engine::node_figures`]), holding
    /// `rows` rows; the engine refuses to write unless it suppresses exactly those.
    pub staged: Option<u64>,
}

impl GlobalRelease {
    /// Replaces the quasi-identifier columns of `df` (text) by their released labels.
    pub fn apply(&self, gens: &[Generalisation], index: &ValueCodes, df: &mut DataFrame) -> PolarsResult<()> {
        let n = df.height();
        let mut labels = value_codes(gens, index, df)?;
        for (j, g) in gens.iter().enumerate() {
            let to_label = &g.codes[self.node[j] as usize];
            labels[j].iter_mut().for_each(|c| *c = to_label[*c as usize]);
        }
        let mut tuple = vec![0u32; gens.len()];
        let withheld: Vec<bool> = (0..n)
            .map(|r| {
                if self.suppressed.is_empty() {
                    return false;
                }
                for (t, c) in tuple.iter_mut().zip(&labels) {
                    *t = c[r];
                }
                self.suppressed.contains(&tuple)
            })
            .collect();
        for (j, g) in gens.iter().enumerate() {
            let level = self.node[j] as usize;
            let column: StringChunked = (0..n)
                .map(|r| Some(if withheld[r] { "*" } else { &g.labels[level][labels[j][r] as usize] }))
                .collect();
            df.with_column(column.with_name(g.column.as_str().into()).into_column())?;
        }
        Ok(())
    }
}

/// Counts of the released microdata (the Parquet file written) by `group_by` (column `__n`,
/// u64): tables are counts of the microdata as released, so they never show a row at a finer
/// value than the microdata does.
pub fn released_counts(microdata: &Path, group_by: &[String]) -> Result<DataFrame, Error> {
    let err = |e: PolarsError| Error::Output { path: microdata.to_path_buf(), message: e.to_string() };
    let text = microdata.to_str().ok_or_else(|| Error::Output {
        path: microdata.to_path_buf(),
        message: "the path is not valid UTF-8".into(),
    })?;
    let lf = LazyFrame::scan_parquet(PlRefPath::new(text), ScanArgsParquet::default())
        .map_err(err)?
        .select(group_by.iter().map(|c| col(c.as_str())).collect::<Vec<_>>())
        .group_by(group_by.iter().map(|c| col(c.as_str())).collect::<Vec<_>>())
        .agg([len().cast(DataType::UInt64).alias("__n")]);
    collect(lf).map_err(err)
}

/// Runs a query on the streaming engine.
pub fn collect(lf: LazyFrame) -> PolarsResult<DataFrame> {
    // One query, one sink: the result is always a single frame.
    lf.collect_with_engine(Engine::Streaming).map(|r| r.unwrap_single())
}

/// Streams `lf` into a CSV file and a Parquet file at once; returns the rows written.
pub fn write_both(lf: LazyFrame, csv_path: &Path, parquet_path: &Path) -> Result<u64, Error> {
    write_both_with(lf, csv_path, parquet_path, |_| Ok(()))
}

/// [`write_both`], each batch changed by `transform` before it is written (same schema).
pub fn write_both_with(
    lf: LazyFrame,
    csv_path: &Path,
    parquet_path: &Path,
    transform: impl Fn(&mut DataFrame) -> PolarsResult<()> + Send + Sync + 'static,
) -> Result<u64, Error> {
    let out_err = |p: &Path, e: String| Error::Output { path: p.to_path_buf(), message: e };
    let mut lf = lf;
    let schema = lf.collect_schema().map_err(|e| out_err(csv_path, e.to_string()))?;
    let csv_file = File::create(csv_path).map_err(|e| Error::io(csv_path, e))?;
    let pq_file = File::create(parquet_path).map_err(|e| Error::io(parquet_path, e))?;
    let csv = CsvWriter::new(std::io::BufWriter::with_capacity(1 << 20, csv_file))
        .include_header(true)
        .batched(&schema)
        .map_err(|e| out_err(csv_path, e.to_string()))?;
    let pq = ParquetWriter::new(pq_file)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::full())
        .batched(&schema)
        .map_err(|e| out_err(parquet_path, e.to_string()))?;
    struct Sinks<W: std::io::Write> {
        csv: polars::io::csv::write::BatchedWriter<W>,
        pq: polars::io::parquet::write::BatchedWriter<File>,
        rows: u64,
    }
    let sinks = Arc::new(Mutex::new(Sinks { csv, pq, rows: 0 }));
    let s2 = Arc::clone(&sinks);
    let callback = PlanCallback::new(move |mut df: DataFrame| -> PolarsResult<bool> {
        // sink_batches hands over frames stacked from morsels and split at the batch size, so
        // their columns can be cut into chunks at different rows; the more threads, the smaller
        // and more numerous the morsels. polars' Parquet writer needs every column in the same
        // chunks (it panics building a RecordBatch otherwise) and writes one row group per chunk.
        // One chunk per batch: no panic, and row groups of exactly the batch size, so the bytes
        // do not depend on the number of threads.
        df.rechunk_mut_par();
        transform(&mut df)?;
        let mut s = s2.lock().map_err(|_| PolarsError::ComputeError("writer lock poisoned".into()))?;
        s.csv.write_batch(&df)?;
        s.pq.write_batch(&df)?;
        s.rows += df.height() as u64;
        Ok(false)
    });
    let lf = lf
        .sink_batches(callback, true, NonZeroUsize::new(50_000))
        .map_err(|e| out_err(csv_path, e.to_string()))?;
    lf.collect_with_engine(Engine::Streaming).map_err(|e| out_err(csv_path, e.to_string()))?;
    let mut s = sinks.lock().map_err(|_| out_err(csv_path, "writer lock poisoned".into()))?;
    s.csv.finish().map_err(|e| out_err(csv_path, e.to_string()))?;
    s.pq.finish().map_err(|e| out_err(parquet_path, e.to_string()))?;
    Ok(s.rows)
}

/// Picks `,`, `;` or tab from the header line (the one that occurs most, `,` on a tie).
fn sniff_separator(path: &Path) -> Result<u8, Error> {
    let mut first = String::new();
    BufReader::new(File::open(path).map_err(|e| Error::io(path, e))?)
        .read_line(&mut first)
        .map_err(|e| input_err(path, format!("line 1: {e}")))?;
    let count = |b: u8| first.bytes().filter(|&c| c == b).count();
    let best = [b',', b';', b'\t'].into_iter().max_by_key(|&b| (count(b), b == b',')).unwrap_or(b',');
    Ok(if count(best) == 0 { b',' } else { best })
}

/// Reads the whole CSV once with the csv crate, naming the first malformed line; returns the
/// column names (unescaped).
fn check_csv(path: &Path, sep: u8) -> Result<Vec<String>, Error> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sep)
        .has_headers(true)
        .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let header = reader.byte_headers().map_err(|e| csv_err(path, e))?.clone();
    let mut seen: HashMap<&[u8], usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        if h.is_empty() {
            return Err(input_err(path, format!("line 1: column {} has an empty name", i + 1)));
        }
        if let Some(j) = seen.insert(h, i) {
            return Err(input_err(
                path,
                format!(
                    "line 1: column name '{}' is used twice (columns {} and {})",
                    String::from_utf8_lossy(h),
                    j + 1,
                    i + 1
                ),
            ));
        }
    }
    let mut record = csv::ByteRecord::new();
    let mut rows = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                rows += 1;
                if std::str::from_utf8(record.as_slice()).is_err() {
                    let line = record.position().map(|p| p.line()).unwrap_or(rows + 1);
                    return Err(input_err(path, format!("line {line}: not valid UTF-8")));
                }
            }
            Err(e) => return Err(csv_err(path, e)),
        }
    }
    if rows == 0 {
        return Err(input_err(path, "has a header line but no rows"));
    }
    header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            String::from_utf8(h.to_vec()).map_err(|_| {
                input_err(path, format!("line 1: the name of column {} is not valid UTF-8", i + 1))
            })
        })
        .collect()
}

fn csv_err(path: &Path, e: csv::Error) -> Error {
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths { pos, expected_len, len } => format!(
            "line {}: expected {expected_len} fields (as in the header), found {len}",
            pos.as_ref().map(|p| p.line()).unwrap_or(0)
        ),
        csv::ErrorKind::Utf8 { pos, .. } => {
            format!("line {}: not valid UTF-8", pos.as_ref().map(|p| p.line()).unwrap_or(0))
        }
        _ => e.to_string(),
    };
    input_err(path, message)
}

/// Writes synthetic patients `rows` (record indices, e.g. `0..n`) for `seed` to `out` (CSV, or
/// Parquet by extension) as a [`tlog::AtomicFile`]: the whole file or none, durably; memory does
/// not grow with the rows. Files of consecutive ranges hold, together, the rows of their union
/// (parts of one data set for the distributed engine). An existing `out` is replaced only if
/// `replace` (checked atomically as the file is put in place).
pub fn write_patients(out: &Path, rows: std::ops::Range<u64>, seed: u64, replace: bool) -> Result<(), Error> {
    let ext = out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let parquet = match ext.as_deref() {
        Some("csv") => false,
        Some("parquet") => true,
        _ => {
            return Err(Error::Output { path: out.into(), message: "must end in .csv or .parquet".into() });
        }
    };
    let mut file = tlog::AtomicFile::create(out, None).map_err(|e| Error::io(out, e))?;
    if parquet {
        write_patients_parquet(out, &mut file, rows, seed)?;
    } else {
        crate::synth::write_patients_csv(&mut file, rows, seed).map_err(|e| Error::io(out, e))?;
    }
    if !file.commit(replace).map_err(|e| Error::io(out, e))? {
        return Err(Error::Output {
            path: out.into(),
            message: "already exists; give --force to replace it".into(),
        });
    }
    Ok(())
}

fn write_patients_parquet<W: std::io::Write>(
    path: &Path,
    file: W,
    range: std::ops::Range<u64>,
    seed: u64,
) -> Result<(), Error> {
    let (first, rows) = (range.start, range.end.saturating_sub(range.start));
    let err = |e: PolarsError| Error::Output { path: path.into(), message: e.to_string() };
    let generator = crate::synth::PatientGenerator::new(seed);
    let mut writer: Option<polars::io::parquet::write::BatchedWriter<W>> = None;
    let mut file = Some(file);
    const BATCH: u64 = 200_000;
    let mut start = 0u64;
    while start < rows || (rows == 0 && writer.is_none()) {
        let len = BATCH.min(rows - start) as usize;
        let c = generator.columns(first + start, len);
        let df = DataFrame::new(
            len,
            vec![
                Column::new("nhs_number".into(), c.nhs_number),
                Column::new("name".into(), c.name),
                Column::new("date_of_birth".into(), c.date_of_birth),
                Column::new("age".into(), c.age),
                Column::new("sex".into(), c.sex),
                Column::new("ethnicity".into(), c.ethnicity),
                Column::new("postcode".into(), c.postcode),
                Column::new("region".into(), c.region),
                Column::new("admission_date".into(), c.admission_date),
                Column::new("diagnosis".into(), c.diagnosis),
                Column::new("length_of_stay".into(), c.length_of_stay),
            ],
        )
        .map_err(err)?;
        if writer.is_none() {
            let f = file.take().ok_or_else(|| Error::Polars("parquet writer already made".into()))?;
            writer = Some(
                ParquetWriter::new(f)
                    .with_compression(ParquetCompression::Zstd(None))
                    .batched(df.schema())
                    .map_err(err)?,
            );
        }
        if let Some(w) = writer.as_mut() {
            w.write_batch(&df).map_err(err)?;
        }
        start += len as u64;
        if rows == 0 {
            break;
        }
    }
    if let Some(w) = writer {
        w.finish().map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a Parquet column of UInt8 or UInt16 (an age, a count) failed to read
    /// ("cannot create series from UInt8") because polars was built without those types.
    #[test]
    fn parquet_small_unsigned_integers_read_as_their_digits() {
        let dir = std::env::temp_dir().join(format!("ledgerless-small-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("small.parquet");
        let mut df = df!(
            "age" => [Some(0u8), Some(255), None, Some(7)],
            "stay" => [Some(0u16), Some(65_535), Some(12), None],
            "i" => [Some(-128i8), Some(127), None, Some(0)],
        )
        .expect("frame");
        ParquetWriter::new(std::fs::File::create(&path).expect("create")).finish(&mut df).expect("write");
        let input = Input::open(&path).expect("open");
        let text = |c: &str| -> Vec<String> {
            let df = input.combinations(&[c.to_string()]).expect("read");
            let mut v: Vec<String> = df
                .column(c)
                .expect("column")
                .str()
                .expect("text")
                .iter()
                .map(|s| s.unwrap_or("").into())
                .collect();
            v.sort();
            v
        };
        assert_eq!(text("age"), ["", "0", "255", "7"]);
        assert_eq!(text("stay"), ["", "0", "12", "65535"]);
        assert_eq!(text("i"), ["", "-128", "0", "127"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Parquet parts of consecutive ranges hold the rows of the whole range, in order (how the
    /// distributed benchmark makes parts equal to one file).
    #[test]
    fn patients_parquet_parts_are_slices_of_the_whole() {
        let dir = std::env::temp_dir().join(format!("ledgerless-parts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let read = |name: &str, range: std::ops::Range<u64>| -> DataFrame {
            let path = dir.join(name);
            write_patients(&path, range, 3, false).expect("write");
            ParquetReader::new(std::fs::File::open(&path).expect("open")).finish().expect("read")
        };
        let whole = read("whole.parquet", 0..450_000);
        let a = read("a.parquet", 0..200_001);
        let b = read("b.parquet", 200_001..450_000);
        assert_eq!((a.height(), b.height()), (200_001, 249_999));
        assert!(whole.slice(0, 200_001).equals_missing(&a), "first part differs");
        assert!(whole.slice(200_001, 249_999).equals_missing(&b), "second part differs");
        assert!(!whole.slice(0, 249_999).equals_missing(&b), "the parts must not start at the same row");
        assert_eq!(read("none.parquet", 9..9).height(), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Regression: `synth patients` replaced an existing file without `--force` when it
    /// appeared after the flag check; the no-clobber commit now refuses it.
    #[test]
    fn patients_never_replace_a_file_unless_asked() {
        let dir = std::env::temp_dir().join(format!("ledgerless-patients-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let out = dir.join("p.csv");
        std::fs::write(&out, "mine\n").expect("write");
        let e = write_patients(&out, 0..5, 1, false).expect_err("must refuse");
        assert!(e.to_string().contains("already exists"), "{e}");
        assert_eq!(std::fs::read_to_string(&out).expect("read"), "mine\n");
        write_patients(&out, 0..5, 1, true).expect("replace when asked");
        assert!(std::fs::read_to_string(&out).expect("read").lines().count() == 6);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Every value is found by its hash; a value not among them is not, even when its hash is
    /// one of theirs; values that share a hash are found by binary search.
    #[test]
    fn value_codes_find_every_value_and_nothing_else() {
        use crate::policy::HierarchySpec;
        let values: Vec<String> = (0..50_000).map(|i| format!("LS{} {}AB", i % 97, i)).collect();
        let g = Generalisation::build("p", &HierarchySpec::Suppress, &values).expect("build");
        let gens = [g];
        let index = ValueCodes::new(&gens);
        for (i, v) in gens[0].values().iter().enumerate() {
            assert_eq!(index.code(0, &gens[0], v), Some(i as u32));
        }
        assert_eq!(index.code(0, &gens[0], "nope"), None);
        // A forged entry: another value's hash pointing at code 7 must not be taken on trust.
        let mut forged = index.clone();
        forged.maps[0].insert(hash_value("nope"), 7);
        assert_eq!(forged.code(0, &gens[0], "nope"), None);
        // A shared hash (marked u32::MAX) falls back to binary search, both ways.
        let v = gens[0].values()[123].to_string();
        forged.maps[0].insert(hash_value(&v), u32::MAX);
        assert_eq!(forged.code(0, &gens[0], &v), Some(123));
        forged.maps[0].insert(hash_value("nope"), u32::MAX);
        assert_eq!(forged.code(0, &gens[0], "nope"), None);
    }

    /// A global release puts each value at the node's level, `*` in every quasi-identifier of a
    /// suppressed class's rows, reads a null as the empty value, and refuses a value it never
    /// counted.
    #[test]
    fn a_global_release_generalises_and_suppresses_by_class() {
        use crate::policy::HierarchySpec;
        let age = Generalisation::build(
            "age",
            &HierarchySpec::Interval { widths: vec![10], range: None },
            &["31".into(), "35".into(), "47".into(), "".into()],
        );
        // The empty value is not a whole number: an age hierarchy refuses it.
        assert!(age.is_err());
        let age = Generalisation::build(
            "age",
            &HierarchySpec::Interval { widths: vec![10], range: None },
            &["31".into(), "35".into(), "47".into()],
        )
        .expect("age");
        let sex =
            Generalisation::build("sex", &HierarchySpec::Suppress, &["F".into(), "M".into(), "".into()])
                .expect("sex");
        let gens = [age, sex];
        // Suppressed: the class (40-49, "") at node [1, 0].
        let label = |j: usize, l: usize, text: &str| {
            gens[j].labels[l].iter().position(|x| x == text).expect("label") as u32
        };
        let release = GlobalRelease {
            node: vec![1, 0],
            suppressed: [vec![label(0, 1, "40-49"), label(1, 0, "")]].into_iter().collect(),
            staged: None,
        };
        let mut df = df!(
            "age" => ["31", "47", "35", "47"],
            "sex" => [Some("F"), None, Some("M"), Some("M")],
            "other" => ["a", "b", "c", "d"]
        )
        .expect("a frame");
        release.apply(&gens, &ValueCodes::new(&gens), &mut df).expect("apply");
        let text = |c: &str| -> Vec<Option<String>> {
            df.column(c).expect("column").str().expect("text").iter().map(|v| v.map(str::to_string)).collect()
        };
        let some = |v: &[&str]| v.iter().map(|s| Some(s.to_string())).collect::<Vec<_>>();
        assert_eq!(text("age"), some(&["30-39", "*", "30-39", "40-49"]));
        assert_eq!(text("sex"), some(&["F", "*", "M", "M"]));
        assert_eq!(text("other"), some(&["a", "b", "c", "d"]));
        let mut unknown = df!("age" => ["99"], "sex" => ["F"]).expect("a frame");
        let e =
            release.apply(&gens, &ValueCodes::new(&gens), &mut unknown).expect_err("99 was never counted");
        assert!(e.to_string().contains("value \"99\" was not counted"), "{e}");
    }

    /// Regression: a key missing from a fold used to become `u64::MAX`, which a final index
    /// holding that key would have mapped to a real combination's labels. Now it is an error.
    #[test]
    fn a_key_missing_from_a_fold_is_an_error_not_a_sentinel() {
        let generalisation = |column: &str| Generalisation {
            column: column.to_owned(),
            description: String::new(),
            codes: vec![vec![0]],
            labels: vec![["a"].iter().collect()],
            leaves: vec![vec![1]],
            domain: 1,
            spec: None,
        };
        let gens = [generalisation("q0"), generalisation("q1")];
        let release = LocalRelease {
            words: vec![vec![(0, 1)], vec![(1, 1)]],
            word_cards: vec![1, 1],
            folds: vec![rustc_hash::FxHashMap::default()],
            index: [(u64::MAX, 0)].into_iter().collect(),
            levels: vec![vec![0], vec![0]],
        };
        let mut df = df!("q0" => ["a"], "q1" => ["a"]).expect("a frame");
        let e = release
            .apply(&gens, &ValueCodes::new(&gens), &mut df)
            .expect_err("the row's key was never counted");
        assert!(e.to_string().contains("was not counted"), "{e}");
    }
}
