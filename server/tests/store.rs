//! The console store's suite, run twice: on SQLite and on a real PostgreSQL server started for
//! the test. Views, leases, rollouts, migrations from an older schema, and refusing a newer one.

use console_server::store::{SCHEMA_VERSION, Store, StoreError, StoredView};
use fleet_engine::DeviceFilter;
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

async fn suite(url: &str) {
    let store = Store::open(url).await.unwrap();
    assert_eq!(store.version().await.unwrap(), SCHEMA_VERSION);
    views(&store).await;
    leases(&store).await;
    rollouts(&store).await;
    audit_chain(&store).await;
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
