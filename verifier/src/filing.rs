//! A bundle's documents in the words of the people who read a report: what
//! each is, what became of it (filed, sealed, opened, refused and why), who
//! filed and signed it and whether that held, when, and what was not
//! checked. Built from the same checks as the verdict; the one wording the
//! command line, its JSON and the pages share.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::Hash;
use crate::check::CheckName;
use crate::event::{Body, DocumentType, Event};
use crate::report::{Check, Status};

/// What became of a submitted document.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// Filed in the open.
    Filed,
    /// Filed under seal and not opened in this bundle.
    Sealed,
    /// Filed under seal and opened (revealed) later.
    Opened,
    /// Refused by the platform; the refusal is what the log records.
    Refused,
}

impl Fate {
    /// In words, Chinese first.
    pub fn words(self) -> &'static str {
        match self {
            Fate::Filed => "已提交 filed",
            Fate::Sealed => "密封提交，尚未开启 filed under seal, not yet opened",
            Fate::Opened => "密封提交，已开启 filed under seal, then opened",
            Fate::Refused => "被拒绝 REFUSED, not filed",
        }
    }
}

/// One document of the bundle, as a person asks about it.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Filing {
    /// The entry that filed it (for a sealed one: the sealed entry).
    pub entry: u64,
    /// The tender.
    pub tender: String,
    /// The document type (`bid`, `award_notice`, …).
    pub document_type: String,
    /// The type in words, Chinese first.
    pub what: String,
    /// Its title, if the filing gave one.
    pub title: Option<String>,
    /// Its SHA-256, once known (a sealed document's only when opened).
    pub sha256: Option<Hash>,
    /// What became of it.
    pub fate: Fate,
    /// The entry that opened it, for a sealed document opened.
    pub opened_by: Option<u64>,
    /// The check that refused it and why, for a refused one.
    pub refusal: Option<(String, String)>,
    /// Who filed it (the submitter's principal).
    pub filed_by: String,
    /// When the platform received it, ms since the epoch.
    pub received_ms: u64,
    /// The same in Beijing time and UTC.
    pub received: String,
    /// What was checked of it and held (signatures, seals, timestamps,
    /// policy, procedure), each with what it rests on.
    pub held: Vec<String>,
    /// What was checked of it and failed.
    pub problems: Vec<String>,
    /// What could not be checked of it, and why.
    pub not_checked: Vec<String>,
}

/// The checks that speak of a document itself (not of its place in the log).
const DOCUMENT_CHECKS: &[CheckName] = &[
    CheckName::Timestamp,
    CheckName::Signature,
    CheckName::CertificateChain,
    CheckName::CertificateStatus,
    CheckName::Seal,
    CheckName::Policy,
    CheckName::Procedure,
    CheckName::CommitmentReveal,
    CheckName::SealedSubmission,
];

/// The documents among `events` (index → event), oldest first, each with
/// the `checks` run on its entries (and on the entry that opened it).
pub fn filings<'e>(
    events: impl IntoIterator<Item = (u64, &'e Event)>,
    checks: &[Check],
) -> Vec<Filing> {
    let events: BTreeMap<u64, &Event> = events.into_iter().collect();
    let mut opened: BTreeMap<u64, u64> = BTreeMap::new();
    for (&i, ev) in &events {
        if let Body::Reveal(r) = &ev.body {
            opened.entry(r.sealed.index).or_insert(i);
        }
    }
    let mut out = Vec::new();
    for (&i, ev) in &events {
        let (doc_type, title, sha256, fate, refusal) = match &ev.body {
            Body::Document(d) => {
                (d.document_type, d.title.clone(), Some(d.sha256), Fate::Filed, None)
            }
            Body::SealedDocument(d) => match opened.get(&i).and_then(|r| events.get(r)) {
                Some(Event { body: Body::Reveal(r), .. }) => (
                    d.document_type,
                    r.document.title.clone(),
                    Some(r.document.sha256),
                    Fate::Opened,
                    None,
                ),
                _ => (d.document_type, None, None, Fate::Sealed, None),
            },
            Body::SubmissionRejected(r) => (
                r.document_type,
                None,
                Some(r.sha256),
                Fate::Refused,
                Some((r.check.clone(), r.reason.clone())),
            ),
            _ => continue,
        };
        let opened_by = (fate == Fate::Opened).then(|| opened[&i]);
        // A sealed entry's submitter is known once its reveal names it.
        let filed_by = match (&ev.body, opened_by.and_then(|r| events.get(&r))) {
            (Body::SealedDocument(_), Some(Event { body: Body::Reveal(r), .. })) => {
                r.principal.clone()
            }
            (Body::SealedDocument(_) | Body::SubmissionRejected(_), _)
                if ev.principal == crate::event::SEALED_PRINCIPAL =>
            {
                "(sealed: known to the submitter alone)".to_owned()
            }
            _ => ev.principal.clone(),
        };
        let mut f = Filing {
            entry: i,
            tender: ev.tender.clone(),
            document_type: doc_type.name(),
            what: words(doc_type),
            title,
            sha256,
            fate,
            opened_by,
            refusal,
            filed_by,
            received_ms: ev.received_ms,
            received: crate::calendar::when(ev.received_ms),
            held: Vec::new(),
            problems: Vec::new(),
            not_checked: Vec::new(),
        };
        for at in std::iter::once(i).chain(opened_by) {
            for c in checks.iter().filter(|c| about(&c.subject, at)) {
                let aspect = aspect(&c.subject, at);
                let line = match aspect {
                    "" => format!("{}: {}", c.check, c.detail),
                    a => format!("{} ({a}): {}", c.check, c.detail),
                };
                match c.status {
                    Status::Fail => f.problems.push(line),
                    Status::NotApplicable => f.not_checked.push(line),
                    Status::Pass if DOCUMENT_CHECKS.contains(&c.check) => f.held.push(line),
                    Status::Pass => {}
                }
            }
        }
        out.push(f);
    }
    out
}

/// Whether a check's subject is entry `i` (or a part of it).
fn about(subject: &str, i: u64) -> bool {
    let Some(rest) = subject.strip_prefix("entry ") else { return false };
    let digits = rest.split(' ').next().unwrap_or_default();
    digits == i.to_string()
}

/// The part of entry `i` a subject names (`signature 1`, …), or "".
fn aspect(subject: &str, i: u64) -> &str {
    let prefix = format!("entry {i}");
    subject.strip_prefix(prefix.as_str()).map_or("", str::trim)
}

impl Filing {
    /// The filing as a block of text: a heading line, then indented lines.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "  entry {} · {} · tender {}: {}",
            self.entry,
            self.what,
            self.tender,
            self.fate.words()
        );
        if let Some(o) = self.opened_by {
            s.push_str(&format!(" (opened by entry {o})"));
        }
        s.push('\n');
        if let Some(t) = &self.title {
            s.push_str(&format!("    title: {t}\n"));
        }
        if let Some((check, reason)) = &self.refusal {
            s.push_str(&format!("    refused by the {check} check: {reason}\n"));
        }
        let by = if self.filed_by.starts_with('(') {
            self.filed_by.clone()
        } else {
            format!("{:?}", self.filed_by)
        };
        s.push_str(&format!("    filed by {by}, received by the platform at {}\n", self.received));
        match (&self.sha256, self.fate) {
            (Some(h), Fate::Refused) if self.filed_by.starts_with('(') => s.push_str(&format!(
                "    commitment {h} (a sealed submission: its opening links it to the file)\n"
            )),
            (Some(h), Fate::Sealed) => s.push_str(&format!(
                "    SHA-256 {h} (from your opening; sealed to everyone else)\n"
            )),
            (Some(h), _) => s.push_str(&format!("    SHA-256 {h}\n")),
            (None, _) => s.push_str("    its content stays sealed until it is opened\n"),
        }
        for h in &self.held {
            s.push_str(&format!("    held: {h}\n"));
        }
        for p in &self.problems {
            s.push_str(&format!("    PROBLEM: {p}\n"));
        }
        for n in &self.not_checked {
            s.push_str(&format!("    not checked: {n}\n"));
        }
        s
    }
}

/// The document type in words, Chinese first: `招标文件 tender documents`.
pub fn words(t: DocumentType) -> String {
    format!("{} {}", zh(t), t.name().replace('_', " "))
}

/// The document type's Chinese name, as the platforms write it.
pub fn zh(t: DocumentType) -> &'static str {
    use DocumentType::*;
    match t {
        PrequalificationNotice => "资格预审公告",
        TenderNotice => "招标公告",
        InvitationToBid => "投标邀请书",
        PrequalificationDocuments => "资格预审文件",
        PrequalificationDocumentsClarification => "资格预审文件澄清",
        PrequalificationDocumentsAmendment => "资格预审文件修改",
        TenderDocuments => "招标文件",
        TenderDocumentsClarification => "招标文件澄清",
        TenderDocumentsSupplement => "招标文件补充",
        TenderDocumentsAmendment => "招标文件修改",
        BidRegistration => "投标报名",
        ControlPricePublication => "最高投标限价公布",
        PrequalificationApplication => "资格预审申请文件",
        PrequalificationApplicationClarification => "资格预审申请文件澄清",
        Bid => "投标文件",
        BidClarification => "投标文件澄清",
        OpeningRecord => "开标记录",
        PrequalificationReviewReport => "资格审查报告",
        EvaluationReport => "评标报告",
        PrequalificationResultNotice => "资格预审结果通知书",
        AwardNotice => "中标通知书",
        Contract => "合同",
        BidModification => "投标文件修改",
        BidWithdrawal => "撤回投标文件通知",
        TenderDocumentsObjection => "招标文件异议",
        PrequalificationDocumentsObjection => "资格预审文件异议",
        TenderDocumentsObtained => "获取招标文件记录",
        PrequalificationDocumentsObtained => "获取资格预审文件记录",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_matched_by_whole_index() {
        assert!(about("entry 12", 12));
        assert!(about("entry 12 signature 1", 12));
        assert!(!about("entry 123", 12));
        assert!(!about("entry 1", 12));
        assert_eq!(aspect("entry 12 signature 1", 12), "signature 1");
        assert_eq!(aspect("entry 12", 12), "");
    }
}
