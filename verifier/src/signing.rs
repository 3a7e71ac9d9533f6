//! The checks of a signed document event: signatures, certificate chains,
//! certificate status at the trusted time, timestamps and the rule pack.
//!
//! The ledger runs [`check_document`] before it logs a document (and logs a
//! `submission_rejected` event naming the first failed check instead); the
//! offline verifier runs the same function on the bundle's copy of the
//! event, with the certificates and rule pack the bundle carries. One
//! function, so the two can never disagree about what "valid" means.
//!
//! **Trusted time.** A token over the document (its SHA-256, or its SM3, the
//! imprint algorithm choosing which) proves the document existed then; it is
//! what a rule pack's `timestamp` asks for. A token over a *signature* (the
//! SHA-256 of the signature value, as CAdES signature timestamps do) proves
//! the signature existed then: that signature is judged at that time, and any
//! other at the platform's received time, which the log itself attests —
//! never at a document token's time, which a stolen key could sign after. A
//! certificate reported lost or revoked with effect *after* that time does
//! not invalidate the signature; one with effect at or before it does, even
//! when the revocation was logged later (the verifier sees the whole chain).
//!
//! **Digests.** The log identifies a document by its SHA-256. Its SM3, which
//! SM2 signatures and SM3 tokens cover, is what the submitter claims it to
//! be: a verifier holding the file binds it (`tenderlog-verify --document`
//! checks both digests), and every finding that rests on the SM3 says so.

use std::collections::HashMap;

use crate::Hash;
use crate::check::CheckName;
use crate::event::{
    BindingAction, CertKind, CertificateEvent, DocSignature, Document, Lifecycle, SealBinding,
    SignatureFormat,
};
use crate::pki::{Cert, KeyAlg, SM2_DEFAULT_ID, TrustStore};
use crate::policy::{RulePack, SealRole};
use crate::seal::{Seal, SealSignature};

/// How far a timestamp may lie after the platform's received time (beyond
/// the token's own accuracy) before it is flagged: clocks of the TSA and the
/// platform differ, but a document cannot be stamped long after it arrived.
pub const SKEW_TOLERANCE_MS: u64 = 5 * 60 * 1000;

/// A registered certificate as its lifecycle chain (`cert:<fingerprint>`)
/// records it.
#[derive(Clone, Debug)]
pub struct CertRecord {
    /// The certificate.
    pub cert: Cert,
    /// Its kind, from the first event.
    pub kind: CertKind,
    /// For a trader, the bound USCC.
    pub uscc: Option<crate::ids::Uscc>,
    /// For a trader, the bound unit name.
    pub unit_name: Option<String>,
    /// For registered personnel, the bound resident ID.
    pub resident_id: Option<crate::ids::ResidentId>,
    /// Every lifecycle step: entry index, step, effective time (ms).
    pub history: Vec<(u64, Lifecycle, u64)>,
}

/// Why a certificate's lifecycle chain (`cert:<fingerprint>`) breaks its
/// rules ([`CertRecord::from_chain`]).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainError {
    /// The chain holds no events.
    #[error("no certificate events")]
    Empty,
    /// The chain holds more than [`MAX_LIFECYCLE_EVENTS`] events.
    #[error("a certificate has at most {max} lifecycle events")]
    TooLong {
        /// The limit, [`MAX_LIFECYCLE_EVENTS`].
        max: usize,
    },
    /// The first event is not a registration step.
    #[error(
        "the certificate's first event is {step:?}; it must register it (issued, renewed, changed or reissued)"
    )]
    FirstNotRegistration {
        /// The first event's step.
        step: Lifecycle,
    },
    /// A later event registers the certificate again.
    #[error(
        "entry {index}: {step:?} for a certificate already registered; a renewed or reissued certificate is a new certificate"
    )]
    SecondRegistration {
        /// The event's entry index.
        index: u64,
        /// Its step.
        step: Lifecycle,
    },
    /// A later event carries another certificate, kind, USCC, unit name or
    /// resident ID than the first.
    #[error(
        "entry {index} changes the certificate or its kind, uscc, unit_name or resident_id ({field} differs from the first event)"
    )]
    IdentityChanged {
        /// The event's entry index.
        index: u64,
        /// The field that differs: `der`, `cert_kind`, `uscc`, `unit_name`
        /// or `resident_id`.
        field: &'static str,
    },
    /// The first event's certificate does not parse.
    #[error("{0}")]
    Certificate(String),
}

impl CertRecord {
    /// Builds the record from its chain's events, in sequence order, and
    /// checks the chain's rules: it is not empty and holds at most
    /// [`MAX_LIFECYCLE_EVENTS`] events; the first event registers the
    /// certificate and no later one does ([`check_lifecycle_step`]); and
    /// every event repeats the first one's certificate, kind, USCC, unit name
    /// and resident ID. The ledger runs it on the chain with a new event
    /// appended before it logs the event.
    pub fn from_chain(events: &[(u64, &CertificateEvent)]) -> Result<CertRecord, ChainError> {
        let (_, first) = events.first().ok_or(ChainError::Empty)?;
        if events.len() > MAX_LIFECYCLE_EVENTS {
            return Err(ChainError::TooLong { max: MAX_LIFECYCLE_EVENTS });
        }
        if check_lifecycle_step(true, first.lifecycle).is_err() {
            return Err(ChainError::FirstNotRegistration { step: first.lifecycle });
        }
        let cert = first.certificate().map_err(|e| ChainError::Certificate(e.to_string()))?;
        let mut history = Vec::with_capacity(events.len());
        for (n, (i, e)) in events.iter().enumerate() {
            let changed = if e.der != first.der {
                Some("der")
            } else if e.cert_kind != first.cert_kind {
                Some("cert_kind")
            } else if e.uscc != first.uscc {
                Some("uscc")
            } else if e.unit_name != first.unit_name {
                Some("unit_name")
            } else if e.resident_id != first.resident_id {
                Some("resident_id")
            } else {
                None
            };
            if let Some(field) = changed {
                return Err(ChainError::IdentityChanged { index: *i, field });
            }
            if n > 0 && check_lifecycle_step(false, e.lifecycle).is_err() {
                return Err(ChainError::SecondRegistration { index: *i, step: e.lifecycle });
            }
            history.push((*i, e.lifecycle, e.effective_ms));
        }
        Ok(CertRecord {
            cert,
            kind: first.cert_kind,
            uscc: first.uscc.clone(),
            unit_name: first.unit_name.clone(),
            resident_id: first.resident_id.clone(),
            history,
        })
    }

    /// The certificate's lifecycle status at `at_ms`: an error when it was
    /// reported lost or revoked with effect at or before then.
    pub fn status_at(&self, at_ms: u64) -> Result<String, String> {
        let (not_before, not_after) = self.cert.validity_ms();
        if at_ms < not_before || at_ms > not_after {
            return Err(format!(
                "outside the certificate's validity ({not_before}..{not_after} ms)"
            ));
        }
        if let Some((i, step, t)) = self.history.iter().find(|(_, s, t)| {
            matches!(s, Lifecycle::ReportedLost | Lifecycle::Revoked) && *t <= at_ms
        }) {
            return Err(format!("{step:?} with effect from {t} ms (entry {i})").to_lowercase());
        }
        let later = self
            .history
            .iter()
            .find(|(_, s, _)| matches!(s, Lifecycle::ReportedLost | Lifecycle::Revoked));
        Ok(match later {
            Some((i, step, t)) => format!(
                "valid; {} only from {t} ms (entry {i}), after the signing time",
                format!("{step:?}").to_lowercase()
            ),
            None => "valid, neither reported lost nor revoked".into(),
        })
    }
}

fn first_step(l: Lifecycle) -> bool {
    matches!(l, Lifecycle::Issued | Lifecycle::Renewed | Lifecycle::Changed | Lifecycle::Reissued)
}

/// The rule a lifecycle event must meet: the first event of a certificate
/// (`first`) registers it (issued, renewed, changed or reissued), and every
/// later one reports it lost or revokes it. [`CertRecord::from_chain`] applies
/// it to every event of a chain, the ledger to each new one.
pub fn check_lifecycle_step(first: bool, step: Lifecycle) -> Result<(), String> {
    match (first, first_step(step)) {
        (true, true) | (false, false) => Ok(()),
        (true, false) => Err(format!(
            "{step:?} for a certificate that is not registered; register it first (issued)"
        )),
        (false, true) => Err(format!(
            "{step:?} for a certificate already registered; a renewed or reissued certificate is a new certificate"
        )),
    }
}

/// Most lifecycle events one certificate's chain may hold (its chain is
/// walked for every signature the certificate makes).
pub const MAX_LIFECYCLE_EVENTS: usize = 64;

/// Most binding events one seal's chain may hold.
pub const MAX_BINDING_EVENTS: usize = 64;

/// A seal as its binding chain (`seal:<fingerprint>`) records it.
#[derive(Clone, Debug)]
pub struct SealRecord {
    /// The seal.
    pub seal: Seal,
    /// The platform role it plays.
    pub role: SealRole,
    /// Every step: entry index, action, certificate, effective time (ms).
    pub history: Vec<(u64, BindingAction, Hash, u64)>,
}

impl SealRole {
    /// Whether the seed's rule holds for the role: a unit seal or a
    /// legal-representative seal is bound to one trader certificate at most.
    pub fn single_trader(self) -> bool {
        matches!(self, SealRole::UnitSeal | SealRole::LegalRepresentativeSeal)
    }
}

impl SealRecord {
    /// Builds the record from its chain's events, in sequence order, and
    /// checks the chain's rules: every event carries the same seal and role;
    /// effective times never go back; an unbinding names a bound
    /// certificate; a bound certificate is in the seal's own list; and a
    /// unit or legal-representative seal is never bound to two certificates
    /// at once (unbind the old one first). The ledger runs it on the chain
    /// with a new event appended before it logs the event.
    pub fn from_chain(events: &[(u64, &SealBinding)]) -> Result<SealRecord, String> {
        let (_, first) = events.first().ok_or("no seal binding events")?;
        let seal = crate::seal::parse_seal_only(&first.seal.0).map_err(|e| e.to_string())?;
        if events.len() > MAX_BINDING_EVENTS {
            return Err(format!("a seal has at most {MAX_BINDING_EVENTS} binding events"));
        }
        let listed: Vec<Hash> =
            seal.cert_list.iter().map(|c| crate::pki::fingerprint_of(c)).collect();
        let mut bound: Vec<Hash> = Vec::new();
        let mut last_ms = 0;
        let mut history = Vec::with_capacity(events.len());
        for (i, e) in events {
            if e.seal != first.seal || e.role != first.role {
                return Err(format!("entry {i} changes the seal or its role"));
            }
            if e.effective_ms < last_ms {
                return Err(format!("entry {i} takes effect before the seal's previous step"));
            }
            last_ms = e.effective_ms;
            match e.action {
                BindingAction::Bound => {
                    if seal.cert_list_type != 1 {
                        return Err(format!(
                            "the seal lists certificates by digest (type {}), which is not supported",
                            seal.cert_list_type
                        ));
                    }
                    if !listed.contains(&e.cert) {
                        return Err(format!(
                            "certificate {} is not in the seal's certificate list",
                            e.cert
                        ));
                    }
                    if bound.contains(&e.cert) {
                        return Err(format!("entry {i}: the seal is already bound to {}", e.cert));
                    }
                    if first.role.single_trader()
                        && let Some(other) = bound.first()
                    {
                        return Err(format!(
                            "a {:?} is bound to one trader certificate at most, and this one is bound to {other}; unbind it first",
                            first.role
                        ));
                    }
                    bound.push(e.cert);
                }
                BindingAction::Unbound => {
                    let Some(k) = bound.iter().position(|c| *c == e.cert) else {
                        return Err(format!(
                            "entry {i} unbinds certificate {}, which the seal is not bound to",
                            e.cert
                        ));
                    };
                    bound.remove(k);
                }
            }
            history.push((*i, e.action, e.cert, e.effective_ms));
        }
        Ok(SealRecord { seal, role: first.role, history })
    }

    /// Whether the seal was bound to `cert` at `at_ms`, by the steps in
    /// effect then.
    pub fn bound_at(&self, cert: &Hash, at_ms: u64) -> Result<String, String> {
        let mut state: Option<u64> = None;
        let mut others = Vec::new();
        for (i, action, c, t) in &self.history {
            if *t > at_ms {
                break;
            }
            match (action, c == cert) {
                (BindingAction::Bound, true) => state = Some(*i),
                (BindingAction::Unbound, true) => state = None,
                (BindingAction::Bound, false) => others.push(*c),
                (BindingAction::Unbound, false) => others.retain(|o| o != c),
            }
        }
        match (state, others.first()) {
            (Some(i), _) => {
                Ok(format!("{:?} bound to the signer's certificate (entry {i})", self.role))
            }
            (None, Some(o)) => Err(format!(
                "at {at_ms} ms the seal was bound to certificate {o}, not the signer's {cert}"
            )),
            (None, None) => Err(format!(
                "at {at_ms} ms the seal was not bound to the signer's certificate {cert}"
            )),
        }
    }
}

/// One check's outcome for one subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The check.
    pub check: CheckName,
    /// What it is about (e.g. `signature 1`).
    pub subject: String,
    /// Pass with a detail, or fail with the reason.
    pub result: Result<String, Failure>,
}

/// What kind of failure a document check found: what the person who must
/// act on it needs to know first (the detail says the rest), and what a
/// refusal may say without saying more.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A signature, seal or token does not verify over what it claims to, or
    /// cannot be read.
    Invalid,
    /// A certificate or token does not chain to a trusted root at the time
    /// that counts, or no root is trusted.
    Untrusted,
    /// A certificate or seal it names is not registered in the log.
    Unregistered,
    /// The certificate, or the seal's binding to it, was not in force at the
    /// time that counts (outside validity, reported lost, revoked, unbound).
    NotInForce,
    /// Stamped later than the platform received it, beyond tolerance.
    Late,
    /// The rule pack in force does not allow it.
    Policy,
    /// The event lacks what the check needs (e.g. the SM3 an e-seal signs).
    Incomplete,
}

/// Why a check failed: its [`Reason`] and, for people, the detail.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct Failure {
    /// The kind of failure.
    pub reason: Reason,
    /// What exactly failed.
    pub detail: String,
}

impl Failure {
    /// A failure of kind `reason`.
    pub fn new(reason: Reason, detail: impl Into<String>) -> Failure {
        Failure { reason, detail: detail.into() }
    }

    /// Wraps a detail in a failure of kind `reason` (for `map_err`).
    pub fn of(reason: Reason) -> impl Fn(String) -> Failure {
        move |detail| Failure { reason, detail }
    }
}

/// What the document checks need to know besides the event.
pub struct Context<'a> {
    /// CA roots signer certificates must chain to.
    pub ca: &'a TrustStore,
    /// TSA roots timestamp tokens must chain to.
    pub tsa: &'a TrustStore,
    /// The registered certificates, by fingerprint.
    pub certs: &'a HashMap<Hash, CertRecord>,
    /// The registered seals, by `SESeal` fingerprint.
    pub seals: &'a HashMap<Hash, SealRecord>,
    /// The rule pack in force, if any.
    pub policy: Option<&'a RulePack>,
}

/// Checks a document's timestamps, signatures, e-seals and policy. Findings
/// come in the order: timestamps, then per signature its signature, chain and
/// status, then per e-seal its seal, binding, signer chain and status, then
/// the policy.
pub fn check_document(doc: &Document, received_ms: u64, ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut stamped = false;
    // Per signature: the earliest verified token over its value.
    let mut signed_at: Vec<Option<u64>> = vec![None; doc.signatures.len()];
    let platform = doc.received_timestamp.iter().map(|t| (t, "platform timestamp".to_owned()));
    let given = doc.timestamps.iter().enumerate().map(|(n, t)| (t, format!("timestamp {}", n + 1)));
    for (token, subject) in given.chain(platform) {
        let r = check_timestamp(&token.0, doc, received_ms, ctx.tsa);
        match &r {
            Ok((_, Stamped::Document, _)) => stamped = true,
            Ok((t, Stamped::Signature(i), _)) => {
                if let Some(at) = signed_at.get_mut(*i) {
                    *at = Some(at.map_or(*t, |x| x.min(*t)));
                }
            }
            Err(_) => {}
        }
        out.push(Finding { check: CheckName::Timestamp, subject, result: r.map(|(_, _, d)| d) });
    }
    let mut kinds = Vec::new();
    for (n, sig) in doc.signatures.iter().enumerate() {
        let subject = format!("signature {}", n + 1);
        let (at, at_label) = match signed_at.get(n).copied().flatten() {
            Some(t) => (
                t,
                format!(
                    "trusted time {} (a timestamp over the signature)",
                    crate::calendar::when(t)
                ),
            ),
            None => (
                received_ms,
                format!("platform received time {}", crate::calendar::when(received_ms)),
            ),
        };
        let Some(rec) = ctx.certs.get(&sig.cert) else {
            out.push(Finding {
                check: CheckName::CertificateChain,
                subject,
                result: Err(Failure::new(
                    Reason::Unregistered,
                    format!(
                        "certificate {} is not registered (no certificate event for it)",
                        sig.cert
                    ),
                )),
            });
            continue;
        };
        kinds.push(rec.kind);
        let intermediates = match verify_signature(sig, doc, &rec.cert) {
            Ok(v) => {
                out.push(Finding {
                    check: CheckName::Signature,
                    subject: subject.clone(),
                    result: Ok(format!("{} by {}", v.what, rec.cert.subject())),
                });
                v.intermediates
            }
            Err(e) => {
                let result = Err(Failure::new(Reason::Invalid, e));
                out.push(Finding { check: CheckName::Signature, subject, result });
                continue;
            }
        };
        let chain = ctx
            .ca
            .chain(&rec.cert, &intermediates, at)
            .map(|path| {
                let root = path.last().map_or_else(String::new, |c| c.subject());
                format!("{} certificates to root {root}, valid at {at_label}", path.len())
            })
            .map_err(|e| Failure::new(Reason::Untrusted, format!("at {at_label}: {e}")));
        out.push(Finding {
            check: CheckName::CertificateChain,
            subject: subject.clone(),
            result: chain,
        });
        out.push(Finding {
            check: CheckName::CertificateStatus,
            subject,
            result: rec
                .status_at(at)
                .map(|s| format!("{s} (at {at_label})"))
                .map_err(|e| format!("{e}; the signature was made at {at_label}"))
                .map_err(Failure::of(Reason::NotInForce)),
        });
    }
    let mut roles = Vec::new();
    for (n, der) in doc.seals.iter().enumerate() {
        let over = Protected { sm3: doc.sm3.as_ref(), what: "the document's SM3".into() };
        let subject = format!("seal {}", n + 1);
        if let Some(role) = check_seal(&der.0, subject, &over, received_ms, ctx, &mut out) {
            roles.push(role);
        }
    }
    for (n, o) in doc.ofd_seals.iter().enumerate() {
        let over = Protected {
            sm3: Some(&o.signature_xml_sm3),
            what: format!("the SM3 of the package's {}", o.signature_xml),
        };
        let subject = format!("OFD seal {} ({})", n + 1, o.signature_xml);
        if let Some(role) = check_seal(&o.seal.0, subject, &over, received_ms, ctx, &mut out) {
            roles.push(role);
        }
    }
    if let Some(pack) = ctx.policy {
        out.push(Finding {
            check: CheckName::Policy,
            subject: format!("rule pack {} v{}", pack.name, pack.version),
            result: check_policy(pack, doc, &kinds, &roles, stamped)
                .map_err(Failure::of(Reason::Policy)),
        });
    }
    out
}

/// What an e-seal signs: the SM3 the event states for it, and how to name
/// it (the document's own, or an OFD signature's `Signature.xml`).
struct Protected<'a> {
    sm3: Option<&'a Hash>,
    what: String,
}

/// Checks one e-seal over the document (DOMAIN.md §2.3): the seal itself
/// (data hash = the document's SM3, signer and maker signatures, the signer
/// in the seal's list, validity windows, the maker's certificate chaining to
/// a trusted root), its own timestamp if it has one, the seal's binding to
/// the signer's certificate and the signer certificate's chain and status —
/// all at the seal's trusted time: its token's, else the platform's received
/// time (never the self-claimed `timeInfo`). Returns the seal's role when
/// every check passed.
fn check_seal(
    der: &[u8],
    subject: String,
    over: &Protected<'_>,
    received_ms: u64,
    ctx: &Context<'_>,
    out: &mut Vec<Finding>,
) -> Option<SealRole> {
    let fail = |out: &mut Vec<Finding>, check: CheckName, subject: String, e: Failure| {
        out.push(Finding { check, subject, result: Err(e) });
    };
    let s = match SealSignature::parse(der) {
        Ok(s) => s,
        Err(e) => {
            fail(out, CheckName::Seal, subject, Failure::new(Reason::Invalid, e.to_string()));
            return None;
        }
    };
    let (at, at_label) = match &s.timestamp {
        Some(token) => match seal_token_time(token, &s.signature, received_ms, ctx.tsa) {
            Ok((t, d)) => {
                out.push(Finding {
                    check: CheckName::Timestamp,
                    subject: format!("{subject} timestamp"),
                    result: Ok(d),
                });
                (t, format!("trusted time {} (the seal's timestamp)", crate::calendar::when(t)))
            }
            Err(e) => {
                fail(out, CheckName::Timestamp, format!("{subject} timestamp"), e);
                return None;
            }
        },
        None => {
            (received_ms, format!("platform received time {}", crate::calendar::when(received_ms)))
        }
    };
    let mut ok = true;
    let checks = s.verify_digest(over.sm3.map(|h| &h.0[..]), at);
    let failed: Vec<String> = checks
        .iter()
        .filter_map(|c| c.outcome.as_ref().err().map(|e| format!("{}: {e}", c.check)))
        .collect();
    let maker_chain = Cert::from_der(&s.seal.maker_cert).map_err(|e| e.to_string()).and_then(|m| {
        ctx.ca.chain(&m, &[], s.seal.create_ms).map(|_| ()).map_err(|e| e.to_string())
    });
    let result = if over.sm3.is_none() {
        Err(Failure::new(
            Reason::Incomplete,
            "an e-seal signs the document's SM3, and the event has none",
        ))
    } else if !failed.is_empty() {
        Err(Failure::new(Reason::Invalid, failed.join("; ")))
    } else if let Err(e) = maker_chain {
        Err(Failure::new(
            Reason::Untrusted,
            format!("the seal maker's certificate, when the seal was made: {e}"),
        ))
    } else {
        Ok(format!(
            "{} seal {:?} ({}), maker and signer signatures, data hash = {}, valid at {at_label}",
            if s.version == 4 { "GB/T 38540 v4" } else { "GM/T 0031 v1" },
            s.seal.name,
            s.seal.es_id,
            over.what
        ))
    };
    ok &= result.is_ok();
    out.push(Finding { check: CheckName::Seal, subject: subject.clone(), result });

    let seal_fp = s.seal.fingerprint();
    let signer_fp = crate::pki::fingerprint_of(&s.signer_cert);
    let Some(rec) = ctx.seals.get(&seal_fp) else {
        fail(
            out,
            CheckName::Seal,
            format!("{subject} binding"),
            Failure::new(
                Reason::Unregistered,
                format!("seal {seal_fp} is not registered (no seal_binding event for it)"),
            ),
        );
        return None;
    };
    let Some(cert) = ctx.certs.get(&signer_fp) else {
        fail(
            out,
            CheckName::CertificateChain,
            format!("{subject} signer"),
            Failure::new(
                Reason::Unregistered,
                format!("certificate {signer_fp} is not registered (no certificate event for it)"),
            ),
        );
        return None;
    };
    let binding =
        rec.bound_at(&signer_fp, at).map_err(Failure::of(Reason::NotInForce)).and_then(|d| {
            if rec.role.single_trader() && cert.kind != CertKind::Trader {
                Err(Failure::new(
                    Reason::Policy,
                    format!(
                        "a {:?} is used with trader certificates only, not {:?}",
                        rec.role, cert.kind
                    ),
                ))
            } else {
                Ok(d)
            }
        });
    ok &= binding.is_ok();
    out.push(Finding {
        check: CheckName::Seal,
        subject: format!("{subject} binding"),
        result: binding,
    });
    let chain = ctx
        .ca
        .chain(&cert.cert, &[], at)
        .map(|path| format!("{} certificates, valid at {at_label}", path.len()))
        .map_err(|e| Failure::new(Reason::Untrusted, format!("at {at_label}: {e}")));
    ok &= chain.is_ok();
    out.push(Finding {
        check: CheckName::CertificateChain,
        subject: format!("{subject} signer"),
        result: chain,
    });
    let status = cert
        .status_at(at)
        .map(|d| format!("{d} (at {at_label})"))
        .map_err(|e| format!("{e}; the seal was applied at {at_label}"))
        .map_err(Failure::of(Reason::NotInForce));
    ok &= status.is_ok();
    out.push(Finding {
        check: CheckName::CertificateStatus,
        subject: format!("{subject} signer"),
        result: status,
    });
    ok.then_some(rec.role)
}

/// Verifies a seal's own token: over its signature value (SM3 or SHA-256,
/// as the imprint says). Returns its time and a description.
fn seal_token_time(
    token: &[u8],
    signature: &[u8],
    received_ms: u64,
    tsa: &TrustStore,
) -> Result<(u64, String), Failure> {
    use crate::tsp::{SHA256, SM3, TspError, verify_token};
    if tsa.roots().is_empty() {
        return Err(Failure::new(Reason::Untrusted, "no TSA roots are trusted"));
    }
    let sha: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(signature).into();
    let sm3: [u8; 32] = <sm3::Sm3 as sm3::Digest>::digest(signature).into();
    for (digest, alg) in [(sm3, SM3), (sha, SHA256)] {
        let ts = match verify_token(token, &digest, tsa) {
            Ok(ts) => ts,
            Err(TspError::Imprint) => continue,
            Err(e @ TspError::Pki(_)) => {
                return Err(Failure::new(Reason::Untrusted, e.to_string()));
            }
            Err(e) => return Err(Failure::new(Reason::Invalid, e.to_string())),
        };
        if ts.info.message_imprint.hash_algorithm.oid != alg {
            continue;
        }
        let late = ts.time_ms.saturating_sub(received_ms);
        if late > ts.accuracy_ms.saturating_add(SKEW_TOLERANCE_MS) {
            return Err(Failure::new(
                Reason::Late,
                format!(
                    "stamped {late} ms after the platform received the document (accuracy {} ms, tolerance {SKEW_TOLERANCE_MS} ms)",
                    ts.accuracy_ms
                ),
            ));
        }
        return Ok((
            ts.time_ms,
            format!(
                "over the seal's signature: {} by {}",
                crate::calendar::when(ts.time_ms),
                ts.tsa.subject()
            ),
        ));
    }
    Err(Failure::new(
        Reason::Invalid,
        "the seal's timestamp is over another value than its signature",
    ))
}

/// The first failed finding: what a rejection names.
pub fn first_failure(findings: &[Finding]) -> Option<(CheckName, String)> {
    findings.iter().find_map(|f| match &f.result {
        Err(e) => Some((f.check, format!("{}: {}", f.subject, e.detail))),
        Ok(_) => None,
    })
}

fn check_policy(
    pack: &RulePack,
    doc: &Document,
    kinds: &[CertKind],
    roles: &[SealRole],
    stamped: bool,
) -> Result<String, String> {
    let Some(rule) = pack.rule_for(doc.document_type) else {
        return Ok("no rule for this document type".into());
    };
    let name = serde_json::to_value(doc.document_type)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    if !rule.signer_kinds.is_empty() {
        if doc.signatures.is_empty() {
            return Err(format!(
                "a {name} must be signed by a certificate of kind {:?}",
                rule.signer_kinds
            ));
        }
        if kinds.len() != doc.signatures.len() {
            return Err("a signer's certificate is not registered".into());
        }
        if let Some(k) = kinds.iter().find(|k| !rule.signer_kinds.contains(k)) {
            return Err(format!(
                "a {k:?} certificate may not sign a {name} (allowed: {:?})",
                rule.signer_kinds
            ));
        }
    }
    if let Some(role) = rule.seal_roles.iter().find(|r| !roles.contains(r)) {
        return Err(format!(
            "a {name} needs a verified {role:?} e-seal; the event carries {}",
            if roles.is_empty() { "none".to_owned() } else { format!("only {roles:?}") }
        ));
    }
    if rule.timestamp && !stamped {
        return Err(format!("a {name} needs a verified trusted timestamp; none was given"));
    }
    Ok(format!(
        "{name}: signers {:?}, seals {:?}, timestamp {}",
        kinds,
        roles,
        if rule.timestamp { "required and present" } else { "not required" }
    ))
}

/// What a verified signature brought besides its validity.
struct Verified {
    what: String,
    intermediates: Vec<Cert>,
}

fn verify_signature(sig: &DocSignature, doc: &Document, cert: &Cert) -> Result<Verified, String> {
    let id = sig.sm2_id.as_deref().unwrap_or(SM2_DEFAULT_ID);
    let alg = cert.key_alg().map_err(|e| e.to_string())?;
    match sig.format {
        SignatureFormat::Raw => {
            // The message is the document's digest: SM3 for SM2, else SHA-256.
            let message: &[u8] = if alg == KeyAlg::Sm2 {
                &doc.sm3
                    .as_ref()
                    .ok_or("an SM2 signature signs the document's SM3, and the event has none")?
                    .0
            } else {
                &doc.sha256.0
            };
            cert.verify(message, &sig.value.0, id).map_err(|e| e.to_string())?;
            Ok(Verified {
                what: format!("raw {alg:?} over the document digest"),
                intermediates: vec![],
            })
        }
        SignatureFormat::Cms => {
            let s = crate::pki::verify_detached_cms_digest(
                &sig.value.0,
                &doc.sha256.0,
                doc.sm3.as_ref().map(|h| &h.0),
                id,
            )
            .map_err(|e| e.to_string())?;
            if s.signer.fingerprint() != sig.cert {
                return Err(format!(
                    "the CMS message is signed by certificate {}, not the registered {}",
                    s.signer.fingerprint(),
                    sig.cert
                ));
            }
            Ok(Verified {
                what: format!("CMS {alg:?} with signed attributes"),
                intermediates: s.certificates,
            })
        }
    }
}

/// What a timestamp token covers.
enum Stamped {
    /// The document (its SHA-256, or its SM3).
    Document,
    /// The value of the signature at this position.
    Signature(usize),
}

/// Verifies one timestamp token: over the document's SHA-256 (SHA-256
/// imprint) or SM3 (SM3 imprint), or over a signature value's SHA-256.
/// Returns its time, what it covers and a description.
fn check_timestamp(
    token: &[u8],
    doc: &Document,
    received_ms: u64,
    tsa: &TrustStore,
) -> Result<(u64, Stamped, String), Failure> {
    use crate::tsp::{SHA256, SM3, TspError, verify_token};
    if tsa.roots().is_empty() {
        return Err(Failure::new(Reason::Untrusted, "no TSA roots are trusted"));
    }
    let mut candidates: Vec<([u8; 32], ObjectIdentifierRef, Stamped, &str)> =
        vec![(doc.sha256.0, SHA256, Stamped::Document, "the document's SHA-256")];
    if let Some(sm3) = &doc.sm3 {
        candidates.push((
            sm3.0,
            SM3,
            Stamped::Document,
            "the document's SM3 (as the submitter gives it)",
        ));
    }
    for (i, s) in doc.signatures.iter().enumerate() {
        let d: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&s.value.0).into();
        candidates.push((d, SHA256, Stamped::Signature(i), "a signature"));
    }
    for (digest, alg, what, label) in candidates {
        let ts = match verify_token(token, &digest, tsa) {
            Ok(ts) => ts,
            Err(TspError::Imprint) => continue,
            Err(e @ TspError::Pki(_)) => {
                return Err(Failure::new(Reason::Untrusted, e.to_string()));
            }
            Err(e) => return Err(Failure::new(Reason::Invalid, e.to_string())),
        };
        // The imprint's algorithm says which digest it is: no cross-matching.
        if ts.info.message_imprint.hash_algorithm.oid != alg {
            continue;
        }
        let label = match what {
            Stamped::Signature(i) => format!("signature {}", i + 1),
            Stamped::Document => label.to_owned(),
        };
        let late = ts.time_ms.saturating_sub(received_ms);
        if late > ts.accuracy_ms.saturating_add(SKEW_TOLERANCE_MS) {
            return Err(Failure::new(
                Reason::Late,
                format!(
                    "stamped {late} ms after the platform received the document (accuracy {} ms, tolerance {SKEW_TOLERANCE_MS} ms)",
                    ts.accuracy_ms
                ),
            ));
        }
        return Ok((
            ts.time_ms,
            what,
            format!(
                "over {label}: {} by {}, accuracy {} ms, {} ms before receipt",
                crate::calendar::when(ts.time_ms),
                ts.tsa.subject(),
                ts.accuracy_ms,
                received_ms.saturating_sub(ts.time_ms)
            ),
        ));
    }
    Err(Failure::new(
        Reason::Invalid,
        "the timestamp is over another digest (neither the document nor one of its signatures)",
    ))
}

type ObjectIdentifierRef = spki::ObjectIdentifier;

/// Checks a reveal against the sealed entry it names (`sealed`, with the
/// leaf hash it was found under): same tender, the link's leaf hash, and the
/// commitment recomputed from the revealed salt, filer and document.
pub fn check_reveal(
    reveal: &crate::event::Reveal,
    tender: &str,
    sealed: Option<(&crate::event::Event, &Hash)>,
) -> Result<String, String> {
    let at = reveal.sealed.index;
    let (ev, lh) = sealed.ok_or_else(|| format!("the sealed entry {at} is not at hand"))?;
    if !matches!(ev.body, crate::event::Body::SealedDocument(_)) {
        return Err(format!("entry {at} is not a sealed document"));
    }
    opens(reveal, tender, ev, lh)?;
    Ok(format!(
        "entry {at} was filed by {:?}: document {}",
        reveal.principal, reveal.document.sha256
    ))
}

/// Checks the opening a submitter holds for its refused sealed submission:
/// it names the refusal's entry (`sealed`, with its leaf hash), and its
/// salt, filer and document give the commitment the refusal logged. Returns
/// who filed what.
pub fn check_refusal_opening(
    opening: &crate::event::Reveal,
    tender: &str,
    refusal: (&crate::event::Event, &Hash),
) -> Result<String, String> {
    let (ev, lh) = refusal;
    let at = opening.sealed.index;
    if !matches!(ev.body, crate::event::Body::SubmissionRejected(_)) {
        return Err(format!("entry {at} is not a refusal"));
    }
    opens(opening, tender, ev, lh)?;
    Ok(format!(
        "entry {at} is the refusal of {:?}'s sealed submission: document {}",
        opening.principal, opening.document.sha256
    ))
}

/// Whether `opening` opens the commitment entry `ev` (found under leaf hash
/// `lh`) logged — a sealed document's, or a sealed submission's refusal's:
/// the link's leaf hash, the tender, the document type, and the commitment
/// recomputed from the salt, filer and document.
fn opens(
    opening: &crate::event::Reveal,
    tender: &str,
    ev: &crate::event::Event,
    lh: &Hash,
) -> Result<(), String> {
    use crate::event::Body;
    let at = opening.sealed.index;
    let (document_type, commitment) = match &ev.body {
        Body::SealedDocument(s) => (s.document_type, s.commitment),
        Body::SubmissionRejected(r) => (r.document_type, r.sha256),
        _ => return Err(format!("entry {at} logged no commitment")),
    };
    if *lh != opening.sealed.leaf_hash {
        return Err(format!("entry {at} has leaf hash {lh}, not the one the opening names"));
    }
    if ev.tender != tender {
        return Err(format!("entry {at} belongs to tender {:?}", ev.tender));
    }
    if document_type != opening.document.document_type {
        return Err(format!("the opened document is of another type than entry {at}'s"));
    }
    let c =
        crate::event::commitment(&opening.salt.0, tender, &opening.principal, &opening.document)
            .map_err(|e| e.to_string())?;
    if c != commitment {
        return Err(format!(
            "the salt, filer and document do not match the commitment of entry {at}"
        ));
    }
    Ok(())
}

/// The fingerprints of the certificates that signed or sealed `doc`: its
/// signatures' and its e-seals' signers (a seal that does not parse names
/// none; the seal check reports it).
pub fn signer_fingerprints(doc: &Document) -> Vec<Hash> {
    let mut out: Vec<Hash> = doc.signatures.iter().map(|s| s.cert).collect();
    for der in doc.seal_ders() {
        if let Ok(s) = crate::seal::SealSignature::parse(&der.0) {
            out.push(crate::pki::fingerprint_of(&s.signer_cert));
        }
    }
    out
}

/// Whether every registered signer of `doc` may sign it for its role in a
/// tender registered as `reg` ([`crate::registration::Registration::signer_entitled`]):
/// one function for the ledger's admission and the compliance report.
/// Signers with no record in `certs` are not judged here (the signature
/// check refuses them).
pub fn check_signers_entitled(
    reg: &crate::registration::Registration,
    doc: &Document,
    certs: &HashMap<Hash, CertRecord>,
) -> Result<(), String> {
    for fp in signer_fingerprints(doc) {
        if let Some(r) = certs.get(&fp) {
            reg.signer_entitled(doc.document_type, r.kind, r.uscc.as_ref().map(|u| u.as_str()))
                .map_err(|e| format!("certificate {fp}: {e}"))?;
        }
    }
    Ok(())
}
