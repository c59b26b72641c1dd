//! What a device table shows, worked out apart from any DOM: each row's cells as text, the rows
//! as HTML with every value escaped, and which rows of a long list are drawn at a scroll
//! position. The console hands the HTML to the browser in one call, which parses a thousand
//! rows far faster than a thousand rows can be built node by node from wasm.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::ops::Range;

use microvisor_api::{Device, UpdateStatus};

use crate::display::{app_label, logging_brief, relative_time, reveal_hidden};
use fleet_engine::AppNames;

/// A badge's class and words for an update status. "scheduled", the docs' old name, reads as
/// pending; a status this console does not know is shown as it came, on a neutral badge.
pub fn status_badge(status: Option<&UpdateStatus>) -> (&'static str, String) {
    match status {
        Some(UpdateStatus::UpToDate) => ("badge ok", "up-to-date".to_owned()),
        Some(UpdateStatus::Pending) => ("badge pending", "pending".to_owned()),
        Some(UpdateStatus::Error) => ("badge error", "error".to_owned()),
        Some(UpdateStatus::Other(other)) => ("badge other", reveal_hidden(other).into_owned()),
        None => ("badge other", "unknown".to_owned()),
    }
}

/// One row of a device table, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowCells {
    pub sid: String,
    /// The unique name as shown (hidden characters written out), or `None`.
    pub name: Option<String>,
    /// What the device's page is addressed by: its unique name, else its SID.
    pub address: String,
    pub badge_class: &'static str,
    pub badge_label: String,
    pub target: String,
    pub reported: String,
    /// The device reports another app than its target.
    pub differs: bool,
    pub logging: String,
    pub logging_on: bool,
    pub updated: String,
    pub updated_exact: String,
}

impl RowCells {
    pub fn of(device: &Device, apps: &AppNames, now: i64) -> RowCells {
        let app = device.app.clone().unwrap_or_default();
        let label =
            |sid: Option<&str>| sid.map_or_else(|| "—".to_owned(), |sid| app_label(apps, sid));
        let (badge_class, badge_label) = status_badge(app.update_status.as_ref());
        let logging = logging_brief(device, now);
        RowCells {
            sid: device.sid.clone().unwrap_or_default(),
            name: device
                .unique_name
                .as_deref()
                .map(|name| reveal_hidden(name).into_owned()),
            address: device.display_name().to_owned(),
            badge_class,
            badge_label,
            target: label(app.target_sid.as_deref()),
            reported: label(app.reported_sid.as_deref()),
            differs: device.reported_differs_from_target(),
            logging_on: logging.starts_with("on"),
            logging,
            updated: relative_time(device.date_updated.as_deref(), now),
            updated_exact: device.date_updated.clone().unwrap_or_default(),
        }
    }
}

/// Text made safe to put in HTML, as text or in a quoted attribute: `&`, `<`, `>`, `"` and `'`
/// become character references, so no value from the API can become markup.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    Cow::Owned(out)
}

/// How a table's rows are written.
pub struct RowsHtml<'a> {
    /// The start of a device page's address, `href` prefix and all: `/devices/`.
    pub device_href: &'a str,
    /// With a checkbox cell, and these SIDs checked.
    pub selected: Option<&'a std::collections::BTreeSet<String>>,
}

impl RowsHtml<'_> {
    /// One `<tr>` per row, `first_index` being the 0-based position of the first in the whole
    /// list (for `aria-rowindex`, which counts the header row as 1).
    pub fn write(&self, rows: &[RowCells], first_index: usize) -> String {
        let mut html = String::with_capacity(rows.len() * 900);
        for (offset, cells) in rows.iter().enumerate() {
            self.write_row(&mut html, cells, first_index + offset + 2);
        }
        html
    }

    fn write_row(&self, html: &mut String, cells: &RowCells, row_index: usize) {
        let sid = escape(&cells.sid);
        let shown = cells.name.as_deref().unwrap_or(&cells.sid);
        let _ = write!(html, r#"<tr data-sid="{sid}" aria-rowindex="{row_index}">"#);
        if let Some(selected) = self.selected {
            let checked = if selected.contains(&cells.sid) {
                " checked"
            } else {
                ""
            };
            let _ = write!(
                html,
                r#"<td class="select"><input type="checkbox" data-select="{sid}" aria-label="Select {}"{checked}></td>"#,
                escape(shown)
            );
        }
        let _ = write!(
            html,
            r#"<td class="sid col-sid" data-label="SID"><span><code>{sid}</code> <button type="button" class="copy" aria-label="Copy SID" data-copy="{sid}">Copy</button></span></td>"#
        );
        let href = format!(
            "{}{}",
            self.device_href,
            microvisor_api::url::encode_segment(&cells.address)
        );
        let (name_class, name) = match &cells.name {
            Some(name) => ("", escape(name)),
            None => (r#" class="unnamed""#, Cow::Borrowed("(no name)")),
        };
        let _ = write!(
            html,
            r#"<td class="name col-name" data-label="Unique name"><a elementtiming="device-row" href="{}"{name_class}>{name}</a></td>"#,
            escape(&href)
        );
        let _ = write!(
            html,
            r#"<td class="col-status" data-label="Update status"><span class="{}">{}</span></td>"#,
            cells.badge_class,
            escape(&cells.badge_label)
        );
        let _ = write!(
            html,
            r#"<td class="col-target" data-label="Target app"><span>{}</span></td>"#,
            escape(&cells.target)
        );
        let (differs_class, note) = if cells.differs {
            (
                " differs",
                r#"<span class="note" title="The device reports a different app than its target"> ≠ target</span>"#,
            )
        } else {
            ("", "")
        };
        let _ = write!(
            html,
            r#"<td class="col-reported{differs_class}" data-label="Reported app"><span><span>{}</span>{note}</span></td>"#,
            escape(&cells.reported)
        );
        let on = if cells.logging_on { " on" } else { "" };
        let _ = write!(
            html,
            r#"<td class="logging col-logging{on}" data-label="Logging"><span>{}</span></td>"#,
            escape(&cells.logging)
        );
        let exact = escape(&cells.updated_exact);
        let _ = write!(
            html,
            r#"<td class="col-updated" data-label="Updated"><time datetime="{exact}" title="{exact}">{}</time></td></tr>"#,
            escape(&cells.updated)
        );
    }
}

/// The rows of a list of `total` to draw in a scrolled viewport: those on screen and
/// `overscan` more each side, so a quick scroll or `j`/`k` meets rows already drawn. Rows
/// are all `row_height` tall.
pub fn visible_rows(
    scroll_top: f64,
    viewport: f64,
    row_height: f64,
    total: usize,
    overscan: usize,
) -> Range<usize> {
    // A height of zero (not measured yet) or NaN draws the first rows only.
    if total == 0 || row_height.is_nan() || row_height <= 0.0 {
        return 0..total.min(overscan);
    }
    let first = (scroll_top.max(0.0) / row_height).floor() as usize;
    let shown = (viewport.max(0.0) / row_height).ceil() as usize + 1;
    let start = first.saturating_sub(overscan).min(total);
    let end = first
        .saturating_add(shown)
        .saturating_add(overscan)
        .min(total);
    start..end.max(start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleet_engine::fixtures::{apps, device};

    #[test]
    fn cells_say_what_the_device_holds() {
        let mut d = device(3, "error", "KA1", Some("KA2"));
        d.unique_name = Some("\u{202E}evil".into());
        let cells = RowCells::of(&d, &apps(), 100);
        assert_eq!(cells.name.as_deref(), Some("⟨U+202E⟩evil"));
        assert_eq!(cells.address, "\u{202E}evil");
        assert_eq!(
            (cells.badge_class, cells.badge_label.as_str()),
            ("badge error", "error")
        );
        assert_eq!(
            (cells.target.as_str(), cells.reported.as_str()),
            ("fw-1", "fw-2")
        );
        assert!(cells.differs);
        assert_eq!(cells.updated_exact, "1970-01-01T00:00:30Z");
        let bare = RowCells::of(&Device::default(), &apps(), 100);
        assert_eq!((bare.name, bare.target.as_str()), (None, "—"));
        assert_eq!(bare.badge_label, "unknown");
        assert_eq!(
            status_badge(Some(&UpdateStatus::from_wire("rolling"))),
            ("badge other", "rolling".to_owned())
        );
    }

    #[test]
    fn rows_are_markup_only_where_this_code_writes_it() {
        let mut hostile = device(1, "up-to-date", "KA1", Some("KA2"));
        hostile.unique_name = Some("<img src=x onerror=\"alert(1)\"> & 'q'".into());
        hostile.sid = Some("UV\"><script>".into());
        let selected = [hostile.sid.clone().unwrap()].into_iter().collect();
        let writer = RowsHtml {
            device_href: "/sub/devices/",
            selected: Some(&selected),
        };
        let html = writer.write(&[RowCells::of(&hostile, &apps(), 0)], 4);
        assert!(
            html.starts_with(r#"<tr data-sid="UV&quot;&gt;&lt;script&gt;" aria-rowindex="6">"#),
            "{html}"
        );
        assert!(
            html.contains("&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;q&#39;</a>"),
            "{html}"
        );
        assert!(!html.contains("<img") && !html.contains("<script"));
        assert!(
            html.contains(r#"href="/sub/devices/%3Cimg%20src%3Dx%20onerror"#),
            "{html}"
        );
        assert!(html.contains(" checked></td>"));
        assert!(html.contains(r#"class="col-reported differs""#) && html.contains("≠ target"));
        let plain = RowsHtml {
            device_href: "/devices/",
            selected: None,
        }
        .write(
            &[RowCells::of(&device(2, "pending", "KA1", None), &apps(), 0)],
            0,
        );
        assert!(!plain.contains("checkbox") && !plain.contains("≠ target"));
        assert_eq!(plain.matches("<td").count(), 7);
    }

    #[test]
    fn the_window_covers_the_screen_and_the_overscan_and_stays_in_bounds() {
        assert_eq!(visible_rows(0.0, 700.0, 35.0, 100_000, 30), 0..51);
        assert_eq!(visible_rows(35_000.0, 700.0, 35.0, 100_000, 30), 970..1051);
        assert_eq!(
            visible_rows(3_500_000.0, 700.0, 35.0, 100_000, 30),
            99_970..100_000
        );
        assert_eq!(visible_rows(9e9, 700.0, 35.0, 100, 30), 100..100);
        assert_eq!(visible_rows(0.0, 700.0, 35.0, 0, 30), 0..0);
        assert_eq!(
            visible_rows(0.0, 700.0, 0.0, 100, 30),
            0..30,
            "before a row is measured"
        );
        let drawn = visible_rows(12_345.0, 900.0, 36.0, 100_000, 60);
        assert!(
            drawn.len() <= 200,
            "at most about 200 rows in the DOM: {drawn:?}"
        );
    }
}
