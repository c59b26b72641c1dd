//! Configs and Secrets, at account level (`/v1/Configs`, `/v1/Secrets`) and per device
//! (`/v1/Devices/{DeviceSid}/Configs`, `.../Secrets`). A Secret's value is write-only: the type
//! has no field for it.

use serde::{Deserialize, Serialize};

use crate::list::ListResource;

/// Longest key the API takes, in characters.
pub const KEY_MAX_LEN: usize = 100;
/// Longest value the API takes, in characters.
pub const VALUE_MAX_LEN: usize = 4096;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Only on device configs.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "crate::lenient::string")]
    pub device_sid: Option<String>,
    #[serde(deserialize_with = "crate::lenient::key")]
    pub key: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub value: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub date_updated: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Secret {
    /// Only on device secrets.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "crate::lenient::string")]
    pub device_sid: Option<String>,
    #[serde(deserialize_with = "crate::lenient::key")]
    pub key: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub date_rotated: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub url: Option<String>,
}

impl ListResource for Config {
    const KEY: &'static str = "configs";
}

impl ListResource for Secret {
    const KEY: &'static str = "secrets";
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyValueError {
    #[error("Key cannot be empty.")]
    EmptyKey,
    #[error("Key can be at most {KEY_MAX_LEN} characters; this one has {0}.")]
    KeyTooLong(usize),
    #[error("Key cannot contain '/', '?', '#' or control characters.")]
    KeyCharacter,
    #[error("Value can be at most {VALUE_MAX_LEN} characters; this one has {0}.")]
    ValueTooLong(usize),
}

impl KeyValueError {
    pub fn parameter(&self) -> &'static str {
        match self {
            KeyValueError::ValueTooLong(_) => "Value",
            _ => "Key",
        }
    }
}

/// Checks a config or secret key. Keys are path segments, hence the refused characters.
pub fn validate_key(key: &str) -> Result<(), KeyValueError> {
    let length = key.chars().count();
    if length == 0 {
        return Err(KeyValueError::EmptyKey);
    }
    if length > KEY_MAX_LEN {
        return Err(KeyValueError::KeyTooLong(length));
    }
    if key
        .chars()
        .any(|c| c.is_control() || matches!(c, '/' | '?' | '#'))
    {
        return Err(KeyValueError::KeyCharacter);
    }
    Ok(())
}

pub fn validate_value(value: &str) -> Result<(), KeyValueError> {
    let length = value.chars().count();
    if length > VALUE_MAX_LEN {
        return Err(KeyValueError::ValueTooLong(length));
    }
    Ok(())
}

/// The API path of a Configs or Secrets collection: the account's, or one device's.
pub fn collection_path(device: Option<&str>, secrets: bool) -> String {
    let collection = if secrets { "Secrets" } else { "Configs" };
    match device {
        Some(device) => format!(
            "/v1/Devices/{}/{collection}",
            crate::url::encode_segment(device)
        ),
        None => format!("/v1/{collection}"),
    }
}

/// The create and update forms: `Key` (create only) and `Value`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyValueForm {
    pub key: Option<String>,
    pub value: Option<String>,
}

impl KeyValueForm {
    pub fn to_form(&self) -> String {
        let mut form = form_urlencoded::Serializer::new(String::new());
        if let Some(key) = &self.key {
            form.append_pair("Key", key);
        }
        if let Some(value) = &self.value {
            form.append_pair("Value", value);
        }
        form.finish()
    }

    pub fn from_form(body: &str) -> Result<KeyValueForm, crate::FormError> {
        let mut form = KeyValueForm::default();
        for (name, value) in form_urlencoded::parse(body.as_bytes()) {
            let slot = match name.as_ref() {
                "Key" => &mut form.key,
                "Value" => &mut form.value,
                other => return Err(crate::FormError::Unknown(other.to_owned())),
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(crate::FormError::Repeated(name.into_owned()));
            }
        }
        Ok(form)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_and_value_limits() {
        assert_eq!(validate_key(""), Err(KeyValueError::EmptyKey));
        assert_eq!(validate_key(&"k".repeat(100)), Ok(()));
        assert_eq!(
            validate_key(&"k".repeat(101)),
            Err(KeyValueError::KeyTooLong(101))
        );
        assert_eq!(validate_key("a/b"), Err(KeyValueError::KeyCharacter));
        assert_eq!(validate_value(&"v".repeat(4096)), Ok(()));
        assert_eq!(
            validate_value(&"é".repeat(4097)),
            Err(KeyValueError::ValueTooLong(4097))
        );
        assert_eq!(KeyValueError::ValueTooLong(1).parameter(), "Value");
    }

    #[test]
    fn collection_paths() {
        assert_eq!(collection_path(None, false), "/v1/Configs");
        assert_eq!(
            collection_path(Some("pump 7"), true),
            "/v1/Devices/pump%207/Secrets"
        );
    }

    #[test]
    fn forms_round_trip() {
        let form = KeyValueForm {
            key: Some("broker host".into()),
            value: Some("mqtt://a?b=c&d".into()),
        };
        let text = form.to_form();
        assert_eq!(text, "Key=broker+host&Value=mqtt%3A%2F%2Fa%3Fb%3Dc%26d");
        assert_eq!(KeyValueForm::from_form(&text).unwrap(), form);
        assert!(KeyValueForm::from_form("Key=a&Key=b").is_err());
        assert!(KeyValueForm::from_form("Other=1").is_err());
    }

    #[test]
    fn secrets_have_no_value_and_account_items_no_device_sid() {
        let secret: Secret =
            serde_json::from_str(r#"{"key":"k","value":"leak","date_rotated":null}"#).unwrap();
        assert!(!serde_json::to_string(&secret).unwrap().contains("leak"));
        let config = Config {
            key: Some("k".into()),
            ..Config::default()
        };
        assert!(
            !serde_json::to_string(&config)
                .unwrap()
                .contains("device_sid")
        );
    }
}
