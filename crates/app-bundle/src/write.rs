//! Writing a bundle from a flash image, as the vendor's bundler does: one layer at internal
//! flash start 0 in the 1 MiB user flash, named by its hash, beside the manifest; deflated.

use std::io::{Cursor, Write};

use prost::Message;

use crate::error::BundleError;
use crate::hash::{hex, sha256};
use crate::manifest::{
    AppBody, AppLayerReference, AppLayerRegion, ConnectivityPolicy, CrashPolicy, DebugPolicy,
    FlashRegion, OpaqueManifest, Region, UpdatePolicy,
};
use crate::read::measurement;

/// The user flash an app's image goes into.
pub const USER_FLASH_BYTES: u32 = 0x10_0000;

/// What the manifest says of the app, beyond its layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOptions {
    pub debuggable: bool,
    pub minimum_kernel_version: u32,
    pub maximum_politeness_time_sec: u32,
    pub connection_grace_time_sec: u32,
    pub minimum_check_in_time_sec: u32,
    pub minimum_restart_ms: u32,
    pub maximum_restart_ms: u32,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            debuggable: false,
            minimum_kernel_version: 0,
            maximum_politeness_time_sec: 0,
            connection_grace_time_sec: 600,
            minimum_check_in_time_sec: 3600,
            minimum_restart_ms: 1000,
            maximum_restart_ms: 60_000,
        }
    }
}

/// The body for one layer with these hashes.
fn body(fetch_hash: [u8; 32], measurement_hash: [u8; 32], options: &BuildOptions) -> AppBody {
    AppBody {
        layers: vec![AppLayerReference {
            target: Some(AppLayerRegion {
                region: Some(Region::InternalFlash(FlashRegion {
                    start: 0,
                    size: USER_FLASH_BYTES,
                })),
            }),
            encrypted_with_key_id: 0,
            fetch_hash: fetch_hash.to_vec(),
            measurement_hash: measurement_hash.to_vec(),
        }],
        debug: Some(DebugPolicy {
            debuggable: options.debuggable,
            debug_auth_pubkey: Vec::new(),
        }),
        crash: Some(CrashPolicy {
            minimum_restart_ms: options.minimum_restart_ms,
            maximum_restart_ms: options.maximum_restart_ms,
            crash_report_pubkey: Vec::new(),
            include_stack_bytes: 0,
        }),
        update: Some(UpdatePolicy {
            maximum_politeness_time_sec: options.maximum_politeness_time_sec,
            minimum_kernel_version: options.minimum_kernel_version,
        }),
        connectivity: Some(ConnectivityPolicy {
            connection_grace_time_sec: options.connection_grace_time_sec,
            minimum_check_in_time_sec: options.minimum_check_in_time_sec,
        }),
    }
}

/// An unsigned manifest for a layer with these hashes, without the layer's file: what the
/// emulator gives the apps of a seeded fleet.
pub fn build_unsigned_manifest(
    fetch_hash: [u8; 32],
    measurement_hash: [u8; 32],
    options: &BuildOptions,
) -> Vec<u8> {
    OpaqueManifest {
        signer_id: 0,
        body: body(fetch_hash, measurement_hash, options).encode_to_vec(),
        signature: Vec::new(),
    }
    .encode_to_vec()
}

/// An unsigned bundle of `image`.
pub fn build(image: &[u8], options: &BuildOptions) -> Result<Vec<u8>, BundleError> {
    build_signed_by(image, options, |_| (0, Vec::new()))
}

/// A bundle of `image`, its body signed by `sign` (which gives the signer's id and `r ‖ s`
/// over `SIGNATURE_PREFIX` and the body).
pub(crate) fn build_signed_by(
    image: &[u8],
    options: &BuildOptions,
    sign: impl FnOnce(&[u8]) -> (u64, Vec<u8>),
) -> Result<Vec<u8>, BundleError> {
    if image.is_empty() {
        return Err(BundleError::EmptyImage);
    }
    if image.len() > USER_FLASH_BYTES as usize {
        return Err(BundleError::ImageTooBig {
            size: image.len(),
            limit: USER_FLASH_BYTES as usize,
        });
    }
    let fetch_hash = sha256(image);
    let body = body(fetch_hash, measurement(image, USER_FLASH_BYTES), options).encode_to_vec();
    let (signer_id, signature) = sign(&body);
    let manifest = OpaqueManifest {
        signer_id,
        body,
        signature,
    }
    .encode_to_vec();
    let failed = |err: &dyn std::fmt::Display| BundleError::Write(err.to_string());
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, contents) in [
        ("manifest".to_owned(), manifest.as_slice()),
        (hex(&fetch_hash), image),
    ] {
        zip.start_file(name, deflated).map_err(|e| failed(&e))?;
        zip.write_all(contents).map_err(|e| failed(&e))?;
    }
    Ok(zip.finish().map_err(|e| failed(&e))?.into_inner())
}
