//! The ledger on PostgreSQL, end to end: `tenderlog serve --store` runs the
//! sequencer, reads and lookups there, while submitters keep posting; the
//! front-end is killed (SIGKILL) at random moments, and PostgreSQL itself
//! is stopped at once (`pg_ctl stop -m immediate`, as a power cut) under
//! load and started again. After each, every receipt the server returned
//! names an entry still in the log, at the same index with the same leaf
//! hash, every receipt verifies against the final checkpoint, no index is
//! used twice, and the audit of the database passes. A second front-end on
//! the same database cannot become a second sequencer.
//!
//! Needs the test cluster of `.ci/postgres`; it stops and starts that
//! cluster, so this file holds one test.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::{doc_line, err, init, run};

/// A receipt as the server returned it: index, leaf hash, the whole body.
type Receipt = (u64, String, serde_json::Value);

/// Submits from 8 tasks until `stop` says so; collects the receipts.
async fn load(
    url: String,
    token: String,
    first: u64,
    sink: Arc<Mutex<Vec<Receipt>>>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let mut tasks = Vec::new();
    for c in 0..8u64 {
        let (http, url, token, sink, stop) =
            (http.clone(), url.clone(), token.clone(), sink.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                if *stop.borrow() {
                    return;
                }
                let mut body: serde_json::Value =
                    serde_json::from_str(&doc_line(first + c * 100_000 + i, &format!("T-{c}")))
                        .unwrap();
                body.as_object_mut().unwrap().remove("principal");
                let sent = http
                    .post(format!("{url}/v1/events"))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await;
                let Ok(r) = sent else {
                    // The server is gone (killed): stop; refused: try again.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                if !r.status().is_success() {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                let Ok(v) = r.json::<serde_json::Value>().await else { continue };
                let index = v["index"].as_u64().unwrap();
                let hash = v["leaf_hash"].as_str().unwrap().to_owned();
                sink.lock().unwrap().push((index, hash, v));
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

fn serve(data: &str, store: &str) -> (Child, String) {
    common::serve(data, &["--store", store, "--heartbeat-secs", "1"])
}

/// Every acknowledged entry is served, unchanged.
async fn check_acked(url: &str, acked: &[Receipt], when: &str) {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    for (index, hash, _) in acked {
        let r = http.get(format!("{url}/v1/entries/{index}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{when}: acknowledged entry {index} is gone");
        let e: serde_json::Value = r.json().await.unwrap();
        assert_eq!(e["leaf_hash"].as_str().unwrap(), hash, "{when}: entry {index} changed");
    }
}

/// The log's keys, as a verifier anchors them.
fn log_keys(dir: &std::path::Path) -> verifier::log_keys::LogKeys {
    let keys = format!(
        "{}\n{}",
        std::fs::read_to_string(dir.join("log.vkey")).unwrap().trim(),
        std::fs::read_to_string(dir.join("log-mldsa44.vkey")).unwrap().trim()
    );
    let anchors = verifier::log_keys::LogAnchor::parse_lines(&keys).unwrap();
    let origin = verifier::log_keys::LogAnchor::origin(&anchors).unwrap();
    verifier::log_keys::LogKeys::from_anchors(origin, &anchors, None).unwrap()
}

#[test]
fn the_log_on_postgresql_survives_killed_front_ends_and_a_database_crash() {
    let Some(db) = tenderlog_tests::pg::database("the PostgreSQL crash test") else { return };
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("log");
    init(&dir, "pg-crash.example/log");
    let data = dir.to_str().unwrap().to_owned();
    let o = run(&["migrate", "--from", &data, "--to", &db.url], "");
    assert!(o.status.success(), "migrate: {}", err(&o));
    // The log now lives in the database: take the directory's copy away, so
    // that nothing can be read from it by mistake.
    for f in ["tenderlog.db", "tenderlog.db-wal", "tenderlog.db-shm", "index.db"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    let o = run(&["token", "create", "--data", &data, "--name", "agency-01"], "");
    assert!(o.status.success(), "{}", err(&o));
    let token = String::from_utf8(o.stdout).unwrap().trim().to_owned();

    let seed = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos() as u64;
    eprintln!("postgres crash test seed {seed}");
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let receipts: Arc<Mutex<Vec<Receipt>>> = Arc::default();
    let rounds = 4u64;
    for round in 0..rounds {
        let (mut child, url) = serve(&data, &db.url);
        rt.block_on(check_acked(
            &url,
            &receipts.lock().unwrap().clone(),
            &format!("round {round}"),
        ));
        if round == 0 {
            // A second front-end (its own data directory, with the keys) on
            // the same database is not a second sequencer: it says so.
            let second = t.path().join("second");
            let cp = std::process::Command::new("cp").arg("-a").arg(&dir).arg(&second).status();
            assert!(cp.unwrap().success());
            let second = second.to_str().unwrap();
            let o = run(
                &["serve", "--data", second, "--store", &db.url, "--listen", "127.0.0.1:0"],
                "",
            );
            assert!(!o.status.success(), "a second sequencer started");
            assert!(err(&o).contains("sequencer"), "{}", err(&o));
        }
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let load_task = rt.spawn(load(
            url.clone(),
            token.clone(),
            round * 1_000_000,
            receipts.clone(),
            stop_rx,
        ));
        let wait = Duration::from_millis(300 + (seed.rotate_left(round as u32 * 9) % 700));
        std::thread::sleep(wait);
        if round == rounds - 1 {
            // The database stops as in a power cut, under load; the server
            // stays up, fails what it cannot commit, and goes on once the
            // database is back.
            let before = receipts.lock().unwrap().len();
            tenderlog_tests::pg::stop_immediately();
            std::thread::sleep(Duration::from_millis(500));
            tenderlog_tests::pg::start();
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while receipts.lock().unwrap().len() < before + 50 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "no receipts after PostgreSQL came back (had {before})"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            stop_tx.send(true).unwrap();
            rt.block_on(load_task).unwrap();
            let pid = child.id().to_string();
            assert!(
                std::process::Command::new("kill")
                    .args(["-TERM", &pid])
                    .status()
                    .unwrap()
                    .success()
            );
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "SIGTERM after the database crash: {:?}", out.status);
        } else {
            child.kill().unwrap(); // SIGKILL, under load
            child.wait().unwrap();
            stop_tx.send(true).unwrap();
            rt.block_on(load_task).unwrap();
        }
        eprintln!("round {round}: {} receipts so far", receipts.lock().unwrap().len());
    }
    let acked = receipts.lock().unwrap().clone();
    assert!(acked.len() > 100, "only {} submissions were acknowledged", acked.len());

    // No index was used twice.
    let mut by_index: HashMap<u64, &str> = HashMap::new();
    for (index, hash, _) in &acked {
        if let Some(other) = by_index.insert(*index, hash) {
            assert_eq!(other, hash, "index {index} was acknowledged for two entries");
        }
    }

    // A last start: everything is there; every receipt verifies against the
    // final checkpoint with the offline verifier.
    let (child, url) = serve(&data, &db.url);
    rt.block_on(check_acked(&url, &acked, "after the crashes"));
    let final_checkpoint = rt.block_on(async {
        reqwest::get(format!("{url}/v1/checkpoint")).await.unwrap().text().await.unwrap()
    });
    let size = final_checkpoint.lines().nth(1).unwrap().parse::<u64>().unwrap();
    let keys = log_keys(&dir);
    rt.block_on(async {
        // Each receipt, with the proof that its checkpoint is a prefix of
        // the final one (one proof per checkpoint size).
        let mut proofs: HashMap<u64, Vec<verifier::Hash>> = HashMap::new();
        for (index, _, receipt) in &acked {
            let at = receipt["checkpoint"].as_str().unwrap().lines().nth(1).unwrap();
            let from: u64 = at.parse().unwrap();
            assert!(*index < size, "receipt {index} beyond the final checkpoint of {size}");
            if let std::collections::hash_map::Entry::Vacant(slot) = proofs.entry(from) {
                let c: serde_json::Value =
                    reqwest::get(format!("{url}/v1/proof/consistency?from={from}&to={size}"))
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                let proof = c["proof"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| verifier::Hash::from_hex(h.as_str().unwrap()).unwrap())
                    .collect();
                slot.insert(proof);
            }
            let newer = verifier::report::Newer {
                checkpoint: final_checkpoint.as_bytes(),
                proof: Some(proofs[&from].clone()),
            };
            let bytes = serde_json::to_vec(receipt).unwrap();
            let report = verifier::report::verify_receipt(&bytes, &keys, Some(newer)).unwrap();
            assert!(report.verified, "receipt {index}: {}", report.to_text());
        }
    });
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert!(child.wait_with_output().unwrap().status.success());

    // The audit of the database passes.
    let o = run(&["audit", "--store", &db.url], "");
    assert!(o.status.success(), "audit after the crashes: {}", err(&o));
}
