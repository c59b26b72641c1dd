//! The audit log with the real binary: every write recorded with who made it and what changed,
//! secret values redacted everywhere, a rollout's writes marked with it, and `audit verify`
//! naming the entry a test changed or removed straight in the database.

mod common;

use common::Server;
use serde_json::Value;

fn store_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("console-audit-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{err}: {text}"))
}

/// `console-server audit verify --data-dir DIR`: (exit code, what it printed).
fn verify(dir: &std::path::Path) -> (i32, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_console-server"))
        .args(["audit", "verify", "--data-dir"])
        .arg(dir)
        .output()
        .expect("run console-server audit verify");
    (
        output.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

#[test]
fn writes_are_recorded_redacted_and_the_chain_names_what_was_tampered_with() {
    let dir = store_dir("chain");
    let log = dir.with_extension("log");
    let server = Server::start_with(
        &["--devices", "20", "--data-dir", dir.to_str().unwrap()],
        &[],
        Some(&log),
    );
    let (_, page) = server.get("/v1/Devices?PageSize=1");
    let device = &json(&page)["devices"][0];
    let sid = device["sid"].as_str().unwrap().to_owned();
    let old_name = device["unique_name"].as_str().unwrap().to_owned();
    let (status, _) = server.request(
        "POST",
        &format!("/v1/Devices/{sid}"),
        Some("UniqueName=audited&LoggingEnabled=true"),
    );
    assert_eq!(status, 200);
    let (status, _) = server.request("POST", "/v1/Secrets", Some("Key=api-key&Value=hunter2"));
    assert_eq!(status, 201);
    let (status, _) = server.request("POST", "/v1/Configs", Some("Key=k&Value=x"));
    assert_eq!(status, 201);

    let (_, audit) = server.get("/console/v1/audit");
    let entries = json(&audit)["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 3, "{audit}");
    let (config, secret, rename) = (&entries[0], &entries[1], &entries[2]);
    assert_eq!(config["path"], "/v1/Configs");
    assert_eq!(secret["params"]["Value"], "[redacted]");
    assert_eq!(secret["params"]["Key"], "api-key");
    assert_eq!(rename["operator"], "local");
    assert_eq!(rename["role"], "admin");
    assert_eq!(rename["status"], 200);
    let changes = rename["changes"].as_array().unwrap();
    assert!(
        changes.contains(
            &serde_json::json!({"field": "unique_name", "before": old_name, "after": "audited"})
        ),
        "{changes:?}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c["field"] == "logging" && c["after"] == "true")
    );
    // Filters: by device, by action, by outcome.
    let (_, by_device) = server.get(&format!("/console/v1/audit?device={sid}"));
    assert_eq!(json(&by_device)["entries"].as_array().unwrap().len(), 1);
    let (_, secrets) = server.get("/console/v1/audit?action=secret");
    assert_eq!(json(&secrets)["entries"].as_array().unwrap().len(), 1);
    let (status, _) = server.request("POST", "/v1/Devices/nobody", Some("UniqueName=x"));
    assert_eq!(status, 404);
    let (_, failed) = server.get("/console/v1/audit?outcome=failed");
    let failed = json(&failed);
    assert_eq!(failed["entries"][0]["error_code"], 20404, "{failed}");
    let (_, verdict) = server.request("POST", "/console/v1/audit/verify", None);
    assert_eq!(
        json(&verdict),
        serde_json::json!({"intact": true, "entries": 4})
    );
    drop(server);

    // The secret's value is nowhere: not in the store, not in the log at trace level.
    let db = rusqlite::Connection::open(dir.join("console.db")).unwrap();
    let stored: String = db
        .query_row("SELECT group_concat(entry) FROM audit", [], |r| r.get(0))
        .unwrap();
    assert!(!stored.contains("hunter2"));
    assert!(!std::fs::read_to_string(&log).unwrap().contains("hunter2"));

    assert_eq!(
        verify(&dir),
        (0, "audit log intact: 4 entries\n".to_owned())
    );
    // One field of one row changed in the database: named.
    db.execute(
        "UPDATE audit SET entry = replace(entry, '\"local\"', '\"mallory\"') WHERE seq = 2",
        [],
    )
    .unwrap();
    let (code, said) = verify(&dir);
    assert_eq!(code, 2, "{said}");
    assert!(said.contains("entry 2 was changed"), "{said}");
    // A row removed from the middle, and one from the end: each named.
    db.execute("DELETE FROM audit WHERE seq = 2", []).unwrap();
    let (code, said) = verify(&dir);
    assert_eq!(code, 2);
    assert!(said.contains("entry 2 was removed"), "{said}");
    db.execute("DELETE FROM audit WHERE seq >= 2", []).unwrap();
    let (code, said) = verify(&dir);
    assert_eq!(code, 2);
    assert!(
        said.contains("entries 2 to 4 were removed from the end"),
        "{said}"
    );
}

#[test]
fn a_thousand_writes_make_a_thousand_entries_and_rollout_writes_carry_the_rollout() {
    let server = Server::start(&[
        "--devices",
        "1000",
        "--update-delay-ms",
        "0",
        "--update-failure-rate",
        "0",
        "--rollout-poll-ms",
        "100",
    ]);
    let (_, apps) = server.get("/v1/Apps?PageSize=5");
    let target = json(&apps)["apps"][0]["sid"].as_str().unwrap().to_owned();
    let (_, page) = server.get("/v1/Devices?PageSize=1000");
    let sids: Vec<String> = json(&page)["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["sid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sids.len(), 1000);
    for sid in &sids {
        let (status, _) = server.request(
            "POST",
            &format!("/v1/Devices/{sid}"),
            Some("LoggingEnabled=true"),
        );
        assert_eq!(status, 200);
    }
    let (_, head) = server.get("/console/v1/audit?limit=1000");
    let head = json(&head);
    assert_eq!(head["entries"].as_array().unwrap().len(), 1000);
    assert_eq!(head["entries"][0]["seq"], 1000);

    // A rollout of the first 30: its writes are in the log, marked with it.
    let body = serde_json::json!({
        "name": "audited rollout",
        "target_app": target,
        "source": {"kind": "devices", "sids": &sids[..30]},
        "plan": {"phases": [{"size": {"kind": "percent", "value": 100}}], "concurrency": 4}
    })
    .to_string();
    let (status, _, created) = server.request_with(
        "POST",
        "/console/v1/rollouts",
        Some(&body),
        &["Content-Type: application/json"],
    );
    assert_eq!(status, 201, "{created}");
    let id = json(&created)["id"].as_str().unwrap().to_owned();
    let rollout = (0..600)
        .find_map(|_| {
            let (_, rollout) = server.get(&format!("/console/v1/rollouts/{id}"));
            let rollout = json(&rollout);
            if rollout["status"]["state"] == "completed" {
                return Some(rollout);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
            None
        })
        .expect("the rollout completed");
    let written = rollout["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["state"] != "skipped")
        .count();
    let (_, marked) = server.get("/console/v1/audit?action=rollout&limit=1000");
    let marked = json(&marked);
    let marked: Vec<&Value> = marked["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["rollout"] == id.as_str())
        .collect();
    assert_eq!(marked.len(), written);
    assert!(
        marked
            .iter()
            .all(|e| e["params"]["TargetApp"] == target.as_str() && e["status"] == 200)
    );
    // Each says whose rollout it was, with the names of the time, and before → after of the
    // device's target like a person's write.
    let target_name = json(&apps)["apps"][0]["unique_name"]
        .as_str()
        .unwrap()
        .to_owned();
    let devices = json(&page);
    let mut changed = 0;
    for entry in &marked {
        assert_eq!(entry["names"][&id], "audited rollout", "{entry}");
        assert_eq!(entry["started_by"], "local (admin)", "{entry}");
        assert_eq!(entry["names"][&target], target_name.as_str(), "{entry}");
        let sid = entry["device"].as_str().unwrap();
        let device = devices["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["sid"] == sid)
            .unwrap();
        assert_eq!(entry["names"][sid], device["unique_name"], "{entry}");
        let was = &device["app"]["target_sid"];
        let change = entry["changes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["field"] == "target_app");
        if was == target.as_str() {
            // Already targeted, still pending: written again, its target unchanged.
            assert!(change.is_none(), "{entry}");
            continue;
        }
        let change = change.unwrap_or_else(|| panic!("no target change: {entry}"));
        assert_eq!(&change["before"], was, "{entry}");
        assert_eq!(change["after"], target.as_str(), "{entry}");
        if let Some(before) = was.as_str() {
            assert!(entry["names"][before].is_string(), "{entry}");
        }
        changed += 1;
    }
    assert!(changed > 20, "{changed} of {} changed target", marked.len());
    let (_, verdict) = server.request("POST", "/console/v1/audit/verify", None);
    assert_eq!(json(&verdict)["intact"], true);
}
