//! Pre-compressed copies of the built console (`.br`, `.gz`), which console-server sends to
//! browsers that accept them: brotli at its best setting costs seconds, so it is done once
//! at build time rather than per request.

use std::io::Write;
use std::path::Path;

use crate::shell::Failure;

const COMPRESSIBLE: &[&str] = &["wasm", "js", "css", "html", "json", "svg"];

/// Writes `NAME.br` and `NAME.gz` beside every compressible file in `dir` and its folders.
pub fn precompress(dir: &Path) -> Result<(), Failure> {
    let entries =
        std::fs::read_dir(dir).map_err(|err| Failure(format!("{}: {err}", dir.display())))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let compressible = path
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| COMPRESSIBLE.contains(&ext));
        if path.is_dir() {
            precompress(&path)?;
            continue;
        }
        if !compressible || !path.is_file() {
            continue;
        }
        let data =
            std::fs::read(&path).map_err(|err| Failure(format!("{}: {err}", path.display())))?;
        let write = |suffix: &str, bytes: Vec<u8>| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            std::fs::write(&name, bytes)
                .map_err(|err| Failure(format!("{}: {err}", Path::new(&name).display())))
        };
        write(".br", brotli_bytes(&data))?;
        write(".gz", gzip_bytes(&data))?;
    }
    Ok(())
}

pub fn brotli_bytes(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    // Writing to a Vec cannot fail.
    let _ = brotli::BrotliCompress(&mut &data[..], &mut out, &params);
    out
}

pub fn gzip_bytes(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}
