//! `ledgerless anonymise`: input + policy → a release directory, written atomically.

use std::path::{Path, PathBuf};
use std::time::Instant;

use sha2::Digest;

use crate::Error;
use crate::accuracy;
use crate::counts::Codes;
use crate::data::{GlobalRelease, LocalRelease, Release};
use crate::engine::{Engine, LocalEngine};
use crate::hierarchy::{Generalisation, HierarchyError};
use crate::labels::Labels;
use crate::local::{self, Local};
use crate::policy::{Diversity, Policy, Recoding as RecodingKind};
use crate::recoding::Recoding;
use crate::report::{self, Report};
use crate::risk;
use crate::search::{Base, Criteria, Evaluation, Problem, SearchError, SearchStats};
use crate::tables;

/// Stages reported to a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading the input and counting combinations.
    Reading,
    /// Searching the lattice.
    Searching,
    /// Writing microdata.
    Writing,
    /// Writing tables and the report.
    Tables,
}

/// What a run produced, with timings (which are not part of the release).
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The report written to the release.
    pub report: Report,
    /// Seconds per stage: reading, search, writing microdata, tables and report.
    pub seconds: [f64; 4],
}

/// What to do when the release directory already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Existing {
    /// Refuse (the default).
    #[default]
    Refuse,
    /// Replace it, if it is a release (it holds `report.json`), once the new one is complete.
    Replace,
}

/// Anonymises `input` under the policy at `policy_path` into the new directory `out`.
///
/// Nothing is left at `out` unless everything succeeded: the release is built in a temporary
/// sibling directory (`.OUT.partial-PID`, locked while the run lives), fsynced (every file and
/// directory) and renamed at the end, and the parent directory is fsynced. Staging
/// directories of earlier runs for the same `out` that were killed are removed.
pub fn anonymise(
    input: &Path,
    policy_path: &Path,
    out: &Path,
    progress: &mut dyn FnMut(Stage),
) -> Result<Outcome, Error> {
    anonymise_with(input, policy_path, out, Existing::Refuse, progress)
}

/// [`anonymise`], replacing an existing release at `out` if `existing` says so.
pub fn anonymise_with(
    input: &Path,
    policy_path: &Path,
    out: &Path,
    existing: Existing,
    progress: &mut dyn FnMut(Stage),
) -> Result<Outcome, Error> {
    let open = || -> Result<Box<dyn Engine>, Error> { Ok(Box::new(LocalEngine::open(input)?)) };
    anonymise_on(&open, policy_path, out, existing, progress)
}

/// [`anonymise_with`] on the engine `open` returns (called once the output is known to be
/// writable): the local one, or a cluster's. The release is committed the same way.
pub fn anonymise_on(
    open: &dyn Fn() -> Result<Box<dyn Engine>, Error>,
    policy_path: &Path,
    out: &Path,
    existing: Existing,
    progress: &mut dyn FnMut(Stage),
) -> Result<Outcome, Error> {
    let policy = Policy::load(policy_path)?;
    let replace = match std::fs::symlink_metadata(out) {
        Err(_) => false,
        Ok(_) if existing == Existing::Refuse => {
            return Err(Error::Output {
                path: out.into(),
                message:
                    "already exists; name a new directory for the release, or pass --force to replace it"
                        .into(),
            });
        }
        Ok(m) if m.is_dir() && out.join("report.json").is_file() => true,
        Ok(_) => {
            return Err(Error::Output {
                path: out.into(),
                message: "already exists and is not a release directory (no report.json); --force replaces only a release"
                    .into(),
            });
        }
    };
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(Error::Output {
            path: out.into(),
            message: format!("its folder {} does not exist", parent.display()),
        });
    }
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "release".into());
    remove_stale_staging(&parent, &name);
    let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
    // Held until this function returns: a later run sees the directory is in use. A run killed
    // at any moment releases it (the kernel drops the lock), so its leftovers can be removed.
    let _lock = lock_dir(&tmp);
    let result = std::fs::create_dir(tmp.join("tables"))
        .map_err(|e| Error::io(&tmp, e))
        .and_then(|()| build(open, policy_path, &policy, &tmp, progress))
        .and_then(|outcome| {
            // Durable before it is named: after a power loss RELEASEDIR is absent, the old
            // release, or the whole new one.
            sync_tree(&tmp)?;
            if replace {
                replace_release(&tmp, out, &parent, &name)?;
            } else {
                std::fs::rename(&tmp, out).map_err(|e| Error::io(out, e))?;
                sync_dir(&parent)?;
            }
            Ok(outcome)
        });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

/// Fsyncs every file under `dir`, then each directory (its own entries), deepest first.
fn sync_tree(dir: &Path) -> Result<(), Error> {
    for e in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let e = e.map_err(|err| Error::io(dir, err))?;
        let path = e.path();
        if e.file_type().map_err(|err| Error::io(&path, err))?.is_dir() {
            sync_tree(&path)?;
        } else {
            std::fs::File::open(&path).and_then(|f| f.sync_all()).map_err(|err| Error::io(&path, err))?;
        }
    }
    sync_dir(dir)
}

/// [`tlog::sync_dir`], its error as this crate's.
fn sync_dir(dir: &Path) -> Result<(), Error> {
    tlog::sync_dir(dir).map_err(|e| match e {
        tlog::LogError::Io { path, source, .. } => Error::Io { path, source },
        other => Error::Output { path: dir.to_owned(), message: other.to_string() },
    })
}

/// Locks a directory (advisory, exclusive) for as long as the returned handle lives; `None`
/// where directories cannot be locked (then no staging directory is ever removed as stale).
fn lock_dir(dir: &Path) -> Option<std::fs::File> {
    let f = std::fs::File::open(dir).ok()?;
    f.try_lock().ok()?;
    Some(f)
}

/// Puts the complete release `tmp` in place of the existing one at `out` (`--force`). On Linux
/// the two directories are exchanged in one step (`renameat2(RENAME_EXCHANGE)`), so a kill at
/// any moment leaves the old release or the new one at `out`; the old one, now at `tmp`, is
/// removed once the exchange is durable. Where the file system cannot exchange, the old release
/// is first renamed to `.NAME.replaced-PID` (locked while this run lives) and a later run puts
/// it back if a kill left `out` empty ([`remove_stale_staging`]).
fn replace_release(tmp: &Path, out: &Path, parent: &Path, name: &str) -> Result<(), Error> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, tmp, CWD, out, RenameFlags::EXCHANGE) {
            Ok(()) => {
                sync_dir(parent)?;
                let _ = std::fs::remove_dir_all(tmp);
                return Ok(());
            }
            Err(e)
                if ![rustix::io::Errno::INVAL, rustix::io::Errno::NOSYS, rustix::io::Errno::NOTSUP]
                    .contains(&e) =>
            {
                return Err(Error::io(out, std::io::Error::from_raw_os_error(e.raw_os_error())));
            }
            Err(_) => {} // this file system cannot exchange: two renames below
        }
    }
    // Held while the old release is out of place: a concurrent run leaves it alone.
    let _old_lock = lock_dir(out);
    let old = parent.join(format!(".{name}.replaced-{}", std::process::id()));
    std::fs::rename(out, &old).map_err(|e| Error::io(out, e))?;
    if let Err(e) = std::fs::rename(tmp, out) {
        let _ = std::fs::rename(&old, out);
        return Err(Error::io(out, e));
    }
    sync_dir(parent)?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// Removes `.NAME.partial-PID` directories in `parent` left by runs that were killed: those
/// whose lock nobody holds. A live run's directory stays. A killed run's `.NAME.replaced-PID`
/// (an old release moved aside by [`replace_release`]'s fallback) is put back if nothing is at
/// NAME, else removed.
fn remove_stale_staging(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    let prefix = format!(".{name}.partial-");
    for e in entries.flatten() {
        let file_name = e.file_name();
        let Some(pid) = file_name.to_str().and_then(|n| n.strip_prefix(prefix.as_str())) else { continue };
        if pid.is_empty()
            || !pid.bytes().all(|b| b.is_ascii_digit())
            || !e.file_type().is_ok_and(|t| t.is_dir())
        {
            continue;
        }
        let path = e.path();
        if let Some(lock) = lock_dir(&path) {
            let _ = std::fs::remove_dir_all(&path);
            drop(lock);
        }
    }
    let replaced = format!(".{name}.replaced-");
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for e in entries.flatten() {
        let is_replaced = e.file_name().to_str().is_some_and(|n| n.starts_with(replaced.as_str()));
        if !is_replaced || !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let path = e.path();
        if let Some(lock) = lock_dir(&path) {
            let home = parent.join(name);
            if std::fs::symlink_metadata(&home).is_err() {
                let _ = std::fs::rename(&path, &home);
                let _ = sync_dir(parent);
            } else {
                let _ = std::fs::remove_dir_all(&path);
            }
            drop(lock);
        }
    }
}

fn build(
    open: &dyn Fn() -> Result<Box<dyn Engine>, Error>,
    policy_path: &Path,
    policy: &Policy,
    dir: &Path,
    progress: &mut dyn FnMut(Stage),
) -> Result<Outcome, Error> {
    let t0 = Instant::now();
    progress(Stage::Reading);
    let mut input = open()?;
    let input_path = input.input_path();
    input.require(&policy.drop, "drop")?;
    let qi_cols: Vec<String> = policy.quasi_identifiers.iter().map(|q| q.column.clone()).collect();
    let sens_cols: Vec<String> = policy.sensitive.iter().map(|s| s.column.clone()).collect();
    input.require(&qi_cols, "quasi_identifier")?;
    input.require(&sens_cols, "sensitive")?;
    for t in &policy.tables {
        input.require(&t.group_by, &format!("group_by of table '{}'", t.name))?;
    }
    let keep: Vec<String> = input.columns().iter().filter(|c| !policy.drop.contains(c)).cloned().collect();
    input.check_release_columns(&keep)?;
    if input.searches_on_rows() {
        let decided =
            search_on_rows(input.as_mut(), policy_path, policy, &qi_cols, &sens_cols, dir, progress, t0)?;
        return finish(input, policy, &keep, dir, progress, decided);
    }
    let key_cols: Vec<String> = qi_cols.iter().chain(&sens_cols).cloned().collect();
    let counted = input.count(&key_cols)?;
    let rows: u64 = counted.count.iter().sum();
    if rows == 0 {
        return Err(Error::Input { path: input_path.clone(), message: "has no rows".into() });
    }
    if policy.k > rows {
        return Err(Error::Input {
            path: input_path.clone(),
            message: format!(
                "k = {} is larger than the number of rows ({rows}); no release can be k-anonymous",
                policy.k
            ),
        });
    }
    let crate::counts::Combinations { mut values, mut codes, count } = counted;
    let sens_codes = codes.split_off(qi_cols.len());
    // Codes of more than 64 bits with the sensitive columns may fit without them: packed, the
    // search reads them as they are (8 bytes a combination) instead of packing a copy.
    let codes = match codes {
        Codes::Columns(columns) => Codes::pack(columns),
        packed => packed,
    };
    let sens_values = values.split_off(qi_cols.len());
    let gens = hierarchies(input.as_mut(), policy_path, policy, values)?;
    let base = Base {
        qi: codes,
        sensitive: sens_codes,
        sensitive_card: sens_values.iter().map(|v| v.len() as u32).collect(),
        count,
    };
    drop(sens_values);
    let t_read = t0.elapsed().as_secs_f64();

    progress(Stage::Searching);
    let t1 = Instant::now();
    let (criteria, weights, max_levels) = criteria_of(policy, rows);
    // Risk before anonymisation, from the classes of the original values, before the search
    // and dropped at once (one size per class: as many as rows when the data is nearly unique).
    let before = |sizes: &[u64]| (risk::risk(sizes, policy.sampling_fraction), risk::distribution(sizes));
    let scanned = base.bottom_class_sizes().map(|sizes| before(&sizes));
    let problem = Problem::new(&gens, &base, criteria).with_priorities(&weights, &max_levels);
    let (before_risk, before_distribution) = match scanned {
        Some(figures) => figures,
        // Combinations not sorted by their codes (never, as counted here): group them.
        None => before(&problem.class_sizes(&vec![0u8; gens.len()]).map_err(search_error)?),
    };
    let (best, stats) = problem.search(policy.metric).map_err(search_error)?;
    let (eval, classes) = problem.evaluate_full(&best.node).map_err(search_error)?;
    // The decision rests on the counted combinations. An engine that can group the rows
    // themselves (the cluster) recomputes the chosen node's totals from them, and nothing is
    // released unless they are the search's, figure for figure.
    // The job decides classes by k and distinct l; under entropy or recursive l-diversity it
    // checks their monotone part (k and l distinct values), which the counts decide as well.
    let monotone = Criteria {
        diversity: problem.criteria.diversity.iter().map(|&(l, _)| (l, Diversity::Distinct)).collect(),
        ..problem.criteria.clone()
    };
    if let Some((theirs, covered)) = input.node_totals(&gens, &sens_cols, &monotone, &best.node, dir)? {
        let mut mine = if monotone.diversity == problem.criteria.diversity {
            problem.node_totals(&best.node)
        } else {
            Problem::new(&gens, &base, monotone).node_totals(&best.node)
        }
        .map_err(search_error)?;
        mine.l_entropy.clear();
        if let Some(what) = mine.difference(rows, &theirs, covered) {
            return Err(Error::Engine {
                engine: input.engine_name(),
                message: format!(
                    "the chosen node {:?} grouped from the rows is not what the search counted: {what}; \
                     nothing was released",
                    best.node
                ),
            });
        }
    }
    let local: Option<Local> = match policy.recoding {
        RecodingKind::Global => None,
        RecodingKind::Local => Some(local::recode(&problem, policy.metric, &eval).map_err(search_error)?),
    };
    if let Some(l) = &local
        && !l.evaluation.anonymous
    {
        // Every candidate was measured on its released classes; this cannot happen, and a
        // release that fails its own policy is never written.
        return Err(Error::NoSolution("internal: the local release does not meet the policy".into()));
    }
    let t_search = t1.elapsed().as_secs_f64();

    // The release's figures: the global node's, or the local recoding's (classes of equal labels).
    let (eval, mut after_sizes, per_attr, shown) = match &local {
        None => {
            let kept: Vec<Vec<u32>> =
                classes.kept_label_rows.iter().map(|m| m.keys().copied().collect()).collect();
            let shown = shown_global(&gens, &best.node, eval.suppressed, &kept);
            let per_attr = problem.attribute_metrics(&best.node, &classes);
            (eval.clone(), classes.kept_sizes.clone(), per_attr, shown)
        }
        Some(l) => (
            l.evaluation.clone(),
            l.class_sizes.clone(),
            local::attribute_metrics(&problem, &l.recoding),
            shown_local(&gens, &base, &l.recoding),
        ),
    };
    if eval.suppressed > 0 {
        after_sizes.push(eval.suppressed);
    }
    // Accuracy figures: the release's, and for a local release the global optimum's to compare.
    let global_rec = {
        let withheld: rustc_hash::FxHashSet<&[u32]> =
            classes.suppressed_labels.iter().map(Vec::as_slice).collect();
        let mut tuple = vec![0u32; gens.len()];
        let flags: Vec<bool> = (0..base.len())
            .map(|i| {
                if withheld.is_empty() {
                    return false;
                }
                for (j, g) in gens.iter().enumerate() {
                    tuple[j] = g.codes[best.node[j] as usize][base.qi.get(j, i) as usize];
                }
                withheld.contains(tuple.as_slice())
            })
            .collect();
        Recoding::uniform(&best.node, base.len(), flags)
    };
    let global_accuracy = accuracy::column_accuracy(&gens, &base, &global_rec);
    let accuracy = match &local {
        None => global_accuracy.clone(),
        Some(l) => accuracy::column_accuracy(&gens, &base, &l.recoding),
    };
    let global = local.as_ref().map(|_| report::GlobalComparison {
        node: best.node.clone(),
        records_suppressed: classes.suppressed_sizes.iter().sum(),
        discernibility: best.discernibility,
        loss: best.loss,
        entropy_bits: best.entropy,
        attributes: gens
            .iter()
            .zip(&global_accuracy)
            .map(|(g, a)| report::GlobalAttribute {
                column: g.column.clone(),
                count_error: a.count_error,
                finer_than_top: a.finer_than_top,
            })
            .collect(),
    });
    let attributes = attribute_reports(&gens, policy, &shown, &per_attr, &accuracy);
    let max_entropy = problem.max_entropy();
    let release = match &local {
        None => Release::Global(GlobalRelease {
            node: best.node.clone(),
            suppressed: classes.suppressed_labels.iter().cloned().collect(),
            staged: None,
        }),
        Some(l) => Release::Local(local_release(&gens, &base, &l.recoding)?),
    };
    let rows_after = &after_sizes;
    let decided_figures = (
        (before_risk, before_distribution),
        (risk::risk(rows_after, policy.sampling_fraction), risk::distribution(rows_after)),
    );
    // Everything the report needs is computed: the search's memory is released before the
    // microdata is written.
    drop(local);
    drop(problem);
    drop(base);
    let decided = Decided {
        rows,
        node: best.node.clone(),
        eval,
        stats,
        before: decided_figures.0,
        after: decided_figures.1,
        attributes,
        global,
        max_entropy,
        release,
        gens,
        seconds: [t_read, t_search],
    };
    finish(input, policy, &keep, dir, progress, decided)
}

/// The policy's criteria for `rows` rows, and its per-column weights and highest levels.
fn criteria_of(policy: &Policy, rows: u64) -> (Criteria, Vec<Option<f64>>, Vec<Option<u8>>) {
    let criteria = Criteria {
        k: policy.k,
        max_suppressed: (policy.suppression_limit * rows as f64 + 1e-9).floor() as u64,
        diversity: policy.sensitive.iter().map(|s| (s.l, s.diversity)).collect(),
    };
    let weights = policy.quasi_identifiers.iter().map(|q| q.weight).collect();
    let max_levels = policy.quasi_identifiers.iter().map(|q| q.max_level).collect();
    (criteria, weights, max_levels)
}

/// What the search decided and what the report says of it, from either kind of search.
struct Decided {
    rows: u64,
    node: Vec<u8>,
    eval: Evaluation,
    stats: SearchStats,
    /// Risk and class size distribution before and after.
    before: (risk::Risk, Vec<risk::SizeBucket>),
    after: (risk::Risk, Vec<risk::SizeBucket>),
    attributes: Vec<report::Attribute>,
    global: Option<report::GlobalComparison>,
    max_entropy: f64,
    release: Release,
    gens: Vec<Generalisation>,
    /// Seconds reading and counting, and searching.
    seconds: [f64; 2],
}

/// Writes the release `decided` describes: the microdata, the tables and the report.
fn finish(
    mut input: Box<dyn Engine>,
    policy: &Policy,
    keep: &[String],
    dir: &Path,
    progress: &mut dyn FnMut(Stage),
    decided: Decided,
) -> Result<Outcome, Error> {
    let Decided {
        rows,
        node,
        eval,
        stats,
        before,
        after,
        attributes,
        global,
        max_entropy,
        release,
        gens,
        seconds,
    } = decided;
    let [t_read, t_search] = seconds;
    progress(Stage::Writing);
    let t2 = Instant::now();
    let written = input.write_microdata(keep, gens, release, dir)?;
    if written.rows != rows {
        return Err(Error::Output {
            path: dir.join("microdata.csv"),
            message: format!("wrote {} rows but the input has {rows}", written.rows),
        });
    }
    let t_write = t2.elapsed().as_secs_f64();

    progress(Stage::Tables);
    let t3 = Instant::now();
    let mut files = written.files;
    let mut table_summaries = Vec::new();
    for t in &policy.tables {
        // Tables count the microdata as written (never a finer value than it shows).
        let raw = input.released_counts(dir, &t.group_by)?;
        let p = tables::protect(t, &raw)
            .map_err(|m| Error::Policy { path: PathBuf::from("policy"), message: m })?;
        let rel = format!("tables/{}.csv", t.name);
        let path = dir.join(&rel);
        let mut w = csv::Writer::from_path(&path)
            .map_err(|e| Error::Output { path: path.clone(), message: e.to_string() })?;
        for row in std::iter::once(&p.header).chain(&p.rows) {
            w.write_record(row).map_err(|e| Error::Output { path: path.clone(), message: e.to_string() })?;
        }
        w.flush().map_err(|e| Error::io(&path, e))?;
        table_summaries.push(report::TableSummary {
            name: t.name.clone(),
            file: rel.clone(),
            group_by: t.group_by.clone(),
            cells: p.cells,
            primary_suppressed: p.primary,
            secondary_suppressed: p.secondary,
        });
        files.push(rel);
    }
    files.push("report.json".into());
    files.push("report.html".into());

    let report = Report {
        tool: format!("ledgerless {}", env!("CARGO_PKG_VERSION")),
        input: report::InputSummary { file: input.input_name(), rows, columns: input.columns().to_vec() },
        policy: report::PolicySummary {
            k: policy.k,
            suppression_limit: policy.suppression_limit,
            metric: policy.metric.name().into(),
            recoding: policy.recoding.name().into(),
            dropped: policy.drop.clone(),
            sha256: verifier::Hash(sha2::Sha256::digest(policy.text.as_bytes()).into()).to_hex(),
            text: policy.text.clone(),
        },
        result: report::ResultSummary {
            node,
            achieved_k: eval.min_class,
            achieved_l: policy
                .sensitive
                .iter()
                .enumerate()
                .map(|(s, p)| report::Diversity {
                    column: p.column.clone(),
                    required_l: p.l,
                    variant: match p.diversity {
                        Diversity::Distinct => "distinct".into(),
                        Diversity::Entropy => "entropy".into(),
                        Diversity::Recursive { c } => format!("recursive (c = {c})"),
                    },
                    distinct_l: eval.l_distinct[s],
                    entropy_l: eval.l_entropy[s],
                })
                .collect(),
            records_suppressed: eval.suppressed,
            suppressed_share: eval.suppressed as f64 / rows as f64,
            classes: eval.classes,
            average_class_size: if eval.classes > 0 {
                (rows - eval.suppressed) as f64 / eval.classes as f64
            } else {
                0.0
            },
        },
        information_loss: report::Loss {
            discernibility: eval.discernibility,
            loss: eval.loss,
            entropy_bits: eval.entropy,
            entropy_share: if max_entropy > 0.0 { eval.entropy / max_entropy } else { 0.0 },
        },
        risk: report::BeforeAfter { before: before.0, after: after.0 },
        class_sizes: report::BeforeAfter { before: before.1, after: after.1 },
        attributes,
        search: stats,
        tables: table_summaries,
        files,
        global,
    };
    write(dir, "report.json", report.to_json())?;
    write(dir, "report.html", report.to_html())?;
    let t_tables = t3.elapsed().as_secs_f64();
    Ok(Outcome { report, seconds: [t_read, t_search, t_write, t_tables] })
}

/// The search with its checks on the rows ([`Engine::checks_on_rows`]): the client holds each
/// quasi-identifier's values and one node's totals at a time, never the combinations
/// (docs/design/0016, "A client whose memory stays flat"). Global recoding under k-anonymity
/// and distinct l-diversity only, whose failing classes a node's totals decide; the decision
/// and every figure are those of the search over the combinations.
#[allow(clippy::too_many_arguments)]
fn search_on_rows(
    input: &mut dyn Engine,
    policy_path: &Path,
    policy: &Policy,
    qi_cols: &[String],
    sens_cols: &[String],
    dir: &Path,
    progress: &mut dyn FnMut(Stage),
    t0: Instant,
) -> Result<Decided, Error> {
    let refuse = |why: String| Error::Policy {
        path: policy_path.into(),
        message: format!("{why}; run it without --checks-on-cluster"),
    };
    if policy.recoding == RecodingKind::Local {
        return Err(refuse(
            "recoding = \"local\" gives each combination its own levels, so its search needs the combinations"
                .into(),
        ));
    }
    if let Some(s) = policy.sensitive.iter().find(|s| s.diversity != Diversity::Distinct) {
        return Err(refuse(format!(
            "sensitive '{}': {:?} l-diversity is decided by each class's values, not by a node's totals",
            s.column, s.diversity
        )));
    }
    let counted = input.value_rows(qi_cols)?;
    let rows: u64 = counted.first().map(|(_, n)| n.iter().sum()).unwrap_or(0);
    let input_path = input.input_path();
    if rows == 0 {
        return Err(Error::Input { path: input_path, message: "has no rows".into() });
    }
    if policy.k > rows {
        return Err(Error::Input {
            path: input_path,
            message: format!(
                "k = {} is larger than the number of rows ({rows}); no release can be k-anonymous",
                policy.k
            ),
        });
    }
    let (values, value_rows): (Vec<Labels>, Vec<Vec<u64>>) = counted.into_iter().unzip();
    let gens = hierarchies(input, policy_path, policy, values)?;
    let input: &dyn Engine = input;
    let t_read = t0.elapsed().as_secs_f64();

    progress(Stage::Searching);
    let t1 = Instant::now();
    let (criteria, weights, max_levels) = criteria_of(policy, rows);
    let oracle = input.checks_on_rows(&gens, sens_cols, &criteria, &value_rows, dir)?;
    // A check that failed on the cluster is the engine's error.
    let failed = |e: SearchError| match e {
        SearchError::Totals(message) => Error::Engine { engine: input.engine_name(), message },
        other => search_error(other),
    };
    let problem = Problem::with_totals(&gens, &value_rows, criteria.clone(), oracle.as_ref())
        .map_err(failed)?
        .with_priorities(&weights, &max_levels);
    let (best, stats) = problem.search(policy.metric).map_err(failed)?;
    let node = best.node.clone();
    let totals = problem.node_totals(&node).map_err(failed)?;
    let mut eval = problem.evaluation_of(&node, &totals);
    let figures = input.node_figures(&gens, sens_cols, &criteria, &node, dir)?;
    // The classes' sizes must be the totals' (the same rows, grouped by the same labels).
    let kept = &figures.kept_histogram;
    let wide = |v: u64| v as u128;
    let (classes, kept_rows, squares) = kept.iter().fold((0u128, 0u128, 0u128), |(c, r, q), &(s, n)| {
        (c + wide(n), r + wide(s) * wide(n), q + wide(s) * wide(s) * wide(n))
    });
    let smallest = kept.iter().filter(|&&(_, n)| n > 0).map(|&(s, _)| s).min().unwrap_or(0);
    let bottom_rows: u128 = figures.bottom_histogram.iter().map(|&(s, n)| wide(s) * wide(n)).sum();
    if (classes, kept_rows, squares, smallest)
        != (wide(totals.kept), wide(rows - totals.suppressed), totals.sum_sq, totals.min_kept)
        || bottom_rows != wide(rows)
        || figures.l_entropy.len() != sens_cols.len()
        || figures.staged_rows != totals.suppressed
    {
        return Err(Error::Engine {
            engine: input.engine_name(),
            message: format!(
                "the classes of node {node:?} ({classes} kept, {kept_rows} rows; {} rows in failing classes \
                 staged) are not those its totals count ({} kept, {} rows; {} suppressed), or the original \
                 values' classes hold {bottom_rows} rows, not {rows}; nothing was released",
                figures.staged_rows,
                totals.kept,
                rows - totals.suppressed,
                totals.suppressed
            ),
        });
    }
    eval.l_entropy.clone_from(&figures.l_entropy);
    let mut after = figures.kept_histogram.clone();
    if eval.suppressed > 0 {
        after.push((eval.suppressed, 1));
    }
    let per_attr = problem.attribute_metrics_of_totals(&node, &totals);
    let kept_label_rows = problem.kept_label_rows_of_totals(&node, &totals);
    let kept_labels: Vec<Vec<u32>> = kept_label_rows
        .iter()
        .map(|rows| (0..rows.len() as u32).filter(|&c| rows[c as usize] > 0).collect())
        .collect();
    let shown = shown_global(&gens, &node, eval.suppressed, &kept_labels);
    let accuracy = accuracy::global_accuracy(&gens, &value_rows, &node, &kept_label_rows, totals.suppressed);
    let attributes = attribute_reports(&gens, policy, &shown, &per_attr, &accuracy);
    let max_entropy = problem.max_entropy();
    let t_search = t1.elapsed().as_secs_f64();
    drop(problem);
    drop(oracle);
    Ok(Decided {
        rows,
        node: node.clone(),
        eval,
        stats,
        before: (
            risk::risk_of_histogram(&figures.bottom_histogram, policy.sampling_fraction),
            risk::distribution_of_histogram(&figures.bottom_histogram),
        ),
        after: (
            risk::risk_of_histogram(&after, policy.sampling_fraction),
            risk::distribution_of_histogram(&after),
        ),
        attributes,
        global: None,
        max_entropy,
        release: Release::Global(GlobalRelease {
            node,
            suppressed: Default::default(),
            staged: (totals.suppressed > 0).then_some(totals.suppressed),
        }),
        gens,
        seconds: [t_read, t_search],
    })
}

/// Each quasi-identifier's hierarchy over its observed values (`values[j]`, sorted).
fn hierarchies(
    input: &mut dyn Engine,
    policy_path: &Path,
    policy: &Policy,
    values: Vec<Labels>,
) -> Result<Vec<Generalisation>, Error> {
    let mut gens = Vec::new();
    for (q, distinct) in policy.quasi_identifiers.iter().zip(values) {
        // Counting sorts and deduplicates the values, so `build` keeps them and the codes line up.
        if !(1..distinct.len()).all(|i| distinct[i - 1] < distinct[i]) {
            return Err(Error::Polars(format!("internal: values of column '{}' are not sorted", q.column)));
        }
        let g = Generalisation::build_owned(&q.column, &q.hierarchy, distinct).map_err(|e| match e {
            HierarchyError::Invalid(m) => Error::Hierarchy { column: q.column.clone(), message: m },
            HierarchyError::Missing { value, reason } => Error::Hierarchy {
                column: q.column.clone(),
                message: format!(
                    "value {value:?} ({} of {}) {reason}",
                    input.locate(&q.column, &value),
                    input.input_name()
                ),
            },
        })?;
        if let Some(max) = q.max_level
            && max as usize > g.height()
        {
            return Err(Error::Policy {
                path: policy_path.into(),
                message: format!(
                    "quasi_identifier '{}': max_level = {max} is beyond its hierarchy, whose top level is {}",
                    q.column,
                    g.height()
                ),
            });
        }
        gens.push(g);
    }
    Ok(gens)
}

/// The report's figures of each quasi-identifier.
fn attribute_reports(
    gens: &[Generalisation],
    policy: &Policy,
    shown: &[Shown],
    per_attr: &[(f64, f64)],
    accuracy: &[accuracy::ColumnAccuracy],
) -> Vec<report::Attribute> {
    gens.iter()
        .enumerate()
        .map(|(j, g)| report::Attribute {
            column: g.column.clone(),
            hierarchy: g.description.clone(),
            level: shown[j].level,
            height: g.height(),
            distinct_before: g.values().len() as u64,
            distinct_after: shown[j].distinct_after,
            example: shown[j].example.clone(),
            loss: per_attr[j].0,
            entropy_bits: per_attr[j].1,
            rows_by_level: accuracy[j].rows_by_level.clone(),
            level_examples: accuracy::level_examples(g),
            finer_than_top: accuracy[j].finer_than_top,
            count_error: accuracy[j].count_error,
            count_error_labels: accuracy[j].count_error_labels,
            weight: policy.quasi_identifiers[j].weight,
            max_level: policy.quasi_identifiers[j].max_level,
        })
        .collect()
}

/// [`Shown`] per quasi-identifier for a global recoding at `node`: `kept[j]` the labels of
/// column j that kept rows have.
fn shown_global(gens: &[Generalisation], node: &[u8], suppressed: u64, kept: &[Vec<u32>]) -> Vec<Shown> {
    gens.iter()
        .enumerate()
        .map(|(j, g)| {
            let l = node[j] as usize;
            let mut after = kept[j].len() as u64;
            if suppressed > 0 && !kept[j].iter().any(|&lab| &g.labels[l][lab as usize] == "*") {
                after += 1;
            }
            let example = (
                g.values().first().map(str::to_string).unwrap_or_default(),
                g.codes[l].first().map(|&c| g.labels[l][c as usize].to_string()).unwrap_or_default(),
            );
            Shown { level: node[j], distinct_after: after, example }
        })
        .collect()
}

/// How one quasi-identifier appears in the release, for the report.
struct Shown {
    /// The level (global), or the level most kept rows are at (local).
    level: u8,
    /// Distinct released labels, `*` of suppressed rows included.
    distinct_after: u64,
    /// An original value and its released label.
    example: (String, String),
}

/// [`Shown`] per quasi-identifier for a local recoding.
fn shown_local(gens: &[Generalisation], base: &Base, rec: &Recoding) -> Vec<Shown> {
    gens.iter()
        .enumerate()
        .map(|(j, g)| {
            let mut rows_at = vec![0u64; g.height() + 1];
            let mut labels: std::collections::BTreeSet<&str> = Default::default();
            let mut example = None;
            for i in 0..base.len() {
                if rec.suppressed[i] {
                    labels.insert("*");
                    continue;
                }
                let l = rec.levels[j][i] as usize;
                let v = base.qi.get(j, i) as usize;
                let label = &g.labels[l][g.codes[l][v] as usize];
                rows_at[l] += base.count[i];
                labels.insert(label);
                example.get_or_insert_with(|| (g.values()[v].to_string(), label.to_string()));
            }
            // The most common level; ties go to the finer one.
            let level = (0..rows_at.len()).rev().max_by_key(|&l| rows_at[l]).unwrap_or(0) as u8;
            Shown {
                level,
                distinct_after: labels.len() as u64,
                example: example.unwrap_or_else(|| ("".into(), "*".into())),
            }
        })
        .collect()
}

/// A local recoding as [`LocalRelease::apply`] applies it. The base is sorted by
/// quasi-identifier codes first, so the combinations sharing those values are adjacent (and share
/// their levels: a local recoding splits only by quasi-identifier labels).
fn local_release(gens: &[Generalisation], base: &Base, rec: &Recoding) -> Result<LocalRelease, Error> {
    let m = gens.len();
    // The writer releases each distinct combination of QI values once: every combination that
    // shares those values (differing only in sensitive values) must carry the same decision.
    for i in 1..base.len() {
        let same_values = base.qi.compare(i, i - 1).is_eq();
        let same_decision = rec.suppressed[i] == rec.suppressed[i - 1]
            && (rec.suppressed[i] || (0..m).all(|j| rec.levels[j][i] == rec.levels[j][i - 1]));
        if same_values && !same_decision {
            return Err(Error::Polars(
                "internal: rows with equal quasi-identifier values were given different levels".into(),
            ));
        }
    }
    // Columns packed into words, in order: the first while the product fits in 64 bits, the
    // others in 32 (a dense id below 2^32 times such a word still fits).
    let mut words: Vec<Vec<(usize, u64)>> = Vec::new();
    let mut word_cards: Vec<u64> = Vec::new();
    for (j, g) in gens.iter().enumerate() {
        let card = (g.values().len() as u64).max(1);
        let limit = if words.len() == 1 { u64::MAX } else { u32::MAX as u64 };
        match word_cards.last().and_then(|&p| p.checked_mul(card)).filter(|&p| p <= limit) {
            Some(p) => {
                if let (Some(w), Some(c)) = (words.last_mut(), word_cards.last_mut()) {
                    w.push((j, *c));
                    *c = p;
                }
            }
            None => {
                words.push(vec![(j, 1)]);
                word_cards.push(card);
            }
        }
    }
    // The distinct combinations (adjacent in the base) and each one's key.
    let firsts: Vec<usize> =
        (0..base.len()).filter(|&i| i == 0 || base.qi.compare(i, i - 1).is_ne()).collect();
    let word_of = |w: usize, i: usize| -> u64 {
        words[w].iter().map(|&(j, mult)| base.qi.get(j, i) as u64 * mult).sum()
    };
    let mut keys: Vec<u64> = firsts.iter().map(|&i| word_of(0, i)).collect();
    let mut folds = Vec::new();
    for (w, &card) in word_cards.iter().enumerate().skip(1) {
        let mut distinct = keys.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let id: rustc_hash::FxHashMap<u64, u64> =
            distinct.iter().enumerate().map(|(x, &k)| (k, x as u64)).collect();
        keys = keys.iter().zip(&firsts).map(|(k, &i)| id[k] * card + word_of(w, i)).collect();
        folds.push(id);
    }
    let index = keys.iter().enumerate().map(|(x, &k)| (k, x as u32)).collect();
    let levels = (0..m)
        .map(|j| firsts.iter().map(|&i| if rec.suppressed[i] { u8::MAX } else { rec.levels[j][i] }).collect())
        .collect();
    Ok(LocalRelease { words, word_cards, folds, index, levels })
}

fn search_error(e: SearchError) -> Error {
    match e {
        SearchError::NoSolution(m) => Error::NoSolution(m),
        SearchError::TooLarge(m) => Error::NoSolution(m),
        SearchError::Totals(message) => Error::Engine { engine: "search from totals".into(), message },
    }
}

fn write(dir: &Path, name: &str, text: String) -> Result<(), Error> {
    let p = dir.join(name);
    std::fs::write(&p, text).map_err(|e| Error::io(&p, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ledgerless-anon-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("scratch");
        d
    }

    fn release(dir: &Path, marker: &str) {
        std::fs::create_dir_all(dir).expect("mkdir");
        std::fs::write(dir.join("report.json"), marker).expect("write");
    }

    /// A local release's combinations decode back to exactly the value codes they were packed
    /// from, with their levels, also when the codes take several words (folded keys).
    #[test]
    fn a_local_releases_combinations_decode_to_their_codes_and_levels() {
        use crate::policy::HierarchySpec;
        // Four columns of 70,000 values (70,000^4 > 2^64: a second word starts at c3), then two
        // of 1,000: c4 shares the second word (70,000 x 1,000 < 2^32), c5 needs a third.
        let big: Vec<String> = (0..70_000).map(|v| format!("{v:06}")).collect();
        let small: Vec<String> = (0..1_000).map(|v| format!("{v:03}")).collect();
        let gens: Vec<Generalisation> = (0..6)
            .map(|j| {
                Generalisation::build(
                    &format!("c{j}"),
                    &HierarchySpec::Suppress,
                    if j < 4 { &big } else { &small },
                )
            })
            .collect::<Result<_, _>>()
            .expect("hierarchies");
        let mut combos: Vec<Vec<u32>> = (0..500u32)
            .map(|i| {
                vec![i * 7 % 70_000, 69_999 - i, (i * 131) % 70_000, i % 3, 999 - i % 1_000, (i * 17) % 1_000]
            })
            .collect();
        combos.sort();
        combos.dedup();
        let n = combos.len();
        let base = Base {
            qi: (0..6).map(|j| combos.iter().map(|c| c[j]).collect()).collect::<Vec<Vec<u32>>>().into(),
            sensitive: Vec::new(),
            sensitive_card: Vec::new(),
            count: vec![1; n],
        };
        let rec = Recoding {
            levels: (0..6).map(|j| (0..n).map(|i| ((i + j) % 2) as u8).collect()).collect(),
            suppressed: (0..n).map(|i| i % 5 == 0).collect(),
        };
        let release = local_release(&gens, &base, &rec).expect("release");
        assert_eq!(release.words.len(), 3, "{:?}", release.words);
        assert_eq!(release.words[1].len(), 2, "{:?}", release.words);
        let mut seen = vec![false; n];
        release
            .for_each_combination(
                &gens,
                |codes, x| {
                    // Which base combination: the one with these codes.
                    let i = combos
                        .binary_search_by(|c| c.as_slice().cmp(codes))
                        .expect("decoded codes are a combination");
                    assert!(!seen[i], "combination {i} twice");
                    seen[i] = true;
                    for j in 0..6 {
                        let want = if rec.suppressed[i] { u8::MAX } else { rec.levels[j][i] };
                        assert_eq!(release.levels[j][x], want, "levels of combination {i}");
                    }
                    Ok::<(), String>(())
                },
                |m| m,
            )
            .expect("decode");
        assert!(seen.iter().all(|&s| s), "every combination once");
    }

    /// `--force` puts the new release in place of the old one, and nothing else is left.
    #[test]
    fn a_forced_release_replaces_the_old_one_and_leaves_nothing_behind() {
        let parent = scratch("replace");
        let (out, tmp) = (parent.join("rel"), parent.join(".rel.partial-1"));
        release(&out, "old");
        release(&tmp, "new");
        replace_release(&tmp, &out, &parent, "rel").expect("replace");
        assert_eq!(std::fs::read_to_string(out.join("report.json")).expect("read"), "new");
        let left: Vec<_> = std::fs::read_dir(&parent).expect("ls").flatten().map(|e| e.file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from("rel")], "{left:?}");
        let _ = std::fs::remove_dir_all(&parent);
    }

    /// Regression: a run killed between moving the old release aside and renaming the new one
    /// in left nothing at RELEASEDIR and the old release stranded. The next run puts it back;
    /// where the release is in place, the stale copy is removed.
    #[test]
    fn an_old_release_a_killed_run_moved_aside_is_put_back() {
        let parent = scratch("recover");
        release(&parent.join(".rel.replaced-999999"), "old");
        remove_stale_staging(&parent, "rel");
        assert_eq!(std::fs::read_to_string(parent.join("rel/report.json")).expect("restored"), "old");
        release(&parent.join(".rel.replaced-999998"), "older");
        remove_stale_staging(&parent, "rel");
        assert!(!parent.join(".rel.replaced-999998").exists(), "a stale copy is removed");
        assert_eq!(std::fs::read_to_string(parent.join("rel/report.json")).expect("kept"), "old");
        let _ = std::fs::remove_dir_all(&parent);
    }
}
