//! The pages' static files, built into the server: the style sheet, the
//! pages' script, and the in-browser verifier (WebAssembly and its
//! bindings, built by `api/build.rs` from `web/`).

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, Code};

/// Why the in-browser verifier was not built into this server ("" when it
/// was).
const WEB_MISSING: &str = env!("TENDERLOG_WEB_MISSING");

struct Asset {
    name: &'static str,
    media: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "style.css",
        media: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/style.css"),
    },
    Asset {
        name: "app.js",
        media: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/app.js"),
    },
    Asset {
        name: "tenderlog_web.js",
        media: "text/javascript; charset=utf-8",
        bytes: include_bytes!(concat!(env!("OUT_DIR"), "/web/tenderlog_web.js")),
    },
    Asset {
        name: "tenderlog_web_bg.wasm",
        media: "application/wasm",
        bytes: include_bytes!(concat!(env!("OUT_DIR"), "/web/tenderlog_web_bg.wasm")),
    },
];

/// Each asset's entity tag: its SHA-256, so a browser revalidates cheaply
/// and never runs a stale verifier against a new server.
static ETAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS.iter().map(|a| format!("\"{}\"", hex::encode(&Sha256::digest(a.bytes)[..16]))).collect()
});

/// `GET /assets/{name}`.
pub(crate) async fn asset(
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some(i) = ASSETS.iter().position(|a| a.name == name) else {
        return Err(ApiError::new(Code::NotFound, format!("no asset {name:?}")));
    };
    let a = &ASSETS[i];
    if a.bytes.is_empty() {
        return Err(ApiError::new(
            Code::Unavailable,
            format!(
                "this server was built without the in-browser verifier ({WEB_MISSING}): \
                 run `rustup target add wasm32-unknown-unknown` and build it again"
            ),
        ));
    }
    let etag = &ETAGS[i];
    let cache = (header::CACHE_CONTROL, "no-cache");
    if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == etag.as_bytes()) {
        return Ok(
            (StatusCode::NOT_MODIFIED, [(header::ETAG, etag.clone())], [cache]).into_response()
        );
    }
    Ok((
        [(header::CONTENT_TYPE, a.media.to_owned()), (header::ETAG, etag.clone())],
        [cache, (header::X_CONTENT_TYPE_OPTIONS, "nosniff")],
        a.bytes,
    )
        .into_response())
}
