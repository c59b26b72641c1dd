//! The Device resource (`/v1/Devices/{Sid}`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::list::ListResource;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Device {
    #[serde(deserialize_with = "crate::lenient::sid")]
    pub sid: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub unique_name: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub account_sid: Option<String>,
    #[serde(deserialize_with = "crate::lenient::object")]
    pub app: Option<DeviceApp>,
    #[serde(deserialize_with = "crate::lenient::object")]
    pub logging: Option<DeviceLogging>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub date_created: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub date_updated: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub url: Option<String>,
    #[serde(deserialize_with = "crate::lenient::object")]
    pub links: Option<DeviceLinks>,
}

impl ListResource for Device {
    const KEY: &'static str = "devices";
}

impl Device {
    /// The name to show a person: the unique name, or the SID when there is none.
    pub fn display_name(&self) -> &str {
        self.unique_name
            .as_deref()
            .filter(|name| !name.is_empty())
            .or(self.sid.as_deref())
            .unwrap_or("")
    }

    pub fn update_status(&self) -> Option<&UpdateStatus> {
        self.app.as_ref()?.update_status.as_ref()
    }

    /// True when the device reports an app other than the one it is told to run.
    pub fn reported_differs_from_target(&self) -> bool {
        self.app
            .as_ref()
            .is_some_and(|app| app.reported_sid.is_some() && app.reported_sid != app.target_sid)
    }
}

/// The `app` object. The spec types it only as `object`; the fields come from its description
/// and examples.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceApp {
    #[serde(deserialize_with = "crate::lenient::string")]
    pub target_sid: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub target_hash: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub date_targeted: Option<String>,
    #[serde(deserialize_with = "update_status")]
    pub update_status: Option<UpdateStatus>,
    #[serde(deserialize_with = "crate::lenient::integer")]
    pub update_error_code: Option<i64>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub reported_sid: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub date_reported: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceLogging {
    #[serde(deserialize_with = "crate::lenient::boolean")]
    pub enabled: Option<bool>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub date_expires: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceLinks {
    #[serde(deserialize_with = "crate::lenient::string")]
    pub device_configs: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub device_secrets: Option<String>,
}

/// `app.update_status` from whatever came: a string, or absent.
fn update_status<'de, D: Deserializer<'de>>(d: D) -> Result<Option<UpdateStatus>, D::Error> {
    Ok(crate::lenient::string(d)?.map(|text| UpdateStatus::from_wire(&text)))
}

/// `app.update_status`. The docs once called `pending` "scheduled"; both read as `Pending`.
/// A value this console does not know is kept, not rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateStatus {
    UpToDate,
    Pending,
    Error,
    Other(String),
}

impl UpdateStatus {
    pub fn as_wire(&self) -> &str {
        match self {
            UpdateStatus::UpToDate => "up-to-date",
            UpdateStatus::Pending => "pending",
            UpdateStatus::Error => "error",
            UpdateStatus::Other(other) => other,
        }
    }

    pub fn from_wire(text: &str) -> UpdateStatus {
        match text {
            "up-to-date" => UpdateStatus::UpToDate,
            "pending" | "scheduled" => UpdateStatus::Pending,
            "error" => UpdateStatus::Error,
            other => UpdateStatus::Other(other.to_owned()),
        }
    }
}

impl Serialize for UpdateStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_wire())
    }
}

impl<'de> Deserialize<'de> for UpdateStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(UpdateStatus::from_wire(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `fetch` example of the vendor's spec, verbatim in shape.
    const SPEC_EXAMPLE: &str = r#"{
        "sid": "UVaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "unique_name": "This is my device; it's a Nucleo",
        "account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "app": {"target_sid": "KAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "target_hash": null,
                "date_targeted": "2021-01-01T12:34:56Z", "update_status": "up-to-date",
                "update_error_code": 0, "reported_sid": "KAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "date_reported": "2021-01-01T12:34:56Z"},
        "logging": {"enabled": true, "date_expires": "2021-01-01T12:34:56Z"},
        "date_created": "2015-07-30T20:00:00Z",
        "date_updated": "2015-07-30T20:00:00Z",
        "url": "https://microvisor.twilio.com/v1/Devices/UVaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "links": {
            "device_configs": "https://microvisor.twilio.com/v1/Devices/UVaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Configs",
            "device_secrets": "https://microvisor.twilio.com/v1/Devices/UVaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Secrets"
        }
    }"#;

    #[test]
    fn decodes_the_spec_example() {
        let device: Device = serde_json::from_str(SPEC_EXAMPLE).unwrap();
        assert_eq!(
            device.unique_name.as_deref(),
            Some("This is my device; it's a Nucleo")
        );
        assert_eq!(device.update_status(), Some(&UpdateStatus::UpToDate));
        assert_eq!(device.logging.as_ref().unwrap().enabled, Some(true));
        assert!(!device.reported_differs_from_target());
        assert!(
            device
                .links
                .unwrap()
                .device_configs
                .unwrap()
                .ends_with("/Configs")
        );
    }

    #[test]
    fn nulls_and_missing_fields_decode() {
        let device: Device =
            serde_json::from_str(r#"{"sid": null, "app": null, "extra": [1]}"#).unwrap();
        assert_eq!(device, Device::default());
        assert_eq!(device.display_name(), "");
    }

    #[test]
    fn scheduled_reads_as_pending_and_unknown_statuses_survive() {
        let app: DeviceApp = serde_json::from_str(r#"{"update_status": "scheduled"}"#).unwrap();
        assert_eq!(app.update_status, Some(UpdateStatus::Pending));
        let app: DeviceApp = serde_json::from_str(r#"{"update_status": "rolling"}"#).unwrap();
        assert_eq!(app.update_status.unwrap().as_wire(), "rolling");
    }

    #[test]
    fn display_name_falls_back_to_sid() {
        let device = Device {
            sid: Some("UV1".into()),
            unique_name: Some(String::new()),
            ..Device::default()
        };
        assert_eq!(device.display_name(), "UV1");
    }
}
