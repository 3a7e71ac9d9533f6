//! The server under SIGKILL: submitters keep posting while `tenderlog serve`
//! is killed at random moments; after each restart every receipt it had
//! returned names an entry still in the log, at the same index with the same
//! leaf hash. A final SIGTERM stops it cleanly (exit 0), and the audit passes.
//!
//! `TENDERLOG_HTTP_CRASH_ROUNDS` sets the number of kills (default 5).
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::{doc_line, err, init, run};

/// Starts `tenderlog serve` on a free port; returns the child and its URL.
fn serve(data: &str) -> (Child, String) {
    common::serve(data, &["--heartbeat-secs", "1"])
}

#[test]
fn sigkill_loses_no_receipt() {
    let rounds: u64 =
        std::env::var("TENDERLOG_HTTP_CRASH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("log");
    init(&dir, "http-crash.example/log");
    let data = dir.to_str().unwrap().to_owned();
    let o = run(&["token", "create", "--data", &data, "--name", "agency-01"], "");
    assert!(o.status.success(), "{}", err(&o));
    let token = String::from_utf8(o.stdout).unwrap().trim().to_owned();

    let seed = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos() as u64;
    eprintln!("http crash test seed {seed}");
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let receipts: Arc<Mutex<Vec<(u64, String)>>> = Arc::default();
    let mut next_doc = 0u64;
    for round in 0..rounds {
        let (mut child, url) = serve(&data);
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
        // Everything acknowledged so far is still there, unchanged.
        rt.block_on(async {
            let acked = receipts.lock().unwrap().clone();
            for (index, hash) in acked {
                let r = http.get(format!("{url}/v1/entries/{index}")).send().await.unwrap();
                assert_eq!(r.status(), 200, "round {round}: acknowledged entry {index} is gone");
                let e: serde_json::Value = r.json().await.unwrap();
                assert_eq!(
                    e["leaf_hash"].as_str().unwrap(),
                    hash,
                    "round {round}: entry {index} changed"
                );
            }
        });
        // Load, then SIGKILL at a random moment.
        let kill_after = Duration::from_millis(200 + (seed.rotate_left(round as u32 * 7) % 800));
        let start = next_doc;
        next_doc += 1_000_000;
        rt.block_on(async {
            let mut tasks = Vec::new();
            for c in 0..8u64 {
                let (http, url, token, sink) =
                    (http.clone(), url.clone(), token.clone(), receipts.clone());
                tasks.push(tokio::spawn(async move {
                    for i in 0.. {
                        // The server records the token's name as principal.
                        let mut body: serde_json::Value = serde_json::from_str(&doc_line(
                            start + c * 100_000 + i,
                            &format!("T-{c}"),
                        ))
                        .unwrap();
                        body.as_object_mut().unwrap().remove("principal");
                        let body = body.to_string();
                        let sent = http
                            .post(format!("{url}/v1/events"))
                            .bearer_auth(&token)
                            .header("content-type", "application/json")
                            .body(body)
                            .send()
                            .await;
                        let Ok(r) = sent else { return };
                        if !r.status().is_success() {
                            continue;
                        }
                        let Ok(v) = r.json::<serde_json::Value>().await else { return };
                        let index = v["index"].as_u64().unwrap();
                        sink.lock()
                            .unwrap()
                            .push((index, v["leaf_hash"].as_str().unwrap().to_owned()));
                    }
                }));
            }
            tokio::time::sleep(kill_after).await;
            child.kill().unwrap(); // SIGKILL
            for t in tasks {
                let _ = t.await;
            }
        });
        child.wait().unwrap();
        eprintln!("round {round}: {} receipts so far", receipts.lock().unwrap().len());
    }
    assert!(
        !receipts.lock().unwrap().is_empty(),
        "no submission was acknowledged; the test proved nothing"
    );

    // A last start verifies everything, then SIGTERM stops it cleanly.
    let (child, url) = serve(&data);
    rt.block_on(async {
        let http = reqwest::Client::new();
        let acked = receipts.lock().unwrap().clone();
        for (index, hash) in acked {
            let e: serde_json::Value = http
                .get(format!("{url}/v1/entries/{index}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(e["leaf_hash"].as_str().unwrap(), hash, "entry {index} changed");
        }
    });
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "SIGTERM did not stop the server cleanly: {:?}", out.status);
    let o = run(&["audit", "--data", &data], "");
    assert!(o.status.success(), "audit after the crashes: {}", err(&o));
}
