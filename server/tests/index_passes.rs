//! The stored index against its model, by property: passes over any sequence of fleets (devices
//! appearing, changing any field, going and coming back), each written as the sync writes it
//! (`PassWriter`, pages of three), leave an index that equals the fleet, a timeline that holds
//! exactly the changes between passes, and counts by group that agree with the rows. On
//! SQLite and on a real PostgreSQL server.

use std::collections::{BTreeMap, BTreeSet};

use console_server::console::index::writer::PassWriter;
use console_server::store::Store;
use fleet_engine::DeviceFilter;
use fleet_engine::index::{IndexRow, MemoryIndex};
use microvisor_api::time::format_iso8601;
use microvisor_api::{Device, DeviceApp, DeviceLogging, UpdateStatus};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use test_support::postgres::Postgres;

/// A device from a few fields, the rest as the API lists them.
fn device(n: u8, fields: (u8, u8, u8, u8, bool, u8)) -> Device {
    let (status, code, target, reported, logging, name) = fields;
    Device {
        sid: Some(format!("UV{n:032}")),
        unique_name: (name > 0).then(|| format!("pump-{name}")),
        app: Some(DeviceApp {
            target_sid: (target > 0).then(|| format!("KA{target}")),
            reported_sid: (reported > 0).then(|| format!("KA{reported}")),
            update_status: Some(UpdateStatus::from_wire(
                ["up-to-date", "pending", "error"][usize::from(status % 3)],
            )),
            update_error_code: Some(i64::from(code)),
            date_targeted: Some(format_iso8601(1_700_000_000 + i64::from(n))),
            ..DeviceApp::default()
        }),
        logging: Some(DeviceLogging {
            enabled: Some(logging),
            date_expires: logging.then(|| format_iso8601(1_800_000_000)),
        }),
        ..Device::default()
    }
}

fn fleets() -> impl Strategy<Value = Vec<Vec<Device>>> {
    let fields = (0u8..3, 0u8..3, 0u8..3, 0u8..3, any::<bool>(), 0u8..3);
    let fleet = proptest::collection::btree_map(0u8..10, fields, 0..8)
        .prop_map(|devices| devices.into_iter().map(|(n, f)| device(n, f)).collect());
    proptest::collection::vec(fleet, 1..5)
}

type Event = (String, String, Option<String>, Option<String>);

/// Runs the passes on a fresh store at `url`; what went wrong, if anything.
async fn passes_match_the_model(url: &str, fleets: &[Vec<Device>]) -> Result<(), TestCaseError> {
    let failed = |e: console_server::store::StoreError| TestCaseError::fail(e.to_string());
    let store = Store::open(url)
        .await
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut model = MemoryIndex::default();
    let mut every_sid = BTreeSet::new();
    for (number, fleet) in fleets.iter().enumerate() {
        let at_ms = 1_000 * (number as i64 + 1);
        let mut writer = PassWriter::new(store.clone());
        for page in fleet.chunks(3) {
            writer.page(at_ms, page).await.map_err(failed)?;
        }
        writer.finish(at_ms).await.map_err(failed)?;
        let mut expected: Vec<Event> = model
            .apply_pass(fleet)
            .into_iter()
            .map(|(sid, c)| (sid, c.kind.as_str().to_owned(), c.before, c.after))
            .collect();
        every_sid.extend(fleet.iter().filter_map(|d| d.sid.clone()));

        // The index equals the fleet: the listed rows exactly, the rest gone.
        let live = store.live_after("", 1_000).await.map_err(failed)?;
        let mut listed: Vec<IndexRow> = fleet.iter().filter_map(IndexRow::of).collect();
        listed.sort_by(|a, b| a.sid.cmp(&b.sid));
        prop_assert_eq!(&live, &listed, "pass {}", number);
        let stored = store
            .index_rows(every_sid.iter().cloned().collect())
            .await
            .map_err(failed)?;
        let gone: BTreeMap<String, bool> = stored
            .into_iter()
            .map(|(row, gone)| (row.sid, gone))
            .collect();
        let modelled: BTreeMap<String, bool> = model
            .rows
            .iter()
            .map(|(sid, (_, gone))| (sid.clone(), *gone))
            .collect();
        prop_assert_eq!(gone, modelled);

        // The counts kept beside the rows (by status, target and reported app) are the
        // listed rows' counts.
        let counts = store
            .fleet_counts(&DeviceFilter::default(), at_ms, 24)
            .await
            .map_err(failed)?;
        let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_target: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_reported: BTreeMap<String, u64> = BTreeMap::new();
        for row in &listed {
            *by_status.entry(row.status.clone()).or_default() += 1;
            *by_target
                .entry(row.target_app.clone().unwrap_or_default())
                .or_default() += 1;
            *by_reported
                .entry(row.reported_app.clone().unwrap_or_default())
                .or_default() += 1;
        }
        prop_assert_eq!(counts.total, listed.len() as u64, "pass {}", number);
        prop_assert_eq!(counts.by_status, by_status, "pass {}", number);
        prop_assert_eq!(counts.by_target, by_target, "pass {}", number);
        prop_assert_eq!(counts.by_reported, by_reported, "pass {}", number);
        let differs = listed
            .iter()
            .filter(|r| r.reported_app.is_some() && r.reported_app != r.target_app)
            .count() as u64;
        prop_assert_eq!(counts.target_differs, differs, "pass {}", number);

        // The timeline holds exactly this pass's changes.
        let mut seen: Vec<Event> = Vec::new();
        for sid in &every_sid {
            let timeline = store.timeline(sid, 1_000).await.map_err(failed)?;
            seen.extend(
                timeline
                    .into_iter()
                    .filter(|(at, ..)| *at == at_ms)
                    .map(|(_, kind, before, after)| (sid.clone(), kind, before, after)),
            );
        }
        seen.sort();
        expected.sort();
        prop_assert_eq!(seen, expected, "pass {}", number);
    }
    Ok(())
}

/// `cases` runs of the property, each on a store `url_for` makes fresh.
fn check(cases: u32, url_for: impl Fn(u32) -> String) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    let case = std::cell::Cell::new(0);
    runner
        .run(&fleets(), |fleets| {
            case.set(case.get() + 1);
            let url = url_for(case.get());
            runtime.block_on(passes_match_the_model(&url, &fleets))
        })
        .unwrap();
}

#[test]
fn passes_build_the_fleet_and_its_timeline_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("console-index-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    check(48, |case| {
        format!("sqlite:{}", dir.join(format!("case-{case}.db")).display())
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn passes_build_the_fleet_and_its_timeline_on_postgresql() {
    let server = Postgres::start().expect("a PostgreSQL server for the test");
    check(16, |case| {
        server
            .database(&format!("passes{case}"))
            .expect("a database")
    });
}
