//! `CertRecord::from_chain` enforces the rules the ledger's admission does
//! for a certificate's lifecycle chain: at most `MAX_LIFECYCLE_EVENTS`
//! events, one registration (the first event) and the same certificate,
//! kind, USCC, unit name and resident ID in every event.
#![allow(clippy::unwrap_used)]

use std::str::FromStr as _;

use der::Encode as _;
use der::asn1::BitString;
use ed25519_dalek::{Signer as _, SigningKey};
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
use verifier::event::{Bytes, CertKind, CertificateEvent, Lifecycle};
use verifier::signing::{CertRecord, ChainError, MAX_LIFECYCLE_EVENTS};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

/// id-Ed25519 (RFC 8410).
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// TBSCertificate (RFC 5280 §4.1), v3 without extensions.
#[derive(der::Sequence)]
struct Tbs {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    version: u8,
    serial: SerialNumber,
    signature: AlgorithmIdentifierOwned,
    issuer: Name,
    validity: Validity,
    subject: Name,
    spki: SubjectPublicKeyInfoOwned,
}

/// Certificate (RFC 5280 §4.1).
#[derive(der::Sequence)]
struct Certificate {
    tbs: Tbs,
    algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

/// A self-signed Ed25519 certificate, DER, for a fixed key from `seed`.
fn self_signed(seed: u8, subject: &str) -> Vec<u8> {
    let key = SigningKey::from_bytes(&[seed; 32]);
    let alg = AlgorithmIdentifierOwned { oid: ED25519, parameters: None };
    let name = Name::from_str(subject).unwrap();
    let tbs = Tbs {
        version: 2,
        serial: SerialNumber::new(&[0x40, seed]).unwrap(),
        signature: alg.clone(),
        issuer: name.clone(),
        validity: Validity::new(
            Time::from_str("2026-01-01T00:00:00Z").unwrap(),
            Time::from_str("2028-01-01T00:00:00Z").unwrap(),
        ),
        subject: name,
        spki: SubjectPublicKeyInfoOwned {
            algorithm: alg.clone(),
            subject_public_key: BitString::from_bytes(&key.verifying_key().to_bytes()).unwrap(),
        },
    };
    let signature = key.sign(&tbs.to_der().unwrap()).to_bytes();
    Certificate { tbs, algorithm: alg, signature: BitString::from_bytes(&signature).unwrap() }
        .to_der()
        .unwrap()
}

const T0: u64 = 1_770_000_000_000;

/// A trader certificate's event: the same certificate and binding every
/// time, `step` with effect `at`.
fn trader(step: Lifecycle, at: u64) -> CertificateEvent {
    CertificateEvent {
        der: Bytes(self_signed(1, "CN=trader,O=Example Construction,C=CN")),
        cert_kind: CertKind::Trader,
        uscc: Some("91350100M000100Y43".parse().unwrap()),
        unit_name: Some("某某建设有限公司".into()),
        resident_id: None,
        lifecycle: step,
        effective_ms: at,
    }
}

/// The chain at entries 10, 11, …
fn from_chain(events: &[CertificateEvent]) -> Result<CertRecord, ChainError> {
    let list: Vec<(u64, &CertificateEvent)> =
        events.iter().enumerate().map(|(n, e)| (10 + n as u64, e)).collect();
    CertRecord::from_chain(&list)
}

#[test]
fn accepts_a_registration_then_loss_and_revocation() {
    let chain = [
        trader(Lifecycle::Issued, T0),
        trader(Lifecycle::ReportedLost, T0 + 1_000),
        trader(Lifecycle::Revoked, T0 + 2_000),
    ];
    let rec = from_chain(&chain).unwrap();
    assert_eq!(rec.cert.der(), &chain[0].der.0[..]);
    assert_eq!(rec.kind, CertKind::Trader);
    assert_eq!(rec.uscc.as_ref().map(|u| u.as_str()), Some("91350100M000100Y43"));
    assert_eq!(rec.unit_name.as_deref(), Some("某某建设有限公司"));
    assert_eq!(rec.resident_id, None);
    assert_eq!(
        rec.history,
        vec![
            (10, Lifecycle::Issued, T0),
            (11, Lifecycle::ReportedLost, T0 + 1_000),
            (12, Lifecycle::Revoked, T0 + 2_000),
        ]
    );
    assert!(rec.status_at(T0 + 999).is_ok());
    assert_eq!(
        rec.status_at(T0 + 1_000).unwrap_err(),
        format!("reportedlost with effect from {} ms (entry 11)", T0 + 1_000)
    );
}

#[test]
fn refuses_an_empty_chain() {
    let err = from_chain(&[]).unwrap_err();
    assert_eq!(err, ChainError::Empty);
    assert_eq!(err.to_string(), "no certificate events");
}

#[test]
fn holds_at_most_max_lifecycle_events() {
    assert_eq!(MAX_LIFECYCLE_EVENTS, 64);
    let mut chain = vec![trader(Lifecycle::Issued, T0)];
    chain.extend((1..MAX_LIFECYCLE_EVENTS as u64).map(|n| trader(Lifecycle::ReportedLost, T0 + n)));
    assert_eq!(from_chain(&chain).unwrap().history.len(), MAX_LIFECYCLE_EVENTS);
    chain.push(trader(Lifecycle::Revoked, T0 + 100));
    let err = from_chain(&chain).unwrap_err();
    assert_eq!(err, ChainError::TooLong { max: 64 });
    assert_eq!(err.to_string(), "a certificate has at most 64 lifecycle events");
}

#[test]
fn refuses_a_first_event_that_does_not_register() {
    let err = from_chain(&[trader(Lifecycle::Revoked, T0)]).unwrap_err();
    assert_eq!(err, ChainError::FirstNotRegistration { step: Lifecycle::Revoked });
    assert_eq!(
        err.to_string(),
        "the certificate's first event is Revoked; it must register it (issued, renewed, changed or reissued)"
    );
}

#[test]
fn refuses_a_second_issued() {
    let chain = [trader(Lifecycle::Issued, T0), trader(Lifecycle::Issued, T0 + 1)];
    let err = from_chain(&chain).unwrap_err();
    assert_eq!(err, ChainError::SecondRegistration { index: 11, step: Lifecycle::Issued });
    assert_eq!(
        err.to_string(),
        "entry 11: Issued for a certificate already registered; a renewed or reissued certificate is a new certificate"
    );
}

#[test]
fn refuses_issued_then_renewed_even_after_a_loss() {
    let chain = [trader(Lifecycle::Issued, T0), trader(Lifecycle::Renewed, T0 + 1)];
    assert_eq!(
        from_chain(&chain).unwrap_err(),
        ChainError::SecondRegistration { index: 11, step: Lifecycle::Renewed }
    );
    let chain = [
        trader(Lifecycle::Issued, T0),
        trader(Lifecycle::ReportedLost, T0 + 1),
        trader(Lifecycle::Reissued, T0 + 2),
    ];
    assert_eq!(
        from_chain(&chain).unwrap_err(),
        ChainError::SecondRegistration { index: 12, step: Lifecycle::Reissued }
    );
}

/// A chain whose second event differs from the first by `change`.
fn changed(change: impl FnOnce(&mut CertificateEvent)) -> ChainError {
    let mut later = trader(Lifecycle::Revoked, T0 + 1);
    change(&mut later);
    from_chain(&[trader(Lifecycle::Issued, T0), later]).unwrap_err()
}

#[test]
fn refuses_a_later_event_with_another_identity() {
    let at = |field| ChainError::IdentityChanged { index: 11, field };
    assert_eq!(changed(|e| e.uscc = Some("91110000600037341L".parse().unwrap())), at("uscc"));
    assert_eq!(changed(|e| e.uscc = None), at("uscc"));
    assert_eq!(changed(|e| e.unit_name = Some("另一建设有限公司".into())), at("unit_name"));
    assert_eq!(
        changed(|e| e.resident_id = Some("11010519491231002X".parse().unwrap())),
        at("resident_id")
    );
    assert_eq!(changed(|e| e.cert_kind = CertKind::Supervisor), at("cert_kind"));
    let other = self_signed(2, "CN=trader,O=Example Construction,C=CN");
    assert_ne!(other, trader(Lifecycle::Issued, T0).der.0);
    let err = changed(|e| e.der = Bytes(other));
    assert_eq!(err, at("der"));
    assert!(err.to_string().starts_with("entry 11 changes the certificate"), "{err}");
}

#[test]
fn refuses_a_first_event_whose_certificate_does_not_parse() {
    let mut first = trader(Lifecycle::Issued, T0);
    first.der = Bytes(vec![0x30, 0x00]);
    assert!(matches!(from_chain(&[first]).unwrap_err(), ChainError::Certificate(_)));
}
