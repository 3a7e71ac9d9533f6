//! The tender procedure enforced on admission (`verifier::procedure`), by
//! the platform's received time: a bid at or after the deadline, a reveal
//! before the opening, a second reveal, an opening record before the
//! deadline and a schedule change once the deadline passed are each refused
//! with check `procedure`, and nothing else changes; each limit is tested at
//! the limit and one millisecond inside it.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use ledger::{Answer, Appender, AppenderConfig, ManualClock, SubmitError};
use verifier::Hash;
use verifier::event::{Body, Content, Document, DocumentType, Request, Schedule, SealRequest};

const T: &str = "ZB2026-PROC-001";
const DEADLINE: u64 = 1_800_000_000_000;
const OPENING: u64 = DEADLINE + 60_000;

fn doc(kind: DocumentType, n: u8) -> Document {
    Document::new(kind, Hash([n; 32]), 1000 + u64::from(n), "application/pdf")
}

fn content(principal: &str, body: Body) -> Request {
    Request::Log(Content { tender: T.into(), principal: principal.into(), body })
}

fn sealed_bid(n: u8) -> Request {
    Request::Seal(SealRequest {
        tender: T.into(),
        principal: format!("bidder-{n}"),
        document: doc(DocumentType::Bid, n),
    })
}

fn schedule(deadline: u64, opening: u64) -> Request {
    content("agency", Body::Schedule(Schedule::new(deadline, opening)))
}

struct Log {
    clock: Arc<ManualClock>,
    appender: Appender,
    _dir: tempfile::TempDir,
}

impl Log {
    fn new() -> Log {
        let dir = tempfile::tempdir().unwrap();
        ledger::init(dir.path(), "procedure.tenderlog.example/log", &ManualClock::new(1)).unwrap();
        let clock = Arc::new(ManualClock::new(DEADLINE - 3_600_000));
        let config = AppenderConfig {
            clock: clock.clone(),
            stamp_checkpoints: false,
            ..AppenderConfig::default()
        };
        let appender = Appender::open(dir.path(), config).unwrap();
        Log { clock, appender, _dir: dir }
    }

    fn at(&self, ms: u64) -> &Log {
        self.clock.set(ms);
        self
    }

    fn send(&self, r: Request) -> Answer {
        self.appender.append(vec![r]).unwrap().pop().unwrap()
    }

    fn size(&self) -> u64 {
        self.appender.status().tree_size.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A refusal by the procedure check: its reason, and whether a rejection
/// was logged for it.
fn refused(a: Answer) -> (String, bool) {
    match a {
        Err(SubmitError::Refused { refused, .. }) => match refused.error {
            verifier::Error::CheckFailed { check, reason } => {
                assert_eq!(check, "procedure", "{reason}");
                (reason, refused.logged.is_some())
            }
            e => panic!("refused by another check: {e}"),
        },
        Ok(c) => panic!("accepted as entry {}", c.appended.index),
        Err(e) => panic!("failed: {e}"),
    }
}

#[test]
fn bids_are_taken_until_the_deadline_and_not_at_it() {
    let log = Log::new();
    log.send(schedule(DEADLINE, OPENING)).unwrap();
    // One millisecond before the deadline: open and sealed bids are taken.
    log.at(DEADLINE - 1)
        .send(content("bidder-1", Body::Document(doc(DocumentType::Bid, 1))))
        .unwrap();
    log.send(sealed_bid(2)).unwrap();
    // At the deadline: refused, and the refusal is logged (with its receipt).
    let before = log.size();
    let (why, logged) = refused(
        log.at(DEADLINE).send(content("bidder-3", Body::Document(doc(DocumentType::Bid, 3)))),
    );
    assert!(why.contains("at or after the bid deadline"), "{why}");
    assert!(logged);
    let (_, logged) = refused(log.send(sealed_bid(4)));
    assert!(logged, "a refused sealed bid is logged, under its commitment");
    assert_eq!(log.size(), before + 2, "two rejections and nothing else");
    // Other documents are not bids: still taken.
    log.send(content("agency", Body::Document(doc(DocumentType::TenderDocumentsClarification, 5))))
        .unwrap();
}

#[test]
fn a_tender_without_a_schedule_has_no_deadline_to_judge_by() {
    let log = Log::new();
    log.at(DEADLINE + 1).send(sealed_bid(1)).unwrap();
    log.send(content("bidder-2", Body::Document(doc(DocumentType::Bid, 2)))).unwrap();
}

#[test]
fn a_sealed_bid_is_revealed_once_and_only_from_the_opening() {
    let log = Log::new();
    log.send(schedule(DEADLINE, OPENING)).unwrap();
    let opening = log.send(sealed_bid(1)).unwrap().opening.unwrap();
    let reveal = || content("agency", Body::Reveal(opening.clone()));
    let before = log.size();
    let (why, logged) = refused(log.at(OPENING - 1).send(reveal()));
    assert!(why.contains("before the opening"), "{why}");
    assert!(logged);
    // The logged rejection names the sealed entry's commitment, never the bid.
    assert_eq!(log.size(), before + 1);
    log.at(OPENING).send(reveal()).unwrap();
    // The same reveal again is a duplicate of the first, not a second one.
    let again = log.send(reveal()).unwrap();
    assert!(again.appended.duplicate);
    // Another reveal of the same entry (another principal sends it) is refused.
    let (why, _) = refused(log.send(content("someone-else", Body::Reveal(opening.clone()))));
    assert!(why.contains("already revealed"), "{why}");
}

#[test]
fn the_opening_record_waits_for_the_deadline() {
    let log = Log::new();
    log.send(schedule(DEADLINE, OPENING)).unwrap();
    let record = |n| content("agency", Body::Document(doc(DocumentType::OpeningRecord, n)));
    let (why, logged) = refused(log.at(DEADLINE - 1).send(record(1)));
    assert!(why.contains("before the bid deadline"), "{why}");
    assert!(logged);
    log.at(DEADLINE).send(record(2)).unwrap();
}

#[test]
fn the_schedule_cannot_move_once_the_deadline_passed() {
    let log = Log::new();
    log.send(schedule(DEADLINE, OPENING)).unwrap();
    // Before the deadline it may move (a later deadline).
    log.at(DEADLINE - 1).send(schedule(DEADLINE + 10, OPENING + 10)).unwrap();
    // At the new deadline it is fixed: refused, nothing logged.
    let before = log.size();
    let (why, logged) = refused(log.at(DEADLINE + 10).send(schedule(DEADLINE * 2, OPENING * 2)));
    assert!(why.contains("after the bid deadline"), "{why}");
    assert!(!logged);
    assert_eq!(log.size(), before);
    // So a bid after the deadline stays late.
    refused(log.send(sealed_bid(9)));
}

#[test]
fn the_state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    ledger::init(dir.path(), "procedure.tenderlog.example/log", &ManualClock::new(1)).unwrap();
    let clock = Arc::new(ManualClock::new(DEADLINE - 10));
    let config = AppenderConfig {
        clock: clock.clone(),
        stamp_checkpoints: false,
        ..AppenderConfig::default()
    };
    let opening = {
        let a = Appender::open(dir.path(), config.clone()).unwrap();
        a.append(vec![schedule(DEADLINE, OPENING)]).unwrap();
        let o = a.append(vec![sealed_bid(1)]).unwrap().pop().unwrap().unwrap().opening.unwrap();
        clock.set(OPENING);
        a.append(vec![content("agency", Body::Reveal(o.clone()))]).unwrap().pop().unwrap().unwrap();
        o
    };
    // A new writer replays the tender's chain: the deadline and the reveal hold.
    let a = Appender::open(dir.path(), config).unwrap();
    let late = a.append(vec![sealed_bid(2)]).unwrap().pop().unwrap();
    refused(late);
    let twice =
        a.append(vec![content("someone-else", Body::Reveal(opening))]).unwrap().pop().unwrap();
    let (why, _) = refused(twice);
    assert!(why.contains("already revealed"), "{why}");
}

fn registration() -> Request {
    use verifier::registration::{Method, Party, Registration};
    let party = |name: &str, uscc: &str, p: &str| Party {
        name: name.into(),
        uscc: verifier::ids::Uscc::parse(uscc).unwrap(),
        principals: vec![p.into()],
    };
    content(
        "agency",
        Body::Registration(Registration {
            project: "教学楼施工".into(),
            tenderer: party("某市第一中学", "91350100M000100Y43", "school"),
            agency: Some(party("某招标代理有限公司", "91110000600037341L", "agency")),
            method: Method::Open,
            prequalification: false,
            must_tender: true,
            state_capital: true,
            estimate_fen: Some(500_000_000),
            max_price_fen: None,
            bid_security_fen: Some(8_000_000),
            bid_validity_days: Some(90),
            supervisors: vec!["supervisor".into()],
        }),
    )
}

fn step(principal: &str, s: verifier::steps::ProcedureStep) -> Request {
    content(principal, Body::Procedure(s))
}

/// The procedure's steps are the owner's; a decryption failure names a
/// sealed entry of the tender by index and leaf hash; after a termination
/// only refunds are taken (a document is refused with its refusal logged, a
/// step refused with nothing logged).
#[test]
fn steps_are_the_owners_and_a_terminated_tender_takes_only_refunds() {
    use verifier::steps::{
        Attribution, DecryptionFailure, ProcedureStep as S, SecurityRefund, Termination,
    };
    let log = Log::new();
    log.send(registration()).unwrap();
    log.send(schedule(DEADLINE, DEADLINE)).unwrap();
    let sealed = log.at(DEADLINE - 1).send(sealed_bid(1)).unwrap().appended;
    let failure = |leaf_hash| {
        S::DecryptionFailed(DecryptionFailure {
            sealed: verifier::event::EventLink { index: sealed.index, leaf_hash },
            attribution: Attribution::Other,
        })
    };
    log.at(DEADLINE);
    // A wrong leaf hash, or an entry that is not sealed: refused.
    let size = log.size();
    assert!(log.send(step("agency", failure(Hash([9; 32])))).is_err());
    // A bidder may not record it.
    match log.send(step("bidder-1", failure(sealed.leaf_hash))) {
        Err(SubmitError::Refused { refused, .. }) => {
            assert!(matches!(refused.error, verifier::Error::NotEntitled(_)), "{}", refused.error);
            assert!(refused.logged.is_none());
        }
        other => panic!("expected a refusal, got {:?}", other.map(|c| c.appended.index)),
    }
    assert_eq!(log.size(), size, "nothing logged");
    log.send(step("agency", failure(sealed.leaf_hash))).unwrap();

    log.send(step("agency", S::Terminated(Termination { reason: "项目取消".into() }))).unwrap();
    let refund = |n: u64| {
        step(
            "agency",
            S::SecurityRefunded(SecurityRefund { bidder: "bidder-1".into(), amount_fen: n }),
        )
    };
    log.send(refund(8_000_000)).unwrap();
    let (why, logged) = refused(
        log.send(content("agency", Body::Document(doc(DocumentType::TenderDocumentsAmendment, 7)))),
    );
    assert!(why.contains("terminated") && logged, "{why}");
    let size = log.size();
    let (why, logged) = refused(log.send(schedule(2 * DEADLINE, 2 * DEADLINE)));
    assert!(why.contains("terminated") && !logged, "{why}");
    assert_eq!(log.size(), size);
    log.send(refund(8_000_001)).unwrap();
}

/// A refused document is found as refused, with its reason, when its file
/// is given to the offline verifier with the tender's bundle — not as
/// "never logged".
#[test]
fn a_refused_document_is_reported_as_refused_with_its_reason() {
    use sha2::Digest as _;
    let log = Log::new();
    log.send(schedule(DEADLINE, OPENING)).unwrap();
    let file = b"the late bid of bidder 9".to_vec();
    let sha = Hash(sha2::Sha256::digest(&file).into());
    let late = Document::new(DocumentType::Bid, sha, file.len() as u64, "application/pdf");
    let (_, logged) = refused(log.at(DEADLINE + 5).send(content("bidder-9", Body::Document(late))));
    assert!(logged);
    log.appender.shutdown();

    let dir = log._dir.path();
    let store = ledger::Store::open(dir).unwrap();
    let signer = ledger::keys::load(&ledger::store::key_path(dir), store.origin()).unwrap();
    let roots = ledger::trust::bundle_roots(dir).unwrap();
    let bundle = store
        .export_bundle(&verifier::bundle::Selection::Tender(T.into()), Some(&signer), &roots)
        .unwrap();
    let given = verifier::report::GivenDocument::of_bytes("late-bid.pdf", &file);
    let report = verifier::report::verify_bundle(&bundle, None, &[given]);
    let text = report.to_text();
    assert!(text.contains("document \"late-bid.pdf\" was REFUSED, not filed"), "{text}");
    assert!(text.contains("procedure check: a bid received at"), "{text}");
    assert_eq!(report.documents[0]["refused"], true);
    assert!(!report.verified, "the file was not filed: the document check fails");
}

/// An objection is its objector's (a bidder's, never the owner's); its
/// answer is the owner's and must name an objection of the tender by index
/// and leaf hash.
#[test]
fn objections_are_the_bidders_and_answers_name_an_objection() {
    use verifier::event::EventLink;
    use verifier::steps::{Objection, ObjectionAbout, ObjectionAnswer, ProcedureStep as S};
    let log = Log::new();
    log.send(registration()).unwrap();
    log.send(schedule(DEADLINE, DEADLINE)).unwrap();
    log.at(DEADLINE);
    let raise = || S::ObjectionRaised(Objection { about: ObjectionAbout::Opening });
    let size = log.size();
    match log.send(step("agency", raise())) {
        Err(SubmitError::Refused { refused, .. }) => {
            assert!(matches!(refused.error, verifier::Error::NotEntitled(_)), "{}", refused.error);
        }
        other => panic!("expected a refusal, got {:?}", other.map(|c| c.appended.index)),
    }
    assert_eq!(log.size(), size, "nothing logged");
    let raised = log.send(step("bidder-1", raise())).unwrap().appended;
    let answer = |index, leaf_hash| {
        S::ObjectionAnswered(ObjectionAnswer { objection: EventLink { index, leaf_hash } })
    };
    // Naming another entry, or the objection by a wrong leaf hash: refused.
    assert!(log.send(step("agency", answer(0, raised.leaf_hash))).is_err());
    assert!(log.send(step("agency", answer(raised.index, Hash([9; 32])))).is_err());
    // A bidder does not answer.
    assert!(log.send(step("bidder-2", answer(raised.index, raised.leaf_hash))).is_err());
    assert_eq!(log.size(), size + 1);
    log.send(step("agency", answer(raised.index, raised.leaf_hash))).unwrap();
    assert_eq!(log.size(), size + 2);
}

fn sealed(principal: &str, kind: DocumentType, n: u8) -> Request {
    Request::Seal(SealRequest {
        tender: T.into(),
        principal: principal.into(),
        document: doc(kind, n),
    })
}

/// A bid's modification and withdrawal are a bidder's, sealed, and taken
/// until the deadline only (招标投标法 art. 29); an objection to the
/// documents is sealed too, and its answer and a refund of a withdrawal
/// name their entries; complaints are the bidders', their handling the
/// supervisors'; counts of who may bid wait for the opening.
#[test]
fn changes_to_bids_objections_refunds_and_complaints() {
    use verifier::event::EventLink;
    use verifier::steps::{
        Complaint, ComplaintAbout, ComplaintAcceptance, Invitations, ObjectionAnswer,
        ProcedureStep as S, WithdrawalRefund,
    };
    let log = Log::new();
    log.send(registration()).unwrap();
    log.send(schedule(DEADLINE, DEADLINE)).unwrap();
    let before = log.at(DEADLINE - 1);
    before.send(sealed_bid(1)).unwrap();
    before.send(sealed("bidder-1", DocumentType::BidModification, 2)).unwrap();
    let withdrawal =
        before.send(sealed("bidder-1", DocumentType::BidWithdrawal, 3)).unwrap().appended;
    let objection = before
        .send(sealed("bidder-2", DocumentType::TenderDocumentsObjection, 4))
        .unwrap()
        .appended;
    // In the open they would name the bidder.
    let size = log.size();
    let (reason, logged) = refused(
        before.send(content("bidder-1", Body::Document(doc(DocumentType::BidWithdrawal, 5)))),
    );
    assert!(reason.contains("filed in the open"), "{reason}");
    assert!(logged, "the refusal is logged");
    assert_eq!(log.size(), size + 1);
    // The answer names the sealed objection; a refund names the withdrawal,
    // not an objection.
    let answer = |l: EventLink| S::ObjectionAnswered(ObjectionAnswer { objection: l });
    let refund =
        |l: EventLink| S::WithdrawalRefunded(WithdrawalRefund { withdrawal: l, amount_fen: 1 });
    let link = |e: &ledger::Appended| EventLink { index: e.index, leaf_hash: e.leaf_hash };
    assert!(before.send(step("agency", refund(link(&objection)))).is_err());
    assert!(before.send(step("agency", answer(link(&withdrawal)))).is_err());
    before.send(step("agency", answer(link(&objection)))).unwrap();
    before.send(step("agency", refund(link(&withdrawal)))).unwrap();
    // A clarification goes to those who obtained the documents, named by
    // their sealed records; a bid is not such a record.
    let obtained =
        before.send(sealed("bidder-1", DocumentType::TenderDocumentsObtained, 8)).unwrap().appended;
    let clarification = before
        .send(content("agency", Body::Document(doc(DocumentType::TenderDocumentsClarification, 9))))
        .unwrap()
        .appended;
    let deliver = |to: Vec<EventLink>| {
        S::ClarificationDelivered(verifier::steps::Delivery {
            clarification: link(&clarification),
            to,
        })
    };
    assert!(before.send(step("agency", deliver(vec![link(&withdrawal)]))).is_err());
    before.send(step("agency", deliver(vec![link(&obtained)]))).unwrap();
    // How many were invited, before the opening: refused, nothing logged.
    let size = log.size();
    let invited = || S::InvitationsSent(Invitations { count: 3 });
    let (reason, logged) = refused(before.send(step("agency", invited())));
    assert!(reason.contains("once the bids are opened"), "{reason}");
    assert!(!logged);
    assert_eq!(log.size(), size);
    // At the deadline: a modification or withdrawal is late, logged as refused.
    let at = log.at(DEADLINE);
    for (kind, n) in [(DocumentType::BidModification, 6), (DocumentType::BidWithdrawal, 7)] {
        let (reason, logged) = refused(at.send(sealed("bidder-1", kind, n)));
        assert!(reason.contains("at or after the bid deadline"), "{reason}");
        assert!(logged);
    }
    at.send(step("agency", invited())).unwrap();
    // A complaint after the objection; the supervisor accepts it.
    let complaint = at
        .send(step(
            "bidder-2",
            S::ComplaintFiled(Complaint {
                about: ComplaintAbout::Documents,
                objection: Some(link(&objection)),
            }),
        ))
        .unwrap()
        .appended;
    let accept =
        S::ComplaintAccepted(ComplaintAcceptance { complaint: link(&complaint), accepted: true });
    match at.send(step("agency", accept.clone())) {
        Err(SubmitError::Refused { refused, .. }) => {
            assert!(matches!(refused.error, verifier::Error::NotEntitled(_)), "{}", refused.error);
        }
        other => panic!("expected a refusal, got {:?}", other.map(|c| c.appended.index)),
    }
    let wrong =
        S::ComplaintAccepted(ComplaintAcceptance { complaint: link(&objection), accepted: true });
    assert!(at.send(step("supervisor", wrong)).is_err(), "not a complaint");
    at.send(step("supervisor", accept)).unwrap();
}
