//! Signed OFD packages (GB/T 33190) as people hold them: the document with
//! its e-seals inside, checked offline.
//!
//! An OFD is a zip. `OFD.xml` names each document's `Signatures.xml`, which
//! lists each signature's `Signature.xml`; that file's `References` name
//! the parts the signature protects, each with a `CheckValue` (the digest
//! of the part's raw bytes by the `CheckMethod` named), and its
//! `SignedValue` names the `SES_Signature` whose `dataHash` is SM3 of the
//! whole `Signature.xml` as stored (no canonicalisation). So a signature
//! holds when every referenced part is there with its digest, and the seal
//! signature verifies over `Signature.xml` ([`crate::seal`]); a part changed
//! after signing is named.
//!
//! The reader trusts nothing in the file: the package, each part and all
//! parts together have size caps checked while inflating (not from the
//! sizes the zip claims), entry names that escape the package or repeat are
//! refused, XML is parsed without DTDs and with a node limit, and every
//! path inside the XML is resolved inside the package.
//!
//! Real producers vary (`../shared/vectors/real-world/README.md`): the
//! check method is named by OID or by name, one vendor hashes SM3(Z_A ‖
//! bytes), `Type` may be missing (a seal), relative locations are resolved
//! against the folder of the file that names them, and some signatures cover
//! `Signatures.xml` (so a later signature modifies it).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;

use base64::Engine as _;

use crate::pki::{Cert, SM2_DEFAULT_ID};
use crate::seal::{SealCheck, SealSignature};

/// Largest package read.
pub const MAX_OFD_BYTES: u64 = 128 << 20;
/// Most entries in a package.
pub const MAX_ENTRIES: usize = 10_000;
/// Most bytes all parts may inflate to, together.
pub const MAX_INFLATED_BYTES: u64 = 192 << 20;
/// Most a part larger than 1 MiB may inflate, as a multiple of its
/// compressed size: XML compresses ~10×, images not at all; a zip bomb
/// ~1000×.
const MAX_RATIO: u64 = 200;
/// Largest XML part parsed.
pub const MAX_XML_BYTES: usize = 8 << 20;
/// Most XML nodes in one part.
const MAX_XML_NODES: u32 = 200_000;
/// Most signatures in a package.
pub const MAX_SIGNATURES: usize = 1_000;

/// Why a package could not be read at all.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OfdError {
    /// Not a zip, or a zip this reader refuses (too large, hostile names).
    #[error("couldn't read the OFD package: {0}")]
    Package(String),
    /// A part the package's structure needs is missing or unreadable.
    #[error("couldn't read {part}: {reason}")]
    Part {
        /// The part, as a path inside the package.
        part: String,
        /// What is wrong with it.
        reason: String,
    },
}

fn package_error(reason: impl Into<String>) -> OfdError {
    OfdError::Package(reason.into())
}

/// The parts of an OFD package by name (`Doc_0/Document.xml`: no leading
/// slash), as stored.
#[derive(Clone, Debug, Default)]
pub struct Package {
    parts: BTreeMap<String, Vec<u8>>,
}

impl Package {
    /// Reads a package, with the caps of this module.
    pub fn read(bytes: &[u8]) -> Result<Package, OfdError> {
        if bytes.len() as u64 > MAX_OFD_BYTES {
            return Err(package_error(format!("larger than {MAX_OFD_BYTES} bytes")));
        }
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| package_error(format!("not a zip: {e}")))?;
        // Two entries of one name: readers would disagree on which is the part.
        if zip.has_duplicate_names() {
            return Err(package_error("two entries with the same name"));
        }
        if zip.len() > MAX_ENTRIES {
            return Err(package_error(format!("more than {MAX_ENTRIES} entries")));
        }
        let mut parts = BTreeMap::new();
        let mut total = 0u64;
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).map_err(|e| package_error(e.to_string()))?;
            let raw = f.name().map_err(|e| package_error(e.to_string()))?.into_owned();
            if f.is_dir() {
                continue;
            }
            let name = entry_name(&raw)?;
            // Inflate at most what is left of the cap, whatever the entry claims.
            let left = MAX_INFLATED_BYTES - total;
            let mut data = Vec::new();
            (&mut f)
                .take(left + 1)
                .read_to_end(&mut data)
                .map_err(|e| package_error(format!("{raw}: {e}")))?;
            total += data.len() as u64;
            let inflated = data.len() as u64;
            if inflated > 1 << 20 && inflated > f.compressed_size().saturating_mul(MAX_RATIO) {
                return Err(package_error(format!(
                    "{raw} inflates {inflated} bytes from {} (a zip bomb?)",
                    f.compressed_size()
                )));
            }
            if total > MAX_INFLATED_BYTES {
                return Err(package_error(format!(
                    "the parts inflate to more than {MAX_INFLATED_BYTES} bytes (a zip bomb?)"
                )));
            }
            if parts.insert(name, data).is_some() {
                return Err(package_error(format!("two entries named {raw}")));
            }
        }
        Ok(Package { parts })
    }

    /// A part's bytes.
    pub fn part(&self, name: &str) -> Option<&[u8]> {
        self.parts.get(name).map(Vec::as_slice)
    }

    /// Every part's name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.parts.keys().map(String::as_str)
    }

    fn xml(&self, name: &str) -> Result<String, OfdError> {
        let bytes = self.part(name).ok_or_else(|| OfdError::Part {
            part: format!("/{name}"),
            reason: "not in the package".into(),
        })?;
        xml_text(bytes).map_err(|reason| OfdError::Part { part: format!("/{name}"), reason })
    }
}

/// An entry's name as a part name: relative, `/`-separated, no `.` or `..`.
fn entry_name(raw: &str) -> Result<String, OfdError> {
    let bad = |why: &str| package_error(format!("entry {raw:?}: {why}"));
    if raw.starts_with('/') || raw.contains('\\') || raw.contains(':') {
        return Err(bad("an absolute or drive path"));
    }
    let mut out = Vec::new();
    for seg in raw.split('/') {
        match seg {
            "" | "." => {}
            ".." => return Err(bad("escapes the package")),
            s if s.chars().any(char::is_control) => return Err(bad("a control character")),
            s => out.push(s),
        }
    }
    if out.is_empty() {
        return Err(bad("an empty name"));
    }
    Ok(out.join("/"))
}

/// A location named inside the package (`/Doc_0/…` from the root, else
/// relative to `base`, the folder of the part that names it), as a part
/// name; `None` if it leaves the package.
fn resolve(base: &str, loc: &str) -> Option<String> {
    let loc = loc.trim();
    let mut segs: Vec<&str> = match loc.strip_prefix('/') {
        Some(_) => Vec::new(),
        None => base.split('/').filter(|s| !s.is_empty()).collect(),
    };
    for seg in loc.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segs.pop()?;
            }
            s => segs.push(s),
        }
    }
    (!segs.is_empty()).then(|| segs.join("/"))
}

/// The folder of a part.
fn folder(part: &str) -> &str {
    part.rsplit_once('/').map_or("", |(d, _)| d)
}

fn xml_text(bytes: &[u8]) -> Result<String, String> {
    if bytes.len() > MAX_XML_BYTES {
        return Err(format!("XML larger than {MAX_XML_BYTES} bytes"));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8(bytes.to_vec()).map_err(|_| "not UTF-8 XML".into())
}

fn parse_xml(text: &str) -> Result<roxmltree::Document<'_>, String> {
    let opt = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_XML_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(text, opt).map_err(|e| format!("bad XML: {e}"))
}

/// Elements below `node` with the local name `name` (OFD's namespace and
/// prefix vary: `ofd:` or none).
fn named<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    node.descendants().filter(move |n| n.is_element() && n.tag_name().name() == name)
}

fn first_text(node: roxmltree::Node<'_, '_>, name: &'static str) -> Option<String> {
    named(node, name).next().and_then(|n| n.text()).map(|t| t.trim().to_owned())
}

/// How a `Reference`'s `CheckValue` is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckMethod {
    /// SM3 of the part (`1.2.156.10197.1.401`, or the name `SM3`).
    Sm3,
    /// SM3 of Z_A ‖ the part, Z_A from the signer's key and the default
    /// ID (`1.2.156.10197.1.401.2`, one vendor's).
    Sm3WithZ,
    /// SHA-256 (`2.16.840.1.101.3.4.2.1`, or the name).
    Sha256,
}

impl CheckMethod {
    /// The method a `CheckMethod` attribute names; `None` for another.
    pub fn named(name: &str) -> Option<CheckMethod> {
        match name.trim().to_ascii_uppercase().replace(['-', '_'], "").as_str() {
            "SM3" | "1.2.156.10197.1.401" => Some(CheckMethod::Sm3),
            "1.2.156.10197.1.401.2" => Some(CheckMethod::Sm3WithZ),
            "SHA256" | "2.16.840.1.101.3.4.2.1" => Some(CheckMethod::Sha256),
            _ => None,
        }
    }

    fn digest(self, data: &[u8], signer: Option<&Cert>) -> Result<Vec<u8>, String> {
        use sha2::Digest as _;
        Ok(match self {
            CheckMethod::Sm3 => sm3::Sm3::digest(data).to_vec(),
            CheckMethod::Sha256 => sha2::Sha256::digest(data).to_vec(),
            CheckMethod::Sm3WithZ => {
                let signer = signer.ok_or("SM3 with Z_A needs the signer's certificate")?;
                let z = signer.sm2_z(SM2_DEFAULT_ID).map_err(|e| e.to_string())?;
                let mut h = sm3::Sm3::new();
                h.update(z);
                h.update(data);
                h.finalize().to_vec()
            }
        })
    }
}

/// What a reference's check found.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefOutcome {
    /// The part is there with the digest recorded.
    Matches,
    /// The part's digest is not the one recorded: it changed after signing.
    Modified,
    /// The part is gone.
    Missing,
    /// The reference cannot be checked (why).
    Unreadable(String),
}

/// One `Reference` of a signature.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Reference {
    /// The part, as a path from the package's root (`/Doc_0/…`).
    pub part: String,
    /// What its check found.
    pub outcome: RefOutcome,
}

/// One signature of a package, checked.
#[derive(Clone, Debug, serde::Serialize)]
pub struct OfdSignature {
    /// Its `ID` in `Signatures.xml`.
    pub id: String,
    /// Its `Type`: `Seal` (an e-seal) or `Sign` (a plain digital signature).
    pub kind: String,
    /// Its `Signature.xml`, from the package's root.
    pub location: String,
    /// `SignatureDateTime` as written (producers use several formats).
    pub signature_date_time: Option<String>,
    /// The `Provider`'s name, if given.
    pub provider: Option<String>,
    /// The `CheckMethod` as written.
    pub check_method: String,
    /// Each reference, in order.
    pub references: Vec<Reference>,
    /// The seal signature (`SignedValue.dat`), when it could be read.
    #[serde(skip)]
    pub seal: Option<SealSignature>,
    /// Every check, in order; the signature holds when all pass.
    pub checks: Vec<SealCheck>,
}

impl OfdSignature {
    /// Whether every check passed.
    pub fn verified(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.outcome.is_ok())
    }

    /// The parts changed or gone since the signature was made.
    pub fn modified(&self) -> Vec<&str> {
        self.references
            .iter()
            .filter(|r| matches!(r.outcome, RefOutcome::Modified | RefOutcome::Missing))
            .map(|r| r.part.as_str())
            .collect()
    }
}

/// A package, checked.
#[derive(Clone, Debug, serde::Serialize)]
pub struct OfdReport {
    /// Every signature, in the order `Signatures.xml` lists them.
    pub signatures: Vec<OfdSignature>,
    /// Parts no signature protects (beside `Signatures.xml` and the
    /// signatures' own folders): added after signing, or never signed.
    pub uncovered: Vec<String>,
    /// How many parts the package holds.
    pub parts: usize,
}

impl OfdReport {
    /// Whether the package is signed and every signature holds.
    pub fn verified(&self) -> bool {
        !self.signatures.is_empty() && self.signatures.iter().all(OfdSignature::verified)
    }
}

/// Reads and checks an OFD package. `at_ms` is the trusted signing time
/// (a timestamp's, a receipt's); without it, each seal's claimed
/// `timeInfo`.
pub fn verify(bytes: &[u8], at_ms: Option<u64>) -> Result<OfdReport, OfdError> {
    verify_package(&Package::read(bytes)?, at_ms)
}

/// [`verify`] of a package already read.
pub fn verify_package(pkg: &Package, at_ms: Option<u64>) -> Result<OfdReport, OfdError> {
    let entry = pkg.xml("OFD.xml")?;
    let entry =
        parse_xml(&entry).map_err(|reason| OfdError::Part { part: "/OFD.xml".into(), reason })?;
    let mut signatures = Vec::new();
    let mut digests = Digests::default();
    for body in named(entry.root(), "DocBody") {
        let Some(list) = first_text(body, "Signatures") else { continue };
        let list = resolve("", &list).ok_or_else(|| OfdError::Part {
            part: "/OFD.xml".into(),
            reason: format!("Signatures {list:?} leaves the package"),
        })?;
        let text = pkg.xml(&list)?;
        let doc = parse_xml(&text)
            .map_err(|reason| OfdError::Part { part: format!("/{list}"), reason })?;
        for s in named(doc.root(), "Signature") {
            if signatures.len() >= MAX_SIGNATURES {
                return Err(package_error(format!("more than {MAX_SIGNATURES} signatures")));
            }
            let base = s.attribute("BaseLoc").unwrap_or_default();
            let location = resolve(folder(&list), base).ok_or_else(|| OfdError::Part {
                part: format!("/{list}"),
                reason: format!("BaseLoc {base:?} leaves the package"),
            })?;
            signatures.push(check_signature(
                pkg,
                &mut digests,
                s.attribute("ID").unwrap_or_default(),
                s.attribute("Type").unwrap_or("Seal"),
                &location,
                at_ms,
            ));
        }
    }
    let uncovered = uncovered(pkg, &signatures);
    Ok(OfdReport { signatures, uncovered, parts: pkg.parts.len() })
}

/// The e-seals of a checked package as a document event carries them
/// (`ofd_seals`): each seal signature with its `Signature.xml`'s path and
/// SM3 as stored.
pub fn ofd_seals(pkg: &Package, report: &OfdReport) -> Vec<crate::event::OfdSeal> {
    report
        .signatures
        .iter()
        .filter_map(|sig| {
            let seal = sig.seal.as_ref()?;
            let xml = pkg.part(sig.location.trim_start_matches('/'))?;
            Some(crate::event::OfdSeal {
                signature_xml: sig.location.clone(),
                signature_xml_sm3: crate::Hash(<sm3::Sm3 as sm3::Digest>::digest(xml).into()),
                seal: crate::event::Bytes(seal.der.clone()),
            })
        })
        .collect()
}

/// Parts no signature references, leaving out `Signatures.xml` files and
/// each signature's own folder (its `Signature.xml` and `SignedValue.dat`
/// cannot be covered by itself).
fn uncovered(pkg: &Package, signatures: &[OfdSignature]) -> Vec<String> {
    if signatures.is_empty() {
        return Vec::new();
    }
    let covered: BTreeSet<&str> = signatures
        .iter()
        .flat_map(|s| s.references.iter().map(|r| r.part.trim_start_matches('/')))
        .collect();
    let own: BTreeSet<&str> =
        signatures.iter().map(|s| folder(s.location.trim_start_matches('/'))).collect();
    pkg.names()
        .filter(|n| !covered.contains(n) && !own.contains(folder(n)))
        .filter(|n| !n.ends_with("Signatures.xml"))
        .map(|n| format!("/{n}"))
        .collect()
}

fn check(check: &'static str, outcome: Result<String, String>) -> SealCheck {
    SealCheck { check, outcome }
}

/// Checks one signature; a structural fault is a failed check, not an
/// error, so the other signatures are still judged.
/// Digests of parts already computed, by part, method and signer (for
/// SM3 with Z_A): several signatures over one large part hash it once.
type Digests = std::collections::HashMap<(String, CheckMethod, Option<crate::Hash>), Vec<u8>>;

fn check_signature(
    pkg: &Package,
    digests: &mut Digests,
    id: &str,
    kind: &str,
    location: &str,
    at_ms: Option<u64>,
) -> OfdSignature {
    let mut sig = OfdSignature {
        id: id.to_owned(),
        kind: kind.to_owned(),
        location: format!("/{location}"),
        signature_date_time: None,
        provider: None,
        check_method: String::new(),
        references: Vec::new(),
        seal: None,
        checks: Vec::new(),
    };
    let xml_bytes = match pkg.part(location) {
        Some(b) => b,
        None => {
            sig.checks.push(check("signature file", Err(format!("{} is missing", sig.location))));
            return sig;
        }
    };
    let text = match xml_text(xml_bytes) {
        Ok(t) => t,
        Err(e) => {
            sig.checks.push(check("signature file", Err(e)));
            return sig;
        }
    };
    let doc = match parse_xml(&text) {
        Ok(d) => d,
        Err(e) => {
            sig.checks.push(check("signature file", Err(e)));
            return sig;
        }
    };
    let root = doc.root();
    let here = folder(location);
    sig.signature_date_time = first_text(root, "SignatureDateTime");
    sig.provider = named(root, "Provider").next().and_then(|p| {
        p.attribute("ProviderName").map(str::to_owned).or_else(|| first_text(p, "ProviderName"))
    });

    // The seal signature first: SM3 with Z_A needs the signer's key.
    let signed_value = first_text(root, "SignedValue").and_then(|v| resolve(here, &v));
    let seal = match &signed_value {
        None => Err("no SignedValue".to_owned()),
        Some(p) => match pkg.part(p) {
            None => Err(format!("/{p} is missing")),
            Some(b) if kind.eq_ignore_ascii_case("Seal") => {
                SealSignature::parse(b).map_err(|e| format!("/{p}: {e}"))
            }
            Some(_) => Err(format!(
                "a signature of type {kind:?} (not an e-seal) is not checked by this verifier"
            )),
        },
    };
    let signer = seal.as_ref().ok().and_then(|s| Cert::from_der(&s.signer_cert).ok());

    // Every reference: the part is there with its recorded digest.
    let refs = named(root, "References").next();
    sig.check_method = refs.and_then(|r| r.attribute("CheckMethod")).unwrap_or_default().to_owned();
    let method = CheckMethod::named(&sig.check_method);
    for r in refs.into_iter().flat_map(|r| named(r, "Reference")) {
        let file = r.attribute("FileRef").unwrap_or_default();
        let Some(part) = resolve(here, file) else {
            sig.references.push(Reference {
                part: file.to_owned(),
                outcome: RefOutcome::Unreadable("leaves the package".into()),
            });
            continue;
        };
        let recorded = first_text(r, "CheckValue").and_then(|v| {
            base64::engine::general_purpose::STANDARD
                .decode(v.split_whitespace().collect::<String>())
                .ok()
        });
        let outcome = match (pkg.part(&part), method, recorded) {
            (None, _, _) => RefOutcome::Missing,
            (_, None, _) => {
                RefOutcome::Unreadable(format!("check method {:?} is unknown", sig.check_method))
            }
            (_, _, None) => RefOutcome::Unreadable("no base64 CheckValue".into()),
            (Some(data), Some(m), Some(want)) => {
                let key = (
                    part.clone(),
                    m,
                    (m == CheckMethod::Sm3WithZ)
                        .then(|| signer.as_ref().map(Cert::fingerprint))
                        .flatten(),
                );
                let got = match digests.get(&key) {
                    Some(d) => Ok(d.clone()),
                    None => m.digest(data, signer.as_ref()).inspect(|d| {
                        digests.insert(key, d.clone());
                    }),
                };
                match got {
                    Ok(got) if got == want => RefOutcome::Matches,
                    Ok(_) => RefOutcome::Modified,
                    Err(e) => RefOutcome::Unreadable(e),
                }
            }
        };
        sig.references.push(Reference { part: format!("/{part}"), outcome });
    }
    sig.checks.push(check("references", references_outcome(&sig)));

    match seal {
        Err(e) => sig.checks.push(check("seal signature", Err(e))),
        Ok(s) => {
            let at = at_ms.unwrap_or(s.time_info_ms);
            for c in s.verify(Some(xml_bytes), at) {
                // In a package the protected content is the Signature.xml.
                let c = match (c.check, &c.outcome) {
                    ("seal data hash", Err(_)) => check(
                        c.check,
                        Err(format!(
                            "{} was modified: its SM3 is not the seal's dataHash",
                            sig.location
                        )),
                    ),
                    _ => c,
                };
                sig.checks.push(c);
            }
            sig.checks.push(check(
                "seal property info",
                if s.property_info.trim_start_matches('/') == location {
                    Ok(format!("names {}", sig.location))
                } else {
                    Err(format!(
                        "propertyInfo {:?} is not this signature's file {}",
                        s.property_info, sig.location
                    ))
                },
            ));
            if let Some(loc) = named(root, "Seal").next().and_then(|n| first_text(n, "BaseLoc")) {
                sig.checks.push(check(
                    "seal file",
                    match resolve(here, &loc).and_then(|p| pkg.part(&p).map(|b| (p, b))) {
                        None => Err(format!("the seal file {loc} is missing")),
                        Some((p, b)) if b == s.seal.der.as_slice() => {
                            Ok(format!("/{p} is the seal the signature carries"))
                        }
                        Some((p, _)) => Err(format!("/{p} is not the seal the signature carries")),
                    },
                ));
            }
            sig.seal = Some(s);
        }
    }
    sig
}

fn references_outcome(sig: &OfdSignature) -> Result<String, String> {
    if sig.references.is_empty() {
        return Err("the signature references no part".into());
    }
    let mut bad = Vec::new();
    for r in &sig.references {
        match &r.outcome {
            RefOutcome::Matches => {}
            RefOutcome::Modified => bad.push(format!("modified: {}", r.part)),
            RefOutcome::Missing => bad.push(format!("missing: {}", r.part)),
            RefOutcome::Unreadable(why) => bad.push(format!("unreadable: {} ({why})", r.part)),
        }
    }
    if bad.is_empty() {
        Ok(format!("{} parts match ({})", sig.references.len(), sig.check_method))
    } else {
        Err(bad.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_stay_inside_the_package() {
        assert_eq!(entry_name("Doc_0/./Document.xml").unwrap(), "Doc_0/Document.xml");
        for bad in ["../evil.xml", "/etc/passwd", "a/../../b", "C:\\x", "a\\b", "", "a/\u{0}"] {
            assert!(entry_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            resolve("Doc_0/Signs", "/Doc_0/Document.xml").as_deref(),
            Some("Doc_0/Document.xml")
        );
        assert_eq!(
            resolve("Doc_0/Signs/Sign_0", "Seal.esl").as_deref(),
            Some("Doc_0/Signs/Sign_0/Seal.esl")
        );
        assert_eq!(resolve("Doc_0/Signs", "../Pages/P.xml").as_deref(), Some("Doc_0/Pages/P.xml"));
        assert_eq!(resolve("", "../x"), None);
        assert_eq!(resolve("Doc_0", "/"), None);
    }

    #[test]
    fn check_methods_by_oid_or_name() {
        assert_eq!(CheckMethod::named("1.2.156.10197.1.401"), Some(CheckMethod::Sm3));
        assert_eq!(CheckMethod::named(" sm3 "), Some(CheckMethod::Sm3));
        assert_eq!(CheckMethod::named("1.2.156.10197.1.401.2"), Some(CheckMethod::Sm3WithZ));
        assert_eq!(CheckMethod::named("SHA-256"), Some(CheckMethod::Sha256));
        assert_eq!(CheckMethod::named("MD5"), None);
    }

    #[test]
    fn what_is_not_a_package_is_an_error_not_a_panic() {
        for bytes in [&b""[..], b"PK\x03\x04", b"<OFD/>"] {
            assert!(verify(bytes, None).is_err());
        }
    }
}
