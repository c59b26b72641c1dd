//! The audit log's cost: entries appended per second on each store (several appenders at once,
//! as several requests append), and what auditing adds to a write that console-server proxies.

use std::sync::Arc;
use std::time::Instant;

use console_e2e::harness::scratch_dir;
use console_server::store::Store;
use microvisor_api::url::encode_segment;

use crate::stats::Samples;

/// Requests in flight at once while appending, as concurrent writes would be.
pub const APPENDERS: usize = 4;

pub struct Appends {
    pub store: &'static str,
    pub entries: usize,
    pub seconds: f64,
}

impl Appends {
    pub fn per_second(&self) -> f64 {
        self.entries as f64 / self.seconds
    }
}

/// `entries` appends by [`APPENDERS`] tasks on the store at `url`, then the chain verified (so
/// the figure is for appends that really chain).
pub async fn appends(store: &'static str, url: &str, entries: usize) -> Result<Appends, String> {
    let opened = Arc::new(Store::open(url).await.map_err(|err| err.to_string())?);
    // A rollout's write as it is logged now: before → after and the names of the time.
    let before = serde_json::json!({
        "sid": "UV00000000000000000000000000000001", "unique_name": "pump-1",
        "app": {"target_sid": "KA00000000000000000000000000000000"}
    });
    let answer = br#"{"sid":"UV00000000000000000000000000000001","unique_name":"pump-1","app":{"target_sid":"KA00000000000000000000000000000001"}}"#;
    let entry = audit_log::rollout_write(audit_log::RolloutWrite {
        at_ms: 1_764_394_882_000,
        id: "RO0123456789abcdef",
        name: "canary 2.1",
        started_by: Some("ana (operator)"),
        form: "TargetApp=KA00000000000000000000000000000001",
        path: "/v1/Devices/UV00000000000000000000000000000001",
        before: Ok(Some(before)),
        status: 200,
        answer,
        duration_ms: 12,
        app_names: [
            (
                "KA00000000000000000000000000000000".to_owned(),
                "fw-2.0".to_owned(),
            ),
            (
                "KA00000000000000000000000000000001".to_owned(),
                "fw-2.1".to_owned(),
            ),
        ]
        .into(),
    });
    let text = serde_json::to_string(&entry).map_err(|err| err.to_string())?;
    let started = Instant::now();
    let tasks: Vec<_> = (0..APPENDERS)
        .map(|i| {
            let (store, text) = (Arc::clone(&opened), text.clone());
            let share = entries / APPENDERS + usize::from(i < entries % APPENDERS);
            tokio::spawn(async move {
                for n in 0..share {
                    store
                        .append_audit(1_764_394_882_000 + n as i64, &text)
                        .await
                        .map_err(|err| err.to_string())?;
                }
                Ok::<(), String>(())
            })
        })
        .collect();
    for task in tasks {
        task.await.map_err(|err| err.to_string())??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let verdict = console_server::console::audit::verify(&opened)
        .await
        .map_err(|err| err.to_string())?;
    if !verdict.intact || verdict.entries != entries as i64 {
        return Err(format!("the bench's chain is not whole: {verdict:?}"));
    }
    Ok(Appends {
        store,
        entries,
        seconds,
    })
}

/// Appends on a SQLite file in a scratch folder, and on a private PostgreSQL server.
pub async fn appends_on_each_store(entries: usize) -> Result<Vec<Appends>, String> {
    let sqlite = format!(
        "sqlite:{}",
        scratch_dir("bench-audit").join("console.db").display()
    );
    let postgres = test_support::postgres::Postgres::start()?;
    let url = postgres.database("bench_audit")?;
    Ok(vec![
        appends("SQLite", &sqlite, entries).await?,
        appends("PostgreSQL", &url, entries).await?,
    ])
}

/// One request at a time, p50 of each: a device read and a device rename, direct to an
/// emulator and through console-server `--upstream` in front of it.
pub struct WriteLatency {
    pub direct_read: Samples,
    pub proxied_read: Samples,
    pub direct_write: Samples,
    pub proxied_write: Samples,
}

impl WriteLatency {
    /// What console-server adds to a write beyond what it adds to a read: the audit entry (a
    /// read of the device before, the append) and nothing else, as reads are not audited.
    pub fn added_by_auditing(&self) -> f64 {
        (self.proxied_write.median() - self.direct_write.median())
            - (self.proxied_read.median() - self.direct_read.median())
    }
}

async fn timed(request: reqwest::RequestBuilder, into: &mut Samples) -> Result<(), String> {
    let started = Instant::now();
    let response = request.send().await.map_err(|err| err.to_string())?;
    let status = response.status();
    response.bytes().await.map_err(|err| err.to_string())?;
    into.0.push(started.elapsed().as_secs_f64() * 1000.0);
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("a bench request answered {status}"))
    }
}

pub async fn write_latency(requests: usize) -> Result<WriteLatency, String> {
    let (_servers, emulator_url, proxy_url) = crate::servers::emulator_and_proxy(100).await;
    let client = reqwest::Client::new();
    let list = client
        .get(format!("{emulator_url}/v1/Devices?PageSize=1"))
        .send()
        .await
        .map_err(|err| err.to_string())?
        .bytes()
        .await
        .map_err(|err| err.to_string())?;
    let list: serde_json::Value = serde_json::from_slice(&list).map_err(|err| err.to_string())?;
    let sid = list["devices"][0]["sid"]
        .as_str()
        .ok_or("the emulator listed no device")?
        .to_owned();
    let path = format!("/v1/Devices/{}", encode_segment(&sid));
    let mut latency = WriteLatency {
        direct_read: Samples::default(),
        proxied_read: Samples::default(),
        direct_write: Samples::default(),
        proxied_write: Samples::default(),
    };
    // Interleaved, so drift on the machine touches all four alike; the first tenth warms up.
    for i in 0..requests + requests / 10 {
        let mut round = [
            Samples::default(),
            Samples::default(),
            Samples::default(),
            Samples::default(),
        ];
        for (n, base) in [&emulator_url, &proxy_url].into_iter().enumerate() {
            let url = format!("{base}{path}");
            timed(client.get(&url), &mut round[n]).await?;
            let rename = client
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("UniqueName=audit-bench-{n}-{i}"));
            timed(rename, &mut round[2 + n]).await?;
        }
        if i >= requests / 10 {
            let [dr, pr, dw, pw] = round;
            latency.direct_read.0.extend(dr.0);
            latency.proxied_read.0.extend(pr.0);
            latency.direct_write.0.extend(dw.0);
            latency.proxied_write.0.extend(pw.0);
        }
    }
    Ok(latency)
}
