//! App SIDs and the unique names people know them by.

use std::collections::BTreeMap;

use microvisor_api::App;
use serde::{Deserialize, Serialize};

/// App SIDs to unique names, so tables, filters and dialogs can show and match apps by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppNames(BTreeMap<String, String>);

impl AppNames {
    pub fn from_apps(apps: &[App]) -> AppNames {
        apps.iter()
            .filter_map(|app| Some((app.sid.clone()?, app.unique_name.clone()?)))
            .collect()
    }

    /// The app's unique name, as the API gave it.
    pub fn name_of(&self, sid: &str) -> Option<&str> {
        self.0.get(sid).map(String::as_str)
    }

    /// The SID of the app with this unique name.
    pub fn sid_named(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(_, known)| *known == name)
            .map(|(sid, _)| sid.as_str())
    }

    /// The unique name when known, else the SID itself: what a table shows.
    pub fn name_or_sid<'a>(&'a self, sid: &'a str) -> &'a str {
        self.name_of(sid).unwrap_or(sid)
    }

    /// Every unique name, in SID order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.values().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, String)> for AppNames {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(pairs: I) -> AppNames {
        AppNames(pairs.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_sids_both_ways() {
        let apps = [
            App {
                sid: Some("KA1".into()),
                unique_name: Some("fw-1".into()),
                ..App::default()
            },
            App {
                sid: Some("KA2".into()),
                unique_name: None,
                ..App::default()
            },
            App {
                sid: Some("KA3".into()),
                unique_name: Some("\u{202E}evil".into()),
                ..App::default()
            },
        ];
        let names = AppNames::from_apps(&apps);
        assert_eq!(names.name_of("KA1"), Some("fw-1"));
        assert_eq!(
            names.name_of("KA2"),
            None,
            "an app without a name has no entry"
        );
        assert_eq!(names.sid_named("fw-1"), Some("KA1"));
        assert_eq!(names.name_or_sid("KA2"), "KA2");
        assert_eq!(names.names().collect::<Vec<_>>(), ["fw-1", "\u{202E}evil"]);
    }
}
