// Types of the `clerk-m2m-edge` package (hand-written; the wasm glue's own types are internal).

/** JSON that can be sent as custom claims. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Client configuration. Every field is optional; a call fails with `missing_key` when no key applies. */
export interface ClerkM2MOptions {
  /** Machine Secret Key (`ak_…`): creates tokens, and is used first for list, revoke and verify. */
  machineSecretKey?: string;
  /** Instance Secret Key (`sk_…`): used when no machine key is set; reads the JWKS. */
  secretKey?: string;
  /** Base URL of Clerk's Backend API. Default `https://api.clerk.com`. */
  apiUrl?: string;
  /** Path version segment. Default `v1`. */
  apiVersion?: string;
  /** Timeout of each attempt, in milliseconds. Default 10000. */
  timeoutMs?: number;
  /** Retries for list, verify and revoke (network errors, timeouts, 429, 500, 502-504) and for create (429 only). Default 2, at most 10. */
  maxRetries?: number;
  /** PEM public key of the instance: M2M JWTs are then verified locally with no network at all. */
  jwtKey?: string;
  /** The receiving machine (`mch_…`) that `m2m.verifyRequest` checks when its options name none. */
  machineId?: string;
}

/** Per-call key override, accepted by every operation. */
export interface WithMachineSecretKey {
  /** Overrides the client's keys for this call. */
  machineSecretKey?: string;
}

/** Options of `createToken`. */
export interface CreateTokenOptions extends WithMachineSecretKey {
  /** Lifetime in seconds (> 0, at most 2^53 − 1: sent exactly); `null` sends null (the server's default). */
  secondsUntilExpiration?: number | null;
  /** Custom claims (JSON-serialisable); `null` sends null. */
  claims?: JsonValue | null;
  /** `opaque` (default) or `jwt`. */
  tokenFormat?: 'opaque' | 'jwt';
  /** Reuse a live opaque token with identical claims and at least this many seconds left (integer ≥ 0). */
  minRemainingTtlSeconds?: number;
}

/** Options of `list`. */
export interface ListTokensOptions extends WithMachineSecretKey {
  /** The machine whose tokens to list: `mch_` + 27 word characters. */
  subject: string;
  /** Only revoked (true) or non-revoked (false) tokens. */
  revoked?: boolean | null;
  /** Only expired (true) or live (false) tokens. */
  expired?: boolean | null;
  /** Page size, an integer from 1 to 100. Default 10. */
  limit?: number;
  /** Tokens to skip, a non-negative integer. Default 0. */
  offset?: number | null;
}

/** Options of `revokeToken`. */
export interface RevokeTokenOptions extends WithMachineSecretKey {
  /** The token id: `mt_` + 32 hexadecimal digits. */
  m2mTokenId: string;
  /** Why; `null` sends null. */
  revocationReason?: string | null;
}

/** Options of `verify`. */
export interface VerifyTokenOptions extends WithMachineSecretKey {
  /** The token to verify. */
  token: string;
}

/** A machine-to-machine token. Timestamps are milliseconds since the Unix epoch. */
export interface M2MToken {
  object: 'machine_to_machine_token';
  /** `mt_` + 32 hex. */
  id: string;
  /** The machine that owns the token (`mch_…`). */
  subject: string;
  /** The machines the token grants access to. */
  scopes: string[];
  /** Custom claims, or null. For a verified JWT: every claim but `iss`, `sub`, `exp`, `nbf`, `iat`, `jti`
   * (so `aud` and `scopes` stay), or null when none is left — as `@clerk/backend` maps them. */
  claims: JsonValue | null;
  revoked: boolean;
  revocationReason: string | null;
  expired: boolean;
  /** When it expires; null for never. */
  expiration: number | null;
  /** Metadata: `null` when Clerk's answer lacks it or it is malformed (verification never depends on it). */
  lastUsedAt: number | null;
  /** Metadata: `null` when missing or malformed in Clerk's answer. For a JWT: its `iat`. */
  createdAt: number | null;
  /** Metadata: `null` when missing or malformed in Clerk's answer. For a JWT: its `iat`. */
  updatedAt: number | null;
  /** The token itself: only in the answer to `createToken`. */
  token?: string;
}

/** A created token: `token` is always present. */
export interface CreatedM2MToken extends M2MToken {
  token: string;
}

/** One page of `list`. */
export interface M2MTokenList {
  data: M2MToken[];
  /** Matching tokens across all pages. */
  totalCount: number;
}

/** The answer of a `*WithHttpInfo` call. */
export interface HttpInfo<T> {
  data: T;
  /** HTTP status. */
  status: number;
  /** Response headers, names lower-case. */
  headers: Record<string, string>;
}

/** A Clerk M2M client. Methods reject with `ClerkM2MError` or `ClerkAPIResponseError`. */
export declare class ClerkM2M {
  /** Throws `ClerkM2MError` (`invalid_argument`) for an invalid configuration. */
  constructor(options?: ClerkM2MOptions);
  /**
   * The client for a Worker's bindings: `CLERK_MACHINE_SECRET_KEY`, `CLERK_SECRET_KEY`, `CLERK_API_URL`,
   * `CLERK_JWT_KEY`, `CLERK_MACHINE_ID`, `CLERK_TIMEOUT_MS`, `CLERK_MAX_RETRIES` (absent or empty: not set), with `overrides` applied
   * over them. Throws `invalid_argument` naming the binding (`err.field === 'CLERK_TIMEOUT_MS'`) for a malformed
   * one. Returns the same instance for the same values within an isolate (do not `free()` it).
   */
  static fromEnv(env: object, overrides?: ClerkM2MOptions): ClerkM2M;
  /** Creates a token (needs a Machine Secret Key). Retried only on 429. */
  createToken(options?: CreateTokenOptions): Promise<CreatedM2MToken>;
  /** Lists a machine's opaque tokens. */
  list(options: ListTokensOptions): Promise<M2MTokenList>;
  /** Revokes an opaque token. */
  revokeToken(options: RevokeTokenOptions): Promise<M2MToken>;
  /** Verifies a token; rejects with code `token_invalid` when it is unknown, revoked or expired. */
  verify(options: VerifyTokenOptions): Promise<M2MToken>;
  createTokenWithHttpInfo(options?: CreateTokenOptions): Promise<HttpInfo<CreatedM2MToken>>;
  listWithHttpInfo(options: ListTokensOptions): Promise<HttpInfo<M2MTokenList>>;
  revokeTokenWithHttpInfo(options: RevokeTokenOptions): Promise<HttpInfo<M2MToken>>;
  verifyWithHttpInfo(options: VerifyTokenOptions): Promise<HttpInfo<M2MToken>>;
  /**
   * `verifyRequest` with this client's keys, URL, timeouts, retries, `jwtKey` and `machineId` (the options
   * override them). Without a `machineId` here or on the client, `allowAnyMachine: true` is required.
   */
  verifyRequest(request: Request, options?: GuardOptions): Promise<MachineAuth>;
  /**
   * A source of tokens for outgoing calls: mints once, hands the token out until `refreshBeforeSeconds` are
   * left, mints anew ahead of expiry, and authorizes `fetch`es. Throws `ClerkM2MError` (`invalid_argument`)
   * for bad options, before anything is minted.
   */
  tokenSource(options?: TokenSourceOptions): TokenSource;
  /** Releases the wasm memory of this client now (optional; garbage collection also does it). */
  free(): void;
}

/** Options of `m2m.tokenSource`: the mint's (as `createToken`'s) and when to mint anew. */
export interface TokenSourceOptions extends CreateTokenOptions {
  /**
   * Mint anew when less than this many seconds are left (≥ 0, below `secondsUntilExpiration`). Default: 10% of
   * the lifetime, at least 30 s, at most half of it. A token that never expires is kept until `invalidate()`.
   */
  refreshBeforeSeconds?: number;
  /**
   * Opt-in: shares minted tokens across isolates (e.g. Workers KV). Its entries hold the token itself — a bearer
   * credential — under a key that is a digest of the API URL, the machine key and these options.
   */
  cacheStore?: CacheStore;
  /**
   * What sends `source.fetch`'s requests: a Workers service binding (an object with `fetch`) or a function with
   * `fetch`'s signature. Default: the global `fetch`.
   */
  fetcher?: { fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> } | ((input: RequestInfo | URL, init?: RequestInit) => Promise<Response>);
  /**
   * The origins `source.fetch` may send the token to (`https://host[:port]`; `http://` only to `localhost`,
   * 127.0.0.0/8 or `[::1]`). Any other URL rejects with `invalid_argument` (`field: 'url'`) and nothing is sent;
   * without `origins`, `fetch` sends nothing (`field: 'origins'`). `getToken()` needs none.
   */
  origins?: string[];
  /** A `cacheStore.get` that takes longer than this many milliseconds is a miss. Default 1000. */
  storeTimeoutMs?: number;
  /**
   * Clerk's pooling of opaque tokens (default true): each mint asks for a live token with at least the refresh
   * margin plus half the lifetime left, which Clerk hands back instead of creating one — so the isolates of a fleet
   * share tokens. `false`: every mint creates a token. Needs `secondsUntilExpiration`; never for JWTs.
   */
  pool?: boolean;
  /**
   * The fleet's token broker: the Durable Object namespace binding of the package's `M2MTokenBroker` class
   * (`clerk-m2m-edge/durable-object`). The source asks it for a token before minting; when it cannot answer within
   * the client's `timeoutMs`, the source mints for itself (counted in `stats().brokerFallbacks`).
   */
  broker?: M2MTokenBrokerNamespace;
}

/** A Durable Object namespace binding (`env.M2M_TOKENS`), as the token source uses it. */
export interface M2MTokenBrokerNamespace {
  idFromName(name: string): unknown;
  get(id: any): { fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> };
}

/** What a token source did in this isolate. */
export interface TokenSourceStats {
  /** Calls to Clerk's create endpoint (each creates a token, or gets a pooled one back). */
  mints: number;
  /** Tokens the broker handed over. */
  brokerAnswers: number;
  /** Asks to the broker that brought no usable token, each followed by a mint of the source's own. */
  brokerFallbacks: number;
}

/** Mints machine tokens for outgoing calls and keeps them (one mint per token lifetime in steady state). */
export declare class TokenSource {
  private constructor();
  /**
   * A token with at least `refreshBeforeSeconds` left, minting when needed. When a refresh fails while the
   * current token is still valid, resolves to that token; rejects (with the mint's `ClerkAPIResponseError` or
   * `ClerkM2MError`) only when no valid token is left.
   */
  getToken(): Promise<string>;
  /**
   * `fetch(input, init)` with `Authorization: Bearer <token>`. On a 401 it invalidates the token, mints once and
   * sends again when the body can be replayed (none, a string, bytes, `URLSearchParams`, `Blob`, `FormData`);
   * a stream body (or a `Request` input carrying a body) gets the 401 back. A caller-set `Authorization` header rejects with `invalid_argument`.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** Forgets the current token: the next call mints. */
  invalidate(): void;
  /** What this source did in this isolate: mints, the broker's answers and the fallbacks when it had none. */
  stats(): TokenSourceStats;
  /** Releases the wasm memory of this source now (optional). */
  free(): void;
}

/** The `code` of a `ClerkM2MError`. */
export type ClerkM2MErrorCode =
  | 'invalid_argument'
  | 'missing_key'
  | 'network_error'
  | 'timeout'
  | 'invalid_response'
  | 'token_invalid';

/** Why a token was refused. */
export type TokenInvalidReason =
  | 'token-missing'
  | 'token-malformed'
  | 'token-type-mismatch'
  | 'token-invalid'
  | 'token-expired'
  | 'token-revoked'
  | 'machine-not-in-scope'
  | 'secret-key-invalid'
  | 'upstream-unavailable';

/** Every failure that is not an HTTP error answer from Clerk. Never contains a key or a token. */
export declare class ClerkM2MError extends Error {
  readonly name: 'ClerkM2MError';
  readonly code: ClerkM2MErrorCode;
  /** For `invalid_argument`: the option at fault, e.g. `subject`. */
  readonly field?: string;
  /** For `token_invalid`: why. */
  readonly reason?: TokenInvalidReason;
}

/** One entry of Clerk's `errors` array. */
export interface ClerkAPIError {
  code: string;
  message: string;
  longMessage: string;
  /** Extra data, as Clerk sent it: any JSON value (an object, usually), or null. */
  meta: JsonValue | null;
}

/** Clerk answered with an HTTP error status. */
export declare class ClerkAPIResponseError extends Error {
  readonly name: 'ClerkAPIResponseError';
  readonly status: number;
  /** The first error's code, or `api_error` when the body had none. */
  readonly code: string;
  readonly errors: ClerkAPIError[];
  /** From the body, else the `clerk-trace-id` or `cf-ray` header. */
  readonly clerkTraceId?: string;
  /** `Retry-After` in seconds, when sent. */
  readonly retryAfter?: number;
}

/** A store shared by isolates (Workers KV, the Cache API, Redis…). Failures are treated as cache misses. */
export interface CacheStore {
  get(key: string): Promise<string | null | undefined> | string | null | undefined;
  put(key: string, value: string, options: { expirationTtl: number }): Promise<unknown> | unknown;
}

/** A Workers KV namespace binding, as `kvCacheStore` uses it. */
export interface KVNamespaceLike {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<unknown>;
}

/** A request's execution context (`ctx` in a Worker's fetch handler, `c.executionCtx` in Hono). */
export interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * A KV namespace as the `cacheStore` of `verifyRequest` and `tokenSource`: reads from KV, writes through
 * `ctx.waitUntil` (awaited when no `ctx` is given). Throws `invalid_argument` for a namespace without get/put.
 */
export declare function kvCacheStore(namespace: KVNamespaceLike, ctx?: ExecutionContextLike): CacheStore;

/** A Cache of the Workers Cache API (`caches.default`, or one from `caches.open`). */
export interface CacheLike {
  match(request: string): Promise<Response | undefined>;
  put(request: string, response: Response): Promise<void>;
}

/**
 * The Workers Cache API as a `cacheStore`: shared by the isolates of one data centre, with no per-write charge
 * (KV bills writes and allows one per key per second). Writes go through `ctx.waitUntil` when given. Where the
 * Cache API does nothing (workers.dev, a runtime without `caches`), it misses. Default cache: `caches.default`.
 */
export declare function cacheApiStore(ctx?: ExecutionContextLike, cache?: CacheLike): CacheStore;

/** The guard's options (and the client's): what `m2m.verifyRequest` takes. */
export interface GuardOptions extends ClerkM2MOptions {
  /** The receiving machine (`mch_…`): it must be in the token's scopes (`scopes` or `aud`), else 403. */
  machineId?: string;
  /** `true` accepts tokens whatever machines they grant access to. Needed when no `machineId` is given. */
  allowAnyMachine?: boolean;
  /** Tolerance for JWT `exp`, `nbf` and `iat`, in milliseconds. Default 5000. */
  clockSkewMs?: number;
  /** `false` turns every cache off. Default true. */
  cache?: boolean;
  /** How long a verified result is reused (never past the token's expiration). Default 30000: this bounds how long a revoked opaque token keeps working. */
  cacheTtlMs?: number;
  /** How long a definitive rejection (unknown, revoked, expired, bad signature) is reused, in this isolate only. Default 5000. */
  negativeCacheTtlMs?: number;
  /**
   * Shares accepted opaque-token results between isolates (stored with `expirationTtl` of at least 60 s). The
   * store is untrusted: entries are authenticated with a key derived from the secret key, and each reader
   * applies its own TTL. Needs `machineSecretKey` or `secretKey`; JWT results and rejections are never stored.
   */
  cacheStore?: CacheStore;
  /** A `cacheStore.get` that takes longer than this many milliseconds is a miss (a `put` is never awaited). Default 1000. */
  storeTimeoutMs?: number;
  /** How long past its 5-minute TTL the last good JWKS keeps verifying while refreshes fail, in milliseconds. Default 3600000. */
  jwksMaxStaleMs?: number;
}

/**
 * Options of `verifyRequest`. At least one of `machineSecretKey`, `secretKey` or `jwtKey`, and `machineId` or
 * `allowAnyMachine: true`, are required.
 */
export type VerifyRequestOptions = GuardOptions & ({ machineId: string } | { allowAnyMachine: true });

/** A verified machine. */
export interface SignedInMachineAuth {
  isAuthenticated: true;
  tokenType: 'm2m_token';
  tokenFormat: 'opaque' | 'jwt';
  /** Token id (`mt_…`). */
  id: string;
  /** The calling machine (`mch_…`). */
  subject: string;
  /** Same as `subject`. */
  machineId: string;
  /** The machines the token grants access to. */
  scopes: string[];
  /** Custom claims, or null (for a JWT: every claim but the structural ones; `aud` and `scopes` stay). */
  claims: JsonValue | null;
  /** Expiration in milliseconds since the epoch; null for never. */
  expiration: number | null;
}

/** A refused request, with the ready-made response. */
export interface SignedOutMachineAuth {
  isAuthenticated: false;
  tokenType: 'm2m_token';
  reason: TokenInvalidReason;
  message: string;
  /**
   * 401, or 403 for `machine-not-in-scope`, 500 for `secret-key-invalid` (the service's own key was refused: its
   * fault, not the token's), 503 for `upstream-unavailable`.
   */
  status: 401 | 403 | 500 | 503;
  /** A JSON `{ error, message }` response with this status, `WWW-Authenticate` (401/403) or `Retry-After` (503). */
  toResponse(): Response;
}

/** The answer of `verifyRequest`. */
export type MachineAuth = SignedInMachineAuth | SignedOutMachineAuth;

/**
 * Verifies the `Authorization: Bearer` token of a request (opaque M2M tokens through Clerk, M2M JWTs locally).
 * Never throws for anything the caller sent; rejects only for a configuration no request could pass
 * (`missing_key`, `invalid_argument`).
 */
export declare function verifyRequest(request: Request, options: VerifyRequestOptions): Promise<MachineAuth>;

/**
 * Throws `ClerkM2MError` (`invalid_argument`, `field` the name) for an option name `verifyRequest` does not take,
 * naming the closest one it does. `verifyRequest` and Hono's `m2mAuth` run it themselves; call it to check a
 * configuration at startup.
 */
export declare function checkVerifyRequestOptions(options: object): void;

/** How many verification results this isolate holds, and the bound. */
export declare function verificationCacheStats(): {
  entries: number;
  capacity: number;
  /** Shared-store entries refused (forged, edited, copied or written under another secret): each was a miss. */
  refusedStoreEntries: number;
};

/** Forgets every cached verification result, JWKS and imported key in this isolate. */
export declare function clearVerificationCache(): void;
