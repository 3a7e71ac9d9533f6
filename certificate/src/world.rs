//! The Typst world a certificate is laid out in: one source, its data
//! files, the fonts, and no clock, no network and no file system.

use std::collections::HashMap;
use std::sync::LazyLock;

use typst::diag::{FileError, FileResult, Warned};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt as _, World};
use typst_layout::PagedDocument;

use crate::{CertificateError, Facts, Fonts};

/// The standard library, built once.
static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

/// A file's ID. IDs are interned for the process's life (and limited in
/// number), so only the certificate's fixed paths are ever made.
fn id(path: &str) -> FileId {
    RootedPath::new(VirtualRoot::Project, VirtualPath::new(path).expect("a fixed, valid path"))
        .intern()
}

struct CertificateWorld<'a> {
    main: Source,
    files: HashMap<FileId, Bytes>,
    book: LazyHash<FontBook>,
    fonts: &'a [Font],
}

impl World for CertificateWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &self.book
    }
    fn main(&self) -> FileId {
        self.main.id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotFound(id.vpath().get_without_slash().into()))
        }
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::NotFound(id.vpath().get_without_slash().into()))
    }
    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.get(index).cloned()
    }
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // No clock: the certificate's dates come from the log.
        None
    }
}

/// Lays `markup` out with `files` and writes PDF/A-3b.
pub(crate) fn typeset(
    markup: String,
    files: Vec<(&str, Vec<u8>)>,
    fonts: &Fonts,
    facts: &Facts,
) -> Result<Vec<u8>, CertificateError> {
    let world = CertificateWorld {
        main: Source::new(id("/certificate.typ"), markup),
        files: files.into_iter().map(|(p, b)| (id(p), Bytes::new(b))).collect(),
        book: LazyHash::new(FontBook::from_fonts(&fonts.fonts)),
        fonts: &fonts.fonts,
    };
    let Warned { output, warnings: _ } = typst::compile::<PagedDocument>(&world);
    let document = output.map_err(|errors| {
        CertificateError::Typeset(
            errors.iter().map(|d| d.message.to_string()).collect::<Vec<_>>().join("; "),
        )
    })?;
    let d = facts.date;
    let date = Datetime::from_ymd_hms(
        i32::from(d.year),
        d.month as u8,
        d.day as u8,
        d.hour as u8,
        d.minute as u8,
        d.second as u8,
    )
    .ok_or_else(|| CertificateError::Typeset("the certificate's date is out of range".into()))?;
    let options = typst_pdf::PdfOptions {
        ident: Smart::Custom(facts.number.clone()),
        timestamp: Some(typst_pdf::Timestamp::new_utc(date)),
        standards: typst_pdf::PdfStandards::new(&[typst_pdf::PdfStandard::A_3b])
            .map_err(|e| CertificateError::Typeset(e.message().to_string()))?,
        ..Default::default()
    };
    typst_pdf::pdf(&document, &options).map_err(|errors| {
        CertificateError::Typeset(
            errors.iter().map(|d| d.message.to_string()).collect::<Vec<_>>().join("; "),
        )
    })
}
