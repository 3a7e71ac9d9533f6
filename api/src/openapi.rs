//! The route table: every route's handler *and* its documentation, in one
//! place. The router is built from it and `GET /v1/openapi.json` is generated
//! from it, so the two cannot drift apart.

use std::sync::Arc;

use axum::Json;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde_json::{Value, json};

use crate::error::Code;
use crate::state::AppState;
use crate::{pages, tiles, v1};

/// A parameter of an operation.
pub struct Param {
    /// Its name.
    pub name: &'static str,
    /// `query` or `path`.
    pub location: &'static str,
    /// Whether it must be given.
    pub required: bool,
    /// JSON schema type: `integer` or `string`.
    pub kind: &'static str,
    /// What it means.
    pub description: &'static str,
}

/// A documented route.
pub struct Route {
    /// Method, upper case.
    pub method: &'static str,
    /// Path in axum syntax (`{name}`, `{*name}`).
    pub path: &'static str,
    /// One line.
    pub summary: &'static str,
    /// The token role it needs, if any.
    pub role: Option<&'static str>,
    /// Its parameters.
    pub params: &'static [Param],
    /// Request body media type, if it takes one.
    pub body: Option<&'static str>,
    /// `(status, media type, description)` of its success answers.
    pub ok: &'static [(u16, &'static str, &'static str)],
    /// Error codes it may answer with.
    pub errors: &'static [Code],
}

const fn q(
    name: &'static str,
    required: bool,
    kind: &'static str,
    description: &'static str,
) -> Param {
    Param { name, location: "query", required, kind, description }
}

const fn p(name: &'static str, kind: &'static str, description: &'static str) -> Param {
    Param { name, location: "path", required: true, kind, description }
}

const JSON: &str = "application/json";
const TEXT: &str = "text/plain";
const HTML: &str = "text/html";
const OCTETS: &str = "application/octet-stream";

const INCLUSION_PARAMS: &[Param] = &[
    q("index", false, "integer", "the entry's index (or give leaf_hash)"),
    q("leaf_hash", false, "string", "the entry's leaf hash, 64 lowercase hex"),
    q("size", false, "integer", "tree size; default the latest checkpoint"),
];
const STAMP_PARAMS: &[Param] =
    &[q("size", false, "integer", "checkpoint size; default the latest stamped one")];
const CONSISTENCY_PARAMS: &[Param] = &[
    q("from", true, "integer", "the older size"),
    q("to", false, "integer", "the newer size; default the latest checkpoint"),
];
const ENTRY_PARAMS: &[Param] = &[p("index", "integer", "the entry's index")];
const TIMELINE_PARAMS: &[Param] = &[
    p("id", "string", "the tender ID"),
    p("after", "integer", "start after this sequence number (the previous page's next)"),
    p("limit", "integer", "most events in the page, 1 to 1000 (default 1000)"),
];
const COMPLIANCE_PARAMS: &[Param] = &[
    p("id", "string", "the tender ID"),
    q(
        "minimum_periods",
        false,
        "string",
        "how \"at least N days\" is counted: calendar-dates (default; the starting day is not counted) or whole-days",
    ),
    q(
        "extend_minimums",
        false,
        "boolean",
        "true: a minimum period ending on a rest day runs on to the next working day",
    ),
    q(
        "format",
        false,
        "string",
        "json (default) or html: one page, Chinese first with English, no script, to read or print",
    ),
];
const DOCUMENT_PARAMS: &[Param] =
    &[p("sha256", "string", "the document's SHA-256, 64 lowercase hex")];
const TILE_PARAMS: &[Param] =
    &[p("path", "string", "the tile path, e.g. 0/x001/234 or entries/000.p/7")];

const VERIFY_PARAMS: &[Param] =
    &[q("sha256", false, "string", "a document's SHA-256, 64 hex digits")];
const CERTIFICATE_PARAMS: &[Param] =
    &[p("file", "string", "the entry's index and .pdf, e.g. 17.pdf")];
const CONSOLE_TENDER_PARAMS: &[Param] = &[p("id", "string", "the tender ID")];
const ASSET_PARAMS: &[Param] =
    &[p("name", "string", "style.css, app.js, tenderlog_web.js or tenderlog_web_bg.wasm")];

const BUNDLE_PARAMS: &[Param] = &[
    q("tender", false, "string", "every event of this tender"),
    q("index", false, "integer", "these entries (repeatable)"),
    q("document", false, "string", "the events that logged this SHA-256 (64 lowercase hex)"),
];

/// Every route with its handler.
pub fn routes() -> Vec<(Route, MethodRouter<Arc<AppState>>)> {
    vec![
        (
            Route {
                method: "POST",
                path: "/v1/events",
                summary: "Append a submission; answers with a receipt once it is durable and checkpointed",
                role: Some("submitter"),
                params: &[],
                body: Some(JSON),
                ok: &[
                    (201, JSON, "receipt for a new entry"),
                    (
                        200,
                        JSON,
                        "receipt for the earlier entry with the same content (fresh proof)",
                    ),
                ],
                errors: &[
                    Code::Unauthorized,
                    Code::Forbidden,
                    Code::InvalidJson,
                    Code::InvalidSubmission,
                    Code::BodyTooLarge,
                    Code::UnsupportedMediaType,
                    Code::Overloaded,
                    Code::Unavailable,
                ],
            },
            post(v1::submit),
        ),
        (
            Route {
                method: "POST",
                path: "/v1/tokens",
                summary: "Make a bearer token: body {\"name\": principal, \"role\": \"submitter\"|\"admin\"}; the answer shows it once",
                role: Some("admin"),
                params: &[],
                body: Some(JSON),
                ok: &[(201, JSON, "token, name, role")],
                errors: &[
                    Code::Unauthorized,
                    Code::Forbidden,
                    Code::InvalidJson,
                    Code::BadParameter,
                    Code::BodyTooLarge,
                ],
            },
            post(v1::create_token),
        ),
        (
            Route {
                method: "GET",
                path: "/v1/tokens",
                summary: "List the bearer tokens (IDs, names, roles; never secrets)",
                role: Some("admin"),
                params: &[],
                body: None,
                ok: &[(200, JSON, "tokens")],
                errors: &[Code::Unauthorized, Code::Forbidden],
            },
            get(v1::list_tokens),
        ),
        (
            Route {
                method: "GET",
                path: "/v1/checkpoint",
                summary: "The latest signed checkpoint (C2SP signed note), byte-exact; with witnesses, the newest one their quorum cosigned",
                role: None,
                params: &[],
                body: None,
                ok: &[(200, TEXT, "the signed note")],
                errors: &[],
            },
            get(v1::checkpoint),
        ),
        (
            Route {
                method: "GET",
                path: "/v1/witnesses",
                summary: "The witnesses: the policy's quorum, each witness's cosigned size, last error and alarm, and the newest cosigned checkpoint",
                role: None,
                params: &[],
                body: None,
                ok: &[(200, JSON, "quorum, witnesses, cosigned, cosigned_size, asking")],
                errors: &[Code::NotFound],
            },
            get(v1::witnesses),
        ),
        (
            Route {
                method: "GET",
                path: "/v1/checkpoint/timestamp",
                summary: "The RFC 3161 token over a checkpoint's body (SHA-256 of the note text before its signatures)",
                role: None,
                params: STAMP_PARAMS,
                body: None,
                ok: &[(
                    200,
                    JSON,
                    "size, checkpoint (the signed note), token (base64), tsa, gen_ms",
                )],
                errors: &[Code::BadParameter, Code::NotFound],
            },
            get(v1::checkpoint_timestamp),
        ),
        (
            Route {
                method: "GET",
                path: "/v1/proof/inclusion",
                summary: "Inclusion proof of an entry in the tree of any past size",
                role: None,
                params: INCLUSION_PARAMS,
                body: None,
                ok: &[(
                    200,
                    JSON,
                    "index, tree_size, leaf_hash, root, proof (hex), checkpoint (when one was signed at that size)",
                )],
                errors: &[
                    Code::BadParameter,
                    Code::BadHash,
                    Code::NoSuchEntry,
                    Code::SizeBeyondTree,
                ],
            },
            get(v1::inclusion),
        ),
        (
            Route {
                method: "GET",
                path: "/v1/proof/consistency",
                summary: "Consistency proof between two tree sizes",
                role: None,
                params: CONSISTENCY_PARAMS,
                body: None,
                ok: &[(200, JSON, "size1, size2, root1, root2, proof (hex)")],
                errors: &[Code::BadParameter, Code::SizesOutOfOrder, Code::SizeBeyondTree],
            },
            get(v1::consistency),
        ),
        (
            Route {
                method: "GET",
                path: "/v1/entries/{index}",
                summary: "An entry: its leaf (base64) and decoded event",
                role: None,
                params: ENTRY_PARAMS,
                body: None,
                ok: &[(200, JSON, "index, leaf, leaf_hash, event")],
                errors: &[Code::BadParameter, Code::NoSuchEntry],
            },
            get(v1::entry),
        ),
        (
            Route {
                method: "GET",
                path: "/v1/receipts/{index}",
                summary: "An entry's receipt against the first checkpoint that covered it (what its submitter got, without a sealed document's opening)",
                role: None,
                params: ENTRY_PARAMS,
                body: None,
                ok: &[(200, JSON, "the receipt")],
                errors: &[Code::BadParameter, Code::NoSuchEntry],
            },
            get(v1::entry_receipt),
        ),
        (
            Route {
                method: "GET",
                path: "/v1/certificates/{file}",
                summary: "`/v1/certificates/{index}.pdf`: an entry's evidence certificate (存证证书), a one-page PDF/A-3 in Chinese with the receipt and the checkpoint's RFC 3161 token attached; the same bytes as `tenderlog certificate`",
                role: None,
                params: CERTIFICATE_PARAMS,
                body: None,
                ok: &[(200, "application/pdf", "the certificate")],
                errors: &[Code::BadParameter, Code::NoSuchEntry, Code::NotFound, Code::Unavailable],
            },
            get(crate::certificates::certificate),
        ),
        (
            Route {
                method: "GET",
                path: "/v1/tenders/{id}/events",
                summary: "A tender's timeline, in order, with indexes, a page at a time",
                role: None,
                params: TIMELINE_PARAMS,
                body: None,
                ok: &[(
                    200,
                    JSON,
                    "tender, tree_size, events, next (the after of the next page, or null)",
                )],
                errors: &[Code::BadParameter, Code::NotFound],
            },
            get(v1::tender_events),
        ),
        (
            Route {
                method: "GET",
                path: "/v1/tenders/{id}/compliance",
                summary: "A tender's compliance report: each rule of its procedure judged pass, fail (citing entries), indeterminate (naming what is missing) or not applicable, with its article",
                role: None,
                params: COMPLIANCE_PARAMS,
                body: None,
                ok: &[
                    (200, JSON, "tree_size, compliance"),
                    (200, HTML, "the report as a page (format=html)"),
                ],
                errors: &[Code::BadParameter, Code::NotFound],
            },
            get(v1::tender_compliance),
        ),
        (
            Route {
                method: "GET",
                path: "/v1/documents/{sha256}",
                summary: "Where a document digest was logged",
                role: None,
                params: DOCUMENT_PARAMS,
                body: None,
                ok: &[(200, JSON, "sha256, tree_size, events")],
                errors: &[Code::BadHash, Code::NotFound],
            },
            get(v1::documents),
        ),
        (
            Route {
                method: "GET",
                path: "/v1/bundles",
                summary: "An evidence bundle (zip) for offline verification with tenderlog-verify; the same bytes as `tenderlog bundle`",
                role: None,
                params: BUNDLE_PARAMS,
                body: None,
                ok: &[(200, "application/zip", "the bundle")],
                errors: &[Code::BadParameter, Code::BadHash, Code::NotFound, Code::NoSuchEntry],
            },
            get(v1::bundle),
        ),
        (
            Route {
                method: "GET",
                path: "/v1/openapi.json",
                summary: "This document",
                role: None,
                params: &[],
                body: None,
                ok: &[(200, JSON, "OpenAPI 3.1")],
                errors: &[],
            },
            get(serve),
        ),
        (
            Route {
                method: "GET",
                path: "/verify",
                summary: "Page: verify a document (hashed in the browser, never uploaded), a receipt or a bundle; with ?sha256=HEX, the server's lookup without script",
                role: None,
                params: VERIFY_PARAMS,
                body: None,
                ok: &[(200, HTML, "the page")],
                errors: &[],
            },
            get(pages::public::verify),
        ),
        (
            Route {
                method: "GET",
                path: "/",
                summary: "Page: the verification page",
                role: None,
                params: &[],
                body: None,
                ok: &[(200, HTML, "the page")],
                errors: &[],
            },
            get(pages::public::verify),
        ),
        (
            Route {
                method: "GET",
                path: "/receipt",
                summary: "Page: check a receipt in the browser",
                role: None,
                params: &[],
                body: None,
                ok: &[(200, HTML, "the page")],
                errors: &[],
            },
            get(pages::public::receipt),
        ),
        (
            Route {
                method: "GET",
                path: "/entries/{index}",
                summary: "Page: an entry's permalink, with its receipt and bundle, verified in the browser",
                role: None,
                params: ENTRY_PARAMS,
                body: None,
                ok: &[(200, HTML, "the page")],
                errors: &[],
            },
            get(pages::public::entry),
        ),
        (
            Route {
                method: "GET",
                path: "/console",
                summary: "Page: the regulator's console (log health, tenders, violations); a sign-in form without a session",
                role: Some("supervisor"),
                params: &[],
                body: None,
                ok: &[(200, HTML, "the page")],
                errors: &[],
            },
            get(pages::console::home),
        ),
        (
            Route {
                method: "POST",
                path: "/console/login",
                summary: "Sign in to the console with an admin or supervisor token (form field token); sets an HttpOnly, SameSite=Strict session cookie",
                role: None,
                params: &[],
                body: Some("application/x-www-form-urlencoded"),
                ok: &[(303, HTML, "to /console")],
                errors: &[],
            },
            post(pages::console::login),
        ),
        (
            Route {
                method: "POST",
                path: "/console/logout",
                summary: "End the console session",
                role: None,
                params: &[],
                body: None,
                ok: &[(303, HTML, "to /console")],
                errors: &[],
            },
            post(pages::console::logout),
        ),
        (
            Route {
                method: "GET",
                path: "/console/tenders/{id}",
                summary: "Page: a tender's compliance report (violations first), refusals and timeline",
                role: Some("supervisor"),
                params: CONSOLE_TENDER_PARAMS,
                body: None,
                ok: &[(200, HTML, "the page")],
                errors: &[],
            },
            get(pages::console::tender),
        ),
        (
            Route {
                method: "GET",
                path: "/assets/{name}",
                summary: "The pages' style, script and in-browser verifier (WebAssembly)",
                role: None,
                params: ASSET_PARAMS,
                body: None,
                ok: &[(200, OCTETS, "the file")],
                errors: &[Code::NotFound, Code::Unavailable],
            },
            get(pages::asset),
        ),
        (
            Route {
                method: "GET",
                path: "/checkpoint",
                summary: "C2SP tlog-tiles: the latest signed checkpoint",
                role: None,
                params: &[],
                body: None,
                ok: &[(200, TEXT, "the signed note")],
                errors: &[],
            },
            get(v1::checkpoint),
        ),
        (
            Route {
                method: "GET",
                path: "/key-history.json",
                summary: "The log's key history: each rotation of its checkpoint key, a checkpoint signed by the old and the new key (404 for a log that never rotated)",
                role: None,
                params: &[],
                body: None,
                ok: &[(200, JSON, "tenderlog-key-history/v1")],
                errors: &[Code::NotFound],
            },
            get(v1::key_history),
        ),
        (
            Route {
                method: "GET",
                path: "/tile/{*path}",
                summary: "C2SP tlog-tiles: hash tiles <L>/<N>[.p/<W>] and entry bundles entries/<N>[.p/<W>]",
                role: None,
                params: TILE_PARAMS,
                body: None,
                ok: &[(200, OCTETS, "the tile (immutable)")],
                errors: &[Code::NotFound],
            },
            get(tiles::tile),
        ),
        (
            Route {
                method: "GET",
                path: "/healthz",
                summary: "200 while checkpoints are being signed; 503 when none was signed within the configured age or the sequencer stopped",
                role: None,
                params: &[],
                body: None,
                ok: &[
                    (200, JSON, "ok, tree_size, checkpoint_age_ms, sequencer"),
                    (503, JSON, "the same, ok false"),
                ],
                errors: &[],
            },
            get(v1::healthz),
        ),
        (
            Route {
                method: "GET",
                path: "/metrics",
                summary: "Prometheus metrics: appends, batch sizes, latencies, tree size",
                role: None,
                params: &[],
                body: None,
                ok: &[(200, "application/openmetrics-text", "metrics")],
                errors: &[],
            },
            get(v1::metrics),
        ),
    ]
}

/// The schema of a successful answer: a receipt for submissions, else by
/// media type (JSON objects, signed notes and text, binary tiles and zips).
fn schema(path: &str, media: &str) -> Value {
    match (path, media) {
        ("/v1/events", JSON) => json!({"$ref": "#/components/schemas/Receipt"}),
        (_, JSON) => json!({"type": "object"}),
        (_, m) if m.starts_with("text/") || m.starts_with("application/openmetrics") => {
            json!({"type": "string"})
        }
        _ => json!({"type": "string", "format": "binary"}),
    }
}

/// The OpenAPI 3.1 document built from [`routes`].
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for (r, _) in routes() {
        let path = r.path.replace("{*", "{");
        let mut responses = serde_json::Map::new();
        for (status, media, description) in r.ok {
            // One status in two media types (a report as JSON or as a page):
            // one response with both contents.
            let entry = responses
                .entry(status.to_string())
                .or_insert_with(|| json!({"description": "", "content": {}}));
            let old = entry["description"].as_str().unwrap_or_default().to_owned();
            entry["description"] = Value::String(if old.is_empty() {
                (*description).to_owned()
            } else {
                format!("{old}; {description}")
            });
            entry["content"][*media] = json!({"schema": schema(path.as_str(), media)});
        }
        let mut errors: Vec<Code> = r.errors.to_vec();
        errors.push(Code::Internal);
        if r.method != "GET" || r.role.is_some() {
            errors.push(Code::MethodNotAllowed);
        }
        for code in errors {
            {
                let (status, description) = (code.status().as_u16(), code.description());
                let entry = responses.entry(status.to_string()).or_insert_with(|| {
                    json!({"description": "", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
                });
                if let Some(d) = entry.get_mut("description") {
                    let old = d.as_str().unwrap_or_default().to_owned();
                    let line = format!("`{code}`: {description}");
                    *d =
                        Value::String(if old.is_empty() { line } else { format!("{old}; {line}") });
                }
            }
        }
        let params: Vec<Value> = r
            .params
            .iter()
            .map(|p| {
                json!({"name": p.name, "in": p.location, "required": p.required,
                       "description": p.description, "schema": {"type": p.kind}})
            })
            .collect();
        let mut op = json!({
            "summary": r.summary,
            "operationId": format!("{} {}", r.method.to_lowercase(), path),
            "parameters": params,
            "responses": responses,
        });
        if let Some(role) = r.role {
            op["security"] = json!([{"bearer": []}]);
            op["description"] =
                Value::String(format!("Needs a bearer token with role `{role}` (or `admin`)."));
        }
        if let Some(media) = r.body {
            op["requestBody"] = json!({"required": true, "content": {media: {"schema": {"$ref": "#/components/schemas/Submission"}}}});
        }
        let entry = paths.entry(path).or_insert_with(|| json!({}));
        entry[r.method.to_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "tenderlog",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The evidence ledger for electronic public tendering. Errors are RFC 9457 problem details with a stable `code`.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status", "code", "detail"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "code": {"type": "string", "enum": Code::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>()},
                        "detail": {"type": "string"},
                        "check": {"type": "string", "description": "`rejected`: the check that refused the submission"},
                        "rejection": {"$ref": "#/components/schemas/Receipt", "description": "`rejected`: the receipt of the logged refusal (for a sealed submission, with the opening of its commitment)"},
                    },
                },
                "Receipt": {
                    "type": "object",
                    "required": ["index", "leaf", "leaf_hash", "checkpoint", "inclusion_proof", "tlog_proof", "duplicate"],
                    "properties": {
                        "index": {"type": "integer", "minimum": 0, "description": "the entry's index in the log"},
                        "leaf": {"type": "string", "contentEncoding": "base64", "description": "the canonical CBOR leaf"},
                        "leaf_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "RFC 6962 leaf hash, hex"},
                        "checkpoint": {"type": "string", "description": "the C2SP signed checkpoint that includes the entry"},
                        "inclusion_proof": {"type": "array", "items": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "description": "leaf to root, hex"},
                        "tlog_proof": {"type": "string", "description": "the same as a C2SP tlog-proof"},
                        "duplicate": {"type": "boolean", "description": "the content was logged already: this is the earlier entry"},
                        "sealed": {"type": "object", "description": "for a sealed submission (or its refusal): the opening of its commitment — salt, filer, document and the sealed entry; for the submitter alone, keep it"},
                    },
                },
                "Submission": {
                    "type": "object",
                    "required": ["kind", "tender", "body"],
                    "properties": {
                        "kind": {"type": "string", "enum": verifier::event::KINDS},
                        "tender": {"type": "string"},
                        "principal": {"type": "string", "description": "if given, must equal the token's name"},
                        "body": {"type": "object"},
                    },
                },
            },
        },
    })
}

/// `GET /v1/openapi.json`.
pub async fn serve() -> Response {
    Json(document()).into_response()
}
