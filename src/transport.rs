//! The only code that calls `fetch`: one attempt, bounded by an `AbortController` deadline, body read in full.
//! Owns timers and aborts; must not decide retries or decode bodies.

use crate::client::{Transport, TransportError};
use crate::http::{HttpRequest, HttpResponse, Method};
use gloo_net::http::{Method as GlooMethod, RequestBuilder};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, AbortSignal};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// Sends requests with the runtime's global `fetch` (Workers, Node, Deno, Bun, edge runtimes).
#[derive(Clone, Copy, Debug, Default)]
pub struct FetchTransport;

/// An armed timer that aborts its controller when it fires. Dropping it clears the timer and aborts the
/// controller, so no path leaves a request or a timer behind (the RAII pattern of reqwest's wasm client).
struct Deadline {
    controller: AbortController,
    timer: JsValue,
    fired: Rc<Cell<bool>>,
    _on_fire: Closure<dyn FnMut()>,
}

impl Deadline {
    fn start(ms: u32) -> Option<Deadline> {
        let controller = AbortController::new().ok()?;
        let fired = Rc::new(Cell::new(false));
        let on_fire = {
            let (controller, fired) = (controller.clone(), fired.clone());
            Closure::<dyn FnMut()>::new(move || {
                fired.set(true);
                controller.abort();
            })
        };
        let delay = i32::try_from(ms).unwrap_or(i32::MAX);
        let timer = set_timeout(on_fire.as_ref().unchecked_ref(), delay);
        Some(Deadline { controller, timer, fired, _on_fire: on_fire })
    }

    fn signal(&self) -> AbortSignal {
        self.controller.signal()
    }

    fn fired(&self) -> bool {
        self.fired.get()
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        clear_timeout(&self.timer);
        self.controller.abort();
    }
}

impl Transport for FetchTransport {
    async fn send(&self, request: &HttpRequest, timeout_ms: u32) -> Result<HttpResponse, TransportError> {
        let deadline = Deadline::start(timeout_ms).ok_or(TransportError::Network)?;
        let method = match request.method {
            Method::Get => GlooMethod::GET,
            Method::Post => GlooMethod::POST,
        };
        let signal = deadline.signal();
        let mut builder = RequestBuilder::new(&request.url).method(method).abort_signal(Some(&signal));
        for (name, value) in request.headers() {
            builder = builder.header(name, value);
        }
        let built = match &request.body {
            Some(body) => builder.body(body.as_str()),
            None => builder.build(),
        };
        let outcome = async {
            let response = built?.send().await?;
            let status = response.status();
            let headers = response.headers().entries().collect();
            let body = response.text().await?;
            Ok::<_, gloo_net::Error>(HttpResponse { status, headers, body })
        }
        .await;
        outcome.map_err(|_| if deadline.fired() { TransportError::Timeout } else { TransportError::Network })
    }

    async fn sleep(&self, ms: u32) {
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            set_timeout(&resolve, i32::try_from(ms).unwrap_or(i32::MAX));
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn random(&self) -> f64 {
        js_sys::Math::random()
    }
}
