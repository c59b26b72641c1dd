//! Where the project's tools live and which versions it wants: one place, read by setup (to
//! install them), by the build steps (to run them) and by the test runs, which pass these
//! paths on to the end-to-end harness and the benchmark through the environment.

use std::path::PathBuf;
use std::process::Command;

pub const TRUNK_VERSION: &str = "0.21.14";
pub const BINARYEN_VERSION: &str = "132";
pub const CARGO_FUZZ_VERSION: &str = "0.13.2";
pub const AXE_CORE_VERSION: &str = "4.14.1";
/// Stoplight's Prism, a third-party mock of an OpenAPI spec (5.14 is the newest that runs on
/// the Node.js 20 our machines have).
pub const PRISM_VERSION: &str = "5.14.2";
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Debian's Chromium and its driver, installed together by setup.
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Debian's nginx, for the sample deployment config's test.
pub const NGINX: &str = "/usr/sbin/nginx";

pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the project root")
        .to_path_buf()
}

/// Cargo's build folder: `CARGO_TARGET_DIR` when set (relative to the project), else `target/`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map_or_else(
            || project_root().join("target"),
            |dir| project_root().join(dir),
        )
}

/// Where setup keeps tools that are not cargo binaries (wasm-opt, axe-core), shared by every
/// clone on the machine.
pub fn tools_dir() -> PathBuf {
    let home =
        std::env::var_os("HOME").map_or_else(|| project_root().join("target"), PathBuf::from);
    home.join(".cache/microvisor-console/tools")
}

pub fn cargo_bin_dir() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_default()
        .join("bin")
}

/// The folder an npm package is installed into by setup.
pub fn npm_prefix(folder: &str) -> PathBuf {
    tools_dir().join(folder)
}

pub fn binaryen_bin_dir() -> PathBuf {
    npm_prefix(&format!("binaryen-{BINARYEN_VERSION}")).join("node_modules/.bin")
}

/// axe-core's browser script.
pub fn axe_core_script() -> PathBuf {
    npm_prefix(&format!("axe-core-{AXE_CORE_VERSION}")).join("node_modules/axe-core/axe.min.js")
}

/// Prism's command.
pub fn prism() -> PathBuf {
    npm_prefix(&format!("prism-cli-{PRISM_VERSION}")).join("node_modules/.bin/prism")
}

/// The vendor's OpenAPI spec, kept in the repository.
pub fn spec() -> PathBuf {
    project_root().join("spec/twilio_microvisor_v1.json")
}

/// PATH with the project's tools first, so trunk finds our wasm-bindgen and wasm-opt.
pub fn tool_search_path() -> std::ffi::OsString {
    let mut dirs = vec![binaryen_bin_dir(), cargo_bin_dir()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// A command for a tool, found on the project's tool path.
pub fn tool(name: &str) -> Command {
    let mut command = Command::new(name);
    command.env("PATH", tool_search_path());
    command
}

pub fn cargo() -> Command {
    let mut command = tool(&std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.current_dir(project_root());
    command
}

/// PostgreSQL's programs (Debian's folder for the newest installed version), for the tests
/// that run a real server.
pub fn postgres_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("pg_ctl").is_file())
        .collect();
    versions.sort();
    versions.pop()
}

/// The environment the tests and the benchmark read their tools from: wasm-bindgen's test
/// runner, the store tests and the end-to-end harness take every path from here, never from
/// a copy.
pub fn with_test_env(command: &mut Command) -> &mut Command {
    if let Some(bin) = postgres_bin_dir() {
        command.env("PG_BIN", bin);
    }
    command
        .env("CHROMEDRIVER", CHROMEDRIVER)
        .env("CHROMIUM", CHROMIUM)
        .env("NGINX", NGINX)
        .env("AXE_CORE_JS", axe_core_script())
        .env("PRISM", prism())
        .env("MICROVISOR_SPEC", spec())
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120")
}

/// Copies a folder and everything in it.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> Result<(), crate::shell::Failure> {
    let fail =
        |err: std::io::Error| crate::shell::Failure(format!("copying {}: {err}", from.display()));
    std::fs::create_dir_all(to).map_err(fail)?;
    for entry in std::fs::read_dir(from).map_err(fail)? {
        let entry = entry.map_err(fail)?;
        let kind = entry.file_type().map_err(fail)?;
        if kind.is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()))?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).map_err(fail)?;
        }
    }
    Ok(())
}
