//! `tenderlog ofd extract`: what a document submission carries for a signed
//! OFD package — its SHA-256, SM3 and size, and each e-seal inside it with
//! the SM3 of the `Signature.xml` it signs — so the ledger checks the
//! seals as held, and anyone with the file can check it against the entry
//! (`tenderlog-verify BUNDLE --document FILE.ofd`).

use std::path::Path;

use anyhow::Context as _;
use sha2::Digest as _;
use verifier::ofd::RefOutcome;

/// The body of a document submission for the package at `file` (with
/// `document_type` when given); refuses a package whose signatures no
/// longer cover it as signed (a part changed, removed, or a Signature.xml
/// that is not the one sealed): the ledger only sees digests, so this is
/// where that is caught.
pub(crate) fn extract(file: &Path, document_type: Option<&str>) -> anyhow::Result<()> {
    let meta =
        std::fs::metadata(file).with_context(|| format!("couldn't read {}", file.display()))?;
    anyhow::ensure!(
        meta.len() <= verifier::ofd::MAX_OFD_BYTES,
        "{} is larger than {} bytes",
        file.display(),
        verifier::ofd::MAX_OFD_BYTES
    );
    let bytes = std::fs::read(file).with_context(|| format!("couldn't read {}", file.display()))?;
    let pkg = verifier::ofd::Package::read(&bytes)?;
    let report = verifier::ofd::verify_package(&pkg, None)?;
    anyhow::ensure!(
        !report.signatures.is_empty(),
        "{} holds no signature: submit it as a plain document (its sha256, size and media_type)",
        file.display()
    );
    for sig in &report.signatures {
        let broken: Vec<String> = sig
            .references
            .iter()
            .filter(|r| r.outcome != RefOutcome::Matches)
            .map(|r| format!("{} ({:?})", r.part, r.outcome))
            .chain(
                sig.checks
                    .iter()
                    .filter(|c| c.check == "seal data hash" && c.outcome.is_err())
                    .map(|_| format!("{} is not the file that was sealed", sig.location)),
            )
            .collect();
        anyhow::ensure!(
            broken.is_empty(),
            "signature {:?} of {} no longer covers the package as signed: {}\nhint: `tenderlog-verify ofd {}` shows every check",
            sig.id,
            file.display(),
            broken.join(", "),
            file.display()
        );
        if sig.seal.is_none() {
            anyhow::bail!(
                "signature {:?} of {} is not an e-seal this version reads: {}",
                sig.id,
                file.display(),
                sig.checks
                    .iter()
                    .find_map(|c| c.outcome.as_ref().err())
                    .cloned()
                    .unwrap_or_default()
            );
        }
    }
    let seals = verifier::ofd::ofd_seals(&pkg, &report);
    let mut body = serde_json::json!({
        "sha256": verifier::Hash(sha2::Sha256::digest(&bytes).into()),
        "sm3": verifier::Hash(sm3::Sm3::digest(&bytes).into()),
        "size": bytes.len(),
        "media_type": "application/ofd",
        "ofd_seals": seals,
    });
    if let Some(t) = document_type {
        body["document_type"] = t.into();
    }
    println!("{body}");
    eprintln!(
        "tenderlog: {} e-seal{} of {} extracted; send this as the \"body\" of a document submission{}",
        seals.len(),
        if seals.len() == 1 { "" } else { "s" },
        file.display(),
        if document_type.is_none() { " (with its \"document_type\")" } else { "" }
    );
    Ok(())
}
