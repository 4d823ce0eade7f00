// Entry for Cloudflare Workers (wrangler, Miniflare): the runtime hands over the wasm as a compiled module.
import wasm from './clerk_m2m_edge_bg.wasm';
import { initSync, __declareWorkerd } from './clerk_m2m_edge.js';

initSync({ module: wasm });
// This entry is loaded through the `workerd`/`worker` condition: say so, rather than let the wasm guess from
// `navigator` (absent before compatibility date 2022-03-21 or with `no_global_navigator`). In workerd a request
// must never await another request's work.
__declareWorkerd();

export { ClerkM2M, TokenSource, verifyRequest, checkVerifyRequestOptions, verificationCacheStats, clearVerificationCache } from './clerk_m2m_edge.js';
export { ClerkM2MError, ClerkAPIResponseError } from './errors.js';
export { kvCacheStore } from './kv.js';
export { cacheApiStore } from './cache-api.js';
