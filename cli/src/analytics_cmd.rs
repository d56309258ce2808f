//! `synth patients` and `anonymise`: wiring to the analytics crate.

use std::io::IsTerminal as _;
use std::path::Path;
use std::process::ExitCode;

use analytics::anonymise::{Existing, Stage};

use crate::UsageError;
use crate::output::outln;

pub(crate) fn synth_patients(
    first: u64,
    rows: u64,
    seed: u64,
    out: &Path,
    force: bool,
) -> Result<ExitCode, UsageError> {
    let end = first.checked_add(rows).ok_or_else(|| {
        UsageError::new(format!("--first-row {first} plus --rows {rows} is beyond the last row"))
    })?;
    let t = std::time::Instant::now();
    analytics::data::write_patients(out, first..end, seed, force)
        .map_err(|e| UsageError::new(e.to_string()))?;
    let from = if first > 0 { format!(" from row {first}") } else { String::new() };
    eprintln!(
        "wrote {rows} synthetic patients (seed {seed}){from} to {} in {:.1} s",
        out.display(),
        t.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// `engine`: the cluster's URL and whether the search's checks run on it.
pub(crate) fn anonymise(
    input: &Path,
    engine: Option<(&str, bool)>,
    policy: &Path,
    out: &Path,
    quiet: bool,
    json: bool,
    force: bool,
) -> Result<ExitCode, UsageError> {
    let show = !quiet && std::io::stderr().is_terminal();
    let pb = indicatif::ProgressBar::new_spinner();
    if show {
        pb.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
    } else {
        pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let mut progress = |s: Stage| {
        pb.set_message(match s {
            Stage::Reading => "reading the input and counting combinations",
            Stage::Searching => "searching for the optimal generalisation",
            Stage::Writing => "writing microdata (CSV and Parquet)",
            Stage::Tables => "writing tables and the report",
        })
    };
    let existing = if force { Existing::Replace } else { Existing::Refuse };
    let result = match engine {
        None => analytics::anonymise::anonymise_with(input, policy, out, existing, &mut progress),
        Some((url, on_rows)) => {
            anonymise_on_cluster(url, on_rows, input, policy, out, existing, &mut progress)?
        }
    };
    pb.finish_and_clear();
    let outcome = result.map_err(|e| UsageError::new(e.to_string()))?;
    let r = &outcome.report;
    let [read, search, write, tables] = outcome.seconds;
    let peak = analytics::counts::peak_memory_bytes();
    if json {
        let mut v = serde_json::to_value(r).map_err(|e| UsageError::new(e.to_string()))?;
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "seconds".into(),
                serde_json::json!({"read": read, "search": search, "write": write, "tables_and_report": tables}),
            );
            // The whole process's peak resident memory (Linux; null elsewhere).
            o.insert("peak_memory_bytes".into(), serde_json::json!(peak));
        }
        outln!("{v}")?;
        return Ok(ExitCode::SUCCESS);
    }
    if !quiet {
        let levels: Vec<String> =
            r.attributes.iter().map(|a| format!("{}={}/{}", a.column, a.level, a.height)).collect();
        outln!("release written to {}", out.display())?;
        outln!(
            "  k = {} achieved (policy {}), {} of {} records suppressed ({:.2}%), {} classes",
            r.result.achieved_k,
            r.policy.k,
            r.result.records_suppressed,
            r.input.rows,
            r.result.suppressed_share * 100.0,
            r.result.classes
        )?;
        for d in &r.result.achieved_l {
            outln!(
                "  l = {} distinct values of {} in every class (policy {} {})",
                d.distinct_l,
                d.column,
                d.required_l,
                d.variant
            )?;
        }
        outln!("  generalisation: {}", levels.join(", "))?;
        outln!(
            "  loss {:.4}, entropy {:.1} bits, discernibility {}; highest prosecutor risk {:.4} → {:.4}",
            r.information_loss.loss,
            r.information_loss.entropy_bits,
            r.information_loss.discernibility,
            r.risk.before.prosecutor_highest,
            r.risk.after.prosecutor_highest
        )?;
        outln!(
            "  search: {} nodes, {} checked, {} tagged, {} pruned; {:.3} s read, {:.3} s search, {:.3} s write, {:.3} s tables{}",
            r.search.lattice_size,
            r.search.checked,
            r.search.tagged,
            r.search.pruned,
            read,
            search,
            write,
            tables,
            peak.map(|b| format!("; peak memory {:.0} MiB", b as f64 / (1u64 << 20) as f64))
                .unwrap_or_default()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `anonymise --engine URL`: the same run, its heavy steps on a Ballista cluster.
#[cfg(feature = "ballista")]
fn anonymise_on_cluster(
    url: &str,
    on_rows: bool,
    input: &Path,
    policy: &Path,
    out: &Path,
    existing: Existing,
    progress: &mut dyn FnMut(Stage),
) -> Result<Result<analytics::anonymise::Outcome, analytics::Error>, UsageError> {
    cluster::parse::parse_engine_url(url).map_err(UsageError::new)?;
    let open = || -> Result<Box<dyn analytics::engine::Engine>, analytics::Error> {
        Ok(Box::new(cluster::ClusterEngine::connect(url, input)?.with_checks_on_rows(on_rows)))
    };
    Ok(analytics::anonymise::anonymise_on(&open, policy, out, existing, progress))
}

/// `anonymise --engine` in a build without the distributed engine.
#[cfg(not(feature = "ballista"))]
fn anonymise_on_cluster(
    url: &str,
    _on_rows: bool,
    _input: &Path,
    _policy: &Path,
    _out: &Path,
    _existing: Existing,
    _progress: &mut dyn FnMut(Stage),
) -> Result<Result<analytics::anonymise::Outcome, analytics::Error>, UsageError> {
    Err(UsageError::new(format!(
        "--engine {url}: this ledgerless was built without the distributed engine; build it with \
         `cargo build --release -p cli --features ballista`"
    )))
}

/// `ledgerless cluster scheduler|executor`: runs until stopped.
#[cfg(feature = "ballista")]
pub(crate) fn cluster(role: crate::args::ClusterRole) -> Result<ExitCode, UsageError> {
    use crate::args::ClusterRole;
    use cluster::process::{ExecutorOptions, SchedulerOptions, run_executor, run_scheduler};
    let result = match role {
        ClusterRole::Scheduler { bind, executor_timeout, min_executors } => {
            eprintln!("ledgerless cluster scheduler on {bind} (REST: http://{bind}/api/executors)");
            run_scheduler(&SchedulerOptions {
                bind,
                executor_timeout_seconds: executor_timeout,
                min_ready_executors: min_executors,
            })
        }
        ClusterRole::Executor { scheduler, host, flight_port, grpc_port, work_dir, vcores, memory_mib } => {
            if flight_port == grpc_port {
                return Err(UsageError::new("--flight-port and --grpc-port must differ"));
            }
            eprintln!("ledgerless cluster executor {host}:{flight_port} joining {scheduler}");
            run_executor(&ExecutorOptions {
                scheduler,
                host,
                flight_port,
                grpc_port,
                work_dir,
                vcores,
                memory_bytes: memory_mib << 20,
            })
        }
    };
    result.map_err(|e| UsageError::new(e.to_string()))?;
    Ok(ExitCode::SUCCESS)
}
