//! `tenderlog bench witness`: witnessing on loopback, fsync on.
//!
//! 1. A witness's `add-checkpoint` throughput: in-process witness, client
//!    loops each submitting a growing log's checkpoints (one leaf more per
//!    request, with its consistency proof), for one log and for many.
//! 2. A log with two witnesses under a steady submission rate: submit →
//!    receipt latency beside the same run with witnesses off (receipts
//!    must not wait for witnesses), and the time from a checkpoint's
//!    signing to its cosignatures meeting the quorum; and, witnesses off,
//!    a log signing with Ed25519 alone (as logs did before their ML-DSA-44
//!    key) beside one signing every checkpoint with both.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use ed25519_dalek::SigningKey;
use tokio::sync::Mutex;
use verifier::hash::leaf_hash;
use verifier::merkle::{CompactRange, MemoryTree, consistency_proof};
use verifier::note::NoteSigner;
use verifier::witness_request::AddCheckpoint;

use crate::bench::scratch;
use crate::bench_http::report;

/// Flags of `tenderlog bench witness`.
#[derive(Args, Debug)]
pub(crate) struct WitnessBench {
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Logs submitting at once in the many-logs throughput run.
    #[arg(long, default_value_t = 32)]
    logs: usize,
    /// Steady submission rate for the latency runs, events/s.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// Where to make the scratch directories (a real disk).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// A witness directory witnessing `logs`.
fn witness_dir(dir: &Path, name: &str, logs: &[String]) -> anyhow::Result<Vec<String>> {
    let keys = ledger::witness::init(dir, name)?;
    let lines: String = logs.iter().map(|v| format!("log {v}\n")).collect();
    std::fs::write(dir.join(ledger::witness::LOGS_FILE), lines)?;
    Ok(keys.iter().map(|k| k.vkey()).collect())
}

async fn start_witness(dir: &Path) -> anyhow::Result<api::witness::RunningWitness> {
    let mut config = api::witness::WitnessConfig::new(dir.to_owned());
    config.listen = "127.0.0.1:0".parse()?;
    Ok(api::witness::start_witness(config, std::future::pending()).await?)
}

pub(crate) fn run(args: WitnessBench) -> anyhow::Result<()> {
    let tmp = scratch(&args.dir)?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let window = Duration::from_secs(args.seconds);
    println!("witnessing on loopback, fsync on, {} s per run", args.seconds);

    // 1. add-checkpoint throughput.
    let signers: Vec<NoteSigner> = (0..args.logs)
        .map(|i| {
            NoteSigner::new(
                &format!("bench{i}.example/log"),
                SigningKey::from_bytes(&[i as u8 + 1; 32]),
            )
        })
        .collect::<Result<_, _>>()?;
    let vkeys: Vec<String> = signers.iter().map(|s| s.verifier().vkey()).collect();
    let wdir = tmp.path().join("throughput");
    witness_dir(&wdir, "bench-witness.example", &vkeys)?;
    rt.block_on(async {
        let w = start_witness(&wdir).await?;
        let url = format!("http://{}/add-checkpoint", w.addr);
        let signers = Arc::new(signers);
        for (label, logs) in [("one log", 1usize), ("many logs", args.logs)] {
            let lat = Arc::new(Mutex::new(Vec::new()));
            let errors = Arc::new(AtomicU64::new(0));
            let start = Instant::now();
            let mut tasks = Vec::new();
            for l in 0..logs {
                let (url, lat, signers, errors) =
                    (url.clone(), lat.clone(), signers.clone(), errors.clone());
                tasks.push(tokio::spawn(async move {
                    let http = reqwest::Client::new();
                    let signer = &signers[l];
                    let mut tree = MemoryTree::new();
                    let mut range = CompactRange::new();
                    let mut mine = Vec::new();
                    // Where the witness is for this log (the first run left
                    // it somewhere): learn it from a 409.
                    let mut old = 0u64;
                    while start.elapsed() < window {
                        while tree.size() <= old {
                            let h = leaf_hash(&tree.size().to_be_bytes());
                            tree.push(h);
                            range.push(h, |_, _, _| {});
                        }
                        let size = tree.size();
                        let text = format!(
                            "{}\n{size}\n{}\n",
                            signer.verifier().name(),
                            range.root().to_base64()
                        );
                        let proof = if old == 0 {
                            vec![]
                        } else {
                            consistency_proof(&mut tree, old, size).unwrap_or_default()
                        };
                        let note = signer.sign(&text).unwrap_or_default();
                        let body =
                            AddCheckpoint { old, proof, checkpoint: note.into_bytes() }.to_bytes();
                        let t = Instant::now();
                        let Ok(r) = http.post(&url).body(body).send().await else {
                            errors.fetch_add(1, Ordering::Relaxed);
                            break;
                        };
                        let status = r.status().as_u16();
                        let text = r.bytes().await.unwrap_or_default();
                        match status {
                            200 => {
                                mine.push(t.elapsed().as_secs_f64() * 1000.0);
                                old = size;
                            }
                            409 => old = verifier::witness_request::parse_size(&text).unwrap_or(0),
                            _ => {
                                errors.fetch_add(1, Ordering::Relaxed);
                                break;
                            }
                        }
                    }
                    lat.lock().await.extend(mine);
                }));
            }
            for t in tasks {
                t.await?;
            }
            let secs = start.elapsed().as_secs_f64();
            report(
                &format!("add-checkpoint, {label} ({logs} client(s))"),
                std::mem::take(&mut *lat.lock().await),
                secs,
                errors.load(Ordering::Relaxed),
            );
        }
        anyhow::Ok(())
    })?;

    // 2. A log with two witnesses vs none, at a steady rate; and without
    // its ML-DSA-44 signature.
    for (witnesses, post_quantum) in [(false, false), (false, true), (true, true)] {
        let data = tmp.path().join(format!("log-{witnesses}-{post_quantum}"));
        let origin = "bench.tenderlog.example/log";
        let vkey = ledger::init_with(&data, origin, &ledger::SystemClock, post_quantum)?;
        let token = api::tokens::reissue(&data, "bench", api::tokens::Role::Submitter)?;
        rt.block_on(async {
            let mut config = api::ServerConfig::new(data.clone());
            config.listen = "127.0.0.1:0".parse()?;
            config.rate_writes_per_token = 0;
            if witnesses {
                let mut policy = String::new();
                for name in ["fgw", "audit"] {
                    let d = tmp.path().join(format!("witness-{name}"));
                    let keys = witness_dir(&d, &format!("{name}.example"), &[vkey.vkey()])?;
                    let w = start_witness(&d).await?;
                    policy += &format!("witness {name} {} http://{}\n", keys[1], w.addr);
                }
                policy += "group both all fgw audit\nquorum both\n";
                config.witnessing = Some(api::witnessing::WitnessingConfig {
                    policy: Arc::new(verifier::witness_policy::WitnessPolicy::parse(&policy)?),
                    timeout: Duration::from_secs(2),
                });
            }
            let running = api::start(config, std::future::pending()).await?;
            let base = format!("http://{}", running.addr);
            let http = reqwest::Client::new();
            let lat = Arc::new(Mutex::new(Vec::new()));
            let errors = Arc::new(AtomicU64::new(0));
            let period = Duration::from_secs_f64(1.0 / args.rate as f64);
            let start = Instant::now();
            let mut due = Instant::now();
            let mut tasks = Vec::new();
            let mut i = 0u64;
            while start.elapsed() < window {
                due += period;
                tokio::time::sleep_until(due.into()).await;
                let (http, base, token, lat, errors) =
                    (http.clone(), base.clone(), token.clone(), lat.clone(), errors.clone());
                i += 1;
                let body = format!(
                    r#"{{"kind":"document","tender":"W-{:03}","body":{{"document_type":"bid","sha256":"{i:064x}","size":{i},"media_type":"application/pdf"}}}}"#,
                    i % 100
                );
                tasks.push(tokio::spawn(async move {
                    match crate::bench_http::timed_submit(&http, &base, &token, body).await {
                        Some(ms) => lat.lock().await.push(ms),
                        None => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }));
            }
            for t in tasks {
                t.await?;
            }
            let secs = start.elapsed().as_secs_f64();
            let label = match (witnesses, post_quantum) {
                (true, _) => "two witnesses",
                (false, true) => "no witnesses, Ed25519 + ML-DSA-44 checkpoints",
                (false, false) => "no witnesses, Ed25519 checkpoints only (as before)",
            };
            report(
                &format!("submit -> receipt at {} events/s, {label}", args.rate),
                std::mem::take(&mut *lat.lock().await),
                secs,
                errors.load(Ordering::Relaxed),
            );
            if let Some(w) = &running.witnessing {
                // Let the last round finish.
                tokio::time::sleep(Duration::from_millis(500)).await;
                let ms: Vec<f64> =
                    w.recent_latencies().iter().map(|d| d.as_secs_f64() * 1000.0).collect();
                report("checkpoint signed -> quorum of 2 cosigned", ms, secs, 0);
            }
            anyhow::Ok(())
        })?;
    }
    Ok(())
}
