// The worker-example as a user runs it locally: `wrangler dev` (wrangler 4.86 on Node 20, offline), against the
// stand-in. And `make demo`'s script end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStandIn } from '../mock-clerk/spawn.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

test('wrangler dev serves the worker-example offline and guards /api', async () => {
  const standIn = await startStandIn();
  const persist = mkdtempSync(join(tmpdir(), 'clerk-m2m-wrangler-'));
  const port = await freePort();
  const billing = standIn.machine('billing');
  const vars = { CLERK_API_URL: standIn.url, CLERK_MACHINE_SECRET_KEY: billing.secretKey, CLERK_SECRET_KEY: standIn.secretKey,
    CLERK_MACHINE_ID: billing.id };
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', persist, '--log-level', 'info',
    ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`])];
  const child = spawn(join(root, 'worker-example/node_modules/.bin/wrangler'), args, {
    cwd: join(root, 'worker-example'),
    detached: true, // its own process group: wrangler starts workerd children, all stopped together
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1', NO_COLOR: '1' },
  });
  try {
    await new Promise((resolve, reject) => {
      let out = '';
      const onData = (chunk) => {
        out += chunk;
        if (out.includes('Ready on')) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => reject(new Error(`wrangler dev exited with ${code}: ${out.slice(-2000)}`)));
      setTimeout(() => reject(new Error(`wrangler dev not ready after 60 s: ${out.slice(-2000)}`)), 60_000).unref();
    });
    const base = `http://127.0.0.1:${port}`;
    assert.equal((await (await fetch(`${base}/health`)).json()).ok, true);
    // wrangler.toml as shipped: deploying it as is exposes no endpoint that mints tokens with the worker's key.
    const demo = await fetch(`${base}/tokens`, { method: 'POST' });
    assert.equal(demo.status, 404, 'the demo routes are off in the shipped wrangler.toml');
    const gateway = standIn.machine('gateway');
    const minted = await (await fetch(`${standIn.url}/v1/m2m_tokens`, { method: 'POST', body: '{}',
      headers: { authorization: `Bearer ${gateway.secretKey}`, 'content-type': 'application/json' } })).json();
    const me = await fetch(`${base}/api/whoami`, { headers: { authorization: `Bearer ${minted.token}` } });
    assert.equal(me.status, 200);
    assert.equal((await me.json()).subject, gateway.id);
    const anon = await fetch(`${base}/api/whoami`);
    assert.equal(anon.status, 401);
    assert.equal(anon.headers.get('www-authenticate'), 'Bearer realm="clerk-m2m"');
  } finally {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {}
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    await standIn.stop();
    rmSync(persist, { recursive: true, force: true });
  }
});

test('make demo: the guarded worker, then the caller worker’s token source, in workerd', () => {
  const run = spawnSync(process.execPath, [join(root, 'scripts/demo.mjs')], { encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, CLERK_API_URL: '', CLERK_MACHINE_SECRET_KEY: '' } });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /← 200 .*"tokenFormat":"opaque"/);
  assert.match(run.stdout, /← 401 .*"token-missing"/);
  assert.match(run.stdout, /← 401 .*"token-invalid"/);
  assert.match(run.stdout, /The API: minted, guarded, refused, revoked, refused\./);
  assert.match(run.stdout, /\(3 of 3\)[\s\S]*mints so far: 1\n/, 'three calls through the caller, one mint');
  assert.match(run.stdout, /mints so far: 2\n[\s\S]*The caller: one mint for three calls, revoked, 401, one re-mint, 200\./);
  assert.match(run.stdout, /\nDone\.\n/);
});
