//! Two front-ends on one log in PostgreSQL, 32 submitters each: the one
//! holding the sequencer lock appends, the other forwards to it; the same
//! document sent to both gives one entry. The sequencer is killed halfway:
//! the standby takes over within seconds and goes on. Every receipt either
//! returned verifies against the final checkpoint, no index is used twice,
//! and the audit of the database passes. A sequencer that loses its lock
//! while it runs steps down to a standby by itself.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::frontends::{
    Receipt, check_served, load, no_index_twice, post_doc, serve, stop, two_data_dirs,
    verify_against_final,
};
use common::{doc_line, err, run};

#[test]
fn two_front_ends_one_killed_halfway_lose_nothing_and_fork_nothing() {
    let Some(db) = tenderlog_tests::pg::database("the two front-ends test") else { return };
    // The second front-end: its own data directory, with the log's keys.
    let (t, dir, second, token) = two_data_dirs(&db.url);
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

/// A sequencer that loses its lock while it runs (its lock's connection
/// ended, as a partition would, and another process took the lock) steps
/// down to a standby by itself, though nothing ended its process and the
/// head is still the one it committed; once the lock is free again one of
/// the two front-ends takes over, and a document sent to the one that
/// stepped down gets its receipt; the same content through the other gives
/// the same entry, nothing forks, and the audit passes.
#[test]
fn a_sequencer_that_loses_its_lock_steps_down_and_forwards() {
    let Some(db) = tenderlog_tests::pg::database("the step-down test") else { return };
    let (_t, dir, second, token) = two_data_dirs(&db.url);
    let (a, b) = (dir.to_str().unwrap().to_owned(), second.to_str().unwrap().to_owned());
    let (first, url_a) = serve(&a, &db.url);
    let (standby, url_b) = serve(&b, &db.url);
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let post = |url: String, n: u64| {
        let token = token.clone();
        async move {
            let mut body: serde_json::Value =
                serde_json::from_str(&doc_line(n, "T-step-down")).unwrap();
            body.as_object_mut().unwrap().remove("principal");
            let r = reqwest::Client::new()
                .post(format!("{url}/v1/events"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let sequences = |url: String| async move {
        let h: serde_json::Value =
            reqwest::get(format!("{url}/healthz")).await.unwrap().json().await.unwrap();
        h["sequencer"].as_bool().unwrap_or_else(|| panic!("/healthz says no role: {h}"))
    };
    rt.block_on(async {
        let (status, receipt) = post(url_a.clone(), 1).await;
        assert_eq!(status, 201, "{receipt}");
        assert!(sequences(url_a.clone()).await);
        assert!(!sequences(url_b.clone()).await);
    });

    // Another process waits for the lock (a waiter is granted it before
    // any later try, so neither front-end can take it first); then the
    // first front-end's lock connection ends. The first keeps running.
    let key = tenderlog_tests::pg::SEQUENCER_LOCK;
    let (granted_tx, granted) = std::sync::mpsc::channel();
    let (release, release_rx) = std::sync::mpsc::channel::<()>();
    let mut other = db.client();
    let holder = std::thread::spawn(move || {
        other.query_one("SELECT pg_advisory_lock($1)", &[&key]).unwrap();
        granted_tx.send(()).unwrap();
        let _ = release_rx.recv();
    });
    let mut admin = db.client();
    let deadline = Instant::now() + Duration::from_secs(20);
    let waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";
    while admin.query_one(waiting, &[]).unwrap().get::<_, i64>(0) != 1 {
        assert!(Instant::now() < deadline, "the other process never waited for the lock");
        std::thread::sleep(Duration::from_millis(10));
    }
    db.end_lock_connection();
    let lost = Instant::now();
    granted.recv_timeout(Duration::from_secs(20)).expect("the other process got the lock");
    rt.block_on(async {
        while sequences(url_a.clone()).await {
            assert!(Instant::now() < deadline, "the first did not step down within 20 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        eprintln!("stepped down {} ms after its lock was lost", lost.elapsed().as_millis());
        assert!(!sequences(url_b.clone()).await, "the standby sequenced without the lock");
    });

    // The lock is free again: one of the two takes over.
    release.send(()).unwrap();
    holder.join().unwrap();
    rt.block_on(async {
        let (status, receipt) = loop {
            let (status, receipt) = post(url_a.clone(), 2).await;
            if status != 503 {
                break (status, receipt);
            }
            assert!(Instant::now() < deadline, "no front-end took over: {receipt}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(status, 201, "{receipt}");
        assert_eq!(receipt["index"], 1, "{receipt}");
        let (status, again) = post(url_b.clone(), 2).await;
        assert_eq!((status, &again["index"]), (200, &receipt["index"]), "{again}");
        let roles = (sequences(url_a.clone()).await, sequences(url_b.clone()).await);
        assert!(roles == (true, false) || roles == (false, true), "roles {roles:?}");
        let cp = reqwest::get(format!("{url_b}/v1/checkpoint")).await.unwrap();
        let text = cp.text().await.unwrap();
        assert_eq!(text.lines().nth(1), Some("2"), "two entries, no more: {text}");
    });
    stop(first, "the front-end that stepped down");
    stop(standby, "the other front-end");
    let o = run(&["audit", "--store", &db.url], "");
    assert!(o.status.success(), "audit: {}", err(&o));
}

/// Two front-ends of a log in PostgreSQL with the same witness policy:
/// only the sequencer asks the witness; the standby serves the cosigned
/// checkpoint the sequencer kept in the database (its own per-witness size
/// stays 0: it never asked). Once the sequencer is killed, the standby
/// takes over and asks the witness itself.
#[test]
fn only_the_sequencer_asks_the_witnesses() {
    use common::witnesses::{make_witness, wait_cosigned, witness_process};
    let Some(db) = tenderlog_tests::pg::database("the witnesses-of-front-ends test") else {
        return;
    };
    let (t, dir, second, token) = two_data_dirs(&db.url);
    let log_vkey = std::fs::read_to_string(dir.join("log.vkey")).unwrap().trim().to_owned();
    let wdir = t.path().join("witness");
    let wkey = make_witness(&wdir, "witness.fgw.example.gov.cn", &log_vkey);
    let (mut witness, wurl) = witness_process(&wdir);
    let policy = t.path().join("policy.txt");
    std::fs::write(&policy, format!("log {log_vkey}\nwitness fgw {wkey} {wurl}\nquorum fgw\n"))
        .unwrap();
    let with_policy = |data: &std::path::Path| {
        common::serve(
            data.to_str().unwrap(),
            &[
                "--store",
                &db.url,
                "--heartbeat-secs",
                "1",
                "--witness-policy",
                policy.to_str().unwrap(),
            ],
        )
    };
    let (mut first, url_a) = with_policy(&dir);
    let (standby, url_b) = with_policy(&second);
    let post = |url: &str, n: u64| {
        let (status, body) = post_doc(url, &token, n, "T-witnessed");
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    };
    for n in 0..3 {
        post(&url_b, n); // forwarded to the sequencer
    }
    let on_a = wait_cosigned(&url_a, 3);
    assert_eq!((&on_a["asking"], &on_a["witnesses"]["fgw"]["size"]), (&true.into(), &3.into()));
    let on_b = wait_cosigned(&url_b, 3);
    assert_eq!(on_b["asking"], false, "{on_b}");
    assert_eq!(on_b["witnesses"]["fgw"]["size"], 0, "the standby asked the witness: {on_b}");
    let note = reqwest::blocking::get(format!("{url_b}/checkpoint")).unwrap().text().unwrap();
    let parsed = verifier::note::Note::parse(note.as_bytes()).unwrap();
    assert!(
        verifier::cosignature::CosignerKey::parse(&wkey).unwrap().verify(&parsed).is_ok(),
        "the standby's /checkpoint is not the cosigned one: {note}"
    );

    // The sequencer dies: the standby sequences and asks the witness.
    first.kill().unwrap();
    first.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let h: serde_json::Value =
            reqwest::blocking::get(format!("{url_b}/healthz")).unwrap().json().unwrap();
        if h["sequencer"] == true {
            break;
        }
        assert!(Instant::now() < deadline, "the standby did not take over: {h}");
        std::thread::sleep(Duration::from_millis(50));
    }
    post(&url_b, 3);
    let on_b = wait_cosigned(&url_b, 4);
    assert_eq!(on_b["asking"], true, "{on_b}");
    assert!(on_b["witnesses"]["fgw"]["size"].as_u64() >= Some(4), "{on_b}");
    stop(standby, "the front-end that took over");
    witness.kill().unwrap();
    witness.wait().unwrap();
}

/// `tenderlog key rotate --store`: refused while a front-end sequences the
/// log (it holds the database's sequencer lock); with the front-ends
/// stopped it rotates in one data directory and records the history in the
/// database. A front-end whose directory still holds the retired key
/// refuses to start and says what to copy; once copied, both front-ends
/// serve, the log signs with the new key, and receipts from before and
/// after verify from the old key through the history the server publishes.
#[test]
fn a_key_rotation_of_a_log_in_postgresql() {
    use verifier::log_keys::{KeyHistory, LogKeys};
    use verifier::note::NoteVerifier;
    let Some(db) = tenderlog_tests::pg::database("the PostgreSQL key-rotation test") else {
        return;
    };
    let (_t, dir, second, token) = two_data_dirs(&db.url);
    let (a, b) = (dir.to_str().unwrap().to_owned(), second.to_str().unwrap().to_owned());
    let old_text = std::fs::read_to_string(dir.join("log.vkey")).unwrap().trim().to_owned();
    let old = NoteVerifier::parse(&old_text).unwrap();
    let post = |url: &str, n: u64| -> Vec<u8> {
        let (status, body) = post_doc(url, &token, n, "T-rotate");
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        body
    };
    let rotate =
        |data: &str| run(&["key", "rotate", "--data", data, "--store", &db.url, "--json"], "");

    let (first, url_a) = serve(&a, &db.url);
    let before: Vec<Vec<u8>> = (0..2).map(|n| post(&url_a, n)).collect();
    let o = rotate(&b);
    assert!(!o.status.success(), "rotated while a front-end sequenced");
    assert!(err(&o).contains("is the sequencer of this PostgreSQL log"), "{}", err(&o));
    assert_eq!(std::fs::read_to_string(second.join("log.vkey")).unwrap().trim(), old_text);
    stop(first, "the sequencer");

    let o = rotate(&b);
    assert!(o.status.success(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((v["old_key"].as_str(), &v["tree_size"]), (Some(old_text.as_str()), &2.into()));
    let new = NoteVerifier::parse(v["new_key"].as_str().unwrap()).unwrap();
    assert_ne!(new, old);

    // The other front-end still holds the retired key: it says so.
    let mut refused = common::bin()
        .args(["serve", "--data", &a, "--store", &db.url, "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = refused.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            refused.kill().unwrap();
            panic!("a front-end with the retired key started");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let said = refused.wait_with_output().unwrap();
    assert!(!status.success());
    let said = String::from_utf8_lossy(&said.stderr);
    assert!(said.contains("retired key") && said.contains("copy log.key"), "{said}");

    for f in ["log.key", "log.vkey"] {
        std::fs::copy(second.join(f), dir.join(f)).unwrap();
    }
    let (first, url_a) = serve(&a, &db.url);
    let (other, url_b) = serve(&b, &db.url);
    let after: Vec<Vec<u8>> = (2..4).map(|n| post(&url_b, n)).collect();
    let history = reqwest::blocking::get(format!("{url_a}/key-history.json")).unwrap();
    let history = KeyHistory::parse(&history.bytes().unwrap()).unwrap();
    let o = run(&["key", "history", "--data", &a, "--store", &db.url], "");
    assert_eq!(KeyHistory::parse(&o.stdout).unwrap(), history);
    let keys = LogKeys::follow(old.name(), std::slice::from_ref(&old), Some(&history)).unwrap();
    assert_eq!(*keys.current(), new);
    for r in before.iter().chain(&after) {
        let report = verifier::report::verify_receipt(r, &keys, None).unwrap();
        assert!(report.verified, "{}", report.to_text());
    }
    for r in &after {
        assert!(!verifier::report::verify_receipt(r, &old, None).unwrap().verified);
    }
    stop(first, "a front-end");
    stop(other, "a front-end");
    let o = run(&["audit", "--store", &db.url], "");
    assert!(o.status.success(), "audit: {}", err(&o));
}
