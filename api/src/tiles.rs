//! C2SP tlog-tiles read paths: `/checkpoint`, `/tile/<L>/<N>[.p/<W>]`,
//! `/tile/entries/<N>[.p/<W>]`.
//!
//! The bytes are `ledger::tiles::tile_bytes` (the same as `tenderlog
//! publish` writes): each tile, full or partial, never changes once it
//! exists, so it is served as immutable. Only what a signed checkpoint
//! covers is served.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use verifier::tiles::TilePath;

use crate::error::{ApiError, Code};
use crate::state::AppState;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `GET /tile/{*path}`.
pub(crate) async fn tile(
    State(state): State<Arc<AppState>>,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    let tile = TilePath::parse(&path)
        .map_err(|e| ApiError::new(Code::NotFound, format!("not a tile path: {e}")))?;
    let body = state
        .readers
        .quick(move |s| {
            ledger::tiles::tile_bytes(s, tile, s.tree_size()?)?.ok_or_else(|| match tile {
                TilePath::Hashes { .. } => {
                    ApiError::new(Code::NotFound, "the tree has no such tile yet")
                }
                TilePath::Entries { .. } => {
                    ApiError::new(Code::NotFound, "the log has no such entry bundle yet")
                }
            })
        })
        .await?;
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream"), (header::CACHE_CONTROL, IMMUTABLE)],
        body,
    )
        .into_response())
}
