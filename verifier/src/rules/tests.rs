//! The rules, tested from the statutes: for each day-count rule a timeline
//! exactly at the limit and one a day short, periods ending on a statutory
//! holiday and on an adjusted working Saturday (the State Council's 2026
//! arrangement), and indeterminate verdicts where an event or a year of the
//! calendar is missing. Timelines are written as a user writes them.

use serde_json::{Value, json};

use super::timeline::read;
use super::*;
use crate::calendar::Calendar;

const T: &str = "ZB2026-RULES";

fn registration(must_tender: bool, security_fen: u64) -> Value {
    json!({"kind": "registration", "tender": T, "principal": "agency-01", "body": {
        "project": "教学楼施工",
        "tenderer": {"name": "某市第一中学", "uscc": "91350100M000100Y43", "principals": ["school"]},
        "agency": {"name": "某招标代理有限公司", "uscc": "91110000600037341L",
                   "principals": ["agency-01"]},
        "method": "open", "prequalification": false, "must_tender": must_tender,
        "state_capital": true, "estimate_fen": 500_000_000u64, "max_price_fen": null,
        "bid_security_fen": security_fen, "bid_validity_days": 90, "supervisors": ["supervisor"]}})
}

fn doc(kind: &str, principal: &str, n: u8) -> Value {
    json!({"kind": "document", "tender": T, "principal": principal, "body": {
        "document_type": kind, "sha256": format!("{n:02x}").repeat(32), "size": 1,
        "media_type": "application/pdf"}})
}

fn sealed_bid(principal: &str, n: u8) -> Value {
    let mut d = doc("bid", principal, n);
    d["kind"] = json!("sealed_document");
    d
}

fn reveal(position: u64, principal: &str, n: u8) -> Value {
    json!({"kind": "reveal", "tender": T, "principal": principal, "body": {
        "sealed": {"index": position, "leaf_hash": "00".repeat(32)},
        "salt": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "principal": principal,
        "document": doc("bid", principal, n)["body"]}})
}

/// A schedule with the deadline and opening at `at` (RFC 3339).
fn schedule(at: &str) -> Value {
    let ms = at.parse::<jiff::Timestamp>().expect("a time").as_millisecond();
    json!({"kind": "schedule", "tender": T, "principal": "agency-01",
           "body": {"bid_deadline_ms": ms, "opening_ms": ms}})
}

fn at(day: &str) -> String {
    format!("{day}T10:00:00+08:00")
}

fn judge_with(events: &[(String, Value)], reading: Reading) -> Compliance {
    let list: Vec<Value> = events.iter().map(|(a, e)| json!({"at": a, "event": e})).collect();
    let t = read(serde_json::to_string(&list).expect("json").as_bytes()).expect("a timeline");
    let calendar = Calendar::shipped();
    let pack = RulePack::default_pack();
    judge(
        &t.tender,
        &t.steps(),
        &Context { calendar: &calendar, reading, pack: &pack, certs: None },
    )
}

fn judged(events: &[(String, Value)]) -> Compliance {
    judge_with(events, Reading::default())
}

fn outcome(c: &Compliance, rule: &str) -> Outcome {
    c.verdicts.iter().find(|v| v.rule == rule).map(|v| v.outcome).expect("the rule was judged")
}

fn verdict<'c>(c: &'c Compliance, rule: &str) -> &'c Verdict {
    c.verdicts.iter().find(|v| v.rule == rule).expect("the rule was judged")
}

/// Registration, tender documents on `issued`, deadline at `deadline`.
fn preparation(issued: &str, deadline: &str) -> Vec<(String, Value)> {
    vec![
        (at("2026-01-05"), registration(true, 1)),
        (at(issued), doc("tender_documents", "agency-01", 1)),
        (at(issued), schedule(&format!("{deadline}T09:30:00+08:00"))),
    ]
}

#[test]
fn t04_twenty_days_from_issue_to_deadline() {
    // 法 24: at least 20 days. Issued 03-02, deadline 03-22: 20 days.
    assert_eq!(outcome(&judged(&preparation("2026-03-02", "2026-03-22")), "T04"), Outcome::Pass);
    let short = judged(&preparation("2026-03-02", "2026-03-21"));
    assert_eq!(outcome(&short, "T04"), Outcome::Fail);
    assert_eq!(verdict(&short, "T04").events, [1, 2]);
    assert!(verdict(&short, "T04").detail.contains("2026-03-22"), "{short:?}");

    // Counting whole days between, 03-22 is a day short.
    let whole = Reading { minimum_periods: MinimumPeriods::WholeDays, ..Reading::default() };
    let c = judge_with(&preparation("2026-03-02", "2026-03-22"), whole);
    assert_eq!(outcome(&c, "T04"), Outcome::Fail);
    let c = judge_with(&preparation("2026-03-02", "2026-03-23"), whole);
    assert_eq!(outcome(&c, "T04"), Outcome::Pass);

    // Issued 09-11: the twentieth day is 10-01 (国庆节). Read as extended over
    // rest days, the deadline may be no earlier than Thursday 10-08.
    let extend = Reading { extend_minimums_over_rest_days: true, ..Reading::default() };
    assert_eq!(outcome(&judged(&preparation("2026-09-11", "2026-10-01")), "T04"), Outcome::Pass);
    let c = judge_with(&preparation("2026-09-11", "2026-10-07"), extend);
    assert_eq!(outcome(&c, "T04"), Outcome::Fail, "{c:?}");
    let c = judge_with(&preparation("2026-09-11", "2026-10-08"), extend);
    assert_eq!(outcome(&c, "T04"), Outcome::Pass);
    assert!(c.to_text().contains("extended over rest days"));

    // Not a must-tender project: not applicable; no registration: undecided.
    let mut events = preparation("2026-03-02", "2026-03-10");
    events[0].1 = registration(false, 1);
    assert_eq!(outcome(&judged(&events), "T04"), Outcome::NotApplicable);
    let c = judged(&preparation("2026-03-02", "2026-03-22")[1..]);
    assert_eq!(outcome(&c, "T04"), Outcome::Indeterminate);
    assert_eq!(verdict(&c, "T04").missing, ["a registration"]);
}

#[test]
fn t05_amendments_fifteen_days_before_the_deadline() {
    // 法 23: at least 15 days before the deadline; 03-07 → 03-22 is 15.
    let mut events = preparation("2026-03-01", "2026-03-22");
    events.push((at("2026-03-07"), doc("tender_documents_amendment", "agency-01", 2)));
    assert_eq!(outcome(&judged(&events), "T05"), Outcome::Pass);
    let mut events = preparation("2026-03-01", "2026-03-22");
    events.push((at("2026-03-08"), doc("tender_documents_clarification", "agency-01", 2)));
    let c = judged(&events);
    assert_eq!(outcome(&c, "T05"), Outcome::Fail);
    assert_eq!(verdict(&c, "T05").events, [3, 2], "the change and the schedule in force");
    // Postponing the deadline by a day cures it.
    events.push((at("2026-03-08"), schedule("2026-03-23T09:30:00+08:00")));
    assert_eq!(outcome(&judged(&events), "T05"), Outcome::Pass);
    assert_eq!(
        outcome(&judged(&preparation("2026-03-01", "2026-03-22")), "T05"),
        Outcome::NotApplicable
    );
}

fn award_and_contract(award: &str, contract: &str) -> Compliance {
    judged(&[
        (at("2026-01-05"), registration(true, 1)),
        (at(award), doc("award_notice", "agency-01", 1)),
        (at(contract), doc("contract", "school", 2)),
    ])
}

#[test]
fn t29_thirty_days_to_the_contract_across_holidays_and_working_saturdays() {
    // 法 46: within 30 days. 06-04 + 30 = 07-04, a plain Saturday: the
    // period runs on to Monday 07-06 (民法典 art. 203).
    assert_eq!(outcome(&award_and_contract("2026-06-04", "2026-07-04"), "T29"), Outcome::Pass);
    assert_eq!(outcome(&award_and_contract("2026-06-04", "2026-07-06"), "T29"), Outcome::Pass);
    assert_eq!(outcome(&award_and_contract("2026-06-04", "2026-07-07"), "T29"), Outcome::Fail);
    // 08-20 + 30 = Saturday 09-19, but Sunday 09-20 is worked (调休): the
    // period ends on the Sunday, not the Monday.
    assert_eq!(outcome(&award_and_contract("2026-08-20", "2026-09-20"), "T29"), Outcome::Pass);
    assert_eq!(outcome(&award_and_contract("2026-08-20", "2026-09-21"), "T29"), Outcome::Fail);
    // 09-01 + 30 = 10-01, 国庆节: the period ends Thursday 10-08.
    assert_eq!(outcome(&award_and_contract("2026-09-01", "2026-10-01"), "T29"), Outcome::Pass);
    let c = award_and_contract("2026-09-01", "2026-10-08");
    assert_eq!(outcome(&c, "T29"), Outcome::Pass);
    assert!(verdict(&c, "T29").detail.contains("2026-10-08"), "{c:?}");
    let c = award_and_contract("2026-09-01", "2026-10-09");
    assert_eq!(outcome(&c, "T29"), Outcome::Fail);
    assert_eq!(verdict(&c, "T29").events, [1, 2]);
    // 09-10 + 30 = 10-10, a Saturday worked in exchange (调休): no extension.
    assert_eq!(outcome(&award_and_contract("2026-09-10", "2026-10-10"), "T29"), Outcome::Pass);
    assert_eq!(outcome(&award_and_contract("2026-09-10", "2026-10-11"), "T29"), Outcome::Fail);
    // A day short of the limit never needs the calendar; past it, a year the
    // calendar does not cover leaves the verdict open.
    assert_eq!(outcome(&award_and_contract("2026-12-20", "2027-01-19"), "T29"), Outcome::Pass);
    let c = award_and_contract("2026-12-20", "2027-01-20");
    assert_eq!(outcome(&c, "T29"), Outcome::Indeterminate);
    assert_eq!(verdict(&c, "T29").missing, ["the holiday calendar of 2027"]);
    // An award and no contract yet.
    let c = judged(&[(at("2026-09-01"), doc("award_notice", "agency-01", 1))]);
    assert_eq!(outcome(&c, "T29"), Outcome::Indeterminate);
}

#[test]
fn t12_security_at_most_two_percent_of_the_estimate() {
    let c = judged(&[(at("2026-01-05"), registration(true, 10_000_000))]);
    assert_eq!(outcome(&c, "T12"), Outcome::Pass, "exactly 2% of ¥5,000,000.00");
    let c = judged(&[(at("2026-01-05"), registration(true, 10_000_001))]);
    assert_eq!(outcome(&c, "T12"), Outcome::Fail);
    assert!(verdict(&c, "T12").detail.contains("¥100000.00"), "{c:?}");
}

/// Registration, schedule (deadline 2026-03-23 09:30), and what follows.
fn bidding(rest: Vec<(String, Value)>) -> Compliance {
    let mut events = vec![
        (at("2026-03-02"), registration(true, 1)),
        (at("2026-03-02"), doc("tender_documents", "agency-01", 1)),
        (at("2026-03-02"), schedule("2026-03-23T09:30:00+08:00")),
    ];
    events.extend(rest);
    judged(&events)
}

#[test]
fn bids_openings_and_reveals() {
    let before = "2026-03-23T09:29:59+08:00".to_owned();
    let after = "2026-03-23T09:30:00+08:00".to_owned();
    // Three sealed bids in time, opened at the opening, each once.
    let c = bidding(vec![
        (before.clone(), sealed_bid("bidder-a", 10)),
        (before.clone(), sealed_bid("bidder-b", 11)),
        (before.clone(), sealed_bid("bidder-c", 12)),
        (after.clone(), reveal(3, "bidder-a", 10)),
        (after.clone(), doc("opening_record", "agency-01", 13)),
    ]);
    for rule in ["P01", "T04", "T15", "E26", "T17", "E28", "T18"] {
        assert_eq!(outcome(&c, rule), Outcome::Pass, "{rule}: {}", c.to_text());
    }
    // Only the timestamp rule: these documents carry none.
    let failed: Vec<&str> = c.failures().map(|v| v.rule.as_str()).collect();
    assert_eq!(failed, ["L01"], "{}", c.to_text());

    // A bid at the deadline, in the open, opened with two bids; a reveal
    // before the opening and a second one.
    let c = bidding(vec![
        (before.clone(), sealed_bid("bidder-a", 10)),
        (before.clone(), reveal(3, "bidder-a", 10)),
        (after.clone(), doc("bid", "bidder-b", 11)),
        (after.clone(), reveal(3, "bidder-a", 10)),
        (after.clone(), doc("opening_record", "agency-01", 13)),
    ]);
    assert_eq!(verdict(&c, "T15").events, [5]);
    assert_eq!(verdict(&c, "E26").events, [5]);
    assert_eq!(verdict(&c, "E28").events, [4, 6], "{}", c.to_text());
    assert_eq!(outcome(&c, "T18"), Outcome::Fail);
    assert!(c.to_text().starts_with("Compliance of tender"));

    // An opening record before the deadline, and an opening not at it.
    let c = bidding(vec![(before.clone(), doc("opening_record", "agency-01", 13))]);
    assert_eq!(verdict(&c, "T17").events, [3]);
    let c = judged(&[(at("2026-03-02"), {
        let mut s = schedule("2026-03-23T09:30:00+08:00");
        s["body"]["opening_ms"] = json!(s["body"]["opening_ms"].as_i64().unwrap_or(0) + 3_600_000);
        s
    })]);
    assert_eq!(outcome(&c, "T17"), Outcome::Fail);
}

#[test]
fn p01_a_forged_award_and_an_unregistered_tender() {
    let c = bidding(vec![(at("2026-03-05"), doc("award_notice", "bidder-a", 20))]);
    assert_eq!(verdict(&c, "P01").events, [3]);
    assert!(verdict(&c, "P01").detail.contains("only the tenderer or its agency"), "{c:?}");
    let c = judged(&[(at("2026-03-05"), doc("award_notice", "bidder-a", 20))]);
    assert_eq!(outcome(&c, "P01"), Outcome::Indeterminate);
}

#[test]
fn l01_documents_that_need_a_timestamp() {
    // The default pack asks a trusted timestamp of a tender notice.
    let c = judged(&[(at("2026-03-02"), doc("tender_notice", "agency-01", 1))]);
    assert_eq!(verdict(&c, "L01").events, [0]);
    let mut stamped = doc("tender_notice", "agency-01", 1);
    stamped["body"]["timestamps"] = json!(["AAAA"]);
    assert_eq!(outcome(&judged(&[(at("2026-03-02"), stamped)]), "L01"), Outcome::Pass);
}

#[test]
fn every_rule_is_judged_once_in_catalogue_order() {
    let c = judged(&[(at("2026-03-02"), registration(true, 1))]);
    let ids: Vec<&str> = c.verdicts.iter().map(|v| v.rule.as_str()).collect();
    assert_eq!(ids, rule_ids().collect::<Vec<_>>());
    let again: Compliance =
        serde_json::from_str(&serde_json::to_string(&c).expect("json")).expect("reads back");
    assert_eq!(again, c);
}

#[test]
fn timelines_that_are_not_one_tenders_events_in_order_are_refused() {
    let one = |a: &str, e: Value| json!([{"at": a, "event": e}]).to_string();
    let ok = one("2026-03-02T10:00:00+08:00", registration(true, 1));
    assert!(read(ok.as_bytes()).is_ok());
    for (bad, why) in [
        ("[]".to_owned(), "no events"),
        ("{}".to_owned(), "expected a JSON array"),
        (one("2026-03-02 10:00", registration(true, 1)), "RFC 3339"),
        (one("2026-03-02T10:00:00", registration(true, 1)), "RFC 3339"),
        (one("1969-12-31T23:59:59Z", registration(true, 1)), "before 1970"),
        (
            json!([{"at": "2026-03-02T10:00:00+08:00", "event": registration(true, 1)},
                   {"at": "2026-03-02T09:00:00+08:00", "event": schedule("2026-03-23T09:30:00+08:00")}])
            .to_string(),
            "earlier than the event before",
        ),
        (
            json!([{"at": "2026-03-02T10:00:00+08:00", "event": registration(true, 1)},
                   {"at": "2026-03-02T10:00:00+08:00", "event": {
                       "kind": "schedule", "tender": "other", "body": {"bid_deadline_ms": 1, "opening_ms": 1}}}])
            .to_string(),
            "one tender's",
        ),
        (one("2026-03-02T10:00:00+08:00", reveal(0, "bidder-a", 1)), "not an earlier event"),
        (
            json!([{"at": "2026-03-02T10:00:00+08:00", "event": registration(true, 1), "extra": 1}]).to_string(),
            "unknown field",
        ),
    ] {
        let e = read(bad.as_bytes()).expect_err(why).to_string();
        assert!(e.contains(why), "{bad}: {e}");
    }
    let huge = vec![b' '; MAX_TIMELINE_BYTES_PLUS_ONE];
    assert!(read(&huge).is_err());
}

const MAX_TIMELINE_BYTES_PLUS_ONE: usize = super::timeline::MAX_TIMELINE_BYTES + 1;

#[test]
#[ignore = "prints a sample report"]
fn print_sample() {
    let c = bidding(vec![
        ("2026-03-23T09:29:59+08:00".into(), sealed_bid("bidder-a", 10)),
        ("2026-03-23T09:30:00+08:00".into(), doc("bid", "bidder-b", 11)),
        ("2026-03-23T09:30:00+08:00".into(), doc("opening_record", "agency-01", 13)),
    ]);
    println!("{}", c.to_text());
}

fn step(name: &str, body: Value) -> Value {
    json!({"kind": "procedure", "tender": T, "principal": "agency-01", "body": {name: body}})
}

fn unit(n: u8) -> Value {
    let uscc = ["91350100M000100Y43", "91110000600037341L"][usize::from(n % 2)];
    json!({"name": format!("单位{n}"), "uscc": uscc})
}

/// The award stage of a must-tender, state-capital tender: evaluation report
/// on `report`, candidates published on `published` until `until`, the
/// award decided for `winner` on `decided`, then `rest`.
fn award_stage(
    report: &str,
    published: &str,
    until: &str,
    winner: Value,
    decided: &str,
    rest: Vec<(String, Value)>,
) -> Compliance {
    let mut events = vec![
        (at("2026-01-05"), registration(true, 1)),
        (at(report), doc("evaluation_report", "committee", 30)),
        (
            at(published),
            step(
                "candidates_published",
                json!({
            "ranked": [unit(1), unit(2)], "until_ms": format!("{until}T17:00:00+08:00")
                .parse::<jiff::Timestamp>().map(|t| t.as_millisecond()).unwrap_or(0)}),
            ),
        ),
        (at(decided), step("award_decided", json!({"winner": winner, "exception": null}))),
    ];
    events.extend(rest);
    judged(&events)
}

#[test]
fn t25_publication_within_three_days_for_three_days() {
    // Report Monday 06-01; published Thursday 06-04 (day 3) until 06-07.
    let c = award_stage("2026-06-01", "2026-06-04", "2026-06-07", unit(1), "2026-06-08", vec![]);
    assert_eq!(outcome(&c, "T25"), Outcome::Pass, "{}", c.to_text());
    // A day late.
    let c = award_stage("2026-06-01", "2026-06-05", "2026-06-08", unit(1), "2026-06-09", vec![]);
    assert_eq!(outcome(&c, "T25"), Outcome::Fail);
    // A period a day short.
    let c = award_stage("2026-06-01", "2026-06-04", "2026-06-06", unit(1), "2026-06-08", vec![]);
    assert_eq!(outcome(&c, "T25"), Outcome::Fail);
    // Report Wednesday 09-30: the third day is 10-03 (国庆节); publishing on
    // Thursday 10-08 is in time, on Friday 10-09 not.
    let c = award_stage("2026-09-30", "2026-10-08", "2026-10-11", unit(1), "2026-10-12", vec![]);
    assert_eq!(outcome(&c, "T25"), Outcome::Pass, "{}", c.to_text());
    let c = award_stage("2026-09-30", "2026-10-09", "2026-10-12", unit(1), "2026-10-13", vec![]);
    assert_eq!(outcome(&c, "T25"), Outcome::Fail);
    // At most three candidates (T24) passes with two.
    assert_eq!(outcome(&c, "T24"), Outcome::Pass);
}

#[test]
fn t27_the_first_ranked_wins_unless_a_reason_is_given() {
    let c = award_stage("2026-06-01", "2026-06-02", "2026-06-05", unit(1), "2026-06-08", vec![]);
    assert_eq!(outcome(&c, "T27"), Outcome::Pass);
    let c = award_stage("2026-06-01", "2026-06-02", "2026-06-05", unit(2), "2026-06-08", vec![]);
    assert_eq!(outcome(&c, "T27"), Outcome::Fail);
    assert_eq!(verdict(&c, "T27").events, [2, 3]);
    let mut events = vec![
        (at("2026-01-05"), registration(true, 1)),
        (
            at("2026-06-02"),
            step("candidates_published", json!({"ranked": [unit(1), unit(2)], "until_ms": 1})),
        ),
        (
            at("2026-06-08"),
            step("award_decided", json!({"winner": unit(2), "exception": "第一名放弃中标"})),
        ),
    ];
    assert_eq!(outcome(&judged(&events), "T27"), Outcome::Pass);
    events.remove(1);
    assert_eq!(outcome(&judged(&events), "T27"), Outcome::Indeterminate);
}

#[test]
fn t28_t30_notices_the_same_day_and_the_report_within_fifteen_days() {
    let notices = |award: &str, sent: &str, report: &str| {
        award_stage(
            "2026-06-01",
            "2026-06-02",
            "2026-06-05",
            unit(1),
            "2026-06-08",
            vec![
                (at(award), doc("award_notice", "agency-01", 40)),
                (at(sent), step("result_notices_sent", json!({"recipients": [unit(2)]}))),
                (at(report), step("report_filed", json!({"department": "某市发展和改革委员会"}))),
            ],
        )
    };
    // Decided Monday 06-08: 15 days end Tuesday 06-23.
    let c = notices("2026-06-09", "2026-06-09", "2026-06-23");
    assert_eq!((outcome(&c, "T28"), outcome(&c, "T30")), (Outcome::Pass, Outcome::Pass));
    let c = notices("2026-06-09", "2026-06-10", "2026-06-24");
    assert_eq!((outcome(&c, "T28"), outcome(&c, "T30")), (Outcome::Fail, Outcome::Fail));
    // Decided 06-04: 15 days end 06-19, 端午节: the report may come Monday 06-22.
    let c = award_stage(
        "2026-06-01",
        "2026-06-02",
        "2026-06-05",
        unit(1),
        "2026-06-04",
        vec![(
            at("2026-06-22"),
            step("report_filed", json!({"department": "某市发展和改革委员会"})),
        )],
    );
    assert_eq!(outcome(&c, "T30"), Outcome::Pass, "{}", c.to_text());
}

#[test]
fn e31_and_t31_every_bid_opened_and_every_security_refunded() {
    let before = "2026-03-23T09:29:59+08:00".to_owned();
    let after = "2026-03-23T09:30:00+08:00".to_owned();
    let base = || {
        vec![
            (before.clone(), sealed_bid("bidder-a", 10)),
            (before.clone(), sealed_bid("bidder-b", 11)),
            (after.clone(), reveal(3, "bidder-a", 10)),
        ]
    };
    // Bid B neither opened nor recorded as failed by the award.
    let mut events = base();
    events.push((at("2026-03-30"), doc("award_notice", "agency-01", 40)));
    let c = bidding(events);
    assert_eq!(verdict(&c, "E31").events, [4]);
    // Its failure recorded, the bidder's fault: in order.
    let mut events = base();
    events.push((
        after.clone(),
        step(
            "decryption_failed",
            json!({
        "sealed": {"index": 4, "leaf_hash": "00".repeat(32)}, "attribution": "bidder"}),
        ),
    ));
    events.push((at("2026-03-30"), doc("award_notice", "agency-01", 40)));
    // The contract 04-01 (Wednesday): refunds by Monday 04-06 (清明 04-04..06
    // are off: the fifth day, 04-06, moves to Tuesday 04-07).
    events.push((at("2026-04-01"), doc("contract", "school", 41)));
    let mut in_time = events.clone();
    in_time.push((
        at("2026-04-07"),
        step("security_refunded", json!({"bidder": "bidder-a", "amount_fen": 1})),
    ));
    let c = bidding(in_time);
    assert_eq!(outcome(&c, "E31"), Outcome::Pass, "{}", c.to_text());
    assert_eq!(outcome(&c, "T31"), Outcome::Pass, "{}", c.to_text());
    let mut late = events.clone();
    late.push((
        at("2026-04-08"),
        step("security_refunded", json!({"bidder": "bidder-a", "amount_fen": 1})),
    ));
    assert_eq!(outcome(&bidding(late), "T31"), Outcome::Fail);
    let c = bidding(events);
    assert_eq!(outcome(&c, "T31"), Outcome::Indeterminate);
    assert_eq!(verdict(&c, "T31").missing, ["a refund to bidder-a"]);
}

#[test]
fn t34_a_terminated_tender_files_only_refunds() {
    let c = bidding(vec![
        (at("2026-03-10"), step("terminated", json!({"reason": "项目取消"}))),
        (
            at("2026-03-11"),
            step("security_refunded", json!({"bidder": "bidder-a", "amount_fen": 1})),
        ),
    ]);
    assert_eq!(outcome(&c, "T34"), Outcome::Pass, "{}", c.to_text());
    let c = bidding(vec![
        (at("2026-03-10"), step("terminated", json!({"reason": "项目取消"}))),
        (at("2026-03-11"), doc("tender_documents_amendment", "agency-01", 5)),
    ]);
    assert_eq!(verdict(&c, "T34").events, [4]);
    // Steps are the owner's.
    let c = bidding(vec![(at("2026-03-10"), {
        let mut s = step("terminated", json!({"reason": "x"}));
        s["principal"] = json!("bidder-a");
        s
    })]);
    assert_eq!(verdict(&c, "P01").events, [3]);
}

fn objection(about: &str, by: &str) -> Value {
    let mut s = step("objection_raised", json!({"about": about}));
    s["principal"] = json!(by);
    s
}

fn answer(position: u64) -> Value {
    step(
        "objection_answered",
        json!({"objection": {"index": position, "leaf_hash": "00".repeat(32)}}),
    )
}

#[test]
fn t20_objections_to_the_opening_answered_on_the_spot() {
    // 条例 44: raised at the opening, answered there and then.
    let base = |answered: &str| {
        vec![
            (at("2026-03-02"), registration(true, 1)),
            (at("2026-03-23"), objection("opening", "bidder-a")),
            (at(answered), answer(1)),
            (at("2026-03-24"), doc("evaluation_report", "agency-01", 9)),
        ]
    };
    assert_eq!(outcome(&judged(&base("2026-03-23")), "T20"), Outcome::Pass);
    let next_day = judged(&base("2026-03-24"));
    assert_eq!(outcome(&next_day, "T20"), Outcome::Fail);
    assert_eq!(verdict(&next_day, "T20").events, [1, 2]);
    // Never answered, and the evaluation went on: broken. Not answered yet,
    // with nothing after it: undecided.
    let mut never = base("2026-03-23");
    never.remove(2);
    assert_eq!(outcome(&judged(&never), "T20"), Outcome::Fail);
    assert_eq!(outcome(&judged(&never[..2]), "T20"), Outcome::Indeterminate);
    // No objection: not applicable.
    assert_eq!(outcome(&judged(&base("2026-03-23")[..1]), "T20"), Outcome::NotApplicable);
}

#[test]
fn t26_objections_to_the_result_answered_within_three_days_and_suspend_the_award() {
    // 条例 54: answered within 3 days; no award meanwhile.
    let candidates = step("candidates_published", json!({"ranked": [unit(1)], "until_ms": 1}));
    let base = |answered: &str| {
        vec![
            (at("2026-03-02"), registration(true, 1)),
            (at("2026-04-01"), candidates.clone()),
            (at("2026-04-02"), objection("result", "bidder-b")),
            (at(answered), answer(2)),
            (
                at("2026-04-10"),
                step("award_decided", json!({"winner": unit(1), "exception": null})),
            ),
        ]
    };
    // Raised Thursday 04-02: the third day is Sunday 04-05, inside 清明
    // (04-04 to 04-06), so the period runs to the next working day, 04-07.
    assert_eq!(outcome(&judged(&base("2026-04-05")), "T26"), Outcome::Pass);
    assert_eq!(outcome(&judged(&base("2026-04-07")), "T26"), Outcome::Pass);
    let late = judged(&base("2026-04-08"));
    assert_eq!(outcome(&late, "T26"), Outcome::Fail, "{late:?}");
    assert_eq!(verdict(&late, "T26").events, [2, 3]);
    // The award decided while the objection waited for its answer.
    let mut early_award = base("2026-04-03");
    early_award.truncate(3);
    early_award.push((
        at("2026-04-03"),
        step("award_decided", json!({"winner": unit(1), "exception": null})),
    ));
    early_award.push((at("2026-04-04"), answer(2)));
    let c = judged(&early_award);
    assert_eq!(outcome(&c, "T26"), Outcome::Fail, "{c:?}");
    assert!(verdict(&c, "T26").detail.contains("while the objection at entry 2"), "{c:?}");
    // Not answered, nothing after: undecided; no objection: not applicable.
    assert_eq!(outcome(&judged(&base("2026-04-03")[..3]), "T26"), Outcome::Indeterminate);
    assert_eq!(outcome(&judged(&base("2026-04-03")[..2]), "T26"), Outcome::NotApplicable);
}

fn ms(time: &str) -> i64 {
    time.parse::<jiff::Timestamp>().expect("a time").as_millisecond()
}

/// A registration with prequalification (and `method`, `max_price_fen`).
fn registration_with(prequalification: bool, method: &str, max_price_fen: Option<u64>) -> Value {
    let mut r = registration(true, 1);
    r["body"]["prequalification"] = json!(prequalification);
    r["body"]["method"] = json!(method);
    r["body"]["max_price_fen"] = json!(max_price_fen);
    r
}

fn sealed(kind: &str, principal: &str, n: u8) -> Value {
    let mut d = doc(kind, principal, n);
    d["kind"] = json!("sealed_document");
    d
}

/// A schedule with the bid deadline and opening at 09:30 on `deadline`, and
/// the optional times at 17:00 on their days.
fn full_schedule(
    deadline: &str,
    documents_sale_end: Option<&str>,
    prequalification_sale_end: Option<&str>,
    prequalification_deadline: Option<&str>,
) -> Value {
    let day = |d: Option<&str>| d.map(|d| ms(&format!("{d}T17:00:00+08:00")));
    let mut s = schedule(&format!("{deadline}T09:30:00+08:00"));
    s["body"]["documents_sale_end_ms"] = json!(day(documents_sale_end));
    s["body"]["prequalification_sale_end_ms"] = json!(day(prequalification_sale_end));
    s["body"]["prequalification_deadline_ms"] = json!(day(prequalification_deadline));
    s
}

/// Prequalification: documents issued 03-02, sold until `sale_end`,
/// applications until `application_deadline`; `rest` follows.
fn prequalification(
    sale_end: &str,
    application_deadline: &str,
    rest: Vec<(String, Value)>,
) -> Compliance {
    let mut events = vec![
        (at("2026-03-01"), registration_with(true, "open", None)),
        (at("2026-03-02"), doc("prequalification_documents", "agency-01", 1)),
        (
            at("2026-03-02"),
            full_schedule("2026-04-30", None, Some(sale_end), Some(application_deadline)),
        ),
    ];
    events.extend(rest);
    judged(&events)
}

#[test]
fn t02_t03_prequalification_documents_on_sale_five_days_then_five_to_apply() {
    // 条例 16: on sale at least 5 days: 03-02 → 03-07 is 5; 03-06 is 4.
    let c = prequalification("2026-03-07", "2026-03-12", vec![]);
    for rule in ["T02", "T03"] {
        assert_eq!(outcome(&c, rule), Outcome::Pass, "{rule}: {}", c.to_text());
    }
    // No tender documents yet: the penalty rule waits for T04.
    assert_eq!(outcome(&c, "T35"), Outcome::Indeterminate);
    assert_eq!(verdict(&c, "T35").detail, "T04 undecided");
    let c = prequalification("2026-03-06", "2026-03-12", vec![]);
    assert_eq!(outcome(&c, "T02"), Outcome::Fail, "{}", c.to_text());
    assert_eq!(verdict(&c, "T02").events, [1, 2]);
    // 条例 64: the penalty rule cites the same entries.
    assert_eq!(outcome(&c, "T35"), Outcome::Fail);
    assert_eq!(verdict(&c, "T35").events, [1, 2]);
    assert!(verdict(&c, "T35").detail.starts_with("T02"), "{c:?}");
    // 条例 17: 5 days from the sale's end: 03-07 → 03-12; 03-11 is short.
    let c = prequalification("2026-03-07", "2026-03-11", vec![]);
    assert_eq!(outcome(&c, "T03"), Outcome::Fail, "{}", c.to_text());
    assert_eq!(outcome(&c, "T35"), Outcome::Fail);
    // Tender documents: sold from Saturday 09-26 (中秋 break); the fifth day
    // is 10-01 (国庆). Read plainly that is enough; read as extended over rest
    // days, the sale runs to Thursday 10-08.
    let tender = |sale_end: &str, reading| {
        let events = vec![
            (at("2026-09-01"), registration(true, 1)),
            (at("2026-09-26"), doc("tender_documents", "agency-01", 1)),
            (at("2026-09-26"), full_schedule("2026-10-30", Some(sale_end), None, None)),
        ];
        judge_with(&events, reading)
    };
    let extend = Reading { extend_minimums_over_rest_days: true, ..Reading::default() };
    assert_eq!(outcome(&tender("2026-10-01", Reading::default()), "T02"), Outcome::Pass);
    assert_eq!(outcome(&tender("2026-10-07", extend), "T02"), Outcome::Fail);
    assert_eq!(outcome(&tender("2026-10-08", extend), "T02"), Outcome::Pass);
    // Documents issued, the sale's end not scheduled: undecided.
    let c = judged(&preparation("2026-03-02", "2026-03-22"));
    assert_eq!(outcome(&c, "T02"), Outcome::Indeterminate);
    assert_eq!(outcome(&c, "T35"), Outcome::Indeterminate);
    // No prequalification: T03 does not apply.
    assert_eq!(outcome(&c, "T03"), Outcome::NotApplicable);
}

#[test]
fn t06_t08_t19_prequalification_changes_objections_and_result() {
    let clarification =
        |on: &str| vec![(at(on), doc("prequalification_documents_clarification", "agency-01", 3))];
    // 条例 21: at least 3 days before the application deadline 03-12.
    let c = prequalification("2026-03-07", "2026-03-12", clarification("2026-03-09"));
    assert_eq!(outcome(&c, "T06"), Outcome::Pass, "{}", c.to_text());
    let c = prequalification("2026-03-07", "2026-03-12", clarification("2026-03-10"));
    assert_eq!(outcome(&c, "T06"), Outcome::Fail);
    assert_eq!(verdict(&c, "T06").events, [3, 2]);
    assert_eq!(outcome(&c, "T35"), Outcome::Fail);
    // 条例 22: objections at least 2 days before it, filed sealed.
    let objection =
        |on: &str| vec![(at(on), sealed("prequalification_documents_objection", "applicant-a", 4))];
    let c = prequalification("2026-03-07", "2026-03-12", objection("2026-03-10"));
    assert_eq!(outcome(&c, "T08"), Outcome::Pass, "{}", c.to_text());
    let c = prequalification("2026-03-07", "2026-03-12", objection("2026-03-11"));
    assert_eq!(outcome(&c, "T08"), Outcome::Fail);
    assert_eq!(verdict(&c, "T08").events, [3]);
    // 条例 19: at least 3 pass, recorded once the bids are opened.
    let passed =
        |n: u32, on: &str| (on.to_owned(), step("prequalification_passed", json!({"passed": n})));
    let after = "2026-04-30T09:30:00+08:00";
    let c = prequalification("2026-03-07", "2026-03-12", vec![passed(3, after)]);
    assert_eq!(outcome(&c, "T19"), Outcome::Pass);
    assert_eq!(outcome(&c, "E26"), Outcome::NotApplicable, "{}", c.to_text());
    let c = prequalification("2026-03-07", "2026-03-12", vec![passed(2, after)]);
    assert_eq!(outcome(&c, "T19"), Outcome::Fail);
    // Recorded before the opening it says how many may bid (办法 21).
    let c = prequalification("2026-03-07", "2026-03-12", vec![passed(3, &at("2026-03-13"))]);
    assert_eq!(outcome(&c, "E26"), Outcome::Fail);
    assert_eq!(verdict(&c, "E26").events, [3]);
    let c = prequalification("2026-03-07", "2026-03-12", vec![]);
    assert_eq!(outcome(&c, "T19"), Outcome::Indeterminate);
}

#[test]
fn t09_t10_objections_to_the_tender_documents() {
    // Deadline 03-23: objections by 03-13 (10 days); answered within 3
    // days, nothing else filed by the owner meanwhile.
    let base = |raised: &str, answered: &str| {
        vec![
            (at("2026-03-02"), registration(true, 1)),
            (at("2026-03-02"), doc("tender_documents", "agency-01", 1)),
            (at("2026-03-02"), schedule("2026-03-23T09:30:00+08:00")),
            (at(raised), sealed("tender_documents_objection", "bidder-a", 2)),
            (at(answered), answer(3)),
        ]
    };
    let c = judged(&base("2026-03-13", "2026-03-16"));
    assert_eq!(outcome(&c, "T09"), Outcome::Pass, "{}", c.to_text());
    assert_eq!(outcome(&c, "T10"), Outcome::Pass, "{}", c.to_text());
    assert_eq!(outcome(&c, "E26"), Outcome::NotApplicable, "{}", c.to_text());
    let c = judged(&base("2026-03-14", "2026-03-16"));
    assert_eq!(outcome(&c, "T09"), Outcome::Fail);
    assert_eq!(verdict(&c, "T09").events, [3]);
    // Answered on day 4.
    let c = judged(&base("2026-03-13", "2026-03-17"));
    assert_eq!(outcome(&c, "T10"), Outcome::Fail);
    assert_eq!(verdict(&c, "T10").events, [3, 4]);
    // A clarification while it waits answers it; a notice does not.
    let mut events = base("2026-03-13", "2026-03-16");
    events.insert(4, (at("2026-03-14"), doc("tender_documents_clarification", "agency-01", 5)));
    assert_eq!(outcome(&judged(&events), "T10"), Outcome::Pass);
    let mut events = base("2026-03-13", "2026-03-16");
    events.insert(4, (at("2026-03-14"), doc("control_price_publication", "agency-01", 5)));
    let c = judged(&events);
    assert_eq!(outcome(&c, "T10"), Outcome::Fail, "{}", c.to_text());
    assert_eq!(verdict(&c, "T10").events, [3, 4]);
    // Unanswered: undecided until the deadline passes, then broken.
    let mut events = base("2026-03-13", "2026-03-16");
    events.pop();
    assert_eq!(outcome(&judged(&events), "T10"), Outcome::Indeterminate);
    events.push(("2026-03-23T09:30:00+08:00".into(), doc("opening_record", "agency-01", 6)));
    assert_eq!(outcome(&judged(&events), "T10"), Outcome::Fail);
    // Filed in the open, it names the bidder before the opening.
    let mut events = base("2026-03-13", "2026-03-16");
    events[3].1 = doc("tender_documents_objection", "bidder-a", 2);
    let c = judged(&events);
    assert_eq!(verdict(&c, "E26").events, [3], "{}", c.to_text());
}

#[test]
fn t14_t16_bids_modified_or_withdrawn_before_the_deadline_and_refunded() {
    let before = "2026-03-23T09:29:59+08:00".to_owned();
    let after = "2026-03-23T09:30:00+08:00".to_owned();
    let refund = |position: u64| {
        step(
            "withdrawal_refunded",
            json!({"withdrawal": {"index": position, "leaf_hash": "00".repeat(32)}, "amount_fen": 1}),
        )
    };
    // Withdrawn Friday 03-13: refunded by Wednesday 03-18 (5 days).
    let base = |refunded: &str| {
        vec![
            (at("2026-03-10"), sealed_bid("bidder-a", 10)),
            (at("2026-03-10"), sealed_bid("bidder-b", 11)),
            (at("2026-03-10"), sealed_bid("bidder-c", 12)),
            (at("2026-03-10"), sealed_bid("bidder-d", 13)),
            (at("2026-03-13"), sealed("bid_withdrawal", "bidder-d", 15)),
            (at(refunded), refund(7)),
            (before.clone(), sealed("bid_modification", "bidder-a", 14)),
            (after.clone(), doc("opening_record", "agency-01", 16)),
        ]
    };
    let c = bidding(base("2026-03-18"));
    for rule in ["T14", "T16", "T18", "E26"] {
        assert_eq!(outcome(&c, rule), Outcome::Pass, "{rule}: {}", c.to_text());
    }
    assert!(verdict(&c, "T18").detail.contains("3 bid(s) (4 filed, 1 withdrawn)"), "{c:?}");
    let c = bidding(base("2026-03-19"));
    assert_eq!(outcome(&c, "T14"), Outcome::Fail);
    assert_eq!(verdict(&c, "T14").events, [7, 8]);
    // Not refunded: undecided.
    let mut events = base("2026-03-18");
    events.remove(5);
    assert_eq!(outcome(&bidding(events), "T14"), Outcome::Indeterminate);
    // A modification and a withdrawal at the deadline: too late (法 29).
    let c = bidding(vec![
        (after.clone(), sealed("bid_modification", "bidder-a", 14)),
        (after.clone(), sealed("bid_withdrawal", "bidder-b", 15)),
    ]);
    assert_eq!(verdict(&c, "T16").events, [3, 4], "{}", c.to_text());
    assert_eq!(outcome(&c, "T15"), Outcome::NotApplicable, "not bids: {}", c.to_text());
    // Two bids less one withdrawn cannot be opened.
    let c = bidding(vec![
        (before.clone(), sealed_bid("bidder-a", 10)),
        (before.clone(), sealed_bid("bidder-b", 11)),
        (before.clone(), sealed_bid("bidder-c", 12)),
        (before.clone(), sealed("bid_withdrawal", "bidder-c", 15)),
        (after.clone(), doc("opening_record", "agency-01", 16)),
    ]);
    assert_eq!(outcome(&c, "T18"), Outcome::Fail, "{}", c.to_text());
}

#[test]
fn t01_t11_t13_invitations_validity_and_the_maximum_price() {
    let after = "2026-03-23T09:30:00+08:00".to_owned();
    let invited = |n: u32| (after.clone(), step("invitations_sent", json!({"count": n})));
    let invitation = |rest: Vec<(String, Value)>| {
        let mut events = vec![
            (at("2026-03-01"), registration_with(false, "invitation", Some(480_000_000))),
            (at("2026-03-02"), doc("tender_documents", "agency-01", 1)),
            (at("2026-03-02"), schedule("2026-03-23T09:30:00+08:00")),
        ];
        events.extend(rest);
        judged(&events)
    };
    // 法 17: at least three invited.
    assert_eq!(outcome(&invitation(vec![invited(3)]), "T01"), Outcome::Pass);
    assert_eq!(verdict(&invitation(vec![invited(2)]), "T01").events, [3]);
    assert_eq!(outcome(&invitation(vec![]), "T01"), Outcome::Indeterminate);
    assert_eq!(outcome(&bidding(vec![]), "T01"), Outcome::NotApplicable);
    // 条例 27: a maximum price, published before the deadline.
    let c = invitation(vec![(at("2026-03-10"), doc("control_price_publication", "agency-01", 2))]);
    assert_eq!(outcome(&c, "T13"), Outcome::Pass);
    assert_eq!(outcome(&invitation(vec![]), "T13"), Outcome::Indeterminate);
    assert_eq!(outcome(&bidding(vec![]), "T13"), Outcome::NotApplicable);
    // 条例 25: 90 days from the deadline 03-23 run to 06-21.
    let award = |on: &str| vec![(at(on), doc("award_notice", "agency-01", 3))];
    assert_eq!(outcome(&invitation(award("2026-06-21")), "T11"), Outcome::Pass);
    let c = invitation(award("2026-06-22"));
    assert_eq!(outcome(&c, "T11"), Outcome::Fail, "{}", c.to_text());
    assert_eq!(verdict(&c, "T11").events, [3]);
    assert_eq!(outcome(&invitation(vec![]), "T11"), Outcome::NotApplicable);
}

#[test]
fn t21_t22_t23_t32_the_committee_and_the_performance_security() {
    let committee = |representatives: u32, drawn: u32, designated: u32| {
        (
            at("2026-03-23"),
            step(
                "committee_formed",
                json!({"representatives": representatives, "experts_drawn": drawn,
                       "experts_designated": designated}),
            ),
        )
    };
    // 法 37: at least 5, odd, experts at least two thirds.
    let c = bidding(vec![committee(1, 4, 0)]);
    assert_eq!(outcome(&c, "T21"), Outcome::Pass, "{}", c.to_text());
    assert_eq!(outcome(&c, "T22"), Outcome::Pass);
    for (r, d, why) in
        [(2, 4, "an even number"), (2, 3, "fewer than two thirds"), (0, 3, "fewer than 5")]
    {
        let c = bidding(vec![committee(r, d, 0)]);
        assert_eq!(outcome(&c, "T21"), Outcome::Fail, "{r}+{d}");
        assert!(verdict(&c, "T21").detail.contains(why), "{c:?}");
    }
    // 条例 47: designated experts need the project to be special.
    assert_eq!(outcome(&bidding(vec![committee(1, 2, 2)]), "T22"), Outcome::Indeterminate);
    // An evaluation report with no committee recorded: undecided.
    let c = bidding(vec![(at("2026-03-24"), sealed("evaluation_report", "agency-01", 5))]);
    assert_eq!(outcome(&c, "T21"), Outcome::Indeterminate);
    // 条例 48: more than a third asking for more time gets it.
    let asked = |members: u32, extended: bool| {
        (
            at("2026-03-24"),
            step("more_time_asked", json!({"members": members, "extended": extended})),
        )
    };
    assert_eq!(outcome(&bidding(vec![committee(1, 4, 0), asked(2, false)]), "T23"), Outcome::Fail);
    assert_eq!(outcome(&bidding(vec![committee(1, 4, 0), asked(2, true)]), "T23"), Outcome::Pass);
    assert_eq!(outcome(&bidding(vec![committee(1, 4, 0), asked(1, false)]), "T23"), Outcome::Pass);
    // 条例 58: at most 10% of the contract price.
    let posted = |amount: u64| {
        (
            at("2026-04-20"),
            step(
                "performance_security_posted",
                json!({"amount_fen": amount, "contract_price_fen": 480_000_000u64}),
            ),
        )
    };
    assert_eq!(outcome(&bidding(vec![posted(48_000_000)]), "T32"), Outcome::Pass);
    assert_eq!(verdict(&bidding(vec![posted(48_000_001)]), "T32").events, [3]);
}

fn by(mut event: Value, principal: &str) -> Value {
    event["principal"] = json!(principal);
    event
}

#[test]
fn t33_complaints_after_objections_and_in_working_days() {
    let link = |position: u64| json!({"index": position, "leaf_hash": "00".repeat(32)});
    let complaint = |objection: Option<u64>| {
        by(
            step("complaint_filed", json!({"about": "result", "objection": objection.map(link)})),
            "bidder-b",
        )
    };
    let accepted = |position: u64| {
        by(
            step("complaint_accepted", json!({"complaint": link(position), "accepted": true})),
            "supervisor",
        )
    };
    let decided = |position: u64| {
        by(step("complaint_decided", json!({"complaint": link(position)})), "supervisor")
    };
    // Objection answered Wednesday 09-16; the complaint within 10 days, by
    // 09-26 (a Saturday inside 中秋: the period runs to Monday 09-28).
    let base = |complained: &str, accepted_on: &str, decided_on: &str| {
        vec![
            (at("2026-09-01"), registration(true, 1)),
            (at("2026-09-01"), schedule("2026-09-10T09:30:00+08:00")),
            (at("2026-09-15"), objection("result", "bidder-b")),
            (at("2026-09-16"), answer(2)),
            (at(complained), complaint(Some(2))),
            (at(accepted_on), accepted(4)),
            (at(decided_on), decided(4)),
        ]
    };
    let c = judged(&base("2026-09-28", "2026-09-30", "2026-10-30"));
    assert_eq!(outcome(&c, "T33"), Outcome::Pass, "{}", c.to_text());
    assert_eq!(outcome(&c, "P01"), Outcome::Pass, "{}", c.to_text());
    let c = judged(&base("2026-09-29", "2026-09-30", "2026-10-30"));
    assert_eq!(outcome(&c, "T33"), Outcome::Fail, "{}", c.to_text());
    assert_eq!(verdict(&c, "T33").events, [3, 4]);
    // 条例 61: accepted within 3 working days. Filed Wednesday 09-30: the
    // working days are Thursday 10-08, Friday 10-09 and the adjusted working
    // Saturday 10-10; Monday 10-12 is late.
    let mut events = base("2026-09-30", "2026-10-10", "2026-10-30");
    events[3].0 = at("2026-09-28");
    assert_eq!(outcome(&judged(&events), "T33"), Outcome::Pass, "{}", judged(&events).to_text());
    events[5].0 = at("2026-10-12");
    let c = judged(&events);
    assert_eq!(outcome(&c, "T33"), Outcome::Fail, "{}", c.to_text());
    assert_eq!(verdict(&c, "T33").events, [4, 5]);
    // Decided within 30 working days of the acceptance: from Thursday 10-08,
    // counting the adjusted working Saturday 10-10, the thirtieth working
    // day is Wednesday 11-18.
    let c = judged(&base("2026-09-28", "2026-10-08", "2026-11-18"));
    assert_eq!(outcome(&c, "T33"), Outcome::Pass, "{}", c.to_text());
    let c = judged(&base("2026-09-28", "2026-10-08", "2026-11-19"));
    assert_eq!(outcome(&c, "T33"), Outcome::Fail, "{}", c.to_text());
    // A complaint about the result with no objection first; one undecided.
    let c = judged(&[
        (at("2026-09-01"), registration(true, 1)),
        (at("2026-09-01"), schedule("2026-09-10T09:30:00+08:00")),
        (at("2026-09-15"), complaint(None)),
    ]);
    assert_eq!(outcome(&c, "T33"), Outcome::Fail, "{}", c.to_text());
    let mut events = base("2026-09-28", "2026-09-30", "2026-10-30");
    events.pop();
    assert_eq!(outcome(&judged(&events), "T33"), Outcome::Indeterminate);
    // Filed by the owner or accepted by a bidder: not their step.
    let mut events = base("2026-09-28", "2026-09-30", "2026-10-30");
    events[5].1["principal"] = json!("bidder-a");
    assert_eq!(verdict(&judged(&events), "P01").events, [5]);
}

#[test]
fn t17_l02_e31_the_opening_phases_in_order_and_failures_decided() {
    let before = "2026-03-23T09:29:59+08:00".to_owned();
    let phase = |p: &str| step("opening_phase", json!({"phase": p}));
    let opened = |started: &str, order: &[&str]| {
        let mut events = vec![
            (before.clone(), sealed_bid("bidder-a", 10)),
            (before.clone(), sealed_bid("bidder-b", 11)),
            (before.clone(), sealed_bid("bidder-c", 12)),
        ];
        events.extend(order.iter().map(|p| (started.to_owned(), phase(p))));
        bidding(events)
    };
    let all = ["started", "deposits_extracted", "bids_verified", "prices_announced", "ended"];
    let c = opened("2026-03-23T09:30:00+08:00", &all);
    assert_eq!(outcome(&c, "L02"), Outcome::Pass, "{}", c.to_text());
    assert_eq!(outcome(&c, "T17"), Outcome::Pass, "{}", c.to_text());
    // 法 34: at the deadline, not an hour and more after it.
    assert_eq!(outcome(&opened("2026-03-23T10:30:00+08:00", &all), "T17"), Outcome::Pass);
    let c = opened("2026-03-23T10:30:01+08:00", &all);
    assert_eq!(outcome(&c, "T17"), Outcome::Fail, "{}", c.to_text());
    assert_eq!(verdict(&c, "T17").events, [2, 6]);
    // Out of order, twice, or not begun with the start.
    let c = opened("2026-03-23T09:30:00+08:00", &["started", "prices_announced", "bids_verified"]);
    assert_eq!(verdict(&c, "L02").events, [7, 8], "{}", c.to_text());
    let c = opened("2026-03-23T09:30:00+08:00", &["started", "started"]);
    assert_eq!(outcome(&c, "L02"), Outcome::Fail);
    let c = opened("2026-03-23T09:30:00+08:00", &["bids_verified"]);
    assert_eq!(verdict(&c, "L02").events, [6]);
    // Before the deadline: an early opening (办法 28), judged by T17.
    let c = opened(&before, &["started"]);
    assert_eq!(verdict(&c, "T17").events, [6], "{}", c.to_text());
    // 办法 31: a failure of unknown cause, decided before the award.
    let after = "2026-03-23T09:30:00+08:00".to_owned();
    let failed = |attribution: &str| {
        step(
            "decryption_failed",
            json!({"sealed": {"index": 4, "leaf_hash": "00".repeat(32)}, "attribution": attribution}),
        )
    };
    let decided = step(
        "decryption_adjudicated",
        json!({"failure": {"index": 6, "leaf_hash": "00".repeat(32)}, "attribution": "other"}),
    );
    let base = vec![
        (before.clone(), sealed_bid("bidder-a", 10)),
        (before.clone(), sealed_bid("bidder-b", 11)),
        (after.clone(), reveal(3, "bidder-a", 10)),
        (after.clone(), failed("unknown")),
    ];
    let award = (at("2026-03-30"), doc("award_notice", "agency-01", 40));
    let mut undecided = base.clone();
    undecided.push(award.clone());
    assert_eq!(outcome(&bidding(undecided), "E31"), Outcome::Fail);
    let mut decided_first = base;
    decided_first.push((at("2026-03-24"), decided));
    decided_first.push(award);
    let c = bidding(decided_first);
    assert_eq!(outcome(&c, "E31"), Outcome::Pass, "{}", c.to_text());
}

#[test]
fn t07_every_clarification_to_everyone_who_had_the_documents() {
    let link = |position: u64| json!({"index": position, "leaf_hash": "00".repeat(32)});
    let delivered = |clarification: u64, to: &[u64]| {
        step(
            "clarification_delivered",
            json!({"clarification": link(clarification),
                   "to": to.iter().map(|p| link(*p)).collect::<Vec<_>>()}),
        )
    };
    // Bidders A and B obtain the documents (3, 4), the clarification (5) is
    // sent to both; C obtains them afterwards (7), with the change in them.
    let base = |to: &[u64]| {
        bidding(vec![
            (at("2026-03-03"), sealed("tender_documents_obtained", "bidder-a", 1)),
            (at("2026-03-04"), sealed("tender_documents_obtained", "bidder-b", 1)),
            (at("2026-03-05"), doc("tender_documents_clarification", "agency-01", 2)),
            (at("2026-03-05"), delivered(5, to)),
            (at("2026-03-06"), sealed("tender_documents_obtained", "bidder-c", 1)),
        ])
    };
    let c = base(&[3, 4]);
    assert_eq!(outcome(&c, "T07"), Outcome::Pass, "{}", c.to_text());
    assert_eq!(outcome(&c, "E26"), Outcome::NotApplicable, "sealed: {}", c.to_text());
    let c = base(&[3]);
    assert_eq!(outcome(&c, "T07"), Outcome::Fail, "{}", c.to_text());
    assert_eq!(verdict(&c, "T07").events, [4, 5]);
    // No record of who obtained them: undecided; no change: not applicable.
    let c =
        bidding(vec![(at("2026-03-05"), doc("tender_documents_clarification", "agency-01", 2))]);
    assert_eq!(outcome(&c, "T07"), Outcome::Indeterminate);
    assert_eq!(outcome(&bidding(vec![]), "T07"), Outcome::NotApplicable);
    // In the open, the record names a would-be bidder (办法 21).
    let c = bidding(vec![(at("2026-03-03"), doc("tender_documents_obtained", "bidder-a", 1))]);
    assert_eq!(verdict(&c, "E26").events, [3]);
}
