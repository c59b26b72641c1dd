//! A plausible seeded fleet: named devices at several sites, app builds in a few families,
//! a mix of update statuses and logging states, and some configs and secrets. The same seed
//! gives the same fleet.

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

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn seeded_app(rng: &mut Rng, index: usize) -> AppRecord {
    let family = APP_FAMILIES[index % APP_FAMILIES.len()];
    let generation = index / APP_FAMILIES.len();
    let version = format!("{}.{}.{}", 1 + generation, rng.below(10), rng.below(20));
    let hash: String = (0..4).map(|_| format!("{:016x}", rng.next_u64())).collect();
    let manifest: Vec<u8> =
        format!("{{\"app\":\"{family}\",\"version\":\"{version}\",\"sha256\":\"{hash}\"}}")
            .into_bytes();
    AppRecord {
        sid: Sid::from_bits(SidKind::App, rng.next_u128()),
        unique_name: Some(format!("{family}-{version}")),
        hash: format!("sha256:{hash}"),
        manifest: base64(&manifest),
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
    use super::base64;

    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xff, 0xfe]), "//4=");
    }
}
