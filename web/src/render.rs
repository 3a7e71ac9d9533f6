//! A verifier report as the pages show it: Chinese first, with English;
//! the verdict, then each document in plain words (the verifier's
//! [`verifier::filing`] wording), what the verdict rests on, what was not
//! checked, and every check. `maud` escapes every value, so a bundle's text
//! cannot become markup.

use maud::{Markup, html};
use verifier::report::{GivenDocument, Report, Status};

/// The report of a bundle or receipt verified in the browser; `file` is
/// the dropped file, when there was one.
pub fn report(r: &Report, file: Option<&GivenDocument>) -> Markup {
    let verified = r.verified && r.anchored;
    let not_applicable: Vec<_> =
        r.checks.iter().filter(|c| c.status == Status::NotApplicable).collect();
    let failed: Vec<_> = r.checks.iter().filter(|c| c.status == Status::Fail).collect();
    html! {
        section.verdict.(if verified { "ok" } else { "bad" }) data-verified=(verified) {
            @if verified {
                h2 { "已验证 VERIFIED" }
                p { "以下每项检查都在您的浏览器中完成，所用日志公钥如下所示。"
                    br; "Every check below ran in your browser, against the log key shown." }
            } @else if r.verified {
                h2 { "未锚定 NOT ANCHORED" }
                p { "证据自身一致，但所用公钥来自证据本身，而非您提供。"
                    br; "The evidence is consistent, but only with the key it carries itself, not one you gave." }
            } @else {
                h2 { "未通过验证 NOT VERIFIED" }
                p { "以下检查未通过；证据不能证明所述内容。"
                    br; "The checks below failed: the evidence does not show what it claims." }
                ul.problems { @for c in &failed { li { b { (c.check.as_str()) } " · " (c.subject) ": " (c.detail) } } }
            }
            dl {
                dt { "日志 Log" } dd { code { (r.origin) } }
                dt { "树大小 Tree size" } dd { (r.tree_size) }
                dt { "信任锚 Trust anchors" }
                dd { ul { @for a in &r.trust_anchors { li { code title=(a) { (shortened(a)) } } } } }
            }
        }
        @if let Some(f) = file {
            section.file {
                h3 { "您的文件 Your file" }
                dl {
                    dt { "名称 Name" } dd { (f.name) }
                    dt { "SHA-256" } dd { code.digest { (f.sha256) } }
                    @if let Some(s) = &f.sm3 { dt { "SM3" } dd { code.digest { (s) } } }
                }
            }
        }
        @for f in &r.filings {
            article.filing {
                h3 {
                    a href={ "/entries/" (f.entry) } { "第 " (f.entry) " 条 entry " (f.entry) }
                    " · " (f.what) " · " (f.fate.words())
                    @if let Some(o) = f.opened_by { " (" a href={ "/entries/" (o) } { "开启 opened by " (o) } ")" }
                }
                @if let Some(c) = certificate(f) {
                    p.downloads {
                        a href={ "/v1/certificates/" (c) ".pdf" } { "存证证书 Evidence certificate (PDF)" }
                        " · "
                        a href={ "/v1/receipts/" (f.entry) } download={ "receipt-" (f.entry) ".json" } { "回执 Receipt" }
                    }
                }
                dl {
                    dt { "项目 Tender" } dd { (f.tender) }
                    @if let Some(t) = &f.title { dt { "标题 Title" } dd { (t) } }
                    dt { "提交人 Filed by" } dd { (f.filed_by) }
                    dt { "平台接收时间 Received" } dd { (f.received) }
                    @if let Some(h) = &f.sha256 { dt { "SHA-256" } dd { code.digest { (h) } } }
                    @else { dt { "内容 Content" } dd { "密封，开启前不公开 sealed until it is opened" } }
                    @if let Some((check, reason)) = &f.refusal {
                        dt { "拒绝原因 Refused by" } dd { (check) ": " (reason) }
                    }
                }
                @if !f.held.is_empty() {
                    h4 { "已核实 What held" }
                    ul.held { @for h in &f.held { li { (h) } } }
                }
                @if !f.problems.is_empty() {
                    h4 { "问题 Problems" }
                    ul.problems { @for p in &f.problems { li { (p) } } }
                }
                @if !f.not_checked.is_empty() {
                    h4 { "未检查 Not checked" }
                    ul.unchecked { @for n in &f.not_checked { li { (n) } } }
                }
            }
        }
        section.proven {
            h3 { "证明了什么 What this proves" }
            p { (proven(r, verified)) }
            @if !r.caveats.is_empty() {
                h4 { "请注意 Caveats" }
                ul.caveats { @for c in &r.caveats { li { (c) } } }
            }
            @if !not_applicable.is_empty() {
                h4 { "未检查的项目 Not checked" }
                ul.unchecked { @for c in &not_applicable { li { b { (c.check.as_str()) } " · " (c.subject) ": " (c.detail) } } }
            }
        }
        details.checks {
            summary { "全部检查 All checks (" (r.checks.len()) ")" }
            table {
                thead { tr { th { "检查 Check" } th { "对象 Subject" } th { "结果 Result" } th { "说明 Detail" } } }
                tbody {
                    @for c in &r.checks {
                        tr.(status_class(c.status)) {
                            td { (c.check.as_str()) } td { (c.subject) }
                            td { (status_words(c.status)) } td { (c.detail) }
                        }
                    }
                }
            }
        }
    }
}

/// A trust anchor as a line: an ML-DSA-44 key is 1,300 characters of
/// base64, so the middle is left out (the whole key is in the title and in
/// the keys the page shows).
fn shortened(anchor: &str) -> String {
    const KEEP: usize = 110;
    if anchor.chars().count() <= KEEP + 30 {
        return anchor.to_owned();
    }
    let head: String = anchor.chars().take(KEEP).collect();
    let tail: String =
        anchor.chars().rev().take(24).collect::<Vec<_>>().into_iter().rev().collect();
    format!("{head}…{tail}")
}

/// The entry a filing's certificate is made for: the filing itself, or the
/// reveal that opened a sealed one (a refused or still sealed one has none).
fn certificate(f: &verifier::filing::Filing) -> Option<u64> {
    use verifier::filing::Fate;
    match f.fate {
        Fate::Filed => Some(f.entry),
        Fate::Opened => f.opened_by,
        Fate::Sealed | Fate::Refused => None,
    }
}

fn status_class(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::NotApplicable => "na",
    }
}

fn status_words(s: Status) -> &'static str {
    match s {
        Status::Pass => "通过 pass",
        Status::Fail => "未通过 FAIL",
        Status::NotApplicable => "不适用 n/a",
    }
}

/// The one sentence that says exactly what a passing report proves, and
/// what it does not.
fn proven(r: &Report, verified: bool) -> String {
    if !verified {
        return "无：证据未通过验证，或所用公钥并非您提供。Nothing: the evidence did not verify, or not against a key you gave."
            .to_owned();
    }
    format!(
        "日志 {origin} 以上述公钥签名的、大小为 {size} 的树包含上述条目，且条目内容（文件摘要、签名、印章、时间戳）自记录以来未被改动；这不证明文件内容属实。\
         The log {origin}, in its tree of {size} entries signed by the key above, holds the entries shown, \
         unchanged since they were logged (the file digests, signatures, seals and timestamps they record); \
         it does not prove that what the files say is true.",
        origin = r.origin,
        size = r.tree_size
    )
}
