// The isolate's call to the token broker (the package's `M2MTokenBroker` Durable Object): one POST over the
// binding, bounded. Every failure — a binding that is not a namespace, a throw, a rejection, an answer other than
// 200, an answer later than `ms` — is a miss (undefined): the token source then mints for itself.

import { bounded } from './store.js';

/** The text of the broker's 200 answer to `ask`, or undefined. */
export function askBroker(namespace, name, ask, ms) {
  return bounded(() => {
    const stub = namespace.get(namespace.idFromName(name));
    return stub
      .fetch('https://m2m-token-broker/token', { method: 'POST', body: ask })
      .then((response) => (response.status === 200 ? response.text() : undefined));
  }, ms);
}
