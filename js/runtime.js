// The runtime calls of the wasm core, each one boundary crossing: one HTTP attempt (fetch bounded by an
// abort-signal deadline that also covers reading the body), a timer, and the WebCrypto RSA calls.
// Imported by the wasm glue as a wasm-bindgen snippet; nothing here decides anything about tokens.
// Their parameters are JSON text or JS values so that they share import signatures with wasm-bindgen's own
// imports: V8 compiles one wrapper per distinct signature when the module loads (~60 µs each in Node).

/** The response headers the client decides on, read when not every header is wanted. */
const DECISIVE = ['content-type', 'retry-after', 'clerk-trace-id', 'cf-ray'];

/**
 * One attempt, described by `{ method, url, headers, body?, timeoutMs, allHeaders }` (JSON text). Resolves
 * `[status, "name\nvalue\n…", body]` with every response header when `allHeaders`, else only the decisive ones;
 * rejects with 'timeout' or 'network'.
 */
export async function fetchOnce(json) {
  const { method, url, headers, body, timeoutMs, allHeaders } = JSON.parse(json);
  // AbortSignal.timeout is much cheaper than an AbortController plus a timer in Node (~70 µs a request, measured
  // in BENCHMARKS.md) and aborts the body read too; the controller is the fallback where it is missing.
  let signal;
  let controller;
  let timer;
  if (typeof AbortSignal.timeout === 'function') {
    signal = AbortSignal.timeout(timeoutMs);
  } else {
    controller = new AbortController();
    signal = controller.signal;
    timer = setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), timeoutMs);
  }
  try {
    const response = await fetch(url, { method, headers, body, signal });
    const text = await response.text();
    let lines = '';
    if (!allHeaders) {
      for (const name of DECISIVE) {
        const value = response.headers.get(name);
        if (value !== null) lines += `${name}\n${value}\n`;
      }
    } else {
      response.headers.forEach((value, name) => {
        lines += `${name}\n${value}\n`;
      });
    }
    return [response.status, lines, text];
  } catch {
    throw signal.aborted ? 'timeout' : 'network';
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const RSA = 'RSASSA-PKCS1-v1_5';

/**
 * Imports an RSA public key for verifying: `keyData` is `[n, e]` (jwk) or the SPKI bytes, `spec` is
 * `"<jwk|spki> <hash> <alg>"`. Resolves null when refused.
 */
export async function importRsaKey(keyData, spec) {
  const [format, hash, alg] = spec.split(' ');
  try {
    const data = format === 'jwk' ? { kty: 'RSA', n: keyData[0], e: keyData[1], alg, ext: true } : keyData;
    return await crypto.subtle.importKey(format, data, { name: RSA, hash: { name: hash } }, false, ['verify']);
  } catch {
    return null;
  }
}

/** True when `signature` is a valid RSASSA-PKCS1-v1_5 signature of `data` under `key`. */
export async function verifyRsa(key, signature, data) {
  try {
    return await crypto.subtle.verify(RSA, key, signature, data);
  } catch {
    return false;
  }
}
