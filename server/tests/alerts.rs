//! Alerts and live updates through the real binary: a rule fires once when its devices fail,
//! a webhook receiver on loopback gets one signed delivery per transition (checked here with
//! the README's recipe), the event stream tells of the devices and the alert, acknowledging is
//! audited, and the alert resolves when the devices recover; a receiver that is down gets
//! every transition once, in order, when it returns; bad rules are 400s that name the field;
//! and a stream resumes after a restart without a gap.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::Server;
use serde_json::{Value, json};
use test_support::webhooks::{Receiver, signed_by};

/// One server-sent event: (id, event, data).
type Sse = (Option<i64>, String, String);

/// `/console/v1/events` read as a browser's EventSource reads it (HTTP/1.0: no chunking).
struct Stream {
    reader: BufReader<TcpStream>,
}

impl Stream {
    fn open(server: &Server, last_event_id: Option<i64>) -> Stream {
        let mut stream = TcpStream::connect(&server.address).unwrap();
        let mut head = format!(
            "GET /console/v1/events HTTP/1.0\r\nHost: {}\r\nAccept: text/event-stream\r\n",
            server.address
        );
        if let Some(id) = last_event_id {
            head.push_str(&format!("Last-Event-ID: {id}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut reader = BufReader::new(stream);
        let mut status = String::new();
        reader.read_line(&mut status).unwrap();
        assert!(status.contains(" 200 "), "{status}");
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
        }
        Stream { reader }
    }

    /// The next event (heartbeats skipped).
    fn next(&mut self) -> Sse {
        let (mut id, mut event, mut data) = (None, String::new(), String::new());
        loop {
            let mut line = String::new();
            let read = self
                .reader
                .read_line(&mut line)
                .expect("an event within 30 s");
            assert!(read > 0, "the stream ended");
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if !data.is_empty() {
                    return (id, event, data);
                }
                continue;
            }
            if let Some(value) = line.strip_prefix("id:") {
                id = value.trim().parse().ok();
            } else if let Some(value) = line.strip_prefix("event:") {
                event = value.trim().to_owned();
            } else if let Some(value) = line.strip_prefix("data:") {
                data.push_str(value.trim_start());
            }
        }
    }

    /// Events until one `wanted` keeps; all of them, that one last.
    fn until(&mut self, wanted: impl Fn(&str, &Value) -> bool) -> Vec<Sse> {
        let mut seen = Vec::new();
        loop {
            let event = self.next();
            let data: Value = serde_json::from_str(&event.2).unwrap();
            let done = wanted(&event.1, &data);
            seen.push(event);
            if done {
                return seen;
            }
        }
    }
}

fn json_request(server: &Server, method: &str, target: &str, body: &Value) -> (u16, Value) {
    let (status, _, text) = server.request_bytes(
        method,
        target,
        "application/json",
        body.to_string().as_bytes(),
        &[&format!("Origin: http://{}", server.address)],
    );
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn get_json(server: &Server, target: &str) -> Value {
    let (status, body) = server.get(target);
    assert_eq!(status, 200, "{target}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn write_device(server: &Server, sid: &str, form: &str) {
    let (status, _, body) = server.request_with(
        "POST",
        &format!("/v1/Devices/{sid}"),
        Some(form),
        &[&format!("Origin: http://{}", server.address)],
    );
    assert_eq!(status, 200, "{body}");
}

/// Asks for a pass and waits until one that started after now has ended.
fn fresh_pass(server: &Server) {
    let asked = console_server::clock::unix_now_ms();
    let (status, _) = json_request(server, "POST", "/console/v1/fleet/refresh", &json!({}));
    assert_eq!(status, 202);
    let until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until {
        let status = get_json(server, "/console/v1/fleet/status");
        if status["complete"]["started_ms"]
            .as_i64()
            .is_some_and(|t| t >= asked)
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no pass after {asked}");
}

fn encoded(filter: &Value) -> String {
    microvisor_api::url::encode_segment(&filter.to_string())
}

fn emulator(extra: &[&str]) -> Server {
    let mut args = vec![
        "--devices",
        "200",
        "--update-failure-rate",
        "1",
        "--update-delay-ms",
        "100",
        "--index-interval",
        "3600",
        "--alert-interval",
        "1",
    ];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// An app some devices target, the errors among them now, and ten devices that target
/// another app.
fn scope(server: &Server) -> (String, u64, Vec<String>) {
    fresh_pass(server);
    let summary = get_json(server, "/console/v1/fleet/summary");
    let app = summary["by_target"]
        .as_object()
        .unwrap()
        .keys()
        .find(|sid| !sid.is_empty())
        .unwrap()
        .clone();
    let filter = json!({"target_app": app});
    let of_app = get_json(
        server,
        &format!("/console/v1/fleet/summary?filter={}", encoded(&filter)),
    );
    let errors = of_app["by_status"]["error"].as_u64().unwrap_or(0);
    let page = get_json(server, "/console/v1/fleet/devices?limit=1000");
    let others: Vec<String> = page["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["app"]["target_sid"] != app.as_str())
        .take(10)
        .map(|d| d["sid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(others.len(), 10);
    (app, errors, others)
}

/// A rule that fires when the ten devices of `scope` fail, with one webhook to `url`; the
/// answer that made it.
fn rule_on_ten(
    server: &Server,
    name: &str,
    url: &str,
    format: &str,
) -> (Value, String, Vec<String>) {
    let (app, errors, devices) = scope(server);
    let (status, rule) = json_request(
        server,
        "POST",
        "/console/v1/alerts",
        &json!({
            "name": name,
            "scope": {"filter": {"target_app": app}},
            "condition": {"kind": "error_count", "at_least": errors + 10},
            "webhooks": [{"url": url, "format": format}],
        }),
    );
    assert_eq!(status, 201, "{rule}");
    (rule, app, devices)
}

#[test]
fn an_alert_fires_once_signed_is_acknowledged_and_resolves_when_devices_recover() {
    let receiver = Receiver::start(0);
    let server = emulator(&["--allow-private-webhooks"]);
    let (rule, app, devices) = rule_on_ten(&server, "canary in error", &receiver.url, "json");
    let errors = rule["rule"]["condition"]["at_least"].as_u64().unwrap() - 10;
    let id = rule["rule"]["id"].as_str().unwrap().to_owned();
    let secret = rule["webhooks"][0]["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    // Shown back cut to its host; the token in its path never.
    let shown = rule["webhooks"][0]["url_shown"].as_str().unwrap();
    assert!(
        shown.ends_with("/…") && !shown.contains("secret-token"),
        "{shown}"
    );
    let listed = get_json(&server, "/console/v1/alerts");
    assert!(!listed.to_string().contains("secret-token"));
    assert!(!listed.to_string().contains(&secret));

    let mut stream = Stream::open(&server, None);
    for sid in &devices {
        write_device(&server, sid, &format!("TargetApp={app}"));
    }
    std::thread::sleep(Duration::from_millis(400));
    fresh_pass(&server);

    // The stream tells of the failed devices, then of the alert.
    let seen = stream.until(|event, data| event == "alert" && data["transition"] == "fired");
    let failed: std::collections::BTreeSet<String> = seen
        .iter()
        .filter(|(_, event, _)| event == "devices")
        .flat_map(|(_, _, data)| {
            let data: Value = serde_json::from_str(data).unwrap();
            data["changed"].as_array().cloned().unwrap_or_default()
        })
        .filter(|d| d["status"] == "error")
        .filter_map(|d| d["sid"].as_str().map(str::to_owned))
        .filter(|sid| devices.contains(sid))
        .collect();
    assert_eq!(failed.len(), 10, "{seen:?}");
    let (_, _, alert) = seen.last().unwrap();
    let alert: Value = serde_json::from_str(alert).unwrap();
    assert_eq!(
        (alert["rule_id"].as_str(), alert["firing"].as_u64()),
        (Some(id.as_str()), Some(1))
    );
    let ids: Vec<i64> = seen.iter().map(|(id, _, _)| id.unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "numbered without a gap: {ids:?}"
    );

    // One signed delivery, its key the rule's first transition.
    let fired = receiver.delivered(1);
    assert!(signed_by(&secret, &fired[0]), "{:?}", fired[0]);
    assert!(!signed_by("whsec_other", &fired[0]));
    assert_eq!(fired[0].key, format!("{id}-1"));
    let body: Value = serde_json::from_str(&fired[0].body).unwrap();
    assert_eq!(body["type"], "alert.fired");
    assert_eq!(body["count"], errors + 10);
    assert_eq!(get_json(&server, "/console/v1/alerts")["firing"], 1);

    // Acknowledged, and audited.
    let (status, acked) = json_request(
        &server,
        "POST",
        &format!("/console/v1/alerts/{id}/ack"),
        &json!({"note": "rolling back"}),
    );
    assert_eq!(status, 200, "{acked}");
    assert_eq!(acked["state"]["ack"]["note"], "rolling back");
    let audit = get_json(&server, "/console/v1/audit?action=alert");
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["path"] == format!("/console/v1/alerts/{id}/ack")),
        "{audit}"
    );
    assert!(
        !audit.to_string().contains("secret-token"),
        "webhook URLs stay out of the log"
    );

    // The devices recover (a restart lands): resolved, once.
    for sid in &devices {
        write_device(&server, sid, "RestartApp=true");
    }
    std::thread::sleep(Duration::from_millis(400));
    fresh_pass(&server);
    let both = receiver.delivered(2);
    assert_eq!(both[1].key, format!("{id}-2"));
    assert!(signed_by(&secret, &both[1]));
    let resolved: Value = serde_json::from_str(&both[1].body).unwrap();
    assert_eq!(resolved["type"], "alert.resolved");
    stream.until(|event, data| event == "alert" && data["transition"] == "resolved");

    // Nothing repeats while nothing changes.
    fresh_pass(&server);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(receiver.received().len(), 2, "{:?}", receiver.received());
    let history = get_json(&server, &format!("/console/v1/alerts/{id}/history"));
    let kinds: Vec<&str> = history["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["resolved", "fired"]);
    assert!(
        history["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "delivered" && d["attempts"] == 1),
        "{history}"
    );
}

#[test]
fn a_receiver_that_was_down_gets_every_transition_once_and_in_order() {
    // Down for its first three requests: the fired transition waits (2 s, 4 s backoff), the
    // resolved one queues behind it.
    let receiver = Receiver::start(3);
    let server = emulator(&["--allow-private-webhooks"]);
    let (rule, app, devices) = rule_on_ten(&server, "down receiver", &receiver.url, "slack");
    let id = rule["rule"]["id"].as_str().unwrap().to_owned();
    for sid in &devices {
        write_device(&server, sid, &format!("TargetApp={app}"));
    }
    std::thread::sleep(Duration::from_millis(400));
    fresh_pass(&server);
    for sid in &devices {
        write_device(&server, sid, "RestartApp=true");
    }
    std::thread::sleep(Duration::from_millis(400));
    fresh_pass(&server);
    let delivered = receiver.delivered(2);
    let keys: Vec<&str> = delivered.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, [format!("{id}-1"), format!("{id}-2")]);
    // Every attempt before carried the first key: nothing later went first.
    let all = receiver.received();
    assert_eq!(all.len(), 5, "{all:?}");
    assert!(all[..4].iter().all(|r| r.key == format!("{id}-1")));
    let slack: Value = serde_json::from_str(&delivered[0].body).unwrap();
    assert!(
        slack["text"]
            .as_str()
            .unwrap()
            .starts_with("Fired: down receiver")
    );
    assert_eq!(slack["blocks"][0]["type"], "section");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(receiver.received().len(), 5, "no repeats");
}

#[test]
fn a_receiver_that_answers_slowly_holds_up_no_pass() {
    // It holds each request 30 s: the server gives an attempt 10 s.
    let receiver = Receiver::start_with(0, Duration::from_secs(30));
    let server = emulator(&["--allow-private-webhooks"]);
    let (rule, app, devices) = rule_on_ten(&server, "slow receiver", &receiver.url, "json");
    let id = rule["rule"]["id"].as_str().unwrap().to_owned();
    for sid in &devices {
        write_device(&server, sid, &format!("TargetApp={app}"));
    }
    std::thread::sleep(Duration::from_millis(400));
    fresh_pass(&server);
    let until = Instant::now() + Duration::from_secs(30);
    while receiver.received().is_empty() {
        assert!(Instant::now() < until, "the delivery never left");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Two whole passes while the receiver still holds the first attempt.
    fresh_pass(&server);
    fresh_pass(&server);
    let history = get_json(&server, &format!("/console/v1/alerts/{id}/history"));
    let delivery = &history["deliveries"][0];
    assert_eq!(
        (delivery["status"].as_str(), delivery["attempts"].as_u64()),
        (Some("pending"), Some(0)),
        "the attempt is still out: {history}"
    );
    assert_eq!(receiver.received().len(), 1);
}

#[test]
fn a_bad_rule_is_a_400_that_names_its_field() {
    let server = emulator(&[]);
    let post = |body: Value| json_request(&server, "POST", "/console/v1/alerts", &body);
    let rule = |condition: Value, webhooks: Value| json!({"name": "r", "scope": "fleet", "condition": condition, "webhooks": webhooks});
    let cases = [
        (
            json!({"name": "r", "scope": "fleet", "condition": {"kind": "rollout_halted"}, "colour": "red"}),
            "colour",
        ),
        (
            rule(json!({"kind": "error_count", "at_least": -1}), json!([])),
            "condition.at_least",
        ),
        (
            rule(json!({"kind": "error_percent", "at_least": -5}), json!([])),
            "condition.at_least",
        ),
        (
            rule(json!({"kind": "pending", "hours": 0}), json!([])),
            "condition.hours",
        ),
        (
            rule(
                json!({"kind": "rollout_halted"}),
                json!([{"url": "ftp://example.com/x"}]),
            ),
            "webhooks[0].url",
        ),
        (
            rule(
                json!({"kind": "rollout_halted"}),
                json!([{"url": "http://127.0.0.1:9/x"}]),
            ),
            "--allow-private-webhooks",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = post(body.clone());
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(field),
            "{body}: {answer}"
        );
    }
    assert_eq!(get_json(&server, "/console/v1/alerts")["rules"], json!([]));
}

#[test]
fn a_stream_resumes_after_a_restart_without_a_gap() {
    let dir = std::env::temp_dir().join(format!("alerts-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dir = dir.to_str().unwrap().to_owned();
    let start = || Server::start(&["--devices", "20", "--data-dir", &dir, "--no-index"]);
    let server = start();
    let mut stream = Stream::open(&server, None);
    let rule = |n: usize| json!({"name": format!("rule {n}"), "scope": "fleet", "condition": {"kind": "rollout_halted"}});
    for n in 0..3 {
        let (status, body) = json_request(&server, "POST", "/console/v1/alerts", &rule(n));
        assert_eq!(status, 201, "{body}");
    }
    let first: Vec<Sse> = (0..3).map(|_| stream.next()).collect();
    assert!(
        first
            .iter()
            .all(|(id, event, _)| id.is_some() && event == "alert")
    );
    server.kill();

    let server = start();
    let mut resumed = Stream::open(&server, first[0].0);
    assert_eq!(resumed.next(), first[1]);
    assert_eq!(resumed.next(), first[2]);
    // And goes on live after what it caught up on.
    let (status, _) = json_request(&server, "POST", "/console/v1/alerts", &rule(3));
    assert_eq!(status, 201);
    let live = resumed.next();
    assert_eq!(live.0, first[2].0.map(|id| id + 1));
    // An id the store never gave: told to reload.
    let mut unknown = Stream::open(&server, Some(1_000_000));
    assert_eq!(unknown.next().1, "resync");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_stream_that_falls_behind_its_buffer_is_told_to_resync_and_goes_on() {
    let server = Server::start(&["--devices", "20", "--no-index", "--events-buffer", "16"]);
    let mut slow = Stream::open(&server, None);
    let rule = |name: String| json!({"name": name, "scope": "fleet", "condition": {"kind": "rollout_halted"}});
    // Bursts of a hundred events while this stream reads nothing: the hub's tail (every
    // 100 ms) hands them on in batches larger than the sixteen a stream may fall behind. A
    // machine slow enough to spread a burst thin gets another.
    let mut told = false;
    for burst in 0..5 {
        for n in 0..100 {
            let name = format!("burst {burst} {n}");
            let (status, body) = json_request(&server, "POST", "/console/v1/alerts", &rule(name));
            assert_eq!(status, 201, "{body}");
        }
        let last = format!("burst {burst} 99");
        let caught = slow.until(|event, data| event == "resync" || data["name"] == last.as_str());
        if caught.last().is_some_and(|(_, event, _)| event == "resync") {
            assert!(
                caught.len() < 100,
                "{} events before the resync",
                caught.len()
            );
            told = true;
            break;
        }
    }
    assert!(told, "never told to resync");
    // Then live again: the next event reaches it.
    let (status, _) = json_request(
        &server,
        "POST",
        "/console/v1/alerts",
        &rule("after".to_owned()),
    );
    assert_eq!(status, 201);
    slow.until(|event, data| event == "alert" && data["name"] == "after");
}
