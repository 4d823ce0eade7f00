// Turns wasm-pack's output in pkg/ into the npm package: adds the runtime entry files (readable ESM: users read
// the code that guards their routes, and their bundler minifies), the hand-written types, the error re-export,
// the package.json with export conditions, LICENSE and CHANGELOG.md, and the package's README — generated from
// the repository README's `<!-- npm: … -->` sections, relative links made absolute. Run by `make pkg`.
import { readFileSync, writeFileSync, copyFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const pkg = join(root, 'pkg');
const js = join(root, 'js');

const cargo = readFileSync(join(root, 'Cargo.toml'), 'utf8');
const version = /^version\s*=\s*"([^"]+)"/m.exec(cargo)[1];
const repository = /^repository\s*=\s*"([^"]+)"/m.exec(cargo)[1];

for (const file of ['node.js', 'deno.js', 'workerd.js', 'edge-light.js', 'default.js', 'kv.js', 'cache-api.js', 'hono.js', 'hono.d.ts', 'durable-object.js', 'durable-object.d.ts', 'index.d.ts']) {
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

// The futures' scheduler (js-sys) queues its wake-ups with `queueMicrotask` when the global has one, else with a
// `then` on a resolved promise: the same microtask queue, but in workerd `queueMicrotask` costs 2.1–2.6 µs a call
// against 0.1–0.4 µs for a `then`, and an opaque verification makes several (issue 19, BENCHMARKS.md). The glue's
// one read of `globalThis.queueMicrotask` answers "none", so the scheduler takes its `then` path everywhere.
const gluePath = join(pkg, 'clerk_m2m_edge.js');
const glue = readFileSync(gluePath, 'utf8');
const probe = /(__wbg_queueMicrotask_[0-9a-f]+: function\(arg0\) \{\s*const ret = )arg0\.queueMicrotask;/g;
const marker = 'undefined; // scheduled with a then: see scripts/finish-pkg.mjs';
const probes = (glue.match(probe) ?? []).length + glue.split(marker).length - 1;
if (probes !== 1) throw new Error(`expected one queueMicrotask probe in the glue, found ${probes}`);
writeFileSync(gluePath, glue.replace(probe, `$1${marker}`));

const manifest = JSON.parse(readFileSync(join(js, 'package.json'), 'utf8'));
manifest.version = version;
manifest.repository = { type: 'git', url: `git+${repository}.git` };
manifest.homepage = `${repository}#readme`;
writeFileSync(join(pkg, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
copyFileSync(join(root, 'LICENSE'), join(pkg, 'LICENSE'));
copyFileSync(join(root, 'CHANGELOG.md'), join(pkg, 'CHANGELOG.md'));
writeFileSync(join(pkg, 'README.md'), packageReadme(readFileSync(join(root, 'README.md'), 'utf8')));
rmSync(join(pkg, '.gitignore'), { force: true });
console.log(`pkg/: clerk-m2m-edge@${version}`);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as `-`. */
function slug(heading) {
  return heading.trim().toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-');
}

/**
 * The npm page: the repository README's `<!-- npm: … -->` … `<!-- /npm -->` sections, in order, with a header and
 * a footer. It must stand alone: a link to a file of the repository points into the repository, an anchor
 * that is not on this page points to the full README.
 */
function packageReadme(readme) {
  const sections = [...readme.matchAll(/<!-- npm: ([^>]*?) -->\n([\s\S]*?)<!-- \/npm -->/g)];
  if (sections.length < 7) throw new Error(`expected the README's npm sections, found ${sections.length}`);
  const text = [
    '# clerk-m2m-edge',
    '',
    ...sections.map(([, , body]) => body.trimEnd() + '\n'),
    '## More',
    '',
    `The [full README](${repository}#readme) has every rule the guard applies, the caches, the Rust API, performance`,
    `figures and how it is tested; [SECURITY.md](SECURITY.md) is the threat model, [CHANGELOG.md](CHANGELOG.md) what`,
    'changed. License: MIT ([LICENSE](LICENSE)).',
    '',
  ].join('\n');
  const anchors = new Set([...text.matchAll(/^#+ (.*)$/gm)].map(([, heading]) => slug(heading)));
  return text.replace(/\]\(([^)\s]+)\)/g, (link, target) => {
    if (/^(https?:|mailto:)/.test(target)) return link;
    if (target.startsWith('#')) return anchors.has(target.slice(1)) ? link : `](${repository}${target})`;
    const path = target.replace(/^\.\//, '');
    return `](${repository}/${path.endsWith('/') ? 'tree' : 'blob'}/main/${path})`;
  });
}
