//! RFC 3161 / GB/T 20520 trusted timestamps, verified offline: the token's
//! CMS signature, the TSTInfo it signs, the imprint against a digest (SHA-256
//! or SM3), and the TSA certificate (the critical timeStamping extended key
//! usage, and its chain to a TSA root).
//!
//! The RFC 3161 structures are declared here with `der` derive (the
//! published `x509-tsp` crate is on an older `der` generation); parsing and
//! signatures are RustCrypto's.

use der::Decode as _;
use der::asn1::{GeneralizedTime, Int, OctetString};
use der::{Enumerated, Sequence};
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier};
use x509_cert::ext::pkix::ExtendedKeyUsage;

use crate::pki::{Cert, PkiError, SM2_DEFAULT_ID, Signed, TrustStore, verify_signed_data};

/// id-ct-TSTInfo.
pub const TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// id-kp-timeStamping.
pub const TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
/// SHA-256, as a message imprint's hash algorithm.
pub const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// SM3, as a message imprint's hash algorithm.
pub const SM3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.401");

/// `MessageImprint ::= SEQUENCE { hashAlgorithm, hashedMessage }`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct MessageImprint {
    /// The hash algorithm.
    pub hash_algorithm: AlgorithmIdentifierOwned,
    /// The hash.
    pub hashed_message: OctetString,
}

/// `Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0], micros [1] }`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct Accuracy {
    /// Whole seconds.
    #[asn1(optional = "true")]
    pub seconds: Option<u64>,
    /// Milliseconds, 1..999.
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub millis: Option<u16>,
    /// Microseconds, 1..999.
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub micros: Option<u16>,
}

impl Accuracy {
    /// The accuracy in milliseconds, rounded up.
    pub fn as_ms(&self) -> u64 {
        // Saturating: a token may state any accuracy; it must not overflow.
        self.seconds
            .unwrap_or(0)
            .saturating_mul(1000)
            .saturating_add(u64::from(self.millis.unwrap_or(0)))
            .saturating_add(u64::from(self.micros.unwrap_or(0)).div_ceil(1000))
    }
}

/// `TSTInfo` (RFC 3161 §2.4.2).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TstInfo {
    /// Version, 1.
    pub version: u8,
    /// The TSA's policy.
    pub policy: ObjectIdentifier,
    /// What was stamped.
    pub message_imprint: MessageImprint,
    /// The token's serial number.
    pub serial_number: Int,
    /// When.
    pub gen_time: GeneralizedTime,
    /// How precisely.
    #[asn1(optional = "true")]
    pub accuracy: Option<Accuracy>,
    /// Whether tokens of this TSA are ordered.
    #[asn1(default = "Default::default")]
    pub ordering: bool,
    /// The requester's nonce.
    #[asn1(optional = "true")]
    pub nonce: Option<Int>,
    /// The TSA's name.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub tsa: Option<x509_cert::ext::pkix::name::GeneralName>,
    /// Extensions.
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<x509_cert::ext::Extensions>,
}

/// `PKIStatus`.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Enumerated)]
#[asn1(type = "INTEGER")]
#[repr(u8)]
#[allow(missing_docs)]
pub enum PkiStatus {
    Granted = 0,
    GrantedWithMods = 1,
    Rejection = 2,
    Waiting = 3,
    RevocationWarning = 4,
    RevocationNotification = 5,
}

/// `PKIStatusInfo` (only the status is read).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct PkiStatusInfo {
    /// The status.
    pub status: PkiStatus,
    /// Free text.
    #[asn1(optional = "true")]
    pub status_string: Option<der::Any>,
    /// Failure bits.
    #[asn1(optional = "true")]
    pub fail_info: Option<der::asn1::BitString>,
}

/// `TimeStampResp ::= SEQUENCE { status, timeStampToken OPTIONAL }`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TimeStampResp {
    /// The status.
    pub status: PkiStatusInfo,
    /// The token: a CMS ContentInfo.
    #[asn1(optional = "true")]
    pub time_stamp_token: Option<der::Any>,
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TspError {
    /// Not a token or response we can read.
    #[error("couldn't parse timestamp: {0}")]
    Parse(String),
    /// The TSA refused the request.
    #[error("the TSA did not grant the timestamp (status {0:?})")]
    NotGranted(PkiStatus),
    /// The token stamps another digest.
    #[error("the timestamp is over another digest")]
    Imprint,
    /// The token's signature or certificate does not check out.
    #[error(transparent)]
    Pki(#[from] PkiError),
    /// The TSA certificate may not issue timestamps.
    #[error("the TSA certificate of {0} lacks the critical timeStamping extended key usage")]
    NotATsa(String),
}

/// `TimeStampReq` (RFC 3161 §2.4.1), as a client sends it: version 1, the
/// imprint, a nonce, and `certReq` so the reply carries the TSA certificate.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TimeStampReq {
    /// Version, 1.
    pub version: u8,
    /// What to stamp.
    pub message_imprint: MessageImprint,
    /// The policy asked for, if any.
    #[asn1(optional = "true")]
    pub req_policy: Option<ObjectIdentifier>,
    /// A nonce the token must echo.
    #[asn1(optional = "true")]
    pub nonce: Option<Int>,
    /// Whether the TSA certificate is wanted in the token.
    #[asn1(default = "Default::default")]
    pub cert_req: bool,
}

impl TimeStampReq {
    /// A request for `digest` (SHA-256 or SM3 by `alg`) with `nonce`.
    pub fn new(digest: &[u8; 32], alg: ObjectIdentifier, nonce: u64) -> Result<Self, TspError> {
        let p = |e: der::Error| TspError::Parse(e.to_string());
        Ok(TimeStampReq {
            version: 1,
            message_imprint: MessageImprint {
                hash_algorithm: AlgorithmIdentifierOwned { oid: alg, parameters: None },
                hashed_message: OctetString::new(digest.to_vec()).map_err(p)?,
            },
            req_policy: None,
            nonce: Some(nonce_int(nonce)?),
            cert_req: true,
        })
    }
}

/// `n` as a DER INTEGER in its shortest form. `Int::new` keeps leading zero
/// bytes, and a TSA rejects a request whose nonce is not minimally encoded
/// (OpenSSL answers "rejection"), so the value goes through `u64`'s own
/// encoding.
fn nonce_int(n: u64) -> Result<Int, TspError> {
    use der::Encode as _;
    let p = |e: der::Error| TspError::Parse(e.to_string());
    Int::from_der(&n.to_der().map_err(p)?).map_err(p)
}

/// A verified timestamp.
#[derive(Clone, Debug)]
pub struct Timestamp {
    /// The signed TSTInfo.
    pub info: TstInfo,
    /// `genTime`, ms since the epoch.
    pub time_ms: u64,
    /// The accuracy, ms (0 when the token gives none).
    pub accuracy_ms: u64,
    /// The TSA's certificate.
    pub tsa: Cert,
}

/// Extracts the token from a `TimeStampResp`, checking the TSA granted it.
pub fn token_from_response(resp: &[u8]) -> Result<Vec<u8>, TspError> {
    let r = TimeStampResp::from_der(resp).map_err(|e| TspError::Parse(e.to_string()))?;
    match r.status.status {
        PkiStatus::Granted | PkiStatus::GrantedWithMods => {}
        other => return Err(TspError::NotGranted(other)),
    }
    let token = r.time_stamp_token.ok_or_else(|| TspError::Parse("no token".into()))?;
    der::Encode::to_der(&token).map_err(|e| TspError::Parse(e.to_string()))
}

/// Verifies a timestamp token over `digest` (a SHA-256 or SM3 hash of the
/// stamped data): the CMS signature, the imprint, the TSA certificate's
/// critical timeStamping EKU, and its chain to `tsa_roots` at the stamp's time.
pub fn verify_token(
    token: &[u8],
    digest: &[u8],
    tsa_roots: &TrustStore,
) -> Result<Timestamp, TspError> {
    let (sig, content) = verify_signed_data(token, Signed::Encapsulated(TST_INFO), SM2_DEFAULT_ID)?;
    let info = TstInfo::from_der(&content).map_err(|e| TspError::Parse(format!("TSTInfo: {e}")))?;
    if info.version != 1 {
        return Err(TspError::Parse(format!("TSTInfo version {}", info.version)));
    }
    let alg = info.message_imprint.hash_algorithm.oid;
    let want_len = if alg == SHA256 || alg == SM3 { 32 } else { 0 };
    if want_len == 0 {
        return Err(TspError::Parse(format!("imprint hash algorithm {alg}")));
    }
    if info.message_imprint.hashed_message.as_bytes() != digest {
        return Err(TspError::Imprint);
    }
    // RFC 3161 §2.3: the TSA certificate's only extended key usage is
    // timeStamping, and the extension is critical.
    let eku = sig
        .signer
        .x509()
        .tbs_certificate()
        .get_extension::<ExtendedKeyUsage>()
        .map_err(|e| TspError::Parse(e.to_string()))?;
    match eku {
        Some((true, ExtendedKeyUsage(usages))) if usages == [TIME_STAMPING] => {}
        _ => return Err(TspError::NotATsa(sig.signer.subject())),
    }
    let time_ms = info.gen_time.to_unix_duration().as_millis() as u64;
    tsa_roots.chain(&sig.signer, &sig.certificates, time_ms)?;
    let accuracy_ms = info.accuracy.as_ref().map_or(0, Accuracy::as_ms);
    Ok(Timestamp { info, time_ms, accuracy_ms, tsa: sig.signer })
}
