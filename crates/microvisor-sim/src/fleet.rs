//! The fleet: Devices, Apps, Configs and Secrets in creation order, with indexes by SID and
//! unique name. Times are Unix milliseconds.

use std::collections::HashMap;

use microvisor_api::time::format_iso8601;
use microvisor_api::url::encode_segment;
use microvisor_api::{
    App, AppManifest, Config, Device, DeviceApp, DeviceLinks, DeviceLogging, ResourceRef, Secret,
    Sid, SidKind, UpdateStatus,
};
use serde::{Deserialize, Serialize};

use crate::rng::unit_hash;

/// How long logging stays on after `LoggingEnabled=true`: "enabled or extended for 24 hours".
pub const LOGGING_WINDOW_MS: i64 = 24 * 3600 * 1000;

pub fn iso(ms: i64) -> String {
    format_iso8601(ms.div_euclid(1000))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppRecord {
    pub sid: Sid,
    pub unique_name: Option<String>,
    pub hash: String,
    /// The manifest, base64-encoded as the API returns it.
    pub manifest: String,
    pub date_created: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConfigRecord {
    pub key: String,
    pub value: String,
    pub date_updated: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecretRecord {
    pub key: String,
    /// Kept for the device, never returned by the API.
    pub value: String,
    pub date_rotated: i64,
}

/// What the emulator knows about a device. Derived state (whether a pending update has
/// landed, whether logging has expired) is computed from these times when it is read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceRecord {
    pub sid: Sid,
    pub unique_name: Option<String>,
    pub target_sid: Option<Sid>,
    pub date_targeted: Option<i64>,
    /// The latest action was a restart of the current target, not a new deploy.
    pub restarting: bool,
    /// The app the device ran before its current target, reported until the update lands.
    pub previous_reported: Option<Sid>,
    /// A seeded error that is not the outcome of a deploy made through the API.
    pub standing_error: Option<i64>,
    /// An offline device does not download its update: it stays pending until a new deploy
    /// or restart reaches it.
    pub online: bool,
    pub logging_expires: Option<i64>,
    pub date_created: i64,
    pub date_updated: i64,
    pub configs: Vec<ConfigRecord>,
    pub secrets: Vec<SecretRecord>,
}

/// How deploys play out.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Lifecycle {
    /// Mean time from targeting until the device reports; each deploy gets 50–150 % of it.
    pub update_delay_ms: i64,
    /// Fraction of deploys that end in `error`.
    pub update_failure_rate: f64,
}

/// The outcome of a device's latest deploy at a given moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppState {
    pub status: UpdateStatus,
    pub error_code: i64,
    pub reported_sid: Option<Sid>,
    pub date_reported: Option<i64>,
}

#[derive(Debug)]
pub struct Fleet {
    pub account_sid: Sid,
    pub lifecycle: Lifecycle,
    pub devices: Vec<DeviceRecord>,
    pub apps: Vec<AppRecord>,
    pub account_configs: Vec<ConfigRecord>,
    pub account_secrets: Vec<SecretRecord>,
    device_index: HashMap<String, usize>,
    app_index: HashMap<String, usize>,
}

impl Fleet {
    pub fn new(account_sid: Sid, lifecycle: Lifecycle) -> Fleet {
        Fleet {
            account_sid,
            lifecycle,
            devices: Vec::new(),
            apps: Vec::new(),
            account_configs: Vec::new(),
            account_secrets: Vec::new(),
            device_index: HashMap::new(),
            app_index: HashMap::new(),
        }
    }

    pub fn push_device(&mut self, device: DeviceRecord) {
        let position = self.devices.len();
        self.device_index.insert(device.sid.to_string(), position);
        if let Some(name) = &device.unique_name {
            self.device_index.insert(name.clone(), position);
        }
        self.devices.push(device);
    }

    pub fn push_app(&mut self, app: AppRecord) {
        self.apps.push(app);
        self.reindex_apps();
    }

    pub fn remove_app(&mut self, position: usize) -> AppRecord {
        let app = self.apps.remove(position);
        self.reindex_apps();
        app
    }

    fn reindex_apps(&mut self) {
        self.app_index.clear();
        for (position, app) in self.apps.iter().enumerate() {
            self.app_index.insert(app.sid.to_string(), position);
            if let Some(name) = &app.unique_name {
                self.app_index.insert(name.clone(), position);
            }
        }
    }

    /// The position of the device a path segment names, by SID or unique name.
    pub fn find_device(&self, segment: &str) -> Option<usize> {
        find(&self.device_index, SidKind::Device, segment)
    }

    pub fn find_app(&self, segment: &str) -> Option<usize> {
        find(&self.app_index, SidKind::App, segment)
    }

    /// The device that holds `name` as its unique name, if any.
    pub fn device_named(&self, name: &str) -> Option<usize> {
        self.device_index
            .get(name)
            .copied()
            .filter(|&i| self.devices[i].unique_name.as_deref() == Some(name))
    }

    pub fn rename_device(&mut self, position: usize, name: String) {
        let device = &mut self.devices[position];
        if let Some(old) = device.unique_name.take() {
            self.device_index.remove(&old);
        }
        self.device_index.insert(name.clone(), position);
        device.unique_name = Some(name);
    }

    /// When the device's latest deploy reports back, and whether it fails.
    fn deploy_outcome(&self, device: &DeviceRecord, targeted: i64) -> (i64, Option<i64>) {
        let id = format!("{}@{targeted}", device.sid);
        let jitter = 0.5 + unit_hash(&id, 1);
        let lands_at = targeted + (self.lifecycle.update_delay_ms as f64 * jitter) as i64;
        let fails = !device.restarting && unit_hash(&id, 2) < self.lifecycle.update_failure_rate;
        let code = fails.then(|| 1 + (unit_hash(&id, 3) * 4.0) as i64);
        (lands_at, code)
    }

    pub fn app_state(&self, device: &DeviceRecord, now: i64) -> AppState {
        let (Some(target), Some(targeted)) = (&device.target_sid, device.date_targeted) else {
            return AppState {
                status: UpdateStatus::UpToDate,
                error_code: 0,
                reported_sid: device.previous_reported.clone(),
                date_reported: None,
            };
        };
        if let Some(code) = device.standing_error {
            return AppState {
                status: UpdateStatus::Error,
                error_code: code,
                reported_sid: device.previous_reported.clone(),
                date_reported: Some(targeted),
            };
        }
        let (lands_at, failure) = self.deploy_outcome(device, targeted);
        if !device.online || now < lands_at {
            return AppState {
                status: UpdateStatus::Pending,
                error_code: 0,
                reported_sid: None,
                date_reported: None,
            };
        }
        match failure {
            Some(code) => AppState {
                status: UpdateStatus::Error,
                error_code: code,
                reported_sid: device.previous_reported.clone(),
                date_reported: Some(lands_at),
            },
            None => AppState {
                status: UpdateStatus::UpToDate,
                error_code: 0,
                reported_sid: Some(target.clone()),
                date_reported: Some(lands_at),
            },
        }
    }

    /// The wire form of a device at `now`, with absolute URLs on `origin`.
    pub fn device_view(&self, device: &DeviceRecord, origin: &str, now: i64) -> Device {
        let state = self.app_state(device, now);
        let target_hash = device
            .target_sid
            .as_ref()
            .and_then(|sid| self.find_app(sid.as_str()))
            .map(|i| self.apps[i].hash.clone());
        let logging_until = device.logging_expires.filter(|&expires| expires > now);
        let url = device_url(origin, &device.sid);
        Device {
            sid: Some(device.sid.to_string()),
            unique_name: device.unique_name.clone(),
            account_sid: Some(self.account_sid.to_string()),
            app: Some(DeviceApp {
                target_sid: device.target_sid.as_ref().map(Sid::to_string),
                target_hash,
                date_targeted: device.date_targeted.map(iso),
                update_status: Some(state.status),
                update_error_code: Some(state.error_code),
                reported_sid: state.reported_sid.as_ref().map(Sid::to_string),
                date_reported: state.date_reported.map(iso),
            }),
            logging: Some(DeviceLogging {
                enabled: Some(logging_until.is_some()),
                date_expires: logging_until.map(iso),
            }),
            date_created: Some(iso(device.date_created)),
            date_updated: Some(iso(device.date_updated)),
            links: Some(DeviceLinks {
                device_configs: Some(format!("{url}/Configs")),
                device_secrets: Some(format!("{url}/Secrets")),
            }),
            url: Some(url),
        }
    }

    pub fn app_view(&self, app: &AppRecord, origin: &str) -> App {
        let url = format!("{origin}/v1/Apps/{}", app.sid);
        App {
            sid: Some(app.sid.to_string()),
            account_sid: Some(self.account_sid.to_string()),
            hash: Some(app.hash.clone()),
            unique_name: app.unique_name.clone(),
            date_created: Some(iso(app.date_created)),
            date_updated: Some(iso(app.date_created)),
            links: Some(microvisor_api::app::AppLinks {
                app_manifests: Some(format!("{url}/Manifest")),
            }),
            url: Some(url),
        }
    }

    pub fn manifest_view(&self, app: &AppRecord, origin: &str) -> AppManifest {
        AppManifest {
            app_sid: Some(app.sid.to_string()),
            hash: Some(app.hash.clone()),
            encoded_bytes: Some(app.manifest.clone()),
            url: Some(format!("{origin}/v1/Apps/{}/Manifest", app.sid)),
        }
    }

    /// Whether any device targets the app.
    pub fn app_is_targeted(&self, sid: &Sid) -> Option<&DeviceRecord> {
        self.devices
            .iter()
            .find(|device| device.target_sid.as_ref() == Some(sid))
    }
}

pub fn device_url(origin: &str, sid: &Sid) -> String {
    format!("{origin}/v1/Devices/{sid}")
}

/// Where a Config or Secret lives: the account, or one device (by position).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Account,
    Device(usize),
}

impl Fleet {
    pub fn configs(&self, scope: Scope) -> &Vec<ConfigRecord> {
        match scope {
            Scope::Account => &self.account_configs,
            Scope::Device(i) => &self.devices[i].configs,
        }
    }

    pub fn configs_mut(&mut self, scope: Scope) -> &mut Vec<ConfigRecord> {
        match scope {
            Scope::Account => &mut self.account_configs,
            Scope::Device(i) => &mut self.devices[i].configs,
        }
    }

    pub fn secrets(&self, scope: Scope) -> &Vec<SecretRecord> {
        match scope {
            Scope::Account => &self.account_secrets,
            Scope::Device(i) => &self.devices[i].secrets,
        }
    }

    pub fn secrets_mut(&mut self, scope: Scope) -> &mut Vec<SecretRecord> {
        match scope {
            Scope::Account => &mut self.account_secrets,
            Scope::Device(i) => &mut self.devices[i].secrets,
        }
    }

    /// `/v1/Configs` or `/v1/Devices/{sid}/Configs` (or `Secrets`), absolute on `origin`.
    pub fn collection_url(&self, scope: Scope, origin: &str, collection: &str) -> String {
        match scope {
            Scope::Account => format!("{origin}/v1/{collection}"),
            Scope::Device(i) => {
                format!("{}/{collection}", device_url(origin, &self.devices[i].sid))
            }
        }
    }

    fn scope_device_sid(&self, scope: Scope) -> Option<String> {
        match scope {
            Scope::Account => None,
            Scope::Device(i) => Some(self.devices[i].sid.to_string()),
        }
    }

    pub fn config_view(&self, scope: Scope, config: &ConfigRecord, origin: &str) -> Config {
        Config {
            device_sid: self.scope_device_sid(scope),
            key: Some(config.key.clone()),
            value: Some(config.value.clone()),
            date_updated: Some(iso(config.date_updated)),
            url: Some(format!(
                "{}/{}",
                self.collection_url(scope, origin, "Configs"),
                encode_segment(&config.key)
            )),
        }
    }

    pub fn secret_view(&self, scope: Scope, secret: &SecretRecord, origin: &str) -> Secret {
        Secret {
            device_sid: self.scope_device_sid(scope),
            key: Some(secret.key.clone()),
            date_rotated: Some(iso(secret.date_rotated)),
            url: Some(format!(
                "{}/{}",
                self.collection_url(scope, origin, "Secrets"),
                encode_segment(&secret.key)
            )),
        }
    }
}

fn find(index: &HashMap<String, usize>, kind: SidKind, segment: &str) -> Option<usize> {
    match ResourceRef::parse(kind, segment) {
        ResourceRef::Sid(sid) => index.get(sid.as_str()).copied(),
        ResourceRef::UniqueName(name) => index.get(&name).copied(),
    }
}
