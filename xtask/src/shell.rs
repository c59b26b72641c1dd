//! Running commands, and where the project's tools live.

use std::fmt;
use std::path::PathBuf;
use std::process::Command;

#[derive(Debug)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the project root")
        .to_path_buf()
}

/// Where setup keeps tools that are not cargo binaries (wasm-opt), shared by every clone.
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

pub fn binaryen_bin_dir() -> PathBuf {
    tools_dir()
        .join(format!("binaryen-{}", crate::setup::BINARYEN_VERSION))
        .join("node_modules/.bin")
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
pub fn tool_path(name: &str) -> Command {
    let mut command = Command::new(name);
    command.env("PATH", tool_search_path());
    command
}

pub fn cargo() -> Command {
    let mut command = tool_path(&std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.current_dir(project_root());
    command
}

/// Environment for wasm-bindgen-test-runner and the end-to-end tests: Debian's chromedriver.
pub fn with_browser_env(command: &mut Command) -> &mut Command {
    command
        .env("CHROMEDRIVER", "/usr/bin/chromedriver")
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120")
}

pub fn run(command: &mut Command) -> Result<(), Failure> {
    let shown = describe(command);
    println!("\n$ {shown}");
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(Failure(format!("`{shown}` failed ({status})"))),
        Err(err) => Err(Failure(format!("could not start `{shown}`: {err}"))),
    }
}

/// The command's stdout, or `None` when it cannot run or fails.
pub fn output(command: &mut Command) -> Option<String> {
    let out = command.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Replaces this process with `command`, so Ctrl-C reaches it directly.
#[cfg(unix)]
pub fn exec(mut command: Command) -> Result<(), Failure> {
    use std::os::unix::process::CommandExt;
    let err = command.exec();
    Err(Failure(format!(
        "could not start {}: {err}",
        describe(&command)
    )))
}

#[cfg(not(unix))]
pub fn exec(mut command: Command) -> Result<(), Failure> {
    run(&mut command)
}
