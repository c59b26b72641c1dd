use super::parse::expand_paths;
use super::*;

fn file(module: &str, text: &str) -> SourceFile {
    SourceFile {
        module: if module.is_empty() {
            Vec::new()
        } else {
            module.split("::").map(str::to_owned).collect()
        },
        path: PathBuf::from(format!("demo/src/{}.rs", module.replace("::", "/"))),
        text: text.to_owned(),
    }
}

#[test]
fn a_circle_between_siblings_is_found_and_a_chain_is_not() {
    let circle = check_crate(&[
        file("", "mod a; mod b;"),
        file("a", "use crate::b::Thing;\npub struct Other;"),
        file(
            "b",
            "pub struct Thing;\nfn f() { let _ = crate::a::Other; }",
        ),
    ]);
    assert_eq!(circle.circles, vec!["demo: a ↔ b".to_owned()]);
    let chain = check_crate(&[
        file("", "mod a; mod b; mod c;"),
        file("a", "use crate::b::Thing;"),
        file("b", "use crate::c::{Deep, other::X};\npub struct Thing;"),
        file("c", "pub struct Deep;"),
    ]);
    assert!(chain.circles.is_empty(), "{chain:?}");
}

#[test]
fn a_circle_through_a_reexport_at_the_root_is_found() {
    // store imports `crate::Emulator`, which the root re-exports from handler.
    let findings = check_crate(&[
        file(
            "",
            "mod handler; mod store;\npub use handler::{Emulator, Method};",
        ),
        file("handler", "use crate::store::Change;\npub struct Emulator;"),
        file("store", "use crate::Emulator;\npub struct Change;"),
    ]);
    assert_eq!(findings.circles, vec!["demo: handler ↔ store".to_owned()]);
    // Through the root's re-export: the item is defined in a sibling, not an ancestor.
    assert!(findings.upward.is_empty(), "{findings:?}");
}

#[test]
fn upward_imports_are_items_of_an_ancestor_not_its_submodules() {
    let findings = check_crate(&[
        file("", "pub struct AppState; mod v1; mod clock;"),
        file("v1", "mod emulator;"),
        file(
            "v1::emulator",
            "use crate::AppState;\nuse crate::clock::now;\nuse super::super::clock;",
        ),
        file("clock", "pub fn now() {}"),
        file("store", "use super::*;"),
    ]);
    assert_eq!(
        findings.upward,
        vec![
            "demo: store imports super::*, defined in its ancestor crate",
            "demo: v1::emulator imports crate::AppState, defined in its ancestor crate",
        ]
    );
}

#[test]
fn test_code_comments_and_strings_do_not_count() {
    let findings = check_crate(&[
        file("", "mod a; mod b;"),
        file(
            "a",
            "// crate::b::X is named here\nconst S: &str = \"crate::b::X\";\n\
             #[cfg(test)]\nmod tests {\n    use crate::b::X;\n}\n",
        ),
        file("b", "use crate::a::Y;"),
    ]);
    assert!(findings.circles.is_empty(), "{findings:?}");
}

#[test]
fn use_trees_expand_to_every_leaf() {
    assert_eq!(
        expand_paths("crate::{a::X as Z, b::{self, Y as W}}"),
        vec![
            vec!["crate", "a", "X"],
            vec!["crate", "b", "self"],
            vec!["crate", "b", "Y"],
        ]
    );
}

#[test]
fn long_components_are_measured_from_fn_to_its_brace() {
    let body = "    let x = 1;\n".repeat(MAX_COMPONENT_LINES);
    let text = format!(
        "#[component]\npub fn Big() -> impl IntoView {{\n{body}}}\n\n#[component]\nfn Small() {{\n}}\n"
    );
    assert_eq!(
        long_components(&text),
        vec![("Big".to_owned(), MAX_COMPONENT_LINES + 2)]
    );
}
