// A user's `cacheStore` ({ get, put }) as the wasm calls it: untrusted and bounded. A `get` that throws, rejects
// or does not settle within `ms` is a miss (undefined); a `put` is started and never awaited (a write that hangs
// or fails is dropped: no answer waits on a store write).

/** What `start()` resolves to, or undefined when it throws, rejects or takes longer than `ms`. */
export function bounded(start, ms) {
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
  });
  let pending;
  try {
    pending = Promise.resolve(start()).catch(() => undefined);
  } catch {
    clearTimeout(timer);
    return Promise.resolve(undefined);
  }
  return Promise.race([pending, late]).finally(() => clearTimeout(timer));
}

/** `store.get(key)`'s value, or undefined when it throws, rejects or takes longer than `ms`. */
export function boundedGet(store, get, key, ms) {
  return bounded(() => get.call(store, key), ms);
}

/** Starts `store.put(key, value, options)`; its failure (thrown or rejected) is swallowed. */
export function detachedPut(store, put, key, value, options) {
  try {
    Promise.resolve(put.call(store, key, value, options)).catch(() => {});
  } catch {
    // a store that throws is a store that did not write
  }
}
