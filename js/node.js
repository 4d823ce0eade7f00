// Entry for Node and Bun: compiles the bundled wasm from disk, synchronously, at import time.
// `process.getBuiltinModule` (Node ≥ 20.16, Bun) skips building an ESM facade for `node:fs`, which a static
// `import … from 'node:fs'` costs at first import (~1.3 ms of a ~6.8 ms cold start, measured in Node 20).
import { initSync } from './clerk_m2m_edge.js';

const fs = globalThis.process?.getBuiltinModule?.('node:fs') ?? (await import('node:fs'));
initSync({ module: fs.readFileSync(new URL('./clerk_m2m_edge_bg.wasm', import.meta.url)) });

export { ClerkM2M, TokenSource, verifyRequest, checkVerifyRequestOptions, verificationCacheStats, clearVerificationCache } from './clerk_m2m_edge.js';
export { ClerkM2MError, ClerkAPIResponseError } from './errors.js';
export { kvCacheStore } from './kv.js';
export { cacheApiStore } from './cache-api.js';
