/**
 * "Did you mean …?": the closest valid name to a mistyped one, for the hints of the
 * configuration checks and the CLI.
 *
 * @module
 */

/**
 * The candidate closest to `word` by edit distance (at most 2 edits), for "did you
 * mean" hints.
 *
 * @param word what was given
 * @param candidates the valid names
 * @returns the closest name, or `undefined` when none is close
 *
 * @example
 * ```ts
 * import { closestName } from "./suggest.ts";
 * console.assert(closestName("regoin", ["region", "endpoint"]) === "region");
 * ```
 */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  // Optimal string alignment: a swap of two neighbours ("regoin") is one edit.
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}
