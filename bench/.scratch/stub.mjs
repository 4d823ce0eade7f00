import { readFileSync } from 'node:fs';
const useTw = process.argv[2] === 'tw';
const mod = useTw ? await import('/tmp/tw/clerk_m2m_edge.js') : await import('/work/main/pkg/node.js');
if (useTw) mod.initSync({ module: readFileSync('/tmp/tw/opt.wasm') });
const { ClerkM2M } = mod;
const body = JSON.stringify({ object: 'machine_to_machine_token', id: 'mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmY', subject: 'mch_2xKa9Bgv7NxMRDFyQw8LpZ3cTmA', scopes: ['mch_2xKa9Bgv7NxMRDFyQw8LpZ3cTmB'], claims: null, revoked: false, revocation_reason: null, expired: false, expiration: 1900000000000, created_at: 1790000000000, updated_at: 1790000000000 });
globalThis.fetch = async () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
const { createClerkClient } = await import('@clerk/backend');
const pk = 'pk_test_' + Buffer.from('clerk.example.com$').toString('base64');
const sk = 'ak_' + 'a'.repeat(32);
const ours = new ClerkM2M({ machineSecretKey: sk, apiUrl: 'http://127.0.0.1:9' });
const theirs = createClerkClient({ machineSecretKey: sk, apiUrl: 'http://127.0.0.1:9', publishableKey: pk });
const token = 'mt_' + 'b'.repeat(32);
const { fetchOnce } = await import('/work/main/pkg/snippets/clerk-m2m-edge-6f155f0440184ea8/js/runtime.js');
const impls = {
  fetchOnce: () => fetchOnce('POST', 'http://127.0.0.1:9/v1/m2m_tokens/verify', 'Authorization\nBearer '+sk+'\nAccept\napplication/json\nContent-Type\napplication/json\n', JSON.stringify({ token }), 10000, false),
  bare: async () => (await fetch('http://127.0.0.1:9/v1/m2m_tokens/verify', { method: 'POST', body: JSON.stringify({ token }), headers: { authorization: 'Bearer ' + sk } })).json(),
  ours: () => ours.verify({ token }),
  guard: () => mod.verifyRequest(new Request('https://service.internal/api', { headers: { authorization: `Bearer ${token}` } }), { machineSecretKey: sk, apiUrl: 'http://127.0.0.1:9', cache: false }),
  theirsGuard: () => theirs.authenticateRequest(new Request('https://service.internal/api', { headers: { authorization: `Bearer ${token}` } }), { acceptsToken: 'm2m_token' }),
  theirs: () => theirs.m2m.verify({ token }),
};
const names = process.argv[3] ? process.argv[3].split(",") : Object.keys(impls);
for (const n of names) for (let i = 0; i < 2000; i++) await impls[n]();
const spent = Object.fromEntries(names.map((n) => [n, 0]));
const N = 20000, B = 500;
for (let d = 0; d < N; d += B) for (const n of names) { const t = performance.now(); for (let i = 0; i < B; i++) await impls[n](); spent[n] += performance.now() - t; }
for (const n of names) console.log(n.padEnd(8), ((spent[n] * 1000) / N).toFixed(1), 'µs');
