//! Pages for people: the public verification page (`/verify`), the
//! bidder's receipt check (`/receipt`), an entry's permalink
//! (`/entries/{index}`) and the regulator's console (`/console`).
//!
//! Chinese first, with English. Pages answer without JavaScript wherever
//! the server can (digest lookup, entries, the console); script is used only
//! to hash a dropped file and to verify evidence in the browser (the
//! `web/` crate as WebAssembly, loaded on the first drop). Every page is
//! sent with a Content-Security-Policy that allows script from this origin
//! only and no inline script at all.

mod assets;
pub(crate) mod console;
pub(crate) mod public;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use verifier::event::{Body, Event};

pub(crate) use assets::asset;

/// What a page may load: script, style and connections to this origin
/// only; WebAssembly compiled from this origin's module; no inline script,
/// no frames, forms posted here only.
pub(crate) const CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

/// Which part of the site a page belongs to (its tab is marked).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    Verify,
    Receipt,
    Console,
}

/// A whole page: head, navigation, `body`; with `script`, the page's
/// module (`/assets/app.js`).
pub(crate) fn page(title: &str, nav: Nav, script: bool, body: Markup) -> Response {
    let tab = |n: Nav, href: &str, label: &str| {
        html! { a href=(href) class=(if n == nav { "tab on" } else { "tab" }) { (label) } }
    };
    let markup = html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — tenderlog" }
                link rel="stylesheet" href="/assets/style.css";
                @if script { script type="module" src="/assets/app.js" {} }
            }
            body {
                header.site {
                    span.brand { "tenderlog 招投标存证" }
                    nav {
                        (tab(Nav::Verify, "/verify", "文件核验 Verify"))
                        (tab(Nav::Receipt, "/receipt", "回执核验 Receipt"))
                        (tab(Nav::Console, "/console", "监管台 Console"))
                    }
                }
                main { (body) }
                footer.site {
                    "电子招标投标存证日志 · The evidence ledger for electronic public tendering · "
                    a href="/v1/openapi.json" { "API" }
                }
            }
        }
    };
    html_response(axum::http::StatusCode::OK, markup)
}

/// `markup` as an HTML answer with the pages' security headers.
pub(crate) fn html_response(status: axum::http::StatusCode, markup: Markup) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        markup.into_string(),
    )
        .into_response()
}

/// An event in a few words, Chinese first: what it is and, for a
/// document, its type.
pub(crate) fn describe(event: &Event) -> String {
    match &event.body {
        Body::Document(d) => verifier::filing::words(d.document_type),
        Body::Reveal(r) => {
            format!("开启密封文件 opening of {}", verifier::filing::words(r.document.document_type))
        }
        Body::SealedDocument(s) => {
            format!("密封文件 sealed {}", verifier::filing::words(s.document_type))
        }
        Body::SubmissionRejected(r) => {
            format!("拒绝 refusal of {} ({})", verifier::filing::words(r.document_type), r.check)
        }
        Body::Procedure(p) => p.words(),
        Body::Schedule(_) => "招标时间安排 schedule".to_owned(),
        Body::Registration(_) => "项目登记 registration".to_owned(),
        Body::Certificate(_) => "证书 certificate".to_owned(),
        Body::SealBinding(_) => "印章绑定 seal binding".to_owned(),
        Body::Policy(_) => "规则包 rule pack".to_owned(),
        Body::Calendar(_) => "节假日安排 holiday calendar".to_owned(),
    }
}

/// Entry `index`'s event as the store holds it.
pub(crate) fn stored_event(s: &ledger::Store, index: u64) -> Result<Event, crate::error::ApiError> {
    Event::decode(&s.leaf(index)?).map_err(|e| {
        crate::error::ApiError::new(
            crate::error::Code::Internal,
            format!("stored leaf {index} is malformed: {e}; run tenderlog audit"),
        )
    })
}

/// The log's keys as a verifier anchors them, one vkey per line: shown on
/// every page that verifies, for the reader to compare or replace.
pub(crate) fn log_keys_text(state: &crate::state::AppState) -> String {
    let signer = state.sequencing.signer();
    let mut lines = vec![signer.verifier().vkey()];
    if let Some(pq) = signer.post_quantum() {
        lines.push(pq.vkey());
    }
    lines.join("\n")
}

/// The keys block: the log keys in a field the reader may edit, and how to
/// check them against a copy from elsewhere.
pub(crate) fn keys_block(keys: &str) -> Markup {
    html! {
        details.keys open {
            summary { "日志公钥 Log keys" }
            p {
                "验证以这些公钥为准。请与从其他渠道（如监管部门公告）获得的公钥核对，或替换为您自己的。"
                br;
                span.en { "Verification trusts these keys. Compare them with keys obtained elsewhere (e.g. the supervising department's notice), or paste your own." }
            }
            textarea #log-keys name="keys" rows="3" spellcheck="false" aria-label="log keys" { (keys) }
        }
    }
}

/// An error as a page (for a person, not a program), with its stable code.
pub(crate) fn error_page(e: crate::error::ApiError) -> Response {
    let body = html! {
        h1 { "出错了" br; span.en { "Something went wrong" } }
        p { (e.detail()) }
        p.en { "code: " code { (e.code().as_str()) } }
    };
    html_response(e.status(), body)
}
