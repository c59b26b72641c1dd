//! Decoding as liberal as the spec. A field the console only shows decodes from whatever came
//! (a value of another type reads as absent), so one odd field never costs a whole page. A
//! field the console cannot work without (a resource's SID or key) must be a string or null;
//! anything else is refused with a message that names the field and says what came.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A JSON scalar, or a note that something else (an array or object) came.
enum Scalar {
    Text(String),
    Signed(i64),
    Unsigned(u64),
    Float(f64),
    Bool(bool),
    Null,
    Compound,
}

impl Scalar {
    /// How an error message describes what came.
    fn describe(&self) -> String {
        match self {
            Scalar::Text(text) => format!("the string {text:?}"),
            Scalar::Signed(n) => format!("the number {n}"),
            Scalar::Unsigned(n) => format!("the number {n}"),
            Scalar::Float(n) => format!("the number {n}"),
            Scalar::Bool(b) => format!("{b}"),
            Scalar::Null => "null".to_owned(),
            Scalar::Compound => "an array or object".to_owned(),
        }
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Text(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Text(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Signed(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Unsigned(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Compound)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Compound)
    }
}

fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
    d.deserialize_any(ScalarVisitor)
}

/// A string, or absent for anything else.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match scalar(d)? {
        Scalar::Text(text) => Some(text),
        _ => None,
    })
}

/// A whole number that fits in 64 signed bits, or absent for anything else.
pub fn integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match scalar(d)? {
        Scalar::Signed(n) => Some(n),
        Scalar::Unsigned(n) => i64::try_from(n).ok(),
        Scalar::Float(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Some(n as i64),
        _ => None,
    })
}

/// A boolean, or absent for anything else.
pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match scalar(d)? {
        Scalar::Bool(b) => Some(b),
        _ => None,
    })
}

/// What the console needs: a string or null. Anything else is refused, naming `field`.
pub fn required_string<'de, D: Deserializer<'de>>(
    d: D,
    field: &str,
) -> Result<Option<String>, D::Error> {
    match scalar(d)? {
        Scalar::Text(text) => Ok(Some(text)),
        Scalar::Null => Ok(None),
        other => Err(de::Error::custom(format!(
            "`{field}` must be a string or null; got {}",
            other.describe()
        ))),
    }
}

/// A resource's SID: the console links by it.
pub fn sid<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    required_string(d, "sid")
}

/// A Config's or Secret's key: the console addresses it by that.
pub fn key<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    required_string(d, "key")
}

/// An object decoded as `T`, or absent for anything else (a string, a number, an array).
pub fn object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct ObjectVisitor<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
            T::deserialize(MapAccessDeserializer::new(map)).map(Some)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<T>, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Option<T>, E> {
            Ok(None)
        }
    }

    d.deserialize_any(ObjectVisitor(PhantomData))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Default, PartialEq, Deserialize)]
    #[serde(default)]
    struct Inner {
        #[serde(deserialize_with = "super::integer")]
        n: Option<i64>,
    }

    #[derive(Debug, Default, PartialEq, Deserialize)]
    #[serde(default)]
    struct Sample {
        #[serde(deserialize_with = "super::string")]
        text: Option<String>,
        #[serde(deserialize_with = "super::integer")]
        number: Option<i64>,
        #[serde(deserialize_with = "super::boolean")]
        flag: Option<bool>,
        #[serde(deserialize_with = "super::object")]
        inner: Option<Inner>,
        #[serde(deserialize_with = "sid")]
        sid: Option<String>,
    }

    fn sid<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        super::required_string(d, "sid")
    }

    fn decode(json: &str) -> Result<Sample, String> {
        serde_json::from_str(json).map_err(|err| err.to_string())
    }

    #[test]
    fn fields_of_another_type_read_as_absent() {
        assert_eq!(
            decode(r#"{"text": 5, "number": "x", "flag": [1], "inner": "y", "extra": {}}"#),
            Ok(Sample::default())
        );
        assert_eq!(
            decode(
                r#"{"text": "t", "number": -62562497, "flag": true, "inner": {"n": 9007199254740993}}"#
            ),
            Ok(Sample {
                text: Some("t".into()),
                number: Some(-62562497),
                flag: Some(true),
                inner: Some(Inner {
                    n: Some(9007199254740993)
                }),
                sid: None,
            })
        );
        assert_eq!(
            decode(r#"{"number": 18446744073709551615}"#),
            Ok(Sample::default())
        );
        assert_eq!(
            decode(r#"{"number": 3.0, "inner": null}"#).unwrap().number,
            Some(3)
        );
    }

    #[test]
    fn a_needed_field_of_another_type_is_refused_by_name() {
        let err = decode(r#"{"sid": 123}"#).unwrap_err();
        assert!(
            err.contains("`sid` must be a string or null; got the number 123"),
            "{err}"
        );
        let err = decode(r#"{"sid": {"a": 1}}"#).unwrap_err();
        assert!(err.contains("got an array or object"), "{err}");
        assert_eq!(decode(r#"{"sid": null}"#), Ok(Sample::default()));
    }
}
