//! The servers a measure runs against, started as real processes.

use console_e2e::harness::{Group, start_server, start_server_with_env};

pub const ACCOUNT_SID: &str = "ACbe0c0000000000000000000000000000";
pub const AUTH_TOKEN: &str = "bench-token";

/// An emulator of `devices`, and console-server `--upstream` in front of it: both processes
/// (stopped when dropped) and their URLs.
pub async fn emulator_and_proxy(devices: usize) -> ([Group; 2], String, String) {
    let (emulator, emulator_url) = start_server(&["--devices", &devices.to_string()]).await;
    let (proxy, proxy_url) = start_server_with_env(
        &["--upstream", &emulator_url],
        &[
            ("TWILIO_ACCOUNT_SID", ACCOUNT_SID),
            ("TWILIO_AUTH_TOKEN", AUTH_TOKEN),
        ],
    )
    .await;
    ([emulator, proxy], emulator_url, proxy_url)
}

/// Resident memory of a process, from `/proc`.
pub fn rss_of(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}
