//! The local RFC 3161 Time-Stamp Authority: **NOT ACCREDITED**.
//!
//! It stamps digests with the data directory's own P-256 key, under a root
//! made for it alone, so that a deployment (or a demonstration) without a
//! contract with an accredited TSA still gets tokens of the standard shape
//! that every RFC 3161 tool reads. Its tokens prove only what the operator of
//! this data directory says; they are no third-party evidence of time. Every
//! name it gives itself says so: both certificate subjects contain
//! [`NAME`] and its policy is [`LOCAL_POLICY`].
//!
//! Files, in `DIR/tsa/`:
//!
//! | file | what |
//! |---|---|
//! | `tsa.key` | the TSA's P-256 key, PKCS#8 DER, mode 0600 |
//! | `tsa.der` | the TSA certificate (critical extendedKeyUsage timeStamping) |
//! | `tsa-root.der` | the root that issued it, also added to `DIR/trust/tsa/` |
//!
//! The root's key is discarded once the TSA certificate is issued: nothing
//! else can ever chain to that root.
//!
//! A token ([`LocalTsa::stamp`]) is a DER CMS ContentInfo (signedData v3)
//! encapsulating a TSTInfo (v1, policy [`LOCAL_POLICY`], a SHA-256 or SM3
//! message imprint, a random 126-bit serial number, genTime in whole seconds
//! with an accuracy of 1 s, no nonce, the TSA named by its certificate
//! subject), signed by one SignerInfo (v1, issuer and serial number,
//! SHA-256, ecdsa-with-SHA256) over the signed attributes contentType,
//! messageDigest, signingTime and ESS signingCertificateV2 (RFC 5035), and
//! carrying the TSA certificate. Each token is checked with
//! [`verifier::tsp::verify_token`] before it is handed out.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{GeneralizedTime, Int, OctetString, SetOfVec};
use der::{Any, DateTime, Decode as _, Encode as _, Sequence};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use sha2::{Digest as _, Sha256};
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
use verifier::pki::{Cert, TrustStore};
use verifier::tsp::{
    Accuracy, MessageImprint, PkiStatus, PkiStatusInfo, TST_INFO, TimeStampResp, TstInfo,
};
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;

use crate::error::{LedgerError, Result};
use crate::issue::{self, LeafUsage};

/// How the local TSA names itself, in both certificate subjects.
pub const NAME: &str = "tenderlog local TSA (not accredited)";

/// The TSA certificate's subject.
pub const SUBJECT: &str = "CN=tenderlog local TSA (not accredited),O=tenderlog (not accredited)";

/// The TSA root's subject.
pub const ROOT_SUBJECT: &str =
    "CN=tenderlog local TSA (not accredited) root,O=tenderlog (not accredited)";

/// The TSA policy of every local token: "stamped by a tenderlog data
/// directory's own, not accredited, TSA". A private-arc OID that no
/// accredited TSA uses; a verifier that wants accredited time refuses it.
pub const LOCAL_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1");

/// How long the TSA certificates are valid: ten years (with leap days) from
/// creation, starting one day before it to allow for clock skew.
pub const VALIDITY_MS: u64 = 3653 * DAY_MS;

const DAY_MS: u64 = 86_400_000;

const KEY_FILE: &str = "tsa.key";
const CERT_FILE: &str = "tsa.der";
const ROOT_FILE: &str = "tsa-root.der";

const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const SHA256_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SM3_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.401");
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
/// id-aa-signingCertificateV2 (RFC 5035).
const SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");

/// The hash algorithm of the stamped digest (the message imprint).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImprintAlg {
    /// SHA-256 (parameters absent, RFC 5754).
    Sha256,
    /// SM3 (GB/T 32905; parameters absent).
    Sm3,
}

impl ImprintAlg {
    fn oid(self) -> ObjectIdentifier {
        match self {
            ImprintAlg::Sha256 => SHA256_OID,
            ImprintAlg::Sm3 => SM3_OID,
        }
    }
}

/// `ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash,
/// issuerSerial OPTIONAL }` (RFC 5035 §4). The hash is always SHA-256, so
/// `hashAlgorithm` is always absent (DER omits a default).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct EssCertIdV2 {
    #[asn1(optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierOwned>,
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<IssuerSerial>,
}

/// `IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber }`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct IssuerSerial {
    issuer: Vec<GeneralName>,
    serial_number: SerialNumber,
}

/// `SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2,
/// policies OPTIONAL }` (policies never given).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

/// The folder of the local TSA inside a data directory.
pub fn tsa_dir(dir: &Path) -> PathBuf {
    dir.join("tsa")
}

/// Whether `dir` has a local TSA folder (which [`create`] then refuses).
pub fn exists(dir: &Path) -> bool {
    tsa_dir(dir).exists()
}

/// The local, not accredited, Time-Stamp Authority of a data directory.
pub struct LocalTsa {
    key: SigningKey,
    cert: Certificate,
    cert_der: Vec<u8>,
    root_der: Vec<u8>,
    /// The root alone, for checking each token before it is handed out.
    trust: TrustStore,
}

impl std::fmt::Debug for LocalTsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTsa")
            .field("subject", &self.cert.tbs_certificate().subject().to_string())
            .finish_non_exhaustive()
    }
}

fn random_bytes<const N: usize>(what: &'static str) -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| LedgerError::Issue {
        what,
        reason: format!("no randomness from the operating system: {e}"),
    })?;
    Ok(b)
}

fn write_new(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    let io = |source| LedgerError::Io { action: "write", path: path.to_owned(), source };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)
}

fn read(path: &Path, action: &'static str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| LedgerError::Io { action, path: path.to_owned(), source })
}

/// Creates the local TSA of `dir`: a new root, a new TSA key and its
/// certificate, valid from one day before `now_ms` for [`VALIDITY_MS`]; the
/// root is added to the TSA trust roots (`DIR/trust/tsa/`). Refused when
/// `DIR/tsa` already exists.
///
/// The files are written to a temporary folder renamed into place last, so
/// an interrupted `create` leaves no TSA that [`load`] would accept.
pub fn create(dir: &Path, now_ms: u64) -> Result<LocalTsa> {
    let folder = tsa_dir(dir);
    if folder.exists() {
        return Err(LedgerError::Io {
            action: "create the local TSA in",
            path: folder,
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "a local TSA already exists there",
            ),
        });
    }
    let not_before = now_ms.saturating_sub(DAY_MS);
    let not_after = now_ms.checked_add(VALIDITY_MS).ok_or_else(|| LedgerError::Issue {
        what: "the local TSA",
        reason: format!("time {now_ms} ms is too late"),
    })?;
    let root = issue::Issued::root(ROOT_SUBJECT, not_before, not_after)?;
    let key = issue::new_key()?;
    let serial = u64::from_be_bytes(random_bytes("a certificate serial number")?) >> 1;
    let cert_der = issue::leaf(
        &root.key,
        &root.der,
        key.verifying_key(),
        SUBJECT,
        serial.max(1),
        not_before,
        not_after,
        LeafUsage::TimeStamping,
    )?;
    drop(root.key);
    let pkcs8 = key.to_pkcs8_der().map_err(|e| LedgerError::Issue {
        what: "the local TSA key file",
        reason: e.to_string(),
    })?;

    std::fs::create_dir_all(dir).map_err(|source| LedgerError::Io {
        action: "create data directory",
        path: dir.to_owned(),
        source,
    })?;
    let tmp = dir.join(format!(".tsa.tmp-{}", hex::encode(random_bytes::<8>("a folder name")?)));
    std::fs::create_dir(&tmp).map_err(|source| LedgerError::Io {
        action: "create folder",
        path: tmp.clone(),
        source,
    })?;
    let staged = (|| {
        write_new(&tmp.join(KEY_FILE), pkcs8.as_bytes(), true)?;
        write_new(&tmp.join(CERT_FILE), &cert_der, false)?;
        write_new(&tmp.join(ROOT_FILE), &root.der, false)?;
        let tsa = from_parts(&tmp, key, cert_der, root.der.clone())?;
        crate::trust::add_tsa(dir, &root.der)?;
        std::fs::rename(&tmp, &folder).map_err(|source| LedgerError::Io {
            action: "move the local TSA into",
            path: folder.clone(),
            source,
        })?;
        Ok(tsa)
    })();
    if staged.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    staged
}

/// Loads the local TSA of `dir`, checking that the key is the certificate's
/// and that the root issued the certificate.
pub fn load(dir: &Path) -> Result<LocalTsa> {
    let folder = tsa_dir(dir);
    let key_path = folder.join(KEY_FILE);
    let key_bytes = read(&key_path, "read the local TSA key")?;
    let key = SigningKey::from_pkcs8_der(&key_bytes).map_err(|e| LedgerError::Key {
        path: key_path.clone(),
        reason: format!("not a PKCS#8 P-256 key: {e}"),
    })?;
    let cert_der = read(&folder.join(CERT_FILE), "read the local TSA certificate")?;
    let root_der = read(&folder.join(ROOT_FILE), "read the local TSA root")?;
    from_parts(&folder, key, cert_der, root_der)
}

fn from_parts(
    folder: &Path,
    key: SigningKey,
    cert_der: Vec<u8>,
    root_der: Vec<u8>,
) -> Result<LocalTsa> {
    let bad = |file: &str, reason: String| LedgerError::Key { path: folder.join(file), reason };
    let cert = Cert::from_der(&cert_der).map_err(|e| bad(CERT_FILE, e.to_string()))?;
    let root = Cert::from_der(&root_der).map_err(|e| bad(ROOT_FILE, e.to_string()))?;
    let spki = SubjectPublicKeyInfoOwned::from_key(key.verifying_key())
        .map_err(|e| bad(KEY_FILE, e.to_string()))?;
    if *cert.x509().tbs_certificate().subject_public_key_info() != spki {
        return Err(bad(KEY_FILE, format!("not the key of {CERT_FILE}")));
    }
    cert.verify_issued_by(&root).map_err(|e| bad(CERT_FILE, e.to_string()))?;
    let x509 = cert.x509().clone();
    let trust = TrustStore::new(vec![root]).map_err(|e| bad(ROOT_FILE, e.to_string()))?;
    Ok(LocalTsa { key, cert: x509, cert_der, root_der, trust })
}

impl LocalTsa {
    /// The TSA root certificate, DER.
    pub fn root_der(&self) -> &[u8] {
        &self.root_der
    }

    /// The TSA certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// A DER RFC 3161 TimeStampToken over `digest` (a hash by `alg`) at
    /// `now_ms` (UTC ms; genTime keeps whole seconds, accuracy 1 s). Refused
    /// when the TSA certificate is not valid at `now_ms`.
    pub fn stamp(&self, digest: &[u8; 32], alg: ImprintAlg, now_ms: u64) -> Result<Vec<u8>> {
        let bad = |reason: String| LedgerError::Issue { what: "a timestamp", reason };
        let enc = |e: der::Error| bad(e.to_string());
        let tbs = self.cert.tbs_certificate();
        let v = tbs.validity();
        let (nb, na) = (
            v.not_before.to_unix_duration().as_millis(),
            v.not_after.to_unix_duration().as_millis(),
        );
        if u128::from(now_ms) < nb || u128::from(now_ms) > na {
            return Err(bad(format!(
                "the local TSA certificate is not valid at {now_ms} ms (valid {nb}..{na})"
            )));
        }
        let secs = Duration::from_secs(now_ms / 1000);

        let mut serial = random_bytes::<16>("a timestamp serial number")?;
        // Positive, minimal, 16 bytes: 126 random bits.
        serial[0] = (serial[0] & 0x3f) | 0x40;
        let info = TstInfo {
            version: 1,
            policy: LOCAL_POLICY,
            message_imprint: MessageImprint {
                hash_algorithm: AlgorithmIdentifierOwned { oid: alg.oid(), parameters: None },
                hashed_message: OctetString::new(digest.as_slice()).map_err(enc)?,
            },
            serial_number: Int::new(&serial).map_err(enc)?,
            gen_time: GeneralizedTime::from_unix_duration(secs).map_err(enc)?,
            accuracy: Some(Accuracy { seconds: Some(1), millis: None, micros: None }),
            ordering: false,
            nonce: None,
            tsa: Some(GeneralName::DirectoryName(tbs.subject().clone())),
            extensions: None,
        };
        let info_der = info.to_der().map_err(enc)?;

        let attr = |oid: ObjectIdentifier, value: Any| -> Result<Attribute> {
            Ok(Attribute { oid, values: SetOfVec::try_from(vec![value]).map_err(enc)? })
        };
        let ess = SigningCertificateV2 {
            certs: vec![EssCertIdV2 {
                hash_algorithm: None,
                cert_hash: OctetString::new(Sha256::digest(&self.cert_der).as_slice())
                    .map_err(enc)?,
                issuer_serial: Some(IssuerSerial {
                    issuer: vec![GeneralName::DirectoryName(tbs.issuer().clone())],
                    serial_number: tbs.serial_number().clone(),
                }),
            }],
        };
        let signing_time = Time::from(DateTime::from_unix_duration(secs).map_err(enc)?);
        let attrs = SetOfVec::try_from(vec![
            attr(CONTENT_TYPE, Any::encode_from(&TST_INFO).map_err(enc)?)?,
            attr(
                MESSAGE_DIGEST,
                Any::encode_from(
                    &OctetString::new(Sha256::digest(&info_der).as_slice()).map_err(enc)?,
                )
                .map_err(enc)?,
            )?,
            attr(SIGNING_TIME, Any::encode_from(&signing_time).map_err(enc)?)?,
            attr(SIGNING_CERTIFICATE_V2, Any::encode_from(&ess).map_err(enc)?)?,
        ])
        .map_err(enc)?;
        // RFC 5652 §5.4: the signature covers the DER of the attributes as a SET OF.
        let signature: DerSignature = self
            .key
            .try_sign(&attrs.to_der().map_err(enc)?)
            .map_err(|e| bad(format!("signing: {e}")))?;

        let sha256 = AlgorithmIdentifierOwned { oid: SHA256_OID, parameters: None };
        let signer = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: tbs.issuer().clone(),
                serial_number: tbs.serial_number().clone(),
            }),
            digest_alg: sha256.clone(),
            signed_attrs: Some(attrs),
            signature_algorithm: AlgorithmIdentifierOwned { oid: ECDSA_SHA256, parameters: None },
            signature: OctetString::new(signature.as_bytes()).map_err(enc)?,
            unsigned_attrs: None,
        };
        let signed_data = SignedData {
            version: CmsVersion::V3,
            digest_algorithms: SetOfVec::try_from(vec![sha256]).map_err(enc)?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: TST_INFO,
                econtent: Some(
                    Any::encode_from(&OctetString::new(info_der).map_err(enc)?).map_err(enc)?,
                ),
            },
            certificates: Some(CertificateSet(
                SetOfVec::try_from(vec![CertificateChoices::Certificate(self.cert.clone())])
                    .map_err(enc)?,
            )),
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer]).map_err(enc)?),
        };
        let token = ContentInfo {
            content_type: SIGNED_DATA,
            content: Any::encode_from(&signed_data).map_err(enc)?,
        }
        .to_der()
        .map_err(enc)?;

        // Never hand out a token the project's own verifier would refuse.
        verifier::tsp::verify_token(&token, digest, &self.trust)
            .map_err(|e| bad(format!("the new token does not verify: {e}")))?;
        Ok(token)
    }

    /// A DER RFC 3161 TimeStampResp (status granted) carrying `token`, as an
    /// HTTP TSA endpoint answers.
    pub fn response(&self, token: &[u8]) -> Result<Vec<u8>> {
        let bad = |e: der::Error| LedgerError::Issue {
            what: "a timestamp response",
            reason: e.to_string(),
        };
        TimeStampResp {
            status: PkiStatusInfo {
                status: PkiStatus::Granted,
                status_string: None,
                fail_info: None,
            },
            time_stamp_token: Some(Any::from_der(token).map_err(bad)?),
        }
        .to_der()
        .map_err(bad)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const NOW: u64 = 1_767_225_600_123; // 2026-01-01T00:00:00.123Z

    #[test]
    fn create_load_stamp() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!exists(dir.path()));
        let tsa = create(dir.path(), NOW).unwrap();
        assert!(exists(dir.path()));
        assert!(create(dir.path(), NOW).is_err());
        let loaded = load(dir.path()).unwrap();
        assert_eq!(loaded.cert_der(), tsa.cert_der());
        assert_eq!(loaded.root_der(), tsa.root_der());
        let roots = crate::trust::load_tsa(dir.path()).unwrap();
        assert_eq!(roots.roots().len(), 1);

        let digest = [7u8; 32];
        for alg in [ImprintAlg::Sha256, ImprintAlg::Sm3] {
            let token = loaded.stamp(&digest, alg, NOW + 5).unwrap();
            let ts = verifier::tsp::verify_token(&token, &digest, &roots).unwrap();
            assert_eq!(ts.time_ms, NOW / 1000 * 1000);
            assert_eq!(ts.accuracy_ms, 1000);
            assert_eq!(ts.info.policy, LOCAL_POLICY);
            assert!(ts.tsa.subject().contains(NAME));
            let resp = loaded.response(&token).unwrap();
            assert_eq!(verifier::tsp::token_from_response(&resp).unwrap(), token);
        }
        assert!(tsa.stamp(&digest, ImprintAlg::Sha256, NOW + VALIDITY_MS + 1).is_err());
        assert!(tsa.stamp(&digest, ImprintAlg::Sha256, NOW - 2 * DAY_MS).is_err());
        // No stray staging folder.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.starts_with(".tsa.tmp")), "{names:?}");
    }
}
