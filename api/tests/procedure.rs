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
    let late_entry = logged;
    // The 422 answer itself is a receipt the offline verifier takes, and
    // it says what was refused and why.
    let vkey = std::fs::read_to_string(ledger::store::vkey_path(dir.path())).unwrap();
    let key = verifier::note::NoteVerifier::parse(vkey.trim()).unwrap();
    let report = verifier::report::verify_receipt(r.to_string().as_bytes(), &key, None).unwrap();
    assert!(report.verified, "{}", report.to_text());
    assert!(report.to_text().contains("bid · tender"), "{}", report.to_text());
    assert!(report.to_text().contains("REFUSED, not filed"), "{}", report.to_text());
    assert!(
        report.to_text().contains("refused by the procedure check: a bid received at"),
        "{}",
        report.to_text()
    );
    // A key of another log's origin fails the origin check by name.
    let other = verifier::note::NoteSigner::new(
        "other.tenderlog.example/log",
        ed25519_dalek::SigningKey::from_bytes(&[7; 32]),
    )
    .unwrap()
    .verifier();
    let report = verifier::report::verify_receipt(r.to_string().as_bytes(), &other, None).unwrap();
    let origin = report.checks.iter().find(|c| c.check.as_str() == "checkpoint origin and key");
    assert!(
        origin.is_some_and(|c| c.status == verifier::report::Status::Fail),
        "{}",
        report.to_text()
    );

    // A sealed bid after the deadline: refused, and its logged refusal
    // names neither bidder nor bid. The answer carries the opening, so the
    // bidder — and only the bidder — can link the refusal to the file: the
    // 422 answer is a receipt that opens the commitment, says what was
    // refused and why, and finds the file given as the refused one.
    let file = b"the late sealed bid of bidder A".to_vec();
    let sha = verifier::Hash(<sha2::Sha256 as sha2::Digest>::digest(&file).into());
    let sealed_bid = json!({"kind": "sealed_document", "tender": "ZB2026-HTTP-PROC", "body": {
        "document_type": "bid", "sha256": sha, "size": file.len(), "media_type": "application/pdf"}});
    let (st, r) = post(&http, &base, &bidder, sealed_bid).await;
    assert_eq!((st.as_u16(), r["code"].as_str()), (422, Some("rejected")), "{r}");
    assert_eq!(r["rejection"]["sealed"]["principal"], "bidder-a", "{r}");
    let leaf = &r["rejection"]["leaf"];
    let leaf =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, leaf.as_str().unwrap())
            .unwrap();
    let event = verifier::event::Event::decode(&leaf).unwrap();
    assert_eq!(event.principal, "sealed");
    assert!(!leaf.windows(32).any(|w| w == sha.0), "the public refusal names the bid");
    let given = verifier::report::GivenDocument::of_bytes("late-sealed-bid.pdf", &file);
    let report = verifier::report::verify_receipt_with(
        r.to_string().as_bytes(),
        &key,
        None,
        std::slice::from_ref(&given),
    )
    .unwrap();
    let text = report.to_text();
    let reveal = report.checks.iter().find(|c| c.check.as_str() == "commitment reveal");
    assert!(
        reveal.is_some_and(|c| c.status == verifier::report::Status::Pass),
        "the opening opens the logged commitment:\n{text}"
    );
    assert!(
        text.contains("REFUSED, not filed: this file was submitted as a 投标文件 bid"),
        "{text}"
    );
    assert!(text.contains("filed by \"bidder-a\""), "{text}");
    assert!(text.contains("(told to the submitter alone)"), "{text}");
    assert!(text.contains("refused by the procedure check"), "{text}");
    // Another file is not the refused one; an opening changed in one byte
    // does not open the commitment.
    let other = verifier::report::GivenDocument::of_bytes("other.pdf", b"another file");
    let report =
        verifier::report::verify_receipt_with(r.to_string().as_bytes(), &key, None, &[other])
            .unwrap();
    assert!(report.to_text().contains("not this file's"), "{}", report.to_text());
    let mut forged = r.clone();
    forged["rejection"]["sealed"]["principal"] = json!("bidder-b");
    let report =
        verifier::report::verify_receipt(forged.to_string().as_bytes(), &key, None).unwrap();
    assert!(!report.verified, "{}", report.to_text());
    let logged = logged + 1;

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

    // The tender's bundle, downloaded: the late bid given as a file is
    // found REFUSED at the entry its refusal answer named, with the reason.
    let zip = http
        .get(format!("{base}/v1/bundles?tender=ZB2026-HTTP-PROC"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let bundle = verifier::bundle::Bundle::from_zip(&zip).unwrap();
    let late = verifier::report::GivenDocument {
        name: "late-bid.pdf".into(),
        sha256: verifier::Hash([0x02; 32]),
        sm3: None,
        ofd: None,
    };
    let report =
        verifier::report::verify_bundle(&bundle, Some(std::slice::from_ref(&key)), &[late]);
    let found = &report.documents[0];
    assert_eq!(
        (found["refused"].as_bool(), found["entry"].as_u64()),
        (Some(true), Some(late_entry))
    );
    assert!(
        report.to_text().contains("\"late-bid.pdf\" was REFUSED, not filed"),
        "{}",
        report.to_text()
    );
    let filing = report.filings.iter().find(|f| f.entry == late_entry).unwrap();
    assert_eq!(filing.fate, verifier::filing::Fate::Refused);

    let _ = stop.send(());
    running.task.await.unwrap().unwrap();
}

fn registration(tender: &str) -> Value {
    json!({"kind": "registration", "tender": tender, "body": {
        "project": "教学楼施工",
        "tenderer": {"name": "某市第一中学", "uscc": "91350100M000100Y43", "principals": ["school"]},
        "agency": {"name": "某招标代理有限公司", "uscc": "91110000600037341L",
                   "principals": ["agency-01"]},
        "method": "open", "prequalification": false, "must_tender": true, "state_capital": true,
        "estimate_fen": 500000000, "max_price_fen": null, "bid_security_fen": 8000000,
        "bid_validity_days": 90, "supervisors": []}})
}

fn document(tender: &str, kind: &str, n: u8) -> Value {
    json!({"kind": "document", "tender": tender, "body": {
        "document_type": kind, "sha256": format!("{n:02x}").repeat(32), "size": 100,
        "media_type": "application/pdf"}})
}

/// The probe, replayed: in a registered tender a bidder's token can
/// file neither an award notice, an amendment nor a schedule (403
/// `not_entitled`, nothing logged); the agency cannot bid; a second
/// registration is refused; the owner and the bidder file what is theirs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_tender_refuses_filings_from_the_wrong_party() {
    let dir = tempfile::tempdir().unwrap();
    ledger::init(dir.path(), "roles.tenderlog.example/log", &ledger::SystemClock).unwrap();
    let agency =
        api::tokens::create(dir.path(), "agency-01", api::tokens::Role::Submitter).unwrap();
    let bidder = api::tokens::create(dir.path(), "bidder-a", api::tokens::Role::Submitter).unwrap();
    let (running, base, stop) = common::start(api::ServerConfig::new(dir.path().to_owned())).await;
    let http = reqwest::Client::new();
    let t = "ZB2026-HTTP-ROLES";

    // A bidder cannot register a tender it does not own.
    let (st, r) = post(&http, &base, &bidder, registration(t)).await;
    assert_eq!((st.as_u16(), r["code"].as_str()), (403, Some("not_entitled")), "{r}");
    let (st, r) = post(&http, &base, &agency, registration(t)).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let size = r["index"].as_u64().unwrap() + 1;

    for forged in [
        document(t, "award_notice", 1),
        document(t, "tender_documents_amendment", 2),
        json!({"kind": "schedule", "tender": t,
               "body": {"bid_deadline_ms": 4_102_444_800_000u64, "opening_ms": 4_102_444_800_000u64}}),
    ] {
        let (st, r) = post(&http, &base, &bidder, forged.clone()).await;
        assert_eq!((st.as_u16(), r["code"].as_str()), (403, Some("not_entitled")), "{forged}: {r}");
    }
    let (st, r) = post(&http, &base, &agency, document(t, "bid", 3)).await;
    assert_eq!((st.as_u16(), r["code"].as_str()), (403, Some("not_entitled")), "{r}");
    let (st, r) = post(&http, &base, &agency, registration(t)).await;
    assert_eq!(st, StatusCode::OK, "the same registration again is a duplicate: {r}");
    let mut changed = registration(t);
    changed["body"]["project"] = json!("another project");
    let (st, r) = post(&http, &base, &agency, changed).await;
    assert_eq!((st.as_u16(), r["code"].as_str()), (403, Some("not_entitled")), "{r}");

    // Nothing of that was logged: the next entry follows the registration.
    let (st, r) = post(&http, &base, &agency, document(t, "tender_notice", 4)).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    assert_eq!(r["index"].as_u64(), Some(size), "{r}");
    let mut sealed = document(t, "bid", 5);
    sealed["kind"] = json!("sealed_document");
    let (st, r) = post(&http, &base, &bidder, sealed).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    // In the open, a bid is refused (and the refusal logged): 办法 26.
    let (st, r) = post(&http, &base, &bidder, document(t, "bid", 6)).await;
    assert_eq!(
        (st.as_u16(), r["code"].as_str(), r["check"].as_str()),
        (422, Some("rejected"), Some("procedure")),
        "{r}"
    );

    let _ = stop.send(());
    running.task.await.unwrap().unwrap();
}
