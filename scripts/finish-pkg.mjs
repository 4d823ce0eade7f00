// Turns wasm-pack's output in pkg/ into the npm package: adds the runtime entry files (readable ESM: users read
// the code that guards their routes, and their bundler minifies), the hand-written types, the error re-export
// and the package.json with export conditions. Run by `make pkg`.
import { readFileSync, writeFileSync, copyFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const pkg = join(root, 'pkg');
const js = join(root, 'js');

const version = /^version\s*=\s*"([^"]+)"/m.exec(readFileSync(join(root, 'Cargo.toml'), 'utf8'))[1];

for (const file of ['node.js', 'deno.js', 'workerd.js', 'edge-light.js', 'default.js', 'kv.js', 'hono.js', 'hono.d.ts', 'index.d.ts']) {
  copyFileSync(join(js, file), join(pkg, file));
}

// The error classes live in a wasm-bindgen snippet whose folder name carries a hash: re-export them from it,
// so `instanceof` works on the very classes the wasm constructs.
const snippets = readdirSync(join(pkg, 'snippets'));
if (snippets.length !== 1) throw new Error(`expected one snippet folder, found ${snippets.length}`);
const errorsPath = `./snippets/${snippets[0]}/js/errors.js`;
if (!existsSync(join(pkg, errorsPath))) throw new Error(`missing ${errorsPath}`);
writeFileSync(join(pkg, 'errors.js'), `export { ClerkM2MError, ClerkAPIResponseError, invalidArgument } from '${errorsPath}';\n`);
if (!existsSync(join(pkg, `./snippets/${snippets[0]}/js/auth.js`))) throw new Error('missing the auth.js snippet');

const manifest = JSON.parse(readFileSync(join(js, 'package.json'), 'utf8'));
manifest.version = version;
writeFileSync(join(pkg, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
copyFileSync(join(js, 'README.md'), join(pkg, 'README.md'));
rmSync(join(pkg, '.gitignore'), { force: true });
console.log(`pkg/: clerk-m2m-edge@${version}`);
