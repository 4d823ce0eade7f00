// Fault injection: with the stand-in answering 500, 502, 503, 429 (Retry-After), malformed JSON, a wrong content
// type, a truncated body, a hang, a connection reset or a slow answer, every call ends within its timeout budget
// with the right typed error, retries stay within maxRetries, verifyRequest answers 503 (never 200), and no
// unhandled rejection or wasm trap occurs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pkg, useStandIn, takeRequests } from './helpers.mjs';

const { ClerkM2M, ClerkM2MError, ClerkAPIResponseError, verifyRequest, clearVerificationCache } = pkg;
const standIn = useStandIn();
// Long enough that the slow answer (a tenth of it) never races the timeout on a loaded machine.
const TIMEOUT = 600;
const RETRIES = 2;
// Every attempt may take TIMEOUT; backoffs are at most 200 + 400 ms; plus scheduling slack.
const BUDGET = (RETRIES + 1) * TIMEOUT + 600 + 1500;

const faults = {
  500: { status: 500 },
  502: { status: 502, body: '<html>bad gateway</html>', headers: { 'content-type': 'text/html' } },
  503: { status: 503 },
  '429 with Retry-After': { status: 429, headers: { 'retry-after': '0' } },
  'malformed JSON': { malformed: true },
  'wrong content type': { contentType: 'text/html' },
  'truncated body': { truncated: true },
  hang: { hang: true },
  'connection reset': { reset: true },
  'slow answer': { delayMs: TIMEOUT / 10 },
};

/** What a call must end with under a fault: [error code (or 'ok'), attempts for a safe op, attempts for create]. */
const expected = {
  500: ['injected_500', RETRIES + 1, 1],
  502: ['api_error', RETRIES + 1, 1],
  503: ['injected_503', RETRIES + 1, 1],
  '429 with Retry-After': ['injected_429', RETRIES + 1, RETRIES + 1],
  'malformed JSON': ['invalid_response', 1, 1],
  'wrong content type': ['invalid_response', 1, 1],
  'truncated body': ['network_error', RETRIES + 1, 1],
  hang: ['timeout', RETRIES + 1, 1],
  'connection reset': ['network_error', RETRIES + 1, 1],
  'slow answer': ['ok', 1, 1],
};

test('every operation under every fault: typed error, bounded time, bounded retries, no unhandled rejection', async () => {
  const unhandled = [];
  const onUnhandled = (e) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  const gateway = standIn.machine('gateway');
  const m2m = new ClerkM2M({ machineSecretKey: gateway.secretKey, apiUrl: standIn.url, timeoutMs: TIMEOUT, maxRetries: RETRIES });
  const receiver = new ClerkM2M({ machineSecretKey: standIn.machine('billing').secretKey, apiUrl: standIn.url, timeoutMs: TIMEOUT, maxRetries: RETRIES });
  const live = await m2m.createToken();
  const operations = {
    createToken: { path: '/m2m_tokens', method: 'POST', safe: false, call: () => m2m.createToken() },
    list: { path: '/m2m_tokens', method: 'GET', safe: true, call: () => m2m.list({ subject: gateway.id }) },
    revokeToken: { path: '/revoke', method: 'POST', safe: true }, // its target is minted below, before the fault
    verify: { path: '/m2m_tokens/verify', method: 'POST', safe: true, call: () => receiver.verify({ token: live.token }) },
  };
  for (const [faultName, fault] of Object.entries(faults)) {
    for (const [opName, op] of Object.entries(operations)) {
      const [code, safeAttempts, createAttempts] = expected[faultName];
      const pending = opName === 'revokeToken' ? await m2m.createToken() : undefined;
      const call = pending ? () => m2m.revokeToken({ m2mTokenId: pending.id }) : op.call;
      await standIn.fault({ path: op.path, method: op.method, times: 10, ...fault });
      await takeRequests(standIn);
      const t0 = Date.now();
      let outcome = 'ok';
      try {
        await call();
      } catch (err) {
        assert.ok(err instanceof ClerkM2MError || err instanceof ClerkAPIResponseError, `${faultName} / ${opName}: ${err}`);
        outcome = err.code;
        if (faultName === '429 with Retry-After') assert.equal(err.retryAfter, 0);
      }
      const elapsed = Date.now() - t0;
      await standIn.clearFaults();
      const attempts = (await takeRequests(standIn)).length;
      const label = `${faultName} / ${opName}`;
      assert.equal(outcome, code, label);
      assert.equal(attempts, op.safe ? safeAttempts : createAttempts, `${label}: attempts (never more than maxRetries + 1)`);
      assert.ok(elapsed < BUDGET, `${label}: took ${elapsed} ms`);
    }
  }
  assert.equal((await receiver.verify({ token: live.token })).id, live.id, 'the instance still works after every fault');
  process.off('unhandledRejection', onUnhandled);
  assert.deepEqual(unhandled, []);
});

test('verifyRequest answers 503 under every failing fault, never 200', async () => {
  const { token } = await new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url }).createToken();
  const options = { machineSecretKey: standIn.machine('billing').secretKey, apiUrl: standIn.url, timeoutMs: TIMEOUT, maxRetries: RETRIES, allowAnyMachine: true };
  const request = () => new Request('https://billing.internal/', { headers: { authorization: `Bearer ${token}` } });
  for (const [faultName, fault] of Object.entries(faults)) {
    clearVerificationCache();
    await standIn.fault({ path: '/m2m_tokens/verify', times: 10, ...fault });
    const t0 = Date.now();
    const auth = await verifyRequest(request(), options);
    const elapsed = Date.now() - t0;
    await standIn.clearFaults();
    if (faultName === 'slow answer') {
      assert.equal(auth.isAuthenticated, true);
    } else {
      assert.equal(auth.isAuthenticated, false, faultName);
      assert.equal(auth.status, 503, faultName);
      assert.equal(auth.reason, 'upstream-unavailable', faultName);
      // Clerk's own Retry-After when it sent one (0 here), else the guard's default of 5 s.
      assert.equal(auth.toResponse().headers.get('retry-after'), faultName === '429 with Retry-After' ? '0' : '5', faultName);
    }
    assert.ok(elapsed < BUDGET, `${faultName}: took ${elapsed} ms`);
  }
});
