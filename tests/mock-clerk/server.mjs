#!/usr/bin/env node
// A stateful stand-in for Clerk's Backend API (M2M tokens and JWKS) on 127.0.0.1, for tests and the demo.
//
// Serves every route with and without the `/v1` prefix:
//   POST /m2m_tokens · GET /m2m_tokens · POST /m2m_tokens/{id}/revoke · POST /m2m_tokens/verify · GET /jwks
// and an admin API under /__admin (request log, fault injection, configuration) that is never logged.
// On start it prints one JSON line: { url, pid, secretKey, machines: [{ id, name, secretKey, scopes }], jwtPublicKeyPem }.
//
// Usage: node tests/mock-clerk/server.mjs [--port N]   (default: a free port)
import http from 'node:http';
import crypto from 'node:crypto';

const M2M_CATEGORY = 'cl_B7d4PD333AAA';
const DEFAULT_TTL_S = 3600;

// ---------- identities ----------
const machineId = (name) => 'mch_' + (name + '0'.repeat(27)).slice(0, 27);
const names = ['gateway', 'billing', 'reports', 'outsider'];
const machines = names.map((name) => ({
  id: machineId(name),
  name,
  secretKey: `ak_standin_${name}_${crypto.createHash('sha256').update(name).digest('hex').slice(0, 24)}`,
  scopes: [],
}));
const byName = Object.fromEntries(machines.map((m) => [m.name, m]));
// gateway may call billing and reports; billing may call gateway and itself (so the worker-example's demo can
// mint a token for its own API); reports may call gateway; outsider may call nobody.
byName.gateway.scopes = [byName.billing.id, byName.reports.id];
byName.billing.scopes = [byName.gateway.id, byName.billing.id];
byName.reports.scopes = [byName.gateway.id];
const secretKey = 'sk_test_standin_' + crypto.createHash('sha256').update('instance').digest('hex').slice(0, 32);
const instanceKid = 'ins_standin' + 'A'.repeat(16);
const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: instanceKid, alg: 'RS256', use: 'sig' };

// ---------- state ----------
let tokens = new Map(); // id -> record
let tokenIndex = new Map(); // token string -> id
let log = [];
let faults = [];
let config = { verifyDeadTokens: '404', clockOffsetMs: 0, jwks: null, chaos: null };
const now = () => Date.now() + config.clockOffsetMs;
let traceCounter = 0;

function resetState() {
  tokens = new Map();
  tokenIndex = new Map();
  log = [];
  faults = [];
  config = { verifyDeadTokens: '404', clockOffsetMs: 0, jwks: null, chaos: null };
}

// ---------- helpers ----------
const b64url = (buf) => Buffer.from(buf).toString('base64url');
const randomHex = (n) => crypto.randomBytes(n).toString('hex');
const randomToken = () => 'mt_' + crypto.randomBytes(36).toString('base64url').replace(/[-_]/g, 'x').slice(0, 48);

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

function clerkError(res, status, code, message, longMessage = message, meta) {
  const traceId = `trace_${++traceCounter}`;
  const err = { message, long_message: longMessage, code };
  if (meta) err.meta = meta;
  send(res, status, { errors: [err], clerk_trace_id: traceId }, { 'clerk-trace-id': traceId });
}

function whoIs(req) {
  const auth = req.headers.authorization || '';
  const m = /^Bearer (\S+)$/.exec(auth);
  if (!m) return { kind: 'none', name: 'none' };
  if (m[1] === secretKey) return { kind: 'secret', name: 'secret' };
  const machine = machines.find((x) => x.secretKey === m[1]);
  return machine ? { kind: 'machine', name: machine.name, machine } : { kind: 'unknown', name: 'unknown' };
}

function publicToken(t, withToken = false) {
  const n = now();
  const out = {
    object: 'machine_to_machine_token',
    id: t.id,
    subject: t.subject,
    claims: t.claims,
    scopes: t.scopes,
    revoked: t.revoked,
    revocation_reason: t.revocation_reason,
    expired: t.expiration !== null && t.expiration <= n,
    expiration: t.expiration,
    last_used_at: t.last_used_at,
    created_at: t.created_at,
    updated_at: t.updated_at,
  };
  if (withToken) out.token = t.token;
  return out;
}

function signJwt(t) {
  const header = { alg: 'RS256', typ: 'JWT', kid: instanceKid, cat: M2M_CATEGORY };
  const iat = Math.floor(t.created_at / 1000);
  const registered = { jti: t.id, sub: t.subject, iat, nbf: iat, iss: 'https://clerk.standin.local' };
  if (t.expiration !== null) registered.exp = Math.floor(t.expiration / 1000);
  if (t.scopes.length) {
    registered.aud = t.scopes;
    registered.scopes = t.scopes.join(' ');
  }
  const custom = t.claims && typeof t.claims === 'object' && !Array.isArray(t.claims) ? t.claims : {};
  const payload = { ...custom, ...registered };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${b64url(crypto.sign('sha256', Buffer.from(input), privateKey))}`;
}

function decodeJwt(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url'));
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url'));
    const ok = header.alg === 'RS256' && header.kid === instanceKid &&
      crypto.verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), publicKey, Buffer.from(parts[2], 'base64url'));
    return ok ? payload : null;
  } catch {
    return null;
  }
}

const MACHINE_RE = /^mch_\w{27}$/;
const ID_RE = /^mt_[0-9A-Fa-f]{32}$/;

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
  });
}

function parseJsonObject(text) {
  if (text === '') return { ok: true, value: {} };
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false };
    return { ok: true, value };
  } catch {
    return { ok: false };
  }
}

function unknownFields(body, allowed) {
  return Object.keys(body).filter((k) => !allowed.includes(k));
}

// ---------- routes ----------
function createToken(req, res, who, body) {
  if (who.kind === 'secret') return clerkError(res, 401, 'machine_secret_key_invalid', 'Machine secret key invalid', 'Creating M2M tokens requires a Machine Secret Key.');
  if (who.kind !== 'machine') return clerkError(res, 401, 'authentication_invalid', 'Unauthorized', 'The provided key is invalid.');
  const extra = unknownFields(body, ['token_format', 'seconds_until_expiration', 'claims', 'min_remaining_ttl_seconds']);
  if (extra.length) return clerkError(res, 400, 'form_param_unknown', 'Unknown parameter', `Unknown body parameter: ${extra[0]}`, { param_name: extra[0] });
  const format = body.token_format ?? 'opaque';
  if (!['opaque', 'jwt'].includes(format)) return clerkError(res, 400, 'form_param_value_invalid', 'Invalid token_format', 'token_format must be opaque or jwt.', { param_name: 'token_format' });
  const secs = body.seconds_until_expiration;
  if (secs !== undefined && secs !== null && !(typeof secs === 'number' && secs > 0)) {
    return clerkError(res, 400, 'form_param_value_invalid', 'Invalid seconds_until_expiration', 'seconds_until_expiration must be greater than 0.', { param_name: 'seconds_until_expiration' });
  }
  const minTtl = body.min_remaining_ttl_seconds;
  // Absent or null: the machine's default lifetime (whether Clerk's null means "never" is unconfirmed; a
  // default keeps JWTs verifiable, as they need `exp`).
  const lifetime = secs === undefined || secs === null ? DEFAULT_TTL_S : secs;
  if (minTtl !== undefined) {
    if (!Number.isInteger(minTtl) || minTtl < 0) return clerkError(res, 400, 'form_param_value_invalid', 'Invalid min_remaining_ttl_seconds', 'min_remaining_ttl_seconds must be a non-negative integer.', { param_name: 'min_remaining_ttl_seconds' });
    if (lifetime !== null && minTtl >= lifetime) return clerkError(res, 400, 'form_param_value_invalid', 'Invalid min_remaining_ttl_seconds', 'min_remaining_ttl_seconds must be less than the token lifetime.', { param_name: 'min_remaining_ttl_seconds' });
  }
  const claims = body.claims === undefined ? null : body.claims;
  const machine = who.machine;
  const n = now();
  if (minTtl !== undefined && format === 'opaque') {
    const claimsJson = JSON.stringify(claims);
    for (const t of tokens.values()) {
      const left = t.expiration === null ? Infinity : (t.expiration - n) / 1000;
      if (t.subject === machine.id && !t.revoked && left >= minTtl && JSON.stringify(t.claims) === claimsJson) {
        return send(res, 201, publicToken(t, true));
      }
    }
  }
  const t = {
    id: 'mt_' + randomHex(16),
    subject: machine.id,
    scopes: [...machine.scopes],
    claims,
    revoked: false,
    revocation_reason: null,
    expiration: lifetime === null ? null : n + Math.round(lifetime * 1000),
    last_used_at: null,
    created_at: n,
    updated_at: n,
    format,
  };
  if (format === 'jwt') {
    t.token = signJwt(t);
  } else {
    t.token = randomToken();
    tokens.set(t.id, t);
    tokenIndex.set(t.token, t.id);
  }
  send(res, 201, publicToken(t, true));
}

function listTokens(req, res, who, query) {
  if (who.kind !== 'machine' && who.kind !== 'secret') return clerkError(res, 401, 'authentication_invalid', 'Unauthorized', 'The provided key is invalid.');
  const subject = query.get('subject');
  if (!subject || !MACHINE_RE.test(subject)) return clerkError(res, 400, 'form_param_format_invalid', 'Invalid subject', 'subject must be a machine id.', { param_name: 'subject' });
  if (who.kind === 'machine' && who.machine.id !== subject) return clerkError(res, 403, 'authorization_invalid', 'Forbidden', 'A machine key can only list its own tokens.');
  const flag = (name) => {
    const v = query.get(name);
    return v === null ? false : v === 'true';
  };
  const limit = query.has('limit') ? Number(query.get('limit')) : 10;
  const offset = query.has('offset') ? Number(query.get('offset')) : 0;
  if (!(limit >= 1 && limit <= 100)) return clerkError(res, 400, 'form_param_value_invalid', 'Invalid limit', 'limit must be between 1 and 100.', { param_name: 'limit' });
  if (!(offset >= 0)) return clerkError(res, 400, 'form_param_value_invalid', 'Invalid offset', 'offset must be 0 or more.', { param_name: 'offset' });
  const n = now();
  const matching = [...tokens.values()]
    .filter((t) => t.subject === subject)
    .filter((t) => t.revoked === flag('revoked'))
    .filter((t) => (t.expiration !== null && t.expiration <= n) === flag('expired'))
    .sort((a, b) => b.created_at - a.created_at);
  send(res, 200, { m2m_tokens: matching.slice(offset, offset + limit).map((t) => publicToken(t)), total_count: matching.length });
}

function revokeToken(req, res, who, id, body) {
  if (who.kind !== 'machine' && who.kind !== 'secret') return clerkError(res, 401, 'authentication_invalid', 'Unauthorized', 'The provided key is invalid.');
  if (!ID_RE.test(id)) return clerkError(res, 400, 'form_param_format_invalid', 'Invalid token id', 'm2m_token_id must be mt_ followed by 32 hex digits.');
  const extra = unknownFields(body, ['revocation_reason']);
  if (extra.length) return clerkError(res, 400, 'form_param_unknown', 'Unknown parameter', `Unknown body parameter: ${extra[0]}`, { param_name: extra[0] });
  const reason = body.revocation_reason;
  if (reason !== undefined && reason !== null && typeof reason !== 'string') return clerkError(res, 400, 'form_param_value_invalid', 'Invalid revocation_reason', 'revocation_reason must be a string.');
  const t = tokens.get(id);
  if (!t || (who.kind === 'machine' && t.subject !== who.machine.id)) return clerkError(res, 404, 'resource_not_found', 'Not found', 'No M2M token was found with that id.');
  if (!t.revoked) {
    t.revoked = true;
    t.revocation_reason = reason ?? null;
    t.updated_at = now();
  }
  send(res, 200, publicToken(t));
}

function verifyToken(req, res, who, body) {
  if (who.kind !== 'machine' && who.kind !== 'secret') return clerkError(res, 401, 'authentication_invalid', 'Unauthorized', 'The provided key is invalid.');
  const extra = unknownFields(body, ['token']);
  if (extra.length) return clerkError(res, 400, 'form_param_unknown', 'Unknown parameter', `Unknown body parameter: ${extra[0]}`, { param_name: extra[0] });
  if (typeof body.token !== 'string' || body.token === '') return clerkError(res, 400, 'form_param_missing', 'Missing token', 'token is required.', { param_name: 'token' });
  const notFound = () => clerkError(res, 404, 'resource_not_found', 'Not found', 'The M2M token is invalid.');
  let t = tokens.get(tokenIndex.get(body.token));
  if (!t && body.token.split('.').length === 3) {
    const p = decodeJwt(body.token);
    if (!p || typeof p.sub !== 'string' || !p.sub.startsWith('mch_')) return notFound();
    const scopes = typeof p.scopes === 'string' ? p.scopes.split(' ').filter(Boolean) : Array.isArray(p.aud) ? p.aud : [];
    t = { id: p.jti, subject: p.sub, scopes, claims: null, revoked: false, revocation_reason: null,
          expiration: typeof p.exp === 'number' ? p.exp * 1000 : null, last_used_at: null,
          created_at: p.iat * 1000, updated_at: p.iat * 1000 };
  }
  if (!t) return notFound();
  if (who.kind === 'machine' && !t.scopes.includes(who.machine.id)) return notFound();
  const dead = t.revoked || (t.expiration !== null && t.expiration <= now());
  if (dead && config.verifyDeadTokens === '404') return notFound();
  if (tokens.has(t.id)) t.last_used_at = now();
  send(res, 200, publicToken(t));
}

function jwks(req, res, who) {
  if (who.kind !== 'secret') return clerkError(res, 401, 'authentication_invalid', 'Unauthorized', 'The JWKS requires the instance Secret Key.');
  send(res, 200, config.jwks ?? { keys: [jwk] });
}

// ---------- admin ----------
async function admin(req, res, path) {
  const text = await readBody(req);
  const body = text ? JSON.parse(text) : {};
  if (path === '/__admin/requests' && req.method === 'GET') return send(res, 200, log);
  if (path === '/__admin/requests' && req.method === 'DELETE') { log = []; return send(res, 200, {}); }
  if (path === '/__admin/faults' && req.method === 'POST') { faults.push({ times: 1, ...body }); return send(res, 200, { queued: faults.length }); }
  if (path === '/__admin/faults' && req.method === 'DELETE') { faults = []; return send(res, 200, {}); }
  if (path === '/__admin/config' && req.method === 'POST') { config = { ...config, ...body }; return send(res, 200, config); }
  if (path === '/__admin/hanging' && req.method === 'GET') return send(res, 200, { open: hanging.size });
  if (path === '/__admin/reset' && req.method === 'POST') { resetState(); return send(res, 200, {}); }
  if (path === '/__admin/tokens' && req.method === 'GET') return send(res, 200, [...tokens.values()].map((t) => publicToken(t)));
  send(res, 404, { error: 'unknown admin route' });
}

// Random faults for load tests: config.chaos = { rate, paths, kinds, hangMs }; each matching request fails with
// probability `rate`, with one of `kinds` (status codes, 'reset', 'malformed', 'hang').
function chaosFault(path) {
  const chaos = config.chaos;
  if (!chaos || !chaos.paths.some((p) => path.includes(p)) || Math.random() >= chaos.rate) return null;
  const kind = chaos.kinds[Math.floor(Math.random() * chaos.kinds.length)];
  if (typeof kind === 'number') return { status: kind };
  if (kind === 'hang') return { delayMs: chaos.hangMs ?? 5000, status: 504 };
  return { [kind]: true };
}

function takeFault(method, path) {
  const i = faults.findIndex((f) => (!f.method || f.method === method) && (!f.path || path.includes(f.path)));
  if (i < 0) return null;
  const f = faults[i];
  if (--f.times <= 0) faults.splice(i, 1);
  return f;
}

const sockets = new Set();
const hanging = new Set();
const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname.startsWith('/__admin/')) return admin(req, res, url.pathname).catch(() => send(res, 400, { error: 'bad admin request' }));
  const path = url.pathname.replace(/^\/v1(?=\/)/, '');
  const text = await readBody(req);
  const who = whoIs(req);
  const headers = { ...req.headers };
  delete headers.authorization;
  log.push({ method: req.method, path, versioned: url.pathname.startsWith('/v1/'), query: Object.fromEntries(url.searchParams),
             key: who.name, headers, body: text, at: Date.now() });

  const fault = takeFault(req.method, path) ?? chaosFault(path);
  if (fault) {
    if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault.hang) {
      // Never answer; counted until the client gives up (aborts) or the server stops.
      hanging.add(res);
      return res.on('close', () => hanging.delete(res));
    }
    if (fault.reset) return req.socket.destroy();
    if (fault.truncated) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
      res.write('{"object":"machine_to_machine_token","id":"mt_');
      return setTimeout(() => req.socket.destroy(), 20);
    }
    if (fault.malformed) return send(res, 200, '{"object":"machine_to_machine_token","id":', fault.headers);
    if (fault.status) {
      const body = fault.body ?? { errors: [{ message: 'Injected', long_message: `Injected ${fault.status}`, code: `injected_${fault.status}` }], clerk_trace_id: `trace_fault_${++traceCounter}` };
      return send(res, fault.status, body, fault.headers);
    }
    if (fault.contentType) {
      res.writeHead(200, { 'content-type': fault.contentType });
      return res.end('<html>not json</html>');
    }
    if (fault.body !== undefined) return send(res, 200, fault.body, fault.headers);
  }

  const parsed = parseJsonObject(text);
  const needsBody = req.method === 'POST';
  if (needsBody && !parsed.ok) return clerkError(res, 400, 'malformed_request', 'Malformed request', 'The request body is not a JSON object.');
  const body = parsed.value ?? {};
  if (req.method === 'POST' && path === '/m2m_tokens') return createToken(req, res, who, body);
  if (req.method === 'GET' && path === '/m2m_tokens') return listTokens(req, res, who, url.searchParams);
  if (req.method === 'POST' && path === '/m2m_tokens/verify') return verifyToken(req, res, who, body);
  const revoke = /^\/m2m_tokens\/([^/]+)\/revoke$/.exec(path);
  if (req.method === 'POST' && revoke) return revokeToken(req, res, who, decodeURIComponent(revoke[1]), body);
  if (req.method === 'GET' && path === '/jwks') return jwks(req, res, who);
  clerkError(res, 404, 'resource_not_found', 'Not found', `No route for ${req.method} ${path}`);
});
server.on('connection', (s) => {
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
});

function stop() {
  for (const s of sockets) s.destroy();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;
server.listen(port, '127.0.0.1', () => {
  const { port: actual } = server.address();
  const info = {
    url: `http://127.0.0.1:${actual}`,
    pid: process.pid,
    secretKey,
    machines,
    jwtKid: instanceKid,
    jwtPublicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }),
  };
  process.stdout.write(JSON.stringify(info) + '\n');
});
