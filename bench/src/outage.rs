//! A webhook receiver down for a while, then back (issue 29): an alert rule fires and resolves
//! again and again while every request to the receiver is answered 503; once it is back, the
//! test counts what it got. Every transition must arrive once (by its idempotency key), in the
//! order the rule made them, with nothing answered twice.

use std::time::{Duration, Instant};

use console_e2e::alert_checks::Flipper;
use console_e2e::harness::{http_json, start_server};
use serde_json::{Value, json};
use test_support::webhooks::Receiver;

pub struct Outage {
    /// How long the receiver answered 503.
    pub down_s: u64,
    /// Transitions the rule made while it was down.
    pub transitions: usize,
    /// Requests the receiver took, all told.
    pub requests: usize,
    /// Transitions answered 200 more than once (the idempotency key would absorb them).
    pub repeated: usize,
    /// The keys answered 200 were in the rule's order.
    pub in_order: bool,
    /// Transitions never answered 200 within the wait.
    pub lost: usize,
    /// Receiver back → the last transition answered 200, seconds.
    pub caught_up_s: f64,
}

impl Outage {
    pub fn met(&self) -> bool {
        self.lost == 0 && self.repeated == 0 && self.in_order
    }
}

async fn get(base: &str, path: &str) -> Result<Value, String> {
    match http_json("GET", &format!("{base}{path}"), None).await {
        (200, value) => Ok(value),
        (status, value) => Err(format!("{path} answered {status}: {value}")),
    }
}

/// Asks for an index pass and waits until one that started after now has ended.
async fn fresh_pass(base: &str) -> Result<(), String> {
    let asked = console_server::clock::unix_now_ms();
    let (status, _) = http_json(
        "POST",
        &format!("{base}/console/v1/fleet/refresh"),
        Some("{}"),
    )
    .await;
    if status != 202 {
        return Err(format!("refresh answered {status}"));
    }
    let until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until {
        let status = get(base, "/console/v1/fleet/status").await?;
        if status["complete"]["started_ms"]
            .as_i64()
            .is_some_and(|t| t >= asked)
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("no pass after {asked}"))
}

/// Points the flipper's devices (`into` the scope or out), then waits for a pass.
async fn point(base: &str, flipper: &Flipper, into: bool) -> Result<(), String> {
    flipper.point(base, into).await?;
    // The emulator's update fails after its delay (100 ms).
    tokio::time::sleep(Duration::from_millis(400)).await;
    fresh_pass(base).await
}

/// Waits until the rule `id` has made `n` transitions.
async fn made_by(base: &str, id: &str, n: usize) -> Result<(), String> {
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until {
        let history = get(base, &format!("/console/v1/alerts/{id}/history")).await?;
        if history["transitions"].as_array().map_or(0, Vec::len) >= n {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("the rule did not make {n} transitions within 30 s"))
}

/// The receiver down for `down`; the rule fires and resolves `flips` times meanwhile.
pub async fn measure(down: Duration, flips: usize) -> Result<Outage, String> {
    let back = Instant::now() + down;
    let receiver = Receiver::down_until(back);
    let (_server, base) = start_server(&[
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
        "--allow-private-webhooks",
    ])
    .await;
    fresh_pass(&base).await?;
    let flipper = Flipper::find(&base).await?;
    let (status, made) = http_json(
        "POST",
        &format!("{base}/console/v1/alerts"),
        Some(
            &json!({
                "name": "outage",
                "scope": {"filter": {"target_app": flipper.app}},
                "condition": {"kind": "error_count", "at_least": flipper.errors + 10},
                "webhooks": [{"url": receiver.url, "format": "json"}],
            })
            .to_string(),
        ),
    )
    .await;
    if status != 201 {
        return Err(format!("the rule was not made: {status} {made}"));
    }
    let id = made["rule"]["id"].as_str().unwrap_or_default().to_owned();
    let mut transitions = 0;
    for _ in 0..flips {
        for into in [true, false] {
            point(&base, &flipper, into).await?;
            transitions += 1;
            // Each fires or resolves before the next change: no flip is missed.
            made_by(&base, &id, transitions).await?;
        }
    }
    if Instant::now() >= back {
        return Err(format!(
            "the rule's {transitions} transitions took longer than the outage ({} s)",
            down.as_secs()
        ));
    }
    let expected: Vec<String> = (1..=transitions).map(|n| format!("{id}-{n}")).collect();
    println!(
        "bench: {transitions} transitions made; the receiver is down {} s more",
        back.saturating_duration_since(Instant::now()).as_secs()
    );
    // The longest backoff is 5 minutes: every transition is in well before twice that.
    let until = back + Duration::from_secs(660);
    let mut caught_up = None;
    while Instant::now() < until {
        let ok: Vec<String> = receiver.answered_ok().into_iter().map(|r| r.key).collect();
        if expected.iter().all(|key| ok.contains(key)) {
            caught_up = Some(Instant::now());
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Time for a repeat to show itself, had there been one.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let ok: Vec<String> = receiver.answered_ok().into_iter().map(|r| r.key).collect();
    let mut first_seen: Vec<&String> = Vec::new();
    for key in &ok {
        if !first_seen.contains(&key) {
            first_seen.push(key);
        }
    }
    Ok(Outage {
        down_s: down.as_secs(),
        transitions,
        requests: receiver.received().len(),
        repeated: ok.len() - first_seen.len(),
        in_order: first_seen.iter().copied().eq(expected.iter()),
        lost: expected.iter().filter(|key| !ok.contains(key)).count(),
        caught_up_s: caught_up.map_or(f64::NAN, |at| {
            at.saturating_duration_since(back).as_secs_f64()
        }),
    })
}
