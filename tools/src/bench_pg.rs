//! `tenderlog bench pg`: the PostgreSQL backend's commit path — batches of
//! ~1 KiB leaves, each with the tree nodes it completes and its signed
//! checkpoint, committed through `PgLog` (compare-and-swap on the head,
//! binary `COPY` of the leaves, tile rows, checkpoint row) — beside a bare
//! binary `COPY` of the same leaf bytes into a plain table, one transaction
//! per batch, in the same run and the same server (`synchronous_commit` as
//! the server has it: on, unless its operator changed it). Each run gets
//! fresh databases, dropped afterwards.
//!
//! Then the whole ledger on PostgreSQL, in the same run: ~1 KiB document
//! events through the appender (admission, sequencing, signing, the commit,
//! the index follower) beside a bare `COPY` of the very leaf bytes it
//! stored; submit → receipt at a steady rate through two front-ends of one
//! database (one sequences, the other forwards); and inclusion proofs from
//! `serve --store` on a log of `--proof-entries` entries.

use std::time::Instant;

use clap::Args;
use ledger::storage::{Batch, LogWriter, TreeHead};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;
use verifier::checkpoint::Checkpoint;
use verifier::merkle::CompactRange;

use crate::bench::median;

/// Flags of `tenderlog bench pg`.
#[derive(Args, Debug)]
pub(crate) struct PgBench {
    /// The server, as `key=value` settings of a role that may create
    /// databases (e.g. `host=/tmp/pg port=5439 user=tenderlog`).
    #[arg(long, env = "TENDERLOG_STORE")]
    store: String,
    /// Events per run.
    #[arg(long, default_value_t = 200_000)]
    events: u64,
    /// Events per batch (one transaction and checkpoint).
    #[arg(long, default_value_t = 4096)]
    batch: u64,
    /// Runs; the median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// The steady submission rate through the two front-ends, events/s.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// How long the steady rate runs, seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Entries of the log the inclusion proofs are timed on (0: skip).
    #[arg(long, default_value_t = 1_000_000)]
    proof_entries: u64,
    /// Inclusion proofs timed.
    #[arg(long, default_value_t = 2000)]
    samples: usize,
    /// Run only this part (to profile it alone): commit, ingest, front-ends
    /// or proofs.
    #[arg(long, value_enum)]
    only: Option<Part>,
}

/// A part of `tenderlog bench pg`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// The commit path beside a bare COPY.
    Commit,
    /// The whole ingest beside a bare COPY of its leaves.
    Ingest,
    /// Submit → receipt through two front-ends.
    FrontEnds,
    /// Inclusion proofs at `--proof-entries`.
    Proofs,
}

const ORIGIN: &str = "bench.tenderlog.example/log";

/// The `i`-th leaf: 1 KiB, distinct.
fn leaf(i: u64) -> Vec<u8> {
    let mut l = vec![0x5a; 1024];
    l[..8].copy_from_slice(&i.to_be_bytes());
    l
}

/// A fresh database, dropped with the value.
struct Scratch {
    admin: String,
    name: String,
}

impl Scratch {
    fn new(admin: &str, tag: &str) -> anyhow::Result<Scratch> {
        let name = format!("tenderlog_bench_{tag}_{}", std::process::id());
        let mut c = postgres::Client::connect(admin, postgres::NoTls)?;
        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
        c.batch_execute(&format!("CREATE DATABASE {name}"))?;
        // Each timed part starts just after a checkpoint, so that none of
        // them pays for the WAL the one before it wrote (the server's own
        // checkpoints otherwise land on a part at random, and a part just
        // after one pays full-page images). Needs a superuser or
        // pg_checkpoint; without, the parts are measured as they come.
        if let Err(e) = c.batch_execute("CHECKPOINT") {
            eprintln!("  (no CHECKPOINT before the part: {e})");
        }
        Ok(Scratch { admin: admin.to_owned(), name })
    }

    fn url(&self) -> String {
        format!("{} dbname={}", self.admin, self.name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// Events per second through `PgLog`, the batches made as the sequencer
/// makes them (nodes from the compact range, an Ed25519-signed checkpoint).
fn through_pglog(url: &str, events: u64, batch: u64) -> anyhow::Result<f64> {
    let signer =
        verifier::note::NoteSigner::new(ORIGIN, ed25519_dalek::SigningKey::from_bytes(&[9; 32]))?;
    let empty = signer.sign(&Checkpoint::new(ORIGIN, 0, verifier::EMPTY_ROOT).to_text())?;
    ledger::postgres::create(url, ORIGIN, &signer.verifier().vkey(), None, &empty, 1)?;
    let mut log = ledger::postgres::PgLog::open(url)?;
    let mut frontier = CompactRange::default();
    let mut head = TreeHead { size: 0, root: verifier::EMPTY_ROOT };
    let t = Instant::now();
    let mut next = 0;
    while next < events {
        let end = events.min(next + batch);
        let (mut leaves, mut nodes) = (Vec::new(), Vec::new());
        for i in next..end {
            let l = leaf(i);
            frontier.push(verifier::leaf_hash(&l), |lv, ix, h| nodes.push((lv, ix, *h)));
            leaves.push((i, l));
        }
        let new = TreeHead { size: frontier.size(), root: frontier.root() };
        let note = signer.sign(&Checkpoint::new(ORIGIN, new.size, new.root).to_text())?;
        log.commit(
            &head,
            &Batch { leaves: &leaves, nodes: &nodes, head: new, note: &note, signed_ms: 1 },
        )?;
        head = new;
        next = end;
    }
    Ok(events as f64 / t.elapsed().as_secs_f64())
}

/// Events per second of a bare binary `COPY` of the same leaves.
fn bare_copy(url: &str, events: u64, batch: u64) -> anyhow::Result<f64> {
    let mut c = postgres::Client::connect(url, postgres::NoTls)?;
    c.batch_execute("CREATE TABLE bare (idx BIGINT PRIMARY KEY, leaf BYTEA NOT NULL)")?;
    let t = Instant::now();
    let mut next = 0;
    while next < events {
        let end = events.min(next + batch);
        let mut tx = c.transaction()?;
        {
            let sink = tx.copy_in("COPY bare (idx, leaf) FROM STDIN (FORMAT binary)")?;
            let mut w = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::BYTEA]);
            for i in next..end {
                w.write(&[&(i as i64), &leaf(i)])?;
            }
            w.finish()?;
        }
        tx.commit()?;
        next = end;
    }
    Ok(events as f64 / t.elapsed().as_secs_f64())
}

/// A new log (keys in a scratch directory `dir`) moved into the database
/// at `url`.
fn log_in(dir: &std::path::Path, url: &str) -> anyhow::Result<()> {
    ledger::init(dir, ORIGIN, &ledger::SystemClock)?;
    ledger::migrate::migrate(
        &ledger::migrate::Place::Dir(dir.to_owned()),
        &ledger::migrate::Place::Postgres(url.to_owned()),
        &mut |_, _| {},
    )?;
    for f in ["tenderlog.db", "tenderlog.db-wal", "tenderlog.db-shm", "index.db"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    Ok(())
}

/// Batches a busy platform's request handlers have submitted and wait on
/// at once, in the whole-ingest bench: one committing, one being sequenced,
/// one queued, one being admitted.
const IN_FLIGHT: usize = 4;

/// The whole ingest: `events` bench events through the appender of a log
/// in PostgreSQL (the time spent appending). Returns events/s and the
/// stored leaves' bytes.
fn whole_ingest(url: &str, events: u64, batch: u64) -> anyhow::Result<(f64, Vec<Vec<u8>>)> {
    let dir = tempfile::tempdir()?;
    log_in(dir.path(), url)?;
    let config = ledger::AppenderConfig {
        max_batch: batch as usize,
        queue: batch as usize * IN_FLIGHT,
        stamp_checkpoints: false,
        postgres: Some(url.to_owned()),
        ..ledger::AppenderConfig::default()
    };
    let appender = ledger::Appender::open(dir.path(), config)?;
    // The events are made first (not timed); then submitted as a busy
    // platform's would be: batches are admitted and queued while the ones
    // before them are sequenced and committed (`IN_FLIGHT` at once).
    let batches: Vec<Vec<verifier::event::Content>> = (0..events)
        .step_by(batch as usize)
        .map(|i| (i..(i + batch).min(events)).map(crate::bench::sample_content).collect())
        .collect();
    let t = Instant::now();
    let mut in_flight: std::collections::VecDeque<ledger::Tickets> = Default::default();
    for contents in batches {
        // Admission (each document's platform timestamp, its digest) runs
        // on the request handlers of a server, several at once: here on
        // two threads.
        let admitted: Vec<ledger::Admitted> = std::thread::scope(|s| {
            let halves: Vec<_> = contents
                .chunks(contents.len().div_ceil(2))
                .map(|half| {
                    s.spawn(|| half.iter().map(|c| appender.admit(c.clone())).collect::<Vec<_>>())
                })
                .collect();
            halves.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
        });
        anyhow::ensure!(admitted.len() == contents.len(), "an admission thread failed");
        in_flight.push_back(appender.submit_all(admitted)?);
        if in_flight.len() >= IN_FLIGHT
            && let Some(oldest) = in_flight.pop_front()
        {
            check_answers(oldest.wait_blocking())?;
        }
    }
    for rest in in_flight {
        check_answers(rest.wait_blocking())?;
    }
    let busy = t.elapsed();
    let waited = appender.status().index_wait_us.load(std::sync::atomic::Ordering::SeqCst);
    println!(
        "  (the sequencer waited {:.0} ms of {:.0} ms for the index follower)",
        waited as f64 / 1e3,
        busy.as_secs_f64() * 1e3
    );
    appender.shutdown();
    let store = ledger::Store::open_at(&ledger::Location::new(dir.path(), Some(url)))?;
    let leaves = (0..events).map(|i| store.leaf(i)).collect::<ledger::Result<_>>()?;
    Ok((events as f64 / busy.as_secs_f64(), leaves))
}

/// Every answer of a batch is an entry.
fn check_answers(answers: Vec<ledger::Answer>) -> anyhow::Result<()> {
    for a in answers {
        a?;
    }
    Ok(())
}

/// A bare binary `COPY` of `leaves`, in batches of `batch`: events/s.
fn bare_copy_of(url: &str, leaves: &[Vec<u8>], batch: u64) -> anyhow::Result<f64> {
    let mut c = postgres::Client::connect(url, postgres::NoTls)?;
    c.batch_execute("CREATE TABLE bare (idx BIGINT PRIMARY KEY, leaf BYTEA NOT NULL)")?;
    let t = Instant::now();
    for (k, chunk) in leaves.chunks(batch as usize).enumerate() {
        let mut tx = c.transaction()?;
        {
            let sink = tx.copy_in("COPY bare (idx, leaf) FROM STDIN (FORMAT binary)")?;
            let mut w = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::BYTEA]);
            for (j, l) in chunk.iter().enumerate() {
                w.write(&[&((k * batch as usize + j) as i64), l])?;
            }
            w.finish()?;
        }
        tx.commit()?;
    }
    Ok(leaves.len() as f64 / t.elapsed().as_secs_f64())
}

/// Submit → receipt at `rate` events/s for `seconds`, alternating between
/// two front-ends of one log in PostgreSQL (the first sequences, the
/// second forwards to it); the latencies through each.
fn two_front_ends(url: &str, rate: u64, seconds: u64) -> anyhow::Result<()> {
    use std::sync::Arc;
    use std::time::Duration;
    let tmp = tempfile::tempdir()?;
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    log_in(&a, url)?;
    // The second front-end's data directory: a copy of the first's keys.
    let copied = std::process::Command::new("cp").arg("-a").arg(&a).arg(&b).status()?;
    anyhow::ensure!(copied.success(), "couldn't copy {} to {}", a.display(), b.display());
    let at = ledger::Location::new(&a, Some(url));
    let token = api::tokens::reissue(&at, "bench", api::tokens::Role::Submitter)?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let mut bases = Vec::new();
        let mut running = Vec::new();
        // Both servers stop before the runtime ends: their PostgreSQL
        // connections close on blocking threads, not on its workers.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        for dir in [&a, &b] {
            let mut config = api::ServerConfig::new(dir.clone());
            config.listen = "127.0.0.1:0".parse()?;
            config.rate_writes_per_token = 0;
            config.appender.postgres = Some(url.to_owned());
            let mut stopped = stopped.clone();
            let r = api::start(config, async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await?;
            bases.push(format!("http://{}", r.addr));
            running.push(r);
        }
        let http = reqwest::Client::new();
        let lat: [Arc<tokio::sync::Mutex<Vec<f64>>>; 2] = Default::default();
        let errors: [Arc<std::sync::atomic::AtomicU64>; 2] = Default::default();
        let period = Duration::from_secs_f64(1.0 / rate as f64);
        let start = Instant::now();
        let mut due = Instant::now();
        let mut tasks = Vec::new();
        let mut i = 0u64;
        while start.elapsed() < Duration::from_secs(seconds) {
            due += period;
            tokio::time::sleep_until(due.into()).await;
            i += 1;
            let k = (i % 2) as usize;
            let (http, base, token, lat, errors) =
                (http.clone(), bases[k].clone(), token.clone(), lat[k].clone(), errors[k].clone());
            let body = format!(
                r#"{{"kind":"document","tender":"P-{:03}","body":{{"document_type":"bid","sha256":"{i:064x}","size":{i},"media_type":"application/pdf"}}}}"#,
                i % 100
            );
            tasks.push(tokio::spawn(async move {
                match crate::bench_http::timed_submit(&http, &base, &token, body).await {
                    Some(ms) => lat.lock().await.push(ms),
                    None => {
                        errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }));
        }
        for t in tasks {
            t.await?;
        }
        let secs = start.elapsed().as_secs_f64();
        for (k, name) in ["the sequencing front-end", "the forwarding front-end"].iter().enumerate() {
            let ms = std::mem::take(&mut *lat[k].lock().await);
            crate::bench_http::report(
                &format!("submit -> receipt at {rate}/s (half each), via {name}"),
                ms,
                secs,
                errors[k].load(std::sync::atomic::Ordering::Relaxed),
            );
        }
        stop.send(true)?;
        for r in running {
            r.task.await??;
        }
        anyhow::Ok(())
    })
}

/// Inclusion proofs from `serve --store` on a log of `entries` entries in
/// PostgreSQL: GET /v1/proof/inclusion and verify, one at a time.
fn proofs(url: &str, entries: u64, samples: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    eprintln!("building a log of {entries} entries in PostgreSQL...");
    log_in(dir.path(), url)?;
    let config = ledger::AppenderConfig {
        max_batch: 4096,
        queue: 8192,
        stamp_checkpoints: false,
        postgres: Some(url.to_owned()),
        ..ledger::AppenderConfig::default()
    };
    let appender = ledger::Appender::open(dir.path(), config)?;
    let mut i = 0;
    while i < entries {
        let n = (entries - i).min(4096);
        crate::bench::append_all(
            &appender,
            (i..i + n).map(crate::bench::sample_content).collect(),
        )?;
        i += n;
    }
    appender.shutdown();
    drop(appender);
    let store = ledger::Store::open_at(&ledger::Location::new(dir.path(), Some(url)))?;
    let latest = store.latest_checkpoint()?;
    let (size, root) = (latest.checkpoint.size, latest.checkpoint.root);
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let picks: Vec<(u64, verifier::Hash)> = (0..samples)
        .map(|_| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let i = (((seed >> 11) as u128 * size as u128) >> 53) as u64;
            Ok((i, store.leaf_hash(i)?))
        })
        .collect::<anyhow::Result<_>>()?;
    drop(store);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let mut config = api::ServerConfig::new(dir.path().to_owned());
        config.listen = "127.0.0.1:0".parse()?;
        config.appender.postgres = Some(url.to_owned());
        config.appender.stamp_checkpoints = false;
        let running = api::start(config, std::future::pending()).await?;
        let base = format!("http://{}", running.addr);
        let http = reqwest::Client::new();
        let mut ms = Vec::with_capacity(picks.len());
        for (i, lh) in &picks {
            let t = Instant::now();
            let proof = crate::bench_tiles::proof_over_http(&http, &base, *i, size).await?;
            verifier::merkle::verify_inclusion(*i, size, lh, &proof, &root)?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        ms.sort_by(f64::total_cmp);
        println!(
            "  inclusion proofs from tenderlog serve --store (PostgreSQL) at size {size}: median {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} proofs)",
            crate::bench::percentile(&ms, 0.5),
            crate::bench::percentile(&ms, 0.99),
            ms[ms.len() - 1],
            ms.len()
        );
        anyhow::Ok(())
    })
}

pub(crate) fn run(args: PgBench) -> anyhow::Result<()> {
    anyhow::ensure!(args.batch > 0 && args.events > 0 && args.runs > 0, "give positive numbers");
    let mut c = postgres::Client::connect(&args.store, postgres::NoTls)?;
    let sync: String = c.query_one("SHOW synchronous_commit", &[])?.get(0);
    let fsync: String = c.query_one("SHOW fsync", &[])?.get(0);
    println!(
        "PostgreSQL (synchronous_commit {sync}, fsync {fsync}): {} events of ~1 KiB per run, batches of {}, {} runs",
        args.events, args.batch, args.runs
    );
    let part = |p: Part| args.only.is_none_or(|only| only == p);
    if part(Part::Commit) {
        commit_path(&args)?;
    }
    if part(Part::Ingest) {
        ingest(&args)?;
    }
    if part(Part::FrontEnds) {
        let db = Scratch::new(&args.store, "frontends")?;
        two_front_ends(&db.url(), args.rate, args.seconds)?;
    }
    if part(Part::Proofs) && args.proof_entries > 0 {
        let db = Scratch::new(&args.store, "proofs")?;
        proofs(&db.url(), args.proof_entries, args.samples)?;
    }
    Ok(())
}

/// The commit path (`PgLog`) beside a bare COPY, `args.runs` times.
fn commit_path(args: &PgBench) -> anyhow::Result<()> {
    let (mut ours, mut bare) = (Vec::new(), Vec::new());
    for run in 0..args.runs {
        let db = Scratch::new(&args.store, &format!("log{run}"))?;
        ours.push(through_pglog(&db.url(), args.events, args.batch)?);
        let db = Scratch::new(&args.store, &format!("bare{run}"))?;
        bare.push(bare_copy(&db.url(), args.events, args.batch)?);
        println!(
            "  run {}: PgLog {:.0} events/s, bare COPY {:.0} events/s",
            run + 1,
            ours[run],
            bare[run]
        );
    }
    let (o, b) = (median(&mut ours), median(&mut bare));
    println!("  median: PgLog {o:.0} events/s, bare COPY {b:.0} events/s, ratio {:.2}", o / b);
    Ok(())
}

/// The whole ingest beside a bare COPY of its leaves, `args.runs` times.
fn ingest(args: &PgBench) -> anyhow::Result<()> {
    println!(
        "the whole ingest: ~1 KiB document events through the appender, beside a bare COPY of the same leaf bytes"
    );
    let (mut ours, mut bare) = (Vec::new(), Vec::new());
    for run in 0..args.runs {
        let db = Scratch::new(&args.store, &format!("ingest{run}"))?;
        let (rate, leaves) = whole_ingest(&db.url(), args.events, args.batch)?;
        ours.push(rate);
        let db = Scratch::new(&args.store, &format!("bareingest{run}"))?;
        bare.push(bare_copy_of(&db.url(), &leaves, args.batch)?);
        let kib = leaves.iter().map(Vec::len).sum::<usize>() as f64 / leaves.len() as f64 / 1024.0;
        println!(
            "  run {}: the ledger {:.0} events/s, bare COPY {:.0} events/s (leaves {kib:.2} KiB on average)",
            run + 1,
            ours[run],
            bare[run]
        );
    }
    let (o, b) = (median(&mut ours), median(&mut bare));
    println!("  median: the ledger {o:.0} events/s, bare COPY {b:.0} events/s, ratio {:.2}", o / b);
    Ok(())
}
