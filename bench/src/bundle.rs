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
