//! `anonymise --engine df://HOST:PORT`: the heavy steps on a Ballista cluster (docs/design/0016).
//!
//! - **Counting**: one job groups the input's rows by the quasi-identifiers and sensitive
//!   columns (as text, null as ""); the client streams the combinations back and interns them
//!   into [`Combinations`], so the search runs here on exactly what the local engine counts.
//! - **Writing**: the client writes each quasi-identifier's map to its label at the node (keyed by
//!   value, or, for UK postcodes and dates above their values, by the label the job computes from
//!   the value: [`label_sql`]) and the suppressed label tuples (a local recoding: one map of every
//!   combination) as Parquet files in the staging directory; one job per input file (a local
//!   recoding: per group of files, one group per executor) joins them and writes
//!   `microdata/part-NNNNN.parquet`, and one more per part writes it as CSV, which the client joins
//!   into `microdata.csv` (the file `publish` recounts).
//! - **Tables** are counted on the cluster from the Parquet parts written.
//!
//! Every job is watched ([`crate::watch`]): an executor lost mid-run cancels the jobs and fails
//! the run, and [`analytics::anonymise`] removes the staging directory, so no RELEASEDIR and no
//! part file is left.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use analytics::Error;
use analytics::counts::Combinations;
use analytics::data::{LocalRelease, Release};
use analytics::engine::{Engine, NodeFigures, Written};
use analytics::hierarchy::Generalisation;
use analytics::intern::{InternError, Interner};
use analytics::labels::Labels;
use analytics::policy::Diversity;
use analytics::search::{Criteria, NodeTotals};
use ballista::prelude::{SessionConfigExt, SessionContextExt};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, RecordBatch, StringArray, UInt32Array, UInt64Array,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::execution::SessionStateBuilder;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;
use rayon::prelude::*;

use crate::parse::{parse_engine_url, skip_header};
use crate::watch::{Watch, WatchError};

/// Folder of the Parquet parts in a release.
pub const PARTS: &str = "microdata";
/// Staging folder (inside the release's staging directory) for maps and CSV parts.
const SCRATCH: &str = ".engine";
/// The failing classes a search on the rows stages for the write ([`Engine::node_figures`]).
const STAGED: &str = "failing-classes.parquet";
/// Folder under [`SCRATCH`] of the encoded rows and their maps ([`ClusterEngine::encode`]).
const ENCODED: &str = "encoded";
/// Folder under [`SCRATCH`] of the checks' maps ([`ClusterEngine::node_keys`]), made as a search
/// on the rows begins its checks.
const CHECKS: &str = "checks";
/// Prefix of the engine's own column names in its queries; input columns may not use it.
const RESERVED: &str = "__ll_";
/// How often a running job's executors are checked.
const WATCH_EVERY: Duration = Duration::from_millis(500);

/// The most partitions a job is split into, whatever cores the executors claim.
const MAX_PARTITIONS: u64 = 1024;

/// A Ballista cluster reading a set of Parquet files.
pub struct ClusterEngine {
    url: String,
    input: PathBuf,
    files: Vec<InputFile>,
    columns: Vec<String>,
    schema: SchemaRef,
    rt: tokio::runtime::Runtime,
    ctx: SessionContext,
    watch: Watch,
    /// This run's job name at the scheduler (how its jobs are found to cancel them).
    job_name: String,
    /// Date and timestamp columns this machine reads otherwise than the cluster (by
    /// [`time_difference`]), with the first file that shows it: refused if counted or released.
    time_differences: Vec<(String, PathBuf, String)>,
    /// The search's checks run on the cluster ([`ClusterEngine::with_checks_on_rows`]).
    on_rows: bool,
    /// Set once the rows are encoded and registered as `enc` ([`ClusterEngine::encode`]), to
    /// what they were encoded for.
    encoded: std::sync::OnceLock<EncodedFor>,
}

impl std::fmt::Debug for ClusterEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterEngine")
            .field("url", &self.url)
            .field("files", &self.files.len())
            .finish_non_exhaustive()
    }
}

/// An input file and what it looked like when the run started.
#[derive(Debug, Clone, PartialEq, Eq)]
struct InputFile {
    path: PathBuf,
    size: u64,
    modified: Option<SystemTime>,
}

impl InputFile {
    fn stat(path: &Path) -> Result<InputFile, Error> {
        let m = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        Ok(InputFile { path: path.to_path_buf(), size: m.len(), modified: m.modified().ok() })
    }
}

/// The Parquet files of `input`: a file, a folder (its `*.parquet` files), or a glob pattern;
/// sorted, so parts are numbered the same on every run.
pub fn input_files(input: &Path) -> Result<Vec<PathBuf>, Error> {
    let err = |m: String| Error::Input { path: input.to_path_buf(), message: m };
    let text = input.to_str().ok_or_else(|| err("the path is not valid UTF-8".into()))?;
    let mut files: Vec<PathBuf> = if input.is_dir() {
        std::fs::read_dir(input)
            .map_err(|e| Error::io(input, e))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("parquet")) && p.is_file())
            .collect()
    } else if input.is_file() {
        vec![input.to_path_buf()]
    } else if text.contains(['*', '?', '[']) {
        glob::glob(text)
            .map_err(|e| err(format!("is not a valid pattern: {e}")))?
            .filter_map(Result::ok)
            .filter(|p| p.is_file())
            .collect()
    } else {
        return Err(err(
            "does not exist (give a Parquet file, a folder of them, or a pattern such as 'parts/*.parquet')"
                .into(),
        ));
    };
    files.sort();
    if files.is_empty() {
        return Err(err("names no Parquet files".into()));
    }
    if let Some(bad) =
        files.iter().find(|p| !p.extension().is_some_and(|x| x.eq_ignore_ascii_case("parquet")))
    {
        return Err(err(format!(
            "{} is not a .parquet file: the distributed engine reads Parquet only",
            bad.display()
        )));
    }
    files.into_iter().map(|p| std::path::absolute(&p).map_err(|e| Error::io(&p, e))).collect()
}

/// A SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Column `expr` of type `t` as the text the local engine reads (polars `cast(String)`), null as
/// ""; `None` for a type whose text could differ between the engines. Shown value by value (edge
/// values included) by the tests `accepted_types_read_as_the_same_text_on_both_engines` and
/// `floats_read_as_the_same_text_on_both_engines`: text (also dictionary-encoded), integers,
/// booleans, `Date32` dates and decimals of up to 38 digits as `CAST(… AS VARCHAR)`; floats
/// with a positive exponent's sign added (`1e+20`, as polars writes it; the cast gives `1e20`);
/// `Date64` and timestamps through `to_char`, with the fraction's digits polars gives the unit
/// it reads (3 for seconds and milliseconds, 6, 9; the cast writes a `T` and trims the
/// fraction), and a zoned one's offset (`zoned_timestamps_read_as_the_same_text_on_both_engines`;
/// DataFusion converts a zoned value to nanoseconds first, so one outside 1677–2262 fails the
/// job: [`TIMESTAMP_RANGE_HINT`]). Refused: everything not tried (wider decimals, times,
/// durations, binary, nested types).
fn text(expr: &str, t: &DataType) -> Option<String> {
    let cast = || Some(format!("COALESCE(CAST({expr} AS VARCHAR), '')"));
    match t {
        DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Boolean
        | DataType::Date32 => cast(),
        DataType::Dictionary(key, value)
            if key.is_integer()
                && matches!(**value, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) =>
        {
            cast()
        }
        DataType::Decimal128(_, _) => cast(),
        // Both write the shortest text that reads back as the same float, but polars gives a
        // positive exponent its sign (`1e+20`) and Arrow's cast does not (`1e20`).
        DataType::Float32 | DataType::Float64 => {
            Some(format!("COALESCE(replace(replace(CAST({expr} AS VARCHAR), 'e', 'e+'), 'e+-', 'e-'), '')"))
        }
        // polars reads `Date64` as milliseconds.
        DataType::Date64 => Some(format!("COALESCE(to_char({expr}, '%Y-%m-%d %H:%M:%S%.3f'), '')")),
        DataType::Timestamp(unit, zone) => {
            let digits = fraction_digits(unit);
            // A zoned instant as its wall time in the zone, with the offset (`+01:00`).
            let z = if zone.is_some() { "%:z" } else { "" };
            Some(format!("COALESCE(to_char({expr}, '%Y-%m-%d %H:%M:%S%.{digits}f{z}'), '')"))
        }
        _ => None,
    }
}

/// Digits of the second's fraction polars writes for a timestamp of `unit` (it reads seconds
/// as milliseconds).
fn fraction_digits(unit: &datafusion::arrow::datatypes::TimeUnit) -> u8 {
    use datafusion::arrow::datatypes::TimeUnit;
    match unit {
        TimeUnit::Second | TimeUnit::Millisecond => 3,
        TimeUnit::Microsecond => 6,
        TimeUnit::Nanosecond => 9,
    }
}

/// Zones both engines write as `+00:00` (`zoned_timestamps_read_as_the_same_text_on_both_engines`).
const UTC_ZONES: [&str; 3] = ["UTC", "+00:00", "Etc/UTC"];

/// Why a date-as-milliseconds or timestamp column that the cluster reads as `t` would read as
/// different text on this machine, where polars reads it as `local` (the digits of its
/// fraction and its zone, from [`analytics::data::parquet_time_columns`]; `None` if not a
/// timestamp there): the two readers can disagree about one Parquet file (a timestamp with only
/// the legacy `TIMESTAMP_MICROS` annotation is UTC to Arrow and zone-free to polars). `None` if
/// they read it alike, or if neither reads it as a date or timestamp.
fn time_difference(t: &DataType, local: Option<(u8, Option<&str>)>) -> Option<String> {
    let (digits, zone) = match t {
        DataType::Date64 => (3, None),
        DataType::Timestamp(unit, zone) => (fraction_digits(unit), zone.as_deref()),
        _ => return local.map(|_| format!("as a date or timestamp, not as {t}")),
    };
    let Some((local_digits, local_zone)) = local else {
        return Some(format!("as another type, not as {t}"));
    };
    let same_zone = match (zone, local_zone) {
        (None, None) => true,
        (Some(a), Some(b)) => a == b || (UTC_ZONES.contains(&a) && UTC_ZONES.contains(&b)),
        _ => false,
    };
    let show = |z: Option<&str>| z.map_or("without a time zone".to_string(), |z| format!("in zone {z}"));
    (digits != local_digits || !same_zone).then(|| {
        format!(
            "with {local_digits} digits of a second {}, not with {digits} {}",
            show(local_zone),
            show(zone)
        )
    })
}

/// The date and timestamp columns of Parquet file `path` (read by the cluster as `schema`) that
/// this machine reads otherwise ([`time_difference`]), with why.
///
/// Also flagged: a column this machine reads as a date or timestamp and the cluster does not
/// (an embedded Arrow schema Arrow overrules), and a legacy `INT96` timestamp, which Arrow
/// wraps and polars caps outside the nanosecond range (1677–2262), so a placeholder such as
/// 0001-01-01 would become two different texts.
fn time_differences(schema: &Schema, path: &Path) -> Result<Vec<(String, String)>, Error> {
    use datafusion::parquet::basic::Type as Physical;
    use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};
    let local = analytics::data::parquet_time_columns(path)?;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let reader = SerializedFileReader::new(file)
        .map_err(|e| Error::Input { path: path.to_path_buf(), message: e.to_string() })?;
    let int96: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .filter(|c| c.physical_type() == Physical::INT96)
        .filter_map(|c| c.path().parts().first().cloned())
        .collect();
    Ok(schema
        .fields()
        .iter()
        .filter_map(|field| {
            let here = local.iter().find(|(n, _, _)| n == field.name()).map(|(_, d, z)| (*d, z.as_deref()));
            let why = if int96.contains(field.name()) {
                Some(
                    "as a legacy INT96 timestamp, which the two readers turn into different instants \
                      outside 1677-2262,"
                        .to_string(),
                )
            } else {
                time_difference(field.data_type(), here)
            };
            why.map(|why| (field.name().clone(), why))
        })
        .collect())
}

/// Fails naming the first of `columns` among `differences` (column, file, why).
fn refuse_time_differences(
    differences: &[(String, PathBuf, String)],
    columns: &[String],
) -> Result<(), Error> {
    match differences.iter().find(|(c, _, _)| columns.contains(c)) {
        Some((c, path, why)) => Err(Error::Input {
            path: path.clone(),
            message: format!(
                "column '{c}' is read here {why} (on the cluster), so the two engines would \
                 write it as different text (Parquet readers differ on a timestamp with only the \
                 legacy TIMESTAMP annotation, or whose Arrow schema disagrees with its Parquet \
                 type); rewrite the file with a current writer, or run without --engine"
            ),
        }),
        None => Ok(()),
    }
}

/// Added to a job's error when DataFusion could not convert a zoned timestamp to nanoseconds.
const TIMESTAMP_RANGE_HINT: &str = "(the cluster reads a timestamp with a time zone through \
     nanoseconds, so an instant outside 1677-09-21 00:12:43 to 2262-04-11 23:47:16 UTC (the nanosecond range) cannot be read there: cast \
     the column to a timestamp without a zone, or run without --engine)";

/// `message` with [`TIMESTAMP_RANGE_HINT`] if it is DataFusion's failure to convert a timestamp
/// to nanoseconds.
fn with_hint(message: String) -> String {
    if message.contains("Timestamp(") && message.contains("exceeds the representable i64 range") {
        format!("{} {TIMESTAMP_RANGE_HINT}", message.trim_end())
    } else {
        message
    }
}

/// Fails naming the first of `columns` whose type's text could differ between the engines.
fn check_text_types(schema: &Schema, columns: &[String]) -> Result<(), String> {
    for c in columns {
        if let Ok(f) = schema.field_with_name(c)
            && text(&ident(c), f.data_type()).is_none()
        {
            return Err(format!(
                "column '{c}' is {}: the distributed engine accepts text, integer, boolean, \
                 float, decimal (up to 38 digits), date and timestamp columns (their text is the same \
                 on the cluster as on this machine); cast it to text first, or run without --engine",
                f.data_type()
            ));
        }
    }
    Ok(())
}

fn absolute_text(path: &Path) -> Result<String, Error> {
    let abs = std::path::absolute(path).map_err(|e| Error::io(path, e))?;
    abs.to_str()
        .map(str::to_string)
        .ok_or_else(|| Error::Output { path: abs.clone(), message: "the path is not valid UTF-8".into() })
}

/// [`absolute_text`] of a path the cluster reads or writes: DataFusion takes `*`, `?` and `[`
/// in a path for a pattern, which is dropped on the way to the scheduler, so the executors
/// would read the whole folder. Such paths are refused.
fn plain_path(path: &Path) -> Result<String, Error> {
    let t = absolute_text(path)?;
    if t.contains(['*', '?', '[']) {
        return Err(Error::Input {
            path: path.to_path_buf(),
            message: "contains *, ? or [: the cluster would read it as a pattern; rename it (a pattern given as --input is expanded here first)".into(),
        });
    }
    Ok(t)
}

/// How `other` differs from `schema` (columns, order, types), in words; `None` if equal.
fn schema_difference(schema: &Schema, other: &Schema) -> Option<String> {
    let names = |s: &Schema| s.fields().iter().map(|f| f.name().clone()).collect::<Vec<_>>();
    if names(schema) != names(other) {
        return Some(format!("has columns {} rather", names(other).join(", ")));
    }
    schema
        .fields()
        .iter()
        .zip(other.fields())
        .find(|(a, b)| a.data_type() != b.data_type())
        .map(|(a, b)| format!("has column '{}' as {}, not {} as", a.name(), b.data_type(), a.data_type()))
}

impl ClusterEngine {
    /// Connects to the scheduler at `url` (`df://HOST:PORT`) and opens the Parquet `input`
    /// (a file, folder or pattern, on storage the executors share at the same paths).
    pub fn connect(url: &str, input: &Path) -> Result<ClusterEngine, Error> {
        let engine_err = |m: String| Error::Engine { engine: url.to_string(), message: m };
        let (host, port) = parse_engine_url(url).map_err(engine_err)?;
        let files = input_files(input)?;
        let files = files.iter().map(|p| InputFile::stat(p)).collect::<Result<Vec<_>, _>>()?;
        let watch = Watch::start(&format!("http://{host}:{port}")).map_err(|e| engine_err(e.to_string()))?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_stack_size(32 << 20)
            .build()
            .map_err(|e| engine_err(format!("cannot start the runtime: {e}")))?;
        let nanos =
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let job_name = format!("ledgerless anonymise (pid {}, {nanos:x})", std::process::id());
        // A partition per task the executors run at once (Ballista's own default is 16
        // whatever the cluster: on 2 executors of 2 cores, 4 took the checks from 100 s to
        // 87 s at 10M rows, 0016 "Measured").
        // Capped: the scheduler's answer is not the client's to trust with its memory.
        let slots: u64 = watch.executors().iter().map(|e| u64::from(e.specification.vcores.max(1))).sum();
        let config = SessionConfig::new_with_ballista()
            .with_ballista_job_name(&job_name)
            .with_target_partitions(slots.clamp(1, MAX_PARTITIONS) as usize);
        let state = SessionStateBuilder::new().with_config(config).with_default_features().build();
        let ctx = rt
            .block_on(SessionContext::remote_with_state(&format!("df://{host}:{port}"), state))
            .map_err(|e| engine_err(e.to_string()))?;
        let mut engine = ClusterEngine {
            url: url.to_string(),
            input: input.to_path_buf(),
            columns: Vec::new(),
            schema: Arc::new(Schema::empty()),
            files,
            rt,
            ctx,
            watch,
            job_name,
            time_differences: Vec::new(),
            on_rows: false,
            encoded: std::sync::OnceLock::new(),
        };
        let paths: Vec<PathBuf> = engine.files.iter().map(|f| f.path.clone()).collect();
        engine.schema = engine.register("input", &paths)?;
        engine.columns = engine.schema.fields().iter().map(|f| f.name().clone()).collect();
        // The table's schema is the first file's: every other file must have the same columns
        // of the same types (else counting and writing could read a column differently).
        for (i, f) in engine.files.clone().iter().enumerate() {
            let schema = engine.register(&format!("in{i}"), std::slice::from_ref(&f.path))?;
            if let Some(m) = schema_difference(&engine.schema, &schema) {
                return Err(Error::Input {
                    path: f.path.clone(),
                    message: format!(
                        "{m} than {}: every input file must have the same columns",
                        paths[0].display()
                    ),
                });
            }
            for (c, why) in time_differences(&schema, &f.path)? {
                if !engine.time_differences.iter().any(|(seen, _, _)| *seen == c) {
                    engine.time_differences.push((c, f.path.clone(), why));
                }
            }
        }
        if let Some(c) = engine.columns.iter().find(|c| c.starts_with(RESERVED)) {
            return Err(Error::Input {
                path: engine.input.clone(),
                message: format!(
                    "column '{c}': names starting with {RESERVED} are the engine's own; rename it"
                ),
            });
        }
        Ok(engine)
    }

    /// Runs each of the search's checks as a job on the cluster, so that the client never
    /// holds the combinations (`anonymise --checks-on-cluster`; docs/design/0016, "A client
    /// whose memory stays flat"): slower, a job per node checked.
    pub fn with_checks_on_rows(mut self, on: bool) -> Self {
        self.on_rows = on;
        self
    }

    /// How a job over `t` finds each quasi-identifier's label at `node`: level 0 by the value's
    /// text where its labels are the values ([`Key::Value`]), else through a map written under
    /// `scratch` and registered as `tmap{j}`.
    fn node_keys(&self, gens: &[Generalisation], node: &[u8], scratch: &Path) -> Result<Vec<Key>, Error> {
        std::fs::create_dir_all(scratch).map_err(|e| Error::io(scratch, e))?;
        let mut keys = Vec::with_capacity(gens.len());
        for (j, g) in gens.iter().enumerate() {
            let value = self.text_of("t.", &g.column)?;
            if node[j] == 0 && values_are_labels(g) {
                keys.push(Key::Value(value));
                continue;
            }
            let (on, columns) = totals_map(g, node[j] as usize, &value);
            // One file per column and level, written once: a path always holds the same map.
            let path = scratch.join(format!("map{j}-{}.parquet", node[j]));
            if !path.exists() {
                let tmp = scratch.join(format!("map{j}-{}.tmp", node[j]));
                write_text_table(&tmp, &["v".into(), "c".into(), "u".into()], columns)?;
                std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
            }
            self.register(&format!("tmap{j}"), &[path])?;
            keys.push(Key::Map(on));
        }
        Ok(keys)
    }

    /// Encodes the rows once for a search on them ([`encode_select`]): each input file's job
    /// writes its rows' label codes at every level, and the sensitive text, as a Parquet part
    /// under the staging directory `dir`, registered as table `enc`. Every row must be encoded
    /// (`rows`, the rows counted) and every value found in its map, else the run fails.
    fn encode(
        &self,
        gens: &[Generalisation],
        sensitive: &[String],
        rows: u64,
        dir: &Path,
    ) -> Result<(), Error> {
        let wanted = EncodedFor::of(gens, sensitive, dir);
        if let Some(done) = self.encoded.get() {
            return if *done == wanted {
                Ok(())
            } else {
                Err(self.engine_err("internal: the rows were encoded for another policy or run"))
            };
        }
        let scratch = dir.join(SCRATCH).join(ENCODED);
        std::fs::create_dir_all(&scratch).map_err(|e| Error::io(&scratch, e))?;
        for (j, g) in gens.iter().enumerate() {
            let path = scratch.join(format!("map{j}.parquet"));
            let (names, batches) = encoding_map(g);
            let mut types = vec![DataType::Utf8];
            types.extend((0..=g.height()).map(|_| DataType::UInt32));
            let mut w = TableWriter::create(&path, &names, &types)?;
            for columns in batches {
                w.write(columns)?;
            }
            w.close()?;
            self.register(&format!("emap{j}"), &[path])?;
        }
        let values: Vec<String> =
            gens.iter().map(|g| self.text_of("t.", &g.column)).collect::<Result<_, _>>()?;
        let s_text: Vec<String> =
            sensitive.iter().map(|c| self.text_of("t.", c)).collect::<Result<_, _>>()?;
        let names: Vec<String> = (0..self.files.len()).map(|i| format!("part-{i:05}.parquet")).collect();
        let parts: Vec<PathBuf> = names.iter().map(|n| scratch.join(n)).collect();
        let sqls = parts
            .iter()
            .enumerate()
            .map(|(i, out)| {
                Ok(format!(
                    "COPY ({}) TO {} STORED AS PARQUET OPTIONS ('format.compression' 'snappy')",
                    encode_select(&format!("in{i}"), &values, gens, &s_text),
                    literal(&plain_path(out)?)
                ))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let mut written = 0u64;
        let what = |i: usize| format!("the encoding of {}", self.files[i].path.display());
        self.run_all(&sqls, &what, &mut |_, b| {
            written += counts(b, 0)
                .map_err(|e| self.engine_err(format!("the encoding's result: {e}")))?
                .iter()
                .sum::<u64>();
            Ok(())
        })?;
        let mut expected = names.clone();
        expected.extend((0..gens.len()).map(|j| format!("map{j}.parquet")));
        let extra = unexpected_files(&scratch, &expected)?;
        if !extra.is_empty() {
            return Err(
                self.engine_err(format!("unexpected files among the encoded parts: {}", extra.join(", ")))
            );
        }
        self.register("enc", &parts)?;
        // A value missing from its map has no code: counted, never dropped.
        let mut got = (0u64, 0u64, 0u64);
        self.run_as(&encoded_count_sql(gens), "the count of the encoded rows", &mut |b| {
            let err = |e: String| self.engine_err(format!("the encoded rows: {e}"));
            got.0 += counts(b, 0).map_err(err)?.iter().sum::<u64>();
            got.1 += counts(b, 1).map_err(err)?.iter().sum::<u64>();
            got.2 += counts(b, 2).map_err(err)?.iter().sum::<u64>();
            Ok(())
        })?;
        if got.2 > 0 {
            return Err(self.engine_err(format!(
                "internal: {} encoded rows have a code beyond its level's labels; nothing was released",
                got.2
            )));
        }
        if got.1 > 0 {
            return Err(self.engine_err(format!(
                "{} rows have a quasi-identifier value that was not counted: the input changed while the release \
                 was being made; nothing was released",
                got.1
            )));
        }
        if (written, got.0) != (rows, rows) {
            return Err(self.engine_err(format!(
                "{written} rows were encoded and {} read back, but {rows} were counted: the input changed while \
                 the release was being made; nothing was released",
                got.0
            )));
        }
        // The checks' loss units come from the values' rows counted: the input must be the
        // one counted (checked again before the commit).
        self.check_input_unchanged()?;
        let _ = self.encoded.set(wanted);
        Ok(())
    }

    /// The keys of `node` over the encoded rows ([`Key::Code`]) and the sensitive columns' text
    /// there; an internal error if the rows were not encoded.
    fn coded_keys(&self, node: &[u8], sensitive: usize) -> Result<(Vec<Key>, Vec<String>), Error> {
        let Some(encoded) = self.encoded.get() else {
            return Err(self.engine_err("internal: the rows were not encoded before a check"));
        };
        let keys = node
            .iter()
            .enumerate()
            .map(|(j, &l)| {
                let labels =
                    encoded.columns.get(j).and_then(|(_, n)| n.get(l as usize)).ok_or_else(|| {
                        self.engine_err(format!("internal: no level {l} of quasi-identifier {j} was encoded"))
                    })?;
                Ok(Key::Code(format!("t.{}", encoded_column(j, l as usize)), *labels as u64))
            })
            .collect::<Result<_, Error>>()?;
        Ok((keys, (0..sensitive).map(|i| format!("t.s{i}")).collect()))
    }

    /// The totals of `node` grouped from the encoded rows, for a search on the rows
    /// ([`RowChecks`]), with the rows they cover.
    fn totals_on_rows(
        &self,
        gens: &[Generalisation],
        value_rows: &[Vec<u64>],
        sensitive: usize,
        criteria: &Criteria,
        node: &[u8],
    ) -> Result<(NodeTotals, u64), Error> {
        let (keys, s_text) = self.coded_keys(node, sensitive)?;
        let l_of: Vec<u64> = criteria.diversity.iter().map(|&(l, _)| l).collect();
        let mut reader = TotalsReader::new(gens.len(), sensitive);
        let err = |e: String| self.engine_err(format!("a check's result: {e}"));
        let what = format!("the check of node {node:?}");
        self.run_as(&totals_sql(&keys, &s_text, criteria.k, &l_of), &what, &mut |b| {
            reader.add(b).map_err(err)
        })?;
        let (mut t, total, missing) = reader.finish().map_err(err)?;
        if missing > 0 {
            return Err(err(format!("{missing} rows have no code")));
        }
        add_loss_units(&mut t, gens, value_rows, node).map_err(err)?;
        t.l_entropy = vec![0.0; sensitive];
        Ok((t, total))
    }

    fn engine_err(&self, message: impl Into<String>) -> Error {
        Error::Engine { engine: self.url.clone(), message: with_hint(message.into()) }
    }

    /// Registers Parquet `paths` (explicit files: a pattern would be lost on the way to the
    /// scheduler) as table `name`; returns its schema.
    fn register(&self, name: &str, paths: &[PathBuf]) -> Result<SchemaRef, Error> {
        let urls = paths
            .iter()
            .map(|p| {
                let t = plain_path(p)?;
                ListingTableUrl::parse(&t)
                    .map_err(|e| Error::Input { path: p.clone(), message: e.to_string() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        let state = self.ctx.state();
        let table = self.rt.block_on(async {
            let config = ListingTableConfig::new_with_multi_paths(urls).with_listing_options(options);
            let config = config.infer_schema(&state).await?;
            ListingTable::try_new(config)
        });
        let table = table.map_err(|e| Error::Input { path: self.input.clone(), message: e.to_string() })?;
        let schema = datafusion::catalog::TableProvider::schema(&table);
        let _ = self.ctx.deregister_table(name);
        self.ctx.register_table(name, Arc::new(table)).map_err(|e| self.engine_err(e.to_string()))?;
        Ok(schema)
    }

    /// Refuses columns whose text form could differ from the local engine's.
    fn check_types(&self, columns: &[String]) -> Result<(), Error> {
        check_text_types(&self.schema, columns)
            .map_err(|message| Error::Input { path: self.input.clone(), message })?;
        refuse_time_differences(&self.time_differences, columns)
    }

    /// Input column `c` of table alias `table` (`"t."`, `"x."` or `""`) as the local engine's
    /// text ([`text`]); an error naming the column if its type has none here.
    fn text_of(&self, table: &str, c: &str) -> Result<String, Error> {
        self.check_types(std::slice::from_ref(&c.to_string()))?;
        let t = self.schema.field_with_name(c).map_err(|e| self.engine_err(e.to_string()))?.data_type();
        text(&format!("{table}{}", ident(c)), t)
            .ok_or_else(|| self.engine_err(format!("column '{c}' has no text form here")))
    }

    /// Runs `sql` on the cluster, handing each result batch to `each`, while watching the
    /// executors; an executor lost cancels the job and fails.
    fn run(&self, sql: &str, each: &mut dyn FnMut(&RecordBatch) -> Result<(), Error>) -> Result<(), Error> {
        self.run_as(sql, "a job", each)
    }

    /// [`Self::run`], naming the job `what` in a failure's message.
    fn run_as(
        &self,
        sql: &str,
        what: &str,
        each: &mut dyn FnMut(&RecordBatch) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.run_all(&[sql.to_string()], &|_| what.to_string(), &mut |_, b| each(b))
    }

    /// Runs several jobs at once (their results handed over with the job's index), watched
    /// together: the first failure or executor lost cancels all of them. `what` names job i in
    /// a failure's message.
    fn run_all(
        &self,
        sqls: &[String],
        what: &dyn Fn(usize) -> String,
        each: &mut dyn FnMut(usize, &RecordBatch) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.watch.check().map_err(|e| self.engine_err(lost_message(&e)))?;
        let ctx = &self.ctx;
        let plans: Vec<Arc<dyn ExecutionPlan>> = self
            .rt
            .block_on(async {
                let mut plans = Vec::new();
                for (i, sql) in sqls.iter().enumerate() {
                    let plan = async { ctx.sql(sql).await?.create_physical_plan().await };
                    plans.push(plan.await.map_err(|e| format!("planning {}: {e}", what(i)))?);
                }
                Ok::<_, String>(plans)
            })
            .map_err(|e| self.engine_err(e))?;
        let task_ctx = ctx.task_ctx();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(usize, Result<RecordBatch, String>)>(4);
        let outcome: Result<(), Error> = self.rt.block_on(async {
            let mut running = Vec::new();
            for (i, plan) in plans.iter().enumerate() {
                let stream = datafusion::physical_plan::execute_stream(Arc::clone(plan), Arc::clone(&task_ctx));
                let tx = tx.clone();
                running.push(tokio::spawn(async move {
                    let mut stream = match stream {
                        Ok(s) => s,
                        Err(e) => {
                            let _ = tx.send((i, Err(e.to_string()))).await;
                            return;
                        }
                    };
                    while let Some(b) = stream.next().await {
                        let failed = b.is_err();
                        if tx.send((i, b.map_err(|e| e.to_string()))).await.is_err() || failed {
                            return;
                        }
                    }
                }));
            }
            drop(tx);
            let mut tick = tokio::time::interval(WATCH_EVERY);
            let mut result = loop {
                tokio::select! {
                    got = rx.recv() => match got {
                        None => break Ok(()),
                        Some((i, Err(e))) => break Err(self.engine_err(format!("{} failed: {e}", what(i)))),
                        Some((i, Ok(batch))) => {
                            if let Err(e) = each(i, &batch) {
                                break Err(e);
                            }
                        }
                    },
                    _ = tick.tick() => {
                        let watch = self.watch.clone();
                        let checked = tokio::task::spawn_blocking(move || watch.check()).await;
                        match checked {
                            Ok(Ok(())) => {}
                            Ok(Err(e)) => break Err(self.engine_err(lost_message(&e))),
                            Err(e) => break Err(self.engine_err(format!("watching the executors failed: {e}"))),
                        }
                    }
                }
            };
            if result.is_err() {
                for r in &running {
                    r.abort();
                }
            }
            // Every job's task must have ended normally: one that panicked closed its channel
            // early, and its results would be short.
            for r in running {
                if let Err(e) = r.await
                    && result.is_ok()
                    && !e.is_cancelled()
                {
                    result = Err(self.engine_err(format!("a job's result stream failed: {e}")));
                }
            }
            result
        });
        // An executor that died while the jobs ran may have had its tasks rerun elsewhere in
        // less than one watch interval: the run fails all the same.
        let outcome =
            outcome.and_then(|()| self.watch.check().map_err(|e| self.engine_err(lost_message(&e))));
        outcome.map_err(|e| {
            // Dropping a result stream does not cancel a Ballista job: cancel ours, and wait
            // for them to end before the caller removes the staging directory.
            let note = match self.watch.cancel_jobs(&self.job_name, Duration::from_secs(30)) {
                0 => "the run's jobs were cancelled and nothing was released".to_string(),
                usize::MAX => {
                    "nothing was released, but the scheduler could not be asked to cancel the run's jobs"
                        .to_string()
                }
                n => format!("nothing was released, but {n} of the run's jobs were still running after 30 s"),
            };
            match e {
                Error::Engine { engine, message } => {
                    Error::Engine { engine, message: format!("{message}; {note}") }
                }
                other => other,
            }
        })
    }

    /// The input files, unchanged since the run started (else the counts and the release
    /// could describe different data).
    fn check_input_unchanged(&self) -> Result<(), Error> {
        for f in &self.files {
            if InputFile::stat(&f.path)? != *f {
                return Err(Error::Input {
                    path: f.path.clone(),
                    message: "changed while the release was being made; run again on data that stays put"
                        .into(),
                });
            }
        }
        Ok(())
    }
}

/// What the rows were encoded for ([`ClusterEngine::encode`]): the staging directory, each
/// quasi-identifier's column and labels per level, the sensitive columns. Encoding again for
/// anything else is refused: table `enc` would hold another hierarchy's codes.
#[derive(Debug, PartialEq, Eq)]
struct EncodedFor {
    dir: PathBuf,
    columns: Vec<(String, Vec<usize>)>,
    sensitive: Vec<String>,
}

impl EncodedFor {
    fn of(gens: &[Generalisation], sensitive: &[String], dir: &Path) -> Self {
        EncodedFor {
            dir: dir.to_path_buf(),
            columns: gens
                .iter()
                .map(|g| (g.column.clone(), g.labels.iter().map(|l| l.len()).collect()))
                .collect(),
            sensitive: sensitive.to_vec(),
        }
    }
}

/// The count of the encoded rows ([`encode_select`]'s columns for `gens`), of those with a
/// code missing at any level (a value its map lacks), and of those with a code not below its
/// level's labels (which the packing of codes, [`packed_key`], relies on), as three BIGINT
/// columns.
fn encoded_count_sql(gens: &[Generalisation]) -> String {
    let (mut missing, mut beyond) = (Vec::new(), Vec::new());
    for (j, g) in gens.iter().enumerate() {
        for l in 0..=g.height() {
            let e = encoded_column(j, l);
            missing.push(format!("{e} IS NULL"));
            beyond.push(format!("{e} >= {}", g.labels[l].len()));
        }
    }
    let rows_where = |c: &[String]| {
        format!("CAST(COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS BIGINT)", c.join(" OR "))
    };
    format!("SELECT CAST(COUNT(*) AS BIGINT), {}, {} FROM enc", rows_where(&missing), rows_where(&beyond))
}

/// Whether `g`'s level-0 labels are its values, code for code, with no loss: then a job can
/// group by the value's text at level 0 instead of joining a map of every value.
fn values_are_labels(g: &Generalisation) -> bool {
    g.codes[0].iter().enumerate().all(|(i, &c)| c as usize == i)
        && g.labels[0].len() == g.values().len()
        && (0..g.values().len() as u32).all(|c| g.loss_units(0, c) == 0)
}

/// The search's checks, each a job on the cluster ([`Engine::checks_on_rows`]).
struct RowChecks<'a> {
    engine: &'a ClusterEngine,
    /// The rows counted.
    rows: u64,
    gens: &'a [Generalisation],
    /// Each quasi-identifier's rows per value counted.
    value_rows: &'a [Vec<u64>],
    sensitive: usize,
    criteria: &'a Criteria,
    /// The totals of nodes checked that passed (the search asks again for the node it
    /// chose), while their suppressed rows by label hold at most [`CACHED_LABELS`] entries.
    passed: std::sync::Mutex<(std::collections::HashMap<Vec<u8>, NodeTotals>, usize)>,
}

/// Suppressed rows by label, summed over the nodes, that [`RowChecks`] keeps (16 MiB).
const CACHED_LABELS: usize = 1 << 20;

impl std::fmt::Debug for RowChecks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowChecks").field("engine", &self.engine.url).finish_non_exhaustive()
    }
}

impl analytics::search::Totals for RowChecks<'_> {
    fn node_totals(&self, node: &[u8]) -> Result<NodeTotals, String> {
        if let Ok(passed) = self.passed.lock()
            && let Some(t) = passed.0.get(node)
        {
            return Ok(t.clone());
        }
        let (t, total) = self
            .engine
            .totals_on_rows(self.gens, self.value_rows, self.sensitive, self.criteria, node)
            .map_err(|e| match e {
                Error::Engine { message, .. } => message,
                other => other.to_string(),
            })?;
        if total != self.rows {
            return Err(format!(
                "node {node:?} grouped {total} rows, but {} were counted: the input changed while the release \
                 was being made; nothing was released",
                self.rows
            ));
        }
        let labels: usize = t.suppressed_by_label.iter().map(Vec::len).sum();
        if t.suppressed <= self.criteria.max_suppressed
            && let Ok(mut passed) = self.passed.lock()
            && passed.1 + labels <= CACHED_LABELS
        {
            passed.1 += labels;
            passed.0.insert(node.to_vec(), t.clone());
        }
        Ok(t)
    }
}

fn lost_message(e: &WatchError) -> String {
    match e {
        WatchError::Lost(_) => format!(
            "{e} (Ballista would rerun its tasks elsewhere, but a release is only made from a run \
             no executor failed)"
        ),
        _ => e.to_string(),
    }
}

/// A text column of a result batch (any string type), or an error naming it.
fn strings(batch: &RecordBatch, i: usize) -> Result<StringArray, String> {
    let c: &ArrayRef = batch.column(i);
    let c = cast(c, &DataType::Utf8).map_err(|e| e.to_string())?;
    Ok(c.as_string::<i32>().clone())
}

/// A count column of a result batch.
fn counts(batch: &RecordBatch, i: usize) -> Result<Vec<u64>, String> {
    let c = cast(batch.column(i), &DataType::UInt64).map_err(|e| e.to_string())?;
    let c = c.as_primitive::<datafusion::arrow::datatypes::UInt64Type>();
    Ok((0..c.len()).map(|r| if c.is_null(r) { 0 } else { c.value(r) }).collect())
}

/// Writes a small table of text columns as Parquet (the maps the cluster joins).
fn write_text_table(path: &Path, names: &[String], columns: Vec<ArrayRef>) -> Result<(), Error> {
    let types: Vec<DataType> = columns.iter().map(|c| c.data_type().clone()).collect();
    let mut w = TableWriter::create(path, names, &types)?;
    w.write(columns)?;
    w.close()
}

/// A Parquet file written a batch at a time (a table the cluster joins, made in the client).
struct TableWriter {
    path: PathBuf,
    schema: SchemaRef,
    writer: ArrowWriter<std::fs::File>,
}

impl TableWriter {
    fn create(path: &Path, names: &[String], types: &[DataType]) -> Result<TableWriter, Error> {
        let fields: Vec<Field> =
            names.iter().zip(types).map(|(n, t)| Field::new(n, t.clone(), true)).collect();
        let schema = Arc::new(Schema::new(fields));
        let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
        // Row groups of one batch: the writer buffers a row group before writing it (its
        // default, 1M rows, would hold a million rows of every column in the client).
        let props = datafusion::parquet::file::properties::WriterProperties::builder()
            .set_max_row_group_row_count(Some(MAP_BATCH))
            .set_compression(datafusion::parquet::basic::Compression::ZSTD(Default::default()))
            .build();
        let writer = ArrowWriter::try_new(file, Arc::clone(&schema), Some(props))
            .map_err(|e| Error::Output { path: path.to_path_buf(), message: e.to_string() })?;
        Ok(TableWriter { path: path.to_path_buf(), schema, writer })
    }

    fn err(&self, e: impl std::fmt::Display) -> Error {
        Error::Output { path: self.path.clone(), message: e.to_string() }
    }

    fn write(&mut self, columns: Vec<ArrayRef>) -> Result<(), Error> {
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), columns).map_err(|e| self.err(e))?;
        self.writer.write(&batch).map_err(|e| self.err(e))
    }

    fn close(self) -> Result<(), Error> {
        let path = self.path;
        self.writer.close().map(|_| ()).map_err(|e| Error::Output { path, message: e.to_string() })
    }
}

/// Rows per batch of the local recoding's combination map.
const MAP_BATCH: usize = 1 << 16;

/// A local recoding's map, one row per combination of quasi-identifier values (a policy has at
/// least one quasi-identifier): `v{j}`, the
/// value of column j as the cluster reads it (text, null as ""), and `l{j}`, its released label
/// (`*` in every column of a suppressed combination). Returns the combinations written.
fn write_combination_map(path: &Path, gens: &[Generalisation], release: &LocalRelease) -> Result<u64, Error> {
    let m = gens.len();
    let mut names: Vec<String> = (0..m).map(|j| format!("v{j}")).collect();
    names.extend((0..m).map(|j| format!("l{j}")));
    let mut w = TableWriter::create(path, &names, &vec![DataType::Utf8; 2 * m])?;
    let mut columns: Vec<Vec<&str>> = vec![Vec::with_capacity(MAP_BATCH); 2 * m];
    let mut rows = 0u64;
    let flush = |w: &mut TableWriter, columns: &mut Vec<Vec<&str>>| -> Result<(), Error> {
        let arrays: Vec<ArrayRef> =
            columns.iter().map(|c| Arc::new(StringArray::from_iter_values(c.iter())) as ArrayRef).collect();
        columns.iter_mut().for_each(Vec::clear);
        w.write(arrays)
    };
    let internal = |m: String| Error::Polars(format!("internal: local release: {m}"));
    release.for_each_combination(
        gens,
        |codes, combo| {
            for (j, g) in gens.iter().enumerate() {
                let code = codes[j] as usize;
                let value = g
                    .values()
                    .get(code)
                    .ok_or_else(|| internal(format!("no value {code} in {}", g.column)))?;
                let level = release.levels.get(j).and_then(|l| l.get(combo)).copied();
                let label = match level {
                    Some(u8::MAX) => "*",
                    Some(l) => g
                        .codes
                        .get(l as usize)
                        .and_then(|c| c.get(code))
                        .and_then(|&lab| g.labels.get(l as usize).and_then(|labels| labels.get(lab as usize)))
                        .ok_or_else(|| internal(format!("no label at level {l} in {}", g.column)))?,
                    None => return Err(internal(format!("no levels for combination {combo}"))),
                };
                columns[j].push(value);
                columns[m + j].push(label);
            }
            rows += 1;
            if rows.is_multiple_of(MAP_BATCH as u64) { flush(&mut w, &mut columns) } else { Ok(()) }
        },
        internal,
    )?;
    if !rows.is_multiple_of(MAP_BATCH as u64) || rows == 0 {
        flush(&mut w, &mut columns)?;
    }
    w.close()?;
    Ok(rows)
}

/// A built-in hierarchy's label at `level` as SQL over the value's text `v`, or `None` where
/// the labels come from a map of every value. Computed here are the built-ins whose values can
/// be as many as the rows (UK postcodes) or many (dates) and whose labels are a fixed function
/// of the text: the jobs then join a map of the level's labels, not of every value (0016,
/// "Labels computed where the rows are"). A value the built-in refuses (another shape) gives
/// null, which no map holds: the job fails as for a value missing from its map. Shown equal to
/// the hierarchy's labels value by value, edge shapes included, by
/// `built_in_labels_computed_in_sql_are_the_hierarchys`.
fn label_sql(g: &Generalisation, level: usize, v: &str) -> Option<String> {
    use analytics::policy::HierarchySpec;
    let (shape, label) = match g.spec.as_ref()? {
        // split_postcode: an outward code of 1-2 letters, a digit, up to 4 characters in all;
        // a space; a digit and two letters. Sector, district, area, `*`.
        HierarchySpec::UkPostcode => (
            concat!("^([A-Z][0-9][0-9A-Z]{0,2}|[A-Z]{2}[0-9][0-9A-Z]?)", " [0-9][A-Z]{2}$"),
            match level {
                1 => format!("substr({v}, 1, character_length({v}) - 2)"),
                2 => format!("substr({v}, 1, character_length({v}) - 4)"),
                3 => format!(
                    "CASE WHEN substr({v}, 2, 1) BETWEEN 'A' AND 'Z' \
                     THEN substr({v}, 1, 2) ELSE substr({v}, 1, 1) END"
                ),
                4 => "'*'".to_string(),
                _ => return None,
            },
        ),
        // YYYY-MM-DD with a month 01-12 and a day 01-31. Month, year, `*`.
        HierarchySpec::Date => (
            "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
            match level {
                1 => format!("substr({v}, 1, 7)"),
                2 => format!("substr({v}, 1, 4)"),
                3 => "'*'".to_string(),
                _ => return None,
            },
        ),
        _ => return None,
    };
    Some(format!("CASE WHEN regexp_like({v}, {}) THEN {label} END", literal(shape)))
}

/// How a job finds quasi-identifier `g`'s label at `level` for a row whose value is the text
/// `value`: the expression a map is joined on, the map's keys, and each key's label code. A
/// built-in computed here ([`label_sql`]) is keyed by the level's labels, any other column by
/// every value counted.
fn map_keys(g: &Generalisation, level: usize, value: &str) -> (String, StringArray, Vec<u32>) {
    match label_sql(g, level, value) {
        Some(label) => {
            let n = g.labels[level].len() as u32;
            (label, g.labels[level].iter().map(Some).collect(), (0..n).collect())
        }
        None => (value.to_string(), g.values().iter().map(Some).collect(), g.codes[level].clone()),
    }
}

/// The totals job's map of quasi-identifier `g` at `level` ([`map_keys`]): the expression it is
/// joined on, and columns `v` (the keys), `c` (their label code) and `u` (the label's loss
/// units).
fn totals_map(g: &Generalisation, level: usize, value: &str) -> (String, Vec<ArrayRef>) {
    let (on, keys, codes) = map_keys(g, level, value);
    let units: Vec<u64> = codes.iter().map(|&c| g.loss_units(level, c)).collect();
    (on, vec![Arc::new(keys), Arc::new(UInt32Array::from(codes)), Arc::new(UInt64Array::from(units))])
}

/// Column `e{j}_{level}` of the encoded rows: quasi-identifier j's label code at `level`.
fn encoded_column(j: usize, level: usize) -> String {
    format!("e{j}_{level}")
}

/// The encoding map of quasi-identifier `g` (column names `v`, `c0` … `c{height}`), a batch of
/// [`MAP_BATCH`] values at a time: each value counted (its text as the cluster reads it) and its
/// label code at every level.
fn encoding_map(g: &Generalisation) -> (Vec<String>, impl Iterator<Item = Vec<ArrayRef>> + '_) {
    let names: Vec<String> =
        std::iter::once("v".to_string()).chain((0..=g.height()).map(|l| format!("c{l}"))).collect();
    let values = g.values().len();
    let batches = (0..values).step_by(MAP_BATCH).map(move |start| {
        let end = (start + MAP_BATCH).min(values);
        let mut columns: Vec<ArrayRef> =
            vec![Arc::new((start..end).map(|i| Some(&g.values()[i])).collect::<StringArray>())];
        columns.extend(
            g.codes.iter().map(|codes| Arc::new(UInt32Array::from(codes[start..end].to_vec())) as ArrayRef),
        );
        columns
    });
    (names, batches)
}

/// The encoding of `table` (alias `t`): every quasi-identifier's label code at every level
/// (`e{j}_{level}`, joined from map `emap{j}` on `values[j]`, the value's text; null for a value
/// the map lacks) and each sensitive attribute's text (`s{i}`, a null as ""). Written once, so
/// that each check groups small integers instead of joining maps and text (0016, "Encoded
/// once").
fn encode_select(table: &str, values: &[String], gens: &[Generalisation], sensitive: &[String]) -> String {
    let mut select: Vec<String> = Vec::new();
    for (j, g) in gens.iter().enumerate() {
        select.extend((0..=g.height()).map(|l| format!("m{j}.c{l} AS {}", encoded_column(j, l))));
    }
    select.extend(sensitive.iter().enumerate().map(|(i, s)| format!("COALESCE({s}, '') AS s{i}")));
    let joins: Vec<String> =
        values.iter().enumerate().map(|(j, v)| format!("LEFT JOIN emap{j} m{j} ON {v} = m{j}.v")).collect();
    format!("SELECT {} FROM {table} t {}", select.join(", "), joins.join(" "))
}

/// Adds to totals `t` of `node`, grouped from codes ([`Key::Code`], whose jobs count no loss),
/// each column's loss units: a label's units times its kept rows, its rows counted
/// (`value_rows`, by value code) less its rows suppressed. The same sum as the job's
/// `SUM(n * u{j})` over the kept classes, as every row of a label has its units. A label
/// beyond the level's, or more rows suppressed than counted, is an error.
fn add_loss_units(
    t: &mut NodeTotals,
    gens: &[Generalisation],
    value_rows: &[Vec<u64>],
    node: &[u8],
) -> Result<(), String> {
    for (j, g) in gens.iter().enumerate() {
        let level = node[j] as usize;
        let codes = &g.codes[level];
        if value_rows[j].len() != codes.len() {
            return Err(format!(
                "{} values' rows for the {} values of '{}'",
                value_rows[j].len(),
                codes.len(),
                g.column
            ));
        }
        let mut rows = vec![0u64; g.labels[level].len()];
        for (&c, &n) in codes.iter().zip(&value_rows[j]) {
            rows[c as usize] += n;
        }
        for &(c, n) in &t.suppressed_by_label[j] {
            let r = rows
                .get_mut(c as usize)
                .ok_or_else(|| format!("label {c} of '{}' is not one of its labels", g.column))?;
            *r = r.checked_sub(n).ok_or_else(|| {
                format!("{n} rows of a label of '{}' suppressed, but it has {} rows", g.column, *r)
            })?;
        }
        t.loss_units[j] = rows
            .iter()
            .enumerate()
            .map(|(c, &n)| u128::from(n) * u128::from(g.loss_units(level, c as u32)))
            .sum();
    }
    Ok(())
}

/// Reads the totals job's result batches ([`totals_sql`]'s columns) into a node's totals.
struct TotalsReader<'a> {
    t: NodeTotals,
    totals_rows: usize,
    total: u128,
    missing: u128,
    /// Per quasi-identifier whose labels come as the values' text ([`Key::Value`]), its values
    /// counted (sorted), to find each label's code. Only the tests' totals by value set it:
    /// the engine's totals jobs read maps' codes or the encoded codes.
    values: Vec<Option<&'a Labels>>,
}

impl<'a> TotalsReader<'a> {
    fn new(qi: usize, sensitive: usize) -> Self {
        Self::with_values(vec![None; qi], sensitive)
    }

    /// A reader of totals whose labels are in part the values' text (`values[j]` set).
    fn with_values(values: Vec<Option<&'a Labels>>, sensitive: usize) -> Self {
        let qi = values.len();
        let t = NodeTotals {
            loss_units: vec![0; qi],
            suppressed_by_label: vec![Vec::new(); qi],
            l_distinct: vec![0; sensitive],
            ..NodeTotals::default()
        };
        TotalsReader { t, totals_rows: 0, total: 0, missing: 0, values }
    }

    fn add(&mut self, b: &RecordBatch) -> Result<(), String> {
        let (m, s) = (self.t.loss_units.len(), self.t.l_distinct.len());
        if b.num_columns() != m + 7 + m + s {
            return Err(format!("{} columns, expected {}", b.num_columns(), m + 7 + m + s));
        }
        // A text label becomes its value's code (null stays null: the row of totals).
        let labels = (0..m)
            .map(|j| match self.values[j] {
                None => cast(b.column(j), &DataType::UInt32).map_err(|e| e.to_string()),
                Some(values) => {
                    let text = cast(b.column(j), &DataType::Utf8).map_err(|e| e.to_string())?;
                    let text = text.as_string::<i32>();
                    let codes = (0..text.len())
                        .map(|r| {
                            if text.is_null(r) {
                                return Ok(None);
                            }
                            let v = text.value(r);
                            values.binary_search(v).map(|c| Some(c as u32)).map_err(|_| {
                                format!("a value that was not counted ({v:?}): the input changed while the release was being made")
                            })
                        })
                        .collect::<Result<UInt32Array, String>>()?;
                    Ok(Arc::new(codes) as ArrayRef)
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let numbers = (m..b.num_columns())
            .map(|i| cast(b.column(i), &DataType::Decimal128(38, 0)).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let labels: Vec<_> =
            labels.iter().map(|a| a.as_primitive::<datafusion::arrow::datatypes::UInt32Type>()).collect();
        let numbers: Vec<_> = numbers
            .iter()
            .map(|a| a.as_primitive::<datafusion::arrow::datatypes::Decimal128Type>())
            .collect();
        // A whole number of the row (null: 0), or an error if negative.
        let num = |i: usize, r: usize| -> Result<u128, String> {
            let a = numbers[i];
            if a.is_null(r) {
                return Ok(0);
            }
            u128::try_from(a.value(r)).map_err(|_| format!("a negative total ({})", a.value(r)))
        };
        let small = |i: usize, r: usize| -> Result<u64, String> {
            u64::try_from(num(i, r)?).map_err(|_| "a count beyond 64 bits".to_string())
        };
        let t = &mut self.t;
        for r in 0..b.num_rows() {
            let set: Vec<usize> = (0..m).filter(|&j| !labels[j].is_null(r)).collect();
            match set.as_slice() {
                [] => {
                    self.totals_rows += 1;
                    self.total = num(0, r)?;
                    t.suppressed = small(1, r)?;
                    t.kept = small(2, r)?;
                    t.min_kept = small(3, r)?;
                    t.sum_sq = num(4, r)?;
                    t.floor = num(5, r)?;
                    for j in 0..m {
                        t.loss_units[j] = num(6 + j, r)?;
                    }
                    for (i, d) in t.l_distinct.iter_mut().enumerate() {
                        *d = small(6 + m + i, r)?;
                    }
                    self.missing = num(6 + m + s, r)?;
                }
                &[j] => {
                    let rows = small(1, r)?;
                    if rows > 0 {
                        t.suppressed_by_label[j].push((labels[j].value(r), rows));
                    }
                }
                _ => return Err("a row of more than one grouping set".into()),
            }
        }
        Ok(())
    }

    /// The totals, the rows they cover, and the rows with a value missing from its map.
    fn finish(mut self) -> Result<(NodeTotals, u64, u128), String> {
        if self.totals_rows != 1 {
            return Err(format!("{} rows of totals, not 1", self.totals_rows));
        }
        for pairs in &mut self.t.suppressed_by_label {
            pairs.sort_unstable();
        }
        let total = u64::try_from(self.total).map_err(|_| "rows beyond 64 bits".to_string())?;
        Ok((self.t, total, self.missing))
    }
}

/// How a node's job finds a quasi-identifier's label.
#[derive(Debug, Clone)]
enum Key {
    /// Joined to map `tmap{j}` on this expression ([`totals_map`]).
    Map(String),
    /// The value's text itself (level 0, whose labels are the values; loss units 0): no map,
    /// the client finds the label's code among the values counted.
    Value(String),
    /// The label's code, a column of the encoded rows `enc` ([`ClusterEngine::encode`]), and
    /// the number of labels at its level (every code is below it): no map and no text. The
    /// job reports loss units 0; the client adds them from the labels' rows ([`add_loss_units`]).
    Code(String, u64),
}

/// The codes of `qi` packed into one BIGINT, `SUM(code_j * multiplier_j)` (the last column
/// varies fastest), with each column's `(multiplier, labels)`: if every key is a code and the
/// number of combinations of labels is at most i64::MAX. One integer groups 2-3 times faster
/// than six columns (0016, "Packed classes"); the packing is one-to-one, as each code is
/// below its labels (the encoding's count checks it).
fn packed_key(qi: &[Key]) -> Option<(String, Vec<(u64, u64)>)> {
    if qi.is_empty() {
        return None;
    }
    let codes: Vec<(&str, u64)> = qi
        .iter()
        .map(|key| match key {
            Key::Code(e, labels) => Some((e.as_str(), (*labels).max(1))),
            Key::Map(_) | Key::Value(_) => None,
        })
        .collect::<Option<_>>()?;
    let mut radix = vec![(0, 0); codes.len()];
    let mut multiplier: u64 = 1;
    for (j, &(_, labels)) in codes.iter().enumerate().rev() {
        radix[j] = (multiplier, labels);
        // At most i64::MAX: every literal and partial sum is then a BIGINT (a literal of
        // 2^63 would be read as unsigned, and the key as a decimal).
        multiplier = multiplier.checked_mul(labels).filter(|&m| m <= i64::MAX as u64)?;
    }
    let terms: Vec<String> =
        codes.iter().zip(&radix).map(|(&(e, _), &(m, _))| format!("CAST({e} AS BIGINT) * {m}")).collect();
    Some((format!("({})", terms.join(" + ")), radix))
}

/// The table a node's job reads: the encoded rows if its keys are codes, else the input.
fn source_of(qi: &[Key]) -> &'static str {
    if qi.iter().any(|k| matches!(k, Key::Code(..))) { "enc" } else { "input" }
}

/// The node's classes, as SQL common table expressions over the input `t` (no trailing comma):
/// `r` the rows with their class (its labels `a{j}`: a map's code, a code, or at level 0 the
/// value's text; or, for codes that pack, their packed `key`, [`packed_key`]), loss units
/// `u{j}`, `miss` (1 if a key is missing from its map) and sensitive text `s{i}`; `c` the
/// classes (the class columns, rows `n`, `miss`, `u{j}`, distinct sensitive values `d{i}`);
/// `f` the classes with their labels `a{j}` and `fail` (fewer than `k` rows, or fewer than
/// `l[i]` distinct values of attribute i). Returns the SQL and the class columns of `r`.
fn classes_sql(qi: &[Key], sensitive: &[String], k: u64, l: &[u64]) -> (String, Vec<String>) {
    let m = qi.len();
    let a: Vec<String> = (0..m).map(|j| format!("a{j}")).collect();
    // Codes count no loss and miss no map: their units and misses are constants of `f`.
    let coded = qi.iter().all(|key| matches!(key, Key::Code(..)));
    let packed = packed_key(qi);
    let mut select: Vec<String> = match &packed {
        Some((key, _)) => vec![format!("{key} AS key")],
        None => qi
            .iter()
            .enumerate()
            .map(|(j, key)| match key {
                Key::Map(_) => format!("COALESCE(m{j}.c, 4294967295) AS a{j}, COALESCE(m{j}.u, 0) AS u{j}"),
                // With other keys (no caller mixes them), units as a value's.
                Key::Code(v, _) if coded => format!("{v} AS a{j}"),
                Key::Value(v) | Key::Code(v, _) => format!("{v} AS a{j}, 0 AS u{j}"),
            })
            .collect(),
    };
    let ck: Vec<String> = if packed.is_some() { vec!["key".to_string()] } else { a.clone() };
    let missing: Vec<String> = qi
        .iter()
        .enumerate()
        .filter(|(_, key)| matches!(key, Key::Map(_)))
        .map(|(j, _)| format!("m{j}.v IS NULL"))
        .collect();
    if !coded {
        if missing.is_empty() {
            select.push("0 AS miss".into());
        } else {
            select.push(format!("CASE WHEN {} THEN 1 ELSE 0 END AS miss", missing.join(" OR ")));
        }
    }
    // Never null (a null's text is ""; coalesced again here, as the grouping below needs it).
    select.extend(sensitive.iter().enumerate().map(|(i, s)| format!("COALESCE({s}, '') AS s{i}")));
    let joins: Vec<String> = qi
        .iter()
        .enumerate()
        .filter_map(|(j, key)| match key {
            Key::Map(on) => Some(format!("LEFT JOIN tmap{j} m{j} ON {on} = m{j}.v")),
            Key::Value(_) | Key::Code(..) => None,
        })
        .collect();
    // The classes. Each sensitive attribute's distinct values in a class are counted as the
    // rows of a grouping by class and value (a grouping set per attribute), not by
    // `COUNT(DISTINCT …)`, which DataFusion keeps as a set per class (0016 "Measured": with one
    // sensitive attribute the job took 8.1 s instead of 13.5 s at 10M rows).
    let mut part: Vec<String> = vec!["COUNT(*) AS n".into()];
    if !coded {
        part.push("SUM(miss) AS miss".into());
        part.extend((0..m).map(|j| format!("MAX(u{j}) AS u{j}")));
    }
    let sv: Vec<String> = (0..sensitive.len()).map(|i| format!("s{i}")).collect();
    let classes = if sv.is_empty() {
        format!("SELECT {ck}, {part} FROM r GROUP BY {ck}", ck = ck.join(", "), part = part.join(", "))
    } else if sv.len() == 1 {
        // One attribute: a plain grouping by class and value (a single grouping set costs
        // DataFusion twice the time at 10M rows on nearly unique classes, 0016 "Measured").
        let mut class = vec!["SUM(n) AS n".to_string()];
        if !coded {
            class.push("SUM(miss) AS miss".into());
            class.extend((0..m).map(|j| format!("MAX(u{j}) AS u{j}")));
        }
        class.push("COUNT(s0) AS d0".into());
        format!(
            "SELECT {ck}, {class} FROM (SELECT {ck}, s0, {part} FROM r GROUP BY {ck}, s0) p GROUP BY {ck}",
            ck = ck.join(", "),
            class = class.join(", "),
            part = part.join(", "),
        )
    } else {
        // A row of set i holds one value of attribute i (never null: the text of a null is "")
        // and nulls for the others; set 0's rows hold the rows and the missing values.
        let sets: Vec<String> = sv.iter().map(|x| format!("({}, {x})", ck.join(", "))).collect();
        let mut class = vec!["SUM(CASE WHEN s0 IS NOT NULL THEN n END) AS n".to_string()];
        if !coded {
            class.push("SUM(CASE WHEN s0 IS NOT NULL THEN miss END) AS miss".into());
            class.extend((0..m).map(|j| format!("MAX(u{j}) AS u{j}")));
        }
        class.extend(sv.iter().enumerate().map(|(i, x)| format!("COUNT({x}) AS d{i}")));
        format!(
            "SELECT {ck}, {class} FROM (SELECT {ck}, {sv}, {part} FROM r GROUP BY GROUPING SETS ({sets})) p \
             GROUP BY {ck}",
            ck = ck.join(", "),
            class = class.join(", "),
            sv = sv.join(", "),
            part = part.join(", "),
            sets = sets.join(", "),
        )
    };
    // `f`: the labels unpacked, and a code's constants.
    let mut labels: Vec<String> = match &packed {
        Some((_, radix)) => radix
            .iter()
            .enumerate()
            .map(|(j, (multiplier, labels))| {
                format!("CAST((key / {multiplier}) % {labels} AS INT UNSIGNED) AS a{j}")
            })
            .collect(),
        None => Vec::new(),
    };
    if coded {
        labels.push("CAST(0 AS BIGINT) AS miss".into());
        labels.extend((0..m).map(|j| format!("CAST(0 AS BIGINT) AS u{j}")));
    }
    let mut fail = vec![format!("n < {k}")];
    fail.extend(l.iter().enumerate().map(|(i, l)| format!("d{i} < {l}")));
    let sql = format!(
        "WITH r AS (SELECT {select} FROM {source} t {joins}), \
         c AS ({classes}), \
         f AS (SELECT *, {labels}({fail}) AS fail FROM c)",
        select = select.join(", "),
        source = source_of(qi),
        joins = joins.join(" "),
        labels = labels.iter().map(|x| format!("{x}, ")).collect::<String>(),
        fail = fail.join(" OR "),
    );
    (sql, ck)
}

/// The totals job ([`Engine::node_totals`], and each check of a search on the rows): the
/// classes of [`classes_sql`], then their totals. Result columns: the labels `a{j}` (all null
/// in the row of totals; one set in a row of a column's label), then total rows, suppressed
/// rows, kept classes, smallest kept class, sum of kept sizes squared, floor, each column's
/// loss units, each sensitive attribute's fewest distinct values in a kept class, and the rows
/// with a value missing from its map (counted, never dropped: they fail the command). The
/// floor's max(k, size) assumes k <= rows, which `anonymise` checks before counting.
fn totals_sql(qi: &[Key], sensitive: &[String], k: u64, l: &[u64]) -> String {
    let m = qi.len();
    let a: Vec<String> = (0..m).map(|j| format!("a{j}")).collect();
    let dec = |e: &str| format!("CAST({e} AS DECIMAL(18, 0))");
    let mut out = vec![
        "CAST(SUM(n) AS DECIMAL(38, 0))".to_string(),
        "CAST(SUM(CASE WHEN fail THEN n ELSE 0 END) AS DECIMAL(38, 0))".to_string(),
        "CAST(SUM(CASE WHEN fail THEN 0 ELSE 1 END) AS DECIMAL(38, 0))".to_string(),
        "CAST(MIN(CASE WHEN fail THEN NULL ELSE n END) AS DECIMAL(38, 0))".to_string(),
        format!("SUM(CASE WHEN fail THEN NULL ELSE {} * {} END)", dec("n"), dec("n")),
        format!("SUM({} * {})", dec("n"), dec(&format!("GREATEST(n, {k})"))),
    ];
    out.extend(
        (0..m).map(|j| {
            format!("SUM(CASE WHEN fail THEN NULL ELSE {} * {} END)", dec("n"), dec(&format!("u{j}")))
        }),
    );
    out.extend(
        (0..sensitive.len())
            .map(|i| format!("CAST(MIN(CASE WHEN fail THEN NULL ELSE d{i} END) AS DECIMAL(38, 0))")),
    );
    out.push("CAST(SUM(miss) AS DECIMAL(38, 0))".into());
    let sets: Vec<String> =
        std::iter::once("()".to_string()).chain(a.iter().map(|x| format!("({x})"))).collect();
    let all_null: Vec<String> = a.iter().map(|x| format!("{x} IS NULL")).collect();
    format!(
        "{classes} \
         SELECT {a}, {out} FROM f GROUP BY GROUPING SETS ({sets}) \
         HAVING ({all_null}) OR SUM(CASE WHEN fail THEN n ELSE 0 END) > 0",
        classes = classes_sql(qi, sensitive, k, l).0,
        a = a.join(", "),
        out = out.join(", "),
        sets = sets.join(", "),
        all_null = all_null.join(" AND "),
    )
}

/// The sizes of the kept classes of [`classes_sql`], as `(size, classes)`.
fn kept_histogram_sql(qi: &[Key], sensitive: &[String], k: u64, l: &[u64]) -> String {
    format!(
        "{} SELECT n, COUNT(*) AS classes FROM f WHERE NOT fail GROUP BY n",
        classes_sql(qi, sensitive, k, l).0
    )
}

/// The failing classes of [`classes_sql`] (their labels `a{j}`, rows `n` and `s`, true),
/// written to `out` for the write job to join ([`Release::Global`] with `staged`).
fn failing_classes_sql(qi: &[Key], sensitive: &[String], k: u64, l: &[u64], out: &str) -> String {
    let a: Vec<String> = (0..qi.len()).map(|j| format!("a{j}")).collect();
    format!(
        "COPY ({} SELECT {}, n, true AS s FROM f WHERE fail) TO {} STORED AS PARQUET",
        classes_sql(qi, sensitive, k, l).0,
        a.join(", "),
        literal(out)
    )
}

/// The sizes of the classes of the original values (`values`: each quasi-identifier's text or
/// level-0 code in `table`), as `(size, classes)`: the risk before anonymisation.
fn bottom_histogram_sql(values: &[String], table: &str) -> String {
    let v: Vec<String> = values.iter().enumerate().map(|(j, e)| format!("{e} AS v{j}")).collect();
    let keys: Vec<String> = (0..values.len()).map(|j| format!("v{j}")).collect();
    format!(
        "SELECT n, COUNT(*) AS classes FROM (SELECT COUNT(*) AS n FROM (SELECT {} FROM {table} t) GROUP BY {}) \
         GROUP BY n",
        v.join(", "),
        keys.join(", ")
    )
}

/// The value-count profiles of the kept classes of [`classes_sql`] whose entropy of sensitive
/// attribute `i`, summed here (in whatever order the cluster adds its terms), is near the
/// least: each profile once, as its rows per value, most first, joined by commas. The client
/// computes their entropies exactly as the search does ([`exact_l_entropy`]). The margin: a
/// sum of d non-negative terms, each within a few units of rounding u of its exact value
/// (a division, ln, a product), is within (d + 4) u (h + 1) of the exact h, whatever the
/// order; the class whose entropy the search's own sum makes least is then within four such
/// bounds of the least summed here (its two sums and the least class's two), so with d and h
/// the largest of any kept class, 4 (d + 4) u (h + 1) ≤ 4.5e-16 (d + 4) (h + 1) covers it
/// (1e-9 more for good measure).
fn entropy_candidates_sql(qi: &[Key], sensitive: &[String], k: u64, l: &[u64], i: usize) -> String {
    // Grouped and joined by the class columns (the packed key, or the labels).
    let (classes, a) = classes_sql(qi, sensitive, k, l);
    let on = |left: &str, right: &str| {
        a.iter().map(|x| format!("{left}.{x} = {right}.{x}")).collect::<Vec<_>>().join(" AND ")
    };
    let of = |t: &str| a.iter().map(|x| format!("{t}.{x}")).collect::<Vec<_>>().join(", ");
    format!(
        "{classes}, \
         v AS (SELECT {a}, s{i}, COUNT(*) AS x FROM r GROUP BY {a}, s{i}), \
         e AS (SELECT {va}, COUNT(*) AS d, \
               SUM(-(CAST(v.x AS DOUBLE) / CAST(f.n AS DOUBLE)) * LN(CAST(v.x AS DOUBLE) / CAST(f.n AS DOUBLE))) AS h \
               FROM v JOIN f ON {vf} WHERE NOT f.fail GROUP BY {va}), \
         low AS (SELECT MIN(h) AS h, MAX(d) AS d, MAX(h) AS top FROM e), \
         near AS (SELECT {ea} FROM e CROSS JOIN low \
                  WHERE e.h <= low.h + 1e-9 + 4.5e-16 * (CAST(low.d AS DOUBLE) + 4.0) * (low.top + 1.0)), \
         p AS (SELECT string_agg(CAST(v.x AS VARCHAR), ',' ORDER BY v.x DESC) AS profile \
               FROM v JOIN near ON {vn} GROUP BY {va}) \
         SELECT profile FROM p GROUP BY profile",
        a = a.join(", "),
        va = of("v"),
        ea = of("e"),
        vf = on("v", "f"),
        vn = on("v", "near"),
    )
}

/// The smallest exp(entropy) of the classes whose rows per value are `profiles` (each as
/// [`entropy_candidates_sql`] gives it), computed as the search does
/// ([`analytics::search::class_entropy`]); 0 if there are none.
fn exact_l_entropy<'p>(profiles: impl IntoIterator<Item = &'p str>) -> Result<f64, String> {
    let mut smallest = f64::INFINITY;
    for p in profiles {
        let mut counts = p
            .split(',')
            .map(|x| {
                x.parse::<u64>().map_err(|_| format!("a class's rows per value that are not counts: {p:?}"))
            })
            .collect::<Result<Vec<u64>, String>>()?;
        if counts.contains(&0) {
            return Err(format!("a class's rows per value that are not counts: {p:?}"));
        }
        smallest = smallest.min(analytics::search::class_entropy(&mut counts).exp());
    }
    Ok(if smallest.is_finite() { smallest } else { 0.0 })
}

/// `files` input files (in their sorted order) split into at most `jobs` (at least one) runs of
/// consecutive files, as even as can be: the earlier runs one file longer.
fn file_groups(files: usize, jobs: usize) -> Vec<std::ops::Range<usize>> {
    if files == 0 {
        return Vec::new();
    }
    let n = jobs.clamp(1, files);
    let (base, extra) = (files / n, files % n);
    let mut start = 0;
    (0..n)
        .map(|g| {
            let len = base + usize::from(g < extra);
            start += len;
            start - len..start
        })
        .collect()
}

/// Names in `dir` other than `expected` (a writer's temporary `…#1`, a rerun's second part).
fn unexpected_files(dir: &Path, expected: &[String]) -> Result<Vec<String>, Error> {
    let mut extra = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let name = e.map_err(|e| Error::io(dir, e))?.file_name().to_string_lossy().into_owned();
        if !expected.contains(&name) {
            extra.push(name);
        }
    }
    extra.sort();
    Ok(extra)
}

impl Engine for ClusterEngine {
    fn engine_name(&self) -> String {
        self.url.clone()
    }

    fn input_name(&self) -> String {
        self.input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.input.display().to_string())
    }

    fn input_path(&self) -> PathBuf {
        self.input.clone()
    }

    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn require(&self, wanted: &[String], role: &str) -> Result<(), Error> {
        if let Some(w) = wanted.iter().find(|w| !self.columns.contains(w)) {
            return Err(Error::Input {
                path: self.input.clone(),
                message: format!(
                    "has no column '{w}' (named as {role}); its columns are: {}",
                    self.columns.join(", ")
                ),
            });
        }
        Ok(())
    }

    fn check_release_columns(&self, keep: &[String]) -> Result<(), Error> {
        self.check_types(keep)?;
        // Each CSV part's header is read back as one line (parse::skip_header), and a CSV
        // reader drops a byte-order mark at the start of a line as the file's own.
        let refuse = |c: &String, why: &str| {
            Err(Error::Input {
                path: self.input.clone(),
                message: format!(
                    "column {c:?}: {why} cannot be written to microdata.csv on the cluster; rename it, \
                     drop it, or run without --engine"
                ),
            })
        };
        if let Some(c) = keep.iter().find(|c| c.contains(['\n', '\r'])) {
            return refuse(c, "a line break in a column name");
        }
        if let Some(c) = keep.first().filter(|c| c.starts_with('\u{feff}')) {
            return refuse(c, "a byte-order mark at the start of the first column's name");
        }
        Ok(())
    }

    fn count(&mut self, columns: &[String]) -> Result<Combinations, Error> {
        self.check_types(columns)?;
        let inner: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(j, c)| Ok(format!("{} AS {RESERVED}c{j}", self.text_of("", c)?)))
            .collect::<Result<_, Error>>()?;
        let keys: Vec<String> = (0..columns.len()).map(|j| format!("{RESERVED}c{j}")).collect();
        let sql = format!(
            "SELECT {keys}, COUNT(*) AS {RESERVED}n FROM (SELECT {inner} FROM input) GROUP BY {keys}",
            keys = keys.join(", "),
            inner = inner.join(", ")
        );
        let m = columns.len();
        let mut interner = Interner::new(m);
        let url = self.url.clone();
        let bad = |m: String| Error::Engine {
            engine: url.clone(),
            message: format!("unexpected count result: {m}"),
        };
        self.run(&sql, &mut |batch| {
            if batch.num_columns() != m + 1 {
                return Err(bad(format!("{} columns, expected {}", batch.num_columns(), m + 1)));
            }
            // Each column interned on its own thread.
            let columns = (0..m).map(|j| strings(batch, j)).collect::<Result<Vec<_>, _>>().map_err(&bad)?;
            let interned: Result<(), InternError> =
                interner.columns_mut().par_iter_mut().zip(columns.par_iter()).try_for_each(
                    |(interned, col)| {
                        (0..col.len())
                            .try_for_each(|r| interned.push(if col.is_null(r) { "" } else { col.value(r) }))
                    },
                );
            interned.map_err(|e| bad(e.to_string()))?;
            interner.push_counts(counts(batch, m).map_err(&bad)?);
            Ok(())
        })?;
        interner.finish().map_err(|e| bad(e.to_string()))
    }

    fn locate(&mut self, column: &str, value: &str) -> String {
        let Ok(value_text) = self.text_of("", column) else {
            return "a row".to_string();
        };
        // The first input file holding the value (an error message only: one small job a file;
        // each file is table `in{i}`, registered at connect).
        for (i, f) in self.files.clone().iter().enumerate() {
            let sql = format!(
                "SELECT COUNT(*) AS {RESERVED}n FROM (SELECT 1 FROM in{i} WHERE {} = {} LIMIT 1)",
                value_text,
                literal(value)
            );
            let mut found = false;
            let ran = self.run(&sql, &mut |b| {
                found |= counts(b, 0).map_err(Error::Polars)?.iter().any(|&n| n > 0);
                Ok(())
            });
            if ran.is_err() {
                break;
            }
            if found {
                return format!(
                    "a row in {}",
                    f.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
                );
            }
        }
        "a row".to_string()
    }

    fn write_microdata(
        &mut self,
        keep: &[String],
        gens: Vec<Generalisation>,
        release: Release,
        dir: &Path,
    ) -> Result<Written, Error> {
        self.check_types(keep)?;
        let scratch = dir.join(SCRATCH);
        let parts_dir = dir.join(PARTS);
        let csv_dir = scratch.join("csv");
        for d in [&scratch, &parts_dir, &csv_dir] {
            std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
        }
        let m = gens.len();
        // Each quasi-identifier's released label is column `{RESERVED}l{j}` of `x`, the input
        // row joined to the maps the client writes here; a key missing from a map (a value not
        // counted, or a label computed here that was not) is null.
        // A quasi-identifier of the input row `t` as text, as it was counted.
        let row_text: Vec<String> =
            gens.iter().map(|g| self.text_of("t.", &g.column)).collect::<Result<_, _>>()?;
        let (labels, joins, suppressed_join) = match &release {
            Release::Global(release) => {
                // Each quasi-identifier's values (or, for a built-in computed here, its labels)
                // and their labels at the node's level ([`map_keys`]).
                let mut on = Vec::with_capacity(m);
                for (j, g) in gens.iter().enumerate() {
                    let level = release.node[j] as usize;
                    let (key, v, codes) = map_keys(g, level, &row_text[j]);
                    let l: StringArray = codes.iter().map(|&c| Some(&g.labels[level][c as usize])).collect();
                    let path = scratch.join(format!("map{j}.parquet"));
                    // With staged classes, each label's code too (how they name most labels).
                    let mut columns: Vec<ArrayRef> = vec![Arc::new(v), Arc::new(l)];
                    let mut names: Vec<String> = vec!["v".into(), "l".into()];
                    if release.staged.is_some() {
                        columns.push(Arc::new(UInt32Array::from(codes)));
                        names.push("c".into());
                    }
                    write_text_table(&path, &names, columns)?;
                    self.register(&format!("map{j}"), &[path])?;
                    on.push(key);
                }
                // The suppressed classes, by their labels: those a search on the rows staged
                // (by each label's code, or at level 0 by the value, as its checks group them:
                // [`Key`]), or those the client lists.
                let mut tuples: Vec<&Vec<u32>> = release.suppressed.iter().collect();
                tuples.sort();
                let suppress = !tuples.is_empty() || release.staged.is_some();
                if release.staged.is_some() {
                    if !tuples.is_empty() {
                        return Err(self.engine_err("internal: suppressed classes both staged and listed"));
                    }
                    self.register("suppressed", &[scratch.join(STAGED)])?;
                } else if suppress {
                    let mut columns: Vec<ArrayRef> = (0..m)
                        .map(|j| {
                            let level = release.node[j] as usize;
                            Arc::new(
                                tuples
                                    .iter()
                                    .map(|t| Some(&gens[j].labels[level][t[j] as usize]))
                                    .collect::<StringArray>(),
                            ) as ArrayRef
                        })
                        .collect();
                    columns.push(Arc::new(BooleanArray::from(vec![true; tuples.len()])));
                    let mut names: Vec<String> = (0..m).map(|j| format!("l{j}")).collect();
                    names.push("s".into());
                    let path = scratch.join("suppressed.parquet");
                    write_text_table(&path, &names, columns)?;
                    self.register("suppressed", &[path])?;
                }
                let mut labels: Vec<String> = (0..m).map(|j| format!("m{j}.l AS {RESERVED}l{j}")).collect();
                if release.staged.is_some() {
                    labels.extend((0..m).map(|j| format!("m{j}.c AS {RESERVED}c{j}")));
                }
                let joins: Vec<String> =
                    (0..m).map(|j| format!("LEFT JOIN map{j} m{j} ON {} = m{j}.v", on[j])).collect();
                let suppressed_join = if release.staged.is_some() {
                    let on: Vec<String> = gens
                        .iter()
                        .enumerate()
                        .map(|(j, g)| {
                            if release.node[j] == 0 && values_are_labels(g) {
                                format!("x.{RESERVED}l{j} = s.a{j}")
                            } else {
                                format!("x.{RESERVED}c{j} = s.a{j}")
                            }
                        })
                        .collect();
                    format!("LEFT JOIN suppressed s ON {}", on.join(" AND "))
                } else if suppress {
                    let on: Vec<String> = (0..m).map(|j| format!("x.{RESERVED}l{j} = s.l{j}")).collect();
                    format!("LEFT JOIN suppressed s ON {}", on.join(" AND "))
                } else {
                    String::new()
                };
                (labels, joins.join(" "), suppressed_join)
            }
            Release::Local(local) => {
                // One map of every combination of values to its labels (suppressed ones
                // carry `*`), joined on all the quasi-identifiers at once.
                let path = scratch.join("combinations.parquet");
                write_combination_map(&path, &gens, local)?;
                self.register("combinations", &[path])?;
                let labels: Vec<String> = (0..m).map(|j| format!("c.l{j} AS {RESERVED}l{j}")).collect();
                let on: Vec<String> =
                    row_text.iter().enumerate().map(|(j, t)| format!("{t} = c.v{j}")).collect();
                let joins = format!("LEFT JOIN combinations c ON {}", on.join(" AND "));
                (labels, joins, String::new())
            }
        };
        // Staged classes (a search on the rows): before anything is written, the rows the
        // write's own joins would suppress must be exactly the rows the search suppressed, or
        // failing classes could be released in the clear.
        if let Release::Global(analytics::data::GlobalRelease { staged: Some(expected), .. }) = &release {
            let sql = format!(
                "SELECT COUNT(s.s) FROM (SELECT t.*, {labels} FROM input t {joins}) x {suppressed_join}",
                labels = labels.join(", "),
            );
            let mut matched = 0u64;
            self.run(&sql, &mut |b| {
                matched += counts(b, 0)
                    .map_err(|e| self.engine_err(format!("the rows to suppress: {e}")))?
                    .iter()
                    .sum::<u64>();
                Ok(())
            })?;
            if matched != *expected {
                return Err(self.engine_err(format!(
                    "the write would suppress {matched} rows, but the search suppressed {expected}; nothing was released"
                )));
            }
        }
        // Suppressed classes are joined by their labels (a local map carries `*` itself).
        let suppress = !suppressed_join.is_empty();
        // Suppressed rows get `*`: read, map, suppress, write the group's part.
        let qi_of = |c: &str| gens.iter().position(|g| g.column == c);
        let select: Vec<String> = keep
            .iter()
            .map(|c| -> Result<String, Error> {
                Ok(match qi_of(c) {
                    Some(j) if suppress => {
                        format!("CASE WHEN s.s IS NULL THEN x.{RESERVED}l{j} ELSE '*' END AS {}", ident(c))
                    }
                    Some(j) => format!("x.{RESERVED}l{j} AS {}", ident(c)),
                    None => format!("{} AS {}", self.text_of("x.", c)?, ident(c)),
                })
            })
            .collect::<Result<_, _>>()?;
        // The input files each write job reads: one file each for a global recoding (its maps
        // are small or per column); for a local one, whose map has a row per combination and is
        // read whole by every job, consecutive files in as many groups as there are executors.
        let groups = match &release {
            Release::Global(_) => (0..self.files.len()).map(|i| i..i + 1).collect(),
            Release::Local(_) => file_groups(self.files.len(), self.watch.executors().len()),
        };
        let names: Vec<String> = (0..groups.len()).map(|g| format!("part-{g:05}")).collect();
        let mut sqls = Vec::new();
        for (g, (name, files)) in names.iter().zip(&groups).enumerate() {
            // Each input file is table `in{i}`, registered (and its schema checked) at connect.
            let table = if files.len() == 1 {
                format!("in{}", files.start)
            } else {
                let paths: Vec<PathBuf> = self.files[files.clone()].iter().map(|f| f.path.clone()).collect();
                self.register(&format!("group{g}"), &paths)?;
                format!("group{g}")
            };
            let out = plain_path(&parts_dir.join(format!("{name}.parquet")))?;
            sqls.push(format!(
                "COPY (SELECT {select} FROM (SELECT t.*, {labels} FROM {table} t {joins}) x {suppressed_join}) \
                 TO {out} STORED AS PARQUET OPTIONS ('format.compression' 'zstd(3)')",
                select = select.join(", "),
                labels = labels.join(", "),
                out = literal(&out),
            ));
        }
        let mut written = vec![0u64; sqls.len()];
        let what = |i: usize| format!("the write of part {}", names[i]);
        self.run_all(&sqls, &what, &mut |i, b| {
            written[i] += counts(b, 0).map_err(Error::Polars)?.iter().sum::<u64>();
            Ok(())
        })?;
        let parquet_names: Vec<String> = names.iter().map(|n| format!("{n}.parquet")).collect();
        let extra = unexpected_files(&parts_dir, &parquet_names)?;
        if !extra.is_empty() {
            return Err(
                self.engine_err(format!("unexpected files among the parts written: {}", extra.join(", ")))
            );
        }
        // The parts as CSV, one job per part, joined here into microdata.csv. (Ballista 55
        // drops the CSV writer's options on the way to the executors, so each part starts with
        // the header, whichever `has_header` is asked: asked for explicitly, checked, skipped.)
        let mut sqls = Vec::new();
        for (i, n) in names.iter().enumerate() {
            self.register(&format!("part{i}"), &[parts_dir.join(&parquet_names[i])])?;
            let out = plain_path(&csv_dir.join(format!("{n}.csv")))?;
            sqls.push(format!(
                "COPY (SELECT * FROM part{i}) TO {} STORED AS CSV OPTIONS ('format.has_header' 'true')",
                literal(&out)
            ));
        }
        self.run_all(&sqls, &|i| format!("the CSV of part {}", names[i]), &mut |_, _| Ok(()))?;
        let csv_names: Vec<String> = names.iter().map(|n| format!("{n}.csv")).collect();
        let extra = unexpected_files(&csv_dir, &csv_names)?;
        if !extra.is_empty() {
            return Err(self
                .engine_err(format!("unexpected files among the CSV parts written: {}", extra.join(", "))));
        }
        let csv_path = dir.join("microdata.csv");
        {
            let out = std::fs::File::create(&csv_path).map_err(|e| Error::io(&csv_path, e))?;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
            let mut header = csv::Writer::from_writer(Vec::new());
            header
                .write_record(keep)
                .map_err(|e| Error::Output { path: csv_path.clone(), message: e.to_string() })?;
            let header = header
                .into_inner()
                .map_err(|e| Error::Output { path: csv_path.clone(), message: e.to_string() })?;
            std::io::Write::write_all(&mut out, &header).map_err(|e| Error::io(&csv_path, e))?;
            for n in &csv_names {
                let p = csv_dir.join(n);
                let part = std::fs::File::open(&p).map_err(|e| Error::io(&p, e))?;
                let mut part = std::io::BufReader::with_capacity(1 << 20, part);
                skip_header(&mut part, keep).map_err(|m| self.engine_err(format!("CSV part {n}: {m}")))?;
                std::io::copy(&mut part, &mut out).map_err(|e| Error::io(&csv_path, e))?;
                // Copied: freed now, so the rows are on disk about once while being joined, not
                // twice (the staging directory goes whole if the run fails later).
                drop(part);
                std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
            }
            let out = out.into_inner().map_err(|e| Error::io(&csv_path, e.into_error()))?;
            out.sync_all().map_err(|e| Error::io(&csv_path, e))?;
        }
        // Every row written once, every quasi-identifier mapped (a value, or a label computed in
        // the job, missing from its map would be null), and the input as it was when counted.
        let part_paths: Vec<PathBuf> = parquet_names.iter().map(|n| parts_dir.join(n)).collect();
        self.register("released", &part_paths)?;
        let unmapped: Vec<String> = gens.iter().map(|g| format!("{} IS NULL", ident(&g.column))).collect();
        let sql = format!(
            "SELECT COUNT(*) AS {RESERVED}n, SUM(CASE WHEN {} THEN 1 ELSE 0 END) AS {RESERVED}unmapped FROM released",
            if unmapped.is_empty() { "FALSE".to_string() } else { unmapped.join(" OR ") }
        );
        let (mut rows, mut nulls) = (0u64, 0u64);
        self.run(&sql, &mut |b| {
            rows += counts(b, 0).map_err(Error::Polars)?.iter().sum::<u64>();
            nulls += counts(b, 1).map_err(Error::Polars)?.iter().sum::<u64>();
            Ok(())
        })?;
        if nulls > 0 {
            return Err(self.engine_err(format!(
                "{nulls} rows have a value that was not counted, or that its hierarchy refuses (did the input change?)"
            )));
        }
        let sum: u64 = written.iter().sum();
        if sum != rows {
            return Err(
                self.engine_err(format!("the write jobs reported {sum} rows but the parts hold {rows}"))
            );
        }
        self.check_input_unchanged()?;
        std::fs::remove_dir_all(&scratch).map_err(|e| Error::io(&scratch, e))?;
        let mut files = vec!["microdata.csv".to_string()];
        files.extend(parquet_names.iter().map(|n| format!("{PARTS}/{n}")));
        Ok(Written { rows, files })
    }

    fn released_counts(
        &mut self,
        _dir: &Path,
        group_by: &[String],
    ) -> Result<Vec<(Vec<String>, u64)>, Error> {
        let cols: Vec<String> = group_by.iter().map(|c| ident(c)).collect();
        let sql =
            format!("SELECT {c}, COUNT(*) AS {RESERVED}n FROM released GROUP BY {c}", c = cols.join(", "));
        let mut out = Vec::new();
        let k = group_by.len();
        self.run(&sql, &mut |b| {
            let texts =
                (0..k).map(|j| strings(b, j)).collect::<Result<Vec<_>, _>>().map_err(Error::Polars)?;
            let n = counts(b, k).map_err(Error::Polars)?;
            for (r, &n) in n.iter().enumerate() {
                out.push((
                    texts
                        .iter()
                        .map(|t| if t.is_null(r) { String::new() } else { t.value(r).to_string() })
                        .collect(),
                    n,
                ));
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// One job: the input rows joined to a map per quasi-identifier (each value's, or computed
    /// label's, label code and loss units at the node's level, written here from `gens`:
    /// [`totals_map`]), grouped into the node's classes, and the classes added up by `GROUPING
    /// SETS`: the node's totals and, per column, the suppressed rows by label. Every sum is over
    /// whole numbers (decimals of 38 digits).
    fn node_totals(
        &mut self,
        gens: &[Generalisation],
        sensitive: &[String],
        criteria: &Criteria,
        node: &[u8],
        dir: &Path,
    ) -> Result<Option<(NodeTotals, u64)>, Error> {
        if criteria.diversity.iter().any(|&(_, d)| d != Diversity::Distinct) {
            return Err(self.engine_err("internal: the totals job decides k and distinct l only"));
        }
        let scratch = dir.join(SCRATCH).join("totals");
        std::fs::create_dir_all(&scratch).map_err(|e| Error::io(&scratch, e))?;
        let mut qi_keys = Vec::with_capacity(gens.len());
        for (j, g) in gens.iter().enumerate() {
            let (on, columns) = totals_map(g, node[j] as usize, &self.text_of("t.", &g.column)?);
            let path = scratch.join(format!("map{j}.parquet"));
            write_text_table(&path, &["v".into(), "c".into(), "u".into()], columns)?;
            self.register(&format!("tmap{j}"), &[path])?;
            qi_keys.push(Key::Map(on));
        }
        let s_text: Vec<String> =
            sensitive.iter().map(|c| self.text_of("t.", c)).collect::<Result<_, _>>()?;
        let l_of: Vec<u64> = criteria.diversity.iter().map(|&(l, _)| l).collect();
        let sql = totals_sql(&qi_keys, &s_text, criteria.k, &l_of);
        let mut reader = TotalsReader::new(gens.len(), sensitive.len());
        self.run(&sql, &mut |b| {
            reader.add(b).map_err(|e| self.engine_err(format!("the totals job's result: {e}")))
        })?;
        let (t, total, missing) =
            reader.finish().map_err(|e| self.engine_err(format!("the totals job's result: {e}")))?;
        if missing > 0 {
            return Err(self.engine_err(format!(
                "{missing} rows have a quasi-identifier value that was not counted, or that its hierarchy refuses; \
                 nothing was released"
            )));
        }
        std::fs::remove_dir_all(&scratch).map_err(|e| Error::io(&scratch, e))?;
        Ok(Some((t, total)))
    }

    fn searches_on_rows(&self) -> bool {
        self.on_rows
    }

    fn value_rows(&mut self, columns: &[String]) -> Result<Vec<(Labels, Vec<u64>)>, Error> {
        self.check_types(columns)?;
        let m = columns.len();
        let inner: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(j, c)| Ok(format!("{} AS v{j}", self.text_of("", c)?)))
            .collect::<Result<_, Error>>()?;
        let keys: Vec<String> = (0..m).map(|j| format!("v{j}")).collect();
        let sets: Vec<String> = keys.iter().map(|k| format!("({k})")).collect();
        let sql = format!(
            "SELECT {keys}, COUNT(*) AS n FROM (SELECT {inner} FROM input) GROUP BY GROUPING SETS ({sets})",
            keys = keys.join(", "),
            inner = inner.join(", "),
            sets = sets.join(", "),
        );
        let mut got: Vec<(Labels, Vec<u64>)> = (0..m).map(|_| (Labels::default(), Vec::new())).collect();
        let url = self.url.clone();
        let bad = |m: String| Error::Engine {
            engine: url.clone(),
            message: format!("unexpected count result: {m}"),
        };
        self.run(&sql, &mut |batch| {
            if batch.num_columns() != m + 1 {
                return Err(bad(format!("{} columns, expected {}", batch.num_columns(), m + 1)));
            }
            let columns = (0..m).map(|j| strings(batch, j)).collect::<Result<Vec<_>, _>>().map_err(&bad)?;
            let n = counts(batch, m).map_err(&bad)?;
            for (r, &n) in n.iter().enumerate() {
                // A row of grouping set j: its value set (the text is never null), the others null.
                let mut set = (0..m).filter(|&j| !columns[j].is_null(r));
                let (Some(j), None) = (set.next(), set.next()) else {
                    return Err(bad("a row of no or several grouping sets".into()));
                };
                got[j].0.push(columns[j].value(r));
                got[j].1.push(n);
            }
            Ok(())
        })?;
        // Sorted by value, as the local engine's codes are.
        got.into_iter()
            .zip(columns)
            .map(|((values, rows), c)| {
                let mut order: Vec<u32> = (0..values.len() as u32).collect();
                order.par_sort_unstable_by(|&a, &b| values[a as usize].cmp(&values[b as usize]));
                if order.windows(2).any(|w| values[w[0] as usize] == values[w[1] as usize]) {
                    return Err(bad(format!("a value of column '{c}' counted twice")));
                }
                let sorted: Labels = order.iter().map(|&i| &values[i as usize]).collect();
                Ok((sorted, order.iter().map(|&i| rows[i as usize]).collect()))
            })
            .collect()
    }

    fn checks_on_rows<'a>(
        &'a self,
        gens: &'a [Generalisation],
        sensitive: &'a [String],
        criteria: &'a Criteria,
        value_rows: &'a [Vec<u64>],
        dir: &'a Path,
    ) -> Result<Box<dyn analytics::search::Totals + 'a>, Error> {
        if criteria.diversity.iter().any(|&(_, d)| d != Diversity::Distinct) {
            return Err(self.engine_err("internal: the checks on the rows decide k and distinct l only"));
        }
        if value_rows.len() != gens.len() {
            return Err(self.engine_err("internal: the values' rows are not one per quasi-identifier"));
        }
        let sums: Vec<u64> = value_rows.iter().map(|r| r.iter().sum()).collect();
        let rows = sums.first().copied().unwrap_or(0);
        if sums.iter().any(|&s| s != rows) {
            return Err(
                self.engine_err(format!("internal: the values' rows add up to {sums:?}, not one number"))
            );
        }
        self.encode(gens, sensitive, rows, dir)?;
        // The checks' scratch directory (the maps of `node_keys`), made as they begin.
        let checks = dir.join(SCRATCH).join(CHECKS);
        std::fs::create_dir_all(&checks).map_err(|e| Error::io(&checks, e))?;
        Ok(Box::new(RowChecks {
            engine: self,
            rows,
            gens,
            value_rows,
            sensitive: sensitive.len(),
            criteria,
            passed: Default::default(),
        }))
    }

    fn node_figures(
        &self,
        gens: &[Generalisation],
        sensitive: &[String],
        criteria: &Criteria,
        node: &[u8],
        dir: &Path,
    ) -> Result<NodeFigures, Error> {
        // The classes' figures from the encoded rows; the failing classes, which the write
        // joins to the input, by the node's labels as the write finds them (so the staged rows,
        // checked against the search's, also check one grouping against the other).
        let (codes, s_codes) = self.coded_keys(node, sensitive.len())?;
        let scratch = dir.join(SCRATCH).join(CHECKS);
        let keys = self.node_keys(gens, node, &scratch)?;
        let s_text: Vec<String> =
            sensitive.iter().map(|c| self.text_of("t.", c)).collect::<Result<_, _>>()?;
        let l: Vec<u64> = criteria.diversity.iter().map(|&(l, _)| l).collect();
        let k = criteria.k;
        // The original classes: the level-0 codes, packed if they pack.
        let (bottom, _) = self.coded_keys(&vec![0; gens.len()], 0)?;
        let values: Vec<String> = match packed_key(&bottom) {
            Some((key, _)) => vec![key],
            None => (0..gens.len()).map(|j| format!("t.{}", encoded_column(j, 0))).collect(),
        };
        // Jobs 0 and 1 the histograms of the kept and the original classes' sizes, 2 the
        // staging of the failing classes, 3 + i the profiles of least entropy of sensitive
        // attribute i: independent, so run at once.
        let path = dir.join(SCRATCH).join(STAGED);
        let mut sqls = vec![
            kept_histogram_sql(&codes, &s_codes, k, &l),
            bottom_histogram_sql(&values, "enc"),
            failing_classes_sql(&keys, &s_text, k, &l, &plain_path(&path)?),
        ];
        sqls.extend((0..sensitive.len()).map(|i| entropy_candidates_sql(&codes, &s_codes, k, &l, i)));
        let mut histograms: [Vec<(u64, u64)>; 2] = Default::default();
        let mut profiles: Vec<Vec<String>> = vec![Vec::new(); sensitive.len()];
        let name = |job: usize| {
            match job {
                0 => "the kept classes' sizes",
                1 => "the original classes' sizes",
                2 => "the staging of the failing classes",
                i => return format!("the classes of least entropy of '{}'", sensitive[i - 3]),
            }
            .to_string()
        };
        self.run_all(&sqls, &name, &mut |job, b| {
            if job == 2 {
                return Ok(());
            }
            let err = |e: String| self.engine_err(format!("{}: {e}", name(job)));
            if job < 2 {
                let (size, n) = (counts(b, 0).map_err(err)?, counts(b, 1).map_err(err)?);
                histograms[job].extend(size.into_iter().zip(n));
            } else {
                let p = strings(b, 0).map_err(err)?;
                profiles[job - 3].extend((0..p.len()).map(|r| p.value(r).to_string()));
            }
            Ok(())
        })?;
        let [kept_histogram, bottom_histogram] = histograms;
        let mut l_entropy = Vec::with_capacity(sensitive.len());
        for profiles in &profiles {
            // Kept classes have an entropy, so some profile must come back.
            if profiles.is_empty() && kept_histogram.iter().any(|&(_, n)| n > 0) {
                return Err(
                    self.engine_err("the classes of least entropy: none came back, but classes are kept")
                );
            }
            let least = exact_l_entropy(profiles.iter().map(String::as_str))
                .map_err(|e| self.engine_err(format!("the classes of least entropy: {e}")))?;
            l_entropy.push(least);
        }
        // The failing classes staged, for the write job to suppress; read back, so that the
        // client can check they hold the rows the search suppressed.
        self.register("staged", &[path])?;
        let mut staged_rows = 0u64;
        self.run("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM staged", &mut |b| {
            staged_rows += counts(b, 0)
                .map_err(|e| self.engine_err(format!("the staged classes: {e}")))?
                .iter()
                .sum::<u64>();
            Ok(())
        })?;
        Ok(NodeFigures { kept_histogram, bottom_histogram, l_entropy, staged_rows })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use analytics::policy::HierarchySpec;

    /// A random number below `n` from `seed` (an LCG), for the tests' data.
    fn below(seed: &mut u64, n: u64) -> u64 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (*seed >> 33) % n
    }

    /// Runs the totals job here on DataFusion, over an input table of the quasi-identifier
    /// columns `qi` (hierarchies `specs`) and 0, 1 or 2 sensitive columns (each count in
    /// `sensitive`; the first column has nulls) and the maps as the cluster joins them
    /// ([`totals_map`]), for every node of the lattice and each k of `ks[sensitive columns]`;
    /// asserts the totals equal what the search counts from the combinations, and that the rows
    /// of a key missing from a map are counted as missing.
    fn regroup_every_node(qi: &[Vec<String>], specs: &[HierarchySpec], sensitive: &[usize], ks: [&[u64]; 3]) {
        use analytics::search::{Base, Problem};
        use datafusion::datasource::MemTable;
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let (m, rows) = (qi.len(), qi[0].len());
        let mut seed = 11u64;
        // The first sensitive column has nulls (the grouping by value counts "" as one); l is
        // 2 for the first and 3 for the second.
        let sens: Vec<Vec<Option<String>>> = vec![
            (0..rows)
                .map(|_| (below(&mut seed, 5) != 0).then(|| format!("e{}", below(&mut seed, 3))))
                .collect(),
            (0..rows).map(|_| Some(format!("d{}", below(&mut seed, 5)))).collect(),
        ];
        let ls = [2u64, 3];
        let gens: Vec<Generalisation> = (0..m)
            .map(|j| {
                let mut v = qi[j].clone();
                v.sort();
                v.dedup();
                Generalisation::build(&format!("q{j}"), &specs[j], &v).expect("hierarchy")
            })
            .collect();
        let code = |j: usize, r: usize| {
            gens[j].values().iter().position(|v| v == qi[j][r].as_str()).expect("value") as u32
        };
        for (g, spec) in gens.iter().zip(specs) {
            let computed = matches!(spec, HierarchySpec::UkPostcode | HierarchySpec::Date);
            assert_eq!(label_sql(g, 1, "v").is_some(), computed, "{spec:?}");
        }
        for &s_count in sensitive {
            // The combinations, as the search counts them.
            let mut combos: std::collections::BTreeMap<Vec<u32>, u64> = Default::default();
            let sens_text = |i: usize, r: usize| sens[i][r].clone().unwrap_or_default();
            let mut sens_values: Vec<Vec<String>> =
                (0..s_count).map(|i| (0..rows).map(|r| sens_text(i, r)).collect()).collect();
            for v in &mut sens_values {
                v.sort();
                v.dedup();
            }
            for r in 0..rows {
                let mut key: Vec<u32> = (0..m).map(|j| code(j, r)).collect();
                for (i, values) in sens_values.iter().enumerate() {
                    key.push(values.binary_search(&sens_text(i, r)).expect("sensitive") as u32);
                }
                *combos.entry(key).or_insert(0) += 1;
            }
            let mut q: Vec<Vec<u32>> = vec![Vec::new(); m];
            let mut sc: Vec<Vec<u32>> = vec![Vec::new(); s_count];
            let mut count = Vec::new();
            for (key, n) in combos {
                for (j, column) in q.iter_mut().enumerate() {
                    column.push(key[j]);
                }
                for (i, column) in sc.iter_mut().enumerate() {
                    column.push(key[m + i]);
                }
                count.push(n);
            }
            let base = Base {
                qi: q.into(),
                sensitive: sc,
                sensitive_card: sens_values.iter().map(|v| v.len() as u32).collect(),
                count,
            };
            // The input table.
            let mut fields: Vec<Field> =
                (0..m).map(|j| Field::new(format!("q{j}"), DataType::Utf8, false)).collect();
            let mut arrays: Vec<ArrayRef> = qi
                .iter()
                .map(|c| Arc::new(c.iter().map(|v| Some(v.as_str())).collect::<StringArray>()) as ArrayRef)
                .collect();
            for (i, c) in sens.iter().enumerate().take(s_count) {
                fields.push(Field::new(format!("s{i}"), DataType::Utf8, true));
                arrays.push(Arc::new(c.iter().map(|v| v.as_deref()).collect::<StringArray>()));
            }
            let schema = Arc::new(Schema::new(fields));
            let input = RecordBatch::try_new(Arc::clone(&schema), arrays).expect("input");
            let ctx = SessionContext::new();
            ctx.register_table(
                "input",
                Arc::new(MemTable::try_new(schema, vec![vec![input]]).expect("table")),
            )
            .expect("register");
            let text_of = |c: &str| text(&format!("t.{}", ident(c)), &DataType::Utf8).expect("text");
            let s_text: Vec<String> = (0..s_count).map(|i| text_of(&format!("s{i}"))).collect();
            // The rows encoded as a search on the rows encodes them (the maps and the job's
            // select of [`ClusterEngine::encode`]), and each value's rows.
            for (j, g) in gens.iter().enumerate() {
                ctx.register_table(format!("emap{j}"), Arc::new(map_table(g, false))).expect("register map");
            }
            let values: Vec<String> = (0..m).map(|j| text_of(&format!("q{j}"))).collect();
            let encoded = rt
                .block_on(async {
                    ctx.sql(&encode_select("input", &values, &gens, &s_text)).await?.collect().await
                })
                .expect("the encoding runs");
            ctx.register_table(
                "enc",
                Arc::new(MemTable::try_new(encoded[0].schema(), vec![encoded]).expect("enc")),
            )
            .expect("register enc");
            let mut value_rows: Vec<Vec<u64>> = gens.iter().map(|g| vec![0; g.values().len()]).collect();
            for r in 0..rows {
                for (j, v) in value_rows.iter_mut().enumerate() {
                    v[code(j, r) as usize] += 1;
                }
            }
            // The keys of `node` over the encoded rows: packed into one integer, as the engine
            // groups them, or (`wide`: each level's labels claimed to be 2^40, so that six
            // cannot pack) one column per quasi-identifier.
            let (s_codes, coded_as): (Vec<String>, _) =
                ((0..s_count).map(|i| format!("t.s{i}")).collect(), |node: &[u8], wide: bool| -> Vec<Key> {
                    node.iter()
                        .enumerate()
                        .map(|(j, &l)| {
                            let labels = if wide { 1 << 40 } else { gens[j].labels[l as usize].len() as u64 };
                            Key::Code(format!("t.{}", encoded_column(j, l as usize)), labels)
                        })
                        .collect()
                });
            let coded = |node: &[u8]| coded_as(node, false);
            assert!(m < 2 || packed_key(&coded_as(&vec![0; m], true)).is_none(), "wide keys do not pack");
            // The job with the maps of `node` (map 0's first key dropped if `drop_first`).
            // The job with the maps of `node` (map 0's first key dropped if `drop_first`); with
            // `by_value`, as a check of a search on the rows: level 0 by the value's text.
            let run = |node: &[u8], drop_first: bool, by_value: bool, k: u64, l: &[u64]| {
                let mut on = Vec::new();
                for (j, g) in gens.iter().enumerate() {
                    let value = text_of(&format!("q{j}"));
                    if by_value && node[j] == 0 && values_are_labels(g) {
                        on.push(Key::Value(value));
                        continue;
                    }
                    let (key, mut columns) = totals_map(g, node[j] as usize, &value);
                    if drop_first && j == 0 {
                        columns = columns.iter().map(|a| a.slice(1, a.len() - 1)).collect();
                    }
                    on.push(Key::Map(key));
                    let fields: Vec<Field> = ["v", "c", "u"]
                        .iter()
                        .zip(&columns)
                        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
                        .collect();
                    let schema = Arc::new(Schema::new(fields));
                    let batch = RecordBatch::try_new(Arc::clone(&schema), columns).expect("map");
                    let _ = ctx.deregister_table(format!("tmap{j}"));
                    ctx.register_table(
                        format!("tmap{j}"),
                        Arc::new(MemTable::try_new(schema, vec![vec![batch]]).expect("map table")),
                    )
                    .expect("register map");
                }
                let sql = totals_sql(&on, &s_text, k, l);
                let batches =
                    rt.block_on(async { ctx.sql(&sql).await?.collect().await }).expect("the job runs");
                let values: Vec<Option<&Labels>> = on
                    .iter()
                    .zip(&gens)
                    .map(|(key, g)| matches!(key, Key::Value(_)).then(|| g.values()))
                    .collect();
                let mut reader = TotalsReader::with_values(values, s_count);
                for b in &batches {
                    reader.add(b).expect("read");
                }
                let (t, total, missing) = reader.finish().expect("totals");
                (t, total, missing, on)
            };
            let collect = |sql: &str| -> Vec<RecordBatch> {
                rt.block_on(async { ctx.sql(sql).await?.collect().await }).expect("the job runs")
            };
            let histogram = |sql: &str| -> Vec<(u64, u64)> {
                let mut h: Vec<(u64, u64)> = collect(sql)
                    .iter()
                    .flat_map(|b| {
                        counts(b, 0).expect("sizes").into_iter().zip(counts(b, 1).expect("classes"))
                    })
                    .collect();
                h.sort_unstable();
                h
            };
            let histogram_of = |sizes: &[u64]| -> Vec<(u64, u64)> {
                let mut h: std::collections::BTreeMap<u64, u64> = Default::default();
                for &s in sizes {
                    *h.entry(s).or_default() += 1;
                }
                h.into_iter().collect()
            };
            // A label of a job's result as its code: a value's position among the values, or
            // the map's code.
            let code_of = |key: &Key, g: &Generalisation, a: &ArrayRef, r: usize| -> u32 {
                match key {
                    Key::Value(_) => {
                        let text = cast(a, &DataType::Utf8).expect("text");
                        g.values().binary_search(text.as_string::<i32>().value(r)).expect("a value") as u32
                    }
                    Key::Map(_) | Key::Code(..) => cast(a, &DataType::UInt32)
                        .expect("code")
                        .as_primitive::<datafusion::arrow::datatypes::UInt32Type>()
                        .value(r),
                }
            };
            // The classes of the original values, as the search counts them.
            let bottom: Vec<String> = (0..m).map(|j| text_of(&format!("q{j}"))).collect();
            let bottom_codes: Vec<String> = (0..m).map(|j| format!("t.{}", encoded_column(j, 0))).collect();
            let bottom_packed = vec![packed_key(&coded(&vec![0; m])).expect("the test's codes pack").0];
            for (values, table) in [(&bottom, "input"), (&bottom_codes, "enc"), (&bottom_packed, "enc")] {
                assert_eq!(
                    histogram(&bottom_histogram_sql(values, table)),
                    histogram_of(&base.bottom_class_sizes().expect("sorted"))
                );
            }
            // A directory of its own: the tests that share this helper run at once in one
            // process (a name from the process id and `s_count` was shared, and flaked in CI).
            let scratch_dir = tempfile::tempdir().expect("scratch");
            let scratch = scratch_dir.path();
            let nodes: Vec<Vec<u8>> = gens.iter().fold(vec![Vec::new()], |nodes, g| {
                nodes
                    .iter()
                    .flat_map(|n| {
                        (0..=g.height() as u8).map(move |l| {
                            let mut n = n.clone();
                            n.push(l);
                            n
                        })
                    })
                    .collect()
            });
            let mut checked = 0;
            for &k in ks[s_count] {
                let criteria = Criteria {
                    k,
                    max_suppressed: rows as u64,
                    diversity: ls[..s_count].iter().map(|&l| (l, Diversity::Distinct)).collect(),
                };
                let p = Problem::new(&gens, &base, criteria);
                for (n, node) in nodes.iter().enumerate() {
                    let (theirs, total, missing, _) = run(node, false, false, k, &ls[..s_count]);
                    let mut mine = p.node_totals(node).expect("totals");
                    let l_entropy = std::mem::take(&mut mine.l_entropy);
                    assert_eq!(missing, 0);
                    assert_eq!(mine.difference(rows as u64, &theirs, total), None, "k {k} node {node:?}");
                    checked += usize::from(theirs.suppressed > 0 && theirs.kept > 0);
                    // As a check of a search on the rows (for the first k), and a chosen node's
                    // figures (for every other node: the test's time).
                    if k != ks[s_count][0] {
                        continue;
                    }
                    let (theirs, total, missing, keys) = run(node, false, true, k, &ls[..s_count]);
                    assert_eq!(missing, 0);
                    assert_eq!(
                        mine.difference(rows as u64, &theirs, total),
                        None,
                        "on rows: k {k} node {node:?}"
                    );
                    // And from the encoded rows, packed and not, the loss units added by the
                    // client.
                    for wide in [false, true] {
                        let keys = coded_as(node, wide);
                        assert_eq!(packed_key(&keys).is_some(), !wide || m == 1, "packing of {node:?}");
                        let sql = totals_sql(&keys, &s_codes, k, &ls[..s_count]);
                        let mut reader = TotalsReader::new(m, s_count);
                        for b in &collect(&sql) {
                            reader.add(b).expect("read");
                        }
                        let (mut theirs, total, missing) = reader.finish().expect("totals");
                        assert_eq!(missing, 0);
                        assert!(theirs.loss_units.iter().all(|&u| u == 0), "a coded job counts no loss");
                        add_loss_units(&mut theirs, &gens, &value_rows, node).expect("loss units");
                        assert_eq!(
                            mine.difference(rows as u64, &theirs, total),
                            None,
                            "encoded (wide {wide}): k {k} node {node:?}"
                        );
                    }
                    if n % 2 == 1 {
                        continue;
                    }
                    let (_, classes) = p.evaluate_full(node).expect("classes");
                    let l = &ls[..s_count];
                    // The figures from the encoded rows, as a search on the rows finds them; the
                    // kept sizes by the labels too.
                    for (keys, s_text) in
                        [(&keys, &s_text), (&coded(node), &s_codes), (&coded_as(node, true), &s_codes)]
                    {
                        assert_eq!(
                            histogram(&kept_histogram_sql(keys, s_text, k, l)),
                            histogram_of(&classes.kept_sizes),
                            "kept sizes: k {k} node {node:?}"
                        );
                    }
                    for ((i, &mine), wide) in
                        l_entropy.iter().enumerate().flat_map(|p| [(p, false), (p, true)])
                    {
                        let profiles: Vec<String> =
                            collect(&entropy_candidates_sql(&coded_as(node, wide), &s_codes, k, l, i))
                                .iter()
                                .flat_map(|b| {
                                    let p = strings(b, 0).expect("profiles");
                                    (0..p.len()).map(|r| p.value(r).to_string()).collect::<Vec<_>>()
                                })
                                .collect();
                        let distinct: std::collections::HashSet<&String> = profiles.iter().collect();
                        assert_eq!(distinct.len(), profiles.len(), "a profile twice: {profiles:?}");
                        let theirs = exact_l_entropy(profiles.iter().map(String::as_str)).expect("profiles");
                        assert_eq!(
                            theirs.to_bits(),
                            mine.to_bits(),
                            "entropy l {i} (wide {wide}): k {k} node {node:?}: {theirs} {mine}"
                        );
                    }
                    let out = scratch.join("failing.parquet");
                    let _ = std::fs::remove_file(&out);
                    collect(&failing_classes_sql(&keys, &s_text, k, l, &plain_path(&out).expect("path")));
                    let failing: Vec<RecordBatch> = rt
                        .block_on(async {
                            ctx.read_parquet(plain_path(&out).expect("path"), Default::default())
                                .await?
                                .collect()
                                .await
                        })
                        .expect("the failing classes");
                    let mut staged: Vec<Vec<u32>> = failing
                        .iter()
                        .flat_map(|b| {
                            (0..b.num_rows())
                                .map(|r| {
                                    (0..m).map(|j| code_of(&keys[j], &gens[j], b.column(j), r)).collect()
                                })
                                .collect::<Vec<Vec<u32>>>()
                        })
                        .collect();
                    let mut listed = classes.suppressed_labels.clone();
                    staged.sort();
                    listed.sort();
                    assert_eq!(staged, listed, "failing classes: k {k} node {node:?}");
                    let staged_rows: u64 =
                        failing.iter().map(|b| counts(b, m).expect("rows").iter().sum::<u64>()).sum();
                    assert_eq!(staged_rows, classes.suppressed_sizes.iter().sum::<u64>());
                }
            }
            assert!(checked > 5, "too few nodes with both kept and suppressed classes: {checked}");
            // A key missing from its map (column 0's first value, or its first label at level 1
            // if the job computes its labels): its rows are counted as missing, not dropped.
            let (_, total, missing, _) = run(&vec![1; m], true, false, 2, &ls[..s_count]);
            let by_label = label_sql(&gens[0], 1, "v").is_some();
            let dropped = (0..rows)
                .filter(
                    |&r| if by_label { gens[0].codes[1][code(0, r) as usize] == 0 } else { code(0, r) == 0 },
                )
                .count() as u128;
            assert!(dropped > 0);
            assert_eq!((total, missing), (rows as u64, dropped));
            scratch_dir.close().expect("scratch removed");
        }
    }

    /// Quasi-identifier `g`'s encoding map as a table ([`encoding_map`]), without its first
    /// value if `drop_first`.
    fn map_table(g: &Generalisation, drop_first: bool) -> datafusion::datasource::MemTable {
        let (names, batches) = encoding_map(g);
        let mut batches: Vec<RecordBatch> = batches
            .map(|columns| {
                let fields: Vec<Field> = names
                    .iter()
                    .zip(&columns)
                    .map(|(n, a)| Field::new(n, a.data_type().clone(), true))
                    .collect();
                RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("map")
            })
            .collect();
        if drop_first {
            batches[0] = batches[0].slice(1, batches[0].num_rows() - 1);
        }
        let schema = batches[0].schema();
        datafusion::datasource::MemTable::try_new(schema, vec![batches]).expect("map")
    }

    /// Codes pack into one BIGINT, last column fastest, while every combination is below 2^63;
    /// not past it, nor with a key that is not a code, nor with no key.
    #[test]
    fn codes_pack_while_every_combination_fits_in_a_bigint() {
        let code = |labels: u64| Key::Code("t.e".into(), labels);
        let (sql, radix) = packed_key(&[code(10), code(7), code(0)]).expect("packs");
        assert_eq!(radix, vec![(7, 10), (1, 7), (1, 1)]);
        assert_eq!(sql, "(CAST(t.e AS BIGINT) * 7 + CAST(t.e AS BIGINT) * 1 + CAST(t.e AS BIGINT) * 1)");
        let most = i64::MAX as u64 / 3;
        let fits = packed_key(&[code(3), code(most)]).expect("i64::MAX - 1 combinations");
        assert_eq!(fits.1, vec![(most, 3), (1, most)]);
        assert!(packed_key(&[code(1 << 31), code(1 << 31), code(2)]).is_none(), "2^63 combinations");
        assert!(packed_key(&[code(1), code(1 << 31), code(1 << 32)]).is_none(), "2^63 combinations");
        assert!(packed_key(&[code(1 << 32), code(1 << 32), code(2)]).is_none(), "2^65 combinations");
        assert!(packed_key(&[code(3), Key::Value("t.v".into())]).is_none());
        assert!(packed_key(&[code(3), Key::Map("t.v".into())]).is_none());
        assert!(packed_key(&[]).is_none());
    }

    /// The encoding gives each row its value's code at every level and its sensitive text; a
    /// value its map lacks, or a code beyond its level's labels, is counted as missing (the run
    /// then fails), never dropped.
    #[test]
    fn the_encoding_codes_every_level_and_counts_a_value_its_map_lacks() {
        use datafusion::datasource::MemTable;
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let values: Vec<String> = (1..=6).map(|v| v.to_string()).collect();
        let spec = HierarchySpec::Interval { widths: vec![2, 4], range: None };
        let gens = vec![Generalisation::build("q0", &spec, &values).expect("hierarchy")];
        let rows = ["1", "2", "2", "3", "5", "6", "6", "6"];
        let sens = [Some("x"), None, Some("y"), Some("x"), Some("x"), Some("z"), None, Some("x")];
        // 0: the map; 1: its first value dropped (a missing code); 2: its last value's top
        // code one past the top level's labels (the packing would fold it into another label).
        for mode in 0..3 {
            let drop_first = mode == 1;
            let mut mapped = gens[0].clone();
            if mode == 2 {
                let top = mapped.height();
                let last = mapped.codes[top].len() - 1;
                mapped.codes[top][last] = mapped.labels[top].len() as u32;
            }
            let ctx = SessionContext::new();
            let schema = Arc::new(Schema::new(vec![
                Field::new("q0", DataType::Utf8, false),
                Field::new("s0", DataType::Utf8, true),
            ]));
            let input = RecordBatch::try_new(
                Arc::clone(&schema),
                vec![Arc::new(StringArray::from(rows.to_vec())), Arc::new(StringArray::from(sens.to_vec()))],
            )
            .expect("input");
            ctx.register_table(
                "input",
                Arc::new(MemTable::try_new(schema, vec![vec![input]]).expect("input")),
            )
            .expect("register");
            ctx.register_table("emap0", Arc::new(map_table(&mapped, drop_first))).expect("register map");
            let text_of = |c: &str| text(&format!("t.{}", ident(c)), &DataType::Utf8).expect("text");
            let sql = encode_select("input", &[text_of("q0")], &gens, &[text_of("s0")]);
            let run =
                |sql: &str| rt.block_on(async { ctx.sql(sql).await?.collect().await }).expect("the job runs");
            let encoded = run(&sql);
            let schema = encoded[0].schema();
            ctx.register_table(
                "enc",
                Arc::new(MemTable::try_new(schema, vec![encoded.clone()]).expect("enc")),
            )
            .expect("register enc");
            let got = run(&encoded_count_sql(&gens));
            let count = |i: usize| counts(&got[0], i).expect("a count")[0];
            // Value "1" (the map's first) is on one row, "6" (its last) on three.
            let expected = [(8, 0, 0), (8, 1, 0), (8, 0, 3)][mode];
            assert_eq!((count(0), count(1), count(2)), expected, "mode {mode}");
            if mode > 0 {
                continue;
            }
            // Each row's code at each level the hierarchy's, the sensitive text with a null as "".
            let b = &encoded[0];
            let h = gens[0].height();
            assert_eq!(b.num_columns(), h + 2);
            let levels: Vec<ArrayRef> =
                (0..=h).map(|l| cast(b.column(l), &DataType::UInt32).expect("codes")).collect();
            let text = strings(b, h + 1).expect("text");
            let mut got: Vec<(Vec<u32>, String)> = (0..b.num_rows())
                .map(|r| {
                    let codes = levels
                        .iter()
                        .map(|a| a.as_primitive::<datafusion::arrow::datatypes::UInt32Type>().value(r))
                        .collect();
                    (codes, text.value(r).to_string())
                })
                .collect();
            let mut expected: Vec<(Vec<u32>, String)> = rows
                .iter()
                .zip(sens)
                .map(|(v, s)| {
                    let code = values.binary_search(&v.to_string()).expect("value");
                    ((0..=h).map(|l| gens[0].codes[l][code]).collect(), s.unwrap_or("").to_string())
                })
                .collect();
            got.sort();
            expected.sort();
            assert_eq!(got, expected);
        }
    }

    /// The totals job gives for every node of the lattice exactly the totals the search counts
    /// from the combinations: with no, one and two sensitive attributes (one with nulls), for
    /// several k; and it counts the rows of a value missing from its map.
    #[test]
    fn the_totals_job_regroups_what_the_search_counts() {
        let mut seed = 7u64;
        let qi: Vec<Vec<String>> = [30u64, 90, 400]
            .iter()
            .map(|&n| (0..3000).map(|_| below(&mut seed, n).to_string()).collect())
            .collect();
        let spec = HierarchySpec::Interval { widths: vec![2, 4, 8], range: None };
        regroup_every_node(
            &qi,
            &[spec.clone(), spec.clone(), spec],
            &[0, 1, 2],
            [&[2, 40], &[5, 2], &[40, 5]],
        );
    }

    /// The same with built-ins whose labels the job computes ([`label_sql`]: UK postcodes and
    /// dates, as the synthetic patients have them) beside one mapped by value (age bands).
    #[test]
    fn the_totals_job_regroups_built_in_labels_computed_in_sql() {
        let p = analytics::synth::PatientGenerator::new(3).columns(0, 3000);
        let qi = vec![p.postcode, p.admission_date, p.age.iter().map(u32::to_string).collect()];
        let age = HierarchySpec::Interval { widths: vec![10, 20], range: Some((0, 150)) };
        regroup_every_node(
            &qi,
            &[HierarchySpec::UkPostcode, HierarchySpec::Date, age],
            &[1],
            [&[], &[3], &[]],
        );
    }

    /// The least entropy of the candidate profiles is the search's own, and a profile that is
    /// not a list of positive counts fails, naming it.
    #[test]
    fn the_least_entropy_is_computed_as_the_search_does_and_bad_profiles_fail() {
        let least = exact_l_entropy(["3,1", "2,2", "5"]).expect("profiles");
        assert_eq!(least.to_bits(), 1f64.to_bits(), "one value: exp(0)");
        let two = exact_l_entropy(["3,1", "2,2"]).expect("profiles");
        let mut counts = vec![1, 3];
        assert_eq!(two.to_bits(), analytics::search::class_entropy(&mut counts).exp().to_bits());
        assert_eq!(exact_l_entropy([]), Ok(0.0));
        for bad in ["3,,1", "0", "x", "2,0"] {
            let e = exact_l_entropy([bad]).expect_err(bad);
            assert!(e.contains(&format!("{bad:?}")), "{e}");
        }
    }

    /// [`label_sql`] gives, for every value a built-in accepts, the hierarchy's label at every
    /// level above the value, and null for every value it refuses: postcodes of each of the
    /// six outward shapes, the synthetic patients' postcodes and dates, edge shapes (spaces,
    /// case, a newline, letters and digits out of place, non-ASCII, impossible months and days)
    /// and random strings over the characters that matter.
    #[test]
    fn built_in_labels_computed_in_sql_are_the_hierarchys() {
        use datafusion::datasource::MemTable;
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let p = analytics::synth::PatientGenerator::new(5).columns(0, 2000);
        let mut seed = 3u64;
        let random = |seed: &mut u64, alphabet: &[u8], len: usize| -> String {
            (0..len).map(|_| alphabet[below(seed, alphabet.len() as u64) as usize] as char).collect()
        };
        let mut postcodes: Vec<String> = [
            "A9 9AA",
            "A99 9AA",
            "A9A 9AA",
            "AA9 9AA",
            "AA99 9AA",
            "AA9A 9AA",
            "LS6 2QT",
            "EC1A 1BB",
            "W1A 0AX",
            "M1 1AE",
            "B33 8TH",
            "CR2 6XH",
            "DN55 1PT",
            "",
            "*",
            "ls6 2qt",
            "LS6  2QT",
            "LS62QT",
            " LS6 2QT",
            "LS6 2QT ",
            "LS6 2QT\n",
            "LS6\t2QT",
            "AAA9 9AA",
            "9A 9AA",
            "A 9AA",
            "A9 AAA",
            "A9 99A",
            "A9 9A",
            "A9 9AAA",
            "AA9AA 9AA",
            "A9AAA 9AA",
            "Ä9 9AA",
            "A9 9ÄA",
            "A\u{1d7d7} 9AA",
            "LS6 2QT LS6",
            "A9\n 9AA",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        postcodes.extend(p.postcode);
        for _ in 0..3000 {
            let len = 5 + below(&mut seed, 5) as usize;
            postcodes.push(random(&mut seed, b"AZL09 a", len));
        }
        let mut dates: Vec<String> = [
            "2025-04-01",
            "2026-03-31",
            "0000-01-01",
            "9999-12-31",
            "2020-02-30",
            "2020-00-10",
            "2020-13-01",
            "2020-01-00",
            "2020-01-32",
            "2020-1-01",
            "20200101",
            "2020-01-01T00",
            "2020/01/01",
            "-202-01-01",
            "２０２０-01-01",
            "2020-01-1 ",
            " 2020-01-1",
            "",
            "2020-10-31",
            "2020-12-19",
            "2020-11-29",
            "2020-01-01\n",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        dates.extend(p.admission_date);
        for _ in 0..3000 {
            dates.push(random(&mut seed, b"01239-", 10));
        }
        let mut checked = 0;
        for (spec, values) in [(HierarchySpec::UkPostcode, postcodes), (HierarchySpec::Date, dates)] {
            let accepted: Vec<String> = values
                .iter()
                .filter(|v| Generalisation::build("c", &spec, &[v.to_string()]).is_ok())
                .cloned()
                .collect();
            assert!(
                accepted.len() > 1000 && accepted.len() + 100 < values.len(),
                "{spec:?}: {}",
                accepted.len()
            );
            let g = Generalisation::build("c", &spec, &accepted).expect("hierarchy");
            // Over the value's text as the jobs read it (a Utf8View here, as in production).
            let v = text("t.v", &DataType::Utf8).expect("text");
            let exprs: Vec<String> =
                (1..=g.height()).map(|l| label_sql(&g, l, &v).expect("computed")).collect();
            assert_eq!(label_sql(&g, 0, "v"), None);
            assert_eq!(label_sql(&g, g.height() + 1, "v"), None);
            let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Utf8, false)]));
            let column: StringArray = values.iter().map(Some).collect();
            let batch = RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(column)]).expect("batch");
            let ctx = SessionContext::new();
            ctx.register_table("t", Arc::new(MemTable::try_new(schema, vec![vec![batch]]).expect("table")))
                .expect("register");
            let sql = format!("SELECT v, {} FROM t", exprs.join(", "));
            let batches = rt.block_on(async { ctx.sql(&sql).await?.collect().await }).expect("runs");
            for b in &batches {
                let v = b.column(0).as_string::<i32>();
                let labels: Vec<ArrayRef> =
                    (1..=g.height()).map(|l| cast(b.column(l), &DataType::Utf8).expect("text")).collect();
                for r in 0..b.num_rows() {
                    let value = v.value(r);
                    let code = g.values().iter().position(|x| x == value);
                    for level in 1..=g.height() {
                        let got = labels[level - 1].as_string::<i32>();
                        let got = (!got.is_null(r)).then(|| got.value(r));
                        let want = code.map(|c| &g.labels[level][g.codes[level][c] as usize]);
                        assert_eq!(got, want, "{spec:?} {value:?} level {level}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 20_000, "{checked}");
    }

    #[test]
    fn inputs_are_a_file_a_folder_or_a_pattern_sorted_and_parquet_only() {
        let t = tempfile::tempdir().expect("tmp");
        let d = t.path();
        for n in ["b.parquet", "a.parquet", "c.PARQUET", "notes.txt"] {
            std::fs::write(d.join(n), b"x").expect("write");
        }
        std::fs::create_dir(d.join("sub.parquet")).expect("mkdir");
        let names = |v: Vec<PathBuf>| -> Vec<String> {
            v.iter().map(|p| p.file_name().expect("name").to_string_lossy().into_owned()).collect()
        };
        assert_eq!(names(input_files(d).expect("folder")), ["a.parquet", "b.parquet", "c.PARQUET"]);
        assert_eq!(names(input_files(&d.join("b.parquet")).expect("file")), ["b.parquet"]);
        assert_eq!(names(input_files(&d.join("[ab].parquet")).expect("pattern")), ["a.parquet", "b.parquet"]);
        assert!(input_files(&d.join("a.parquet")).expect("file")[0].is_absolute());
        let msg = |p: &Path| input_files(p).expect_err("refused").to_string();
        assert!(msg(&d.join("missing.parquet")).contains("does not exist"));
        assert!(msg(&d.join("*.csv")).contains("names no Parquet files"));
        assert!(msg(&d.join("notes.txt")).contains("is not a .parquet file"));
        assert!(msg(&d.join("*.txt")).contains("is not a .parquet file"));
        let empty = d.join("empty");
        std::fs::create_dir(&empty).expect("mkdir");
        assert!(msg(&empty).contains("names no Parquet files"));
    }

    #[test]
    fn only_types_whose_text_matches_polars_are_accepted() {
        let schema = Schema::new(vec![
            Field::new("s", DataType::Utf8View, true),
            Field::new("i", DataType::Int64, true),
            Field::new("d", DataType::Date32, true),
            Field::new("b", DataType::Boolean, true),
            Field::new("k", DataType::Dictionary(Box::new(DataType::UInt32), Box::new(DataType::Utf8)), true),
            Field::new("f", DataType::Float64, true),
            Field::new(
                "t",
                DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Microsecond, None),
                true,
            ),
            Field::new(
                "tz",
                DataType::Timestamp(
                    datafusion::arrow::datatypes::TimeUnit::Microsecond,
                    Some("+01:00".into()),
                ),
                true,
            ),
        ]);
        let cols = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(check_text_types(&schema, &cols(&["s", "i", "d", "b", "k", "t", "f", "tz"])), Ok(()));
        let other = Schema::new(vec![
            Field::new("d64", DataType::Date64, true),
            Field::new("ki", DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Int64)), true),
            Field::new("dec", DataType::Decimal128(10, 2), true),
            Field::new("dec256", DataType::Decimal256(40, 2), true),
            Field::new(
                "kf",
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Float64)),
                true,
            ),
            Field::new("dec32", DataType::Decimal32(9, 2), true),
            Field::new("dec64", DataType::Decimal64(18, 2), true),
            Field::new("half", DataType::Float16, true),
            Field::new("time", DataType::Time64(datafusion::arrow::datatypes::TimeUnit::Microsecond), true),
            Field::new("bin", DataType::Binary, true),
        ]);
        assert_eq!(check_text_types(&other, &cols(&["d64", "dec"])), Ok(()));
        // (Float16: Arrow writes it through its Display and polars as an f32; not tried.)
        for refused in ["ki", "kf", "dec256", "dec32", "dec64", "half", "time", "bin"] {
            let e = check_text_types(&other, &cols(&[refused])).expect_err(refused);
            assert!(e.contains(&format!("column '{refused}' is ")), "{e}");
            assert!(check_text_types(&other, &cols(&[refused])).is_err(), "{refused}");
        }
    }

    /// A column's name, its type as DataFusion reads it, and per row (polars' text, DataFusion's).
    type ReadBack = (String, DataType, Vec<(String, String)>);

    /// Each column of a Parquet file as text, per row id: as the local engine reads it (polars)
    /// and as the cluster does (DataFusion, the same SQL expression the engine sends).
    fn both_texts(columns: Vec<(&str, ArrayRef)>) -> Vec<ReadBack> {
        use datafusion::arrow::array::Int64Array;
        let t = tempfile::tempdir().expect("tmp");
        let path = t.path().join("typed.parquet");
        let rows = columns[0].1.len();
        let mut fields = vec![Field::new("id", DataType::Int64, false)];
        let mut arrays: Vec<ArrayRef> =
            vec![Arc::new(Int64Array::from((0..rows as i64).collect::<Vec<_>>()))];
        for (name, a) in &columns {
            fields.push(Field::new(*name, a.data_type().clone(), true));
            arrays.push(Arc::clone(a));
        }
        let schema = Arc::new(Schema::new(fields));
        let batch = RecordBatch::try_new(Arc::clone(&schema), arrays).expect("batch");
        let mut w = ArrowWriter::try_new(std::fs::File::create(&path).expect("create"), schema, None)
            .expect("writer");
        w.write(&batch).expect("write");
        w.close().expect("close");
        let local = analytics::data::Input::open(&path).expect("polars opens it");
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let ctx = SessionContext::new();
        rt.block_on(ctx.register_parquet("t", path.to_str().expect("utf-8"), Default::default()))
            .expect("register");
        // The types as the engine's check sees them (DataFusion reads text as Utf8View).
        let read = rt.block_on(async { ctx.table("t").await }).expect("table");
        let read = read.schema().as_arrow().clone();
        let mut out = Vec::new();
        for (name, _) in &columns {
            let read_as = read.field_with_name(name).expect("column").data_type().clone();
            let df = local.combinations(&["id".to_string(), name.to_string()]).expect("polars reads it");
            let (ids, vs) = (df.column("id").expect("id"), df.column(name).expect("column"));
            let (ids, vs) = (ids.str().expect("text"), vs.str().expect("text"));
            let mut polars: Vec<(usize, String)> = (0..df.height())
                .map(|i| {
                    (ids.get(i).and_then(|v| v.parse().ok()).expect("id"), vs.get(i).unwrap_or("").into())
                })
                .collect();
            polars.sort();
            let expr =
                text(&ident(name), &read_as).unwrap_or_else(|| format!("CAST({} AS VARCHAR)", ident(name)));
            let sql = format!("SELECT id, {expr} FROM t ORDER BY id");
            let batches =
                rt.block_on(async { ctx.sql(&sql).await?.collect().await }).expect("DataFusion reads it");
            let datafusion: Vec<String> = batches
                .iter()
                .flat_map(|b| {
                    let v = cast(b.column(1), &DataType::Utf8).expect("text");
                    let v = v.as_string::<i32>();
                    (0..b.num_rows()).map(|i| v.value(i).to_string()).collect::<Vec<_>>()
                })
                .collect();
            assert_eq!(polars.len(), rows, "{name}");
            out.push((
                name.to_string(),
                read_as,
                polars.into_iter().map(|(_, p)| p).zip(datafusion).collect(),
            ));
        }
        out
    }

    /// Writes one Parquet file with a text column `s` and the column `name`.
    fn parquet_with(dir: &Path, name: &str, a: ArrayRef) -> PathBuf {
        parquet_written(dir, name, a, false)
    }

    /// As [`parquet_with`], optionally without the Arrow schema in the footer (as parquet-java
    /// writes: readers infer the types from Parquet's own).
    fn parquet_written(dir: &Path, name: &str, a: ArrayRef, skip_arrow_schema: bool) -> PathBuf {
        let path = dir.join(format!("{name}.parquet"));
        let schema = Arc::new(Schema::new(vec![
            Field::new("s", DataType::Utf8, true),
            Field::new(name, a.data_type().clone(), true),
        ]));
        let s: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), Some("b")]));
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![s, a]).expect("batch");
        let options = datafusion::parquet::arrow::arrow_writer::ArrowWriterOptions::new()
            .with_skip_arrow_metadata(skip_arrow_schema);
        let mut w =
            ArrowWriter::try_new_with_options(std::fs::File::create(&path).expect("create"), schema, options)
                .expect("writer");
        w.write(&batch).expect("write");
        w.close().expect("close");
        path
    }

    /// The local engine's reading of Parquet types (`analytics::data::Input`; here because this
    /// crate writes any Arrow type). Regression: a decimal column made polars panic, a
    /// timestamp with a time zone failed with "cannot format timezone-naive Datetime", and
    /// binary, durations and lists failed without naming the column.
    #[test]
    fn parquet_types_read_as_text_are_refused_by_name_otherwise() {
        use datafusion::arrow::array::*;
        use datafusion::arrow::datatypes::{Int32Type, IntervalDayTime};
        let t = tempfile::tempdir().expect("tmp");
        let text = |name: &str, a: ArrayRef| -> Vec<String> {
            let input = analytics::data::Input::open(&parquet_with(t.path(), name, a)).expect(name);
            input.check_text(&[name.to_string()]).expect(name);
            let df = input.combinations(&[name.to_string()]).expect(name);
            let mut v: Vec<String> = df
                .column(name)
                .expect("column")
                .str()
                .expect("text")
                .iter()
                .map(|s| s.unwrap_or("").to_string())
                .collect();
            v.sort();
            v
        };
        let tz: ArrayRef =
            Arc::new(TimestampMillisecondArray::from(vec![Some(0), None]).with_timezone("Europe/London"));
        assert_eq!(text("tz", tz), ["", "1970-01-01 01:00:00.000+01:00"]);
        let dec: ArrayRef = Arc::new(
            Decimal128Array::from(vec![Some(12345), None]).with_precision_and_scale(10, 2).expect("decimal"),
        );
        assert_eq!(text("dec", dec), ["", "123.45"]);
        let f: ArrayRef = Arc::new(Float64Array::from(vec![Some(1.5), None]));
        assert_eq!(text("f", f), ["", "1.5"]);
        let offset: ArrayRef =
            Arc::new(TimestampSecondArray::from(vec![Some(0), None]).with_timezone("+01:00"));
        assert_eq!(text("offset", offset), ["", "1970-01-01 01:00:00.000+01:00"]);
        let null: ArrayRef = Arc::new(NullArray::new(2));
        assert_eq!(text("null", null), [""]);

        // Carried but not text: fine to drop, refused by name if counted or released.
        let not_text: Vec<(&str, ArrayRef)> = vec![
            ("dur", Arc::new(DurationMicrosecondArray::from(vec![Some(1), None]))),
            // polars writes a time without its fraction of a second: refused, not truncated.
            ("time", Arc::new(Time64MicrosecondArray::from(vec![Some(1_500_000), None]))),
            ("time32", Arc::new(Time32MillisecondArray::from(vec![Some(1_500), None]))),
            ("bin", Arc::new(BinaryArray::from(vec![Some(&b"\xff"[..]), None]))),
            (
                "list",
                Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(1)]), None])),
            ),
            ("map", {
                let mut b = MapBuilder::new(None, StringBuilder::new(), Int32Builder::new());
                b.keys().append_value("k");
                b.values().append_value(1);
                b.append(true).expect("entry");
                b.append(false).expect("null");
                Arc::new(b.finish())
            }),
            (
                "fixed",
                Arc::new(
                    FixedSizeBinaryArray::try_from_sparse_iter_with_size(
                        vec![Some(b"ab".to_vec()), None].into_iter(),
                        2,
                    )
                    .expect("fixed"),
                ),
            ),
        ];
        for (name, a) in not_text {
            let input = analytics::data::Input::open(&parquet_with(t.path(), name, a)).expect(name);
            input.combinations(&["s".to_string()]).expect("the other column reads");
            let e = input.check_text(&["s".to_string(), name.to_string()]).expect_err(name).to_string();
            assert!(e.contains(&format!("column '{name}'")) && e.contains("no text form"), "{e}");
        }
        // Unreadable: refused when the file is opened, naming the column (polars panicked).
        let unreadable: Vec<(&str, ArrayRef)> = vec![
            (
                "dec256",
                Arc::new(
                    Decimal256Array::from(vec![Some(datafusion::arrow::datatypes::i256::from(1)), None])
                        .with_precision_and_scale(40, 2)
                        .expect("decimal256"),
                ),
            ),
            ("interval", Arc::new(IntervalDayTimeArray::from(vec![Some(IntervalDayTime::new(1, 0)), None]))),
            // polars panicked on these too: a zone offset not in whole hours, and an
            // unreadable type inside a list or a struct.
            ("half_hour", Arc::new(TimestampSecondArray::from(vec![Some(0), None]).with_timezone("+05:30"))),
            ("list_of_intervals", {
                let values = IntervalDayTimeArray::from(vec![Some(IntervalDayTime::new(1, 0))]);
                let field = Arc::new(Field::new("item", values.data_type().clone(), true));
                let offsets = datafusion::arrow::buffer::OffsetBuffer::from_lengths([1, 0]);
                Arc::new(ListArray::new(field, offsets, Arc::new(values), None))
            }),
            ("struct_of_interval", {
                let values: ArrayRef =
                    Arc::new(IntervalDayTimeArray::from(vec![Some(IntervalDayTime::new(1, 0)), None]));
                Arc::new(StructArray::from(vec![(
                    Arc::new(Field::new("iv", values.data_type().clone(), true)),
                    values,
                )]))
            }),
        ];
        // A 40-digit decimal without the Arrow schema in the footer reads as Decimal(40, 2).
        let wide: ArrayRef = Arc::new(
            Decimal256Array::from(vec![Some(datafusion::arrow::datatypes::i256::from(1)), None])
                .with_precision_and_scale(40, 2)
                .expect("decimal256"),
        );
        let path = parquet_written(t.path(), "wide", wide, true);
        let e = analytics::data::Input::open(&path).expect_err("wide").to_string();
        assert!(e.contains("column 'wide'") && e.contains("cannot be read here"), "{e}");
        for (name, a) in unreadable {
            let path = parquet_with(t.path(), name, a);
            let e = analytics::data::Input::open(&path).expect_err(name).to_string();
            assert!(e.contains(&format!("column '{name}'")) && e.contains("cannot be read here"), "{e}");
        }
    }

    #[test]
    fn accepted_types_read_as_the_same_text_on_both_engines() {
        use datafusion::arrow::array::*;
        use datafusion::arrow::datatypes::{Int32Type, UInt8Type};
        let text =
            |v: &[Option<&str>]| -> Vec<Option<String>> { v.iter().map(|s| s.map(String::from)).collect() };
        let words = [Some("a"), Some("é ü"), None, Some(""), Some("1"), Some("a,b \"c\""), Some("a")];
        // Seven decimals of a precision and scale: both extremes, a null, 0, one unit of the
        // last digit either way, and a trailing zero.
        let decimals = |precision: u8, scale: i8| -> ArrayRef {
            let max = 10i128.pow(u32::from(precision)) - 1;
            Arc::new(
                Decimal128Array::from(vec![
                    Some(max),
                    Some(-max),
                    None,
                    Some(0),
                    Some(1),
                    Some(-1),
                    Some(150),
                ])
                .with_precision_and_scale(precision, scale)
                .expect("decimal"),
            )
        };
        // Seven instants in units of 1/`per_second` s (see the timestamp columns below).
        let timestamps = |per_second: i64| -> Vec<Option<i64>> {
            let year_1 = -62_135_596_800i64;
            let end_9999 = 253_402_300_799i64;
            vec![
                Some(0),
                Some(-1),
                None,
                Some(1_700_000_000 * per_second + per_second / 8),
                Some(year_1 * per_second),
                Some(end_9999 * per_second + per_second - 1),
                Some(300_000_000_000 * per_second.min(1_000)),
            ]
        };
        // Seven values of an integer type: both extremes, one past the minimum (negative for
        // signed types), a null, 0, 1 and 10.
        macro_rules! ints {
            ($array:ident, $t:ty) => {
                Arc::new($array::from(vec![
                    Some(<$t>::MIN),
                    Some(<$t>::MAX),
                    None,
                    Some(0),
                    Some(1),
                    Some(10),
                    Some(<$t>::MIN + 1),
                ])) as ArrayRef
            };
        }
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("utf8", Arc::new(StringArray::from(text(&words)))),
            ("large", Arc::new(LargeStringArray::from(text(&words)))),
            ("dict32", Arc::new(words.iter().copied().collect::<DictionaryArray<Int32Type>>())),
            ("dict8", Arc::new(words.iter().copied().collect::<DictionaryArray<UInt8Type>>())),
            ("dict_large", {
                let keys = Int16Array::from(vec![Some(0), Some(1), None, Some(2), Some(3), Some(4), Some(0)]);
                let values = LargeStringArray::from(vec!["a", "é ü", "", "1", "a,b \"c\""]);
                Arc::new(DictionaryArray::try_new(keys, Arc::new(values)).expect("dictionary"))
            }),
            ("i8", ints!(Int8Array, i8)),
            ("i16", ints!(Int16Array, i16)),
            ("i32", ints!(Int32Array, i32)),
            ("i64", ints!(Int64Array, i64)),
            ("u8", ints!(UInt8Array, u8)),
            ("u16", ints!(UInt16Array, u16)),
            ("u32", ints!(UInt32Array, u32)),
            ("u64", ints!(UInt64Array, u64)),
            (
                "bool",
                Arc::new(BooleanArray::from(vec![
                    Some(true),
                    Some(false),
                    None,
                    Some(true),
                    Some(false),
                    None,
                    Some(true),
                ])),
            ),
            // 1970-01-01, the day before, a recent date, 0001-01-01, 9999-12-31, before year 1
            // and after 9999 (both engines add a sign and widen the year alike).
            (
                "date32",
                Arc::new(Date32Array::from(vec![
                    Some(0),
                    Some(-1),
                    None,
                    Some(19_000),
                    Some(-719_162),
                    Some(2_932_896),
                    Some(-800_000),
                ])),
            ),
            (
                "date32b",
                Arc::new(Date32Array::from(vec![
                    Some(3_000_000),
                    Some(10_957),
                    None,
                    Some(365),
                    Some(-365),
                    Some(59),
                    Some(60),
                ])),
            ),
            ("dec_10_2", decimals(10, 2)),
            ("dec_38_0", decimals(38, 0)),
            ("dec_38_38", decimals(38, 38)),
            ("dec_5_3", decimals(5, 3)),
            // Dates as milliseconds and timestamps without a zone, each unit: the epoch, one
            // unit before it (a fraction below zero), a fraction, a recent instant, year 1, the
            // end of year 9999, and after 9999 (seconds and milliseconds; nanoseconds end in
            // 2262).
            ("date64", Arc::new(Date64Array::from(timestamps(1_000)))),
            ("ts_s", Arc::new(TimestampSecondArray::from(timestamps(1)))),
            ("ts_ms", Arc::new(TimestampMillisecondArray::from(timestamps(1_000)))),
            ("ts_us", Arc::new(TimestampMicrosecondArray::from(timestamps(1_000_000)))),
            (
                "ts_ns",
                Arc::new(TimestampNanosecondArray::from(vec![
                    Some(0),
                    Some(-1),
                    None,
                    Some(1_700_000_000_123_456_789),
                    Some(i64::MIN),
                    Some(i64::MAX),
                    Some(1),
                ])),
            ),
        ];
        let mut seen = 0;
        let mut types = Vec::new();
        for (name, read_as, pairs) in both_texts(columns) {
            assert!(
                super::text("c", &read_as).is_some(),
                "{name} is read as {read_as}, which the engine refuses"
            );
            types.push(read_as);
            for (polars, datafusion) in pairs {
                assert_eq!(
                    polars, datafusion,
                    "column {name}: polars and DataFusion write a value differently"
                );
                seen += 1;
            }
        }
        assert_eq!(seen, 25 * 7);
        // Text arrives as Utf8View (DataFusion's default for Parquet strings), so the view type
        // the allow-list accepts is the one this test reads. Dates as milliseconds, timestamps of
        // seconds and decimals are read back as themselves (from the Arrow schema the writer
        // keeps in the file), not as the integers Parquet stores, so their text is what is tried.
        assert!(types.contains(&DataType::Utf8View), "{types:?}");
        use datafusion::arrow::datatypes::TimeUnit;
        for t in [
            DataType::Date64,
            DataType::Timestamp(TimeUnit::Second, None),
            DataType::Timestamp(TimeUnit::Millisecond, None),
            DataType::Timestamp(TimeUnit::Microsecond, None),
            DataType::Timestamp(TimeUnit::Nanosecond, None),
            DataType::Decimal128(38, 38),
            DataType::Decimal128(5, 3),
        ] {
            assert!(types.contains(&t), "{t} not read back: {types:?}");
        }
    }

    /// Floats: the special values, powers of ten on both sides of where each engine turns to
    /// an exponent, and 20,000 random bit patterns (every exponent, subnormals, NaNs), 20,000
    /// amounts in hundredths and 20,000 sevenths, as `Float64` and as `Float32`: the same text
    /// on both engines, value by value. Arrow's plain cast differs (`1e20`), which is why the
    /// engine adds the exponent's sign.
    #[test]
    fn floats_read_as_the_same_text_on_both_engines() {
        use datafusion::arrow::array::*;
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut v: Vec<Option<f64>> = vec![
            Some(0.0),
            Some(-0.0),
            Some(f64::NAN),
            Some(f64::INFINITY),
            Some(f64::NEG_INFINITY),
            Some(f64::MIN_POSITIVE),
            Some(5e-324),
            Some(f64::MAX),
            Some(f64::MIN),
            Some(0.1),
            Some(1.0 / 3.0),
            Some(-1.5),
            None,
        ];
        for p in -30..30 {
            v.push(Some(10f64.powi(p)));
            v.push(Some(-1.5 * 10f64.powi(p)));
        }
        for _ in 0..20_000 {
            v.push(Some(f64::from_bits(next())));
            v.push(Some((next() % 1_000_000) as f64 / 100.0));
            v.push(Some((next() % 1_000) as f64 / 7.0));
        }
        let mut v32: Vec<Option<f32>> = v.iter().map(|o| o.map(|f| f as f32)).collect();
        for _ in 0..20_000 {
            let i = 200 + (next() % 59_000) as usize;
            v32[i] = Some(f32::from_bits(next() as u32));
        }
        v32.extend([Some(f32::MAX), Some(f32::MIN_POSITIVE), Some(1e-45), Some(f32::NAN)]);
        v.extend([None, None, None, None]);
        let columns: Vec<(&str, ArrayRef)> =
            vec![("f64", Arc::new(Float64Array::from(v))), ("f32", Arc::new(Float32Array::from(v32)))];
        for (name, read_as, pairs) in both_texts(columns) {
            assert!(text("c", &read_as).is_some(), "{name} is read as {read_as}, which the engine refuses");
            let differ: Vec<_> = pairs.iter().filter(|(p, d)| p != d).take(10).collect();
            assert!(differ.is_empty(), "{name}: polars and DataFusion write values differently: {differ:?}");
            assert!(pairs.iter().any(|(p, _)| p == "1e+20"), "{name}: no positive exponent tried");
            assert!(pairs.iter().any(|(p, _)| p.contains("e-")), "{name}: no negative exponent tried");
            for special in ["NaN", "inf", "-inf", "-0.0", ""] {
                assert!(pairs.iter().any(|(p, _)| p == special), "{name}: {special:?} not tried");
            }
        }
        // Arrow's plain cast drops the exponent's sign.
        let plain = format!("CAST({} AS VARCHAR)", ident("f"));
        let batch =
            RecordBatch::try_from_iter(vec![("f", Arc::new(Float64Array::from(vec![1e20])) as ArrayRef)])
                .expect("batch");
        let ctx = SessionContext::new();
        ctx.register_batch("f", batch).expect("register");
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let got = rt
            .block_on(async { ctx.sql(&format!("SELECT {plain} FROM f")).await?.collect().await })
            .expect("cast");
        let got = cast(got[0].column(0), &DataType::Utf8).expect("text");
        assert_eq!(got.as_string::<i32>().value(0), "1e20");
    }

    /// Timestamps with a zone (UTC ones, from Parquet's `isAdjustedToUTC`, are common): the same text on both engines (the wall
    /// time in the zone, then the offset) for named zones with summer time, old local mean
    /// times (polars and chrono-tz both give the offset to the minute), offsets not in whole
    /// hours in a named zone, fixed offsets and UTC, in every unit, near the ends of what
    /// DataFusion can convert (1677 to 2262) and across London's change to summer time.
    #[test]
    fn zoned_timestamps_read_as_the_same_text_on_both_engines() {
        use datafusion::arrow::array::*;
        // 1700-01-01, 1900-06-10, 2023-01-15, 2023-07-15, 2261-01-01, the epoch, one second
        // before and at 2024-03-31 01:00 UTC, 1677-09-23.
        let secs: Vec<Option<i64>> = vec![
            Some(-8_520_336_000),
            Some(-2_195_164_800),
            Some(1_673_740_800),
            Some(1_689_379_200),
            Some(9_183_110_400),
            Some(0),
            Some(1_711_846_799),
            Some(1_711_846_800),
            Some(-9_223_200_000),
            None,
        ];
        let at = |per_second: i64, plus: i64| -> Vec<Option<i64>> {
            secs.iter().map(|o| o.map(|s| s * per_second + plus)).collect()
        };
        let mut columns: Vec<(&str, ArrayRef)> = Vec::new();
        let zones = [
            ("z_utc", "UTC"),
            ("z_plus0", "+00:00"),
            ("z_etc", "Etc/UTC"),
            ("z_london", "Europe/London"),
            ("z_dublin", "Europe/Dublin"),
            ("z_new_york", "America/New_York"),
            ("z_st_johns", "America/St_Johns"),
            ("z_kolkata", "Asia/Kolkata"),
            ("z_lord_howe", "Australia/Lord_Howe"),
            ("z_plus1", "+01:00"),
            ("z_minus5", "-05:00"),
        ];
        for (name, zone) in zones {
            columns.push((name, Arc::new(TimestampMillisecondArray::from(at(1_000, 7)).with_timezone(zone))));
        }
        columns
            .push(("z_s", Arc::new(TimestampSecondArray::from(at(1, 0)).with_timezone("America/New_York"))));
        columns.push((
            "z_us",
            Arc::new(TimestampMicrosecondArray::from(at(1_000_000, 7_003)).with_timezone("UTC")),
        ));
        columns.push((
            "z_ns",
            Arc::new(
                TimestampNanosecondArray::from(at(1_000_000_000, 7_000_003)).with_timezone("Europe/London"),
            ),
        ));
        let mut seen = 0;
        for (name, read_as, pairs) in both_texts(columns) {
            assert!(matches!(read_as, DataType::Timestamp(_, Some(_))), "{name} read as {read_as}");
            assert!(text("c", &read_as).is_some(), "{name} is read as {read_as}, which the engine refuses");
            for (polars, datafusion) in &pairs {
                assert_eq!(
                    polars, datafusion,
                    "column {name}: polars and DataFusion write a value differently"
                );
                seen += 1;
            }
        }
        assert_eq!(seen, 14 * 10);
        // Offsets as written: London's summer time and its local mean time in 1700.
        let london = both_texts(vec![(
            "c",
            Arc::new(TimestampMillisecondArray::from(at(1_000, 7)).with_timezone("Europe/London"))
                as ArrayRef,
        )]);
        let texts: Vec<&str> = london[0].2.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(texts[0], "1699-12-31 23:58:45.007-00:01");
        assert_eq!(texts[3], "2023-07-15 01:00:00.007+01:00");
        assert_eq!(&texts[6..8], ["2024-03-31 00:59:59.007+00:00", "2024-03-31 02:00:00.007+01:00"]);
    }

    /// A timestamp with only the legacy `TIMESTAMP_MICROS` annotation (as parquet-mr before 1.11
    /// wrote them) is UTC to Arrow and zone-free to polars: the two would write different text,
    /// so the difference is found from the two readers' types. Regression: the cluster accepted
    /// zoned timestamps without asking how this machine reads the file.
    #[test]
    fn a_timestamp_the_two_readers_read_differently_is_found() {
        use datafusion::parquet::data_type::Int64Type;
        use datafusion::parquet::file::properties::WriterProperties;
        use datafusion::parquet::file::writer::SerializedFileWriter;
        use datafusion::parquet::schema::parser::parse_message_type;
        let t = tempfile::tempdir().expect("tmp");
        let path = t.path().join("legacy.parquet");
        let schema =
            parse_message_type("message m { REQUIRED INT64 t (TIMESTAMP_MICROS); }").expect("schema");
        let file = std::fs::File::create(&path).expect("create");
        let props = Arc::new(WriterProperties::builder().build());
        let mut w = SerializedFileWriter::new(file, Arc::new(schema), props).expect("writer");
        let mut rg = w.next_row_group().expect("row group");
        let mut c = rg.next_column().expect("column").expect("one column");
        c.typed::<Int64Type>().write_batch(&[0, 1_700_000_000_000_123], None, None).expect("write");
        c.close().expect("close column");
        rg.close().expect("close row group");
        w.close().expect("close");
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let ctx = SessionContext::new();
        rt.block_on(ctx.register_parquet("l", path.to_str().expect("utf-8"), Default::default()))
            .expect("register");
        let read = rt.block_on(async { ctx.table("l").await }).expect("table");
        let cluster = read.schema().as_arrow().field_with_name("t").expect("t").data_type().clone();
        assert!(matches!(cluster, DataType::Timestamp(_, Some(_))), "{cluster}");
        let local = analytics::data::parquet_time_columns(&path).expect("footer");
        assert_eq!(local, [("t".to_string(), 6, None)]);
        let found = time_differences(read.schema().as_arrow(), &path).expect("footer");
        assert_eq!(found.len(), 1, "{found:?}");
        let (c, why) = &found[0];
        assert!(c == "t" && why.contains("without a time zone") && why.contains("in zone"), "{why}");
        // Refused if counted or released, naming the column and the file; not otherwise.
        let differences = vec![(c.clone(), path.clone(), why.clone())];
        let e = refuse_time_differences(&differences, &["a".into(), "t".into()]).expect_err("t is used");
        let e = e.to_string();
        assert!(e.contains("column 't' is read here") && e.contains("legacy.parquet"), "{e}");
        assert!(refuse_time_differences(&differences, &["a".into()]).is_ok());
        // A legacy INT96 timestamp (Spark's default) is flagged whatever the two types say.
        let path96 = t.path().join("int96.parquet");
        let schema96 = parse_message_type("message m { REQUIRED INT96 t; }").expect("schema");
        let file = std::fs::File::create(&path96).expect("create");
        let props = Arc::new(WriterProperties::builder().build());
        let mut w = SerializedFileWriter::new(file, Arc::new(schema96), props).expect("writer");
        let mut rg = w.next_row_group().expect("row group");
        let mut c = rg.next_column().expect("column").expect("one column");
        let mut day = datafusion::parquet::data_type::Int96::new();
        day.set_data(0, 0, 2_440_588); // 1970-01-01 (Julian day)
        c.typed::<datafusion::parquet::data_type::Int96Type>()
            .write_batch(&[day], None, None)
            .expect("write");
        c.close().expect("close column");
        rg.close().expect("close row group");
        w.close().expect("close");
        rt.block_on(ctx.register_parquet("i", path96.to_str().expect("utf-8"), Default::default()))
            .expect("register");
        let read96 = rt.block_on(async { ctx.table("i").await }).expect("table");
        let found = time_differences(read96.schema().as_arrow(), &path96).expect("footer");
        assert!(found.len() == 1 && found[0].1.contains("INT96"), "{found:?}");
        // Read alike: the same zone, UTC named either way, no zone on both; the wrong digits
        // or another type are differences.
        use datafusion::arrow::datatypes::TimeUnit;
        let utc = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        assert_eq!(time_difference(&utc, Some((6, Some("+00:00")))), None);
        assert_eq!(time_difference(&utc, Some((6, Some("Etc/UTC")))), None);
        let london = DataType::Timestamp(TimeUnit::Second, Some("Europe/London".into()));
        assert_eq!(time_difference(&london, Some((3, Some("Europe/London")))), None);
        assert!(time_difference(&london, Some((3, Some("+00:00")))).is_some());
        let naive = DataType::Timestamp(TimeUnit::Nanosecond, None);
        assert_eq!(time_difference(&naive, Some((9, None))), None);
        assert!(time_difference(&naive, Some((6, None))).is_some());
        assert!(time_difference(&naive, None).expect("another type").contains("another type"));
        assert_eq!(time_difference(&DataType::Date64, Some((3, None))), None);
        assert_eq!(time_difference(&DataType::Utf8, None), None);
        // Files written with the Arrow schema (as the other tests' are) read alike.
        let zoned: ArrayRef = Arc::new(
            datafusion::arrow::array::TimestampMicrosecondArray::from(vec![0, 1]).with_timezone("UTC"),
        );
        let p = parquet_with(t.path(), "z", zoned);
        let local = analytics::data::parquet_time_columns(&p).expect("footer");
        let (_, d, z) = local.iter().find(|(n, _, _)| n == "z").expect("z");
        assert_eq!(time_difference(&utc, Some((*d, z.as_deref()))), None, "{local:?}");
        // A column the cluster reads as another type but this machine as a timestamp.
        let as_int =
            Schema::new(vec![Field::new("z", DataType::Int64, true), Field::new("s", DataType::Utf8, true)]);
        let found = time_differences(&as_int, &p).expect("footer");
        assert!(found.len() == 1 && found[0].0 == "z" && found[0].1.contains("not as Int64"), "{found:?}");
    }

    /// DataFusion converts a zoned timestamp to nanoseconds before writing it, so an instant
    /// before 1677 or after 2262 fails the job; the engine's error then says why and what to do.
    /// (If a DataFusion release lifts that, this fails, and the hint can go.)
    #[test]
    fn zoned_timestamps_outside_the_nanosecond_range_fail_with_a_hint() {
        use datafusion::arrow::array::TimestampMillisecondArray;
        use datafusion::arrow::datatypes::TimeUnit;
        let year_1: ArrayRef = Arc::new(
            TimestampMillisecondArray::from(vec![-62_135_596_800_000]).with_timezone("Europe/London"),
        );
        let batch = RecordBatch::try_from_iter(vec![("c", year_1)]).expect("batch");
        let ctx = SessionContext::new();
        ctx.register_batch("z", batch).expect("register");
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let zoned = DataType::Timestamp(TimeUnit::Millisecond, Some("Europe/London".into()));
        let sql = format!("SELECT {} FROM z", text("c", &zoned).expect("accepted"));
        let ran = rt.block_on(async { ctx.sql(&sql).await?.collect().await });
        let e = with_hint(ran.expect_err("a zoned instant in year 1").to_string());
        assert!(e.contains("exceeds the representable i64 range"), "{e}");
        assert!(e.ends_with(TIMESTAMP_RANGE_HINT), "{e}");
        // Other errors are left as they are; the same instant without a zone is written (the
        // accepted types' test has year 1).
        assert_eq!(with_hint("a job failed".into()), "a job failed");
        let naive: ArrayRef = Arc::new(TimestampMillisecondArray::from(vec![-62_135_596_800_000]));
        ctx.register_batch("n", RecordBatch::try_from_iter(vec![("c", naive)]).expect("batch"))
            .expect("register");
        let naive_t = DataType::Timestamp(TimeUnit::Millisecond, None);
        let sql = format!("SELECT {} FROM n", text("c", &naive_t).expect("accepted"));
        let ran = rt.block_on(async { ctx.sql(&sql).await?.collect().await });
        assert!(ran.is_ok(), "{ran:?}");
    }

    #[test]
    fn file_groups_are_consecutive_even_and_cover_every_file_once() {
        assert_eq!(file_groups(10, 2), [0..5, 5..10]);
        assert_eq!(file_groups(10, 3), [0..4, 4..7, 7..10]);
        assert_eq!(file_groups(3, 2), [0..2, 2..3]);
        assert_eq!(file_groups(2, 8), [0..1, 1..2]);
        assert_eq!(file_groups(5, 0), vec![0..5]);
        assert_eq!(file_groups(1, 1), vec![0..1]);
        assert!(file_groups(0, 4).is_empty());
        for files in 0..40 {
            for jobs in 0..12 {
                let g = file_groups(files, jobs);
                let want = if files == 0 { 0 } else { jobs.clamp(1, files) };
                assert_eq!(g.len(), want, "{files} files, {jobs} jobs");
                let covered: Vec<usize> = g.iter().flat_map(|r| r.clone()).collect();
                assert_eq!(covered, (0..files).collect::<Vec<_>>(), "{files} files, {jobs} jobs");
                let lens: Vec<usize> = g.iter().map(|r| r.len()).collect();
                assert!(lens.iter().max().unwrap_or(&0) - lens.iter().min().unwrap_or(&0) <= 1, "{lens:?}");
            }
        }
    }

    #[test]
    fn unexpected_files_names_temporaries_and_strays() {
        let t = tempfile::tempdir().expect("tmp");
        for n in ["part-00000.parquet", "part-00001.parquet", "part-00001.parquet#1", "abc_0.parquet"] {
            std::fs::write(t.path().join(n), b"x").expect("write");
        }
        let expected = vec!["part-00000.parquet".to_string(), "part-00001.parquet".to_string()];
        assert_eq!(
            unexpected_files(t.path(), &expected).expect("ls"),
            ["abc_0.parquet", "part-00001.parquet#1"]
        );
    }

    #[test]
    fn paths_the_cluster_would_read_as_patterns_are_refused() {
        assert!(plain_path(Path::new("/data/part-1.parquet")).is_ok());
        for bad in ["/data/a?.parquet", "/data/[x]/p.parquet", "/da*ta/p.parquet"] {
            let e = plain_path(Path::new(bad)).expect_err(bad).to_string();
            assert!(e.contains("contains *, ? or ["), "{e}");
        }
    }

    #[test]
    fn files_whose_schemas_differ_are_named_with_the_difference() {
        let a =
            Schema::new(vec![Field::new("x", DataType::Utf8, true), Field::new("y", DataType::Int64, true)]);
        assert_eq!(schema_difference(&a, &a.clone()), None);
        let fewer = Schema::new(vec![Field::new("x", DataType::Utf8, true)]);
        assert_eq!(schema_difference(&a, &fewer), Some("has columns x rather".into()));
        let typed = Schema::new(vec![
            Field::new("x", DataType::Utf8, true),
            Field::new("y", DataType::Float64, true),
        ]);
        assert_eq!(schema_difference(&a, &typed), Some("has column 'y' as Float64, not Int64 as".into()));
    }

    #[test]
    fn sql_names_and_strings_are_quoted() {
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(text("\"x\"", &DataType::Int32).as_deref(), Some("COALESCE(CAST(\"x\" AS VARCHAR), '')"));
    }
}
