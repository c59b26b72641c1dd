//! The fleet index's queries as SQL: the Fleet page's filter (`fleet_engine::DeviceFilter`,
//! the same definition the page uses) as a WHERE clause, sorts with keyset cursors, and the
//! statements whose shape depends on how many rows they carry. Built as text and values, the
//! same on both databases but for free-text search.

use console_protocol::{FleetSort, FleetSortKey};
use fleet_engine::DeviceFilter;
use fleet_engine::alerts::DeviceTest;
use fleet_engine::index::IndexRow;

use super::tx::{Dialect, Value};

/// The columns of a row, as `row_of` reads them.
pub const COLUMNS: &str = "sid, unique_name, status, error_code, target_app, reported_app, \
     logging_enabled, logging_expires_ms, targeted_ms, reported_ms, updated_ms";

/// A WHERE clause and its values.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Clause {
    pub sql: String,
    pub params: Vec<Value>,
}

impl Clause {
    fn and(&mut self, sql: &str, params: impl IntoIterator<Item = Value>) {
        if !self.sql.is_empty() {
            self.sql.push_str(" AND ");
        }
        self.sql.push_str(sql);
        self.params.extend(params);
    }
}

/// `text` for LIKE: `%` and `_` and the escape itself taken literally.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The devices still listed that `filter` keeps at `now_ms`. `named_apps` are the SIDs of the
/// apps whose names hold the filter's text: a device targeting or reporting one matches too,
/// as on the Fleet page.
pub fn filter_clause(
    filter: &DeviceFilter,
    now_ms: i64,
    named_apps: &[String],
    dialect: Dialect,
) -> Clause {
    let mut clause = Clause::default();
    clause.and("gone_ms = 0", []);
    let text = filter.text.trim().to_lowercase();
    if !text.is_empty() {
        let (search, matched) = match dialect {
            // The trigram index answers a phrase of three characters or more: the text's
            // trigrams one after another, which is the text as a substring. A shorter text
            // has no trigram, and is looked for row by row.
            Dialect::Sqlite if text.chars().count() >= 3 => (
                "rowid IN (SELECT rowid FROM fleet_search WHERE fleet_search MATCH ?)",
                Value::Text(format!("\"{}\"", text.replace('"', "\"\""))),
            ),
            Dialect::Sqlite | Dialect::Postgres => (
                "search LIKE ? ESCAPE '\\'",
                Value::Text(like_pattern(&text)),
            ),
        };
        let mut sql = format!("({search}");
        let mut params = vec![matched];
        if !named_apps.is_empty() {
            let marks = vec!["?"; named_apps.len()].join(", ");
            sql.push_str(&format!(
                " OR target_app IN ({marks}) OR reported_app IN ({marks})"
            ));
            params.extend(named_apps.iter().map(Value::from));
            params.extend(named_apps.iter().map(Value::from));
        }
        sql.push(')');
        clause.and(&sql, params);
    }
    if let Some(status) = &filter.status {
        clause.and("status = ?", [Value::from(status)]);
    }
    if let Some(target) = &filter.target_app {
        clause.and("target_app = ?", [Value::from(target)]);
    }
    match filter.logging_on {
        Some(true) => clause.and(
            "(logging_enabled = 1 AND (logging_expires_ms = 0 OR logging_expires_ms > ?))",
            [Value::Int(now_ms)],
        ),
        Some(false) => clause.and(
            "(logging_enabled = 0 OR (logging_expires_ms <> 0 AND logging_expires_ms <= ?))",
            [Value::Int(now_ms)],
        ),
        None => {}
    }
    if filter.target_differs {
        clause.and("(reported_app <> '' AND reported_app <> target_app)", []);
    }
    if let Some(hours) = filter.pending_hours {
        clause.and(
            "(status = 'pending' AND targeted_ms <> 0 AND targeted_ms < ?)",
            [Value::Int(now_ms - i64::from(hours) * 3_600_000)],
        );
    }
    clause
}

/// `clause` with its equality terms on status and target app written `+column = ?` (SQLite):
/// they then offer no index, and the planner walks the sort's own index, filtering as it
/// goes. For a filter that keeps a good share of the fleet that finds a page in a few
/// hundred rows, where the equality's index would first sort a third of the fleet.
pub fn walking_the_sort(clause: &Clause) -> Clause {
    Clause {
        sql: clause
            .sql
            .replace(" AND status = ?", " AND +status = ?")
            .replace(" AND target_app = ?", " AND +target_app = ?"),
        params: clause.params.clone(),
    }
}

/// The column a sort orders by.
pub fn sort_column(key: FleetSortKey) -> &'static str {
    match key {
        FleetSortKey::Sid => "sid",
        FleetSortKey::UniqueName => "unique_name",
        FleetSortKey::Status => "status",
        FleetSortKey::TargetApp => "target_app",
        FleetSortKey::ReportedApp => "reported_app",
        FleetSortKey::Logging => "logging_expires_ms",
        FleetSortKey::Updated => "updated_ms",
    }
}

/// The sort's value of a row, as the cursor after it keeps it.
pub fn sort_value(key: FleetSortKey, row: &IndexRow) -> Value {
    let text = |value: &Option<String>| Value::Text(value.clone().unwrap_or_default());
    match key {
        FleetSortKey::Sid => Value::Text(row.sid.clone()),
        FleetSortKey::UniqueName => text(&row.unique_name),
        FleetSortKey::Status => Value::Text(row.status.clone()),
        FleetSortKey::TargetApp => text(&row.target_app),
        FleetSortKey::ReportedApp => text(&row.reported_app),
        FleetSortKey::Logging => Value::Int(row.logging_expires_ms.unwrap_or(0)),
        FleetSortKey::Updated => Value::Int(row.updated_ms.unwrap_or(0)),
    }
}

/// A page of the devices `clause` keeps, sorted (ties in the order the index first saw
/// them), after `cursor` (the sort's value and `n` of the row before it) or from `offset`,
/// at most `limit`. Each row ends with its `n`.
pub fn page_query(
    clause: &Clause,
    sort: FleetSort,
    cursor: Option<(Value, i64)>,
    offset: u64,
    limit: u32,
) -> (String, Vec<Value>) {
    let column = sort_column(sort.key);
    let (direction, compare) = if sort.descending {
        ("DESC", "<")
    } else {
        ("ASC", ">")
    };
    let mut where_clause = clause.clone();
    if let Some((value, n)) = cursor {
        if column == "sid" {
            where_clause.and(&format!("sid {compare} ?"), [value]);
        } else {
            where_clause.and(
                &format!("({column}, n) {compare} (?, ?)"),
                [value, Value::Int(n)],
            );
        }
    }
    let order = if column == "sid" {
        format!("sid {direction}")
    } else {
        format!("{column} {direction}, n {direction}")
    };
    let mut params = where_clause.params;
    params.push(Value::Int(i64::from(limit)));
    params.push(Value::Int(offset as i64));
    (
        format!(
            "SELECT {COLUMNS}, n FROM fleet_devices WHERE {} ORDER BY {order} LIMIT ? OFFSET ?",
            where_clause.sql
        ),
        params,
    )
}

/// The count of what `clause` keeps.
pub fn count_query(clause: &Clause) -> (String, Vec<Value>) {
    (
        format!("SELECT COUNT(*) FROM fleet_devices WHERE {}", clause.sql),
        clause.params.clone(),
    )
}

/// How many of what `clause` keeps have logging on at `now_ms`, in two parts to add up:
/// on with no expiry, and on until after `now_ms`. Each is a range of the partial index of
/// devices with logging enabled, counted from the index alone (an OR of the two would make
/// PostgreSQL read every such row).
pub fn logging_on_counts(clause: &Clause, now_ms: i64) -> [(String, Vec<Value>); 2] {
    let count = |condition: &str, value: Option<i64>| {
        let mut params = clause.params.clone();
        params.extend(value.map(Value::Int));
        (
            format!(
                "SELECT COUNT(*) FROM fleet_devices WHERE {} AND logging_enabled = 1 AND {condition}",
                clause.sql
            ),
            params,
        )
    };
    [
        count("logging_expires_ms = 0", None),
        count("logging_expires_ms > ?", Some(now_ms)),
    ]
}

/// How many of what `clause` keeps are pending since before `pending_before_ms` (the
/// partial index of pending devices answers it).
pub fn pending_count(clause: &Clause, pending_before_ms: i64) -> (String, Vec<Value>) {
    let mut params = clause.params.clone();
    params.push(Value::Int(pending_before_ms));
    (
        format!(
            "SELECT COUNT(*) FROM fleet_devices WHERE {} AND status = 'pending' \
             AND targeted_ms <> 0 AND targeted_ms < ?",
            clause.sql
        ),
        params,
    )
}

/// The counts of what `clause` keeps, in one scan: by status, target and reported app
/// together (a few hundred groups at most), each group's count, logging on and pending
/// since before `pending_before_ms`; the caller adds the groups up.
pub fn summary_query(clause: &Clause, now_ms: i64, pending_before_ms: i64) -> (String, Vec<Value>) {
    let mut params = vec![Value::Int(now_ms), Value::Int(pending_before_ms)];
    params.extend(clause.params.iter().cloned());
    (
        format!(
            "SELECT status, target_app, reported_app, COUNT(*), \
             COALESCE(SUM(CASE WHEN logging_enabled = 1 AND (logging_expires_ms = 0 OR logging_expires_ms > ?) THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN status = 'pending' AND targeted_ms <> 0 AND targeted_ms < ? THEN 1 ELSE 0 END), 0) \
             FROM fleet_devices WHERE {} GROUP BY status, target_app, reported_app",
            clause.sql
        ),
        params,
    )
}

/// `(?, ?, …), (…)`: `rows` groups of `columns` placeholders.
pub fn placeholders(rows: usize, columns: usize) -> String {
    let group = format!("({})", vec!["?"; columns].join(", "));
    vec![group; rows].join(", ")
}

/// The columns `upsert_rows` writes, and what it does to a row already kept.
const UPSERT_COLUMNS: &str = "(sid, unique_name, status, error_code, target_app, \
     reported_app, logging_enabled, logging_expires_ms, targeted_ms, reported_ms, \
     updated_ms, search, row_hash, first_seen_ms, changed_ms, gone_ms)";
const ON_CONFLICT: &str = "ON CONFLICT (sid) DO UPDATE SET unique_name = excluded.unique_name, \
     status = excluded.status, error_code = excluded.error_code, \
     target_app = excluded.target_app, reported_app = excluded.reported_app, \
     logging_enabled = excluded.logging_enabled, \
     logging_expires_ms = excluded.logging_expires_ms, targeted_ms = excluded.targeted_ms, \
     reported_ms = excluded.reported_ms, updated_ms = excluded.updated_ms, \
     search = excluded.search, row_hash = excluded.row_hash, \
     changed_ms = excluded.changed_ms, gone_ms = 0";

/// Writes rows whose hash changed (or new ones): the first time seen is kept on an update.
pub fn upsert_rows(rows: usize) -> String {
    format!(
        "INSERT INTO fleet_devices {UPSERT_COLUMNS} VALUES {} {ON_CONFLICT}",
        placeholders(rows, 16)
    )
}

/// `upsert_rows` on PostgreSQL with a list per column (`row_values` by column), any count.
pub fn upsert_columns() -> String {
    format!(
        "INSERT INTO fleet_devices {UPSERT_COLUMNS} SELECT * FROM UNNEST(?::text[], \
         ?::text[], ?::text[], ?::int8[], ?::text[], ?::text[], ?::int8[], ?::int8[], \
         ?::int8[], ?::int8[], ?::int8[], ?::text[], ?::text[], ?::int8[], ?::int8[], \
         ?::int8[]) {ON_CONFLICT}"
    )
}

/// `insert_events` on PostgreSQL with a list per column, any count.
pub const INSERT_EVENT_COLUMNS: &str = "INSERT INTO fleet_events (sid, at_ms, kind, before, \
     after) SELECT * FROM UNNEST(?::text[], ?::int8[], ?::text[], ?::text[], ?::text[])";

/// The values of one row for `upsert_rows`.
pub fn row_values(row: &IndexRow, at_ms: i64) -> Vec<Value> {
    let text = |value: &Option<String>| Value::Text(value.clone().unwrap_or_default());
    let ms = |value: Option<i64>| Value::Int(value.unwrap_or(0));
    vec![
        Value::Text(row.sid.clone()),
        text(&row.unique_name),
        Value::Text(row.status.clone()),
        Value::Int(row.error_code),
        text(&row.target_app),
        text(&row.reported_app),
        Value::from(row.logging_enabled),
        ms(row.logging_expires_ms),
        ms(row.targeted_ms),
        ms(row.reported_ms),
        ms(row.updated_ms),
        Value::Text(row.search_key()),
        Value::Text(row.hash()),
        Value::Int(at_ms),
        Value::Int(at_ms),
        Value::Int(0),
    ]
}

/// Appends `rows` timeline events.
pub fn insert_events(rows: usize) -> String {
    format!(
        "INSERT INTO fleet_events (sid, at_ms, kind, before, after) VALUES {}",
        placeholders(rows, 5)
    )
}

/// The rows (and whether each is gone) of `count` SIDs.
pub fn rows_of(count: usize) -> String {
    format!(
        "SELECT {COLUMNS}, gone_ms FROM fleet_devices WHERE sid IN ({})",
        vec!["?"; count].join(", ")
    )
}

/// Marks `count` SIDs gone at the first value.
pub fn mark_gone(count: usize) -> String {
    format!(
        "UPDATE fleet_devices SET gone_ms = ?, changed_ms = ? WHERE sid IN ({})",
        vec!["?"; count].join(", ")
    )
}

/// `clause` narrowed to the devices an alert's `test` counts. A silent device may be gone
/// from the list, so that test replaces the clause's first term (`gone_ms = 0`, which has no
/// values) instead of adding to it.
pub fn device_test_clause(clause: &Clause, test: DeviceTest) -> Clause {
    let mut narrowed = clause.clone();
    match test {
        DeviceTest::Error => narrowed.and("status = 'error'", []),
        DeviceTest::PendingBefore(before) => narrowed.and(
            "(status = 'pending' AND targeted_ms <> 0 AND targeted_ms < ?)",
            [Value::Int(before)],
        ),
        DeviceTest::DiffersBefore(before) => narrowed.and(
            "(reported_app <> '' AND reported_app <> target_app \
             AND targeted_ms <> 0 AND targeted_ms < ?)",
            [Value::Int(before)],
        ),
        DeviceTest::LoggingEndsBetween(after, until) => narrowed.and(
            "(logging_enabled = 1 AND logging_expires_ms > ? AND logging_expires_ms <= ?)",
            [Value::Int(after), Value::Int(until)],
        ),
        DeviceTest::SilentBefore(before) => {
            let rest = clause
                .sql
                .strip_prefix("gone_ms = 0")
                .unwrap_or(&clause.sql);
            narrowed.sql = format!(
                "(gone_ms <> 0 OR (reported_ms <> 0 AND reported_ms < ?) \
                 OR (reported_ms = 0 AND first_seen_ms < ?)){rest}"
            );
            narrowed.params = vec![Value::Int(before), Value::Int(before)];
            narrowed.params.extend(clause.params.iter().cloned());
        }
    }
    narrowed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_becomes_a_clause_with_its_values_in_order() {
        let filter = DeviceFilter {
            text: " Pump_1 ".into(),
            status: Some("pending".into()),
            logging_on: Some(true),
            target_differs: true,
            pending_hours: Some(2),
            ..DeviceFilter::default()
        };
        let clause = filter_clause(&filter, 10_000_000, &["KA1".into()], Dialect::Postgres);
        assert_eq!(
            clause.sql,
            "gone_ms = 0 AND (search LIKE ? ESCAPE '\\' OR target_app IN (?) OR reported_app IN (?)) \
             AND status = ? AND (logging_enabled = 1 AND (logging_expires_ms = 0 OR logging_expires_ms > ?)) \
             AND (reported_app <> '' AND reported_app <> target_app) \
             AND (status = 'pending' AND targeted_ms <> 0 AND targeted_ms < ?)"
        );
        assert_eq!(
            clause.params,
            vec![
                Value::Text("%pump\\_1%".into()),
                Value::Text("KA1".into()),
                Value::Text("KA1".into()),
                Value::Text("pending".into()),
                Value::Int(10_000_000),
                Value::Int(10_000_000 - 7_200_000),
            ]
        );
        let on_sqlite = |text: &str| {
            filter_clause(
                &DeviceFilter {
                    text: text.into(),
                    ..DeviceFilter::default()
                },
                0,
                &[],
                Dialect::Sqlite,
            )
        };
        let phrase = on_sqlite(r#"a"bc"#);
        assert!(
            phrase.sql.contains("fleet_search MATCH ?"),
            "{}",
            phrase.sql
        );
        assert_eq!(phrase.params, vec![Value::Text(r#""a""bc""#.into())]);
        let short = on_sqlite("ab");
        assert!(short.sql.contains("(search LIKE ?"), "{}", short.sql);
        assert_eq!(short.params, vec![Value::Text("%ab%".into())]);
        assert_eq!(
            filter_clause(&DeviceFilter::default(), 0, &[], Dialect::Sqlite).sql,
            "gone_ms = 0"
        );
    }

    #[test]
    fn walking_the_sort_keeps_every_term_and_value() {
        let filter = DeviceFilter {
            status: Some("pending".into()),
            target_app: Some("KA1".into()),
            target_differs: true,
            ..DeviceFilter::default()
        };
        let clause = filter_clause(&filter, 0, &[], Dialect::Sqlite);
        let walked = walking_the_sort(&clause);
        assert_eq!(
            walked.sql,
            "gone_ms = 0 AND +status = ? AND +target_app = ? \
             AND (reported_app <> '' AND reported_app <> target_app)"
        );
        assert_eq!(walked.params, clause.params);
    }

    #[test]
    fn pages_continue_after_their_cursor_in_either_direction() {
        let clause = filter_clause(&DeviceFilter::default(), 0, &[], Dialect::Sqlite);
        let by_name = FleetSort {
            key: FleetSortKey::UniqueName,
            descending: true,
        };
        let (sql, params) = page_query(
            &clause,
            by_name,
            Some((Value::Text("pump-9".into()), 42)),
            0,
            100,
        );
        assert!(sql.ends_with(
            "WHERE gone_ms = 0 AND (unique_name, n) < (?, ?) ORDER BY unique_name DESC, n DESC LIMIT ? OFFSET ?"
        ), "{sql}");
        assert_eq!(
            params,
            vec![
                Value::Text("pump-9".into()),
                Value::Int(42),
                Value::Int(100),
                Value::Int(0)
            ]
        );
        let (sql, _) = page_query(&clause, FleetSort::default(), None, 200, 50);
        assert!(sql.ends_with("ORDER BY sid ASC LIMIT ? OFFSET ?"), "{sql}");
    }

    #[test]
    fn placeholders_come_in_groups() {
        assert_eq!(placeholders(2, 3), "(?, ?, ?), (?, ?, ?)");
        assert_eq!(
            mark_gone(2),
            "UPDATE fleet_devices SET gone_ms = ?, changed_ms = ? WHERE sid IN (?, ?)"
        );
    }
}
