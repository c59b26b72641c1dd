//! Installs what the build and tests need, skipping each piece already there at the right
//! version. What works on our machines is recorded in the project notes: trunk 0.22 needs a
//! newer rustc, `wasm-bindgen-cli --locked` fails, and Debian's binaryen is too old.

use std::path::Path;
use std::process::Command;

use crate::shell::{Failure, output, run};
use crate::tools::{
    AXE_CORE_VERSION, BINARYEN_VERSION, CARGO_FUZZ_VERSION, CHROMEDRIVER, CHROMIUM, NGINX,
    PRISM_VERSION, TRUNK_VERSION, WASM_TARGET, axe_core_script, binaryen_bin_dir, cargo,
    npm_prefix, postgres_bin_dir, project_root, tool,
};

/// What the release build needs (`serve`, `dist`), and with `browser` what the tests and the
/// bench need too. trunk is not among them: only `trunk serve` and its test use it (`dev`).
pub fn all(browser: bool) -> Result<(), Failure> {
    wasm_target()?;
    wasm_bindgen()?;
    wasm_opt()?;
    if browser {
        chromium()?;
        nginx()?;
        postgres()?;
        axe_core()?;
        prism()?;
        cargo_fuzz()?;
    }
    println!("setup: everything is in place");
    Ok(())
}

fn wasm_target() -> Result<(), Failure> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"]));
    match installed {
        Some(list) if list.lines().any(|line| line.trim() == WASM_TARGET) => {
            println!("setup: {WASM_TARGET} target present");
            Ok(())
        }
        Some(_) => run(Command::new("rustup").args(["target", "add", WASM_TARGET])),
        None => Err(Failure(format!(
            "rustup is not available. Install Rust with rustup, then run `rustup target add {WASM_TARGET}`."
        ))),
    }
}

fn version_of(name: &str) -> Option<String> {
    output(tool(name).arg("--version")).map(|text| text.trim().to_owned())
}

/// trunk, for the development server and the test that keeps its build working.
pub fn trunk() -> Result<(), Failure> {
    let wanted = format!("trunk {TRUNK_VERSION}");
    if version_of("trunk").as_deref() == Some(wanted.as_str()) {
        println!("setup: {wanted} present");
        return Ok(());
    }
    println!("setup: installing {wanted} (about 11 minutes on 2 cores)");
    run(cargo().args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"])).map_err(|err| {
        Failure(format!(
            "{err}. Install it by hand: cargo install trunk --version {TRUNK_VERSION} --locked"
        ))
    })
}

/// The `wasm-bindgen` version in Cargo.lock: the CLI must match it exactly.
pub fn locked_wasm_bindgen_version() -> Result<String, Failure> {
    let lock = std::fs::read_to_string(project_root().join("Cargo.lock"))
        .map_err(|err| Failure(format!("cannot read Cargo.lock: {err}")))?;
    locked_version(&lock, "wasm-bindgen")
        .ok_or_else(|| Failure("Cargo.lock has no wasm-bindgen package".to_owned()))
}

fn locked_version(lock: &str, package: &str) -> Option<String> {
    let name_line = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == name_line {
            let version = lines.next()?.trim();
            return Some(
                version
                    .strip_prefix("version = \"")?
                    .strip_suffix('"')?
                    .to_owned(),
            );
        }
    }
    None
}

fn wasm_bindgen() -> Result<(), Failure> {
    let version = locked_wasm_bindgen_version()?;
    let wanted = format!("wasm-bindgen {version}");
    let runner_ok = version_of("wasm-bindgen-test-runner").is_some_and(|v| v.ends_with(&version));
    if version_of("wasm-bindgen").as_deref() == Some(wanted.as_str()) && runner_ok {
        println!("setup: {wanted} present");
        return Ok(());
    }
    println!("setup: installing wasm-bindgen-cli {version} (about 4 minutes)");
    // Not --locked: one of its locked dependencies is not served by the registry.
    run(cargo().args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        &format!("={version}"),
    ]))
    .map_err(|err| {
        Failure(format!(
            "{err}. Install it by hand: cargo install wasm-bindgen-cli --version ={version}"
        ))
    })
}

/// cargo-fuzz drives libFuzzer over the wire model's decoders.
fn cargo_fuzz() -> Result<(), Failure> {
    let wanted = format!("cargo-fuzz {CARGO_FUZZ_VERSION}");
    if output(cargo().args(["fuzz", "--version"])).is_some_and(|text| text.trim() == wanted) {
        println!("setup: {wanted} present");
        return Ok(());
    }
    println!("setup: installing {wanted} (about a minute)");
    run(cargo().args([
        "install",
        "cargo-fuzz",
        "--version",
        CARGO_FUZZ_VERSION,
        "--locked",
    ]))
}

/// axe-core, the accessibility checker the end-to-end tests run in each page.
fn axe_core() -> Result<(), Failure> {
    if axe_core_script().is_file() {
        println!("setup: axe-core {AXE_CORE_VERSION} present");
        return Ok(());
    }
    npm_install(
        &format!("axe-core-{AXE_CORE_VERSION}"),
        &format!("axe-core@{AXE_CORE_VERSION}"),
    )
}

/// Prism, a third-party mock of the vendor's spec, for the end-to-end test of liberal decoding.
fn prism() -> Result<(), Failure> {
    let installed = output(Command::new(crate::tools::prism()).arg("--version"));
    if installed.is_some_and(|version| version.trim() == PRISM_VERSION) {
        println!("setup: prism {PRISM_VERSION} present");
        return Ok(());
    }
    npm_install(
        &format!("prism-cli-{PRISM_VERSION}"),
        &format!("@stoplight/prism-cli@{PRISM_VERSION}"),
    )
}

/// Installs an npm package into its own folder of the tools directory.
fn npm_install(folder: &str, package: &str) -> Result<(), Failure> {
    if output(Command::new("npm").arg("--version")).is_none() {
        return Err(Failure(format!(
            "npm is needed to install {package}. Install Node.js and npm \
             (Debian: apt-get install nodejs npm), then run this again."
        )));
    }
    let prefix = npm_prefix(folder);
    std::fs::create_dir_all(&prefix)
        .map_err(|err| Failure(format!("cannot create {}: {err}", prefix.display())))?;
    println!("setup: installing {package} from npm");
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&prefix)
        .arg(package))
}

fn wasm_opt() -> Result<(), Failure> {
    let wasm_opt = binaryen_bin_dir().join("wasm-opt");
    let present = output(Command::new(&wasm_opt).arg("--version"))
        .is_some_and(|text| text.contains(&format!("version {BINARYEN_VERSION}")));
    if present {
        println!("setup: wasm-opt (binaryen {BINARYEN_VERSION}) present");
        return Ok(());
    }
    npm_install(
        &format!("binaryen-{BINARYEN_VERSION}"),
        &format!("binaryen@{BINARYEN_VERSION}"),
    )
}

fn major(version_text: &str) -> Option<String> {
    version_text
        .split_whitespace()
        .find(|word| word.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .and_then(|version| version.split('.').next())
        .map(str::to_owned)
}

/// Installs Debian packages, as root, without starting any service they bring.
fn apt_install(packages: &[&str], what: &str) -> Result<(), Failure> {
    let is_root = output(Command::new("id").arg("-u")).is_some_and(|id| id.trim() == "0");
    if !is_root || !Path::new("/usr/bin/apt-get").exists() {
        return Err(Failure(format!(
            "{what} needed for the tests. On Debian run: sudo apt-get update && sudo apt-get install -y {}",
            packages.join(" ")
        )));
    }
    println!("setup: installing {} from Debian", packages.join(" "));
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .args(["install", "-y"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .env("RUNLEVEL", "1"))
}

/// nginx runs the sample deployment config in the end-to-end tests.
fn nginx() -> Result<(), Failure> {
    if let Ok(out) = Command::new(NGINX).arg("-v").output()
        && out.status.success()
    {
        println!(
            "setup: {} present",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return Ok(());
    }
    apt_install(&["nginx"], "nginx is")
}

/// A real PostgreSQL server backs the store tests (started per test from its programs).
fn postgres() -> Result<(), Failure> {
    if let Some(bin) = postgres_bin_dir() {
        println!("setup: PostgreSQL present in {}", bin.display());
        return Ok(());
    }
    apt_install(&["postgresql"], "PostgreSQL is")
}

fn chromium() -> Result<(), Failure> {
    let browser = output(Command::new(CHROMIUM).arg("--version"));
    let driver = output(Command::new(CHROMEDRIVER).arg("--version"));
    if let (Some(browser), Some(driver)) = (&browser, &driver)
        && major(browser).is_some()
        && major(browser) == major(driver)
    {
        println!("setup: {} and chromedriver present", browser.trim());
        return Ok(());
    }
    apt_install(
        &["chromium", "chromium-driver"],
        "Chromium and chromedriver (same version) are",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions_from_a_lock_file() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n\n[[package]]\nname = \"wasm-bindgen-futures\"\nversion = \"0.4.1\"\n";
        assert_eq!(
            locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(
            locked_version(lock, "wasm-bindgen-futures").as_deref(),
            Some("0.4.1")
        );
        assert_eq!(locked_version(lock, "leptos"), None);
    }

    #[test]
    fn compares_major_versions() {
        assert_eq!(
            major("Chromium 156.0.8078.108 built on Debian").as_deref(),
            Some("156")
        );
        assert_eq!(
            major("ChromeDriver 156.0.8078.108 (abc)").as_deref(),
            Some("156")
        );
    }
}
