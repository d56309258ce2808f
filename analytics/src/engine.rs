//! Where `anonymise`'s heavy steps run: reading the input, counting the combinations the search
//! needs, writing the release's microdata and counting it for the tables. The search, the
//! metrics, the tables' protection and the report run in the caller on the counts an engine
//! returns, so every engine that counts the same combinations gives the same release decision
//! (docs/design/0016).

use std::path::Path;

use crate::Error;
use crate::counts::Combinations;
use crate::data::{Input, Release, ValueCodes, released_counts, write_both_with};
use crate::hierarchy::Generalisation;
use crate::labels::Labels;
use crate::search::{Criteria, NodeTotals, Totals};

/// The microdata an engine wrote into a release directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Rows written (each input row exactly once).
    pub rows: u64,
    /// The files written, as `/`-separated paths relative to the release directory, in the
    /// order the report lists them (the CSV microdata first).
    pub files: Vec<String>,
}

/// What a search on the rows ([`Engine::checks_on_rows`]) needs of the chosen node beyond its
/// totals, for the report: what the local engine computes from the classes in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeFigures {
    /// `(size, classes of that size)` of the node's kept classes, in any order.
    pub kept_histogram: Vec<(u64, u64)>,
    /// `(size, classes of that size)` of the classes of the original values (the lattice's
    /// bottom, nothing suppressed): the risk before anonymisation.
    pub bottom_histogram: Vec<(u64, u64)>,
    /// Per sensitive attribute: the smallest exp(entropy of its values) in a kept class (0 if
    /// none), computed as the search does (`NodeTotals::l_entropy`).
    pub l_entropy: Vec<f64>,
    /// The rows of the failing classes the engine staged for the write.
    pub staged_rows: u64,
}

/// A data engine: the local polars engine ([`LocalEngine`]) or a cluster (crate `cluster`).
pub trait Engine {
    /// The input, as the report names it (a file name, or a folder or pattern of parts).
    fn input_name(&self) -> String;
    /// The input as the user gave it, for messages.
    fn input_path(&self) -> std::path::PathBuf;
    /// The engine, as the user named it (`local`, or the cluster's `df://HOST:PORT`).
    fn engine_name(&self) -> String {
        "local".into()
    }
    /// The input's column names, in order.
    fn columns(&self) -> &[String];
    /// Fails naming the first of `wanted` that the input lacks, and the `role` it was named as.
    fn require(&self, wanted: &[String], role: &str) -> Result<(), Error>;
    /// Fails if the engine cannot release `keep` (the columns the release will hold) exactly
    /// as the local engine would; checked before any counting.
    fn check_release_columns(&self, _keep: &[String]) -> Result<(), Error> {
        Ok(())
    }
    /// The distinct combinations of `columns` (each as text, null as ""), with their rows,
    /// exactly as [`Combinations`] documents: sorted values, codes, sorted combinations.
    fn count(&mut self, columns: &[String]) -> Result<Combinations, Error>;
    /// Where `value` first occurs in `column`, as a human reference ("row 12"), for messages.
    fn locate(&mut self, column: &str, value: &str) -> String;
    /// Writes the `keep` columns of every input row into `dir`, the quasi-identifiers replaced
    /// as `release` says, every value as text (null as "").
    fn write_microdata(
        &mut self,
        keep: &[String],
        gens: Vec<Generalisation>,
        release: Release,
        dir: &Path,
    ) -> Result<Written, Error>;
    /// Rows of the microdata written into `dir` per distinct combination of `group_by`.
    fn released_counts(&mut self, dir: &Path, group_by: &[String]) -> Result<Vec<(Vec<String>, u64)>, Error>;
    /// The totals of `node` ([`NodeTotals`], but for `l_entropy`, left empty) and the rows
    /// they cover, grouped from the rows themselves rather than from the combinations
    /// [`Engine::count`] returned, with `gens`' codes and the `sensitive` columns under
    /// `criteria` (k and distinct l only); scratch files go under `dir`. `None`: the engine has no other way to them
    /// than the combinations (the local engine). The caller refuses to release unless they
    /// equal the search's.
    fn node_totals(
        &mut self,
        _gens: &[Generalisation],
        _sensitive: &[String],
        _criteria: &Criteria,
        _node: &[u8],
        _dir: &Path,
    ) -> Result<Option<(NodeTotals, u64)>, Error> {
        Ok(None)
    }
    /// Whether the user asked for the search's checks to run where the rows are
    /// ([`Engine::checks_on_rows`]), so that the client never holds the combinations.
    fn searches_on_rows(&self) -> bool {
        false
    }
    /// For a search on the rows: per column of `columns`, its distinct values (as text, null as
    /// "", sorted) and the rows of each.
    fn value_rows(&mut self, _columns: &[String]) -> Result<Vec<(Labels, Vec<u64>)>, Error> {
        Err(Error::Polars("internal: this engine cannot search on the rows".into()))
    }
    /// For a search on the rows: the [`Totals`] of each node the search checks, grouped from
    /// the rows under `criteria` (k and distinct l), with `gens`' codes and the `sensitive`
    /// columns; `value_rows` are each quasi-identifier's rows per value counted, and a node
    /// whose classes do not hold those rows fails. Scratch files go under `dir`. May prepare
    /// the rows first (a cluster encodes them once), so it can take as long as a check.
    fn checks_on_rows<'a>(
        &'a self,
        _gens: &'a [Generalisation],
        _sensitive: &'a [String],
        _criteria: &'a Criteria,
        _value_rows: &'a [Vec<u64>],
        _dir: &'a Path,
    ) -> Result<Box<dyn Totals + 'a>, Error> {
        Err(Error::Polars("internal: this engine cannot search on the rows".into()))
    }
    /// For a search on the rows: the chosen `node`'s [`NodeFigures`]; also stages its
    /// suppressed classes under `dir` for [`Engine::write_microdata`] (a [`Release::Global`]
    /// whose `staged` is their rows).
    fn node_figures(
        &self,
        _gens: &[Generalisation],
        _sensitive: &[String],
        _criteria: &Criteria,
        _node: &[u8],
        _dir: &Path,
    ) -> Result<NodeFigures, Error> {
        Err(Error::Polars("internal: this engine cannot search on the rows".into()))
    }
}

/// The local engine: polars on this machine, one input file (CSV or Parquet).
#[derive(Debug)]
pub struct LocalEngine {
    input: Input,
}

impl LocalEngine {
    /// Opens a CSV or Parquet file.
    pub fn open(path: &Path) -> Result<LocalEngine, Error> {
        Ok(LocalEngine { input: Input::open(path)? })
    }
}

/// Relative name of the local engine's CSV microdata (the file `publish` recounts).
const CSV: &str = "microdata.csv";
/// Relative name of the local engine's Parquet microdata.
const PARQUET: &str = "microdata.parquet";

impl Engine for LocalEngine {
    fn input_name(&self) -> String {
        self.input.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    }

    fn input_path(&self) -> std::path::PathBuf {
        self.input.path.clone()
    }

    fn columns(&self) -> &[String] {
        &self.input.columns
    }

    fn require(&self, wanted: &[String], role: &str) -> Result<(), Error> {
        self.input.require(&wanted.iter().map(String::as_str).collect::<Vec<_>>(), role)
    }

    fn check_release_columns(&self, keep: &[String]) -> Result<(), Error> {
        self.input.check_text(keep)
    }

    fn count(&mut self, columns: &[String]) -> Result<Combinations, Error> {
        self.input.check_text(columns)?;
        // Packed and streamed ([`crate::counts`]), or, when the codes need more than 128
        // bits, by a polars group-by of the text columns (memory grows with their text).
        match self.input.count_combinations(columns)? {
            Some(c) => Ok(c),
            None => self.input.combinations_by_group_by(columns),
        }
    }

    fn locate(&mut self, column: &str, value: &str) -> String {
        self.input.locate(column, value)
    }

    fn write_microdata(
        &mut self,
        keep: &[String],
        gens: Vec<Generalisation>,
        release: Release,
        dir: &Path,
    ) -> Result<Written, Error> {
        if matches!(&release, Release::Global(g) if g.staged.is_some()) {
            return Err(Error::Polars("internal: the local engine stages no suppressed classes".into()));
        }
        let index = ValueCodes::new(&gens);
        let rows = write_both_with(self.input.kept(keep), &dir.join(CSV), &dir.join(PARQUET), move |df| {
            release.apply(&gens, &index, df)
        })?;
        Ok(Written { rows, files: vec![CSV.into(), PARQUET.into()] })
    }

    fn released_counts(&mut self, dir: &Path, group_by: &[String]) -> Result<Vec<(Vec<String>, u64)>, Error> {
        let df = released_counts(&dir.join(PARQUET), group_by)?;
        let err = |e: polars::prelude::PolarsError| Error::Polars(e.to_string());
        let n = df.column("__n").map_err(err)?.u64().map_err(err)?;
        let cols = group_by
            .iter()
            .map(|c| df.column(c).map_err(err)?.str().map_err(err).cloned())
            .collect::<Result<Vec<_>, _>>()?;
        Ok((0..df.height())
            .map(|i| {
                (cols.iter().map(|c| c.get(i).unwrap_or("").to_string()).collect(), n.get(i).unwrap_or(0))
            })
            .collect())
    }
}
