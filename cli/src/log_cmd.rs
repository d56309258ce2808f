//! Wiring for `keygen`, `log ...`, `audit`, `witness cosign` and `witness serve`.

use std::io::{BufRead as _, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use tlog::{DirFetch, Fetch, LockMode, Log, LogError};
use verifier::KeyKind;

use crate::UsageError;
use crate::args::{LogCommand, LogLocation, WitnessCommand};
use crate::fetch::HttpFetch;
use crate::output::{out, outln};

impl From<LogError> for UsageError {
    fn from(e: LogError) -> Self {
        UsageError::new(e.to_string())
    }
}

fn fetcher(loc: &LogLocation) -> Box<dyn Fetch> {
    match loc {
        LogLocation::Dir(d) => Box::new(DirFetch(d.clone())),
        LogLocation::Url(u) => Box::new(HttpFetch::new(u)),
    }
}

fn spinner(msg: &'static str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg}: {human_pos} ({per_sec}, {elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(msg);
    pb
}

pub(crate) fn keygen(name: &str, out: &Path, witness: bool) -> Result<ExitCode, UsageError> {
    let kind = if witness { KeyKind::CosignatureV1 } else { KeyKind::Ed25519 };
    let key = tlog::generate_key(name, kind)?;
    let (private, public) = tlog::write_key_pair(out, &key)?;
    outln!("{}", verifier::write::format_verifier_key(&key.verifier))?;
    eprintln!("wrote {} (private, mode 0600) and {}", private.display(), public.display());
    Ok(ExitCode::SUCCESS)
}

/// The entries of an append, streamed: whole files, or their lines.
fn entries(files: &[PathBuf], lines: bool) -> impl Iterator<Item = Result<Vec<u8>, LogError>> + '_ {
    files.iter().flat_map(move |path| -> Box<dyn Iterator<Item = Result<Vec<u8>, LogError>>> {
        let open = || -> Result<Box<dyn std::io::BufRead>, LogError> {
            if path.as_os_str() == "-" {
                Ok(Box::new(std::io::BufReader::new(std::io::stdin())))
            } else {
                let f = std::fs::File::open(path).map_err(|e| LogError::Io {
                    action: "read",
                    path: path.clone(),
                    source: e,
                })?;
                Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, f)))
            }
        };
        match open() {
            Err(e) => Box::new(std::iter::once(Err(e))),
            Ok(mut r) if !lines => {
                let mut buf = Vec::new();
                let res = r.read_to_end(&mut buf).map(|_| buf).map_err(|e| LogError::Io {
                    action: "read",
                    path: path.clone(),
                    source: e,
                });
                Box::new(std::iter::once(res))
            }
            Ok(r) => Box::new(r.split(b'\n').map(move |l| {
                l.map(|mut l| {
                    if l.last() == Some(&b'\r') {
                        l.pop();
                    }
                    l
                })
                .map_err(|e| LogError::Io { action: "read", path: path.clone(), source: e })
            })),
        }
    })
}

/// Checks every input before anything is appended or printed: each FILE is a readable
/// regular file (standard input at most once: `Command::validate`) and every entry fits (files by size; lines by
/// a first pass).
fn precheck(files: &[PathBuf], lines: bool) -> Result<(), UsageError> {
    for path in files.iter().filter(|p| p.as_os_str() != "-") {
        let meta = std::fs::metadata(path).map_err(|e| {
            UsageError::new(format!("cannot read {}: {e}; nothing was appended", path.display()))
        })?;
        if meta.is_dir() {
            return Err(UsageError::new(format!(
                "{} is a directory, not a file; nothing was appended",
                path.display()
            )));
        }
        // Opening proves it readable now (permissions), before the log is touched.
        let f = std::fs::File::open(path).map_err(|e| {
            UsageError::new(format!("cannot read {}: {e}; nothing was appended", path.display()))
        })?;
        if !lines && meta.is_file() && meta.len() > verifier::MAX_ENTRY_SIZE as u64 {
            return Err(UsageError::new(format!(
                "{} is {} bytes; a log entry is at most 65,535 bytes (C2SP tlog-tiles)",
                path.display(),
                meta.len()
            ))
            .hint("log a hash or a small manifest of large files instead of the files themselves"));
        }
        if lines && meta.is_file() {
            for (i, l) in std::io::BufReader::new(f).split(b'\n').enumerate() {
                let l = l.map_err(|e| UsageError::new(format!("cannot read {}: {e}", path.display())))?;
                if l.len() > verifier::MAX_ENTRY_SIZE + 1 {
                    return Err(UsageError::new(format!(
                        "{} line {} is {} bytes; a log entry is at most 65,535 bytes",
                        path.display(),
                        i + 1,
                        l.len()
                    )));
                }
            }
        }
    }
    Ok(())
}

pub(crate) fn log(cmd: LogCommand) -> Result<ExitCode, UsageError> {
    match cmd {
        LogCommand::Init { logdir, key } => {
            let key = tlog::read_signer_key(&key)?;
            let log = Log::init(&logdir, key)?;
            outln!("created log {} in {}", log.checkpoint().origin, logdir.display())?;
        }
        LogCommand::Append { logdir, key, lines, no_wait, quiet, files } => {
            let key = tlog::read_signer_key(&key)?;
            precheck(&files, lines)?;
            // A credential log's last entry must stay its status list (docs/formats.md).
            if logdir.join("status").is_dir() {
                return Err(UsageError::new(format!(
                    "{} is a credential log: only `issue` and `revoke` append to it (an entry after its status list would stop every credential's revocation check)",
                    logdir.display()
                )));
            }
            let mode = if no_wait { LockMode::Fail } else { LockMode::Wait };
            let mut log = Log::open(&logdir, key, mode, &mut || {
                eprintln!("waiting for another append to {} to finish...", logdir.display());
            })?;
            let pb = spinner("appending");
            let mut out = crate::output::stdout_buffered();
            let mut write_err = None;
            let mut n = 0u64;
            let c = log.append(entries(&files, lines), &mut |index, hash| {
                if !quiet
                    && write_err.is_none()
                    && let Err(e) = writeln!(out, "{index} {hash}")
                {
                    write_err = Some(e);
                }
                n += 1;
                if n.is_multiple_of(4096) {
                    pb.set_position(n);
                }
            });
            pb.finish_and_clear();
            let c = c.map_err(|e| {
                let mut u = UsageError::from(e);
                if n > 0 && !quiet {
                    u = u.hint(format!(
                        "nothing was appended: the {n} index/hash lines printed above were not committed"
                    ));
                }
                u
            })?;
            let printed = match write_err {
                Some(e) => Err(e),
                None => out.flush(),
            };
            // The append is committed whatever happened to standard output: say so first, so
            // an error below never reads as "nothing appended" (re-running would append again).
            eprintln!("appended {n} entries; checkpoint {} size {} root {}", c.origin, c.size, c.root_hash);
            crate::output::pipe_closed_is_success(printed).map_err(|u| {
                u.hint(format!("the {n} entries WERE appended (size {}); do not re-run the append", c.size))
            })?;
        }
        LogCommand::Prove { logdir, index, size } => {
            let p = tlog::prove_inclusion(&DirFetch(logdir), index, size)?;
            out!("{}", verifier::write::format_proof_hashes(&p))?;
        }
        LogCommand::Consistency { logdir, from, to } => {
            let p = tlog::prove_consistency(&DirFetch(logdir), from, to)?;
            out!("{}", verifier::write::format_proof_hashes(&p))?;
        }
        LogCommand::Witness { logdir, policy, timeout, no_wait } => {
            return log_witness(&logdir, &policy, timeout, no_wait);
        }
        LogCommand::Proof { logdir, index, out, force } => {
            let p = tlog::tlog_proof(&DirFetch(logdir), index)?;
            match out {
                Some(path) => crate::output::write_file("--out", &path, p.as_bytes(), force)?,
                None => out!("{p}")?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn audit(loc: &LogLocation, trust: &verifier::Trust) -> Result<ExitCode, UsageError> {
    let fetch = fetcher(loc);
    let pb = ProgressBar::new(0);
    pb.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} tiles ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let r = tlog::audit(fetch.as_ref(), trust, &mut |done, total| {
        if done % 64 == 0 || done == total {
            pb.set_length(total);
            pb.set_position(done);
        }
    });
    pb.finish_and_clear();
    match r {
        Ok(r) => {
            let c = &r.checkpoint;
            outln!(
                "ok: {} entries of {} verified against checkpoint size {} root {} signed by {}{}",
                c.size,
                fetch.location(),
                c.size,
                c.root_hash,
                r.log_key,
                if r.cosigners.is_empty() {
                    String::new()
                } else {
                    format!(", cosigned by {}", r.cosigners.join(", "))
                }
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(tlog::AuditError::Log(e)) => Err(e.into()),
        Err(e) => {
            eprintln!("audit failed: {}: {e}", fetch.location());
            Ok(ExitCode::from(1))
        }
    }
}

/// `log witness`: gathers cosignatures over HTTP; exit 3 naming the failed witnesses if the
/// quorum is not met.
fn log_witness(logdir: &Path, policy: &Path, timeout: u64, no_wait: bool) -> Result<ExitCode, UsageError> {
    let pol = crate::load_policy(policy)?;
    if !logdir.join("checkpoint").is_file() {
        return Err(UsageError::new(format!("{} is not a log (no checkpoint)", logdir.display())));
    }
    if !witness::HttpWitnesses::any(&pol) {
        return Err(UsageError::new(format!("--policy {}: no witness has a URL", policy.display()))
            .hint("give each witness its submission prefix: witness NAME VKEY https://witness.example/"));
    }
    let client = witness::Client::new(std::time::Duration::from_secs(timeout));
    let mode = if no_wait { LockMode::Fail } else { LockMode::Wait };
    let report = witness::witness_log_dir(logdir, &pol, &client, mode).map_err(|e| match e {
        witness::GatherError::NotPolicyLog(why) => UsageError::new(format!(
            "{}: its checkpoint is not signed by a log of --policy {}: {why}",
            logdir.display(),
            policy.display()
        )),
        e => UsageError::new(e.to_string()),
    })?;
    let c = &report.checkpoint;
    for r in &report.results {
        match &r.outcome {
            Ok(()) => eprintln!("{}: cosigned {} size {}", r.name, c.origin, c.size),
            Err(e) => eprintln!("{}: did not cosign: {e}", r.name),
        }
    }
    match &report.quorum {
        Ok(()) => {
            outln!("witnessed: {} size {} meets the policy's quorum", c.origin, c.size)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("not witnessed: {} size {}: {e}; failed: {}", c.origin, c.size, report.failures());
            Ok(ExitCode::from(3))
        }
    }
}

/// `witness serve`: runs until Ctrl-C.
fn witness_serve(key: &Path, state: &Path, addr: &str, log_list: &Path) -> Result<ExitCode, UsageError> {
    let sock: std::net::SocketAddr = addr
        .parse()
        .map_err(|_| UsageError::new(format!("--addr {addr:?} is not an address like 127.0.0.1:8080")))?;
    let key = tlog::read_signer_key(key)?;
    let list = crate::read("--log-list", log_list)?;
    let logs = witness::parse_log_list(&list).map_err(|e| {
        UsageError::new(format!("--log-list {}: {e}", log_list.display()))
            .hint("one log verifier key per line (PREFIX.pub), optionally followed by its origin")
    })?;
    let w = witness::Witness::open(key, state, &logs).map_err(|e| UsageError::new(e.to_string()))?;
    let (name, n) = (w.verifier_key().label(), w.origins());
    crate::output::run_server(addr, sock, |listener| async move {
        let bound = listener.local_addr().map_err(|e| UsageError::new(e.to_string()))?;
        eprintln!(
            "witness {name} for {n} log origin(s) listening on http://{bound}/ (POST /add-checkpoint; Ctrl-C to stop)"
        );
        witness::serve(listener, std::sync::Arc::new(w), async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| UsageError::new(format!("server error: {e}")))
    })
}

pub(crate) fn witness(cmd: WitnessCommand) -> Result<ExitCode, UsageError> {
    let (key, log, vkey, state) = match cmd {
        WitnessCommand::Serve { key, state, addr, log_list } => {
            return witness_serve(&key, &state, &addr, &log_list);
        }
        WitnessCommand::Cosign { key, log, vkey, state } => (key, log, vkey, state),
    };
    let witness = tlog::read_signer_key(&key)?;
    let log_key = tlog::read_verifier_key(&vkey)?;
    if log_key.kind != KeyKind::Ed25519 {
        return Err(UsageError::new(format!(
            "--vkey {}: {} is a witness (cosignature) key, not a log key",
            vkey.display(),
            log_key.label()
        ))
        .hint("give the log's verifier key: the log owner's PREFIX.pub from `ledgerless keygen` without --witness"));
    }
    let fetch = fetcher(&log);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| UsageError::new("the system clock is before 1970"))?
        .as_secs();
    let waiting = &mut || {
        eprintln!("waiting for another witness process using {} to finish...", state.display());
    };
    match tlog::witness_cosign(&witness, &log_key, fetch.as_ref(), &state, now, waiting) {
        Ok(c) => {
            let written = match &log {
                LogLocation::Dir(d) => tlog::add_cosignature(d, &c.note, &witness.verifier, LockMode::Wait)?,
                LogLocation::Url(_) => false,
            };
            out!("{}", c.note)?;
            eprintln!(
                "cosigned {} size {} (previously cosigned size {}){}",
                c.checkpoint.origin,
                c.checkpoint.size,
                c.previous_size,
                if written { "; added to the log's checkpoint" } else { "" }
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(tlog::WitnessError::Refused { reason, evidence }) => {
            eprintln!("{reason}\n\nevidence:\n{evidence}");
            Ok(ExitCode::from(1))
        }
        Err(tlog::WitnessError::Log(e)) => Err(e.into()),
        Err(e) => Err(UsageError::new(e.to_string())),
    }
}
