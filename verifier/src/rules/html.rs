//! The compliance report as one HTML page, for people who do not read
//! JSON: Chinese first, with English; violations first, each citing its
//! entries and article. Self-contained (no script, no outside resource), so
//! it can be saved, mailed and printed as it is. `maud` escapes every value.

use maud::{DOCTYPE, Markup, html};

use super::{Compliance, MinimumPeriods, Outcome};

/// The rule's requirement in Chinese, as a clerk reads it.
fn zh_title(rule: &str) -> &'static str {
    match rule {
        "P01" => "每项文件和步骤由其角色允许的一方提交",
        "T01" => "邀请招标应邀请三个以上特定法人",
        "T19" => "通过资格预审的申请人不少于三个",
        "T02" => "资格预审文件、招标文件发售期不少于五日",
        "T03" => "资格预审申请文件提交时间自停止发售之日起不少于五日",
        "T04" => "自招标文件开始发出之日起至投标截止不少于二十日",
        "T05" => "招标文件的澄清或者修改在投标截止十五日前发出",
        "T06" => "资格预审文件的澄清或者修改在申请截止三日前发出",
        "T07" => "澄清或者修改以书面形式通知所有获取招标文件的潜在投标人",
        "T08" => "对资格预审文件的异议在申请截止二日前提出",
        "T09" => "对招标文件的异议在投标截止十日前提出",
        "T10" => "异议三日内答复，答复前暂停招标投标活动",
        "T35" => "遵守发售、提交、澄清修改期限（否则可处十万元以下罚款）",
        "T12" => "投标保证金不超过估算价的百分之二",
        "T13" => "设有最高投标限价的，在投标截止前公布",
        "T15" => "投标截止后送达的投标文件不予接收",
        "T16" => "投标截止前方可补充、修改或者撤回投标文件",
        "T14" => "撤回投标的保证金五日内退还",
        "E26" => "投标文件加密（密封）提交；评标报告定标前保密；开标前不泄露投标人及其数量",
        "T17" => "开标在投标截止时间进行，截止前无开标记录",
        "L02" => "开标按平台流程依次进行：开标开始、保证金信息提取、标书验证、唱标、开标结束",
        "E28" => "开标前不得解密，同一投标不得重复解密",
        "E31" => "每份密封投标均已解密，或解密失败已记录并认定责任",
        "T18" => "投标人少于三个的，不得开标",
        "T21" => "评标委员会五人以上单数，专家不少于三分之二",
        "T22" => "评标专家从专家库随机抽取",
        "T23" => "超过三分之一成员认为评标时间不够的，应当延长",
        "T24" => "中标候选人不超过三个",
        "T20" => "对开标的异议当场提出、当场答复",
        "T26" => "对评标结果的异议三日内答复，答复前暂停",
        "T25" => "收到评标报告三日内公示中标候选人，公示期不少于三日",
        "T27" => "国有资金项目确定排名第一的中标候选人为中标人",
        "T28" => "中标通知书与中标结果通知同时发出",
        "T29" => "中标通知书发出之日起三十日内订立合同",
        "T11" => "中标通知与合同在投标有效期内",
        "T30" => "确定中标人之日起十五日内提交书面报告",
        "T31" => "签订合同后五日内退还投标保证金",
        "T32" => "履约保证金不超过合同金额的百分之十",
        "T34" => "终止招标后仅可退还保证金",
        "T33" => "投诉先经异议；三个工作日内决定受理，三十个工作日内作出处理决定",
        "L01" => "规则包要求可信时间戳的文件均附时间戳",
        _ => "",
    }
}

/// The outcome in words, Chinese first, and its CSS class.
fn outcome(o: Outcome) -> (&'static str, &'static str) {
    match o {
        Outcome::Fail => ("违反 FAIL", "fail"),
        Outcome::Indeterminate => ("无法判定 undecided", "undecided"),
        Outcome::Pass => ("符合 pass", "pass"),
        Outcome::NotApplicable => ("不适用 n/a", "na"),
    }
}

const STYLE: &str = "body{font-family:'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#1b1b1b;line-height:1.5}\
h1{font-size:1.5em;margin-bottom:.2em}.en{color:#555;font-size:.92em}\
table{border-collapse:collapse;width:100%;margin-top:1em}th,td{border:1px solid #bbb;padding:.4em .5em;vertical-align:top;text-align:left}\
th{background:#eee}.fail td.o{background:#fde2e1;font-weight:bold}.undecided td.o{background:#fff4cc}\
.pass td.o{background:#e3f4e1}.na td.o{color:#666}.summary{font-size:1.1em;margin:.8em 0}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}dt{font-weight:bold}\
@media print{body{margin:0;max-width:none}}";

impl Compliance {
    /// The report as one self-contained HTML page, Chinese first.
    pub fn to_html(&self) -> String {
        let page: Markup = html! {
            (DOCTYPE)
            html lang="zh-CN" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { "合规报告 Compliance report — " (self.tender) }
                    style { (STYLE) }
                }
                body { (self.to_fragment(false)) }
            }
        };
        page.into_string()
    }

    /// The report's content, for a page that has its own head and style
    /// (the regulator's console); `link_entries` makes each cited entry a
    /// link to its page (`/entries/{index}`).
    pub fn to_fragment(&self, link_entries: bool) -> Markup {
        let count = |o: Outcome| self.verdicts.iter().filter(|v| v.outcome == o).count();
        let list = self.by_outcome();
        let periods = match self.reading.minimum_periods {
            MinimumPeriods::CalendarDates => "按日历日计算（起始日不计入） by calendar dates",
            MinimumPeriods::WholeDays => "按整日计算（首尾两日均不计入） in whole days",
        };
        let extended = if self.reading.extend_minimums_over_rest_days {
            "最短期限末日遇休息日顺延 minimums extended over rest days"
        } else {
            "最短期限末日遇休息日不顺延 minimums not extended over rest days"
        };
        html! {
            h1 { "招标投标程序合规报告" br; span.en { "Compliance report of the tender procedure" } }
            p { "项目（标段）编号 Tender: " strong { (self.tender) } }
            p.summary {
                "违反 " strong { (count(Outcome::Fail)) } " 项 · 无法判定 "
                strong { (count(Outcome::Indeterminate)) } " 项 · 符合 "
                (count(Outcome::Pass)) " 项 · 不适用 " (count(Outcome::NotApplicable))
                " 项；共判定 " (self.events) " 个事件"
                br;
                span.en {
                    (count(Outcome::Fail)) " broken, " (count(Outcome::Indeterminate))
                    " undecided, " (count(Outcome::Pass)) " kept, "
                    (count(Outcome::NotApplicable)) " not applicable; "
                    (self.events) " events judged"
                }
            }
            dl {
                dt { "判定时间依据 Judged by" } dd { (self.judged_by) }
                dt { "节假日安排 Calendar" } dd { (self.calendar) }
                dt { "期限计算 Periods" } dd { (periods) "；" (extended) }
                dt { "规则包 Rule pack" } dd { (self.rule_pack) }
            }
            table {
                thead {
                    tr {
                        th { "结论" br; span.en { "Outcome" } }
                        th { "规则" br; span.en { "Rule" } }
                        th { "要求与依据" br; span.en { "Requirement and article" } }
                        th { "说明" br; span.en { "Why" } }
                        th { "引用条目" br; span.en { "Entries" } }
                    }
                }
                tbody {
                    @for v in &list {
                        @let (word, class) = outcome(v.outcome);
                        tr class=(class) {
                            td.o { (word) }
                            td { (v.rule) }
                            td {
                                (zh_title(&v.rule)) br;
                                span.en { (v.title) } br;
                                "（" (v.article) "）"
                            }
                            td {
                                (v.detail)
                                @if !v.missing.is_empty() {
                                    br; "缺少 missing: " (v.missing.join("；"))
                                }
                            }
                            td {
                                @for (k, e) in v.events.iter().enumerate() {
                                    @if k > 0 { ", " }
                                    @if link_entries { a href={ "/entries/" (e) } { (e) } } @else { (e) }
                                }
                            }
                        }
                    }
                }
            }
            p.en {
                "本报告由日志记录判定：日志证明记录自写入后未被更改，不证明记录之外发生的事。 "
                "What the authentic record shows: the log proves the record was not changed after it was written, not what happened outside it. "
                "条目编号为日志索引，可用 tenderlog-verify 离线核验。 Entries are log indexes; check them offline with tenderlog-verify."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::rule_ids;
    use super::*;

    #[test]
    fn every_rule_has_a_chinese_requirement() {
        for id in rule_ids() {
            assert!(!zh_title(id).is_empty(), "{id} has no Chinese title");
        }
    }
}
