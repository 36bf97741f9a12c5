/**
 * Values kept for a few seconds, at most `maxEntries` of them (the oldest
 * goes first): what the plugin reads from the catalog on every call — a
 * flow's entity, people's names — is then read once per time to live
 * instead of once per call. A Map, in insertion order, is all it needs, so
 * it takes no dependency. A time to live of 0 keeps nothing.
 */
export class TtlCache<V> {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, { value: V; expires: number }>();

  constructor(options: {
    ttlMs: number;
    maxEntries: number;
    now?: () => number;
  }) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? Date.now;
  }

  /** Whether the cache keeps anything at all. */
  get enabled(): boolean {
    return this.#ttlMs > 0;
  }

  /** The value, while fresh; `undefined` once its time to live has passed. */
  get(key: string): { value: V } | undefined {
    const entry = this.#entries.get(key);
    if (!entry) {
      return undefined;
    }
    if (entry.expires <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return { value: entry.value };
  }

  set(key: string, value: V): void {
    if (this.#ttlMs <= 0) {
      return;
    }
    this.#entries.delete(key);
    this.#entries.set(key, { value, expires: this.#now() + this.#ttlMs });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) {
        this.#entries.delete(oldest);
      }
    }
  }
}
