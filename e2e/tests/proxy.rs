//! The console through the proxy, against an emulator that checks credentials.

use console_e2e::harness::{PROXY_ACCOUNT_SID, Session};

#[tokio::test]
async fn the_console_lists_pages_and_renames_through_the_proxy() {
    let session = Session::start_proxy("").await;
    session.open("/devices").await;
    let first = session.wait_for_rows(50, &[]).await;
    let header = session
        .wait_for_text(".backend", |t| t.contains("account"))
        .await;
    assert!(
        header.contains(PROXY_ACCOUNT_SID) && header.contains("via this server"),
        "{header}"
    );
    session.click_link("Next").await;
    session.wait_for_rows(50, &first).await;

    let name = session
        .eval("return document.querySelector('tbody tr td.col-name a').textContent")
        .await;
    session
        .open(&format!("/devices/{}", name.as_str().unwrap()))
        .await;
    session.fill("unique-name", "renamed-through-proxy").await;
    session.click_button("Save name").await;
    session
        .wait_for_text("h1", |t| t == "renamed-through-proxy")
        .await;
    session.close().await;
}

#[tokio::test]
async fn wrong_server_credentials_show_the_vendor_401_message() {
    let session = Session::start_proxy("not-the-token").await;
    session.open("/devices").await;
    let message = session
        .wait_for_text("[role=alert] .message", |t| !t.is_empty())
        .await;
    assert!(message.starts_with("Authentication Error"), "{message}");
    let advice = session
        .wait_for_text("[role=alert] .advice", |t| !t.is_empty())
        .await;
    assert_eq!(advice, "Check the credentials the server uses for the API.");
    session.close().await;
}

#[tokio::test]
async fn an_access_token_is_asked_for_once_per_tab() {
    let session = Session::start_with(&["--devices", "60", "--access-token", "open-sesame"]).await;
    session.open("/devices").await;
    session.wait_for_text("h1", |t| t == "Sign in").await;
    session.fill("access-token", "wrong").await;
    session.click_button("Sign in").await;
    session
        .wait_for_text("[role=alert]", |t| t.contains("not accepted"))
        .await;
    session.fill("access-token", "open-sesame").await;
    session.click_button("Sign in").await;
    session.wait_for_rows(50, &[]).await;
    // The tab keeps it across a reload.
    session.client.refresh().await.unwrap();
    session.wait_for_rows(50, &[]).await;
    session.close().await;
}
