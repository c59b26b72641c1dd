//! The console's files: `index.html` with its runtime config written in (so the console's first
//! API request need not wait for `config.json`; only where the config is not behind the access
//! token, for there the console must ask for the token first), every other file as built, with
//! `.br`/`.gz` beside it sent to browsers that accept them, and the page for unknown paths so
//! deep links work.

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use console_protocol::{CONFIG_ELEMENT_ID, ConsoleConfig};
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

/// The console's files from `dist`; `page` is the page with its config written in, when it
/// may be.
pub fn routes(dist: &Path, page: Option<String>) -> Router {
    let files = ServeDir::new(dist).precompressed_br().precompressed_gzip();
    match page.map(Arc::<str>::from) {
        Some(html) => {
            let page = get(move || {
                let html = Arc::clone(&html);
                async move { self::page(&html) }
            });
            Router::new()
                .route("/", page.clone())
                .route("/index.html", page.clone())
                .fallback_service(files.fallback(page))
                .layer(CompressionLayer::new())
        }
        None => {
            let index = ServeFile::new(dist.join("index.html"))
                .precompressed_br()
                .precompressed_gzip();
            Router::new().fallback_service(files.fallback(index))
        }
    }
}

/// `index.html` with `config` in a `<script type="application/json">` element, which browsers
/// never run (so the page's CSP has nothing to allow). `None` when there is no `</head>`.
pub fn with_config(index_html: &str, config: &ConsoleConfig) -> Option<String> {
    let json = serde_json::to_string(config).ok()?;
    // `<` written as an escape, so no value can close the element early.
    let json = json.replace('<', "\\u003c");
    let element =
        format!(r#"<script type="application/json" id="{CONFIG_ELEMENT_ID}">{json}</script>"#);
    let at = index_html.find("</head>")?;
    Some(format!(
        "{}{element}{}",
        &index_html[..at],
        &index_html[at..]
    ))
}

/// The page itself; never cached, so a new build or config is picked up on the next load.
pub fn page(html: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        html.to_owned(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use console_protocol::Mode;

    #[test]
    fn the_config_goes_before_the_head_ends_and_cannot_break_out() {
        let config = ConsoleConfig {
            mode: Mode::Proxy,
            api_base: "/v1".into(),
            account_sid: Some("AC</script><script>alert(1)".into()),
            operator: None,
            index: false,
        };
        let html = with_config(
            "<html><head><title>x</title></head><body></body></html>",
            &config,
        )
        .unwrap();
        assert!(html.starts_with(r#"<html><head><title>x</title><script type="application/json" id="console-config">{"mode":"proxy""#), "{html}");
        assert!(html.ends_with("</script></head><body></body></html>"));
        assert_eq!(html.matches("</script>").count(), 1, "{html}");
        assert!(html.contains(r#"AC\u003c/script>\u003cscript>alert(1)"#));
        assert_eq!(with_config("<html>no head</html>", &config), None);
    }
}
