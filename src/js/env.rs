//! `ClerkM2M.fromEnv(env, overrides)`: a Worker's bindings as a client's configuration. Reads each binding's text
//! (the key under which an isolate keeps the client built from it, so equal values are never validated — nor a
//! PEM parsed — again), then validates them, an error naming the binding (`err.field === 'CLERK_TIMEOUT_MS'`)
//! and never echoing its value. Owns the binding names; the rules are the core's.

use super::options::{read, ClientOptions};
use crate::core::config::Config;
use crate::core::error::Error;
use crate::core::guard::GuardSettings;
use crate::core::options::{invalid, OptionsOf};
use crate::core::secret::Secret;
use js_sys::Reflect;
use wasm_bindgen::JsValue;

/// The Worker bindings `ClerkM2M.fromEnv` reads, and the option each one sets.
const BINDINGS: [(&str, &str); 7] = [
    ("CLERK_MACHINE_ID", "machineId"),
    ("CLERK_MACHINE_SECRET_KEY", "machineSecretKey"),
    ("CLERK_SECRET_KEY", "secretKey"),
    ("CLERK_API_URL", "apiUrl"),
    ("CLERK_JWT_KEY", "jwtKey"),
    ("CLERK_TIMEOUT_MS", "timeoutMs"),
    ("CLERK_MAX_RETRIES", "maxRetries"),
];

/// What `fromEnv` was given: each binding's text (trimmed; absent or empty: `None`), in [`BINDINGS`]' order, and
/// the overrides as read. Compared by value to find the client an isolate built for them.
#[derive(PartialEq)]
pub(crate) struct EnvValues {
    bindings: Vec<Option<String>>,
    overrides: ClientOptions,
}

/// What `ClerkM2M.fromEnv` builds a client from: the configuration, and the guard's `jwtKey` and `machineId`.
pub(crate) type EnvOptions = (Config, Option<String>, Option<String>);

/// An error about an option set from a binding, naming the binding instead.
fn as_binding(error: Error) -> Error {
    match error {
        Error::InvalidArgument { field, expected } => {
            let binding = BINDINGS.iter().find(|(_, option)| *option == field).map_or(field, |(binding, _)| binding);
            Error::InvalidArgument { field: binding, expected }
        }
        other => other,
    }
}

/// A binding's value: a non-empty string (numbers are accepted as their text), else `None`.
fn binding(env: &JsValue, name: &'static str) -> Result<Option<String>, Error> {
    let value = Reflect::get(env, &JsValue::from_str(name)).map_err(|_| Error::invalid(name, "a string"))?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let text = match (value.as_string(), value.as_f64()) {
        (Some(text), _) => text,
        // JS's own `String(number)`: no float printer in the wasm.
        (None, Some(_)) => String::from(
            js_sys::Number::from(value).to_string_with_radix(10).map_err(|_| Error::invalid(name, "a string"))?,
        ),
        _ => return Err(Error::invalid(name, "a string")),
    };
    Ok(Some(text.trim().to_owned()).filter(|t| !t.is_empty()))
}

/// Reads what `fromEnv(env, overrides)` was given, without judging it: the bindings' text and the overrides.
pub(crate) fn env_values(env: &JsValue, overrides: &JsValue) -> Result<EnvValues, Error> {
    if !env.is_object() {
        return Err(Error::invalid("env", "a Worker's env object (its bindings)"));
    }
    let bindings = BINDINGS.iter().map(|(name, _)| binding(env, name)).collect::<Result<_, _>>()?;
    Ok(EnvValues { bindings, overrides: read(overrides, OptionsOf::Client)? })
}

impl EnvValues {
    /// The text of binding `name`.
    fn text(&self, name: &str) -> Option<&str> {
        let at = BINDINGS.iter().position(|(binding, _)| *binding == name)?;
        self.bindings.get(at)?.as_deref()
    }

    /// A numeric binding, read from its text the way JS reads a number (`Number(text)`: no float parser in the
    /// wasm).
    fn number(&self, name: &'static str, option: &str) -> Result<Option<f64>, Error> {
        match self.text(name) {
            Some(text) => {
                let n = text.parse::<js_sys::Number>().map_or(f64::NAN, |n| n.value_of());
                if n.is_finite() {
                    Ok(Some(n))
                } else {
                    Err(as_binding(invalid(option)))
                }
            }
            None => Ok(None),
        }
    }

    /// The configuration, `jwtKey` and `machineId`: each binding validated (errors naming it), the overrides
    /// applied over them.
    pub(crate) fn options(&self) -> Result<EnvOptions, Error> {
        let text = |name| self.text(name).map(str::to_owned);
        let max_retries = match self.number("CLERK_MAX_RETRIES", "maxRetries")? {
            Some(n) if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) => Some(n as u32),
            Some(_) => return Err(as_binding(invalid("maxRetries"))),
            None => None,
        };
        let from_env = ClientOptions {
            machine_secret_key: text("CLERK_MACHINE_SECRET_KEY").map(Secret::from),
            secret_key: text("CLERK_SECRET_KEY").map(Secret::from),
            api_url: text("CLERK_API_URL"),
            api_version: None,
            timeout_ms: self.number("CLERK_TIMEOUT_MS", "timeoutMs")?,
            max_retries,
            jwt_key: text("CLERK_JWT_KEY"),
            machine_id: text("CLERK_MACHINE_ID"),
        };
        let config = from_env.apply(&Config::default()).and_then(Config::validated).map_err(as_binding)?;
        let from_env =
            GuardSettings { jwt_key: from_env.jwt_key, machine_id: from_env.machine_id, ..Default::default() };
        from_env.validated_jwt_key().map_err(as_binding)?;
        let config = self.overrides.apply(&config)?.validated()?;
        let settings = GuardSettings {
            jwt_key: self.overrides.jwt_key.clone().or(from_env.jwt_key),
            machine_id: self.overrides.machine_id.clone().or(from_env.machine_id),
            ..Default::default()
        };
        settings.validated_jwt_key()?;
        Ok((config, settings.jwt_key, settings.machine_id))
    }
}
