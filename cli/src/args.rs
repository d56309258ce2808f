//! Command-line arguments (clap derive), and their validation in one place
//! ([`Command::validate`]), before any command runs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::UsageError;
use crate::output::check_target;

/// ledgerless: tamper-evident credentials and datasets on transparency logs, no blockchain.
#[derive(Debug, Parser)]
#[command(name = "ledgerless", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// What the verifier trusts: exactly one of a log key or a tlog-policy.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct TrustArgs {
    /// The log's verifier key file (C2SP vkey: name+keyid+base64).
    #[arg(long, value_name = "FILE")]
    pub(crate) vkey: Option<PathBuf>,
    /// A C2SP tlog-policy file: trusted logs, witnesses and the cosigning quorum.
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<PathBuf>,
}

/// The origin a `--vkey` log's checkpoints carry, when it is not the key's name.
#[derive(Debug, Args)]
pub(crate) struct OriginArgs {
    /// With --vkey: the origin the log's checkpoints must carry, when it is not the key's name
    /// (Go's checksum database: "go.sum database tree" under the key sum.golang.org).
    #[arg(long, value_name = "ORIGIN")]
    pub(crate) origin: Option<String>,
}

impl OriginArgs {
    /// Refuses `--origin` without `--vkey`, and an origin that no checkpoint can carry.
    fn validate(&self, vkey: bool) -> Result<(), UsageError> {
        let Some(o) = &self.origin else { return Ok(()) };
        if !vkey {
            return Err(UsageError::new("--origin is given with --vkey only").hint(
                "a --policy or --trust list names its logs by their keys; their checkpoints' origin is the key's name",
            ));
        }
        if o.is_empty() || o.contains('\n') {
            return Err(UsageError::new(format!("--origin {o:?}: an origin is one non-empty line")));
        }
        Ok(())
    }
}

/// Output options shared by the verify commands.
#[derive(Debug, Args)]
pub(crate) struct OutputArgs {
    /// Print a machine-readable JSON report of every step on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Where a log is: a directory, or an http(s) URL of a static log.
#[derive(Debug, Clone)]
pub(crate) enum LogLocation {
    Dir(PathBuf),
    Url(String),
}

impl std::str::FromStr for LogLocation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.starts_with("http://") || s.starts_with("https://") {
            Ok(LogLocation::Url(s.trim_end_matches('/').to_owned()))
        } else {
            Ok(LogLocation::Dir(PathBuf::from(s)))
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum LogCommand {
    /// Create a new, empty log in LOGDIR whose origin is the key's name.
    Init {
        /// The log directory (created if missing; must be empty).
        logdir: PathBuf,
        /// The log's private key file (PREFIX.key from `ledgerless keygen`).
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
    },
    /// Append one entry per FILE (or per line with --lines), then sign a new checkpoint.
    Append {
        /// The log directory.
        logdir: PathBuf,
        /// The log's private key file.
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
        /// Append each line of each FILE (without its newline) as an entry.
        #[arg(long)]
        lines: bool,
        /// Fail at once if another append holds the log's lock, instead of waiting.
        #[arg(long)]
        no_wait: bool,
        /// Print nothing per entry (only the new checkpoint's size and root).
        #[arg(long, short)]
        quiet: bool,
        /// Files whose bytes are the entries ("-" reads standard input).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Print the inclusion proof for entry N (one base64 hash per line), from the tiles.
    Prove {
        /// The log directory.
        logdir: PathBuf,
        /// The entry's index.
        #[arg(long, value_name = "N")]
        index: u64,
        /// The tree size to prove against (default: the current checkpoint's).
        #[arg(long, value_name = "M")]
        size: Option<u64>,
    },
    /// Print the consistency proof from size M to size N (default: current), from the tiles.
    Consistency {
        /// The log directory.
        logdir: PathBuf,
        /// The older tree size.
        #[arg(long, value_name = "M")]
        from: u64,
        /// The newer tree size (default: the current checkpoint's).
        #[arg(long, value_name = "N")]
        to: Option<u64>,
    },
    /// Ask the witnesses of a tlog-policy (those with a URL) to cosign the log's checkpoint over
    /// HTTP (C2SP tlog-witness add-checkpoint) and add their cosignatures to it. Exit 3 if the
    /// policy's quorum is not met.
    Witness {
        /// The log directory.
        logdir: PathBuf,
        /// The tlog-policy naming the log, the witnesses (`witness NAME VKEY URL`) and the quorum.
        #[arg(long, value_name = "FILE")]
        policy: PathBuf,
        /// Give up on a witness after this many seconds.
        #[arg(long, value_name = "SECS", default_value_t = 10)]
        timeout: u64,
        /// Fail at once if another process holds the log's lock, instead of waiting.
        #[arg(long)]
        no_wait: bool,
    },
    /// Print a C2SP tlog-proof for entry N against the current checkpoint.
    Proof {
        /// The log directory.
        logdir: PathBuf,
        /// The entry's index.
        #[arg(long, value_name = "N")]
        index: u64,
        /// Write the proof to FILE instead of standard output (never over the log's own files).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Replace FILE if it exists.
        #[arg(long, requires = "out")]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum WitnessCommand {
    /// Cosign a log's newest checkpoint after proving it consistent with the last one cosigned.
    Cosign {
        /// The witness's private key (from `ledgerless keygen --witness`).
        #[arg(long, value_name = "F")]
        key: PathBuf,
        /// The log: a directory (the cosignature is added to its checkpoint) or a URL.
        #[arg(long, value_name = "LOGDIR|URL")]
        log: LogLocation,
        /// The log's verifier key: a witness trusts a log key given to it, never one the log serves.
        #[arg(long, value_name = "F")]
        vkey: PathBuf,
        /// Directory keeping the last checkpoint cosigned per log.
        #[arg(long, value_name = "DIR")]
        state: PathBuf,
    },
    /// Run a witness over HTTP: answer C2SP tlog-witness `POST /add-checkpoint` for the logs
    /// in a log list, until Ctrl-C.
    Serve {
        /// The witness's private key (from `ledgerless keygen --witness`).
        #[arg(long, value_name = "F")]
        key: PathBuf,
        /// Directory keeping the last checkpoint cosigned per log (locked while serving).
        #[arg(long, value_name = "DIR")]
        state: PathBuf,
        /// Address to listen on (port 0: any free port, printed on start). It speaks plain HTTP:
        /// to be reached from elsewhere, put a TLS-terminating proxy in front.
        #[arg(long, value_name = "ADDR")]
        addr: String,
        /// The logs to witness: one verifier key per line, optionally followed by the origin its
        /// checkpoints carry when that is not the key's name (docs/formats.md).
        #[arg(long, value_name = "FILE")]
        log_list: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Make a key pair: PREFIX.key (private, mode 0600) and PREFIX.pub (verifier key).
    Keygen {
        /// The key's name; for a log, its origin (e.g. register.example.org/log).
        #[arg(long)]
        name: String,
        /// Path prefix of the two files.
        #[arg(long, value_name = "PREFIX")]
        out: PathBuf,
        /// Make a witness cosigning key (cosignature/v1) instead of a log key.
        #[arg(long)]
        witness: bool,
    },
    /// Run a tiled transparency log in a directory.
    #[command(subcommand)]
    Log(LogCommand),
    /// Re-derive a whole tiled log (directory or URL) and check it against its checkpoint.
    Audit {
        /// The log: a directory or an http(s) URL.
        log: LogLocation,
        #[command(flatten)]
        trust: TrustArgs,
        #[command(flatten)]
        origin: OriginArgs,
    },
    /// Act as a witness for a log.
    #[command(subcommand)]
    Witness(WitnessCommand),
    /// Verify that an entry is in a log: checkpoint signature, then RFC 9162 inclusion proof.
    VerifyInclusion {
        /// The log's verifier key file.
        #[arg(long, value_name = "FILE")]
        vkey: PathBuf,
        /// The signed checkpoint (C2SP tlog-checkpoint note).
        #[arg(long, value_name = "FILE")]
        checkpoint: PathBuf,
        /// The entry's exact bytes.
        #[arg(long, value_name = "FILE")]
        entry: PathBuf,
        /// The entry's zero-based index in the log.
        #[arg(long, value_name = "N")]
        index: u64,
        /// The inclusion proof: one standard-base64 hash per line.
        #[arg(long, value_name = "FILE")]
        proof: PathBuf,
        #[command(flatten)]
        origin: OriginArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Verify that a log's new checkpoint extends its old one (append-only, no fork).
    VerifyConsistency {
        /// The log's verifier key file; both checkpoints must be signed by it.
        #[arg(long, value_name = "FILE")]
        vkey: PathBuf,
        /// The older signed checkpoint.
        #[arg(long, value_name = "FILE")]
        old: PathBuf,
        /// The newer signed checkpoint.
        #[arg(long, value_name = "FILE")]
        new: PathBuf,
        /// The consistency proof: one standard-base64 hash per line.
        #[arg(long, value_name = "FILE")]
        proof: PathBuf,
        #[command(flatten)]
        origin: OriginArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Verify a signed checkpoint: the log's signature, and under a policy the witness quorum.
    VerifyCheckpoint {
        /// The signed checkpoint file.
        checkpoint: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
        #[command(flatten)]
        origin: OriginArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Verify credential bundles (several at once form a portfolio), a published release
    /// directory (its bundle, then every file), a row proof, or a C2SP .tlog-proof for an entry.
    Verify {
        /// Bundle files, one RELEASEDIR, one row proof, or one .tlog-proof file with --entry.
        #[arg(required_unless_present = "link", value_name = "BUNDLE|RELEASEDIR|PROOF")]
        files: Vec<PathBuf>,
        /// A verification link, as `share` prints or a QR code holds (SITE#c1=…, SITE#c1u=…,
        /// or the older SITE#bundle=…): its bundles are verified like bundle files. Repeatable;
        /// nothing is fetched from SITE.
        #[arg(long, value_name = "LINK")]
        link: Vec<String>,
        /// With a .tlog-proof: the entry's exact bytes.
        #[arg(long, value_name = "FILE")]
        entry: Option<PathBuf>,
        #[command(flatten)]
        trust: VerifyTrustArgs,
        #[command(flatten)]
        origin: OriginArgs,
        /// The issuer's log (directory or URL): checks revocation and that the log has not forked.
        /// If it cannot be read, the bundle is NOT VERIFIED (never silently checked offline).
        #[arg(long, value_name = "LOGDIR|URL")]
        log: Option<LogLocation>,
        /// Verify without reading any log, even one the trust list names: revocation is then
        /// reported as not checked.
        #[arg(long, conflicts_with = "log")]
        offline: bool,
        /// Check validity at this time (RFC 3339 or YYYY-MM-DD; default: now).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Run a process of a Ballista cluster for `anonymise --engine` (a build with the
    /// `ballista` feature): a scheduler, or an executor that joins one.
    #[cfg(feature = "ballista")]
    Cluster {
        #[command(subcommand)]
        role: ClusterRole,
    },
    /// Make synthetic input data, deterministic for a seed.
    Synth {
        /// What to make.
        #[arg(value_enum)]
        kind: SynthKind,
        /// Number of rows.
        #[arg(long)]
        rows: u64,
        /// Seed of the generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Patients only: start at this row of the seed's data set (0 = the first), so files made
        /// with consecutive ranges are parts of one data set (for `anonymise --engine`).
        #[arg(long, value_name = "ROW", default_value_t = 0)]
        first_row: u64,
        /// Output file: CSV, or Parquet for patients when it ends in .parquet.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Turn patient-level records into a k-anonymous release: microdata with generalised
    /// quasi-identifiers, small-number-suppressed tables, report.json and report.html.
    Anonymise {
        /// Input records (.csv or .parquet); with --engine, a Parquet file, a folder of them or
        /// a pattern such as 'parts/*.parquet', at the same path on the cluster's machines.
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
        /// Run reading, counting and writing on an Apache DataFusion Ballista cluster, given by
        /// its scheduler (the search runs here), for global and local recoding; the release's
        /// Parquet microdata is written as parts (docs/design/0016). Needs a build with the `ballista`
        /// feature.
        #[arg(long, value_name = "df://HOST:PORT")]
        engine: Option<String>,
        /// With --engine: run each of the search's checks as a job on the cluster, so that
        /// this process never holds the combinations and its memory does not grow with them
        /// (global recoding, k and distinct l-diversity; slower, a job per node checked).
        #[arg(long, requires = "engine")]
        checks_on_cluster: bool,
        /// The anonymisation policy (TOML; docs/formats.md).
        #[arg(long, value_name = "POLICY.toml")]
        policy: PathBuf,
        /// The release directory to create (must not exist, unless --force).
        #[arg(long, value_name = "RELEASEDIR")]
        out: PathBuf,
        /// No progress display.
        #[arg(long, short)]
        quiet: bool,
        /// Print the report as JSON on stdout (with timings) instead of a summary.
        #[arg(long)]
        json: bool,
        /// Replace RELEASEDIR if it is an existing release (once the new one is complete).
        #[arg(long)]
        force: bool,
    },
    /// Publish a release: write RELEASEDIR/manifest.json (every file's size, SHA-256, rows and
    /// rows root; the policy; k, l and metrics), append it to the publisher's log, and write the
    /// offline bundle RELEASEDIR/manifest.bundle.json.
    ///
    /// If a publish is interrupted (manifest.json written, no manifest.bundle.json), the same
    /// command run again completes it, appending the manifest only if the log lacks it.
    Publish {
        /// The release directory (made by `anonymise`).
        release: PathBuf,
        /// The publisher's log directory.
        #[arg(long, value_name = "LOGDIR")]
        log: PathBuf,
        /// The publisher's log key (private).
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
    },
    /// Write a proof that one row of a published table (or of the microdata) is in the release;
    /// `ledgerless verify PROOF` and the browser verify it on its own.
    ProveRow {
        /// The published release directory.
        release: PathBuf,
        /// The table name (tables/NAME.csv), or `microdata`.
        #[arg(long)]
        table: String,
        /// Zero-based data row (the header is not a row).
        #[arg(long, value_name = "N")]
        row: u64,
        /// Where to write the proof (default: stdout).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Issue one credential per CSV row into the issuer's log; one bundle per row in DIR/<id>.json.
    Issue {
        /// The issuer's log directory.
        #[arg(long, value_name = "LOGDIR")]
        log: PathBuf,
        /// The log's private key.
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
        /// CSV with columns id, type, optional valid_from/valid_until, and claims.
        #[arg(long, value_name = "CSV")]
        input: PathBuf,
        /// Where to write the bundles (and the journal that makes a re-run finish the job).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The witness policy (C2SP tlog-policy) bundles must verify under: bundles are written
        /// only once the log's checkpoint meets its quorum (else exit 3: run the witnesses and
        /// the same command again).
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// A witness run beside the issuer: its private key, cosigning before bundles are written.
        #[arg(long, value_name = "KEYFILE", requires = "witness_state")]
        witness_key: Option<PathBuf>,
        /// The local witness's state directory (the last checkpoint it cosigned).
        #[arg(long, value_name = "DIR", requires = "witness_key")]
        witness_state: Option<PathBuf>,
    },
    /// Derive a bundle that discloses only the chosen claims.
    Disclose {
        /// A full bundle from the issuer.
        bundle: PathBuf,
        /// Claims to keep, comma-separated (e.g. name,profession,status).
        #[arg(long, value_delimiter = ',', required = true)]
        claims: Vec<String>,
        /// Output bundle file (new; never the input bundle).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Revoke a credential: set its status bit and commit the new status list to the log.
    Revoke {
        /// The issuer's log directory.
        #[arg(long, value_name = "LOGDIR")]
        log: PathBuf,
        /// The log's private key.
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
        /// The credential's id (the CSV id).
        #[arg(long)]
        id: String,
        /// Why (kept privately beside the key file, never published).
        #[arg(long)]
        reason: Option<String>,
        /// The witness policy (C2SP tlog-policy): its witnesses with a URL are asked to cosign
        /// the checkpoint that commits the revocation (exit 3 if its quorum is not met).
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// A witness run beside the issuer: cosigns the checkpoint that commits the revocation.
        #[arg(long, value_name = "KEYFILE", requires = "witness_state")]
        witness_key: Option<PathBuf>,
        /// The local witness's state directory.
        #[arg(long, value_name = "DIR", requires = "witness_key")]
        witness_state: Option<PathBuf>,
    },
    /// Build the end-to-end demo on synthetic data: logs, credentials (one revoked, one
    /// expired), a witness cosignature, a published anonymised release of synthetic patients,
    /// the site and DIR/links.txt.
    Demo {
        /// Where to build it (must be new or empty).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The URL the site will be served at (the links point there).
        #[arg(long, value_name = "URL")]
        site_url: Option<String>,
        /// Serve DIR/site on this loopback address afterwards.
        #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = DEFAULT_ADDR)]
        serve: Option<String>,
        /// The built app (trunk's dist/).
        #[arg(long, value_name = "DIST", default_value = "dist")]
        app: PathBuf,
    },
    /// Serve a directory (a demo site, a log) as static files on loopback.
    Serve {
        /// The directory.
        dir: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = DEFAULT_ADDR)]
        addr: String,
    },
    /// Print a verification link for a bundle (the bundle travels in the URL fragment).
    Share {
        /// The bundle to share (disclose first to share fewer claims).
        bundle: PathBuf,
        /// The verifier site's URL.
        #[arg(long, value_name = "URL")]
        site: String,
        /// Also write the link as a QR code (SVG). In the compact form the code holds the
        /// link with the bundle in digits (SITE#c1=…), which QR codes store most densely.
        #[arg(long, value_name = "FILE.svg")]
        qr: Option<PathBuf>,
        /// Replace the --qr file if it exists.
        #[arg(long, requires = "qr")]
        force: bool,
        /// How the link carries the bundle: compact (CBOR, SITE#c1u=…) or json (the older
        /// SITE#bundle=…, about three times as long).
        #[arg(long, value_enum, default_value_t = ShareForm::Compact)]
        form: ShareForm,
    },
}

/// How `share` writes the bundle into the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ShareForm {
    /// Compact CBOR (formats.md, "Compact bundles").
    Compact,
    /// The bundle's JSON in base64url.
    Json,
}

/// Default address of `serve` and `demo --serve`.
pub(crate) const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// Synthetic data sets.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum SynthKind {
    /// Health-care registrants holding several credentials each (issuer CSV).
    Registrants,
    /// Patient-level hospital admissions (input for `anonymise`).
    Patients,
}

/// Trust for `verify`: a log key, a trust list of issuers, or a tlog-policy.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct VerifyTrustArgs {
    /// The issuer's log verifier key.
    #[arg(long, value_name = "FILE")]
    pub(crate) vkey: Option<PathBuf>,
    /// A trust.json listing trusted issuers (display name, key, log, policy).
    #[arg(long, value_name = "FILE")]
    pub(crate) trust: Option<PathBuf>,
    /// A C2SP tlog-policy file (log key, witnesses, quorum).
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<PathBuf>,
    /// `--origin` of the `verify` command, moved here by `run` so every verify path applies it
    /// to a `--vkey` trust (not a flag of this group).
    #[arg(skip)]
    pub(crate) origin: Option<String>,
}

impl Command {
    /// Checks every flag a command was given before it does anything: output files that may
    /// be written (`--out`, `--qr`: not a directory, not a log's own file, not existing unless
    /// `--force`), URLs and addresses, and flags that exclude each other. What a flag's file
    /// contains is checked by the command that reads it.
    pub(crate) fn validate(&self) -> Result<(), UsageError> {
        // Not an arm of the match below: `verify`'s other checks must run too.
        if let Command::Verify { trust, origin, .. } = self {
            origin.validate(trust.vkey.is_some())?;
        }
        match self {
            Command::Synth { kind, out, force, .. } => {
                let ext = out.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
                if matches!(kind, SynthKind::Registrants) && ext.as_deref().is_some_and(|e| e != "csv") {
                    return Err(UsageError::new(format!(
                        "--out {}: registrants are written as CSV only (the issuer reads CSV)",
                        out.display()
                    ))
                    .hint("give a file name ending in .csv"));
                }
                check_target("--out", out, *force)?;
            }
            Command::Disclose { bundle, out, force, .. } => {
                // The full bundle is the holder's only copy: never replace it with a partial one.
                if let (Ok(a), Ok(b)) = (std::fs::canonicalize(bundle), std::fs::canonicalize(out))
                    && a == b
                {
                    return Err(UsageError::new(format!(
                        "--out {} is the input bundle; refusing to replace the full bundle with a partial one (even with --force)",
                        out.display()
                    ))
                    .hint("write the disclosed bundle to a new file"));
                }
                check_target("--out", out, *force)?;
            }
            Command::Share { site, qr, force, .. } => {
                issuer::check_site_url(site).map_err(|e| UsageError::new(format!("--site: {e}")))?;
                if let Some(q) = qr {
                    check_target("--qr", q, *force)?;
                }
            }
            Command::Demo { site_url, serve, .. } => {
                if let Some(addr) = serve {
                    loopback_addr("--serve", addr)?;
                }
                if let Some(u) = site_url {
                    issuer::check_site_url(u).map_err(|e| UsageError::new(format!("--site-url: {e}")))?;
                }
            }
            Command::Serve { addr, .. } => {
                loopback_addr("--addr", addr)?;
            }
            Command::Witness(WitnessCommand::Serve { addr, .. }) => {
                addr.parse::<std::net::SocketAddr>().map_err(|_| {
                    UsageError::new(format!("--addr {addr:?} is not an address like 127.0.0.1:8080"))
                })?;
            }
            Command::Log(LogCommand::Witness { timeout, .. }) if *timeout == 0 || *timeout > 600 => {
                return Err(UsageError::new(format!("--timeout {timeout}: give 1 to 600 seconds")));
            }
            Command::VerifyCheckpoint { trust, origin, .. } | Command::Audit { trust, origin, .. } => {
                origin.validate(trust.vkey.is_some())?;
            }
            Command::VerifyInclusion { origin, .. } | Command::VerifyConsistency { origin, .. } => {
                origin.validate(true)?;
            }
            Command::ProveRow { out: Some(out), force, .. }
            | Command::Log(LogCommand::Proof { out: Some(out), force, .. }) => {
                // Before the (possibly long) proof: refuse a bad --out at once; the log's own
                // files (LOGDIR/checkpoint, LOGDIR/tile/...) are never a valid target.
                check_target("--out", out, *force)?;
            }
            Command::Verify { files, entry, .. }
                if files.first().is_some_and(|f| f.is_dir()) && (files.len() > 1 || entry.is_some()) =>
            {
                return Err(UsageError::new("give one RELEASEDIR at a time, without --entry"));
            }
            Command::Verify { files, entry, link, .. } if !link.is_empty() => {
                if entry.is_some() || files.iter().any(|f| f.is_dir()) {
                    return Err(UsageError::new(
                        "--link carries credential bundles: give it alone or with bundle files, not with a RELEASEDIR or --entry",
                    ));
                }
                for l in link {
                    check_link(l)?;
                }
            }
            Command::Log(LogCommand::Append { files, .. })
                if files.iter().filter(|p| p.as_os_str() == "-").count() > 1 =>
            {
                return Err(UsageError::new("standard input (\"-\") is given more than once"));
            }
            _ => {}
        }
        Ok(())
    }
}

/// Checks that a `--link` carries at least one bundle (`#c1=`, `#c1u=` or `#bundle=` in its
/// fragment); whether the bundle decodes and verifies is the verification's verdict.
fn check_link(link: &str) -> Result<(), UsageError> {
    let shown: String = if link.chars().count() > 60 {
        format!("{}…", link.chars().take(60).collect::<String>())
    } else {
        link.to_owned()
    };
    let Some((_, fragment)) = link.split_once('#') else {
        return Err(UsageError::new(format!("--link {shown:?} has no #fragment, so no bundle"))
            .hint("give the whole link `ledgerless share` printed (SITE#c1u=…) or the text of its QR code"));
    };
    let keys = [verifier::COMPACT_LINK_KEY, verifier::COMPACT_LINK_KEY_BASE64URL, verifier::JSON_LINK_KEY];
    let carries = fragment
        .split('&')
        .any(|p| p.split_once('=').is_some_and(|(k, v)| keys.contains(&k) && !v.is_empty()));
    if !carries {
        return Err(UsageError::new(format!(
            "--link {shown:?} carries no bundle: its fragment has no c1=, c1u= or bundle= part"
        ))
        .hint("give the whole link `ledgerless share` printed, or the text of its QR code"));
    }
    Ok(())
}

/// The socket address in `addr`, which must be a loopback address: `serve` is for looking at
/// a site locally, not for publishing it.
pub(crate) fn loopback_addr(flag: &str, addr: &str) -> Result<std::net::SocketAddr, UsageError> {
    let sock: std::net::SocketAddr = addr
        .parse()
        .map_err(|_| UsageError::new(format!("{flag} {addr:?} is not an address like 127.0.0.1:8080")))?;
    if !sock.ip().is_loopback() {
        return Err(UsageError::new(format!(
            "refusing to serve on {addr}: only loopback addresses (127.0.0.0/8, ::1)"
        ))
        .hint("put a real web server (or a static host) in front of the site to publish it"));
    }
    Ok(sock)
}

/// A cluster process (`ledgerless cluster ...`).
#[cfg(feature = "ballista")]
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ClusterRole {
    /// The scheduler: plans jobs and hands tasks to executors. Its port serves Ballista's gRPC,
    /// the REST API (/api/executors, which `anonymise --engine` watches) and /readyz.
    Scheduler {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:50050", value_name = "HOST:PORT")]
        bind: std::net::SocketAddr,
        /// Seconds without a heartbeat before an executor is dropped.
        #[arg(long, default_value_t = 30, value_name = "SECONDS")]
        executor_timeout: u64,
        /// Executors that must have joined before /readyz answers 200.
        #[arg(long, default_value_t = 1, value_name = "N")]
        min_executors: usize,
    },
    /// An executor: runs tasks, keeps shuffle data in --work-dir, serves results on
    /// --flight-port. Two executors on one machine need different ports and work dirs.
    Executor {
        /// The scheduler's address.
        #[arg(long, default_value = "127.0.0.1:50050", value_name = "HOST:PORT")]
        scheduler: std::net::SocketAddr,
        /// Host to bind and advertise (the address the scheduler and clients reach it at).
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Arrow Flight port.
        #[arg(long, default_value_t = 50051, value_name = "PORT")]
        flight_port: u16,
        /// gRPC port for tasks.
        #[arg(long, default_value_t = 50052, value_name = "PORT")]
        grpc_port: u16,
        /// Work directory (shuffle files, spills); created if missing.
        #[arg(long, value_name = "DIR")]
        work_dir: PathBuf,
        /// Task slots.
        #[arg(long, default_value_t = 2, value_name = "N")]
        vcores: usize,
        /// Memory for query execution, in MiB (beyond it, operators spill to --work-dir).
        #[arg(long, default_value_t = 4096, value_name = "MIB")]
        memory_mib: u64,
    },
}
