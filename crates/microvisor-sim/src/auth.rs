//! The credentials the emulated service asks for, as the real one does. Off by default; the
//! server turns it on with `--auth`, and the in-page demo leaves it off.

use base64::Engine;

/// What a request must carry in its `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// HTTP Basic with this user name (an Account SID or API key) and password.
    Basic { username: String, password: String },
}

impl Auth {
    /// `SID:TOKEN`, as `--auth` takes it.
    pub fn basic_from_pair(pair: &str) -> Option<Auth> {
        let (username, password) = pair.split_once(':')?;
        (!username.is_empty()).then(|| Auth::Basic {
            username: username.to_owned(),
            password: password.to_owned(),
        })
    }

    /// True when `authorization` (the header's value) carries these credentials.
    pub fn allows(&self, authorization: Option<&str>) -> bool {
        let Some(header) = authorization else {
            return false;
        };
        match self {
            Auth::Basic { username, password } => {
                let Some((scheme, encoded)) = header.trim().split_once(' ') else {
                    return false;
                };
                if !scheme.eq_ignore_ascii_case("basic") {
                    return false;
                }
                let expected = format!("{username}:{password}");
                base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .is_ok_and(|decoded| constant_time_eq(&decoded, expected.as_bytes()))
            }
        }
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
        assert!(auth.allows(Some(&basic("AC1:secret"))));
        assert!(auth.allows(Some(&basic("AC1:secret").replace("Basic", "basic"))));
        assert!(!auth.allows(Some(&basic("AC1:secreT"))));
        assert!(!auth.allows(Some(&basic("AC1:secret2"))));
        assert!(!auth.allows(Some(&basic("AC2:secret"))));
        assert!(!auth.allows(Some("Bearer secret")));
        assert!(!auth.allows(Some("Basic not-base64!")));
        assert!(!auth.allows(None));
        assert_eq!(Auth::basic_from_pair("no-colon"), None);
        assert_eq!(Auth::basic_from_pair(":token"), None);
    }
}
