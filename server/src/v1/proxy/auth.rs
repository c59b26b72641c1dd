//! How the proxy authenticates to the upstream API: HTTP Basic (the API's own scheme), a static
//! bearer token, or OAuth2 client credentials with the token cached, refreshed before it
//! expires, and fetched by one request at a time however many wait. Nothing here prints a
//! secret: `Debug` redacts them and errors never carry them.

use std::fmt;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

use crate::v1::scheme::AuthScheme;

/// The upstream's credentials, from the environment.
#[derive(Clone)]
pub struct Credentials {
    scheme: Scheme,
    /// For display in the console's header (basic only).
    pub account_sid: Option<String>,
}

#[derive(Clone)]
enum Scheme {
    Basic {
        username: String,
        password: String,
    },
    Bearer {
        token: String,
    },
    OAuth2 {
        token_url: String,
        client_id: String,
        client_secret: String,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.scheme {
            Scheme::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Scheme::Bearer { .. } => f
                .debug_struct("Bearer")
                .field("token", &"<redacted>")
                .finish(),
            Scheme::OAuth2 {
                token_url,
                client_id,
                ..
            } => f
                .debug_struct("OAuth2")
                .field("token_url", token_url)
                .field("client_id", client_id)
                .field("client_secret", &"<redacted>")
                .finish(),
        }
    }
}

impl Credentials {
    /// basic: `TWILIO_ACCOUNT_SID` + `TWILIO_AUTH_TOKEN`, or `TWILIO_API_KEY` +
    /// `TWILIO_API_SECRET` (with `TWILIO_ACCOUNT_SID` for display). bearer:
    /// `UPSTREAM_BEARER_TOKEN`. oauth2: `UPSTREAM_CLIENT_ID` + `UPSTREAM_CLIENT_SECRET`, and
    /// the token endpoint from `--upstream-token-url`.
    pub fn from_env(
        scheme: AuthScheme,
        token_url: Option<&str>,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Credentials, String> {
        let get = |name: &str| get(name).filter(|v| !v.is_empty());
        let account_sid = get("TWILIO_ACCOUNT_SID");
        let pair = |user: &str, pass: &str| Some((get(user)?, get(pass)?));
        let scheme = match scheme {
            AuthScheme::Basic => {
                let (username, password) = pair("TWILIO_API_KEY", "TWILIO_API_SECRET")
                    .or_else(|| pair("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"))
                    .ok_or("proxy mode needs credentials in the environment: TWILIO_ACCOUNT_SID and \
                            TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET (with \
                            TWILIO_ACCOUNT_SID for display)")?;
                Scheme::Basic { username, password }
            }
            AuthScheme::Bearer => Scheme::Bearer {
                token: get("UPSTREAM_BEARER_TOKEN").ok_or(
                    "--upstream-auth bearer needs the token in the environment: UPSTREAM_BEARER_TOKEN",
                )?,
            },
            AuthScheme::OAuth2 => {
                let token_url = token_url
                    .filter(|url| url.starts_with("http://") || url.starts_with("https://"))
                    .ok_or("--upstream-auth oauth2 needs --upstream-token-url, an http(s) URL")?
                    .to_owned();
                let (client_id, client_secret) = pair("UPSTREAM_CLIENT_ID", "UPSTREAM_CLIENT_SECRET")
                    .ok_or("--upstream-auth oauth2 needs the client in the environment: \
                            UPSTREAM_CLIENT_ID and UPSTREAM_CLIENT_SECRET")?;
                Scheme::OAuth2 {
                    token_url,
                    client_id,
                    client_secret,
                }
            }
        };
        let account_sid = matches!(scheme, Scheme::Basic { .. })
            .then_some(account_sid)
            .flatten();
        Ok(Credentials {
            scheme,
            account_sid,
        })
    }

    pub fn scheme_name(&self) -> &'static str {
        match self.scheme {
            Scheme::Basic { .. } => "basic",
            Scheme::Bearer { .. } => "bearer",
            Scheme::OAuth2 { .. } => "oauth2",
        }
    }
}

/// Why the upstream gave no answer. Never holds a secret or the upstream's URL.
#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    #[error("the Microvisor API did not answer in time")]
    Timeout,
    #[error("the Microvisor API could not be reached: {0}")]
    Unreachable(String),
    #[error("no access token from the token endpoint: {0}")]
    Token(String),
}

impl UpstreamError {
    pub fn of(err: reqwest::Error) -> UpstreamError {
        let err = err.without_url();
        if err.is_timeout() {
            UpstreamError::Timeout
        } else {
            UpstreamError::Unreachable(err.to_string())
        }
    }
}

/// A token from the endpoint, and when to stop using it.
struct Token {
    value: String,
    /// Refreshed from here on (three quarters of its life), so requests rarely meet expiry.
    refresh_at: Instant,
}

/// Adds the credentials to each upstream request, fetching OAuth2 tokens as needed.
pub struct Authorizer {
    credentials: Credentials,
    /// One lock: whoever finds the token stale fetches it while the others wait for it.
    token: Mutex<Option<Token>>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl Authorizer {
    pub fn new(credentials: Credentials) -> Authorizer {
        Authorizer {
            credentials,
            token: Mutex::new(None),
        }
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Whether a 401 may be a stale token, worth one refresh and one retry.
    pub fn refreshes(&self) -> bool {
        matches!(self.credentials.scheme, Scheme::OAuth2 { .. })
    }

    /// The request with its `Authorization`. `refused` is the bearer token the upstream just
    /// answered 401 to: a token is fetched anew unless another request already replaced it.
    pub async fn authorize(
        &self,
        client: &reqwest::Client,
        request: reqwest::RequestBuilder,
        refused: Option<&str>,
    ) -> Result<(reqwest::RequestBuilder, Option<String>), UpstreamError> {
        match &self.credentials.scheme {
            Scheme::Basic { username, password } => {
                Ok((request.basic_auth(username, Some(password)), None))
            }
            Scheme::Bearer { token } => Ok((request.bearer_auth(token), None)),
            Scheme::OAuth2 { .. } => {
                let token = self.oauth2_token(client, refused).await?;
                Ok((request.bearer_auth(&token), Some(token)))
            }
        }
    }

    async fn oauth2_token(
        &self,
        client: &reqwest::Client,
        refused: Option<&str>,
    ) -> Result<String, UpstreamError> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref() {
            let stale = Instant::now() >= token.refresh_at || refused == Some(token.value.as_str());
            if !stale {
                return Ok(token.value.clone());
            }
        }
        let Scheme::OAuth2 {
            token_url,
            client_id,
            client_secret,
        } = &self.credentials.scheme
        else {
            return Err(UpstreamError::Token("not an OAuth2 client".to_owned()));
        };
        let fetched = Instant::now();
        let response = client
            .post(token_url)
            .basic_auth(client_id, Some(client_secret))
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .map_err(|err| UpstreamError::Token(err.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|err| UpstreamError::Token(err.without_url().to_string()))?;
        if !status.is_success() {
            return Err(UpstreamError::Token(format!("HTTP {}", status.as_u16())));
        }
        let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|err| {
            UpstreamError::Token(format!("an answer without access_token ({err})"))
        })?;
        // Without `expires_in`, assume an hour and let a 401 tell otherwise.
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600));
        tracing::debug!(lifetime_s = lifetime.as_secs(), "upstream token refreshed");
        *cached = Some(Token {
            value: answer.access_token.clone(),
            refresh_at: fetched + lifetime * 3 / 4,
        });
        Ok(answer.access_token)
    }
}

/// An environment of these pairs, for tests.
#[cfg(test)]
pub(crate) fn test_env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        test_env(pairs)
    }

    #[test]
    fn basic_credentials_come_from_either_pair_and_never_print() {
        let creds = Credentials::from_env(
            AuthScheme::Basic,
            None,
            env(&[
                ("TWILIO_ACCOUNT_SID", "AC1"),
                ("TWILIO_AUTH_TOKEN", "tok3n"),
            ]),
        )
        .unwrap();
        assert!(format!("{creds:?}").contains("AC1"));
        assert!(!format!("{creds:?}").contains("tok3n"));
        let key = Credentials::from_env(
            AuthScheme::Basic,
            None,
            env(&[
                ("TWILIO_ACCOUNT_SID", "AC1"),
                ("TWILIO_API_KEY", "SK1"),
                ("TWILIO_API_SECRET", "s3cret"),
            ]),
        )
        .unwrap();
        assert!(format!("{key:?}").contains("SK1"));
        assert_eq!(key.account_sid.as_deref(), Some("AC1"));
        let missing = Credentials::from_env(
            AuthScheme::Basic,
            None,
            env(&[("TWILIO_ACCOUNT_SID", "AC1")]),
        )
        .unwrap_err();
        assert!(missing.contains("TWILIO_AUTH_TOKEN") && missing.contains("TWILIO_API_SECRET"));
    }

    #[test]
    fn bearer_and_oauth2_name_what_they_miss_and_never_print_secrets() {
        let bearer = Credentials::from_env(
            AuthScheme::Bearer,
            None,
            env(&[("UPSTREAM_BEARER_TOKEN", "b3arer")]),
        )
        .unwrap();
        assert!(!format!("{bearer:?}").contains("b3arer"));
        assert_eq!(bearer.scheme_name(), "bearer");
        let missing = Credentials::from_env(AuthScheme::Bearer, None, env(&[])).unwrap_err();
        assert!(missing.contains("UPSTREAM_BEARER_TOKEN"), "{missing}");
        let client = env(&[
            ("UPSTREAM_CLIENT_ID", "cid"),
            ("UPSTREAM_CLIENT_SECRET", "cs3cret"),
        ]);
        let oauth = Credentials::from_env(
            AuthScheme::OAuth2,
            Some("http://127.0.0.1:1/oauth2/token"),
            &client,
        )
        .unwrap();
        assert!(!format!("{oauth:?}").contains("cs3cret"));
        let no_url = Credentials::from_env(AuthScheme::OAuth2, None, &client).unwrap_err();
        assert!(no_url.contains("--upstream-token-url"), "{no_url}");
        let no_client = Credentials::from_env(
            AuthScheme::OAuth2,
            Some("https://auth.example/token"),
            env(&[("UPSTREAM_CLIENT_ID", "cid")]),
        )
        .unwrap_err();
        assert!(no_client.contains("UPSTREAM_CLIENT_SECRET"), "{no_client}");
    }
}
