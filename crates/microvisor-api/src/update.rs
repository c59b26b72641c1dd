//! The Device update form (`POST /v1/Devices/{Sid}`), form-encoded with the vendor's
//! PascalCase names and `true`/`false` booleans.

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceUpdate {
    pub unique_name: Option<String>,
    pub target_app: Option<String>,
    pub logging_enabled: Option<bool>,
    pub restart_app: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("Parameter '{name}' must be true or false; got '{value}'.")]
    NotABoolean { name: String, value: String },
    #[error("Parameter '{0}' is given more than once.")]
    Repeated(String),
    #[error("Parameter '{0}' is not recognised.")]
    Unknown(String),
}

impl FormError {
    pub fn parameter(&self) -> &str {
        match self {
            FormError::NotABoolean { name, .. } => name,
            FormError::Repeated(name) | FormError::Unknown(name) => name,
        }
    }
}

/// Parses a form boolean the way the vendor's libraries write it (`true`/`false`, any case).
pub fn parse_form_bool(name: &str, value: &str) -> Result<bool, FormError> {
    if value.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if value.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(FormError::NotABoolean {
            name: name.to_owned(),
            value: value.to_owned(),
        })
    }
}

impl DeviceUpdate {
    pub fn is_empty(&self) -> bool {
        *self == DeviceUpdate::default()
    }

    pub fn to_form(&self) -> String {
        let mut form = form_urlencoded::Serializer::new(String::new());
        if let Some(name) = &self.unique_name {
            form.append_pair("UniqueName", name);
        }
        if let Some(app) = &self.target_app {
            form.append_pair("TargetApp", app);
        }
        if let Some(enabled) = self.logging_enabled {
            form.append_pair("LoggingEnabled", bool_str(enabled));
        }
        if let Some(restart) = self.restart_app {
            form.append_pair("RestartApp", bool_str(restart));
        }
        form.finish()
    }

    pub fn from_form(body: &str) -> Result<DeviceUpdate, FormError> {
        let mut update = DeviceUpdate::default();
        for (name, value) in form_urlencoded::parse(body.as_bytes()) {
            let repeated = || FormError::Repeated(name.to_string());
            match name.as_ref() {
                "UniqueName" => {
                    if update.unique_name.replace(value.into_owned()).is_some() {
                        return Err(repeated());
                    }
                }
                "TargetApp" => {
                    if update.target_app.replace(value.into_owned()).is_some() {
                        return Err(repeated());
                    }
                }
                "LoggingEnabled" => {
                    let flag = parse_form_bool(&name, &value)?;
                    if update.logging_enabled.replace(flag).is_some() {
                        return Err(repeated());
                    }
                }
                "RestartApp" => {
                    let flag = parse_form_bool(&name, &value)?;
                    if update.restart_app.replace(flag).is_some() {
                        return Err(repeated());
                    }
                }
                other => return Err(FormError::Unknown(other.to_owned())),
            }
        }
        Ok(update)
    }
}

fn bool_str(flag: bool) -> &'static str {
    if flag { "true" } else { "false" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_with_vendor_names() {
        let update = DeviceUpdate {
            unique_name: Some("pump 7 & co".into()),
            target_app: Some("KA1".into()),
            logging_enabled: Some(true),
            restart_app: Some(false),
        };
        let form = update.to_form();
        assert_eq!(
            form,
            "UniqueName=pump+7+%26+co&TargetApp=KA1&LoggingEnabled=true&RestartApp=false"
        );
        assert_eq!(DeviceUpdate::from_form(&form).unwrap(), update);
    }

    #[test]
    fn rejects_bad_booleans_and_unknown_or_repeated_names() {
        assert_eq!(
            DeviceUpdate::from_form("LoggingEnabled=yes")
                .unwrap_err()
                .parameter(),
            "LoggingEnabled"
        );
        assert!(matches!(
            DeviceUpdate::from_form("Foo=1"),
            Err(FormError::Unknown(_))
        ));
        assert!(matches!(
            DeviceUpdate::from_form("UniqueName=a&UniqueName=b"),
            Err(FormError::Repeated(_))
        ));
        assert!(DeviceUpdate::from_form("").unwrap().is_empty());
        assert_eq!(
            DeviceUpdate::from_form("RestartApp=TRUE")
                .unwrap()
                .restart_app,
            Some(true)
        );
    }
}
