// Type-checked with `tsc --noEmit` in the consumer project: clerk-m2m-edge/hono with real Hono's types —
// options as values or functions of the context, `c.get('m2mAuth')` typed through Hono's ContextVariableMap.
import { Hono } from 'hono';
import { m2mAuth, type M2MAuthOptions } from 'clerk-m2m-edge/hono';
import { ClerkM2M, kvCacheStore, type SignedInMachineAuth } from 'clerk-m2m-edge';

type Env = { Bindings: { CLERK_MACHINE_ID: string; M2M_CACHE: { get(k: string): Promise<string | null>; put(k: string, v: string, o?: { expirationTtl?: number }): Promise<void> } } };
const app = new Hono<Env>();
const options: M2MAuthOptions = {
  machineId: (c) => c.env.CLERK_MACHINE_ID,
  cacheTtlMs: 30_000,
  kv: (c) => c.env.M2M_CACHE,
  onRejected: (c, auth) => c.json({ error: auth.reason }, auth.status),
};
app.use('/api/*', m2mAuth(options));
app.get('/api/whoami', (c) => {
  const auth: SignedInMachineAuth = c.get('m2mAuth');
  const subject: string = auth.subject;
  // @ts-expect-error the signed-in auth has no `reason`
  void auth.reason;
  return c.json({ subject, scopes: auth.scopes });
});
app.get('/setup', (c) => {
  const m2m: ClerkM2M = ClerkM2M.fromEnv(c.env, { timeoutMs: 5_000 });
  const store = kvCacheStore(c.env.M2M_CACHE, c.executionCtx);
  void [m2m, store];
  return c.text('ok');
});
// @ts-expect-error machineId is a string (or a function giving one)
m2mAuth({ machineId: 5 });
// @ts-expect-error onRejected gets (c, auth)
m2mAuth({ onRejected: 'deny' });
export default app;
