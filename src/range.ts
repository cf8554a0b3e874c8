/**
 * Byte ranges for ranged reads: the {@linkcode ByteRange} shape (`end` exclusive),
 * the check `open` makes on one, and the clamping to a file's size that every
 * flavor applies when it serves one.
 *
 * @example A range past the end reads to the end
 * ```ts
 * import { clampRange } from "./range.ts";
 *
 * console.assert(clampRange({ start: 2, end: 1000 }, 8).join() === "2,8");
 * ```
 *
 * @module
 */

import { InvalidArgumentError } from "./errors.ts";

/** A byte range: `start` inclusive, `end` exclusive (clamped to the size). */
export interface ByteRange {
  /** First byte to read (0-based). */
  start: number;
  /** One past the last byte to read; omitted means to the end. */
  end?: number;
}

/**
 * Checks a range as given to `open`: whole numbers, `start >= 0`, `end >= start`.
 *
 * @param range the range
 * @param path the file, for the message
 * @param flavor the flavor name, for the message
 * @throws {InvalidArgumentError} for any other range
 *
 * @example
 * ```ts
 * import { validateRange } from "./range.ts";
 * validateRange({ start: 0, end: 10 }, "memory://r/a", "memory");
 * ```
 */
export function validateRange(range: ByteRange, path: string, flavor: string): void {
  const { start, end } = range;
  const ok = Number.isSafeInteger(start) && start >= 0 &&
    (end === undefined || (Number.isSafeInteger(end) && end >= start));
  if (!ok) {
    throw new InvalidArgumentError(
      `Invalid range { start: ${start}, end: ${end} } for '${path}': ` +
        "start must be a whole number >= 0 and end (exclusive) >= start",
      { path, flavor },
    );
  }
}

/**
 * Clamps a validated range to a size: returns `[start, end)` with
 * `0 <= start <= end <= size`.
 *
 * @param range the requested range, or undefined for the whole file
 * @param size the file size
 * @returns the clamped bounds
 *
 * @example
 * ```ts
 * import { clampRange } from "./range.ts";
 * console.assert(clampRange({ start: 5, end: 100 }, 10).join() === "5,10");
 * console.assert(clampRange({ start: 20 }, 10).join() === "10,10");
 * ```
 */
export function clampRange(
  range: ByteRange | undefined,
  size: number,
): [number, number] {
  if (!range) return [0, size];
  const start = Math.min(range.start, size);
  const end = Math.min(range.end ?? size, size);
  return [start, Math.max(start, end)];
}
