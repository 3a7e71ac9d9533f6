//! `tenderlog-verify`: check tenderlog evidence offline. No network code at all.
//!
//! Exit status: 0 every required check passed; 1 a check failed; 2 the input
//! could not be read.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sha2::{Digest, Sha256};
use verifier::Hash;
use verifier::bundle::Bundle;
use verifier::note::NoteVerifier;
use verifier::report::{GivenDocument, Newer, Report, verify_bundle, verify_receipt};

/// Verify tenderlog evidence offline: an evidence bundle, or a receipt.
///
/// Checks every leaf, inclusion proof, checkpoint signature and consistency
/// proof in the file, walks each tender's chain back to its first event, and
/// (with --document) that a file on disk is the logged one. Prints a verdict
/// first, then every check by name. Trusts only the keys you give (--key) or,
/// when you give none, the ones the bundle pins, and says which it used.
#[derive(Parser, Debug)]
#[command(
    name = "tenderlog-verify",
    version,
    args_conflicts_with_subcommands = true,
    max_term_width = 100
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The evidence bundle (.zip) to verify.
    file: Option<PathBuf>,
    /// A document file that must have been logged; repeat for several.
    #[arg(long)]
    document: Vec<PathBuf>,
    /// A trusted log key (C2SP vkey text, or a file holding it); overrides the bundle's.
    #[arg(long)]
    key: Vec<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Verify a receipt (the JSON answer to POST /v1/events).
    ///
    /// With --checkpoint and --consistency, also that the log has not
    /// rewritten the entry since: the newer checkpoint extends the receipt's.
    Receipt {
        /// The receipt file.
        receipt: PathBuf,
        /// The log's verifier key (C2SP vkey text, or a file holding it).
        #[arg(long)]
        key: String,
        /// A newer signed checkpoint (from GET /v1/checkpoint).
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// The consistency proof to it (the JSON of GET /v1/proof/consistency).
        #[arg(long, requires = "checkpoint")]
        consistency: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn key(text: &str) -> Result<NoteVerifier, String> {
    let t = if std::path::Path::new(text).is_file() {
        std::fs::read_to_string(text).map_err(|e| format!("couldn't read key file {text}: {e}"))?
    } else {
        text.to_owned()
    };
    NoteVerifier::parse(t.trim()).map_err(|e| format!("--key: {e}"))
}

fn read(path: &PathBuf, limit: u64) -> Result<Vec<u8>, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("couldn't read {}: {e}", path.display()))?;
    if meta.len() > limit {
        return Err(format!("{} is larger than {limit} bytes", path.display()));
    }
    std::fs::read(path).map_err(|e| format!("couldn't read {}: {e}", path.display()))
}

fn print(report: &Report, json: bool) -> ExitCode {
    if json {
        println!("{}", serde_json::to_string_pretty(report).unwrap_or_default());
    } else {
        print!("{}", report.to_text());
    }
    if report.verified { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Some(Command::Receipt { receipt, key: k, checkpoint, consistency, json }) => {
            let key = key(&k)?;
            let bytes = read(&receipt, 1 << 20)?;
            let newer_note = checkpoint.as_ref().map(|p| read(p, 1 << 20)).transpose()?;
            let proof = match &consistency {
                None => None,
                Some(p) => {
                    let v: serde_json::Value = serde_json::from_slice(&read(p, 1 << 20)?)
                        .map_err(|e| format!("--consistency: not JSON: {e}"))?;
                    let hashes = v["proof"].as_array().ok_or("--consistency: no \"proof\" list")?;
                    Some(
                        hashes
                            .iter()
                            .map(|h| {
                                h.as_str()
                                    .ok_or("not a string")
                                    .and_then(|s| Hash::from_hex(s).map_err(|_| "not hex"))
                            })
                            .collect::<Result<Vec<_>, _>>()
                            .map_err(|e| format!("--consistency: {e}"))?,
                    )
                }
            };
            let newer = newer_note.as_deref().map(|n| Newer { checkpoint: n, proof });
            let report = verify_receipt(&bytes, &key, newer)?;
            Ok(print(&report, json))
        }
        None => {
            let file = cli
                .file
                .ok_or("give an evidence bundle, or `receipt RECEIPT --key VKEY` (see --help)")?;
            let bundle = Bundle::from_zip(&read(&file, verifier::bundle::MAX_BUNDLE_BYTES)?)
                .map_err(|e| format!("bundle format: {e}"))?;
            let keys = if cli.key.is_empty() {
                None
            } else {
                Some(cli.key.iter().map(|k| key(k)).collect::<Result<Vec<_>, _>>()?)
            };
            let mut docs = Vec::new();
            for d in &cli.document {
                let mut f = std::fs::File::open(d)
                    .map_err(|e| format!("couldn't read {}: {e}", d.display()))?;
                let mut h = Sha256::new();
                let mut buf = vec![0u8; 1 << 16];
                loop {
                    let n = std::io::Read::read(&mut f, &mut buf)
                        .map_err(|e| format!("couldn't read {}: {e}", d.display()))?;
                    if n == 0 {
                        break;
                    }
                    h.update(&buf[..n]);
                }
                docs.push(GivenDocument {
                    name: d.display().to_string(),
                    sha256: Hash(h.finalize().into()),
                });
            }
            let report = verify_bundle(&bundle, keys.as_deref(), &docs);
            Ok(print(&report, cli.json))
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tenderlog-verify: {e}");
            ExitCode::from(2)
        }
    }
}
