//! `tenderlog bench soak`: SIGKILL the server again and again under HTTP
//! load, and check that no acknowledged entry is ever lost or changed.
//!
//! Each round starts `tenderlog serve` on a scratch log, lets eight clients
//! post submissions, and kills the process (SIGKILL) at a pseudo-random
//! moment. On the next start every receipt acknowledged in the round
//! before, and a sample of the older ones, must name an entry at the same
//! index with the same leaf hash; at the end every receipt is checked, the
//! server is stopped with SIGTERM (it must exit 0), and the log is audited.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;

/// One acknowledged entry: its index and leaf hash.
type Receipt = (u64, String);

/// Older receipts re-checked each round, besides the last round's.
const SAMPLE: usize = 200;

fn serve(exe: &Path, data: &Path) -> anyhow::Result<(Child, String)> {
    let mut child = Command::new(exe)
        .args(["serve", "--data"])
        .arg(data)
        .args(["--listen", "127.0.0.1:0", "--heartbeat-secs", "1", "--rate-writes-per-token", "0"])
        .env("TENDERLOG_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("couldn't start tenderlog serve")?;
    let mut lines = BufReader::new(child.stderr.take().context("no stderr")?).lines();
    let url = loop {
        let line = lines.next().context("the server exited before listening")??;
        if let Some(rest) = line.split("on http://").nth(1) {
            break format!("http://{}", rest.trim());
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Ok((child, url))
}

/// Checks that every receipt in `list` names the same entry.
async fn check(http: &reqwest::Client, url: &str, list: &[Receipt]) -> anyhow::Result<()> {
    for (index, hash) in list {
        let r = http.get(format!("{url}/v1/entries/{index}")).send().await?;
        anyhow::ensure!(r.status() == 200, "acknowledged entry {index} is gone ({})", r.status());
        let e: serde_json::Value = r.json().await?;
        anyhow::ensure!(
            e["leaf_hash"].as_str() == Some(hash.as_str()),
            "acknowledged entry {index} changed"
        );
    }
    Ok(())
}

/// Runs `kills` rounds in a scratch directory under `dir`.
pub(crate) fn run(kills: u64, dir: &Option<PathBuf>) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let t = crate::bench::scratch(dir)?;
    let data = t.path().join("log");
    ledger::init(&data, "soak.tenderlog.example/log", &ledger::SystemClock)?;
    let token = api::tokens::create(&data, "soak", api::tokens::Role::Submitter)?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let receipts: Arc<Mutex<Vec<Receipt>>> = Arc::default();
    let started = Instant::now();
    let mut checked = 0usize;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut last_round = 0usize;
    let bar = indicatif::ProgressBar::new(kills);
    for round in 0..kills {
        let (mut child, url) = serve(&exe, &data)?;
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
        // The last round's receipts, and a sample of the older ones.
        let list: Vec<Receipt> = {
            let all = receipts.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
            let mut list: Vec<Receipt> = all[last_round..].to_vec();
            for _ in 0..SAMPLE.min(last_round) {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                list.push(all[(seed >> 33) as usize % last_round].clone());
            }
            last_round = all.len();
            list
        };
        checked += list.len();
        rt.block_on(check(&http, &url, &list)).with_context(|| format!("after kill {round}"))?;
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let kill_after = Duration::from_millis(100 + (seed >> 33) % 600);
        rt.block_on(async {
            let mut tasks = Vec::new();
            for c in 0..8u64 {
                let (http, url, token, sink) =
                    (http.clone(), url.clone(), token.clone(), receipts.clone());
                tasks.push(tokio::spawn(async move {
                    for i in 0u64.. {
                        let n = (round << 40) | (c << 32) | i;
                        let body = serde_json::json!({
                            "kind": "document", "tender": format!("SOAK-{c}"),
                            "body": {"document_type": "bid", "sha256": format!("{n:064x}"),
                                     "size": 1, "media_type": "application/pdf"}});
                        let Ok(r) = http
                            .post(format!("{url}/v1/events"))
                            .bearer_auth(&token)
                            .json(&body)
                            .send()
                            .await
                        else {
                            return;
                        };
                        if !r.status().is_success() {
                            continue;
                        }
                        let Ok(v) = r.json::<serde_json::Value>().await else { return };
                        if let (Some(index), Some(hash), Ok(mut s)) =
                            (v["index"].as_u64(), v["leaf_hash"].as_str(), sink.lock())
                        {
                            s.push((index, hash.to_owned()));
                        }
                    }
                }));
            }
            tokio::time::sleep(kill_after).await;
            let _ = child.kill(); // SIGKILL
            for t in tasks {
                let _ = t.await;
            }
        });
        child.wait()?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    // Every receipt, once more; then a clean stop and the audit.
    let (child, url) = serve(&exe, &data)?;
    let all = receipts.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.clone();
    let http = reqwest::Client::new();
    rt.block_on(check(&http, &url, &all)).context("after the last kill")?;
    checked += all.len();
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status()?;
    anyhow::ensure!(status.success(), "couldn't send SIGTERM");
    let out = child.wait_with_output()?;
    anyhow::ensure!(
        out.status.success(),
        "SIGTERM did not stop the server cleanly: {}",
        out.status
    );
    let audit = ledger::audit(&data, &mut |_, _| {})?;
    println!(
        "soak: {kills} SIGKILLs under load in {:.0} s; {} receipts acknowledged, {checked} checks of them, 0 lost or changed; clean SIGTERM; audit of {} entries passed",
        started.elapsed().as_secs_f64(),
        all.len(),
        audit.entries
    );
    Ok(())
}
