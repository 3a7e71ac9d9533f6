//! Making X.509 certificates with ECDSA P-256 keys: self-signed roots and
//! leaves under them, for the local TSA ([`crate::tsa`]), demonstrations and
//! tests. Everything is RustCrypto (`x509-cert`'s builder, `p256`); no DER or
//! cryptography is written here.
//!
//! * A root: basicConstraints critical CA:TRUE, keyUsage critical
//!   keyCertSign|cRLSign, subject and authority key identifiers.
//! * A leaf ([`LeafUsage`]): basicConstraints critical CA:FALSE, keyUsage
//!   critical, subject and authority key identifiers, and for a TSA the
//!   critical extendedKeyUsage timeStamping that RFC 3161 §2.3 demands.
//!
//! Key identifiers are the SHA-1 of the public key (RFC 5280 §4.2.1.2
//! method 1), as `x509-cert` computes them. Subjects are RFC 4514 strings,
//! most significant attribute last (`CN=trader,serialNumber=…,O=…,C=CN`);
//! values may be UTF-8 (`O=某某建设有限公司`), and `C` and `serialNumber`
//! must be PrintableString characters.

use std::str::FromStr as _;
use std::time::Duration;

use der::asn1::PrintableStringRef;
use der::{DateTime, Decode as _, Encode as _, Tag, Tagged as _};
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::Certificate;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder as _, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectKeyIdentifier,
};
use x509_cert::ext::{Extension, ToExtension as _};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use crate::error::{LedgerError, Result};

/// id-kp-timeStamping (RFC 3161 §2.3).
pub const TIME_STAMPING: spki::ObjectIdentifier = verifier::tsp::TIME_STAMPING;

/// A key and the certificate issued for it.
pub struct Issued {
    /// The certified key.
    pub key: SigningKey,
    /// The certificate, DER.
    pub der: Vec<u8>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued").field("der_len", &self.der.len()).finish_non_exhaustive()
    }
}

impl Issued {
    /// A new key and a self-signed root CA certificate for it (see [`root_ca`]).
    pub fn root(subject: &str, not_before_ms: u64, not_after_ms: u64) -> Result<Issued> {
        let key = new_key()?;
        let der = root_ca(&key, subject, not_before_ms, not_after_ms)?;
        Ok(Issued { key, der })
    }

    /// A new key and a leaf certificate for it issued by `self` (see [`leaf`]).
    pub fn issue(
        &self,
        subject: &str,
        serial: u64,
        not_before_ms: u64,
        not_after_ms: u64,
        usage: LeafUsage,
    ) -> Result<Issued> {
        let key = new_key()?;
        let der = leaf(
            &self.key,
            &self.der,
            key.verifying_key(),
            subject,
            serial,
            not_before_ms,
            not_after_ms,
            usage,
        )?;
        Ok(Issued { key, der })
    }
}

/// What a leaf certificate's key is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafUsage {
    /// Signing documents: keyUsage digitalSignature and nonRepudiation, no
    /// extended key usage.
    Signing,
    /// An RFC 3161 Time-Stamp Authority: keyUsage digitalSignature and the
    /// extendedKeyUsage timeStamping alone, marked critical (RFC 3161 §2.3).
    TimeStamping,
}

fn err(what: &'static str) -> impl Fn(String) -> LedgerError {
    move |reason| LedgerError::Issue { what, reason }
}

/// A new P-256 key from the operating system's randomness.
pub fn new_key() -> Result<SigningKey> {
    let bad = err("a P-256 key");
    // A random 32-byte string is a valid scalar (non-zero, below the group
    // order) with probability 1 - 2^-32; the loop almost never repeats.
    for _ in 0..64 {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| bad(format!("no randomness from the operating system: {e}")))?;
        if let Ok(key) = SigningKey::from_slice(&bytes) {
            return Ok(key);
        }
    }
    Err(bad("no valid scalar in 64 random draws".into()))
}

/// Parses an RFC 4514 subject (`CN=…,O=…,C=CN`), checking that the
/// attributes RFC 5280 types as PrintableString (`C`, `serialNumber`) hold
/// only PrintableString characters.
pub fn parse_name(subject: &str) -> Result<Name> {
    let bad = err("a certificate subject");
    if subject.trim().is_empty() {
        return Err(bad("the subject is empty".into()));
    }
    let name = Name::from_str(subject).map_err(|e| bad(format!("{subject:?}: {e}")))?;
    for atv in name.iter() {
        if atv.value.tag() == Tag::PrintableString
            && PrintableStringRef::new(atv.value.value()).is_err()
        {
            return Err(bad(format!(
                "{subject:?}: the value of {} must be PrintableString (A-Z a-z 0-9 space '()+,-./:=?)",
                atv.oid
            )));
        }
        if atv.value.value().is_empty() {
            return Err(bad(format!("{subject:?}: attribute {} is empty", atv.oid)));
        }
    }
    // The name must survive its own encoding.
    let der = name.to_der().map_err(|e| bad(e.to_string()))?;
    Name::from_der(&der).map_err(|e| bad(format!("{subject:?}: {e}")))?;
    Ok(name)
}

fn time(ms: u64) -> Result<Time> {
    let dt = DateTime::from_unix_duration(Duration::from_secs(ms / 1000)).map_err(|e| {
        LedgerError::Issue { what: "a validity time", reason: format!("{ms}: {e}") }
    })?;
    // UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5).
    Ok(Time::from(dt))
}

fn validity(not_before_ms: u64, not_after_ms: u64) -> Result<Validity> {
    if not_after_ms < not_before_ms {
        return Err(LedgerError::Issue {
            what: "a certificate",
            reason: format!(
                "validity ends ({not_after_ms} ms) before it starts ({not_before_ms} ms)"
            ),
        });
    }
    Ok(Validity::new(time(not_before_ms)?, time(not_after_ms)?))
}

fn random_serial() -> Result<SerialNumber> {
    let bad = err("a certificate serial number");
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| bad(format!("no randomness from the operating system: {e}")))?;
    // Positive, non-zero, 16 bytes: 126 random bits.
    bytes[0] = (bytes[0] & 0x3f) | 0x40;
    SerialNumber::new(&bytes).map_err(|e| bad(e.to_string()))
}

fn spki_of(key: &VerifyingKey) -> Result<SubjectPublicKeyInfoOwned> {
    SubjectPublicKeyInfoOwned::from_key(key)
        .map_err(|e| LedgerError::Issue { what: "a public key", reason: e.to_string() })
}

/// The extensions of one certificate; the builder asks for them once it
/// knows the subject and issuer keys.
struct Profile {
    subject: Name,
    /// `None` for a self-signed root.
    issuer: Option<Name>,
    /// The issuer's own subject key identifier, when it states one.
    issuer_key_id: Option<SubjectKeyIdentifier>,
    usage: Option<LeafUsage>,
}

impl BuilderProfile for Profile {
    fn get_issuer(&self, subject: &Name) -> Name {
        self.issuer.clone().unwrap_or_else(|| subject.clone())
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let subject = tbs.subject();
        let mut exts: Vec<Extension> = Vec::new();
        let ski = SubjectKeyIdentifier::try_from(spk)?;
        let aki = match &self.issuer_key_id {
            Some(k) => k.clone(),
            None => SubjectKeyIdentifier::try_from(issuer_spk)?,
        };
        let (ca, usages) = match self.usage {
            None => (true, KeyUsages::KeyCertSign | KeyUsages::CRLSign),
            Some(LeafUsage::Signing) => {
                (false, KeyUsages::DigitalSignature | KeyUsages::NonRepudiation)
            }
            Some(LeafUsage::TimeStamping) => (false, KeyUsages::DigitalSignature.into()),
        };
        let bc = BasicConstraints { ca, path_len_constraint: None };
        exts.push((true, &bc).to_extension(subject, &exts)?);
        exts.push((true, &KeyUsage(usages)).to_extension(subject, &exts)?);
        if self.usage == Some(LeafUsage::TimeStamping) {
            let eku = ExtendedKeyUsage(vec![TIME_STAMPING]);
            exts.push((true, &eku).to_extension(subject, &exts)?);
        }
        exts.push((false, &ski).to_extension(subject, &exts)?);
        let aki = AuthorityKeyIdentifier { key_identifier: Some(aki.0), ..Default::default() };
        exts.push((false, &aki).to_extension(subject, &exts)?);
        Ok(exts)
    }
}

fn build(
    profile: Profile,
    serial: SerialNumber,
    validity: Validity,
    spki: SubjectPublicKeyInfoOwned,
    signer: &SigningKey,
) -> Result<Vec<u8>> {
    let bad = err("a certificate");
    let builder =
        CertificateBuilder::new(profile, serial, validity, spki).map_err(|e| bad(e.to_string()))?;
    let cert: Certificate =
        builder.build::<_, DerSignature>(signer).map_err(|e| bad(e.to_string()))?;
    cert.to_der().map_err(|e| bad(e.to_string()))
}

/// A self-signed root CA certificate for `key`, valid from `not_before_ms` to
/// `not_after_ms` (UTC ms, truncated to seconds), with a random serial
/// number: basicConstraints critical CA:TRUE (no path length limit),
/// keyUsage critical keyCertSign|cRLSign, key identifiers.
pub fn root_ca(
    key: &SigningKey,
    subject: &str,
    not_before_ms: u64,
    not_after_ms: u64,
) -> Result<Vec<u8>> {
    let profile =
        Profile { subject: parse_name(subject)?, issuer: None, issuer_key_id: None, usage: None };
    build(
        profile,
        random_serial()?,
        validity(not_before_ms, not_after_ms)?,
        spki_of(key.verifying_key())?,
        key,
    )
}

/// A leaf certificate for `key`, issued by the CA whose certificate is
/// `issuer_der` and whose key is `issuer_key`, with serial number `serial`
/// (non-zero) and validity `not_before_ms`..`not_after_ms` (UTC ms, truncated
/// to seconds). `usage` sets the key usages (see [`LeafUsage`]).
///
/// Refused when the issuer certificate is not a CA or does not hold
/// `issuer_key`'s public key.
#[allow(clippy::too_many_arguments)]
pub fn leaf(
    issuer_key: &SigningKey,
    issuer_der: &[u8],
    key: &VerifyingKey,
    subject: &str,
    serial: u64,
    not_before_ms: u64,
    not_after_ms: u64,
    usage: LeafUsage,
) -> Result<Vec<u8>> {
    let spki = spki_of(key)?;
    leaf_for(issuer_key, issuer_der, spki, subject, serial, not_before_ms, not_after_ms, usage)
}

/// [`leaf`] for a public key of any algorithm (Ed25519, RSA, SM2 …), given
/// as its SubjectPublicKeyInfo; the issuer still signs with P-256.
#[allow(clippy::too_many_arguments)]
pub fn leaf_for(
    issuer_key: &SigningKey,
    issuer_der: &[u8],
    spki: SubjectPublicKeyInfoOwned,
    subject: &str,
    serial: u64,
    not_before_ms: u64,
    not_after_ms: u64,
    usage: LeafUsage,
) -> Result<Vec<u8>> {
    let bad = err("a leaf certificate");
    let issuer = verifier::pki::Cert::from_der(issuer_der)
        .map_err(|e| bad(format!("the issuer certificate: {e}")))?;
    if !issuer.is_ca() {
        return Err(bad(format!("the issuer {} is not a CA", issuer.subject())));
    }
    let tbs = issuer.x509().tbs_certificate();
    let issuer_spki = tbs.subject_public_key_info();
    if *issuer_spki != spki_of(issuer_key.verifying_key())? {
        return Err(bad(format!(
            "the issuer key is not the key of the issuer certificate ({})",
            issuer.subject()
        )));
    }
    if serial == 0 {
        return Err(bad("the serial number must be positive".into()));
    }
    let issuer_key_id = tbs
        .get_extension::<SubjectKeyIdentifier>()
        .map_err(|e| bad(format!("the issuer's subject key identifier: {e}")))?
        .map(|(_, k)| k);
    let profile = Profile {
        subject: parse_name(subject)?,
        issuer: Some(tbs.subject().clone()),
        issuer_key_id,
        usage: Some(usage),
    };
    build(
        profile,
        SerialNumber::from(serial),
        validity(not_before_ms, not_after_ms)?,
        spki,
        issuer_key,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use verifier::pki::{Cert, TrustStore};

    const DAY: u64 = 86_400_000;
    const NOW: u64 = 1_767_225_600_000; // 2026-01-01

    #[test]
    fn root_and_leaf_chain() {
        let root =
            Issued::root("CN=tenderlog demo CA,O=tenderlog,C=CN", NOW - DAY, NOW + DAY).unwrap();
        let leaf = root
            .issue(
                "CN=trader,serialNumber=91350100M000100Y43,O=某某建设有限公司,C=CN",
                7,
                NOW - DAY,
                NOW + DAY,
                LeafUsage::Signing,
            )
            .unwrap();
        let root_cert = Cert::from_der(&root.der).unwrap();
        assert!(root_cert.is_ca());
        let leaf_cert = Cert::from_der(&leaf.der).unwrap();
        assert!(!leaf_cert.is_ca());
        assert!(leaf_cert.subject().contains("91350100M000100Y43"), "{}", leaf_cert.subject());
        assert!(leaf_cert.subject().contains("某某建设有限公司"));
        let trust = TrustStore::new(vec![root_cert]).unwrap();
        assert_eq!(trust.chain(&leaf_cert, &[], NOW).unwrap().len(), 2);
        assert!(trust.chain(&leaf_cert, &[], NOW + 2 * DAY).is_err());
    }

    #[test]
    fn refusals() {
        let root = Issued::root("CN=r", NOW, NOW + DAY).unwrap();
        let other = new_key().unwrap();
        let vk = *other.verifying_key();
        // Wrong issuer key.
        assert!(leaf(&other, &root.der, &vk, "CN=x", 1, NOW, NOW + 1, LeafUsage::Signing).is_err());
        // A leaf cannot issue.
        let l = root.issue("CN=l", 2, NOW, NOW + DAY, LeafUsage::Signing).unwrap();
        assert!(leaf(&l.key, &l.der, &vk, "CN=x", 1, NOW, NOW + 1, LeafUsage::Signing).is_err());
        // Bad names, serial, validity.
        assert!(root_ca(&other, "", NOW, NOW + 1).is_err());
        assert!(root_ca(&other, "C=中国", NOW, NOW + 1).is_err());
        assert!(root_ca(&other, "CN=x", NOW + 1, NOW).is_err());
        assert!(root_ca(&other, "nonsense", NOW, NOW + 1).is_err());
        assert!(root.issue("CN=x", 0, NOW, NOW + 1, LeafUsage::Signing).is_err());
    }
}
