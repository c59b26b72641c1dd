//! The console against Stoplight's Prism mocking the vendor's spec in dynamic mode (data valid
//! by the spec's schemas but unusual: negative page numbers, null apps, free-form objects full
//! of random fields), through console-server's proxy. Every load must render: rows, or the
//! designed empty list. None may be refused for a field's value.

use std::process::Stdio;
use std::time::{Duration, Instant};

use console_e2e::harness::{
    Group, PATIENCE, Session, free_port, given_path, start_server_with_env,
};
use tokio::process::Command;

const LOADS: usize = 20;

#[tokio::test]
async fn twenty_loads_of_prisms_dynamic_mock_all_render() {
    if test_support::spec_or_skip("prism").is_none() {
        return;
    }
    let port = free_port();
    let _prism = Group::spawn(
        Command::new(given_path("PRISM"))
            .args(["mock", "--dynamic", "--host", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .arg(given_path("MICROVISOR_SPEC"))
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
    .expect("Prism starts (cargo xtask setup --browser installs it)");
    let deadline = Instant::now() + PATIENCE;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "Prism did not listen on {port}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (server, base_url) = start_server_with_env(
        &["--upstream", &format!("http://127.0.0.1:{port}")],
        &[
            ("TWILIO_ACCOUNT_SID", "ACprism0000000000000000000000000000"),
            ("TWILIO_AUTH_TOKEN", "prism-token"),
        ],
    )
    .await;
    let session = Session::attach(server, base_url).await;
    let (mut with_rows, mut empty) = (0, 0);
    for load in 0..LOADS {
        session.open("/devices").await;
        let outcome = session
            .wait_for(
                "a rendered list or an error",
                "const rows = document.querySelectorAll('table.devices tbody tr').length;
                 if (rows > 0) return 'rows';
                 if (document.querySelector('.panel.empty')) return 'empty';
                 const error = document.querySelector('.panel.error');
                 return error ? 'error: ' + error.textContent : null;",
                |value| value.is_string(),
            )
            .await;
        let outcome = outcome.as_str().unwrap_or_default().to_owned();
        assert!(
            outcome == "rows" || outcome == "empty",
            "load {load} was refused: {outcome}"
        );
        if outcome == "rows" {
            with_rows += 1;
            // The rows say what came: every SID, and names (or "(no name)") as text.
            let sids = session.row_sids().await;
            assert!(
                sids.iter()
                    .all(|sid| sid.is_empty() || sid.starts_with("UV")),
                "{sids:?}"
            );
        } else {
            empty += 1;
        }
        session.assert_no_panic().await;
    }
    eprintln!("prism: {with_rows} loads with rows, {empty} empty lists");
    assert!(
        with_rows > 0,
        "Prism sent no device at all in {LOADS} loads"
    );
    session.save_screenshot("prism-dynamic").await;
    session.close().await;
}
