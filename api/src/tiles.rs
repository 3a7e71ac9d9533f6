//! C2SP tlog-tiles read paths: `/checkpoint`, `/tile/<L>/<N>[.p/<W>]`,
//! `/tile/entries/<N>[.p/<W>]`.
//!
//! Level-L tiles are the stored rows of tree level 8·L. A full tile (256
//! hashes or entries) never changes and is served as immutable; a partial
//! tile `.p/W` is the first W of its row, which never changes either once
//! they exist. Only what a signed checkpoint covers is served.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use verifier::tiles::{TilePath, encode_entry_bundle};

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
            let size = s.tree_size()?;
            match tile {
                TilePath::Hashes { level, index, width } => {
                    let want = u64::from(width.unwrap_or(256));
                    // Complete level-8L nodes in the checkpointed tree.
                    let nodes = size.checked_shr(8 * u32::from(level)).unwrap_or(0);
                    if index.saturating_mul(256).saturating_add(want) > nodes {
                        return Err(ApiError::new(Code::NotFound, "the tree has no such tile yet"));
                    }
                    let row = s.tile(8 * u32::from(level), index)?.ok_or_else(|| {
                        ApiError::new(Code::Internal, "a tile row is missing; run tenderlog audit")
                    })?;
                    let end = want as usize * 32;
                    row.get(..end).map(<[u8]>::to_vec).ok_or_else(|| {
                        ApiError::new(Code::Internal, "a tile row is short; run tenderlog audit")
                    })
                }
                TilePath::Entries { index, width } => {
                    let want = u64::from(width.unwrap_or(256));
                    let first = index.saturating_mul(256);
                    if first.saturating_add(want) > size {
                        return Err(ApiError::new(
                            Code::NotFound,
                            "the log has no such entry bundle yet",
                        ));
                    }
                    let mut leaves = Vec::with_capacity(want as usize);
                    for i in first..first + want {
                        leaves.push(s.leaf(i)?);
                    }
                    let refs: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
                    encode_entry_bundle(&refs).map_err(|e| {
                        ApiError::new(Code::Internal, format!("couldn't frame entries: {e}"))
                    })
                }
            }
        })
        .await?;
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream"), (header::CACHE_CONTROL, IMMUTABLE)],
        body,
    )
        .into_response())
}
