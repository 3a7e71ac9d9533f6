//! Steps of the procedure that are not documents: what the platform records
//! as a tender moves from its opening to its end (DOMAIN.md §6), each
//! filed by the tender's owner as a `procedure` event — except an
//! objection, which its objector files. The rules that need
//! them are in [`crate::rules`].
//!
//! Every step is public when filed. Steps that would name a bidder before
//! the bid deadline (downloads, withdrawals) are not here: 电子招标投标办法
//! art. 21 keeps those secret until the opening.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::event::{EventLink, MAX_TITLE_BYTES, check_text};
use crate::ids::Uscc;

/// Most candidates in one publication (the format's bound; 条例 art. 53's
/// three is a rule, judged by the report).
pub const MAX_CANDIDATES: usize = 16;
/// Most recipients of result notices recorded in one step.
pub const MAX_RECIPIENTS: usize = 1000;
/// Longest name or free text, in bytes.
pub const MAX_TEXT_BYTES: usize = MAX_TITLE_BYTES;

/// A step; the variant name is the step's name.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ProcedureStep {
    /// 解密失败: a sealed bid could not be decrypted at the opening (电子招标投标办法
    /// art. 31), and whose fault it was.
    DecryptionFailed(DecryptionFailure),
    /// 中标候选人公示: the ranked candidates published, and until when.
    CandidatesPublished(Candidates),
    /// 定标: the tenderer decided the winner.
    AwardDecided(AwardDecision),
    /// 中标结果通知: result notices sent to the bidders not chosen (招标投标法 art. 45).
    ResultNoticesSent(ResultNotices),
    /// 书面报告: the written report to the supervising department (招标投标法 art. 47).
    ReportFiled(Report),
    /// 退还投标保证金: a bidder's bid security refunded (条例 art. 57).
    SecurityRefunded(SecurityRefund),
    /// 终止招标: the tender was terminated (条例 art. 31).
    Terminated(Termination),
    /// 异议: a bidder's objection to the opening (条例 art. 44) or to the
    /// evaluation result (条例 art. 54), filed by the objector itself.
    /// (Objections to the documents come before the bid deadline and would
    /// name a bidder while 电子招标投标办法 art. 21 keeps bidders secret; they
    /// are not recorded here.)
    ObjectionRaised(Objection),
    /// 异议答复: the tenderer's answer to an objection.
    ObjectionAnswered(ObjectionAnswer),
}

/// What an objection is about.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ObjectionAbout {
    /// The opening: raised and answered on the spot (条例 art. 44).
    Opening,
    /// The evaluation result, during the candidates' publication (条例 art. 54).
    Result,
}

/// An objection.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Objection {
    /// What it objects to.
    pub about: ObjectionAbout,
}

/// The answer to an objection.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ObjectionAnswer {
    /// The objection's entry.
    pub objection: EventLink,
}

/// Whose fault a decryption failure was (电子招标投标办法 art. 31): the
/// bidder's makes the bid revoked (撤销), anyone else's withdrawn (撤回).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Attribution {
    /// The bidder's (its key, its file).
    Bidder,
    /// The platform's, the tenderer's or another party's.
    Other,
    /// Not decided yet.
    Unknown,
}

/// A sealed bid that could not be opened.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DecryptionFailure {
    /// The sealed entry.
    pub sealed: EventLink,
    /// Whose fault.
    pub attribution: Attribution,
}

/// A unit named in a step.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    /// Its registered name.
    pub name: String,
    /// Its unified social credit code.
    pub uscc: Uscc,
}

/// The published candidates.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Candidates {
    /// Best first.
    pub ranked: Vec<Unit>,
    /// The end of the publication period, UTC ms.
    pub until_ms: u64,
}

/// The award decision.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AwardDecision {
    /// The winner.
    pub winner: Unit,
    /// Why the winner is not the first-ranked candidate, when it is not
    /// (it dropped out or was disqualified: 条例 art. 55).
    pub exception: Option<String>,
}

/// Result notices sent.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ResultNotices {
    /// The bidders notified.
    pub recipients: Vec<Unit>,
}

/// The report to the supervising department.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The department it went to.
    pub department: String,
}

/// A bid security refunded.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SecurityRefund {
    /// The bidder, by the principal that filed its bid.
    pub bidder: String,
    /// The amount refunded with its interest, fen.
    pub amount_fen: u64,
}

/// A termination.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Termination {
    /// Why.
    pub reason: String,
}

impl ProcedureStep {
    /// The step's name, as in JSON and CBOR.
    pub fn name(&self) -> &'static str {
        match self {
            ProcedureStep::DecryptionFailed(_) => "decryption_failed",
            ProcedureStep::CandidatesPublished(_) => "candidates_published",
            ProcedureStep::AwardDecided(_) => "award_decided",
            ProcedureStep::ResultNoticesSent(_) => "result_notices_sent",
            ProcedureStep::ReportFiled(_) => "report_filed",
            ProcedureStep::SecurityRefunded(_) => "security_refunded",
            ProcedureStep::Terminated(_) => "terminated",
            ProcedureStep::ObjectionRaised(_) => "objection_raised",
            ProcedureStep::ObjectionAnswered(_) => "objection_answered",
        }
    }

    /// Checks the rules of the format that the type system does not.
    pub fn validate(&self) -> Result<(), Error> {
        let unit = |u: &Unit| check_text("unit name", &u.name, MAX_TEXT_BYTES);
        match self {
            ProcedureStep::DecryptionFailed(_) => Ok(()),
            ProcedureStep::CandidatesPublished(c) => {
                if c.ranked.is_empty() || c.ranked.len() > MAX_CANDIDATES {
                    return Err(Error::EventInvalid(format!(
                        "1 to {MAX_CANDIDATES} ranked candidates"
                    )));
                }
                c.ranked.iter().try_for_each(unit)
            }
            ProcedureStep::AwardDecided(a) => {
                unit(&a.winner)?;
                match &a.exception {
                    Some(e) => check_text("exception", e, MAX_TEXT_BYTES),
                    None => Ok(()),
                }
            }
            ProcedureStep::ResultNoticesSent(r) => {
                if r.recipients.len() > MAX_RECIPIENTS {
                    return Err(Error::EventInvalid(format!(
                        "at most {MAX_RECIPIENTS} recipients in one step"
                    )));
                }
                r.recipients.iter().try_for_each(unit)
            }
            ProcedureStep::ReportFiled(r) => {
                check_text("department", &r.department, MAX_TEXT_BYTES)
            }
            ProcedureStep::SecurityRefunded(r) => {
                check_text("bidder", &r.bidder, crate::event::MAX_PRINCIPAL_BYTES)
            }
            ProcedureStep::Terminated(t) => check_text("reason", &t.reason, MAX_TEXT_BYTES),
            ProcedureStep::ObjectionRaised(_) | ProcedureStep::ObjectionAnswered(_) => Ok(()),
        }
    }
}
