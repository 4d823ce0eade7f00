// Where the time goes, counted: the JS↔wasm crossings of one call (issue 19's profile). A copy of the built package
// whose glue counts every call from the wasm into JS (each import of wasm-bindgen's glue, by name) and every call
// from JS into the wasm (each export), run in Node against the stand-in: an opaque `m2m.verify`, a JWT
// `m2m.verify`, a repeated token through `verifyRequest`, and constructing a client. Prints the counts per call
// after a warm-up (`node bench/crossings.mjs`).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startStandIn } from '../tests/mock-clerk/spawn.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const copy = mkdtempSync(join(tmpdir(), 'clerk-m2m-crossings-'));
cpSync(join(root, 'pkg'), copy, { recursive: true });
const gluePath = join(copy, 'clerk_m2m_edge.js');
let glue = readFileSync(gluePath, 'utf8');
const count = `const __count = (name) => globalThis.__crossings?.set(name, (globalThis.__crossings.get(name) ?? 0) + 1);\n`;
// wasm → JS: every import of the glue's own module.
glue = glue.replace(/\n    return \{\n        __proto__: null,\n        "\.\/clerk_m2m_edge_bg\.js": import0,/, (found) =>
  `\n    for (const [k, f] of Object.entries(import0)) if (typeof f === 'function') import0[k] = function (...a) { __count('wasm→JS ' + k.replace(/^__wbg_|_[0-9a-f]{16}$/g, '')); return f.apply(this, a); };${found}`);
// JS → wasm: every export the glue calls.
glue = glue.replace(/\bwasm = instance\.exports;/, `wasm = Object.fromEntries(Object.entries(instance.exports).map(([k, v]) => [k, typeof v === 'function' ? (...a) => { __count('JS→wasm ' + k); return v(...a); } : v]));`);
if (!glue.includes("__count('JS→wasm") || !glue.includes("__count('wasm→JS")) throw new Error('the glue changed shape: update bench/crossings.mjs');
writeFileSync(gluePath, count + glue);

const { ClerkM2M, verifyRequest } = await import(pathToFileURL(join(copy, 'node.js')).href);
const standIn = await startStandIn();
try {
  const billing = standIn.machine('billing');
  const gateway = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
  const opaque = (await gateway.createToken({ secondsUntilExpiration: 3600 })).token;
  const jwt = (await gateway.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 3600 })).token;
  const m2m = new ClerkM2M({ machineSecretKey: billing.secretKey, apiUrl: standIn.url });
  const jwtClient = new ClerkM2M({ jwtKey: standIn.jwtPublicKeyPem });
  const request = new Request('https://service.internal/', { headers: { authorization: `Bearer ${opaque}` } });
  const guardOptions = { machineSecretKey: billing.secretKey, apiUrl: standIn.url, machineId: billing.id };
  const calls = {
    'construct a client': async () => new ClerkM2M({ machineSecretKey: billing.secretKey, apiUrl: standIn.url }).free(),
    'opaque m2m.verify': () => m2m.verify({ token: opaque }),
    'JWT m2m.verify': () => jwtClient.verify({ token: jwt }),
    'repeated token, verifyRequest': () => verifyRequest(request, guardOptions),
  };
  for (const [name, call] of Object.entries(calls)) {
    for (let i = 0; i < 5; i++) await call(); // warm: keys imported, verdict cached, code compiled
    globalThis.__crossings = new Map();
    await call();
    const counted = [...globalThis.__crossings].sort((a, b) => b[1] - a[1]);
    const total = (dir) => counted.filter(([k]) => k.startsWith(dir)).reduce((n, [, c]) => n + c, 0);
    console.log(`${name}: ${total('JS→wasm')} JS→wasm, ${total('wasm→JS')} wasm→JS crossings`);
    console.log(`  ${counted.map(([k, c]) => `${k.replace(/^wasm→JS |^JS→wasm /, (d) => (d.startsWith('JS') ? '→' : '←'))} ${c}`).join(', ')}`);
    globalThis.__crossings = undefined;
  }
} finally {
  await standIn.stop();
  rmSync(copy, { recursive: true, force: true });
}
