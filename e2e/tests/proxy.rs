//! The console through the proxy, against an emulator that checks credentials.

use console_e2e::harness::{
    PROXY_ACCOUNT_SID, Session, http_json, start_server, start_server_with_env,
};

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

/// The console through `console-server --upstream --upstream-auth MODE`, in front of an
/// emulator that asks for that scheme (`--auth-mode MODE`); OAuth2 tokens live `ttl_ms`.
async fn session_with_upstream_auth(mode: &str, devices: usize, ttl_ms: u64) -> (Session, String) {
    let (emulator, emulator_url) = start_server(&[
        "--devices",
        &devices.to_string(),
        "--update-failure-rate",
        "0",
        "--auth",
        "console-client:s3cret-of-the-client",
        "--auth-mode",
        mode,
        "--token-ttl-ms",
        &ttl_ms.to_string(),
    ])
    .await;
    let token_url = format!("{emulator_url}/oauth2/token");
    let (server, base_url) = start_server_with_env(
        &[
            "--upstream",
            &emulator_url,
            "--upstream-auth",
            mode,
            "--upstream-token-url",
            &token_url,
        ],
        &[
            ("UPSTREAM_BEARER_TOKEN", "s3cret-of-the-client"),
            ("UPSTREAM_CLIENT_ID", "console-client"),
            ("UPSTREAM_CLIENT_SECRET", "s3cret-of-the-client"),
        ],
    )
    .await;
    (
        Session::behind(server, base_url, emulator).await,
        emulator_url,
    )
}

/// Lists, pages and renames: the everyday calls, through the given scheme.
async fn list_and_rename(session: &Session, new_name: &str) {
    session.open("/devices").await;
    let first = session.wait_for_rows(50, &[]).await;
    session.click_link("Next").await;
    session.wait_for_rows(50, &first).await;
    session.open(&format!("/devices/{}", first[3])).await;
    session.fill("unique-name", new_name).await;
    session.click_button("Save name").await;
    session.wait_for_text("h1", |t| t == new_name).await;
}

#[tokio::test]
async fn the_console_works_through_a_bearer_token_upstream() {
    let (session, emulator) = session_with_upstream_auth("bearer", 120, 3_600_000).await;
    let (status, _) = http_json("GET", &format!("{emulator}/v1/Devices"), None).await;
    assert_eq!(status, 401, "the upstream asks for the token");
    list_and_rename(&session, "renamed-with-bearer").await;
    session.assert_no_panic().await;
    session.close().await;
}

#[tokio::test]
async fn an_oauth2_token_expiring_mid_bulk_deploy_of_1000_devices_fails_no_write() {
    // Tokens of 2 s: a bulk deploy of 1,000 devices outlives several of them.
    let (session, emulator) = session_with_upstream_auth("oauth2", 1000, 2_000).await;
    list_and_rename(&session, "renamed-with-oauth2").await;
    session.open("/fleet").await;
    session.scan(1000).await;
    let apps = session.get_json("/v1/Apps?PageSize=100").await;
    let app_name = apps["apps"][1]["unique_name"].as_str().unwrap().to_owned();
    session.click_button("Select all matching").await;
    session
        .wait_for_text(".bulk .toolbar span", |t| t == "1000 selected")
        .await;
    session.review_bulk("target", Some(&app_name)).await;
    session
        .wait_for_text("dialog[open] .dialog-message", |t| {
            t.starts_with(&format!(
                "Set the target app to {app_name} on 1000 devices."
            ))
        })
        .await;
    let started = std::time::Instant::now();
    session.click_button("Apply").await;
    let status = session
        .wait_long(
            "the bulk deploy",
            std::time::Duration::from_secs(300),
            "const e = document.querySelector('.bulk-status'); return e ? e.textContent : null;",
            |v| {
                v.as_str()
                    .is_some_and(|t| t.starts_with("1000 of 1000 finished"))
            },
        )
        .await;
    let took = started.elapsed();
    assert_eq!(
        status.as_str().unwrap(),
        "1000 of 1000 finished · 1000 done · 0 failed or not sent"
    );
    assert!(
        took > std::time::Duration::from_secs(2),
        "the deploy outlived a token ({took:?})"
    );
    // At the emulator: every device written once.
    let (_, writes) = http_json("GET", &format!("{emulator}/emulator/v1/writes"), None).await;
    let writes = writes["target_app_writes"]
        .as_object()
        .expect("write counts");
    assert_eq!(writes.len(), 1000);
    assert!(writes.values().all(|n| n == 1), "a device written twice");
    session.assert_no_panic().await;
    session.close().await;
}
