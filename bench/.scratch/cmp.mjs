import { ClerkM2M, verifyRequest } from '/work/main/pkg/node.js';
import { ClerkM2M as ClerkM2MA, verifyRequest as verifyRequestA } from '/tmp/pkgA/node.js';
import { startStandIn } from '/work/main/tests/mock-clerk/spawn.mjs';
const standIn = await startStandIn();
const billing = standIn.machine('billing');
const gateway = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
const opaque = (await gateway.createToken({ secondsUntilExpiration: 3600 })).token;
const ours = new ClerkM2M({ machineSecretKey: billing.secretKey, apiUrl: standIn.url });
const oursA = new ClerkM2MA({ machineSecretKey: billing.secretKey, apiUrl: standIn.url });
const url = `${standIn.url}/v1/m2m_tokens/verify`;
const hdrs = { authorization: `Bearer ${billing.secretKey}`, 'content-type': 'application/json', accept: 'application/json' };
const opts = { machineSecretKey: billing.secretKey, apiUrl: standIn.url, cache: false };
const bearer = () => new Request('https://service.internal/api', { headers: { authorization: `Bearer ${opaque}` } });
const impls = {
  bare: async () => (await fetch(url, { method: 'POST', body: JSON.stringify({ token: opaque }), headers: hdrs })).json(),
  newVerify: () => ours.verify({ token: opaque }),
  oldVerify: () => oursA.verify({ token: opaque }),
  newGuard: () => verifyRequest(bearer(), opts),
  oldGuard: () => verifyRequestA(bearer(), opts),
};
const names = Object.keys(impls);
for (const n of names) for (let i = 0; i < 200; i++) await impls[n]();
const spent = Object.fromEntries(names.map((n) => [n, 0]));
const N = +(process.env.N || 3000), B = 50;
for (let d = 0; d < N; d += B) {
  const order = (d / B) % 2 ? [...names].reverse() : names;
  for (const n of order) { const t = performance.now(); for (let i = 0; i < B; i++) await impls[n](); spent[n] += performance.now() - t; }
  await standIn.clearRequests();
}
for (const n of names) console.log(n.padEnd(12), ((spent[n] * 1000) / N).toFixed(1), 'µs');
// concurrency
for (const n of ['newVerify', 'oldVerify', 'newGuard', 'oldGuard', 'bare']) {
  let next = 0; const total = 3000; const t = performance.now();
  await Promise.all(Array.from({ length: 64 }, async () => { while (next < total) { next++; await impls[n](); } }));
  console.log('64 in flight', n.padEnd(12), (((performance.now() - t) * 1000) / total).toFixed(1), 'µs');
  await standIn.clearRequests();
}
standIn.stop(); process.exit(0);
