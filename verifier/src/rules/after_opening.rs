//! Rules of the time after the opening: the committee, the bid validity,
//! the performance security and complaints to the supervising department.

use super::{Answer, Context, Facts, add_days, date_of, must_tender, within};
use crate::event::DocumentType as D;
use crate::steps::{Committee, ComplaintAbout, ProcedureStep};

pub(super) fn t11_validity(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    let Some(award) = f.of_type(D::AwardNotice).next() else {
        return Answer::NotApplicable("no award notice yet".into());
    };
    let Some((_, reg)) = f.registration else {
        return Answer::missing("a registration", "the bid validity period is unknown");
    };
    let Some(days) = reg.bid_validity_days else {
        return Answer::missing("the bid validity period", "the registration gives none");
    };
    let Some(deadline) = f.deadline_at(award.received_ms) else {
        return Answer::missing("a schedule", "the tender has no bid deadline");
    };
    let (from, end) = match date_of(deadline) {
        Ok(d) => match add_days(d, days as i32) {
            Some(end) => (d, end),
            None => {
                return Answer::missing("a date in range", "a date beyond the calendar's range");
            }
        },
        Err(a) => return a,
    };
    let mut late = Vec::new();
    let contract = f.of_type(D::Contract).next();
    for x in std::iter::once(award).chain(contract) {
        match date_of(x.received_ms) {
            Ok(d) if d > end => late.push((x.at, x.document_type, d)),
            Ok(_) => {}
            Err(a) => return a,
        }
    }
    if late.is_empty() {
        return Answer::Pass(format!(
            "bids valid {days} days from the deadline {from}, to {end}; the award notice (entry {}){} within it",
            award.at,
            if contract.is_some() { " and the contract" } else { "" }
        ));
    }
    let detail: Vec<String> =
        late.iter().map(|(at, t, d)| format!("{} on {d} (entry {at})", t.name())).collect();
    Answer::Fail(
        format!(
            "bids were valid to {end} ({days} days from the deadline {from}): {}, after the bids lapsed",
            detail.join(", ")
        ),
        late.iter().map(|(at, _, _)| *at).collect(),
    )
}

/// The committee as recorded: the first `committee_formed` step.
fn committee<'a>(f: &Facts<'a>) -> Option<(u64, &'a Committee)> {
    f.step(|s| match s {
        ProcedureStep::CommitteeFormed(c) => Some(c),
        _ => None,
    })
    .map(|(at, _, c)| (at, c))
}

/// The committee, else the answer: n/a before any evaluation report,
/// indeterminate after one.
fn committee_or<'a>(f: &Facts<'a>) -> Result<(u64, &'a Committee), Answer> {
    committee(f).ok_or_else(|| match f.of_type(D::EvaluationReport).next() {
        Some(r) => Answer::missing(
            "the committee_formed step",
            format!(
                "an evaluation report was filed (entry {}), the committee's make-up was not",
                r.at
            ),
        ),
        None => Answer::NotApplicable("no committee formed yet".into()),
    })
}

pub(super) fn t21_committee(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    let (at, c) = match committee_or(f) {
        Ok(x) => x,
        Err(a) => return a,
    };
    if let Err(a) = must_tender(f) {
        return a;
    }
    let (n, experts) = (c.size(), c.experts());
    let mut wrong = Vec::new();
    if n < 5 {
        wrong.push(format!("{n} members, fewer than 5"));
    }
    if n % 2 == 0 {
        wrong.push(format!("{n} members, an even number"));
    }
    // experts ≥ 2/3 of the members, in integers.
    if experts * 3 < n * 2 {
        wrong.push(format!("{experts} expert(s) of {n}, fewer than two thirds"));
    }
    if wrong.is_empty() {
        Answer::Pass(format!("{n} members, {experts} of them experts (entry {at})"))
    } else {
        Answer::Fail(wrong.join("; "), vec![at])
    }
}

pub(super) fn t22_experts_drawn(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    let (at, c) = match committee_or(f) {
        Ok(x) => x,
        Err(a) => return a,
    };
    if let Err(a) = must_tender(f) {
        return a;
    }
    if c.experts_designated == 0 {
        return Answer::Pass(format!(
            "all {} expert(s) drawn at random from the expert pool (entry {at})",
            c.experts_drawn
        ));
    }
    Answer::Indeterminate(
        format!(
            "{} expert(s) designated (entry {at}): lawful only for a project so complex or special that drawn experts cannot do (条例 art. 47)",
            c.experts_designated
        ),
        vec!["the record that the project is one whose experts may be designated".into()],
    )
}

pub(super) fn t23_more_time(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    let asked: Vec<(u64, &crate::steps::MoreTime)> = f
        .steps
        .iter()
        .filter_map(|(at, _, s)| match s {
            ProcedureStep::MoreTimeAsked(m) => Some((*at, m)),
            _ => None,
        })
        .collect();
    if asked.is_empty() {
        return Answer::NotApplicable("no member asked for more time".into());
    }
    let Some((cat, c)) = committee(f) else {
        return Answer::missing(
            "the committee_formed step",
            "members asked for more time, and the committee's size is not recorded",
        );
    };
    let n = c.size();
    let refused: Vec<u64> = asked
        .iter()
        .filter(|(_, m)| u64::from(m.members) * 3 > n && !m.extended)
        .map(|(at, _)| *at)
        .collect();
    if refused.is_empty() {
        Answer::Pass(format!(
            "{} request(s) for more time from a committee of {n} (entry {cat}); each made by more than a third was granted",
            asked.len()
        ))
    } else {
        Answer::Fail(
            format!(
                "more than a third of the {n} members said the time was too short, and it was not extended (entry {refused:?})"
            ),
            refused,
        )
    }
}

pub(super) fn t32_performance_security(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    let posted: Vec<(u64, &crate::steps::PerformanceSecurity)> = f
        .steps
        .iter()
        .filter_map(|(at, _, s)| match s {
            ProcedureStep::PerformanceSecurityPosted(p) => Some((*at, p)),
            _ => None,
        })
        .collect();
    if posted.is_empty() {
        return Answer::NotApplicable("no performance security recorded".into());
    }
    let yuan = |fen: u64| format!("¥{}.{:02}", fen / 100, fen % 100);
    // amount ≤ 10% of the contract price, in integers.
    let over: Vec<&(u64, &crate::steps::PerformanceSecurity)> = posted
        .iter()
        .filter(|(_, p)| u128::from(p.amount_fen) * 10 > u128::from(p.contract_price_fen))
        .collect();
    if over.is_empty() {
        return Answer::Pass(format!(
            "performance security {} of contract price {}",
            yuan(posted[0].1.amount_fen),
            yuan(posted[0].1.contract_price_fen)
        ));
    }
    let detail: Vec<String> = over
        .iter()
        .map(|(at, p)| {
            format!(
                "{} of {} (entry {at}), at most {}",
                yuan(p.amount_fen),
                yuan(p.contract_price_fen),
                yuan(p.contract_price_fen / 10)
            )
        })
        .collect();
    Answer::Fail(
        format!("performance security over 10% of the contract price: {}", detail.join("; ")),
        over.iter().map(|(at, _)| *at).collect(),
    )
}

/// Whether `to_ms` is within `days` working days after `from_ms`:
/// `Ok((in time, the last day))`.
fn within_working(
    ctx: &Context<'_>,
    from_ms: u64,
    to_ms: u64,
    days: u32,
) -> Result<(bool, jiff::civil::Date), Answer> {
    let (from, to) = (date_of(from_ms)?, date_of(to_ms)?);
    let end = ctx.calendar.working_period_end(from, days).map_err(Answer::uncovered)?;
    Ok((to <= end, end))
}

pub(super) fn t33_complaints(f: &Facts<'_>, ctx: &Context<'_>) -> Answer {
    let complaints: Vec<(u64, u64, &crate::steps::Complaint)> = f
        .steps
        .iter()
        .filter_map(|(at, ms, s)| match s {
            ProcedureStep::ComplaintFiled(c) => Some((*at, *ms, c)),
            _ => None,
        })
        .collect();
    if complaints.is_empty() {
        return Answer::NotApplicable("no complaint".into());
    }
    let mut wrong = Vec::new();
    let mut cited = Vec::new();
    let mut pending = Vec::new();
    let mut fail = |w: String, at: &[u64]| {
        wrong.push(w);
        cited.extend_from_slice(at);
    };
    for (at, ms, c) in &complaints {
        // 条例 art. 60: an objection first, and the complaint within 10
        // days of its answer (the objection's own time not counted).
        match (&c.objection, c.about.needs_objection()) {
            (None, true) => fail(
                format!(
                    "the complaint at entry {at} about the {} follows no objection (条例 art. 60: objection first)",
                    match c.about {
                        ComplaintAbout::Documents => "documents",
                        ComplaintAbout::Opening => "opening",
                        _ => "result",
                    }
                ),
                &[*at],
            ),
            (Some(o), _) => {
                let answer = f.steps.iter().find_map(|(aat, ams, s)| match s {
                    ProcedureStep::ObjectionAnswered(a) if a.objection.index == o.index => {
                        Some((*aat, *ams))
                    }
                    _ => None,
                });
                if let Some((aat, ams)) = answer {
                    match within(ctx, ams, *ms, 10) {
                        Ok((true, _)) => {}
                        Ok((false, end)) => fail(
                            format!(
                                "the complaint at entry {at} came after the 10 days from the objection's answer (entry {aat}) that ended {end}"
                            ),
                            &[aat, *at],
                        ),
                        Err(a) => return a,
                    }
                }
            }
            (None, false) => {}
        }
        // 条例 art. 61: accepted or not within 3 working days, decided
        // within 30 working days of its acceptance.
        let link = |s: &ProcedureStep| match s {
            ProcedureStep::ComplaintAccepted(a) if a.complaint.index == *at => Some(a.accepted),
            _ => None,
        };
        let accepted = f.steps.iter().find_map(|(aat, ams, s)| link(s).map(|y| (*aat, *ams, y)));
        let Some((aat, ams, yes)) = accepted else {
            pending.push(format!("whether the complaint at entry {at} was accepted"));
            continue;
        };
        match within_working(ctx, *ms, ams, 3) {
            Ok((true, _)) => {}
            Ok((false, end)) => fail(
                format!(
                    "the complaint at entry {at} was accepted or refused at entry {aat}, after the 3 working days that ended {end}"
                ),
                &[*at, aat],
            ),
            Err(a) => return a,
        }
        if !yes {
            continue;
        }
        let decided = f.steps.iter().find_map(|(dat, dms, s)| match s {
            ProcedureStep::ComplaintDecided(d) if d.complaint.index == *at => Some((*dat, *dms)),
            _ => None,
        });
        match decided {
            Some((dat, dms)) => match within_working(ctx, ams, dms, 30) {
                Ok((true, _)) => {}
                Ok((false, end)) => fail(
                    format!(
                        "the complaint at entry {at} was decided at entry {dat}, after the 30 working days from its acceptance that ended {end}"
                    ),
                    &[aat, dat],
                ),
                Err(a) => return a,
            },
            None => pending.push(format!("the decision on the complaint at entry {at}")),
        }
    }
    if !wrong.is_empty() {
        cited.sort_unstable();
        cited.dedup();
        Answer::Fail(wrong.join("; "), cited)
    } else if !pending.is_empty() {
        Answer::Indeterminate(format!("{} not recorded yet", pending.join("; ")), pending)
    } else {
        Answer::Pass(format!(
            "{} complaint(s), each after an objection where one is asked, accepted within 3 working days and decided within 30",
            complaints.len()
        ))
    }
}
