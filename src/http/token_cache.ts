/**
 * One cache for every expiring credential a flavor fetches (Microsoft Entra and
 * Google access tokens, temporary AWS credentials): fetched on first use,
 * refreshed ahead of its expiry, one refresh in flight shared by concurrent
 * callers, a failed refresh not cached (the next call tries again).
 *
 * @example
 * ```ts
 * import { TokenCache } from "./token_cache.ts";
 * let n = 0;
 * const cache = new TokenCache(() => Promise.resolve({ value: `t${++n}`, expiresAt: Date.now() + 3_600_000 }));
 * const [a, b] = await Promise.all([cache.get(), cache.get()]);
 * console.assert(a === "t1" && b === "t1" && n === 1);
 * ```
 *
 * @module
 */

/** A fetched value and when it expires. */
export interface Expiring<T> {
  /** The token or credentials. */
  value: T;
  /** When it expires, ms since the epoch; `undefined` for never. */
  expiresAt?: number;
}

/** When a {@linkcode TokenCache} refreshes, what it does when a refresh fails, and its clock. */
export interface TokenCacheOptions {
  /**
   * How long before its expiry a value is refreshed, at most, in ms (default five
   * minutes).
   */
  maxMarginMs?: number;
  /**
   * The share of its lifetime before its expiry a short-lived value is refreshed
   * (default 1/2): the margin is `min(maxMarginMs, lifetime × marginFraction)`.
   */
  marginFraction?: number;
  /**
   * When set, a failed refresh hands out the cached value instead of the error as
   * long as the value is still valid for this many ms more; unset (the default),
   * the error is thrown. Either way the failure is not cached.
   */
  staleFallbackMs?: number;
  /** The clock, ms since the epoch (default `Date.now`; tests inject their own). */
  now?: () => number;
}

/**
 * Caches one expiring value: fetched on first use, shared by concurrent callers
 * (one fetch in flight at a time), fetched again once it comes within the margin
 * of its expiry (see {@linkcode TokenCacheOptions}). A failed fetch is not
 * remembered: the next call fetches again.
 *
 * @typeParam T the cached value (a bearer token, a set of credentials)
 *
 * @example
 * ```ts
 * import { TokenCache } from "./token_cache.ts";
 * let clock = 0;
 * let n = 0;
 * const cache = new TokenCache(
 *   () => Promise.resolve({ value: ++n, expiresAt: clock + 60_000 }),
 *   { now: () => clock },
 * );
 * console.assert((await cache.get()) === 1);
 * clock = 29_000; // the margin of a one-minute value is half its lifetime
 * console.assert((await cache.get()) === 1);
 * clock = 31_000;
 * console.assert((await cache.get()) === 2);
 * ```
 */
export class TokenCache<T> {
  readonly #fetch: (signal?: AbortSignal) => Promise<Expiring<T>>;
  readonly #now: () => number;
  readonly #maxMarginMs: number;
  readonly #marginFraction: number;
  readonly #staleFallbackMs: number | undefined;
  #current?: { value: T; expiresAt: number; refreshAt: number };
  #pending?: Promise<T>;

  /**
   * Creates an empty cache.
   *
   * @param fetchValue fetches a new value (the signal is the one of the call that started the fetch)
   * @param options margins, the fallback on failure and the clock
   */
  constructor(
    fetchValue: (signal?: AbortSignal) => Promise<Expiring<T>>,
    options: TokenCacheOptions = {},
  ) {
    this.#fetch = fetchValue;
    this.#now = options.now ?? Date.now;
    this.#maxMarginMs = options.maxMarginMs ?? 5 * 60_000;
    this.#marginFraction = options.marginFraction ?? 1 / 2;
    this.#staleFallbackMs = options.staleFallbackMs;
  }

  /**
   * The current value, fetched or refreshed when needed.
   *
   * @param signal cancels a fetch this call starts
   * @returns the value
   */
  get(signal?: AbortSignal): Promise<T> {
    const now = this.#now();
    const c = this.#current;
    if (c && now < c.refreshAt) return Promise.resolve(c.value);
    const pending = this.#pending ??= this.#refresh(signal).finally(() => {
      this.#pending = undefined;
    });
    const grace = this.#staleFallbackMs;
    if (c && grace !== undefined && now < c.expiresAt - grace) {
      return pending.catch(() => c.value);
    }
    return pending;
  }

  /** Forgets the cached value (the service said it expired or was revoked): the next `get` fetches. */
  invalidate(): void {
    this.#current = undefined;
  }

  async #refresh(signal?: AbortSignal): Promise<T> {
    const started = this.#now();
    const fetched = await this.#fetch(signal);
    const expiresAt = fetched.expiresAt ?? Infinity;
    const lifetime = Math.max(0, expiresAt - started);
    const margin = Math.min(this.#maxMarginMs, lifetime * this.#marginFraction);
    this.#current = { value: fetched.value, expiresAt, refreshAt: expiresAt - margin };
    return fetched.value;
  }
}
