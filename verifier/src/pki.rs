//! Certificates and signatures: X.509 parsing, raw signature verification
//! (Ed25519, ECDSA P-256/SHA-256, RSA PKCS#1 v1.5/SHA-256, SM2-with-SM3), and
//! certificate chains to a trust store that holds several CAs at once.
//!
//! Everything is RustCrypto (`x509-cert`, `der`, `p256`, `rsa`, `sm2`, `sm3`,
//! `ed25519-dalek`): no DER or cryptography is written here. The raw DER of
//! every certificate is kept, so a newer checker can always judge it again.

use der::{Decode as _, Encode as _, Tagged as _};
use signature::Verifier as _;
use spki::ObjectIdentifier;
use x509_cert::Certificate;

/// OIDs this module recognises.
pub mod oid {
    use spki::ObjectIdentifier as O;
    /// id-ecPublicKey.
    pub const EC_PUBLIC_KEY: O = O::new_unwrap("1.2.840.10045.2.1");
    /// The NIST P-256 curve.
    pub const P256: O = O::new_unwrap("1.2.840.10045.3.1.7");
    /// The SM2 curve (GM/T 0006).
    pub const SM2_CURVE: O = O::new_unwrap("1.2.156.10197.1.301");
    /// rsaEncryption.
    pub const RSA: O = O::new_unwrap("1.2.840.113549.1.1.1");
    /// Ed25519 (RFC 8410).
    pub const ED25519: O = O::new_unwrap("1.3.101.112");
    /// sha256WithRSAEncryption.
    pub const RSA_SHA256: O = O::new_unwrap("1.2.840.113549.1.1.11");
    /// ecdsa-with-SHA256.
    pub const ECDSA_SHA256: O = O::new_unwrap("1.2.840.10045.4.3.2");
    /// SM2-with-SM3 (GM/T 0006).
    pub const SM2_SM3: O = O::new_unwrap("1.2.156.10197.1.501");
}

/// The GM/T 0009 default SM2 distinguishing ID.
pub const SM2_DEFAULT_ID: &str = "1234567812345678";

/// Most certificates on a path, leaf included.
pub const MAX_CHAIN: usize = 8;
/// Largest certificate accepted.
pub const MAX_CERT_BYTES: usize = 64 * 1024;

/// Why a certificate or signature did not check out.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PkiError {
    /// Not a DER X.509 certificate.
    #[error("couldn't parse certificate: {0}")]
    Parse(String),
    /// A key or signature algorithm this module does not support.
    #[error("unsupported algorithm {0}")]
    Algorithm(String),
    /// The signature does not verify.
    #[error("signature does not verify with the certificate of {subject}")]
    BadSignature {
        /// The signer's subject.
        subject: String,
    },
    /// The certificate was not valid at the time asked about.
    #[error(
        "certificate of {subject} was not valid at {at_ms} ms (valid {not_before_ms}..{not_after_ms})"
    )]
    Expired {
        /// The subject.
        subject: String,
        /// The time asked about, ms since the epoch.
        at_ms: u64,
        /// Start of validity.
        not_before_ms: u64,
        /// End of validity.
        not_after_ms: u64,
    },
    /// No path to a trusted root.
    #[error("no chain from {subject} to a trusted root: {reason}")]
    Untrusted {
        /// The leaf's subject.
        subject: String,
        /// Why.
        reason: String,
    },
}

/// The SHA-256 fingerprint of a certificate's DER: how the log names it.
pub fn fingerprint_of(der: &[u8]) -> crate::Hash {
    crate::Hash(<sha2::Sha256 as sha2::Digest>::digest(der).into())
}

/// Which public key a certificate holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyAlg {
    /// Ed25519.
    Ed25519,
    /// ECDSA on P-256, with SHA-256.
    EcdsaP256,
    /// RSA, PKCS#1 v1.5 with SHA-256.
    Rsa,
    /// SM2 with SM3 and a distinguishing ID.
    Sm2,
}

/// A parsed certificate and its DER.
#[derive(Clone, Debug)]
pub struct Cert {
    der: Vec<u8>,
    cert: Certificate,
}

impl PartialEq for Cert {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

fn ms(t: &x509_cert::time::Time) -> u64 {
    t.to_unix_duration().as_millis() as u64
}

impl Cert {
    /// Parses a DER certificate, strictly.
    pub fn from_der(der: &[u8]) -> Result<Cert, PkiError> {
        if der.len() > MAX_CERT_BYTES {
            return Err(PkiError::Parse("larger than 64 KiB".into()));
        }
        let cert = Certificate::from_der(der).map_err(|e| PkiError::Parse(e.to_string()))?;
        Ok(Cert { der: der.to_vec(), cert })
    }

    /// The DER bytes, as given.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The parsed certificate.
    pub fn x509(&self) -> &Certificate {
        &self.cert
    }

    /// The subject as an RFC 4514 string.
    pub fn subject(&self) -> String {
        self.cert.tbs_certificate().subject().to_string()
    }

    /// The issuer as an RFC 4514 string.
    pub fn issuer(&self) -> String {
        self.cert.tbs_certificate().issuer().to_string()
    }

    /// Validity window, ms since the epoch.
    pub fn validity_ms(&self) -> (u64, u64) {
        let v = self.cert.tbs_certificate().validity();
        (ms(&v.not_before), ms(&v.not_after))
    }

    /// Whether `at_ms` falls in the validity window.
    pub fn check_valid_at(&self, at_ms: u64) -> Result<(), PkiError> {
        let (nb, na) = self.validity_ms();
        if at_ms < nb || at_ms > na {
            return Err(PkiError::Expired {
                subject: self.subject(),
                at_ms,
                not_before_ms: nb,
                not_after_ms: na,
            });
        }
        Ok(())
    }

    /// Whether basicConstraints says this is a CA.
    pub fn is_ca(&self) -> bool {
        self.cert
            .tbs_certificate()
            .get_extension::<x509_cert::ext::pkix::BasicConstraints>()
            .ok()
            .flatten()
            .is_some_and(|(_, bc)| bc.ca)
    }

    /// SHA-256 of the DER: how events refer to a certificate.
    pub fn fingerprint(&self) -> crate::Hash {
        fingerprint_of(&self.der)
    }

    /// The kind of key the certificate holds.
    pub fn key_alg(&self) -> Result<KeyAlg, PkiError> {
        let spki = self.cert.tbs_certificate().subject_public_key_info();
        let alg = &spki.algorithm;
        if alg.oid == oid::ED25519 {
            return Ok(KeyAlg::Ed25519);
        }
        if alg.oid == oid::RSA {
            return Ok(KeyAlg::Rsa);
        }
        if alg.oid == oid::EC_PUBLIC_KEY {
            let curve: Option<ObjectIdentifier> =
                alg.parameters.as_ref().and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            return match curve {
                Some(c) if c == oid::P256 => Ok(KeyAlg::EcdsaP256),
                Some(c) if c == oid::SM2_CURVE => Ok(KeyAlg::Sm2),
                Some(c) => Err(PkiError::Algorithm(format!("EC curve {c}"))),
                None => Err(PkiError::Algorithm("EC key without a named curve".into())),
            };
        }
        Err(PkiError::Algorithm(format!("public key {}", alg.oid)))
    }

    fn key_bytes(&self) -> &[u8] {
        self.cert.tbs_certificate().subject_public_key_info().subject_public_key.raw_bytes()
    }

    /// Verifies a raw signature by this certificate's key over `message`:
    /// Ed25519 (64 bytes); ECDSA P-256/SHA-256 (DER); RSA PKCS#1 v1.5/SHA-256;
    /// SM2-with-SM3 with distinguishing ID `sm2_id` (DER, or raw 64-byte r‖s
    /// as signing devices often return).
    pub fn verify(&self, message: &[u8], sig: &[u8], sm2_id: &str) -> Result<(), PkiError> {
        let bad = || PkiError::BadSignature { subject: self.subject() };
        match self.key_alg()? {
            KeyAlg::Ed25519 => {
                let key: [u8; 32] = self.key_bytes().try_into().map_err(|_| bad())?;
                let vk = ed25519_dalek::VerifyingKey::from_bytes(&key).map_err(|_| bad())?;
                let s: [u8; 64] = sig.try_into().map_err(|_| bad())?;
                vk.verify_strict(message, &ed25519_dalek::Signature::from_bytes(&s))
                    .map_err(|_| bad())
            }
            KeyAlg::EcdsaP256 => {
                let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(self.key_bytes())
                    .map_err(|_| bad())?;
                let s = p256::ecdsa::DerSignature::from_bytes(sig).map_err(|_| bad())?;
                vk.verify(message, &s).map_err(|_| bad())
            }
            KeyAlg::Rsa => {
                use rsa::pkcs8::DecodePublicKey as _;
                let spki = self
                    .cert
                    .tbs_certificate()
                    .subject_public_key_info()
                    .to_der()
                    .map_err(|e| PkiError::Parse(e.to_string()))?;
                let pk = rsa::PublicKey::from_public_key_der(&spki).map_err(|_| bad())?;
                let vk = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(pk);
                let s = rsa::pkcs1v15::Signature::try_from(sig).map_err(|_| bad())?;
                vk.verify(message, &s).map_err(|_| bad())
            }
            KeyAlg::Sm2 => {
                let vk = sm2::dsa::VerifyingKey::from_sec1_bytes(sm2_id, self.key_bytes())
                    .map_err(|_| bad())?;
                let s = if sig.len() == 64 {
                    sm2::dsa::Signature::try_from(sig).map_err(|_| bad())?
                } else {
                    let d = sm2::dsa::DerSignature::from_bytes(sig).map_err(|_| bad())?;
                    sm2::dsa::Signature::try_from(d).map_err(|_| bad())?
                };
                vk.verify(message, &s).map_err(|_| bad())
            }
        }
    }

    /// Z_A of this certificate's SM2 key with distinguishing ID `id` (GB/T
    /// 32918.2: SM3 of ENTL ‖ ID ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A), what SM2
    /// signing hashes before the message. The curve's constants are the
    /// `sm2` crate's.
    pub fn sm2_z(&self, id: &str) -> Result<[u8; 32], PkiError> {
        use primeorder::PrimeCurveParams as _;
        use sm3::Digest as _;
        if self.key_alg()? != KeyAlg::Sm2 {
            return Err(PkiError::Algorithm("Z_A needs an SM2 key".into()));
        }
        let point = self.key_bytes();
        // An uncompressed SEC1 point: 0x04 ‖ x ‖ y.
        let Some((&4, xy)) = point.split_first().filter(|(_, xy)| xy.len() == 64) else {
            return Err(PkiError::Algorithm("an SM2 key that is not an uncompressed point".into()));
        };
        let bits = u16::try_from(id.len() * 8)
            .map_err(|_| PkiError::Algorithm("an SM2 ID longer than 8191 bytes".into()))?;
        let mut h = sm3::Sm3::new();
        h.update(bits.to_be_bytes());
        h.update(id.as_bytes());
        h.update(sm2::Sm2::EQUATION_A.to_bytes());
        h.update(sm2::Sm2::EQUATION_B.to_bytes());
        h.update(sm2::Sm2::GENERATOR.0.to_bytes());
        h.update(sm2::Sm2::GENERATOR.1.to_bytes());
        h.update(xy);
        Ok(h.finalize().into())
    }

    /// Verifies that `issuer` signed this certificate: names match, the
    /// signature algorithm fits the issuer's key, and the signature over the
    /// TBS certificate verifies.
    pub fn verify_issued_by(&self, issuer: &Cert) -> Result<(), PkiError> {
        let tbs = self.cert.tbs_certificate();
        if tbs.issuer() != issuer.cert.tbs_certificate().subject() {
            return Err(PkiError::Untrusted {
                subject: self.subject(),
                reason: format!("issuer {} is not {}", self.issuer(), issuer.subject()),
            });
        }
        let sig_alg = self.cert.signature_algorithm().oid;
        let fits = match issuer.key_alg()? {
            KeyAlg::Ed25519 => sig_alg == oid::ED25519,
            KeyAlg::EcdsaP256 => sig_alg == oid::ECDSA_SHA256,
            KeyAlg::Rsa => sig_alg == oid::RSA_SHA256,
            KeyAlg::Sm2 => sig_alg == oid::SM2_SM3,
        };
        if !fits {
            return Err(PkiError::Algorithm(format!("certificate signature {sig_alg}")));
        }
        let tbs_der = tbs.to_der().map_err(|e| PkiError::Parse(e.to_string()))?;
        let sig = self
            .cert
            .signature()
            .as_bytes()
            .ok_or_else(|| PkiError::Parse("signature has unused bits".into()))?;
        issuer.verify(&tbs_der, sig, SM2_DEFAULT_ID).map_err(|_| PkiError::Untrusted {
            subject: self.subject(),
            reason: format!("its signature by {} does not verify", issuer.subject()),
        })
    }
}

/// Trusted CA roots: several CA providers side by side.
///
/// It remembers which certificate signatures it has verified (by the
/// fingerprints of certificate and issuer), so checking the chain of a
/// certificate it has seen costs validity-window comparisons, not another
/// public-key operation: a signer's certificate is checked with every
/// document it signs. Only successes are kept, and only bytes-identical
/// certificates hit, so the memory changes no verdict.
#[derive(Debug, Default)]
pub struct TrustStore {
    roots: Vec<Cert>,
    verified: std::sync::Mutex<std::collections::HashSet<(crate::Hash, crate::Hash)>>,
}

impl Clone for TrustStore {
    fn clone(&self) -> TrustStore {
        TrustStore { roots: self.roots.clone(), verified: Default::default() }
    }
}

/// Most remembered certificate signatures; beyond it the memory starts over.
const VERIFIED_MEMORY: usize = 100_000;

impl TrustStore {
    /// A store of the given roots; each must be self-signed.
    pub fn new(roots: Vec<Cert>) -> Result<TrustStore, PkiError> {
        for r in &roots {
            r.verify_issued_by(r).map_err(|e| PkiError::Untrusted {
                subject: r.subject(),
                reason: format!("a root must be self-signed: {e}"),
            })?;
        }
        Ok(TrustStore { roots, verified: Default::default() })
    }

    /// Whether `issuer` signed `cert`, remembering successes.
    fn issued(&self, cert: &Cert, issuer: &Cert) -> bool {
        let key = (cert.fingerprint(), issuer.fingerprint());
        if let Ok(v) = self.verified.lock()
            && v.contains(&key)
        {
            return true;
        }
        let ok = cert.verify_issued_by(issuer).is_ok();
        if ok && let Ok(mut v) = self.verified.lock() {
            if v.len() >= VERIFIED_MEMORY {
                v.clear();
            }
            v.insert(key);
        }
        ok
    }

    /// The roots.
    pub fn roots(&self) -> &[Cert] {
        &self.roots
    }

    /// Finds a path from `leaf` through `intermediates` to a root, every
    /// certificate valid at `at_ms` and every issuer a CA. Returns the path,
    /// leaf first, root last.
    pub fn chain<'a>(
        &'a self,
        leaf: &'a Cert,
        intermediates: &'a [Cert],
        at_ms: u64,
    ) -> Result<Vec<&'a Cert>, PkiError> {
        let mut path = vec![leaf];
        leaf.check_valid_at(at_ms)?;
        loop {
            let current = path[path.len() - 1];
            if let Some(root) = self.roots.iter().find(|r| self.issued(current, r)) {
                if root != current {
                    root.check_valid_at(at_ms)?;
                    path.push(root);
                }
                return Ok(path);
            }
            if path.len() >= MAX_CHAIN {
                return Err(PkiError::Untrusted {
                    subject: leaf.subject(),
                    reason: "path too long".into(),
                });
            }
            let next = intermediates
                .iter()
                .find(|c| c.is_ca() && !path.contains(c) && self.issued(current, c))
                .ok_or_else(|| PkiError::Untrusted {
                    subject: leaf.subject(),
                    reason: format!("no trusted or intermediate CA issued {}", current.subject()),
                })?;
            next.check_valid_at(at_ms)?;
            path.push(next);
        }
    }
}

/// What a verified detached CMS signature says.
#[derive(Clone, Debug)]
pub struct CmsSignature {
    /// The signer's certificate.
    pub signer: Cert,
    /// Every certificate the message carries (the signer's included), for
    /// building its chain.
    pub certificates: Vec<Cert>,
    /// The signing time the signer claimed in its signed attributes, ms since
    /// the epoch: not trusted time (that comes from an RFC 3161 token).
    pub claimed_time_ms: Option<u64>,
    /// Whether the signature covers signed attributes (else the document).
    pub signed_attributes: bool,
}

/// CMS OIDs.
mod cms_oid {
    use spki::ObjectIdentifier as O;
    pub(super) const SIGNED_DATA: O = O::new_unwrap("1.2.840.113549.1.7.2");
    /// GM/T 0010 signedData, treated as the RFC 5652 one.
    pub(super) const SM2_SIGNED_DATA: O = O::new_unwrap("1.2.156.10197.6.1.4.2.2");
    pub(super) const DATA: O = O::new_unwrap("1.2.840.113549.1.7.1");
    pub(super) const SM2_DATA: O = O::new_unwrap("1.2.156.10197.6.1.4.2.1");
    pub(super) const CONTENT_TYPE: O = O::new_unwrap("1.2.840.113549.1.9.3");
    pub(super) const MESSAGE_DIGEST: O = O::new_unwrap("1.2.840.113549.1.9.4");
    pub(super) const SIGNING_TIME: O = O::new_unwrap("1.2.840.113549.1.9.5");
    pub(super) const SHA256: O = O::new_unwrap("2.16.840.1.101.3.4.2.1");
    pub(super) const SHA512: O = O::new_unwrap("2.16.840.1.101.3.4.2.3");
    pub(super) const SM3: O = O::new_unwrap("1.2.156.10197.1.401");
    /// The "sm2sign" OID some producers use for SM2-with-SM3.
    pub(super) const SM2_SIGN: O = O::new_unwrap("1.2.156.10197.1.301.1");
}

/// Largest CMS message accepted.
pub const MAX_CMS_BYTES: usize = 1 << 20;

fn digest(alg: &ObjectIdentifier, data: &[u8]) -> Result<Vec<u8>, PkiError> {
    use sha2::Digest as _;
    if *alg == cms_oid::SHA256 {
        Ok(sha2::Sha256::digest(data).to_vec())
    } else if *alg == cms_oid::SHA512 {
        Ok(sha2::Sha512::digest(data).to_vec())
    } else if *alg == cms_oid::SM3 {
        Ok(<sm3::Sm3 as sm3::Digest>::digest(data).to_vec())
    } else {
        Err(PkiError::Algorithm(format!("digest {alg}")))
    }
}

/// Verifies a detached CMS/PKCS#7 SignedData over `document`, with or
/// without signed attributes, signed with any key [`Cert::verify`] handles.
/// The signer's certificate must be in the message; its chain and status are
/// the caller's next step ([`TrustStore::chain`] with the other certificates).
pub fn verify_detached_cms(
    cms: &[u8],
    document: &[u8],
    sm2_id: &str,
) -> Result<CmsSignature, PkiError> {
    verify_signed_data(cms, Signed::Detached(document), sm2_id).map(|(s, _)| s)
}

/// Verifies a detached CMS SignedData given only the document's digests:
/// the signed attributes' `message-digest` must equal `sha256` (digest
/// algorithm SHA-256) or `sm3` (SM3). A signature without signed attributes
/// signs the document bytes themselves and cannot be checked from a digest:
/// it is refused, saying so.
pub fn verify_detached_cms_digest(
    cms: &[u8],
    sha256: &[u8; 32],
    sm3: Option<&[u8; 32]>,
    sm2_id: &str,
) -> Result<CmsSignature, PkiError> {
    verify_signed_data(cms, Signed::DetachedDigests { sha256, sm3 }, sm2_id).map(|(s, _)| s)
}

/// What a SignedData signs.
pub(crate) enum Signed<'a> {
    /// A document held elsewhere (detached signature); content type data.
    Detached(&'a [u8]),
    /// A document known only by its digests (detached signature with signed
    /// attributes); content type data.
    DetachedDigests {
        /// Its SHA-256.
        sha256: &'a [u8; 32],
        /// Its SM3, when known.
        sm3: Option<&'a [u8; 32]>,
    },
    /// Content inside the message, of this type (e.g. an RFC 3161 TSTInfo).
    Encapsulated(ObjectIdentifier),
}

/// Verifies a CMS SignedData; returns the signature and the signed content.
pub(crate) fn verify_signed_data(
    cms: &[u8],
    signed: Signed<'_>,
    sm2_id: &str,
) -> Result<(CmsSignature, Vec<u8>), PkiError> {
    use cms::content_info::ContentInfo;
    use cms::signed_data::{SignedData, SignerIdentifier};
    let parse = |e: der::Error| PkiError::Parse(format!("CMS: {e}"));
    if cms.len() > MAX_CMS_BYTES {
        return Err(PkiError::Parse("CMS message larger than 1 MiB".into()));
    }
    let ci = ContentInfo::from_der(cms).map_err(parse)?;
    if ci.content_type != cms_oid::SIGNED_DATA && ci.content_type != cms_oid::SM2_SIGNED_DATA {
        return Err(PkiError::Parse(format!(
            "CMS content type {} is not signedData",
            ci.content_type
        )));
    }
    let sd: SignedData = ci.content.decode_as().map_err(parse)?;
    let econtent_type = sd.encap_content_info.econtent_type;
    let content: Vec<u8> = match (&signed, &sd.encap_content_info.econtent) {
        (Signed::Detached(_) | Signed::DetachedDigests { .. }, None) => {
            if econtent_type != cms_oid::DATA && econtent_type != cms_oid::SM2_DATA {
                return Err(PkiError::Parse(format!(
                    "encapsulated content type {econtent_type} is not data"
                )));
            }
            match signed {
                Signed::Detached(doc) => doc.to_vec(),
                _ => Vec::new(),
            }
        }
        (Signed::Detached(_) | Signed::DetachedDigests { .. }, Some(_)) => {
            return Err(PkiError::Parse(
                "the CMS signature is not detached (it carries content)".into(),
            ));
        }
        (Signed::Encapsulated(want), Some(any)) => {
            if econtent_type != *want {
                return Err(PkiError::Parse(format!(
                    "content type {econtent_type}, expected {want}"
                )));
            }
            let os: der::asn1::OctetString = any.decode_as().map_err(parse)?;
            os.as_bytes().to_vec()
        }
        (Signed::Encapsulated(_), None) => {
            return Err(PkiError::Parse("no encapsulated content".into()));
        }
    };
    let mut certificates = Vec::new();
    for c in sd.certificates.iter().flat_map(|s| s.0.iter()) {
        if let cms::cert::CertificateChoices::Certificate(cert) = c {
            certificates.push(Cert::from_der(&cert.to_der().map_err(parse)?)?);
        }
    }
    let infos: Vec<_> = sd.signer_infos.0.iter().collect();
    let [si] = infos.as_slice() else {
        return Err(PkiError::Parse(format!("expected one signer, found {}", infos.len())));
    };
    let signer = certificates
        .iter()
        .find(|c| match &si.sid {
            SignerIdentifier::IssuerAndSerialNumber(ias) => {
                let tbs = c.x509().tbs_certificate();
                *tbs.issuer() == ias.issuer
                    && tbs.serial_number().as_bytes() == ias.serial_number.as_bytes()
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => c
                .x509()
                .tbs_certificate()
                .get_extension::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
                .ok()
                .flatten()
                .is_some_and(|(_, k)| k == *ski),
        })
        .cloned()
        .ok_or_else(|| PkiError::Parse("the signer's certificate is not in the message".into()))?;
    // Every algorithm field must agree with the others and with the key, so
    // that no field of the message says something the signature does not.
    let sig_alg = si.signature_algorithm.oid;
    let sig_alg_ok = match signer.key_alg()? {
        KeyAlg::Rsa => sig_alg == oid::RSA || sig_alg == oid::RSA_SHA256,
        KeyAlg::EcdsaP256 => sig_alg == oid::ECDSA_SHA256,
        KeyAlg::Ed25519 => sig_alg == oid::ED25519,
        KeyAlg::Sm2 => sig_alg == oid::SM2_SM3 || sig_alg == cms_oid::SM2_SIGN,
    };
    if !sig_alg_ok {
        return Err(PkiError::Algorithm(format!("CMS signature algorithm {sig_alg} for this key")));
    }
    // Parameters: absent, or NULL where the algorithm allows it; nothing else.
    let null_or_absent = |p: &Option<der::Any>| {
        p.as_ref().is_none_or(|a| a.tag() == der::Tag::Null && a.value().is_empty())
    };
    if !null_or_absent(&si.signature_algorithm.parameters)
        || !null_or_absent(&si.digest_alg.parameters)
    {
        return Err(PkiError::Parse("unexpected algorithm parameters".into()));
    }
    // Versions as RFC 5652 computes them for this shape of message.
    let want_si = match si.sid {
        SignerIdentifier::IssuerAndSerialNumber(_) => cms::content_info::CmsVersion::V1,
        SignerIdentifier::SubjectKeyIdentifier(_) => cms::content_info::CmsVersion::V3,
    };
    // SignedData is v3 when the content is not plain data or a signer is v3.
    let plain = econtent_type == cms_oid::DATA || econtent_type == cms_oid::SM2_DATA;
    let want_sd = if plain { want_si } else { cms::content_info::CmsVersion::V3 };
    if si.version != want_si || sd.version != want_sd {
        return Err(PkiError::Parse("unexpected CMS version".into()));
    }
    // One signer, so exactly its digest algorithm, with the same parameters.
    let listed: Vec<_> = sd.digest_algorithms.iter().collect();
    if listed.len() != 1
        || listed[0].oid != si.digest_alg.oid
        || !null_or_absent(&listed[0].parameters)
    {
        return Err(PkiError::Parse(
            "the message's digest algorithms are not exactly the signer's".into(),
        ));
    }

    // One encoding per message: DER, as re-encoding gives it back.
    if ci.to_der().map_err(parse)? != cms {
        return Err(PkiError::Parse("the CMS message is not DER".into()));
    }
    let signature = si.signature.as_bytes();
    let mut claimed_time_ms = None;
    let signed_attributes = si.signed_attrs.is_some();
    match &si.signed_attrs {
        None if matches!(signed, Signed::Encapsulated(_)) => {
            return Err(PkiError::Parse("signed attributes are required for this content".into()));
        }
        None if matches!(signed, Signed::DetachedDigests { .. }) => {
            return Err(PkiError::Parse(
                "a CMS signature without signed attributes signs the document itself, which the \
                 ledger never holds; sign with signed attributes (openssl cms without -noattr)"
                    .into(),
            ));
        }
        None => signer.verify(&content, signature, sm2_id)?,
        Some(attrs) => {
            let mut digest_ok = false;
            let mut type_ok = false;
            for a in attrs.iter() {
                let value = a.values.iter().next();
                if a.oid == cms_oid::MESSAGE_DIGEST {
                    let v: der::asn1::OctetString = value
                        .ok_or_else(|| PkiError::Parse("empty message-digest".into()))?
                        .decode_as()
                        .map_err(parse)?;
                    let want = match &signed {
                        Signed::DetachedDigests { sha256, sm3 } => {
                            let alg = si.digest_alg.oid;
                            if alg == cms_oid::SHA256 {
                                sha256.to_vec()
                            } else if alg == cms_oid::SM3 {
                                sm3.ok_or_else(|| {
                                    PkiError::Parse(
                                        "the signature digests with SM3 but the document's SM3 \
                                         is not given"
                                            .into(),
                                    )
                                })?
                                .to_vec()
                            } else {
                                return Err(PkiError::Algorithm(format!(
                                    "digest {alg} (documents are known by SHA-256 and SM3)"
                                )));
                            }
                        }
                        _ => digest(&si.digest_alg.oid, &content)?,
                    };
                    if v.as_bytes() != want.as_slice() {
                        return Err(PkiError::BadSignature { subject: signer.subject() });
                    }
                    digest_ok = true;
                } else if a.oid == cms_oid::CONTENT_TYPE {
                    let t: ObjectIdentifier = value
                        .ok_or_else(|| PkiError::Parse("empty content-type".into()))?
                        .decode_as()
                        .map_err(parse)?;
                    type_ok = t == econtent_type;
                } else if a.oid == cms_oid::SIGNING_TIME
                    && let Some(v) = value
                {
                    let t: x509_cert::time::Time = v.decode_as().map_err(parse)?;
                    claimed_time_ms = Some(ms(&t));
                }
            }
            if !digest_ok || !type_ok {
                return Err(PkiError::Parse(
                    "signed attributes lack a message-digest or data content-type".into(),
                ));
            }
            // The signature covers the attributes DER-encoded as a SET.
            let signed = attrs.to_der().map_err(parse)?;
            signer.verify(&signed, signature, sm2_id)?;
        }
    }
    Ok((CmsSignature { signer, certificates, claimed_time_ms, signed_attributes }, content))
}
