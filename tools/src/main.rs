//! `tenderlog`: run and inspect a tenderlog evidence ledger.
//!
//! stdout carries data only; stderr carries `tenderlog: ` and the error chain.
//! Exit codes: 0 success, 1 a check failed (audit), 2 usage or I/O error.
#![forbid(unsafe_code)]

use std::io::Write as _;

mod append;
#[cfg(feature = "bench")]
mod bench;
#[cfg(feature = "bench")]
mod bench_http;
#[cfg(feature = "bench")]
mod bench_lookup;
#[cfg(feature = "bench")]
mod bench_pg;
#[cfg(feature = "bench")]
mod bench_rules;
#[cfg(feature = "bench")]
mod bench_seal;
#[cfg(feature = "bench")]
mod bench_signed;
#[cfg(feature = "bench")]
mod bench_slow;
#[cfg(feature = "bench")]
mod bench_soak;
#[cfg(feature = "bench")]
mod bench_tiles;
#[cfg(feature = "bench")]
mod bench_witness;
#[cfg(feature = "demo")]
mod demo;
#[cfg(feature = "demo")]
mod demo_pki;
mod inspect;
mod ofd;
mod publish;
mod rules;
#[cfg(any(feature = "demo", feature = "bench"))]
mod seal_maker;
mod serve;
mod witness;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The evidence ledger for electronic public tendering.
///
/// tenderlog appends signed tendering documents (their digests, signatures,
/// seals and timestamps) as events to a hash-chained RFC 6962 Merkle log,
/// signs C2SP checkpoints, and proves inclusion and consistency for any past
/// tree size.
///
/// Start with `tenderlog init --data DIR --origin ORIGIN`, then
/// `tenderlog append --data DIR events.jsonl`. See each command's --help.
#[derive(Parser, Debug)]
#[command(name = "tenderlog", version, propagate_version = true, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Play one tender through a local log and check every receipt.
    ///
    /// Creates DIR (default ./tenderlog-data) on first use, registers a
    /// tender (owner and agency), sets its schedule, files a tender notice,
    /// tender documents, a clarification, four sealed bids (one refused: its
    /// certificate was reported lost), a bid after the deadline (refused), the
    /// opening record and reveals, the evaluation report, the candidates and
    /// the award decision, the award notice with the result notices, the
    /// contract, the refunds and the report to the supervising department;
    /// checks each receipt's inclusion proof against the
    /// signed checkpoint with the offline verifier code, verifies the
    /// tender's bundle, and prints its compliance report.
    #[cfg(feature = "demo")]
    Demo {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
    },
    /// Run the HTTP API: submissions answered with receipts, proofs, tiles.
    ///
    /// Serves DIR (default ./tenderlog-data, created on first run) on
    /// 127.0.0.1:8080. Writes need a bearer token (`tenderlog token create`).
    /// SIGINT or SIGTERM stops accepting, finishes the batch in flight, and
    /// exits.
    Serve(Box<serve::ServeArgs>),
    /// Manage the CA roots certificates chain to and the TSA roots timestamps chain to.
    #[command(subcommand)]
    Trust(TrustCommand),
    /// Document policy rule packs: who signs what, which need a timestamp.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Holiday calendars: which days are rest days when the rules count days.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// The tender procedure's rules: judge a planned timeline, list them.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Run a witness: cosign a log's checkpoints while they stay consistent.
    ///
    /// The supervising department runs it on its own machine
    /// (`witness init`, then `witness serve`); the log sends it each new
    /// checkpoint (`serve --witness-policy`), and verifiers check its
    /// cosignatures (`tenderlog-verify --policy`).
    #[command(subcommand)]
    Witness(witness::WitnessCommand),
    /// A tender's compliance report: each rule of its procedure, judged.
    ///
    /// Judges the tender's events in the log's newest checkpoint by the
    /// platform's received times: pass, FAIL (citing the entries),
    /// indeterminate (naming what is missing) or n/a, each with its article.
    /// `tenderlog-verify` gives the same report offline from the tender's
    /// bundle. Exit status 1 when a rule is broken.
    Report {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// The tender ID.
        #[arg(long)]
        tender: String,
        /// Print JSON instead of text.
        #[arg(long, conflicts_with = "html")]
        json: bool,
        /// Print one HTML page instead (Chinese first, with English; no
        /// script, prints as it is): `> report.html`.
        #[arg(long)]
        html: bool,
        #[command(flatten)]
        reading: rules::ReadingArgs,
    },
    /// Copy the data directory while the server runs: a backup to restore.
    ///
    /// Writes into TO (a new or empty folder): the checkpoint timestamps,
    /// the log and the API tokens, each as one consistent snapshot, then the
    /// signing key, the commitment key, the verifier key, the trusted roots
    /// and the local TSA (key files stay mode 0600; keep the backup as secret
    /// as the data directory). The index is left out: it is rebuilt from the
    /// leaves. To restore: stop the server, put TO in place of the data
    /// directory (or `serve --data TO`), and run `tenderlog audit --data TO`.
    Backup {
        /// The data directory to copy.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// The folder to write the backup into (new, or empty).
        #[arg(long)]
        to: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Copy a log from a data directory into PostgreSQL, or back.
    ///
    /// FROM and TO are each a data directory or a PostgreSQL database
    /// (`postgres://user@host/db`, or `key=value` settings with host= or
    /// dbname=). Every leaf, tile row and signed checkpoint is copied as it
    /// was, up to the source's newest checkpoint; the copy's checkpoints then
    /// have the same roots, and `tenderlog audit` passes on it. Stop the
    /// server first (or run it again afterwards: it copies only what is new).
    /// Interrupted, it continues where it stopped when run again. A
    /// destination holding another log, or one written to since, is refused.
    /// The keys, roots and tokens stay in the data directory: point the
    /// server at both (`serve --data DIR --store postgres://…`).
    Migrate {
        /// Where the log is now.
        #[arg(long)]
        from: String,
        /// Where to copy it.
        #[arg(long)]
        to: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Publish the log's read path as static files (C2SP tlog-tiles) for
    /// any web server or CDN.
    ///
    /// Writes TO/checkpoint, TO/tile/<L>/<N>[.p/<W>] and
    /// TO/tile/entries/<N>[.p/<W>], exactly as `tenderlog serve` serves them:
    /// point nginx (or a CDN) at TO and the database is off the read path;
    /// `tenderlog audit --url` and any tlog-tiles client read it. Each file
    /// is written whole (a temporary file, synced, renamed); a tile is never
    /// rewritten; the checkpoint is replaced last, once every tile it needs
    /// is on disk — so stopping it at any moment (Ctrl-C) is safe. Run it
    /// beside the server: it only reads the data directory.
    Publish {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// The folder to publish into (created if need be).
        #[arg(long)]
        to: PathBuf,
        /// Which checkpoint: the newest the log signed, or the newest its
        /// witnesses cosigned.
        #[arg(long, value_enum, default_value = "latest")]
        checkpoint: publish::Which,
        /// Keep publishing: look for a new checkpoint every this many
        /// milliseconds until stopped.
        #[arg(long, value_name = "MS")]
        watch: Option<u64>,
        /// Print one JSON line per publication instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Manage the bearer tokens that may submit events.
    #[command(subcommand)]
    Token(serve::TokenCommand),
    /// Rotate the log's checkpoint signing key, or show its key history.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Create a new log: the store and the checkpoint signing key.
    ///
    /// Writes DIR/tenderlog.db, DIR/log.key (mode 0600: keep it secret and
    /// backed up) and DIR/log.vkey, signs the empty tree, and prints the
    /// verifier key that bidders, regulators and arbitrators will trust.
    Init {
        /// The data directory to create (or an empty existing one).
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// Keep the log in PostgreSQL (`postgres://…`, or `key=value`
        /// settings) instead of the data directory, which then holds the
        /// keys; the database must not hold a log yet. Serve it with
        /// `tenderlog serve --data DIR --store URL`.
        #[arg(long, env = "TENDERLOG_STORE")]
        store: Option<String>,
        /// The log's origin: first line of every checkpoint and the key name,
        /// a schema-less URL such as `ggzy.example.gov.cn/tenderlog`.
        #[arg(long)]
        origin: String,
        /// The rules the log starts with: `shipped` puts the shipped rule
        /// pack and holiday calendar in force (entries 0 and 1), so every
        /// document must be signed and stamped as the pack asks; `none`
        /// makes a log that takes unsigned documents, to try tenderlog.
        #[arg(long, value_enum, default_value = "shipped")]
        rules: inspect::Rules,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Append events given as JSON lines; print one receipt (JSON) per event.
    ///
    /// Each input line is one submission:
    ///
    ///   {"kind":"document","tender":"ZB2026-001","principal":"agency-01",
    ///    "body":{"document_type":"tender_notice","sha256":"<64 hex>",
    ///            "size":123456,"media_type":"application/pdf"}}
    ///
    /// Lines are committed in batches; a receipt is printed only once its
    /// entry is durable and covered by a signed checkpoint. Submitting the same
    /// content again returns the earlier entry with "duplicate": true. At the
    /// first invalid line, the lines before it are committed, nothing from it
    /// on is, and the command exits with status 2 naming the line.
    Append {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// Input file of JSON lines; `-` or nothing reads standard input.
        file: Option<PathBuf>,
        /// Principal recorded for lines that name none.
        #[arg(long, default_value = "operator")]
        principal: String,
        /// Most events per batch (one transaction, one checkpoint).
        #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u64).range(1..=65536))]
        batch: u64,
    },
    /// Print the latest signed checkpoint, byte-exact as served.
    Checkpoint {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// Print JSON (origin, size, root, note) instead of the note.
        #[arg(long)]
        json: bool,
    },
    /// Print an entry: its leaf (base64) and the decoded event, as JSON.
    Entry {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// The entry's index.
        #[arg(long)]
        index: u64,
    },
    /// Export an evidence bundle: one zip an arbitrator verifies offline with
    /// `tenderlog-verify FILE`.
    ///
    /// Holds the selected entries' leaves, each with its inclusion proof in
    /// the checkpoint signed with its batch (C2SP tlog-proof), the newest
    /// checkpoint, consistency proofs from each of those checkpoints to the
    /// newest, and the log's verifier key. A tender bundle holds every event
    /// of the tender, so its chain can be walked back to the first.
    Bundle {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// Every event of this tender.
        #[arg(long, conflicts_with_all = ["index", "document"])]
        tender: Option<String>,
        /// These entries (repeat the flag).
        #[arg(long, conflicts_with = "document")]
        index: Vec<u64>,
        /// The events that logged a document with this SHA-256 (64 hex).
        #[arg(long)]
        document: Option<String>,
        /// Where to write the bundle.
        #[arg(long)]
        out: PathBuf,
        /// The witness policy the server runs with (`serve
        /// --witness-policy`): the bundle proposes its quorum, so a verifier
        /// judges the cosignatures without being given it.
        #[arg(long, env = "TENDERLOG_WITNESS_POLICY")]
        witness_policy: Option<PathBuf>,
    },
    /// Make an entry's evidence certificate (存证证书): a one-page PDF/A-3
    /// in Chinese, with English.
    ///
    /// It names the certificate number, the tender and document type, the
    /// submitter, both digests, the log index, tree size and root, who
    /// signed and cosigned the checkpoint, the trusted time and its TSA, the
    /// verifier's findings on the signers and seals, one sentence on exactly
    /// what is proven, and a QR code to the entry's verification page. The
    /// entry's receipt and its checkpoint's RFC 3161 token are attached
    /// inside the PDF (`pdfdetach -saveall FILE` extracts them; check them
    /// with `tenderlog-verify receipt` and `tenderlog-verify timestamp`).
    /// The same entry gives the same bytes. Needs a Chinese font: Noto Sans
    /// CJK (`apt-get install fonts-noto-cjk`), or --font. The server gives
    /// the same at GET /v1/certificates/{index}.pdf.
    Certificate {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// The entry: a document, or the reveal of a sealed one.
        #[arg(long)]
        index: u64,
        /// The public address of the log's pages, for the QR code
        /// ({url}/entries/{index}).
        #[arg(long, env = "TENDERLOG_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Where to write the PDF (default: certificate-{index}.pdf).
        #[arg(long)]
        out: Option<PathBuf>,
        /// A font file to set it in (repeat; must include Noto Sans CJK SC);
        /// default: found in the system's font folders.
        #[arg(long)]
        font: Vec<PathBuf>,
        /// The witness policy the server runs with: the certificate judges
        /// the first cosigned checkpoint covering the entry by it.
        #[arg(long, env = "TENDERLOG_WITNESS_POLICY")]
        witness_policy: Option<PathBuf>,
    },
    /// Print an inclusion or consistency proof, as JSON with hex hashes.
    #[command(subcommand)]
    Prove(ProveCommand),
    /// Signed OFD packages (GB/T 33190): what a submission carries for one.
    #[command(subcommand)]
    Ofd(OfdCommand),
    /// Re-derive the whole log from its leaves and check everything.
    ///
    /// Checks every leaf's canonical encoding, both hash chains (global and
    /// per tender), every tree node, every signed checkpoint's signature, root
    /// and consistency with the newest, and every index table. Exits 1 naming
    /// the entry and check on the first mismatch.
    ///
    /// With --integrity, only what proves the record complete and unaltered:
    /// tree nodes, checkpoint roots, signatures and consistency, both hash
    /// chains and the received-time order, reading each leaf's envelope
    /// only. About twice as fast; the full audit is the one to run after
    /// restoring a backup or upgrading.
    ///
    /// With --url and --key, audits a log someone else runs from its public
    /// tiles (C2SP tlog-tiles: /checkpoint, /tile/…): every leaf, both hash
    /// chains, every published tree node, and the checkpoint's root and
    /// signature, trusting only the key given. For example:
    ///
    ///   tenderlog audit --url https://log.example.gov.cn --key log.vkey --key log-mldsa44.vkey
    Audit {
        /// The data directory [default: tenderlog-data]; not read with --url
        /// (so a TENDERLOG_DATA set for your own log does not get in the way).
        #[arg(long, env = "TENDERLOG_DATA")]
        data: Option<PathBuf>,
        /// The base URL of a log's tiles (its /checkpoint and /tile/…).
        #[arg(long, requires = "key", conflicts_with = "store")]
        url: Option<String>,
        /// A log kept in PostgreSQL (`postgres://…`, or `key=value`
        /// settings), audited in the database; its keys are its own.
        #[arg(long, env = "TENDERLOG_STORE")]
        store: Option<String>,
        /// The log's verifier key (`<origin>+<hash>+<key>`, as its operator
        /// publishes it, or a file holding it; a data directory's is in
        /// `log.vkey`). Repeat with the log's ML-DSA-44 key
        /// (`log-mldsa44.vkey`) to require its signature on the checkpoint too.
        #[arg(long)]
        key: Vec<String>,
        /// Integrity checks only (see above).
        #[arg(long)]
        integrity: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Benchmarks (fsync on): ingest, proofs, audit, HTTP, signed documents,
    /// e-seals, trusted time.
    #[cfg(feature = "bench")]
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

#[derive(Subcommand, Debug)]
enum KeyCommand {
    /// Replace the checkpoint signing key, keeping every verifier's trust.
    ///
    /// Stop the server first. Makes a new key, signs the latest checkpoint
    /// with a line naming the old and the new key, with both keys (the
    /// rotation checkpoint), records it in the log's key history and signs
    /// with the new key from then on. The old private key is moved to
    /// DIR/log.key.retired-<id>: destroy it or lock it away. Anyone who
    /// pinned any of the log's keys keeps verifying: bundles carry the key
    /// history, the server publishes it at /key-history.json, and
    /// `tenderlog-verify receipt --key-history FILE` follows it.
    ///
    /// A log in PostgreSQL (`--store`): stop every front-end first (the
    /// rotation takes the database's sequencer lock, and refuses while a
    /// front-end holds it), rotate in one front-end's data directory, then
    /// copy its new DIR/log.key and DIR/log.vkey into every other
    /// front-end's data directory before starting them again.
    ///
    /// Example:
    ///
    ///   tenderlog key rotate --data tenderlog-data
    Rotate {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// A log kept in PostgreSQL (`postgres://…`, or `key=value`
        /// settings); the data directory holds its keys.
        #[arg(long, env = "TENDERLOG_STORE")]
        store: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print the log's key history (JSON), the file verifiers follow.
    History {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// A log kept in PostgreSQL (`postgres://…`, or `key=value`
        /// settings).
        #[arg(long, env = "TENDERLOG_STORE")]
        store: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum TrustCommand {
    /// Trust a CA root certificate (DER; `openssl x509 -outform DER` converts PEM).
    ///
    /// Certificate events must chain to one of the trusted roots. Several CA
    /// providers may be trusted side by side. A running server sees a new
    /// root after a restart.
    AddCa {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// The root certificate, DER.
        file: PathBuf,
    },
    /// Trust a TSA root certificate (DER): RFC 3161 tokens on documents
    /// must chain to one of these.
    ///
    /// A running server sees a new root after a restart.
    AddTsa {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// The root certificate, DER.
        file: PathBuf,
    },
    /// List the trusted roots: `ca` or `tsa`, fingerprint, subject.
    List {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum PolicyCommand {
    /// Print the rule pack tenderlog ships, as the JSON body of a policy event.
    ///
    /// Edit it and publish the result with `tenderlog policy publish FILE`.
    Default,
    /// Put a rule pack into force by appending it as a `policy` event.
    ///
    /// Every document appended afterwards is checked against it (signer
    /// kinds, seal roles, trusted timestamps) and names it, so a verifier
    /// applies the rules that were in force. Prints the receipt.
    Publish {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// The pack as JSON (the shape `tenderlog policy default` prints);
        /// without it, the default pack.
        file: Option<PathBuf>,
        /// Principal recorded for the event.
        #[arg(long, default_value = "operator")]
        principal: String,
    },
}

#[derive(Subcommand, Debug)]
enum CalendarCommand {
    /// Print the holiday calendar tenderlog ships, as the JSON body of a
    /// calendar event: each year's days off and worked weekends, with the
    /// State Council notice they come from.
    ///
    /// Add a year when its arrangement is published, raise `version`, and
    /// publish the result with `tenderlog calendar publish FILE`.
    Default,
    /// Put a holiday calendar into force by appending it as a `calendar` event.
    ///
    /// Compliance reports — from the log, the API and a tender's bundle —
    /// count days by the latest calendar published and name its entry, so a
    /// verdict can be reproduced years later with the calendar it used. A
    /// log that published none is judged by the shipped calendar. Prints the
    /// receipt.
    ///
    /// Example (add a year to the shipped calendar, raise its version, then):
    ///
    ///   tenderlog calendar default > calendar.json
    ///
    ///   tenderlog calendar publish --data tenderlog-data calendar.json
    Publish {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// The calendar as JSON (the shape `tenderlog calendar default`
        /// prints); without it, the shipped calendar.
        file: Option<PathBuf>,
        /// Principal recorded for the event.
        #[arg(long, default_value = "operator")]
        principal: String,
    },
}

#[derive(Subcommand, Debug)]
enum OfdCommand {
    /// Print the body of a document submission for a signed OFD package:
    /// its SHA-256, SM3, size, and each e-seal inside it with the SM3 of the
    /// Signature.xml it signs, so the ledger checks the seals as held.
    ///
    ///   tenderlog ofd extract award-notice.ofd --document-type award_notice
    ///
    /// Refuses a package whose signatures no longer cover it as signed (a
    /// part changed or removed after signing): `tenderlog-verify ofd FILE`
    /// shows every check.
    Extract {
        /// The OFD package.
        file: PathBuf,
        /// The document type to put in the body (e.g. bid, award_notice).
        #[arg(long)]
        document_type: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum ProveCommand {
    /// Prove that an entry is in the tree of a given size.
    Inclusion {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// The entry's index.
        #[arg(long, required_unless_present = "leaf_hash", conflicts_with = "leaf_hash")]
        index: Option<u64>,
        /// Find the entry by its leaf hash (64 hex digits) instead.
        #[arg(long)]
        leaf_hash: Option<String>,
        /// Tree size to prove against; default: the latest checkpoint.
        #[arg(long)]
        size: Option<u64>,
    },
    /// Prove that the tree of size FROM is a prefix of the tree of size TO.
    Consistency {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// The older tree size.
        #[arg(long)]
        from: u64,
        /// The newer tree size; default: the latest checkpoint.
        #[arg(long)]
        to: Option<u64>,
    },
}

/// A failure that is a verdict (exit 1), not an I/O or usage problem (exit 2).
#[derive(Debug)]
pub(crate) struct CheckFailed(pub String);

impl std::fmt::Display for CheckFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for CheckFailed {}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        #[cfg(feature = "demo")]
        Command::Demo { data } => demo::run(&data),
        Command::Serve(args) => serve::serve(*args),
        Command::Token(cmd) => serve::token(cmd),
        Command::Rules(cmd) => rules::rules(cmd),
        Command::Witness(cmd) => witness::run(cmd),
        Command::Key(KeyCommand::Rotate { data, store, json }) => {
            let r = ledger::rotate_key_at(&ledger::Location::new(&data, store.as_deref()))?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "old_key": r.old.vkey(),
                        "new_key": r.new.vkey(),
                        "tree_size": r.size,
                        "rotation": r.note,
                        "retired_key_file": r.retired,
                    }))?
                );
            } else {
                println!("{}", r.new.vkey());
                eprintln!(
                    "tenderlog: the log signs with the key above from now on; the rotation \
                     checkpoint at size {} is signed by it and by the old key {:08x}.\n  \
                     The old private key is now {}: destroy it or lock it away.\n  \
                     Verifiers that pinned the old key follow the key history (bundles carry it; \
                     the server publishes /key-history.json).",
                    r.size,
                    r.old.key_id(),
                    r.retired.display()
                );
            }
            Ok(())
        }
        Command::Key(KeyCommand::History { data, store }) => {
            let store = ledger::Store::open_at(&ledger::Location::new(&data, store.as_deref()))?;
            let history = store
                .key_history()
                .unwrap_or_else(|| verifier::log_keys::KeyHistory::new(store.origin()));
            std::io::Write::write_all(&mut std::io::stdout(), &history.to_bytes())?;
            Ok(())
        }
        Command::Publish { data, to, checkpoint, watch, json } => {
            anyhow::ensure!(watch != Some(0), "--watch takes milliseconds, at least 1");
            publish::run(&publish::Options {
                dir: &data,
                out: &to,
                which: checkpoint,
                watch: watch.map(std::time::Duration::from_millis),
                json,
            })
        }
        Command::Migrate { from, to, json } => inspect::migrate(&from, &to, json),
        Command::Backup { data, to, json } => {
            let r = ledger::backup::backup(&data, &to)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "backed up {} to {}: {} files, the log at its checkpoint of size {}",
                    data.display(),
                    r.dir.display(),
                    r.files.len(),
                    r.tree_size
                );
                eprintln!(
                    "tenderlog: check it with `tenderlog audit --data {}`; restore by serving that folder",
                    r.dir.display()
                );
            }
            Ok(())
        }
        Command::Report { data, tender, json, html, reading } => {
            rules::report(&data, &tender, json, html, reading)
        }
        Command::Trust(TrustCommand::AddCa { data, file }) => {
            let der = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("couldn't read {}: {e}", file.display()))?;
            let fp = ledger::trust::add_ca(&data, &der)?;
            println!("{fp}");
            eprintln!("tenderlog: trusted; restart a running server to use it");
            Ok(())
        }
        Command::Trust(TrustCommand::AddTsa { data, file }) => {
            let der = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("couldn't read {}: {e}", file.display()))?;
            let fp = ledger::trust::add_tsa(&data, &der)?;
            println!("{fp}");
            eprintln!("tenderlog: trusted for timestamps; restart a running server to use it");
            Ok(())
        }
        Command::Trust(TrustCommand::List { data }) => {
            for (what, store) in
                [("ca", ledger::trust::load(&data)?), ("tsa", ledger::trust::load_tsa(&data)?)]
            {
                for root in store.roots() {
                    println!("{what}  {}  {}", root.fingerprint(), root.subject());
                }
            }
            Ok(())
        }
        Command::Policy(PolicyCommand::Default) => {
            let pack = verifier::policy::RulePack::default_pack();
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &pack)?;
            writeln!(out)?;
            Ok(())
        }
        Command::Policy(PolicyCommand::Publish { data, file, principal }) => {
            inspect::publish_policy(&data, file.as_deref(), &principal)
        }
        Command::Calendar(CalendarCommand::Default) => {
            let calendar = verifier::calendar::HolidayCalendar::shipped();
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &calendar)?;
            writeln!(out)?;
            Ok(())
        }
        Command::Calendar(CalendarCommand::Publish { data, file, principal }) => {
            inspect::publish_calendar(&data, file.as_deref(), &principal)
        }
        Command::Init { data, store, origin, rules, json } => {
            let at = ledger::Location::new(&data, store.as_deref());
            inspect::init(&at, &origin, rules, json)
        }
        Command::Append { data, file, principal, batch } => {
            append::run(&data, file.as_deref(), &principal, batch as usize)
        }
        Command::Checkpoint { data, json } => inspect::checkpoint(&data, json),
        Command::Entry { data, index } => inspect::entry(&data, index),
        Command::Bundle { data, tender, index, document, out, witness_policy } => {
            let policy = witness_policy.as_deref().map(inspect::read_witness_policy).transpose()?;
            inspect::bundle(&data, tender, index, document.as_deref(), &out, policy.as_ref())
        }
        Command::Certificate { data, index, url, out, font, witness_policy } => {
            let policy = witness_policy.as_deref().map(inspect::read_witness_policy).transpose()?;
            inspect::certificate(&data, index, &url, out, &font, policy.as_ref())
        }
        Command::Ofd(OfdCommand::Extract { file, document_type }) => {
            ofd::extract(&file, document_type.as_deref())
        }
        Command::Prove(ProveCommand::Inclusion { data, index, leaf_hash, size }) => {
            inspect::prove_inclusion(&data, index, leaf_hash.as_deref(), size)
        }
        Command::Prove(ProveCommand::Consistency { data, from, to }) => {
            inspect::prove_consistency(&data, from, to)
        }
        Command::Audit { data, url, store, key, integrity, json } => {
            let scope =
                if integrity { ledger::AuditScope::Integrity } else { ledger::AuditScope::Full };
            let log = match (data, url, key) {
                _ if store.is_some() => inspect::Audited::Postgres(store.unwrap_or_default()),
                (_, Some(url), keys) if !keys.is_empty() => inspect::Audited::Url { url, keys },
                (_, Some(_), _) => {
                    anyhow::bail!(
                        "--url needs --key KEY: the log's verifier key, from its operator"
                    )
                }
                (dir, None, _) => {
                    inspect::Audited::Dir(dir.unwrap_or_else(|| PathBuf::from("tenderlog-data")))
                }
            };
            inspect::audit(&log, scope, json)
        }
        #[cfg(feature = "bench")]
        Command::Bench(cmd) => bench::run(cmd),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`tenderlog policy default | head`): what it
        // read was written; nothing to report.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
                    || c.downcast_ref::<serde_json::Error>()
                        .and_then(|j| j.io_error_kind())
                        .is_some_and(|k| k == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            let mut msg = format!("tenderlog: {e}");
            for cause in e.chain().skip(1) {
                msg.push_str(&format!("\n  caused by: {cause}"));
            }
            eprintln!("{msg}");
            let verdict = e.downcast_ref::<CheckFailed>().is_some()
                || matches!(
                    e.downcast_ref::<ledger::LedgerError>(),
                    Some(ledger::LedgerError::AuditFailed { .. })
                );
            ExitCode::from(if verdict { 1 } else { 2 })
        }
    }
}
