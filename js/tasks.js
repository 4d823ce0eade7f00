// The JS half of src/task.rs: the promise each spawned Rust future answers through, and the one reaction that
// carries a settled promise back into the wasm. Decides nothing. Every parameter is a JS value (and every
// function returns one) so that they share wasm-bindgen's import signatures.

/** `[resolve, reject]` of each running task's promise, by task key. */
const running = new Map();

/** The promise of task `key`, settled later by `settleTask`. */
export function startTask(key) {
  return new Promise((resolve, reject) => {
    running.set(key, [resolve, reject]);
  });
}

/** Settles task `key`'s promise: fulfilled with `value` when `ok`, else rejected with it. */
export function settleTask(key, ok, value) {
  const settle = running.get(key);
  if (settle === undefined) return undefined;
  running.delete(key);
  settle[ok ? 0 : 1](value);
  return undefined;
}

/** Calls `resume(key, ok, value)` once `promise` (or a plain value) settles. */
export function watchPromise(promise, key, resume) {
  Promise.resolve(promise).then(
    (value) => resume(key, true, value),
    (error) => resume(key, false, error),
  );
  return undefined;
}
