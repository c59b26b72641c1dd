//! Why a bundle was refused, and the bytes a signature covers.

/// The bytes a signature is made over come after this prefix.
pub const SIGNATURE_PREFIX: &[u8] = b"twlo-mv-manifest-v1\0";

/// Why a bundle was refused, said for the person who chose the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("The file is {size} bytes; a bundle may be at most {limit} bytes.")]
    TooLarge { size: u64, limit: u64 },
    #[error("The file is not a ZIP archive ({0}). A bundle is the .zip the bundler writes.")]
    NotZip(String),
    #[error(
        "The archive holds {count} files; a bundle holds a manifest and a few layers (at most {limit})."
    )]
    TooManyEntries { count: usize, limit: usize },
    #[error("The archive holds an entry named '{0}': a bundle's entries are plain file names.")]
    BadEntryName(String),
    #[error(
        "The archive unpacks to more than {limit} bytes: refused (a bundle is about the size of its flash image)."
    )]
    Inflates { limit: u64 },
    #[error("The archive's entry '{name}' cannot be read: {reason}")]
    BadEntry { name: String, reason: String },
    #[error("The archive has no 'manifest' file: it is not an app bundle.")]
    NoManifest,
    #[error("The manifest cannot be read: {0}")]
    BadManifest(String),
    #[error("The manifest names no layers: the bundle has no app in it.")]
    NoLayers,
    #[error("Layer {layer} names no flash region.")]
    NoRegion { layer: usize },
    #[error("Layer {layer}'s file {file} is not in the archive.")]
    MissingLayer { layer: usize, file: String },
    #[error(
        "Layer {layer}'s file does not match its hash: the archive says {file}, its contents hash to {actual}."
    )]
    LayerHash {
        layer: usize,
        file: String,
        actual: String,
    },
    #[error("Layer {layer} is {size} bytes but its flash region holds {region} bytes.")]
    LayerTooBig {
        layer: usize,
        size: u64,
        region: u32,
    },
    #[error("The signature is not valid: {0}")]
    BadSignature(String),
    #[error(
        "The bundle is signed by signer {found:016x}, not by the key this server checks ({expected:016x})."
    )]
    OtherSigner { found: u64, expected: u64 },
    #[error(
        "The bundle is not signed, and this server accepts only bundles signed by {expected:016x}."
    )]
    Unsigned { expected: u64 },
    #[error("The flash image is {size} bytes; the user flash holds {limit} bytes.")]
    ImageTooBig { size: usize, limit: usize },
    #[error("The flash image is empty.")]
    EmptyImage,
    #[error("The bundle could not be written: {0}")]
    Write(String),
    #[error("The key cannot be used: {0}")]
    BadKey(String),
}
