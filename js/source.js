// The fast path of a token source's `fetch(url)` when its token is fresh: the request goes out through the global
// `fetch` (or the source's fetcher) and its answer comes back untouched — unless it is a 401, or not a Response,
// which `onUnauthorized` (the wasm's) handles: give the token up, mint once, send again. No wasm call on the way back.

/** `(fetcher ?? fetch)(input, init)`, its answer passed through, a 401 or a non-Response to `onUnauthorized`. */
export function sendChecked(fetcher, input, init, onUnauthorized) {
  const sent = fetcher === undefined ? fetch(input, init) : Promise.resolve(fetcher(input, init));
  return sent.then((answer) =>
    answer instanceof Response && answer.status !== 401 ? answer : onUnauthorized(input, init, answer),
  );
}
