//! The `/v1` JSON API, `/healthz` and `/metrics`.

use ledger::storage::Lookups as _;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::json;
use verifier::Hash;
use verifier::event::{Body, Event, Request, Submission};
use verifier::report::Receipt;

use crate::error::{ApiError, Code};
use crate::state::AppState;
use crate::tokens::{Caller, Role};
use ledger::SubmitError;

type Shared = State<Arc<AppState>>;
/// A request's query parameters: each at most once (a repeated one is
/// refused, not silently taken last), and a query that cannot be read is a
/// `bad_parameter` problem, like every other error.
pub(crate) struct Params(HashMap<String, String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|e| ApiError::new(Code::BadParameter, format!("the query string: {e}")))?;
        let mut map = HashMap::with_capacity(pairs.len());
        for (name, value) in pairs {
            if map.contains_key(&name) {
                return Err(ApiError::new(
                    Code::BadParameter,
                    format!("parameter {name} is given twice"),
                ));
            }
            map.insert(name, value);
        }
        Ok(Params(map))
    }
}

fn hexes(hs: &[Hash]) -> Vec<String> {
    hs.iter().map(Hash::to_hex).collect()
}

/// The caller of a request that needs `role`.
fn authorize(state: &AppState, headers: &HeaderMap, role: Role) -> Result<Caller, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError::new(Code::Unauthorized, "send Authorization: Bearer <token>"))?;
    let caller = state
        .tokens
        .check(token.trim())
        .map_err(|e| {
            tracing::error!(error = %e, "token store");
            ApiError::new(Code::Internal, "the token store failed")
        })?
        .ok_or_else(|| ApiError::new(Code::Unauthorized, "the token is unknown or revoked"))?;
    if !caller.role.includes(role) {
        return Err(ApiError::new(
            Code::Forbidden,
            format!("role {} may not do this; it needs {}", caller.role.as_str(), role.as_str()),
        ));
    }
    Ok(caller)
}

fn param_u64(q: &HashMap<String, String>, name: &str) -> Result<Option<u64>, ApiError> {
    match q.get(name) {
        None => Ok(None),
        Some(v) => {
            let canonical = !v.is_empty()
                && v.bytes().all(|b| b.is_ascii_digit())
                && (v == "0" || !v.starts_with('0'));
            match v.parse::<u64>() {
                Ok(n) if canonical => Ok(Some(n)),
                _ => Err(ApiError::new(
                    Code::BadParameter,
                    format!("{name} must be a decimal number, got {v:?}"),
                )),
            }
        }
    }
}

fn parse_hash(v: &str, what: &str) -> Result<Hash, ApiError> {
    if v.len() != 64 || v.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(ApiError::new(
            Code::BadHash,
            format!("{what} must be 64 lowercase hex digits"),
        ));
    }
    Hash::from_hex(v).map_err(|_| {
        ApiError::new(Code::BadHash, format!("{what} must be 64 lowercase hex digits"))
    })
}

/// `POST /v1/events`: append one submission; answer with a receipt once it is
/// durable and covered by a signed checkpoint.
pub(crate) async fn submit(
    State(state): Shared,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let caller = authorize(&state, &headers, Role::Submitter)?;
    let body = body.map_err(|e| body_error(&e, state.limits.body_bytes))?;
    let Some(appender) = state.sequencing.appender() else {
        // A standby: the sequencer checks and answers it.
        return state.sequencing.forward(&headers, body).await;
    };
    let json = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        // Media types compare case-insensitively (RFC 9110 §8.3.1).
        v.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    });
    if !json {
        return Err(ApiError::new(
            Code::UnsupportedMediaType,
            "send Content-Type: application/json",
        ));
    }
    let submission = Submission::from_json(&body)
        .map_err(|e| ApiError::new(Code::InvalidJson, e.to_string()))?;
    if let Some(p) = &submission.principal
        && *p != caller.name
    {
        return Err(ApiError::new(
            Code::Forbidden,
            format!("principal {p:?} is not this token's ({:?}); leave it out", caller.name),
        ));
    }
    let request = submission
        .into_request(Some(&caller.name))
        .map_err(|e| ApiError::new(Code::InvalidSubmission, e.to_string()))?;
    // A rule pack binds every later document, a holiday calendar every
    // later verdict's day counts, a certificate event says who
    // may sign and whether a signer's key still counts, a seal binding whose
    // seal counts for whom: only an
    // administrator (the platform's CA registry) writes them.
    let registry = match &request {
        Request::Log(c) => match c.body {
            Body::Policy(_) => Some("publish a rule pack"),
            Body::Calendar(_) => Some("publish a holiday calendar"),
            Body::Certificate(_) => Some("register a certificate or change its status"),
            Body::SealBinding(_) => Some("bind or unbind an e-seal"),
            _ => None,
        },
        Request::Seal(_) => None,
    };
    if let Some(what) = registry
        && !caller.role.includes(Role::Admin)
    {
        return Err(ApiError::new(Code::Forbidden, format!("only an admin token may {what}")));
    }
    let committed = match admit_and_submit(&appender, request).await {
        Ok(c) => c,
        Err(SubmitError::Refused { refused, checkpoint }) => {
            let check = match &refused.error {
                verifier::Error::CheckFailed { check, .. } => Some(check.clone()),
                _ => None,
            };
            let Some(logged) = refused.logged else {
                let code = match refused.error {
                    verifier::Error::NotEntitled(_) => Code::NotEntitled,
                    _ => Code::InvalidSubmission,
                };
                return Err(ApiError::new(code, refused.error.to_string()));
            };
            // The bidder gets a receipt for the logged refusal: offline
            // evidence that it submitted, when, and why it was refused.
            let mut receipt = receipt(&state, logged, (*checkpoint).clone()).await?;
            // A sealed submission's refusal logs a commitment: its opening
            // links it to the file, for this submitter alone.
            receipt.sealed = refused.opening;
            let mut e = ApiError::new(Code::Rejected, refused.error.to_string())
                .with("rejection", serde_json::to_value(&receipt).unwrap_or_default());
            if let Some(c) = check {
                e = e.with("check", serde_json::Value::String(c));
            }
            return Err(e);
        }
        Err(e @ SubmitError::Overloaded) => {
            return Err(ApiError::new(Code::Overloaded, e.to_string()).retry_after(1));
        }
        Err(e @ SubmitError::Stopped(_)) => {
            return Err(ApiError::new(Code::Unavailable, e.to_string()).retry_after(5));
        }
        Err(e @ SubmitError::Failed(_)) => {
            return Err(ApiError::new(Code::Unavailable, e.to_string()).retry_after(1));
        }
    };
    let mut receipt = receipt(&state, committed.appended, (*committed.checkpoint).clone()).await?;
    receipt.sealed = committed.opening;
    let status = if receipt.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(receipt)).into_response())
}

/// Admission (on the blocking pool when it calls the TSA, so a slow TSA
/// holds only this request), then the sequencer's queue.
async fn admit_and_submit(
    appender: &Arc<ledger::Appender>,
    request: Request,
) -> Result<ledger::Committed, SubmitError> {
    let admitted = if appender.needs_token(&request) {
        let a = appender.clone();
        tokio::task::spawn_blocking(move || a.admit(request))
            .await
            .map_err(|e| SubmitError::Failed(format!("admission failed: {e}")))?
    } else {
        appender.admit(request)
    };
    appender.try_submit(admitted)?.wait().await
}

/// The receipt of an entry against a checkpoint that covers it.
async fn receipt(
    state: &AppState,
    appended: ledger::Appended,
    checkpoint: verifier::checkpoint::SignedCheckpoint,
) -> Result<Receipt, ApiError> {
    let (index, size, note) = (appended.index, checkpoint.checkpoint.size, checkpoint.note);
    let duplicate = appended.duplicate;
    state.readers.quick(move |s| Ok(s.receipt_at(index, size, note, duplicate)?)).await
}

/// Why a request body could not be read: over the limit (413), not in
/// time (408), or unreadable (400).
fn body_error(e: &BytesRejection, limit: usize) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(Code::BodyTooLarge, format!("the body is over {limit} bytes"));
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return ApiError::new(
                Code::BodyTimeout,
                "the body did not arrive in time; send it whole, then wait for the answer",
            );
        }
        source = err.source();
    }
    ApiError::new(Code::InvalidJson, format!("couldn't read the body: {e}"))
}

/// `POST /v1/tokens` (admin): make a token; the answer holds it, once.
pub(crate) async fn create_token(
    State(state): Shared,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Role::Admin)?;
    let body = body.map_err(|e| body_error(&e, state.limits.body_bytes))?;
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NewToken {
        name: String,
        #[serde(default)]
        role: Option<String>,
        /// Another token for a principal that already has one.
        #[serde(default)]
        reissue: bool,
    }
    let req: NewToken = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(Code::InvalidJson, e.to_string()))?;
    let role = match req.role.as_deref() {
        None => Role::Submitter,
        Some(r) => Role::parse(r).ok_or_else(|| {
            ApiError::new(Code::BadParameter, "role must be submitter, admin or supervisor")
        })?,
    };
    let dir = state.dir.clone();
    let name = req.name.clone();
    let again = req.reissue;
    let token = tokio::task::spawn_blocking(move || {
        if again {
            crate::tokens::reissue(&dir, &name, role)
        } else {
            crate::tokens::create(&dir, &name, role)
        }
    })
    .await
    .map_err(|e| ApiError::new(Code::Internal, e.to_string()))?
    .map_err(|e| match e {
        crate::tokens::TokenError::BadName(m) => ApiError::new(Code::BadParameter, m),
        crate::tokens::TokenError::NameTaken(m) => ApiError::new(Code::NameTaken, m),
        other => {
            tracing::error!(error = %other, "token store");
            ApiError::new(Code::Internal, "the token store failed")
        }
    })?;
    tracing::info!(name = %req.name, role = role.as_str(), "token created");
    Ok((StatusCode::CREATED, Json(json!({"token": token, "name": req.name, "role": role})))
        .into_response())
}

/// `GET /v1/tokens` (admin): the tokens, never their secrets.
pub(crate) async fn list_tokens(
    State(state): Shared,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Role::Admin)?;
    let dir = state.dir.clone();
    let list = tokio::task::spawn_blocking(move || crate::tokens::list(&dir))
        .await
        .map_err(|e| ApiError::new(Code::Internal, e.to_string()))?
        .map_err(|e| {
            tracing::error!(error = %e, "token store");
            ApiError::new(Code::Internal, "the token store failed")
        })?;
    Ok(Json(json!({ "tokens": list })).into_response())
}

/// `GET /v1/checkpoint` and `GET /checkpoint`: the latest signed note.
pub(crate) async fn checkpoint(State(state): Shared) -> Result<Response, ApiError> {
    // With witnesses, the newest checkpoint their quorum cosigned.
    let note = match state.witnessing.as_ref().and_then(|w| w.cosigned()) {
        Some(note) => note,
        None => state.readers.quick(|s| Ok(s.latest_checkpoint()?)).await?.note,
    };
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
        note,
    )
        .into_response())
}

/// `GET /v1/witnesses`: the witness policy's quorum, each witness's size,
/// last cosignature, last error and alarm, and the newest cosigned
/// checkpoint.
pub(crate) async fn witnesses(State(state): Shared) -> Result<Response, ApiError> {
    match &state.witnessing {
        Some(w) => Ok(Json(w.view()).into_response()),
        None => Err(ApiError::new(
            Code::NotFound,
            "this log has no witnesses: start it with `tenderlog serve --witness-policy FILE`",
        )),
    }
}

/// `GET /key-history.json`: the rotations of the log's checkpoint key,
/// which a verifier follows from any key it pinned.
pub(crate) async fn key_history(State(state): Shared) -> Result<Response, ApiError> {
    match state.readers.quick(|s| Ok(s.key_history())).await? {
        Some(h) => Ok((
            [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-cache")],
            h.to_bytes(),
        )
            .into_response()),
        None => Err(ApiError::new(
            Code::NotFound,
            "this log has never rotated its key: every checkpoint is signed by its one key",
        )),
    }
}

/// `GET /v1/checkpoint/timestamp[?size=N]`: the checkpoint's RFC 3161 token.
pub(crate) async fn checkpoint_timestamp(
    State(state): Shared,
    Params(q): Params,
) -> Result<Response, ApiError> {
    let size = param_u64(&q, "size")?;
    let found = state
        .readers
        .quick(move |s| {
            let Some(stamps) = s.stamps()? else { return Ok(None) };
            let Some(size) = size.map_or_else(|| stamps.latest_size(), |s| Ok(Some(s)))? else {
                return Ok(None);
            };
            Ok(stamps.get(size)?.map(|s| (size, s)))
        })
        .await?;
    let Some((size, stamp)) = found else {
        return Err(ApiError::new(
            Code::NotFound,
            "no token for that checkpoint yet: the stamper stamps each new checkpoint within moments",
        ));
    };
    let note = state.readers.quick(move |s| Ok(s.checkpoint_at(size)?)).await?.unwrap_or_default();
    use base64::Engine as _;
    Ok(Json(serde_json::json!({
        "size": size,
        "checkpoint": note,
        "token": base64::engine::general_purpose::STANDARD.encode(&stamp.token),
        "tsa": stamp.tsa,
        "gen_ms": stamp.gen_ms,
    }))
    .into_response())
}

/// `GET /v1/proof/inclusion?index=N[&size=M]` or `?leaf_hash=HEX[&size=M]`.
pub(crate) async fn inclusion(
    State(state): Shared,
    Params(q): Params,
) -> Result<Response, ApiError> {
    let index = param_u64(&q, "index")?;
    let leaf_hash = q.get("leaf_hash").map(|v| parse_hash(v, "leaf_hash")).transpose()?;
    let size = param_u64(&q, "size")?;
    if index.is_some() == leaf_hash.is_some() {
        return Err(ApiError::new(Code::BadParameter, "give exactly one of index and leaf_hash"));
    }
    let started = Instant::now();
    let out = state
        .readers
        .quick(move |s| {
            let size = match size {
                Some(n) => n,
                None => s.tree_size()?,
            };
            let index = match (index, leaf_hash) {
                (Some(i), _) => i,
                (None, Some(h)) => {
                    s.index_of_leaf_hash(&h)?.filter(|i| *i < size).ok_or_else(|| {
                        ApiError::new(
                            Code::NoSuchEntry,
                            format!("no entry has leaf hash {h} in the tree of size {size}"),
                        )
                    })?
                }
                (None, None) => {
                    return Err(ApiError::new(Code::BadParameter, "give index or leaf_hash"));
                }
            };
            if index >= size {
                let tree = s.tree_size()?;
                if size > tree {
                    return Err(ApiError::new(
                        Code::SizeBeyondTree,
                        format!("size {size} is larger than the log ({tree} entries)"),
                    ));
                }
                return Err(ApiError::new(
                    Code::NoSuchEntry,
                    format!("index {index} is not in the tree of size {size}"),
                ));
            }
            let a = s.prove_inclusion(index, size)?;
            Ok(json!({
                "index": index,
                "tree_size": size,
                "leaf_hash": a.leaf_hash,
                "root": a.root,
                "proof": hexes(&a.proof),
                "checkpoint": s.checkpoint_at(size)?,
            }))
        })
        .await?;
    state.metrics.proof_seconds.observe(started.elapsed().as_secs_f64());
    Ok(Json(out).into_response())
}

/// `GET /v1/proof/consistency?from=A[&to=B]`.
pub(crate) async fn consistency(
    State(state): Shared,
    Params(q): Params,
) -> Result<Response, ApiError> {
    let from = param_u64(&q, "from")?
        .ok_or_else(|| ApiError::new(Code::BadParameter, "from is required"))?;
    let to = param_u64(&q, "to")?;
    let started = Instant::now();
    let out = state
        .readers
        .quick(move |s| {
            let to = match to {
                Some(n) => n,
                None => s.tree_size()?,
            };
            if from > to {
                return Err(ApiError::new(
                    Code::SizesOutOfOrder,
                    format!("from {from} is larger than to {to}"),
                ));
            }
            let proof = s.consistency_proof(from, to)?;
            Ok(json!({
                "size1": from,
                "size2": to,
                "root1": s.root_at(from)?,
                "root2": s.root_at(to)?,
                "proof": hexes(&proof),
                "checkpoint": s.checkpoint_at(to)?,
            }))
        })
        .await?;
    state.metrics.proof_seconds.observe(started.elapsed().as_secs_f64());
    Ok(Json(out).into_response())
}

fn parse_index(v: &str) -> Result<u64, ApiError> {
    let mut q = HashMap::new();
    q.insert("index".to_owned(), v.to_owned());
    param_u64(&q, "index")?.ok_or_else(|| ApiError::new(Code::BadParameter, "index is required"))
}

/// `GET /v1/entries/{index}`: the leaf and its decoded event.
pub(crate) async fn entry(
    State(state): Shared,
    Path(index): Path<String>,
) -> Result<Response, ApiError> {
    let index = parse_index(&index)?;
    let out = state
        .readers
        .quick(move |s| {
            let size = s.tree_size()?;
            if index >= size {
                return Err(ApiError::new(
                    Code::NoSuchEntry,
                    format!("entry {index} is not in the log ({size} entries)"),
                ));
            }
            let leaf = s.leaf(index)?;
            let event = Event::decode(&leaf).map_err(|e| {
                tracing::error!(index, error = %e, "stored leaf does not decode");
                ApiError::new(Code::Internal, "the stored leaf is malformed; run tenderlog audit")
            })?;
            Ok(json!({
                "index": index,
                "leaf": B64.encode(&leaf),
                "leaf_hash": verifier::leaf_hash(&leaf),
                "event": event.to_json(),
            }))
        })
        .await?;
    Ok(Json(out).into_response())
}

/// `GET /v1/receipts/{index}`: the receipt of an entry, against the first
/// checkpoint that covered it — the same a submitter got (without a sealed
/// document's opening, which only its submitter ever holds).
pub(crate) async fn entry_receipt(
    State(state): Shared,
    Path(index): Path<String>,
) -> Result<Response, ApiError> {
    let index = parse_index(&index)?;
    let receipt = state
        .readers
        .quick(move |s| {
            let (size, note) = s.receipt_checkpoint(index)?;
            Ok(s.receipt_at(index, size, note, false)?)
        })
        .await?;
    Ok(Json(receipt).into_response())
}

/// A tender ID in a path: 1 to 128 bytes.
fn tender_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > verifier::event::MAX_TENDER_ID_BYTES {
        return Err(ApiError::new(Code::BadParameter, "tender ID must be 1-128 bytes"));
    }
    Ok(())
}

/// Most events in one page of a timeline.
const MAX_PAGE: u64 = 1000;

/// `GET /v1/tenders/{id}/events[?after=SEQ][&limit=N]`: the tender's
/// timeline, in order, a page at a time (at most [`MAX_PAGE`] events from
/// the one after sequence number `after`); `next` is the `after` of the next
/// page, when there is one.
pub(crate) async fn tender_events(
    State(state): Shared,
    Path(id): Path<String>,
    Params(q): Params,
) -> Result<Response, ApiError> {
    tender_id(&id)?;
    let after = param_u64(&q, "after")?;
    let limit = param_u64(&q, "limit")?.unwrap_or(MAX_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::new(Code::BadParameter, format!("limit must be 1 to {MAX_PAGE}")));
    }
    let out = state
        .readers
        .with(move |s| {
            let size = s.tree_size()?;
            let all: Vec<(u64, u64)> =
                s.tender_events(&id)?.into_iter().filter(|(_, index)| *index < size).collect();
            if all.is_empty() {
                return Err(ApiError::new(Code::NotFound, format!("no events for tender {id:?}")));
            }
            let from = all.partition_point(|(seq, _)| after.is_some_and(|a| *seq <= a));
            let page = &all[from..all.len().min(from + limit as usize)];
            let mut events = Vec::with_capacity(page.len());
            for &(seq, index) in page {
                let leaf = s.leaf(index)?;
                let event = Event::decode(&leaf)
                    .map_err(|_| ApiError::new(Code::Internal, "stored leaf is malformed"))?;
                events.push(json!({
                    "seq": seq,
                    "index": index,
                    "leaf_hash": verifier::leaf_hash(&leaf),
                    "event": event.to_json(),
                }));
            }
            let next = (from + page.len() < all.len()).then(|| page.last().map(|(seq, _)| *seq));
            Ok(json!({
                "tender": id,
                "tree_size": size,
                "events": events,
                "next": next.flatten(),
            }))
        })
        .await?;
    Ok(Json(out).into_response())
}

/// `GET /v1/tenders/{id}/compliance[?minimum_periods=whole-days][&extend_minimums=true]`:
/// the tender's compliance report over the log of the newest checkpoint —
/// the same report `tenderlog report` prints and `tenderlog-verify` gives
/// offline from the tender's bundle.
pub(crate) async fn tender_compliance(
    State(state): Shared,
    Path(id): Path<String>,
    Params(q): Params,
) -> Result<Response, ApiError> {
    use verifier::rules::{MinimumPeriods, Reading};
    tender_id(&id)?;
    let minimum_periods = match q.get("minimum_periods").map(String::as_str) {
        None | Some("calendar-dates") => MinimumPeriods::CalendarDates,
        Some("whole-days") => MinimumPeriods::WholeDays,
        Some(v) => {
            return Err(ApiError::new(
                Code::BadParameter,
                format!("minimum_periods is calendar-dates or whole-days, not {v:?}"),
            ));
        }
    };
    let extend = match q.get("extend_minimums").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(v) => {
            return Err(ApiError::new(
                Code::BadParameter,
                format!("extend_minimums is true or false, not {v:?}"),
            ));
        }
    };
    let html = match q.get("format").map(String::as_str) {
        None | Some("json") => false,
        Some("html") => true,
        Some(v) => {
            return Err(ApiError::new(
                Code::BadParameter,
                format!("format is json or html, not {v:?}"),
            ));
        }
    };
    if let Some(k) =
        q.keys().find(|k| !matches!(k.as_str(), "minimum_periods" | "extend_minimums" | "format"))
    {
        return Err(ApiError::new(Code::BadParameter, format!("unknown parameter {k:?}")));
    }
    let reading = Reading { minimum_periods, extend_minimums_over_rest_days: extend };
    let (size, c) = state
        .readers
        .with(move |s| match s.compliance(&id, reading)? {
            Some(found) => Ok(found),
            None => Err(ApiError::new(Code::NotFound, format!("no events for tender {id:?}"))),
        })
        .await?;
    if html {
        // A page with no script and nothing from elsewhere: its policy
        // allows its own inline style and nothing else.
        return Ok((
            [
                (axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (
                    axum::http::header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
                ),
            ],
            c.to_html(),
        )
            .into_response());
    }
    Ok(Json(json!({ "tree_size": size, "compliance": c })).into_response())
}

/// `GET /v1/documents/{sha256}`: where a document digest was logged.
pub(crate) async fn documents(
    State(state): Shared,
    Path(digest): Path<String>,
) -> Result<Response, ApiError> {
    let digest = parse_hash(&digest, "sha256")?;
    let out = state
        .readers
        .with(move |s| {
            let size = s.tree_size()?;
            let mut found = Vec::new();
            for index in s.document_events(&digest)? {
                let leaf = s.leaf(index)?;
                let event = Event::decode(&leaf)
                    .map_err(|_| ApiError::new(Code::Internal, "stored leaf is malformed"))?;
                found.push(json!({
                    "index": index,
                    "leaf_hash": verifier::leaf_hash(&leaf),
                    "event": event.to_json(),
                }));
            }
            if found.is_empty() {
                return Err(ApiError::new(
                    Code::NotFound,
                    format!("document {digest} was not logged"),
                ));
            }
            Ok(json!({ "sha256": digest, "tree_size": size, "events": found }))
        })
        .await?;
    Ok(Json(out).into_response())
}

/// `GET /v1/bundles?tender=ID` (or `?index=N&index=M…`, or `?document=HEX`):
/// the evidence bundle, byte-identical to `tenderlog bundle`.
pub(crate) async fn bundle(
    State(state): Shared,
    pairs: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    use verifier::bundle::Selection;
    let mut tender = None;
    let mut indexes = Vec::new();
    let mut document = None;
    let Query(pairs) = pairs.map_err(|e| ApiError::new(Code::BadParameter, e.to_string()))?;
    for (k, v) in pairs {
        match k.as_str() {
            "tender" if tender.is_none() => tender = Some(v),
            "index" => {
                let mut q = HashMap::new();
                q.insert("index".to_owned(), v);
                indexes.push(param_u64(&q, "index")?.unwrap_or_default());
            }
            "document" if document.is_none() => document = Some(parse_hash(&v, "document")?),
            other => {
                return Err(ApiError::new(
                    Code::BadParameter,
                    format!("unexpected or repeated parameter {other:?}"),
                ));
            }
        }
    }
    let selection = match (tender, indexes.is_empty(), document) {
        (Some(t), true, None) => Selection::Tender(t),
        (None, false, None) => Selection::Indexes(indexes),
        (None, true, Some(d)) => Selection::Document(d),
        _ => {
            return Err(ApiError::new(
                Code::BadParameter,
                "give one of tender, index (repeatable) or document",
            ));
        }
    };
    // The download's name says what it holds: `<tender>.bundle.zip`,
    // `entries-<first>.bundle.zip` or `document-<sha256 prefix>.bundle.zip`
    // (a tender ID outside [A-Za-z0-9._-] is kept, as UTF-8, in filename*).
    let (ascii, utf8) = match &selection {
        Selection::Tender(t) => {
            let safe: String = t
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' })
                .collect();
            let encoded: String = t
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            (format!("{safe}.bundle.zip"), Some(format!("{encoded}.bundle.zip")))
        }
        Selection::Indexes(list) => {
            (format!("entries-{}.bundle.zip", list.first().copied().unwrap_or_default()), None)
        }
        Selection::Document(d) => (format!("document-{}.bundle.zip", &d.to_hex()[..16]), None),
    };
    let disposition = match utf8 {
        Some(u) => format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{u}"),
        None => format!("attachment; filename=\"{ascii}\""),
    };
    let signer = state.sequencing.signer();
    let dir = state.dir.clone();
    let policy = state.witnessing.as_ref().map(|w| w.policy());
    let bytes = state
        .readers
        .with(move |s| {
            // Read per export: roots added since the server started are
            // proposed too, with the server's witness policy (the same
            // bytes as `tenderlog bundle --witness-policy`).
            let mut roots = ledger::trust::bundle_roots(&dir)?;
            if let Some(p) = &policy {
                roots = roots.with_witnesses(p);
            }
            let b = s.export_bundle(&selection, Some(signer.classic()), &roots).map_err(
                |e| match e {
                    ledger::LedgerError::NothingSelected => {
                        ApiError::new(Code::NotFound, e.to_string())
                    }
                    ledger::LedgerError::TooManyEntries { .. } => {
                        ApiError::new(Code::BadParameter, e.to_string())
                    }
                    other => ApiError::from(other),
                },
            )?;
            b.to_zip().map_err(|e| ApiError::new(Code::Internal, e.to_string()))
        })
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /healthz`: 200 while checkpoints are being signed, 503 otherwise.
pub(crate) async fn healthz(State(state): Shared) -> Response {
    let status = state.sequencing.status();
    let stopped = status.stopped();
    let signed = status.signed_ms.load(Ordering::SeqCst);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let age_ms = now.saturating_sub(signed);
    let fresh = age_ms <= state.limits.health_max_age.as_millis() as u64;
    let body = json!({
        "ok": fresh && stopped.is_none(),
        "tree_size": status.tree_size.load(Ordering::SeqCst),
        "checkpoint_age_ms": age_ms,
        "max_age_ms": state.limits.health_max_age.as_millis() as u64,
        "stopped": stopped,
        // Whether this front-end sequences (a standby forwards submissions).
        "sequencer": state.sequencing.sequences(),
    });
    let code =
        if fresh && stopped.is_none() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(body)).into_response()
}

/// `GET /metrics`: Prometheus text.
pub(crate) async fn metrics(State(state): Shared) -> Response {
    (
        [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
        state.metrics.render(),
    )
        .into_response()
}

/// Any route that does not exist.
pub(crate) async fn not_found() -> ApiError {
    ApiError::new(Code::NotFound, "no such route; see /v1/openapi.json")
}

/// A route that exists, with a method it does not have.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        Code::MethodNotAllowed,
        "this route does not take that method; see /v1/openapi.json",
    )
}
