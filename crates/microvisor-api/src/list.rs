//! The list envelope shared by every list endpoint: `{ "<key>": [...], "meta": {...} }`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A resource that lists under a fixed key (`devices`, `apps`, `configs`, `secrets`).
pub trait ListResource {
    const KEY: &'static str;
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ListMeta {
    pub page: Option<u64>,
    pub page_size: Option<u64>,
    pub first_page_url: Option<String>,
    pub previous_page_url: Option<String>,
    pub url: Option<String>,
    pub next_page_url: Option<String>,
    pub key: Option<String>,
}

/// One page of a list. Decoding reads the items from `meta.key` when it is present, and from
/// the resource's usual key otherwise, as the vendor's helper libraries do.
#[derive(Debug, Clone, PartialEq)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub meta: ListMeta,
}

impl<T: ListResource + Serialize> Serialize for ListPage<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(T::KEY, &self.items)?;
        map.serialize_entry("meta", &self.meta)?;
        map.end()
    }
}

impl<'de, T: ListResource + DeserializeOwned> Deserialize<'de> for ListPage<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ListPageVisitor(PhantomData))
    }
}

struct ListPageVisitor<T>(PhantomData<T>);

impl<'de, T: ListResource + DeserializeOwned> Visitor<'de> for ListPageVisitor<T> {
    type Value = ListPage<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list envelope with `{}` and `meta`", T::KEY)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut items: Option<Vec<T>> = None;
        let mut meta: Option<ListMeta> = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "meta" {
                meta = Some(map.next_value()?);
            } else if key == T::KEY {
                items = Some(map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        let meta = meta.ok_or_else(|| serde::de::Error::missing_field("meta"))?;
        if let Some(key) = meta.key.as_deref().filter(|key| *key != T::KEY) {
            return Err(serde::de::Error::custom(format!(
                "the list holds `{key}`, not `{}`",
                T::KEY
            )));
        }
        let items = items.ok_or_else(|| serde::de::Error::missing_field(T::KEY))?;
        Ok(ListPage { items, meta })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{App, Device};

    #[test]
    fn decodes_the_spec_empty_list() {
        let page: ListPage<Device> = serde_json::from_str(
            r#"{"devices": [], "meta": {"page": 0, "page_size": 50,
             "first_page_url": "https://microvisor.twilio.com/v1/Devices?PageSize=50&Page=0",
             "previous_page_url": null,
             "url": "https://microvisor.twilio.com/v1/Devices?PageSize=50&Page=0",
             "next_page_url": null, "key": "devices"}}"#,
        )
        .unwrap();
        assert!(page.items.is_empty());
        assert_eq!(page.meta.page_size, Some(50));
        assert_eq!(page.meta.next_page_url, None);
    }

    #[test]
    fn round_trips_with_the_resource_key() {
        let page = ListPage {
            items: vec![App::default()],
            meta: ListMeta {
                key: Some("apps".into()),
                ..ListMeta::default()
            },
        };
        let json = serde_json::to_string(&page).unwrap();
        assert!(json.starts_with(r#"{"apps":["#));
        assert_eq!(serde_json::from_str::<ListPage<App>>(&json).unwrap(), page);
    }

    #[test]
    fn rejects_a_list_of_something_else() {
        let err =
            serde_json::from_str::<ListPage<Device>>(r#"{"apps": [], "meta": {"key": "apps"}}"#)
                .unwrap_err();
        assert!(err.to_string().contains("not `devices`"), "{err}");
        assert!(serde_json::from_str::<ListPage<Device>>(r#"{"devices": []}"#).is_err());
        assert!(serde_json::from_str::<ListPage<Device>>("[1,2]").is_err());
    }
}
