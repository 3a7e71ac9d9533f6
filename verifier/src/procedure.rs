//! A tender's procedure, as far as its events decide it at the moment a
//! submission arrives: the one place the ledger (on admission) and a
//! verifier (replaying a tender's chain) judge the deadline and the opening
//! by.
//!
//! The time judged is the platform's received time, which the log attests
//! (every entry's `received_ms`, never the submitter's own claim). The rules:
//!
//! * **The bid deadline** (招标投标法 art. 28; 电子招标投标办法 art. 27): a
//!   bid, open or sealed, received at or after the tender's bid deadline is
//!   refused.
//! * **The opening** (办法 art. 28–29): a sealed document is revealed (its
//!   bid decrypted) only from the opening time on; the opening record is
//!   filed only after the bid deadline.
//! * **One opening per sealed entry**: a sealed entry is revealed once.
//! * **The schedule holds once it has passed**: a schedule change received
//!   at or after the bid deadline in force is refused (else a deadline could
//!   be moved to admit a late bid after the fact).
//!
//! * **Whose tender it is** (a tender with a `registration`): the owner
//!   (the tenderer and its agency) files notices, tender documents and their
//!   changes, schedules, the opening record, reports, notices and the
//!   contract; a bidder — never the owner or a supervisor — files bids and
//!   applications ([`crate::registration::filer`]); a sealed entry is
//!   revealed by its filer or the owner; the registration is the tender's
//!   first filing, and names its registrant among the owner's principals.
//!
//! A tender with no schedule event has no deadline to judge by: its bids and
//! reveals are admitted, and a report says the deadline could not be judged.
//! * **What is filed sealed** (a registered tender): a bid, and the
//!   evaluation report until the award notice (its expert signatures name
//!   the committee), are filed under seal or refused.
//!
//! A tender with no registration has no owner: anyone may file in it (logs
//! written before registrations existed), and a report says so.

use std::collections::BTreeSet;

use crate::calendar::cst_text;
use crate::event::{Body, DocumentType, Event, Schedule};
use crate::registration::{Filer, Registration, Role, filer};
use crate::steps::{ProcedureStep, StepFiler};

/// What a tender's events so far say about its procedure.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TenderState {
    /// The registration, if the tender has one.
    pub registration: Option<Registration>,
    /// Whether anything but a refusal was logged in the tender.
    pub filed: bool,
    /// Whether the tender was terminated.
    pub terminated: bool,
    /// Whether an award notice was filed.
    pub awarded: bool,
    /// The schedule in force: the latest `schedule` event's.
    pub schedule: Option<Schedule>,
    /// The sealed entries already revealed.
    pub revealed: BTreeSet<u64>,
}

/// Why a submission breaks the tender's procedure.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// A bid, a bid modification or a withdrawal received at or after the
    /// bid deadline.
    #[error(
        "a {} received at {}, at or after the bid deadline {} (招标投标法 art. 28–29; 电子招标投标办法 art. 27)",
        document_type.name().replace('_', " "),
        cst_text(*received_ms),
        cst_text(*deadline_ms)
    )]
    LateBid {
        /// What was filed.
        document_type: DocumentType,
        /// The deadline in force.
        deadline_ms: u64,
        /// When the platform received the bid.
        received_ms: u64,
    },
    /// A reveal received before the opening time.
    #[error(
        "a reveal received at {}, before the opening at {} (电子招标投标办法 art. 28)",
        cst_text(*received_ms),
        cst_text(*opening_ms)
    )]
    EarlyReveal {
        /// The opening time in force.
        opening_ms: u64,
        /// When the platform received the reveal.
        received_ms: u64,
    },
    /// A second reveal of a sealed entry.
    #[error("sealed entry {sealed} was already revealed")]
    SecondReveal {
        /// The sealed entry.
        sealed: u64,
    },
    /// An opening record or phase received before the bid deadline.
    #[error(
        "an opening record or phase received at {}, before the bid deadline {} (电子招标投标办法 art. 28)",
        cst_text(*received_ms),
        cst_text(*deadline_ms)
    )]
    EarlyOpening {
        /// The deadline in force.
        deadline_ms: u64,
        /// When the platform received it.
        received_ms: u64,
    },
    /// A schedule change received once the bid deadline had passed.
    #[error(
        "a schedule change received at {}, after the bid deadline {} had passed",
        cst_text(*received_ms),
        cst_text(*deadline_ms)
    )]
    ScheduleAfterDeadline {
        /// The deadline in force.
        deadline_ms: u64,
        /// When the platform received the change.
        received_ms: u64,
    },
    /// A registration of a tender that already has filings or a
    /// registration.
    #[error("the tender is already open: a registration is its first filing")]
    RegistrationNotFirst,
    /// A bidder's filing that names it before the opening (a bid, its
    /// modification or withdrawal, an objection to the documents) filed in
    /// the open in a registered tender.
    #[error(
        "a {} filed in the open: in a registered tender it is filed sealed (kind sealed_document), so no one learns who bid or what before the opening (电子招标投标办法 art. 21, 26, 28)",
        document_type.name().replace('_', " ")
    )]
    UnsealedBid {
        /// What was filed.
        document_type: DocumentType,
    },
    /// An evaluation report filed in the open before the award notice, in
    /// a registered tender.
    #[error(
        "an evaluation report filed in the open before the award notice: its expert signatures name the committee, whose membership stays secret until the award (招标投标法实施条例 art. 46); file it sealed"
    )]
    UnsealedEvaluation,
    /// A step that says who bid, or how many may, received before the
    /// opening (or in a tender with no opening time yet).
    #[error(
        "a {step} step received at {}, {}: before the opening it would say who bids or how many may (电子招标投标办法 art. 21); record it once the bids are opened",
        cst_text(*received_ms),
        match opening_ms {
            Some(o) => format!("before the opening at {}", cst_text(*o)),
            None => "and the tender has no opening time".to_owned(),
        }
    )]
    BeforeOpening {
        /// The step's name.
        step: &'static str,
        /// The opening time in force, if any.
        opening_ms: Option<u64>,
        /// When the platform received it.
        received_ms: u64,
    },
    /// A filing in a terminated tender other than a security refund.
    #[error("the tender was terminated: only bid security refunds may follow (条例 art. 31)")]
    AfterTermination,
    /// A principal filing what its role in the tender does not allow.
    #[error("{principal:?} may not file {what} in this tender: {why}")]
    NotEntitled {
        /// Who tried.
        principal: String,
        /// What it filed.
        what: String,
        /// Who may.
        why: &'static str,
    },
}

impl Violation {
    /// Whether the violation is about who filed (refused without a log
    /// entry, as a wrong token is), not about when.
    pub fn is_role(&self) -> bool {
        matches!(self, Violation::NotEntitled { .. } | Violation::RegistrationNotFirst)
    }
}

/// Whether `body` kinds of event can break the procedure (only these need
/// the tender's state): every filing in a tender, since a registered tender
/// says who may file what.
pub fn concerns(body: &Body) -> bool {
    match body {
        Body::Document(_)
        | Body::SealedDocument(_)
        | Body::Reveal(_)
        | Body::Schedule(_)
        | Body::Registration(_)
        | Body::Procedure(_) => true,
        Body::Certificate(_)
        | Body::Policy(_)
        | Body::Calendar(_)
        | Body::SubmissionRejected(_)
        | Body::SealBinding(_) => false,
    }
}

impl TenderState {
    /// The state after `event` (logged at `index`), which belongs to the
    /// tender and came after every event applied before.
    pub fn apply(&mut self, event: &Event) {
        self.apply_body(&event.body);
    }

    /// [`TenderState::apply`] for an event known by its body alone.
    pub fn apply_body(&mut self, body: &Body) {
        match body {
            Body::Schedule(s) => self.schedule = Some(s.clone()),
            Body::Reveal(r) => {
                self.revealed.insert(r.sealed.index);
            }
            Body::Registration(r) => self.registration = Some(r.clone()),
            Body::Procedure(ProcedureStep::Terminated(_)) => self.terminated = true,
            Body::Document(d) if d.document_type == DocumentType::AwardNotice => {
                self.awarded = true
            }
            _ => {}
        }
        self.filed |= !matches!(body, Body::SubmissionRejected(_));
    }

    /// The state with `event` added as earlier than every event applied so
    /// far: for replaying a chain from its head back, without holding it.
    pub fn apply_earlier(&mut self, event: &Event) {
        // Going back, the first schedule met is the one in force: an
        // earlier one does not replace it. Everything else accumulates.
        let latest = self.schedule.take();
        self.apply_body(&event.body);
        if latest.is_some() {
            self.schedule = latest;
        }
    }

    /// Whether `principal` may file `body` in the tender (always, in a
    /// tender with no registration).
    fn entitled(&self, principal: &str, body: &Body) -> Result<(), Violation> {
        if let Body::Registration(r) = body {
            if self.filed || self.registration.is_some() {
                return Err(Violation::RegistrationNotFirst);
            }
            if r.role(principal) != Role::Owner {
                return Err(not_entitled(
                    principal,
                    "this registration",
                    "a tender is registered by one of its owner's principals",
                ));
            }
            return Ok(());
        }
        let Some(reg) = &self.registration else { return Ok(()) };
        // A sealed entry read back from the log hides its filer: it is
        // judged when revealed (the ledger judged it by its real filer).
        if let Body::SealedDocument(_) = body
            && principal == crate::event::SEALED_PRINCIPAL
        {
            return Ok(());
        }
        // A reveal names the sealed entry's filer: it must have been
        // entitled to file what it sealed.
        if let Body::Reveal(r) = body {
            self.entitled(&r.principal, &Body::Document(r.document.clone()))?;
        }
        let role = reg.role(principal);
        let document = match body {
            Body::Document(d) => Some(d.document_type),
            Body::SealedDocument(s) => Some(s.document_type),
            _ => None,
        };
        match (body, document) {
            (_, Some(t)) => match (filer(t), role) {
                (Filer::Owner, Role::Owner)
                | (Filer::Bidder, Role::Other)
                | (Filer::Committee, Role::Owner | Role::Other) => Ok(()),
                (Filer::Committee, _) => Err(not_entitled(
                    principal,
                    &format!("a {}", t.name()),
                    "the committee or the tenderer's side files it, never a supervisor",
                )),
                (Filer::Owner, _) => Err(not_entitled(
                    principal,
                    &format!("a {}", t.name()),
                    "only the tenderer or its agency files it",
                )),
                (Filer::Bidder, _) => Err(not_entitled(
                    principal,
                    &format!("a {}", t.name()),
                    "only a bidder files it, never the tenderer, its agency or a supervisor",
                )),
            },
            (Body::Schedule(_), _) if role != Role::Owner => Err(not_entitled(
                principal,
                "a schedule",
                "only the tenderer or its agency sets the tender's times",
            )),
            (Body::Procedure(step), _) => match (step.filer(), role) {
                (StepFiler::Owner, Role::Owner)
                | (StepFiler::Bidder, Role::Other)
                | (StepFiler::Supervisor, Role::Supervisor) => Ok(()),
                (StepFiler::Owner, _) => Err(not_entitled(
                    principal,
                    &format!("a {} step", step.name()),
                    "only the tenderer or its agency records the procedure's steps",
                )),
                (StepFiler::Bidder, _) => Err(not_entitled(
                    principal,
                    &format!("a {} step", step.name()),
                    "a bidder files it, never the tenderer, its agency or a supervisor",
                )),
                (StepFiler::Supervisor, _) => Err(not_entitled(
                    principal,
                    &format!("a {} step", step.name()),
                    "only a supervisor named in the registration records it",
                )),
            },
            (Body::Reveal(r), _) if role != Role::Owner && r.principal != principal => {
                Err(not_entitled(
                    principal,
                    "this reveal",
                    "a sealed entry is opened by its filer or the tender's owner",
                ))
            }
            _ => Ok(()),
        }
    }

    /// Whether `principal` may file an event with `body`, received at
    /// `received_ms`, next in the tender. (For a sealed filing, `principal`
    /// is its filer, which the log keeps inside the commitment.)
    pub fn admit(&self, principal: &str, body: &Body, received_ms: u64) -> Result<(), Violation> {
        self.entitled(principal, body)?;
        if self.terminated
            && !matches!(
                body,
                Body::Procedure(
                    ProcedureStep::SecurityRefunded(_) | ProcedureStep::WithdrawalRefunded(_)
                )
            )
        {
            return Err(Violation::AfterTermination);
        }
        let deadline = self.schedule.as_ref().map(|s| s.bid_deadline_ms);
        let document_type = match body {
            Body::Document(d) => Some(d.document_type),
            Body::SealedDocument(s) => Some(s.document_type),
            _ => None,
        };
        if let (Some(document_type), Some(deadline_ms)) = (document_type, deadline)
            && bid_change(document_type)
            && received_ms >= deadline_ms
        {
            return Err(Violation::LateBid { document_type, deadline_ms, received_ms });
        }
        match body {
            Body::Reveal(r) => {
                if self.revealed.contains(&r.sealed.index) {
                    return Err(Violation::SecondReveal { sealed: r.sealed.index });
                }
                if let Some(s) = &self.schedule
                    && received_ms < s.opening_ms
                {
                    return Err(Violation::EarlyReveal { opening_ms: s.opening_ms, received_ms });
                }
            }
            Body::Document(d) if d.document_type == DocumentType::OpeningRecord => {
                if let Some(deadline_ms) = deadline
                    && received_ms < deadline_ms
                {
                    return Err(Violation::EarlyOpening { deadline_ms, received_ms });
                }
            }
            Body::Procedure(ProcedureStep::OpeningPhase(_)) => {
                if let Some(deadline_ms) = deadline
                    && received_ms < deadline_ms
                {
                    return Err(Violation::EarlyOpening { deadline_ms, received_ms });
                }
            }
            Body::Schedule(_) => {
                if let Some(deadline_ms) = deadline
                    && received_ms >= deadline_ms
                {
                    return Err(Violation::ScheduleAfterDeadline { deadline_ms, received_ms });
                }
            }
            Body::Procedure(step) if step.after_opening_only() => {
                let opening_ms = self.schedule.as_ref().map(|s| s.opening_ms);
                if opening_ms.is_none_or(|o| received_ms < o) {
                    return Err(Violation::BeforeOpening {
                        step: step.name(),
                        opening_ms,
                        received_ms,
                    });
                }
            }
            _ => {}
        }
        // How it is filed, once when is settled.
        if let (Some(_), Body::Document(d)) = (&self.registration, body) {
            match d.document_type {
                t if sealed_until_opening(t) => {
                    return Err(Violation::UnsealedBid { document_type: t });
                }
                DocumentType::EvaluationReport if !self.awarded => {
                    return Err(Violation::UnsealedEvaluation);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Whether `t` is a bid or a change to one: received before the bid
/// deadline or not at all (招标投标法 art. 28–29).
pub fn bid_change(t: DocumentType) -> bool {
    matches!(t, DocumentType::Bid | DocumentType::BidModification | DocumentType::BidWithdrawal)
}

/// Whether `t` names a bidder before the opening, so a registered tender
/// takes it sealed only (电子招标投标办法 art. 21, 26).
pub fn sealed_until_opening(t: DocumentType) -> bool {
    bid_change(t)
        || matches!(
            t,
            DocumentType::TenderDocumentsObjection
                | DocumentType::PrequalificationDocumentsObjection
                | DocumentType::TenderDocumentsObtained
                | DocumentType::PrequalificationDocumentsObtained
        )
}

fn not_entitled(principal: &str, what: &str, why: &'static str) -> Violation {
    Violation::NotEntitled { principal: principal.to_owned(), what: what.to_owned(), why }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Hash;
    use crate::event::{Document, EventLink, Reveal, SealedDocument};

    const D: u64 = 1_800_000_000_000;

    fn state(deadline: u64, opening: u64) -> TenderState {
        TenderState { schedule: Some(Schedule::new(deadline, opening)), ..TenderState::default() }
    }

    fn document(kind: DocumentType) -> Body {
        Body::Document(Document::new(kind, Hash([1; 32]), 1, "application/pdf"))
    }

    fn reveal(sealed: u64) -> Body {
        Body::Reveal(Reveal {
            sealed: EventLink { index: sealed, leaf_hash: Hash([2; 32]) },
            salt: crate::event::Bytes(vec![0; 32]),
            principal: "bidder".into(),
            document: Document::new(DocumentType::Bid, Hash([3; 32]), 1, "application/pdf"),
        })
    }

    #[test]
    fn a_bid_is_late_at_the_deadline_and_in_time_a_millisecond_before() {
        let s = state(D, D);
        assert_eq!(s.admit("p", &document(DocumentType::Bid), D - 1), Ok(()));
        assert_eq!(
            s.admit("p", &document(DocumentType::Bid), D),
            Err(Violation::LateBid {
                document_type: DocumentType::Bid,
                deadline_ms: D,
                received_ms: D
            })
        );
        let sealed = Body::SealedDocument(SealedDocument {
            document_type: DocumentType::Bid,
            commitment: Hash([4; 32]),
        });
        assert!(s.admit("p", &sealed, D).is_err());
        // Not a bid: no deadline.
        assert_eq!(s.admit("p", &document(DocumentType::AwardNotice), D + 1), Ok(()));
    }

    #[test]
    fn reveals_wait_for_the_opening_and_happen_once() {
        let mut s = state(D, D + 100);
        assert_eq!(
            s.admit("p", &reveal(7), D + 99),
            Err(Violation::EarlyReveal { opening_ms: D + 100, received_ms: D + 99 })
        );
        assert_eq!(s.admit("p", &reveal(7), D + 100), Ok(()));
        s.revealed.insert(7);
        assert_eq!(s.admit("p", &reveal(7), D + 200), Err(Violation::SecondReveal { sealed: 7 }));
        assert_eq!(s.admit("p", &reveal(8), D + 200), Ok(()));
        // Without a schedule there is no opening time, but still one reveal.
        let mut none = TenderState::default();
        assert_eq!(none.admit("p", &reveal(7), 0), Ok(()));
        none.revealed.insert(7);
        assert!(none.admit("p", &reveal(7), 0).is_err());
    }

    #[test]
    fn the_opening_record_and_schedule_changes_are_judged_by_the_deadline() {
        let s = state(D, D);
        let record = document(DocumentType::OpeningRecord);
        assert!(s.admit("p", &record, D - 1).is_err());
        assert_eq!(s.admit("p", &record, D), Ok(()));
        let change = Body::Schedule(Schedule::new(2 * D, 2 * D));
        assert_eq!(s.admit("p", &change, D - 1), Ok(()));
        assert!(s.admit("p", &change, D).is_err());
        assert_eq!(TenderState::default().admit("p", &change, u64::MAX), Ok(()));
    }

    #[test]
    fn applying_events_keeps_the_latest_schedule_and_every_reveal() {
        let mut s = TenderState::default();
        let ev = |body: Body| Event {
            v: 1,
            tender: "T".into(),
            seq: 0,
            prev_tender: None,
            prev_leaf: None,
            received_ms: 0,
            principal: "p".into(),
            body,
            policy: None,
        };
        let chain = [
            ev(Body::Registration(crate::registration::tests::sample())),
            ev(Body::Schedule(Schedule::new(1, 2))),
            ev(Body::Schedule(Schedule::new(3, 4))),
            ev(reveal(5)),
            ev(document(DocumentType::AwardNotice)),
        ];
        for e in &chain {
            s.apply(e);
        }
        assert_eq!(s.schedule, Some(Schedule::new(3, 4)));
        assert_eq!(s.revealed.iter().copied().collect::<Vec<_>>(), [5]);
        // Replayed from the head back, the same state.
        let mut back = TenderState::default();
        for e in chain.iter().rev() {
            back.apply_earlier(e);
        }
        assert_eq!(back, s);
        assert!(concerns(&document(DocumentType::Contract)));
        let refusal = crate::event::Rejection::new(
            &Document::new(DocumentType::Bid, Hash([1; 32]), 1, "application/pdf"),
            "policy",
            "no",
        );
        assert!(!concerns(&Body::SubmissionRejected(refusal)));
    }

    fn registered() -> TenderState {
        TenderState {
            registration: Some(crate::registration::tests::sample()),
            filed: true,
            ..state(D, D)
        }
    }

    #[test]
    fn a_registered_tender_says_who_files_what() {
        let s = registered();
        // The agency files the award; a bidder may not.
        assert_eq!(s.admit("agency-01", &document(DocumentType::AwardNotice), D), Ok(()));
        let forged = s.admit("bidder-a", &document(DocumentType::AwardNotice), D);
        assert!(matches!(forged, Err(Violation::NotEntitled { .. })), "{forged:?}");
        assert!(forged.unwrap_err().is_role());
        // A bidder bids, sealed; the owner and the supervisor may not.
        let sealed_bid = Body::SealedDocument(SealedDocument {
            document_type: DocumentType::Bid,
            commitment: Hash([4; 32]),
        });
        assert_eq!(s.admit("bidder-a", &sealed_bid, D - 1), Ok(()));
        assert_eq!(
            s.admit("bidder-a", &document(DocumentType::Bid), D - 1),
            Err(Violation::UnsealedBid { document_type: DocumentType::Bid })
        );
        assert!(s.admit("school", &sealed_bid, D - 1).is_err());
        assert!(s.admit("supervisor", &sealed_bid, D - 1).is_err());
        // The evaluation report is sealed until the award notice.
        let report = document(DocumentType::EvaluationReport);
        assert_eq!(s.admit("committee", &report, D), Err(Violation::UnsealedEvaluation));
        let mut awarded = s.clone();
        awarded.apply_body(&document(DocumentType::AwardNotice));
        assert_eq!(awarded.admit("committee", &report, D), Ok(()));
        // The schedule is the owner's.
        let change = Body::Schedule(Schedule::new(2 * D, 2 * D));
        assert!(s.admit("bidder-a", &change, D - 1).is_err());
        assert_eq!(s.admit("agency-02", &change, D - 1), Ok(()));
        // A reveal by its filer (bidder) or the owner, of what the filer could file.
        assert_eq!(s.admit("bidder", &reveal(7), D), Ok(()));
        assert_eq!(s.admit("agency-01", &reveal(7), D), Ok(()));
        assert!(s.admit("bidder-b", &reveal(7), D).is_err());
        // A sealed entry read back from the log is judged at its reveal.
        let sealed = Body::SealedDocument(SealedDocument {
            document_type: DocumentType::Bid,
            commitment: Hash([4; 32]),
        });
        assert_eq!(s.admit(crate::event::SEALED_PRINCIPAL, &sealed, D - 1), Ok(()));
        // An unregistered tender: anyone files anything.
        assert_eq!(state(D, D).admit("bidder-a", &document(DocumentType::AwardNotice), D), Ok(()));
    }

    #[test]
    fn changes_to_bids_come_sealed_and_before_the_deadline_and_steps_by_their_party() {
        use crate::steps::{Complaint, ComplaintAbout, ComplaintDecision, Invitations};
        let s = registered();
        for t in [
            DocumentType::BidModification,
            DocumentType::BidWithdrawal,
            DocumentType::TenderDocumentsObjection,
        ] {
            let sealed = Body::SealedDocument(SealedDocument {
                document_type: t,
                commitment: Hash([4; 32]),
            });
            assert_eq!(s.admit("bidder-a", &sealed, D - 1), Ok(()), "{t:?}");
            assert_eq!(
                s.admit("bidder-a", &document(t), D - 1),
                Err(Violation::UnsealedBid { document_type: t })
            );
            assert!(s.admit("agency-01", &sealed, D - 1).is_err(), "the owner's {t:?}");
            let late = s.admit("bidder-a", &sealed, D);
            assert_eq!(
                late.is_err(),
                t != DocumentType::TenderDocumentsObjection,
                "{t:?} at the deadline: {late:?}"
            );
        }
        // Counts that say how many may bid wait for the opening.
        let invited = Body::Procedure(ProcedureStep::InvitationsSent(Invitations { count: 3 }));
        assert!(matches!(
            s.admit("agency-01", &invited, D - 1),
            Err(Violation::BeforeOpening { step: "invitations_sent", .. })
        ));
        assert_eq!(s.admit("agency-01", &invited, D), Ok(()));
        assert!(s.admit("bidder-a", &invited, D).unwrap_err().is_role());
        // A complaint is a bidder's, its decision a supervisor's.
        let complaint = Body::Procedure(ProcedureStep::ComplaintFiled(Complaint {
            about: ComplaintAbout::Other,
            objection: None,
        }));
        assert_eq!(s.admit("bidder-a", &complaint, D), Ok(()));
        assert!(s.admit("agency-01", &complaint, D).unwrap_err().is_role());
        let decided = Body::Procedure(ProcedureStep::ComplaintDecided(ComplaintDecision {
            complaint: EventLink { index: 1, leaf_hash: Hash([0; 32]) },
        }));
        assert_eq!(s.admit("supervisor", &decided, D), Ok(()));
        assert!(s.admit("agency-01", &decided, D).unwrap_err().is_role());
        assert!(s.admit("bidder-a", &decided, D).unwrap_err().is_role());
    }

    #[test]
    fn a_registration_opens_a_tender_once_by_its_owner() {
        let reg = Body::Registration(crate::registration::tests::sample());
        let fresh = TenderState::default();
        assert_eq!(fresh.admit("agency-01", &reg, 0), Ok(()));
        assert!(matches!(fresh.admit("bidder-a", &reg, 0), Err(Violation::NotEntitled { .. })));
        assert_eq!(registered().admit("agency-01", &reg, 0), Err(Violation::RegistrationNotFirst));
        let used = TenderState { filed: true, ..TenderState::default() };
        assert_eq!(used.admit("agency-01", &reg, 0), Err(Violation::RegistrationNotFirst));
    }
}
