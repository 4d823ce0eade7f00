// What a fresh isolate's first request makes V8 compile (issue 19's profile of the first request). V8 compiles each
// wasm function the first time it is called (lazily, on the calling thread), so the first request pays for every
// function it runs once; this lists them. It instruments the package's wasm — the release build before wasm-opt, so
// that functions keep their names — with binaryen's --log-execution pass (a call to an import at every function
// entry), loads it in Node with the package's glue, and records which functions run while (1) a client is
// constructed and (2) it verifies one opaque token against the stand-in. Prints, per phase, the functions, their
// bytes of code and the largest, grouped by crate. Run after `make pkg`: `node bench/first-code.mjs [--top N]`.
// (The names are the wasm's before wasm-opt, whose inlining changes the exact bytes, not which code runs.)
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStandIn } from '../tests/mock-clerk/spawn.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const top = process.argv.includes('--top') ? Number(process.argv[process.argv.indexOf('--top') + 1]) : 15;
const features = ['--enable-bulk-memory', '--enable-mutable-globals', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
  '--enable-reference-types', '--enable-multivalue'];
const bin = (name) => join(root, 'node_modules/.bin', name);

// ---------- the instrumented package ----------
const work = mkdtempSync(join(tmpdir(), 'clerk-m2m-first-code-'));
const named = join(work, 'named');
execFileSync('wasm-bindgen', [join(root, 'target/wasm32-unknown-unknown/release/clerk_m2m_edge.wasm'), '--out-dir', named, '--target', 'web']);
const pkg = join(work, 'pkg');
cpSync(join(root, 'pkg'), pkg, { recursive: true });
const wasm = join(pkg, 'clerk_m2m_edge_bg.wasm');
execFileSync(bin('wasm-opt'), [...features, '-g', '--log-execution', join(named, 'clerk_m2m_edge_bg.wasm'), '-o', wasm]);
const text = execFileSync(bin('wasm-dis'), [...features, wasm], { maxBuffer: 1 << 30 }).toString();

// Each logged id belongs to the function whose body holds its call (`(call $log (i32.const id))`).
const logImport = /\(import "[^"]*" "log_execution" \(func \$(\S+)/.exec(text)[1];
const funcAt = /^ \(func \$(?:"((?:[^"\\]|\\.)*)"|(\S+))/;
const functionOf = new Map();
let current;
const lines = text.split('\n');
lines.forEach((line, i) => {
  const f = funcAt.exec(line);
  if (f) current = f[1] ?? f[2];
  if (line.includes(`call $${logImport}`)) {
    const id = /i32\.const (\d+)/.exec(line + lines[i + 1]);
    if (id) functionOf.set(Number(id[1]), current);
  }
});
const bytes = codeBytes(readFileSync(join(named, 'clerk_m2m_edge_bg.wasm')));
const gluePath = join(pkg, 'clerk_m2m_edge.js');
const glue = readFileSync(gluePath, 'utf8');
const hook = '    const import0 = {\n        __proto__: null,';
if (!glue.includes(hook)) throw new Error('the glue changed shape: update bench/first-code.mjs');
writeFileSync(gluePath, glue.replace(hook, `${hook}\n        log_execution: (id) => globalThis.__firstCodeSeen?.add(id),`));

// ---------- the run ----------
const standIn = await startStandIn();
try {
  // The token to verify is minted with the package itself (another instance), so that the instrumented one runs
  // only the two phases.
  const { ClerkM2M: Minter } = await import(join(root, 'pkg/node.js'));
  const minter = new Minter({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
  const { token } = await minter.createToken({ secondsUntilExpiration: 3600 });
  const { ClerkM2M } = await import(join(pkg, 'node.js'));
  globalThis.__firstCodeSeen = new Set();
  const m2m = new ClerkM2M({ machineSecretKey: standIn.machine('billing').secretKey, apiUrl: standIn.url });
  const constructed = report('construct a client', take());
  await m2m.verify({ token });
  report('then verify one opaque token (functions not already run)', take(), constructed);
} finally {
  await standIn.stop();
  rmSync(work, { recursive: true, force: true });
}

function take() {
  const seen = globalThis.__firstCodeSeen;
  globalThis.__firstCodeSeen = new Set();
  return new Set([...seen].map((id) => functionOf.get(id)).filter(Boolean));
}

function report(phase, functions, before = new Set()) {
  const fresh = [...functions].filter((f) => !before.has(f));
  const rows = fresh.map((f) => [bytes.get(f) ?? 0, f.replace(/\[[0-9a-f]{12,16}\]/g, '')]).sort((a, b) => b[0] - a[0]);
  const total = rows.reduce((sum, [b]) => sum + b, 0);
  const groups = {};
  for (const [b, f] of rows) {
    const group = (/^<?(?:<)?(clerk_m2m_edge::[a-z_]+::[a-z_]+|[a-z_0-9]+)/.exec(f) ?? [, 'other'])[1];
    groups[group] = (groups[group] ?? 0) + b;
  }
  console.log(`${phase}: ${rows.length} functions, ${(total / 1024).toFixed(1)} KB of code`);
  console.log(`  by crate or module: ${Object.entries(groups).sort((a, b) => b[1] - a[1]).slice(0, 10).map(([g, b]) => `${g} ${(b / 1024).toFixed(1)} KB`).join(', ')}`);
  for (const [b, f] of rows.slice(0, top)) console.log(`  ${String(b).padStart(6)}  ${f.slice(0, 140)}`);
  return new Set([...before, ...fresh]);
}

/** Function name → bytes of its body, from a wasm's code and name sections. */
function codeBytes(b) {
  let p = 8;
  const leb = () => {
    let result = 0;
    let shift = 0;
    let byte;
    do {
      byte = b[p++];
      result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return result >>> 0;
  };
  let imported = 0;
  const sizes = [];
  const names = new Map();
  while (p < b.length) {
    const id = b[p++];
    const size = leb();
    const end = p + size;
    if (id === 2) {
      for (let n = leb(); n > 0; n--) {
        for (let part = 0; part < 2; part++) {
          const length = leb();
          p += length;
        }
        const kind = b[p++];
        if (kind === 0) {
          leb();
          imported++;
        } else if (kind === 1) {
          p++;
          if (leb() & 1) leb();
          leb();
        } else if (kind === 2) {
          if (leb() & 1) leb();
          leb();
        } else {
          p += 2;
        }
      }
    } else if (id === 10) {
      for (let n = leb(); n > 0; n--) {
        const body = leb();
        sizes.push(body);
        p += body;
      }
    } else if (id === 0) {
      const nameLength = leb();
      const section = b.subarray(p, p + nameLength).toString();
      p += nameLength;
      while (section === 'name' && p < end) {
        const sub = b[p++];
        const subSize = leb();
        const subEnd = p + subSize;
        if (sub === 1) {
          for (let n = leb(); n > 0; n--) {
            const index = leb();
            const length = leb();
            names.set(index, b.subarray(p, p + length).toString());
            p += length;
          }
        }
        p = subEnd;
      }
    }
    p = end;
  }
  return new Map(sizes.map((s, i) => [names.get(i + imported), s]));
}
