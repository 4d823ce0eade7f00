// One cold start, in a fresh process: `node cold.mjs ours|theirs <pkg dir>` prints the milliseconds from
// before the import to a usable client (import + wasm compile/instantiate + construction).
const which = process.argv[2];
const t0 = performance.now();
if (which === 'ours') {
  const { ClerkM2M } = await import(new URL('node.js', `file://${process.argv[3]}/`).href);
  new ClerkM2M({ secretKey: 'sk_test_cold' });
} else {
  const { createClerkClient } = await import('@clerk/backend');
  createClerkClient({ secretKey: 'sk_test_cold' });
}
console.log((performance.now() - t0).toFixed(3));
