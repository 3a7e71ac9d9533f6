//! The tender procedure over HTTP: a bid at the deadline gets 422
//! `rejected` with check `procedure` and a receipt for the logged refusal;
//! a schedule change after the deadline gets 422 `invalid_submission` and
//! nothing is logged. The server judges by its own clock (the platform's
//! received time), so the test sets a deadline a moment ahead and waits.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::post;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn bid(n: u8) -> Value {
    json!({"kind": "document", "tender": "ZB2026-HTTP-PROC", "body": {
        "document_type": "bid", "sha256": format!("{n:02x}").repeat(32), "size": 100,
        "media_type": "application/pdf"}})
}

fn schedule(at_ms: u64) -> Value {
    json!({"kind": "schedule", "tender": "ZB2026-HTTP-PROC",
           "body": {"bid_deadline_ms": at_ms, "opening_ms": at_ms}})
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_bid_is_refused_with_a_receipt_and_the_schedule_is_fixed() {
    let dir = tempfile::tempdir().unwrap();
    ledger::init(dir.path(), "proc.tenderlog.example/log", &ledger::SystemClock).unwrap();
    let agency =
        api::tokens::create(dir.path(), "agency-01", api::tokens::Role::Submitter).unwrap();
    let bidder = api::tokens::create(dir.path(), "bidder-a", api::tokens::Role::Submitter).unwrap();
    let (running, base, stop) = common::start(api::ServerConfig::new(dir.path().to_owned())).await;
    let http = reqwest::Client::new();

    // A deadline far enough ahead for the first bid to arrive before it.
    let deadline = now_ms() + 3_000;
    let (st, r) = post(&http, &base, &agency, schedule(deadline)).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let (st, r) = post(&http, &base, &bidder, bid(1)).await;
    assert_eq!(st, StatusCode::CREATED, "the bid before the deadline: {r}");

    while now_ms() <= deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (st, r) = post(&http, &base, &bidder, bid(2)).await;
    assert_eq!(
        (st.as_u16(), r["code"].as_str(), r["check"].as_str()),
        (422, Some("rejected"), Some("procedure")),
        "{r}"
    );
    assert!(r["rejection"]["index"].is_u64(), "a receipt for the logged refusal: {r}");
    let logged = r["rejection"]["index"].as_u64().unwrap();

    // Moving the deadline now is refused, and nothing is logged.
    let (st, r) = post(&http, &base, &agency, schedule(deadline + 3_600_000)).await;
    assert_eq!((st.as_u16(), r["code"].as_str()), (422, Some("invalid_submission")), "{r}");
    let (st, r) = post(&http, &base, &bidder, bid(3)).await;
    assert_eq!(st.as_u16(), 422, "{r}");
    assert_eq!(
        r["rejection"]["index"].as_u64(),
        Some(logged + 1),
        "only the refusals were logged: {r}"
    );

    let _ = stop.send(());
    running.task.await.unwrap().unwrap();
}
