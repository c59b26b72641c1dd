//! `cargo xtask <command>`: the project's tasks, as plain Rust so they run the same on every
//! machine. `setup` installs what is missing, `serve` runs the console, `test` runs every layer.

mod arch;
mod compress;
mod setup;
mod shell;
mod split;
mod tally;
mod tools;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::shell::{Failure, run};
use crate::tally::{Layer, Tally, skips_file};
use crate::tools::{WASM_TARGET, cargo, copy_dir, project_root, target_dir, with_test_env};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Microvisor Fleet Console tasks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install what is missing: wasm32 target, wasm-bindgen-cli, wasm-opt, trunk, and with
    /// --browser Chromium, chromedriver and the rest of what the tests use.
    Setup {
        #[arg(long)]
        browser: bool,
    },
    /// Development: `trunk serve` with live reload (one unsplit wasm, the in-page demo unless
    /// a server answers config.json); installs trunk first if it is missing.
    Dev {
        /// Extra flags for trunk serve, after `--`.
        #[arg(last = true)]
        trunk_args: Vec<String>,
    },
    /// Build the console and run console-server with the emulator on http://127.0.0.1:8080.
    Serve {
        /// Extra flags for console-server, after `--`.
        #[arg(last = true)]
        server_args: Vec<String>,
    },
    /// Run every test layer: lint, host unit tests, browser component tests, fuzzing,
    /// end-to-end tests; the closing line counts passed, failed and skipped tests.
    Test,
    /// Build what the end-to-end tests need and run them alone, optionally only the tests
    /// whose names contain FILTER.
    E2e { filter: Option<String> },
    /// Measure the bundle, browser timings beside a vanilla-JS baseline, memory, the fleet
    /// scan, the proxy and the emulator; print a table and write BENCHMARKS.md.
    Bench {
        /// Extra flags for the benchmark runner (`--runs`, `--clicks`, ...), after `--`.
        #[arg(last = true)]
        bench_args: Vec<String>,
    },
    /// Check the architecture: no import circles, no upward imports, no file over 600 lines,
    /// no component over 120 lines (see ARCHITECTURE.md).
    Arch,
    /// Build the console as a static site (demo mode where no server answers) for a sub-path,
    /// GitHub Pages style, with a 404.html fallback for deep links.
    Dist {
        /// The path the site is served under, e.g. /microvisor-console/
        #[arg(long, default_value = "/")]
        public_url: String,
        /// Where to write the site.
        #[arg(long, default_value = "target/site")]
        out: std::path::PathBuf,
    },
}

fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
        Command::Setup { browser } => setup::all(browser).and_then(|()| setup::trunk()),
        Command::Dev { trunk_args } => dev(&trunk_args),
        Command::Serve { server_args } => serve(&server_args),
        Command::Test => test(),
        Command::E2e { filter } => e2e_only(filter.as_deref()),
        Command::Bench { bench_args } => bench(&bench_args),
        Command::Arch => architecture(),
        Command::Dist { public_url, out } => dist(&public_url, &out).map(|_| ()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("\nxtask: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// The architecture check over the whole tree; its report either way.
fn architecture() -> Result<(), Failure> {
    let findings = arch::check_tree(&project_root()).map_err(Failure)?;
    print!("{}", findings.report());
    if findings.is_clean() {
        Ok(())
    } else {
        Err(Failure(
            "the tree breaks the architecture's rules (ARCHITECTURE.md)".to_owned(),
        ))
    }
}

fn build_console() -> Result<(), Failure> {
    split::build(split::Variant::Served, "/", &project_root().join("dist"))
}

/// Builds the static site; returns its folder.
pub fn dist(public_url: &str, out: &std::path::Path) -> Result<std::path::PathBuf, Failure> {
    setup::all(false)?;
    let out = if out.is_absolute() {
        out.to_path_buf()
    } else {
        project_root().join(out)
    };
    let public_url = format!("/{}/", public_url.trim_matches('/')).replace("//", "/");
    split::build(split::Variant::Demo, &public_url, &out)?;
    println!("\nStatic site for {public_url} in {}", out.display());
    Ok(out)
}

fn dev(trunk_args: &[String]) -> Result<(), Failure> {
    setup::all(false)?;
    setup::trunk()?;
    let mut command = tools::tool("trunk");
    command
        .current_dir(project_root())
        .arg("serve")
        .args(trunk_args);
    shell::exec(command)
}

/// `trunk build` of the development console into `target/trunk-check`, so `dev` keeps working.
fn trunk_build() -> Result<(), Failure> {
    setup::trunk()?;
    run(tools::tool("trunk")
        .current_dir(project_root())
        .arg("build")
        .arg("--dist")
        .arg(target_dir().join("trunk-check")))
}

fn serve(server_args: &[String]) -> Result<(), Failure> {
    setup::all(false)?;
    build_console()?;
    run(cargo().args(["build", "--release", "--package", "console-server"]))?;
    let server = target_dir().join("release/console-server");
    println!("\nStarting the console with the emulator. Stop it with Ctrl-C.");
    let mut command = std::process::Command::new(server);
    command
        .current_dir(project_root())
        .args(["--dist", "dist"])
        .args(server_args);
    shell::exec(command)
}

/// How long each `cargo xtask test` spends fuzzing; the corpus it grows is kept between runs
/// in fuzz/corpus (not committed), so coverage builds up on a developer's machine.
const FUZZ_SECONDS: u32 = 30;

/// libFuzzer over the decoders, counted as one test. cargo-fuzz needs nightly flags (the
/// sanitizer); RUSTC_BOOTSTRAP lets the one stable toolchain our machines have accept them.
fn fuzz_decoders(layer: &mut Layer) -> Result<(), Failure> {
    // cargo-fuzz takes no --locked: the lock is checked first, so a stale fuzz/Cargo.lock
    // fails here instead of being rewritten by the run.
    run(cargo()
        .args(["metadata", "--format-version", "1", "--locked", "--no-deps"])
        .arg("--manifest-path")
        .arg(project_root().join("fuzz/Cargo.toml"))
        .stdout(std::process::Stdio::null()))
    .map_err(|err| {
        Failure(format!(
            "fuzz/Cargo.lock is out of date with the workspace: {err}"
        ))
    })?;
    let corpus = project_root().join("fuzz/corpus/decoders");
    std::fs::create_dir_all(&corpus)
        .map_err(|err| Failure(format!("cannot create {}: {err}", corpus.display())))?;
    let result = run(cargo()
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["fuzz", "run", "decoders"])
        .arg(&corpus)
        .arg(project_root().join("fuzz/seeds/decoders"))
        .args(["--", &format!("-max_total_time={FUZZ_SECONDS}")]));
    if result.is_ok() {
        layer.count.passed += 1;
    } else {
        layer.count.failed += 1;
    }
    result.and(layer.check())
}

fn bench(bench_args: &[String]) -> Result<(), Failure> {
    setup::all(true)?;
    build_console()?;
    // The static demo's bundle is measured too (its public URL does not change its size).
    let static_site = dist("/", &target_dir().join("bench-static"))?;
    // The console's files with the baseline page beside them, served by one console-server.
    let site = target_dir().join("bench-site");
    let _ = std::fs::remove_dir_all(&site);
    copy_dir(&project_root().join("dist"), &site)?;
    copy_dir(
        &project_root().join("bench/baseline"),
        &site.join("baseline"),
    )?;
    run(cargo().args([
        "build",
        "--release",
        "--package",
        "console-server",
        "--package",
        "console-bench",
    ]))?;
    let mut command_line = "cargo xtask bench".to_owned();
    if !bench_args.is_empty() {
        command_line = format!("{command_line} -- {}", bench_args.join(" "));
    }
    run(with_test_env(&mut std::process::Command::new(
        target_dir().join("release/console-bench"),
    ))
    .current_dir(project_root())
    .env(
        "CONSOLE_SERVER_BIN",
        target_dir().join("release/console-server"),
    )
    .env("CONSOLE_DIST", &site)
    .env("CONSOLE_STATIC_SITE", &static_site)
    .args(["--command", &command_line])
    .args(bench_args))
}

/// Fewer tests than this in a layer fails the run: each is what the layer runs today.
const MINIMUM_HOST_TESTS: u64 = 256;
const MINIMUM_WASM_TESTS: u64 = 25;
const MINIMUM_FUZZ_TESTS: u64 = 1;
const MINIMUM_E2E_TESTS: u64 = 70;

/// `git status` of the tree, to check that a test run leaves it as it found it.
fn tree_status() -> Option<String> {
    shell::output(
        std::process::Command::new("git")
            .current_dir(project_root())
            .args(["status", "--porcelain", "--untracked-files=all"]),
    )
}

fn test() -> Result<(), Failure> {
    setup::all(true)?;
    let status_before = tree_status();
    let mut failures: Vec<String> = Vec::new();
    let mut tally = Tally::default();
    let mut check = |name: &str, result: Result<(), Failure>| {
        if let Err(failure) = result {
            eprintln!("xtask: FAILED {name}: {failure}");
            failures.push(name.to_owned());
        }
    };

    check("format", run(cargo().args(["fmt", "--all", "--check"])));
    check("architecture", architecture());
    check(
        "clippy (host)",
        run(cargo().args([
            "clippy",
            "--workspace",
            "--exclude",
            "microvisor-console",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])),
    );
    check(
        "clippy (wasm32)",
        run(cargo().args([
            "clippy",
            "--target",
            WASM_TARGET,
            "--package",
            "microvisor-console",
            "--package",
            "microvisor-api",
            "--package",
            "microvisor-sim",
            "--package",
            "console-core",
            "--package",
            "console-protocol",
            "--package",
            "fleet-engine",
            "--package",
            "audit-log",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])),
    );
    check(
        "clippy (wasm32, console without demo, split)",
        run(cargo().args([
            "clippy",
            "--target",
            WASM_TARGET,
            "--package",
            "microvisor-console",
            "--no-default-features",
            // As console-server's build is made: pages split out at their lazy routes.
            "--features",
            "split",
            "--",
            "-D",
            "warnings",
        ])),
    );
    check("trunk build (the development console)", trunk_build());
    let mut host = Layer::new("host", MINIMUM_HOST_TESTS);
    check(
        "host unit tests",
        host.run(
            with_test_env(cargo().args([
                "test",
                "--no-fail-fast",
                "--workspace",
                "--exclude",
                "microvisor-console",
                "--exclude",
                "console-e2e",
            ])),
            &skips_file("host"),
        ),
    );
    tally.add(host);
    let mut wasm = Layer::new("wasm", MINIMUM_WASM_TESTS);
    check(
        "browser component tests",
        wasm.run(
            with_test_env(cargo().args([
                "test",
                "--no-fail-fast",
                "--target",
                WASM_TARGET,
                "--package",
                "microvisor-console",
            ])),
            &skips_file("wasm"),
        ),
    );
    tally.add(wasm);
    let mut fuzz = Layer::new("fuzz", MINIMUM_FUZZ_TESTS);
    check("fuzzing (decoders)", fuzz_decoders(&mut fuzz));
    tally.add(fuzz);
    let mut e2e = Layer::new("e2e", MINIMUM_E2E_TESTS);
    check("end-to-end tests", run_e2e(&mut e2e, None));
    tally.add(e2e);
    // One quick pass of every benchmark, so it cannot rot unnoticed; no timing is asserted.
    let mut quick_bench = Layer::new("bench", 1);
    let quick_out = target_dir().join("bench-quick.md");
    let bench_result = bench(&[
        "--quick".to_owned(),
        "--out".to_owned(),
        quick_out.to_string_lossy().into_owned(),
    ]);
    if bench_result.is_ok() {
        quick_bench.count.passed += 1;
    } else {
        quick_bench.count.failed += 1;
    }
    check(
        "benchmark (quick pass)",
        bench_result.and(quick_bench.check()),
    );
    tally.add(quick_bench);
    // Nothing a test does may change or leave a file the repository tracks or would track.
    if let (Some(before), Some(after)) = (&status_before, tree_status())
        && before != &after
    {
        eprintln!("xtask: the test run changed the tree:\n{after}");
        failures.push("tree left as found".to_owned());
    }
    let outcome = if failures.is_empty() {
        println!("\nxtask: every test layer passed");
        Ok(())
    } else {
        Err(Failure(format!(
            "{} step(s) failed: {}",
            failures.len(),
            failures.join(", ")
        )))
    };
    // The closing line: every test counted across all layers, skips apart with their reasons.
    println!("{}", tally.report());
    outcome
}

/// Builds the console (as served and as a static site) and the server, then runs the
/// end-to-end suite against them.
fn run_e2e(layer: &mut Layer, filter: Option<&str>) -> Result<(), Failure> {
    let static_site = target_dir().join("site");
    build_console()?;
    dist("/microvisor-console/", &static_site)?;
    run(cargo().args(["build", "--package", "console-server"]))?;
    let mut command = cargo();
    // Every test binary runs, whatever fails before it: the tally counts them all.
    command.args(["test", "--no-fail-fast", "--package", "console-e2e"]);
    // A filter that names a test file (`rollouts`) runs that file; any other filters test names.
    match filter {
        Some(file)
            if project_root()
                .join(format!("e2e/tests/{file}.rs"))
                .is_file() =>
        {
            command.args(["--test", file, "--"]);
        }
        Some(name) => {
            command.args(["--", name]);
        }
        None => {
            command.arg("--");
        }
    }
    command
        .arg("--test-threads=1")
        .env(
            "CONSOLE_SERVER_BIN",
            target_dir().join("debug/console-server"),
        )
        .env("CONSOLE_DIST", project_root().join("dist"))
        .env("CONSOLE_STATIC_SITE", &static_site);
    layer.run(with_test_env(&mut command), &skips_file("e2e"))
}

fn e2e_only(filter: Option<&str>) -> Result<(), Failure> {
    setup::all(true)?;
    // A filtered run is a developer's quick look: no minimum applies.
    let mut layer = Layer::new(
        "e2e",
        if filter.is_some() {
            0
        } else {
            MINIMUM_E2E_TESTS
        },
    );
    let outcome = run_e2e(&mut layer, filter);
    let mut tally = Tally::default();
    tally.add(layer);
    println!("{}", tally.report());
    outcome
}
