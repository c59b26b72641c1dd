//! How figures are written: sizes, the machine, the bundle's rows.

use std::fmt::Write as _;
use std::process::Command;

use console_e2e::harness::given_path;

use crate::bundle::BundleFile;

pub fn bytes(n: u64) -> String {
    if n >= 10_000 {
        format!("{:.1} KB", n as f64 / 1000.0)
    } else {
        format!("{n} B")
    }
}

pub fn command_output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        // Some tools (nginx -v) print their version on stderr.
        .map(|out| {
            let text = if out.stdout.is_empty() {
                out.stderr
            } else {
                out.stdout
            };
            String::from_utf8_lossy(&text).trim().to_owned()
        })
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| format!("({program} not available)"))
}

pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("MemTotal"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or_else(
            || "?".to_owned(),
            |kb| format!("{:.0} GiB", kb / 1_048_576.0),
        );
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|release| {
            release
                .lines()
                .find_map(|line| line.strip_prefix("PRETTY_NAME="))
                .map(|name| name.trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| "unknown OS".to_owned());
    format!(
        "- {cpu}, {cores} cores, {memory} RAM; {os}, kernel {}\n- {}; {}; {}",
        command_output("uname", &["-r"]),
        command_output(&given_path("CHROMIUM").to_string_lossy(), &["--version"]),
        command_output("rustc", &["--version"]),
        command_output(&given_path("NGINX").to_string_lossy(), &["-v"]),
    )
}

pub fn file_row(md: &mut String, file: &BundleFile) {
    let _ = writeln!(
        md,
        "| `{}` | {} | {} | {} |",
        file.name,
        bytes(file.raw),
        bytes(file.gzip),
        bytes(file.brotli)
    );
}

/// The split modules of one build: each page's own module, and the shared chunks in one row.
pub fn lazy_modules(md: &mut String, lazy: &[BundleFile]) {
    if lazy.is_empty() {
        return;
    }
    let (pages, chunks): (Vec<&BundleFile>, Vec<&BundleFile>) =
        lazy.iter().partition(|file| !file.name.contains("/chunk_"));
    let _ = writeln!(
        md,
        "Not in the first load: the modules wasm-split cut out at the lazy routes, fetched when a \
         page is first opened (a page's own module and the shared chunks it needs):\n\n\
         | Module | Raw | gzip | brotli |\n|---|---:|---:|---:|"
    );
    for file in pages {
        file_row(md, file);
    }
    let sum = |figure: fn(&BundleFile) -> u64| chunks.iter().map(|file| figure(file)).sum::<u64>();
    let _ = writeln!(
        md,
        "| {} shared chunks | {} | {} | {} |",
        chunks.len(),
        bytes(sum(|f| f.raw)),
        bytes(sum(|f| f.gzip)),
        bytes(sum(|f| f.brotli))
    );
    let all: u64 = lazy.iter().map(|file| file.brotli).sum();
    let _ = writeln!(md, "| **all lazy modules** | | | **{}** |\n", bytes(all));
}
