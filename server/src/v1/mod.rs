//! The Microvisor API at `/v1`: answered by the built-in emulator, or forwarded to the real API
//! by the proxy; app uploads for both (`uploads`); and the server's own client of it,
//! whichever answers.

pub mod client;
pub mod emulator;
pub mod proxy;
pub mod scheme;
pub mod uploads;
