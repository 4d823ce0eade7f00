// One cold start, in a fresh process: `node cold.mjs ours|theirs <pkg dir>` prints two numbers of milliseconds:
// from before the import to the module being ready (import + wasm compile/instantiate for ours), and to a usable
// client (the same plus the first `new ClerkM2M` / `createClerkClient`).
const which = process.argv[2];
const t0 = performance.now();
let imported;
if (which === 'ours') {
  const { ClerkM2M } = await import(new URL('node.js', `file://${process.argv[3]}/`).href);
  imported = performance.now();
  new ClerkM2M({ secretKey: 'sk_test_cold' });
} else {
  const { createClerkClient } = await import('@clerk/backend');
  imported = performance.now();
  createClerkClient({ secretKey: 'sk_test_cold' });
}
console.log((imported - t0).toFixed(3), (performance.now() - t0).toFixed(3));
