//! Release builds of the console, split by route: cargo builds the wasm with its relocations
//! kept, wasm-split cuts each `#[lazy_route]` page into a module of its own, wasm-bindgen
//! writes the glue for the main module, and wasm-opt shrinks every module. trunk cannot split
//! (trunk-rs/trunk#1022), so it stays for `trunk serve` only.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use crate::shell::{Failure, run};
use crate::tools::{WASM_TARGET, cargo, project_root, target_dir, tool};

/// What the console is built with.
#[derive(Clone, Copy)]
pub enum Variant {
    /// For console-server, which always answers config.json: no in-page emulator.
    Served,
    /// For static hosts: the emulator core inside the page.
    Demo,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Served => "served",
            Variant::Demo => "demo",
        }
    }
}

const GLUE: &str = "microvisor-console";

/// Builds the console into `out` (emptied first) for the site's `public_url` (`/` or `/a/b/`),
/// with its `.br`/`.gz` copies (and for the static site, its 404.html). Skipped when `out`
/// holds a build of the same wasm, page, stylesheet, loader and xtask: a second `serve` with
/// nothing changed starts in seconds, not the minutes wasm-opt takes over every module.
pub fn build(variant: Variant, public_url: &str, out: &Path) -> Result<(), Failure> {
    let wasm = compile(variant)?;
    let input = read(&wasm)?;
    let css = read(&project_root().join("style/main.css"))?;
    let template = String::from_utf8(read(&project_root().join("index.html"))?)
        .map_err(|_| Failure("index.html is not UTF-8".to_owned()))?;
    let early = match variant {
        Variant::Served => Some(
            String::from_utf8(read(&project_root().join(EARLY_REQUESTS))?)
                .map_err(|_| Failure(format!("{EARLY_REQUESTS} is not UTF-8")))?,
        ),
        Variant::Demo => None,
    };
    let builder = std::env::current_exe()
        .and_then(std::fs::read)
        .unwrap_or_default();
    let stamp = digest(
        &[
            input.as_slice(),
            &css,
            template.as_bytes(),
            early.as_deref().unwrap_or_default().as_bytes(),
            public_url.as_bytes(),
            variant.name().as_bytes(),
            &builder,
        ]
        .concat(),
    );
    // Kept beside the build folders, not in `out`, which is served as it is.
    let stamp_file = target_dir().join(format!(
        "split/made-{}.stamp",
        digest(out.as_os_str().as_encoded_bytes())
    ));
    // The stamp holds the page it wrote too: a page written over since (by `trunk build` into
    // `dist/`, say) is not this build's, and the build runs again.
    let made = std::fs::read_to_string(&stamp_file).unwrap_or_default();
    let page_now = std::fs::read(out.join("index.html")).map(|page| digest(&page));
    if page_now.is_ok_and(|page_now| made == format!("{stamp} {page_now}")) {
        println!("\n{} is up to date: nothing to build", out.display());
        return Ok(());
    }
    let stage = target_dir().join(format!("split/stage-{}", variant.name()));
    remove_dir(&stage)?;
    create_dir(&stage)?;
    let main_wasm = stage.join("main.wasm");
    let main_module = format!("./{GLUE}.js");
    let modules = wasm_split_cli_support::transform({
        let mut options = wasm_split_cli_support::Options::new(&input);
        options.output_dir = &stage;
        options.main_out_path = &main_wasm;
        options.link_name = "./__wasm_split.js";
        options.main_module = &main_module;
        options
    })
    .map_err(|err| Failure(format!("wasm-split: {err:#}")))?
    .split_modules;
    run(tool("wasm-bindgen")
        .args([
            "--target",
            "web",
            "--keep-lld-exports",
            "--no-demangle",
            "--no-typescript",
            "--out-name",
            GLUE,
            "--out-dir",
        ])
        .arg(&stage)
        .arg(&main_wasm))?;
    remove_file(&main_wasm)?;
    let bindgen_wasm = stage.join(format!("{GLUE}_bg.wasm"));
    let all: Vec<&PathBuf> = std::iter::once(&bindgen_wasm).chain(&modules).collect();
    optimise(&all)?;
    // The modules sit in a folder named by their content, so a new build is never mixed with
    // a cached old one, and they load each other by relative paths.
    let pkg = format!("pkg-{}", digest_of_dir(&stage)?);
    remove_dir(out)?;
    create_dir(out)?;
    // A rename, unless `out` is on another filesystem than `target/`: then a copy.
    if std::fs::rename(&stage, out.join(&pkg)).is_err() {
        crate::tools::copy_dir(&stage, &out.join(&pkg))?;
        remove_dir(&stage)?;
    }
    let css_name = format!("main-{}.css", digest(&css));
    write(&out.join(&css_name), &css)?;
    let mut page = index_html(&template, public_url, &css_name, &pkg)?;
    if let Some(script) = &early {
        page = with_early_requests(&page, script)?;
    }
    write(&out.join("index.html"), page.as_bytes())?;
    if matches!(variant, Variant::Demo) {
        // Static hosts answer unknown paths with 404.html: the console itself, which routes.
        write(&out.join("404.html"), page.as_bytes())?;
    }
    crate::compress::precompress(out)?;
    let made = format!("{stamp} {}", digest(page.as_bytes()));
    write(&stamp_file, made.as_bytes())
}

/// The script that sends the first page's API requests while the wasm loads. It reads the
/// config console-server writes before `</head>`, so it runs at the start of `<body>`.
const EARLY_REQUESTS: &str = "src/api/transport/early_request.js";

fn with_early_requests(page: &str, script: &str) -> Result<String, Failure> {
    if script.contains("</") || !page.contains("<body>") {
        return Err(Failure(format!(
            "cannot write {EARLY_REQUESTS} into index.html: it needs a `<body>` and no `</`"
        )));
    }
    Ok(page.replacen(
        "<body>",
        &format!(
            "<body>\n    <script id=\"console-early-requests\">\n{script}startConsoleEarlyRequests();\n</script>"
        ),
        1,
    ))
}

/// `wasm-opt -Oz` over every module, one per core at a time: a module takes one core, and
/// there are about 150.
fn optimise(modules: &[&PathBuf]) -> Result<(), Failure> {
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.min(modules.len()))
            .map(|_| {
                scope.spawn(|| {
                    loop {
                        let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(module) = modules.get(at) else {
                            return Ok(());
                        };
                        let out = tool("wasm-opt")
                            .arg("-Oz")
                            .arg(module)
                            .arg("-o")
                            .arg(module)
                            .output()
                            .map_err(|err| Failure(format!("could not start wasm-opt: {err}")))?;
                        if !out.status.success() {
                            return Err(Failure(format!(
                                "wasm-opt {} failed ({}): {}",
                                module.display(),
                                out.status,
                                String::from_utf8_lossy(&out.stderr)
                            )));
                        }
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err(Failure("a wasm-opt worker panicked".to_owned())))
            })
            .collect::<Result<Vec<()>, Failure>>()
    })?;
    println!("wasm-opt -Oz: {} modules on {workers} cores", modules.len());
    Ok(())
}

/// The release wasm, linked with relocations kept (wasm-split needs them).
fn compile(variant: Variant) -> Result<PathBuf, Failure> {
    let dir = target_dir().join("split");
    let mut command = cargo();
    command
        .args(["build", "--release", "--target", WASM_TARGET])
        .args([
            "--package",
            "microvisor-console",
            "--bin",
            "microvisor-console",
        ])
        .args(["--features", "split"])
        .arg("--target-dir")
        .arg(&dir)
        // RUSTFLAGS replaces the target's flags in .cargo/config.toml: they are repeated here.
        .env(
            "RUSTFLAGS",
            "--cfg erase_components -Clink-args=--emit-relocs",
        );
    if matches!(variant, Variant::Served) {
        command.arg("--no-default-features");
    }
    run(&mut command)?;
    Ok(dir.join(format!("{WASM_TARGET}/release/microvisor-console.wasm")))
}

/// index.html with trunk's markers replaced: the base URL, the stylesheet and the loader.
fn index_html(template: &str, public_url: &str, css: &str, pkg: &str) -> Result<String, Failure> {
    let marker = |line: &str| {
        template
            .lines()
            .find(|candidate| candidate.contains(line))
            .ok_or_else(|| Failure(format!("index.html has no `{line}` line")))
    };
    let base = marker("data-trunk-public-url")?;
    let style = marker(r#"rel="css""#)?;
    let rust = marker(r#"rel="rust""#)?;
    let glue = format!("{public_url}{pkg}/{GLUE}.js");
    let wasm = format!("{public_url}{pkg}/{GLUE}_bg.wasm");
    // `window.wasmBindings` is read by the benchmark's memory measure.
    let loader = format!(
        r#"<link rel="modulepreload" href="{glue}" />
    <link rel="preload" href="{wasm}" as="fetch" type="application/wasm" crossorigin="anonymous" />
    <script type="module">
import init, * as bindings from '{glue}';
await init({{ module_or_path: '{wasm}' }});
window.wasmBindings = bindings;
</script>"#
    );
    Ok(template
        .replace(base.trim(), &format!(r#"<base href="{public_url}" />"#))
        .replace(
            style.trim(),
            &format!(r#"<link rel="stylesheet" href="{public_url}{css}" />"#),
        )
        .replace(rust.trim(), &loader))
}

fn digest(bytes: &[u8]) -> String {
    // SipHash with fixed keys: the same bytes give the same name on every machine.
    let mut hasher = std::hash::DefaultHasher::new();
    bytes.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

fn digest_of_dir(dir: &Path) -> Result<String, Failure> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|err| Failure(format!("{}: {err}", dir.display())))?
        .flatten()
        .map(|entry| entry.path())
        .collect();
    names.sort();
    let mut all = Vec::new();
    for name in names {
        all.extend(name.file_name().unwrap_or_default().as_encoded_bytes());
        all.extend(read(&name)?);
    }
    Ok(digest(&all))
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|err| Failure(format!("cannot read {}: {err}", path.display())))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, bytes)
        .map_err(|err| Failure(format!("cannot write {}: {err}", path.display())))
}

fn create_dir(path: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(path)
        .map_err(|err| Failure(format!("cannot create {}: {err}", path.display())))
}

fn remove_dir(path: &Path) -> Result<(), Failure> {
    match std::fs::remove_dir_all(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            Err(Failure(format!("cannot remove {}: {err}", path.display())))
        }
        _ => Ok(()),
    }
}

fn remove_file(path: &Path) -> Result<(), Failure> {
    std::fs::remove_file(path)
        .map_err(|err| Failure(format!("cannot remove {}: {err}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"<html>
  <head>
    <base data-trunk-public-url />
    <link data-trunk rel="css" href="style/main.css" />
    <link data-trunk rel="rust" data-wasm-opt="z" data-bin="microvisor-console" />
  </head>
</html>"#;

    #[test]
    fn index_html_points_every_file_under_the_public_url() {
        let page = index_html(TEMPLATE, "/fleet/", "main-1.css", "pkg-2").unwrap();
        assert!(page.contains(r#"<base href="/fleet/" />"#), "{page}");
        assert!(page.contains(r#"href="/fleet/main-1.css""#), "{page}");
        assert!(
            page.contains("from '/fleet/pkg-2/microvisor-console.js'"),
            "{page}"
        );
        assert!(
            page.contains("module_or_path: '/fleet/pkg-2/microvisor-console_bg.wasm'"),
            "{page}"
        );
        assert!(!page.contains("data-trunk"), "{page}");
    }

    #[test]
    fn a_template_without_trunk_s_markers_is_refused() {
        let without_rust = TEMPLATE.replace(r#"rel="rust""#, r#"rel="other""#);
        let Err(Failure(said)) = index_html(&without_rust, "/", "main.css", "pkg") else {
            panic!("a template without its loader line was accepted");
        };
        assert!(said.contains(r#"rel="rust""#), "{said}");
    }

    #[test]
    fn the_early_requests_run_first_in_the_body() {
        let page = with_early_requests("<head></head><body></body>", "f();\n").unwrap();
        assert_eq!(
            page,
            "<head></head><body>\n    <script id=\"console-early-requests\">\nf();\nstartConsoleEarlyRequests();\n</script></body>"
        );
        assert!(with_early_requests("<head></head>", "f();").is_err());
        assert!(with_early_requests("<body></body>", "'</script>'").is_err());
    }

    #[test]
    fn names_follow_the_content_alone() {
        assert_eq!(digest(b"console"), digest(b"console"));
        assert_ne!(digest(b"console"), digest(b"consolf"));
        assert_eq!(digest(b"").len(), 16);
    }
}
