// The generators the property tests share: names from every character the clouds allow,
// trees of files up to three levels deep, and glob patterns over a tree's names.

import fc from "fast-check";

/** Every character S3, GCS and Azure allow in a name that we generate from (no `/`). */
export const ALPHABET = [
  ..."abcXYZ019",
  ..."-_.+=,;@!~()[]{}^$|'&#% ",
  "é",
  "ß",
  "日",
  "😀",
];
const PATTERN_LITERALS = ALPHABET.filter((c) => c !== "[" && c !== "]");

export const nameArb = fc.array(fc.constantFrom(...ALPHABET), {
  minLength: 1,
  maxLength: 4,
})
  .map((a) => a.join(""))
  .filter((n) => n !== "." && n !== "..");

/** A tree: a list of file paths up to three levels deep (no file is also a directory). */
export const treeArb = fc.uniqueArray(
  fc.array(nameArb, { minLength: 1, maxLength: 3 }),
  {
    minLength: 1,
    maxLength: 12,
    selector: (p) => p.join("/"),
  },
).map((paths) => {
  const files = new Set<string>();
  const dirs = new Set<string>();
  for (const p of paths) {
    const key = p.join("/");
    // Keep a file from also being a directory (or below a file).
    const parents = p.slice(0, -1).map((_, i) => p.slice(0, i + 1).join("/"));
    if (dirs.has(key) || parents.some((d) => files.has(d))) continue;
    files.add(key);
    parents.forEach((d) => dirs.add(d));
  }
  return [...files];
});

const segmentArb = fc.oneof(
  fc.constant("*"),
  fc.constant("**"),
  fc.constant("?"),
  fc.array(fc.constantFrom(...PATTERN_LITERALS), { minLength: 1, maxLength: 2 })
    .map((a) => a.join("") + "*"),
  fc.array(fc.constantFrom(...PATTERN_LITERALS), { minLength: 1, maxLength: 2 })
    .map((a) => "*" + a.join("")),
  fc.tuple(
    fc.constantFrom("!", ""),
    fc.constantFrom("a-c", "-_.", "XYZ", "0-9"),
  ).map((
    [neg, body],
  ) => `[${neg}${body}]*`),
);

export const patternArb = (tree: string[]) =>
  fc.tuple(
    fc.array(
      fc.oneof(
        segmentArb,
        fc.constantFrom(...tree.flatMap((t) => t.split("/"))),
      ),
      { minLength: 1, maxLength: 3 },
    ),
    fc.boolean(),
  ).map(([segs, dirsOnly]) => segs.join("/") + (dirsOnly ? "/" : ""));

/** A tree and a few patterns over its names. */
export const treeWithPatternsArb = (minPatterns: number, maxPatterns: number) =>
  treeArb.chain((tree) =>
    fc.tuple(
      fc.constant(tree),
      fc.array(patternArb(tree), { minLength: minPatterns, maxLength: maxPatterns }),
    )
  );

/** Sorts by Unicode code point (the order Stowage and S3 list in). */
export const codePointSort = (a: string[]) =>
  [...a].sort((x, y) => {
    const ax = Array.from(x).map((c) => c.codePointAt(0)!);
    const ay = Array.from(y).map((c) => c.codePointAt(0)!);
    for (let i = 0; i < Math.min(ax.length, ay.length); i++) {
      if (ax[i] !== ay[i]) return ax[i] - ay[i];
    }
    return ax.length - ay.length;
  });
