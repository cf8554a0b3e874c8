/**
 * Waiting between attempts, written once for every retry loop: an abortable
 * {@linkcode sleep} and {@linkcode Backoff}, decorrelated-jitter backoff within the
 * {@linkcode RetryOptions} limits (attempts and total time).
 *
 * @example
 * ```ts
 * import { Backoff } from "./backoff.ts";
 * const b = new Backoff({ maxRetries: 2, initialBackoffMs: 1, maxBackoffMs: 4 });
 * console.assert(b.next() !== undefined && b.next() !== undefined && b.next() === undefined);
 * ```
 *
 * @module
 */

/** Retry settings (defaults as object_store: 100 ms → 15 s, 10 tries, 3 min). */
export interface RetryOptions {
  /** Attempts after the first (default 10). */
  maxRetries?: number;
  /** First backoff in ms (default 100). */
  initialBackoffMs?: number;
  /** Largest backoff in ms (default 15 000). */
  maxBackoffMs?: number;
  /** No retry starts after this many ms from the first attempt (default 180 000). */
  totalTimeoutMs?: number;
}

/**
 * Resolves after `ms` milliseconds; rejects with the signal's reason when it aborts.
 *
 * @param ms the delay
 * @param signal cancels the wait
 *
 * @example
 * ```ts
 * import { sleep } from "./backoff.ts";
 * await sleep(1);
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The delays of one retry loop: each `next()` gives the wait before the next attempt
 * (decorrelated jitter from `initialBackoffMs` up to `maxBackoffMs`, at least a
 * server's `Retry-After`), or `undefined` once the attempts or the total time are
 * used up.
 */
export class Backoff {
  /** Attempts made so far after the first. */
  attempts = 0;
  readonly #max: number;
  readonly #base: number;
  readonly #cap: number;
  readonly #deadline: number;
  #last: number;

  /**
   * Starts a loop.
   *
   * @param retry the limits (defaults: 10 retries, 100 ms → 15 s, 3 min in all)
   * @param maxRetries overrides `retry.maxRetries` (0: no retry)
   */
  constructor(retry: RetryOptions = {}, maxRetries?: number) {
    this.#max = maxRetries ?? retry.maxRetries ?? 10;
    this.#base = retry.initialBackoffMs ?? 100;
    this.#cap = retry.maxBackoffMs ?? 15_000;
    this.#deadline = Date.now() + (retry.totalTimeoutMs ?? 180_000);
    this.#last = this.#base;
  }

  /**
   * The wait before the next attempt, or `undefined` when no attempt is left.
   *
   * @param retryAfterMs the server's `Retry-After`, if it sent one
   * @returns milliseconds to wait, or `undefined`
   */
  next(retryAfterMs?: number): number | undefined {
    if (this.attempts >= this.#max || Date.now() >= this.#deadline) return undefined;
    this.attempts++;
    this.#last = Math.min(this.#cap, this.#base + Math.random() * (this.#last * 3 - this.#base));
    return Math.min(this.#cap, Math.max(this.#last, retryAfterMs ?? 0));
  }

  /**
   * Waits before the next attempt; false when no attempt is left.
   *
   * @param signal cancels the wait
   * @param retryAfterMs the server's `Retry-After`, if it sent one
   * @returns true once waited, false when the loop must give up
   */
  async wait(signal?: AbortSignal, retryAfterMs?: number): Promise<boolean> {
    const ms = this.next(retryAfterMs);
    if (ms === undefined) return false;
    await sleep(ms, signal);
    return true;
  }
}
