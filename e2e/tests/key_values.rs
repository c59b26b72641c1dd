//! Configs and Secrets, per device and for the account.

use console_e2e::harness::Session;

#[tokio::test]
async fn device_configs_and_secrets_tabs() {
    let session = Session::start(30).await;
    session.open("/devices").await;
    session.wait_for_rows(30, &[]).await;
    let name = session
        .eval("return document.querySelector('tbody td.col-name a').textContent")
        .await;
    let name = name.as_str().unwrap().to_owned();
    session.click_link(&name).await;
    session.wait_for_text("h1", |t| t == name).await;

    session.click_button("Configs").await;
    // Limits are checked before anything is sent.
    session.fill("config-key", &"k".repeat(101)).await;
    session.fill("config-value", "v").await;
    session.click_button("Add config").await;
    session
        .wait_for_text(".key-values [role=alert]", |t| {
            t.contains("at most 100 characters")
        })
        .await;
    session.fill("config-key", "broker_host").await;
    session
        .fill("config-value", "mqtts://broker.example:8883")
        .await;
    session.click_button("Add config").await;
    session
        .wait_for_text("tr[data-key=broker_host] td.value", |t| {
            t == "mqtts://broker.example:8883"
        })
        .await;
    // Edit, then delete with a confirmation.
    session.click_button("Edit").await;
    session
        .fill_css(
            "tr[data-key=broker_host] td.value input",
            "mqtts://other:8883",
        )
        .await;
    session.click_button("Save").await;
    session
        .wait_for_text("tr[data-key=broker_host] td.value", |t| {
            t == "mqtts://other:8883"
        })
        .await;
    session.click_button("Delete").await;
    session
        .wait_for_text("dialog[open] .dialog-message", |t| {
            t.contains("broker_host")
        })
        .await;
    session.click_button("Delete").await;
    session
        .wait_for(
            "the row to go",
            "return document.querySelector('tr[data-key=broker_host]') === null",
            |v| v.as_bool() == Some(true),
        )
        .await;

    // Secrets: typed into a masked input, never shown back.
    session.click_button("Secrets").await;
    let kind = session
        .eval("return document.getElementById('secret-value').type")
        .await;
    assert_eq!(kind.as_str(), Some("password"));
    session.fill("secret-key", "api_key").await;
    session.fill("secret-value", "s3cr3t-value").await;
    session.click_button("Add secret").await;
    session
        .wait_for_text("tr[data-key=api_key] td.value", |t| t == "••••••••")
        .await;
    let page = session.eval("return document.body.innerText").await;
    assert!(
        !page.as_str().unwrap().contains("s3cr3t-value"),
        "the secret is shown nowhere"
    );
    session.close().await;
}

#[tokio::test]
async fn account_configs_page() {
    let session = Session::start(5).await;
    session.open("/configs").await;
    session
        .wait_for_text("h1", |t| t == "Account configs")
        .await;
    session
        .wait_for_text("tr[data-key=report_interval_s] td.value", |t| t == "300")
        .await;
    session.fill("config-key", "fleet_region").await;
    session.fill("config-value", "eu").await;
    session.click_button("Add config").await;
    session
        .wait_for_text("tr[data-key=fleet_region] td.value", |t| t == "eu")
        .await;
    // A duplicate key is the service's refusal, shown, with the typed text kept.
    session.fill("config-key", "fleet_region").await;
    session.fill("config-value", "us").await;
    session.click_button("Add config").await;
    session
        .wait_for_text(".key-values [role=alert]", |t| t.contains("already exists"))
        .await;
    let kept = session
        .eval("return document.getElementById('config-value').value")
        .await;
    assert_eq!(kept.as_str(), Some("us"));
    session.close().await;
}
