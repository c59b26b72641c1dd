//! Operators and roles: who a request comes from (an operator's own token, the one
//! `--access-token`, or the name an authenticating proxy set) and what that role may do. The
//! operators file keeps only argon2 hashes of tokens; a token is shown once, when made.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::http::{HeaderMap, HeaderName, Method};
use base64::Engine;
pub use console_protocol::LOCAL_OPERATOR;
use console_protocol::{ACCESS_TOKEN_HEADER, Operator, Role};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The operators file (`--operators FILE`), JSON.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct OperatorsFile {
    #[serde(default)]
    pub operators: Vec<StoredOperator>,
    /// Roles of the names an authenticating proxy sends (`--trust-proxy-auth`); a name not
    /// listed is a viewer.
    #[serde(default)]
    pub proxy_users: Vec<ProxyUser>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredOperator {
    pub name: String,
    pub role: Role,
    /// argon2id, PHC string format. Never the token.
    pub token_hash: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProxyUser {
    pub name: String,
    pub role: Role,
}

impl OperatorsFile {
    pub fn read(path: &Path) -> Result<OperatorsFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| format!("operators file {}: {err}", path.display()))?;
        serde_json::from_str(&text)
            .map_err(|err| format!("operators file {}: {err}", path.display()))
    }

    /// Written whole to a new file, then renamed over the old one, readable by its owner only.
    fn write(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|err| err.to_string())?;
        let temporary = path.with_extension("tmp");
        let cannot = |err: std::io::Error| format!("cannot write {}: {err}", path.display());
        {
            use std::io::Write;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&temporary).map_err(cannot)?;
            file.write_all(text.as_bytes()).map_err(cannot)?;
            file.sync_all().map_err(cannot)?;
        }
        std::fs::rename(&temporary, path).map_err(cannot)
    }
}

/// `console-server operators add NAME --role ROLE`: a new token, printed once by the caller;
/// only its hash is written to `path` (created when missing).
pub fn add_operator(path: &Path, name: &str, role: Role) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err("an operator needs a name of 1 to 64 characters".to_owned());
    }
    let mut file = if path.exists() {
        OperatorsFile::read(path)?
    } else {
        OperatorsFile::default()
    };
    if file.operators.iter().any(|op| op.name == name) || name == TOKEN_OPERATOR {
        return Err(format!("there is already an operator called '{name}'"));
    }
    let token = format!("mvc_{}", random_base64(32)?);
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|err| format!("cannot make a salt: {err}"))?;
    let token_hash = Argon2::default()
        .hash_password(token.as_bytes(), &salt)
        .map_err(|err| format!("cannot hash the token: {err}"))?
        .to_string();
    file.operators.push(StoredOperator {
        name: name.to_owned(),
        role,
        token_hash,
    });
    file.write(path)?;
    Ok(token)
}

fn random_bytes<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|err| format!("no randomness: {err}"))?;
    Ok(bytes)
}

fn random_base64(n: usize) -> Result<String, String> {
    let bytes = random_bytes::<64>()?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes[..n.min(64)]))
}

/// The name the single `--access-token` signs in as.
pub const TOKEN_OPERATOR: &str = "token";

/// Who may use this server, and how each is recognised.
pub struct Identities {
    access_token: Option<String>,
    operators: Vec<StoredOperator>,
    proxy_users: BTreeMap<String, Role>,
    /// Only with `--trust-proxy-auth`; else the header is ignored.
    user_header: Option<HeaderName>,
    /// Tokens already verified (by SHA-256), so argon2's deliberate cost is paid once.
    verified: Mutex<HashMap<[u8; 32], usize>>,
}

/// Shows how many of each, never a token or a hash.
impl std::fmt::Debug for Identities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identities")
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "<redacted>"),
            )
            .field("operators", &self.operators.len())
            .field("proxy_users", &self.proxy_users.len())
            .field("user_header", &self.user_header)
            .finish()
    }
}

impl Identities {
    pub fn new(
        access_token: Option<String>,
        operators_file: Option<&PathBuf>,
        trust_proxy_auth: bool,
        user_header: &str,
    ) -> Result<Identities, String> {
        let file = match operators_file {
            Some(path) => OperatorsFile::read(path)?,
            None => OperatorsFile::default(),
        };
        for op in &file.operators {
            PasswordHash::new(&op.token_hash)
                .map_err(|err| format!("operator '{}' has no valid token hash: {err}", op.name))?;
        }
        let user_header = if trust_proxy_auth {
            Some(
                HeaderName::try_from(user_header.trim())
                    .map_err(|_| format!("--user-header '{user_header}' is not a header name"))?,
            )
        } else {
            None
        };
        Ok(Identities {
            access_token,
            operators: file.operators,
            proxy_users: file
                .proxy_users
                .into_iter()
                .map(|user| (user.name, user.role))
                .collect(),
            user_header,
            verified: Mutex::new(HashMap::new()),
        })
    }

    /// True when a request must say who it is: a token or operators are configured.
    pub fn gated(&self) -> bool {
        self.access_token.is_some() || !self.operators.is_empty()
    }

    /// Who sent a request, or None when a gate is set and the request passes none of it.
    pub fn identify(&self, headers: &HeaderMap) -> Option<Operator> {
        if let Some(header) = &self.user_header
            && let Some(name) = headers
                .get(header)
                .and_then(|value| value.to_str().ok())
                .map(str::trim)
                .filter(|name| !name.is_empty())
        {
            return Some(Operator {
                name: name.to_owned(),
                role: self.proxy_users.get(name).copied().unwrap_or(Role::Viewer),
            });
        }
        let token = headers
            .get(ACCESS_TOKEN_HEADER)
            .map(|value| value.as_bytes());
        if let (Some(expected), Some(token)) = (&self.access_token, token)
            && constant_time_eq(token, expected.as_bytes())
        {
            return Some(Operator {
                name: TOKEN_OPERATOR.to_owned(),
                role: Role::Admin,
            });
        }
        if let Some(token) = token
            && let Some(index) = self.operator_of(token)
        {
            let op = &self.operators[index];
            return Some(Operator {
                name: op.name.clone(),
                role: op.role,
            });
        }
        (!self.gated()).then(|| Operator {
            name: LOCAL_OPERATOR.to_owned(),
            role: Role::Admin,
        })
    }

    /// The client's address, as far as it can be trusted: behind a trusted proxy, the last
    /// address in `X-Forwarded-For` (the one the proxy itself saw); otherwise the connection's
    /// peer. A forwarded address sent straight to the server is ignored, as the user header is.
    pub fn client_address(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<String> {
        if self.user_header.is_some() {
            return headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .next_back()
                .and_then(|last| last.trim().parse::<IpAddr>().ok())
                .map(|ip| ip.to_string());
        }
        peer.map(|ip| ip.to_string())
    }

    fn operator_of(&self, token: &[u8]) -> Option<usize> {
        if self.operators.is_empty() || token.is_empty() || token.len() > 256 {
            return None;
        }
        let key: [u8; 32] = Sha256::digest(token).into();
        if let Some(index) = self.verified.lock().ok()?.get(&key) {
            return Some(*index);
        }
        let index = self.operators.iter().position(|op| {
            PasswordHash::new(&op.token_hash)
                .is_ok_and(|hash| Argon2::default().verify_password(token, &hash).is_ok())
        })?;
        if let Ok(mut verified) = self.verified.lock() {
            verified.insert(key, index);
        }
        Some(index)
    }
}

/// The least role a request needs, by method and path. Reads need none beyond being let in;
/// a rollout preview changes nothing.
pub fn required_role(method: &Method, path: &str) -> Option<Role> {
    // A preview and "Refresh now" change nothing: anyone may ask.
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        || path == "/console/v1/rollouts/preview"
        || path == "/console/v1/fleet/refresh"
    {
        return None;
    }
    // Operators answer alerts (acknowledge, silence); admins write the rules.
    if path.starts_with("/console/v1/alerts/")
        && (path.ends_with("/ack") || path.ends_with("/silence"))
    {
        return Some(Role::Operator);
    }
    if path == "/console/v1/views"
        || path.starts_with("/console/v1/views/")
        || path == "/console/v1/alerts"
        || path.starts_with("/console/v1/alerts/")
        || path == "/console/v1/audit/verify"
    {
        return Some(Role::Admin);
    }
    (path == "/v1" || path.starts_with("/v1/") || path.starts_with("/console/"))
        .then_some(Role::Operator)
}

/// The 403's message: what the role may not do, and whom to ask.
pub fn refusal(operator: &Operator, needed: Role) -> String {
    let what = if needed == Role::Admin {
        "change the views and alert rules everyone shares"
    } else {
        "change devices, apps, configs, secrets or rollouts"
    };
    format!(
        "{} is signed in as {}, which may not {what}; ask an admin for the {} role.",
        operator.name,
        operator.role.name(),
        needed.name()
    )
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                HeaderName::try_from(*name).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn temp_file(name: &str) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("console-ops-{}-{name}.json", std::process::id()));
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn tokens_are_shown_once_and_only_their_hashes_are_kept() {
        let path = temp_file("add");
        let ana = add_operator(&path, "ana", Role::Operator).unwrap();
        let vic = add_operator(&path, "vic", Role::Viewer).unwrap();
        assert!(ana.starts_with("mvc_") && ana.len() > 40, "{ana}");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(&ana) && !text.contains(&vic),
            "a token was written"
        );
        assert!(text.contains("$argon2id$"));
        assert!(
            add_operator(&path, "ana", Role::Admin).is_err(),
            "names are unique"
        );
        assert!(add_operator(&path, " ", Role::Admin).is_err());

        let ids = Identities::new(None, Some(&path), false, "x-forwarded-user").unwrap();
        assert!(ids.gated());
        let who = |token: &str| ids.identify(&headers(&[(ACCESS_TOKEN_HEADER, token)]));
        assert_eq!(
            who(&ana).map(|o| (o.name, o.role)),
            Some(("ana".to_owned(), Role::Operator))
        );
        assert_eq!(
            who(&ana).map(|o| o.role),
            Some(Role::Operator),
            "cached the second time"
        );
        assert_eq!(who(&vic).map(|o| o.role), Some(Role::Viewer));
        assert_eq!(who("mvc_wrong"), None);
        assert_eq!(ids.identify(&HeaderMap::new()), None);
    }

    #[test]
    fn the_proxy_header_counts_only_when_trusted() {
        let path = temp_file("proxy");
        std::fs::write(
            &path,
            r#"{"proxy_users": [{"name": "boss@example.com", "role": "admin"}]}"#,
        )
        .unwrap();
        let trusted = Identities::new(None, Some(&path), true, "X-Forwarded-User").unwrap();
        let sent = headers(&[("x-forwarded-user", "boss@example.com")]);
        assert_eq!(trusted.identify(&sent).map(|o| o.role), Some(Role::Admin));
        let someone = headers(&[("x-forwarded-user", "new@example.com")]);
        assert_eq!(
            trusted.identify(&someone).map(|o| o.role),
            Some(Role::Viewer)
        );
        // Not trusted: the header is ignored, and the token still rules.
        let untrusted =
            Identities::new(Some("t0k".into()), Some(&path), false, "X-Forwarded-User").unwrap();
        assert_eq!(untrusted.identify(&sent), None);
        let with_token = headers(&[
            ("x-forwarded-user", "boss@example.com"),
            (ACCESS_TOKEN_HEADER, "t0k"),
        ]);
        assert_eq!(
            untrusted.identify(&with_token).map(|o| o.name),
            Some(TOKEN_OPERATOR.to_owned())
        );
    }

    #[test]
    fn without_a_gate_everyone_is_the_local_admin() {
        let ids = Identities::new(None, None, false, "x-forwarded-user").unwrap();
        assert!(!ids.gated());
        assert_eq!(
            ids.identify(&HeaderMap::new()),
            Some(Operator {
                name: LOCAL_OPERATOR.to_owned(),
                role: Role::Admin
            })
        );
    }

    #[test]
    fn roles_needed_by_method_and_path() {
        assert_eq!(required_role(&Method::GET, "/v1/Devices"), None);
        assert_eq!(
            required_role(&Method::POST, "/v1/Devices/x"),
            Some(Role::Operator)
        );
        assert_eq!(
            required_role(&Method::DELETE, "/v1/Configs/k"),
            Some(Role::Operator)
        );
        assert_eq!(
            required_role(&Method::POST, "/console/v1/rollouts"),
            Some(Role::Operator)
        );
        assert_eq!(
            required_role(&Method::POST, "/console/v1/rollouts/preview"),
            None
        );
        assert_eq!(
            required_role(&Method::POST, "/console/v1/fleet/refresh"),
            None
        );
        assert_eq!(
            required_role(&Method::POST, "/console/v1/views"),
            Some(Role::Admin)
        );
        assert_eq!(
            required_role(&Method::POST, "/console/v1/alerts"),
            Some(Role::Admin)
        );
        assert_eq!(
            required_role(&Method::DELETE, "/console/v1/alerts/AR1/webhooks/WH1"),
            Some(Role::Admin)
        );
        assert_eq!(
            required_role(&Method::POST, "/console/v1/alerts/AR1/ack"),
            Some(Role::Operator)
        );
        assert_eq!(
            required_role(&Method::POST, "/console/v1/alerts/AR1/silence"),
            Some(Role::Operator)
        );
        assert_eq!(required_role(&Method::GET, "/console/v1/events"), None);
        assert_eq!(
            required_role(&Method::DELETE, "/console/v1/views/VW1"),
            Some(Role::Admin)
        );
    }
}
