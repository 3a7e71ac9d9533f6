//! A TSA that never answers holds only the submissions that need its token:
//! admission obtains the platform's timestamp before a submission is queued,
//! so the sequencer never waits on the network.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::post;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

/// A TSA that accepts connections, reads the request, and never answers
/// until `release` turns true; then it closes every connection. Each
/// request it has read is announced on the returned channel.
async fn silent_tsa(release: watch::Receiver<bool>) -> (String, mpsc::UnboundedReceiver<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (seen, heard) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            let (seen, mut release) = (seen.clone(), release.clone());
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while conn.readable().await.is_ok() {
                    match conn.try_read(&mut buf) {
                        Ok(0) => break,
                        Ok(_) => {
                            let _ = seen.send(());
                            break;
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                        Err(_) => break,
                    }
                }
                let _ = release.wait_for(|r| *r).await;
                drop(conn);
            });
        }
    });
    (format!("http://{addr}/tsa"), heard)
}

fn document(document_type: &str, n: u8) -> Value {
    json!({"kind": "document", "tender": "ZB2026-STALL", "body": {
        "document_type": document_type, "sha256": format!("{n:02x}").repeat(32), "size": 100,
        "media_type": "application/pdf"}})
}

/// Bounds a wait so a regression fails instead of hanging; never a timing
/// assertion (the order of events is what the test checks).
async fn bounded<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(120), f).await.expect("no answer within 120 s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_silent_tsa_delays_only_the_submissions_that_need_its_token() {
    let dir = tempfile::tempdir().unwrap();
    ledger::init(dir.path(), "stall.tenderlog.example/log", &ledger::SystemClock).unwrap();
    let submitter =
        api::tokens::create(dir.path(), "agency-01", api::tokens::Role::Submitter).unwrap();
    let admin = api::tokens::create(dir.path(), "operator", api::tokens::Role::Admin).unwrap();
    let (release, released) = watch::channel(false);
    let (url, mut heard) = silent_tsa(released).await;

    let mut config = api::ServerConfig::new(dir.path().to_owned());
    config.appender.tsa_urls = vec![url];
    let (running, base, stop) = common::start(config).await;
    let http = reqwest::Client::new();

    // A tender notice needs a trusted timestamp; a bid needs nothing.
    let pack = json!({"kind": "policy", "body": {"name": "stall-test", "version": 1, "rules": [
        {"document_type": "tender_notice", "signer_kinds": [], "seal_roles": [], "timestamp": true}
    ]}});
    let (st, r) = bounded(post(&http, &base, &admin, pack)).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");

    // The notice goes to admission, which asks the silent TSA for a token.
    let notice = {
        let (http, base, token) = (http.clone(), base.clone(), submitter.clone());
        tokio::spawn(async move { post(&http, &base, &token, document("tender_notice", 1)).await })
    };
    // Wait until the TSA holds the notice's request: two requests, the
    // notice's and the checkpoint stamper's (which asks for one token at a
    // time, so it holds at most one).
    for _ in 0..2 {
        bounded(heard.recv()).await.unwrap();
    }

    // Meanwhile, submissions that need no token get their receipts.
    for (n, body) in [
        (2, document("bid", 2)),
        (
            3,
            json!({"kind": "schedule", "tender": "ZB2026-STALL",
                   "body": {"bid_deadline_ms": 1_900_000_000_000u64, "opening_ms": 1_900_000_000_000u64}}),
        ),
        (4, document("bid", 4)),
    ] {
        let (st, r) = bounded(post(&http, &base, &submitter, body)).await;
        assert_eq!(st, StatusCode::CREATED, "submission {n}: {r}");
        assert!(r["index"].is_u64(), "{r}");
    }
    assert!(!notice.is_finished(), "the notice was answered although its TSA never was");

    // The TSA goes away: the notice is refused for want of a token, and the
    // refusal is logged with a receipt.
    release.send(true).unwrap();
    let (st, r) = bounded(notice).await.unwrap();
    assert_eq!((st.as_u16(), r["code"].as_str()), (422, Some("rejected")), "{r}");
    assert!(r["rejection"]["index"].is_u64(), "{r}");

    let _ = stop.send(());
    bounded(running.task).await.unwrap().unwrap();
}
