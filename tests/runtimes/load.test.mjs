// A short load run through the worker-example in workerd with 5% injected faults (the 20,000-request run is
// `node tests/load/load.mjs`): every response is an allowed one, none hangs, the cache stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLoad } from '../load/load.mjs';

test('2,000 requests at 64 concurrent with 5% faults: right answers, no hang, bounded cache', async () => {
  const r = await runLoad({ requests: 2_000, concurrency: 64, faultRate: 0.05 });
  console.log(`# load: ${Math.round(r.throughput)} req/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.clerkCalls} verify calls, cache ${r.cache.entries}/${r.cache.capacity}`);
  assert.deepEqual(r.wrong, []);
  assert.equal(r.hung, 0);
  assert.ok(r.cache.entries <= r.cache.capacity);
  assert.ok((r.counts['valid 200'] ?? 0) > 0 && (r.counts['unknown 401'] ?? 0) > 0 && (r.counts['foreign 403'] ?? 0) > 0);
  assert.ok(!Object.keys(r.counts).some((k) => /^(unknown|foreign|anonymous) 200$/.test(k)), 'nothing invalid was let in');
});
