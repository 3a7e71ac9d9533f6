//! HTTP errors: RFC 9457 problem details with a stable `code`.
//!
//! Every 4xx and 5xx answer is `application/problem+json`:
//! `{"type":"https://tenderlog.dev/problems/<code>","title":…,"status":…,"code":…,"detail":…}`.
//! Programs match on `code`; `detail` is for people and may change.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Every error code the API returns, with its status. The README and the
/// OpenAPI document list the same table.
pub const CODES: &[(&str, u16, &str)] = &[
    ("bad_parameter", 400, "a query or path parameter is missing or malformed"),
    ("bad_hash", 400, "a hash is not 64 lowercase hex digits"),
    ("size_beyond_tree", 400, "a tree size is larger than the log"),
    ("sizes_out_of_order", 400, "a consistency proof was asked from a larger to a smaller size"),
    ("invalid_json", 400, "the body is not valid JSON for a submission"),
    ("invalid_submission", 422, "the submission breaks a rule of the event format"),
    (
        "rejected",
        422,
        "a document check (signature, certificate chain or status, timestamp, policy) refused the submission; the refusal is logged and `rejection` is its receipt",
    ),
    ("unauthorized", 401, "no valid bearer token"),
    ("forbidden", 403, "the token's role or principal does not allow this"),
    ("not_found", 404, "no such route or object"),
    ("no_such_entry", 404, "the index is not in the log"),
    ("method_not_allowed", 405, "the route exists, the method does not"),
    ("body_too_large", 413, "the request body is over the limit"),
    ("unsupported_media_type", 415, "the body is not application/json"),
    ("overloaded", 503, "the sequencer queue is full; retry after the Retry-After seconds"),
    ("unavailable", 503, "the sequencer has stopped or the server is shutting down"),
    ("internal", 500, "the server failed; the log says why"),
];

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    retry_after: Option<u32>,
    extra: Option<serde_json::Map<String, serde_json::Value>>,
}

impl ApiError {
    /// An error with `code` (one of [`CODES`]) and a human detail.
    pub fn new(code: &'static str, detail: impl Into<String>) -> ApiError {
        let status = CODES
            .iter()
            .find(|(c, _, _)| *c == code)
            .and_then(|(_, s, _)| StatusCode::from_u16(*s).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiError { status, code, detail: detail.into(), retry_after: None, extra: None }
    }

    /// Adds a `Retry-After` header.
    pub fn retry_after(mut self, seconds: u32) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    /// Adds a member to the problem details object (RFC 9457 extension).
    pub fn with(mut self, key: &str, value: serde_json::Value) -> ApiError {
        self.extra.get_or_insert_with(serde_json::Map::new).insert(key.to_owned(), value);
        self
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<ledger::LedgerError> for ApiError {
    fn from(e: ledger::LedgerError) -> ApiError {
        use ledger::LedgerError as L;
        match &e {
            L::BeyondTree { .. } => ApiError::new("size_beyond_tree", e.to_string()),
            L::NoSuchEntry { .. } => ApiError::new("no_such_entry", e.to_string()),
            L::Format(verifier::Error::SizeOrder { .. }) => {
                ApiError::new("sizes_out_of_order", e.to_string())
            }
            L::Format(verifier::Error::IndexOutOfRange { .. }) => {
                ApiError::new("no_such_entry", e.to_string())
            }
            _ => {
                tracing::error!(error = %e, "store error");
                ApiError::new("internal", "the store failed; see the server log")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let mut body = serde_json::json!({
            "type": format!("https://tenderlog.dev/problems/{}", self.code),
            "title": title,
            "status": self.status.as_u16(),
            "code": self.code,
            "detail": self.detail,
        });
        if let (Some(extra), Some(obj)) = (self.extra, body.as_object_mut()) {
            for (k, v) in extra {
                obj.entry(k).or_insert(v);
            }
        }
        let mut r = (self.status, body.to_string()).into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(s) = self.retry_after {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}
