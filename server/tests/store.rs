//! The console store's suite, run twice: on SQLite and on a real PostgreSQL server started for
//! the test. Views, leases, rollouts, migrations from an older schema, and refusing a newer one.

use console_protocol::{FleetSort, FleetSortKey, PassInfo};
use console_server::store::{PageAsk, SCHEMA_VERSION, Store, StoreError, StoredView};
use fleet_engine::DeviceFilter;
use fleet_engine::index::{IndexRow, changes, gone};
use fleet_engine::rollout::{Candidate, Input, Plan, Rollout};
use test_support::postgres::Postgres;

fn view(id: &str, name: &str) -> StoredView {
    StoredView {
        id: id.into(),
        name: name.into(),
        filter: DeviceFilter {
            status: Some("error".into()),
            text: "meter".into(),
            ..DeviceFilter::default()
        },
        created_by: "ops".into(),
        created_ms: 1,
        updated_ms: 1,
    }
}

async fn views(store: &Store) {
    assert!(store.list_views().await.unwrap().is_empty());
    store.create_view(&view("v1", "errors")).await.unwrap();
    store.create_view(&view("v2", "berlin")).await.unwrap();
    let names: Vec<String> = store
        .list_views()
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.name)
        .collect();
    assert_eq!(names, ["berlin", "errors"]);
    assert_eq!(
        store.create_view(&view("v3", "errors")).await,
        Err(StoreError::Conflict(
            "A saved view named 'errors' exists already.".into()
        ))
    );
    let renamed = store
        .update_view("v1", "all errors", None, 5)
        .await
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.updated_ms),
        ("all errors", 5)
    );
    assert_eq!(
        renamed.filter.status.as_deref(),
        Some("error"),
        "the filter is kept"
    );
    let refiltered = store
        .update_view("v1", "all errors", Some(&DeviceFilter::default()), 6)
        .await
        .unwrap();
    assert_eq!(refiltered.filter, DeviceFilter::default());
    assert!(matches!(
        store.update_view("nope", "x", None, 7).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.update_view("v2", "all errors", None, 7).await,
        Err(StoreError::Conflict(_))
    ));
    store.delete_view("v2").await.unwrap();
    assert!(matches!(
        store.delete_view("v2").await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.list_views().await.unwrap().len(), 1);
}

async fn leases(store: &Store) {
    assert!(
        store
            .acquire_lease("rollouts", "a", 1_000, 10_000)
            .await
            .unwrap()
    );
    assert!(
        !store
            .acquire_lease("rollouts", "b", 2_000, 10_000)
            .await
            .unwrap(),
        "held by a"
    );
    assert!(
        store
            .acquire_lease("rollouts", "a", 5_000, 10_000)
            .await
            .unwrap(),
        "a renews"
    );
    assert!(
        !store
            .acquire_lease("rollouts", "b", 14_999, 10_000)
            .await
            .unwrap(),
        "renewed until 15,000"
    );
    assert!(
        store
            .acquire_lease("rollouts", "b", 15_001, 10_000)
            .await
            .unwrap(),
        "expired: b takes it"
    );
    assert!(
        !store
            .acquire_lease("rollouts", "a", 16_000, 10_000)
            .await
            .unwrap(),
        "a lost it"
    );
    store.release_lease("rollouts", "b").await.unwrap();
    assert!(
        store
            .acquire_lease("rollouts", "a", 16_001, 10_000)
            .await
            .unwrap(),
        "released"
    );
}

async fn rollouts(store: &Store) {
    let candidates = (0..5)
        .map(|i| Candidate {
            sid: format!("UV{i:032}"),
            name: format!("d{i}"),
            report: None,
        })
        .collect();
    let mut rollout = Rollout::new(
        "r1".into(),
        "first".into(),
        "KAnew".into(),
        Plan::canary(0),
        candidates,
        10,
    )
    .unwrap();
    store
        .save_rollout(&rollout, &(0..5).collect::<Vec<_>>())
        .await
        .unwrap();
    assert_eq!(store.get_rollout("r1").await.unwrap(), rollout);
    rollout.step(Input::Tick, 20);
    store.save_rollout(&rollout, &[0]).await.unwrap();
    let back = store.get_rollout("r1").await.unwrap();
    assert_eq!(back, rollout, "the changed device and the header");
    let headers = store.list_rollouts().await.unwrap();
    assert_eq!(headers.len(), 1);
    assert_eq!((headers[0].counts.pending, headers[0].device_count), (5, 5));
    assert!(
        headers[0].rollout.devices.is_empty(),
        "a list carries no devices"
    );
    assert_eq!(store.active_rollouts().await.unwrap(), ["r1"]);
    assert!(matches!(
        store.get_rollout("r2").await,
        Err(StoreError::NotFound(_))
    ));
}

/// Appenders running at once take turns: one unbroken chain, every entry once.
async fn audit_chain(store: &Store) {
    assert_eq!(store.audit_head().await.unwrap(), (0, String::new()));
    let appenders: Vec<_> = (0..4)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..25 {
                    store
                        .append_audit(1_000 + i, &format!(r#"{{"appender":{n},"i":{i}}}"#))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for appender in appenders {
        appender.await.unwrap();
    }
    let rows = store.audit_after(0, 1000).await.unwrap();
    assert_eq!(rows.len(), 100);
    assert!(
        rows.iter()
            .enumerate()
            .all(|(i, row)| row.seq == i as i64 + 1)
    );
    let verdict = console_server::console::audit::verify(store).await.unwrap();
    assert!(verdict.intact && verdict.entries == 100, "{verdict:?}");
    let newest = store.audit_before(i64::MAX, 10).await.unwrap();
    assert_eq!(newest.first().map(|r| r.seq), Some(100));
    assert_eq!(newest.len(), 10);
}

/// A row of the index: device `n`, with a status, a target app and a name.
fn index_row(n: u32, status: &str, target: &str, name: Option<&str>) -> IndexRow {
    IndexRow {
        sid: format!("UV{n:032}"),
        unique_name: name.map(str::to_owned),
        status: status.into(),
        error_code: i64::from(status == "error"),
        target_app: Some(target.into()),
        reported_app: Some("KA1".into()),
        logging_enabled: n.is_multiple_of(2),
        logging_expires_ms: n.is_multiple_of(2).then_some(2_000_000_000_000),
        targeted_ms: Some(1_000_000 + i64::from(n)),
        reported_ms: None,
        updated_ms: Some(5_000 + i64::from(n)),
    }
}

fn ask(filter: DeviceFilter, sort: FleetSort, after: Option<String>, limit: u32) -> PageAsk {
    PageAsk {
        filter,
        sort,
        after,
        offset: 0,
        limit,
        now_ms: 10_000_000,
        count: true,
    }
}

/// The fleet index: rows written and read back, filters, sorts, keyset pages, counts, free-text
/// search (FTS5 on SQLite, pg_trgm on PostgreSQL), the gone, the timeline and its pruning.
async fn fleet_index(store: &Store) {
    let rows: Vec<IndexRow> = (1..=250)
        .map(|n| {
            let status = ["up-to-date", "pending", "error"][n as usize % 3];
            let target = if n % 5 == 0 { "KA2" } else { "KA1" };
            let name = format!("pump-{n:03}");
            index_row(n, status, target, (n % 10 != 0).then_some(name.as_str()))
        })
        .collect();
    let events = rows
        .iter()
        .map(|row| (row.sid.clone(), changes(None, row).remove(0)))
        .collect();
    store
        .write_index_page(1_000, rows.clone(), events)
        .await
        .unwrap();
    store
        .replace_apps(vec![("KA2".into(), "meter-reader-2.1".into())])
        .await
        .unwrap();
    let stored = store
        .index_rows(vec![rows[4].sid.clone(), "UV-none".into()])
        .await
        .unwrap();
    assert_eq!(stored, vec![(rows[4].clone(), false)]);

    // Every row, by SID, in pages of 100 following the cursor: each once, in order.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let (page, next, total) = store
            .fleet_page(ask(
                DeviceFilter::default(),
                FleetSort::default(),
                after,
                100,
            ))
            .await
            .unwrap();
        assert_eq!(total, Some(250));
        seen.extend(page.into_iter().map(|row| row.sid));
        match next {
            Some(cursor) => after = Some(cursor),
            None => break,
        }
    }
    let mut sorted: Vec<String> = rows.iter().map(|r| r.sid.clone()).collect();
    sorted.sort();
    assert_eq!(seen, sorted);

    // Sorted by name, descending, in pages: the rows without a name come last.
    let by_name = FleetSort {
        key: FleetSortKey::UniqueName,
        descending: true,
    };
    let (first, next, _) = store
        .fleet_page(ask(DeviceFilter::default(), by_name, None, 3))
        .await
        .unwrap();
    let names: Vec<_> = first
        .iter()
        .map(|r| r.unique_name.clone().unwrap())
        .collect();
    assert_eq!(names, ["pump-249", "pump-248", "pump-247"]);
    let (second, _, _) = store
        .fleet_page(ask(DeviceFilter::default(), by_name, next, 3))
        .await
        .unwrap();
    assert_eq!(second[0].unique_name.as_deref(), Some("pump-246"));
    assert!(matches!(
        store
            .fleet_page(ask(
                DeviceFilter::default(),
                by_name,
                Some("nonsense".into()),
                3
            ))
            .await,
        Err(StoreError::Invalid(_))
    ));

    // Filters: status, target, text (a name, a SID part, an app's name), logging, pending.
    let count = |filter: DeviceFilter| async move {
        store
            .fleet_page(ask(filter, FleetSort::default(), None, 1))
            .await
            .unwrap()
            .2
            .expect("a count, as asked")
    };
    let error = DeviceFilter {
        status: Some("error".into()),
        ..DeviceFilter::default()
    };
    assert_eq!(count(error.clone()).await, 83);
    let text = |t: &str| DeviceFilter {
        text: t.into(),
        ..DeviceFilter::default()
    };
    assert_eq!(
        count(text("PUMP-12")).await,
        9,
        "pump-121…129: device 120 has no name"
    );
    assert_eq!(count(text("0000000000249")).await, 1);
    assert_eq!(count(text("meter-reader")).await, 50, "by its app's name");
    assert_eq!(count(text("%")).await, 0, "a wildcard is taken literally");
    let logging = DeviceFilter {
        logging_on: Some(true),
        ..DeviceFilter::default()
    };
    assert_eq!(count(logging).await, 125);
    let pending_long = DeviceFilter {
        pending_hours: Some(1),
        ..DeviceFilter::default()
    };
    assert_eq!(
        count(pending_long).await,
        84,
        "every pending device, targeted long ago"
    );

    // Counts over a filter.
    let counts = store
        .fleet_counts(&DeviceFilter::default(), 10_000_000, 1)
        .await
        .unwrap();
    assert_eq!(counts.total, 250);
    assert_eq!(counts.by_status["error"], 83);
    assert_eq!(counts.by_status["pending"], 84);
    assert_eq!(counts.by_target["KA2"], 50);
    assert_eq!(counts.by_reported["KA1"], 250);
    assert_eq!(counts.logging_on, 125);
    assert_eq!(counts.target_differs, 50);
    assert_eq!(counts.pending_long, 84);
    let of_errors = store.fleet_counts(&error, 10_000_000, 1).await.unwrap();
    assert_eq!(of_errors.total, 83);

    // A change written, then devices gone: out of the pages and counts, into the timeline.
    let mut moved = rows[0].clone();
    moved.target_app = Some("KA2".into());
    let change = changes(Some(&rows[0]), &moved);
    store
        .write_index_page(
            2_000,
            vec![moved.clone()],
            change.into_iter().map(|c| (moved.sid.clone(), c)).collect(),
        )
        .await
        .unwrap();
    let gone_rows: Vec<_> = rows[1..3]
        .iter()
        .map(|row| (row.clone(), gone(row)))
        .collect();
    store.mark_gone(3_000, gone_rows).await.unwrap();
    assert_eq!(count(DeviceFilter::default()).await, 248);
    assert!(store.index_rows(vec![rows[1].sid.clone()]).await.unwrap()[0].1);
    let live = store.live_after("", 1000).await.unwrap();
    assert_eq!(live.len(), 248);
    let timeline = store.timeline(&moved.sid, 10).await.unwrap();
    assert_eq!(
        timeline
            .iter()
            .map(|(at, kind, _, after)| (*at, kind.as_str(), after.clone()))
            .collect::<Vec<_>>(),
        [
            (2_000, "target_app", Some("KA2".to_owned())),
            (1_000, "appeared", Some("pending".to_owned())),
        ]
    );
    assert_eq!(store.timeline(&rows[1].sid, 10).await.unwrap()[0].1, "gone");
    let matching = store.fleet_matching(&error, 10_000_000).await.unwrap();
    assert_eq!(matching.len(), 82, "one of the errors is gone");

    // Old events go in batches.
    assert_eq!(store.prune_events(1_500, 100).await.unwrap(), 100);
    assert_eq!(store.prune_events(1_500, 1000).await.unwrap(), 150);
    assert_eq!(store.timeline(&moved.sid, 10).await.unwrap().len(), 1);

    // Passes and refresh requests.
    assert_eq!(store.freshness().await.unwrap().complete, None);
    let pass = PassInfo {
        started_ms: 100,
        finished_ms: 0,
        listed: 10,
        ..PassInfo::default()
    };
    store.record_pass("IP1", "me", pass.clone()).await.unwrap();
    let fresh = store.freshness().await.unwrap();
    assert_eq!((fresh.complete, fresh.latest), (None, Some(pass.clone())));
    store
        .record_pass(
            "IP1",
            "me",
            PassInfo {
                finished_ms: 900,
                listed: 250,
                ..pass.clone()
            },
        )
        .await
        .unwrap();
    store
        .record_pass(
            "IP2",
            "me",
            PassInfo {
                started_ms: 1000,
                ..PassInfo::default()
            },
        )
        .await
        .unwrap();
    store.close_unfinished_passes(1500).await.unwrap();
    let fresh = store.freshness().await.unwrap();
    assert_eq!(fresh.complete.unwrap().listed, 250);
    assert!(fresh.latest.unwrap().error.unwrap().contains("went away"));
    assert!(!store.take_refresh().await.unwrap());
    store.ask_refresh("FR1", 5).await.unwrap();
    assert!(store.freshness().await.unwrap().refresh_asked);
    assert!(store.take_refresh().await.unwrap());
    assert!(!store.take_refresh().await.unwrap());
}

async fn suite(url: &str) {
    let store = Store::open(url).await.unwrap();
    assert_eq!(store.version().await.unwrap(), SCHEMA_VERSION);
    views(&store).await;
    leases(&store).await;
    rollouts(&store).await;
    audit_chain(&store).await;
    fleet_index(&store).await;
}

/// A store written by the first schema is brought up to date on open, keeping what it held.
async fn migrates_from_version_one(url: &str) {
    let old = Store::open_at(url, 1).await.unwrap();
    assert_eq!(old.version().await.unwrap(), 1);
    old.create_view(&view("v1", "kept")).await.unwrap();
    drop(old);
    let store = Store::open(url).await.unwrap();
    assert_eq!(store.version().await.unwrap(), SCHEMA_VERSION);
    assert_eq!(store.list_views().await.unwrap()[0].name, "kept");
}

fn sqlite_url(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("console-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    format!("sqlite:{}", dir.join("console.db").display())
}

#[tokio::test]
async fn the_store_suite_on_sqlite() {
    suite(&sqlite_url("suite")).await;
    migrates_from_version_one(&sqlite_url("migrate")).await;
}

#[tokio::test]
async fn the_store_suite_on_postgresql() {
    let server = Postgres::start().expect("a PostgreSQL server for the test");
    suite(&server.database("suite").expect("a database")).await;
    migrates_from_version_one(&server.database("migrate").expect("a database")).await;
}

#[tokio::test]
async fn a_store_from_a_newer_version_is_refused_untouched() {
    // SQLite
    let url = sqlite_url("newer");
    Store::open(&url).await.unwrap();
    let path = url.trim_start_matches("sqlite:").to_owned();
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute("UPDATE console_schema SET version = 99", [])
        .unwrap();
    let refused = Store::open(&url).await.err().expect("refused");
    assert!(
        refused.to_string().contains("schema version 99"),
        "{refused}"
    );
    let version: i64 = db
        .query_row("SELECT version FROM console_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 99, "left as it was");
    // PostgreSQL
    let server = Postgres::start().expect("a PostgreSQL server for the test");
    let url = server.database("newer").unwrap();
    Store::open(&url).await.unwrap();
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .execute("UPDATE console_schema SET version = 99", &[])
        .await
        .unwrap();
    let refused = Store::open(&url).await.err().expect("refused");
    assert!(
        refused.to_string().contains("schema version 99"),
        "{refused}"
    );
    let version: i64 = client
        .query_one("SELECT version FROM console_schema", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(version, 99);
}

#[tokio::test]
async fn a_database_out_of_reach_is_said_plainly() {
    let err = Store::open("postgres://postgres@127.0.0.1:1/none")
        .await
        .err()
        .expect("refused");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    assert!(
        err.to_string()
            .contains("cannot reach PostgreSQL at 127.0.0.1:1/none"),
        "{err}"
    );
    let bad = Store::open("mysql://x").await.err().expect("refused");
    assert!(
        bad.to_string().contains("sqlite:PATH or postgres://"),
        "{bad}"
    );
}

/// PostgreSQL stopping under a running server: the console API answers 503 with a message the
/// console shows, nothing is half-written, and it heals once the database is back.
#[tokio::test]
async fn the_database_going_away_is_a_503_until_it_returns() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let server = Postgres::start().expect("a PostgreSQL server for the test");
    let options = console_server::Options {
        database: Some(server.database("away").unwrap()),
        listen: "127.0.0.1:8080".parse().unwrap(),
        ..console_server::Options::defaults()
    };
    let app = console_server::router(&options).await.unwrap();
    let send = |method: &str, body: Option<&str>| {
        let mut request = Request::builder()
            .method(method)
            .uri("/console/v1/views")
            .header(header::HOST, "127.0.0.1:8080");
        if body.is_some() {
            request = request
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::ORIGIN, "http://127.0.0.1:8080");
        }
        let request = request
            .body(body.map_or(Body::empty(), |b| Body::from(b.to_owned())))
            .unwrap();
        let app = app.clone();
        async move {
            let response = app.oneshot(request).await.unwrap();
            let status = response.status();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8_lossy(&body).into_owned())
        }
    };
    let view = r#"{"name":"errors","filter":{"status":"error"}}"#;
    assert_eq!(send("POST", Some(view)).await.0, StatusCode::CREATED);
    server.kill().unwrap();
    let (status, body) = send("POST", Some(r#"{"name":"lost","filter":{}}"#)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("Retry in a moment"), "{body}");
    let (status, _) = send("GET", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    server.restart().unwrap();
    let mut back = None;
    for _ in 0..50 {
        let (status, body) = send("GET", None).await;
        if status == StatusCode::OK {
            back = Some(body);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let list: serde_json::Value = serde_json::from_str(&back.expect("healed")).unwrap();
    let names: Vec<&str> = list["views"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["errors"], "the refused write left nothing behind");
}
