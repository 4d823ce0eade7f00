//! Futures and promises meet here, without wasm-bindgen-futures: [`PromiseFuture`] awaits a JS promise from
//! Rust (under any executor), and, inside the crate, `spawn` runs a Rust future and hands JS a promise of its
//! result.
//!
//! One long-lived callback carries every settled promise back into the wasm (no closure per await, nothing for a
//! `FinalizationRegistry` to track), and a woken task is polled at once, inside the promise's own reaction (no
//! extra microtask). Measured against `future_to_promise` + `JsFuture`: see BENCHMARKS.md. Owns nothing else.

use js_sys::Promise;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use wasm_bindgen::prelude::*;

// JS values in and out only: these imports then share their signatures with wasm-bindgen's own (V8 compiles an
// import wrapper per distinct signature when the module loads).
#[wasm_bindgen(module = "/js/tasks.js")]
extern "C" {
    #[wasm_bindgen(js_name = startTask)]
    fn start_task(key: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = settleTask)]
    fn settle_task(key: &JsValue, ok: &JsValue, value: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = watchPromise)]
    fn watch_promise(promise: &JsValue, key: &JsValue, resume: &JsValue) -> JsValue;
}

/// A slab whose keys carry a generation, so a key outlives its entry harmlessly (a late promise reaction or a
/// stale waker finds nothing).
struct Slab<T> {
    entries: Vec<(u32, Option<T>)>,
    free: Vec<u32>,
}

/// Low bits of a key: the index (so at most 2^20 = 1,048,576 tasks, and as many awaited promises, in flight in
/// one isolate); high bits: the generation.
const INDEX_BITS: u32 = 20;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;

impl<T> Slab<T> {
    const fn new() -> Self {
        Slab { entries: Vec::new(), free: Vec::new() }
    }

    /// The new entry's key; `None` when 2^20 entries are already in use.
    fn insert(&mut self, value: T) -> Option<u32> {
        let index = match self.free.pop() {
            Some(index) => index,
            None if self.entries.len() <= INDEX_MASK as usize => {
                self.entries.push((0, None));
                (self.entries.len() - 1) as u32
            }
            None => return None,
        };
        let entry = self.entries.get_mut(index as usize)?;
        entry.0 = entry.0.wrapping_add(1) & (u32::MAX >> INDEX_BITS);
        entry.1 = Some(value);
        Some(index | (entry.0 << INDEX_BITS))
    }

    fn get_mut(&mut self, key: u32) -> Option<&mut T> {
        let (generation, value) = self.entries.get_mut((key & INDEX_MASK) as usize)?;
        if *generation != key >> INDEX_BITS {
            return None;
        }
        value.as_mut()
    }

    fn remove(&mut self, key: u32) -> Option<T> {
        let (generation, value) = self.entries.get_mut((key & INDEX_MASK) as usize)?;
        if *generation != key >> INDEX_BITS {
            return None;
        }
        let value = value.take()?;
        self.free.push(key & INDEX_MASK);
        Some(value)
    }
}

/// What a watched promise settled with, and who waits for it.
struct Watch {
    settled: Option<Result<JsValue, JsValue>>,
    waker: Option<Waker>,
}

/// A spawned future, boxed: one copy of the polling code serves every operation.
type BoxedFuture = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>;

/// A spawned future; `None` while it is being polled.
struct Task {
    future: Option<BoxedFuture>,
    woken_while_polled: bool,
}

thread_local! {
    static WATCHES: RefCell<Slab<Watch>> = const { RefCell::new(Slab::new()) };
    static TASKS: RefCell<Slab<Task>> = const { RefCell::new(Slab::new()) };
    /// The one callback every watched promise settles through: `(key, ok, value)`.
    static RESUME: JsValue = Closure::<dyn Fn(u32, bool, JsValue)>::new(resume).into_js_value();
}

fn resume(key: u32, ok: bool, value: JsValue) {
    let waker = WATCHES.with(|watches| {
        let mut watches = watches.borrow_mut();
        let watch = watches.get_mut(key)?;
        watch.settled = Some(if ok { Ok(value) } else { Err(value) });
        watch.waker.take()
    });
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// A JS promise (or any value, as `Promise.resolve` takes it) awaited from Rust: `Ok` with what it fulfils with,
/// `Err` with what it rejects with. Works under any executor (it wakes the `Waker` it was polled with).
pub struct PromiseFuture {
    promise: Option<JsValue>,
    key: Option<u32>,
}

impl PromiseFuture {
    /// Awaits `promise`.
    pub fn new(promise: impl Into<JsValue>) -> Self {
        PromiseFuture { promise: Some(promise.into()), key: None }
    }
}

impl Future for PromiseFuture {
    type Output = Result<JsValue, JsValue>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(key) = self.key else {
            let watch = Watch { settled: None, waker: Some(cx.waker().clone()) };
            let Some(key) = WATCHES.with(|w| w.borrow_mut().insert(watch)) else {
                return Poll::Ready(Err(JsValue::UNDEFINED)); // 2^20 promises awaited at once: a failure, not a hang
            };
            self.key = Some(key);
            if let Some(promise) = self.promise.take() {
                RESUME.with(|resume| watch_promise(&promise, &JsValue::from(key), resume));
            }
            return Poll::Pending;
        };
        WATCHES.with(|watches| {
            let mut watches = watches.borrow_mut();
            let settled = watches.get_mut(key).and_then(|watch| {
                let settled = watch.settled.take();
                if settled.is_none() {
                    watch.waker = Some(cx.waker().clone());
                }
                settled
            });
            match settled {
                Some(result) => {
                    watches.remove(key);
                    self.key = None;
                    Poll::Ready(result)
                }
                None => Poll::Pending,
            }
        })
    }
}

impl Drop for PromiseFuture {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            // A reaction that comes later finds no entry (the key's generation is gone).
            WATCHES.with(|w| w.borrow_mut().remove(key));
        }
    }
}

/// Runs `future` (first poll now) and returns a promise that settles with its result. With 2^20 tasks already in
/// flight the promise rejects with a `network_error` instead (the operation was not started).
pub(crate) fn spawn(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let task = Task { future: Some(Box::pin(future)), woken_while_polled: false };
    let Some(key) = TASKS.with(|t| t.borrow_mut().insert(task)) else {
        return Promise::reject(&crate::error::Error::Network.into());
    };
    let promise = start_task(&JsValue::from(key));
    run(key);
    promise
}

/// Polls task `key` until it is pending without a wake-up of its own, or done (then settles its promise).
fn run(key: u32) {
    loop {
        let future = TASKS.with(|t| {
            let mut tasks = t.borrow_mut();
            let task = tasks.get_mut(key)?;
            match task.future.take() {
                Some(future) => {
                    task.woken_while_polled = false;
                    Some(future)
                }
                None => {
                    task.woken_while_polled = true; // a wake-up from inside its own poll: poll again after it
                    None
                }
            }
        });
        let Some(mut future) = future else { return };
        let waker = task_waker(key);
        match future.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(result) => {
                TASKS.with(|t| t.borrow_mut().remove(key));
                let (ok, value) = match result {
                    Ok(value) => (JsValue::TRUE, value),
                    Err(error) => (JsValue::FALSE, error),
                };
                settle_task(&JsValue::from(key), &ok, &value);
                return;
            }
            Poll::Pending => {
                let again = TASKS.with(|t| {
                    let mut tasks = t.borrow_mut();
                    let task = tasks.get_mut(key)?;
                    task.future = Some(future);
                    Some(task.woken_while_polled)
                });
                if again != Some(true) {
                    return;
                }
            }
        }
    }
}

/// A waker for task `key`: waking polls the task at once (or, during its own poll, right after it).
fn task_waker(key: u32) -> Waker {
    const VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake, drop);
    fn raw(key: u32) -> RawWaker {
        RawWaker::new(key as usize as *const (), &VTABLE)
    }
    fn clone(data: *const ()) -> RawWaker {
        RawWaker::new(data, &VTABLE)
    }
    fn wake(data: *const ()) {
        run(data as usize as u32);
    }
    fn drop(_: *const ()) {}
    // SAFETY: the data is a plain integer key, never dereferenced; every vtable function is sound for any value.
    unsafe { Waker::from_raw(raw(key)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slab_keys_outlive_their_entries_harmlessly() {
        let mut slab = Slab::new();
        let a = slab.insert("a").unwrap();
        let b = slab.insert("b").unwrap();
        assert_ne!(a, b);
        assert_eq!(slab.get_mut(a).copied(), Some("a"));
        assert_eq!(slab.remove(a), Some("a"));
        assert_eq!(slab.remove(a), None, "a key is used once");
        assert_eq!(slab.get_mut(a), None);
        let c = slab.insert("c").unwrap(); // reuses a's index, with a new generation
        assert_eq!(c & INDEX_MASK, a & INDEX_MASK);
        assert_ne!(c, a);
        assert_eq!(slab.get_mut(a), None, "a stale key never reaches the new entry");
        assert_eq!(slab.remove(a), None);
        assert_eq!(slab.get_mut(c).copied(), Some("c"));
        assert_eq!(slab.get_mut(b).copied(), Some("b"));
        assert_eq!(slab.get_mut(12345), None);
    }

    #[test]
    fn slab_generations_wrap_without_colliding_with_the_index() {
        let mut slab = Slab::new();
        let mut key = slab.insert(0u32).unwrap();
        for i in 1..5000 {
            slab.remove(key);
            key = slab.insert(i).unwrap();
            assert_eq!(key & INDEX_MASK, 0);
            assert_eq!(slab.get_mut(key).copied(), Some(i));
        }
    }

    #[test]
    fn a_full_slab_refuses_instead_of_reusing_keys() {
        let mut slab = Slab::new();
        let keys: Vec<u32> = (0..=INDEX_MASK).map(|i| slab.insert(i).unwrap()).collect();
        assert_eq!(slab.insert(u32::MAX), None, "2^20 entries in use");
        assert_eq!(slab.get_mut(keys[0]).copied(), Some(0));
        slab.remove(keys[7]);
        let again = slab.insert(7).unwrap();
        assert_eq!(again & INDEX_MASK, 7);
        assert_eq!(slab.get_mut(again).copied(), Some(7));
    }
}
