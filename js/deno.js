// Entry for Deno: the wasm arrives as a compiled module through a source-phase import — no --allow-read needed.
import source wasm from './clerk_m2m_edge_bg.wasm';
import { initSync } from './clerk_m2m_edge.js';

initSync({ module: wasm });

export { ClerkM2M, TokenSource, verifyRequest, checkVerifyRequestOptions, verificationCacheStats, clearVerificationCache } from './clerk_m2m_edge.js';
export { ClerkM2MError, ClerkAPIResponseError } from './errors.js';
export { kvCacheStore } from './kv.js';
export { cacheApiStore } from './cache-api.js';
