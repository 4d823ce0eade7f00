// Entry for Vercel's edge runtime: its bundler turns a `?module` wasm import into a compiled module.
import wasm from './clerk_m2m_edge_bg.wasm?module';
import { initSync } from './clerk_m2m_edge.js';

initSync({ module: wasm });

export { ClerkM2M, TokenSource, verifyRequest, checkVerifyRequestOptions, verificationCacheStats, clearVerificationCache } from './clerk_m2m_edge.js';
export { ClerkM2MError, ClerkAPIResponseError } from './errors.js';
export { kvCacheStore } from './kv.js';
export { cacheApiStore } from './cache-api.js';
