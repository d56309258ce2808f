//! Command-line arguments (clap derive). No I/O here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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

/// Output options shared by the verify commands.
#[derive(Debug, Args)]
pub(crate) struct OutputArgs {
    /// Print a machine-readable JSON report of every step on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
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
        output: OutputArgs,
    },
    /// Verify a signed checkpoint: the log's signature, and under a policy the witness quorum.
    VerifyCheckpoint {
        /// The signed checkpoint file.
        checkpoint: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Verify a C2SP tlog-proof (.tlog-proof) for an entry, offline.
    Verify {
        /// The .tlog-proof file.
        proof: PathBuf,
        /// The entry's exact bytes.
        #[arg(long, value_name = "FILE")]
        entry: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
}
