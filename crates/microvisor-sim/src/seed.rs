//! A plausible seeded fleet: named devices at several sites, a handful of app builds, and a
//! mix of update statuses and logging states. The same seed gives the same fleet.

use microvisor_api::{Sid, SidKind};

use crate::fleet::{AppRecord, DeviceRecord, Fleet};
use crate::rng::Rng;

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub devices: usize,
    pub seed: u64,
    /// Seconds from `TargetApp` until an online device reports the new app.
    pub install_delay_secs: i64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            devices: 250,
            seed: 1,
            install_delay_secs: 6,
        }
    }
}

const SITES: &[&str] = &[
    "berlin", "austin", "osaka", "lagos", "lima", "oslo", "pune", "perth", "quito", "turin",
];
const KINDS: &[&str] = &["pump", "meter", "gateway", "sensor", "valve", "tracker"];
const APP_NAMES: &[&str] = &[
    "pump-controller-1.4.2",
    "pump-controller-1.5.0",
    "meter-reader-2.0.1",
    "gateway-core-3.2.0",
    "sensor-hub-0.9.7",
    "broken-build-0.0.1",
];
/// Fleet dates are spread over the year before this instant (2026-01-01T00:00:00Z), so a seed
/// gives the same creation dates on every run.
const EPOCH: i64 = 1_767_225_600;
const YEAR: i64 = 365 * 86_400;

impl Fleet {
    /// Builds the seeded fleet. `now` only sets how far logging windows reach.
    pub fn seeded(config: &SimConfig, now: i64) -> Fleet {
        let mut rng = Rng::new(config.seed);
        let mut fleet = Fleet::new(
            Sid::from_bits(SidKind::Account, rng.next_u128()),
            config.install_delay_secs,
        );
        for (i, name) in APP_NAMES.iter().enumerate() {
            let hash: String = (0..4).map(|_| format!("{:016x}", rng.next_u64())).collect();
            fleet.push_app(AppRecord {
                sid: Sid::from_bits(SidKind::App, rng.next_u128()),
                unique_name: Some((*name).to_owned()),
                hash: format!("sha256:{hash}"),
                date_created: EPOCH - YEAR + (i as i64) * 30 * 86_400,
                fails_with: name.starts_with("broken").then_some(3),
            });
        }
        let healthy_apps = fleet.apps.len() - 1;
        for n in 0..config.devices {
            let sid = Sid::from_bits(SidKind::Device, rng.next_u128());
            let unique_name = (!rng.chance(8))
                .then(|| format!("{}-{}-{:04}", rng.pick(SITES), rng.pick(KINDS), n + 1));
            let date_created = EPOCH - YEAR + (n as i64 * YEAR) / (config.devices.max(1) as i64);
            let targeted_after = rng.below(90 * 86_400) as i64;
            let target = fleet.apps[rng.below(healthy_apps as u64) as usize]
                .sid
                .clone();
            let previous = fleet.apps[rng.below(healthy_apps as u64) as usize]
                .sid
                .clone();
            let roll = rng.below(100);
            let (target_sid, online, standing_error) = match roll {
                0..=4 => (None, true, None),
                5..=16 => (Some(target), false, None),
                17..=24 => (Some(target), true, Some(1 + rng.below(4) as i64)),
                _ => (Some(target), true, None),
            };
            let date_targeted = target_sid.as_ref().map(|_| date_created + targeted_after);
            let logging_expires = rng
                .chance(20)
                .then(|| now + 600 + rng.below(23 * 3600) as i64);
            fleet.push_device(DeviceRecord {
                sid,
                unique_name,
                previous_reported: Some(previous),
                target_sid,
                date_targeted,
                standing_error,
                online,
                logging_expires,
                date_created,
                date_updated: date_targeted.unwrap_or(date_created),
            });
        }
        fleet
    }
}
