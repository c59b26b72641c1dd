//! Fleet operations in a real browser: scan, summary, filters, selection and a bulk action.

use console_e2e::harness::Session;
use fantoccini::Locator;

#[tokio::test]
async fn scan_filter_select_and_change_many_devices() {
    let session = Session::start(250).await;
    session.open("/fleet").await;
    session.click_button("Scan fleet").await;
    let status = session
        .wait_for_text(".scan-status", |t| t.contains("complete"))
        .await;
    assert!(status.starts_with("250 devices · 1 pages"), "{status}");
    session
        .wait_for_text(".chips button", |t| t == "All 250")
        .await;

    // A count filters the view.
    let chip = session
        .eval("return Array.from(document.querySelectorAll('.chips button')).map(b => b.textContent).find(t => t.startsWith('pending '))")
        .await;
    let pending: usize = chip
        .as_str()
        .unwrap()
        .trim_start_matches("pending ")
        .parse()
        .unwrap();
    session.click_button(chip.as_str().unwrap()).await;
    session
        .wait_for_text(".toolbar .muted", |t| {
            t == format!("{pending} matching (filtered)")
        })
        .await;
    session.click_button("Clear filters").await;
    session
        .wait_for_text(".toolbar .muted", |t| t == "250 matching")
        .await;

    // Search narrows by name.
    session.fill("fleet-search", "berlin").await;
    let matching = session
        .wait_for_text(".toolbar .muted", |t| t.ends_with("(filtered)"))
        .await;
    let berlin: usize = matching.split(' ').next().unwrap().parse().unwrap();
    assert!(berlin > 5 && berlin < 250, "{matching}");

    // Click the first box, shift-click the fifth: a range of five.
    let boxes = session
        .client
        .find_all(Locator::Css("td.select input"))
        .await
        .unwrap();
    boxes[0].click().await.unwrap();
    session
        .eval("const b = document.querySelectorAll('td.select input')[4]; b.dispatchEvent(new MouseEvent('click', {bubbles: true, shiftKey: true})); return 1;")
        .await;
    session
        .wait_for_text(".bulk .toolbar span", |t| t == "5 selected")
        .await;
    session.click_button("Select all matching").await;
    session
        .wait_for_text(".bulk .toolbar span", |t| t == format!("{berlin} selected"))
        .await;

    // Enable logging on all of them, with a confirmation that counts them.
    session.click_button("Review and apply…").await;
    let message = session
        .wait_for_text("dialog[open] .dialog-message", |t| !t.is_empty())
        .await;
    assert!(
        message.starts_with(&format!(
            "Enable or extend logging for 24 h on {berlin} devices."
        )),
        "{message}"
    );
    assert!(message.contains("→ logging on for 24 h"), "{message}");
    session.click_button("Apply").await;
    let done = session
        .wait_for_text(".bulk-status", |t| {
            t.starts_with(&format!("{berlin} of {berlin} finished"))
        })
        .await;
    assert_eq!(
        done,
        format!("{berlin} of {berlin} finished · {berlin} done · 0 failed or not sent")
    );
    let rows = session
        .eval("return document.querySelectorAll('table.results tbody tr').length")
        .await;
    assert_eq!(
        rows.as_u64(),
        Some(berlin as u64),
        "a result for every device"
    );
    session.screenshot_at("fleet", 1280, false).await;

    // The summary follows the changes.
    session.click_button("Clear filters").await;
    let logging = session
        .eval("return Array.from(document.querySelectorAll('.chips button')).map(b => b.textContent).find(t => t.startsWith('logging on '))")
        .await;
    let on: usize = logging
        .as_str()
        .unwrap()
        .trim_start_matches("logging on ")
        .parse()
        .unwrap();
    assert!(on >= berlin, "{on} < {berlin}");
    session.close().await;
}
