// Packs pkg/ with `npm pack` and installs the tarball into a fresh consumer project under tests/.tmp/, exactly
// as a user would install it. Tests import the package from there (see helpers.mjs).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const tmp = join(root, 'tests/.tmp');
const consumer = join(tmp, 'consumer');
rmSync(tmp, { recursive: true, force: true });
mkdirSync(consumer, { recursive: true });

const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: join(root, 'pkg') }));
const tarball = packed[0].filename.replace(/^@.*\//, '');
const files = packed[0].files.map((f) => f.path);
for (const required of ['clerk_m2m_edge_bg.wasm', 'node.js', 'deno.js', 'workerd.js', 'edge-light.js', 'default.js', 'index.d.ts', 'errors.js', 'package.json']) {
  if (!files.includes(required)) throw new Error(`the packed package lacks ${required}`);
}
writeFileSync(
  join(consumer, 'package.json'),
  JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { 'clerk-m2m-edge': `file:../${tarball}`, hono: '4.13.19' } }, null, 2),
);
execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: consumer, stdio: 'inherit' });
writeFileSync(join(consumer, 'entry.mjs'), "export * from 'clerk-m2m-edge';\n");
// The TypeScript check runs where a user's code would: inside the consumer project.
for (const file of ['usage.ts', 'hono-usage.ts', 'tsconfig.json']) copyFileSync(join(root, 'tests/types', file), join(consumer, file));
// The runtime matrix runs the worker-example's handler from the consumer project too.
copyFileSync(join(root, 'worker-example/src/index.js'), join(consumer, 'worker-app.mjs'));
copyFileSync(join(root, 'worker-example/caller/src/index.js'), join(consumer, 'caller-app.mjs'));
copyFileSync(join(root, 'worker-example/hono/src/index.js'), join(consumer, 'hono-app.mjs'));
console.log(`installed ${tarball} (${packed[0].size} bytes packed, ${files.length} files) into ${consumer}`);
console.log(readdirSync(join(consumer, 'node_modules/clerk-m2m-edge')).join(' '));
