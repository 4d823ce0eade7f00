//! Reads JS option objects into typed Rust params, checking each field's JS type.
//! Owns "is this the right JS type" errors (naming the field); value rules live in `api` and `config`.

use crate::config::checked_key;
use crate::error::Error;
use crate::model::{Nullable, RawJson, TokenFormat};
use crate::secret::Secret;
use js_sys::{Array, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};

/// Largest integer a JS number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// An options object (or `undefined`, read as empty).
pub(crate) struct Options(Option<js_sys::Object>);

impl Options {
    /// Accepts a plain object, or `undefined`/`null` as "no options". Anything else is `invalid_argument`.
    pub fn new(value: JsValue, name: &'static str) -> Result<Options, Error> {
        if value.is_undefined() || value.is_null() {
            return Ok(Options(None));
        }
        if !value.is_object() || Array::is_array(&value) || value.is_function() {
            return Err(Error::invalid(name, "an options object"));
        }
        Ok(Options(Some(value.unchecked_into())))
    }

    /// The raw field (`undefined` when absent). A throwing getter is `invalid_argument`.
    fn get(&self, field: &'static str) -> Result<JsValue, Error> {
        match &self.0 {
            None => Ok(JsValue::UNDEFINED),
            Some(obj) => {
                Reflect::get(obj, &JsValue::from_str(field)).map_err(|_| Error::invalid(field, "a readable value"))
            }
        }
    }

    /// A field that may be absent, `null`, or a value.
    fn nullable(&self, field: &'static str) -> Result<Nullable<JsValue>, Error> {
        let v = self.get(field)?;
        Ok(if v.is_undefined() {
            Nullable::Absent
        } else if v.is_null() {
            Nullable::Null
        } else {
            Nullable::Value(v)
        })
    }

    /// The field's value, `None` when absent or `null`.
    pub fn raw(&self, field: &'static str) -> Result<Option<JsValue>, Error> {
        self.optional(field)
    }

    /// True when any of `fields` is set (neither absent nor `null`).
    pub fn has_any(&self, fields: &[&'static str]) -> Result<bool, Error> {
        for field in fields {
            if self.optional(field)?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// A field where `null` means the same as absent.
    fn optional(&self, field: &'static str) -> Result<Option<JsValue>, Error> {
        Ok(self.nullable(field)?.value().cloned())
    }

    /// A required string.
    pub fn required_string(&self, field: &'static str, expected: &'static str) -> Result<String, Error> {
        self.optional(field)?.and_then(|v| v.as_string()).ok_or(Error::invalid(field, expected))
    }

    /// An optional string.
    pub fn string(&self, field: &'static str, expected: &'static str) -> Result<Option<String>, Error> {
        self.optional(field)?.map(|v| v.as_string().ok_or(Error::invalid(field, expected))).transpose()
    }

    /// A string that may be sent as `null`.
    pub fn nullable_string(&self, field: &'static str) -> Result<Nullable<String>, Error> {
        match self.nullable(field)? {
            Nullable::Value(v) => v.as_string().map(Nullable::Value).ok_or(Error::invalid(field, "a string or null")),
            Nullable::Null => Ok(Nullable::Null),
            Nullable::Absent => Ok(Nullable::Absent),
        }
    }

    /// An optional boolean.
    pub fn boolean(&self, field: &'static str) -> Result<Option<bool>, Error> {
        self.optional(field)?.map(|v| v.as_bool().ok_or(Error::invalid(field, "a boolean"))).transpose()
    }

    /// An optional JS number (any, NaN included: value rules are checked later).
    pub fn number(&self, field: &'static str, expected: &'static str) -> Result<Option<f64>, Error> {
        self.optional(field)?.map(|v| v.as_f64().ok_or(Error::invalid(field, expected))).transpose()
    }

    /// A number that may be sent as `null`.
    pub fn nullable_number(&self, field: &'static str, expected: &'static str) -> Result<Nullable<f64>, Error> {
        match self.nullable(field)? {
            Nullable::Value(v) => v.as_f64().map(Nullable::Value).ok_or(Error::invalid(field, expected)),
            Nullable::Null => Ok(Nullable::Null),
            Nullable::Absent => Ok(Nullable::Absent),
        }
    }

    /// An optional non-negative safe integer.
    pub fn integer(&self, field: &'static str, expected: &'static str) -> Result<Option<u64>, Error> {
        match self.number(field, expected)? {
            None => Ok(None),
            Some(n) if n.is_finite() && n.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(&n) => Ok(Some(n as u64)),
            Some(_) => Err(Error::invalid(field, expected)),
        }
    }

    /// An optional key: a string; empty counts as absent; it must be header-safe.
    pub fn key(&self, field: &'static str) -> Result<Option<Secret>, Error> {
        let key = self.string(field, "a string key")?.map(Secret::from);
        checked_key(key, field)
    }

    /// `opaque` or `jwt`.
    pub fn token_format(&self, field: &'static str) -> Result<Option<TokenFormat>, Error> {
        const EXPECTED: &str = "'opaque' or 'jwt'";
        self.string(field, EXPECTED)?.map(|s| TokenFormat::parse(&s).ok_or(Error::invalid(field, EXPECTED))).transpose()
    }

    /// Any JSON-serialisable value (or `null`), kept as raw JSON text.
    pub fn json(&self, field: &'static str) -> Result<Nullable<RawJson>, Error> {
        const EXPECTED: &str = "a JSON-serialisable value";
        match self.nullable(field)? {
            Nullable::Value(v) => {
                let text =
                    JSON::stringify(&v).ok().and_then(|s| s.as_string()).ok_or(Error::invalid(field, EXPECTED))?;
                RawJson::parse(&text).map(Nullable::Value).ok_or(Error::invalid(field, EXPECTED))
            }
            Nullable::Null => Ok(Nullable::Null),
            Nullable::Absent => Ok(Nullable::Absent),
        }
    }
}
