// What would be published: the npm tarball of `make pkg`'s output (`npm pack --dry-run --json`) and the crate
// (`cargo package --list`). Each carries LICENSE and CHANGELOG.md and nothing of the repository's tests,
// benchmarks, scripts or examples; the npm README stands alone — the recipes a user comes for, and no link that
// only works inside the repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkgDir = join(root, 'pkg');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as `-`. */
const slug = (heading) => heading.trim().toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-');

test('the npm tarball holds the package, its README, LICENSE and CHANGELOG.md, and nothing else', () => {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--loglevel=error'], { cwd: pkgDir, encoding: 'utf8' }));
  const files = packed.files.map((f) => f.path).sort();
  const own = /^(LICENSE|README\.md|CHANGELOG\.md|package\.json|clerk_m2m_edge(_bg\.wasm|\.js|\.d\.ts|_bg\.wasm\.d\.ts)|(node|deno|workerd|edge-light|default|errors|kv|cache-api|hono|durable-object)\.js|(index|hono|durable-object)\.d\.ts|snippets\/clerk-m2m-edge-[0-9a-f]+\/js\/(auth|broker|clerk-fetch|errors|source|store)\.js)$/;
  for (const required of ['LICENSE', 'CHANGELOG.md', 'README.md', 'package.json', 'clerk_m2m_edge_bg.wasm', 'workerd.js', 'durable-object.js', 'durable-object.d.ts']) {
    assert.ok(files.includes(required), `${required} is in the tarball`);
  }
  for (const file of files) assert.match(file, own, `${file} is one of the package's own files`);
  assert.match(readFileSync(join(pkgDir, 'LICENSE'), 'utf8'), /^MIT License/);
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  assert.equal(manifest.license, 'MIT');
  assert.match(manifest.repository.url, /^git\+https:\/\//);
});

test("the npm README stands alone: what it is, install, the three recipes, Rust, options, errors, runtimes; no relative link", () => {
  const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
  const main = readFileSync(join(root, 'README.md'), 'utf8');
  assert.ok(readme.length > 10_000, `${readme.length} characters: not a stub`);
  for (const [what, text] of [
    ['install', 'npm install clerk-m2m-edge'],
    ['guard a Worker route', 'ClerkM2M.fromEnv(env).verifyRequest(request'],
    ['Hono', "m2mAuth({"],
    ['call a service', 'm2m.tokenSource({'],
    ['Rust / workers-rs', 'use clerk_m2m_edge::{verify_request'],
    ['the options table', '| Call | Options'],
    ['the error codes', '`invalid_argument`'],
    ['the runtimes', '| Runtime | Condition |'],
    ['the full README', '#readme'],
  ]) {
    assert.ok(readme.includes(text), `${what}: ${text}`);
  }
  assert.ok(!/^make /m.test(readme) && !readme.includes('<!-- npm'), 'none of the repository\'s own commands or markers');
  // Generated from the main README, not a second copy kept by hand: each section is there word for word.
  const recipe = /\*\*Hono\*\*[\s\S]*?```js\n([\s\S]*?)```/.exec(main)[1];
  assert.ok(readme.includes(recipe), 'the Hono recipe, as the main README has it');
  const anchors = new Set([...readme.matchAll(/^#+ (.*)$/gm)].map(([, heading]) => slug(heading)));
  for (const [, target] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (target.startsWith('#')) assert.ok(anchors.has(target.slice(1)), `anchor ${target} is on the page`);
    else assert.match(target, /^https:\/\//, `${target} is absolute`);
  }
});

test('the crate ships only itself: src, the JS its bindings read, README, LICENSE, CHANGELOG', () => {
  const listed = execFileSync('cargo', ['package', '--list', '--allow-dirty', '--offline', '--quiet'], { cwd: root, encoding: 'utf8' })
    .split('\n').filter(Boolean);
  for (const required of ['LICENSE', 'CHANGELOG.md', 'README.md', 'Cargo.toml', 'src/lib.rs', 'js/errors.js']) {
    assert.ok(listed.includes(required), `${required} is in the crate`);
  }
  const allowed = /^(src\/.+\.rs|js\/(auth|broker|clerk-fetch|errors|source|store)\.js|README\.md|LICENSE|CHANGELOG\.md|Cargo\.toml|Cargo\.toml\.orig|Cargo\.lock|\.cargo_vcs_info\.json)$/;
  for (const file of listed) assert.match(file, allowed, `${file} belongs in the crate`);
  assert.ok(listed.length < 80, `${listed.length} files`);
  const manifest = readFileSync(join(root, 'Cargo.toml'), 'utf8');
  assert.match(manifest, /\[package\.metadata\.docs\.rs\][^[]*\ntargets = \["wasm32-unknown-unknown"\]/, 'docs.rs shows the wasm32 API');
});
