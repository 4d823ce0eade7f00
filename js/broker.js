// The isolate's call to the token broker (the package's `M2MTokenBroker` Durable Object): one POST over the
// binding, bounded. Every failure — a binding that is not a namespace, a throw, a rejection, an answer other than
// 200, an answer later than `ms` — is a miss (undefined): the token source then mints for itself.

/** The text of the broker's 200 answer to `ask`, or undefined. */
export function askBroker(namespace, name, ask, ms) {
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
  });
  let answer;
  try {
    const stub = namespace.get(namespace.idFromName(name));
    answer = Promise.resolve(stub.fetch('https://m2m-token-broker/token', { method: 'POST', body: ask }))
      .then((response) => (response.status === 200 ? response.text() : undefined))
      .catch(() => undefined);
  } catch {
    clearTimeout(timer);
    return Promise.resolve(undefined);
  }
  return Promise.race([answer, late]).finally(() => clearTimeout(timer));
}
