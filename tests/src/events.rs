//! One event of every kind, with every optional part filled somewhere: the
//! golden files pin their leaves, and the codec tests check them against a
//! second CBOR implementation. They read the project's own fixtures from
//! `tests/golden` and panic if those are missing.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::path::PathBuf;

use verifier::Hash;
use verifier::event::{
    Body, Bytes, CertKind, CertificateEvent, Document, DocumentType, Event, EventLink, Lifecycle,
    Schedule,
};

/// Every sample event with the name of its golden files.
pub fn all() -> Vec<(&'static str, Event)> {
    vec![
        ("event-v1-document", document_event()),
        ("event-v1-schedule", schedule_event()),
        ("event-v1-certificate", certificate_event()),
        ("event-v1-signed-document", signed_document_event()),
        ("event-v1-policy", policy_event()),
        ("event-v1-submission-rejected", rejection_event()),
        ("event-v1-document-with-seals", document_with_seals_event()),
        ("event-v1-document-ofd-seals", document_ofd_seals_event()),
        ("event-v1-seal-binding", seal_binding_event()),
        ("event-v1-sealed-document", sealed_document_event()),
        ("event-v1-reveal", reveal_event()),
        ("event-v1-registration", registration_event()),
        ("event-v1-procedure-decryption-failed", procedure_events()[0].clone()),
        ("event-v1-procedure-candidates-published", procedure_events()[1].clone()),
        ("event-v1-procedure-award-decided", procedure_events()[2].clone()),
        ("event-v1-procedure-result-notices-sent", procedure_events()[3].clone()),
        ("event-v1-procedure-report-filed", procedure_events()[4].clone()),
        ("event-v1-procedure-security-refunded", procedure_events()[5].clone()),
        ("event-v1-procedure-terminated", procedure_events()[6].clone()),
        ("event-v1-procedure-objection-raised", procedure_events()[7].clone()),
        ("event-v1-procedure-objection-answered", procedure_events()[8].clone()),
        ("event-v1-procedure-withdrawal-refunded", procedure_events()[9].clone()),
        ("event-v1-procedure-committee-formed", procedure_events()[10].clone()),
        ("event-v1-procedure-more-time-asked", procedure_events()[11].clone()),
        ("event-v1-procedure-performance-security-posted", procedure_events()[12].clone()),
        ("event-v1-procedure-invitations-sent", procedure_events()[13].clone()),
        ("event-v1-procedure-prequalification-passed", procedure_events()[14].clone()),
        ("event-v1-procedure-complaint-filed", procedure_events()[15].clone()),
        ("event-v1-procedure-complaint-accepted", procedure_events()[16].clone()),
        ("event-v1-procedure-complaint-decided", procedure_events()[17].clone()),
        ("event-v1-procedure-opening-phase", procedure_events()[18].clone()),
        ("event-v1-procedure-decryption-adjudicated", procedure_events()[19].clone()),
        ("event-v1-procedure-clarification-delivered", procedure_events()[20].clone()),
        ("event-v1-schedule-all-times", schedule_all_times_event()),
        ("event-v1-sealed-withdrawal", sealed_withdrawal_event()),
        ("event-v1-calendar", calendar_event()),
    ]
}

/// A hash of 32 equal bytes.
pub fn h(byte: u8) -> Hash {
    Hash([byte; 32])
}

/// A bid filed in the open, with both digests and a title.
pub fn document_event() -> Event {
    Event {
        v: 1,
        tender: "ZB2026-001 第一标段".into(),
        seq: 3,
        prev_tender: Some(EventLink { index: 40, leaf_hash: h(0x11) }),
        prev_leaf: Some(h(0x22)),
        received_ms: 1_798_000_000_123,
        principal: "bidder-a".into(),
        body: Body::Document(Document {
            document_type: DocumentType::Bid,
            sha256: h(0x33),
            sm3: Some(h(0x44)),
            size: 1_234_567,
            media_type: "application/ofd".into(),
            title: Some("投标文件".into()),
            signatures: Vec::new(),
            timestamps: Vec::new(),
            seals: Vec::new(),
            ofd_seals: Vec::new(),
            received_timestamp: None,
        }),
        policy: None,
    }
}

/// An OFD package filed with the e-seal inside it, as `tenderlog ofd
/// extract` gives it: the seal over its signature's Signature.xml.
pub fn document_ofd_seals_event() -> Event {
    let mut e = document_event();
    if let Body::Document(d) = &mut e.body {
        d.document_type = DocumentType::AwardNotice;
        d.ofd_seals = vec![verifier::event::OfdSeal {
            signature_xml: "/Doc_0/Signs/Sign_0/Signature.xml".into(),
            signature_xml_sm3: h(0x55),
            seal: verifier::event::Bytes(vec![0x30, 0x03, 0x02, 0x01, 0x04]),
        }];
    }
    e
}

/// A tender's key times.
pub fn schedule_event() -> Event {
    Event {
        v: 1,
        tender: "ZB2026-001".into(),
        seq: 0,
        prev_tender: None,
        prev_leaf: None,
        received_ms: 0,
        principal: "agency-01".into(),
        body: Body::Schedule(Schedule::new(1_798_000_000_000, 1_798_000_000_000)),
        policy: None,
    }
}

/// A trader certificate registered (the project's own fixture).
pub fn certificate_event() -> Event {
    // A self-signed Ed25519 trader certificate made once with openssl for this
    // golden file (tests/golden/trader-cert.der, the project's own fixture).
    let der =
        std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden/trader-cert.der"))
            .unwrap();
    Event {
        v: 1,
        tender: verifier::event::cert_tender(&verifier::pki::fingerprint_of(&der)),
        seq: 0,
        prev_tender: None,
        prev_leaf: Some(h(0x66)),
        received_ms: 1_798_000_000_456,
        principal: "ca-registry".into(),
        body: Body::Certificate(CertificateEvent {
            der: Bytes(der),
            cert_kind: CertKind::Trader,
            uscc: Some("91350100M000100Y43".parse().unwrap()),
            unit_name: Some("某某建设有限公司".into()),
            resident_id: None,
            lifecycle: Lifecycle::Issued,
            effective_ms: 1_798_000_000_000,
        }),
        policy: None,
    }
}

/// A signed, stamped document under a rule pack: the signature and token
/// bytes are placeholders (the format pins where they go, not their validity).
pub fn signed_document_event() -> Event {
    use verifier::event::{DocSignature, SignatureFormat};
    let mut e = document_event();
    e.seq = 2;
    e.prev_tender = Some(EventLink { index: 41, leaf_hash: h(0x41) });
    if let Body::Document(d) = &mut e.body {
        d.signatures = vec![
            DocSignature {
                format: SignatureFormat::Raw,
                cert: h(0xc1),
                sm2_id: None,
                value: Bytes(vec![0x30; 70]),
            },
            DocSignature {
                format: SignatureFormat::Cms,
                cert: h(0xc2),
                sm2_id: Some("bidder-a@example".into()),
                value: Bytes(vec![0x31; 40]),
            },
        ];
        d.timestamps = vec![Bytes(vec![0x32; 50])];
    }
    e.policy = Some(EventLink { index: 3, leaf_hash: h(0x03) });
    e
}

/// A document with e-seals and the platform's receipt token.
pub fn document_with_seals_event() -> Event {
    let mut e = signed_document_event();
    if let Body::Document(d) = &mut e.body {
        d.sm3 = Some(h(0x33));
        d.seals = vec![Bytes(vec![0x30; 60])];
        d.received_timestamp = Some(Bytes(vec![0x34; 50]));
    }
    e
}

/// A unit seal bound to a trader certificate (the seal is the demo's).
pub fn seal_binding_event() -> Event {
    let seal = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden/seal-v4.der"))
        .unwrap();
    let fp = verifier::pki::fingerprint_of(&seal);
    Event {
        v: 1,
        tender: verifier::event::seal_tender(&fp),
        seq: 0,
        prev_tender: None,
        prev_leaf: Some(h(0x05)),
        received_ms: 1_798_000_000_005,
        principal: "ca-registry".into(),
        body: Body::SealBinding(verifier::event::SealBinding {
            seal: Bytes(seal),
            role: verifier::policy::SealRole::UnitSeal,
            cert: h(0xc1),
            action: verifier::event::BindingAction::Bound,
            effective_ms: 1_797_000_000_000,
        }),
        policy: None,
    }
}

/// The default rule pack coming into force.
pub fn policy_event() -> Event {
    Event {
        v: 1,
        tender: "policy".into(),
        seq: 0,
        prev_tender: None,
        prev_leaf: Some(h(0x02)),
        received_ms: 1_798_000_000_003,
        principal: "operator".into(),
        body: Body::Policy(pack_v1()),
        policy: None,
    }
}

/// The pack as version 1 shipped it: today's without the document types
/// added since (whose rules came with version 2). Its bytes are pinned.
pub fn pack_v1() -> verifier::policy::RulePack {
    use verifier::event::DocumentType as D;
    let mut pack = verifier::policy::RulePack::default_pack();
    pack.version = 1;
    pack.rules.retain(|r| {
        !matches!(
            r.document_type,
            D::BidModification
                | D::BidWithdrawal
                | D::TenderDocumentsObjection
                | D::PrequalificationDocumentsObjection
                | D::TenderDocumentsObtained
                | D::PrequalificationDocumentsObtained
        )
    });
    pack
}

/// A refused submission, logged.
pub fn rejection_event() -> Event {
    let Body::Document(d) = document_event().body else { unreachable!() };
    Event {
        v: 1,
        tender: "ZB2026-001".into(),
        seq: 3,
        prev_tender: Some(EventLink { index: 42, leaf_hash: h(0x42) }),
        prev_leaf: Some(h(0x42)),
        received_ms: 1_798_000_000_777,
        principal: "bidder-a".into(),
        body: Body::SubmissionRejected(verifier::event::Rejection::new(
            &d,
            "policy",
            "a bid needs a verified trusted timestamp; none was given",
        )),
        policy: None,
    }
}

/// A bid filed under seal: type, time and commitment only.
pub fn sealed_document_event() -> Event {
    let Body::Document(doc) = document_event().body else { unreachable!() };
    let salt = [0x5a; 32];
    Event {
        v: 1,
        tender: "ZB2026-001 第一标段".into(),
        seq: 4,
        prev_tender: Some(EventLink { index: 41, leaf_hash: h(0x12) }),
        prev_leaf: Some(h(0x23)),
        received_ms: 1_798_000_000_456,
        principal: verifier::event::SEALED_PRINCIPAL.into(),
        body: Body::SealedDocument(verifier::event::SealedDocument {
            document_type: DocumentType::Bid,
            commitment: verifier::event::commitment(&salt, "ZB2026-001 第一标段", "bidder-a", &doc)
                .unwrap(),
        }),
        policy: None,
    }
}

/// A bid's withdrawal notice, filed sealed (a document type added after
/// the first release).
pub fn sealed_withdrawal_event() -> Event {
    let Body::Document(mut doc) = document_event().body else { unreachable!() };
    doc.document_type = DocumentType::BidWithdrawal;
    let mut e = sealed_document_event();
    e.seq = 5;
    e.body = Body::SealedDocument(verifier::event::SealedDocument {
        document_type: DocumentType::BidWithdrawal,
        commitment: verifier::event::commitment(&[0x5b; 32], &e.tender, "bidder-a", &doc).unwrap(),
    });
    e
}

/// A holiday calendar published (a kind added after the first release):
/// one year, with days off and a worked weekend.
pub fn calendar_event() -> Event {
    use verifier::calendar::{HolidayCalendar, YearArrangement};
    Event {
        v: 1,
        tender: verifier::event::CALENDAR_TENDER.into(),
        seq: 0,
        prev_tender: None,
        prev_leaf: Some(h(0x03)),
        received_ms: 1_798_000_000_004,
        principal: "operator".into(),
        body: Body::Calendar(HolidayCalendar {
            name: "cn-state-council".into(),
            version: 1,
            years: vec![YearArrangement {
                year: 2026,
                source: "国务院办公厅关于2026年部分节假日安排的通知".into(),
                off_days: vec!["2026-10-01".into(), "2026-10-02".into()],
                working_days: vec!["2026-10-10".into()],
            }],
        }),
        policy: None,
    }
}

/// A schedule with every optional time (added after the first release).
pub fn schedule_all_times_event() -> Event {
    let mut e = schedule_event();
    e.body = Body::Schedule(Schedule {
        bid_deadline_ms: 1_798_000_000_000,
        opening_ms: 1_798_000_000_000,
        documents_sale_end_ms: Some(1_797_000_000_000),
        prequalification_sale_end_ms: Some(1_796_000_000_000),
        prequalification_deadline_ms: Some(1_796_500_000_000),
    });
    e
}

/// The opening of [`sealed_document_event`].
pub fn reveal_event() -> Event {
    let Body::Document(doc) = document_event().body else { unreachable!() };
    Event {
        v: 1,
        tender: "ZB2026-001 第一标段".into(),
        seq: 9,
        prev_tender: Some(EventLink { index: 70_000, leaf_hash: h(0x13) }),
        prev_leaf: Some(h(0x24)),
        received_ms: 1_798_000_900_000,
        principal: "platform".into(),
        body: Body::Reveal(verifier::event::Reveal {
            sealed: EventLink { index: 41 + 1, leaf_hash: h(0x14) },
            salt: Bytes(vec![0x5a; 32]),
            principal: "bidder-a".into(),
            document: doc,
        }),
        policy: None,
    }
}

/// A tender opened by its registration: owner, agency, supervisor and the
/// project facts, every optional field filled.
pub fn registration_event() -> Event {
    use verifier::registration::{Method, Party, Registration};
    Event {
        v: 1,
        tender: "ZB2026-001".into(),
        seq: 0,
        prev_tender: None,
        prev_leaf: Some(h(0x25)),
        received_ms: 1_797_000_000_000,
        principal: "agency-01".into(),
        body: Body::Registration(Registration {
            project: "某市第一中学教学楼施工".into(),
            tenderer: Party {
                name: "某市第一中学".into(),
                uscc: verifier::ids::Uscc::parse("91350100M000100Y43").unwrap(),
                principals: vec!["school".into()],
            },
            agency: Some(Party {
                name: "某招标代理有限公司".into(),
                uscc: verifier::ids::Uscc::parse("91110000600037341L").unwrap(),
                principals: vec!["agency-01".into(), "agency-02".into()],
            }),
            method: Method::Open,
            prequalification: false,
            must_tender: true,
            state_capital: true,
            estimate_fen: Some(500_000_000),
            max_price_fen: Some(480_000_000),
            bid_security_fen: Some(8_000_000),
            bid_validity_days: Some(90),
            supervisors: vec!["supervisor-01".into()],
        }),
        policy: None,
    }
}

/// One `procedure` event of each step, every optional field filled once.
pub fn procedure_events() -> Vec<Event> {
    use verifier::steps::{
        Adjudication, Attribution, AwardDecision, Candidates, Committee, Complaint, ComplaintAbout,
        ComplaintAcceptance, ComplaintDecision, DecryptionFailure, Delivery, Invitations, MoreTime,
        Objection, ObjectionAbout, ObjectionAnswer, OpeningPhase, PerformanceSecurity, Phase,
        Prequalified, ProcedureStep as S, Report, ResultNotices, SecurityRefund, Termination, Unit,
        WithdrawalRefund,
    };
    let unit = |name: &str, uscc: &str| Unit {
        name: name.into(),
        uscc: verifier::ids::Uscc::parse(uscc).unwrap(),
    };
    let steps = vec![
        S::DecryptionFailed(DecryptionFailure {
            sealed: EventLink { index: 41, leaf_hash: h(0x15) },
            attribution: Attribution::Bidder,
        }),
        S::CandidatesPublished(Candidates {
            ranked: vec![
                unit("甲建设工程有限公司", "91350100M000100Y43"),
                unit("乙建筑集团有限公司", "91110000600037341L"),
            ],
            until_ms: 1_798_300_000_000,
        }),
        S::AwardDecided(AwardDecision {
            winner: unit("乙建筑集团有限公司", "91110000600037341L"),
            exception: Some("第一中标候选人放弃中标".into()),
        }),
        S::ResultNoticesSent(ResultNotices {
            recipients: vec![unit("甲建设工程有限公司", "91350100M000100Y43")],
        }),
        S::ReportFiled(Report { department: "某市发展和改革委员会".into() }),
        S::SecurityRefunded(SecurityRefund { bidder: "bidder-a".into(), amount_fen: 8_012_345 }),
        S::Terminated(Termination { reason: "项目取消".into() }),
        // Added later: appended, so the earlier steps keep their bytes.
        S::ObjectionRaised(Objection { about: ObjectionAbout::Result }),
        S::ObjectionAnswered(ObjectionAnswer {
            objection: EventLink { index: 127, leaf_hash: h(0x17) },
        }),
        S::WithdrawalRefunded(WithdrawalRefund {
            withdrawal: EventLink { index: 42, leaf_hash: h(0x18) },
            amount_fen: 8_000_000,
        }),
        S::CommitteeFormed(Committee {
            representatives: 1,
            experts_drawn: 5,
            experts_designated: 1,
        }),
        S::MoreTimeAsked(MoreTime { members: 3, extended: true }),
        S::PerformanceSecurityPosted(PerformanceSecurity {
            amount_fen: 48_000_000,
            contract_price_fen: 480_000_000,
        }),
        S::InvitationsSent(Invitations { count: 5 }),
        S::PrequalificationPassed(Prequalified { passed: 7 }),
        S::ComplaintFiled(Complaint {
            about: ComplaintAbout::Result,
            objection: Some(EventLink { index: 127, leaf_hash: h(0x17) }),
        }),
        S::ComplaintAccepted(ComplaintAcceptance {
            complaint: EventLink { index: 135, leaf_hash: h(0x19) },
            accepted: true,
        }),
        S::ComplaintDecided(ComplaintDecision {
            complaint: EventLink { index: 135, leaf_hash: h(0x19) },
        }),
        S::OpeningPhase(Phase { phase: OpeningPhase::PricesAnnounced }),
        S::DecryptionAdjudicated(Adjudication {
            failure: EventLink { index: 120, leaf_hash: h(0x1a) },
            attribution: Attribution::Other,
        }),
        S::ClarificationDelivered(Delivery {
            clarification: EventLink { index: 60, leaf_hash: h(0x1b) },
            to: vec![
                EventLink { index: 52, leaf_hash: h(0x1c) },
                EventLink { index: 55, leaf_hash: h(0x1d) },
            ],
        }),
    ];
    steps
        .into_iter()
        .enumerate()
        .map(|(k, step)| Event {
            v: 1,
            tender: "ZB2026-001".into(),
            seq: 20 + k as u64,
            prev_tender: Some(EventLink { index: 100 + k as u64, leaf_hash: h(0x16) }),
            prev_leaf: Some(h(0x26)),
            received_ms: 1_798_200_000_000 + k as u64,
            principal: "agency-01".into(),
            body: Body::Procedure(step),
            policy: None,
        })
        .collect()
}
