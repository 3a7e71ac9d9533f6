//! Signed PDFs as the platforms' clients make them: each signature
//! dictionary's `/ByteRange` and `/Contents`, checked offline.
//!
//! The file is parsed by `lopdf` (never by hand); every signature
//! dictionary (`/ByteRange` with `/Contents`) is then judged over the file's
//! own bytes: the byte range starts at 0, its hole is exactly the
//! `/Contents` hex string, and the bytes it covers are signed by the CMS
//! SignedData in `/Contents` (`adbe.pkcs7.detached`, `ETSI.CAdES.detached`)
//! or — where a GB/T 38540 seal sits there in place of a CMS — by that seal,
//! whose `dataHash` is SM3 of the covered bytes. Bytes after a signature's
//! range are an incremental update made after it was signed: reported with
//! their size, since a later revision can change what a reader is shown.

use der::{Decode as _, Header, Reader as _, SliceReader, Tag};

use crate::pki::{Cert, SM2_DEFAULT_ID};
use crate::seal::{SealCheck, SealSignature};

/// Largest PDF read.
pub const MAX_PDF_BYTES: usize = 256 << 20;
/// Most signatures in one file.
pub const MAX_SIGNATURES: usize = 100;

/// Why a file could not be read as a PDF at all.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PdfError {
    /// Too large, or not a PDF `lopdf` reads.
    #[error("couldn't read the PDF: {0}")]
    Unreadable(String),
}

/// What signs a signature's byte range.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureKind {
    /// A CMS SignedData (PKCS#7, CAdES).
    Cms,
    /// A GB/T 38540 / GM/T 0031 `SES_Signature` in place of a CMS.
    Seal,
    /// Neither could be read.
    Unknown,
}

/// One signature of a PDF, checked.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PdfSignature {
    /// The signature dictionary's object number.
    pub object: u32,
    /// `/SubFilter`, as written.
    pub sub_filter: Option<String>,
    /// The signer's certificate's subject, when read.
    pub signer: Option<String>,
    /// The byte range: `[start, length, start, length]`.
    pub byte_range: [u64; 4],
    /// Bytes of the file after the range: an incremental update appended
    /// after this signature (0 for the last signature of an unchanged file).
    pub appended_after: u64,
    /// What signs the range.
    pub kind: SignatureKind,
    /// The claimed signing time (ms), from the CMS signed attributes or the
    /// seal's `timeInfo`: not trusted time.
    pub claimed_time_ms: Option<u64>,
    /// Every check; the signature holds when all pass.
    pub checks: Vec<SealCheck>,
    /// The signer's certificate (DER), for chain checks by the caller.
    #[serde(skip)]
    pub signer_cert: Option<Vec<u8>>,
    /// The other certificates the CMS carries, for building its chain.
    #[serde(skip)]
    pub certificates: Vec<Vec<u8>>,
    /// The seal, when a seal signs the range.
    #[serde(skip)]
    pub seal: Option<SealSignature>,
}

impl PdfSignature {
    /// Whether every check passed.
    pub fn verified(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.outcome.is_ok())
    }
}

/// A PDF, checked.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PdfReport {
    /// Every signature, in the order of their byte ranges.
    pub signatures: Vec<PdfSignature>,
    /// The file's size.
    pub size: u64,
}

impl PdfReport {
    /// Whether the file is signed, every signature holds, and nothing was
    /// appended after the last one.
    pub fn verified(&self) -> bool {
        !self.signatures.is_empty()
            && self.signatures.iter().all(PdfSignature::verified)
            && self.signatures.last().is_some_and(|s| s.appended_after == 0)
    }
}

fn check(check: &'static str, outcome: Result<String, String>) -> SealCheck {
    SealCheck { check, outcome }
}

/// Reads and checks every signature of the PDF in `bytes`. `at_ms` is the
/// trusted signing time for a seal's validity checks (else its `timeInfo`).
pub fn verify(bytes: &[u8], at_ms: Option<u64>) -> Result<PdfReport, PdfError> {
    if bytes.len() > MAX_PDF_BYTES {
        return Err(PdfError::Unreadable(format!("larger than {MAX_PDF_BYTES} bytes")));
    }
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| PdfError::Unreadable(e.to_string()))?;
    let mut signatures = Vec::new();
    for (id, obj) in &doc.objects {
        let Ok(dict) = obj.as_dict() else { continue };
        let (Ok(range), Ok(contents)) = (dict.get(b"ByteRange"), dict.get(b"Contents")) else {
            continue;
        };
        if signatures.len() >= MAX_SIGNATURES {
            return Err(PdfError::Unreadable(format!("more than {MAX_SIGNATURES} signatures")));
        }
        let sub_filter = dict
            .get(b"SubFilter")
            .and_then(lopdf::Object::as_name)
            .ok()
            .map(|n| String::from_utf8_lossy(n).into_owned());
        let range: Vec<i64> = range
            .as_array()
            .map(|a| a.iter().filter_map(|o| o.as_i64().ok()).collect())
            .unwrap_or_default();
        let contents = contents.as_str().map(<[u8]>::to_vec).unwrap_or_default();
        signatures.push(check_signature(bytes, id.0, sub_filter, &range, &contents, at_ms));
    }
    signatures.sort_by_key(|s| (s.byte_range[2] + s.byte_range[3], s.object));
    Ok(PdfReport { signatures, size: bytes.len() as u64 })
}

/// The byte range as four offsets inside the file whose hole is exactly a
/// hex string (the `/Contents`), or why not.
fn check_range(bytes: &[u8], range: &[i64]) -> Result<[u64; 4], String> {
    let r: Vec<u64> = range.iter().filter_map(|v| u64::try_from(*v).ok()).collect();
    let [a, b, c, d] = r[..] else {
        return Err(format!("/ByteRange {range:?} is not four offsets"));
    };
    let len = bytes.len() as u64;
    let (hole_start, end) = (a.checked_add(b), c.checked_add(d));
    match (hole_start, end) {
        (Some(h), Some(e)) if a == 0 && h <= c && e <= len => {
            // The hole must be exactly `<hex>`: nothing outside the
            // signature value left unsigned.
            let hole = &bytes[h as usize..c as usize];
            let exact = hole.len() >= 2
                && hole[0] == b'<'
                && hole[hole.len() - 1] == b'>'
                && hole[1..hole.len() - 1].iter().all(u8::is_ascii_hexdigit);
            if exact {
                Ok([a, b, c, d])
            } else {
                Err(format!(
                    "/ByteRange leaves bytes {h}..{c} unsigned, and they are not just the signature value"
                ))
            }
        }
        _ => Err(format!("/ByteRange {range:?} does not start at 0 or lies outside the file")),
    }
}

/// The DER value at the start of `padded` (a `/Contents` is zero-padded to
/// its reserved size), whole TLV.
fn der_prefix(padded: &[u8]) -> Option<&[u8]> {
    let mut r = SliceReader::new(padded).ok()?;
    let h = Header::decode(&mut r).ok()?;
    let header_len = usize::try_from(r.position()).ok()?;
    let len = usize::try_from(h.length()).ok()?;
    (h.tag() == Tag::Sequence).then(|| padded.get(..header_len + len)).flatten()
}

fn check_signature(
    bytes: &[u8],
    object: u32,
    sub_filter: Option<String>,
    range: &[i64],
    contents: &[u8],
    at_ms: Option<u64>,
) -> PdfSignature {
    let mut sig = PdfSignature {
        object,
        sub_filter,
        signer: None,
        byte_range: [0; 4],
        appended_after: 0,
        kind: SignatureKind::Unknown,
        claimed_time_ms: None,
        checks: Vec::new(),
        signer_cert: None,
        certificates: Vec::new(),
        seal: None,
    };
    let [a, b, c, d] = match check_range(bytes, range) {
        Ok(r) => {
            sig.checks.push(check(
                "byte range",
                Ok(format!("covers the file but the signature value, up to byte {}", r[2] + r[3])),
            ));
            r
        }
        Err(e) => {
            sig.checks.push(check("byte range", Err(e)));
            if let [a, b, c, d] =
                range.iter().map(|v| u64::try_from(*v).unwrap_or(0)).collect::<Vec<_>>()[..]
            {
                sig.byte_range = [a, b, c, d];
            }
            return sig;
        }
    };
    sig.byte_range = [a, b, c, d];
    sig.appended_after = bytes.len() as u64 - (c + d);
    let mut signed = Vec::with_capacity((b + d) as usize);
    signed.extend_from_slice(&bytes[a as usize..(a + b) as usize]);
    signed.extend_from_slice(&bytes[c as usize..(c + d) as usize]);

    let Some(der) = der_prefix(contents) else {
        sig.checks.push(check("signature value", Err("/Contents holds no DER value".into())));
        return sig;
    };
    if let Ok(seal) = SealSignature::parse(der) {
        sig.kind = SignatureKind::Seal;
        sig.claimed_time_ms = Some(seal.time_info_ms);
        sig.signer = Cert::from_der(&seal.signer_cert).ok().map(|c| c.subject());
        sig.signer_cert = Some(seal.signer_cert.clone());
        let at = at_ms.unwrap_or(seal.time_info_ms);
        sig.checks.extend(seal.verify(Some(&signed), at));
        sig.seal = Some(seal);
        return sig;
    }
    match crate::pki::verify_detached_cms(der, &signed, SM2_DEFAULT_ID) {
        Ok(cms) => {
            sig.kind = SignatureKind::Cms;
            sig.claimed_time_ms = cms.claimed_time_ms;
            sig.signer = Some(cms.signer.subject());
            sig.signer_cert = Some(cms.signer.der().to_vec());
            sig.certificates = cms.certificates.iter().map(|c| c.der().to_vec()).collect();
            sig.checks.push(check(
                "signature",
                Ok(format!("CMS signature by {} over the byte range", cms.signer.subject())),
            ));
        }
        Err(e) => {
            // A CMS that does not verify, or something else in /Contents.
            if cms::content_info::ContentInfo::from_der(der).is_ok() {
                sig.kind = SignatureKind::Cms;
            }
            sig.checks.push(check("signature", Err(e.to_string())));
        }
    }
    sig
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_range_must_leave_only_the_signature_value_unsigned() {
        let file = b"%PDF-1.7 abc <00ff> def";
        let hole = file.iter().position(|&c| c == b'<').unwrap() as i64;
        let after = hole + 6;
        let len = file.len() as i64;
        assert!(check_range(file, &[0, hole, after, len - after]).is_ok());
        // Leaves a byte after the value unsigned.
        assert!(check_range(file, &[0, hole, after + 1, len - after - 1]).is_err());
        // Does not start at 0, runs past the end, negative, or not four.
        assert!(check_range(file, &[1, hole - 1, after, len - after]).is_err());
        assert!(check_range(file, &[0, hole, after, len]).is_err());
        assert!(check_range(file, &[0, -1, after, len - after]).is_err());
        assert!(check_range(file, &[0, hole, after]).is_err());
        assert!(check_range(file, &[0, i64::MAX, i64::MAX, 1]).is_err());
    }

    #[test]
    fn what_is_not_a_pdf_is_an_error_not_a_panic() {
        for bytes in [
            &b""[..],
            b"%PDF-1.7\n",
            b"PK\x03\x04",
            b"%PDF-1.7\n1 0 obj << /ByteRange [0 1 2 3] /Contents <00> >> endobj",
        ] {
            let _ = verify(bytes, None);
        }
    }
}
