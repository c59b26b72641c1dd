//! What a cold load downloads: the built console's files, raw and as the `.gz`/`.br` copies
//! that `cargo xtask` builds write and console-server sends.

use std::path::Path;

pub struct BundleFile {
    pub name: String,
    pub raw: u64,
    pub gzip: u64,
    pub brotli: u64,
}

/// The files a first visit loads (HTML, JS, wasm, CSS), smallest name first.
pub fn measure(dist: &Path) -> Result<Vec<BundleFile>, String> {
    let entries = std::fs::read_dir(dist).map_err(|err| format!("{}: {err}", dist.display()))?;
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(ext) = path.extension().and_then(|ext| ext.to_str()) else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        if !["html", "js", "wasm", "css"].contains(&ext) || name == "404.html" {
            continue;
        }
        let size = |suffix: &str| -> Result<u64, String> {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            std::fs::metadata(&file)
                .map(|meta| meta.len())
                .map_err(|err| {
                    format!(
                        "{}{suffix}: {err} (build with `cargo xtask bench`, which compresses)",
                        path.display()
                    )
                })
        };
        files.push(BundleFile {
            raw: size("")?,
            gzip: size(".gz")?,
            brotli: size(".br")?,
            name,
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// A page of 1,000 devices from the API, as sent: (raw, gzip, zstd) bytes on the wire.
pub async fn api_page(base_url: &str) -> Result<(u64, u64, u64), String> {
    let client = reqwest::Client::new();
    let url = format!("{base_url}/v1/Devices?PageSize=1000");
    let mut sizes = [0_u64; 3];
    for (slot, encoding) in sizes.iter_mut().zip(["identity", "gzip", "zstd"]) {
        let response = client
            .get(&url)
            .header("Accept-Encoding", encoding)
            .send()
            .await
            .map_err(|err| format!("{url}: {err}"))?;
        let sent = response
            .headers()
            .get("content-encoding")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("identity")
            .to_owned();
        if sent != encoding {
            return Err(format!("{url}: asked for {encoding}, got {sent}"));
        }
        *slot = response
            .bytes()
            .await
            .map_err(|err| format!("{url}: {err}"))?
            .len() as u64;
    }
    Ok((sizes[0], sizes[1], sizes[2]))
}
