import { SharedLoad, type Budget } from "./deadline.js";

/**
 * A bounded LRU cache whose entries also expire, plus request coalescing: concurrent misses for one key share a
 * single load. Memory is bounded by `maxEntries` whatever the cluster size, at the price of one GET per key and TTL.
 */
export interface TtlCacheOptions {
  maxEntries: number;
  ttlMs: number;
  /** Milliseconds; monotonic. */
  now: () => number;
  /**
   * Keep expired entries (still within `maxEntries`) so that `getOrLoad` can serve them when a reload fails: an
   * owner read five minutes ago is better than none while the API server is down.
   */
  keepStale?: boolean;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export interface LoadOptions<V> {
  /** The caller's budget: it stops waiting when this runs out (the shared load goes on for other waiters). */
  budget?: Budget | undefined;
  /** Shortens the lifetime of some values (e.g. "not found"). */
  ttlFor?: (value: V) => number;
  /**
   * With `keepStale`: called instead of failing when the load fails or the budget runs out and an expired entry
   * exists, which is then returned.
   */
  onStale?: (error: unknown, stale: V) => void;
}

export class TtlCache<V> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #loading = new Map<string, SharedLoad<V>>();
  readonly #options: TtlCacheOptions;

  constructor(options: TtlCacheOptions) {
    if (!(options.maxEntries >= 1)) throw new RangeError("ERR_CACHE_SIZE: maxEntries must be at least 1");
    this.#options = options;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#options.now()) {
      if (this.#options.keepStale !== true) this.#entries.delete(key);
      return undefined;
    }
    // Map keeps insertion order: re-inserting marks the entry as most recently used.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, ttlMs = this.#options.ttlMs): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.#options.now() + ttlMs });
    while (this.#entries.size > this.#options.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /**
   * The cached value, or the result of `load` (cached unless `load` rejects; failures are not cached so that the
   * next request retries). Concurrent misses share one load; see SharedLoad for how their budgets combine.
   */
  async getOrLoad(key: string, load: (budget: Budget) => Promise<V>, options: LoadOptions<V> = {}): Promise<V> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    const pending = this.#loading.get(key);
    // A load every waiter abandoned only has their abort reasons to give: start afresh.
    const shared = pending?.aborted === false ? pending : undefined;
    let waiting: Promise<V>;
    if (shared === undefined) {
      const done = () => {
        if (this.#loading.get(key) === created) this.#loading.delete(key);
      };
      const created: SharedLoad<V> = new SharedLoad<V>(
        (budget) =>
          load(budget).then(
            (value) => {
              done();
              this.set(key, value, options.ttlFor?.(value));
              return value;
            },
            (error: unknown) => {
              done();
              throw error;
            },
          ),
        options.budget,
      );
      this.#loading.set(key, created);
      waiting = created.wait(options.budget);
    } else {
      waiting = shared.join(options.budget);
    }
    if (options.onStale === undefined) return waiting;
    try {
      return await waiting;
    } catch (error) {
      const stale = this.#entries.get(key);
      if (stale === undefined) throw error;
      options.onStale(error, stale.value);
      return stale.value;
    }
  }
}
