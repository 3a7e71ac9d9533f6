//! Rules of the time before the opening: who may bid (invitations,
//! prequalification), how long the documents are on sale, objections to
//! them, changes to a bid and its withdrawal, and the price ceiling.

use super::{Answer, Context, Facts, Filing, date_of, earliest, failed_by, within};
use crate::event::DocumentType as D;
use crate::procedure::Violation;
use crate::registration::Method;
use crate::steps::ProcedureStep;

/// `Ok` for a tender that uses prequalification (by its registration, or,
/// without one, by its prequalification documents); else the answer.
fn prequalified(f: &Facts<'_>) -> Result<(), Answer> {
    match f.registration {
        Some((_, reg)) if !reg.prequalification => {
            Err(Answer::NotApplicable("the tender uses no prequalification".into()))
        }
        Some(_) => Ok(()),
        None if f.of_type(D::PrequalificationDocuments).next().is_none() => {
            Err(Answer::NotApplicable("no prequalification documents were issued".into()))
        }
        None => Ok(()),
    }
}

/// The first entry and time the bids were opened: the first reveal or
/// opening record.
pub(super) fn opened(f: &Facts<'_>) -> Option<(u64, u64)> {
    f.of_type(D::OpeningRecord)
        .map(|x| (x.at, x.received_ms))
        .chain(f.reveals.iter().map(|(at, ms, _)| (*at, *ms)))
        .min_by_key(|(_, ms)| *ms)
}

/// A minimum period of `days` from `from_ms` to `to_ms` (民法典 art. 201
/// under the report's reading): `Ok((kept, from date, to date, earliest))`.
fn minimum(
    ctx: &Context<'_>,
    from_ms: u64,
    to_ms: u64,
    days: i32,
) -> Result<(bool, jiff::civil::Date, jiff::civil::Date, jiff::civil::Date), Answer> {
    let (from, to) = (date_of(from_ms)?, date_of(to_ms)?);
    let need = earliest(ctx, from, days)?;
    Ok((to >= need, from, to, need))
}

pub(super) fn t01_invitations(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    let sent = f.step(|s| match s {
        ProcedureStep::InvitationsSent(i) => Some(i.count),
        _ => None,
    });
    match f.registration {
        Some((_, reg)) if reg.method != Method::Invitation => {
            return Answer::NotApplicable("open tendering: bidders answer a public notice".into());
        }
        None if sent.is_none() && f.of_type(D::InvitationToBid).next().is_none() => {
            return Answer::NotApplicable("no invitation to bid was filed".into());
        }
        _ => {}
    }
    match sent {
        Some((at, _, n)) if n >= 3 => {
            Answer::Pass(format!("{n} specific legal persons invited (entry {at})"))
        }
        Some((at, _, n)) => Answer::Fail(
            format!(
                "{n} legal person(s) invited (entry {at}); invitation tendering invites at least 3"
            ),
            vec![at],
        ),
        None => Answer::missing(
            "the invitations_sent step",
            "invitation tendering, and how many were invited is not recorded (it is, once the bids are opened)",
        ),
    }
}

/// One sale period: documents of `kind` first issued, to the sale's end.
fn sale_period(
    f: &Facts<'_>,
    ctx: &Context<'_>,
    kind: D,
    end: Option<u64>,
    out: &mut Vec<String>,
    cited: &mut Vec<u64>,
) -> Result<Option<bool>, Answer> {
    let Some(first) = f.of_type(kind).next() else { return Ok(None) };
    let Some((sat, _)) = f.schedule() else {
        return Err(Answer::missing("a schedule", "the tender has no schedule"));
    };
    let Some(end) = end else {
        return Err(Answer::missing(
            "the end of the documents' sale in the schedule",
            format!(
                "{} issued (entry {}), the end of its sale not scheduled",
                kind.name(),
                first.at
            ),
        ));
    };
    let (kept, from, to, need) = minimum(ctx, first.received_ms, end, 5)?;
    out.push(format!(
        "{} on sale from {from} (entry {}) to {to}{}",
        kind.name(),
        first.at,
        if kept { String::new() } else { format!(", not to {need} at least") }
    ));
    if !kept {
        cited.extend([first.at, sat]);
    }
    Ok(Some(kept))
}

pub(super) fn t02_sale(f: &Facts<'_>, ctx: &Context<'_>) -> Answer {
    let s = f.schedule().map(|(_, s)| s);
    let mut out = Vec::new();
    let mut cited = Vec::new();
    let mut judged = Vec::new();
    for (kind, end) in [
        (D::PrequalificationDocuments, s.and_then(|s| s.prequalification_sale_end_ms)),
        (D::TenderDocuments, s.and_then(|s| s.documents_sale_end_ms)),
    ] {
        match sale_period(f, ctx, kind, end, &mut out, &mut cited) {
            Ok(Some(kept)) => judged.push(kept),
            Ok(None) => {}
            Err(a) => return a,
        }
    }
    if judged.is_empty() {
        return Answer::NotApplicable("no prequalification or tender documents issued".into());
    }
    if judged.iter().all(|k| *k) {
        Answer::Pass(format!("{}: at least 5 days", out.join("; ")))
    } else {
        Answer::Fail(out.join("; "), cited)
    }
}

pub(super) fn t03_application_period(f: &Facts<'_>, ctx: &Context<'_>) -> Answer {
    if let Err(a) = prequalified(f).and_then(|()| super::must_tender(f).map(|_| ())) {
        return a;
    }
    let Some((sat, s)) = f.schedule() else {
        return Answer::missing("a schedule", "the tender has no schedule");
    };
    let (Some(sale), Some(deadline)) =
        (s.prequalification_sale_end_ms, s.prequalification_deadline_ms)
    else {
        return Answer::missing(
            "the prequalification sale end and application deadline in the schedule",
            "the schedule does not give both",
        );
    };
    match minimum(ctx, sale, deadline, 5) {
        Ok((true, from, to, _)) => Answer::Pass(format!(
            "prequalification documents' sale ended {from}, applications until {to}"
        )),
        Ok((false, from, to, need)) => Answer::Fail(
            format!(
                "prequalification documents' sale ended {from}, applications until {to}; at least until {need}"
            ),
            vec![sat],
        ),
        Err(a) => a,
    }
}

pub(super) fn t06_prequalification_changes(f: &Facts<'_>, ctx: &Context<'_>) -> Answer {
    if let Err(a) = prequalified(f) {
        return a;
    }
    let changes: Vec<&Filing<'_>> = f
        .filings
        .iter()
        .filter(|x| {
            matches!(
                x.document_type,
                D::PrequalificationDocumentsClarification | D::PrequalificationDocumentsAmendment
            )
        })
        .collect();
    if changes.is_empty() {
        return Answer::NotApplicable(
            "no clarification or amendment of the prequalification documents".into(),
        );
    }
    let Some((sat, s)) = f.schedule() else {
        return Answer::missing("a schedule", "the tender has no schedule");
    };
    let Some(deadline) = s.prequalification_deadline_ms else {
        return Answer::missing(
            "the prequalification application deadline in the schedule",
            "the schedule gives none",
        );
    };
    let mut late = Vec::new();
    for c in &changes {
        match minimum(ctx, c.received_ms, deadline, 3) {
            Ok((true, ..)) => {}
            Ok((false, on, _, need)) => {
                late.push(format!("entry {} on {on} needed the deadline on or after {need}", c.at));
            }
            Err(a) => return a,
        }
    }
    if late.is_empty() {
        return Answer::Pass(format!(
            "{} clarification(s) or amendment(s), each at least 3 days before the application deadline",
            changes.len()
        ));
    }
    let mut cited: Vec<u64> = changes.iter().map(|c| c.at).collect();
    cited.push(sat);
    Answer::Fail(format!("the application deadline was not postponed: {}", late.join("; ")), cited)
}

pub(super) fn t07_deliveries(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    let changes: Vec<(&Filing<'_>, D)> = f
        .filings
        .iter()
        .filter_map(|x| x.document_type.recipients_record().map(|k| (x, k)))
        .collect();
    if changes.is_empty() {
        return Answer::NotApplicable("no clarification or amendment of the documents".into());
    }
    if !changes.iter().any(|(_, k)| f.of_type(*k).next().is_some()) {
        return Answer::missing(
            "the sealed records of who obtained the documents (tender_documents_obtained)",
            format!(
                "{} clarification(s) or amendment(s), and no record of who had obtained the documents to send them to",
                changes.len()
            ),
        );
    }
    let mut missed = Vec::new();
    let mut cited = Vec::new();
    let mut sent = 0;
    for (c, kind) in &changes {
        let delivered: std::collections::BTreeSet<u64> = f
            .steps
            .iter()
            .filter_map(|(_, _, s)| match s {
                ProcedureStep::ClarificationDelivered(d) if d.clarification.index == c.at => {
                    Some(d.to.iter().map(|l| l.index))
                }
                _ => None,
            })
            .flatten()
            .collect();
        let owed: Vec<u64> = f.of_type(*kind).filter(|o| o.at < c.at).map(|o| o.at).collect();
        sent += owed.len();
        let missing: Vec<u64> = owed.into_iter().filter(|o| !delivered.contains(o)).collect();
        if !missing.is_empty() {
            missed.push(format!(
                "the change at entry {} was not delivered to those who obtained the documents at entries {missing:?}",
                c.at
            ));
            cited.push(c.at);
            cited.extend(missing);
        }
    }
    if missed.is_empty() {
        Answer::Pass(format!(
            "{} clarification(s) or amendment(s), each delivered to everyone who had obtained the documents ({sent} deliveries owed)",
            changes.len()
        ))
    } else {
        cited.sort_unstable();
        cited.dedup();
        Answer::Fail(missed.join("; "), cited)
    }
}

/// Objections to documents of `kind`, with the deadline they are judged
/// against: `(at, received, deadline in force then)`.
fn document_objections(f: &Facts<'_>, kind: D, prequal: bool) -> Vec<(u64, u64, Option<u64>)> {
    f.of_type(kind)
        .map(|x| {
            let deadline = f.schedules.iter().rev().find(|(_, r, _)| *r <= x.received_ms).and_then(
                |(_, _, s)| {
                    if prequal { s.prequalification_deadline_ms } else { Some(s.bid_deadline_ms) }
                },
            );
            (x.at, x.received_ms, deadline)
        })
        .collect()
}

/// Objections raised at least `days` before their deadline.
fn objections_in_time(
    f: &Facts<'_>,
    ctx: &Context<'_>,
    kind: D,
    prequal: bool,
    days: i32,
    deadline_name: &str,
) -> Answer {
    let list = document_objections(f, kind, prequal);
    if list.is_empty() {
        let what = match kind {
            D::PrequalificationDocumentsObjection => "the prequalification documents",
            _ => "the tender documents",
        };
        return Answer::NotApplicable(format!("no objection to {what}"));
    }
    let mut late = Vec::new();
    for (at, ms, deadline) in &list {
        let Some(deadline) = deadline else {
            return Answer::missing(
                &format!("the {deadline_name} in the schedule"),
                format!("the objection at entry {at} came when no {deadline_name} was set"),
            );
        };
        match minimum(ctx, *ms, *deadline, days) {
            Ok((true, ..)) => {}
            Ok((false, on, to, _)) => late.push((*at, on, to)),
            Err(a) => return a,
        }
    }
    if late.is_empty() {
        return Answer::Pass(format!(
            "{} objection(s), each at least {days} days before the {deadline_name}",
            list.len()
        ));
    }
    let detail: Vec<String> = late
        .iter()
        .map(|(at, on, to)| format!("entry {at} raised {on}, {deadline_name} {to}"))
        .collect();
    Answer::Fail(
        format!(
            "raised late, so the tenderer was not bound to answer (条例 art. 22): {}",
            detail.join("; ")
        ),
        late.iter().map(|(at, _, _)| *at).collect(),
    )
}

pub(super) fn t08_prequalification_objections(f: &Facts<'_>, ctx: &Context<'_>) -> Answer {
    if let Err(a) = prequalified(f) {
        return a;
    }
    objections_in_time(
        f,
        ctx,
        D::PrequalificationDocumentsObjection,
        true,
        2,
        "application deadline",
    )
}

pub(super) fn t09_document_objections(f: &Facts<'_>, ctx: &Context<'_>) -> Answer {
    objections_in_time(f, ctx, D::TenderDocumentsObjection, false, 10, "bid deadline")
}

/// Whether an owner's filing `body` may come while an objection to the
/// documents waits: only what answers it (the answer, changes to the
/// documents, a new schedule).
fn answers_objection(body: &crate::event::Body) -> bool {
    use crate::event::Body;
    match body {
        Body::Schedule(_) | Body::Procedure(ProcedureStep::ObjectionAnswered(_)) => true,
        Body::Document(d) => matches!(
            d.document_type,
            D::TenderDocumentsClarification
                | D::TenderDocumentsSupplement
                | D::TenderDocumentsAmendment
                | D::PrequalificationDocumentsClarification
                | D::PrequalificationDocumentsAmendment
        ),
        _ => false,
    }
}

pub(super) fn t10_objection_answers(f: &Facts<'_>, ctx: &Context<'_>) -> Answer {
    let mut list = document_objections(f, D::TenderDocumentsObjection, false);
    list.extend(document_objections(f, D::PrequalificationDocumentsObjection, true));
    if list.is_empty() {
        return Answer::NotApplicable("no objection to the documents".into());
    }
    list.sort_unstable();
    let mut wrong = Vec::new();
    let mut cited = Vec::new();
    let mut pending = Vec::new();
    for (at, ms, deadline) in &list {
        let answer = f.steps.iter().find_map(|(aat, ams, s)| match s {
            ProcedureStep::ObjectionAnswered(a) if a.objection.index == *at && aat > at => {
                Some((*aat, *ams))
            }
            _ => None,
        });
        let until = answer.map_or(u64::MAX, |(aat, _)| aat);
        // The procedure is suspended until the answer: the owner files
        // nothing else, and no deadline passes.
        let owner_filings = f
            .owner_filings
            .iter()
            .filter(|(x, body)| x > at && *x < until && !answers_objection(body))
            .map(|(x, _)| *x)
            .next();
        if let Some(x) = owner_filings {
            wrong.push(format!(
                "entry {x} was filed while the objection at entry {at} waited for its answer (条例 art. 22: the procedure is suspended)"
            ));
            cited.extend([*at, x]);
        }
        match answer {
            Some((aat, ams)) => match within(ctx, *ms, ams, 3) {
                Ok((true, _)) => {}
                Ok((false, end)) => {
                    wrong.push(format!(
                        "the objection at entry {at} was answered at entry {aat}, after the 3 days that ended {end}"
                    ));
                    cited.extend([*at, aat]);
                }
                Err(a) => return a,
            },
            None => match deadline {
                Some(d) if f.latest_received() >= *d => {
                    wrong.push(format!(
                        "the objection at entry {at} was never answered, and its deadline passed"
                    ));
                    cited.push(*at);
                }
                _ => pending.push(*at),
            },
        }
    }
    if !wrong.is_empty() {
        cited.sort_unstable();
        cited.dedup();
        Answer::Fail(wrong.join("; "), cited)
    } else if !pending.is_empty() {
        Answer::missing("the answer", format!("objection(s) at entry {pending:?} not answered yet"))
    } else {
        Answer::Pass(format!(
            "{} objection(s) to the documents, each answered within 3 days, the procedure suspended meanwhile",
            list.len()
        ))
    }
}

pub(super) fn t13_maximum_price(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    let Some((_, reg)) = f.registration else {
        return Answer::missing("a registration", "whether a maximum price is set is unknown");
    };
    if reg.max_price_fen.is_none() {
        return Answer::NotApplicable("no maximum bid price is set".into());
    }
    let Some((_, s)) = f.schedule() else {
        return Answer::missing("a schedule", "the tender has no bid deadline");
    };
    match f.of_type(D::ControlPricePublication).find(|x| x.received_ms < s.bid_deadline_ms) {
        Some(x) => Answer::Pass(format!(
            "a maximum price is set, and published before the bid deadline (entry {})",
            x.at
        )),
        None => Answer::missing(
            "the control price publication",
            "a maximum price is set, and no control_price_publication was filed before the bid deadline (the tender documents may state it; the log holds them by digest only)",
        ),
    }
}

pub(super) fn t14_withdrawal_refunds(f: &Facts<'_>, ctx: &Context<'_>) -> Answer {
    let withdrawals: Vec<&Filing<'_>> = f.of_type(D::BidWithdrawal).collect();
    if withdrawals.is_empty() {
        return Answer::NotApplicable("no bid was withdrawn".into());
    }
    if f.registration.is_some_and(|(_, r)| r.bid_security_fen.is_none()) {
        return Answer::NotApplicable("no bid security is asked".into());
    }
    let mut wrong = Vec::new();
    let mut cited = Vec::new();
    let mut pending = Vec::new();
    for w in &withdrawals {
        let refund = f.step(|s| match s {
            ProcedureStep::WithdrawalRefunded(r) if r.withdrawal.index == w.at => Some(()),
            _ => None,
        });
        match refund {
            Some((rat, rms, ())) => match within(ctx, w.received_ms, rms, 5) {
                Ok((true, _)) => {}
                Ok((false, end)) => {
                    wrong.push(format!(
                        "the withdrawal at entry {} was refunded at entry {rat}, after the 5 days that ended {end}",
                        w.at
                    ));
                    cited.extend([w.at, rat]);
                }
                Err(a) => return a,
            },
            None => pending.push(w.at),
        }
    }
    if !wrong.is_empty() {
        Answer::Fail(wrong.join("; "), cited)
    } else if !pending.is_empty() {
        Answer::missing(
            "the refund",
            format!("no refund recorded for the withdrawal(s) at entry {pending:?}"),
        )
    } else {
        Answer::Pass(format!(
            "{} withdrawal(s), each bid security refunded within 5 days",
            withdrawals.len()
        ))
    }
}

pub(super) fn t16_bid_changes(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    if let Some(a) = failed_by(
        f,
        |v| matches!(v, Violation::LateBid { document_type, .. } if *document_type != D::Bid),
    ) {
        return a;
    }
    let n = f
        .filings
        .iter()
        .filter(|x| matches!(x.document_type, D::BidModification | D::BidWithdrawal))
        .count();
    if n == 0 {
        return Answer::NotApplicable("no bid was modified or withdrawn".into());
    }
    Answer::Pass(format!("{n} modification(s) or withdrawal(s), each before the bid deadline"))
}

pub(super) fn t19_prequalification_result(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    if let Err(a) = prequalified(f) {
        return a;
    }
    match f.step(|s| match s {
        ProcedureStep::PrequalificationPassed(p) => Some(p.passed),
        _ => None,
    }) {
        Some((at, _, n)) if n >= 3 => {
            Answer::Pass(format!("{n} applicants passed prequalification (entry {at})"))
        }
        Some((at, _, n)) => Answer::Fail(
            format!(
                "{n} applicant(s) passed prequalification (entry {at}); fewer than 3 means a new prequalification"
            ),
            vec![at],
        ),
        None => Answer::missing(
            "the prequalification_passed step",
            "how many applicants passed is not recorded (it is, once the bids are opened)",
        ),
    }
}

/// The rules whose breach 条例 art. 64(2) fines (T35).
pub(super) const FINED: &[(&str, super::Judge)] = &[
    ("T02", t02_sale),
    ("T03", t03_application_period),
    ("T04", super::t04_preparation_period),
    ("T05", super::t05_changes),
    ("T06", t06_prequalification_changes),
];

pub(super) fn t35_penalty(f: &Facts<'_>, ctx: &Context<'_>) -> Answer {
    let mut failed = Vec::new();
    let mut cited = Vec::new();
    let mut open = Vec::new();
    for (id, judge) in FINED {
        match judge(f, ctx) {
            Answer::Fail(_, events) => {
                failed.push(*id);
                cited.extend(events);
            }
            Answer::Indeterminate(..) => open.push(*id),
            Answer::Pass(_) | Answer::NotApplicable(_) => {}
        }
    }
    cited.sort_unstable();
    cited.dedup();
    if !failed.is_empty() {
        Answer::Fail(
            format!(
                "{} broken: the tenderer is liable to a fine of up to ¥100,000",
                failed.join(", ")
            ),
            cited,
        )
    } else if !open.is_empty() {
        Answer::Indeterminate(
            format!("{} undecided", open.join(", ")),
            vec![format!("what {} need", open.join(", "))],
        )
    } else {
        Answer::Pass("the sale, submission, clarification and amendment periods were kept".into())
    }
}
