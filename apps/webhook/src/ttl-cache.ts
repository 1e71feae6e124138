/**
 * A bounded LRU cache whose entries also expire, plus request coalescing: concurrent misses for one key share a
 * single load. This replaces Linkerd's cluster-wide informers, whose memory grows with the cluster: here memory is
 * bounded by `maxEntries` whatever the cluster size, at the price of one GET per key and TTL.
 */
export interface TtlCacheOptions {
  maxEntries: number;
  ttlMs: number;
  /** Milliseconds; monotonic. */
  now: () => number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export class TtlCache<V> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #loading = new Map<string, Promise<V>>();
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
      this.#entries.delete(key);
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
   * next request retries). `ttlFor` may shorten the lifetime of some values (e.g. "not found").
   */
  async getOrLoad(key: string, load: () => Promise<V>, ttlFor?: (value: V) => number): Promise<V> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    const pending = this.#loading.get(key);
    if (pending !== undefined) return pending;
    const promise = load().then(
      (value) => {
        this.#loading.delete(key);
        this.set(key, value, ttlFor?.(value));
        return value;
      },
      (error: unknown) => {
        this.#loading.delete(key);
        throw error;
      },
    );
    this.#loading.set(key, promise);
    return promise;
  }
}
