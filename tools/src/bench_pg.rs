//! `tenderlog bench pg`: the PostgreSQL backend's commit path — batches of
//! ~1 KiB leaves, each with the tree nodes it completes and its signed
//! checkpoint, committed through `PgLog` (compare-and-swap on the head,
//! binary `COPY` of the leaves, tile rows, checkpoint row) — beside a bare
//! binary `COPY` of the same leaf bytes into a plain table, one transaction
//! per batch, in the same run and the same server (`synchronous_commit` as
//! the server has it: on, unless its operator changed it). Each run gets
//! fresh databases, dropped afterwards.
//!
//! This is the storage seam on PostgreSQL, not yet the whole ledger (the
//! sequencer's admission checks and index run on SQLite today).

use std::time::Instant;

use clap::Args;
use ledger::storage::{Batch, LogWriter, TreeHead};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;
use verifier::checkpoint::Checkpoint;
use verifier::merkle::CompactRange;

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

pub(crate) fn run(args: PgBench) -> anyhow::Result<()> {
    anyhow::ensure!(args.batch > 0 && args.events > 0 && args.runs > 0, "give positive numbers");
    let mut c = postgres::Client::connect(&args.store, postgres::NoTls)?;
    let sync: String = c.query_one("SHOW synchronous_commit", &[])?.get(0);
    let fsync: String = c.query_one("SHOW fsync", &[])?.get(0);
    println!(
        "PostgreSQL commit path: {} events of 1 KiB per run, batches of {}, {} runs (synchronous_commit {sync}, fsync {fsync})",
        args.events, args.batch, args.runs
    );
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
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (o, b) = (median(&mut ours), median(&mut bare));
    println!("  median: PgLog {o:.0} events/s, bare COPY {b:.0} events/s, ratio {:.2}", o / b);
    Ok(())
}
