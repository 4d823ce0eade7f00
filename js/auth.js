// The signed-out auth object of `verifyRequest`: its data, and `toResponse()` building the ready-made rejection
// (status, JSON body, WWW-Authenticate or Retry-After). Constructed by the wasm core.

export class SignedOutAuth {
  #wwwAuthenticate;
  #retryAfter;

  constructor(reason, message, status, wwwAuthenticate, retryAfter) {
    this.isAuthenticated = false;
    this.tokenType = 'm2m_token';
    this.reason = reason;
    this.message = message;
    this.status = status;
    this.#wwwAuthenticate = wwwAuthenticate;
    this.#retryAfter = retryAfter;
  }

  /** A `Response` for the rejected request: `{ error, message }` with the right status and headers. */
  toResponse() {
    const headers = { 'content-type': 'application/json', 'cache-control': 'no-store' };
    if (this.#wwwAuthenticate !== undefined) headers['www-authenticate'] = this.#wwwAuthenticate;
    if (this.#retryAfter !== undefined) headers['retry-after'] = String(this.#retryAfter);
    return new Response(JSON.stringify({ error: this.reason, message: this.message }), { status: this.status, headers });
  }
}

/** `{ reason, message, status, wwwAuthenticate?, retryAfter? }` → `SignedOutAuth`. */
export function newSignedOut({ reason, message, status, wwwAuthenticate, retryAfter }) {
  return new SignedOutAuth(reason, message, status, wwwAuthenticate, retryAfter);
}
