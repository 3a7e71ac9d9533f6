//! What the ledger checks before it logs a submission, beyond the format:
//! certificates must chain to a trusted CA and follow their lifecycle; signed
//! documents must pass [`verifier::signing::check_document`] under the rule
//! pack in force. A document that fails is not logged as submitted; a
//! `submission_rejected` event naming the failed check is logged instead.

use std::collections::HashMap;

use verifier::Hash;
use verifier::check::CheckName;
use verifier::event::{
    Body, Bytes, Content, Event, EventLink, POLICY_TENDER, Rejection, Reveal, SEALED_PRINCIPAL,
    SealRequest, SealedDocument, commitment,
};
use verifier::event::{CertificateEvent, SealBinding};
use verifier::procedure::{TenderState, Violation};
use verifier::signing::{CertRecord, Context, SealRecord, check_document, first_failure};

use super::{BatchState, Ledger};
use crate::error::{LedgerError, Result};

/// The ledger's decision on one submission.
pub(super) enum Admission {
    /// Log it as submitted.
    Accept,
    /// Refuse it and log nothing (a certificate no trusted CA issued, a
    /// lifecycle step out of order).
    Refuse(verifier::Error),
    /// Refuse it and log `rejection` in its place.
    Reject {
        /// The `submission_rejected` content to log.
        rejection: Box<Content>,
        /// What to tell the submitter.
        error: verifier::Error,
    },
}

/// The ledger's decision on a document to be filed under seal.
pub(super) enum Sealing {
    /// Log `content` (the sealed document); `opening` is what the submitter
    /// gets (its `sealed` link is filled in once the entry is known).
    Seal {
        /// The `sealed_document` content.
        content: Box<Content>,
        /// The salt, filer and document.
        opening: Box<Reveal>,
    },
    /// Refuse it and log nothing.
    Refuse(verifier::Error),
    /// A check refused it: log `rejection` — which names neither the filer
    /// nor the document, only the commitment and the check — and tell the
    /// submitter `error` in full.
    Reject {
        /// The `submission_rejected` content to log.
        rejection: Box<Content>,
        /// What to tell the submitter.
        error: verifier::Error,
        /// The opening of the logged commitment, for the submitter alone:
        /// it links the refusal to the file (its `sealed` link is filled in
        /// once the entry is known).
        opening: Box<Reveal>,
    },
}

fn invalid(m: impl Into<String>) -> verifier::Error {
    verifier::Error::EventInvalid(m.into())
}

impl Ledger {
    /// The rule pack in force: the latest `policy` event.
    pub(super) fn load_policy(&self) -> Result<Option<(EventLink, verifier::policy::RulePack)>> {
        let Some(head) = self.find_head(&HashMap::new(), POLICY_TENDER)? else { return Ok(None) };
        let leaf = self.store.leaf(head.index)?;
        match Event::decode(&leaf) {
            Ok(Event { body: Body::Policy(p), .. }) => {
                Ok(Some((EventLink { index: head.index, leaf_hash: head.leaf_hash }, p)))
            }
            Ok(_) => Err(LedgerError::Corrupt(format!(
                "entry {} heads the policy chain but is not a policy event",
                head.index
            ))),
            Err(e) => Err(LedgerError::Corrupt(format!("leaf {}: {e}", head.index))),
        }
    }

    /// A leaf of the log, of the batch in flight or of the batch being
    /// sequenced.
    fn leaf_any(&self, index: u64, st: &BatchState) -> Result<Vec<u8>> {
        let first = self.frontier.size();
        if index >= first {
            let k = (index - first) as usize;
            return st
                .leaves
                .get(k)
                .map(|(_, l)| l.clone())
                .ok_or_else(|| LedgerError::Corrupt(format!("entry {index} is not in the batch")));
        }
        if let Some(leaf) = self.leaf_in_flight(index) {
            return Ok(leaf.to_vec());
        }
        self.store.leaf(index)
    }

    /// The events of a reserved chain (`cert:` or `seal:`), this batch
    /// included, in sequence order: walked back from its head (chains are
    /// short and bounded).
    fn chain_events(&self, tender: &str, st: &BatchState) -> Result<Vec<(u64, Event)>> {
        let mut events = Vec::new();
        self.walk_back(tender, st, |index, ev| {
            events.push((index, ev));
            if events.len() > 10_000 {
                return Err(LedgerError::Corrupt(format!("chain {tender} does not end")));
            }
            Ok(())
        })?;
        events.reverse();
        Ok(events)
    }

    /// Calls `each(index, event)` for the events of chain `tender` (this
    /// batch included), from its head back to seq 0, one at a time; a link
    /// that points forward or into another chain is corrupt.
    fn walk_back(
        &self,
        tender: &str,
        st: &BatchState,
        mut each: impl FnMut(u64, Event) -> Result<()>,
    ) -> Result<()> {
        let mut next = self.find_head(&st.new_heads, tender)?.map(|h| h.index);
        while let Some(index) = next {
            let leaf = self.leaf_any(index, st)?;
            let ev = Event::decode(&leaf)
                .map_err(|e| LedgerError::Corrupt(format!("leaf {index}: {e}")))?;
            next = ev.prev_tender.map(|l| l.index);
            if next.is_some_and(|n| n >= index) {
                return Err(LedgerError::Corrupt(format!(
                    "entry {index} of chain {tender} links forward"
                )));
            }
            if ev.tender != tender {
                return Err(LedgerError::Corrupt(format!(
                    "entry {index} is linked into chain {tender} but belongs to {}",
                    ev.tender
                )));
            }
            each(index, ev)?;
        }
        Ok(())
    }

    /// The certificate events of the chain `cert:<fp>` (this batch
    /// included), in sequence order; empty for an unregistered certificate.
    fn cert_chain(&self, fp: &Hash, st: &BatchState) -> Result<Vec<(u64, CertificateEvent)>> {
        let tender = verifier::event::cert_tender(fp);
        self.chain_events(&tender, st)?
            .into_iter()
            .map(|(index, ev)| match ev.body {
                Body::Certificate(c) => Ok((index, c)),
                _ => Err(LedgerError::Corrupt(format!(
                    "entry {index} is in chain {tender} but is not its certificate event"
                ))),
            })
            .collect()
    }

    /// The procedure state of `tender` before the submission being
    /// sequenced: from this batch's states, else the writer's cache, else
    /// replayed from the tender's chain (this batch included).
    fn tender_state<'s>(&self, tender: &str, st: &'s mut BatchState) -> Result<&'s TenderState> {
        if st.tenders.contains_key(tender) {
            return Ok(&st.tenders[tender]);
        }
        let state = match self.tender_cache.get(tender) {
            Some(s) => s.clone(),
            None => {
                // A tender's whole chain, once per writer (then kept current
                // event by event), from its head back, one event at a time:
                // tenders may have many thousands of events.
                let mut state = TenderState::default();
                self.walk_back(tender, st, |_, ev| {
                    state.apply_earlier(&ev);
                    Ok(())
                })?;
                state
            }
        };
        Ok(st.tenders.entry(tender.to_owned()).or_insert(state))
    }

    /// Keeps the procedure state of `event`'s tender current, if it is
    /// held (one not held is replayed, this event included, when needed).
    pub(super) fn track_procedure(&self, event: &Event, st: &mut BatchState) {
        if !verifier::procedure::concerns(&event.body) {
            return;
        }
        if let Some(s) = st.tenders.get_mut(&event.tender) {
            s.apply(event);
        } else if let Some(s) = self.tender_cache.get(&event.tender) {
            let mut s = s.clone();
            s.apply(event);
            st.tenders.insert(event.tender.clone(), s);
        }
    }

    /// Whether the tender's procedure allows `content` now (the batch's
    /// received time); the violation when it does not.
    /// A document to be filed under seal (`sealed`) is judged as the sealed
    /// filing it becomes, by its real filer.
    fn procedure(
        &self,
        content: &Content,
        sealed: bool,
        st: &mut BatchState,
    ) -> Result<Option<Violation>> {
        if !verifier::procedure::concerns(&content.body) {
            return Ok(None);
        }
        let received_ms = st.received_ms;
        let state = self.tender_state(&content.tender, st)?;
        let as_sealed = match (&content.body, sealed) {
            (Body::Document(d), true) => Some(Body::SealedDocument(SealedDocument {
                document_type: d.document_type,
                commitment: verifier::Hash([0; 32]),
            })),
            _ => None,
        };
        let body = as_sealed.as_ref().unwrap_or(&content.body);
        Ok(state.admit(&content.principal, body, received_ms).err())
    }

    /// The registered certificate with this fingerprint, from its lifecycle
    /// chain `cert:<fingerprint>` (this batch included), or `None`.
    fn cert_record(&self, fp: &Hash, st: &mut BatchState) -> Result<Option<CertRecord>> {
        if let Some(r) = st.certs.get(fp) {
            return Ok(Some(r.clone()));
        }
        if !st.certs_changed.contains(fp)
            && let Some(r) = self.cert_cache.get(fp)
        {
            return Ok(Some(r.clone()));
        }
        let chain = self.cert_chain(fp, st)?;
        if chain.is_empty() {
            return Ok(None);
        }
        let list: Vec<(u64, &CertificateEvent)> = chain.iter().map(|(i, c)| (*i, c)).collect();
        let rec = CertRecord::from_chain(&list).map_err(|e| {
            LedgerError::Corrupt(format!("chain {}: {e}", verifier::event::cert_tender(fp)))
        })?;
        if !st.certs_changed.contains(fp) {
            st.certs.insert(*fp, rec.clone());
        }
        Ok(Some(rec))
    }

    /// A seal's binding events (`seal:<fingerprint>`, this batch included).
    fn seal_bindings(&self, fp: &Hash, st: &BatchState) -> Result<Vec<(u64, SealBinding)>> {
        let tender = verifier::event::seal_tender(fp);
        let mut out = Vec::new();
        for (index, ev) in self.chain_events(&tender, st)? {
            match ev.body {
                Body::SealBinding(b) => out.push((index, b)),
                _ => {
                    return Err(LedgerError::Corrupt(format!(
                        "entry {index} is in chain {tender} but is not a seal binding"
                    )));
                }
            }
        }
        Ok(out)
    }

    /// The registered seal with this fingerprint, or `None`.
    fn seal_record(&self, fp: &Hash, st: &BatchState) -> Result<Option<SealRecord>> {
        let list = self.seal_bindings(fp, st)?;
        if list.is_empty() {
            return Ok(None);
        }
        let refs: Vec<(u64, &SealBinding)> = list.iter().map(|(i, b)| (*i, b)).collect();
        SealRecord::from_chain(&refs)
            .map(Some)
            .map_err(|e| LedgerError::Corrupt(format!("seal {fp}: {e}")))
    }

    /// Checks a seal binding: the seal is a maker-signed seal whose maker
    /// chains to a trusted root; the certificate is registered (a trader's,
    /// for a unit or legal-representative seal); and the chain with this
    /// step appended keeps its rules ([`SealRecord::from_chain`]).
    fn admit_binding(&self, b: &SealBinding, st: &mut BatchState) -> Result<Admission> {
        let seal = match verifier::seal::parse_seal_only(&b.seal.0) {
            Ok(s) => s,
            Err(e) => return Ok(Admission::Refuse(invalid(e.to_string()))),
        };
        if self.trust.roots().is_empty() {
            return Ok(Admission::Refuse(invalid(
                "no CA roots are trusted; add them with `tenderlog trust add-ca`",
            )));
        }
        let maker = match seal.verify_maker() {
            Ok(m) => m,
            Err(e) => {
                return Ok(Admission::Refuse(invalid(format!("the seal's maker signature: {e}"))));
            }
        };
        if let Err(e) = self.trust.chain(&maker, &[], seal.create_ms) {
            return Ok(Admission::Refuse(invalid(format!(
                "the seal maker's certificate, when the seal was made: {e}"
            ))));
        }
        let Some(cert) = self.cert_record(&b.cert, st)? else {
            return Ok(Admission::Refuse(invalid(format!(
                "certificate {} is not registered; register it (a certificate event) first",
                b.cert
            ))));
        };
        if b.role.single_trader() && cert.kind != verifier::event::CertKind::Trader {
            return Ok(Admission::Refuse(invalid(format!(
                "a {:?} is bound to trader certificates only; {} is a {:?} certificate",
                b.role, b.cert, cert.kind
            ))));
        }
        let mut list = self.seal_bindings(&seal.fingerprint(), st)?;
        list.push((self.frontier.size() + st.leaves.len() as u64, b.clone()));
        let refs: Vec<(u64, &SealBinding)> = list.iter().map(|(i, b)| (*i, b)).collect();
        Ok(match SealRecord::from_chain(&refs) {
            Ok(_) => Admission::Accept,
            Err(e) => Admission::Refuse(invalid(e)),
        })
    }

    /// Whether `link` names an entry of `tender` (by index and leaf hash,
    /// committed or earlier in this batch) whose body `is` accepts.
    fn is_entry(
        &self,
        link: &EventLink,
        tender: &str,
        st: &BatchState,
        is: impl Fn(&Body) -> bool,
    ) -> Result<bool> {
        if link.index >= self.frontier.size() + st.leaves.len() as u64 {
            return Ok(false);
        }
        let leaf = self.leaf_any(link.index, st)?;
        if verifier::leaf_hash(&leaf) != link.leaf_hash {
            return Ok(false);
        }
        let ev = Event::decode(&leaf)
            .map_err(|e| LedgerError::Corrupt(format!("leaf {}: {e}", link.index)))?;
        Ok(ev.tender == tender && is(&ev.body))
    }

    /// What is wrong with the entries `step` links to, if anything: each
    /// must be an entry of this tender of the kind the step names.
    fn step_links(
        &self,
        step: &verifier::steps::ProcedureStep,
        tender: &str,
        st: &BatchState,
    ) -> Result<Option<String>> {
        use verifier::event::DocumentType as D;
        use verifier::steps::ProcedureStep as P;
        let document = |b: &Body, types: &[D]| match b {
            Body::SealedDocument(s) => types.contains(&s.document_type),
            Body::Document(d) => types.contains(&d.document_type),
            _ => false,
        };
        let objection = |b: &Body| {
            matches!(b, Body::Procedure(P::ObjectionRaised(_)))
                || document(
                    b,
                    &[D::TenderDocumentsObjection, D::PrequalificationDocumentsObjection],
                )
        };
        let complaint = |b: &Body| matches!(b, Body::Procedure(P::ComplaintFiled(_)));
        let unfit = |link: &EventLink, what: &str| {
            Some(format!(
                "entry {} with leaf hash {} is not {what} of this tender",
                link.index, link.leaf_hash
            ))
        };
        if let P::ClarificationDelivered(d) = step {
            // The change, and the kind of record of who must receive it.
            let owed = std::cell::Cell::new(None);
            let change = |b: &Body| match b {
                Body::Document(x) => x.document_type.recipients_record().is_some(),
                _ => false,
            };
            if !self.is_entry(&d.clarification, tender, st, |b| {
                if let Body::Document(x) = b {
                    owed.set(x.document_type.recipients_record());
                }
                change(b)
            })? {
                return Ok(unfit(&d.clarification, "a clarification or amendment"));
            }
            let obtained = |b: &Body| matches!(b, Body::SealedDocument(s) if Some(s.document_type) == owed.get());
            for link in &d.to {
                if !self.is_entry(link, tender, st, obtained)? {
                    return Ok(unfit(
                        link,
                        "a sealed record of obtaining the documents the change is to",
                    ));
                }
            }
            return Ok(None);
        }
        let (link, what, ok): (&EventLink, &str, bool) = match step {
            P::DecryptionFailed(f) => (
                &f.sealed,
                "a sealed document",
                self.is_entry(&f.sealed, tender, st, |b| matches!(b, Body::SealedDocument(_)))?,
            ),
            P::ObjectionAnswered(a) => {
                (&a.objection, "an objection", self.is_entry(&a.objection, tender, st, objection)?)
            }
            P::DecryptionAdjudicated(a) => (
                &a.failure,
                "a decryption failure",
                self.is_entry(&a.failure, tender, st, |b| {
                    matches!(b, Body::Procedure(P::DecryptionFailed(_)))
                })?,
            ),
            P::WithdrawalRefunded(r) => (
                &r.withdrawal,
                "a bid withdrawal",
                self.is_entry(&r.withdrawal, tender, st, |b| document(b, &[D::BidWithdrawal]))?,
            ),
            P::ComplaintFiled(verifier::steps::Complaint { objection: Some(o), .. }) => {
                (o, "an objection", self.is_entry(o, tender, st, objection)?)
            }
            P::ComplaintAccepted(verifier::steps::ComplaintAcceptance { complaint: c, .. })
            | P::ComplaintDecided(verifier::steps::ComplaintDecision { complaint: c }) => {
                (c, "a complaint", self.is_entry(c, tender, st, complaint)?)
            }
            _ => return Ok(None),
        };
        Ok(if ok { None } else { unfit(link, what) })
    }

    /// Decides what to do with one submission (its content digest is new).
    /// `sealed`: the content is a document to be filed under seal.
    pub(super) fn admit(
        &self,
        content: &Content,
        sealed: bool,
        st: &mut BatchState,
    ) -> Result<Admission> {
        if let Body::Procedure(step) = &content.body
            && let Some(e) = self.step_links(step, &content.tender, st)?
        {
            return Ok(Admission::Refuse(invalid(e)));
        }
        match &content.body {
            Body::Certificate(c) => {
                let cert = match c.certificate() {
                    Ok(c) => c,
                    Err(e) => return Ok(Admission::Refuse(e)),
                };
                if self.trust.roots().is_empty() {
                    return Ok(Admission::Refuse(invalid(
                        "no CA roots are trusted; add them with `tenderlog trust add-ca`",
                    )));
                }
                // Issued by a trusted CA, checked at its own start of
                // validity; whether it was valid when something was signed is
                // judged per signature.
                let (not_before, _) = cert.validity_ms();
                if let Err(e) = self.trust.chain(&cert, &[], not_before) {
                    return Ok(Admission::Refuse(invalid(format!("certificate: {e}"))));
                }
                // The chain with this step appended must keep the chain's
                // rules: the same function the offline verifier replays.
                let chain = self.cert_chain(&cert.fingerprint(), st)?;
                let mut list: Vec<(u64, &CertificateEvent)> =
                    chain.iter().map(|(i, e)| (*i, e)).collect();
                list.push((self.frontier.size() + st.leaves.len() as u64, c));
                if let Err(e) = CertRecord::from_chain(&list) {
                    return Ok(Admission::Refuse(invalid(e.to_string())));
                }
                Ok(Admission::Accept)
            }
            Body::SealBinding(b) => self.admit_binding(b, st),
            Body::Document(doc) => {
                if let Some(v) = self.procedure(content, sealed, st)? {
                    if v.is_role() {
                        return Ok(Admission::Refuse(not_entitled(&v)));
                    }
                    return Ok(reject(content, doc, CheckName::Procedure, v.to_string()));
                }
                if doc.signatures.is_empty()
                    && doc.timestamps.is_empty()
                    && doc.seal_ders().next().is_none()
                    && st.policy.is_none()
                {
                    return Ok(Admission::Accept);
                }
                let mut certs = HashMap::new();
                for s in &doc.signatures {
                    if let Some(r) = self.cert_record(&s.cert, st)? {
                        certs.insert(s.cert, r);
                    }
                }
                // Each seal's binding chain and signer certificate; a seal
                // that does not parse is the seal check's to report.
                let mut seals = HashMap::new();
                for der in doc.seal_ders() {
                    let Ok(s) = verifier::seal::SealSignature::parse(&der.0) else { continue };
                    let signer = verifier::pki::fingerprint_of(&s.signer_cert);
                    if let Some(r) = self.cert_record(&signer, st)? {
                        certs.insert(signer, r);
                    }
                    let fp = s.seal.fingerprint();
                    if let Some(r) = self.seal_record(&fp, st)? {
                        seals.insert(fp, r);
                    }
                }
                let ctx = Context {
                    ca: &self.trust,
                    tsa: &self.tsa,
                    certs: &certs,
                    seals: &seals,
                    policy: st.policy.as_ref().map(|(_, p)| p),
                };
                let findings = check_document(doc, st.received_ms, &ctx);
                if let Some((check, reason)) = first_failure(&findings) {
                    return Ok(reject(content, doc, check, reason));
                }
                // In a registered tender, the signers must sign for the
                // right side: the owner's documents for the tenderer or the
                // agency, a bid never for them.
                let registration = self.tender_state(&content.tender, st)?.registration.clone();
                if let Some(reg) = registration
                    && let Err(reason) =
                        verifier::signing::check_signers_entitled(&reg, doc, &certs)
                {
                    return Ok(reject(content, doc, CheckName::Procedure, reason));
                }
                Ok(Admission::Accept)
            }
            Body::SubmissionRejected(_) => Ok(Admission::Refuse(invalid(
                "submission_rejected events are written by the ledger only",
            ))),
            Body::SealedDocument(_) => Ok(Admission::Refuse(invalid(
                "sealed documents are written by the ledger; send kind sealed_document with the document",
            ))),
            Body::Reveal(r) => {
                let committed = self.frontier.size() + st.leaves.len() as u64;
                if r.sealed.index >= committed {
                    return Ok(Admission::Refuse(invalid(format!(
                        "the sealed entry {} is not in the log",
                        r.sealed.index
                    ))));
                }
                let leaf = self.leaf_any(r.sealed.index, st)?;
                let lh = verifier::leaf_hash(&leaf);
                let ev = Event::decode(&leaf)
                    .map_err(|e| LedgerError::Corrupt(format!("leaf {}: {e}", r.sealed.index)))?;
                if let Err(e) =
                    verifier::signing::check_reveal(r, &content.tender, Some((&ev, &lh)))
                {
                    return Ok(Admission::Refuse(verifier::Error::CheckFailed {
                        check: CheckName::CommitmentReveal.into(),
                        reason: e,
                    }));
                }
                let Some(v) = self.procedure(content, false, st)? else {
                    return Ok(Admission::Accept);
                };
                if v.is_role() {
                    return Ok(Admission::Refuse(not_entitled(&v)));
                }
                // Logged under the sealed entry's public commitment: the
                // refused reveal discloses nothing the log did not show.
                let Body::SealedDocument(sealed) = &ev.body else {
                    return Err(LedgerError::Corrupt(format!(
                        "entry {} opened by a reveal is not a sealed document",
                        r.sealed.index
                    )));
                };
                let reason = v.to_string();
                Ok(Admission::Reject {
                    rejection: Box::new(Content {
                        tender: content.tender.clone(),
                        principal: content.principal.clone(),
                        body: Body::SubmissionRejected(Rejection {
                            document_type: sealed.document_type,
                            sha256: sealed.commitment,
                            check: CheckName::Procedure.as_str().into(),
                            reason: reason.clone(),
                        }),
                    }),
                    error: verifier::Error::CheckFailed {
                        check: CheckName::Procedure.into(),
                        reason,
                    },
                })
            }
            Body::Schedule(_) | Body::Registration(_) | Body::Procedure(_) => {
                Ok(match self.procedure(content, false, st)? {
                    Some(v) if v.is_role() => Admission::Refuse(not_entitled(&v)),
                    // A schedule names no document to log a rejection under.
                    Some(v) => Admission::Refuse(verifier::Error::CheckFailed {
                        check: CheckName::Procedure.into(),
                        reason: v.to_string(),
                    }),
                    None => Admission::Accept,
                })
            }
            Body::Policy(_) | Body::Calendar(_) => Ok(Admission::Accept),
        }
    }

    /// Checks a document to be filed under seal in the clear, then turns it
    /// into its commitment. The salt is an HMAC of the submission under the
    /// data directory's commitment key: the same submission gets the same
    /// commitment (a duplicate), and no one without the key can guess it.
    pub(super) fn seal(&self, request: SealRequest, st: &mut BatchState) -> Result<Sealing> {
        use hmac::{KeyInit as _, Mac as _};
        let SealRequest { tender, principal, document: doc } = request;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.commit_key)
            .map_err(|e| LedgerError::Corrupt(format!("commitment key: {e}")))?;
        mac.update(b"tenderlog/salt/v1\n");
        let buf = verifier::cbor::to_vec(&(&tender, &principal, &doc))
            .map_err(|e| LedgerError::Corrupt(format!("encoding a seal request: {e}")))?;
        mac.update(&buf);
        let salt: [u8; 32] = mac.finalize().into_bytes().into();
        let c = match commitment(&salt, &tender, &principal, &doc) {
            Ok(c) => c,
            Err(e) => return Ok(Sealing::Refuse(e)),
        };
        let opening = Reveal {
            sealed: EventLink { index: 0, leaf_hash: verifier::Hash([0; 32]) },
            salt: Bytes(salt.to_vec()),
            principal: principal.clone(),
            document: doc.clone(),
        };
        let sealed = Content {
            tender: tender.clone(),
            principal: SEALED_PRINCIPAL.into(),
            body: Body::SealedDocument(SealedDocument {
                document_type: doc.document_type,
                commitment: c,
            }),
        };
        // Already filed: the filer gets its opening again, whatever has
        // changed since (a revocation, a new rule pack) — it was valid then.
        if self.find_content(&st.in_batch, &sealed.digest()?)?.is_some() {
            return Ok(Sealing::Seal { opening: Box::new(opening), content: Box::new(sealed) });
        }
        let clear = Content { tender, principal, body: Body::Document(doc) };
        match self.admit(&clear, true, st)? {
            Admission::Accept => {}
            Admission::Refuse(e) => return Ok(Sealing::Refuse(e)),
            Admission::Reject { error, .. } => {
                // Public: that a sealed submission was refused, never which
                // check refused it (beside a public certificate event, the
                // check alone could say who tried to bid).
                let rejection = Rejection {
                    document_type: opening.document.document_type,
                    sha256: c,
                    check: CheckName::SealedSubmission.as_str().into(),
                    reason: "a sealed submission was refused (the sha256 is its commitment); the reason went to the submitter".into(),
                };
                return Ok(Sealing::Reject {
                    rejection: Box::new(Content {
                        tender: clear.tender,
                        principal: SEALED_PRINCIPAL.into(),
                        body: Body::SubmissionRejected(rejection),
                    }),
                    error,
                    opening: Box::new(opening),
                });
            }
        }
        Ok(Sealing::Seal { opening: Box::new(opening), content: Box::new(sealed) })
    }
}

/// A refusal for who filed, not what: nothing is logged (as for a token
/// without the right role), and the API answers 403.
fn not_entitled(v: &Violation) -> verifier::Error {
    verifier::Error::NotEntitled(v.to_string())
}

/// A document refused by `check`: logged as a `submission_rejected` in its
/// place, and the submitter told why.
fn reject(
    content: &Content,
    doc: &verifier::event::Document,
    check: CheckName,
    reason: String,
) -> Admission {
    Admission::Reject {
        rejection: Box::new(Content {
            tender: content.tender.clone(),
            principal: content.principal.clone(),
            body: Body::SubmissionRejected(Rejection::new(doc, check.as_str(), &reason)),
        }),
        error: verifier::Error::CheckFailed { check: check.into(), reason },
    }
}
