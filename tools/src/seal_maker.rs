//! A GB/T 38540-2020 (v4) e-seal maker for the demo and the benchmarks: the
//! demo's seal authority makes each trader's unit seal (`SESeal`, signed by
//! the maker's SM2 key) and the trader applies it to a document
//! (`SES_Signature`, signed by the trader's SM2 key over `TBS_Sign`, with
//! `dataHash` the document's SM3).
//!
//! Not a production seal system: real seals come from a licensed seal
//! platform. The structures are declared with `der`'s derive, so the
//! encoding is the library's; the tests check these seals with an
//! independent encoder's (`tests/py/make_seal.py`) beside them.

use der::Encode as _;
use der::asn1::{BitString, GeneralizedTime, Ia5String, ObjectIdentifier, OctetString};
use signature::Signer as _;

/// SM2-with-SM3 (GM/T 0006).
const SM2_SM3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.501");

#[derive(der::Sequence)]
struct Header {
    id: Ia5String,
    version: i64,
    vid: Ia5String,
}

#[derive(der::Sequence)]
struct PropertyInfo {
    seal_type: i64,
    name: String,
    cert_list_type: i64,
    cert_list: Vec<OctetString>,
    create_date: GeneralizedTime,
    valid_start: GeneralizedTime,
    valid_end: GeneralizedTime,
}

#[derive(der::Sequence)]
struct Picture {
    kind: Ia5String,
    data: OctetString,
    width: i64,
    height: i64,
}

#[derive(der::Sequence)]
struct SealInfo {
    header: Header,
    es_id: Ia5String,
    property: PropertyInfo,
    picture: Picture,
}

#[derive(der::Sequence)]
struct SeSeal {
    info: SealInfo,
    cert: OctetString,
    alg: ObjectIdentifier,
    signed_value: BitString,
}

#[derive(der::Sequence)]
struct TbsSign {
    version: i64,
    eseal: der::asn1::Any,
    time_info: GeneralizedTime,
    data_hash: BitString,
    property_info: Ia5String,
}

#[derive(der::Sequence)]
struct SesSignature {
    to_sign: TbsSign,
    cert: OctetString,
    alg: ObjectIdentifier,
    signature: BitString,
}

/// An SM2 key and its certificate.
pub(crate) struct Sm2Holder {
    /// The signing key (GM/T 0009 default ID).
    pub key: sm2::dsa::SigningKey,
    /// Its certificate, DER.
    pub cert: Vec<u8>,
}

/// A new SM2 key from the operating system's randomness, with its
/// SubjectPublicKeyInfo.
pub(crate) fn new_sm2_key() -> anyhow::Result<(sm2::SecretKey, spki::SubjectPublicKeyInfoOwned)> {
    use spki::EncodePublicKey as _;
    for _ in 0..64 {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        if let Ok(secret) = sm2::SecretKey::from_slice(&seed) {
            let der = secret.public_key().to_public_key_der()?;
            let spki = der::Decode::from_der(der.as_bytes())?;
            return Ok((secret, spki));
        }
    }
    anyhow::bail!("no valid SM2 scalar in 64 random draws")
}

/// A new SM2 key and a signing certificate for it issued by `ca`, valid
/// `not_before_ms`..`not_after_ms`; the secret is returned to be kept.
pub(crate) fn issue_sm2(
    ca: &ledger::issue::Issued,
    subject: &str,
    serial: u64,
    not_before_ms: u64,
    not_after_ms: u64,
) -> anyhow::Result<(sm2::SecretKey, Sm2Holder)> {
    let (secret, spki) = new_sm2_key()?;
    let cert = ledger::issue::leaf_for(
        &ca.key,
        &ca.der,
        spki,
        subject,
        serial,
        not_before_ms,
        not_after_ms,
        ledger::issue::LeafUsage::Signing,
    )?;
    let key = sm2::dsa::SigningKey::new(verifier::pki::SM2_DEFAULT_ID, &secret)?;
    Ok((secret, Sm2Holder { key, cert }))
}

fn gtime(ms: u64) -> anyhow::Result<GeneralizedTime> {
    Ok(GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(ms / 1000))?)
}

/// An 8×8 PNG of the seal's red, the picture every demo seal carries.
pub(crate) const PICTURE_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x08, 0x08, 0x02, 0x00, 0x00, 0x00, 0x4b, 0x6d, 0x29,
    0xdc, 0x00, 0x00, 0x00, 0x11, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x38, 0x23, 0x28, 0x88,
    0x15, 0x31, 0x0c, 0x2d, 0x09, 0x00, 0x6e, 0xe1, 0x3b, 0x81, 0x76, 0xb3, 0x0f, 0xb2, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// What a seal says about itself.
pub(crate) struct SealSpec<'a> {
    /// The vendor ID of the header.
    pub vid: &'a str,
    /// The seal's identifier (esID).
    pub es_id: &'a str,
    /// 印章类型 code (01 法定名称章, 05 法定代表人名章, …).
    pub seal_type: i64,
    /// 印章名称.
    pub name: &'a str,
    /// The certificates (DER) the seal may be used with.
    pub cert_list: Vec<Vec<u8>>,
    /// Made at, and valid from, this time (ms).
    pub create_ms: u64,
    /// Valid until (ms).
    pub valid_end_ms: u64,
}

/// Makes a v4 `SESeal`, signed by `maker` over DER(`SES_SealInfo`).
pub(crate) fn make_seal(spec: &SealSpec<'_>, maker: &Sm2Holder) -> anyhow::Result<Vec<u8>> {
    let info = SealInfo {
        header: Header { id: Ia5String::new("ES")?, version: 4, vid: Ia5String::new(spec.vid)? },
        es_id: Ia5String::new(spec.es_id)?,
        property: PropertyInfo {
            seal_type: spec.seal_type,
            name: spec.name.to_owned(),
            cert_list_type: 1,
            cert_list: spec
                .cert_list
                .iter()
                .map(|c| OctetString::new(c.clone()))
                .collect::<Result<_, _>>()?,
            create_date: gtime(spec.create_ms)?,
            valid_start: gtime(spec.create_ms)?,
            valid_end: gtime(spec.valid_end_ms)?,
        },
        picture: Picture {
            kind: Ia5String::new("PNG")?,
            data: OctetString::new(PICTURE_PNG)?,
            width: 40,
            height: 40,
        },
    };
    let tbs = info.to_der()?;
    let sig: sm2::dsa::Signature = maker.key.sign(&tbs);
    let seal = SeSeal {
        info,
        cert: OctetString::new(maker.cert.clone())?,
        alg: SM2_SM3,
        signed_value: BitString::from_bytes(&sig.to_der().to_bytes())?,
    };
    Ok(seal.to_der()?)
}

/// Applies `seal` (a `SESeal` DER) to a document whose SM3 is `sm3`: a v4
/// `SES_Signature` signed by `signer` at `time_ms`.
pub(crate) fn apply_seal(
    seal: &[u8],
    signer: &Sm2Holder,
    sm3: &[u8; 32],
    time_ms: u64,
    property: &str,
) -> anyhow::Result<Vec<u8>> {
    let tbs = TbsSign {
        version: 4,
        eseal: der::Decode::from_der(seal)?,
        time_info: gtime(time_ms)?,
        data_hash: BitString::from_bytes(sm3)?,
        property_info: Ia5String::new(property)?,
    };
    let sig: sm2::dsa::Signature = signer.key.sign(&tbs.to_der()?);
    let s = SesSignature {
        to_sign: tbs,
        cert: OctetString::new(signer.cert.clone())?,
        alg: SM2_SM3,
        signature: BitString::from_bytes(&sig.to_der().to_bytes())?,
    };
    Ok(s.to_der()?)
}
