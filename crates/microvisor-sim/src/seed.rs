//! A plausible seeded fleet: named devices at several sites, app builds in a few families,
//! a mix of update statuses and logging states, and some configs and secrets. The same seed
//! gives the same fleet.

use app_bundle::{BuildOptions, build_unsigned_manifest, hex, sha256};
use base64::Engine as _;
use microvisor_api::{Sid, SidKind};

use crate::fleet::{AppRecord, ConfigRecord, DeviceRecord, Fleet, Lifecycle, SecretRecord};
use crate::rng::Rng;

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub devices: usize,
    pub apps: usize,
    pub seed: u64,
    pub lifecycle: Lifecycle,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            devices: 250,
            apps: 8,
            seed: 1,
            lifecycle: Lifecycle {
                update_delay_ms: 5_000,
                update_failure_rate: 0.05,
            },
        }
    }
}

const SITES: &[&str] = &[
    "berlin", "austin", "osaka", "lagos", "lima", "oslo", "pune", "perth", "quito", "turin",
];
const KINDS: &[&str] = &["pump", "meter", "gateway", "sensor", "valve", "tracker"];
const APP_FAMILIES: &[&str] = &[
    "pump-controller",
    "meter-reader",
    "gateway-core",
    "sensor-hub",
    "valve-driver",
    "tracker-gps",
];
const CONFIG_KEYS: &[(&str, &str)] = &[
    ("broker_host", "mqtts://broker.example.net:8883"),
    ("report_interval_s", "300"),
    ("region", "eu-central"),
    ("log_level", "info"),
];
const SECRET_KEYS: &[&str] = &["api_key", "broker_password", "wifi_psk"];

/// Fleet dates are spread over the year before this instant (2026-01-01T00:00:00Z), so a seed
/// gives the same creation dates on every run.
const EPOCH_MS: i64 = 1_767_225_600_000;
const DAY_MS: i64 = 86_400_000;
const YEAR_MS: i64 = 365 * DAY_MS;

fn seeded_app(rng: &mut Rng, index: usize) -> AppRecord {
    let family = APP_FAMILIES[index % APP_FAMILIES.len()];
    let generation = index / APP_FAMILIES.len();
    let version = format!("{}.{}.{}", 1 + generation, rng.below(10), rng.below(20));
    // A real manifest (unsigned, one layer of user flash) for an image the seed stands for:
    // its hashes drawn from the seed, so every app's page reads as an uploaded one's does.
    let mut image_hash = [0u8; 32];
    for chunk in image_hash.chunks_mut(8) {
        chunk.copy_from_slice(&rng.next_u64().to_be_bytes());
    }
    let options = BuildOptions {
        minimum_kernel_version: if generation > 0 {
            10 + generation as u32
        } else {
            0
        },
        ..BuildOptions::default()
    };
    let manifest = build_unsigned_manifest(image_hash, sha256(&image_hash), &options);
    AppRecord {
        sid: Sid::from_bits(SidKind::App, rng.next_u128()),
        unique_name: Some(format!("{family}-{version}")),
        hash: format!("sha256:{}", hex(&sha256(&manifest))),
        manifest: base64::engine::general_purpose::STANDARD.encode(&manifest),
        date_created: EPOCH_MS - YEAR_MS + (index as i64) * 20 * DAY_MS,
    }
}

impl Fleet {
    /// Builds the seeded fleet. `now_ms` only sets how far logging windows reach.
    pub fn seeded(config: &SimConfig, now_ms: i64) -> Fleet {
        let mut rng = Rng::new(config.seed);
        let mut fleet = Fleet::new(
            Sid::from_bits(SidKind::Account, rng.next_u128()),
            config.lifecycle,
        );
        for index in 0..config.apps {
            let app = seeded_app(&mut rng, index);
            fleet.push_app(app);
        }
        for (key, value) in CONFIG_KEYS.iter().take(2) {
            fleet.account_configs.push(ConfigRecord {
                key: (*key).to_owned(),
                value: (*value).to_owned(),
                date_updated: EPOCH_MS - 30 * DAY_MS,
            });
        }
        fleet.account_secrets.push(SecretRecord {
            key: "fleet_api_key".to_owned(),
            value: format!("{:032x}", rng.next_u128()),
            date_rotated: EPOCH_MS - 60 * DAY_MS,
        });
        let app_sids: Vec<Sid> = fleet.apps.iter().map(|app| app.sid.clone()).collect();
        for n in 0..config.devices {
            let device = seeded_device(&mut rng, n, config.devices, &app_sids, now_ms);
            fleet.push_device(device);
        }
        fleet
    }
}

fn seeded_device(rng: &mut Rng, n: usize, total: usize, apps: &[Sid], now_ms: i64) -> DeviceRecord {
    let sid = Sid::from_bits(SidKind::Device, rng.next_u128());
    let unique_name =
        (!rng.chance(8)).then(|| format!("{}-{}-{:04}", rng.pick(SITES), rng.pick(KINDS), n + 1));
    let date_created = EPOCH_MS - YEAR_MS + (n as i64 * YEAR_MS) / (total.max(1) as i64);
    let targeted_after = rng.below(90) as i64 * DAY_MS + rng.below(DAY_MS as u64) as i64;
    let target = (!apps.is_empty()).then(|| rng.pick(apps).clone());
    let previous = (!apps.is_empty()).then(|| rng.pick(apps).clone());
    let roll = rng.below(100);
    let (target_sid, online, standing_error) = match roll {
        0..=4 => (None, true, None),
        5..=16 => (target, false, None),
        17..=22 => (target, true, Some(1 + rng.below(4) as i64)),
        _ => (target, true, None),
    };
    let date_targeted = target_sid.as_ref().map(|_| date_created + targeted_after);
    let logging_expires = rng
        .chance(20)
        .then(|| now_ms + 600_000 + rng.below(23 * 3_600_000) as i64);
    let mut configs = Vec::new();
    let mut secrets = Vec::new();
    if rng.chance(15) {
        for (key, value) in CONFIG_KEYS.iter().skip(2) {
            configs.push(ConfigRecord {
                key: (*key).to_owned(),
                value: (*value).to_owned(),
                date_updated: date_created + DAY_MS,
            });
        }
        let key = rng.pick(SECRET_KEYS);
        secrets.push(SecretRecord {
            key: (*key).to_owned(),
            value: format!("{:032x}", rng.next_u128()),
            date_rotated: date_created + DAY_MS,
        });
    }
    DeviceRecord {
        sid,
        unique_name,
        previous_reported: previous,
        target_sid,
        date_targeted,
        restarting: false,
        standing_error,
        online,
        logging_expires,
        date_created,
        date_updated: date_targeted
            .unwrap_or(date_created)
            .max(date_created + DAY_MS),
        configs,
        secrets,
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;

    #[test]
    fn seeded_apps_carry_real_manifests_whose_hash_they_show() {
        let fleet = Fleet::seeded(&SimConfig::default(), 0);
        assert!(!fleet.apps.is_empty());
        for app in &fleet.apps {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&app.manifest)
                .unwrap();
            let manifest = app_bundle::Manifest::decode(&bytes).unwrap();
            assert_eq!(manifest.hash, app.hash);
            assert_eq!(manifest.signer, app_bundle::Signer::Unsigned);
            assert_eq!(manifest.body.layers.len(), 1);
        }
        // The same seed, the same apps.
        let again = Fleet::seeded(&SimConfig::default(), 0);
        assert_eq!(
            fleet.apps.iter().map(|a| &a.hash).collect::<Vec<_>>(),
            again.apps.iter().map(|a| &a.hash).collect::<Vec<_>>()
        );
    }
}
