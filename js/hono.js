// `clerk-m2m-edge/hono`: `m2mAuth(options)`, a Hono middleware guarding routes with Clerk M2M tokens. It builds
// the client once per isolate from the Worker's bindings (`ClerkM2M.fromEnv(c.env, …)`), verifies the request,
// and either sets `c.get('m2mAuth')` and goes on, or answers the guard's own rejection (401 / 403 / 503 with
// `WWW-Authenticate` or `Retry-After`) — or `onRejected(c, auth)`'s. Imports nothing from Hono itself.
import { invalidArgument } from './errors.js';
import { ClerkM2M, checkVerifyRequestOptions, kvCacheStore } from '#clerk-m2m-edge';

/** The options that configure the client (over what `fromEnv` reads); the rest are the guard's. */
const CLIENT_OPTIONS = new Set(['machineSecretKey', 'secretKey', 'apiUrl', 'apiVersion', 'timeoutMs', 'maxRetries', 'jwtKey']);

/** The request's execution context, when the runtime has one (Hono throws when asked for a missing one). */
function executionContext(c) {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}

/**
 * Guards the routes it is mounted on. Every option may be a value or a function of the context:
 * `m2mAuth({ kv: (c) => c.env.M2M_CACHE })`. The receiving machine is `machineId`, else the `CLERK_MACHINE_ID`
 * binding; with neither (and no `allowAnyMachine: true`) every request fails with `invalid_argument`.
 */
export function m2mAuth(options = {}) {
  if (options === null || typeof options !== 'object') throw invalidArgument('options', 'an options object');
  const { onRejected, kv, ...rest } = options;
  if (onRejected !== undefined && typeof onRejected !== 'function') {
    throw invalidArgument('onRejected', 'a function (c, auth) => Response');
  }
  // A misspelt option fails here, when the app is set up, not at its first request (and is never ignored).
  checkVerifyRequestOptions(rest);
  return async function m2mAuthMiddleware(c, next) {
    const resolve = (value) => (typeof value === 'function' ? value(c) : value);
    const overrides = {};
    const guard = {};
    for (const [name, value] of Object.entries(rest)) {
      (CLIENT_OPTIONS.has(name) ? overrides : guard)[name] = resolve(value);
    }
    const m2m = ClerkM2M.fromEnv(c.env ?? {}, overrides);
    const namespace = resolve(kv);
    if (namespace != null && guard.cacheStore === undefined) {
      guard.cacheStore = kvCacheStore(namespace, executionContext(c));
    }
    const auth = await m2m.verifyRequest(c.req.raw, guard);
    if (!auth.isAuthenticated) return onRejected ? onRejected(c, auth) : auth.toResponse();
    c.set('m2mAuth', auth);
    await next();
  };
}
