//! `console-server bundle build | inspect`: a bundle made from a flash image (for users without
//! the vendor's tools, for tests and the bench), and what a bundle holds, checked as an upload
//! is checked.

use std::path::Path;

use app_bundle::{BuildOptions, Limits};

use crate::cli::BundleCommand;

/// Runs the subcommand; what it says on success.
pub fn run(command: &BundleCommand) -> Result<String, String> {
    match command {
        BundleCommand::Build {
            image,
            out,
            signing_key,
            debuggable,
            min_kernel,
        } => {
            let bytes =
                std::fs::read(image).map_err(|err| format!("{}: {err}", image.display()))?;
            let options = BuildOptions {
                debuggable: *debuggable,
                minimum_kernel_version: *min_kernel,
                ..BuildOptions::default()
            };
            let bundle = match signing_key {
                None => app_bundle::build(&bytes, &options),
                Some(path) => {
                    let key = app_bundle::keys::signing_key_from_pem(&read_text(path)?)
                        .map_err(|err| format!("{}: {err}", path.display()))?;
                    app_bundle::keys::build_signed(&bytes, &options, &key)
                }
            }
            .map_err(|err| err.to_string())?;
            std::fs::write(out, &bundle).map_err(|err| format!("{}: {err}", out.display()))?;
            Ok(format!(
                "wrote {} ({} bytes)\n{}",
                out.display(),
                bundle.len(),
                describe(&bundle)?
            ))
        }
        BundleCommand::Inspect { bundle } => {
            let bytes =
                std::fs::read(bundle).map_err(|err| format!("{}: {err}", bundle.display()))?;
            describe(&bytes)
        }
    }
}

fn read_text(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|err| format!("{}: {err}", path.display()))
}

/// What a bundle holds, a fact a line; refused as an upload would be when it does not read.
fn describe(bytes: &[u8]) -> Result<String, String> {
    let bundle = app_bundle::read(bytes, Limits::default()).map_err(|err| err.to_string())?;
    let manifest = &bundle.manifest;
    let (grace, check_in) = manifest.connectivity();
    let (restart_min, restart_max) = manifest.crash_restart_ms();
    let mut lines = vec![
        format!("hash: {}", manifest.hash),
        format!("signer: {}", manifest.signer.describe()),
        format!("debuggable: {}", manifest.debuggable()),
        format!("minimum kernel: {}", manifest.minimum_kernel_version()),
        format!("connection grace: {grace} s; check-in at least every {check_in} s"),
        format!("crash restart: {restart_min}–{restart_max} ms"),
    ];
    for (index, layer) in bundle.layers.iter().enumerate() {
        let (external, start, size) = layer.region;
        lines.push(format!(
            "layer {}: {} bytes into {} flash at {start:#x} ({size} bytes), file {}",
            index + 1,
            layer.size,
            if external { "external" } else { "internal" },
            layer.file
        ));
    }
    for warning in manifest.warnings() {
        lines.push(format!("warning: {warning}"));
    }
    Ok(lines.join("\n"))
}
