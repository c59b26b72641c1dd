//! Where the store is, and how its URL is said without its password.

use std::path::Path;

/// Where the store is: `sqlite:PATH` or `postgres://…` (`--database`), else a file in the data
/// directory.
pub fn database_url(database: Option<&str>, data_dir: &Path) -> String {
    match database {
        Some(url) => url.to_owned(),
        None => format!("sqlite:{}", data_dir.join("console.db").display()),
    }
}

/// A database URL without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn urls_lose_their_passwords() {
        assert_eq!(
            redact_url("postgres://console:s3cret@127.0.0.1:5433/console"),
            "postgres://console:***@127.0.0.1:5433/console"
        );
        assert_eq!(redact_url("sqlite:/tmp/x.db"), "sqlite:/tmp/x.db");
    }
}
