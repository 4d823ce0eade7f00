// Clerk's transport, its JS half: one call sends a request to Clerk and reads its whole body, so that the wasm
// crosses into JS once per attempt rather than once per `RequestInit` member and once more for the body. Never
// follows a redirect (it would carry the key elsewhere). The signal bounds both the request and the body.

/** `fetch(url, { method, headers, body, signal, redirect: 'manual' })` and its body: `[response, text]`. */
export function clerkFetch(url, method, headers, body, signal) {
  return fetch(url, { method, headers, body, signal, redirect: 'manual' }).then((response) =>
    response.text().then((text) => [response, text]),
  );
}
