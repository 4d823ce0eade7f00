// The bundled entries are minified without esbuild's keepNames (its per-function `defineProperty` calls cost
// ~0.35 ms of Node's cold start): only the public classes get their names back, for stack traces and logs.
import { ClerkM2M } from './clerk_m2m_edge.js';
import { ClerkM2MError, ClerkAPIResponseError } from './errors.js';

/** Gives the public classes back their names. */
export function restoreNames() {
  for (const [name, value] of Object.entries({ ClerkM2M, ClerkM2MError, ClerkAPIResponseError })) {
    Object.defineProperty(value, 'name', { value: name, configurable: true });
  }
}
