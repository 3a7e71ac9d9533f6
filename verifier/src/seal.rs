//! Electronic seals, GB/T 38540-2020 ("v4") `SES_Signature` / `SESeal`:
//! parsed leniently, verified strictly, raw DER kept.
//!
//! Real files bend the standard (see `../shared/vectors/real-world/README.md`):
//! BER-encoded `critical FALSE` inside extension data, raw 64-byte `r‖s`
//! signatures, NULL or absent algorithm parameters. So the parser walks the
//! structures element by element with `der`'s reader and keeps every
//! signed part as the exact bytes found: signatures are checked over those
//! bytes, never over a re-encoding. GM/T 0031-2014 ("v1") files are read
//! too; where they depart from their standard (text where a time belongs, no
//! certificate in the list) the deviation is recorded in `conformance`.

use der::asn1::{GeneralizedTime, Ia5StringRef, ObjectIdentifier, Utf8StringRef};
use der::{Decode as _, Header, Reader as _, SliceReader, Tag};

use crate::Hash;
use crate::pki::{Cert, SM2_DEFAULT_ID};

/// SM2-with-SM3, and the "sm2sign" OID some producers use instead.
const SM2_SM3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.501");
const SM2_SIGN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.301.1");

/// Largest seal signature accepted.
pub const MAX_SEAL_BYTES: usize = 1 << 20;

/// Why a seal signature could not be read.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealError {
    /// Malformed structure.
    #[error("couldn't parse seal: {0}")]
    Parse(String),
}

fn perr(what: &str) -> impl Fn(der::Error) -> SealError + '_ {
    move |e| SealError::Parse(format!("{what}: {e}"))
}

/// One element: its tag, its full TLV bytes, its value bytes.
#[derive(Clone, Copy, Debug)]
struct Tlv<'a> {
    tag: Tag,
    full: &'a [u8],
    value: &'a [u8],
}

/// Splits a SEQUENCE (given as its full TLV) into its elements.
fn elements<'a>(seq: &'a [u8], what: &str) -> Result<Vec<Tlv<'a>>, SealError> {
    let mut outer = SliceReader::new(seq).map_err(perr(what))?;
    let h = Header::decode(&mut outer).map_err(perr(what))?;
    if h.tag() != Tag::Sequence {
        return Err(SealError::Parse(format!("{what}: not a SEQUENCE")));
    }
    let body = outer.read_slice(h.length()).map_err(perr(what))?;
    if !outer.is_finished() {
        return Err(SealError::Parse(format!("{what}: trailing bytes")));
    }
    let mut r = SliceReader::new(body).map_err(perr(what))?;
    let mut out = Vec::new();
    while !r.is_finished() {
        let start = usize::try_from(r.position()).map_err(perr(what))?;
        let h = Header::decode(&mut r).map_err(perr(what))?;
        let value = r.read_slice(h.length()).map_err(perr(what))?;
        let end = usize::try_from(r.position()).map_err(perr(what))?;
        out.push(Tlv { tag: h.tag(), full: &body[start..end], value });
    }
    Ok(out)
}

fn expect<'a>(els: &[Tlv<'a>], i: usize, tag: Tag, what: &str) -> Result<Tlv<'a>, SealError> {
    match els.get(i) {
        Some(t) if t.tag == tag => Ok(*t),
        Some(t) => Err(SealError::Parse(format!("{what}: expected {tag}, found {}", t.tag))),
        None => Err(SealError::Parse(format!("{what}: missing"))),
    }
}

fn bit_string(t: Tlv<'_>, what: &str) -> Result<Vec<u8>, SealError> {
    // The first value byte counts unused bits; signatures and hashes use none.
    match t.value.split_first() {
        Some((0, rest)) => Ok(rest.to_vec()),
        _ => Err(SealError::Parse(format!("{what}: not a whole-byte BIT STRING"))),
    }
}

fn gtime(t: Tlv<'_>, what: &str) -> Result<u64, SealError> {
    let g = GeneralizedTime::from_der(t.full).map_err(perr(what))?;
    Ok(g.to_unix_duration().as_millis() as u64)
}

fn int(t: Tlv<'_>, what: &str) -> Result<i64, SealError> {
    i64::from_der(t.full).map_err(perr(what))
}

fn ia5(t: Tlv<'_>, what: &str) -> Result<String, SealError> {
    Ok(Ia5StringRef::from_der(t.full).map_err(perr(what))?.as_str().to_owned())
}

/// A parsed v4 seal signature. Every signed part is kept as the bytes found.
#[derive(Clone, Debug)]
pub struct SealSignature {
    /// 4 (GB/T 38540) or 1 (GM/T 0031).
    pub version: u8,
    /// Where the file departs from its standard (parsed anyway).
    pub conformance: Vec<String>,
    /// The whole `SES_Signature`, as given.
    pub der: Vec<u8>,
    /// `TBS_Sign` as found: what the signer signed.
    pub to_sign: Vec<u8>,
    /// The signer's certificate (DER).
    pub signer_cert: Vec<u8>,
    /// The signer's signature algorithm.
    pub signature_alg: ObjectIdentifier,
    /// The signer's signature (DER or raw r‖s).
    pub signature: Vec<u8>,
    /// The RFC 3161 token over the signature, if present.
    pub timestamp: Option<Vec<u8>>,
    /// `timeInfo`: the signing time the signer claims, ms since the epoch.
    pub time_info_ms: u64,
    /// `dataHash`: SM3 of the protected content.
    pub data_hash: Vec<u8>,
    /// `propertyInfo`.
    pub property_info: String,
    /// The seal.
    pub seal: Seal,
}

/// A parsed v4 `SESeal`.
#[derive(Clone, Debug)]
pub struct Seal {
    /// 4 (GB/T 38540) or 1 (GM/T 0031).
    pub version: u8,
    /// The whole `SESeal`, as found: what a seal binding names.
    pub der: Vec<u8>,
    /// `SES_SealInfo` as found.
    pub seal_info: Vec<u8>,
    /// What the maker signed: v4 `SES_SealInfo`; v1 the SEQUENCE of
    /// `SES_SealInfo`, the maker's certificate and algorithm.
    pub maker_signed: Vec<u8>,
    /// Where the file departs from its standard (parsed anyway).
    pub conformance: Vec<String>,
    /// The vendor ID from the header.
    pub vid: String,
    /// The seal's identifier (esID).
    pub es_id: String,
    /// 印章类型.
    pub seal_type: i64,
    /// 印章名称.
    pub name: String,
    /// 1 = certificates, 2 = certificate digests.
    pub cert_list_type: i64,
    /// The certificate list of type 1: the certificates (DER).
    pub cert_list: Vec<Vec<u8>>,
    /// The certificate list of type 2 (`CertDigestObj`): each entry's
    /// digest algorithm as named (`type`) and the certificate's digest.
    pub cert_digests: Vec<(String, Vec<u8>)>,
    /// When the seal was made, ms.
    pub create_ms: u64,
    /// Start of validity, ms.
    pub valid_start_ms: u64,
    /// End of validity, ms.
    pub valid_end_ms: u64,
    /// The maker's certificate (DER).
    pub maker_cert: Vec<u8>,
    /// The maker's signature algorithm.
    pub maker_alg: ObjectIdentifier,
    /// The maker's signature over `seal_info`.
    pub maker_signature: Vec<u8>,
}

fn parse_seal(t: Tlv<'_>) -> Result<Seal, SealError> {
    let els = elements(t.full, "SESeal")?;
    if els.len() == 2 {
        return parse_seal_v1(t.full, &els);
    }
    let info = expect(&els, 0, Tag::Sequence, "SESeal.eSealInfo")?;
    let maker_cert = expect(&els, 1, Tag::OctetString, "SESeal.cert")?.value.to_vec();
    let maker_alg = ObjectIdentifier::from_der(
        expect(&els, 2, Tag::ObjectIdentifier, "SESeal.signAlgID")?.full,
    )
    .map_err(perr("SESeal.signAlgID"))?;
    let maker_signature =
        bit_string(expect(&els, 3, Tag::BitString, "SESeal.signedValue")?, "SESeal.signedValue")?;
    let i = elements(info.full, "SES_SealInfo")?;
    let header = elements(expect(&i, 0, Tag::Sequence, "SES_Header")?.full, "SES_Header")?;
    let version =
        int(expect(&header, 1, Tag::Integer, "SES_Header.version")?, "SES_Header.version")?;
    if version != 4 {
        return Err(SealError::Parse(format!("seal header version {version}")));
    }
    let vid = ia5(expect(&header, 2, Tag::Ia5String, "SES_Header.vid")?, "SES_Header.vid")?;
    let es_id = ia5(expect(&i, 1, Tag::Ia5String, "esID")?, "esID")?;
    let p =
        elements(expect(&i, 2, Tag::Sequence, "SES_ESPropertyInfo")?.full, "SES_ESPropertyInfo")?;
    let seal_type = int(expect(&p, 0, Tag::Integer, "type")?, "type")?;
    let name = Utf8StringRef::from_der(expect(&p, 1, Tag::Utf8String, "name")?.full)
        .map_err(perr("name"))?
        .as_str()
        .to_owned();
    let cert_list_type = int(expect(&p, 2, Tag::Integer, "certListType")?, "certListType")?;
    let list = expect(&p, 3, Tag::Sequence, "certList")?;
    let (mut cert_list, mut cert_digests) = (Vec::new(), Vec::new());
    for c in elements(list.full, "certList")? {
        match (cert_list_type, c.tag) {
            (1, Tag::OctetString) => cert_list.push(c.value.to_vec()),
            (2, Tag::Sequence) => cert_digests.push(cert_digest_obj(c)?),
            (kind, other) => {
                return Err(SealError::Parse(format!(
                    "certList of type {kind}: unexpected {other}"
                )));
            }
        }
    }
    let mut notes = Vec::new();
    let mut time = |k: usize, what: &str| -> Result<u64, SealError> {
        let el = p.get(k).copied().ok_or_else(|| SealError::Parse(format!("{what}: missing")))?;
        any_time(el, what, TimeForm::Generalized, &mut notes)
    };
    let (create_ms, valid_start_ms, valid_end_ms) =
        (time(4, "createDate")?, time(5, "validStart")?, time(6, "validEnd")?);
    Ok(Seal {
        version: 4,
        der: t.full.to_vec(),
        maker_signed: info.full.to_vec(),
        conformance: notes,
        seal_info: info.full.to_vec(),
        vid,
        es_id,
        seal_type,
        name,
        cert_list_type,
        cert_list,
        cert_digests,
        create_ms,
        valid_start_ms,
        valid_end_ms,
        maker_cert,
        maker_alg,
        maker_signature,
    })
}

/// How a standard encodes a time field: what a file is compared with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TimeForm {
    /// GB/T 38540: `GeneralizedTime`.
    Generalized,
    /// GM/T 0031 validity: `UTCTime`.
    Utc,
    /// GM/T 0031 `timeInfo`: a BIT STRING holding a DER `UTCTime`.
    BitStringUtc,
}

impl TimeForm {
    fn name(self) -> &'static str {
        match self {
            TimeForm::Generalized => "a GeneralizedTime",
            TimeForm::Utc => "a UTCTime",
            TimeForm::BitStringUtc => "a BIT STRING holding a DER UTCTime",
        }
    }
}

/// A time in any of the shapes the two standards and real producers use —
/// GeneralizedTime, UTCTime, a BIT or OCTET STRING holding either as DER,
/// or holding text (ISO 8601, `YYYYMMDDHHMMSSZ`, or a zone-less local
/// `YYYY-MM-DD HH:MM:SS`, read as Beijing time) — with a conformance note
/// whenever the shape is not the one `standard` gives for the field.
fn any_time(
    t: Tlv<'_>,
    what: &str,
    standard: TimeForm,
    notes: &mut Vec<String>,
) -> Result<u64, SealError> {
    let (ms, found) = match t.tag {
        Tag::GeneralizedTime => (gtime(t, what)?, TimeForm::Generalized),
        Tag::UtcTime => (utc(t.full, what)?, TimeForm::Utc),
        Tag::BitString | Tag::OctetString => {
            let bytes =
                if t.tag == Tag::BitString { bit_string(t, what)? } else { t.value.to_vec() };
            match bytes.first() {
                Some(0x17) if t.tag == Tag::BitString => {
                    (utc(&bytes, what)?, TimeForm::BitStringUtc)
                }
                Some(0x17) => {
                    notes.push(format!("{what} is a DER UTCTime inside an OCTET STRING"));
                    return utc(&bytes, what);
                }
                Some(0x18) => {
                    notes.push(format!("{what} is a DER GeneralizedTime inside a {}", t.tag));
                    return Ok(GeneralizedTime::from_der(&bytes)
                        .map_err(perr(what))?
                        .to_unix_duration()
                        .as_millis() as u64);
                }
                _ => {
                    let text = String::from_utf8(bytes)
                        .map_err(|_| SealError::Parse(format!("{what}: not a time")))?;
                    let (ms, zone_less) = text_time_ms(&text).ok_or_else(|| {
                        SealError::Parse(format!("{what}: unreadable time {text:?}"))
                    })?;
                    notes.push(format!("{what} is text ({text:?}) in a {}, not a DER time", t.tag));
                    if zone_less {
                        notes.push(format!(
                            "{what} names no time zone: read as Beijing time (UTC+8)"
                        ));
                    }
                    return Ok(ms);
                }
            }
        }
        other => return Err(SealError::Parse(format!("{what}: unexpected {other}"))),
    };
    if found != standard {
        notes.push(format!(
            "{what} is {}, not {} as its standard says",
            found.name(),
            standard.name()
        ));
    }
    Ok(ms)
}

fn utc(der_bytes: &[u8], what: &str) -> Result<u64, SealError> {
    Ok(der::asn1::UtcTime::from_der(der_bytes).map_err(perr(what))?.to_unix_duration().as_millis()
        as u64)
}

/// A time written as text, in ms since the epoch, and whether it named no
/// zone: `YYYY-MM-DDTHH:MM:SS[.fff]Z`, `YYYYMMDDHHMMSSZ`, or
/// `YYYY-MM-DD HH:MM:SS` (a local time, as one producer writes it: read as
/// UTC+8, the time of every Chinese platform).
fn text_time_ms(s: &str) -> Option<(u64, bool)> {
    let num = |r: std::ops::Range<usize>| -> Option<u16> {
        let part = s.get(r)?;
        if part.bytes().all(|b| b.is_ascii_digit()) { part.parse().ok() } else { None }
    };
    let at = |y: u16, mo: u16, d: u16, h: u16, mi: u16, sec: u16| -> Option<u64> {
        let dt = der::DateTime::new(
            y,
            u8::try_from(mo).ok()?,
            u8::try_from(d).ok()?,
            u8::try_from(h).ok()?,
            u8::try_from(mi).ok()?,
            u8::try_from(sec).ok()?,
        )
        .ok()?;
        Some(dt.unix_duration().as_millis() as u64)
    };
    let b = s.as_bytes();
    if b.len() == 15 && b[14] == b'Z' {
        let ms = at(num(0..4)?, num(4..6)?, num(6..8)?, num(8..10)?, num(10..12)?, num(12..14)?)?;
        return Some((ms, false));
    }
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let ms = at(num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?)?;
    match (b[10], s.get(19..)?) {
        (b' ', "") => Some((ms.checked_sub(8 * 3_600_000)?, true)),
        (b'T', "Z") => Some((ms, false)),
        (b'T', rest) if rest.len() >= 3 && rest.starts_with('.') && rest.ends_with('Z') => {
            let frac = &rest[1..rest.len() - 1];
            if !frac.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let digits = &frac[..frac.len().min(3)];
            let scale = 10u64.pow(3 - digits.len() as u32);
            Some((ms + digits.parse::<u64>().ok()? * scale, false))
        }
        _ => None,
    }
}

/// One `CertDigestObj ::= SEQUENCE { type PrintableString, value OCTET STRING }`.
fn cert_digest_obj(c: Tlv<'_>) -> Result<(String, Vec<u8>), SealError> {
    let els = elements(c.full, "CertDigestObj")?;
    let alg = match els.first() {
        Some(t) if matches!(t.tag, Tag::PrintableString | Tag::Ia5String | Tag::Utf8String) => {
            String::from_utf8(t.value.to_vec())
                .map_err(|_| SealError::Parse("CertDigestObj.type: not text".into()))?
        }
        _ => return Err(SealError::Parse("CertDigestObj.type: missing".into())),
    };
    let value = expect(&els, 1, Tag::OctetString, "CertDigestObj.value")?.value.to_vec();
    Ok((alg, value))
}

/// The digest of `cert` with the algorithm a `CertDigestObj` names (SM3 or
/// SHA-256, by name or OID); `None` for another algorithm.
fn cert_digest(alg: &str, cert: &[u8]) -> Option<Vec<u8>> {
    let name = alg.trim().to_ascii_uppercase().replace(['-', '_'], "");
    match name.as_str() {
        "SM3" | "1.2.156.10197.1.401" => Some(sm3(cert)),
        "SHA256" | "2.16.840.1.101.3.4.2.1" => {
            Some(<sha2::Sha256 as sha2::Digest>::digest(cert).to_vec())
        }
        _ => None,
    }
}

/// A signature value as BIT STRING (standard) or OCTET STRING (seen).
fn sig_bytes(t: Tlv<'_>, what: &str, notes: &mut Vec<String>) -> Result<Vec<u8>, SealError> {
    match t.tag {
        Tag::BitString => bit_string(t, what),
        Tag::OctetString => {
            notes.push(format!("{what} is an OCTET STRING, not a BIT STRING"));
            Ok(t.value.to_vec())
        }
        other => Err(SealError::Parse(format!("{what}: unexpected {other}"))),
    }
}

/// GM/T 0031-2014: `SESeal ::= SEQUENCE { esealInfo, signInfo { cert, alg, signData } }`.
fn parse_seal_v1(full: &[u8], els: &[Tlv<'_>]) -> Result<Seal, SealError> {
    let mut notes = Vec::new();
    let info = expect(els, 0, Tag::Sequence, "SESeal.esealInfo")?;
    let sign = elements(expect(els, 1, Tag::Sequence, "SESeal.signInfo")?.full, "SES_SignInfo")?;
    let cert = expect(&sign, 0, Tag::OctetString, "SES_SignInfo.cert")?;
    let alg = expect(&sign, 1, Tag::ObjectIdentifier, "SES_SignInfo.signatureAlgorithm")?;
    let maker_alg =
        ObjectIdentifier::from_der(alg.full).map_err(perr("SES_SignInfo.signatureAlgorithm"))?;
    let sig = sign
        .get(2)
        .copied()
        .ok_or_else(|| SealError::Parse("SES_SignInfo.signData: missing".into()))?;
    let maker_signature = sig_bytes(sig, "SES_SignInfo.signData", &mut notes)?;
    // The maker signs the SEQUENCE of the seal info, its certificate and algorithm.
    let mut inner = Vec::with_capacity(info.full.len() + cert.full.len() + alg.full.len());
    inner.extend_from_slice(info.full);
    inner.extend_from_slice(cert.full);
    inner.extend_from_slice(alg.full);
    let len = der::Length::try_from(inner.len()).map_err(perr("SESeal"))?;
    let mut maker_signed =
        der::Encode::to_der(&Header::new(Tag::Sequence, len)).map_err(perr("SESeal"))?;
    maker_signed.extend_from_slice(&inner);

    let i = elements(info.full, "SES_SealInfo")?;
    let header = elements(expect(&i, 0, Tag::Sequence, "SES_Header")?.full, "SES_Header")?;
    let version =
        int(expect(&header, 1, Tag::Integer, "SES_Header.version")?, "SES_Header.version")?;
    if version != 1 {
        notes.push(format!("a v1 seal whose header says version {version}"));
    }
    let vid = ia5(expect(&header, 2, Tag::Ia5String, "SES_Header.vid")?, "SES_Header.vid")?;
    let es_id = ia5(expect(&i, 1, Tag::Ia5String, "esID")?, "esID")?;
    let p =
        elements(expect(&i, 2, Tag::Sequence, "SES_ESPropertyInfo")?.full, "SES_ESPropertyInfo")?;
    let seal_type = int(expect(&p, 0, Tag::Integer, "type")?, "type")?;
    let name = Utf8StringRef::from_der(expect(&p, 1, Tag::Utf8String, "name")?.full)
        .map_err(perr("name"))?
        .as_str()
        .to_owned();
    let list = p.get(2).copied().ok_or_else(|| SealError::Parse("certList: missing".into()))?;
    let mut cert_list = Vec::new();
    if list.tag == Tag::Sequence {
        for c in elements(list.full, "certList")? {
            if c.tag == Tag::OctetString {
                cert_list.push(c.value.to_vec());
            } else {
                notes.push(format!("certList holds a {} where a certificate belongs", c.tag));
            }
        }
    } else {
        notes.push(format!("certList is a {}, not a list of certificates", list.tag));
    }
    let t = |k: usize, what: &str, notes: &mut Vec<String>| -> Result<u64, SealError> {
        any_time(
            p.get(k).copied().ok_or_else(|| SealError::Parse(format!("{what}: missing")))?,
            what,
            TimeForm::Utc,
            notes,
        )
    };
    let create_ms = t(3, "createDate", &mut notes)?;
    let valid_start_ms = t(4, "validStart", &mut notes)?;
    let valid_end_ms = t(5, "validEnd", &mut notes)?;
    Ok(Seal {
        version: 1,
        der: full.to_vec(),
        seal_info: info.full.to_vec(),
        maker_signed,
        conformance: notes,
        vid,
        es_id,
        seal_type,
        name,
        cert_list_type: 1,
        cert_list,
        cert_digests: Vec::new(),
        create_ms,
        valid_start_ms,
        valid_end_ms,
        maker_cert: cert.value.to_vec(),
        maker_alg,
        maker_signature,
    })
}

impl Seal {
    /// SHA-256 of the whole `SESeal`: how seal bindings name the seal.
    pub fn fingerprint(&self) -> Hash {
        crate::pki::fingerprint_of(&self.der)
    }

    /// Whether `cert` (DER) is in the seal's certificate list: one of its
    /// certificates (type 1), or its digest with the algorithm an entry
    /// names (type 2).
    pub fn lists(&self, cert: &[u8]) -> bool {
        self.binds(cert).is_ok()
    }

    /// Whether the seal's certificate list binds `cert` (DER): how, or why not.
    pub fn binds(&self, cert: &[u8]) -> Result<String, String> {
        match self.cert_list_type {
            1 if self.cert_list.iter().any(|c| c == cert) => {
                Ok("the signer's certificate is in the seal's list".into())
            }
            1 => Err("the signer's certificate is not in the seal's list".into()),
            2 => {
                let mut unknown = Vec::new();
                for (alg, digest) in &self.cert_digests {
                    match cert_digest(alg, cert) {
                        Some(d) if d == *digest => {
                            return Ok(format!(
                                "the signer's certificate's {alg} digest is in the seal's list"
                            ));
                        }
                        Some(_) => {}
                        None => unknown.push(alg.as_str()),
                    }
                }
                if unknown.is_empty() {
                    Err("the signer's certificate's digest is not in the seal's list".into())
                } else {
                    Err(format!(
                        "the signer's certificate's digest is not in the seal's list (digests by {} could not be computed)",
                        unknown.join(", ")
                    ))
                }
            }
            other => Err(format!("certificate list type {other} is not one the standard defines")),
        }
    }

    /// Verifies the maker's signature over `SES_SealInfo` as found; returns
    /// the maker's certificate (whose chain the caller checks).
    pub fn verify_maker(&self) -> Result<Cert, String> {
        if self.maker_alg != SM2_SM3 && self.maker_alg != SM2_SIGN {
            return Err(format!("algorithm {}", self.maker_alg));
        }
        let maker = Cert::from_der(&self.maker_cert).map_err(|e| e.to_string())?;
        maker
            .verify(&self.maker_signed, &self.maker_signature, SM2_DEFAULT_ID)
            .map_err(|e| e.to_string())?;
        Ok(maker)
    }
}

/// Parses a bare v4 `SESeal` (an `.esl` file), without a signature.
pub fn parse_seal_only(der: &[u8]) -> Result<Seal, SealError> {
    if der.len() > MAX_SEAL_BYTES {
        return Err(SealError::Parse("larger than 1 MiB".into()));
    }
    let mut r = SliceReader::new(der).map_err(perr("SESeal"))?;
    let h = Header::decode(&mut r).map_err(perr("SESeal"))?;
    let value = r.read_slice(h.length()).map_err(perr("SESeal"))?;
    if !r.is_finished() {
        return Err(SealError::Parse("SESeal: trailing bytes".into()));
    }
    parse_seal(Tlv { tag: h.tag(), full: der, value })
}

impl SealSignature {
    /// Parses a `SES_Signature` (v4), leniently: see the module docs.
    pub fn parse(der: &[u8]) -> Result<SealSignature, SealError> {
        if der.len() > MAX_SEAL_BYTES {
            return Err(SealError::Parse("larger than 1 MiB".into()));
        }
        let els = elements(der, "SES_Signature")?;
        if els.len() == 2 {
            return parse_signature_v1(der, &els);
        }
        if !(4..=5).contains(&els.len()) {
            return Err(SealError::Parse(format!("SES_Signature has {} elements", els.len())));
        }
        let tbs = expect(&els, 0, Tag::Sequence, "TBS_Sign")?;
        let signer_cert = expect(&els, 1, Tag::OctetString, "cert")?.value.to_vec();
        let signature_alg = ObjectIdentifier::from_der(
            expect(&els, 2, Tag::ObjectIdentifier, "signatureAlgID")?.full,
        )
        .map_err(perr("signatureAlgID"))?;
        let signature = bit_string(expect(&els, 3, Tag::BitString, "signature")?, "signature")?;
        let timestamp = match els.get(4) {
            None => None,
            Some(t) if t.tag.is_context_specific() => {
                // [0] EXPLICIT BIT STRING: the token bytes inside.
                let inner = elements_of_explicit(t.value)?;
                Some(bit_string(inner, "timeStamp")?)
            }
            Some(t) => return Err(SealError::Parse(format!("timeStamp: unexpected {}", t.tag))),
        };
        let t = elements(tbs.full, "TBS_Sign")?;
        let version = int(expect(&t, 0, Tag::Integer, "TBS_Sign.version")?, "TBS_Sign.version")?;
        if version != 4 {
            return Err(SealError::Parse(format!("TBS_Sign version {version}")));
        }
        let seal = parse_seal(expect(&t, 1, Tag::Sequence, "TBS_Sign.eseal")?)?;
        let mut conformance = seal.conformance.clone();
        let time_info =
            t.get(2).copied().ok_or_else(|| SealError::Parse("timeInfo: missing".into()))?;
        let time_info_ms =
            any_time(time_info, "timeInfo", TimeForm::Generalized, &mut conformance)?;
        Ok(SealSignature {
            version: 4,
            conformance,
            der: der.to_vec(),
            to_sign: tbs.full.to_vec(),
            signer_cert,
            signature_alg,
            signature,
            timestamp,
            time_info_ms,
            data_hash: bit_string(expect(&t, 3, Tag::BitString, "dataHash")?, "dataHash")?,
            property_info: ia5(expect(&t, 4, Tag::Ia5String, "propertyInfo")?, "propertyInfo")?,
            seal,
        })
    }
}

/// GM/T 0031-2014: `SES_Signature ::= SEQUENCE { toSign, signature }`, with
/// the signer's certificate and algorithm inside `TBS_Sign`.
fn parse_signature_v1(der: &[u8], els: &[Tlv<'_>]) -> Result<SealSignature, SealError> {
    let mut notes = Vec::new();
    let tbs = expect(els, 0, Tag::Sequence, "TBS_Sign")?;
    let signature = sig_bytes(els[1], "signature", &mut notes)?;
    let t = elements(tbs.full, "TBS_Sign")?;
    let version = int(expect(&t, 0, Tag::Integer, "TBS_Sign.version")?, "TBS_Sign.version")?;
    if version != 1 {
        notes.push(format!("a v1 signature whose TBS_Sign says version {version}"));
    }
    let seal = parse_seal(expect(&t, 1, Tag::Sequence, "TBS_Sign.eseal")?)?;
    notes.extend(seal.conformance.iter().cloned());
    let get = |k: usize, what: &str| {
        t.get(k).copied().ok_or_else(|| SealError::Parse(format!("{what}: missing")))
    };
    let time_info_ms =
        any_time(get(2, "timeInfo")?, "timeInfo", TimeForm::BitStringUtc, &mut notes)?;
    let data_hash = sig_bytes(get(3, "dataHash")?, "dataHash", &mut notes)?;
    let property_info = ia5(expect(&t, 4, Tag::Ia5String, "propertyInfo")?, "propertyInfo")?;
    let signer_cert = expect(&t, 5, Tag::OctetString, "TBS_Sign.cert")?.value.to_vec();
    let signature_alg = ObjectIdentifier::from_der(
        expect(&t, 6, Tag::ObjectIdentifier, "TBS_Sign.signatureAlgorithm")?.full,
    )
    .map_err(perr("TBS_Sign.signatureAlgorithm"))?;
    Ok(SealSignature {
        version: 1,
        conformance: notes,
        der: der.to_vec(),
        to_sign: tbs.full.to_vec(),
        signer_cert,
        signature_alg,
        signature,
        timestamp: None,
        time_info_ms,
        data_hash,
        property_info,
        seal,
    })
}

fn elements_of_explicit(value: &[u8]) -> Result<Tlv<'_>, SealError> {
    let mut r = SliceReader::new(value).map_err(perr("timeStamp"))?;
    let h = Header::decode(&mut r).map_err(perr("timeStamp"))?;
    let v = r.read_slice(h.length()).map_err(perr("timeStamp"))?;
    Ok(Tlv { tag: h.tag(), full: value, value: v })
}

/// One seal check and its outcome.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SealCheck {
    /// The check's name.
    pub check: &'static str,
    /// `Ok(detail)` or `Err(reason)`.
    pub outcome: Result<String, String>,
}

fn sm3(data: &[u8]) -> Vec<u8> {
    <sm3::Sm3 as sm3::Digest>::digest(data).to_vec()
}

impl SealSignature {
    /// Verifies the seal signature, strictly (DOMAIN.md §2.3): the protected
    /// bytes hash to `dataHash` (SM3); the signer's signature over `TBS_Sign`;
    /// the maker's over `SES_SealInfo`; the signer's certificate is in the
    /// seal's list; and at `at_ms` (the trusted signing time; the claimed
    /// `timeInfo` if none is known) the seal and the signer's certificate are
    /// valid, and the maker's certificate was valid when the seal was made.
    pub fn verify(&self, protected: Option<&[u8]>, at_ms: u64) -> Vec<SealCheck> {
        self.verify_digest(protected.map(sm3).as_deref(), at_ms)
    }

    /// [`SealSignature::verify`] given the SM3 of the protected content
    /// rather than the content: a document event logs digests, not files.
    pub fn verify_digest(&self, protected_sm3: Option<&[u8]>, at_ms: u64) -> Vec<SealCheck> {
        let mut out = Vec::new();
        let mut add = |check, outcome| out.push(SealCheck { check, outcome });
        match protected_sm3 {
            Some(digest) => add(
                "seal data hash",
                if digest == self.data_hash.as_slice() {
                    Ok(format!("SM3 {}", hex::encode(&self.data_hash)))
                } else {
                    Err("the protected content was modified: its SM3 is not dataHash".into())
                },
            ),
            None => add("seal data hash", Err("the protected content was not given".into())),
        }
        add(
            "seal conformance",
            if self.conformance.is_empty() {
                Ok(format!("GB/T 38540 v{}", self.version).replace("GB/T 38540 v1", "GM/T 0031 v1"))
            } else {
                Err(format!("not conformant: {}", self.conformance.join("; ")))
            },
        );
        let signer = Cert::from_der(&self.signer_cert);
        let alg_ok = |a: &ObjectIdentifier| *a == SM2_SM3 || *a == SM2_SIGN;
        add(
            "seal signer signature",
            match &signer {
                Err(e) => Err(e.to_string()),
                Ok(_) if !alg_ok(&self.signature_alg) => {
                    Err(format!("algorithm {}", self.signature_alg))
                }
                Ok(c) => c
                    .verify(&self.to_sign, &self.signature, SM2_DEFAULT_ID)
                    .map(|()| format!("by {}", c.subject()))
                    .map_err(|e| e.to_string()),
            },
        );
        let maker = Cert::from_der(&self.seal.maker_cert);
        add(
            "seal maker signature",
            match &maker {
                Err(e) => Err(e.to_string()),
                Ok(_) if !alg_ok(&self.seal.maker_alg) => {
                    Err(format!("algorithm {}", self.seal.maker_alg))
                }
                Ok(c) => c
                    .verify(&self.seal.maker_signed, &self.seal.maker_signature, SM2_DEFAULT_ID)
                    .map(|()| format!("by {}", c.subject()))
                    .map_err(|e| e.to_string()),
            },
        );
        add("seal certificate binding", self.seal.binds(&self.signer_cert));
        add(
            "seal validity",
            if self.seal.valid_start_ms <= at_ms && at_ms <= self.seal.valid_end_ms {
                Ok(format!("valid {}..{} ms", self.seal.valid_start_ms, self.seal.valid_end_ms))
            } else {
                Err(format!(
                    "the seal is valid {}..{} ms, not at {at_ms}",
                    self.seal.valid_start_ms, self.seal.valid_end_ms
                ))
            },
        );
        add(
            "seal signer certificate validity",
            match &signer {
                Err(e) => Err(e.to_string()),
                Ok(c) => c
                    .check_valid_at(at_ms)
                    .map(|()| "valid at the signing time".into())
                    .map_err(|e| e.to_string()),
            },
        );
        add(
            "seal maker certificate validity",
            match &maker {
                Err(e) => Err(e.to_string()),
                Ok(c) => c
                    .check_valid_at(self.seal.create_ms)
                    .map(|()| "valid when the seal was made".into())
                    .map_err(|e| e.to_string()),
            },
        );
        out
    }

    /// SHA-256 of the whole `SES_Signature`, how events refer to it.
    pub fn fingerprint(&self) -> Hash {
        let d: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&self.der).into();
        Hash(d)
    }
}
