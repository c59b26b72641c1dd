//! App uploads in Chromium: a bundle made by `console-server bundle build`, chosen with the
//! file chooser, read in the browser (its manifest shown before anything is sent), uploaded,
//! and its page showing the manifest; then a rollout started from that page brings every
//! device up to date on it. In emulator mode, through the proxy (credentials added by the
//! server), and in the static demo. A file that is not a bundle is refused in the page; Cancel
//! stops an upload and nothing is created.

use std::path::PathBuf;
use std::time::Duration;

use console_e2e::harness::{Session, given_path, http_json, start_static_host};
use console_e2e::rollout_checks::wait_completed;

/// A file in a folder of this test run's own.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("console-e2e-uploads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A bundle of a flash image of `size` bytes, made by `console-server bundle build`: its
/// path and the manifest hash it must show.
fn built_bundle(name: &str, size: usize) -> (PathBuf, String) {
    let image = scratch(&format!("{name}.bin"));
    std::fs::write(
        &image,
        (0..size).map(|i| (i * 13 % 241) as u8).collect::<Vec<u8>>(),
    )
    .unwrap();
    let out = scratch(&format!("{name}.zip"));
    let built = std::process::Command::new(given_path("CONSOLE_SERVER_BIN"))
        .args(["bundle", "build"])
        .arg(&image)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("console-server bundle build runs");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let said = String::from_utf8(built.stdout).unwrap();
    let hash = said
        .lines()
        .find_map(|line| line.strip_prefix("hash: "))
        .expect("bundle build says the hash")
        .to_owned();
    (out, hash)
}

/// Chooses `bundle` on the Apps page under `prefix`, checks what the page read of it, uploads
/// it as `unique_name`, and returns the new app's SID once its page shows the manifest.
async fn upload_through_the_console(
    session: &Session,
    prefix: &str,
    bundle: &std::path::Path,
    hash: &str,
    unique_name: &str,
) -> String {
    session.open(&format!("{prefix}/apps")).await;
    session.choose_file("bundle-file", bundle).await;
    session
        .wait_for_text(".bundle-summary .manifest-hash", |t| t == hash)
        .await;
    let warnings = session
        .wait_for_text(".bundle-summary .manifest-warnings", |t| !t.is_empty())
        .await;
    assert!(warnings.contains("Unsigned"), "{warnings}");
    session.fill("bundle-unique-name", unique_name).await;
    session.click_button("Upload").await;
    let path = session
        .wait_for("the new app's page", "return location.pathname", |v| {
            v.as_str().is_some_and(|p| p.contains("/apps/KA"))
        })
        .await;
    session
        .wait_for_text(".manifest .manifest-hash", |t| t == hash)
        .await;
    session.wait_for_text("h1", |t| t == unique_name).await;
    path.as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_uploaded_app_is_rolled_out_from_its_page_until_every_device_runs_it() {
    let session = Session::start(8).await;
    let (bundle, hash) = built_bundle("rollout", 40_000);
    // Not a bundle: refused in the page, with the reason, before anything is sent.
    let text = scratch("notes.txt");
    std::fs::write(&text, "not a bundle").unwrap();
    session.open("/apps").await;
    session.choose_file("bundle-file", &text).await;
    let refused = session
        .wait_for_text(".bundle-refused", |t| !t.is_empty())
        .await;
    assert!(refused.contains("not a ZIP archive"), "{refused}");

    let sid = upload_through_the_console(&session, "", &bundle, &hash, "meter-reader-2-1").await;
    session.screenshot_at("app-uploaded", 1280, false).await;
    session.click_link("Roll out…").await;
    session
        .wait_for(
            "the app chosen",
            "return document.getElementById('rollout-target')?.value ?? null",
            |v| v.as_str() == Some(sid.as_str()),
        )
        .await;
    session.fill("rollout-name", "meter reader 2.1").await;
    session.choose("rollout-preset", "custom").await;
    session.fill("rollout-phases", "2, 100%").await;
    session.click_button("Preview").await;
    session
        .wait_for_text(".preview-summary", |t| t.starts_with("8 devices"))
        .await;
    session.click_button("Start rollout…").await;
    session
        .wait_for_text("dialog[open] .dialog-message", |t| {
            t.starts_with("Start rolling out meter-reader-2-1")
        })
        .await;
    session.click_button("Start rollout").await;
    let path = session
        .wait_for("the rollout's page", "return location.pathname", |v| {
            v.as_str().is_some_and(|p| p.contains("/rollouts/RO"))
        })
        .await;
    let rollout = path
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    wait_completed(&session.base_url, &rollout, Duration::from_secs(90)).await;
    let (status, devices) = http_json(
        "GET",
        &format!("{}/v1/Devices?PageSize=100", session.base_url),
        None,
    )
    .await;
    assert_eq!(status, 200);
    for device in devices["devices"].as_array().unwrap() {
        assert_eq!(device["app"]["update_status"], "up-to-date", "{device}");
        assert_eq!(device["app"]["reported_sid"], sid.as_str(), "{device}");
    }
    session.close().await;
}

#[tokio::test]
async fn an_upload_goes_through_the_proxy_with_the_server_credentials() {
    let session = Session::start_proxy("").await;
    let (bundle, hash) = built_bundle("proxy", 20_000);
    let sid = upload_through_the_console(&session, "", &bundle, &hash, "via-proxy-1").await;
    let (status, app) =
        http_json("GET", &format!("{}/v1/Apps/{sid}", session.base_url), None).await;
    assert_eq!(status, 200, "{app}");
    assert_eq!(app["hash"], hash.as_str());
    session.close().await;
}

#[tokio::test]
async fn the_static_demo_takes_an_upload_in_the_page() {
    const PREFIX: &str = "/microvisor-console";
    let (host, _task) = start_static_host(&given_path("CONSOLE_STATIC_SITE"), PREFIX).await;
    let session = Session::browse(host).await;
    let (bundle, hash) = built_bundle("demo", 10_000);
    upload_through_the_console(&session, PREFIX, &bundle, &hash, "demo-upload-1").await;
    // Kept in this browser like the rest of the demo: a reload shows it still.
    session.client.refresh().await.expect("the page reloads");
    session
        .wait_for_text(".manifest .manifest-hash", |t| t == hash)
        .await;
    session.close().await;
}

#[tokio::test]
async fn cancel_stops_an_upload_and_nothing_is_created() {
    // Every request waits 1.5–4.5 s: time enough to press Cancel.
    let session = Session::start_with(&["--devices", "3", "--latency-ms", "3000"]).await;
    let count = || async {
        let (_, page) = http_json(
            "GET",
            &format!("{}/v1/Apps?PageSize=1000", session.base_url),
            None,
        )
        .await;
        page["apps"].as_array().map_or(0, Vec::len)
    };
    let before = count().await;
    let (bundle, hash) = built_bundle("cancelled", 30_000);
    session.open("/apps").await;
    session.choose_file("bundle-file", &bundle).await;
    session
        .wait_for_text(".bundle-summary .manifest-hash", |t| t == hash)
        .await;
    session.click_button("Upload").await;
    session.click_button("Cancel").await;
    session
        .wait_for_text(".upload-error", |t| t.contains("Cancelled"))
        .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(count().await, before);
    session.close().await;
}
