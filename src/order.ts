/**
 * Code point order: names compared and sorted by Unicode code point, the order S3
 * lists keys in and Python sorts strings in, rather than JavaScript's UTF-16 order.
 *
 * @example Sorting names as S3 lists them
 * ```ts
 * import { sortNames } from "./order.ts";
 *
 * console.assert(sortNames(["b", "\u{1f600}", "\uff61"]).join() === "b,\uff61,\u{1f600}");
 * ```
 *
 * @module
 */

/** Maps a UTF-16 code unit so that numeric order equals code point order. */
function fixup(c: number): number {
  if (c >= 0xe000) return c - 0x800;
  if (c >= 0xd800) return c + 0x2000;
  return c;
}

/**
 * Compares two strings by Unicode code point (the order S3 lists keys in, and
 * Python's), unlike JavaScript's default UTF-16 code unit order.
 *
 * @param a first string
 * @param b second string
 * @returns negative, zero or positive
 *
 * @example
 * ```ts
 * import { compareCodePoints } from "./order.ts";
 * // U+FF61 sorts before U+1F600 by code point, after it by UTF-16 unit.
 * console.assert(compareCodePoints("\uff61", "\u{1f600}") < 0);
 * ```
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return fixup(x) - fixup(y);
  }
  return a.length - b.length;
}

/**
 * Sorts names in place by code point and returns them.
 *
 * @param names the names to sort
 * @returns the same array, sorted
 *
 * @example
 * ```ts
 * import { sortNames } from "./order.ts";
 * console.assert(sortNames(["b", "B", "a"]).join() === "B,a,b");
 * ```
 */
export function sortNames<T extends string>(names: T[]): T[] {
  return names.sort(compareCodePoints);
}
