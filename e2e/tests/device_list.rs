//! The device list in a real browser against console-server and its emulator.

use console_e2e::harness::Session;
use fantoccini::Locator;

#[tokio::test]
async fn pages_forward_with_next_and_back_with_history() {
    let session = Session::start(250).await;
    session.open("/").await;
    let first = session.wait_for_rows(50, &[]).await;
    assert!(session.path_and_query().await.starts_with("/devices"));
    session.screenshot_at("device-list", 1280, false).await;
    session.screenshot_at("device-list", 1280, true).await;
    session.screenshot_at("device-list", 390, false).await;

    session.click_link("Next").await;
    let second = session.wait_for_rows(50, &first).await;
    assert!(
        second.iter().all(|sid| !first.contains(sid)),
        "page 2 repeats page 1"
    );
    let url = session.path_and_query().await;
    assert!(
        url.contains("Page=1") && url.contains("PageToken=PA"),
        "{url}"
    );
    let summary = session
        .wait_for_text(".pager .summary", |s| s.contains("Page 2"))
        .await;
    assert_eq!(summary, "Page 2 · devices 51–100");

    session.client.back().await.expect("history back");
    let again = session.wait_for_rows(50, &second).await;
    assert_eq!(again, first);
    session.close().await;
}

/// Requests of the device list this page has made for page `page` (0-based), by the browser's
/// own resource timing.
fn requests_for_page(page: u32) -> String {
    format!(
        "return performance.getEntriesByType('resource').filter(e => e.name.includes('/v1/Devices?') \
         && new URL(e.name).searchParams.get('Page') === '{page}').length"
    )
}

/// Once a page has drawn, the next one is fetched while the browser is idle, so Next shows it
/// without asking the server again; the page after it is then fetched ahead in turn.
#[tokio::test]
async fn next_page_is_fetched_ahead_and_shown_without_asking_again() {
    let session = Session::start(250).await;
    session.open("/devices?PageSize=25").await;
    let first = session.wait_for_rows(25, &[]).await;
    session
        .wait_for("page 2 fetched ahead", &requests_for_page(1), |n| *n == 1)
        .await;

    session.click_link("Next").await;
    let second = session.wait_for_rows(25, &first).await;
    assert!(second.iter().all(|sid| !first.contains(sid)));
    session
        .wait_for_text(".pager .summary", |s| s == "Page 2 · devices 26–50")
        .await;
    session
        .wait_for("page 3 fetched ahead", &requests_for_page(2), |n| *n == 1)
        .await;
    assert_eq!(
        session.eval(&requests_for_page(1)).await,
        1,
        "page 2 was asked for once, ahead of Next"
    );

    // Back to page 1 and forward again: page 2 is held no longer (page 1's fetch ahead asked
    // for it once more, while the browser was idle), and it is still right.
    session.click_link("Previous").await;
    session.wait_for_rows(25, &second).await;
    session
        .wait_for("page 2 fetched ahead again", &requests_for_page(1), |n| {
            *n == 2
        })
        .await;
    session.click_link("Next").await;
    assert_eq!(session.wait_for_rows(25, &first).await, second);
    assert_eq!(session.eval(&requests_for_page(1)).await, 2);
    session.assert_no_panic().await;
    session.close().await;
}

#[tokio::test]
async fn pages_through_250_devices_by_25_and_back() {
    let session = Session::start(250).await;
    session.open("/devices?PageSize=25").await;
    let mut pages = vec![session.wait_for_rows(25, &[]).await];
    for _ in 1..10 {
        session.click_link("Next").await;
        let previous = pages.last().unwrap().clone();
        pages.push(session.wait_for_rows(25, &previous).await);
    }
    session
        .wait_for_text(".pager .summary", |s| s == "Page 10 · devices 226–250")
        .await;
    let next_disabled = session
        .eval("return document.querySelector('.pager a:last-child').getAttribute('aria-disabled')")
        .await;
    assert_eq!(
        next_disabled.as_str(),
        Some("true"),
        "no page after the last"
    );
    let mut all: Vec<String> = pages.concat();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 250, "every device once");
    for expected in pages.iter().rev().skip(1) {
        session.click_link("Previous").await;
        let rows = session.wait_for_rows(25, &[]).await;
        let rows = if &rows == expected {
            rows
        } else {
            session.wait_for_rows(25, &rows).await
        };
        assert_eq!(&rows, expected);
    }
    session.close().await;
}

#[tokio::test]
async fn page_size_is_chosen_remembered_and_deep_links_survive_reload() {
    let session = Session::start(250).await;
    session.open("/devices").await;
    let first = session.wait_for_rows(50, &[]).await;
    let select = session
        .client
        .find(Locator::Css(".page-size select"))
        .await
        .expect("a Page size selector");
    select.select_by_value("100").await.expect("choose 100");
    session.wait_for_rows(100, &first).await;
    assert!(session.path_and_query().await.contains("PageSize=100"));
    // The choice becomes the default.
    session.open("/devices").await;
    session.wait_for_rows(100, &[]).await;

    // Page 3 at 25 per page, by deep link, then a reload.
    session.open("/devices?PageSize=25").await;
    let one = session.wait_for_rows(25, &[]).await;
    session.click_link("Next").await;
    let two = session.wait_for_rows(25, &one).await;
    session.click_link("Next").await;
    let three = session.wait_for_rows(25, &two).await;
    let deep = session.path_and_query().await;
    assert!(deep.contains("Page=2"), "{deep}");
    session.open(&deep).await;
    assert_eq!(session.wait_for_rows(25, &[]).await, three);
    session.client.refresh().await.expect("reload");
    assert_eq!(session.wait_for_rows(25, &[]).await, three);
    session
        .wait_for_text(".pager .summary", |s| s == "Page 3 · devices 51–75")
        .await;
    session.close().await;
}

#[tokio::test]
async fn an_unknown_device_has_a_not_found_view() {
    let session = Session::start(50).await;
    session.open("/devices/no-such-device").await;
    session
        .wait_for_text("[role=alert] h2", |t| t == "Not found")
        .await;
    session.close().await;
}

/// Choosing rows never moves the table under the pointer, the header box takes the whole page,
/// and on a phone each device is a card whose values read on one line where they fit.
#[tokio::test]
async fn selecting_keeps_the_table_still_and_cards_read_well_on_a_phone() {
    let session = Session::start(60).await;
    session.open("/devices?PageSize=25").await;
    session.wait_for_rows(25, &[]).await;
    let top =
        "return Math.round(document.querySelector('table.devices').getBoundingClientRect().top)";
    let before = session.eval(top).await;
    session.client.set_window_size(390, 900).await.unwrap();
    let before_on_phone = session.eval(top).await;
    session.client.set_window_size(1280, 900).await.unwrap();
    session
        .click_css("tbody tr:nth-child(3) td.select input")
        .await;
    session
        .wait_for_text(".bulk .selected-count", |t| t == "1 selected")
        .await;
    // The first row chosen loads the bulk actions in place of their idle stand-in.
    session.wait_for_bulk_actions().await;
    assert_eq!(session.eval(top).await, before, "one row chosen");
    session.client.set_window_size(390, 900).await.unwrap();
    assert_eq!(
        session.eval(top).await,
        before_on_phone,
        "one row chosen, on a phone"
    );
    session.client.set_window_size(1280, 900).await.unwrap();
    let header = "const h = document.querySelector('thead input.select-all'); return [h.checked, h.indeterminate]";
    assert_eq!(session.eval(header).await, serde_json::json!([false, true]));
    session
        .screenshot_at("selection-one-row", 1280, false)
        .await;
    session.click_css("thead input.select-all").await;
    session
        .wait_for_text(".bulk .selected-count", |t| t == "25 selected")
        .await;
    assert_eq!(session.eval(top).await, before, "the whole page chosen");
    assert_eq!(session.eval(header).await, serde_json::json!([true, false]));
    session
        .screenshot_at("selection-whole-page", 1280, true)
        .await;

    // 390 px: cards of labelled fields; an app name such as "sensor-hub-1.9.11" stays whole.
    session.client.set_window_size(390, 900).await.unwrap();
    let layout = session
        .wait_for(
            "cards",
            "const cell = document.querySelector('tbody tr td.col-target');
             if (getComputedStyle(cell).display !== 'grid') return null;
             const value = cell.querySelector('span');
             const line = parseFloat(getComputedStyle(value).lineHeight) || 20;
             return { width: value.getBoundingClientRect().width, lines: Math.round(value.getBoundingClientRect().height / line), text: value.textContent };",
            |v| v.is_object(),
        )
        .await;
    assert!(
        layout["width"].as_f64().unwrap_or(0.0) >= 180.0,
        "a value gets the card's width: {layout}"
    );
    assert_eq!(layout["lines"], 1, "an app name on one line: {layout}");
    session.save_screenshot("device-cards-390").await;
    session.client.set_window_size(1280, 900).await.unwrap();
    session.close().await;
}
