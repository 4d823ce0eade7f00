// The package's two error classes. The wasm core constructs them through the factories below, so every error a
// call throws is a real `Error` with a stable `code`. Messages never contain a key or a token.

/** Raised for everything that is not an HTTP error answer from Clerk. */
export class ClerkM2MError extends Error {
  constructor(code, message, details) {
    super(message);
    this.name = 'ClerkM2MError';
    this.code = code;
    if (details) Object.assign(this, details);
  }
}

/** Raised when Clerk answers with an HTTP error status. */
export class ClerkAPIResponseError extends Error {
  constructor(message, details) {
    super(message);
    this.name = 'ClerkAPIResponseError';
    this.status = details.status;
    this.code = details.code;
    this.errors = details.errors;
    this.clerkTraceId = details.clerkTraceId;
    this.retryAfter = details.retryAfter;
  }
}

/** `{ code, message, field?, reason? }` → `ClerkM2MError`. */
export function newClerkM2MError({ code, message, field, reason }) {
  const details = {};
  if (field !== undefined) details.field = field;
  if (reason !== undefined) details.reason = reason;
  return new ClerkM2MError(code, message, details);
}

/** `{ message, status, code, errors, clerkTraceId?, retryAfter? }` → `ClerkAPIResponseError`. */
export function newClerkAPIResponseError({ message, status, code, errors, clerkTraceId, retryAfter }) {
  return new ClerkAPIResponseError(message, { status, code, errors, clerkTraceId, retryAfter });
}

/** `invalid_argument` for `field` of the package's JS-only functions, worded as the wasm words it. */
export function invalidArgument(field, expected) {
  return new ClerkM2MError('invalid_argument', `Invalid argument \`${field}\`: ${expected}.`, { field });
}
