//! The Microvisor API at `/v1`: answered by the built-in emulator, or forwarded to the real API
//! by the proxy; and the server's own client of it, whichever answers.

pub mod client;
pub mod emulator;
pub mod proxy;
pub mod scheme;
