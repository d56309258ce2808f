//! The `ledgerless` binary: parses arguments, reads files, calls the libraries, prints.
//!
//! Exit codes (docs/architecture.md, "CLI contract"): 0 success or verified; 1 not verified (a
//! failed audit, a witness refusing a fork), with the failing step on stderr; 2 usage error or
//! unreadable input; 3 (`issue` only) not finished until the witnesses cosign.
#![forbid(unsafe_code)]

mod analytics_cmd;
mod args;
mod cred_cmd;
mod fetch;
mod log_cmd;
mod output;
mod release_cmd;

use std::path::Path;
use std::process::ExitCode;

use clap::Parser as _;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use verifier::{Outcome, Report, Trust};

use crate::args::{Cli, Command, OriginArgs, OutputArgs, TrustArgs};

/// A failure that is not about the evidence: bad usage, unreadable or malformed trust input.
#[derive(Debug)]
pub(crate) struct UsageError {
    message: String,
    hint: Option<String>,
}

impl UsageError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        UsageError { message: message.into(), hint: None }
    }
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", e.message);
            if let Some(h) = e.hint {
                eprintln!("hint: {h}");
            }
            ExitCode::from(2)
        }
    }
}

pub(crate) fn read(flag: &str, path: &Path) -> Result<Vec<u8>, UsageError> {
    std::fs::read(path).map_err(|e| UsageError::new(format!("cannot read {flag} {}: {e}", path.display())))
}

fn load_key(path: &Path) -> Result<Trust, UsageError> {
    let bytes = read("--vkey", path)?;
    verifier::parse_trust_key(&bytes).map_err(|e| {
        let hint = if matches!(e, verifier::TrustKeyError::WitnessKey(_)) {
            "give the log's own key (PREFIX.pub from `ledgerless keygen` without --witness); a witness key belongs on a `witness` line of a --policy file"
        } else {
            "a verifier key is one line: name+keyid+base64, as `ledgerless keygen` writes to PREFIX.pub"
        };
        UsageError::new(format!("--vkey {}: {e}", path.display())).hint(hint)
    })
}

/// Reads a `--policy` file: a C2SP tlog-policy listing at least one log.
pub(crate) fn load_policy(p: &Path) -> Result<verifier::Policy, UsageError> {
    let bytes = read("--policy", p)?;
    let policy = verifier::parse_policy(&bytes).map_err(|e| {
        UsageError::new(format!("--policy {}: {e}", p.display()))
            .hint("see https://c2sp.org/tlog-policy: log, witness, group and quorum lines")
    })?;
    if policy.logs.is_empty() {
        return Err(UsageError::new(format!("--policy {}: the policy lists no log", p.display())));
    }
    Ok(policy)
}

pub(crate) fn load_trust(t: &TrustArgs) -> Result<Trust, UsageError> {
    match (&t.vkey, &t.policy) {
        (Some(k), None) => load_key(k),
        (None, Some(p)) => Ok(Trust::Policy(load_policy(p)?)),
        // clap's group makes exactly one of them present.
        _ => Err(UsageError::new("give exactly one of --vkey or --policy")),
    }
}

/// A `--vkey` trust whose log signs under `--origin` instead of the key's name.
/// `validate` has refused `--origin` with `--policy`.
pub(crate) fn with_origin(trust: Trust, origin: OriginArgs) -> Trust {
    match (trust, origin.origin) {
        (Trust::Key(key), Some(origin)) => Trust::KeyWithOrigin { key, origin },
        (trust, _) => trust,
    }
}

fn run(cli: Cli) -> Result<ExitCode, UsageError> {
    // Every flag is checked before anything is read, built or written.
    cli.command.validate()?;
    let (report, output) = match cli.command {
        Command::VerifyInclusion { vkey, checkpoint, entry, index, proof, origin, output } => {
            let trust = with_origin(load_key(&vkey)?, origin);
            let (c, e, p) =
                (read("--checkpoint", &checkpoint)?, read("--entry", &entry)?, read("--proof", &proof)?);
            (verifier::check_inclusion(&trust, &c, &e, index, &p), output)
        }
        Command::VerifyConsistency { vkey, old, new, proof, origin, output } => {
            let trust = with_origin(load_key(&vkey)?, origin);
            let (o, n, p) = (read("--old", &old)?, read("--new", &new)?, read("--proof", &proof)?);
            (verifier::check_consistency(&trust, &o, &n, &p), output)
        }
        Command::VerifyCheckpoint { checkpoint, trust, origin, output } => {
            let trust = with_origin(load_trust(&trust)?, origin);
            let c = read("CHECKPOINT", &checkpoint)?;
            (verifier::check_checkpoint(&c, &trust).0, output)
        }
        Command::Keygen { name, out, witness } => return log_cmd::keygen(&name, &out, witness),
        Command::Log(cmd) => return log_cmd::log(cmd),
        Command::Audit { log, trust, origin } => {
            return log_cmd::audit(&log, &with_origin(load_trust(&trust)?, origin));
        }
        Command::Witness(cmd) => return log_cmd::witness(cmd),
        Command::Verify { files, entry, mut trust, origin, log, offline, at, output, link } => {
            trust.origin = origin.origin;
            let status = || match (&log, offline) {
                (_, true) => cred_cmd::StatusSource::Offline,
                (Some(l), false) => cred_cmd::StatusSource::Log(l.clone()),
                (None, false) => cred_cmd::StatusSource::TrustList,
            };
            if !link.is_empty() {
                // Links carry credential bundles only (validate refused --entry and a RELEASEDIR).
                let inputs = cred_cmd::bundle_inputs(&files, &link)?;
                return cred_cmd::verify_bundles(inputs, &trust, &status(), at.as_deref(), &output);
            }
            if files[0].is_dir() {
                return release_cmd::verify_release(&files[0], &trust, log.as_ref(), offline, &output);
            }
            let first = read("PROOF", &files[0])?;
            // A row proof or .tlog-proof is checked without any log: a --log given with one
            // would be silently unchecked, so it is refused.
            let log_refused = |what: &str| {
                UsageError::new(format!(
                    "--log applies to credential bundles and release directories, not to {what} {}",
                    files[0].display()
                ))
                .hint("verify the release directory with --log to check the publisher's log, or drop --log")
            };
            if release_cmd::is_row_proof(&first) {
                if log.is_some() {
                    return Err(log_refused("the row proof"));
                }
                // Checked alone and without a clock: anything else given would be silently
                // unchecked, so it is refused.
                if files.len() > 1 {
                    return Err(UsageError::new(format!(
                        "{} is a row proof: give one row proof at a time (the other files were not checked)",
                        files[0].display()
                    )));
                }
                for (given, flag) in
                    [(entry.is_some(), "--entry"), (offline, "--offline"), (at.is_some(), "--at")]
                {
                    if given {
                        return Err(UsageError::new(format!(
                            "{flag} does not apply to the row proof {}",
                            files[0].display()
                        )));
                    }
                }
                return release_cmd::verify_row_proof(&files[0], &first, &trust, &output);
            }
            // With --entry the file is a tlog-proof (and is reported as a malformed one if not).
            if entry.is_none() && !first.starts_with(verifier::TLOG_PROOF_HEADER.as_bytes()) {
                let inputs = cred_cmd::bundle_inputs(&files, &link)?;
                return cred_cmd::verify_bundles(inputs, &trust, &status(), at.as_deref(), &output);
            }
            if log.is_some() {
                return Err(log_refused("the .tlog-proof"));
            }
            let Some(entry) = entry else {
                return Err(UsageError::new(format!(
                    "{} is a tlog-proof: give the entry with --entry FILE",
                    files[0].display()
                )));
            };
            if files.len() > 1 {
                return Err(UsageError::new("give one .tlog-proof at a time"));
            }
            let loaded = load_trust(&TrustArgs { vkey: trust.vkey, policy: trust.policy }).map_err(|e| {
                if trust.trust.is_some() {
                    UsageError::new("a .tlog-proof is verified with --vkey or --policy, not --trust")
                } else {
                    e
                }
            })?;
            let trust = with_origin(loaded, OriginArgs { origin: trust.origin });
            let e = read("--entry", &entry)?;
            (verifier::check_tlog_proof(&trust, &first, &e), output)
        }
        Command::Synth { kind: args::SynthKind::Patients, rows, seed, first_row, out, force } => {
            return analytics_cmd::synth_patients(first_row, rows, seed, &out, force);
        }
        Command::Synth { first_row: 1.., .. } => {
            return Err(UsageError::new("--first-row applies to `synth patients` only"));
        }
        Command::Synth { kind, rows, seed, first_row: 0, out, force } => {
            return cred_cmd::synth(kind, rows, seed, &out, force);
        }
        Command::Publish { release, log, key } => return release_cmd::publish(&release, &log, &key),
        Command::ProveRow { release, table, row, out, force } => {
            return release_cmd::prove_row(&release, &table, row, out.as_deref(), force);
        }
        Command::Anonymise { input, engine, checks_on_cluster, policy, out, quiet, json, force } => {
            let engine = engine.as_deref().map(|url| (url, checks_on_cluster));
            return analytics_cmd::anonymise(&input, engine, &policy, &out, quiet, json, force);
        }
        #[cfg(feature = "ballista")]
        Command::Cluster { role } => return analytics_cmd::cluster(role),
        Command::Issue { log, key, input, out, policy, witness_key, witness_state } => {
            let witness = witness_key.zip(witness_state);
            return cred_cmd::issue(&log, &key, &input, &out, policy.as_deref(), witness);
        }
        Command::Disclose { bundle, claims, out, force } => {
            return cred_cmd::disclose(&bundle, &claims, &out, force);
        }
        Command::Revoke { log, key, id, reason, policy, witness_key, witness_state } => {
            let witness = witness_key.zip(witness_state);
            return cred_cmd::revoke(&log, &key, &id, reason.as_deref(), policy.as_deref(), witness);
        }
        Command::Share { bundle, site, qr, force, form } => {
            return cred_cmd::share(&bundle, &site, qr.as_deref(), force, form);
        }
        Command::Demo { out, site_url, serve, app } => return cred_cmd::demo(&out, site_url, serve, &app),
        Command::Serve { dir, addr } => return cred_cmd::serve(&dir, &addr),
    };
    print_report(&report, &output)?;
    Ok(if report.verified { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Prints the report on stdout (text or JSON) and, if it failed, the failing step on stderr. A
/// closed pipe (e.g. `| head`) is success; another write error is an error (exit 2), as for
/// every other command.
pub(crate) fn print_report(report: &Report, output: &OutputArgs) -> Result<(), UsageError> {
    let text = if output.json {
        // Serialising our own report cannot fail: it holds only strings, bools and enums.
        serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
    } else {
        let mut s = String::new();
        for step in &report.steps {
            let mark = match step.outcome {
                Outcome::Pass => "ok  ",
                Outcome::Fail => "FAIL",
                Outcome::Skip => "skip",
                Outcome::Unchecked => "UNCHECKED",
            };
            s.push_str(&format!("{mark} {:<21} {}\n", step.check.name(), step.detail));
        }
        s.push_str(if report.verified { "verified\n" } else { "NOT VERIFIED\n" });
        s
    };
    output::stdout_bytes(text.as_bytes())?;
    if let Some(f) = report.failure() {
        eprintln!("not verified: {}: {}", f.check.name(), f.detail);
    }
    Ok(())
}
