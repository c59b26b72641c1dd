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

/// Cargo's build folder: `CARGO_TARGET_DIR` when set (relative to the project), else `target/`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map_or_else(
            || project_root().join("target"),
            |dir| project_root().join(dir),
        )
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

/// axe-core's browser script, installed by setup.
pub fn axe_core_script() -> PathBuf {
    tools_dir()
        .join(format!("axe-core-{}", crate::setup::AXE_CORE_VERSION))
        .join("node_modules/axe-core/axe.min.js")
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

/// Passed and failed test counts, summed over every `test result:` line a run printed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
}

impl Tally {
    /// Adds the counts of a libtest summary line such as
    /// `test result: ok. 14 passed; 0 failed; 0 ignored; ...`.
    pub fn add_line(&mut self, line: &str) {
        let Some(summary) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in summary.split([';', '.']) {
            let mut words = part.split_whitespace();
            let (Some(count), Some(what)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(count) = count.parse::<u64>() else {
                continue;
            };
            match what {
                "passed" => self.passed += count,
                "failed" => self.failed += count,
                _ => {}
            }
        }
    }
}

/// Like `run`, echoing stdout while counting the tests it reports.
pub fn run_tests(command: &mut Command, tally: &mut Tally) -> Result<(), Failure> {
    use std::io::{BufRead, BufReader, Write};
    let shown = describe(command);
    println!("\n$ {shown}");
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|err| Failure(format!("could not start `{shown}`: {err}")))?;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            tally.add_line(&line);
            println!("{line}");
            let _ = std::io::stdout().flush();
        }
    }
    match child.wait() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(Failure(format!("`{shown}` failed ({status})"))),
        Err(err) => Err(Failure(format!("`{shown}` did not finish: {err}"))),
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

#[cfg(test)]
mod tests {
    use super::Tally;

    #[test]
    fn tallies_libtest_summaries() {
        let mut tally = Tally::default();
        tally.add_line("test result: ok. 14 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.02s");
        tally.add_line(
            "test result: FAILED. 5 passed; 1 failed; 0 ignored; 0 filtered out; finished in 0.08s",
        );
        tally.add_line("running 3 tests");
        tally.add_line("test foo ... ok");
        assert_eq!(
            tally,
            Tally {
                passed: 19,
                failed: 1
            }
        );
    }
}
