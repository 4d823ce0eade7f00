//! The JSON codec of the edge ([`EdgeJson`]): in the wasm, the runtime's own `JSON.parse`/`JSON.stringify`,
//! with serde-wasm-bindgen between JS values and the core's serde types — so the wasm carries no JSON parser,
//! number parser or number printer; in native builds (tests), serde_json. Owns that choice and nothing else.

#[cfg(target_arch = "wasm32")]
use crate::core::json::Json;
#[cfg(target_arch = "wasm32")]
use serde::{de::DeserializeOwned, Serialize};

/// The codec the edge hands to the core's decoders and request builders.
#[cfg(not(target_arch = "wasm32"))]
pub type EdgeJson = crate::core::json::SerdeJson;

/// The codec the edge hands to the core's decoders and request builders.
#[cfg(target_arch = "wasm32")]
pub(crate) type EdgeJson = RuntimeJson;

/// `JSON.parse` + `serde_wasm_bindgen::from_value` (behind `Json::parse`'s nesting bound: the conversion
/// recurses), and `serde_wasm_bindgen` (JSON-compatible: plain objects, `null` for `None`) + `JSON.stringify`.
#[cfg(target_arch = "wasm32")]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RuntimeJson;

#[cfg(target_arch = "wasm32")]
impl Json for RuntimeJson {
    fn read<T: DeserializeOwned>(text: &str) -> Option<T> {
        serde_wasm_bindgen::from_value(js_sys::JSON::parse(text).ok()?).ok()
    }

    fn write<T: Serialize + ?Sized>(value: &T) -> Option<String> {
        let value = value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).ok()?;
        js_sys::JSON::stringify(&value).ok()?.as_string()
    }
}
