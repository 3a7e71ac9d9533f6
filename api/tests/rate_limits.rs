//! Rate limits: a token over its submission rate gets 429 `rate_limited`
//! with `Retry-After`, while another token goes on; an address over its
//! rate of expensive reads (bundles, timelines, reports) gets the same,
//! while cheap reads (checkpoint, proofs) go on; after the wait, both
//! clients are served again. Counted in `/metrics`.
#![allow(clippy::unwrap_used)]

mod common;

use common::post;
use reqwest::StatusCode;
use serde_json::json;

fn doc(n: u32) -> serde_json::Value {
    json!({"kind": "document", "tender": "ZB2026-RATE", "body": {
        "document_type": "tender_notice", "sha256": format!("{n:064x}"), "size": 1,
        "media_type": "application/pdf"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_over_their_rate_wait_and_others_do_not() {
    let dir = tempfile::tempdir().unwrap();
    ledger::init(dir.path(), "rate.tenderlog.example/log", &ledger::SystemClock).unwrap();
    let busy = api::tokens::create(dir.path(), "agency-01", api::tokens::Role::Submitter).unwrap();
    let calm = api::tokens::create(dir.path(), "agency-02", api::tokens::Role::Submitter).unwrap();
    let mut config = api::ServerConfig::new(dir.path().to_owned());
    config.rate_writes_per_token = 2;
    config.rate_heavy_per_address = 1;
    let (running, base, stop) = common::start(config).await;
    let http = reqwest::Client::new();

    // A burst of twice the rate, then 429 for this token only.
    let mut limited = None;
    for n in 0..10 {
        let (st, r) = post(&http, &base, &busy, doc(n)).await;
        if st == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
        assert_eq!(st, StatusCode::CREATED, "{r}");
    }
    let r = limited.expect("the busy token was limited");
    assert_eq!(r["code"], "rate_limited", "{r}");
    let (st, r) = post(&http, &base, &calm, doc(100)).await;
    assert_eq!(st, StatusCode::CREATED, "another token is not slowed: {r}");

    // Expensive reads from this address: two, then 429 with Retry-After;
    // the checkpoint is still served.
    let bundle = format!("{base}/v1/bundles?tender=ZB2026-RATE");
    let mut answer = None;
    for _ in 0..5 {
        let r = http.get(&bundle).send().await.unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            answer = Some(r);
            break;
        }
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = answer.expect("the address was limited");
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["code"], "rate_limited");
    let r = http.get(format!("{base}/v1/checkpoint")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "cheap reads go on");

    // After the wait, served again.
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    assert_eq!(http.get(&bundle).send().await.unwrap().status(), StatusCode::OK);
    let (st, r) = post(&http, &base, &busy, doc(200)).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    // A submission without a token counts as refused.
    let r = http.post(format!("{base}/v1/events")).json(&doc(300)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let metrics = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.lines().any(|l| l.starts_with("tenderlog_refused_total ") && !l.ends_with(" 0")),
        "{metrics}"
    );
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("tenderlog_rate_limited_total ") && !l.ends_with(" 0")),
        "{metrics}"
    );

    let _ = stop.send(());
    running.task.await.unwrap().unwrap();
}
