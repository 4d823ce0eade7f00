// `M2MTokenBroker`: the Durable Object that mints once for a whole fleet of isolates. Declare it in wrangler.toml
// (a binding and a migration, see the README) and pass its binding as `tokenSource({ broker: env.M2M_TOKENS })`.
// One object per token source configuration (named by a digest, never the key). Inside it, one mint at a time for
// every caller; the token kept in memory and in the object's storage (sealed under the machine key: a bearer
// credential, never the key), so that a restarted object mints nothing; and an alarm that mints the successor
// ahead of the callers' refresh time, so that they rarely wait. Answers only POSTs from its namespace's stubs.
import './workerd.js';
import { __TokenBroker } from './clerk_m2m_edge.js';

/** The shortest wait before an alarm. */
const MIN_ALARM_DELAY_MS = 1_000;

export class M2MTokenBroker {
  #storage;
  #broker;
  /** The alarm time this object set last (undefined: none it knows of). */
  #alarmAt;

  constructor(ctx) {
    const storage = (this.#storage = ctx.storage);
    this.#broker = new __TokenBroker({
      cacheStore: { get: (key) => storage.get(key), put: (key, value) => storage.put(key, value) },
    });
  }

  async fetch(request) {
    if (request.method !== 'POST') return new Response(null, { status: 405, headers: { allow: 'POST' } });
    let entry;
    try {
      entry = await this.#broker.answer(await request.text());
    } catch (error) {
      // The error's stable code only: never its message, which may quote Clerk.
      const code = typeof error?.code === 'string' ? error.code : 'broker_error';
      return Response.json({ error: code }, { status: 502, headers: { 'cache-control': 'no-store' } });
    }
    await this.#schedule();
    return new Response(entry, { headers: { 'content-type': 'text/plain', 'cache-control': 'no-store' } });
  }

  async alarm() {
    this.#alarmAt = undefined;
    await this.#broker.refreshAhead();
    await this.#schedule();
  }

  /**
   * Sets the alarm to the next successor's due time when that moved — never sooner than a second from now, so that
   * an alarm that finds a mint already under way (or a due time already past) cannot fire in a loop.
   */
  async #schedule() {
    const due = this.#broker.nextRefresh();
    if (due === undefined || due === this.#alarmAt) return;
    this.#alarmAt = due;
    await this.#storage.setAlarm(Math.max(due, Date.now() + MIN_ALARM_DELAY_MS));
  }
}
