//! The console's `index.html`, with its runtime config written in, so the console's first API
//! request need not wait for `config.json`. Only where the config is not behind the access
//! token: there the console must ask for the token first.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use console_protocol::{CONFIG_ELEMENT_ID, ConsoleConfig};

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
