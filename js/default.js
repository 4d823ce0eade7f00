// Entry for browsers and other ESM runtimes: fetches and compiles the wasm next to this file (top-level await).
import init from './clerk_m2m_edge.js';

await init({ module_or_path: new URL('./clerk_m2m_edge_bg.wasm', import.meta.url) });

export { ClerkM2M, TokenSource, verifyRequest, checkVerifyRequestOptions, verificationCacheStats, clearVerificationCache } from './clerk_m2m_edge.js';
export { ClerkM2MError, ClerkAPIResponseError } from './errors.js';
export { kvCacheStore } from './kv.js';
export { cacheApiStore } from './cache-api.js';
