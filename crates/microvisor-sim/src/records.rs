//! The emulator's state as records: their kinds, what changed, and what to write.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    Account,
    App,
    Device,
    AccountConfig,
    AccountSecret,
}

impl RecordKind {
    pub const ALL: [RecordKind; 5] = [
        RecordKind::Account,
        RecordKind::App,
        RecordKind::Device,
        RecordKind::AccountConfig,
        RecordKind::AccountSecret,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Account => "account",
            RecordKind::App => "app",
            RecordKind::Device => "device",
            RecordKind::AccountConfig => "account_config",
            RecordKind::AccountSecret => "account_secret",
        }
    }

    pub fn parse(text: &str) -> Option<RecordKind> {
        RecordKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// A record that changed: its kind and id (SID or key).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Change {
    pub kind: RecordKind,
    pub id: String,
}

/// A record to write: `json` is `None` when it was deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordWrite {
    pub kind: RecordKind,
    pub id: String,
    pub json: Option<String>,
}
