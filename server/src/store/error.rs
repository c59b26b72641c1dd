//! Why the store could not do what was asked.

/// `Unavailable` is the database being down or out of reach (the API answers 503); the rest
/// are refusals of the request itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("The console store is unavailable: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Conflict(String),
    #[error("Not found: {0}")]
    NotFound(String),
    #[error("The console store cannot be used: {0}")]
    Incompatible(String),
    /// The request asked for something that cannot be (a cursor from elsewhere, say).
    #[error("{0}")]
    Invalid(String),
}
