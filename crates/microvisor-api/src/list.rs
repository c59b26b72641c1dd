//! The list envelope shared by every list endpoint: `{ "<key>": [...], "meta": {...} }`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The links of a list answer, read without decoding its items: a pass over the text that
/// skips the list. A scan asks for the next page with them before it decodes this one.
pub fn links_of(body: &[u8]) -> Option<ListMeta> {
    #[derive(Deserialize)]
    struct Links {
        #[serde(default, deserialize_with = "crate::lenient::object")]
        meta: Option<ListMeta>,
    }
    serde_json::from_slice::<Links>(body).ok()?.meta
}

/// A resource that lists under a fixed key (`devices`, `apps`, `configs`, `secrets`).
pub trait ListResource {
    const KEY: &'static str;
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ListMeta {
    #[serde(deserialize_with = "crate::lenient::integer")]
    pub page: Option<i64>,
    #[serde(deserialize_with = "crate::lenient::integer")]
    pub page_size: Option<i64>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub first_page_url: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub previous_page_url: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub url: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub next_page_url: Option<String>,
    #[serde(deserialize_with = "crate::lenient::string")]
    pub key: Option<String>,
}

/// One page of a list: the items under the resource's key (`devices`, ...). `meta` may be
/// missing or odd (then it has no links). When `meta.key` names another list that the answer
/// holds, the answer is not this list and is refused; a `meta.key` that names nothing in the
/// answer is ignored. The list itself must be there, and be a list.
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
        let mut others: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "meta" {
                meta = map.next_value_seed(LenientMeta)?;
            } else if key == T::KEY {
                items = Some(map.next_value_seed(NamedItems::<T>(PhantomData))?);
            } else {
                map.next_value::<IgnoredAny>()?;
                others.push(key);
            }
        }
        let meta = meta.unwrap_or_default();
        if let Some(key) = meta
            .key
            .as_deref()
            .filter(|key| others.iter().any(|k| k == key))
        {
            return Err(serde::de::Error::custom(format!(
                "the list holds `{key}`, not `{}`",
                T::KEY
            )));
        }
        let items = items.ok_or_else(|| {
            serde::de::Error::custom(format!("the answer has no `{}` list", T::KEY))
        })?;
        Ok(ListPage { items, meta })
    }
}

/// `meta` as an object, or no meta at all when something else came.
struct LenientMeta;

impl<'de> DeserializeSeed<'de> for LenientMeta {
    type Value = Option<ListMeta>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        crate::lenient::object(d)
    }
}

/// The items of a list, each error naming the item it is in (`devices[3]: …`).
struct NamedItems<T>(PhantomData<T>);

impl<'de, T: ListResource + DeserializeOwned> DeserializeSeed<'de> for NamedItems<T> {
    type Value = Vec<T>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: ListResource + DeserializeOwned> Visitor<'de> for NamedItems<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "`{}` as a list", T::KEY)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1000));
        loop {
            match seq.next_element::<T>() {
                Ok(Some(item)) => items.push(item),
                Ok(None) => return Ok(items),
                Err(err) => {
                    let message = err.to_string();
                    // The decoder adds where in the text; the item's place says more.
                    let message = message
                        .rfind(" at line ")
                        .map_or(message.as_str(), |at| &message[..at]);
                    return Err(serde::de::Error::custom(format!(
                        "{}[{}]: {message}",
                        T::KEY,
                        items.len()
                    )));
                }
            }
        }
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
        // A key that names nothing in the answer says nothing about it.
        let page: ListPage<Device> = serde_json::from_str(
            r#"{"devices": [{"sid": "UV1"}], "meta": {"key": "nostrud elit minim"}}"#,
        )
        .unwrap();
        assert_eq!(page.items.len(), 1);
        assert!(serde_json::from_str::<ListPage<Device>>("[1,2]").is_err());
    }

    #[test]
    fn links_are_read_without_the_list() {
        let body = br#"{"devices": [{"sid": "UV1"}, 5, {"x": [1, {"y": null}]}], "meta": {"next_page_url": "https://a/v1/Devices?PageToken=PA1", "page": 3}}"#;
        let meta = links_of(body).unwrap();
        assert_eq!(meta.page, Some(3));
        assert_eq!(
            meta.next_page_url.as_deref(),
            Some("https://a/v1/Devices?PageToken=PA1")
        );
        assert_eq!(links_of(b"{\"devices\": []}"), None);
        assert_eq!(links_of(b"not json"), None);
    }

    #[test]
    fn a_missing_or_odd_meta_means_no_links() {
        let page: ListPage<Device> = serde_json::from_str(r#"{"devices": []}"#).unwrap();
        assert_eq!(page.meta, ListMeta::default());
        let page: ListPage<Device> =
            serde_json::from_str(r#"{"devices": [], "meta": "odd"}"#).unwrap();
        assert_eq!(page.meta, ListMeta::default());
        let page: ListPage<Device> = serde_json::from_str(
            r#"{"devices": [], "meta": {"page": -62562497, "page_size": "fifty", "key": 7}}"#,
        )
        .unwrap();
        assert_eq!(page.meta.page, Some(-62562497));
        assert_eq!((page.meta.page_size, page.meta.key), (None, None));
    }

    #[test]
    fn refusals_name_the_field_and_what_came() {
        let err = |json: &str| {
            serde_json::from_str::<ListPage<Device>>(json)
                .unwrap_err()
                .to_string()
        };
        assert!(err(r#"{"meta": {}}"#).contains("the answer has no `devices` list"));
        let not_a_list = err(r#"{"devices": {"sid": "UV1"}}"#);
        assert!(not_a_list.contains("`devices` as a list"), "{not_a_list}");
        let bad_sid = err(r#"{"devices": [{"sid": "UV1"}, {"sid": 42}]}"#);
        assert!(
            bad_sid.starts_with("devices[1]: `sid` must be a string or null; got the number 42"),
            "{bad_sid}"
        );
        let not_an_object = err(r#"{"devices": [5]}"#);
        assert!(not_an_object.starts_with("devices[0]: "), "{not_an_object}");
    }
}
