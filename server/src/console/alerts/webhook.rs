//! Webhooks: which URLs may be one (http or https, and not loopback or a private range unless
//! `--allow-private-webhooks`, checked when added and again, resolved, at every attempt, so a
//! name cannot be pointed inward later), how a delivery is signed
//! (`X-Console-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`),
//! and one attempt at a delivery. A URL is a secret: shown cut to its host, never logged.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use fleet_engine::alerts::notify::{body, idempotency_key, next_attempt};
use hmac::{Hmac, Mac};
use reqwest::Url;
use sha2::Sha256;

use crate::clock::unix_now_ms;
use crate::store::{Attempt, Due};

/// The header a receiver checks.
pub const SIGNATURE_HEADER: &str = "x-console-signature";
/// The header a receiver drops duplicates by.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// An attempt that takes longer is a failure, tried again later.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether an address is one a webhook may not reach without `--allow-private-webhooks`:
/// loopback, private and shared ranges, link-local, unspecified, multicast, and the IPv6
/// forms of each.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// The URL parsed, if it may be a webhook at all (before any name is resolved).
pub fn parse(url: &str) -> Result<Url, String> {
    let parsed = Url::parse(url.trim()).map_err(|err| format!("is not a URL ({err})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("must be http or https, not {}", parsed.scheme()));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("has no host".to_owned());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not carry a user name or password: put a token in its path".to_owned());
    }
    Ok(parsed)
}

/// The addresses the URL's host stands for, every one of them allowed; the first to use.
pub async fn resolve(url: &Url, allow_private: bool) -> Result<SocketAddr, String> {
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|err| format!("its host cannot be resolved ({err})"))?
        .collect();
    let first = *addresses
        .first()
        .ok_or_else(|| "its host has no address".to_owned())?;
    if !allow_private && addresses.iter().any(|address| is_private(address.ip())) {
        return Err(
            "reaches a loopback or private address; start console-server with \
             --allow-private-webhooks to allow that"
                .to_owned(),
        );
    }
    Ok(first)
}

/// `https://hooks.example.com/…`: enough to tell webhooks apart, nothing of the path's token.
pub fn shown(url: &str) -> String {
    match Url::parse(url) {
        Ok(parsed) => format!(
            "{}://{}/…",
            parsed.scheme(),
            parsed.host_str().unwrap_or_default()
        ),
        Err(_) => "…".to_owned(),
    }
}

/// A new signing secret: 32 random bytes, as hex.
pub fn new_secret() -> Result<String, String> {
    let mut bytes = [0_u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|err| format!("no randomness: {err}"))?;
    Ok(format!("whsec_{}", hex(&bytes)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The signature header's value for `body` sent at `t` (Unix seconds).
pub fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex(&mac.finalize().into_bytes()))
}

/// One attempt at `due`: what to record. A 2xx is delivered; a 4xx other than 408 and 429
/// is the receiver refusing it for good; anything else is tried again, with backoff, for a day.
pub async fn attempt(due: &Due, allow_private: bool) -> Attempt {
    let now_ms = unix_now_ms();
    let retry =
        |code: u16, error: String| match next_attempt(due.attempts + 1, due.created_ms, now_ms) {
            Some(next_ms) => Attempt::Retry {
                code,
                error,
                next_ms,
            },
            None => Attempt::Failed {
                code,
                error: format!("{error}; given up after a day of retries"),
            },
        };
    let url = match parse(&due.webhook.url) {
        Ok(url) => url,
        Err(why) => {
            return Attempt::Failed {
                code: 0,
                error: format!("the URL {why}"),
            };
        }
    };
    // Resolved and checked now, and the request pinned to what was checked.
    let address = match resolve(&url, allow_private).await {
        Ok(address) => address,
        Err(why) => return retry(0, format!("the URL {why}")),
    };
    let host = url.host_str().unwrap_or_default().to_owned();
    let client = match reqwest::Client::builder()
        .timeout(ATTEMPT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .resolve(&host, address)
        .build()
    {
        Ok(client) => client,
        Err(err) => return retry(0, format!("no HTTP client: {err}")),
    };
    let payload = body(&due.rule, &due.transition, due.webhook.format).to_string();
    let t = now_ms / 1000;
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(
            SIGNATURE_HEADER,
            signature(&due.webhook.secret, t, payload.as_bytes()),
        )
        .header(
            IDEMPOTENCY_HEADER,
            idempotency_key(&due.rule.id, due.transition.seq),
        )
        .header(reqwest::header::USER_AGENT, "microvisor-fleet-console")
        .body(payload)
        .send()
        .await;
    match sent {
        Ok(answer) => {
            let code = answer.status().as_u16();
            match code {
                200..=299 => Attempt::Delivered { code },
                408 | 429 => retry(code, format!("the receiver answered {code}")),
                400..=499 => Attempt::Failed {
                    code,
                    error: format!("the receiver refused it ({code})"),
                },
                _ => retry(code, format!("the receiver answered {code}")),
            }
        }
        // Without the URL: reqwest's error text would name it.
        Err(err) => retry(
            0,
            if err.is_timeout() {
                "no answer within 10 s".to_owned()
            } else if err.is_connect() {
                "cannot connect".to_owned()
            } else {
                "the request failed".to_owned()
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_loopback_addresses_are_told_apart_from_public_ones() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in ["8.8.8.8", "100.128.0.1", "2606:4700::1111"] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn only_http_urls_with_a_host_and_no_password_pass() {
        assert!(parse("https://hooks.example.com/T1/x").is_ok());
        assert!(
            parse("ftp://example.com/")
                .unwrap_err()
                .contains("http or https")
        );
        assert!(parse("not a url").is_err());
        assert!(parse("https://user:pw@example.com/").is_err());
        assert_eq!(
            shown("https://hooks.slack.com/services/T/B/secret"),
            "https://hooks.slack.com/…"
        );
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_time_dot_body() {
        // Checked against `printf '1700000000.{}' | openssl dgst -sha256 -hmac whsec_test`.
        assert_eq!(
            signature("whsec_test", 1_700_000_000, b"{}"),
            "t=1700000000,v1=35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91"
        );
    }
}
