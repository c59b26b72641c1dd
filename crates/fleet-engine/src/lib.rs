//! Pure engines shared by console-server and the console in the page: which devices a saved
//! view's filter selects, how a staged rollout proceeds, and what the fleet index keeps of a
//! device and sees change. No I/O and no clock: callers pass
//! the time and do the requests, so the same code runs natively (durable, on the server) and on
//! wasm32 (the static demo), and is tested on the host.

pub mod alerts;
pub mod apps;
pub mod filter;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod index;
pub mod rollout;

pub use apps::AppNames;
pub use filter::DeviceFilter;
