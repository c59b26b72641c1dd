//! The console's own URLs. On a static host the console may live under a sub-path
//! (`/microvisor-console/`), which trunk writes into `<base href>`; the router and every plain
//! link take it from there.

use std::sync::OnceLock;

/// The sub-path the console is served under, without a trailing slash: "" at the root.
pub fn base() -> &'static str {
    static BASE: OnceLock<String> = OnceLock::new();
    BASE.get_or_init(|| {
        web_sys::window()
            .and_then(|window| window.document())
            .and_then(|document| document.base_uri().ok().flatten())
            .and_then(|uri| web_sys::Url::new(&uri).ok())
            .map(|url| url.pathname().trim_end_matches('/').to_owned())
            .unwrap_or_default()
    })
}

/// A console path (`/devices?PageSize=25`) as an `href` under the base.
pub fn href(path: &str) -> String {
    format!("{}{path}", base())
}
