//! `tenderlog bench slow-clients`: the server, started with a file limit
//! of 1,024, holds thousands of slow or silent connections while a normal
//! client keeps fetching proofs and submitting; reports the normal client's
//! latency percentiles and what became of the slow connections.
//!
//! The slow connections come from many loopback addresses (127.0.1.x), as
//! from many clients, so the per-address cap does not turn them all away;
//! half send nothing, half send a header byte every two seconds. The normal
//! client is 127.0.0.1.

use std::io::{BufRead as _, BufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::io::AsyncWriteExt as _;

use crate::bench::{percentile, scratch};

/// Runs the benchmark: `connections` slow ones for `seconds`.
pub(crate) fn run(connections: usize, seconds: u64, dir: &Option<PathBuf>) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let t = scratch(dir)?;
    let data = t.path().join("log");
    ledger::init(&data, "slow.tenderlog.example/log", &ledger::SystemClock)?;
    let token = api::tokens::create(&data, "agency-01", api::tokens::Role::Submitter)?;
    // The server under `ulimit -n 1024`, as the issue found it.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 1024 && exec \"$0\" serve --data \"$1\" --listen 127.0.0.1:0")
        .arg(&exe)
        .arg(&data)
        .env("TENDERLOG_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("couldn't start the server")?;
    let mut lines = BufReader::new(child.stderr.take().context("no stderr")?).lines();
    let addr: SocketAddr = loop {
        let line = lines.next().context("the server exited before listening")??;
        if let Some(rest) = line.split("on http://").nth(1) {
            break rest.trim().parse()?;
        }
    };
    std::thread::spawn(move || for _ in lines {});

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let result = rt.block_on(async move {
        // The slow clients.
        let mut slow = Vec::new();
        for k in 0..connections {
            let ip = IpAddr::V4(Ipv4Addr::new(127, 0, 1, 1 + (k % 200) as u8));
            slow.push(tokio::spawn(async move {
                // Closed by the server, it comes straight back.
                loop {
                    let Ok(socket) = tokio::net::TcpSocket::new_v4() else { return };
                    if socket.bind(SocketAddr::new(ip, 0)).is_err() {
                        return;
                    }
                    let Ok(mut s) = socket.connect(addr).await else {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    };
                    if k % 2 == 1 {
                        // One header byte every two seconds.
                        for b in b"GET /v1/checkpoint HTTP/1.1\r\nHost: x\r\n".iter().cycle() {
                            if s.write_all(&[*b]).await.is_err() {
                                break;
                            }
                            tokio::time::sleep(Duration::from_secs(2)).await;
                        }
                    } else {
                        // Silent until the server closes it.
                        let mut buf = [0u8; 256];
                        let _ = tokio::io::AsyncReadExt::read(&mut s, &mut buf).await;
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        // The normal client.
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
        let base = format!("http://{addr}");
        let (mut proofs, mut receipts, mut failed) = (Vec::new(), Vec::new(), 0u64);
        let end = Instant::now() + Duration::from_secs(seconds);
        let mut n = 0u64;
        while Instant::now() < end {
            n += 1;
            let s = Instant::now();
            let body = serde_json::json!({"kind": "document", "tender": "SLOW", "body": {
                "document_type": "bid", "sha256": format!("{n:064x}"), "size": 1,
                "media_type": "application/pdf"}});
            match http
                .post(format!("{base}/v1/events"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => receipts.push(s.elapsed().as_secs_f64() * 1e3),
                _ => failed += 1,
            }
            let s = Instant::now();
            // An entry already acknowledged, spread over the log.
            let index = n.wrapping_mul(2_654_435_761) % receipts.len().max(1) as u64;
            let url = format!("{base}/v1/proof/inclusion?index={index}");
            match http.get(url).send().await {
                Ok(r) if r.status().is_success() => proofs.push(s.elapsed().as_secs_f64() * 1e3),
                _ => failed += 1,
            }
        }
        let open = slow.iter().filter(|h| !h.is_finished()).count();
        for h in &slow {
            h.abort();
        }
        anyhow::Ok((proofs, receipts, failed, open))
    });
    let _ = child.kill();
    let _ = child.wait();
    let (mut proofs, mut receipts, failed, open) = result?;
    anyhow::ensure!(!proofs.is_empty() && !receipts.is_empty(), "the normal client got nothing");
    proofs.sort_by(f64::total_cmp);
    receipts.sort_by(f64::total_cmp);
    println!(
        "slow clients: {connections} slow or silent clients from 200 addresses, each reconnecting as soon as it is closed ({open} still at it at the end), against a server at ulimit -n 1024, for {seconds} s"
    );
    println!(
        "  proofs:   {} served, median {:.2} ms, p99 {:.2} ms (target p99 ≤ 50 ms)",
        proofs.len(),
        percentile(&proofs, 0.5),
        percentile(&proofs, 0.99)
    );
    println!(
        "  receipts: {} served, median {:.2} ms, p99 {:.2} ms (target p99 ≤ 1 s); {failed} requests failed",
        receipts.len(),
        percentile(&receipts, 0.5),
        percentile(&receipts, 0.99)
    );
    Ok(())
}
