//! Mapping the absolute URLs the API returns (`meta.*_url`, `url`, `links`) onto the API base
//! the console is configured with. A URL on the vendor's origin, or on the base's own origin,
//! keeps its path and query and moves onto the base; any other URL is refused, so that a
//! response can never send the console, and its credentials, somewhere else.

/// The vendor's API origin. Absolute URLs on this origin are mapped onto the configured base.
pub const VENDOR_ORIGIN: &str = "https://microvisor.twilio.com";

/// Where the console sends API requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiBase {
    /// Scheme, host and port, lower-cased, no trailing slash: `http://127.0.0.1:8080`.
    origin: String,
    /// Path prefix that stands for the API's `/v1`, without trailing slash: `/v1`, `/api/v1`.
    prefix: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("'{0}' is not an absolute http(s) URL.")]
    NotAbsolute(String),
    #[error("The API base '{0}' must be a path starting with '/' or an http(s) URL.")]
    BadBase(String),
    #[error("Refused to follow a link to {0}: it is neither the API's origin nor the vendor's.")]
    ForeignOrigin(String),
    #[error("The link '{0}' is outside the API's /v1 path.")]
    OutsideApi(String),
}

/// Splits `scheme://authority` from the rest of an absolute URL. The origin is lower-cased.
pub fn split_origin(url: &str) -> Option<(String, &str)> {
    let scheme_end = url.find("://")?;
    let scheme = &url[..scheme_end];
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let after = &url[scheme_end + 3..];
    let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let authority = &after[..authority_end];
    if authority.is_empty() || authority.contains('@') || authority.contains('\\') {
        return None;
    }
    let origin = format!("{}://{}", scheme, authority).to_ascii_lowercase();
    Some((strip_default_port(origin), &after[authority_end..]))
}

fn strip_default_port(origin: String) -> String {
    for (scheme, port) in [("http://", ":80"), ("https://", ":443")] {
        if origin.starts_with(scheme) && origin.ends_with(port) {
            return origin[..origin.len() - port.len()].to_owned();
        }
    }
    origin
}

impl ApiBase {
    /// `base` is either a path on the page's own origin (`/v1`) or an absolute URL
    /// (`https://proxy.example.com/v1`). `page_origin` is the origin the console was loaded from.
    pub fn new(base: &str, page_origin: &str) -> Result<ApiBase, UrlError> {
        let bad = || UrlError::BadBase(base.to_owned());
        let (origin, path) = if base.starts_with('/') && !base.starts_with("//") {
            let (origin, _) = split_origin(page_origin).ok_or_else(bad)?;
            (origin, base)
        } else {
            split_origin(base).ok_or_else(bad)?
        };
        if path.contains(['?', '#']) {
            return Err(bad());
        }
        Ok(ApiBase {
            origin,
            prefix: path.trim_end_matches('/').to_owned(),
        })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The absolute URL of an API path such as `/v1/Devices?PageSize=50`.
    pub fn url_for(&self, api_path: &str) -> Result<String, UrlError> {
        let rest = api_path
            .strip_prefix("/v1")
            .filter(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
            .ok_or_else(|| UrlError::OutsideApi(api_path.to_owned()))?;
        Ok(format!("{}{}{}", self.origin, self.prefix, rest))
    }

    /// Maps an absolute URL from a response onto this base, or refuses it.
    pub fn map_response_url(&self, url: &str) -> Result<String, UrlError> {
        let (origin, rest) =
            split_origin(url).ok_or_else(|| UrlError::NotAbsolute(url.to_owned()))?;
        if origin == VENDOR_ORIGIN {
            return self.url_for(rest);
        }
        if origin != self.origin {
            return Err(UrlError::ForeignOrigin(origin));
        }
        // On our own origin the URL may already carry our prefix (a proxy that rewrites
        // links), or the bare `/v1` path (an emulator or proxy that does not).
        match rest.strip_prefix(self.prefix.as_str()) {
            Some(tail) if !self.prefix.is_empty() && tail.starts_with(['/', '?']) => {
                Ok(format!("{}{}", self.origin, rest))
            }
            _ => self.url_for(rest),
        }
    }
}

impl ApiBase {
    /// The paging state a list link (`meta.next_page_url` and the like) points at, after
    /// checking that the link may be followed. The console turns it into its own route.
    pub fn page_query_of(&self, link: &str) -> Result<crate::PageQuery, LinkError> {
        let mapped = self.map_response_url(link)?;
        crate::PageQuery::parse(query_of(&mapped)).map_err(LinkError::Query)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    Url(#[from] UrlError),
    #[error("The link's paging parameters are invalid: {0}")]
    Query(crate::PageQueryError),
}

/// The query string of a URL, without `?` and without any fragment.
pub fn query_of(url: &str) -> &str {
    let without_fragment = url.split('#').next().unwrap_or("");
    without_fragment
        .split_once('?')
        .map(|(_, query)| query)
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_origin() -> ApiBase {
        ApiBase::new("/v1", "http://127.0.0.1:8080").unwrap()
    }

    #[test]
    fn vendor_urls_move_onto_the_base() {
        let next = "https://microvisor.twilio.com/v1/Devices?PageSize=50&Page=1&PageToken=PAUV1";
        assert_eq!(
            same_origin().map_response_url(next).unwrap(),
            "http://127.0.0.1:8080/v1/Devices?PageSize=50&Page=1&PageToken=PAUV1"
        );
        let proxy = ApiBase::new("https://proxy.example.com/tenant/v1/", "http://x").unwrap();
        assert_eq!(
            proxy.map_response_url(next).unwrap(),
            "https://proxy.example.com/tenant/v1/Devices?PageSize=50&Page=1&PageToken=PAUV1"
        );
    }

    #[test]
    fn own_origin_urls_are_kept_on_the_base() {
        let base = same_origin();
        assert_eq!(
            base.map_response_url("http://127.0.0.1:8080/v1/Devices/UV1")
                .unwrap(),
            "http://127.0.0.1:8080/v1/Devices/UV1"
        );
        let proxy = ApiBase::new("https://p.example/api/v1", "http://x").unwrap();
        assert_eq!(
            proxy
                .map_response_url("https://P.example:443/api/v1/Devices")
                .unwrap(),
            "https://p.example/api/v1/Devices"
        );
        assert_eq!(
            proxy
                .map_response_url("https://p.example/v1/Devices")
                .unwrap(),
            "https://p.example/api/v1/Devices"
        );
    }

    #[test]
    fn foreign_and_tricky_urls_are_refused() {
        let base = same_origin();
        for url in [
            "https://evil.example/v1/Devices",
            "http://127.0.0.1:8081/v1/Devices",
            "https://microvisor.twilio.com.evil.example/v1/Devices",
        ] {
            assert!(
                matches!(base.map_response_url(url), Err(UrlError::ForeignOrigin(_))),
                "{url}"
            );
        }
        for url in [
            "//evil.example/v1",
            "javascript:alert(1)",
            "https://user@microvisor.twilio.com/v1/Devices",
            "/v1/Devices",
        ] {
            assert!(
                matches!(base.map_response_url(url), Err(UrlError::NotAbsolute(_))),
                "{url}"
            );
        }
        assert!(matches!(
            base.map_response_url("https://microvisor.twilio.com/v2/Other"),
            Err(UrlError::OutsideApi(_))
        ));
    }

    #[test]
    fn bases_are_checked() {
        assert!(ApiBase::new("//evil.example/v1", "http://a").is_err());
        assert!(ApiBase::new("ftp://a/v1", "http://a").is_err());
        assert!(ApiBase::new("/v1?x=1", "http://a").is_err());
        assert_eq!(same_origin().origin(), "http://127.0.0.1:8080");
    }

    #[test]
    fn page_links_become_page_queries() {
        let base = same_origin();
        let query = base
            .page_query_of(
                "https://microvisor.twilio.com/v1/Devices?PageSize=25&Page=3&PageToken=PAUV9",
            )
            .unwrap();
        assert_eq!(
            query.to_query_string(),
            "PageSize=25&Page=3&PageToken=PAUV9"
        );
        assert!(matches!(
            base.page_query_of("https://evil.example/v1/Devices?PageSize=25"),
            Err(LinkError::Url(UrlError::ForeignOrigin(_)))
        ));
        assert!(matches!(
            base.page_query_of("http://127.0.0.1:8080/v1/Devices?PageSize=0"),
            Err(LinkError::Query(_))
        ));
    }

    #[test]
    fn reads_queries() {
        assert_eq!(query_of("http://a/v1/Devices?PageSize=5#top"), "PageSize=5");
        assert_eq!(query_of("http://a/v1/Devices"), "");
    }
}

/// Characters escaped in a path segment: everything but unreserved ASCII.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Escapes a SID or unique name for use as one path segment.
pub fn encode_segment(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, SEGMENT).to_string()
}

/// Reverses `encode_segment`; `None` when the bytes are not UTF-8.
pub fn decode_segment(segment: &str) -> Option<String> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
}

#[cfg(test)]
mod segment_tests {
    use super::*;

    #[test]
    fn segments_round_trip() {
        for name in ["pump 7", "a/b?c#d", "ünï <b>", "..", "plain-name_1.2~"] {
            let encoded = encode_segment(name);
            assert!(!encoded.contains(['/', '?', '#', ' ']), "{encoded}");
            assert_eq!(decode_segment(&encoded).as_deref(), Some(name));
        }
        assert_eq!(decode_segment("%ff"), None);
    }
}
