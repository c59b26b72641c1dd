//! Reading a module's imports from its text: comments, strings and test code blanked, `use`
//! trees expanded, paths made absolute.

use std::collections::BTreeSet;

/// Test code: a `tests` module (or `*_tests`) and everything in it.
pub fn is_test_module(module: &[String]) -> bool {
    module
        .iter()
        .any(|part| part == "tests" || part.ends_with("_tests"))
}

/// `path` split into the longest module prefix and the item path after it.
pub fn split_module(
    modules: &BTreeSet<Vec<String>>,
    path: &[String],
) -> (Vec<String>, Vec<String>) {
    for at in (0..=path.len()).rev() {
        if modules.contains(&path[..at].to_vec()) {
            return (path[..at].to_vec(), path[at..].to_vec());
        }
    }
    (Vec::new(), path.to_vec())
}

/// A `crate::`/`super::`/`self::` path as a path from the crate root; `None` for others.
pub fn absolute(module: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut base: Vec<String> = match path.first().map(String::as_str) {
        Some("crate") => Vec::new(),
        Some("super") | Some("self") => module.to_vec(),
        _ => return None,
    };
    let mut rest = path;
    if rest[0] == "crate" {
        rest = &rest[1..];
    } else {
        while let Some(first) = rest.first() {
            match first.as_str() {
                "super" => {
                    base.pop()?;
                }
                "self" => {}
                _ => break,
            }
            rest = &rest[1..];
        }
    }
    base.extend(rest.iter().filter(|s| *s != "self").cloned());
    Some(base)
}

/// The text with comments and string and char literals blanked (newlines kept).
pub fn strip_comments_and_strings(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('#') || next == Some('"')) && !ident_before(&chars, i) {
            // A raw string: r"…" or r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                match chars.get(j) {
                    None => break,
                    Some('"') if (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#')) => {
                        j += 1 + hashes;
                        break;
                    }
                    Some('\n') => {
                        out.push('\n');
                        j += 1;
                    }
                    Some(_) => j += 1,
                }
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                } else if chars[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}'), not a lifetime ('a).
            let close = if next == Some('\\') {
                (i + 2..chars.len().min(i + 12)).find(|&j| chars[j] == '\'')
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match close {
                Some(end) => {
                    out.push_str("' '");
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// The code without its `#[cfg(test)]` items (a `mod tests { … }` or `mod tests;`).
pub fn strip_tests(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        // The item ends at its first `;` before any `{`, or at the `{`'s matching brace.
        let brace = after.find('{');
        let semi = after.find(';');
        let end = match (brace, semi) {
            (Some(b), Some(s)) if s < b => s + 1,
            (None, Some(s)) => s + 1,
            (Some(b), _) => matching_brace(after, b).map_or(after.len(), |e| e + 1),
            (None, None) => after.len(),
        };
        out.push_str(&"\n".repeat(after[..end].matches('\n').count()));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn matching_brace(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (offset, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + offset);
                }
            }
            _ => {}
        }
    }
    None
}

/// Each `use …;` statement's text, `pub ` first when it is a re-export.
pub fn use_statements(code: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let bytes = code.as_bytes();
    let mut search = 0;
    while let Some(found) = code[search..].find("use ") {
        let at = search + found;
        search = at + 4;
        if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
            continue;
        }
        let Some(end) = code[at..].find(';').map(|e| at + e) else {
            break;
        };
        let line_start = code[..at].rfind('\n').map_or(0, |n| n + 1);
        let public = code[line_start..at].trim_start().starts_with("pub");
        let body = &code[at + 4..end];
        statements.push(format!(
            "{}{}",
            if public { "pub " } else { "" },
            body.trim()
        ));
        search = end;
    }
    statements
}

/// The leaf paths of a use tree (`crate::{a::X, b::{self, Y}}` → `crate::a::X`, `crate::b`,
/// `crate::b::Y`), each as its segments.
pub fn expand_paths(statement: &str) -> Vec<Vec<String>> {
    let tree: String = without_aliases(statement.trim_start_matches("pub "))
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut out = Vec::new();
    expand(&tree, &[], &mut out);
    out
}

fn expand(tree: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
    match tree.find('{') {
        None => {
            let mut path = prefix.to_vec();
            path.extend(
                tree.split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            );
            out.push(path);
        }
        Some(open) => {
            let mut path = prefix.to_vec();
            path.extend(
                tree[..open]
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            );
            let close = matching_brace(tree, open).unwrap_or(tree.len() - 1);
            for part in split_top(&tree[open + 1..close]) {
                if part.is_empty() {
                    continue;
                }
                expand(part, &path, out);
            }
        }
    }
}

/// The use tree without its renames (`X as Y` → `X`).
fn without_aliases(tree: &str) -> String {
    let mut out = String::with_capacity(tree.len());
    let mut words = tree.split_inclusive(char::is_whitespace).peekable();
    while let Some(word) = words.next() {
        if word.trim() == "as" {
            // Drop the new name, keep what closes the group after it.
            if let Some(alias) = words.next() {
                out.push_str(alias.trim_start_matches(|c: char| c.is_alphanumeric() || c == '_'));
            }
        } else {
            out.push_str(word);
        }
    }
    out
}

fn split_top(list: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in list.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&list[start..]);
    parts
}

/// Every `crate::…`, `super::…` and `self::…` path in the code, use trees expanded.
pub fn all_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts = ["crate::", "super::", "self::"]
            .iter()
            .find(|word| starts_with_at(&chars, i, word));
        let Some(word) = starts else {
            i += 1;
            continue;
        };
        if ident_before(&chars, i) || (i > 0 && chars[i - 1] == ':') {
            i += word.len();
            continue;
        }
        // The path runs over identifiers, `::`, and a balanced `{…}` group.
        let mut j = i;
        let mut depth = 0;
        while j < chars.len() {
            let c = chars[j];
            if c.is_alphanumeric() || c == '_' || c == ':' || c == '*' {
                j += 1;
            } else if c == '{' && j > 0 && chars[j - 1] == ':' {
                depth += 1;
                j += 1;
            } else if depth > 0 && (c == '{' || c == '}' || c == ',' || c.is_whitespace()) {
                if c == '{' {
                    depth += 1;
                } else if c == '}' {
                    depth -= 1;
                }
                j += 1;
                if depth == 0 {
                    break;
                }
            } else if depth > 0 {
                j += 1;
            } else {
                break;
            }
        }
        let text: String = chars[i..j].iter().collect();
        let text = text.trim_end_matches(':');
        expand(
            &text
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>(),
            &[],
            &mut paths,
        );
        i = j.max(i + 1);
    }
    // A path ending in a method or field (`crate::x::f().y`) is cut at the call already.
    paths
}

fn starts_with_at(chars: &[char], at: usize, word: &str) -> bool {
    word.chars()
        .enumerate()
        .all(|(k, w)| chars.get(at + k) == Some(&w))
}
