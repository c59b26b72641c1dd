//! Apps: list, detail with manifest and the loaded devices that target it, delete rules.

use console_e2e::harness::Session;

#[tokio::test]
async fn apps_list_detail_and_delete() {
    let session = Session::start_with(&["--devices", "6", "--apps", "12"]).await;
    // Load the fleet first, so the app page can tell which devices target each app.
    session.open("/fleet").await;
    session.click_button("Scan fleet").await;
    session
        .wait_for_text(".scan-status", |t| t.contains("complete"))
        .await;
    let targets = session
        .client
        .execute_async(
            "const done = arguments[0]; fetch('/v1/Devices?PageSize=10').then(r => r.json()).then(p => done(p.devices.map(d => d.app.target_sid).filter(Boolean)));",
            vec![],
        )
        .await
        .unwrap();
    let targets: Vec<String> = serde_json::from_value(targets).unwrap();

    // In-app navigation keeps the scan.
    session.click_link("Apps").await;
    let rows = session
        .wait_for(
            "12 app rows",
            "return document.querySelectorAll('table.apps tbody tr').length",
            |v| v.as_u64() == Some(12),
        )
        .await;
    assert_eq!(rows.as_u64(), Some(12));
    let sids: Vec<String> = serde_json::from_value(
        session.eval("return Array.from(document.querySelectorAll('table.apps tbody tr')).map(r => r.dataset.sid)").await,
    )
    .unwrap();
    let used = sids
        .iter()
        .find(|sid| targets.contains(sid))
        .unwrap()
        .clone();
    let unused = sids
        .iter()
        .find(|sid| !targets.contains(sid))
        .unwrap()
        .clone();

    // A targeted app: its devices are listed, and delete is refused with the service's reason.
    session
        .click_link(
            session
                .eval(&format!(
                    "return document.querySelector('tr[data-sid=\"{used}\"] a').textContent"
                ))
                .await
                .as_str()
                .unwrap(),
        )
        .await;
    session
        .wait_for_text(".manifest-hash", |t| t.starts_with("sha256:"))
        .await;
    let size = session
        .wait_for_text(".manifest-size", |t| t.ends_with("bytes"))
        .await;
    assert!(
        size.trim_end_matches(" bytes").parse::<usize>().unwrap() > 10,
        "{size}"
    );
    let count = targets.iter().filter(|t| **t == used).count();
    session
        .wait_for_text(".targeting", |t| {
            t == format!("{count} of the 6 loaded devices")
        })
        .await;
    session.screenshot_at("app-detail", 1280, false).await;
    session.click_button("Delete app").await;
    session.click_button("Delete").await;
    session
        .wait_for_text(".panel [role=alert]", |t| t.contains("still targets it"))
        .await;

    // An app no device targets goes, and the list no longer has it.
    session.click_link("← Apps").await;
    let name = session
        .wait_for(
            "the unused app's row",
            &format!(
                "return document.querySelector('tr[data-sid=\"{unused}\"] a')?.textContent ?? null"
            ),
            |v| v.is_string(),
        )
        .await;
    session.click_link(name.as_str().unwrap()).await;
    session
        .wait_for_text(".targeting", |t| t == "0 of the 6 loaded devices")
        .await;
    session.click_button("Delete app").await;
    session.click_button("Delete").await;
    session
        .wait_for(
            "11 app rows",
            "return document.querySelectorAll('table.apps tbody tr').length",
            |v| v.as_u64() == Some(11),
        )
        .await;
    session.close().await;
}
