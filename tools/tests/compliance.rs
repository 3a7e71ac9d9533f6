//! One tender's compliance report, four ways: the ledger library
//! (`Store::compliance`), `tenderlog report --json`, `GET
//! /v1/tenders/{id}/compliance`, and the offline verifier on the tender's
//! bundle from `tenderlog bundle`. All four must be the same report.
//!
//! The tender is played on a manual clock through the whole procedure:
//! registration, documents, a schedule, three sealed bids, a late bid the
//! platform refuses, the opening, the award, and a contract signed on day
//! 37 — which only the report catches (招标投标法 art. 46, T29: the 30 days
//! from 2026-09-01 end on 10-01, a holiday, so run to 10-08).
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::{err, out, run};
use ledger::{Appender, AppenderConfig, ManualClock};
use serde_json::Value;
use verifier::Hash;
use verifier::event::{Body, Content, Document, DocumentType, Request, Schedule, SealRequest};

const T: &str = "ZB2026-COMPLIANCE";

/// `YYYY-MM-DD HH:MM` in Beijing time, as ms since the epoch.
fn at(day: &str, time: &str) -> u64 {
    let ts: jiff::Timestamp = format!("{day}T{time}:00+08:00").parse().unwrap();
    ts.as_millisecond() as u64
}

fn doc(kind: DocumentType, n: u8) -> Document {
    Document::new(kind, Hash([n; 32]), 100 + u64::from(n), "application/pdf")
}

fn log(principal: &str, body: Body) -> Request {
    Request::Log(Content { tender: T.into(), principal: principal.into(), body })
}

/// The fixture registration: the school tenders through agency-01.
fn registration() -> Body {
    tenderlog_tests::events::registration_event().body
}

fn play(dir: &std::path::Path) {
    ledger::init(dir, "compliance.tenderlog.example/log", &ManualClock::new(1)).unwrap();
    let clock = Arc::new(ManualClock::new(at("2026-08-03", "10:00")));
    let config = AppenderConfig {
        clock: clock.clone(),
        stamp_checkpoints: false,
        ..AppenderConfig::default()
    };
    let appender = Appender::open(dir, config).unwrap();
    let send = |ms: u64, r: Request| {
        clock.set(ms);
        appender.append(vec![r]).unwrap().pop().unwrap()
    };
    let deadline = at("2026-08-24", "09:30");
    send(at("2026-08-03", "10:00"), log("agency-01", registration())).unwrap();
    send(
        at("2026-08-03", "10:05"),
        log("agency-01", Body::Document(doc(DocumentType::TenderNotice, 1))),
    )
    .unwrap();
    send(
        at("2026-08-03", "10:06"),
        log("agency-01", Body::Document(doc(DocumentType::TenderDocuments, 2))),
    )
    .unwrap();
    send(
        at("2026-08-03", "10:07"),
        log("agency-01", Body::Schedule(Schedule::new(deadline, deadline))),
    )
    .unwrap();
    for n in 1..=3u8 {
        send(
            at("2026-08-20", "15:00") + u64::from(n),
            Request::Seal(SealRequest {
                tender: T.into(),
                principal: format!("bidder-{n}"),
                document: doc(DocumentType::Bid, 10 + n),
            }),
        )
        .unwrap();
    }
    // The platform refuses a bid a minute late, and logs the refusal.
    let late = send(
        deadline + 60_000,
        Request::Seal(SealRequest {
            tender: T.into(),
            principal: "bidder-4".into(),
            document: doc(DocumentType::Bid, 14),
        }),
    );
    assert!(late.is_err(), "a late bid is refused");
    // A bidder cannot file the award: refused, nothing logged.
    assert!(
        send(deadline, log("bidder-1", Body::Document(doc(DocumentType::AwardNotice, 20))))
            .is_err()
    );
    send(
        deadline + 120_000,
        log("agency-01", Body::Document(doc(DocumentType::OpeningRecord, 21))),
    )
    .unwrap();
    send(
        at("2026-09-01", "10:00"),
        log("agency-01", Body::Document(doc(DocumentType::AwardNotice, 22))),
    )
    .unwrap();
    send(at("2026-10-09", "10:00"), log("school", Body::Document(doc(DocumentType::Contract, 23))))
        .unwrap();
    drop(appender);
}

#[test]
fn the_compliance_report_is_the_same_from_the_ledger_the_cli_the_api_and_the_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    play(&dir);
    let d = dir.to_str().unwrap();

    // 1. The ledger library.
    let store = ledger::Store::open(&dir).unwrap();
    let (size, library) = store.compliance(T, Default::default()).unwrap().unwrap();
    drop(store);
    let library = serde_json::to_value(&library).unwrap();
    let verdict = |c: &Value, rule: &str| {
        c["verdicts"].as_array().unwrap().iter().find(|v| v["rule"] == rule).unwrap().clone()
    };
    let t29 = verdict(&library, "T29");
    assert_eq!(t29["outcome"], "fail", "{t29}");
    assert!(t29["detail"].as_str().unwrap().contains("ended 2026-10-08"), "{t29}");
    for rule in ["P01", "T04", "T12", "T15", "E26", "T17", "T18"] {
        assert_eq!(verdict(&library, rule)["outcome"], "pass", "{rule}: {library:#}");
    }

    // 2. The command line: the same report, and exit status 1 (a rule broken).
    let o = run(&["report", "--data", d, "--tender", T, "--json"], "");
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let cli: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(cli["tree_size"], size);
    assert_eq!(cli["compliance"], library);
    let o = run(&["report", "--data", d, "--tender", T], "");
    assert!(out(&o).contains("FAIL          T29"), "{}", out(&o));
    // As a page for people: Chinese first, the violation first, no script.
    let o = run(&["report", "--data", d, "--tender", T, "--html"], "");
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let page = out(&o);
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(page.contains("中标通知书发出之日起三十日内订立合同"), "{page}");
    let first = page.find("<tr class=\"").unwrap();
    assert!(page[first..].starts_with("<tr class=\"fail\""), "{page}");
    assert!(!page.contains("<script"), "{page}");
    let o = run(&["report", "--data", d, "--tender", T, "--html", "--json"], "");
    assert_eq!(o.status.code(), Some(2), "one format at a time");
    let o = run(&["report", "--data", d, "--tender", "no-such-tender"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("no events"), "{}", err(&o));

    // 3. The offline verifier, on the tender's bundle.
    let zip = tmp.path().join("tender.zip");
    let offline = || {
        let o = run(&["bundle", "--data", d, "--tender", T, "--out", zip.to_str().unwrap()], "");
        assert!(o.status.success(), "{}", err(&o));
        let bundle = verifier::bundle::Bundle::from_zip(&std::fs::read(&zip).unwrap()).unwrap();
        let report = verifier::report::verify_bundle(&bundle, None, &[]);
        assert!(report.verified, "{}", report.to_text());
        serde_json::to_value(report.compliance.unwrap()).unwrap()
    };
    assert_eq!(offline(), library);

    // 4. The API.
    let (mut server, base) = common::serve(d, &[]);
    let http = reqwest::blocking::Client::new();
    let r = http.get(format!("{base}/v1/tenders/{T}/compliance")).send().unwrap();
    assert_eq!(r.status(), 200);
    let api: Value = r.json().unwrap();
    assert_eq!(api["compliance"], library);
    let r = http
        .get(format!("{base}/v1/tenders/{T}/compliance?minimum_periods=whole-days"))
        .send()
        .unwrap();
    let whole: Value = r.json().unwrap();
    assert_eq!(whole["compliance"]["reading"]["minimum_periods"], "whole-days");
    let r = http.get(format!("{base}/v1/tenders/{T}/compliance?format=html")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert!(
        r.headers()["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'")
    );
    assert_eq!(r.text().unwrap(), page, "the same page as the command line's");
    for bad in ["?minimum_periods=weeks", "?extend_minimums=yes", "?other=1", "?format=pdf"] {
        let r = http.get(format!("{base}/v1/tenders/{T}/compliance{bad}")).send().unwrap();
        assert_eq!(r.status(), 400, "{bad}");
    }
    let r = http.get(format!("{base}/v1/tenders/nothing/compliance")).send().unwrap();
    assert_eq!(r.status(), 404);
    server.kill().unwrap();
    server.wait().unwrap();

    // 5. A holiday calendar published into the log judges from then on,
    // named by its entry, the same in the library and the bundle: one that
    // (hypothetically) also gives 10-08 and 10-09 off runs T29's period on
    // to Saturday 10-10, a worked weekend day, so the contract is in time.
    let o = run(&["calendar", "default"], "");
    assert!(o.status.success(), "{}", err(&o));
    let mut calendar: Value = serde_json::from_str(&out(&o)).unwrap();
    calendar["version"] = 2.into();
    let year =
        calendar["years"].as_array_mut().unwrap().iter_mut().find(|y| y["year"] == 2026).unwrap();
    let off = year["off_days"].as_array_mut().unwrap();
    off.extend(["2026-10-08".into(), "2026-10-09".into()]);
    off.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    let file = tmp.path().join("calendar-v2.json");
    std::fs::write(&file, calendar.to_string()).unwrap();
    let o = run(&["calendar", "publish", "--data", d, file.to_str().unwrap()], "");
    assert!(o.status.success(), "{}", err(&o));
    let published: Value = serde_json::from_str(&out(&o)).unwrap();
    let store = ledger::Store::open(&dir).unwrap();
    let (_, library) = store.compliance(T, Default::default()).unwrap().unwrap();
    drop(store);
    let label = format!("cn-state-council v2 (entry {})", published["index"]);
    assert_eq!(library.calendar, label);
    let library = serde_json::to_value(&library).unwrap();
    assert_eq!(verdict(&library, "T29")["outcome"], "pass", "{library:#}");
    assert_eq!(offline(), library);
    // A calendar that does not hold together is refused, naming why.
    let mut bad = calendar.clone();
    bad["years"][0]["working_days"] = serde_json::json!(["2026-10-08"]);
    std::fs::write(&file, bad.to_string()).unwrap();
    let o = run(&["calendar", "publish", "--data", d, file.to_str().unwrap()], "");
    assert!(!o.status.success());
    assert!(err(&o).contains("holiday calendar"), "{}", err(&o));
}

/// `tenderlog rules check` on a planned schedule: 19 days from issue to
/// deadline fails T04 (exit 1); 20 pass (exit 0); a malformed timeline is a
/// usage error naming the event (exit 2).
#[test]
fn a_planned_timeline_is_judged_before_it_is_published() {
    let plan = |deadline: &str| {
        let ms = at(deadline, "09:30");
        serde_json::json!([
            {"at": "2026-03-02T10:00:00+08:00", "event": {"kind": "registration", "tender": T,
                "principal": "agency-01", "body": serde_json::to_value(match registration() {
                    Body::Registration(r) => r, _ => unreachable!() }).unwrap()}},
            {"at": "2026-03-02T10:00:00+08:00", "event": {"kind": "document", "tender": T,
                "principal": "agency-01", "body": {"document_type": "tender_documents",
                "sha256": "11".repeat(32), "size": 1, "media_type": "application/pdf",
                "timestamps": ["AAAA"]}}},
            {"at": "2026-03-02T10:01:00+08:00", "event": {"kind": "schedule", "tender": T,
                "principal": "agency-01", "body": {"bid_deadline_ms": ms, "opening_ms": ms}}}
        ])
        .to_string()
    };
    let o = run(&["rules", "check", "-"], &plan("2026-03-21"));
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("FAIL          T04"), "{}", out(&o));
    let o = run(&["rules", "check", "-", "--json"], &plan("2026-03-22"));
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    let t04 = v["compliance"]["verdicts"].as_array().unwrap().iter().find(|x| x["rule"] == "T04");
    assert_eq!(t04.unwrap()["outcome"], "pass", "{v:#}");
    let o = run(&["rules", "check", "-", "--minimum-periods", "whole-days"], &plan("2026-03-22"));
    assert_eq!(o.status.code(), Some(1), "one day short when whole days are counted");
    let o = run(&["rules", "check", "-"], "[{\"at\": \"yesterday\", \"event\": {}}]");
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("event 0"), "{}", err(&o));
    let o = run(&["rules", "list"], "");
    assert!(out(&o).contains("T29") && out(&o).contains("招标投标法 art. 46"), "{}", out(&o));
}
