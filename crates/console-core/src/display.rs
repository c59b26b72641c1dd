//! How the console words device state: logging, times, pages, and names with their hidden
//! characters written out.

use microvisor_api::Device;
use microvisor_api::time::{parse_iso8601, relative, remaining};

/// "on · 23 h 59 min left", "off", or "on" when the expiry is unknown.
pub fn logging_summary(device: &Device, now: i64) -> String {
    let Some(logging) = &device.logging else {
        return "unknown".to_owned();
    };
    let expires = logging.date_expires.as_deref().and_then(parse_iso8601);
    match (logging.enabled, expires) {
        (Some(true), Some(expires)) if expires > now => {
            format!("on · {} left", remaining(expires, now))
        }
        (Some(true), Some(_)) => "expired".to_owned(),
        (Some(true), None) => "on".to_owned(),
        (Some(false), _) => "off".to_owned(),
        (None, _) => "unknown".to_owned(),
    }
}

/// The list's shorter form: "on · 14 h left", "on · 35 min left", "off".
pub fn logging_brief(device: &Device, now: i64) -> String {
    let expires = device
        .logging
        .as_ref()
        .filter(|logging| logging.enabled == Some(true))
        .and_then(|logging| parse_iso8601(logging.date_expires.as_deref()?));
    match expires {
        Some(expires) if expires - now >= 3600 => format!("on · {} h left", (expires - now) / 3600),
        Some(expires) if expires > now => {
            format!("on · {} min left", ((expires - now) / 60).max(1))
        }
        _ => logging_summary(device, now),
    }
}

/// "5 min ago" for a timestamp, or the raw text when it cannot be read.
pub fn relative_time(timestamp: Option<&str>, now: i64) -> String {
    match timestamp {
        Some(text) => parse_iso8601(text)
            .map(|then| relative(then, now))
            .unwrap_or_else(|| text.to_owned()),
        None => "—".to_owned(),
    }
}

/// The summary of a page the API answered: its own page number and size where they make
/// sense, else the ones asked for.
pub fn list_summary(
    meta: &microvisor_api::ListMeta,
    asked: &microvisor_api::PageQuery,
    rows: usize,
    noun: &str,
) -> String {
    let page = meta
        .page
        .and_then(|page| u32::try_from(page).ok())
        .unwrap_or(asked.page_or_first());
    let page_size = meta
        .page_size
        .and_then(|size| u32::try_from(size).ok())
        .filter(|size| *size > 0)
        .unwrap_or(asked.page_size_or_default());
    page_summary(page, page_size, rows, noun)
}

/// "1 device", "3 devices": a count with its noun, singular or plural.
pub fn counted(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// "Page 3 · devices 51–75": the API gives no total, so the range is what is known.
pub fn page_summary(page: u32, page_size: u32, rows: usize, noun: &str) -> String {
    if rows == 0 {
        return format!("Page {} · no {noun}", u64::from(page) + 1);
    }
    let first = u64::from(page) * u64::from(page_size) + 1;
    let last = first + rows as u64 - 1;
    format!("Page {} · {noun} {first}–{last}", u64::from(page) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use microvisor_api::DeviceLogging;
    use microvisor_api::time::format_iso8601;

    #[test]
    fn a_count_takes_the_singular_for_one_only() {
        assert_eq!(counted(0, "device"), "0 devices");
        assert_eq!(counted(1, "device"), "1 device");
        assert_eq!(counted(2, "phase"), "2 phases");
    }

    fn with_logging(enabled: Option<bool>, expires: Option<i64>) -> Device {
        Device {
            logging: Some(DeviceLogging {
                enabled,
                date_expires: expires.map(format_iso8601),
            }),
            ..Device::default()
        }
    }

    #[test]
    fn words_logging_state() {
        assert_eq!(
            logging_summary(&with_logging(Some(true), Some(3_700)), 100),
            "on · 1 h 0 min left"
        );
        assert_eq!(
            logging_summary(&with_logging(Some(true), Some(50)), 100),
            "expired"
        );
        assert_eq!(logging_summary(&with_logging(Some(true), None), 100), "on");
        assert_eq!(
            logging_summary(&with_logging(Some(false), None), 100),
            "off"
        );
        assert_eq!(logging_summary(&Device::default(), 100), "unknown");
    }

    #[test]
    fn words_logging_briefly_for_the_list() {
        assert_eq!(
            logging_brief(&with_logging(Some(true), Some(100 + 14 * 3600 + 1999)), 100),
            "on · 14 h left"
        );
        assert_eq!(
            logging_brief(&with_logging(Some(true), Some(100 + 35 * 60 + 5)), 100),
            "on · 35 min left"
        );
        assert_eq!(
            logging_brief(&with_logging(Some(true), Some(110)), 100),
            "on · 1 min left"
        );
        assert_eq!(logging_brief(&with_logging(Some(false), None), 100), "off");
        assert_eq!(logging_brief(&with_logging(Some(true), None), 100), "on");
    }

    #[test]
    fn words_times_and_pages() {
        assert_eq!(
            relative_time(Some("1970-01-01T00:05:00Z"), 600),
            "5 min ago"
        );
        assert_eq!(relative_time(Some("garbage"), 600), "garbage");
        assert_eq!(relative_time(None, 600), "—");
        assert_eq!(page_summary(2, 25, 25, "devices"), "Page 3 · devices 51–75");
        assert_eq!(page_summary(0, 50, 7, "devices"), "Page 1 · devices 1–7");
        assert_eq!(page_summary(0, 50, 0, "devices"), "Page 1 · no devices");
        let asked = microvisor_api::PageQuery::parse("PageSize=25&Page=2").unwrap();
        let odd = microvisor_api::ListMeta {
            page: Some(-62562497),
            page_size: Some(0),
            ..Default::default()
        };
        assert_eq!(
            list_summary(&odd, &asked, 25, "devices"),
            "Page 3 · devices 51–75"
        );
        let given = microvisor_api::ListMeta {
            page: Some(1),
            page_size: Some(10),
            ..Default::default()
        };
        assert_eq!(
            list_summary(&given, &asked, 10, "apps"),
            "Page 2 · apps 11–20"
        );
    }
}

/// Characters that reorder or hide text: bidi embeddings, overrides and isolates, and
/// zero-width marks. In a name they let one device pose as another.
fn is_hidden_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Text as the console shows names: each hidden or reordering character is written out as
/// `⟨U+202E⟩`, so what is shown is what is there.
pub fn reveal_hidden(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_hidden_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_hidden_control(c) {
            shown.push_str(&format!("⟨U+{:04X}⟩", c as u32));
        } else {
            shown.push(c);
        }
    }
    std::borrow::Cow::Owned(shown)
}

#[cfg(test)]
mod reveal_tests {
    use super::reveal_hidden;

    #[test]
    fn reordering_and_invisible_characters_are_written_out() {
        assert_eq!(reveal_hidden("pump-1"), "pump-1");
        assert_eq!(
            reveal_hidden("\u{202E}lave\u{202C}-gateway"),
            "⟨U+202E⟩lave⟨U+202C⟩-gateway"
        );
        assert_eq!(reveal_hidden("a\u{200B}b\u{2066}c"), "a⟨U+200B⟩b⟨U+2066⟩c");
        assert_eq!(reveal_hidden("ünïcödé 名前"), "ünïcödé 名前");
    }
}

/// An app as tables show it: its unique name when known, else its SID, with hidden and
/// reordering characters written out.
pub fn app_label(apps: &fleet_engine::AppNames, sid: &str) -> String {
    reveal_hidden(apps.name_or_sid(sid)).into_owned()
}

/// What a rollout writes, as its list and page show it: its app, or its bulk action.
pub fn rollout_change(
    apps: &fleet_engine::AppNames,
    rollout: &fleet_engine::rollout::Rollout,
) -> String {
    match rollout.change {
        fleet_engine::rollout::Change::TargetApp => app_label(apps, &rollout.target_app),
        action => action.label().to_owned(),
    }
}

/// The name to show a person: the unique name (or the SID when there is none), with hidden
/// and reordering characters written out.
pub fn shown_name(device: &Device) -> std::borrow::Cow<'_, str> {
    reveal_hidden(device.display_name())
}
