//! Two front-ends on one log in PostgreSQL, 32 submitters each: the one
//! holding the sequencer lock appends, the other forwards to it; the same
//! document sent to both gives one entry. The sequencer is killed halfway:
//! the standby takes over within seconds and goes on. Every receipt either
//! returned verifies against the final checkpoint, no index is used twice,
//! and the audit of the database passes.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::frontends::{
    Receipt, check_served, load, log_in_postgres, no_index_twice, serve, stop, verify_against_final,
};
use common::{doc_line, err, run};

#[test]
fn two_front_ends_one_killed_halfway_lose_nothing_and_fork_nothing() {
    let Some(db) = tenderlog_tests::pg::database("the two front-ends test") else { return };
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("a");
    let token = log_in_postgres(&dir, &db.url);
    // The second front-end: its own data directory, with the log's keys.
    let second = t.path().join("b");
    let cp = std::process::Command::new("cp").arg("-a").arg(&dir).arg(&second).status();
    assert!(cp.unwrap().success());
    let (a, b) = (dir.to_str().unwrap().to_owned(), second.to_str().unwrap().to_owned());

    let (mut first, url_a) = serve(&a, &db.url);
    let (standby, url_b) = serve(&b, &db.url);
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();

    // The same content through both front-ends: one entry.
    rt.block_on(async {
        let http = reqwest::Client::new();
        let mut body: serde_json::Value = serde_json::from_str(&doc_line(7, "T-same")).unwrap();
        body.as_object_mut().unwrap().remove("principal");
        let mut answers = Vec::new();
        for url in [&url_a, &url_b] {
            let r = http
                .post(format!("{url}/v1/events"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            answers.push((status, r.json::<serde_json::Value>().await.unwrap()));
        }
        assert_eq!(answers[0].0, 201, "{:?}", answers[0].1);
        assert_eq!(answers[1].0, 200, "the second front-end made a second entry: {:?}", answers[1]);
        assert_eq!(answers[0].1["index"], answers[1].1["index"]);
        assert_eq!(answers[1].1["duplicate"], true);
    });

    // A third front-end: a standby serves reads, says it is healthy while
    // the log is being signed, and stops cleanly on SIGTERM.
    let third = t.path().join("c");
    let cp = std::process::Command::new("cp").arg("-a").arg(&dir).arg(&third).status();
    assert!(cp.unwrap().success());
    // The sequencer keeps its checkpoint tokens in the database, not in its
    // data directory: every front-end serves them.
    assert!(!third.join("timestamps.db").exists(), "the sequencer stamped into its data directory");
    let (c, url_c) = serve(third.to_str().unwrap(), &db.url);
    rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let r = reqwest::get(format!("{url_c}/v1/checkpoint/timestamp?size=1")).await.unwrap();
            if r.status() == 200 {
                let v: serde_json::Value = r.json().await.unwrap();
                assert_eq!(v["size"], 1, "{v}");
                break;
            }
            assert_eq!(r.status(), 404, "{}", r.text().await.unwrap());
            assert!(Instant::now() < deadline, "the standby never served the sequencer's token");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let cp = reqwest::get(format!("{url_c}/v1/checkpoint")).await.unwrap();
        assert_eq!(cp.status(), 200);
        let text = cp.text().await.unwrap();
        assert_eq!(text.lines().nth(1), Some("1"), "the standby reads the log: {text}");
        let h: serde_json::Value =
            reqwest::get(format!("{url_c}/healthz")).await.unwrap().json().await.unwrap();
        assert_eq!(h["ok"], true, "{h}");
        assert_eq!(h["tree_size"], 1, "{h}");
    });
    stop(c, "a standby front-end");

    // 32 submitters on each front-end; the sequencer dies halfway.
    let receipts: Arc<Mutex<Vec<Receipt>>> = Arc::default();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let on_a = rt.spawn(load(url_a, token.clone(), 32, 0, receipts.clone(), stop_rx.clone()));
    let on_b = rt.spawn(load(url_b.clone(), token, 32, 10_000_000, receipts.clone(), stop_rx));
    std::thread::sleep(Duration::from_millis(1500));
    let before = receipts.lock().unwrap().len();
    let killed = Instant::now();
    first.kill().unwrap(); // SIGKILL: its sequencer lock goes with its connection
    first.wait().unwrap();
    let deadline = killed + Duration::from_secs(20);
    // The first receipt for a request sent after the kill: only a new
    // sequencer can have answered it.
    while !receipts.lock().unwrap().iter().any(|r| r.3 > killed) {
        assert!(Instant::now() < deadline, "the standby did not take over within 20 s");
        std::thread::sleep(Duration::from_millis(5));
    }
    eprintln!(
        "sequencer killed after {before} receipts; a receipt again {} ms later",
        killed.elapsed().as_millis()
    );
    std::thread::sleep(Duration::from_millis(1500));
    stop_tx.send(true).unwrap();
    rt.block_on(on_a).unwrap();
    rt.block_on(on_b).unwrap();
    let acked = receipts.lock().unwrap().clone();
    assert!(
        acked.iter().filter(|r| r.3 > killed).count() > 100,
        "too few receipts after the takeover"
    );
    no_index_twice(&acked);
    rt.block_on(check_served(&url_b, &acked, "after the takeover"));
    rt.block_on(verify_against_final(&url_b, &dir, &acked));
    stop(standby, "the front-end that took over");
    let o = run(&["audit", "--store", &db.url], "");
    assert!(o.status.success(), "audit: {}", err(&o));
}
