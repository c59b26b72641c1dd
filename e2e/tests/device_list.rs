//! The device list in a real browser against console-server and its emulator.

use console_e2e::harness::Session;

#[tokio::test]
async fn pages_forward_with_next_and_back_with_history() {
    let session = Session::start(250).await;
    session.open("/").await;
    let first = session.wait_for_rows(50, &[]).await;
    assert!(session.path_and_query().await.starts_with("/devices"));
    session.save_screenshot("device-list").await;

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
        .wait_for(
            "the page summary",
            "return document.querySelector('.pager .summary')?.textContent",
            |v| v.as_str().is_some_and(|s| s.contains("Page 2")),
        )
        .await;
    assert_eq!(summary.as_str(), Some("Page 2 · devices 51–100"));

    session.client.back().await.expect("history back");
    let again = session.wait_for_rows(50, &second).await;
    assert_eq!(again, first);
    session.close().await;
}

#[tokio::test]
async fn deep_link_reload_and_unknown_device() {
    let session = Session::start(250).await;
    session.open("/devices?PageSize=25&Page=0").await;
    let first = session.wait_for_rows(25, &[]).await;
    session.click_link("Next").await;
    let second = session.wait_for_rows(25, &first).await;
    let deep = session.path_and_query().await;
    session.client.refresh().await.expect("reload");
    let reloaded = session.wait_for_rows(25, &[]).await;
    assert_eq!(reloaded, second, "reload of {deep} shows the same page");

    session.open("/devices/no-such-device").await;
    let heading = session
        .wait_for(
            "the not-found view",
            "return document.querySelector('[role=alert] h2')?.textContent",
            |v| v.is_string(),
        )
        .await;
    assert_eq!(heading.as_str(), Some("Not found"));
    session.close().await;
}
