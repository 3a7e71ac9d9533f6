//! A tender's registration: who owns it, and the project facts its rules
//! turn on. It is the tender's first filing; from it on, the ledger knows
//! whose tender it is (DOMAIN.md §1.3 scopes: must-tender, state capital,
//! prequalification).
//!
//! Parties are told apart by **role in this tender**, never by certificate
//! kind (an agency and a bidder both hold trader certificates): the
//! tenderer (招标人) and its agency (招标代理) own the tender; their
//! principals (platform accounts) file what the owner files; anyone else
//! with a submitter token may bid; supervisors are named. Money is in fen
//! (0.01 yuan), as whole numbers.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::event::{DocumentType, MAX_PRINCIPAL_BYTES, SEALED_PRINCIPAL, check_text};
use crate::ids::Uscc;

/// Longest project or unit name, in bytes.
pub const MAX_NAME_BYTES: usize = 256;
/// Most principals acting for one party, and most supervisors.
pub const MAX_PRINCIPALS: usize = 16;
/// Longest bid validity period, in days (ten years).
pub const MAX_VALIDITY_DAYS: u32 = 3650;

/// How bidders are found (招标投标法 art. 10).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// 公开招标: by public notice.
    Open,
    /// 邀请招标: by invitation of at least three (法 17).
    Invitation,
}

/// A party to the tender: a unit and the platform accounts acting for it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// The unit's registered name.
    pub name: String,
    /// Its unified social credit code (what its trader certificates carry).
    pub uscc: Uscc,
    /// The principals acting for it, ascending, none twice, at least one.
    pub principals: Vec<String>,
}

/// The registration event's body. The field order is the canonical one.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// The project (section) name.
    pub project: String,
    /// 招标人: the tenderer.
    pub tenderer: Party,
    /// 招标代理: the agency, when the tenderer uses one.
    pub agency: Option<Party>,
    /// Open or invitation tendering.
    pub method: Method,
    /// Whether bidders are prequalified (资格预审).
    pub prequalification: bool,
    /// 依法必须进行招标: the rules marked M apply.
    pub must_tender: bool,
    /// 国有资金占控股或者主导地位: the rules marked S apply.
    pub state_capital: bool,
    /// The estimated contract price (估算价), fen.
    pub estimate_fen: Option<u64>,
    /// The maximum bid price (最高投标限价), fen, if one is set.
    pub max_price_fen: Option<u64>,
    /// The bid security asked (投标保证金), fen.
    pub bid_security_fen: Option<u64>,
    /// The bid validity period (投标有效期), days from the bid deadline.
    pub bid_validity_days: Option<u32>,
    /// Principals of the supervising department, ascending, none twice.
    pub supervisors: Vec<String>,
}

/// What a principal is in a registered tender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The tenderer's or the agency's.
    Owner,
    /// A named supervisor.
    Supervisor,
    /// Anyone else: a bidder or would-be bidder.
    Other,
}

/// Who may file a document type in a registered tender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filer {
    /// The owner (the tenderer or its agency) only.
    Owner,
    /// A bidder (applicant) only: never the owner or a supervisor.
    Bidder,
    /// The owner, or the evaluation committee's account (its membership is
    /// secret until the award, so not in the registration): never a
    /// supervisor, who may not sit on a committee it supervises (条例 46);
    /// the rule pack asks every expert's signature of it.
    Committee,
}

/// Who files `t`: notices, tender documents and their changes, the opening
/// record, result notices and the contract are the owner's; the review and
/// evaluation reports the committee's
/// (招标投标法 art. 16, 23, 45–46; 条例 21, 54); bids, prequalification
/// applications, their clarifications and a bid registration are a
/// bidder's (法 27, 29).
pub fn filer(t: DocumentType) -> Filer {
    use DocumentType as D;
    match t {
        D::BidRegistration
        | D::PrequalificationApplication
        | D::PrequalificationApplicationClarification
        | D::Bid
        | D::BidClarification
        | D::BidModification
        | D::BidWithdrawal
        | D::TenderDocumentsObjection
        | D::PrequalificationDocumentsObjection
        | D::TenderDocumentsObtained
        | D::PrequalificationDocumentsObtained => Filer::Bidder,
        D::PrequalificationReviewReport | D::EvaluationReport => Filer::Committee,
        D::PrequalificationNotice
        | D::TenderNotice
        | D::InvitationToBid
        | D::PrequalificationDocuments
        | D::PrequalificationDocumentsClarification
        | D::PrequalificationDocumentsAmendment
        | D::TenderDocuments
        | D::TenderDocumentsClarification
        | D::TenderDocumentsSupplement
        | D::TenderDocumentsAmendment
        | D::ControlPricePublication
        | D::OpeningRecord
        | D::PrequalificationResultNotice
        | D::AwardNotice
        | D::Contract => Filer::Owner,
    }
}

impl Registration {
    /// What `principal` is in this tender.
    pub fn role(&self, principal: &str) -> Role {
        let owns = |p: &Party| p.principals.iter().any(|x| x == principal);
        if owns(&self.tenderer) || self.agency.as_ref().is_some_and(owns) {
            Role::Owner
        } else if self.supervisors.iter().any(|x| x == principal) {
            Role::Supervisor
        } else {
            Role::Other
        }
    }

    /// Whether a trader certificate bound to `uscc` is the owner's (the
    /// tenderer's or the agency's).
    pub fn owner_uscc(&self, uscc: &str) -> bool {
        self.tenderer.uscc.as_str() == uscc
            || self.agency.as_ref().is_some_and(|a| a.uscc.as_str() == uscc)
    }

    /// Whether a document of type `t` may carry the signature or seal of a
    /// certificate of `kind` bound to `uscc`: the owner's documents are
    /// signed for the tenderer or the agency, a bidder's never are. Only
    /// trader certificates are judged (an expert's or a supervisor's says
    /// who, not for whom); the contract is signed by both sides.
    pub fn signer_entitled(
        &self,
        t: DocumentType,
        kind: crate::event::CertKind,
        uscc: Option<&str>,
    ) -> Result<(), String> {
        let (crate::event::CertKind::Trader, Some(uscc)) = (kind, uscc) else { return Ok(()) };
        match filer(t) {
            _ if t == DocumentType::Contract => Ok(()),
            Filer::Owner if !self.owner_uscc(uscc) => Err(format!(
                "a {} signed for {uscc}, which is neither the tenderer's nor the agency's unit",
                t.name()
            )),
            Filer::Bidder if self.owner_uscc(uscc) => Err(format!(
                "a {} signed for {uscc}, the tenderer's or the agency's own unit",
                t.name()
            )),
            _ => Ok(()),
        }
    }

    /// Checks the rules of the format that the type system does not.
    pub fn validate(&self) -> Result<(), Error> {
        check_text("project", &self.project, MAX_NAME_BYTES)?;
        for p in std::iter::once(&self.tenderer).chain(&self.agency) {
            check_text("party name", &p.name, MAX_NAME_BYTES)?;
            principals("a party's principals", &p.principals, 1)?;
        }
        principals("supervisors", &self.supervisors, 0)?;
        if self.supervisors.iter().any(|s| self.role(s) == Role::Owner) {
            return Err(Error::EventInvalid(
                "a supervisor cannot also act for the tenderer or the agency".into(),
            ));
        }
        if self.bid_validity_days.is_some_and(|d| d == 0 || d > MAX_VALIDITY_DAYS) {
            return Err(Error::EventInvalid(format!(
                "bid_validity_days is 1 to {MAX_VALIDITY_DAYS}"
            )));
        }
        Ok(())
    }
}

/// `list` holds `min` to [`MAX_PRINCIPALS`] principals, ascending, none twice.
fn principals(what: &str, list: &[String], min: usize) -> Result<(), Error> {
    if list.len() < min || list.len() > MAX_PRINCIPALS {
        return Err(Error::EventInvalid(format!("{what}: {min} to {MAX_PRINCIPALS} principals")));
    }
    for p in list {
        check_text("principal", p, MAX_PRINCIPAL_BYTES)?;
        crate::event::check_name("principal", p).map_err(|e| Error::EventInvalid(e.to_string()))?;
        if p.eq_ignore_ascii_case(SEALED_PRINCIPAL) {
            return Err(Error::EventInvalid(format!("{SEALED_PRINCIPAL:?} is reserved")));
        }
    }
    if list.windows(2).any(|w| w[0] >= w[1]) {
        return Err(Error::EventInvalid(format!("{what}: ascending, none twice")));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> Registration {
        Registration {
            project: "某市第一中学教学楼施工".into(),
            tenderer: Party {
                name: "某市第一中学".into(),
                uscc: Uscc::parse("91350100M000100Y43").expect("valid USCC"),
                principals: vec!["school".into()],
            },
            agency: Some(Party {
                name: "某招标代理有限公司".into(),
                uscc: Uscc::parse("91110000600037341L").expect("valid USCC"),
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
            supervisors: vec!["supervisor".into()],
        }
    }

    #[test]
    fn roles_come_from_the_registration_not_from_certificates() {
        let r = sample();
        r.validate().expect("valid");
        assert_eq!(r.role("agency-02"), Role::Owner);
        assert_eq!(r.role("school"), Role::Owner);
        assert_eq!(r.role("supervisor"), Role::Supervisor);
        assert_eq!(r.role("bidder-a"), Role::Other);
        assert!(r.owner_uscc("91110000600037341L") && !r.owner_uscc("91110000600037341X"));
        assert_eq!(filer(DocumentType::AwardNotice), Filer::Owner);
        assert_eq!(filer(DocumentType::Bid), Filer::Bidder);
    }

    #[test]
    fn malformed_registrations_are_refused() {
        let mut r = sample();
        r.tenderer.principals.clear();
        assert!(r.validate().is_err(), "no principal");
        let mut r = sample();
        r.tenderer.principals = vec!["b".into(), "a".into()];
        assert!(r.validate().is_err(), "not ascending");
        let mut r = sample();
        r.supervisors = vec!["school".into()];
        assert!(r.validate().is_err(), "a supervisor who owns");
        let mut r = sample();
        r.tenderer.principals = vec!["Sealed".into()];
        assert!(r.validate().is_err(), "the reserved principal");
        let mut r = sample();
        r.bid_validity_days = Some(0);
        assert!(r.validate().is_err());
        let mut r = sample();
        r.project = String::new();
        assert!(r.validate().is_err());
    }
}
