//! `tenderlog bench lookup`: the verification page's server-side digest
//! lookup (`GET /verify?sha256=HEX`, the page a person without JavaScript
//! gets) over a large log, beside the JSON lookup it builds on
//! (`GET /v1/documents/{sha256}`) measured in the same run, for digests
//! that were logged and digests that were not.
//!
//! The server runs in this process on loopback (fsync on, as always); one
//! client asks one question at a time, so each number is a latency, not a
//! rate under contention.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use sha2::{Digest as _, Sha256};

use crate::bench::{build, percentile, scratch};

/// Flags of `tenderlog bench lookup`.
#[derive(Args, Debug)]
pub(crate) struct LookupBench {
    /// Use this store (made by `tenderlog bench build`) instead of building one.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Entries to build when no --data is given.
    #[arg(long, default_value_t = 1_000_000)]
    entries: u64,
    /// Where to build the scratch store (a real disk).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Lookups of each kind.
    #[arg(long, default_value_t = 5000)]
    samples: usize,
}

/// The SHA-256 the bench's `i`-th synthetic document logged
/// (see `bench::sample_content`).
fn logged_digest(i: u64) -> String {
    verifier::Hash(Sha256::digest(i.to_be_bytes()).into()).to_hex()
}

/// A request's address from the base URL and a digest.
type Url = fn(&str, &str) -> String;

pub(crate) fn run(args: LookupBench) -> anyhow::Result<()> {
    let tmp = scratch(&args.dir)?;
    let data = match &args.data {
        Some(d) => d.clone(),
        None => {
            eprintln!("building a log of {} entries...", args.entries);
            build(tmp.path(), args.entries, 4096)?;
            tmp.path().to_owned()
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let mut config = api::ServerConfig::new(data.clone());
        config.listen = "127.0.0.1:0".parse()?;
        config.rate_heavy_per_address = 0;
        let running = api::start(config, async move {
            let _ = stopped.await;
        })
        .await?;
        let base = format!("http://{}", running.addr);
        let http = reqwest::Client::new();
        let size = crate::bench_http::tree_size(&http, &base).await?;
        // The log's own records (rule pack, calendar) come first; the bench
        // documents are the rest, the i-th logging digest i.
        let documents = size.saturating_sub(2);
        anyhow::ensure!(
            documents > 0,
            "the log has no bench documents (make it with `tenderlog bench build`)"
        );
        println!(
            "digest lookup over {size} entries, {} lookups of each kind, one at a time",
            args.samples
        );
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (((seed >> 11) as u128 * n as u128) >> 53) as u64
        };
        let kinds: [(&str, bool, Url); 4] = [
            ("GET /v1/documents/{sha256}, logged (JSON, before)", true, |b, h| {
                format!("{b}/v1/documents/{h}")
            }),
            ("GET /verify?sha256=, logged (the page)", true, |b, h| {
                format!("{b}/verify?sha256={h}")
            }),
            ("GET /v1/documents/{sha256}, not logged", false, |b, h| {
                format!("{b}/v1/documents/{h}")
            }),
            ("GET /verify?sha256=, not logged", false, |b, h| format!("{b}/verify?sha256={h}")),
        ];
        for (name, logged, url) in kinds {
            let mut ms = Vec::with_capacity(args.samples);
            // Interleaved warm-up is not needed: every sample is a different digest.
            for _ in 0..args.samples {
                let digest = if logged {
                    logged_digest(next(documents))
                } else {
                    verifier::Hash(
                        Sha256::digest(format!("never logged {}", next(u64::MAX))).into(),
                    )
                    .to_hex()
                };
                let t = Instant::now();
                let r = http.get(url(&base, &digest)).send().await?;
                let status = r.status();
                let body = r.bytes().await?;
                ms.push(t.elapsed().as_secs_f64() * 1e3);
                let found = status.is_success() && !body.windows(9).any(|w| w == b"NOT FOUND");
                anyhow::ensure!(found == logged, "{name}: {digest} answered {status}");
            }
            ms.sort_by(f64::total_cmp);
            println!(
                "  {name:<52} median {:.2} ms  p99 {:.2} ms  max {:.2} ms",
                percentile(&ms, 0.5),
                percentile(&ms, 0.99),
                ms[ms.len() - 1]
            );
        }
        let _ = stop.send(());
        running.task.await??;
        Ok(())
    })
}
