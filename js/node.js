// Entry for Node and Bun: compiles the bundled wasm from disk, synchronously, at import time.
import { readFileSync } from 'node:fs';
import { initSync } from './clerk_m2m_edge.js';

initSync({ module: readFileSync(new URL('./clerk_m2m_edge_bg.wasm', import.meta.url)) });

export { ClerkM2M, verifyRequest, verificationCacheStats, clearVerificationCache } from './clerk_m2m_edge.js';
export { ClerkM2MError, ClerkAPIResponseError } from './errors.js';
