//! Microvisor app bundles: read one from bytes within limits and check it (every layer against
//! its name, hash and flash region), say what its manifest says and who signed it, and write one
//! from a flash image. Pure: no I/O, no clock; compiled for the server, the page and the tests.
//! Checking a signature against a key, and signing, are the `keys` feature (native only: the
//! page has no key to check against).
//!
//! The format (a ZIP of a protobuf `manifest` and hash-named layer files, optionally ECDSA
//! P-256 signed) follows the vendor's public bundler; `manifest` has the messages.

mod error;
mod hash;
#[cfg(feature = "keys")]
pub mod keys;
pub mod manifest;
mod read;
mod summary;
mod write;

pub use error::{BundleError, SIGNATURE_PREFIX};
pub use hash::{hex, sha256};
pub use read::{Bundle, LayerFile, Limits, read, read_from};
pub use summary::{Manifest, Signer, Warning};
pub use write::{BuildOptions, USER_FLASH_BYTES, build, build_unsigned_manifest};
