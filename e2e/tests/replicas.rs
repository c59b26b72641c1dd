//! Two console-server replicas sharing one PostgreSQL (a private cluster the test starts),
//! both in proxy mode in front of one emulator process: views saved on one are served by the
//! other, a rollout survives `kill -9` of the replica driving it (and a tab's event stream
//! resumes on the other replica without a gap), and so do the fleet index's sync and an
//! alert's webhook deliveries.

use std::time::{Duration, Instant};

use console_e2e::alert_checks::Flipper;
use console_e2e::harness::{EventStream, Group, Session, http_json, start_server};
use console_e2e::rollout_checks::{
    assert_states_match_emulator, assert_written_once, devices_in, proxy_on, wait_completed,
    wait_mid_phase, writes_at,
};
use serde_json::{Value, json};
use test_support::postgres::Postgres;

const PATIENCE: Duration = Duration::from_secs(150);

/// The replica holding the rollouts' lease, as the database has it (`host-pid-started`).
async fn lease_holder(database: &str) -> Option<String> {
    holder_of(database, "rollouts").await
}

/// The replica holding the lease `name`.
async fn holder_of(database: &str, name: &str) -> Option<String> {
    let (client, connection) = tokio_postgres::connect(database, tokio_postgres::NoTls)
        .await
        .expect("connect to the test's PostgreSQL");
    tokio::spawn(connection);
    let row = client
        .query_opt(
            "SELECT holder FROM leases WHERE name = $1 AND expires_ms > $2",
            &[&name, &now_ms()],
        )
        .await
        .expect("read the lease");
    row.map(|row| row.get(0))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn holds(holder: &Option<String>, replica: &Group) -> bool {
    holder
        .as_deref()
        .is_some_and(|h| h.contains(&format!("-{}-", replica.pid())))
}

/// The devices whose search key (SID, name, target and reported app with their names)
/// holds `text`, counted from the API's own list.
async fn count_at_api(emulator: &str, text: &str) -> usize {
    let (_, apps) = http_json("GET", &format!("{emulator}/v1/Apps?PageSize=1000"), None).await;
    let name_of = |sid: &Value| -> String {
        apps["apps"]
            .as_array()
            .and_then(|apps| apps.iter().find(|a| &a["sid"] == sid))
            .and_then(|a| a["unique_name"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let (_, page) = http_json("GET", &format!("{emulator}/v1/Devices?PageSize=1000"), None).await;
    page["devices"]
        .as_array()
        .expect("a page of devices")
        .iter()
        .filter(|d| {
            let app = &d["app"];
            let key = [
                d["sid"].as_str().unwrap_or_default().to_owned(),
                d["unique_name"].as_str().unwrap_or_default().to_owned(),
                app["target_sid"].as_str().unwrap_or_default().to_owned(),
                app["reported_sid"].as_str().unwrap_or_default().to_owned(),
                name_of(&app["target_sid"]),
                name_of(&app["reported_sid"]),
            ]
            .join(" ")
            .to_lowercase();
            key.contains(text)
        })
        .count()
}

#[tokio::test]
async fn a_view_saved_on_one_replica_opens_on_the_other_with_the_devices_it_matches() {
    let postgres = Postgres::start().expect("a PostgreSQL server for the test");
    let database = postgres.database("views").expect("a database");
    let (_emulator, emulator) = start_server(&["--devices", "180"]).await;
    let (_one, one) = proxy_on(&emulator, &["--database", &database]).await;
    let (_two, two) = proxy_on(&emulator, &["--database", &database]).await;

    // Browser A, on replica one: scan, search, save the filter as a view.
    let first = Session::browse(one).await;
    first.open("/fleet").await;
    first.scan(180).await;
    first.fill("fleet-search", "berlin").await;
    let shown = first
        .wait_for_text(".toolbar .muted", |t| t.ends_with("(filtered)"))
        .await;
    let expected = count_at_api(&emulator, "berlin").await;
    assert!(expected > 0 && expected < 180, "{expected}");
    assert_eq!(shown, format!("{expected} matching (filtered)"));
    first.fill("view-name", "Berlin gateways").await;
    first.click_button("Save view").await;
    first
        .wait_for_text(".view-list .view-link", |t| t == "Berlin gateways")
        .await;
    let href = first
        .eval("return document.querySelector('.view-list .view-link').getAttribute('href')")
        .await;
    let href = href.as_str().expect("the view's link").to_owned();
    assert!(href.starts_with("/fleet?view=VW"), "{href}");

    // Browser B, on replica two: the view is listed, and opening it scans and filters.
    let second = Session::browse(two).await;
    second.open("/fleet").await;
    second
        .wait_for_text(".view-list .view-link", |t| t == "Berlin gateways")
        .await;
    second.click_link("Berlin gateways").await;
    second
        .wait_for_text(".scan-status", |t| t.contains("complete"))
        .await;
    second
        .wait_for_text(".open-view strong", |t| t == "Berlin gateways")
        .await;
    let shown = second
        .wait_for_text(".toolbar .muted", |t| t.ends_with("(filtered)"))
        .await;
    assert_eq!(shown, format!("{expected} matching (filtered)"));
    assert_eq!(second.path_and_query().await, href);
    first.assert_no_panic().await;
    second.assert_no_panic().await;
    first.close().await;
    second.close().await;
}

#[tokio::test]
async fn the_other_replica_takes_a_rollout_over_after_kill_9_and_writes_each_device_once() {
    let postgres = Postgres::start().expect("a PostgreSQL server for the test");
    let database = postgres.database("failover").expect("a database");
    let (_emulator, emulator) = start_server(&[
        "--devices",
        "200",
        "--update-delay-ms",
        "500",
        "--update-failure-rate",
        "0",
        "--latency-ms",
        "40",
    ])
    .await;
    let store = ["--database", database.as_str()];
    let (first, one) = proxy_on(&emulator, &store).await;
    // The first replica takes the lease before the second exists.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !holds(&lease_holder(&database).await, &first) {
        assert!(
            Instant::now() < deadline,
            "the first replica never took the lease"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (second, two) = proxy_on(&emulator, &store).await;

    // Made through the second replica; driven by the first, the lease holder.
    let (_, apps) = http_json("GET", &format!("{two}/v1/Apps?PageSize=50"), None).await;
    let target = apps["apps"][0]["sid"].as_str().expect("an app").to_owned();
    let (status, created) = http_json(
        "POST",
        &format!("{two}/console/v1/rollouts"),
        Some(
            &json!({
                "name": "through a failover",
                "target_app": target,
                "source": {"kind": "filter", "filter": {}},
                "plan": {"phases": [
                    {"size": {"kind": "percent", "value": 10}},
                    {"size": {"kind": "percent", "value": 100}}
                ], "concurrency": 2}
            })
            .to_string(),
        ),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();

    // Mid-phase: some devices written, most not.
    wait_mid_phase(&two, &id, 20..150, PATIENCE).await;
    assert!(holds(&lease_holder(&database).await, &first));
    // A tab's event stream on the lease holder, telling of the rollout's progress.
    let mut stream = EventStream::open(&one, None).await;
    let mut last = None;
    while last.is_none() {
        let (seq, event, _) = stream.next().await;
        if event == "rollout" {
            last = seq;
        }
    }
    // kill -9 of the lease holder.
    drop(first);
    let killed = Instant::now();
    while !holds(&lease_holder(&database).await, &second) {
        assert!(
            killed.elapsed() < Duration::from_secs(15),
            "no takeover within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("takeover after {:.1} s", killed.elapsed().as_secs_f64());
    // The tab reconnects to the other replica with the last id it read: every event after
    // it, numbered without a gap, up to the rollout's completion by the new holder.
    let mut resumed = EventStream::open(&two, last).await;
    let mut expected = last.expect("an event read") + 1;
    loop {
        let (seq, event, data) = resumed.next().await;
        assert_eq!(seq, Some(expected), "{event} {data}");
        expected += 1;
        if event == "rollout" && data.contains(r#""state":"completed""#) {
            break;
        }
    }
    let rollout = wait_completed(&two, &id, PATIENCE).await;
    assert_eq!(devices_in(&rollout).len(), 200);
    assert_written_once(&rollout, &writes_at(&emulator).await);
    assert_states_match_emulator(&emulator, &rollout).await;
    drop(one);
}

/// The index's last complete pass as `base` tells it, once one started after `after_ms`.
async fn pass_after(base: &str, after_ms: i64, limit: Duration) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let (_, status) = http_json("GET", &format!("{base}/console/v1/fleet/status"), None).await;
        if status["complete"]["started_ms"]
            .as_i64()
            .is_some_and(|t| t > after_ms)
        {
            return status["complete"].clone();
        }
        assert!(
            Instant::now() < deadline,
            "no pass after {after_ms}: {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_other_replica_keeps_the_fleet_index_after_kill_9_of_the_one_syncing() {
    let postgres = Postgres::start().expect("a PostgreSQL server for the test");
    let database = postgres.database("index").expect("a database");
    let (_emulator, emulator) = start_server(&["--devices", "3000"]).await;
    let store = ["--database", database.as_str(), "--index-interval", "2"];
    let (first, one) = proxy_on(&emulator, &store).await;
    let (second, two) = proxy_on(&emulator, &store).await;
    let done = pass_after(&two, 0, PATIENCE).await;
    assert_eq!(done["listed"], 3000, "{done}");
    let holder = holder_of(&database, "fleet-index").await;
    let (victim, survivor, survivor_url) = if holds(&holder, &first) {
        (first, second, two)
    } else {
        assert!(holds(&holder, &second), "{holder:?} is neither replica");
        (second, first, one)
    };
    // kill -9 of the replica syncing, then a device changed at the API.
    drop(victim);
    let killed_ms = now_ms();
    let (_, page) = http_json("GET", &format!("{emulator}/v1/Devices?PageSize=1"), None).await;
    let sid = page["devices"][0]["sid"]
        .as_str()
        .expect("a device")
        .to_owned();
    let (status, _) = console_e2e::harness::http_form(
        &format!("{emulator}/v1/Devices/{sid}"),
        "UniqueName=renamed-after-the-crash",
    )
    .await;
    assert_eq!(status, 200);
    // The survivor takes the lease when it runs out and reads the whole fleet again.
    let pass = pass_after(&survivor_url, killed_ms, PATIENCE).await;
    let took_over_after = pass["started_ms"].as_i64().unwrap() - killed_ms;
    eprintln!(
        "index takeover after {:.1} s",
        took_over_after as f64 / 1000.0
    );
    assert!(took_over_after < 20_000, "{took_over_after} ms");
    assert_eq!(pass["listed"], 3000, "{pass}");
    assert!(holds(&holder_of(&database, "fleet-index").await, &survivor));
    let filter = "%7B%22text%22%3A%22renamed-after-the-crash%22%7D";
    let (_, found) = http_json(
        "GET",
        &format!("{survivor_url}/console/v1/fleet/devices?filter={filter}"),
        None,
    )
    .await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["devices"][0]["sid"], sid.as_str());
    let (_, summary) = http_json(
        "GET",
        &format!("{survivor_url}/console/v1/fleet/summary"),
        None,
    )
    .await;
    assert_eq!(summary["total"], 3000, "{summary}");
}

#[tokio::test]
async fn a_transition_out_to_a_webhook_when_its_sender_is_killed_is_sent_by_the_other() {
    use test_support::webhooks::Receiver;
    let postgres = Postgres::start().expect("a PostgreSQL server for the test");
    let database = postgres.database("deliveries").expect("a database");
    // Every update fails: devices pointed at an app end in error.
    let (_emulator, emulator) = start_server(&[
        "--devices",
        "200",
        "--update-failure-rate",
        "1",
        "--update-delay-ms",
        "100",
    ])
    .await;
    // Holds each request 4 s: the first delivery is still out when its sender dies.
    let receiver = Receiver::start_with(0, Duration::from_secs(4));
    let store = [
        "--database",
        database.as_str(),
        "--index-interval",
        "2",
        "--alert-interval",
        "1",
        "--allow-private-webhooks",
    ];
    let (first, one) = proxy_on(&emulator, &store).await;
    let (second, two) = proxy_on(&emulator, &store).await;
    pass_after(&one, 0, PATIENCE).await;
    let flipper = Flipper::find(&one).await.expect("a scope to flip");
    let (status, made) = http_json(
        "POST",
        &format!("{two}/console/v1/alerts"),
        Some(
            &json!({
                "name": "through a failover",
                "scope": {"filter": {"target_app": flipper.app}},
                "condition": {"kind": "error_count", "at_least": flipper.errors + 10},
                "webhooks": [{"url": receiver.url, "format": "json"}],
            })
            .to_string(),
        ),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let rule = made["rule"]["id"].as_str().unwrap().to_owned();
    flipper.point(&emulator, true).await.expect("written");
    // The first delivery reaches the receiver, which holds it.
    let deadline = Instant::now() + Duration::from_secs(60);
    while receiver.received().is_empty() {
        assert!(Instant::now() < deadline, "no delivery within 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let holder = holder_of(&database, "alerts").await;
    let (victim, survivor, survivor_url) = if holds(&holder, &first) {
        (first, second, two)
    } else {
        assert!(holds(&holder, &second), "{holder:?} is neither replica");
        (second, first, one)
    };
    // kill -9 of the replica sending, its request still out; then the devices recover.
    drop(victim);
    flipper.point(&emulator, false).await.expect("written");
    // The survivor takes the leases over, sends the first transition again (the key says it
    // is the same) and then the second.
    let first_key = format!("{rule}-1");
    let second_key = format!("{rule}-2");
    let deadline = Instant::now() + PATIENCE;
    while !receiver.received().iter().any(|r| r.key == second_key) {
        assert!(
            Instant::now() < deadline,
            "the resolve never came: {:?}",
            receiver.received()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(6)).await;
    let keys: Vec<String> = receiver.received().into_iter().map(|r| r.key).collect();
    eprintln!("the receiver took {keys:?}");
    assert!(holds(&holder_of(&database, "alerts").await, &survivor));
    // Only the request that was out when its sender died comes twice, and nothing after it
    // comes before it.
    let firsts = keys.iter().filter(|k| **k == first_key).count();
    assert!((1..=2).contains(&firsts), "{keys:?}");
    assert_eq!(keys.last(), Some(&second_key), "{keys:?}");
    assert_eq!(keys.len(), firsts + 1, "{keys:?}");
    assert!(keys[..firsts].iter().all(|k| *k == first_key), "{keys:?}");
    // Both transitions are in the store once, the delivery log says both were delivered.
    let (_, history) = http_json(
        "GET",
        &format!("{survivor_url}/console/v1/alerts/{rule}/history"),
        None,
    )
    .await;
    let kinds: Vec<&str> = history["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["resolved", "fired"], "{history}");
    drop(survivor);
}
