//! A manifest decoded: its hash as the API shows it, who signed it, and what it says of the
//! app, with the warnings an operator should see before rolling it out.

use prost::Message;

use crate::error::BundleError;
use crate::hash::{hex, sha256};
use crate::manifest::{AppBody, OpaqueManifest, Region};

/// Who signed a manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    Unsigned,
    /// Signed by the key whose id this is (the first 8 bytes of a hash of its public key).
    Signed {
        signer_id: u64,
    },
}

impl Signer {
    /// `unsigned`, or the signer's id in hex, as the audit log and the console show it.
    pub fn describe(self) -> String {
        match self {
            Signer::Unsigned => "unsigned".to_owned(),
            Signer::Signed { signer_id } => format!("{signer_id:016x}"),
        }
    }
}

/// Something in a manifest an operator should see before rolling the app out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    Unsigned,
    Debuggable,
    /// The app needs this kernel version or newer; the API does not say which devices have it.
    NeedsKernel(u32),
    /// A layer is encrypted: the console cannot look inside it.
    Encrypted {
        layer: usize,
    },
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::Unsigned => f.write_str(
                "Unsigned: nothing shows who built this app. Devices accept it, but a signed bundle proves its origin.",
            ),
            Warning::Debuggable => f.write_str(
                "Remotely debuggable: anyone with the debug key can attach a debugger to devices running it.",
            ),
            Warning::NeedsKernel(version) => write!(
                f,
                "Needs Microvisor kernel {version} or newer. The API does not report devices' kernel versions: a device with an older kernel will not take this app (its update ends in error)."
            ),
            Warning::Encrypted { layer } => write!(
                f,
                "Layer {} is encrypted: its contents cannot be checked here.",
                layer + 1
            ),
        }
    }
}

/// A manifest as read: its bytes, its hash, its signer and its body.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub bytes: Vec<u8>,
    /// What the API's App `hash` holds: `sha256:` and the hex of the manifest's SHA-256.
    pub hash: String,
    pub signer: Signer,
    pub opaque: OpaqueManifest,
    pub body: AppBody,
}

impl Manifest {
    /// Decodes a `manifest` file (or the API's `encoded_bytes`, once base64-decoded).
    pub fn decode(bytes: &[u8]) -> Result<Manifest, BundleError> {
        let bad = |err: prost::DecodeError| BundleError::BadManifest(err.to_string());
        let opaque = OpaqueManifest::decode(bytes).map_err(bad)?;
        let body = AppBody::decode(opaque.body.as_slice()).map_err(bad)?;
        let signer = match (opaque.signer_id, opaque.signature.len()) {
            (0, 0) => Signer::Unsigned,
            (0, _) => {
                return Err(BundleError::BadManifest(
                    "it carries a signature but names no signer".to_owned(),
                ));
            }
            (signer_id, 64) => Signer::Signed { signer_id },
            (_, length) => {
                return Err(BundleError::BadManifest(format!(
                    "its signature is {length} bytes, not 64"
                )));
            }
        };
        Ok(Manifest {
            hash: format!("sha256:{}", hex(&sha256(bytes))),
            bytes: bytes.to_vec(),
            signer,
            opaque,
            body,
        })
    }

    pub fn debuggable(&self) -> bool {
        self.body.debug.as_ref().is_some_and(|d| d.debuggable)
    }

    /// The oldest kernel the app runs on; 0 for any.
    pub fn minimum_kernel_version(&self) -> u32 {
        self.body
            .update
            .as_ref()
            .map_or(0, |u| u.minimum_kernel_version)
    }

    /// (connection grace time, minimum check-in time), in seconds.
    pub fn connectivity(&self) -> (u32, u32) {
        self.body.connectivity.as_ref().map_or((0, 0), |c| {
            (c.connection_grace_time_sec, c.minimum_check_in_time_sec)
        })
    }

    /// (minimum, maximum) time a crashed app waits before it restarts, in milliseconds.
    pub fn crash_restart_ms(&self) -> (u32, u32) {
        self.body
            .crash
            .as_ref()
            .map_or((0, 0), |c| (c.minimum_restart_ms, c.maximum_restart_ms))
    }

    /// Each layer's region: (external flash?, start, size), when it names one.
    pub fn regions(&self) -> Vec<Option<(bool, u32, u32)>> {
        self.body
            .layers
            .iter()
            .map(|layer| match layer.target.as_ref()?.region.as_ref()? {
                Region::InternalFlash(r) => Some((false, r.start, r.size)),
                Region::ExternalFlash(r) => Some((true, r.start, r.size)),
            })
            .collect()
    }

    /// What an operator should see before rolling the app out.
    pub fn warnings(&self) -> Vec<Warning> {
        let mut warnings = Vec::new();
        if self.signer == Signer::Unsigned {
            warnings.push(Warning::Unsigned);
        }
        if self.debuggable() {
            warnings.push(Warning::Debuggable);
        }
        if self.minimum_kernel_version() > 0 {
            warnings.push(Warning::NeedsKernel(self.minimum_kernel_version()));
        }
        for (layer, reference) in self.body.layers.iter().enumerate() {
            if reference.encrypted_with_key_id != 0 {
                warnings.push(Warning::Encrypted { layer });
            }
        }
        warnings
    }
}
