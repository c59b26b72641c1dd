//! HTTP authentication schemes, for the emulated API (`--auth-mode`) and upstream
//! (`--upstream-auth`).

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthScheme {
    Basic,
    Bearer,
    #[value(name = "oauth2")]
    OAuth2,
}

impl AuthScheme {
    pub fn name(self) -> &'static str {
        match self {
            AuthScheme::Basic => "basic",
            AuthScheme::Bearer => "bearer",
            AuthScheme::OAuth2 => "oauth2",
        }
    }
}
