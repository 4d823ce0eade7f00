// Type-checked with `tsc --noEmit` inside the consumer project that installed the packed package:
// the public types are precise (no `any`), and misuse is a compile error.
import { M2MTokenBroker } from 'clerk-m2m-edge/durable-object';
import {
  ClerkM2M,
  ClerkM2MError,
  ClerkAPIResponseError,
  TokenSource,
  type M2MToken,
  type CreatedM2MToken,
  type M2MTokenList,
  type HttpInfo,
  type ClerkM2MErrorCode,
  type MachineAuth,
  type CacheStore,
  verifyRequest,
  verificationCacheStats,
  clearVerificationCache,
} from 'clerk-m2m-edge';

type IsAny<T> = 0 extends 1 & T ? true : false;
type AssertFalse<T extends false> = T;

export async function story(): Promise<void> {
  const m2m = new ClerkM2M({ machineSecretKey: 'ak_x', secretKey: 'sk_test_x', apiUrl: 'http://127.0.0.1:1', timeoutMs: 500, maxRetries: 1 });
  const created: CreatedM2MToken = await m2m.createToken({ secondsUntilExpiration: 60, claims: { role: 'reader', n: [1] }, tokenFormat: 'jwt' });
  const token: string = created.token;
  const list: M2MTokenList = await m2m.list({ subject: created.subject, revoked: false, limit: 10, offset: 0 });
  const first: M2MToken | undefined = list.data[0];
  const total: number = list.totalCount;
  const verified: M2MToken = await m2m.verify({ token, machineSecretKey: 'ak_y' });
  const expiration: number | null = verified.expiration;
  const revoked: M2MToken = await m2m.revokeToken({ m2mTokenId: created.id, revocationReason: null });
  const info: HttpInfo<M2MToken> = await m2m.verifyWithHttpInfo({ token });
  const status: number = info.status;
  const header: string | undefined = info.headers['content-type'];
  type NotAny = AssertFalse<IsAny<typeof created>>;
  void [first, total, expiration, revoked, status, header, null as unknown as NotAny];

  try {
    await m2m.verify({ token });
  } catch (err) {
    if (err instanceof ClerkAPIResponseError) {
      const s: number = err.status;
      const c: string = err.code;
      const trace: string | undefined = err.clerkTraceId;
      const long: string | undefined = err.errors[0]?.longMessage;
      void [s, c, trace, long];
    } else if (err instanceof ClerkM2MError) {
      const code: ClerkM2MErrorCode = err.code;
      const field: string | undefined = err.field;
      void [code, field];
    }
  }

  const kv: CacheStore = { get: async (key) => key, put: async () => undefined };
  const auth: MachineAuth = await verifyRequest(new Request('https://x/'), { secretKey: 'sk_x', machineId: 'mch_x', cacheStore: kv, cacheTtlMs: 1000 });
  if (auth.isAuthenticated) {
    const subject: string = auth.subject;
    const format: 'opaque' | 'jwt' = auth.tokenFormat;
    const expiresAt: number | null = auth.expiration;
    void [subject, format, expiresAt];
  } else {
    const response: Response = auth.toResponse();
    const status: 401 | 403 | 500 | 503 = auth.status;
    // @ts-expect-error a signed-out object has no subject
    void auth.subject;
    void [response, status];
  }
  const viaClient: MachineAuth = await m2m.verifyRequest(new Request('https://x/'));
  const stats: { entries: number; capacity: number; refusedStoreEntries: number } = verificationCacheStats();
  clearVerificationCache();
  void [viaClient, stats];
  // @ts-expect-error cacheTtlMs is a number
  await verifyRequest(new Request('https://x/'), { secretKey: 'sk', machineId: 'mch_x', cacheTtlMs: '5' });
  // @ts-expect-error the receiving machine is required: machineId or allowAnyMachine
  await verifyRequest(new Request('https://x/'), { secretKey: 'sk' });
  // @ts-expect-error allowAnyMachine must be said as true
  await verifyRequest(new Request('https://x/'), { secretKey: 'sk', allowAnyMachine: false });
  await verifyRequest(new Request('https://x/'), { secretKey: 'sk', allowAnyMachine: true });
  // @ts-expect-error an unknown name (the package throws invalid_argument for it too)
  await verifyRequest(new Request('https://x/'), { secretKey: 'sk', machineID: 'mch_x' });

  // @ts-expect-error tokenFormat is 'opaque' | 'jwt'
  await m2m.createToken({ tokenFormat: 'pem' });
  // @ts-expect-error subject is required
  await m2m.list({});
  // @ts-expect-error token must be a string
  await m2m.verify({ token: 5 });
  // @ts-expect-error unknown option
  new ClerkM2M({ apiKey: 'x' });

  // The caller's side: a token source.
  const source: TokenSource = m2m.tokenSource({ secondsUntilExpiration: 3600, refreshBeforeSeconds: 300, tokenFormat: 'jwt', cacheStore: kv, origins: ['https://billing.internal'], storeTimeoutMs: 200 });
  await verifyRequest(new Request('https://x/'), { secretKey: 'sk', machineId: 'mch_x', cacheStore: kv, storeTimeoutMs: 200, jwksMaxStaleMs: 0 });
  // @ts-expect-error origins is an array of strings
  m2m.tokenSource({ origins: 'https://billing.internal' });
  const bearer: string = await source.getToken();
  const called: Response = await source.fetch('https://billing.internal/api', { method: 'POST', body: 'x' });
  const viaBinding = m2m.tokenSource({ fetcher: { fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init) } });
  await viaBinding.fetch(new URL('https://billing.internal/api'));
  m2m.tokenSource({ fetcher: fetch });
  const namespace = { idFromName: (name: string) => name, get: (id: unknown) => ({ fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init) }) };
  const brokered = m2m.tokenSource({ broker: namespace, tokenFormat: 'jwt' });
  const sourceStats: { mints: number; brokerAnswers: number; brokerFallbacks: number } = brokered.stats();
  void sourceStats;
  const brokerClass: { prototype: { fetch(request: Request): Promise<Response>; alarm(): Promise<void> } } = M2MTokenBroker;
  void brokerClass;
  // @ts-expect-error a broker is a Durable Object namespace binding, not its name
  m2m.tokenSource({ broker: 'M2M_TOKENS' });
  source.invalidate();
  void [bearer, called];
  // @ts-expect-error refreshBeforeSeconds is a number
  m2m.tokenSource({ refreshBeforeSeconds: '300' });
  // @ts-expect-error a TokenSource is made by m2m.tokenSource
  new TokenSource();
}
