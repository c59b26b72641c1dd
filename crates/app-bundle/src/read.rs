//! Reading a bundle within limits: every entry a plain file name, nothing unpacked past the
//! uncompressed limit (a ZIP bomb is refused, whatever its headers claim), every layer's file
//! present, matching its name and hash, and fitting its region. Layer files are hashed as
//! they unpack, never held whole, so a bundle read from a file costs little memory.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Seek};

use sha2::Digest;

use crate::error::BundleError;
use crate::hash::hex;
use crate::manifest::Region;
use crate::summary::Manifest;

/// How much a bundle may hold. The defaults fit 1 MiB of user flash with room to spare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The archive's own size.
    pub archive_bytes: u64,
    /// Everything in it, unpacked.
    pub uncompressed_bytes: u64,
    pub entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            archive_bytes: 4 * 1024 * 1024,
            uncompressed_bytes: 40 * 1024 * 1024,
            entries: 64,
        }
    }
}

/// The largest manifest read: it lists a few layers and keys.
const MAX_MANIFEST_BYTES: u64 = 64 * 1024;

/// One layer as found in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerFile {
    /// The file's name: the hex SHA-256 of its contents.
    pub file: String,
    pub size: u64,
    /// (external flash?, start, size) of the region it is written to.
    pub region: (bool, u32, u32),
    /// Whether the region's hash in the manifest matches the layer written into it with the
    /// rest filled with 0xFF (always false for an encrypted layer).
    pub measurement_matches: bool,
}

/// A bundle that reads and checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    pub manifest: Manifest,
    pub layers: Vec<LayerFile>,
    /// Files in the archive that no layer names (kept out of the app).
    pub unreferenced: Vec<String>,
    pub archive_bytes: u64,
}

/// Reads and checks a bundle held in memory.
pub fn read(bytes: &[u8], limits: Limits) -> Result<Bundle, BundleError> {
    read_from(Cursor::new(bytes), bytes.len() as u64, limits)
}

/// What one entry hashed to as it unpacked.
struct Hashed {
    sha256: [u8; 32],
    size: u64,
    /// For a layer's file: its region's hash once filled with 0xFF.
    measurement: Option<[u8; 32]>,
}

/// Reads and checks a bundle of `length` bytes from `archive` (a file, or bytes).
pub fn read_from(
    archive: impl Read + Seek,
    length: u64,
    limits: Limits,
) -> Result<Bundle, BundleError> {
    if length > limits.archive_bytes {
        return Err(BundleError::TooLarge {
            size: length,
            limit: limits.archive_bytes,
        });
    }
    let mut archive =
        zip::ZipArchive::new(archive).map_err(|err| BundleError::NotZip(err.to_string()))?;
    if archive.len() > limits.entries {
        return Err(BundleError::TooManyEntries {
            count: archive.len(),
            limit: limits.entries,
        });
    }
    let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    if let Some(bad) = names.iter().find(|name| !plain_name(name)) {
        return Err(BundleError::BadEntryName(bad.clone()));
    }
    let mut unpacked: u64 = 0;
    let manifest_bytes = {
        let entry = archive
            .by_name("manifest")
            .map_err(|_| BundleError::NoManifest)?;
        let mut bytes = Vec::new();
        entry
            .take(MAX_MANIFEST_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|err| BundleError::BadEntry {
                name: "manifest".to_owned(),
                reason: err.to_string(),
            })?;
        if bytes.len() as u64 > MAX_MANIFEST_BYTES {
            return Err(BundleError::BadManifest(format!(
                "it is over {MAX_MANIFEST_BYTES} bytes"
            )));
        }
        unpacked += bytes.len() as u64;
        bytes
    };
    let manifest = Manifest::decode(&manifest_bytes)?;
    if manifest.body.layers.is_empty() {
        return Err(BundleError::NoLayers);
    }
    let mut regions: BTreeMap<String, u32> = BTreeMap::new();
    for (layer, reference) in manifest.body.layers.iter().enumerate() {
        match reference.target.as_ref().and_then(|t| t.region.as_ref()) {
            Some(Region::InternalFlash(r) | Region::ExternalFlash(r)) => {
                regions.insert(hex(&reference.fetch_hash), r.size);
            }
            None => return Err(BundleError::NoRegion { layer }),
        }
    }
    let mut hashed: BTreeMap<String, Hashed> = BTreeMap::new();
    for name in names.iter().filter(|name| *name != "manifest") {
        let entry = archive
            .by_name(name)
            .map_err(|err| BundleError::NotZip(err.to_string()))?;
        if entry.is_dir() {
            return Err(BundleError::BadEntryName(name.clone()));
        }
        let region = regions.get(name).copied();
        let left = limits.uncompressed_bytes - unpacked;
        let result = hash_entry(entry, left, region).map_err(|err| BundleError::BadEntry {
            name: name.clone(),
            reason: err.to_string(),
        })?;
        let Some(result) = result else {
            return Err(BundleError::Inflates {
                limit: limits.uncompressed_bytes,
            });
        };
        unpacked += result.size;
        hashed.insert(name.clone(), result);
    }
    let mut layers = Vec::with_capacity(manifest.body.layers.len());
    for (layer, reference) in manifest.body.layers.iter().enumerate() {
        let file = hex(&reference.fetch_hash);
        let region = match reference.target.as_ref().and_then(|t| t.region.as_ref()) {
            Some(Region::InternalFlash(r)) => (false, r.start, r.size),
            Some(Region::ExternalFlash(r)) => (true, r.start, r.size),
            None => return Err(BundleError::NoRegion { layer }),
        };
        let found = hashed.get(&file).ok_or_else(|| BundleError::MissingLayer {
            layer,
            file: file.clone(),
        })?;
        let actual = hex(&found.sha256);
        if actual != file {
            return Err(BundleError::LayerHash {
                layer,
                file,
                actual,
            });
        }
        if found.size > u64::from(region.2) {
            return Err(BundleError::LayerTooBig {
                layer,
                size: found.size,
                region: region.2,
            });
        }
        let measurement_matches = reference.encrypted_with_key_id == 0
            && found.measurement.as_ref().map(|m| m.as_slice())
                == Some(reference.measurement_hash.as_slice());
        layers.push(LayerFile {
            file,
            size: found.size,
            region,
            measurement_matches,
        });
    }
    let unreferenced = hashed
        .keys()
        .filter(|name| !layers.iter().any(|layer| &layer.file == *name))
        .cloned()
        .collect();
    Ok(Bundle {
        manifest,
        layers,
        unreferenced,
        archive_bytes: length,
    })
}

/// Hashes an entry as it unpacks, reading at most `left` bytes of it; `None` when it holds
/// more. With a region size, also the region's hash once the rest is filled with 0xFF.
fn hash_entry(
    mut entry: impl Read,
    left: u64,
    region: Option<u32>,
) -> std::io::Result<Option<Hashed>> {
    let (mut fetch, mut region_hash) = (sha2::Sha256::new(), sha2::Sha256::new());
    let mut size: u64 = 0;
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let n = entry.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        if size > left {
            return Ok(None);
        }
        fetch.update(&buffer[..n]);
        region_hash.update(&buffer[..n]);
    }
    let measurement = region.map(|region| {
        fill(&mut region_hash, u64::from(region).saturating_sub(size));
        region_hash.finalize().into()
    });
    Ok(Some(Hashed {
        sha256: fetch.finalize().into(),
        size,
        measurement,
    }))
}

/// Feeds `count` bytes of 0xFF to `hasher`.
fn fill(hasher: &mut sha2::Sha256, count: u64) {
    let block = [0xFFu8; 4096];
    let mut left = count;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        hasher.update(&block[..n]);
        left -= n as u64;
    }
}

/// SHA-256 of a region of `size` bytes holding `contents`, the rest 0xFF.
pub(crate) fn measurement(contents: &[u8], size: u32) -> [u8; 32] {
    let mut hasher = sha2::Sha256::new();
    hasher.update(contents);
    fill(
        &mut hasher,
        u64::from(size).saturating_sub(contents.len() as u64),
    );
    hasher.finalize().into()
}

/// A file name with no folder, no `..`, no drive and nothing a path could turn into one.
fn plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', ':', '\0'])
}
