//! JS option objects → typed Rust values, through serde-wasm-bindgen, by one reader ([`read`]) over the core's
//! table of option names (`core::options`): a name the object does not take is refused, a field of the wrong JS
//! type names itself (`err.field === 'limit'`); value rules and messages live in the core. Also the options that
//! are JS objects (`claims`, `fetcher`, `origins`). `ClerkM2M.fromEnv`'s bindings are `js::env`'s.

use crate::core::config::Config;
use crate::core::error::Error;
use crate::core::guard::GuardSettings;
use crate::core::json::Json;
use crate::core::model::Nullable;
use crate::core::options::{accepted, check_name, invalid, OptionsOf};
use crate::core::secret::Secret;
use crate::edge::json::EdgeJson;
use crate::js::store::JsCacheStore;
use js_sys::{Array, Function, Object, Reflect, JSON};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};

/// True for `undefined` and `null`: no options.
fn is_absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

/// Reads the options object `value` of `of` (`undefined` and `null` read as `{}`): anything but a plain object
/// is `options`, a name `of` does not take is that name (with the closest one it takes), a field of the wrong JS
/// type is that field.
pub(crate) fn read<T: DeserializeOwned>(value: &JsValue, of: OptionsOf) -> Result<T, Error> {
    check_names(value, of)?;
    parse(value, of)
}

/// Reads an options object whose names were checked.
fn parse<T: DeserializeOwned>(value: &JsValue, of: OptionsOf) -> Result<T, Error> {
    let object = if is_absent(value) { Object::new().into() } else { value.clone() };
    serde_wasm_bindgen::from_value(object).map_err(|_| invalid(culprit::<T>(value, of)))
}

/// Refuses anything but a plain object, and every own name of it that `of` does not take.
pub(crate) fn check_names(value: &JsValue, of: OptionsOf) -> Result<(), Error> {
    if is_absent(value) {
        return Ok(());
    }
    if !value.is_object() || Array::is_array(value) || value.is_function() {
        return Err(invalid("options"));
    }
    for name in Object::keys(value.unchecked_ref::<Object>()).iter() {
        check_name(of, &name.as_string().unwrap_or_default())?;
    }
    Ok(())
}

/// The option that makes `options` unreadable as `T`: each option of `of` it sets is read alone, and the first
/// one `T` refuses is the culprit (`"options"` when none is). Runs only once a read failed, so the happy path
/// costs nothing for it — and, unlike wrapping every read in serde_path_to_error, no second copy of each reader.
fn culprit<T: DeserializeOwned>(options: &JsValue, of: OptionsOf) -> &'static str {
    for name in accepted(of) {
        let key = JsValue::from_str(name);
        if !Reflect::has(options, &key).unwrap_or(false) {
            continue;
        }
        let Ok(value) = Reflect::get(options, &key) else { return name };
        let alone = Object::new();
        if Reflect::set(&alone, &key, &value).is_err() || serde_wasm_bindgen::from_value::<T>(alone.into()).is_err() {
            return name;
        }
    }
    "options"
}

/// The `claims` option, read with the runtime's own `JSON.stringify` (so `toJSON`, cycles and BigInts behave
/// as JSON does), then parsed: absent, `null`, or a JSON value.
pub(crate) fn claims(options: &JsValue) -> Result<Nullable<serde_json::Value>, Error> {
    if is_absent(options) {
        return Ok(Nullable::Absent);
    }
    let value = Reflect::get(options, &JsValue::from_str("claims")).map_err(|_| invalid("claims"))?;
    if value.is_undefined() {
        return Ok(Nullable::Absent);
    }
    if value.is_null() {
        return Ok(Nullable::Null);
    }
    let text = JSON::stringify(&value).ok().and_then(|s| s.as_string()).ok_or(invalid("claims"))?;
    EdgeJson::parse(&text).map(Nullable::Value).ok_or(invalid("claims"))
}

/// The options that configure a client (`new ClerkM2M(o)`), which `verifyRequest` also takes.
#[derive(Deserialize, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClientOptions {
    #[serde(default)]
    pub machine_secret_key: Option<Secret>,
    #[serde(default)]
    pub secret_key: Option<Secret>,
    #[serde(default)]
    pub api_url: Option<String>,
    #[serde(default)]
    pub api_version: Option<String>,
    #[serde(default)]
    pub timeout_ms: Option<f64>,
    #[serde(default)]
    pub max_retries: Option<u32>,
    /// A PEM public key for JWTs: a guard setting, accepted by the client too.
    #[serde(default)]
    pub jwt_key: Option<String>,
    /// The receiving machine for `verifyRequest`: a guard setting, accepted by the client as its default.
    #[serde(default)]
    pub machine_id: Option<String>,
}

impl ClientOptions {
    /// True when any option that configures the client is set (`jwtKey` aside).
    pub fn overrides_client(&self) -> bool {
        self.machine_secret_key.is_some()
            || self.secret_key.is_some()
            || self.api_url.is_some()
            || self.api_version.is_some()
            || self.timeout_ms.is_some()
            || self.max_retries.is_some()
    }

    /// `base` with the options that are set applied; validated by `Client::new` later.
    pub fn apply(&self, base: &Config) -> Result<Config, Error> {
        let mut cfg = base.clone();
        if let Some(key) = &self.machine_secret_key {
            cfg.machine_secret_key = Some(key.clone());
        }
        if let Some(key) = &self.secret_key {
            cfg.secret_key = Some(key.clone());
        }
        if let Some(url) = &self.api_url {
            cfg.api_url.clone_from(url);
        }
        if let Some(version) = &self.api_version {
            cfg.api_version.clone_from(version);
        }
        if let Some(ms) = self.timeout_ms {
            cfg.timeout_ms = timer_ms(ms, "timeoutMs")?;
        }
        if let Some(retries) = self.max_retries {
            cfg.max_retries = retries;
        }
        Ok(cfg)
    }
}

/// The guard's own options of `verifyRequest` (the client's, `machineId` among them, are read by
/// [`ClientOptions`]).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct GuardOptions {
    #[serde(default)]
    allow_any_machine: Option<bool>,
    #[serde(default)]
    clock_skew_ms: Option<f64>,
    #[serde(default)]
    cache: Option<bool>,
    #[serde(default)]
    cache_ttl_ms: Option<f64>,
    #[serde(default)]
    negative_cache_ttl_ms: Option<f64>,
    #[serde(default)]
    jwks_max_stale_ms: Option<f64>,
}

/// A delay a JS timer takes, given as the option `field`: more than 0 and at most 2147483647 ms, rounded up.
pub(crate) fn timer_ms(ms: f64, field: &'static str) -> Result<u32, Error> {
    if ms > 0.0 && ms <= f64::from(i32::MAX) {
        Ok(ms.ceil() as u32)
    } else {
        Err(invalid(field))
    }
}

fn milliseconds(value: Option<f64>, field: &'static str, default: u32) -> Result<u32, Error> {
    match value {
        Some(v) if v >= 0.0 && v <= f64::from(u32::MAX) => Ok(v.ceil() as u32),
        Some(_) => Err(invalid(field)),
        None => Ok(default),
    }
}

impl GuardOptions {
    /// The settings, with `jwt_key` and `machine_id` as given.
    fn settings(self, jwt_key: Option<String>, machine_id: Option<String>) -> Result<GuardSettings, Error> {
        let d = GuardSettings::default();
        Ok(GuardSettings {
            jwt_key,
            machine_id,
            allow_any_machine: self.allow_any_machine.unwrap_or(false),
            clock_skew_ms: milliseconds(self.clock_skew_ms, "clockSkewMs", d.clock_skew_ms)?,
            cache: self.cache.unwrap_or(d.cache),
            cache_ttl_ms: milliseconds(self.cache_ttl_ms, "cacheTtlMs", d.cache_ttl_ms)?,
            negative_cache_ttl_ms: milliseconds(
                self.negative_cache_ttl_ms,
                "negativeCacheTtlMs",
                d.negative_cache_ttl_ms,
            )?,
            jwks_max_stale_ms: milliseconds(self.jwks_max_stale_ms, "jwksMaxStaleMs", d.jwks_max_stale_ms)?,
        })
    }
}

/// What a client brings to `m2m.verifyRequest` when the options do not say: its `jwtKey` and `machineId`.
#[derive(Default)]
pub(crate) struct GuardDefaults {
    pub jwt_key: Option<String>,
    pub machine_id: Option<String>,
}

/// The options of `verifyRequest` (standalone or `m2m.verifyRequest`): the client's, the guard's settings (with
/// `defaults` for what the options do not name) and the `cacheStore`.
pub(crate) fn request_options(
    options: &JsValue,
    defaults: GuardDefaults,
) -> Result<(ClientOptions, GuardSettings, Option<JsCacheStore>), Error> {
    let client: ClientOptions = read(options, OptionsOf::VerifyRequest)?;
    let jwt_key = client.jwt_key.clone().or(defaults.jwt_key);
    let machine_id = client.machine_id.clone().or(defaults.machine_id);
    let settings = parse::<GuardOptions>(options, OptionsOf::VerifyRequest)?.settings(jwt_key, machine_id)?;
    Ok((client, settings, JsCacheStore::from_options(options)?))
}

/// The token source's own option (`m2m.tokenSource`); the mint's are [`crate::core::model::CreateTokenParams`].
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SourceOptions {
    #[serde(default)]
    pub refresh_before_seconds: Option<f64>,
    /// `false` turns Clerk's pooling of opaque tokens off (on by default).
    #[serde(default)]
    pub pool: Option<bool>,
}

/// The option `name` of `options` as given; `None` when the options or the option are absent (`undefined`, `null`).
fn present(options: &JsValue, name: &str) -> Result<Option<JsValue>, Error> {
    if is_absent(options) {
        return Ok(None);
    }
    let value = Reflect::get(options, &JsValue::from_str(name)).map_err(|_| invalid(name))?;
    Ok((!is_absent(&value)).then_some(value))
}

/// The token source's `fetcher` option: a function, or an object with `fetch()` (a Workers service binding),
/// as a function with `this` bound; `None` when absent.
pub(crate) fn fetcher(options: &JsValue) -> Result<Option<Function>, Error> {
    let Some(value) = present(options, "fetcher")? else { return Ok(None) };
    if let Some(function) = value.dyn_ref::<Function>() {
        return Ok(Some(function.clone()));
    }
    let fetch = if value.is_object() { Reflect::get(&value, &JsValue::from_str("fetch")).ok() } else { None };
    match fetch.and_then(|f| f.dyn_into::<Function>().ok()) {
        Some(fetch) => Ok(Some(fetch.bind0(&value))),
        None => Err(invalid("fetcher")),
    }
}

/// The token source's `broker` option: a Durable Object namespace binding (an object with `idFromName()` and
/// `get()`), as given; `None` when absent.
pub(crate) fn broker(options: &JsValue) -> Result<Option<JsValue>, Error> {
    let Some(value) = present(options, "broker")? else { return Ok(None) };
    let method =
        |name: &str| value.is_object() && Reflect::get(&value, &JsValue::from_str(name)).is_ok_and(|f| f.is_function());
    if method("idFromName") && method("get") {
        Ok(Some(value))
    } else {
        Err(invalid("broker"))
    }
}

/// The token source's `origins` option: an array of strings, read as given (`Destinations` checks each); `None`
/// when absent.
pub(crate) fn origins(options: &JsValue) -> Result<Option<Vec<String>>, Error> {
    let Some(value) = present(options, "origins")? else { return Ok(None) };
    if !Array::is_array(&value) {
        return Err(invalid("origins"));
    }
    Array::from(&value)
        .iter()
        .map(|origin| origin.as_string().ok_or(invalid("origins")))
        .collect::<Result<_, _>>()
        .map(Some)
}
