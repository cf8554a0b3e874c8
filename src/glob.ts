/**
 * Glob patterns with fsspec/POSIX semantics, matched segment by segment.
 *
 * - `*` matches any run of characters within one segment, `?` one character,
 *   `[abc]`, `[a-z]`, `[!a]` (or `[^a]`) one character from (or not from) a set;
 * - `**` as a whole segment matches zero or more segments;
 * - a trailing `/` matches directories only;
 * - names starting with `.` are matched like any other (as fsspec does).
 *
 * @example
 * ```ts
 * import { compileGlob, matchGlob } from "./glob.ts";
 *
 * const g = compileGlob("data/**\/*.csv");
 * console.assert(matchGlob(g, "data/a.csv") && matchGlob(g, "data/x/y/b.csv"));
 * console.assert(!matchGlob(g, "data/a.json"));
 * ```
 *
 * @module
 */

/** One segment of a compiled pattern: a literal, a regular expression, or `**`. */
export type GlobSegment =
  | { kind: "literal"; value: string }
  | { kind: "regex"; re: RegExp; literalStart: string }
  | { kind: "globstar" };

/** A compiled glob pattern over a relative key. */
export interface CompiledGlob {
  /** The pattern segments. */
  readonly segments: readonly GlobSegment[];
  /** Leading literal segments joined by `/`: the directory to list from. */
  readonly literalDir: string;
  /** True when the pattern ended with `/`. */
  readonly dirsOnly: boolean;
  /** True when the pattern has a `**` segment. */
  readonly recursive: boolean;
  /** True when the pattern has no wildcard at all. */
  readonly literal: boolean;
  /**
   * The segments a file is matched with: a trailing `**` must take at least one level,
   * since its zero-level match names the directory before it (`x/**` matches the
   * directory `x`, never a file `x`), as in Python and bash.
   */
  readonly fileSegments: readonly GlobSegment[];
}

/**
 * Tells whether a string has glob wildcards (`*`, `?` or `[`).
 *
 * @param s a pattern or path
 * @returns true when it has wildcards
 *
 * @example
 * ```ts
 * import { hasMagic } from "./glob.ts";
 * console.assert(hasMagic("a/*.txt") && !hasMagic("a/b.txt"));
 * ```
 */
export function hasMagic(s: string): boolean {
  return /[*?[]/.test(s);
}

/**
 * Escapes one literal character outside a class. Under the `u` flag only syntax
 * characters (and `/`) may be escaped: escaping anything else, such as `-`, is a
 * `SyntaxError`.
 */
function escapeRe(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? "\\" + ch : ch;
}

function compileSegment(seg: string): GlobSegment {
  if (seg === "**") return { kind: "globstar" };
  if (!hasMagic(seg)) return { kind: "literal", value: seg };
  const chars = Array.from(seg);
  let re = "";
  let literalStart = "";
  let stillLiteral = true;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === "*") {
      re += ".*";
      stillLiteral = false;
    } else if (c === "?") {
      re += ".";
      stillLiteral = false;
    } else if (c === "[") {
      // Find the closing bracket; a `]` right after `[`, `[!` or `[^` is literal.
      let j = i + 1;
      if (chars[j] === "!" || chars[j] === "^") j++;
      if (chars[j] === "]") j++;
      while (j < chars.length && chars[j] !== "]") j++;
      if (j >= chars.length) {
        re += "\\[";
        if (stillLiteral) literalStart += "[";
        continue;
      }
      let body = chars.slice(i + 1, j);
      let negate = false;
      if (body[0] === "!" || body[0] === "^") {
        negate = true;
        body = body.slice(1);
      }
      let cls = "";
      const esc = (b: string) => /[\\\]^[-]/.test(b) ? "\\" + b : b;
      for (let k = 0; k < body.length; k++) {
        const b = body[k];
        if (k + 2 < body.length && body[k + 1] === "-") {
          // A range; one whose ends are out of order matches nothing (as in Python).
          const hi = body[k + 2];
          if (b.codePointAt(0)! <= hi.codePointAt(0)!) cls += `${esc(b)}-${esc(hi)}`;
          k += 2;
        } else cls += esc(b);
      }
      re += cls === "" ? (negate ? "[^]" : "[]") : negate ? `[^${cls}]` : `[${cls}]`;
      stillLiteral = false;
      i = j;
    } else {
      re += escapeRe(c);
      if (stillLiteral) literalStart += c;
    }
  }
  return { kind: "regex", re: new RegExp(`^${re}$`, "su"), literalStart };
}

/**
 * Compiles a glob pattern given as a key relative to the store root (already
 * resolved, so without `.`/`..`). A trailing `/` means directories only.
 *
 * @param pattern the relative pattern
 * @returns the compiled pattern
 *
 * @example
 * ```ts
 * import { compileGlob } from "./glob.ts";
 * console.assert(compileGlob("a/b/*.txt").literalDir === "a/b");
 * ```
 */
export function compileGlob(pattern: string): CompiledGlob {
  const dirsOnly = pattern.endsWith("/");
  const raw = pattern.split("/").filter((s) => s !== "");
  const segments = raw.map(compileSegment);
  const lit: string[] = [];
  for (const s of segments) {
    if (s.kind !== "literal") break;
    lit.push(s.value);
  }
  const last = segments[segments.length - 1];
  const fileSegments = last?.kind === "globstar"
    ? [...segments, { kind: "regex", re: /^.*$/su, literalStart: "" } as GlobSegment]
    : segments;
  return {
    segments,
    fileSegments,
    literalDir: lit.join("/"),
    dirsOnly,
    recursive: segments.some((s) => s.kind === "globstar"),
    literal: lit.length === segments.length,
  };
}

function segMatches(s: GlobSegment, name: string): boolean {
  return s.kind === "literal" ? s.value === name : s.kind === "regex" ? s.re.test(name) : true;
}

/**
 * Tests a relative key against a compiled pattern.
 *
 * @param g the compiled pattern
 * @param key a relative key (segments joined by `/`)
 * @returns true when the whole key matches
 *
 * @example
 * ```ts
 * import { compileGlob, matchGlob } from "./glob.ts";
 * console.assert(matchGlob(compileGlob("a/[!b]?"), "a/cd"));
 * ```
 */
export function matchGlob(g: CompiledGlob, key: string): boolean {
  return matchSegments(g.segments, key === "" ? [] : key.split("/"));
}

/**
 * Tests the key of a file (not a directory) against a compiled pattern: like
 * {@linkcode matchGlob}, but a trailing `**` must take at least one level.
 *
 * @param g the compiled pattern
 * @param key a relative file key
 * @returns true when the file matches
 *
 * @example
 * ```ts
 * import { compileGlob, matchFile } from "./glob.ts";
 * const g = compileGlob("*\/**");
 * console.assert(matchFile(g, "d/f") && !matchFile(g, "f"));
 * ```
 */
export function matchFile(g: CompiledGlob, key: string): boolean {
  return !g.dirsOnly && matchSegments(g.fileSegments, key === "" ? [] : key.split("/"));
}

function matchSegments(
  pat: readonly GlobSegment[],
  segs: readonly string[],
): boolean {
  const seen = new Set<number>();
  const P = pat.length;
  const N = segs.length;
  const go = (pi: number, si: number): boolean => {
    const id = pi * (N + 1) + si;
    if (seen.has(id)) return false;
    seen.add(id);
    if (pi === P) return si === N;
    const p = pat[pi];
    if (p.kind === "globstar") {
      return go(pi + 1, si) || (si < N && go(pi, si + 1));
    }
    return si < N && segMatches(p, segs[si]) && go(pi + 1, si + 1);
  };
  return go(0, 0);
}

/**
 * Tells whether something below the directory `key` could still match, so a
 * listing need not descend into directories that cannot.
 *
 * @param g the compiled pattern
 * @param key a relative directory key
 * @returns true when descending into `key` may find matches
 *
 * @example
 * ```ts
 * import { compileGlob, mayMatchBelow } from "./glob.ts";
 * const g = compileGlob("a/*\/c");
 * console.assert(mayMatchBelow(g, "a/x") && !mayMatchBelow(g, "b"));
 * ```
 */
export function mayMatchBelow(g: CompiledGlob, key: string): boolean {
  const segs = key === "" ? [] : key.split("/");
  const pat = g.segments;
  const P = pat.length;
  const N = segs.length;
  const seen = new Set<number>();
  const go = (pi: number, si: number): boolean => {
    const id = pi * (N + 1) + si;
    if (seen.has(id)) return false;
    seen.add(id);
    if (si === N) return pi < P;
    if (pi === P) return false;
    const p = pat[pi];
    if (p.kind === "globstar") return go(pi + 1, si) || go(pi, si + 1);
    return segMatches(p, segs[si]) && go(pi + 1, si + 1);
  };
  return go(0, 0);
}

/**
 * The longest literal key prefix every match starts with, for pushing a listing
 * down to the service (`a/b/tr` for `a/b/tr*.csv`).
 *
 * @param g the compiled pattern
 * @returns the literal prefix (may end inside a segment)
 *
 * @example
 * ```ts
 * import { compileGlob, literalPrefix } from "./glob.ts";
 * console.assert(literalPrefix(compileGlob("a/b/tr*.csv")) === "a/b/tr");
 * ```
 */
export function literalPrefix(g: CompiledGlob): string {
  const lit = g.literalDir;
  const next = g.segments[lit === "" ? 0 : lit.split("/").length];
  const start = next?.kind === "regex" ? next.literalStart : "";
  if (lit === "") return start;
  return next ? `${lit}/${start}` : lit;
}
