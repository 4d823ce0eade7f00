/**
 * The token broker: a Durable Object class that mints machine tokens once for every isolate of a fleet. Declare
 * it in wrangler.toml — `[[durable_objects.bindings]] name = "M2M_TOKENS", class_name = "M2MTokenBroker"` and a
 * migration with `new_classes = ["M2MTokenBroker"]` — export it from your Worker's main module, and pass the
 * binding as `m2m.tokenSource({ broker: env.M2M_TOKENS, … })`. Its storage holds the current token (a bearer
 * credential, sealed under the machine key), never the key.
 */
export declare class M2MTokenBroker {
  constructor(ctx: { storage: unknown }, env: unknown);
  fetch(request: Request): Promise<Response>;
  alarm(): Promise<void>;
}
