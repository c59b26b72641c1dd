//! What the alert tests and the bench's outage part share: a scope over the fleet index that a
//! rule can be made to fire and resolve on, at will, against an emulator that fails every
//! update.

use serde_json::{Value, json};

use crate::harness::{http_form, http_json};

/// An app some devices target (the scope's filter), how many of those report `error` now, and
/// ten devices that target another app (each with its own): pointed at the scope's app they
/// enter the scope and fail, so a rule over it fires; pointed back they leave it, so it
/// resolves.
pub struct Flipper {
    pub app: String,
    pub errors: u64,
    pub devices: Vec<(String, String)>,
}

async fn get(base: &str, path: &str) -> Result<Value, String> {
    match http_json("GET", &format!("{base}{path}"), None).await {
        (200, value) => Ok(value),
        (status, value) => Err(format!("{path} answered {status}: {value}")),
    }
}

impl Flipper {
    /// Found in the fleet index that the console-server at `base` keeps.
    pub async fn find(base: &str) -> Result<Flipper, String> {
        let summary = get(base, "/console/v1/fleet/summary").await?;
        let app = summary["by_target"]
            .as_object()
            .and_then(|targets| targets.keys().find(|sid| !sid.is_empty()).cloned())
            .ok_or("no device targets an app")?;
        let filter = microvisor_api::url::encode_segment(&json!({"target_app": app}).to_string());
        let of_app = get(base, &format!("/console/v1/fleet/summary?filter={filter}")).await?;
        let errors = of_app["by_status"]["error"].as_u64().unwrap_or(0);
        let page = get(base, "/console/v1/fleet/devices?limit=1000").await?;
        let devices: Vec<(String, String)> = page["devices"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| {
                let own = d["app"]["target_sid"].as_str()?;
                let sid = d["sid"].as_str()?;
                (!own.is_empty() && own != app).then(|| (sid.to_owned(), own.to_owned()))
            })
            .take(10)
            .collect();
        if devices.len() < 10 {
            return Err("fewer than ten devices outside the scope".to_owned());
        }
        Ok(Flipper {
            app,
            errors,
            devices,
        })
    }

    /// Writes the ten through the API at `api`: the scope's app (`into`), or back their own.
    pub async fn point(&self, api: &str, into: bool) -> Result<(), String> {
        for (sid, own) in &self.devices {
            let app = if into { &self.app } else { own };
            let url = format!("{api}/v1/Devices/{sid}");
            let (status, body) = http_form(&url, &format!("TargetApp={app}")).await;
            if status != 200 {
                return Err(format!("a write answered {status}: {body}"));
            }
        }
        Ok(())
    }
}
