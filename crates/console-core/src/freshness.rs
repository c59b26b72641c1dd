//! How fresh the server's fleet index is, in words: every answer of the index says so, and
//! the Fleet page shows it beside "Refresh now".

use console_protocol::{Freshness, PassInfo};
use microvisor_api::time::relative;

/// "1,234,567": counts at fleet scale are read at a glance.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn seconds(ms: i64) -> String {
    format!("{:.1} s", ms.max(0) as f64 / 1000.0)
}

/// The index's state as one sentence, at `now_ms`.
pub fn freshness_text(freshness: &Freshness, now_ms: i64) -> String {
    if !freshness.enabled {
        return "This server keeps no fleet index.".to_owned();
    }
    let mut parts = Vec::new();
    match &freshness.complete {
        Some(pass) => parts.push(format!(
            "Index updated {}: {} devices read in {}",
            relative(pass.finished_ms / 1000, now_ms / 1000),
            grouped(pass.listed),
            seconds(pass.finished_ms - pass.started_ms),
        )),
        None => parts.push("The index has not finished a pass yet".to_owned()),
    }
    if let Some(latest) = freshness
        .latest
        .as_ref()
        .filter(|l| Some(*l) != freshness.complete.as_ref())
    {
        parts.push(latest_text(latest));
    }
    if freshness.refresh_asked {
        parts.push("a refresh is asked for".to_owned());
    }
    let mut text = parts.join("; ");
    text.push('.');
    text
}

/// The pass under way, or the last one when it stopped early.
fn latest_text(pass: &PassInfo) -> String {
    match (&pass.error, pass.finished_ms) {
        (Some(error), _) => format!(
            "the last pass stopped after {} devices: {error}",
            grouped(pass.listed)
        ),
        (None, 0) => format!(
            "a pass is under way ({} devices so far)",
            grouped(pass.listed)
        ),
        (None, _) => format!("the last pass read {} devices", grouped(pass.listed)),
    }
}

/// Whether `now` has a complete pass newer than `before` had: the page then asks again.
pub fn newer_pass(before: &Freshness, now: &Freshness) -> bool {
    let finished = |f: &Freshness| f.complete.as_ref().map_or(0, |p| p.finished_ms);
    finished(now) > finished(before)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(started_ms: i64, finished_ms: i64, listed: u64) -> PassInfo {
        PassInfo {
            started_ms,
            finished_ms,
            listed,
            ..PassInfo::default()
        }
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn freshness_says_when_how_long_how_many_and_what_is_under_way() {
        let done = pass(1_000_000, 1_003_200, 10_000);
        let mut freshness = Freshness {
            enabled: true,
            complete: Some(done.clone()),
            latest: Some(done.clone()),
            refresh_asked: false,
        };
        assert_eq!(
            freshness_text(&freshness, 1_063_200),
            "Index updated 1 min ago: 10,000 devices read in 3.2 s."
        );
        freshness.latest = Some(pass(1_070_000, 0, 2_000));
        freshness.refresh_asked = true;
        let text = freshness_text(&freshness, 1_071_000);
        assert!(
            text.contains("a pass is under way (2,000 devices so far)"),
            "{text}"
        );
        assert!(text.ends_with("a refresh is asked for."), "{text}");
        freshness.latest = Some(PassInfo {
            error: Some("The API answered 503".to_owned()),
            ..pass(1_070_000, 1_071_000, 3_000)
        });
        let text = freshness_text(&freshness, 1_072_000);
        assert!(
            text.contains("stopped after 3,000 devices: The API answered 503"),
            "{text}"
        );
        assert_eq!(
            freshness_text(&Freshness::default(), 0),
            "This server keeps no fleet index."
        );
        let newer = Freshness {
            complete: Some(pass(1_070_000, 1_075_000, 10_000)),
            ..freshness.clone()
        };
        assert!(newer_pass(&freshness, &newer));
        assert!(!newer_pass(&newer, &freshness));
    }
}
