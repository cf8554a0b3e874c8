/**
 * Bounded concurrency: run work over many items with a fixed number in flight.
 *
 * @module
 */

/**
 * Runs `fn` over items with at most `limit` in flight; the first failure rejects
 * after the running ones settle.
 *
 * @param items the inputs
 * @param limit the most calls in flight
 * @param fn the work
 *
 * @example
 * ```ts
 * import { mapLimit } from "./concurrency.ts";
 * let peak = 0, now = 0;
 * await mapLimit([1, 2, 3, 4], 2, async () => {
 *   peak = Math.max(peak, ++now);
 *   await new Promise((r) => setTimeout(r, 1));
 *   now--;
 * });
 * console.assert(peak === 2);
 * ```
 */
export async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
  if (failed !== undefined) throw failed;
}
