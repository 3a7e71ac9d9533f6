//! `tenderlog bench`: ingest, proof and audit benchmarks, fsync on.
//!
//! Each prints medians (and p99 where latency matters) and the peak RSS of the
//! process. Timings are for reporting, never asserted in tests.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Subcommand;
use ledger::{Store, SystemClock};
use sha2::{Digest, Sha256};
use verifier::Hash;
use verifier::event::{Body, Content, Document, DocumentType};

#[derive(Subcommand, Debug)]
pub(crate) enum BenchCommand {
    /// Ingest rate of the ledger vs. a bare rusqlite batched insert of the
    /// same leaf bytes, in the same run.
    Ingest {
        /// Events per run.
        #[arg(long, default_value_t = 200_000)]
        events: u64,
        /// Batch size (events per transaction and checkpoint).
        #[arg(long, default_value_t = 4096)]
        batch: usize,
        /// Runs; the median is reported.
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Where to make the scratch stores (a real disk, not tmpfs).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Compliance reports: one large tender from a store, and every tender
    /// of a large log decoded from its leaves.
    Rules {
        /// Events in the one tender.
        #[arg(long, default_value_t = 10_000)]
        events: u64,
        /// Events in the whole log.
        #[arg(long, default_value_t = 1_000_000)]
        log_events: u64,
        /// Tenders the log's events are spread over.
        #[arg(long, default_value_t = 1000)]
        tenders: u64,
        /// Runs; the median is reported.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Where to make the scratch store.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Inclusion and consistency proof generation latency.
    Prove {
        /// Use this existing store instead of building one.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Entries to build when no --data is given.
        #[arg(long, default_value_t = 1_000_000)]
        entries: u64,
        /// Proofs of each kind to time.
        #[arg(long, default_value_t = 20_000)]
        samples: usize,
        /// Where to build the scratch store.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Offline verification of evidence bundles: one entry, and a 1,000-event tender.
    Verify {
        /// Events in the tender bundle.
        #[arg(long, default_value_t = 1000)]
        events: u64,
        /// Timed runs of each; the median is reported.
        #[arg(long, default_value_t = 21)]
        runs: usize,
        /// Where to make the scratch store.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Ingest of signature-checked document events, per algorithm: every
    /// event's signature, certificate chain, status and rule is checked.
    Signed {
        /// Events per run.
        #[arg(long, default_value_t = 20_000)]
        events: u64,
        /// Batch size (events per transaction and checkpoint).
        #[arg(long, default_value_t = 1024)]
        batch: usize,
        /// Runs per algorithm; the median is reported.
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Algorithms to measure: ed25519, ecdsa, rsa, sm2 (repeat; default all).
        #[arg(long)]
        alg: Vec<String>,
        /// Where to make the scratch stores (a real disk, not tmpfs).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// E-seal verification per core: a GB/T 38540 v4 seal with SM2 signer
    /// and maker signatures, parsed and verified again and again.
    Seal {
        /// Verifications per run.
        #[arg(long, default_value_t = 2000)]
        iterations: usize,
        /// Runs; the median is reported.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Trusted time per checkpoint batch: events appended in batches (fsync
    /// on), one RFC 3161 token per checkpoint, never per event.
    Tsa {
        /// Events per batch size.
        #[arg(long, default_value_t = 8192)]
        events: u64,
        /// Batch sizes to measure (repeat).
        #[arg(long, default_values_t = [1usize, 16, 256, 4096])]
        batch: Vec<usize>,
        /// An RFC 3161 TSA over HTTP (default: the local TSA, in process).
        #[arg(long = "tsa-url")]
        tsa_urls: Vec<String>,
        /// Where to make the scratch stores (a real disk, not tmpfs).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Make a log of synthetic ~1 KiB document events to benchmark against.
    Build {
        /// The data directory to create.
        #[arg(long)]
        data: PathBuf,
        /// Entries to append.
        #[arg(long, default_value_t = 1_000_000)]
        entries: u64,
    },
    /// The HTTP API on loopback: proofs/s, submit latency, max submissions/s.
    Http(crate::bench_http::HttpBench),
    /// The verification page's digest lookup (`/verify?sha256=`) beside the
    /// JSON lookup, over a large log.
    Lookup(crate::bench_lookup::LookupBench),
    /// Inclusion proofs from static tiles (`tenderlog publish`) served by
    /// nginx, beside the same proofs from `tenderlog serve`; and the time
    /// to publish.
    Tiles(crate::bench_tiles::TilesBench),
    /// The PostgreSQL backend's commit path beside a bare binary COPY of
    /// the same leaves.
    Pg(crate::bench_pg::PgBench),
    /// Witnessing: a witness's add-checkpoint/s, and a log with two
    /// witnesses (receipt latency beside none; signing to cosigned quorum).
    Witness(crate::bench_witness::WitnessBench),
    /// Thousands of slow or silent connections against a server at
    /// `ulimit -n 1024`, while a normal client fetches proofs and submits.
    SlowClients {
        /// Slow connections (from 200 loopback addresses).
        #[arg(long, default_value_t = 2000)]
        connections: usize,
        /// How long the normal client runs.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Where to make the scratch log.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// SIGKILL the server again and again under HTTP load; every
    /// acknowledged receipt is checked after each restart and at the end.
    Soak {
        /// How many times to kill it.
        #[arg(long, default_value_t = 100)]
        kills: u64,
        /// Where to make the scratch log.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Audit rate.
    Audit {
        /// Use this existing store instead of building one.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Entries to build when no --data is given.
        #[arg(long, default_value_t = 1_000_000)]
        entries: u64,
        /// Runs; the median is reported.
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Where to build the scratch store.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

/// A document event whose leaf is about 1 KiB.
pub(crate) fn sample_content(i: u64) -> Content {
    let digest: [u8; 32] = Sha256::digest(i.to_be_bytes()).into();
    let title = format!("{:0>790}", format!("bench document {i}"));
    Content {
        tender: format!("ZB2026-{:05}", i % 1000),
        principal: "bench".into(),
        body: Body::Document(Document {
            document_type: DocumentType::Bid,
            sha256: Hash(digest),
            sm3: None,
            size: 1_000_000 + i,
            media_type: "application/pdf".into(),
            title: Some(title),
            signatures: Vec::new(),
            timestamps: Vec::new(),
            seals: Vec::new(),
            ofd_seals: Vec::new(),
            received_timestamp: None,
        }),
    }
}

pub(crate) fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Peak resident set size of this process, MiB (Linux).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

pub(crate) fn scratch(dir: &Option<PathBuf>) -> anyhow::Result<tempfile::TempDir> {
    Ok(match dir {
        Some(d) => tempfile::tempdir_in(d)?,
        None => tempfile::tempdir()?,
    })
}

/// The benchmarks' appender: batches of up to `batch`, no checkpoint
/// stamping (its tokens are measured by `bench tsa`).
pub(crate) fn appender(dir: &Path, batch: usize) -> anyhow::Result<ledger::Appender> {
    let config = ledger::AppenderConfig {
        max_batch: batch,
        queue: batch.max(1) * 2,
        stamp_checkpoints: false,
        ..ledger::AppenderConfig::default()
    };
    Ok(ledger::Appender::open(dir, config)?)
}

/// Appends `contents` as one batch and waits; fails on the first refusal.
pub(crate) fn append_all(
    l: &ledger::Appender,
    contents: Vec<Content>,
) -> anyhow::Result<Vec<ledger::Committed>> {
    l.append(contents)?.into_iter().map(|r| r.map_err(anyhow::Error::from)).collect()
}

/// Appends `entries` bench events in batches of `batch` with `append`;
/// returns the time spent appending (not making the synthetic events).
fn timed_appends(
    entries: u64,
    batch: usize,
    mut append: impl FnMut(Vec<Content>) -> anyhow::Result<()>,
) -> anyhow::Result<std::time::Duration> {
    let mut busy = std::time::Duration::ZERO;
    let mut i = 0;
    while i < entries {
        let n = (entries - i).min(batch as u64);
        let contents: Vec<Content> = (i..i + n).map(sample_content).collect();
        let start = Instant::now();
        append(contents)?;
        busy += start.elapsed();
        i += n;
    }
    Ok(busy)
}

/// Builds a store of `entries` bench events in `dir`; returns events/s.
pub(crate) fn build(dir: &Path, entries: u64, batch: usize) -> anyhow::Result<f64> {
    ledger::init(dir, "bench.tenderlog.example/log", &SystemClock)?;
    let l = appender(dir, batch)?;
    let busy = timed_appends(entries, batch, |contents| append_all(&l, contents).map(drop))?;
    let waited = l.status().index_wait_us.load(std::sync::atomic::Ordering::SeqCst);
    eprintln!(
        "  (of {:.2} s appending, {:.2} s waited for the index follower)",
        busy.as_secs_f64(),
        waited as f64 / 1e6
    );
    Ok(entries as f64 / busy.as_secs_f64())
}

/// The same appends on the [`ledger::Ledger`] alone, on this thread: the
/// sequencing and the store without the appender's hand-off to its
/// sequencer thread (which every real submission crosses: HTTP workers and
/// `tenderlog append`'s reader hand their parsed content to it).
fn ledger_alone(dir: &Path, entries: u64, batch: usize) -> anyhow::Result<f64> {
    let dir = dir.join("alone");
    ledger::init(&dir, "bench.tenderlog.example/log", &SystemClock)?;
    let mut l = ledger::Ledger::open(&dir, std::sync::Arc::new(SystemClock))?;
    let busy =
        timed_appends(entries, batch, |contents| l.append(contents).map(drop).map_err(Into::into))?;
    Ok(entries as f64 / busy.as_secs_f64())
}

fn bare_insert(dir: &Path, entries: u64, batch: usize) -> anyhow::Result<f64> {
    let leaves: Vec<Vec<u8>> = (0..batch as u64)
        .map(|i| {
            let c = sample_content(i);
            let e = verifier::event::Event {
                v: 1,
                tender: c.tender,
                seq: i,
                prev_tender: None.or(if i == 0 {
                    None
                } else {
                    Some(verifier::event::EventLink { index: i - 1, leaf_hash: Hash([1; 32]) })
                }),
                prev_leaf: Some(Hash([2; 32])),
                received_ms: 1_790_000_000_000,
                principal: c.principal,
                body: c.body,
                policy: None,
            };
            e.encode().unwrap_or_default()
        })
        .collect();
    let mut conn = rusqlite::Connection::open(dir.join("bare.db"))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch("CREATE TABLE leaves (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL)")?;
    let start = Instant::now();
    let mut i = 0u64;
    while i < entries {
        let n = (entries - i).min(batch as u64);
        let tx = conn.transaction()?;
        {
            let mut st = tx.prepare_cached("INSERT INTO leaves (idx, leaf) VALUES (?1, ?2)")?;
            for k in 0..n {
                st.execute(rusqlite::params![(i + k) as i64, &leaves[k as usize]])?;
            }
        }
        tx.commit()?;
        i += n;
    }
    Ok(entries as f64 / start.elapsed().as_secs_f64())
}

pub(crate) fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Ingest { events, batch, runs, dir } => {
            let leaf_len = {
                let c = sample_content(1);
                verifier::cbor::to_vec(&c).map_err(anyhow::Error::msg)?.len() + 170
            };
            println!(
                "ingest: {events} events of ~{leaf_len} bytes, batch {batch}, fsync on, {runs} runs"
            );
            let (mut ours, mut alone, mut bare) = (Vec::new(), Vec::new(), Vec::new());
            for run in 0..runs {
                let t = scratch(&dir)?;
                let a = build(t.path(), events, batch)?;
                let l = ledger_alone(t.path(), events, batch)?;
                let b = bare_insert(t.path(), events, batch)?;
                println!(
                    "  run {}: tenderlog {a:>9.0} events/s   ledger alone {l:>9.0} events/s   \
                     bare rusqlite {b:>9.0} rows/s",
                    run + 1,
                );
                ours.push(a);
                alone.push(l);
                bare.push(b);
            }
            let (a, l, b) = (median(&mut ours), median(&mut alone), median(&mut bare));
            println!(
                "median: tenderlog {a:.0} events/s (ledger alone {l:.0}), bare rusqlite {b:.0} \
                 rows/s, ratio {:.2}",
                a / b
            );
            println!("peak RSS {:.1} MiB", peak_rss_mib());
        }
        BenchCommand::Prove { data, entries, samples, dir } => {
            let t = scratch(&dir)?;
            let path = match &data {
                Some(d) => d.clone(),
                None => {
                    eprintln!("building a log of {entries} entries...");
                    let rate = build(t.path(), entries, 4096)?;
                    eprintln!("built at {rate:.0} events/s");
                    t.path().to_owned()
                }
            };
            let store = Store::open(&path)?;
            let n = store.tree_size()?;
            anyhow::ensure!(n > 1, "the log needs at least 2 entries");
            let mut rng = Lcg(0x5eed);
            let mut incl = Vec::with_capacity(samples);
            let mut cons = Vec::with_capacity(samples);
            for _ in 0..samples {
                let size = 1 + rng.below(n);
                let index = rng.below(size);
                let s = Instant::now();
                let p = store.snapshot(|s| s.inclusion_proof(index, size))?;
                incl.push(s.elapsed().as_secs_f64() * 1e3);
                std::hint::black_box(p);
                let size1 = rng.below(n) + 1;
                let size2 = size1 + rng.below(n - size1 + 1);
                let s = Instant::now();
                let p = store.snapshot(|s| s.consistency_proof(size1, size2))?;
                cons.push(s.elapsed().as_secs_f64() * 1e3);
                std::hint::black_box(p);
            }
            incl.sort_by(f64::total_cmp);
            cons.sort_by(f64::total_cmp);
            println!("proofs over {n} entries, {samples} samples each, random past sizes");
            for (name, xs) in [("inclusion", &incl), ("consistency", &cons)] {
                let total: f64 = xs.iter().sum();
                println!(
                    "  {name:<11} median {:.3} ms  p99 {:.3} ms  max {:.3} ms  ({:.0} proofs/s on one thread)",
                    percentile(xs, 0.5),
                    percentile(xs, 0.99),
                    xs[xs.len() - 1],
                    xs.len() as f64 / (total / 1e3)
                );
            }
            println!("peak RSS {:.1} MiB", peak_rss_mib());
        }
        BenchCommand::Http(args) => crate::bench_http::run(args)?,
        BenchCommand::Lookup(args) => crate::bench_lookup::run(args)?,
        BenchCommand::Tiles(args) => crate::bench_tiles::run(args)?,
        BenchCommand::Pg(args) => crate::bench_pg::run(args)?,
        BenchCommand::Witness(args) => crate::bench_witness::run(args)?,
        BenchCommand::Soak { kills, dir } => crate::bench_soak::run(kills, &dir)?,
        BenchCommand::SlowClients { connections, seconds, dir } => {
            crate::bench_slow::run(connections, seconds, &dir)?;
        }
        BenchCommand::Rules { events, log_events, tenders, runs, dir } => {
            crate::bench_rules::run(events, log_events, tenders, runs, &dir)?;
        }
        BenchCommand::Signed { events, batch, runs, alg, dir } => {
            let algs: Vec<String> = if alg.is_empty() {
                crate::bench_signed::ALGS.iter().map(|a| (*a).to_owned()).collect()
            } else {
                alg
            };
            crate::bench_signed::run(&algs, events, batch, runs, &dir)?;
        }
        BenchCommand::Verify { events, runs, dir } => bench_verify(events, runs, &dir)?,
        BenchCommand::Seal { iterations, runs } => crate::bench_seal::seal(iterations, runs)?,
        BenchCommand::Tsa { events, batch, tsa_urls, dir } => {
            crate::bench_seal::tsa(events, &batch, &tsa_urls, &dir)?;
        }
        BenchCommand::Build { data, entries } => {
            let rate = build(&data, entries, 4096)?;
            println!("built {entries} entries in {} at {rate:.0} events/s", data.display());
        }
        BenchCommand::Audit { data, entries, runs, dir } => {
            let t = scratch(&dir)?;
            let path = match &data {
                Some(d) => d.clone(),
                None => {
                    eprintln!("building a log of {entries} entries...");
                    build(t.path(), entries, 4096)?;
                    t.path().to_owned()
                }
            };
            for scope in [ledger::AuditScope::Full, ledger::AuditScope::Integrity] {
                let mut rates = Vec::new();
                for run in 0..runs {
                    let s = Instant::now();
                    let r = ledger::audit_scope(&path, scope, &mut |_, _| {})?;
                    let rate = r.entries as f64 / s.elapsed().as_secs_f64();
                    println!(
                        "  {scope:?} run {}: {} entries, {:.0} entries/s",
                        run + 1,
                        r.entries,
                        rate
                    );
                    rates.push(rate);
                }
                println!(
                    "audit ({}) median {:.0} entries/s, peak RSS {:.1} MiB",
                    match scope {
                        ledger::AuditScope::Full => "full",
                        ledger::AuditScope::Integrity => "integrity",
                    },
                    median(&mut rates),
                    peak_rss_mib()
                );
            }
        }
    }
    Ok(())
}

/// A small deterministic generator, so runs are repeatable.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (((self.0 >> 11) as u128 * n as u128) >> 53) as u64
    }
}

/// Builds a tender of `events` events (in batches of 100, so with many
/// checkpoints and consistency proofs), then times reading and verifying its
/// bundle, and a one-entry bundle, the way `tenderlog-verify` does.
fn bench_verify(events: u64, runs: usize, dir: &Option<PathBuf>) -> anyhow::Result<()> {
    use verifier::bundle::{Bundle, Selection};
    let t = scratch(dir)?;
    ledger::init(t.path(), "bench.tenderlog.example/log", &SystemClock)?;
    {
        let l = appender(t.path(), 100)?;
        let mut i = 0;
        while i < events {
            let n = (events - i).min(100);
            let batch = (i..i + n)
                .map(|k| Content { tender: "BENCH-TENDER".into(), ..sample_content(k) })
                .collect();
            append_all(&l, batch)?;
            i += n;
        }
    }
    let store = Store::open(t.path())?;
    let key = [store.verifier().clone()];
    let signer = ledger::keys::load(&ledger::store::key_path(t.path()), store.origin())?;
    for (name, selection) in [
        ("one-entry bundle", Selection::Indexes(vec![events / 2])),
        ("tender bundle", Selection::Tender("BENCH-TENDER".into())),
    ] {
        let zip = store
            .export_bundle(&selection, Some(&signer), &ledger::trust::Proposed::default())?
            .to_zip()?;
        let mut ms = Vec::with_capacity(runs);
        for _ in 0..runs {
            let s = Instant::now();
            let bundle = Bundle::from_zip(&zip)?;
            let report = verifier::report::verify_bundle(&bundle, Some(&key), &[]);
            ms.push(s.elapsed().as_secs_f64() * 1e3);
            anyhow::ensure!(report.verified, "the bench bundle does not verify");
        }
        println!(
            "  {name}: {} entries, {} bytes: verify median {:.2} ms (of {runs} runs)",
            match &selection {
                Selection::Tender(_) => events,
                _ => 1,
            },
            zip.len(),
            median(&mut ms)
        );
    }
    Ok(())
}
