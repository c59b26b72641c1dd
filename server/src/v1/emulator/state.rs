//! The emulator's state as the server holds it: the emulator core behind a lock, its state
//! file when `--state` names one, and the faults injected in front of it.

use std::net::SocketAddr;
use std::path::PathBuf;

use microvisor_sim::{Auth, Emulator, SimConfig};
use tokio::sync::Mutex;

use super::faults::Faults;
use super::state_file::StateFile;
use crate::clock::unix_now_ms;
use crate::v1::uploads::UploadPolicy;

/// What the command line asks of the emulator (`cli::Options::emulator`).
pub struct Settings {
    pub config: SimConfig,
    /// Credentials every request must carry, as the real service asks.
    pub auth: Option<Auth>,
    /// Where its state is kept (`--state`); in memory without.
    pub state: Option<PathBuf>,
    pub fault_rate: f64,
    pub latency_ms: u64,
    pub listen: SocketAddr,
    pub uploads: UploadPolicy,
}

/// What `/v1` in emulator mode, and the server's own client of it, share.
pub struct AppState {
    pub backend: Mutex<Backend>,
    pub faults: Faults,
    /// Used in absolute URLs when a request carries no usable Host header.
    pub listen: SocketAddr,
    pub uploads: UploadPolicy,
}

impl AppState {
    /// The emulator the settings describe, with its faults.
    pub fn open(settings: Settings) -> Result<AppState, String> {
        let faults = Faults::new(
            settings.fault_rate,
            settings.latency_ms,
            settings.config.seed ^ unix_now_ms() as u64,
        );
        let (listen, uploads) = (settings.listen, settings.uploads.clone());
        Ok(AppState {
            backend: Mutex::new(open_backend(settings)?),
            faults,
            listen,
            uploads,
        })
    }
}

/// The emulator and, with `--state`, where its changes go.
pub struct Backend {
    pub emulator: Emulator,
    pub store: Option<StateFile>,
}

/// The emulator: restored from `--state` when that file holds one, else seeded (and, with
/// `--state`, saved whole).
fn open_backend(settings: Settings) -> Result<Backend, String> {
    let Settings {
        config,
        auth,
        state,
        ..
    } = settings;
    let Some(path) = &state else {
        let mut emulator = Emulator::new(&config, unix_now_ms());
        emulator.set_auth(auth);
        return Ok(Backend {
            emulator,
            store: None,
        });
    };
    let cannot = |err: rusqlite::Error| format!("state file {}: {err}", path.display());
    let mut store = StateFile::open(path).map_err(cannot)?;
    let records = store.load().map_err(cannot)?;
    let mut emulator = if records.is_empty() {
        let emulator = Emulator::new(&config, unix_now_ms());
        store.write(&emulator.export()).map_err(cannot)?;
        tracing::info!(path = %path.display(), "seeded a new state file");
        emulator
    } else {
        tracing::info!(
            path = %path.display(),
            records = records.len(),
            "restored state; --devices, --apps and --seed do not apply"
        );
        Emulator::import(config.lifecycle, &records)?
    };
    emulator.set_auth(auth);
    Ok(Backend {
        emulator,
        store: Some(store),
    })
}
