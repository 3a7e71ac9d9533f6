//! HTTP errors: RFC 9457 problem details with a stable `code`.
//!
//! Every 4xx and 5xx answer is `application/problem+json`:
//! `{"type":"https://tenderlog.dev/problems/<code>","title":…,"status":…,"code":…,"detail":…}`.
//! Programs match on `code`; `detail` is for people and may change.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Every error code the API returns. Programs match on its text
/// ([`Code::as_str`]); the README and the OpenAPI document list the same
/// table ([`Code::ALL`]). An enum, so that a handler cannot name a code that
/// does not exist (and silently answer 500).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// `bad_parameter` (400): a query or path parameter is missing or malformed.
    BadParameter,
    /// `bad_hash` (400): a hash is not 64 lowercase hex digits.
    BadHash,
    /// `size_beyond_tree` (400): a tree size is larger than the log.
    SizeBeyondTree,
    /// `sizes_out_of_order` (400): a consistency proof was asked from a larger to a smaller size.
    SizesOutOfOrder,
    /// `invalid_json` (400): the body is not valid JSON for a submission.
    InvalidJson,
    /// `invalid_submission` (422): the submission breaks a rule of the event format.
    InvalidSubmission,
    /// `rejected` (422): a document check (signature, certificate chain or status, timestamp, policy) refused the submission; the refusal is logged and `rejection` is its receipt.
    Rejected,
    /// `unauthorized` (401): no valid bearer token.
    Unauthorized,
    /// `forbidden` (403): the token's role or principal does not allow this.
    Forbidden,
    /// `not_entitled` (403): the submitter's role in the tender (owner, bidder, supervisor, from its registration) does not allow what it filed; nothing is logged.
    NotEntitled,
    /// `name_taken` (409): the token name is another principal's, or looks like one (UTS #39 skeleton); `reissue` issues another token for the same principal.
    NameTaken,
    /// `not_found` (404): no such route or object.
    NotFound,
    /// `no_such_entry` (404): the index is not in the log.
    NoSuchEntry,
    /// `method_not_allowed` (405): the route exists, the method does not.
    MethodNotAllowed,
    /// `body_too_large` (413): the request body is over the limit.
    BodyTooLarge,
    /// `body_timeout` (408): the request body did not arrive in time.
    BodyTimeout,
    /// `unsupported_media_type` (415): the body is not application/json.
    UnsupportedMediaType,
    /// `uri_too_long` (414): the request target is longer than 8 KiB.
    UriTooLong,
    /// `headers_too_large` (431): more than 64 header fields, or more than 32 KiB of them.
    HeadersTooLarge,
    /// `too_many_connections` (429): this address holds too many connections; close some, or retry after the Retry-After seconds.
    TooManyConnections,
    /// `rate_limited` (429): this token or address made more requests of this kind than its rate allows; `Retry-After` says when to retry.
    RateLimited,
    /// `overloaded` (503): the sequencer queue is full; retry after the Retry-After seconds.
    Overloaded,
    /// `unavailable` (503): the sequencer has stopped or the server is shutting down.
    Unavailable,
    /// `internal` (500): the server failed; the log says why.
    Internal,
}

impl Code {
    /// Every code, in the order the documentation lists them.
    pub const ALL: [Code; 24] = [
        Code::BadParameter,
        Code::BadHash,
        Code::SizeBeyondTree,
        Code::SizesOutOfOrder,
        Code::InvalidJson,
        Code::InvalidSubmission,
        Code::Rejected,
        Code::Unauthorized,
        Code::Forbidden,
        Code::NotEntitled,
        Code::NameTaken,
        Code::NotFound,
        Code::NoSuchEntry,
        Code::MethodNotAllowed,
        Code::BodyTooLarge,
        Code::BodyTimeout,
        Code::UnsupportedMediaType,
        Code::UriTooLong,
        Code::HeadersTooLarge,
        Code::TooManyConnections,
        Code::RateLimited,
        Code::Overloaded,
        Code::Unavailable,
        Code::Internal,
    ];

    /// The stable text of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BadParameter => "bad_parameter",
            Code::BadHash => "bad_hash",
            Code::SizeBeyondTree => "size_beyond_tree",
            Code::SizesOutOfOrder => "sizes_out_of_order",
            Code::InvalidJson => "invalid_json",
            Code::InvalidSubmission => "invalid_submission",
            Code::Rejected => "rejected",
            Code::Unauthorized => "unauthorized",
            Code::Forbidden => "forbidden",
            Code::NotEntitled => "not_entitled",
            Code::NameTaken => "name_taken",
            Code::NotFound => "not_found",
            Code::NoSuchEntry => "no_such_entry",
            Code::MethodNotAllowed => "method_not_allowed",
            Code::BodyTooLarge => "body_too_large",
            Code::BodyTimeout => "body_timeout",
            Code::UnsupportedMediaType => "unsupported_media_type",
            Code::UriTooLong => "uri_too_long",
            Code::HeadersTooLarge => "headers_too_large",
            Code::TooManyConnections => "too_many_connections",
            Code::RateLimited => "rate_limited",
            Code::Overloaded => "overloaded",
            Code::Unavailable => "unavailable",
            Code::Internal => "internal",
        }
    }

    /// The HTTP status it is answered with.
    pub fn status(self) -> StatusCode {
        let code = match self {
            Code::BadParameter => 400,
            Code::BadHash => 400,
            Code::SizeBeyondTree => 400,
            Code::SizesOutOfOrder => 400,
            Code::InvalidJson => 400,
            Code::InvalidSubmission => 422,
            Code::Rejected => 422,
            Code::Unauthorized => 401,
            Code::Forbidden => 403,
            Code::NotEntitled => 403,
            Code::NameTaken => 409,
            Code::NotFound => 404,
            Code::NoSuchEntry => 404,
            Code::MethodNotAllowed => 405,
            Code::BodyTooLarge => 413,
            Code::BodyTimeout => 408,
            Code::UnsupportedMediaType => 415,
            Code::UriTooLong => 414,
            Code::HeadersTooLarge => 431,
            Code::TooManyConnections => 429,
            Code::RateLimited => 429,
            Code::Overloaded => 503,
            Code::Unavailable => 503,
            Code::Internal => 500,
        };
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// What it means, for the documentation.
    pub fn description(self) -> &'static str {
        match self {
            Code::BadParameter => "a query or path parameter is missing or malformed",
            Code::BadHash => "a hash is not 64 lowercase hex digits",
            Code::SizeBeyondTree => "a tree size is larger than the log",
            Code::SizesOutOfOrder => {
                "a consistency proof was asked from a larger to a smaller size"
            }
            Code::InvalidJson => "the body is not valid JSON for a submission",
            Code::InvalidSubmission => "the submission breaks a rule of the event format",
            Code::Rejected => {
                "a document check (signature, certificate chain or status, timestamp, policy) refused the submission; the refusal is logged and `rejection` is its receipt"
            }
            Code::Unauthorized => "no valid bearer token",
            Code::Forbidden => "the token's role or principal does not allow this",
            Code::NameTaken => {
                "the token name is another principal's, or looks like one (UTS #39 skeleton); reissue issues another token for the same principal"
            }
            Code::NotEntitled => {
                "the submitter's role in the tender (owner, bidder, supervisor, from its registration) does not allow what it filed; nothing is logged"
            }
            Code::NotFound => "no such route or object",
            Code::NoSuchEntry => "the index is not in the log",
            Code::MethodNotAllowed => "the route exists, the method does not",
            Code::BodyTooLarge => "the request body is over the limit",
            Code::BodyTimeout => "the request body did not arrive within the time allowed",
            Code::UnsupportedMediaType => "the body is not application/json",
            Code::UriTooLong => "the request target is longer than 8 KiB",
            Code::HeadersTooLarge => "more than 64 header fields, or more than 32 KiB of them",
            Code::RateLimited => {
                "this token or address made more requests of this kind than its rate allows; Retry-After says when to retry"
            }
            Code::TooManyConnections => {
                "this address holds too many connections; close some, or retry after the Retry-After seconds"
            }
            Code::Overloaded => "the sequencer queue is full; retry after the Retry-After seconds",
            Code::Unavailable => "the sequencer has stopped or the server is shutting down",
            Code::Internal => "the server failed; the log says why",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: Code,
    detail: String,
    retry_after: Option<u32>,
    extra: Option<serde_json::Map<String, serde_json::Value>>,
}

impl ApiError {
    /// An error with `code` and a human detail.
    pub fn new(code: Code, detail: impl Into<String>) -> ApiError {
        ApiError {
            status: code.status(),
            code,
            detail: detail.into(),
            retry_after: None,
            extra: None,
        }
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
    pub fn code(&self) -> Code {
        self.code
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The human detail.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl From<ledger::LedgerError> for ApiError {
    fn from(e: ledger::LedgerError) -> ApiError {
        use ledger::LedgerError as L;
        match &e {
            L::BeyondTree { .. } => ApiError::new(Code::SizeBeyondTree, e.to_string()),
            L::NoSuchEntry { .. } => ApiError::new(Code::NoSuchEntry, e.to_string()),
            L::Format(verifier::Error::SizeOrder { .. }) => {
                ApiError::new(Code::SizesOutOfOrder, e.to_string())
            }
            L::Format(verifier::Error::IndexOutOfRange { .. }) => {
                ApiError::new(Code::NoSuchEntry, e.to_string())
            }
            L::DiskFull => {
                tracing::error!(error = %e, "disk full");
                ApiError::new(Code::Unavailable, "the server's disk is full; retry later")
                    .retry_after(30)
            }
            _ => {
                tracing::error!(error = %e, "store error");
                ApiError::new(Code::Internal, "the store failed; see the server log")
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
            "code": self.code.as_str(),
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
