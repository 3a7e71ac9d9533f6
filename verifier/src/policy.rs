//! Document policy rule packs: per document type, which certificate kinds may
//! sign, which seal roles must be present and whether a trusted timestamp is
//! required.
//!
//! A rule pack is data. It comes into force by being logged as a `policy`
//! event (tender [`crate::event::POLICY_TENDER`]); every document event the
//! ledger checks names the pack it applied (`Event::policy`), so a verifier
//! years later applies the same rules, not today's. [`RulePack::default_pack`]
//! is the pack tenderlog ships: the seed platform's seven kinds of documents
//! that must carry a trusted timestamp, and who signs what under 电子招标投标办法.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::event::{CertKind, DocumentType};

/// Longest pack name, in bytes.
pub const MAX_PACK_NAME_BYTES: usize = 128;

/// Seal roles of the seed platform (DOMAIN.md §2.2).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum SealRole {
    /// 单位公章: the unit's official seal.
    UnitSeal,
    /// 法人私章: the legal representative's seal.
    LegalRepresentativeSeal,
    /// 注册人员签章: a registered professional's seal.
    RegisteredPersonnelSeal,
    /// 专家签字: an evaluation expert's signature seal.
    ExpertSignature,
    /// 监管单位公章: the supervisory unit's seal.
    SupervisoryUnitSeal,
    /// 监管人员签章: a supervisor's seal.
    SupervisoryStaffSeal,
}

/// The rules for one document type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The document type the rule is for.
    pub document_type: DocumentType,
    /// Certificate kinds allowed to sign; when not empty, at least one
    /// signature is required and every signer must be of one of these kinds.
    /// Sorted, no repeats.
    pub signer_kinds: Vec<CertKind>,
    /// Seal roles that must each be present. Sorted, no repeats.
    pub seal_roles: Vec<SealRole>,
    /// Whether a verified trusted timestamp over the document is required.
    pub timestamp: bool,
}

/// A versioned set of rules, one per document type at most.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RulePack {
    /// The pack's name, e.g. `tenderlog-default`.
    pub name: String,
    /// The pack's own version: a changed pack is a new version.
    pub version: u64,
    /// The rules, by document type in the order of [`DocumentType`]; types
    /// without a rule have no requirements.
    pub rules: Vec<Rule>,
}

fn sorted_unique<T: Ord>(v: &[T]) -> bool {
    v.windows(2).all(|w| w[0] < w[1])
}

impl RulePack {
    /// Checks the pack's own rules: a name, rules sorted by document type
    /// with each type once, and sorted, repeat-free lists, so that one pack
    /// has one encoding.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |m: &str| Err(Error::EventInvalid(format!("rule pack: {m}")));
        if self.name.is_empty()
            || self.name.len() > MAX_PACK_NAME_BYTES
            || self.name.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return bad("name must be 1 to 128 bytes with no spaces or control characters");
        }
        let types: Vec<DocumentType> = self.rules.iter().map(|r| r.document_type).collect();
        if !sorted_unique(&types) {
            return bad("rules must be sorted by document type, each type once");
        }
        for r in &self.rules {
            if !sorted_unique(&r.signer_kinds) || !sorted_unique(&r.seal_roles) {
                return bad("signer_kinds and seal_roles must be sorted without repeats");
            }
        }
        Ok(())
    }

    /// The rule for a document type, if the pack has one.
    pub fn rule_for(&self, t: DocumentType) -> Option<&Rule> {
        self.rules.iter().find(|r| r.document_type == t)
    }

    /// The pack tenderlog ships (`tenderlog-default`, version 2: version 1
    /// and the types added since: bid modification, withdrawal and
    /// objections, each signed by its bidder, a modification timestamped as
    /// the bid; records of who obtained the documents, unsigned).
    ///
    /// Timestamps: the seed platform's list of seven — notices and
    /// invitations; prequalification and tender documents with their
    /// clarifications, supplements and amendments; prequalification
    /// applications and bids with their clarifications; review and evaluation
    /// reports; result and award notices; bid registration; control-price
    /// publication. Signers: tenderers, agencies and bidders hold trader
    /// certificates; the evaluation report is signed by the experts; the
    /// opening record by the agency or the supervisor. No seal roles are
    /// required: platforms differ on them, so a pack that needs them says so.
    pub fn default_pack() -> RulePack {
        use CertKind::{Expert, Supervisor, Trader};
        use DocumentType as D;
        let rule = |t, kinds: &[CertKind], timestamp| Rule {
            document_type: t,
            signer_kinds: kinds.to_vec(),
            seal_roles: Vec::new(),
            timestamp,
        };
        let mut rules = vec![
            rule(D::PrequalificationNotice, &[Trader], true),
            rule(D::TenderNotice, &[Trader], true),
            rule(D::InvitationToBid, &[Trader], true),
            rule(D::PrequalificationDocuments, &[Trader], true),
            rule(D::PrequalificationDocumentsClarification, &[Trader], true),
            rule(D::PrequalificationDocumentsAmendment, &[Trader], true),
            rule(D::TenderDocuments, &[Trader], true),
            rule(D::TenderDocumentsClarification, &[Trader], true),
            rule(D::TenderDocumentsSupplement, &[Trader], true),
            rule(D::TenderDocumentsAmendment, &[Trader], true),
            rule(D::BidRegistration, &[Trader], true),
            rule(D::ControlPricePublication, &[Trader], true),
            rule(D::PrequalificationApplication, &[Trader], true),
            rule(D::PrequalificationApplicationClarification, &[Trader], true),
            rule(D::Bid, &[Trader], true),
            rule(D::BidClarification, &[Trader], true),
            rule(D::OpeningRecord, &[Trader, Supervisor], false),
            rule(D::PrequalificationReviewReport, &[Expert], true),
            rule(D::EvaluationReport, &[Expert], true),
            rule(D::PrequalificationResultNotice, &[Trader], true),
            rule(D::AwardNotice, &[Trader], true),
            rule(D::Contract, &[Trader], false),
            // Version 2: the types added since version 1.
            rule(D::BidModification, &[Trader], true),
            rule(D::BidWithdrawal, &[Trader], false),
            rule(D::TenderDocumentsObjection, &[Trader], false),
            rule(D::PrequalificationDocumentsObjection, &[Trader], false),
            // The platform's record of who obtained the documents: no
            // signature or timestamp asked.
            rule(D::TenderDocumentsObtained, &[], false),
            rule(D::PrequalificationDocumentsObtained, &[], false),
        ];
        rules.sort_by_key(|r| r.document_type);
        RulePack { name: "tenderlog-default".into(), version: 2, rules }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_pack_is_valid_and_stamps_the_seed_list() {
        let p = RulePack::default_pack();
        p.validate().unwrap();
        assert_eq!(p.rules.len(), 28, "one rule per document type");
        assert!(p.rule_for(DocumentType::Bid).unwrap().timestamp);
        assert!(!p.rule_for(DocumentType::Contract).unwrap().timestamp);
        assert_eq!(
            p.rule_for(DocumentType::EvaluationReport).unwrap().signer_kinds,
            [CertKind::Expert]
        );
    }

    #[test]
    fn unsorted_or_repeated_rules_are_refused() {
        let mut p = RulePack::default_pack();
        p.rules.swap(0, 1);
        assert!(p.validate().is_err());
        let mut p = RulePack::default_pack();
        p.rules[0].signer_kinds = vec![CertKind::Trader, CertKind::Trader];
        assert!(p.validate().is_err());
        let mut p = RulePack::default_pack();
        p.name = "has space".into();
        assert!(p.validate().is_err());
    }
}
