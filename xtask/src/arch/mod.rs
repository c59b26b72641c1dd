//! The architecture check: what ARCHITECTURE.md promises about the tree, measured from the
//! source text so that it cannot drift. Within every crate: no import circles between sibling
//! modules, no module importing its ancestors' own items (upward imports), no source file over
//! `MAX_FILE_LINES`, no `#[component]` function over `MAX_COMPONENT_LINES`.
//!
//! A module's imports are every `crate::`, `super::` and `self::` path in its non-test code
//! (`use` trees and paths written inline), resolved to the module that defines the item, through
//! `pub use` re-exports. Test modules (`tests`, `#[cfg(test)] mod …`) are left out.

mod parse;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use parse::{
    absolute, all_paths, expand_paths, is_test_module, split_module, strip_comments_and_strings,
    strip_tests, use_statements,
};

/// Longest source file outside a crate's `tests/`.
pub const MAX_FILE_LINES: usize = 600;
/// Longest `#[component]` function, from its `fn` line to its closing brace.
pub const MAX_COMPONENT_LINES: usize = 120;

/// One source file of a crate: its module path (empty for the crate root) and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub module: Vec<String>,
    pub path: PathBuf,
    pub text: String,
}

/// What the check found, each a line of the report.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Findings {
    pub circles: Vec<String>,
    pub upward: Vec<String>,
    pub long_files: Vec<String>,
    pub long_components: Vec<String>,
}

impl Findings {
    pub fn is_clean(&self) -> bool {
        self.circles.is_empty()
            && self.upward.is_empty()
            && self.long_files.is_empty()
            && self.long_components.is_empty()
    }

    pub fn extend(&mut self, other: Findings) {
        self.circles.extend(other.circles);
        self.upward.extend(other.upward);
        self.long_files.extend(other.long_files);
        self.long_components.extend(other.long_components);
    }

    pub fn report(&self) -> String {
        let mut out = String::new();
        let mut section = |title: &str, lines: &[String]| {
            out.push_str(&format!("{title}: {}\n", lines.len()));
            for line in lines {
                out.push_str(&format!("  {line}\n"));
            }
        };
        section("import circles", &self.circles);
        section("upward imports", &self.upward);
        section(
            &format!("files over {MAX_FILE_LINES} lines"),
            &self.long_files,
        );
        section(
            &format!("components over {MAX_COMPONENT_LINES} lines"),
            &self.long_components,
        );
        out
    }
}

/// The crate folders of the workspace (and the fuzz crate beside it).
pub fn crate_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![
        root.to_path_buf(),
        root.join("server"),
        root.join("xtask"),
        root.join("e2e"),
        root.join("bench"),
        root.join("fuzz"),
    ];
    if let Ok(entries) = std::fs::read_dir(root.join("crates")) {
        let mut crates: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        crates.sort();
        dirs.extend(crates);
    }
    dirs.retain(|dir| dir.join("Cargo.toml").is_file());
    dirs
}

/// Checks every crate under `root`.
pub fn check_tree(root: &Path) -> Result<Findings, String> {
    let mut findings = Findings::default();
    for dir in crate_dirs(root) {
        for files in crate_sources(&dir)? {
            findings.extend(check_crate(&files));
        }
    }
    // Whole files, test folders apart, wherever they are.
    for dir in crate_dirs(root) {
        for path in rust_files(&dir)? {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let test_file = path.file_name().is_some_and(|name| name == "tests.rs");
            if test_file
                || relative.components().any(|c| c.as_os_str() == "tests")
                || relative.starts_with("target")
                || relative.components().any(|c| c.as_os_str() == "target")
            {
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
            let lines = text.lines().count();
            if lines > MAX_FILE_LINES {
                findings
                    .long_files
                    .push(format!("{} ({lines} lines)", relative.display()));
            }
            for (name, length) in long_components(&text) {
                findings
                    .long_components
                    .push(format!("{} {name} ({length} lines)", relative.display()));
            }
        }
    }
    findings.long_files.sort();
    findings.long_files.dedup();
    findings.long_components.sort();
    findings.long_components.dedup();
    Ok(findings)
}

fn rust_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let entries = std::fs::read_dir(&folder)
            .map_err(|err| format!("cannot list {}: {err}", folder.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                // Other crates (server, crates/*) are visited as crates of their own.
                let nested_crate = path != dir && path.join("Cargo.toml").is_file();
                let skipped = ["target", "node_modules", ".git", "corpus", "artifacts"]
                    .iter()
                    .any(|skip| name == *skip);
                if !nested_crate && !skipped {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The source files of each crate root in `dir/src` (a library and a binary beside it are two
/// crates), each with its module path.
fn crate_sources(dir: &Path) -> Result<Vec<Vec<SourceFile>>, String> {
    let src = dir.join("src");
    if !src.is_dir() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for path in rust_files(&src)? {
        let relative = path.strip_prefix(&src).unwrap_or(&path);
        let mut module: Vec<String> = relative
            .with_extension("")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if module.last().is_some_and(|last| last == "mod") {
            module.pop();
        }
        if module.len() == 1 && (module[0] == "lib" || module[0] == "main") {
            module.clear();
        }
        if module.first().is_some_and(|first| first == "bin") {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        files.push(SourceFile {
            module,
            path: path.clone(),
            text,
        });
    }
    let has_lib = src.join("lib.rs").is_file();
    let has_main = src.join("main.rs").is_file();
    if has_lib && has_main {
        // The binary beside a library is its own crate of one file.
        let (main, lib): (Vec<SourceFile>, Vec<SourceFile>) = files
            .into_iter()
            .partition(|file| file.path.file_name().is_some_and(|n| n == "main.rs"));
        return Ok(vec![lib, main]);
    }
    Ok(vec![files])
}

/// Circles and upward imports within one crate.
pub fn check_crate(files: &[SourceFile]) -> Findings {
    let modules: BTreeSet<Vec<String>> = files
        .iter()
        .filter(|file| !is_test_module(&file.module))
        .map(|file| file.module.clone())
        .collect();
    // (module, name) → where a `pub use` in that module takes the name from: a module of this
    // crate, or `None` for another crate.
    let mut reexports: BTreeMap<(Vec<String>, String), Option<Vec<String>>> = BTreeMap::new();
    let mut references: Vec<(Vec<String>, Vec<String>, String)> = Vec::new();
    for file in files.iter().filter(|file| !is_test_module(&file.module)) {
        let code = strip_tests(&strip_comments_and_strings(&file.text));
        for statement in use_statements(&code) {
            if !statement.starts_with("pub ") {
                continue;
            }
            for path in expand_paths(&statement) {
                let Some(name) = path.last().cloned() else {
                    continue;
                };
                let source = match absolute(&file.module, &path) {
                    Some(absolute) => {
                        let (module, item) = split_module(&modules, &absolute);
                        if item.is_empty() {
                            continue;
                        }
                        Some(module)
                    }
                    // `pub use other_crate::Name`, or a child module's path written relative.
                    None => {
                        let mut relative = file.module.clone();
                        relative.extend(path.iter().cloned());
                        let (module, item) = split_module(&modules, &relative);
                        (!item.is_empty() && module != file.module).then_some(module)
                    }
                };
                reexports.insert((file.module.clone(), name), source);
            }
        }
        for path in all_paths(&code) {
            if let Some(absolute) = absolute(&file.module, &path) {
                references.push((file.module.clone(), absolute, path.join("::")));
            }
        }
    }
    let display = |module: &[String]| {
        if module.is_empty() {
            "crate".to_owned()
        } else {
            module.join("::")
        }
    };
    let crate_name = files
        .first()
        .map(|file| crate_label(&file.path))
        .unwrap_or_default();
    let mut findings = Findings::default();
    let mut edges: BTreeSet<(Vec<String>, Vec<String>)> = BTreeSet::new();
    let mut upward: BTreeSet<String> = BTreeSet::new();
    for (from, path, written) in &references {
        let (named_in, item) = split_module(&modules, path);
        if item.is_empty() {
            continue;
        }
        // Through re-exports, to the module that defines the item (`None`: another crate).
        let mut defined_in = Some(named_in.clone());
        let mut seen = BTreeSet::new();
        while let Some(module) = defined_in.clone() {
            match reexports.get(&(module.clone(), item[0].clone())) {
                Some(source) if seen.insert(module) => defined_in = source.clone(),
                _ => break,
            }
        }
        let Some(target) = defined_in else {
            continue;
        };
        if target.len() < from.len() && from.starts_with(&target) {
            upward.insert(format!(
                "{crate_name}: {} imports {written}, defined in its ancestor {}",
                display(from),
                display(&target)
            ));
        }
        if target.starts_with(from) || from.starts_with(&target) {
            continue;
        }
        let common = from.iter().zip(&target).take_while(|(a, b)| a == b).count();
        edges.insert((from[..=common].to_vec(), target[..=common].to_vec()));
    }
    findings.upward = upward.into_iter().collect();
    for cycle in strongly_connected(&edges) {
        let names: Vec<String> = cycle.iter().map(|m| display(m)).collect();
        findings
            .circles
            .push(format!("{crate_name}: {}", names.join(" ↔ ")));
    }
    findings
}

fn crate_label(path: &Path) -> String {
    // `…/<crate>/src/…`: the folder before `src`.
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    match parts.iter().rposition(|part| part == "src") {
        Some(at) if at > 0 => parts[at - 1].clone(),
        _ => String::new(),
    }
}

/// Strongly connected sets of more than one module, each sorted.
fn strongly_connected(edges: &BTreeSet<(Vec<String>, Vec<String>)>) -> Vec<Vec<Vec<String>>> {
    let nodes: BTreeSet<&Vec<String>> = edges.iter().flat_map(|(a, b)| [a, b]).collect();
    let reach = |start: &Vec<String>| -> BTreeSet<Vec<String>> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start.clone()];
        while let Some(node) = stack.pop() {
            for (a, b) in edges {
                if a == &node && seen.insert(b.clone()) {
                    stack.push(b.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&Vec<String>, BTreeSet<Vec<String>>> =
        nodes.iter().map(|node| (*node, reach(node))).collect();
    let mut cycles: BTreeSet<Vec<Vec<String>>> = BTreeSet::new();
    for node in &nodes {
        let mut members: Vec<Vec<String>> = reachable[node]
            .iter()
            .filter(|other| reachable.get(other).is_some_and(|r| r.contains(*node)))
            .cloned()
            .collect();
        if !members.contains(node) {
            continue;
        }
        members.sort();
        if members.len() > 1 {
            cycles.insert(members);
        }
    }
    cycles.into_iter().collect()
}

/// `#[component]` functions longer than the limit: (name, lines).
pub fn long_components(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        if line.trim() != "#[component]" {
            continue;
        }
        let Some(fn_at) = (at + 1..lines.len()).find(|&k| lines[k].contains("fn ")) else {
            continue;
        };
        let indent = lines[fn_at].len() - lines[fn_at].trim_start().len();
        let name = lines[fn_at]
            .split("fn ")
            .nth(1)
            .and_then(|rest| rest.split(['(', '<']).next())
            .unwrap_or("?")
            .to_owned();
        let end = (fn_at..lines.len()).find(|&k| {
            let l = lines[k];
            l.len() - l.trim_start().len() == indent && l.trim_start().starts_with('}')
        });
        if let Some(end) = end {
            let length = end - fn_at + 1;
            if length > MAX_COMPONENT_LINES {
                found.push((name, length));
            }
        }
    }
    found
}
