//! The emulator's state as records, for a caller that persists it (the server keeps them in
//! SQLite). The core stays free of I/O: it lists what changed, and serialises records.

use serde::{Deserialize, Serialize};

use crate::fleet::{AppRecord, ConfigRecord, DeviceRecord, Fleet, Lifecycle, SecretRecord};
use crate::handler::Emulator;
use crate::records::{Change, RecordKind, RecordWrite};

#[derive(Serialize, Deserialize)]
struct AccountRecord {
    account_sid: microvisor_api::Sid,
}

fn to_json<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}

impl Emulator {
    /// What changed since the last call, as records to write, in the order of the changes.
    pub fn take_changes(&mut self) -> Vec<RecordWrite> {
        let mut seen = std::collections::HashSet::new();
        let changes: Vec<Change> = std::mem::take(&mut self.changes)
            .into_iter()
            .filter(|change| seen.insert(change.clone()))
            .collect();
        changes
            .into_iter()
            .map(|change| RecordWrite {
                json: self.record_json(change.kind, &change.id),
                kind: change.kind,
                id: change.id,
            })
            .collect()
    }

    fn record_json(&self, kind: RecordKind, id: &str) -> Option<String> {
        let fleet = &self.fleet;
        match kind {
            RecordKind::Account => to_json(&AccountRecord {
                account_sid: fleet.account_sid.clone(),
            }),
            RecordKind::App => fleet
                .find_app(id)
                .filter(|&i| fleet.apps[i].sid.as_str() == id)
                .and_then(|i| to_json(&fleet.apps[i])),
            RecordKind::Device => fleet
                .find_device(id)
                .filter(|&i| fleet.devices[i].sid.as_str() == id)
                .and_then(|i| to_json(&fleet.devices[i])),
            RecordKind::AccountConfig => fleet
                .account_configs
                .iter()
                .find(|c| c.key == id)
                .and_then(to_json),
            RecordKind::AccountSecret => fleet
                .account_secrets
                .iter()
                .find(|s| s.key == id)
                .and_then(to_json),
        }
    }

    /// Every record, in creation order within each kind.
    pub fn export(&self) -> Vec<RecordWrite> {
        let fleet = &self.fleet;
        let ids = std::iter::once((RecordKind::Account, "account".to_owned()))
            .chain(
                fleet
                    .apps
                    .iter()
                    .map(|a| (RecordKind::App, a.sid.to_string())),
            )
            .chain(
                fleet
                    .devices
                    .iter()
                    .map(|d| (RecordKind::Device, d.sid.to_string())),
            )
            .chain(
                fleet
                    .account_configs
                    .iter()
                    .map(|c| (RecordKind::AccountConfig, c.key.clone())),
            )
            .chain(
                fleet
                    .account_secrets
                    .iter()
                    .map(|s| (RecordKind::AccountSecret, s.key.clone())),
            )
            .collect::<Vec<_>>();
        ids.into_iter()
            .map(|(kind, id)| RecordWrite {
                json: self.record_json(kind, &id),
                kind,
                id,
            })
            .collect()
    }

    /// Rebuilds an emulator from records given in creation order.
    pub fn import(
        lifecycle: Lifecycle,
        records: &[(RecordKind, String)],
    ) -> Result<Emulator, String> {
        let mut account = None;
        let mut apps: Vec<AppRecord> = Vec::new();
        let mut devices: Vec<DeviceRecord> = Vec::new();
        let mut configs: Vec<ConfigRecord> = Vec::new();
        let mut secrets: Vec<SecretRecord> = Vec::new();
        for (kind, json) in records {
            let bad = |err: serde_json::Error| {
                format!("a stored {} record is unreadable: {err}", kind.as_str())
            };
            match kind {
                RecordKind::Account => {
                    account = Some(serde_json::from_str::<AccountRecord>(json).map_err(bad)?)
                }
                RecordKind::App => apps.push(serde_json::from_str(json).map_err(bad)?),
                RecordKind::Device => devices.push(serde_json::from_str(json).map_err(bad)?),
                RecordKind::AccountConfig => configs.push(serde_json::from_str(json).map_err(bad)?),
                RecordKind::AccountSecret => secrets.push(serde_json::from_str(json).map_err(bad)?),
            }
        }
        let account = account.ok_or("the stored state has no account record")?;
        let mut fleet = Fleet::new(account.account_sid, lifecycle);
        for app in apps {
            fleet.push_app(app);
        }
        for device in devices {
            fleet.push_device(device);
        }
        fleet.account_configs = configs;
        fleet.account_secrets = secrets;
        Ok(Emulator {
            auth: None,
            target_app_writes: Default::default(),
            fleet,
            changes: Vec::new(),
        })
    }
}
