// `cacheApiStore(ctx, cache)`: the Workers Cache API (`caches.default`, or a cache you opened) as the `cacheStore` of
// `verifyRequest`, `m2m.verifyRequest`, Hono's `m2mAuth` and `m2m.tokenSource`. Shared by the isolates of one data
// centre, consistent there, and free of KV's per-write charge and one-write-per-key-per-second limit. Where the
// Cache API does nothing (a workers.dev route, the dashboard editor, a runtime without `caches`) it simply misses.
// Its entries are sealed like every store entry: whoever else writes the cache cannot forge one.
import { invalidArgument } from './errors.js';

/** Cache API keys are URLs: each store key under a host of its own. */
const url = (key) => `https://clerk-m2m-edge.cache/${encodeURIComponent(key)}`;

/** The Workers Cache API as a `{ get, put }` cache store; writes go through `ctx.waitUntil` when given. */
export function cacheApiStore(ctx, cache = globalThis.caches?.default) {
  if (ctx != null && typeof ctx.waitUntil !== 'function') {
    throw invalidArgument('ctx', "the request's execution context (an object with waitUntil)");
  }
  if (cache != null && (typeof cache.match !== 'function' || typeof cache.put !== 'function')) {
    throw invalidArgument('cache', 'a Cache (an object with match and put), e.g. caches.default');
  }
  return {
    async get(key) {
      const hit = await cache?.match(url(key));
      return hit ? hit.text() : null;
    },
    put(key, value, { expirationTtl } = {}) {
      if (cache == null) return undefined;
      const headers = { 'content-type': 'text/plain', 'cache-control': `max-age=${Math.max(1, Math.ceil(expirationTtl ?? 60))}` };
      const write = cache.put(url(key), new Response(value, { headers }));
      if (ctx == null) return write;
      ctx.waitUntil(write);
      return undefined;
    },
  };
}
