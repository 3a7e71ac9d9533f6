//! What-if timelines (`tenderlog rules check`): never panic; whatever is
//! read is judged by every rule, over every reading, without panicking, and
//! each rule answers exactly once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verifier::calendar::Calendar;
use verifier::policy::RulePack;
use verifier::rules::{Context, MinimumPeriods, Reading, judge, rule_ids, timeline};

fuzz_target!(|data: &[u8]| {
    let Ok(t) = timeline::read(data) else { return };
    let (calendar, pack) = (Calendar::shipped(), RulePack::default_pack());
    for (minimum_periods, extend) in
        [(MinimumPeriods::CalendarDates, false), (MinimumPeriods::WholeDays, true)]
    {
        let reading = Reading { minimum_periods, extend_minimums_over_rest_days: extend };
        let c = judge(
            &t.tender,
            &t.steps(),
            &Context { calendar: &calendar, reading, pack: &pack, certs: None },
        );
        assert_eq!(c.verdicts.len(), rule_ids().count());
        let _ = c.to_text();
    }
});
