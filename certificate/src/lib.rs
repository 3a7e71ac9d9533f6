//! The evidence certificate (存证证书): one A4 page in Chinese, with
//! English, for the court file and the bidder's folder.
//!
//! It names the entry (certificate number, tender, document type,
//! submitter, both digests, log index, tree size and root), who signed the
//! checkpoint and who cosigned it, the trusted time and its TSA, the
//! verifier's findings on the signers and seals, one sentence on exactly
//! what is proven, and a QR code to the entry's verification page. It is a
//! PDF/A-3b, laid out by Typst (which shapes CJK text and breaks its
//! lines), with the entry's receipt (`receipt.json`) and the checkpoint's
//! RFC 3161 token (`checkpoint.tsr`) attached, so the paper form carries
//! its own machine-checkable evidence. The same entry gives the same bytes:
//! every date in it is the checkpoint's trusted time, and nothing reads
//! the clock.
//!
//! Chinese needs a CJK font: Noto Sans CJK (SIL Open Font License 1.1,
//! Debian's `fonts-noto-cjk`), found in the usual font folders or given
//! with [`Fonts::from_files`].
#![forbid(unsafe_code)]

mod facts;
mod world;

use std::path::{Path, PathBuf};

pub use facts::{Certificate, Date, Facts, gather};

/// Why a certificate could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    /// The store could not be read.
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
    /// No such entry.
    #[error("entry {index} is not in the log ({size} entries)")]
    NoSuchEntry {
        /// The entry asked for.
        index: u64,
        /// The log's size.
        size: u64,
    },
    /// The entry is a sealed document: its content is not public yet.
    #[error(
        "entry {index} is a sealed document: a certificate can be made for its reveal once it is opened"
    )]
    Sealed {
        /// The entry.
        index: u64,
    },
    /// The entry logs no document.
    #[error("entry {index} is a {kind} event, not a document: certificates are for documents")]
    NotADocument {
        /// The entry.
        index: u64,
        /// Its kind.
        kind: &'static str,
    },
    /// No font with Chinese glyphs was found.
    #[error(
        "no Chinese font found (looked for Noto Sans CJK in {looked}): install Debian's fonts-noto-cjk \
         (SIL Open Font License) with `apt-get install fonts-noto-cjk`, or give --font FILE"
    )]
    NoFont {
        /// Where it looked.
        looked: String,
    },
    /// A font file could not be read.
    #[error("couldn't read the font {path}: {source}")]
    Font {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Typst could not lay the page out or write the PDF.
    #[error("couldn't make the PDF: {0}")]
    Typeset(String),
    /// The log's records do not read back as expected.
    #[error("the log's records are malformed: {0}; run tenderlog audit")]
    Corrupt(String),
}

/// The font families the certificate is set in, in order.
const FAMILY: &str = "Noto Sans CJK SC";

/// Files that hold [`FAMILY`], as Debian and other distributions name them.
const FONT_FILES: &[&str] = &[
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJK-Bold.ttc",
    "NotoSansCJKsc-Regular.otf",
    "NotoSansCJKsc-Bold.otf",
    "NotoSansSC-Regular.otf",
    "NotoSansSC-Bold.otf",
];

/// Where fonts are looked for: `TENDERLOG_FONT_DIR`, then the system's.
fn font_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        std::env::var_os("TENDERLOG_FONT_DIR").map(PathBuf::from).into_iter().collect();
    dirs.extend(["/usr/share/fonts", "/usr/local/share/fonts"].map(PathBuf::from));
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(Path::new(&home).join(".local/share/fonts"));
    }
    dirs
}

/// The fonts a certificate is set in: loaded once, shared by every render.
pub struct Fonts {
    fonts: Vec<typst::text::Font>,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fonts({} faces)", self.fonts.len())
    }
}

impl Fonts {
    /// Noto Sans CJK from the font folders (see [`FONT_FILES`]).
    pub fn system() -> Result<Fonts, CertificateError> {
        let dirs = font_dirs();
        let mut found = Vec::new();
        for dir in &dirs {
            find(dir, 0, &mut found);
        }
        found.sort();
        found.dedup_by(|a, b| a.file_name() == b.file_name());
        if found.is_empty() {
            return Err(CertificateError::NoFont {
                looked: dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", "),
            });
        }
        Fonts::from_files(&found)
    }

    /// The faces in these font files (`.ttc`, `.otf`, `.ttf`); one must be
    /// Noto Sans CJK SC.
    pub fn from_files(paths: &[PathBuf]) -> Result<Fonts, CertificateError> {
        let mut fonts = Vec::new();
        for path in paths {
            let bytes = std::fs::read(path)
                .map_err(|source| CertificateError::Font { path: path.clone(), source })?;
            fonts.extend(typst::text::Font::iter(typst::foundations::Bytes::new(bytes)));
        }
        if !fonts.iter().any(|f| f.info().family == FAMILY) {
            return Err(CertificateError::NoFont {
                looked: paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        Ok(Fonts { fonts })
    }
}

/// Files named in [`FONT_FILES`] under `dir`, a few folders deep.
fn find(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() && depth < 4 {
            find(&path, depth + 1, out);
        } else if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| FONT_FILES.contains(&n))
        {
            out.push(path);
        }
    }
}

/// The QR code linking to `url`, as SVG.
fn qr_svg(url: &str) -> Result<String, CertificateError> {
    let code = qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M)
        .map_err(|e| CertificateError::Typeset(format!("QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}

/// The certificate as PDF/A-3b bytes.
pub fn render(cert: &Certificate, fonts: &Fonts) -> Result<Vec<u8>, CertificateError> {
    let facts =
        serde_json::to_vec(&cert.facts).map_err(|e| CertificateError::Typeset(e.to_string()))?;
    let files = vec![
        ("/facts.json", facts),
        ("/qr.svg", qr_svg(&cert.facts.url)?.into_bytes()),
        ("/receipt.json", cert.receipt.clone()),
        ("/checkpoint.tsr", cert.token.clone().unwrap_or_default()),
    ];
    let mut markup = include_str!("certificate.typ").to_owned();
    // The attachments, in the markup so Typst writes them as PDF/A-3
    // associated files.
    markup.push_str(ATTACH_RECEIPT);
    if cert.token.is_some() {
        markup.push_str(ATTACH_TOKEN);
    }
    world::typeset(markup, files, fonts, &cert.facts)
}

const ATTACH_RECEIPT: &str = r#"
#pdf.attach("receipt.json", read("/receipt.json", encoding: none), relationship: "data",
  mime-type: "application/json",
  description: "The entry's receipt: its leaf and inclusion proof against the signed checkpoint (tenderlog-verify receipt)")
"#;

const ATTACH_TOKEN: &str = r#"
#pdf.attach("checkpoint.tsr", read("/checkpoint.tsr", encoding: none), relationship: "data",
  mime-type: "application/timestamp-reply",
  description: "The RFC 3161 timestamp token over the checkpoint's body (tenderlog-verify timestamp)")
"#;
