// `kvCacheStore(namespace, ctx)`: a Workers KV namespace as the `cacheStore` of `verifyRequest` and
// `m2m.tokenSource`. Reads go to KV; writes are handed to `ctx.waitUntil`, so no request waits for them.
import { invalidArgument } from './errors.js';

/** A KV namespace binding (and the request's execution context) as a `{ get, put }` cache store. */
export function kvCacheStore(namespace, ctx) {
  if (typeof namespace?.get !== 'function' || typeof namespace?.put !== 'function') {
    throw invalidArgument('namespace', 'a KV namespace binding (an object with get and put)');
  }
  if (ctx != null && typeof ctx.waitUntil !== 'function') {
    throw invalidArgument('ctx', "the request's execution context (an object with waitUntil)");
  }
  return {
    get: (key) => namespace.get(key),
    put(key, value, options) {
      const write = namespace.put(key, value, options);
      if (ctx == null) return write;
      ctx.waitUntil(write);
    },
  };
}
