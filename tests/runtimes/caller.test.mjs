// The caller's side in five runtimes: worker-example/caller (a token source's fetch) calling the guarded
// worker-example API — through a service binding in workerd (both Workers in one workerd), over the network
// elsewhere. Three calls cost one mint; after a revoke the API answers 401, the source mints once and retries:
// 200. A cold caller hit by concurrent requests mints at most once per request in workerd, once elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStandIn } from '../mock-clerk/spawn.mjs';
import { runtimes, startHost } from './run-host.mjs';
import { apiEnv, isMint, isVerify, takeCount } from './scenario.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const consumer = join(root, 'tests/.tmp/consumer');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const API_CACHE_TTL_MS = 500;
const BURST = 10;

const takeMints = (standIn) => takeCount(standIn, isMint);

/** The caller (and, in workerd, the API bound to it) or the caller and the API as two hosts. */
async function start(runtime, callerEnv, api) {
  if (runtime === 'workerd') {
    const host = await startHost('workerd', join(root, 'worker-example/caller'), callerEnv, consumer, undefined, [
      { app: join(root, 'worker-example'), env: api },
    ]);
    return { caller: host, stop: () => host.stop() };
  }
  const apiHost = await startHost(runtime, join(consumer, 'worker-app.mjs'), api, consumer);
  const caller = await startHost(runtime, join(consumer, 'caller-app.mjs'), { ...callerEnv, API_ORIGIN: apiHost.url }, consumer);
  return { caller, stop: () => Promise.all([caller.stop(), apiHost.stop()]) };
}

/** A server on 127.0.0.1 that counts the requests reaching it. */
async function listening() {
  const { createServer } = await import('node:http');
  const server = { received: 0 };
  server.http = createServer((req, res) => (server.received++, res.end('{}')));
  await new Promise((resolve) => server.http.listen(0, '127.0.0.1', resolve));
  server.host = `127.0.0.1:${server.http.address().port}`;
  server.close = () => new Promise((resolve) => server.http.close(resolve));
  return server;
}

async function call(host) {
  const res = await fetch(`${host.url}/call?path=/api/whoami`);
  return { status: res.status, body: await res.json() };
}

for (const runtime of Object.keys(runtimes)) {
  test(`${runtime}: a token source calls the guarded API — mint once, revoke, 401, re-mint, 200`, async () => {
    const standIn = await startStandIn();
    const gateway = standIn.machine('gateway');
    const api = apiEnv(standIn, { CLERK_CACHE_TTL_MS: String(API_CACHE_TTL_MS) });
    const callerEnv = { CLERK_API_URL: standIn.url, CLERK_MACHINE_SECRET_KEY: gateway.secretKey, TOKEN_SECONDS: '600' };
    let hosts;
    try {
      hosts = await start(runtime, callerEnv, api);
      await standIn.clearRequests();
      for (let i = 0; i < 3; i++) {
        const res = await call(hosts.caller);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.body.subject, gateway.id);
      }
      assert.equal(await takeMints(standIn), 1, 'three calls, one mint');

      // The caller takes a path only: a URL, `//host`, `/\host`, `%2F%2Fhost` or a tab is 400, nothing is sent.
      const attacker = await listening();
      try {
        const at = attacker.host;
        for (const query of [`https://${at}/x`, `http://${at}/x`, `//${at}/x`, `/\\${at}/x`, `%2F%2F${at}%2Fx`, `/%09/${at}/x`, 'x']) {
          const res = await fetch(`${hosts.caller.url}/call?path=${query}`);
          assert.equal(res.status, 400, query);
          assert.deepEqual(await res.json(), { error: 'bad_path' }, query);
        }
        assert.equal(attacker.received, 0, 'no request, so no token, reached another host');
        assert.equal((await standIn.requests()).filter(isVerify).length, 0, 'nothing reached the API either');
      } finally {
        await attacker.close();
      }

      // Revoke the caller's token (as its owner would); once the API's cache TTL has passed, it answers 401.
      const { ClerkM2M } = await import(join(consumer, 'entry.mjs'));
      const owner = new ClerkM2M({ machineSecretKey: gateway.secretKey, apiUrl: standIn.url });
      const live = await owner.list({ subject: gateway.id, revoked: false });
      assert.equal(live.totalCount, 1);
      await owner.revokeToken({ m2mTokenId: live.data[0].id });
      await sleep(API_CACHE_TTL_MS + 100);
      await standIn.clearRequests();
      const after = await call(hosts.caller);
      assert.equal(after.body.status, 200, `401 → one re-mint → 200: ${JSON.stringify(after.body)}`);
      const log = await standIn.requests();
      assert.equal(log.filter(isVerify).length, 2, 'the revoked token (refused: 401), then the new one');
      assert.equal(await takeMints(standIn), 1, 'exactly one re-mint');
      await hosts.stop();

      // A cold caller, BURST concurrent requests: in workerd every request may mint (a request never awaits
      // another's mint), elsewhere they share one.
      hosts = await start(runtime, callerEnv, api);
      await standIn.clearRequests();
      const burst = await Promise.all(Array.from({ length: BURST }, () => call(hosts.caller)));
      assert.ok(burst.every((r) => r.body.status === 200), JSON.stringify(burst.map((r) => r.body.status)));
      const cold = await takeMints(standIn);
      if (runtime === 'workerd') assert.ok(cold >= 1 && cold <= BURST, `${cold} mints`);
      else assert.equal(cold, 1, `${cold} mints for ${BURST} concurrent cold calls`);
      const warm = await Promise.all(Array.from({ length: BURST }, () => call(hosts.caller)));
      assert.ok(warm.every((r) => r.body.status === 200));
      assert.equal(await takeMints(standIn), 0, 'warm: no mint');
      console.log(`# ${runtime}: ${BURST} concurrent calls to a cold caller cost ${cold} mint(s); ${BURST} warm ones 0`);
      await hosts.stop();

      // Clerk down and no token yet: the caller gets the mint's typed error, never a token-less call.
      hosts = await start(runtime, callerEnv, api);
      await standIn.stop();
      const down = await call(hosts.caller);
      assert.equal(down.status, 502);
      assert.equal(down.body.error, 'network_error');
    } finally {
      await hosts?.stop();
      await standIn.stop();
    }
  });
}
