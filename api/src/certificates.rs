//! `GET /v1/certificates/{index}.pdf`: an entry's evidence certificate, the
//! same bytes as `tenderlog certificate --index N` with the same public URL.

use std::sync::{Arc, OnceLock};

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, Code};
use crate::state::AppState;

/// The fonts, loaded on the first certificate (20 MB of Noto Sans CJK the
/// server needs only if someone asks for one), or why they could not be.
static FONTS: OnceLock<Result<Arc<certificate::Fonts>, String>> = OnceLock::new();

fn fonts() -> Result<Arc<certificate::Fonts>, ApiError> {
    FONTS
        .get_or_init(|| certificate::Fonts::system().map(Arc::new).map_err(|e| e.to_string()))
        .clone()
        .map_err(|e| ApiError::new(Code::Unavailable, e))
}

/// `GET /v1/certificates/{index}.pdf`.
pub(crate) async fn certificate(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let index = file
        .strip_suffix(".pdf")
        .filter(|n| *n == "0" || !n.starts_with('0'))
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| {
            ApiError::new(
                Code::BadParameter,
                format!("{file:?}: ask for {{index}}.pdf, e.g. 17.pdf"),
            )
        })?;
    let (dir, url, signer) =
        (state.dir.clone(), state.public_url.clone(), state.sequencing.signer());
    let policy = state.witnessing.as_ref().map(|w| w.policy());
    let pdf = state
        .readers
        .with(move |s| {
            let fonts = fonts()?;
            let cert =
                certificate::gather(s, &dir, index, &url, signer.classic(), policy.as_deref())
                    .map_err(|e| match e {
                        certificate::CertificateError::NoSuchEntry { .. } => {
                            ApiError::new(Code::NoSuchEntry, e.to_string())
                        }
                        certificate::CertificateError::Sealed { .. }
                        | certificate::CertificateError::NotADocument { .. } => {
                            ApiError::new(Code::NotFound, e.to_string())
                        }
                        certificate::CertificateError::Ledger(l) => ApiError::from(l),
                        other => ApiError::new(Code::Internal, other.to_string()),
                    })?;
            certificate::render(&cert, &fonts)
                .map_err(|e| ApiError::new(Code::Internal, e.to_string()))
        })
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"certificate-{index}.pdf\"")),
        ],
        pdf,
    )
        .into_response())
}
