// `make demo`: the whole M2M flow through the built package — create an opaque and a JWT token, list, verify,
// revoke, verify again (rejected) — printing each step. Against the embedded Clerk stand-in by default, or a
// real Clerk instance when CLERK_API_URL and CLERK_MACHINE_SECRET_KEY (and optionally CLERK_SECRET_KEY) are set.
import { ClerkM2M } from '../pkg/node.js';
import { startStandIn } from '../tests/mock-clerk/spawn.mjs';

const real = Boolean(process.env.CLERK_API_URL && process.env.CLERK_MACHINE_SECRET_KEY);
let standIn;
let config;
if (real) {
  config = {
    apiUrl: process.env.CLERK_API_URL,
    machineSecretKey: process.env.CLERK_MACHINE_SECRET_KEY,
    verifierKey: process.env.CLERK_SECRET_KEY || process.env.CLERK_MACHINE_SECRET_KEY,
  };
  console.log(`Using Clerk at ${config.apiUrl}`);
} else {
  standIn = await startStandIn();
  config = {
    apiUrl: standIn.url,
    machineSecretKey: standIn.machine('gateway').secretKey,
    verifierKey: standIn.machine('billing').secretKey,
  };
  console.log(`Started the Clerk stand-in at ${standIn.url} (set CLERK_API_URL and CLERK_MACHINE_SECRET_KEY to use real Clerk)`);
  console.log(`Caller machine "gateway" (${standIn.machine('gateway').id}) mints; receiver machine "billing" verifies.\n`);
}

const short = (t) => (t.length > 24 ? `${t.slice(0, 12)}…${t.slice(-6)}` : t);
const step = (n, text) => console.log(`${n}. ${text}`);
const caller = new ClerkM2M({ apiUrl: config.apiUrl, machineSecretKey: config.machineSecretKey });
const receiver = new ClerkM2M({ apiUrl: config.apiUrl, machineSecretKey: config.verifierKey });

try {
  step(1, 'createToken({ secondsUntilExpiration: 3600, claims: { purpose: "demo" } })');
  const opaque = await caller.createToken({ secondsUntilExpiration: 3600, claims: { purpose: 'demo' } });
  console.log(`   → ${opaque.id}  token ${short(opaque.token)}  subject ${opaque.subject}  scopes [${opaque.scopes.join(', ')}]`);

  step(2, "createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 600 })");
  const jwt = await caller.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 600 });
  console.log(`   → ${jwt.id}  JWT ${short(jwt.token)} (${jwt.token.length} chars)`);

  step(3, `list({ subject: '${opaque.subject}' })`);
  const page = await caller.list({ subject: opaque.subject, limit: 5 });
  console.log(`   → ${page.totalCount} live opaque token(s): ${page.data.map((t) => t.id).join(', ')}`);

  step(4, 'verify({ token }) — the receiving machine checks the opaque token');
  const verified = await receiver.verify({ token: opaque.token });
  console.log(`   → valid: subject ${verified.subject}, claims ${JSON.stringify(verified.claims)}, expires ${new Date(verified.expiration).toISOString()}`);

  step(5, `revokeToken({ m2mTokenId: '${opaque.id}', revocationReason: 'demo finished' })`);
  const revoked = await caller.revokeToken({ m2mTokenId: opaque.id, revocationReason: 'demo finished' });
  console.log(`   → revoked: ${revoked.revoked}, reason: ${revoked.revocationReason}`);

  step(6, 'verify({ token }) again');
  try {
    await receiver.verify({ token: opaque.token });
    console.log('   → UNEXPECTED: the revoked token was accepted');
    process.exitCode = 1;
  } catch (err) {
    console.log(`   → rejected: ${err.name} code=${err.code}${err.reason ? ` reason=${err.reason}` : ''}: ${err.message}`);
  }
  console.log('\nDone.');
} catch (err) {
  console.error(`Demo failed: ${err.name} ${err.code ?? ''} ${err.message}`);
  process.exitCode = 1;
} finally {
  await standIn?.stop();
}
