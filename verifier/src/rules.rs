//! The rules of a tender's procedure, as pure functions over its events:
//! what a compliance report says, the same from the ledger, the API and an
//! offline bundle.
//!
//! Each rule reads one tender's events in log order and gives a
//! [`Verdict`]: **pass**, **fail** (citing the events that break it),
//! **not applicable** (the tender is outside its scope, or has not reached
//! the stage it judges) or **indeterminate** (naming what is missing: a
//! registration, a schedule, a year of the holiday calendar). Every verdict
//! names the article it rests on.
//!
//! Times are the platform's received times, which the log attests (电子签名法
//! art. 11: a message is received when it enters the recipient's system);
//! dates are China Standard Time; periods are counted per 民法典 art.
//! 200–204 with a [`HolidayCalendar`](crate::calendar::HolidayCalendar).
//! Where the law is read two ways (whether a minimum period's last day
//! moves off a rest day, whether both end days are excluded), the reading
//! is a named [`Reading`] recorded in the report.
//!
//! The rules the ledger enforces on admission ([`crate::procedure`]) are
//! judged here by replaying the same function over the record, so a log
//! written before a rule existed, or by another ledger, is judged alike.

use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, Uncovered, add_days, cst_date, cst_text, days_between};
use crate::event::{Body, Document, DocumentType, Event, Rejection, Reveal, Schedule};
use crate::policy::RulePack;
use crate::procedure::{TenderState, Violation};
use crate::registration::{Registration, Role};
use crate::steps::{Attribution, ProcedureStep};

mod after_opening;
mod before_opening;
mod html;
pub mod timeline;

use after_opening::*;
use before_opening::*;

/// One event of the tender, as the rules read it.
#[derive(Clone, Copy, Debug)]
pub struct Step<'a> {
    /// Where it is: its log index (or its position in a timeline).
    pub at: u64,
    /// When the platform received it, ms since the Unix epoch.
    pub received_ms: u64,
    /// Who filed it.
    pub principal: &'a str,
    /// What it is.
    pub body: &'a Body,
}

impl<'a> Step<'a> {
    /// The step of `event`, logged at `index`.
    pub fn of(index: u64, event: &'a Event) -> Step<'a> {
        Step {
            at: index,
            received_ms: event.received_ms,
            principal: &event.principal,
            body: &event.body,
        }
    }
}

/// A rule's answer.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The record keeps the rule.
    Pass,
    /// The record breaks it; `events` says where.
    Fail,
    /// The rule does not apply to this tender, or not yet.
    NotApplicable,
    /// The record cannot decide it; `missing` says what would.
    Indeterminate,
}

impl Outcome {
    /// The word a report prints.
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "FAIL",
            Outcome::NotApplicable => "n/a",
            Outcome::Indeterminate => "indeterminate",
        }
    }
}

/// One rule's verdict on one tender.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The rule's ID (DOMAIN.md §1.3: `T04`; 电子招标投标办法: `E28`; the
    /// platform's own: `P01`, `L01`).
    pub rule: String,
    /// The article it rests on.
    pub article: String,
    /// What it requires.
    pub title: String,
    /// The answer.
    pub outcome: Outcome,
    /// Why, in words, with dates.
    pub detail: String,
    /// The events it cites (log indexes, or timeline positions).
    pub events: Vec<u64>,
    /// What the record lacks to decide (indeterminate only).
    pub missing: Vec<String>,
}

/// How "at least N days" is counted where practice differs (DOMAIN.md §1.2).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum MinimumPeriods {
    /// The starting day is not counted, the last day is (民法典 art. 201):
    /// `deadline date − start date ≥ N`.
    #[default]
    CalendarDates,
    /// Neither end day is counted: N whole days lie between them.
    WholeDays,
}

/// The readings a report was made under.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Reading {
    /// How minimum periods are counted.
    pub minimum_periods: MinimumPeriods,
    /// Whether a minimum period whose last day is a rest day runs on to the
    /// next working day (民法典 art. 203 read as applying to minimums too; many
    /// local rules do).
    pub extend_minimums_over_rest_days: bool,
}

/// The compliance report of one tender.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Compliance {
    /// The tender.
    pub tender: String,
    /// What times the rules judge by.
    pub judged_by: String,
    /// The holiday calendar used, `name vN`.
    pub calendar: String,
    /// The readings used.
    pub reading: Reading,
    /// The rule pack whose timestamp rule `L01` applies.
    pub rule_pack: String,
    /// Events judged.
    pub events: usize,
    /// One verdict per rule, in rule order.
    pub verdicts: Vec<Verdict>,
}

impl Compliance {
    /// The verdicts as a report lists them: broken first, then undecided,
    /// kept, not applicable; in catalogue order within each.
    pub fn by_outcome(&self) -> Vec<&Verdict> {
        let order = |o: Outcome| match o {
            Outcome::Fail => 0,
            Outcome::Indeterminate => 1,
            Outcome::Pass => 2,
            Outcome::NotApplicable => 3,
        };
        let mut list: Vec<&Verdict> = self.verdicts.iter().collect();
        list.sort_by_key(|v| order(v.outcome));
        list
    }

    /// Verdicts that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Verdict> {
        self.verdicts.iter().filter(|v| v.outcome == Outcome::Fail)
    }

    /// The report as text: violations first, then the rest in rule order.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let fails = self.failures().count();
        let undecided =
            self.verdicts.iter().filter(|v| v.outcome == Outcome::Indeterminate).count();
        let _ = writeln!(
            s,
            "Compliance of tender {:?}: {} rule(s) broken, {} undecided, {} events judged",
            self.tender, fails, undecided, self.events
        );
        let _ = writeln!(
            s,
            "  judged by {}; calendar {}; minimum periods {}, {}; rule pack {}",
            self.judged_by,
            self.calendar,
            match self.reading.minimum_periods {
                MinimumPeriods::CalendarDates => "by calendar dates",
                MinimumPeriods::WholeDays => "in whole days",
            },
            if self.reading.extend_minimums_over_rest_days {
                "extended over rest days"
            } else {
                "not extended over rest days"
            },
            self.rule_pack,
        );
        for v in self.by_outcome() {
            let _ = writeln!(
                s,
                "  {:<13} {} {} ({}): {}",
                v.outcome.word(),
                v.rule,
                v.title,
                v.article,
                v.detail
            );
            if !v.events.is_empty() {
                let list: Vec<String> = v.events.iter().map(u64::to_string).collect();
                let _ = writeln!(s, "                events {}", list.join(", "));
            }
            if !v.missing.is_empty() {
                let _ = writeln!(s, "                missing: {}", v.missing.join("; "));
            }
        }
        s
    }
}

/// What the report says it judged by.
pub const JUDGED_BY: &str =
    "the platform's received time of each event, attested by the log (电子签名法 art. 11)";

/// What the rules are given besides the events.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// Which days are rest days.
    pub calendar: &'a Calendar,
    /// The readings.
    pub reading: Reading,
    /// The rule pack whose timestamp rule `L01` applies.
    pub pack: &'a RulePack,
    /// The registered certificates of the documents' signers, by
    /// fingerprint, for `P01` to judge whom they sign for (`None`: signers
    /// are not judged, as for a timeline not taken from a log).
    pub certs: Option<&'a std::collections::HashMap<crate::Hash, crate::signing::CertRecord>>,
}

/// Judges one tender: `steps` are its events in log order.
pub fn judge(tender: &str, steps: &[Step<'_>], ctx: &Context<'_>) -> Compliance {
    let facts = Facts::read(steps);
    let verdicts = RULES
        .iter()
        .map(|r| {
            let (outcome, detail, events, missing) = (r.judge)(&facts, ctx).into_parts();
            Verdict {
                rule: r.id.into(),
                article: r.article.into(),
                title: r.title.into(),
                outcome,
                detail,
                events,
                missing,
            }
        })
        .collect();
    Compliance {
        tender: tender.to_owned(),
        judged_by: JUDGED_BY.into(),
        calendar: ctx.calendar.label(),
        reading: ctx.reading,
        rule_pack: format!("{} v{}", ctx.pack.name, ctx.pack.version),
        events: steps.len(),
        verdicts,
    }
}

/// The rule pack a tender's documents were checked under: the one its
/// latest event that names a pack names (`None`: the default pack). The
/// ledger and the offline verifier both resolve it, so their reports agree.
pub fn pack_link(chain: &[(u64, &Event)]) -> Option<crate::event::EventLink> {
    chain.iter().rev().find_map(|(_, e)| e.policy)
}

/// How a rule judges.
type Judge = fn(&Facts<'_>, &Context<'_>) -> Answer;

/// One rule of the catalogue.
struct Rule {
    id: &'static str,
    article: &'static str,
    title: &'static str,
    judge: Judge,
}

/// The catalogue, in report order.
const RULES: &[Rule] = &[
    Rule {
        id: "P01",
        article: "电子招标投标办法 art. 14; 招标投标法 art. 23, 45",
        title: "each filing by a party its role allows",
        judge: p01_roles,
    },
    Rule {
        id: "T01",
        article: "招标投标法 art. 17",
        title: "invitation tendering invites at least 3 specific legal persons",
        judge: t01_invitations,
    },
    Rule {
        id: "T19",
        article: "招标投标法实施条例 art. 19",
        title: "at least 3 applicants pass prequalification",
        judge: t19_prequalification_result,
    },
    Rule {
        id: "T02",
        article: "招标投标法实施条例 art. 16",
        title: "prequalification and tender documents on sale for at least 5 days",
        judge: t02_sale,
    },
    Rule {
        id: "T03",
        article: "招标投标法实施条例 art. 17",
        title: "at least 5 days from the end of the prequalification documents' sale to the application deadline",
        judge: t03_application_period,
    },
    Rule {
        id: "T04",
        article: "招标投标法 art. 24",
        title: "at least 20 days from the first issue of the tender documents to the bid deadline",
        judge: t04_preparation_period,
    },
    Rule {
        id: "T05",
        article: "招标投标法 art. 23; 条例 art. 21",
        title: "clarifications and amendments at least 15 days before the bid deadline",
        judge: t05_changes,
    },
    Rule {
        id: "T06",
        article: "招标投标法实施条例 art. 21",
        title: "clarifications and amendments of the prequalification documents at least 3 days before the application deadline",
        judge: t06_prequalification_changes,
    },
    Rule {
        id: "T07",
        article: "招标投标法 art. 23",
        title: "every clarification or amendment sent to everyone who had obtained the documents",
        judge: t07_deliveries,
    },
    Rule {
        id: "T08",
        article: "招标投标法实施条例 art. 22",
        title: "objections to the prequalification documents at least 2 days before the application deadline",
        judge: t08_prequalification_objections,
    },
    Rule {
        id: "T09",
        article: "招标投标法实施条例 art. 22",
        title: "objections to the tender documents at least 10 days before the bid deadline",
        judge: t09_document_objections,
    },
    Rule {
        id: "T10",
        article: "招标投标法实施条例 art. 22",
        title: "objections to the documents answered within 3 days, the procedure suspended meanwhile",
        judge: t10_objection_answers,
    },
    Rule {
        id: "T35",
        article: "招标投标法实施条例 art. 64",
        title: "the sale, submission, clarification and amendment periods kept (T02–T06; else a fine of up to ¥100,000)",
        judge: t35_penalty,
    },
    Rule {
        id: "T12",
        article: "招标投标法实施条例 art. 26",
        title: "bid security at most 2% of the estimated price",
        judge: t12_security,
    },
    Rule {
        id: "T13",
        article: "招标投标法实施条例 art. 27",
        title: "a maximum bid price, if set, published before the bid deadline",
        judge: t13_maximum_price,
    },
    Rule {
        id: "T15",
        article: "招标投标法 art. 28–29; 电子招标投标办法 art. 27",
        title: "no bid received at or after the bid deadline",
        judge: t15_late_bids,
    },
    Rule {
        id: "T16",
        article: "招标投标法 art. 29",
        title: "bids modified or withdrawn only before the bid deadline",
        judge: t16_bid_changes,
    },
    Rule {
        id: "T14",
        article: "招标投标法实施条例 art. 35",
        title: "a withdrawn bid's security refunded within 5 days",
        judge: t14_withdrawal_refunds,
    },
    Rule {
        id: "E26",
        article: "电子招标投标办法 art. 21, 26; 招标投标法实施条例 art. 46",
        title: "bids, their changes and objections to the documents filed sealed; the evaluation report sealed until the award; no bidder named or counted before the opening",
        judge: e26_sealed_bids,
    },
    Rule {
        id: "T17",
        article: "招标投标法 art. 34; 电子招标投标办法 art. 28",
        title: "the opening at the bid deadline, and no opening record before it",
        judge: t17_opening,
    },
    Rule {
        id: "L02",
        article: "platform rule (seed): the opening procedure",
        title: "the opening's phases in the platform's order: started, deposits extracted, bids verified, prices announced, ended",
        judge: l02_opening_phases,
    },
    Rule {
        id: "E28",
        article: "电子招标投标办法 art. 28",
        title: "no bid decrypted before the opening, none twice",
        judge: e28_reveals,
    },
    Rule {
        id: "E31",
        article: "电子招标投标办法 art. 30–31",
        title: "every sealed bid opened, or its decryption failure recorded and attributed, before the award",
        judge: e31_every_bid_opened,
    },
    Rule {
        id: "T18",
        article: "招标投标法 art. 28; 条例 art. 44",
        title: "at least 3 bids for an opening",
        judge: t18_three_bids,
    },
    Rule {
        id: "T21",
        article: "招标投标法 art. 37",
        title: "the committee: at least 5 members, an odd number, at least two thirds experts",
        judge: t21_committee,
    },
    Rule {
        id: "T22",
        article: "招标投标法实施条例 art. 46–47",
        title: "the experts drawn at random from the expert pool",
        judge: t22_experts_drawn,
    },
    Rule {
        id: "T23",
        article: "招标投标法实施条例 art. 48",
        title: "evaluation time extended when more than a third of the members ask",
        judge: t23_more_time,
    },
    Rule {
        id: "T24",
        article: "招标投标法实施条例 art. 53",
        title: "at most 3 ranked candidates",
        judge: t24_candidates,
    },
    Rule {
        id: "T20",
        article: "招标投标法实施条例 art. 44",
        title: "objections to the opening answered on the spot (the same day, before the evaluation report)",
        judge: t20_opening_objections,
    },
    Rule {
        id: "T26",
        article: "招标投标法实施条例 art. 54",
        title: "objections to the result answered within 3 days, and no award decided while one is unanswered",
        judge: t26_result_objections,
    },
    Rule {
        id: "T25",
        article: "招标投标法实施条例 art. 54",
        title: "candidates published within 3 days of the evaluation report, for at least 3 days",
        judge: t25_publication,
    },
    Rule {
        id: "T27",
        article: "招标投标法实施条例 art. 55",
        title: "state capital: the first-ranked candidate wins, unless it dropped out or was disqualified",
        judge: t27_first_ranked,
    },
    Rule {
        id: "T28",
        article: "招标投标法 art. 45",
        title: "result notices sent at the same time as the award notice",
        judge: t28_result_notices,
    },
    Rule {
        id: "T29",
        article: "招标投标法 art. 46",
        title: "the contract within 30 days of the award notice",
        judge: t29_contract,
    },
    Rule {
        id: "T11",
        article: "招标投标法实施条例 art. 25",
        title: "the award notice and the contract within the bid validity period, counted from the bid deadline",
        judge: t11_validity,
    },
    Rule {
        id: "T30",
        article: "招标投标法 art. 47",
        title: "the written report to the supervising department within 15 days of the award decision",
        judge: t30_report,
    },
    Rule {
        id: "T31",
        article: "招标投标法实施条例 art. 57",
        title: "every bidder's security refunded within 5 days of the contract",
        judge: t31_refunds,
    },
    Rule {
        id: "T32",
        article: "招标投标法实施条例 art. 58",
        title: "a performance security of at most 10% of the contract price",
        judge: t32_performance_security,
    },
    Rule {
        id: "T34",
        article: "招标投标法实施条例 art. 31",
        title: "a terminated tender files nothing but refunds",
        judge: t34_termination,
    },
    Rule {
        id: "T33",
        article: "招标投标法实施条例 art. 60–61",
        title: "complaints after an objection where one is asked, within 10 days; accepted within 3 working days, decided within 30",
        judge: t33_complaints,
    },
    Rule {
        id: "L01",
        article: "platform rule (seed): documents that need a trusted timestamp",
        title: "every document the rule pack marks carries a trusted timestamp",
        judge: l01_timestamps,
    },
];

/// The IDs of the rules, in report order.
pub fn rule_ids() -> impl Iterator<Item = &'static str> {
    RULES.iter().map(|r| r.id)
}

/// The rules, in report order: ID, article, what it requires.
pub fn catalogue() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    RULES.iter().map(|r| (r.id, r.article, r.title))
}

/// A rule's answer before it is dressed as a [`Verdict`].
enum Answer {
    Pass(String),
    Fail(String, Vec<u64>),
    NotApplicable(String),
    Indeterminate(String, Vec<String>),
}

impl Answer {
    fn into_parts(self) -> (Outcome, String, Vec<u64>, Vec<String>) {
        match self {
            Answer::Pass(d) => (Outcome::Pass, d, Vec::new(), Vec::new()),
            Answer::Fail(d, e) => (Outcome::Fail, d, e, Vec::new()),
            Answer::NotApplicable(d) => (Outcome::NotApplicable, d, Vec::new(), Vec::new()),
            Answer::Indeterminate(d, m) => (Outcome::Indeterminate, d, Vec::new(), m),
        }
    }

    fn missing(what: &str, why: impl Into<String>) -> Answer {
        Answer::Indeterminate(why.into(), vec![what.to_owned()])
    }

    fn uncovered(u: Uncovered) -> Answer {
        Answer::Indeterminate(
            u.to_string(),
            vec![format!("the holiday calendar of {}", u.0.year())],
        )
    }
}

/// A document filed in the tender: in the open, or sealed (its document
/// known once revealed).
struct Filing<'a> {
    at: u64,
    received_ms: u64,
    document_type: DocumentType,
    sealed: bool,
    document: Option<&'a Document>,
}

/// What the rules read, gathered in one pass.
struct Facts<'a> {
    registration: Option<(u64, &'a Registration)>,
    /// Every schedule, in order: (at, received, schedule).
    schedules: Vec<(u64, u64, &'a Schedule)>,
    filings: Vec<Filing<'a>>,
    reveals: Vec<(u64, u64, &'a Reveal)>,
    refusals: Vec<(u64, &'a Rejection)>,
    /// The procedure's steps: (at, received, step).
    steps: Vec<(u64, u64, &'a ProcedureStep)>,
    /// What the admission rules say of each event, replayed.
    violations: Vec<(u64, Violation)>,
    /// What the tender's owner filed (a registered tender's): (at, body).
    owner_filings: Vec<(u64, &'a Body)>,
    /// The latest received time of the record.
    latest_ms: u64,
}

impl<'a> Facts<'a> {
    fn read(steps: &[Step<'a>]) -> Facts<'a> {
        let mut f = Facts {
            registration: None,
            schedules: Vec::new(),
            filings: Vec::new(),
            reveals: Vec::new(),
            refusals: Vec::new(),
            steps: Vec::new(),
            violations: Vec::new(),
            owner_filings: Vec::new(),
            latest_ms: 0,
        };
        let mut state = TenderState::default();
        for s in steps {
            if let Body::SubmissionRejected(r) = s.body {
                // A refusal is the ledger's record of a submission it turned
                // away, not a filing: no rule judges it.
                f.refusals.push((s.at, r));
                continue;
            }
            f.latest_ms = f.latest_ms.max(s.received_ms);
            if let Err(v) = state.admit(s.principal, s.body, s.received_ms) {
                f.violations.push((s.at, v));
            }
            if state.registration.as_ref().is_some_and(|r| r.role(s.principal) == Role::Owner) {
                f.owner_filings.push((s.at, s.body));
            }
            state.apply_body(s.body);
            match s.body {
                Body::Registration(r) if f.registration.is_none() => {
                    f.registration = Some((s.at, r));
                }
                Body::Schedule(x) => f.schedules.push((s.at, s.received_ms, x)),
                Body::Document(d) => f.filings.push(Filing {
                    at: s.at,
                    received_ms: s.received_ms,
                    document_type: d.document_type,
                    sealed: false,
                    document: Some(d),
                }),
                Body::SealedDocument(d) => f.filings.push(Filing {
                    at: s.at,
                    received_ms: s.received_ms,
                    document_type: d.document_type,
                    sealed: true,
                    document: None,
                }),
                Body::Reveal(r) => f.reveals.push((s.at, s.received_ms, r)),
                Body::Procedure(p) => f.steps.push((s.at, s.received_ms, p)),
                _ => {}
            }
        }
        // A revealed sealed filing's document is known.
        for (_, _, r) in &f.reveals {
            if let Some(filing) = f.filings.iter_mut().find(|x| x.sealed && x.at == r.sealed.index)
                && filing.document.is_none()
            {
                filing.document = Some(&r.document);
            }
        }
        f
    }

    /// The latest received time of the record: how far it reaches.
    fn latest_received(&self) -> u64 {
        self.latest_ms
    }

    /// The schedule in force at the end of the record.
    fn schedule(&self) -> Option<(u64, &'a Schedule)> {
        self.schedules.last().map(|(at, _, s)| (*at, *s))
    }

    /// The bid deadline in force when something was received at `ms`.
    fn deadline_at(&self, ms: u64) -> Option<u64> {
        self.schedules.iter().rev().find(|(_, r, _)| *r <= ms).map(|(_, _, s)| s.bid_deadline_ms)
    }

    fn of_type(&self, t: DocumentType) -> impl Iterator<Item = &Filing<'a>> {
        self.filings.iter().filter(move |f| f.document_type == t)
    }

    /// The first step `pick` selects: (at, received, what it holds).
    fn step<T>(&self, pick: impl Fn(&'a ProcedureStep) -> Option<T>) -> Option<(u64, u64, T)> {
        self.steps.iter().find_map(|(at, ms, st)| pick(st).map(|x| (*at, *ms, x)))
    }

    fn violations<'s>(
        &'s self,
        pick: impl Fn(&Violation) -> bool + 's,
    ) -> impl Iterator<Item = &'s (u64, Violation)> {
        self.violations.iter().filter(move |(_, v)| pick(v))
    }
}

/// A failure citing every violation `pick` selects, or `None`.
fn failed_by(f: &Facts<'_>, pick: impl Fn(&Violation) -> bool) -> Option<Answer> {
    let list: Vec<&(u64, Violation)> = f.violations(pick).collect();
    if list.is_empty() {
        return None;
    }
    let detail: Vec<String> = list.iter().map(|(at, v)| format!("entry {at}: {v}")).collect();
    Some(Answer::Fail(detail.join("; "), list.iter().map(|(at, _)| *at).collect()))
}

fn date_text(ms: u64) -> String {
    cst_text(ms)
}

/// The earliest deadline date a minimum period of `days` from `from` allows,
/// under the report's reading.
fn earliest(
    ctx: &Context<'_>,
    from: jiff::civil::Date,
    days: i32,
) -> Result<jiff::civil::Date, Answer> {
    let n = match ctx.reading.minimum_periods {
        MinimumPeriods::CalendarDates => days,
        MinimumPeriods::WholeDays => days + 1,
    };
    let d = add_days(from, n)
        .ok_or_else(|| Answer::missing("a date in range", "a date beyond the calendar's range"))?;
    if ctx.reading.extend_minimums_over_rest_days {
        ctx.calendar.working_day_from(d).map_err(Answer::uncovered)
    } else {
        Ok(d)
    }
}

fn date_of(ms: u64) -> Result<jiff::civil::Date, Answer> {
    cst_date(ms).ok_or_else(|| {
        Answer::missing("a time in range", format!("time {ms} ms is beyond the year 9999"))
    })
}

fn p01_roles(f: &Facts<'_>, ctx: &Context<'_>) -> Answer {
    if let Some(a) = failed_by(f, Violation::is_role) {
        return a;
    }
    let Some((at, r)) = f.registration else {
        return Answer::missing(
            "a registration",
            "the tender has no registration, so no owner: anyone could file in it",
        );
    };
    let signers = match ctx.certs {
        None => "signers not judged (no certificate records)".to_owned(),
        Some(certs) => {
            let wrong: Vec<(u64, String)> = f
                .filings
                .iter()
                .filter_map(|x| {
                    let d = x.document?;
                    crate::signing::check_signers_entitled(r, d, certs).err().map(|e| (x.at, e))
                })
                .collect();
            if !wrong.is_empty() {
                let detail: Vec<String> =
                    wrong.iter().map(|(at, e)| format!("entry {at}: {e}")).collect();
                return Answer::Fail(detail.join("; "), wrong.iter().map(|(at, _)| *at).collect());
            }
            "every trader signer signs for its side".to_owned()
        }
    };
    Answer::Pass(format!(
        "registered at entry {at} by its owner ({}{}); every filing by a party its role allows; {signers}",
        r.tenderer.name,
        r.agency.as_ref().map(|a| format!(", agency {}", a.name)).unwrap_or_default()
    ))
}

/// `Ok` for a must-tender project (the rules marked M apply); else the
/// answer: indeterminate without a registration, n/a for another project.
fn must_tender<'a>(f: &Facts<'a>) -> Result<&'a Registration, Answer> {
    let Some((_, reg)) = f.registration else {
        return Err(Answer::missing(
            "a registration",
            "whether the project must be tendered is unknown",
        ));
    };
    if !reg.must_tender {
        return Err(Answer::NotApplicable(
            "the project is not one that must be tendered (依法必须招标)".into(),
        ));
    }
    Ok(reg)
}

fn t04_preparation_period(f: &Facts<'_>, ctx: &Context<'_>) -> Answer {
    if let Err(a) = must_tender(f) {
        return a;
    }
    let Some(first) = f.of_type(DocumentType::TenderDocuments).next() else {
        return Answer::missing("tender documents", "no tender documents were issued yet");
    };
    let Some((sat, schedule)) = f.schedule() else {
        return Answer::missing("a schedule", "the tender has no bid deadline");
    };
    let (issued, deadline) = match (date_of(first.received_ms), date_of(schedule.bid_deadline_ms)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(a), _) | (_, Err(a)) => return a,
    };
    let need = match earliest(ctx, issued, 20) {
        Ok(d) => d,
        Err(a) => return a,
    };
    let days = days_between(issued, deadline);
    if deadline >= need {
        Answer::Pass(format!(
            "tender documents first issued {issued} (entry {}), bid deadline {deadline}: {days} days",
            first.at
        ))
    } else {
        Answer::Fail(
            format!(
                "tender documents first issued {issued} (entry {}), bid deadline {deadline} (entry {sat}): {days} days; the earliest lawful deadline was {need}",
                first.at
            ),
            vec![first.at, sat],
        )
    }
}

fn t05_changes(f: &Facts<'_>, ctx: &Context<'_>) -> Answer {
    use DocumentType as D;
    let changes: Vec<&Filing<'_>> = f
        .filings
        .iter()
        .filter(|x| {
            matches!(
                x.document_type,
                D::TenderDocumentsClarification
                    | D::TenderDocumentsSupplement
                    | D::TenderDocumentsAmendment
            )
        })
        .collect();
    if changes.is_empty() {
        return Answer::NotApplicable(
            "no clarification or amendment of the tender documents".into(),
        );
    }
    let Some((sat, schedule)) = f.schedule() else {
        return Answer::missing("a schedule", "the tender has no bid deadline");
    };
    let deadline = match date_of(schedule.bid_deadline_ms) {
        Ok(d) => d,
        Err(a) => return a,
    };
    let mut late = Vec::new();
    for c in &changes {
        let on = match date_of(c.received_ms) {
            Ok(d) => d,
            Err(a) => return a,
        };
        match earliest(ctx, on, 15) {
            Ok(need) if deadline < need => late.push((c.at, on, need)),
            Ok(_) => {}
            Err(a) => return a,
        }
    }
    if late.is_empty() {
        return Answer::Pass(format!(
            "{} clarification(s) or amendment(s), each at least 15 days before the bid deadline {deadline} (every one is treated as able to affect bid preparation)",
            changes.len()
        ));
    }
    let detail: Vec<String> = late
        .iter()
        .map(|(at, on, need)| format!("entry {at} on {on} needed the deadline on or after {need}"))
        .collect();
    let mut events: Vec<u64> = late.iter().map(|(at, _, _)| *at).collect();
    events.push(sat);
    Answer::Fail(
        format!("bid deadline {deadline} was not postponed: {}", detail.join("; ")),
        events,
    )
}

fn t12_security(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    let Some((at, reg)) = f.registration else {
        return Answer::missing("a registration", "the bid security and estimate are unknown");
    };
    let Some(security) = reg.bid_security_fen else {
        return Answer::NotApplicable("no bid security is asked".into());
    };
    let Some(estimate) = reg.estimate_fen else {
        return Answer::missing("the estimated price", "the registration gives no estimate");
    };
    let yuan = |fen: u64| format!("¥{}.{:02}", fen / 100, fen % 100);
    // security ≤ 2% of estimate, in integers: security × 50 ≤ estimate.
    if u128::from(security) * 50 <= u128::from(estimate) {
        Answer::Pass(format!("security {} of estimate {}", yuan(security), yuan(estimate)))
    } else {
        Answer::Fail(
            format!(
                "security {} is more than 2% of estimate {} (at most {})",
                yuan(security),
                yuan(estimate),
                yuan(estimate / 50)
            ),
            vec![at],
        )
    }
}

fn is_bid(x: &&Filing<'_>) -> bool {
    x.document_type == DocumentType::Bid
}

fn t15_late_bids(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    if let Some(a) = failed_by(f, |v| {
        matches!(
            v,
            Violation::LateBid { document_type: DocumentType::Bid, .. }
                | Violation::ScheduleAfterDeadline { .. }
        )
    }) {
        return a;
    }
    let bids = f.filings.iter().filter(is_bid).count();
    let refused = f.refusals.iter().filter(|(_, r)| r.document_type == DocumentType::Bid).count();
    if bids == 0 && refused == 0 {
        return Answer::NotApplicable("no bid was filed".into());
    }
    let Some((_, s)) = f.schedule() else {
        return Answer::missing("a schedule", "bids were filed but the tender has no bid deadline");
    };
    Answer::Pass(format!(
        "{bids} bid(s), each received before the deadline in force (the last set: {}); {refused} bid submission(s) refused by the platform (a sealed one's reason is the bidder's alone)",
        date_text(s.bid_deadline_ms)
    ))
}

fn e26_sealed_bids(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    if let Some(a) = failed_by(f, |v| {
        matches!(v, Violation::UnsealedEvaluation | Violation::BeforeOpening { .. })
            || matches!(v, Violation::UnsealedBid { document_type } if *document_type != DocumentType::Bid)
    }) {
        return a;
    }
    let open: Vec<u64> =
        f.filings.iter().filter(is_bid).filter(|x| !x.sealed).map(|x| x.at).collect();
    let sealed = f.filings.iter().filter(is_bid).filter(|x| x.sealed).count();
    if open.is_empty() && sealed == 0 {
        return Answer::NotApplicable("no bid was filed".into());
    }
    if open.is_empty() {
        Answer::Pass(format!("{sealed} bid(s), all filed sealed"))
    } else {
        Answer::Fail(
            format!(
                "{} bid(s) filed in the open, naming the bidder and the bid's digest before the opening",
                open.len()
            ),
            open,
        )
    }
}

fn t17_opening(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    if let Some(a) = failed_by(f, |v| matches!(v, Violation::EarlyOpening { .. })) {
        return a;
    }
    let Some((at, s)) = f.schedule() else {
        return Answer::missing("a schedule", "the tender has no bid deadline or opening time");
    };
    if s.opening_ms != s.bid_deadline_ms {
        return Answer::Fail(
            format!(
                "opening at {}, bid deadline at {}: not the same time",
                date_text(s.opening_ms),
                date_text(s.bid_deadline_ms)
            ),
            vec![at],
        );
    }
    // The platform opens at the deadline: its `started` phase, where
    // recorded, within the hour.
    let started = f.step(|s| match s {
        ProcedureStep::OpeningPhase(p) if p.phase == crate::steps::OpeningPhase::Started => {
            Some(())
        }
        _ => None,
    });
    if let Some((sat, sms, ())) = started
        && sms > s.bid_deadline_ms + OPENING_LATITUDE_MS
    {
        return Answer::Fail(
            format!(
                "the opening began at {} (entry {sat}), more than an hour after the bid deadline {}",
                date_text(sms),
                date_text(s.bid_deadline_ms)
            ),
            vec![at, sat],
        );
    }
    Answer::Pass(format!(
        "opening at the bid deadline, {}; no opening record before it{}",
        date_text(s.bid_deadline_ms),
        match started {
            Some((sat, sms, ())) => format!("; begun at {} (entry {sat})", date_text(sms)),
            None => String::new(),
        }
    ))
}

/// How long after the deadline the opening may begin and still be "at the
/// same time" (招标投标法 art. 34): the platform opens on its own clock, in
/// minutes, so an hour is generous and a day is not.
const OPENING_LATITUDE_MS: u64 = 3_600_000;

fn l02_opening_phases(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    use crate::steps::OpeningPhase;
    let phases: Vec<(u64, OpeningPhase)> = f
        .steps
        .iter()
        .filter_map(|(at, _, s)| match s {
            ProcedureStep::OpeningPhase(p) => Some((*at, p.phase)),
            _ => None,
        })
        .collect();
    if phases.is_empty() {
        return Answer::NotApplicable("no phase of the opening recorded".into());
    }
    let name = |p: OpeningPhase| match p {
        OpeningPhase::Started => "开标开始 started",
        OpeningPhase::DepositsExtracted => "保证金信息提取 deposits extracted",
        OpeningPhase::BidsVerified => "标书验证 bids verified",
        OpeningPhase::PricesAnnounced => "唱标 prices announced",
        OpeningPhase::Ended => "开标结束 ended",
    };
    let wrong: Vec<(u64, u64)> =
        phases.windows(2).filter(|w| w[1].1 <= w[0].1).map(|w| (w[0].0, w[1].0)).collect();
    let first = phases[0];
    if first.1 != OpeningPhase::Started {
        return Answer::Fail(
            format!(
                "the first phase recorded is {} (entry {}), not the start",
                name(first.1),
                first.0
            ),
            vec![first.0],
        );
    }
    if let Some((a, b)) = wrong.first() {
        return Answer::Fail(
            format!("entry {b} records a phase out of order or twice, after entry {a}"),
            wrong.iter().flat_map(|(a, b)| [*a, *b]).collect(),
        );
    }
    let list: Vec<&str> = phases.iter().map(|(_, p)| name(*p)).collect();
    Answer::Pass(format!("{} phase(s) in order: {}", phases.len(), list.join(", ")))
}

fn e28_reveals(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    if let Some(a) = failed_by(f, |v| {
        matches!(v, Violation::EarlyReveal { .. } | Violation::SecondReveal { .. })
    }) {
        return a;
    }
    if f.reveals.is_empty() {
        return Answer::NotApplicable("no sealed entry was opened".into());
    }
    match f.schedule() {
        Some((_, s)) => Answer::Pass(format!(
            "{} sealed entr(ies) opened, each once, none before the opening at {}",
            f.reveals.len(),
            date_text(s.opening_ms)
        )),
        None => Answer::missing(
            "a schedule",
            "sealed entries were opened, but the tender has no opening time",
        ),
    }
}

fn t18_three_bids(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    let Some((at, ms)) = opened(f) else {
        return Answer::NotApplicable("the bids were not opened yet".into());
    };
    let in_time = |x: &&Filing<'_>| {
        x.received_ms <= ms && f.deadline_at(x.received_ms).is_none_or(|d| x.received_ms < d)
    };
    let bids = f.filings.iter().filter(is_bid).filter(in_time).count();
    // A withdrawal takes its bidder's bid out of the count.
    let withdrawn = f.of_type(DocumentType::BidWithdrawal).filter(in_time).count();
    let n = bids.saturating_sub(withdrawn);
    let counted = if withdrawn == 0 {
        format!("{n} bid(s)")
    } else {
        format!("{n} bid(s) ({bids} filed, {withdrawn} withdrawn)")
    };
    if n >= 3 {
        Answer::Pass(format!("{counted} before the opening (entry {at})"))
    } else {
        Answer::Fail(
            format!(
                "the bids were opened (entry {at}) with {counted}; fewer than 3 means no opening and a new tender"
            ),
            vec![at],
        )
    }
}

/// Whether `to_ms` is within `days` days after `from_ms` (民法典 art. 201,
/// 203): in time on or before the last day, which runs on over rest days.
/// `Ok((in time, the last day))`; the calendar is read only past the
/// plain last day.
fn within(
    ctx: &Context<'_>,
    from_ms: u64,
    to_ms: u64,
    days: i32,
) -> Result<(bool, jiff::civil::Date), Answer> {
    let (from, to) = (date_of(from_ms)?, date_of(to_ms)?);
    let plain = add_days(from, days)
        .ok_or_else(|| Answer::missing("a date in range", "a date beyond the calendar's range"))?;
    if to <= plain {
        return Ok((true, plain));
    }
    let end = ctx.calendar.period_end(from, days).map_err(Answer::uncovered)?;
    Ok((to <= end, end))
}

fn t29_contract(f: &Facts<'_>, ctx: &Context<'_>) -> Answer {
    let Some(award) = f.of_type(DocumentType::AwardNotice).next() else {
        return Answer::NotApplicable("no award notice yet".into());
    };
    let Some(contract) = f.of_type(DocumentType::Contract).next() else {
        return Answer::missing(
            "the contract",
            format!("award notice at entry {}, no contract filed yet", award.at),
        );
    };
    let (from, signed) = match (date_of(award.received_ms), date_of(contract.received_ms)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(a), _) | (_, Err(a)) => return a,
    };
    let days = days_between(from, signed);
    match within(ctx, award.received_ms, contract.received_ms, 30) {
        Ok((true, end)) => Answer::Pass(format!(
            "award notice {from} (entry {}), contract {signed} (entry {}): day {days}; the period ran to {end}",
            award.at, contract.at
        )),
        Ok((false, end)) => Answer::Fail(
            format!(
                "award notice {from} (entry {}), contract {signed} (entry {}): day {days}; the 30-day period ended {end}",
                award.at, contract.at
            ),
            vec![award.at, contract.at],
        ),
        Err(a) => a,
    }
}

/// When the evaluation ended: the first award notice, candidates published
/// or award decided.
fn evaluation_end(f: &Facts<'_>) -> Option<(u64, u64)> {
    let notice = f.of_type(DocumentType::AwardNotice).next().map(|x| (x.at, x.received_ms));
    let step = f.step(|s| match s {
        ProcedureStep::CandidatesPublished(_) | ProcedureStep::AwardDecided(_) => Some(()),
        _ => None,
    });
    [notice, step.map(|(at, ms, ())| (at, ms))].into_iter().flatten().min_by_key(|(_, ms)| *ms)
}

fn e31_every_bid_opened(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    let Some((end_at, end_ms)) = evaluation_end(f) else {
        return Answer::NotApplicable(
            "the evaluation has not ended (no candidates, decision or award notice)".into(),
        );
    };
    let mut unopened = Vec::new();
    let mut undecided = Vec::new();
    let mut failed = 0;
    for x in f.filings.iter().filter(is_bid).filter(|x| x.sealed) {
        if f.deadline_at(x.received_ms).is_some_and(|d| x.received_ms >= d) {
            continue;
        }
        let revealed = f.reveals.iter().any(|(_, ms, r)| r.sealed.index == x.at && *ms <= end_ms);
        let failure = f.steps.iter().find_map(|(at, ms, st)| match st {
            ProcedureStep::DecryptionFailed(d) if d.sealed.index == x.at && *ms <= end_ms => {
                // An `unknown` failure decided later (办法 31) counts as decided.
                let decided = f.steps.iter().find_map(|(_, ams, a)| match a {
                    ProcedureStep::DecryptionAdjudicated(j)
                        if j.failure.index == *at && *ams <= end_ms =>
                    {
                        Some(j.attribution)
                    }
                    _ => None,
                });
                Some(decided.unwrap_or(d.attribution))
            }
            _ => None,
        });
        match (revealed, failure) {
            (true, _) => {}
            (false, Some(Attribution::Unknown)) => undecided.push(x.at),
            (false, Some(_)) => failed += 1,
            (false, None) => unopened.push(x.at),
        }
    }
    // A withdrawn bid is returned unopened; which sealed bid a sealed
    // withdrawal takes back is not public, so they are matched by count.
    let withdrawn = f
        .of_type(DocumentType::BidWithdrawal)
        .filter(|x| f.deadline_at(x.received_ms).is_none_or(|d| x.received_ms < d))
        .count();
    let excused = if unopened.len() <= withdrawn { std::mem::take(&mut unopened).len() } else { 0 };
    if unopened.is_empty() && undecided.is_empty() {
        return Answer::Pass(format!(
            "by entry {end_at} every sealed bid was opened or its failure recorded ({failed} failure(s), each attributed){}",
            if excused > 0 {
                format!("; {excused} left unopened, as many as the withdrawals")
            } else {
                String::new()
            }
        ));
    }
    let mut detail = Vec::new();
    if !unopened.is_empty() {
        detail.push(format!(
            "{} sealed bid(s) neither opened nor recorded as failed",
            unopened.len()
        ));
    }
    if !undecided.is_empty() {
        detail.push(format!("{} failure(s) never attributed (bidder or other)", undecided.len()));
    }
    unopened.extend(undecided);
    unopened.sort_unstable();
    Answer::Fail(format!("by entry {end_at}: {}", detail.join("; ")), unopened)
}

fn t24_candidates(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    let published: Vec<(u64, usize)> = f
        .steps
        .iter()
        .filter_map(|(at, _, st)| match st {
            ProcedureStep::CandidatesPublished(c) => Some((*at, c.ranked.len())),
            _ => None,
        })
        .collect();
    if published.is_empty() {
        return Answer::NotApplicable("no candidates published".into());
    }
    let over: Vec<u64> = published.iter().filter(|(_, n)| *n > 3).map(|(at, _)| *at).collect();
    if over.is_empty() {
        Answer::Pass(format!("{} publication(s), each of at most 3 candidates", published.len()))
    } else {
        Answer::Fail(format!("{} publication(s) of more than 3 candidates", over.len()), over)
    }
}

fn t25_publication(f: &Facts<'_>, ctx: &Context<'_>) -> Answer {
    if let Err(a) = must_tender(f) {
        return a;
    }
    let Some((at, ms, c)) = f.step(|s| match s {
        ProcedureStep::CandidatesPublished(c) => Some(c),
        _ => None,
    }) else {
        return Answer::NotApplicable("no candidates published yet".into());
    };
    let Some(report) = f.of_type(DocumentType::EvaluationReport).next() else {
        return Answer::missing(
            "the evaluation report",
            "candidates were published, but no evaluation report was filed",
        );
    };
    let (in_time, end) = match within(ctx, report.received_ms, ms, 3) {
        Ok(x) => x,
        Err(a) => return a,
    };
    let (published, until) = match (date_of(ms), date_of(c.until_ms)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(a), _) | (_, Err(a)) => return a,
    };
    let need = match earliest(ctx, published, 3) {
        Ok(d) => d,
        Err(a) => return a,
    };
    let mut wrong = Vec::new();
    if !in_time {
        wrong.push(format!("published {published}, after the 3 days from the evaluation report (entry {}) ended {end}", report.at));
    }
    if until < need {
        wrong.push(format!(
            "published {published} until {until}; the period runs at least to {need}"
        ));
    }
    if wrong.is_empty() {
        Answer::Pass(format!(
            "evaluation report at entry {}, candidates published {published} (entry {at}) until {until}",
            report.at
        ))
    } else {
        Answer::Fail(wrong.join("; "), vec![report.at, at])
    }
}

/// An objection: its entry, when it was received, and its answer's entry
/// and time, if one was filed.
type Raised = (u64, u64, Option<(u64, u64)>);

/// The objections about `about`, each with its answer if one was filed.
fn objections(f: &Facts<'_>, about: crate::steps::ObjectionAbout) -> Vec<Raised> {
    f.steps
        .iter()
        .filter_map(|(at, ms, s)| match s {
            ProcedureStep::ObjectionRaised(o) if o.about == about => Some((*at, *ms)),
            _ => None,
        })
        .map(|(at, ms)| {
            let answer = f.steps.iter().find_map(|(aat, ams, s)| match s {
                ProcedureStep::ObjectionAnswered(a) if a.objection.index == at && *aat > at => {
                    Some((*aat, *ams))
                }
                _ => None,
            });
            (at, ms, answer)
        })
        .collect()
}

fn t20_opening_objections(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    let list = objections(f, crate::steps::ObjectionAbout::Opening);
    if list.is_empty() {
        return Answer::NotApplicable("no objection to the opening".into());
    }
    let report = f.of_type(DocumentType::EvaluationReport).next();
    let mut wrong = Vec::new();
    let mut cited = Vec::new();
    let mut pending = Vec::new();
    for (at, ms, answer) in &list {
        let raised = match date_of(*ms) {
            Ok(d) => d,
            Err(a) => return a,
        };
        match answer {
            Some((aat, ams)) => {
                let answered = match date_of(*ams) {
                    Ok(d) => d,
                    Err(a) => return a,
                };
                let after_report = report.is_some_and(|r| r.at < *aat);
                if answered != raised || after_report {
                    wrong.push(format!(
                        "the objection at entry {at} (raised {raised}) was answered at entry {aat} on {answered}{}",
                        if after_report { ", after the evaluation report" } else { "" }
                    ));
                    cited.extend([*at, *aat]);
                }
            }
            None => match report {
                Some(r) => {
                    wrong.push(format!(
                        "the objection at entry {at} (raised {raised}) was never answered, and the evaluation report followed at entry {}",
                        r.at
                    ));
                    cited.extend([*at, r.at]);
                }
                None => pending.push(*at),
            },
        }
    }
    if !wrong.is_empty() {
        Answer::Fail(wrong.join("; "), cited)
    } else if !pending.is_empty() {
        Answer::missing("the answer", format!("objection(s) at entry {pending:?} not answered yet"))
    } else {
        Answer::Pass(format!(
            "{} objection(s) to the opening, each answered the same day",
            list.len()
        ))
    }
}

fn t26_result_objections(f: &Facts<'_>, ctx: &Context<'_>) -> Answer {
    let list = objections(f, crate::steps::ObjectionAbout::Result);
    if list.is_empty() {
        return Answer::NotApplicable("no objection to the result".into());
    }
    // What an unanswered objection suspends: the award decision and notice.
    let award = |after: u64, before: u64| {
        f.steps
            .iter()
            .filter(|(at, _, s)| {
                matches!(s, ProcedureStep::AwardDecided(_)) && *at > after && *at < before
            })
            .map(|(at, _, _)| *at)
            .chain(
                f.of_type(DocumentType::AwardNotice)
                    .filter(|n| n.at > after && n.at < before)
                    .map(|n| n.at),
            )
            .min()
    };
    let mut wrong = Vec::new();
    let mut cited = Vec::new();
    let mut pending = Vec::new();
    for (at, ms, answer) in &list {
        match answer {
            Some((aat, ams)) => {
                let (in_time, end) = match within(ctx, *ms, *ams, 3) {
                    Ok(x) => x,
                    Err(a) => return a,
                };
                if !in_time {
                    wrong.push(format!(
                        "the objection at entry {at} was answered at entry {aat}, after the 3 days that ended {end}"
                    ));
                    cited.extend([*at, *aat]);
                }
                if let Some(x) = award(*at, *aat) {
                    wrong.push(format!(
                        "the award (entry {x}) came while the objection at entry {at} was unanswered (answered at entry {aat})"
                    ));
                    cited.extend([*at, x]);
                }
            }
            None => match award(*at, u64::MAX) {
                Some(x) => {
                    wrong.push(format!(
                        "the award (entry {x}) came while the objection at entry {at} was never answered"
                    ));
                    cited.extend([*at, x]);
                }
                None => pending.push(*at),
            },
        }
    }
    if !wrong.is_empty() {
        cited.sort_unstable();
        cited.dedup();
        Answer::Fail(wrong.join("; "), cited)
    } else if !pending.is_empty() {
        Answer::missing(
            "the answer",
            format!(
                "objection(s) at entry {pending:?} not answered yet; the award waits for the answer"
            ),
        )
    } else {
        Answer::Pass(format!(
            "{} objection(s) to the result, each answered within 3 days and before the award",
            list.len()
        ))
    }
}

fn t27_first_ranked(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    let Some((_, reg)) = f.registration else {
        return Answer::missing(
            "a registration",
            "whether the project must be tendered and is state-funded is unknown",
        );
    };
    if !(reg.must_tender && reg.state_capital) {
        return Answer::NotApplicable(
            "not a must-tender project with state capital in control".into(),
        );
    }
    let Some((at, ms, decision)) = f.step(|s| match s {
        ProcedureStep::AwardDecided(d) => Some(d),
        _ => None,
    }) else {
        return Answer::NotApplicable("no award decision yet".into());
    };
    let published = f.steps.iter().rev().find_map(|(p, pms, st)| match st {
        ProcedureStep::CandidatesPublished(c) if *pms <= ms => Some((*p, c)),
        _ => None,
    });
    let Some((pat, candidates)) = published else {
        return Answer::missing(
            "the published candidates",
            "an award decision with no candidates published before it",
        );
    };
    let first = &candidates.ranked[0];
    match (first.uscc == decision.winner.uscc, &decision.exception) {
        (true, _) => Answer::Pass(format!(
            "the winner, {}, was ranked first (entry {pat})",
            decision.winner.name
        )),
        (false, Some(why)) => Answer::Pass(format!(
            "the winner, {}, was not ranked first ({} was, entry {pat}); the decision gives why: {why}",
            decision.winner.name, first.name
        )),
        (false, None) => Answer::Fail(
            format!(
                "the winner, {}, was not ranked first ({} was, entry {pat}), and the decision gives no reason",
                decision.winner.name, first.name
            ),
            vec![pat, at],
        ),
    }
}

fn t28_result_notices(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    let Some(award) = f.of_type(DocumentType::AwardNotice).next() else {
        return Answer::NotApplicable("no award notice yet".into());
    };
    let Some((at, ms, n)) = f.step(|s| match s {
        ProcedureStep::ResultNoticesSent(r) => Some(r.recipients.len()),
        _ => None,
    }) else {
        return Answer::missing(
            "the result notices",
            format!("award notice at entry {}, no result notices recorded", award.at),
        );
    };
    let (a, r) = match (date_of(award.received_ms), date_of(ms)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(x), _) | (_, Err(x)) => return x,
    };
    if a == r {
        Answer::Pass(format!(
            "award notice (entry {}) and {n} result notice(s) (entry {at}) on {a}",
            award.at
        ))
    } else {
        Answer::Fail(
            format!("award notice on {a} (entry {}), result notices on {r} (entry {at})", award.at),
            vec![award.at, at],
        )
    }
}

fn t30_report(f: &Facts<'_>, ctx: &Context<'_>) -> Answer {
    if let Err(a) = must_tender(f) {
        return a;
    }
    let Some((dat, dms, ())) =
        f.step(|s| matches!(s, ProcedureStep::AwardDecided(_)).then_some(()))
    else {
        return Answer::NotApplicable("no award decision yet".into());
    };
    let Some((rat, rms, ())) = f.step(|s| matches!(s, ProcedureStep::ReportFiled(_)).then_some(()))
    else {
        return Answer::missing(
            "the written report",
            format!("award decided at entry {dat}, no report filed yet"),
        );
    };
    match within(ctx, dms, rms, 15) {
        Ok((true, end)) => Answer::Pass(format!(
            "decided at entry {dat}, reported at entry {rat}; the period ran to {end}"
        )),
        Ok((false, end)) => Answer::Fail(
            format!("decided at entry {dat}, reported at entry {rat}: the 15 days ended {end}"),
            vec![dat, rat],
        ),
        Err(a) => a,
    }
}

fn t31_refunds(f: &Facts<'_>, ctx: &Context<'_>) -> Answer {
    let Some((_, reg)) = f.registration else {
        return Answer::missing("a registration", "whether a bid security was asked is unknown");
    };
    if reg.bid_security_fen.is_none() {
        return Answer::NotApplicable("no bid security is asked".into());
    }
    let Some(contract) = f.of_type(DocumentType::Contract).next() else {
        return Answer::NotApplicable("no contract yet".into());
    };
    // The bidders known: the filers of open bids, and of sealed ones once revealed.
    let mut bidders: Vec<&str> = Vec::new();
    for (_, _, r) in &f.reveals {
        if r.document.document_type == DocumentType::Bid && !bidders.contains(&r.principal.as_str())
        {
            bidders.push(&r.principal);
        }
    }
    let mut missing = Vec::new();
    let mut late = Vec::new();
    for b in &bidders {
        let refund = f.step(|s| match s {
            ProcedureStep::SecurityRefunded(r) if r.bidder == *b => Some(()),
            _ => None,
        });
        match refund {
            None => missing.push(format!("a refund to {b}")),
            Some((at, ms, ())) => match within(ctx, contract.received_ms, ms, 5) {
                Ok((true, _)) => {}
                Ok((false, end)) => {
                    late.push((at, format!("{b} refunded at entry {at}, after {end}")))
                }
                Err(a) => return a,
            },
        }
    }
    if !late.is_empty() {
        let mut events: Vec<u64> = late.iter().map(|(at, _)| *at).collect();
        events.push(contract.at);
        let detail: Vec<String> = late.into_iter().map(|(_, d)| d).collect();
        return Answer::Fail(
            format!("contract at entry {}: {}", contract.at, detail.join("; ")),
            events,
        );
    }
    if !missing.is_empty() {
        return Answer::Indeterminate(
            format!(
                "contract at entry {}; not every opened bidder's refund is recorded",
                contract.at
            ),
            missing,
        );
    }
    Answer::Pass(format!(
        "{} opened bidder(s), each refunded within 5 days of the contract (entry {})",
        bidders.len(),
        contract.at
    ))
}

fn t34_termination(f: &Facts<'_>, _: &Context<'_>) -> Answer {
    if let Some(a) = failed_by(f, |v| matches!(v, Violation::AfterTermination)) {
        return a;
    }
    match f.step(|s| match s {
        ProcedureStep::Terminated(t) => Some(t),
        _ => None,
    }) {
        None => Answer::NotApplicable("the tender was not terminated".into()),
        Some((at, _, t)) => Answer::Pass(format!(
            "terminated at entry {at} ({}); nothing but refunds after it",
            t.reason
        )),
    }
}

fn l01_timestamps(f: &Facts<'_>, ctx: &Context<'_>) -> Answer {
    let needs =
        |t: DocumentType| ctx.pack.rules.iter().any(|r| r.document_type == t && r.timestamp);
    let mut judged = 0;
    let mut unknown = 0;
    let mut bare = Vec::new();
    for x in f.filings.iter().filter(|x| needs(x.document_type)) {
        match x.document {
            None => unknown += 1,
            Some(d) => {
                judged += 1;
                if d.timestamps.is_empty() && d.received_timestamp.is_none() {
                    bare.push(x.at);
                }
            }
        }
    }
    if judged == 0 && unknown == 0 {
        return Answer::NotApplicable(
            "no document of a kind that needs a trusted timestamp".into(),
        );
    }
    let sealed = if unknown > 0 {
        format!("; {unknown} sealed, not opened yet, not judged")
    } else {
        String::new()
    };
    if bare.is_empty() {
        Answer::Pass(format!(
            "{judged} document(s) that need one carry a trusted timestamp{sealed}"
        ))
    } else {
        Answer::Fail(
            format!(
                "{} of {judged} document(s) that need a trusted timestamp carry none{sealed}",
                bare.len()
            ),
            bare,
        )
    }
}

#[cfg(test)]
mod tests;
