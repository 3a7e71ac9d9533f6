//! `tenderlog bench http`: the HTTP API under load on loopback.
//!
//! Starts the server in this process on 127.0.0.1 (fsync on, as always) over
//! a store of the requested size, then measures with its own client:
//! inclusion proofs/s at random past sizes with p50/p99 latency; submit →
//! receipt latency at a steady rate; and the most submissions/s sustained by
//! closed-loop submitters. Client and server share the machine's cores.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use tokio::sync::Mutex;

use crate::bench::{build, percentile, scratch};

/// Flags of `tenderlog bench http`.
#[derive(Args, Debug)]
pub(crate) struct HttpBench {
    /// Use this existing store (it gets a bench token) instead of building one.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Entries to build when no --data is given.
    #[arg(long, default_value_t = 1_000_000)]
    entries: u64,
    /// Where to build the scratch store (a real disk).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent connections for the proof and max-throughput runs.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Steady submission rate for the latency run, events/s.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
}

fn body(i: u64) -> String {
    format!(
        r#"{{"kind":"document","tender":"HTTP-{:04}","body":{{"document_type":"bid","sha256":"{:064x}","size":{},"media_type":"application/pdf","title":"{:0>790}"}}}}"#,
        i % 1000,
        i,
        1000 + i,
        i
    )
}

struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (((self.0 >> 11) as u128 * n as u128) >> 53) as u64
    }
}

/// Sends `req`; on success drains the body and returns the latency in ms,
/// otherwise counts an error.
async fn timed(req: reqwest::RequestBuilder, errors: &AtomicU64) -> Option<f64> {
    let t = Instant::now();
    match req.send().await {
        Ok(r) if r.status().is_success() => {
            let _ = r.bytes().await;
            Some(t.elapsed().as_secs_f64() * 1e3)
        }
        _ => {
            errors.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

/// The size of the server's latest checkpoint (`GET /checkpoint`).
pub(crate) async fn tree_size(http: &reqwest::Client, base: &str) -> anyhow::Result<u64> {
    let note = http.get(format!("{base}/checkpoint")).send().await?.text().await?;
    Ok(note.lines().nth(1).and_then(|l| l.parse().ok()).unwrap_or(0))
}

/// Prints a run's rate and latency percentiles (shared by `bench witness`).
/// Posts `body` to `base`'s `/v1/events` with `token`; the milliseconds
/// until the whole receipt arrived, or `None` when it was not a success.
pub(crate) async fn timed_submit(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    body: String,
) -> Option<f64> {
    let t = std::time::Instant::now();
    let r = http
        .post(format!("{base}/v1/events"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .ok()?;
    if !r.status().is_success() {
        return None;
    }
    r.bytes().await.ok()?;
    Some(t.elapsed().as_secs_f64() * 1000.0)
}

pub(crate) fn report(name: &str, mut ms: Vec<f64>, secs: f64, errors: u64) {
    ms.sort_by(f64::total_cmp);
    if ms.is_empty() {
        println!("  {name}: no successful requests ({errors} errors)");
        return;
    }
    println!(
        "  {name}: {:.0}/s over {:.1} s, latency median {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} ok, {errors} errors)",
        ms.len() as f64 / secs,
        secs,
        percentile(&ms, 0.5),
        percentile(&ms, 0.99),
        ms[ms.len() - 1],
        ms.len()
    );
}

pub(crate) fn run(args: HttpBench) -> anyhow::Result<()> {
    let tmp = scratch(&args.dir)?;
    let data = match &args.data {
        Some(d) => d.clone(),
        None => {
            eprintln!("building a log of {} entries...", args.entries);
            build(tmp.path(), args.entries, 4096)?;
            tmp.path().to_owned()
        }
    };
    let token = api::tokens::reissue(&data, "bench", api::tokens::Role::Submitter)?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let mut config = api::ServerConfig::new(data.clone());
        config.listen = "127.0.0.1:0".parse()?;
        // One token and one address drive the whole load: no per-client limits.
        config.rate_writes_per_token = 0;
        config.rate_heavy_per_address = 0;
        let running = api::start(config, async move {
            let _ = stopped.await;
        })
        .await?;
        let base = format!("http://{}", running.addr);
        let http = reqwest::Client::builder().pool_max_idle_per_host(args.connections).build()?;
        let size = tree_size(&http, &base).await?;
        anyhow::ensure!(size > 1, "the log needs entries");
        println!(
            "HTTP on loopback, {size} entries, {} connections, {} s per run",
            args.connections, args.seconds
        );
        let window = Duration::from_secs(args.seconds);

        // 1. Inclusion proofs at random past sizes.
        let lat = Arc::new(Mutex::new(Vec::new()));
        let errors = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..args.connections {
            let (http, base, lat, errors) =
                (http.clone(), base.clone(), lat.clone(), errors.clone());
            tasks.push(tokio::spawn(async move {
                let mut rng = Lcg(c as u64 + 1);
                let mut mine = Vec::new();
                while start.elapsed() < window {
                    let s = 1 + rng.below(size);
                    let i = rng.below(s);
                    let req = http.get(format!("{base}/v1/proof/inclusion?index={i}&size={s}"));
                    mine.extend(timed(req, &errors).await);
                }
                lat.lock().await.extend(mine);
            }));
        }
        for t in tasks {
            t.await?;
        }
        let secs = start.elapsed().as_secs_f64();
        report(
            "inclusion proofs",
            std::mem::take(&mut *lat.lock().await),
            secs,
            errors.swap(0, Ordering::Relaxed),
        );

        // 2. Steady submissions at a fixed rate: each request on its own task,
        // started on schedule whatever the earlier ones are doing.
        let mut next_doc = 1u64 << 40;
        let start = Instant::now();
        let mut tasks = Vec::new();
        let period = Duration::from_secs_f64(1.0 / args.rate as f64);
        let mut due = Instant::now();
        while start.elapsed() < window {
            due += period;
            tokio::time::sleep_until(due.into()).await;
            let (http, base, token, lat, errors) =
                (http.clone(), base.clone(), token.clone(), lat.clone(), errors.clone());
            let b = body(next_doc);
            next_doc += 1;
            tasks.push(tokio::spawn(async move {
                let req = http
                    .post(format!("{base}/v1/events"))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(b);
                if let Some(ms) = timed(req, &errors).await {
                    lat.lock().await.push(ms);
                }
            }));
        }
        for t in tasks {
            t.await?;
        }
        let secs = start.elapsed().as_secs_f64();
        report(
            &format!("submit -> receipt at {} events/s", args.rate),
            std::mem::take(&mut *lat.lock().await),
            secs,
            errors.swap(0, Ordering::Relaxed),
        );

        // 3. Closed-loop submitters: the most the server sustains.
        let start = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..args.connections {
            let (http, base, token, lat, errors) =
                (http.clone(), base.clone(), token.clone(), lat.clone(), errors.clone());
            let first = (2u64 << 40) + (c as u64) * 10_000_000;
            tasks.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                let mut i = first;
                while start.elapsed() < window {
                    let req = http
                        .post(format!("{base}/v1/events"))
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(body(i));
                    mine.extend(timed(req, &errors).await);
                    i += 1;
                }
                lat.lock().await.extend(mine);
            }));
        }
        for t in tasks {
            t.await?;
        }
        let secs = start.elapsed().as_secs_f64();
        report(
            "max sustained submissions",
            std::mem::take(&mut *lat.lock().await),
            secs,
            errors.swap(0, Ordering::Relaxed),
        );

        let _ = stop.send(());
        running.task.await??;
        anyhow::Ok(())
    })
}
