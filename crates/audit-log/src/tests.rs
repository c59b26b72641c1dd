use super::*;

fn write_entry(at_ms: i64, operator: &str, path: &str, status: u16) -> AuditEntry {
    AuditEntry {
        at_ms,
        operator: operator.to_owned(),
        role: Role::Operator,
        client: None,
        method: "POST".to_owned(),
        path: path.to_owned(),
        params: BTreeMap::new(),
        status,
        error_code: None,
        duration_ms: 3,
        changes: Vec::new(),
        note: None,
        rollout: None,
        device: None,
        names: BTreeMap::new(),
        started_by: None,
    }
}

/// A chain of `n` rows as a store would keep it, and its head.
fn chain(n: i64) -> (Vec<AuditRow>, i64, String) {
    let mut rows: Vec<AuditRow> = Vec::new();
    for i in 1..=n {
        let (seq, previous) = rows.last().map_or((0, ""), |r| (r.seq, r.hash.as_str()));
        let text = serde_json::to_string(&write_entry(
            1000 * i,
            if i % 2 == 0 { "ana" } else { "bo" },
            &format!("/v1/Devices/UV{i:032}"),
            if i % 3 == 0 { 404 } else { 200 },
        ))
        .unwrap();
        let row = AuditRow::next(seq, previous, 1000 * i, text);
        rows.push(row);
    }
    let (head, hash) = rows
        .last()
        .map_or((0, String::new()), |r| (r.seq, r.hash.clone()));
    (rows, head, hash)
}

fn verify(rows: &[AuditRow], head: i64, hash: &str) -> AuditVerdict {
    let mut check = ChainCheck::default();
    for row in rows {
        if let Err(verdict) = check.row(row) {
            return verdict;
        }
    }
    check.finish(head, hash)
}

#[test]
fn secret_values_are_redacted_and_the_rest_kept() {
    let secret = params_of(
        "/v1/Devices/x/Secrets",
        Some("application/x-www-form-urlencoded"),
        b"Key=api-key&Value=hunter2",
    );
    assert_eq!(secret["Key"], "api-key");
    assert_eq!(secret["Value"], REDACTED);
    let account = params_of("/v1/Secrets/k", None, b"Value=hunter2");
    assert_eq!(account["Value"], REDACTED);
    let config = params_of("/v1/Configs", None, b"Key=k&Value=plain");
    assert_eq!(config["Value"], "plain");
    let json = params_of(
        "/console/v1/views",
        Some("application/json"),
        br#"{"name":"mine","filter":{"text":"x"}}"#,
    );
    assert_eq!(json["name"], "mine");
    assert_eq!(json["filter"], r#"{"text":"x"}"#);
    let body = format!("Value={}", "x".repeat(600));
    let long = params_of("/v1/Configs", None, body.as_bytes());
    assert_eq!(
        long["Value"].chars().count(),
        MAX_VALUE_CHARS + 1,
        "cut, with …"
    );
}

#[test]
fn device_changes_name_each_field_before_and_after() {
    let before = serde_json::json!({"unique_name": "a", "app": {"target_sid": "KA1"}, "logging": {"enabled": false}});
    let after = serde_json::json!({"unique_name": "b", "app": {"target_sid": "KA1"}, "logging": {"enabled": true, "date_expires": "2026-12-01T00:00:00Z"}});
    let changes = changes_of(&before, &after);
    let fields: Vec<(&str, Option<&str>, Option<&str>)> = changes
        .iter()
        .map(|c| (c.field.as_str(), c.before.as_deref(), c.after.as_deref()))
        .collect();
    assert_eq!(
        fields,
        [
            ("unique_name", Some("a"), Some("b")),
            ("logging", Some("false"), Some("true")),
            ("logging_until", None, Some("2026-12-01T00:00:00Z")),
        ]
    );
}

#[test]
fn only_writes_are_audited() {
    assert!(audited("POST", "/v1/Devices/x"));
    assert!(audited("DELETE", "/v1/Configs/k"));
    assert!(audited("POST", "/console/v1/views"));
    assert!(!audited("GET", "/v1/Devices"));
    assert!(!audited("POST", "/console/v1/rollouts/preview"));
    assert!(!audited("POST", "/console/v1/fleet/refresh"));
    assert!(!audited("POST", "/console/v1/audit/verify"));
    assert!(!audited("POST", "/v1x/Devices"));
    assert!(device_path("POST", "/v1/Devices/pump-7"));
    assert!(!device_path("POST", "/v1/Devices/pump-7/Configs"));
    assert!(!device_path("DELETE", "/v1/Devices/pump-7"));
}

#[test]
fn an_upload_is_recorded_by_what_it_was_never_its_bytes() {
    assert!(is_upload("POST", "/v1/Apps"));
    assert!(!is_upload("GET", "/v1/Apps"));
    assert!(!is_upload("POST", "/v1/Apps/KA1"));
    let created = upload(Upload {
        at_ms: 5,
        operator: "ana",
        role: Role::Operator,
        client: Some("127.0.0.1".into()),
        file_name: Some("meter-2.1.zip"),
        size: Some(2048),
        unique_name: Some("meter-2.1"),
        hash: Some("sha256:ab12"),
        signer: Some("unsigned"),
        status: 201,
        answer: br#"{"sid":"KA00000000000000000000000000000001"}"#,
        duration_ms: 40,
    });
    assert!(created.succeeded());
    assert_eq!(created.path, "/v1/Apps");
    assert_eq!(created.kind(), "app");
    assert_eq!(created.params["File"], "meter-2.1.zip");
    assert_eq!(created.params["Size"], "2048");
    assert_eq!(created.params["Hash"], "sha256:ab12");
    assert_eq!(created.params["Signer"], "unsigned");
    assert_eq!(created.params["Sid"], "KA00000000000000000000000000000001");
    let refused = upload(Upload {
        at_ms: 6,
        operator: "ana",
        role: Role::Operator,
        client: None,
        file_name: Some("notes.txt"),
        size: Some(11),
        unique_name: None,
        hash: None,
        signer: None,
        status: 400,
        answer: br#"{"code":20001,"message":"The archive has no 'manifest' file"}"#,
        duration_ms: 1,
    });
    assert!(!refused.succeeded());
    assert_eq!(refused.error_code, Some(20001));
    assert!(!refused.params.contains_key("Sid"));
    assert!(!refused.params.contains_key("Hash"));
}

#[test]
fn an_entry_says_what_changed_or_why_it_cannot() {
    let before = serde_json::json!({"sid": "UV1", "unique_name": "pump-7"});
    let answer = br#"{"sid": "UV1", "unique_name": "pump-8"}"#;
    let write = |before: Result<Option<Value>, String>, status: u16, answer: &'static [u8]| {
        entry(Write {
            at_ms: 5,
            operator: "ana",
            role: Role::Operator,
            client: Some("192.0.2.7".into()),
            method: "POST",
            path: "/v1/Devices/pump-7",
            content_type: None,
            body: b"UniqueName=pump-8",
            before,
            status,
            answer,
            duration_ms: 9,
            app_names: BTreeMap::new(),
        })
    };
    let done = write(Ok(Some(before.clone())), 200, answer);
    assert_eq!(done.device.as_deref(), Some("UV1"));
    // Named as it was called before the rename.
    assert_eq!(done.names["UV1"], "pump-7");
    assert_eq!(done.client.as_deref(), Some("192.0.2.7"));
    assert_eq!(done.params["UniqueName"], "pump-8");
    assert_eq!(
        done.changes,
        [Change {
            field: "unique_name".into(),
            before: Some("pump-7".into()),
            after: Some("pump-8".into()),
        }]
    );
    let unread = write(Err("HTTP 503".into()), 200, answer);
    assert!(unread.changes.is_empty());
    assert_eq!(
        unread.note.as_deref(),
        Some("the device could not be read before the write: HTTP 503")
    );
    let failed = write(
        Ok(Some(before.clone())),
        400,
        br#"{"code": 20001, "message": "no"}"#,
    );
    assert!(failed.changes.is_empty(), "a failed write changed nothing");
    assert_eq!(failed.error_code, Some(20001));
    let broke_off = write(Ok(Some(before)), 0, b"");
    assert_eq!(
        broke_off.note.as_deref(),
        Some("the answer broke off before it was complete")
    );
}

#[test]
fn queries_parse_and_filters_keep_what_they_name() {
    let query = Query::parse(
        "before=40&limit=5000&operator=ana&device=UV9&outcome=failed&from_ms=x&junk=1",
    );
    assert_eq!(query.before, 40);
    assert_eq!(query.limit, Query::MAX_LIMIT, "limits are capped");
    assert_eq!(query.filter.operator, "ana");
    assert_eq!(query.filter.from_ms, None, "a bad number is ignored");
    let default = Query::parse("");
    assert_eq!(
        (default.before, default.limit),
        (i64::MAX, Query::DEFAULT_LIMIT)
    );

    let mut device = write_entry(1, "ana", "/v1/Devices/pump-7", 200);
    device.device = Some("UV9".into());
    let secret = write_entry(2, "bo", "/v1/Devices/pump-7/Secrets", 400);
    let view = write_entry(3, "ana", "/console/v1/views/VW1", 200);
    let by = |q: &str| {
        let filter = Query::parse(q).filter;
        [&device, &secret, &view]
            .iter()
            .filter(|e| filter.matches(e))
            .map(|e| e.at_ms)
            .collect::<Vec<_>>()
    };
    assert_eq!(by(""), [1, 2, 3]);
    assert_eq!(by("operator=ana"), [1, 3]);
    assert_eq!(by("device=UV9"), [1], "by SID");
    assert_eq!(by("device=PUMP-7"), [1, 2], "by the name in the path");
    assert_eq!(by("action=secret"), [2]);
    assert_eq!(by("action=view"), [3]);
    assert_eq!(by("outcome=failed"), [2]);
    assert_eq!(by("from_ms=2&to_ms=2"), [2]);
}

#[test]
fn pages_follow_one_another_newest_first() {
    let (rows, _, _) = chain(25);
    let newest_first: Vec<AuditRow> = rows.iter().rev().cloned().collect();
    let query = Query::parse("limit=10&operator=ana");
    let mut page = Vec::new();
    let next = query.take(newest_first.clone(), &mut page);
    let seqs: Vec<i64> = page.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [24, 22, 20, 18, 16, 14, 12, 10, 8, 6]);
    assert_eq!(next, Some(6));
    let mut rest = Vec::new();
    let last = Query::parse("limit=10&operator=ana&before=6").take(newest_first, &mut rest);
    assert_eq!(rest.iter().map(|r| r.seq).collect::<Vec<_>>(), [4, 2]);
    assert_eq!(last, None, "the log is read to its start");
}

#[test]
fn verify_names_the_entry_changed_removed_inserted_or_cut_off() {
    let (rows, head, hash) = chain(6);
    assert_eq!(
        verify(&rows, head, &hash),
        AuditVerdict {
            intact: true,
            entries: 6,
            problem: None
        }
    );
    assert!(verify(&[], 0, "").intact, "an empty log is intact");

    let mut changed = rows.clone();
    changed[3].entry = changed[3].entry.replace("ana", "eve");
    let verdict = verify(&changed, head, &hash);
    assert!(!verdict.intact);
    assert_eq!(
        verdict.problem.as_deref(),
        Some("entry 4 was changed, or put in, after it was written")
    );

    let mut removed = rows.clone();
    removed.remove(2);
    assert_eq!(
        verify(&removed, head, &hash).problem.as_deref(),
        Some("entry 3 was removed (the next is entry 4)")
    );

    let mut inserted = rows.clone();
    let fake = AuditRow::next(2, "forged", 1, "{}".into());
    inserted.insert(2, fake);
    inserted.iter_mut().skip(3).for_each(|r| r.seq += 1);
    assert_eq!(
        verify(&inserted, head + 1, &hash).problem.as_deref(),
        Some("entry 3 was changed, or put in, after it was written")
    );

    assert_eq!(
        verify(&rows[..4], head, &hash).problem.as_deref(),
        Some("entries 5 to 6 were removed from the end")
    );
}

#[test]
fn a_log_that_let_its_oldest_go_checks_from_its_anchor() {
    let (rows, head, hash) = chain(8);
    let anchor = &rows[2];
    let mut check = ChainCheck::after(anchor.seq, anchor.hash.clone());
    for row in &rows[3..] {
        check.row(row).unwrap();
    }
    assert!(check.finish(head, &hash).intact);
    let mut wrong = ChainCheck::after(anchor.seq, "other".into());
    assert!(
        wrong.row(&rows[3]).is_err(),
        "the anchor's hash is part of the chain"
    );
}

// Host only: proptest's randomness has no wasm32 backend.
#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever row is touched, and whichever of its parts, verify names that row.
        #[test]
        fn any_change_to_any_row_is_named(n in 1i64..20, pick in 0usize..20, part in 0u8..4, delta in 1i64..1000) {
            let (mut rows, head, hash) = chain(n);
            let i = pick % rows.len();
            match part {
                0 => rows[i].at_ms += delta,
                1 => rows[i].entry.push(' '),
                2 => rows[i].hash = chain_hash("x", rows[i].seq, rows[i].at_ms, &rows[i].entry),
                _ => rows[i].entry = rows[i].entry.replacen("\"status\":", "\"status\": ", 1),
            }
            let verdict = verify(&rows, head, &hash);
            prop_assert!(!verdict.intact);
            let named = format!("entry {}", i + 1);
            prop_assert!(verdict.problem.as_deref().is_some_and(|p| p.contains(&named)), "{verdict:?}");
        }
    }
}

#[test]
fn a_rollout_s_write_says_what_changed_by_whose_rollout_with_the_names_of_the_time() {
    let before = serde_json::json!({
        "sid": "UV1", "unique_name": "pump-7",
        "app": {"target_sid": "KAold", "reported_sid": "KAold"}
    });
    let answer = br#"{"sid": "UV1", "unique_name": "pump-7", "app": {"target_sid": "KAnew", "reported_sid": "KAold"}}"#;
    let form = "TargetApp=KAnew";
    let before = Ok(Some(before));
    let apps = apps_mentioned(&before, None, form.as_bytes());
    assert_eq!(apps, ["KAnew", "KAold"]);
    let app_names: BTreeMap<String, String> = [
        ("KAnew".to_owned(), "pump-fw-2.1".to_owned()),
        ("KAold".to_owned(), "pump-fw-2.0".to_owned()),
    ]
    .into();
    let entry = rollout_write(RolloutWrite {
        at_ms: 5,
        id: "RO1",
        name: "canary 2.1",
        started_by: Some("ana (operator)"),
        form,
        path: "/v1/Devices/UV1",
        before,
        status: 200,
        answer,
        duration_ms: 4,
        app_names,
    });
    assert_eq!(entry.operator, ROLLOUT_OPERATOR);
    assert_eq!(entry.rollout.as_deref(), Some("RO1"));
    assert_eq!(entry.started_by.as_deref(), Some("ana (operator)"));
    assert_eq!(entry.device.as_deref(), Some("UV1"));
    assert_eq!(
        entry.changes,
        [Change {
            field: "target_app".into(),
            before: Some("KAold".into()),
            after: Some("KAnew".into()),
        }]
    );
    assert_eq!(entry.names["RO1"], "canary 2.1");
    assert_eq!(entry.names["UV1"], "pump-7");
    assert_eq!(entry.names["KAold"], "pump-fw-2.0");
    assert_eq!(entry.names["KAnew"], "pump-fw-2.1");
    // A JSON body (the console's own API) names no app.
    assert!(
        apps_mentioned(
            &Ok(None),
            Some("application/json"),
            br#"{"TargetApp":"KA1"}"#
        )
        .is_empty()
    );
}
