//! What an app's manifest says, for an operator about to roll it out: its hash and signer,
//! the kernel it needs, debugging, check-in and crash policy, its layers, and the warnings.

use app_bundle::{Manifest, Signer};
use leptos::prelude::*;

/// Seconds as a person reads them: "90 s", "15 min", "2 h".
fn duration_text(seconds: u32) -> String {
    match seconds {
        0 => "not set".to_owned(),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// A layer's place in flash: "internal flash at 0x0, 1 MiB".
fn region_text(region: Option<(bool, u32, u32)>) -> String {
    match region {
        None => "no region".to_owned(),
        Some((external, start, size)) => format!(
            "{} flash at {start:#x}, {}",
            if external { "external" } else { "internal" },
            bytes_text(u64::from(size))
        ),
    }
}

/// Bytes as a person reads them: "48.5 KiB", "1 MiB".
pub fn bytes_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1024 * 1024 && b % (1024 * 1024) == 0 => format!("{} MiB", b / (1024 * 1024)),
        b if b >= 1024 * 1024 => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
        b if b >= 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}

/// The manifest's facts and warnings. `sizes` are the layers' file sizes, when the bundle
/// itself was read (an app's page has only its manifest).
#[component]
pub fn ManifestFacts(manifest: Manifest, #[prop(optional)] sizes: Vec<u64>) -> impl IntoView {
    let signer = match manifest.signer {
        Signer::Unsigned => "Not signed".to_owned(),
        Signer::Signed { signer_id } => format!("Signed by key {signer_id:016x}"),
    };
    let kernel = match manifest.minimum_kernel_version() {
        0 => "Any".to_owned(),
        version => format!("{version} or newer"),
    };
    let (grace, check_in) = manifest.connectivity();
    let (restart_min, restart_max) = manifest.crash_restart_ms();
    let layers = manifest
        .regions()
        .into_iter()
        .enumerate()
        .map(|(index, region)| {
            let size = sizes.get(index).map(|&size| bytes_text(size));
            view! {
                <li>{format!("Layer {}: {}", index + 1, region_text(region))}{size.map(|size| format!(" · {size} of image"))}</li>
            }
        })
        .collect_view();
    let warnings = manifest.warnings();
    view! {
        <dl class="manifest-facts">
            <dt>"Manifest hash"</dt><dd><code class="manifest-hash">{manifest.hash.clone()}</code></dd>
            <dt>"Signature"</dt><dd class="manifest-signer">{signer}</dd>
            <dt>"Kernel version needed"</dt><dd class="manifest-kernel">{kernel}</dd>
            <dt>"Remote debugging"</dt><dd class="manifest-debug">{if manifest.debuggable() { "Allowed" } else { "Off" }}</dd>
            <dt>"Connection grace time"</dt><dd>{duration_text(grace)}</dd>
            <dt>"Checks in at least every"</dt><dd>{duration_text(check_in)}</dd>
            <dt>"After a crash, restarts within"</dt><dd>{format!("{restart_min}–{restart_max} ms")}</dd>
            <dt>"Manifest size"</dt><dd class="manifest-size">{bytes_text(manifest.bytes.len() as u64)}</dd>
        </dl>
        <ul class="manifest-layers">{layers}</ul>
        {(!warnings.is_empty()).then(|| view! {
            <ul class="manifest-warnings" aria-label="Before you roll it out">
                {warnings.into_iter().map(|warning| view! { <li class="warning">{warning.to_string()}</li> }).collect_view()}
            </ul>
        })}
    }
}
