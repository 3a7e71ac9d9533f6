//! The public pages: `/verify` (a file, a digest, a receipt or a bundle),
//! `/receipt`, and an entry's permalink `/entries/{index}`.
//!
//! What the server looks up it shows as the server's answer; what the page
//! verifies (inclusion, checkpoint signatures, signers, seals, timestamps)
//! it verifies in the browser, with the keys the page shows.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use verifier::Hash;
use verifier::event::Event;
use verifier::witness_policy::WitnessPolicy;

use super::{Nav, describe, keys_block, log_keys_text, page};
use crate::error::ApiError;
use crate::state::AppState;

type Shared = State<Arc<AppState>>;

/// One logged entry as the lookup shows it.
struct Found {
    index: u64,
    event: Event,
    /// The first checkpoint that covered it: its size and the names of
    /// the keys that signed it.
    covered: Option<(u64, Vec<String>)>,
    /// The first checkpoint the witnesses cosigned that covered it.
    cosigned: Option<CosignedBy>,
}

/// A cosigned checkpoint as the server reads it.
struct CosignedBy {
    size: u64,
    /// The witnesses whose cosignature is on it: by the server's witness
    /// policy when it has one (only those that verify), else each line's name.
    witnesses: Vec<String>,
    /// Whether the policy's quorum is met (`None` without a policy).
    met: Option<bool>,
}

/// What an entry's lookup needs beside the store: the witness policy that
/// judges its cosigned checkpoints.
#[derive(Clone)]
struct Context {
    policy: Option<Arc<WitnessPolicy>>,
}

impl Context {
    fn of(state: &AppState) -> Context {
        Context { policy: state.witnessing.as_ref().map(|w| w.policy()) }
    }
}

/// The entries that logged `sha256`, each with the checkpoint that first
/// covered it.
async fn lookup(state: &AppState, sha256: Hash) -> Result<Vec<Found>, ApiError> {
    let cx = Context::of(state);
    state
        .readers
        .with(move |s| {
            let mut found = Vec::new();
            for index in ledger::storage::Lookups::document_events(s, &sha256)? {
                found.push(found_entry(s, &cx, index)?);
            }
            Ok(found)
        })
        .await
}

fn found_entry(s: &ledger::Store, cx: &Context, index: u64) -> Result<Found, ApiError> {
    let event = super::stored_event(s, index)?;
    let covered = s.receipt_checkpoint(index).ok().map(|(size, note)| {
        let signers = verifier::note::Note::parse(note.as_bytes())
            .map(|n| n.signatures.into_iter().map(|sig| sig.name).collect())
            .unwrap_or_default();
        (size, signers)
    });
    let cosigned = s.first_cosigned_from(index + 1)?.map(|c| {
        let note = verifier::note::Note::parse(c.note.as_bytes()).ok();
        let (witnesses, met) = match (&cx.policy, note) {
            (Some(p), Some(n)) => {
                let check = p.check(&n);
                (check.cosigned.into_keys().collect(), Some(check.met))
            }
            (None, Some(n)) => (
                n.signatures
                    .into_iter()
                    .filter(|sig| sig.name != s.origin())
                    .map(|sig| sig.name)
                    .collect(),
                None,
            ),
            (_, None) => (Vec::new(), Some(false)),
        };
        CosignedBy { size: c.size, witnesses, met }
    });
    Ok(Found { index, event, covered, cosigned })
}

/// `GET /verify[?sha256=HEX]`: the page; with a digest, the server's lookup
/// of it (no script needed).
pub(crate) async fn verify(
    State(state): Shared,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let keys = log_keys_text(&state);
    let asked = q.get("sha256").map(|v| v.trim().to_ascii_lowercase());
    let (status, answer) = match asked.as_deref() {
        None | Some("") => (StatusCode::OK, html! {}),
        Some(v) => match Hash::from_hex(v) {
            Err(_) => (
                StatusCode::BAD_REQUEST,
                html! { section.answer.bad #lookup { h2 { "摘要格式错误 Not a digest" }
                p { "请输入 64 位十六进制 SHA-256 摘要。" br; "Give the SHA-256 as 64 hexadecimal digits." } } },
            ),
            Ok(h) => match lookup(&state, h).await {
                Ok(found) => (StatusCode::OK, lookup_answer(&h, &found)),
                Err(e) => return super::error_page(e),
            },
        },
    };
    let body = html! {
        h1 { "文件核验" br; span.en { "Verify a document" } }
        p.lead {
            "拖入文件：文件在您的浏览器中计算 SHA-256 与 SM3 摘要，不会上传；日志的包含证明和签名也在您的浏览器中验证。"
            br;
            span.en { "Drop a file: it is hashed in your browser (SHA-256 and SM3) and never uploaded; the log's inclusion proof and signatures are verified in your browser too. You may also drop a receipt (.json) or an evidence bundle (.zip)." }
        }
        label.drop #drop {
            input #file type="file";
            span { "拖放文件到此处，或点击选择" br; span.en { "Drop a file here, or click to choose one" } }
        }
        p #progress.progress hidden {}
        form.digest method="get" action="/verify" {
            label for="sha256" { "或输入 SHA-256 摘要 Or give a SHA-256 digest" }
            input #sha256 name="sha256" type="text" inputmode="latin" autocomplete="off"
                spellcheck="false" maxlength="64" size="66" placeholder="64 位十六进制 64 hex digits"
                value=(asked.clone().unwrap_or_default());
            button type="submit" { "查询 Look up" }
        }
        (keys_block(&keys))
        (answer)
        div #result aria-live="polite" {}
    };
    let mut r = page("文件核验 Verify", Nav::Verify, true, body);
    *r.status_mut() = status;
    r
}

/// The server's answer to a digest lookup: found (where, when, by whom, as
/// the log records it) or not.
fn lookup_answer(sha256: &Hash, found: &[Found]) -> Markup {
    html! {
        @if found.is_empty() {
            section.answer.bad #lookup data-found="0" {
                h2 { "未找到 NOT FOUND" }
                p { "本日志没有记录 SHA-256 为 " code.digest { (sha256) } " 的文件。"
                    br; span.en { "No entry of this log records a document with this SHA-256. (A sealed bid can be found only once it has been opened.)" } }
            }
        } @else {
            section.answer.ok #lookup data-found=(found.len()) data-sha256=(sha256) {
                h2 { "已找到 FOUND" }
                p.note { "以下为服务器的查询结果；点击按钮，在您的浏览器中验证包含证明、签名与时间。"
                    br; span.en { "The server's answer, not yet verified: press the button to verify inclusion, signatures and time in your browser." } }
                @for f in found { (entry_summary(f)) }
                button #verify-entries type="button" data-indexes=(found.iter().map(|f| f.index.to_string()).collect::<Vec<_>>().join(","))
                    data-sha256=(sha256) { "在浏览器中验证 Verify in your browser" }
                p { a href={ "/v1/bundles?document=" (sha256) } download { "下载证据包 Download the evidence bundle" } }
            }
        }
    }
}

/// One entry as the log records it (the server's word).
fn entry_summary(f: &Found) -> Markup {
    let ev = &f.event;
    let doc = ev.body.document();
    html! {
        article.entry {
            h3 {
                a href={ "/entries/" (f.index) } { "第 " (f.index) " 条 entry " (f.index) } " · " (describe(ev))
                @if doc.is_some() { " · " a href={ "/v1/certificates/" (f.index) ".pdf" } { "存证证书 Certificate" } }
            }
            dl {
                dt { "项目 Tender" } dd { (ev.tender) }
                @if let Some(d) = doc {
                    @if let Some(t) = &d.title { dt { "标题 Title" } dd { (t) } }
                    dt { "SHA-256" } dd { code.digest { (d.sha256) } }
                    @if let Some(s) = &d.sm3 { dt { "SM3" } dd { code.digest { (s) } } }
                    dt { "签名 Signatures" } dd { (d.signatures.len()) " · 印章 seals " (d.seal_ders().count()) " · 时间戳 timestamps " (d.timestamps.len()) }
                }
                dt { "提交人 Filed by" } dd { (ev.principal) }
                dt { "平台接收时间 Received" } dd { (verifier::calendar::when(ev.received_ms)) }
                @if let Some((size, signers)) = &f.covered {
                    dt { "首个覆盖的检查点 First checkpoint" }
                    dd { "树大小 size " (size) " · 签名 signed by " (signers.join(", ")) }
                }
                dt { "首个见证共同签名的检查点 First cosigned checkpoint" }
                dd {
                    @match &f.cosigned {
                        None => { "尚无 none yet (no checkpoint the witnesses cosigned covers it)" },
                        Some(c) => {
                            "树大小 size " (c.size) " · 见证 cosigned by "
                            @if c.witnesses.is_empty() { "—" } @else { (c.witnesses.join(", ")) }
                            @match c.met {
                                Some(true) => { " · 法定人数已满足 quorum met" },
                                Some(false) => { " · 法定人数未满足 quorum NOT met" },
                                None => {},
                            }
                        },
                    }
                }
            }
        }
    }
}

/// `GET /entries/{index}`: an entry's permalink.
pub(crate) async fn entry(State(state): Shared, Path(index): Path<String>) -> Response {
    let keys = log_keys_text(&state);
    let Ok(index) = index.parse::<u64>() else {
        return not_found_page(&format!("{index:?} is not an entry number"));
    };
    let cx = Context::of(&state);
    let found = state
        .readers
        .quick(move |s| {
            if index >= s.tree_size()? {
                return Ok(None);
            }
            found_entry(s, &cx, index).map(Some)
        })
        .await;
    let f = match found {
        Ok(Some(f)) => f,
        Ok(None) => return not_found_page(&format!("entry {index} is not in the log yet")),
        Err(e) => return super::error_page(e),
    };
    let body = html! {
        h1 { "第 " (index) " 条" br; span.en { "Entry " (index) } }
        (entry_summary(&f))
        p.downloads {
            a href={ "/v1/receipts/" (index) } download={ "receipt-" (index) ".json" } { "下载回执 Receipt" }
            " · "
            a href={ "/v1/bundles?index=" (index) } download={ "entry-" (index) ".zip" } { "下载证据包 Evidence bundle" }
            @if f.event.body.document().is_some() {
                " · "
                a href={ "/v1/certificates/" (index) ".pdf" } { "存证证书 Certificate (PDF)" }
            }
            " · "
            a href={ "/v1/entries/" (index) } { "JSON" }
        }
        button #verify-entries type="button" data-indexes=(index) { "在浏览器中验证 Verify in your browser" }
        (keys_block(&keys))
        div #result aria-live="polite" {}
    };
    page(&format!("第 {index} 条 Entry {index}"), Nav::Verify, true, body)
}

/// `GET /receipt`: the bidder's receipt check.
pub(crate) async fn receipt(State(state): Shared) -> Response {
    let keys = log_keys_text(&state);
    let body = html! {
        h1 { "回执核验" br; span.en { "Check a receipt" } }
        p.lead {
            "拖入提交文件后平台返回的回执（JSON）。回执在您的浏览器中验证：条目已按所示内容写入日志，且日志以下列公钥签名的检查点包含该条目。"
            br;
            span.en { "Drop the receipt (JSON) the platform answered your filing with. It is verified in your browser: the entry was logged as shown, and is included in a checkpoint signed by the keys below." }
        }
        label.drop #drop data-kind="receipt" {
            input #file type="file" accept=".json,application/json";
            span { "拖放回执到此处，或点击选择" br; span.en { "Drop a receipt here, or click to choose one" } }
        }
        (keys_block(&keys))
        div #result aria-live="polite" {}
    };
    page("回执核验 Receipt", Nav::Receipt, true, body)
}

fn not_found_page(why: &str) -> Response {
    let body = html! {
        h1 { "未找到" br; span.en { "Not found" } }
        p { (why) }
        p { a href="/verify" { "返回文件核验 Back to Verify" } }
    };
    let mut r = page("未找到 Not found", Nav::Verify, false, body);
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
}
