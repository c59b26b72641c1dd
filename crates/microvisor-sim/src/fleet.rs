//! The fleet: Devices and Apps in creation order, with indexes by SID and unique name.

use std::collections::HashMap;

use microvisor_api::time::format_iso8601;
use microvisor_api::{
    App, Device, DeviceApp, DeviceLinks, DeviceLogging, ResourceRef, Sid, SidKind, UpdateStatus,
};

/// How long logging stays on after `LoggingEnabled=true`: "enabled or extended for 24 hours".
pub const LOGGING_WINDOW_SECS: i64 = 24 * 3600;

#[derive(Debug, Clone)]
pub struct AppRecord {
    pub sid: Sid,
    pub unique_name: Option<String>,
    pub hash: String,
    pub date_created: i64,
    /// Deploys of this app fail on the device with this code (a bad build), when set.
    pub fails_with: Option<i64>,
}

/// What the emulator knows about a device. Derived state (whether a pending update has
/// landed, whether logging has expired) is computed from these times when it is read.
#[derive(Debug, Clone)]
pub struct DeviceRecord {
    pub sid: Sid,
    pub unique_name: Option<String>,
    pub target_sid: Option<Sid>,
    pub date_targeted: Option<i64>,
    /// The app the device ran before its current target, reported until the update lands.
    pub previous_reported: Option<Sid>,
    /// A seeded error that is not the outcome of a deploy in this session.
    pub standing_error: Option<i64>,
    /// An unreachable device never downloads its update: it stays pending.
    pub online: bool,
    pub logging_expires: Option<i64>,
    pub date_created: i64,
    pub date_updated: i64,
}

/// The outcome of a device's latest deploy at a given moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppState {
    pub status: UpdateStatus,
    pub error_code: i64,
    pub reported_sid: Option<Sid>,
    pub date_reported: Option<i64>,
}

#[derive(Debug, Default)]
pub struct Fleet {
    pub account_sid: Option<Sid>,
    pub devices: Vec<DeviceRecord>,
    pub apps: Vec<AppRecord>,
    device_index: HashMap<String, usize>,
    app_index: HashMap<String, usize>,
    /// Seconds from targeting until an online device reports the new app.
    pub install_delay_secs: i64,
}

impl Fleet {
    pub fn new(account_sid: Sid, install_delay_secs: i64) -> Fleet {
        Fleet {
            account_sid: Some(account_sid),
            install_delay_secs,
            ..Fleet::default()
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
        let position = self.apps.len();
        self.app_index.insert(app.sid.to_string(), position);
        if let Some(name) = &app.unique_name {
            self.app_index.insert(name.clone(), position);
        }
        self.apps.push(app);
    }

    /// The position of the device a path segment names, by SID or unique name.
    pub fn find_device(&self, segment: &str) -> Option<usize> {
        find(&self.device_index, SidKind::Device, segment)
    }

    pub fn find_app(&self, segment: &str) -> Option<usize> {
        find(&self.app_index, SidKind::App, segment)
    }

    /// The device that holds `name`, if any.
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
        let lands_at = targeted + self.install_delay_secs;
        if !device.online || now < lands_at {
            return AppState {
                status: UpdateStatus::Pending,
                error_code: 0,
                reported_sid: None,
                date_reported: None,
            };
        }
        let failure = self
            .find_app(target.as_str())
            .and_then(|i| self.apps[i].fails_with);
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
        // A device's record changes when its update lands, even without a write.
        let date_updated = device
            .date_updated
            .max(state.date_reported.unwrap_or(i64::MIN));
        let url = format!("{origin}/v1/Devices/{}", device.sid);
        Device {
            sid: Some(device.sid.to_string()),
            unique_name: device.unique_name.clone(),
            account_sid: self.account_sid.as_ref().map(Sid::to_string),
            app: Some(DeviceApp {
                target_sid: device.target_sid.as_ref().map(Sid::to_string),
                target_hash,
                date_targeted: device.date_targeted.map(format_iso8601),
                update_status: Some(state.status),
                update_error_code: Some(state.error_code),
                reported_sid: state.reported_sid.as_ref().map(Sid::to_string),
                date_reported: state.date_reported.map(format_iso8601),
            }),
            logging: Some(DeviceLogging {
                enabled: Some(logging_until.is_some()),
                date_expires: logging_until.map(format_iso8601),
            }),
            date_created: Some(format_iso8601(device.date_created)),
            date_updated: Some(format_iso8601(date_updated)),
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
            account_sid: self.account_sid.as_ref().map(Sid::to_string),
            hash: Some(app.hash.clone()),
            unique_name: app.unique_name.clone(),
            date_created: Some(format_iso8601(app.date_created)),
            date_updated: Some(format_iso8601(app.date_created)),
            links: Some(microvisor_api::app::AppLinks {
                app_manifests: Some(format!("{url}/Manifest")),
            }),
            url: Some(url),
        }
    }
}

fn find(index: &HashMap<String, usize>, kind: SidKind, segment: &str) -> Option<usize> {
    // A SID-shaped segment of another kind can still be nobody's unique name, since unique
    // names may not be SID-shaped; looking it up as a name is harmless.
    match ResourceRef::parse(kind, segment) {
        ResourceRef::Sid(sid) => index.get(sid.as_str()).copied(),
        ResourceRef::UniqueName(name) => index.get(&name).copied(),
    }
}
