//! What a cold load downloads: the built console's files, raw and as the `.gz`/`.br` copies
//! that `cargo xtask` builds write and console-server sends.

use std::path::Path;

pub struct BundleFile {
    pub name: String,
    pub raw: u64,
    pub gzip: u64,
    pub brotli: u64,
}

/// The files a first visit loads (HTML, JS, wasm, CSS), smallest name first: the page, its
/// stylesheet, and in the build's `pkg-*` folder the glue, the split loader and the main wasm.
pub fn measure(dist: &Path) -> Result<Vec<BundleFile>, String> {
    Ok(files(dist)?
        .into_iter()
        .filter(|file| !is_lazy(&file.name))
        .collect())
}

/// The wasm modules cut out at lazy routes, loaded on a page's first visit, largest first.
pub fn lazy(dist: &Path) -> Result<Vec<BundleFile>, String> {
    let mut lazy: Vec<BundleFile> = files(dist)?
        .into_iter()
        .filter(|file| is_lazy(&file.name))
        .collect();
    lazy.sort_by_key(|file| std::cmp::Reverse(file.brotli));
    Ok(lazy)
}

/// wasm-split names a page's module `split_*` and code shared by pages `chunk_*`; the main
/// module is wasm-bindgen's `*_bg.wasm`.
fn is_lazy(name: &str) -> bool {
    name.ends_with(".wasm") && !name.ends_with("_bg.wasm")
}

fn files(dist: &Path) -> Result<Vec<BundleFile>, String> {
    let mut files = Vec::new();
    for (dir, prefix) in folders(dist)? {
        for entry in std::fs::read_dir(&dir)
            .map_err(|err| format!("{}: {err}", dir.display()))?
            .flatten()
        {
            let path = entry.path();
            let Some(ext) = path.extension().and_then(|ext| ext.to_str()) else {
                continue;
            };
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
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
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// The site's folder and its `pkg-*` folder, with the prefix their files are named by.
fn folders(dist: &Path) -> Result<Vec<(std::path::PathBuf, String)>, String> {
    let mut folders = vec![(dist.to_path_buf(), String::new())];
    for entry in std::fs::read_dir(dist)
        .map_err(|err| format!("{}: {err}", dist.display()))?
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() && name.starts_with("pkg-") {
            folders.push((entry.path(), format!("{name}/")));
        }
    }
    Ok(folders)
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
