//! The credentials the emulated service asks for. Off by default; the server turns it on with
//! `--auth` (and `--auth-mode`), and the in-page demo leaves it off. Three schemes, so the
//! proxy's upstream authentication can be tested against each: HTTP Basic (the API's own),
//! a static bearer token, and OAuth2 client credentials with short-lived tokens.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use base64::Engine;
use serde_json::json;

use microvisor_api::error::codes;

use crate::request::SimResponse;

/// What a request must carry in its `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// HTTP Basic with this user name (an Account SID or API key) and password.
    Basic { username: String, password: String },
    /// `Bearer TOKEN`, one static token.
    Bearer { token: String },
    /// `Bearer TOKEN` with a token from `POST /oauth2/token` (client credentials).
    OAuth2(OAuth2),
}

/// An OAuth2 client-credentials issuer for one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth2 {
    client_id: String,
    client_secret: String,
    /// How long an issued token is good for.
    ttl_ms: i64,
    /// Live tokens and when each expires.
    issued: BTreeMap<String, i64>,
    minted: u64,
}

impl Auth {
    /// `SID:TOKEN`, as `--auth` takes it.
    pub fn basic_from_pair(pair: &str) -> Option<Auth> {
        let (username, password) = split_pair(pair)?;
        Some(Auth::Basic { username, password })
    }

    /// `--auth-mode MODE` with `--auth ID:SECRET`: for `bearer` the secret is the token, for
    /// `oauth2` the pair is the client's id and secret and tokens live `token_ttl_ms`.
    pub fn from_mode(mode: &str, pair: &str, token_ttl_ms: i64) -> Result<Auth, String> {
        let (id, secret) = split_pair(pair)
            .ok_or_else(|| "--auth takes ID:SECRET with a non-empty ID".to_owned())?;
        match mode {
            "basic" => Ok(Auth::Basic {
                username: id,
                password: secret,
            }),
            "bearer" if !secret.is_empty() => Ok(Auth::Bearer { token: secret }),
            "oauth2" if !secret.is_empty() && token_ttl_ms >= 1000 => Ok(Auth::OAuth2(OAuth2 {
                client_id: id,
                client_secret: secret,
                ttl_ms: token_ttl_ms,
                issued: BTreeMap::new(),
                minted: 0,
            })),
            "bearer" | "oauth2" => Err(format!(
                "--auth-mode {mode} needs a non-empty secret (and tokens of at least 1 s)"
            )),
            other => Err(format!(
                "--auth-mode takes basic, bearer or oauth2, not '{other}'"
            )),
        }
    }

    /// True when `authorization` (the header's value) carries these credentials at `now_ms`.
    pub fn allows(&self, authorization: Option<&str>, now_ms: i64) -> bool {
        let Some((scheme, value)) = authorization.and_then(|h| h.trim().split_once(' ')) else {
            return false;
        };
        let value = value.trim();
        match self {
            Auth::Basic { username, password } => {
                scheme.eq_ignore_ascii_case("basic")
                    && decode_basic(value).is_some_and(|decoded| {
                        constant_time_eq(&decoded, format!("{username}:{password}").as_bytes())
                    })
            }
            Auth::Bearer { token } => {
                scheme.eq_ignore_ascii_case("bearer")
                    && constant_time_eq(value.as_bytes(), token.as_bytes())
            }
            Auth::OAuth2(issuer) => {
                scheme.eq_ignore_ascii_case("bearer")
                    && issuer
                        .issued
                        .get(value)
                        .is_some_and(|expires| now_ms < *expires)
            }
        }
    }

    /// `POST /oauth2/token`: a token for the client, whose id and secret come in the form
    /// (`client_id`, `client_secret`) or as HTTP Basic, as RFC 6749 allows. Only for `oauth2`.
    pub fn issue_token(
        &mut self,
        authorization: Option<&str>,
        form: &[u8],
        now_ms: i64,
    ) -> SimResponse {
        let Auth::OAuth2(issuer) = self else {
            return SimResponse::error(
                404,
                codes::NOT_FOUND,
                "The requested resource was not found",
            );
        };
        let fields: BTreeMap<String, String> = form_urlencoded::parse(form).into_owned().collect();
        if fields.get("grant_type").map(String::as_str) != Some("client_credentials") {
            return oauth_error(400, "unsupported_grant_type");
        }
        let from_header = authorization
            .and_then(|h| h.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
            .and_then(|(_, value)| decode_basic(value.trim()))
            .and_then(|decoded| String::from_utf8(decoded).ok())
            .and_then(|pair| split_pair(&pair));
        let (id, secret) = match from_header {
            Some(pair) => pair,
            None => (
                fields.get("client_id").cloned().unwrap_or_default(),
                fields.get("client_secret").cloned().unwrap_or_default(),
            ),
        };
        if !(constant_time_eq(id.as_bytes(), issuer.client_id.as_bytes())
            && constant_time_eq(secret.as_bytes(), issuer.client_secret.as_bytes()))
        {
            return oauth_error(401, "invalid_client");
        }
        let token = issuer.mint(now_ms);
        SimResponse {
            status: 200,
            body: json!({
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": issuer.ttl_ms / 1000,
            })
            .to_string(),
        }
    }

    /// The header the server's own requests to this emulator carry (rollouts in emulator mode).
    pub fn own_header(&mut self, now_ms: i64) -> String {
        match self {
            Auth::Basic { username, password } => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
            ),
            Auth::Bearer { token } => format!("Bearer {token}"),
            Auth::OAuth2(issuer) => format!("Bearer {}", issuer.mint(now_ms)),
        }
    }
}

impl OAuth2 {
    /// A new token, not guessable without the client's secret; expired ones are forgotten.
    fn mint(&mut self, now_ms: i64) -> String {
        self.issued.retain(|_, expires| now_ms < *expires);
        self.minted += 1;
        let mut hasher = DefaultHasher::new();
        (&self.client_secret, self.minted, now_ms).hash(&mut hasher);
        let token = format!("mvtok_{:x}{:016x}", self.minted, hasher.finish());
        self.issued.insert(token.clone(), now_ms + self.ttl_ms);
        token
    }
}

fn split_pair(pair: &str) -> Option<(String, String)> {
    let (id, secret) = pair.split_once(':')?;
    (!id.is_empty()).then(|| (id.to_owned(), secret.to_owned()))
}

fn decode_basic(encoded: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
}

fn oauth_error(status: u16, error: &str) -> SimResponse {
    SimResponse {
        status,
        body: json!({ "error": error }).to_string(),
    }
}

/// Compares without returning early, so the time taken says nothing of where bytes differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user_pass: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(user_pass)
        )
    }

    #[test]
    fn basic_credentials_must_match_whole() {
        let auth = Auth::basic_from_pair("AC1:secret").unwrap();
        assert!(auth.allows(Some(&basic("AC1:secret")), 0));
        assert!(auth.allows(Some(&basic("AC1:secret").replace("Basic", "basic")), 0));
        assert!(!auth.allows(Some(&basic("AC1:secreT")), 0));
        assert!(!auth.allows(Some(&basic("AC1:secret2")), 0));
        assert!(!auth.allows(Some(&basic("AC2:secret")), 0));
        assert!(!auth.allows(Some("Bearer secret"), 0));
        assert!(!auth.allows(Some("Basic not-base64!"), 0));
        assert!(!auth.allows(None, 0));
        assert_eq!(Auth::basic_from_pair("no-colon"), None);
        assert_eq!(Auth::basic_from_pair(":token"), None);
    }

    #[test]
    fn a_bearer_token_must_match_whole() {
        let auth = Auth::from_mode("bearer", "client:tok-1", 0).unwrap();
        assert!(auth.allows(Some("Bearer tok-1"), 0));
        assert!(auth.allows(Some("bearer  tok-1 "), 0));
        assert!(!auth.allows(Some("Bearer tok-2"), 0));
        assert!(!auth.allows(Some("Bearer tok-1x"), 0));
        assert!(!auth.allows(Some(&basic("client:tok-1")), 0));
        assert!(Auth::from_mode("bearer", "client:", 0).is_err());
        assert!(Auth::from_mode("digest", "client:x", 0).is_err());
    }

    #[test]
    fn oauth2_tokens_are_issued_to_the_client_and_expire() {
        let mut auth = Auth::from_mode("oauth2", "cid:csecret", 2_000).unwrap();
        let form = b"grant_type=client_credentials&client_id=cid&client_secret=csecret";
        let issued = auth.issue_token(None, form, 1_000);
        assert_eq!(issued.status, 200, "{}", issued.body);
        let body: serde_json::Value = serde_json::from_str(&issued.body).unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 2);
        let header = format!("Bearer {}", body["access_token"].as_str().unwrap());
        assert!(auth.allows(Some(&header), 2_999));
        assert!(!auth.allows(Some(&header), 3_000), "expired");
        // Client credentials as HTTP Basic work too; a second token differs.
        let again = auth.issue_token(
            Some(&basic("cid:csecret")),
            b"grant_type=client_credentials",
            1_000,
        );
        assert_eq!(again.status, 200);
        assert_ne!(again.body, issued.body);
        // Refusals, as RFC 6749 words them.
        let wrong = auth.issue_token(
            None,
            b"grant_type=client_credentials&client_id=cid&client_secret=nope",
            0,
        );
        assert_eq!(
            (wrong.status, wrong.body.contains("invalid_client")),
            (401, true)
        );
        let grant = auth.issue_token(None, b"grant_type=password", 0);
        assert_eq!(grant.status, 400);
        assert!(!auth.allows(Some("Bearer made-up"), 0));
        // Another scheme has no token endpoint.
        let mut basic_auth = Auth::basic_from_pair("a:b").unwrap();
        assert_eq!(basic_auth.issue_token(None, form, 0).status, 404);
    }
}
