//! Test support shared by the project's suites: where the vendor's OpenAPI spec is, how a
//! test that cannot run says so (so that `cargo xtask test` counts it as skipped, never as
//! passed), a private PostgreSQL server for a test, and a webhook receiver.

pub mod postgres;
pub mod webhooks;

use std::io::Write;
use std::path::PathBuf;

/// The file `cargo xtask test` collects skips from (see `xtask/src/tally.rs`).
const SKIPS_FILE_ENV: &str = "XTASK_SKIPS_FILE";

/// Records that `test` did not run, and why: in the file `cargo xtask test` reads, and on
/// stderr for a person running `cargo test` by hand.
pub fn skip(test: &str, reason: &str) {
    let _ = writeln!(std::io::stderr(), "{test}: SKIPPED, {reason}");
    if let Some(path) = std::env::var_os(SKIPS_FILE_ENV)
        && let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
    {
        let _ = writeln!(file, "{test}\t{reason}");
    }
}

/// Where the vendor's spec is: `MICROVISOR_SPEC`, else the copy in the repository's `spec/`.
pub fn spec_path() -> PathBuf {
    std::env::var_os("MICROVISOR_SPEC").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/twilio_microvisor_v1.json"),
        PathBuf::from,
    )
}

/// The vendor's spec, or `None` after recording `test` as skipped because it is absent.
pub fn spec_or_skip(test: &str) -> Option<serde_json::Value> {
    let path = spec_path();
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("the vendor's spec is JSON")),
        Err(err) => {
            skip(
                test,
                &format!("the spec file is absent at {} ({err})", path.display()),
            );
            None
        }
    }
}
