/**
 * A token bucket per client address, in this process's memory (ADR 0095): every GraphQL request
 * over HTTP, every WebSocket handshake and every operation started over a socket takes one
 * token. It protects this replica's CPU, so it needs no shared store: a PostgreSQL counter per
 * request would add a write to every query and turn a flood into a flood of writes.
 */
export class RequestBudget {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    /** Requests a client may send at once, after a quiet period. */
    readonly burst: number,
    /** Tokens given back per second. */
    readonly perSecond: number,
    /** Clients remembered at most: beyond, the one heard from longest ago is forgotten. */
    private readonly maxClients = 50_000,
  ) {}

  /** Takes a token for `client`: 0 if granted, else the seconds until one is available. */
  take(client: string, now = Date.now()): number {
    const known = this.buckets.get(client);
    const tokens = known ? Math.min(this.burst, known.tokens + ((now - known.at) / 1000) * this.perSecond) : this.burst;
    // Re-inserted, so the map's first entry is always the client heard from longest ago.
    this.buckets.delete(client);
    if (this.buckets.size >= this.maxClients) {
      const oldest = this.buckets.keys().next();
      if (!oldest.done) this.buckets.delete(oldest.value);
    }
    const granted = tokens >= 1;
    this.buckets.set(client, { tokens: granted ? tokens - 1 : tokens, at: now });
    return granted ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.perSecond));
  }
}

/**
 * The budget of /graphql (times RATE_LIMIT_SCALE): a burst of 300 requests, then 50 a second,
 * per address. A hospital's staff behind one NAT address stays far below it (a page of the
 * portal sends a handful of requests); a script sending over-limit documents in a loop is
 * answered 429 within a few seconds.
 */
export function graphqlBudget(config: { rateLimitScale: number }): RequestBudget {
  return new RequestBudget(Math.max(1, Math.round(300 * config.rateLimitScale)), 50 * config.rateLimitScale);
}
