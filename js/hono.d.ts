// Types of `clerk-m2m-edge/hono` (hand-written).
import type { Context, MiddlewareHandler } from 'hono';
import type { GuardOptions, KVNamespaceLike, SignedInMachineAuth, SignedOutMachineAuth } from './index.js';

/** A value, or a function of the request's context that gives it (e.g. `(c) => c.env.CLERK_MACHINE_ID`). */
export type FromContext<T> = T | ((c: Context) => T);

/**
 * Options of `m2mAuth`: the guard's (`machineId`, cache settings, `cacheStore`, …) and the client's
 * (`machineSecretKey`, `apiUrl`, `jwtKey`, …), which override what `ClerkM2M.fromEnv(c.env)` reads. The receiving
 * machine is `machineId`, else the `CLERK_MACHINE_ID` binding, else `allowAnyMachine: true` must be said.
 * A name it does not take throws `invalid_argument` when `m2mAuth` is called.
 */
export type M2MAuthOptions = { [K in keyof GuardOptions]?: FromContext<GuardOptions[K]> } & {
  /** A KV namespace shared by isolates as the verification cache (written through `c.executionCtx.waitUntil`). */
  kv?: FromContext<KVNamespaceLike | undefined>;
  /** Replaces the guard's rejection (by default `auth.toResponse()`: 401, 403 or 503 with its headers). */
  onRejected?: (c: Context, auth: SignedOutMachineAuth) => Response | Promise<Response>;
};

/** Guards the routes it is mounted on; the signed-in machine is `c.get('m2mAuth')`. */
export declare function m2mAuth(options?: M2MAuthOptions): MiddlewareHandler;

declare module 'hono' {
  interface ContextVariableMap {
    /** The machine that called, set by `m2mAuth` on the routes it guards. */
    m2mAuth: SignedInMachineAuth;
  }
}
