//! The contract between the fleet console (in the browser) and `console-server`: what
//! `/config.json` says, the header that carries the console's access token, and the bodies of
//! the server's own API under `/console/v1` (saved views, rollouts, the audit log, the fleet
//! index in `fleet`, alerts and the event stream in `alerts`). Both sides use these types, so neither can drift from the other. Data
//! only: no I/O.

mod alerts;
mod fleet;

pub use alerts::{
    AckBody, AlertHistory, AlertList, AlertRuleBody, AlertRuleView, ConsoleEvent,
    DEVICES_PER_EVENT, Delivery, DeliveryStatus, DeviceChange, SilenceBody, WebhookBody,
    WebhookView,
};

pub use fleet::{
    FleetCounts, FleetPage, FleetQuery, FleetSort, FleetSortKey, Freshness, PassInfo, Timeline,
    TimelineEntry,
};

use fleet_engine::DeviceFilter;
use fleet_engine::rollout::{Change as RolloutChange, Control, Counts, Plan, Rollout};
use serde::{Deserialize, Serialize};

/// Where the server's own API lives: `/v1` belongs to the vendor's.
pub const CONSOLE_API: &str = "/console/v1";

/// The header that carries this console's access token to its server.
pub const ACCESS_TOKEN_HEADER: &str = "x-console-access-token";

/// The `id` of the element in `index.html` where console-server writes the config (a
/// `<script type="application/json">`), so the console need not fetch `config.json`.
pub const CONFIG_ELEMENT_ID: &str = "console-config";

/// Where `console-server` answers `/v1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The built-in emulator.
    #[default]
    Emulator,
    /// Forwarded to the real API with credentials that stay on the server.
    Proxy,
}

/// `/config.json`: the console's runtime configuration. Never a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleConfig {
    #[serde(default)]
    pub mode: Mode,
    #[serde(default = "default_api_base")]
    pub api_base: String,
    /// The account the server's credentials belong to (proxy mode); never a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_sid: Option<String>,
    /// Who is asking, as the server identified them, and what they may do. Absent from
    /// servers older than roles: then everyone may do everything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<Operator>,
    /// Whether the server keeps a fleet index (`/console/v1/fleet/…`): the Fleet page then
    /// asks it instead of scanning the fleet in the browser.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub index: bool,
}

/// What an operator may do. Ordered: each role may do all the one before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything, writes nothing.
    Viewer,
    /// Every write on devices, apps, configs and secrets; bulk actions and rollouts.
    Operator,
    /// Also manages the saved views shared by everyone.
    Admin,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Writes on the API: devices, apps, configs, secrets; bulk actions and rollouts.
    pub fn may_write(self) -> bool {
        self >= Role::Operator
    }

    /// Creating, changing and deleting the saved views everyone shares.
    pub fn may_manage_views(self) -> bool {
        self >= Role::Admin
    }
}

/// Who is signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    pub name: String,
    pub role: Role,
}

/// Who everyone is on a server with no gate (loopback, no token, no operators): nobody signs
/// in, and everyone may do everything.
pub const LOCAL_OPERATOR: &str = "local";

/// Why a control is disabled for a role, for its tooltip.
pub const VIEWER_MAY_NOT_WRITE: &str = "Your role (viewer) can look but not change anything.";
pub const ONLY_ADMINS_MANAGE_VIEWS: &str = "Only an admin can change the views everyone shares.";

/// The API's path on the console's own origin.
pub const API_BASE: &str = "/v1";

fn default_api_base() -> String {
    API_BASE.to_owned()
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            mode: Mode::default(),
            api_base: default_api_base(),
            account_sid: None,
            operator: None,
            index: false,
        }
    }
}

impl ConsoleConfig {
    /// The console header's description of the backend.
    pub fn describe(&self) -> String {
        let backend = match self.mode {
            Mode::Emulator => "built-in emulator on this server",
            Mode::Proxy => "Microvisor API via this server",
        };
        match &self.account_sid {
            Some(sid) => format!("Backend: {backend} · account {sid}"),
            None => format!("Backend: {backend}"),
        }
    }
}

/// A saved view: a named filter over the fleet, shared by everyone who uses the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedView {
    pub id: String,
    pub name: String,
    pub filter: DeviceFilter,
    pub created_by: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// What creating or changing a view sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewInput {
    pub name: String,
    /// Left as it is when renaming only.
    #[serde(default)]
    pub filter: Option<DeviceFilter>,
}

impl ViewInput {
    /// The name to keep: trimmed, 1 to 100 characters, no control characters.
    pub fn valid_name(&self) -> Result<String, &'static str> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err("A view needs a name of 1 to 100 characters, without control characters.");
        }
        Ok(name.to_owned())
    }
}

/// `GET /console/v1/views`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewList {
    pub views: Vec<SavedView>,
}

/// Which devices a rollout is for. A view's or a filter's devices are found when the rollout
/// starts, then frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RolloutSource {
    Devices { sids: Vec<String> },
    View { id: String },
    Filter { filter: DeviceFilter },
}

/// `POST /console/v1/rollouts` (and `/preview`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewRollout {
    pub name: String,
    /// The app by SID or unique name; empty for a bulk action.
    pub target_app: String,
    /// What each device is written: the target app, or a bulk action run over a query.
    #[serde(default, skip_serializing_if = "RolloutChange::is_target_app")]
    pub change: RolloutChange,
    pub source: RolloutSource,
    pub plan: Plan,
}

/// What a rollout would do, before it starts (`POST /console/v1/rollouts/preview`).
pub use fleet_engine::rollout::planning::Preview as RolloutPreview;

/// A rollout in a list: everything but its devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolloutSummary {
    #[serde(flatten)]
    pub rollout: Rollout,
    pub counts: Counts,
    pub phase_counts: Vec<Counts>,
    pub device_count: usize,
}

impl RolloutSummary {
    pub fn of(rollout: &Rollout) -> RolloutSummary {
        RolloutSummary {
            counts: rollout.counts(),
            phase_counts: (0..rollout.phase_count)
                .map(|phase| rollout.phase_counts(phase))
                .collect(),
            device_count: rollout.devices.len(),
            rollout: Rollout {
                devices: Vec::new(),
                ..rollout.clone()
            },
        }
    }
}

/// `GET /console/v1/rollouts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolloutList {
    pub rollouts: Vec<RolloutSummary>,
}

/// `POST /console/v1/rollouts/{id}/control`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutControl {
    pub control: Control,
}

/// One write as the audit log keeps it. Secret values are `[redacted]` before it is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at_ms: i64,
    pub operator: String,
    pub role: Role,
    /// The client's address, only when it can be trusted (the peer, or what a trusted proxy
    /// forwarded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    pub method: String,
    /// The resource path, as asked (`/v1/Devices/pump-7`).
    pub path: String,
    /// The parameters sent, with secret values replaced.
    #[serde(default)]
    pub params: std::collections::BTreeMap<String, String>,
    /// The answer's status; 0 when none came.
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
    pub duration_ms: i64,
    /// For device updates: each field that changed, before → after.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// Why something is missing (the state before could not be read, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The rollout that made this write, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<String>,
    /// The device's SID, for a device update (its path may name it by unique name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// What the SIDs the entry mentions were called when it was written (a device's unique
    /// name, an app's, a rollout's), so it reads the same after a rename or a deletion.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub names: std::collections::BTreeMap<String, String>,
    /// For a rollout's write: who started the rollout, as `name (role)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
}

/// The name the entries of a rollout's own writes carry.
pub const ROLLOUT_OPERATOR: &str = "rollout";

impl AuditEntry {
    pub fn succeeded(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// What kind of thing the entry wrote: `device`, `app`, `config`, `secret`, `view`,
    /// `alert`, `rollout`.
    pub fn kind(&self) -> &'static str {
        let path = self.path.to_ascii_lowercase();
        if path.starts_with("/console/v1/views") {
            "view"
        } else if path.starts_with("/console/v1/alerts") {
            "alert"
        } else if path.starts_with("/console/v1/rollouts") || self.rollout.is_some() {
            "rollout"
        } else if path.contains("/secrets") {
            "secret"
        } else if path.contains("/configs") {
            "config"
        } else if path.starts_with("/v1/apps") {
            "app"
        } else {
            "device"
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// An entry with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub hash: String,
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// `GET /console/v1/audit`: newest first; `next_before` asks for the page after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before: Option<i64>,
}

/// `POST /console/v1/audit/verify`: the whole chain checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditVerdict {
    pub intact: bool,
    pub entries: i64,
    /// The first problem found, naming the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_round_trips_and_old_fields_default() {
        let proxy = ConsoleConfig {
            mode: Mode::Proxy,
            api_base: "/v1".into(),
            account_sid: Some("AC1".into()),
            operator: Some(Operator {
                name: "ana".into(),
                role: Role::Operator,
            }),
            index: true,
        };
        let text = serde_json::to_string(&proxy).unwrap();
        assert_eq!(
            text,
            r#"{"mode":"proxy","api_base":"/v1","account_sid":"AC1","operator":{"name":"ana","role":"operator"},"index":true}"#
        );
        assert_eq!(serde_json::from_str::<ConsoleConfig>(&text).unwrap(), proxy);
        let emulator: ConsoleConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(emulator, ConsoleConfig::default());
        assert_eq!(
            serde_json::to_string(&emulator).unwrap(),
            r#"{"mode":"emulator","api_base":"/v1"}"#
        );
        assert_eq!(
            proxy.describe(),
            "Backend: Microvisor API via this server · account AC1"
        );
    }

    #[test]
    fn roles_are_ordered_and_say_what_they_may_do() {
        assert!(Role::Viewer < Role::Operator && Role::Operator < Role::Admin);
        assert!(!Role::Viewer.may_write() && Role::Operator.may_write());
        assert!(!Role::Operator.may_manage_views() && Role::Admin.may_manage_views());
        for role in [Role::Viewer, Role::Operator, Role::Admin] {
            assert_eq!(Role::parse(role.name()), Some(role));
        }
        assert_eq!(Role::parse(" Admin "), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn an_unknown_mode_is_refused() {
        assert!(serde_json::from_str::<ConsoleConfig>(r#"{"mode":"other"}"#).is_err());
    }
}
