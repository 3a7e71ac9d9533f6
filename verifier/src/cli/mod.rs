//! `tenderlog-verify`: check tenderlog evidence offline. No network code at all.
//! The command line lives here, behind the `cli` feature, so that the
//! verifier's own binary and the operator's tools install the same command.
//!
//! Exit status: 0 every required check passed against the key you gave; 1 a
//! check failed; 2 the input could not be read; 3 every check passed, but
//! against the log key the bundle carries (NOT ANCHORED: give --key).
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod trust;
use crate::Hash;
use crate::bundle::Bundle;
use crate::log_keys::{KeyHistory, LogAnchor, LogKeys};
use crate::report::{
    GivenDocument, Newer, Options, Report, verify_bundle_with, verify_receipt_with,
};
use sha2::{Digest, Sha256};

/// Verify tenderlog evidence offline: an evidence bundle, or a receipt.
///
/// Checks every leaf, inclusion proof, checkpoint signature and consistency
/// proof in the file, walks each tender's chain back to its first event, and
/// (with --document) that a file on disk is the logged one. Prints the
/// verdict and what it rests on first, then each document in plain words
/// (what it is, filed, sealed, opened or refused and why, who filed and
/// signed it, when, what held and what was not checked), then the failed
/// checks; --verbose lists every check by name. Trusts only the keys and
/// roots you give (--key, --ca-root, --tsa-root) or, when you give none,
/// the ones the bundle pins, and says which it used (NOT ANCHORED, exit 3).
///
/// Examples:
///
///   tenderlog-verify ZB2026-001.bundle.zip --key "$(cat log.vkey)"
///
///   tenderlog-verify ZB2026-001.bundle.zip --key log.vkey --document bid.pdf --verbose
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
    /// A trusted log key (C2SP vkey text, or a file holding it); overrides
    /// the bundle's. Repeat to add the log's ML-DSA-44 key (log-mldsa44.vkey),
    /// which every checkpoint must then also carry a valid signature of.
    #[arg(long)]
    key: Vec<String>,
    /// A trusted CA root certificate (DER) for signer certificates; repeat
    /// for several. Overrides the roots the bundle proposes.
    #[arg(long, value_name = "DER")]
    ca_root: Vec<PathBuf>,
    /// A trusted TSA root certificate (DER) for timestamp tokens; repeat for
    /// several. Overrides the roots the bundle proposes.
    #[arg(long, value_name = "DER")]
    tsa_root: Vec<PathBuf>,
    /// A witness policy (C2SP tlog-policy: `witness NAME VKEY`, `group NAME
    /// K MEMBERS…`, `quorum NAME`) to judge the newest checkpoint's
    /// cosignatures by; overrides the witnesses the bundle proposes. Ask the
    /// supervising department for its witness's key.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// List every check, not only the failed ones.
    #[arg(long, short)]
    verbose: bool,
    /// The trust file of pinned log keys (default: $TENDERLOG_TRUST, else
    /// ~/.config/tenderlog/trust.json); used when no --key is given.
    #[arg(long, value_name = "FILE")]
    trust: Option<PathBuf>,
}

/// Digests the document files given (SHA-256, and SM3: it binds SM2
/// signatures and SM3 tokens), reading each in pieces.
fn given_documents(paths: &[PathBuf]) -> Result<Vec<GivenDocument>, String> {
    let mut docs = Vec::new();
    for d in paths {
        let mut f =
            std::fs::File::open(d).map_err(|e| format!("couldn't read {}: {e}", d.display()))?;
        let mut h = Sha256::new();
        let mut h3 = <sm3::Sm3 as sm3::Digest>::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut first = Vec::new();
        loop {
            let n = std::io::Read::read(&mut f, &mut buf)
                .map_err(|e| format!("couldn't read {}: {e}", d.display()))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            sm3::Digest::update(&mut h3, &buf[..n]);
            if first.len() < 4 {
                first.extend_from_slice(&buf[..n.min(4)]);
            }
        }
        // A zip: perhaps an OFD package, whose e-seals are compared with
        // the logged ones.
        let ofd = if first.starts_with(b"PK\x03\x04") {
            match read(d, crate::ofd::MAX_OFD_BYTES) {
                Ok(bytes) => crate::report::GivenOfd::read(&bytes),
                Err(_) => None,
            }
        } else {
            None
        };
        docs.push(GivenDocument {
            name: d.display().to_string(),
            sha256: Hash(h.finalize().into()),
            sm3: Some(Hash(sm3::Digest::finalize(h3).into())),
            ofd,
        });
    }
    Ok(docs)
}

/// Reads root certificates given on the command line; `None` when none are.
fn given_roots(paths: &[PathBuf]) -> Result<Option<Vec<crate::pki::Cert>>, String> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for p in paths {
        let der = read(p, crate::pki::MAX_CERT_BYTES as u64)?;
        out.push(crate::pki::Cert::from_der(&der).map_err(|e| {
            format!("{}: {e} (give DER; openssl x509 -outform DER converts PEM)", p.display())
        })?);
    }
    Ok(Some(out))
}

/// How `seal`, `ofd` and `pdf` judge a signed file.
#[derive(clap::Args, Debug)]
struct SignedFileArgs {
    /// A trusted CA root certificate (DER); repeat for several.
    #[arg(long)]
    root: Vec<PathBuf>,
    /// The trusted signing time, ms since the epoch (a timestamp's, a
    /// receipt's); without it, the time each signature claims.
    #[arg(long)]
    at: Option<u64>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Verify an e-seal signature (GB/T 38540 v4 or GM/T 0031 v1 SES_Signature).
    ///
    /// Checks the content's SM3 against dataHash, the signer's and the seal
    /// maker's signatures, that the signer's certificate is bound to the seal,
    /// and validity at the signing time (--at, else the claimed timeInfo);
    /// with --root, that both certificates chain to a trusted CA.
    Seal {
        /// The SES_Signature file (e.g. SignedValue.dat from an OFD package).
        file: PathBuf,
        /// The protected bytes (e.g. the OFD's Signature.xml).
        #[arg(long)]
        content: Option<PathBuf>,
        #[command(flatten)]
        how: SignedFileArgs,
    },
    /// Verify a signed OFD package (GB/T 33190) and every e-seal in it.
    ///
    /// For each signature in the package: every part its References name is
    /// there with the digest recorded (SM3 by OID or name, SM3 with Z_A,
    /// SHA-256), and its seal signature (SignedValue.dat) holds over its
    /// Signature.xml as `tenderlog-verify seal` checks it. A part changed or
    /// removed after signing is named; parts no signature covers are listed.
    ///
    ///   tenderlog-verify ofd award-notice.ofd --root seal-ca.der
    ///
    /// Exit status: 0 every signature holds, 1 not, 2 the file is not a
    /// package this verifier reads (too large, hostile names, bad XML).
    Ofd {
        /// The OFD package.
        file: PathBuf,
        #[command(flatten)]
        how: SignedFileArgs,
    },
    /// Verify every signature in a PDF: its byte range, and the CMS (or the
    /// GB/T 38540 e-seal) in its /Contents over the bytes the range covers.
    ///
    /// Reports each signature's signer, and bytes appended after a signature
    /// (an incremental update made after signing, which can change what a
    /// reader is shown): the file verifies only when nothing follows the
    /// last signature.
    ///
    ///   tenderlog-verify pdf bid.pdf --root ca.der
    ///
    /// Exit status: 0 every signature holds and covers the file, 1 not, 2
    /// not a PDF this verifier reads.
    Pdf {
        /// The PDF file.
        file: PathBuf,
        #[command(flatten)]
        how: SignedFileArgs,
    },
    /// Verify an RFC 3161 timestamp token (or TimeStampResp) over a digest.
    Timestamp {
        /// The token (.tst) or response (.tsr), DER.
        file: PathBuf,
        /// The stamped digest, hex (SHA-256 or SM3).
        #[arg(long)]
        digest: String,
        /// A trusted TSA root certificate (DER); repeat for several.
        #[arg(long, required = true)]
        tsa_root: Vec<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Pin log keys once, in a trust file you keep, so later checks are
    /// anchored without --key.
    ///
    /// Get the key from the log's operator by a channel you trust (a letter,
    /// the regulator's site), then pin it and see what is pinned:
    ///
    ///   tenderlog-verify trust add "$(cat log.vkey)" --note "from the operator's letter"
    ///
    ///   tenderlog-verify trust list
    ///
    /// The file is $TENDERLOG_TRUST, else ~/.config/tenderlog/trust.json
    /// (or --trust FILE).
    #[command(subcommand)]
    Trust(TrustCommand),
    /// Verify a receipt (the JSON answer to POST /v1/events).
    ///
    /// With --checkpoint and --consistency, also that the log has not
    /// rewritten the entry since: the newer checkpoint extends the receipt's.
    Receipt {
        /// The receipt file.
        receipt: PathBuf,
        /// The log's verifier key (C2SP vkey text, or a file holding it);
        /// repeat to add its ML-DSA-44 key, then required on the receipt's
        /// checkpoint too. Without it, the keys pinned for the log in the
        /// trust file.
        #[arg(long)]
        key: Vec<String>,
        /// The trust file of pinned log keys (see `trust --help`).
        #[arg(long, value_name = "FILE")]
        trust: Option<PathBuf>,
        /// The document file the receipt is for: checks it is the one logged
        /// (or, for a refusal, the one refused).
        #[arg(long)]
        document: Vec<PathBuf>,
        /// The log's key history (GET /key-history.json), when the log has
        /// rotated its key since the one you pinned: each rotation is
        /// checked against the pinned key before its successor is trusted.
        #[arg(long, value_name = "FILE")]
        key_history: Option<PathBuf>,
        /// A newer signed checkpoint (from GET /v1/checkpoint).
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// The consistency proof to it (the JSON of GET /v1/proof/consistency).
        #[arg(long, requires = "checkpoint")]
        consistency: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// List every check, not only the failed ones.
        #[arg(long, short)]
        verbose: bool,
    },
}

#[derive(Subcommand, Debug)]
enum TrustCommand {
    /// Pin a log key (C2SP vkey text, or a file holding it).
    Add {
        /// The key.
        key: String,
        /// Where you got it, for your own record.
        #[arg(long, default_value = "")]
        note: String,
        /// The trust file.
        #[arg(long, value_name = "FILE")]
        trust: Option<PathBuf>,
    },
    /// List the pinned keys.
    List {
        /// The trust file.
        #[arg(long, value_name = "FILE")]
        trust: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Unpin a key, by its vkey or its 8-digit key ID.
    Remove {
        /// The vkey or key ID.
        key: String,
        /// The trust file.
        #[arg(long, value_name = "FILE")]
        trust: Option<PathBuf>,
    },
}

fn trust_command(cmd: TrustCommand) -> Result<ExitCode, String> {
    match cmd {
        TrustCommand::Add { key: k, note, trust: t } => {
            let path = trust::path(t.as_deref())?;
            let mut file = trust::load(&path)?;
            let mut added = Vec::new();
            for k in key(&k)? {
                if file.log_keys.iter().any(|p| p.vkey == k.vkey()) {
                    println!("{} is pinned already in {}", k.vkey(), path.display());
                } else {
                    file.log_keys.push(trust::Pinned { vkey: k.vkey(), note: note.clone() });
                    added.push(k);
                }
            }
            if !added.is_empty() {
                trust::save(&path, &file)?;
            }
            for k in &added {
                println!("pinned {} in {}", k.vkey(), path.display());
                eprintln!(
                    "tenderlog-verify: bundles and receipts of {} are now checked against it without --key",
                    k.name()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        TrustCommand::List { trust: t, json } => {
            let path = trust::path(t.as_deref())?;
            let file = trust::load(&path)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&file.log_keys).unwrap_or_default());
            } else if file.log_keys.is_empty() {
                println!("no keys pinned in {}", path.display());
            } else {
                for p in &file.log_keys {
                    match p.note.as_str() {
                        "" => println!("{}", p.vkey),
                        n => println!("{}  ({n})", p.vkey),
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        TrustCommand::Remove { key: k, trust: t } => {
            let path = trust::path(t.as_deref())?;
            let mut file = trust::load(&path)?;
            let before = file.log_keys.len();
            file.log_keys.retain(|p| {
                let id = LogAnchor::parse(&p.vkey).map(|v| format!("{:08x}", v.key_id()));
                p.vkey != k.trim() && id.as_deref() != Ok(k.trim())
            });
            if file.log_keys.len() == before {
                return Err(format!("{k} is not pinned in {}", path.display()));
            }
            trust::save(&path, &file)?;
            println!("unpinned {k} from {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Says where pinned keys came from: the trust file, not the command line.
fn name_trust_file(report: &mut Report, path: Option<&std::path::Path>) {
    if let Some(p) = path {
        let from = format!("(pinned in {}", p.display());
        for a in &mut report.trust_anchors {
            if a.starts_with("log key ") {
                *a = a.replace("(given", &from);
            }
        }
    }
}

/// The origin of a receipt's log: its checkpoint's first line (of the
/// rejection's receipt, for a refusal answer).
fn receipt_origin(bytes: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let checkpoint = v
        .get("checkpoint")
        .or_else(|| v.get("rejection").and_then(|r| r.get("checkpoint")))?
        .as_str()?;
    checkpoint.split('\n').next().filter(|o| !o.is_empty()).map(str::to_owned)
}

/// The keys of `--key` or `trust add`: one vkey, or a file of them (one per
/// line; blank lines and `#` comments skipped).
fn key(text: &str) -> Result<Vec<LogAnchor>, String> {
    let t = if std::path::Path::new(text).is_file() {
        std::fs::read_to_string(text).map_err(|e| format!("couldn't read key file {text}: {e}"))?
    } else {
        text.to_owned()
    };
    let keys = LogAnchor::parse_lines(&t).map_err(|e| format!("--key: {e}"))?;
    if keys.is_empty() {
        return Err(format!("--key: no key in {text:?}"));
    }
    Ok(keys)
}

/// [`key`] of each argument, all together.
fn keys(args: &[String]) -> Result<Vec<LogAnchor>, String> {
    Ok(args.iter().map(|k| key(k)).collect::<Result<Vec<_>, _>>()?.concat())
}

fn read(path: &PathBuf, limit: u64) -> Result<Vec<u8>, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("couldn't read {}: {e}", path.display()))?;
    if meta.len() > limit {
        return Err(format!("{} is larger than {limit} bytes", path.display()));
    }
    std::fs::read(path).map_err(|e| format!("couldn't read {}: {e}", path.display()))
}

fn print(report: &Report, json: bool, verbose: bool) -> ExitCode {
    if json {
        println!("{}", serde_json::to_string_pretty(report).unwrap_or_default());
    } else if verbose {
        print!("{}", report.to_text_verbose());
    } else {
        print!("{}", report.to_text());
    }
    match (report.verified, report.anchored) {
        (true, true) => ExitCode::SUCCESS,
        (true, false) => ExitCode::from(3),
        (false, _) => ExitCode::from(1),
    }
}

fn roots(paths: &[PathBuf]) -> Result<crate::pki::TrustStore, String> {
    let certs = paths
        .iter()
        .map(|p| {
            crate::pki::Cert::from_der(&read(p, 1 << 16)?)
                .map_err(|e| format!("{}: {e}", p.display()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    crate::pki::TrustStore::new(certs).map_err(|e| e.to_string())
}

/// The seal's two certificates chain to `store`: the signer's at the
/// signing time, the maker's when the seal was made.
fn chain_checks(
    store: &crate::pki::TrustStore,
    s: &crate::seal::SealSignature,
    at_ms: u64,
) -> Vec<crate::seal::SealCheck> {
    [
        ("seal signer certificate chain", &s.signer_cert, at_ms),
        ("seal maker certificate chain", &s.seal.maker_cert, s.seal.create_ms),
    ]
    .into_iter()
    .map(|(check, der, when)| {
        let outcome = crate::pki::Cert::from_der(der).map_err(|e| e.to_string()).and_then(|c| {
            store
                .chain(&c, &[], when)
                .map(|p| format!("{} certificates to {}", p.len(), p[p.len() - 1].subject()))
                .map_err(|e| e.to_string())
        });
        crate::seal::SealCheck { check, outcome }
    })
    .collect()
}

/// `tenderlog-verify ofd`.
fn ofd(file: &PathBuf, how: &SignedFileArgs) -> Result<ExitCode, String> {
    let (root, at, json) = (&how.root, how.at, how.json);
    let bytes = read(file, crate::ofd::MAX_OFD_BYTES)?;
    let mut report = crate::ofd::verify(&bytes, at).map_err(|e| e.to_string())?;
    if !root.is_empty() {
        let store = roots(root)?;
        for sig in &mut report.signatures {
            if let Some(s) = &sig.seal {
                let extra = chain_checks(&store, s, at.unwrap_or(s.time_info_ms));
                sig.checks.extend(extra);
            }
        }
    }
    let ok = report.verified();
    if json {
        let mut v = serde_json::to_value(&report).map_err(|e| e.to_string())?;
        v["verified"] = ok.into();
        for (i, sig) in report.signatures.iter().enumerate() {
            v["signatures"][i]["verified"] = sig.verified().into();
            if let Some(s) = &sig.seal {
                v["signatures"][i]["seal"] = serde_json::json!({
                    "version": s.version, "name": s.seal.name, "es_id": s.seal.es_id,
                    "type": s.seal.seal_type, "time_info_ms": s.time_info_ms,
                    "signer": crate::pki::Cert::from_der(&s.signer_cert).map(|c| c.subject()).ok(),
                });
            }
        }
        println!("{}", serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?);
        return Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) });
    }
    let n = report.signatures.len();
    match (ok, n) {
        (_, 0) => println!("NOT VERIFIED: the package holds no signature ({} parts)", report.parts),
        (true, _) => println!(
            "VERIFIED: {n} signature{} over {} parts; every one holds",
            if n == 1 { "" } else { "s" },
            report.parts
        ),
        (false, _) => {
            let failed = report.signatures.iter().filter(|s| !s.verified()).count();
            println!("NOT VERIFIED: {failed} of {n} signatures do not hold");
        }
    }
    for (i, sig) in report.signatures.iter().enumerate() {
        println!(
            "\nsignature {} (ID {:?}, {}) {}: {}",
            i + 1,
            sig.id,
            sig.kind,
            sig.location,
            if sig.verified() { "holds" } else { "DOES NOT HOLD" }
        );
        if let Some(s) = &sig.seal {
            let signer = crate::pki::Cert::from_der(&s.signer_cert)
                .map(|c| c.subject())
                .unwrap_or_else(|_| "an unreadable certificate".into());
            println!(
                "  seal {:?} (esID {}), type {}, {}",
                s.seal.name,
                s.seal.es_id,
                s.seal.seal_type,
                if s.version == 1 { "GM/T 0031 v1" } else { "GB/T 38540 v4" }
            );
            println!("  signed by {signer}, claimed time {} ms", s.time_info_ms);
        }
        if let Some(t) = &sig.signature_date_time {
            println!("  SignatureDateTime {t}");
        }
        let modified = sig.modified();
        if !modified.is_empty() {
            println!("  changed after signing: {}", modified.join(", "));
        }
        for c in &sig.checks {
            match &c.outcome {
                Ok(d) => println!("  pass  {:<34} {d}", c.check),
                Err(d) => println!("  FAIL  {:<34} {d}", c.check),
            }
        }
    }
    if !report.uncovered.is_empty() {
        println!("\nparts no signature covers: {}", report.uncovered.join(", "));
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `tenderlog-verify pdf`.
fn pdf(file: &PathBuf, how: &SignedFileArgs) -> Result<ExitCode, String> {
    let (root, at, json) = (&how.root, how.at, how.json);
    let bytes = read(file, crate::pdf::MAX_PDF_BYTES as u64)?;
    let mut report = crate::pdf::verify(&bytes, at).map_err(|e| e.to_string())?;
    if !root.is_empty() {
        let store = roots(root)?;
        for sig in &mut report.signatures {
            let extra = match (&sig.seal, &sig.signer_cert) {
                (Some(s), _) => chain_checks(&store, s, at.unwrap_or(s.time_info_ms)),
                (None, Some(der)) => {
                    // The trusted time if given, else the signer's claim, else now.
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_millis() as u64);
                    let when = at.or(sig.claimed_time_ms).unwrap_or(now);
                    let others: Vec<crate::pki::Cert> = sig
                        .certificates
                        .iter()
                        .filter_map(|c| crate::pki::Cert::from_der(c).ok())
                        .collect();
                    let outcome =
                        crate::pki::Cert::from_der(der).map_err(|e| e.to_string()).and_then(|c| {
                            store
                                .chain(&c, &others, when)
                                .map(|p| {
                                    format!(
                                        "{} certificates to {}",
                                        p.len(),
                                        p[p.len() - 1].subject()
                                    )
                                })
                                .map_err(|e| e.to_string())
                        });
                    vec![crate::seal::SealCheck { check: "signer certificate chain", outcome }]
                }
                (None, None) => Vec::new(),
            };
            sig.checks.extend(extra);
        }
    }
    let ok = report.verified();
    if json {
        let mut v = serde_json::to_value(&report).map_err(|e| e.to_string())?;
        v["verified"] = ok.into();
        for (i, sig) in report.signatures.iter().enumerate() {
            v["signatures"][i]["verified"] = sig.verified().into();
        }
        println!("{}", serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?);
        return Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) });
    }
    let n = report.signatures.len();
    if n == 0 {
        println!("NOT VERIFIED: the file holds no signature");
    } else if ok {
        println!(
            "VERIFIED: {n} signature{}; every one holds and the last covers the whole file",
            if n == 1 { "" } else { "s" }
        );
    } else {
        println!("NOT VERIFIED: see the checks below");
    }
    for (i, sig) in report.signatures.iter().enumerate() {
        println!(
            "\nsignature {} (object {}, {}, {:?}): {}",
            i + 1,
            sig.object,
            sig.sub_filter.as_deref().unwrap_or("no SubFilter"),
            sig.kind,
            if sig.verified() { "holds" } else { "DOES NOT HOLD" }
        );
        if let Some(s) = &sig.signer {
            println!("  signed by {s}");
        }
        if sig.appended_after > 0 {
            println!(
                "  CHANGED AFTER SIGNING: {} bytes were appended after this signature (an incremental update)",
                sig.appended_after
            );
        }
        for c in &sig.checks {
            match &c.outcome {
                Ok(d) => println!("  pass  {:<34} {d}", c.check),
                Err(d) => println!("  FAIL  {:<34} {d}", c.check),
            }
        }
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Some(Command::Seal { file, content, how: SignedFileArgs { root, at, json } }) => {
            let s = crate::seal::SealSignature::parse(&read(&file, 1 << 20)?)
                .map_err(|e| e.to_string())?;
            let content = content.as_ref().map(|p| read(p, 1 << 30)).transpose()?;
            let at_ms = at.unwrap_or(s.time_info_ms);
            let mut checks = s.verify(content.as_deref(), at_ms);
            if !root.is_empty() {
                checks.extend(chain_checks(&roots(&root)?, &s, at_ms));
            }
            let ok = checks.iter().all(|c| c.outcome.is_ok());
            if json {
                println!(
                    "{}",
                    serde_json::json!({"verified": ok, "version": s.version, "es_id": s.seal.es_id, "name": s.seal.name, "checks": checks})
                );
            } else {
                println!(
                    "{}: seal {:?} ({}), v{}",
                    if ok { "VERIFIED" } else { "NOT VERIFIED" },
                    s.seal.name,
                    s.seal.es_id,
                    s.version
                );
                for c in &checks {
                    match &c.outcome {
                        Ok(d) => println!("  pass  {:<34} {d}", c.check),
                        Err(d) => println!("  FAIL  {:<34} {d}", c.check),
                    }
                }
            }
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Some(Command::Ofd { file, how }) => ofd(&file, &how),
        Some(Command::Pdf { file, how }) => pdf(&file, &how),
        Some(Command::Timestamp { file, digest, tsa_root, json }) => {
            let bytes = read(&file, 1 << 20)?;
            let token = crate::tsp::token_from_response(&bytes).unwrap_or(bytes);
            let digest = hex::decode(&digest).map_err(|_| "--digest must be hex".to_owned())?;
            let store = roots(&tsa_root)?;
            match crate::tsp::verify_token(&token, &digest, &store) {
                Ok(t) => {
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({"verified": true, "time_ms": t.time_ms, "accuracy_ms": t.accuracy_ms, "tsa": t.tsa.subject()})
                        );
                    } else {
                        println!(
                            "VERIFIED: stamped at {} ms (± {} ms) by {}",
                            t.time_ms,
                            t.accuracy_ms,
                            t.tsa.subject()
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({"verified": false, "reason": e.to_string()})
                        );
                    } else {
                        println!("NOT VERIFIED: {e}");
                    }
                    Ok(ExitCode::from(1))
                }
            }
        }
        Some(Command::Trust(cmd)) => trust_command(cmd),
        Some(Command::Receipt {
            receipt,
            key: k,
            trust,
            key_history,
            document,
            checkpoint,
            consistency,
            json,
            verbose,
        }) => {
            let bytes = read(&receipt, 1 << 20)?;
            let (pinned, pinned_in) = if k.is_empty() {
                // The receipt's checkpoint names its log (its first line).
                let origin = receipt_origin(&bytes)
                    .ok_or("the receipt names no log; give --key (the log's verifier key)")?;
                let path = trust::path(trust.as_deref())?;
                let found = trust::load(&path)?.keys_for(&origin);
                if found.is_empty() {
                    return Err(format!(
                        "no key of {origin} is pinned in {}; give --key, or pin the log's key \
                         once with `tenderlog-verify trust add KEY`",
                        path.display()
                    ));
                }
                (found, Some(path))
            } else {
                (keys(&k)?, None)
            };
            let history = key_history
                .map(|p| {
                    read(&p, 1 << 20).and_then(|b| {
                        KeyHistory::parse(&b).map_err(|e| format!("--key-history: {e}"))
                    })
                })
                .transpose()?;
            let origin = LogAnchor::origin(&pinned).unwrap_or_default();
            let key = LogKeys::from_anchors(origin, &pinned, history.as_ref())
                .map_err(|e| format!("--key: {e}"))?;
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
            let given = given_documents(&document)?;
            let mut report = verify_receipt_with(&bytes, &key, newer, &given)?;
            name_trust_file(&mut report, pinned_in.as_deref());
            Ok(print(&report, json, verbose))
        }
        None => {
            let file = cli
                .file
                .ok_or("give an evidence bundle, or `receipt RECEIPT --key VKEY` (see --help)")?;
            let bundle = Bundle::from_zip(&read(&file, crate::bundle::MAX_BUNDLE_BYTES)?)
                .map_err(|e| format!("bundle format: {e}"))?;
            // The keys given, else those pinned for the bundle's log.
            let (keys, pinned_in) = if cli.key.is_empty() {
                let path = trust::path(cli.trust.as_deref())?;
                let found = trust::load(&path)?.keys_for(&bundle.manifest.origin);
                if found.is_empty() { (None, None) } else { (Some(found), Some(path)) }
            } else {
                (Some(keys(&cli.key)?), None)
            };
            let docs = given_documents(&cli.document)?;
            let (ca, tsa) = (given_roots(&cli.ca_root)?, given_roots(&cli.tsa_root)?);
            let policy = cli
                .policy
                .as_ref()
                .map(|p| {
                    let text =
                        String::from_utf8(read(p, crate::witness_policy::MAX_POLICY_BYTES as u64)?)
                            .map_err(|_| format!("--policy {}: not UTF-8", p.display()))?;
                    crate::witness_policy::WitnessPolicy::parse(&text)
                        .map_err(|e| format!("--policy {}: {e}", p.display()))
                })
                .transpose()?;
            let report = verify_bundle_with(
                &bundle,
                &Options {
                    keys: keys.as_deref(),
                    ca_roots: ca.as_deref(),
                    tsa_roots: tsa.as_deref(),
                    documents: &docs,
                    witness_policy: policy.as_ref(),
                    // A person reads every finding.
                    fail_fast: false,
                },
            );
            let mut report = report;
            name_trust_file(&mut report, pinned_in.as_deref());
            Ok(print(&report, cli.json, cli.verbose))
        }
    }
}

/// Runs `tenderlog-verify` with the process's arguments; its exit status.
pub fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tenderlog-verify: {e}");
            ExitCode::from(2)
        }
    }
}
