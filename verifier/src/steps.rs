//! Steps of the procedure that are not documents: what the platform records
//! as a tender moves from its opening to its end (DOMAIN.md §6), each
//! filed as a `procedure` event by the party [`ProcedureStep::filer`] names:
//! the tender's owner, a bidder (objections, complaints) or a supervisor
//! (a complaint's handling). The rules that need them are in
//! [`crate::rules`].
//!
//! Every step is public when filed, so none names a bidder before the
//! opening (电子招标投标办法 art. 21): a withdrawal, like a record of who
//! obtained the documents, is a sealed document, and its refund, like a
//! clarification's delivery, names sealed entries; counts that would say
//! how many may bid (invitations, applicants that passed prequalification)
//! and complaints are recorded once the bids are opened.

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
    /// 异议答复: the tenderer's answer to an objection: an `objection_raised`
    /// step, or a sealed objection to the documents.
    ObjectionAnswered(ObjectionAnswer),
    // Added after the first release: new names, earlier leaves unchanged.
    /// 退还撤回投标的保证金: the security of a withdrawn bid refunded (条例
    /// art. 35), naming the sealed withdrawal, not the bidder.
    WithdrawalRefunded(WithdrawalRefund),
    /// 评标委员会组建: the committee's make-up, without names: they stay secret
    /// until the award (招标投标法 art. 37; 条例 art. 46).
    CommitteeFormed(Committee),
    /// 评标时间不足: members said the time for evaluation is too short (条例
    /// art. 48), and whether it was extended.
    MoreTimeAsked(MoreTime),
    /// 履约保证金: the winner's performance security (条例 art. 58).
    PerformanceSecurityPosted(PerformanceSecurity),
    /// 投标邀请: how many were invited (招标投标法 art. 17); a count only,
    /// recorded once the bids are opened (电子招标投标办法 art. 21 keeps it
    /// secret until then).
    InvitationsSent(Invitations),
    /// 资格预审结果: how many applicants passed (条例 art. 19); recorded once
    /// the bids are opened.
    PrequalificationPassed(Prequalified),
    /// 投诉: a complaint to the supervising department (条例 art. 60), filed by
    /// the complainant once the bids are opened.
    ComplaintFiled(Complaint),
    /// 投诉受理: the department accepts a complaint or not (条例 art. 61).
    ComplaintAccepted(ComplaintAcceptance),
    /// 投诉处理决定: the department's decision (条例 art. 61).
    ComplaintDecided(ComplaintDecision),
    /// A phase of the opening as the platform runs it (the seed's procedure:
    /// 开标开始, 保证金信息提取, 标书验证, 唱标, 开标结束), from the deadline on.
    OpeningPhase(Phase),
    /// 解密失败认定: whose fault a decryption failure recorded as `unknown`
    /// was, once decided (电子招标投标办法 art. 31).
    DecryptionAdjudicated(Adjudication),
    /// 澄清修改通知送达: a clarification or amendment sent to those who
    /// obtained the documents (招标投标法 art. 23), naming their sealed
    /// records of obtaining them — never who they are.
    ClarificationDelivered(Delivery),
}

/// A clarification's delivery.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    /// The clarification, supplement or amendment.
    pub clarification: EventLink,
    /// The sealed `…_documents_obtained` entries of those it was sent to.
    pub to: Vec<EventLink>,
}

/// A phase of the opening, in the order the seed's platform runs them.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum OpeningPhase {
    /// 开标开始: the opening begins, at the bid deadline.
    Started,
    /// 保证金信息提取: the bid securities received are read.
    DepositsExtracted,
    /// 标书验证: the decrypted bids are verified.
    BidsVerified,
    /// 唱标: the prices are announced.
    PricesAnnounced,
    /// 开标结束: the opening ends.
    Ended,
}

/// One phase of the opening.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    /// Which.
    pub phase: OpeningPhase,
}

/// The decision on a decryption failure.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Adjudication {
    /// The `decryption_failed` step's entry.
    pub failure: EventLink,
    /// Whose fault it was: `bidder` or `other`.
    pub attribution: Attribution,
}

/// Who files a step in a registered tender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepFiler {
    /// The tenderer or its agency.
    Owner,
    /// A bidder, never the owner or a supervisor.
    Bidder,
    /// A named supervisor.
    Supervisor,
}

/// The most members an evaluation committee is recorded with.
pub const MAX_MEMBERS: u32 = 99;

/// The security of a withdrawn bid, refunded.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalRefund {
    /// The withdrawal's entry (a sealed `bid_withdrawal`).
    pub withdrawal: EventLink,
    /// The amount refunded, fen.
    pub amount_fen: u64,
}

/// The committee's make-up (招标投标法 art. 37).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Committee {
    /// The tenderer's representatives.
    pub representatives: u32,
    /// Experts drawn at random from the expert pool.
    pub experts_drawn: u32,
    /// Experts designated by the tenderer (条例 art. 47: special projects only).
    pub experts_designated: u32,
}

impl Committee {
    /// Every member.
    pub fn size(&self) -> u64 {
        u64::from(self.representatives)
            + u64::from(self.experts_drawn)
            + u64::from(self.experts_designated)
    }

    /// The experts.
    pub fn experts(&self) -> u64 {
        u64::from(self.experts_drawn) + u64::from(self.experts_designated)
    }
}

/// Members asking for more time.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MoreTime {
    /// How many members said the time is too short.
    pub members: u32,
    /// Whether the tenderer extended it.
    pub extended: bool,
}

/// A performance security.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PerformanceSecurity {
    /// Its amount, fen.
    pub amount_fen: u64,
    /// The contract price, fen.
    pub contract_price_fen: u64,
}

/// Invitations to bid.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Invitations {
    /// How many specific legal persons were invited.
    pub count: u32,
}

/// The prequalification's result.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Prequalified {
    /// How many applicants passed.
    pub passed: u32,
}

/// What a complaint is about.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintAbout {
    /// The prequalification or tender documents (条例 art. 22).
    Documents,
    /// The opening (条例 art. 44).
    Opening,
    /// The evaluation result (条例 art. 54).
    Result,
    /// Anything else.
    Other,
}

impl ComplaintAbout {
    /// Whether 条例 art. 60 asks an objection first.
    pub fn needs_objection(self) -> bool {
        !matches!(self, ComplaintAbout::Other)
    }
}

/// A complaint.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Complaint {
    /// What it is about.
    pub about: ComplaintAbout,
    /// The objection it follows, where 条例 art. 60 asks one first.
    pub objection: Option<EventLink>,
}

/// Whether a complaint was accepted.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ComplaintAcceptance {
    /// The complaint's entry.
    pub complaint: EventLink,
    /// Accepted (受理) or not.
    pub accepted: bool,
}

/// The decision on a complaint.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ComplaintDecision {
    /// The complaint's entry.
    pub complaint: EventLink,
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
            ProcedureStep::WithdrawalRefunded(_) => "withdrawal_refunded",
            ProcedureStep::CommitteeFormed(_) => "committee_formed",
            ProcedureStep::MoreTimeAsked(_) => "more_time_asked",
            ProcedureStep::PerformanceSecurityPosted(_) => "performance_security_posted",
            ProcedureStep::InvitationsSent(_) => "invitations_sent",
            ProcedureStep::PrequalificationPassed(_) => "prequalification_passed",
            ProcedureStep::ComplaintFiled(_) => "complaint_filed",
            ProcedureStep::ComplaintAccepted(_) => "complaint_accepted",
            ProcedureStep::ComplaintDecided(_) => "complaint_decided",
            ProcedureStep::OpeningPhase(_) => "opening_phase",
            ProcedureStep::DecryptionAdjudicated(_) => "decryption_adjudicated",
            ProcedureStep::ClarificationDelivered(_) => "clarification_delivered",
        }
    }

    /// The step in words, Chinese first (as the pages show a tender's stage).
    pub fn words(&self) -> String {
        let zh = match self {
            ProcedureStep::DecryptionFailed(_) => "投标文件解密失败",
            ProcedureStep::CandidatesPublished(_) => "公示中标候选人",
            ProcedureStep::AwardDecided(_) => "确定中标人",
            ProcedureStep::ResultNoticesSent(_) => "发出中标结果通知",
            ProcedureStep::ReportFiled(_) => "提交招标投标情况书面报告",
            ProcedureStep::SecurityRefunded(_) => "退还投标保证金",
            ProcedureStep::Terminated(_) => "终止招标",
            ProcedureStep::ObjectionRaised(_) => "提出异议",
            ProcedureStep::ObjectionAnswered(_) => "答复异议",
            ProcedureStep::WithdrawalRefunded(_) => "退还撤回投标的保证金",
            ProcedureStep::CommitteeFormed(_) => "组建评标委员会",
            ProcedureStep::MoreTimeAsked(_) => "评标委员会要求延长评标时间",
            ProcedureStep::PerformanceSecurityPosted(_) => "提交履约保证金",
            ProcedureStep::InvitationsSent(_) => "发出投标邀请书",
            ProcedureStep::PrequalificationPassed(_) => "资格预审通过",
            ProcedureStep::ComplaintFiled(_) => "提起投诉",
            ProcedureStep::ComplaintAccepted(_) => "受理投诉",
            ProcedureStep::ComplaintDecided(_) => "作出投诉处理决定",
            ProcedureStep::OpeningPhase(_) => "开标流程",
            ProcedureStep::DecryptionAdjudicated(_) => "认定解密失败责任",
            ProcedureStep::ClarificationDelivered(_) => "澄清或修改送达",
        };
        format!("{zh} {}", self.name().replace('_', " "))
    }

    /// Who files it in a registered tender.
    pub fn filer(&self) -> StepFiler {
        match self {
            ProcedureStep::ObjectionRaised(_) | ProcedureStep::ComplaintFiled(_) => {
                StepFiler::Bidder
            }
            ProcedureStep::ComplaintAccepted(_) | ProcedureStep::ComplaintDecided(_) => {
                StepFiler::Supervisor
            }
            _ => StepFiler::Owner,
        }
    }

    /// Whether it is recorded only once the bids are opened: before, it
    /// would name a bidder or say how many there may be (电子招标投标办法
    /// art. 21).
    pub fn after_opening_only(&self) -> bool {
        matches!(
            self,
            ProcedureStep::InvitationsSent(_)
                | ProcedureStep::PrequalificationPassed(_)
                | ProcedureStep::ComplaintFiled(_)
        )
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
            ProcedureStep::CommitteeFormed(c) => {
                if c.size() == 0 || c.size() > u64::from(MAX_MEMBERS) {
                    return Err(Error::EventInvalid(format!(
                        "a committee of 1 to {MAX_MEMBERS} members"
                    )));
                }
                Ok(())
            }
            ProcedureStep::MoreTimeAsked(m) if m.members == 0 || m.members > MAX_MEMBERS => {
                Err(Error::EventInvalid(format!("1 to {MAX_MEMBERS} members ask for more time")))
            }
            ProcedureStep::PerformanceSecurityPosted(p) if p.contract_price_fen == 0 => {
                Err(Error::EventInvalid("contract_price_fen is 0".into()))
            }
            ProcedureStep::ComplaintFiled(c) if c.about == ComplaintAbout::Other => {
                match c.objection {
                    Some(_) => Err(Error::EventInvalid(
                        "a complaint about another matter follows no objection".into(),
                    )),
                    None => Ok(()),
                }
            }
            ProcedureStep::DecryptionAdjudicated(a) if a.attribution == Attribution::Unknown => {
                Err(Error::EventInvalid(
                    "an adjudication decides: attribution bidder or other".into(),
                ))
            }
            ProcedureStep::ClarificationDelivered(d) => {
                if d.to.is_empty() || d.to.len() > MAX_RECIPIENTS {
                    return Err(Error::EventInvalid(format!(
                        "a delivery to 1 to {MAX_RECIPIENTS} entries"
                    )));
                }
                if d.to.windows(2).any(|w| w[0].index >= w[1].index) {
                    return Err(Error::EventInvalid(
                        "a delivery's entries ascending, none twice".into(),
                    ));
                }
                Ok(())
            }
            ProcedureStep::ObjectionRaised(_)
            | ProcedureStep::ObjectionAnswered(_)
            | ProcedureStep::OpeningPhase(_)
            | ProcedureStep::DecryptionAdjudicated(_)
            | ProcedureStep::WithdrawalRefunded(_)
            | ProcedureStep::MoreTimeAsked(_)
            | ProcedureStep::PerformanceSecurityPosted(_)
            | ProcedureStep::InvitationsSent(_)
            | ProcedureStep::PrequalificationPassed(_)
            | ProcedureStep::ComplaintFiled(_)
            | ProcedureStep::ComplaintAccepted(_)
            | ProcedureStep::ComplaintDecided(_) => Ok(()),
        }
    }
}
