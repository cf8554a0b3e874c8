/**
 * Paths and URIs: parsing a store root, resolving a path against it (with the
 * root-bounds check), joining, and sorting names by Unicode code point.
 *
 * Paths are literal, never URL-decoded: `pct%20.txt` is a name with `%20` in it.
 * Backslashes count as separators, `.` and `..` are resolved, and a path that is
 * outside the root (or climbs out of it) is refused with {@linkcode InvalidPathError}.
 *
 * @example Resolving a path inside a root
 * ```ts
 * import { parseRoot, resolvePath } from "./path.ts";
 *
 * const root = parseRoot("s3://bucket/prefix");
 * console.assert(resolvePath(root, "s3://bucket/prefix/a/./b.txt") === "a/b.txt");
 * ```
 *
 * @module
 */

import { ConfigError, InvalidPathError } from "./errors.ts";

/** A parsed store root. */
export interface StoreRoot {
  /** Canonical root URI without a trailing slash (`s3://b/p`, `/abs/dir`, `/`, `memory://`). */
  readonly uri: string;
  /** Lower-case scheme without `://`; `""` for a local path. */
  readonly scheme: string;
  /** Root segments: for URIs the authority (bucket) first, then the prefix. */
  readonly segments: readonly string[];
}

const SCHEME_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;

/**
 * Removes one pair of matching quotes (`'`, `"` or `` ` ``, as ZenML strips) around a
 * string, and the whitespace around it (configured paths are often pasted quoted).
 *
 * @param s the raw string
 * @returns the string without the quotes
 *
 * @example
 * ```ts
 * import { stripQuotes } from "./path.ts";
 * console.assert(stripQuotes(` "s3://b/p" `) === "s3://b/p");
 * console.assert(stripQuotes("`s3://b/p`") === "s3://b/p");
 * ```
 */
export function stripQuotes(s: string): string {
  const t = s.trim();
  if (
    t.length >= 2 && (t[0] === '"' || t[0] === "'" || t[0] === "`") && t[t.length - 1] === t[0]
  ) {
    return t.slice(1, -1).trim();
  }
  return t;
}

/**
 * Splits `scheme://rest` into its lower-case scheme and the rest.
 *
 * @param s a path or URI
 * @returns `[scheme, rest]`, or `null` when `s` has no scheme
 *
 * @example
 * ```ts
 * import { splitScheme } from "./path.ts";
 * console.assert(splitScheme("S3://b/k")?.[0] === "s3");
 * console.assert(splitScheme("/tmp/x") === null);
 * ```
 */
export function splitScheme(s: string): [string, string] | null {
  const m = SCHEME_RE.exec(s);
  if (!m) return null;
  return [m[1].toLowerCase(), s.slice(m[0].length)];
}

/**
 * Resolves `.` and `..` in a list of raw segments, dropping empty ones.
 * Returns `null` when a `..` climbs above the first segment.
 */
function normalizeSegments(raw: readonly string[]): string[] | null {
  const out: string[] = [];
  for (const seg of raw) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length === 0) return null;
      out.pop();
      continue;
    }
    out.push(seg);
  }
  return out;
}

function splitSegments(path: string): string[] {
  return path.replaceAll("\\", "/").split("/");
}

/**
 * Parses and normalizes a store root: quotes stripped, `\` counted as `/`, `.` and
 * `..` resolved, trailing slash dropped, `file://` turned into a plain path.
 *
 * @param path the configured root (`s3://bucket/prefix`, `/abs/dir`, `memory://`)
 * @returns the parsed root
 * @throws {ConfigError} when the root is empty, relative, or climbs out of itself
 *
 * @example
 * ```ts
 * import { parseRoot } from "./path.ts";
 * console.assert(parseRoot("'gs://b/a/../c/'").uri === "gs://b/c");
 * ```
 */
export function parseRoot(path: string): StoreRoot {
  const p = stripQuotes(String(path ?? ""));
  if (p === "") {
    throw new ConfigError(
      "The store path is empty: set 'path' to a URI such as 's3://bucket/prefix' or an absolute directory",
    );
  }
  const split = splitScheme(p.replaceAll("\\", "/"));
  if (split && split[0] !== "file") {
    const [scheme, rest] = split;
    const segs = normalizeSegments(splitSegments(rest));
    if (segs === null) {
      throw new ConfigError(
        `The store path '${p}' climbs above its bucket with '..'`,
      );
    }
    const uri = `${scheme}://${segs.join("/")}`;
    return { uri, scheme, segments: segs };
  }
  const local = split ? decodeFileUrlPath(split[1]) : p.replaceAll("\\", "/");
  if (!local.startsWith("/")) {
    throw new ConfigError(
      `The local store path '${p}' is relative: give an absolute directory (resolve it against the working directory first)`,
    );
  }
  const segs = normalizeSegments(splitSegments(local));
  if (segs === null) {
    throw new ConfigError(`The store path '${p}' climbs above '/' with '..'`);
  }
  return { uri: "/" + segs.join("/"), scheme: "", segments: segs };
}

/** `file:///a/b` → `/a/b`, `file://localhost/a` → `/a`. file URLs are percent-encoded. */
function decodeFileUrlPath(rest: string): string {
  let r = rest;
  if (r.startsWith("localhost/")) r = r.slice("localhost".length);
  if (!r.startsWith("/")) r = "/" + r;
  try {
    return decodeURIComponent(r);
  } catch {
    return r;
  }
}

/** Options for {@linkcode resolvePath}. */
export interface ResolveOptions {
  /** Schemes (with or without `://`) this store accepts besides its root's own. */
  schemes?: readonly string[];
  /** Flavor name, for error messages. */
  flavor?: string;
}

/**
 * Resolves a path against a store root and returns the key relative to the root
 * (`""` for the root itself, else segments joined by `/`).
 *
 * Accepted forms: a full URI inside the root, an absolute local path inside a local
 * root, or a path relative to the root. `.`/`..` are resolved and `\` is a separator.
 *
 * @param root the store root
 * @param path the path to resolve
 * @param options accepted schemes and the flavor name
 * @returns the relative key
 * @throws {InvalidPathError} for an empty path, a foreign scheme, a NUL byte, or a path outside the root
 *
 * @example
 * ```ts
 * import { parseRoot, resolvePath } from "./path.ts";
 * const root = parseRoot("/data/store");
 * console.assert(resolvePath(root, "/data/store/a/b") === "a/b");
 * console.assert(resolvePath(root, "a\\b") === "a/b");
 * ```
 */
export function resolvePath(
  root: StoreRoot,
  path: string,
  options: ResolveOptions = {},
): string {
  const flavor = options.flavor;
  if (typeof path !== "string") {
    throw new InvalidPathError(`Path must be a string, got ${typeof path}`, {
      flavor,
    });
  }
  if (path === "") {
    throw new InvalidPathError(
      `Path is empty: pass a URI inside the store root '${root.uri}'`,
      { flavor, path },
    );
  }
  if (path.includes("\0")) {
    throw new InvalidPathError(
      `Path '${path.replaceAll("\0", "\\0")}' contains a NUL byte`,
      {
        flavor,
        path,
      },
    );
  }
  const p = path.replaceAll("\\", "/");
  const split = splitScheme(p);
  let absolute: string[] | null = null;
  if (split) {
    const [scheme, rest] = split;
    if (root.scheme === "" && scheme === "file") {
      absolute = normalizeSegments(splitSegments(decodeFileUrlPath(rest)));
    } else {
      const accepted = new Set([
        root.scheme,
        ...(options.schemes ?? []).map(bareScheme),
      ]);
      if (!accepted.has(scheme)) {
        const list = [...accepted].filter((s) => s).map((s) => `'${s}://'`).join(", ") ||
          "plain paths";
        throw new InvalidPathError(
          `Path '${path}' has scheme '${scheme}://', but this store (root '${root.uri}') takes ${list}`,
          { flavor, path },
        );
      }
      absolute = normalizeSegments(splitSegments(rest));
    }
  } else if (root.scheme === "" && p.startsWith("/")) {
    absolute = normalizeSegments(splitSegments(p));
  } else {
    const rel = normalizeSegments(splitSegments(p));
    if (rel === null) throw outside(root, path, flavor);
    return rel.join("/");
  }
  if (absolute === null) throw outside(root, path, flavor);
  const rs = root.segments;
  if (absolute.length < rs.length) throw outside(root, path, flavor);
  for (let i = 0; i < rs.length; i++) {
    if (absolute[i] !== rs[i]) throw outside(root, path, flavor);
  }
  return absolute.slice(rs.length).join("/");
}

function outside(
  root: StoreRoot,
  path: string,
  flavor?: string,
): InvalidPathError {
  return new InvalidPathError(
    `Path '${path}' is outside the store root '${root.uri}': use a path inside it`,
    { flavor, path },
  );
}

/**
 * Checks that a store root's scheme is one the flavor serves (a plain path counts as
 * `file://`), as every way of making a store does.
 *
 * @param flavor the flavor name, for the message
 * @param schemes the flavor's schemes (`["s3://"]`; empty: any plain path)
 * @param path the configured root
 * @throws {ConfigError} naming the schemes the flavor takes
 *
 * @example
 * ```ts
 * import { checkRootScheme } from "./path.ts";
 * checkRootScheme("s3", ["s3://"], "s3://bucket/runs");
 * let refused = false;
 * try {
 *   checkRootScheme("s3", ["s3://"], "/bucket/runs");
 * } catch {
 *   refused = true;
 * }
 * console.assert(refused);
 * ```
 */
export function checkRootScheme(flavor: string, schemes: readonly string[], path: string): void {
  const split = splitScheme(path.replaceAll("\\", "/"));
  const bare = schemes.map(bareScheme);
  const plainOk = bare.includes("file") || bare.length === 0;
  if (split ? bare.includes(split[0]) : plainOk) return;
  const list = schemes.map((s) => `'${s}'`).join(", ") || "plain paths";
  const hint = split
    ? ""
    : `: a path without a scheme is a local path; write e.g. '${schemes[0] ?? ""}${
      path.replace(/^[/\\]+/, "")
    }'`;
  throw new ConfigError(
    `The '${flavor}' flavor takes paths starting with ${list}, not '${path}'${hint}`,
    { flavor, path },
  );
}

/** `"s3://"` or `"s3"` → `"s3"`. */
export function bareScheme(s: string): string {
  return s.replace(/:\/\/$/, "").replace(/:$/, "").toLowerCase();
}

/**
 * Joins a root and a relative key into a full URI.
 *
 * @param root the store root
 * @param rel a key relative to the root (`""` for the root)
 * @returns the full URI
 *
 * @example
 * ```ts
 * import { joinUri, parseRoot } from "./path.ts";
 * console.assert(joinUri(parseRoot("s3://b/p"), "x/y") === "s3://b/p/x/y");
 * console.assert(joinUri(parseRoot("/"), "tmp") === "/tmp");
 * ```
 */
export function joinUri(root: StoreRoot, rel: string): string {
  if (rel === "") return root.uri;
  if (root.segments.length === 0) {
    return root.scheme === "" ? "/" + rel : `${root.scheme}://${rel}`;
  }
  return `${root.uri}/${rel}`;
}

/**
 * Joins relative keys, skipping empty ones.
 *
 * @param parts keys or names
 * @returns the joined key
 *
 * @example
 * ```ts
 * import { joinKey } from "./path.ts";
 * console.assert(joinKey("", "a", "b") === "a/b");
 * ```
 */
export function joinKey(...parts: string[]): string {
  return parts.filter((p) => p !== "").join("/");
}

/**
 * The parent of a relative key (`""` for a top-level key or the root).
 *
 * @param rel a relative key
 * @returns its parent key
 *
 * @example
 * ```ts
 * import { parentKey } from "./path.ts";
 * console.assert(parentKey("a/b/c") === "a/b" && parentKey("a") === "");
 * ```
 */
export function parentKey(rel: string): string {
  const i = rel.lastIndexOf("/");
  return i < 0 ? "" : rel.slice(0, i);
}

/**
 * The last segment of a relative key.
 *
 * @param rel a relative key
 * @returns the base name
 *
 * @example
 * ```ts
 * import { baseName } from "./path.ts";
 * console.assert(baseName("a/b/c.txt") === "c.txt");
 * ```
 */
export function baseName(rel: string): string {
  return rel.slice(rel.lastIndexOf("/") + 1);
}

/**
 * Tells whether a path names a directory by its form: it ends in `/` (or `\`).
 *
 * @param path a URI or path
 * @returns true when it ends in a separator
 *
 * @example
 * ```ts
 * import { endsWithSeparator } from "./path.ts";
 * console.assert(endsWithSeparator("s3://b/runs/") && !endsWithSeparator("s3://b/runs"));
 * ```
 */
export function endsWithSeparator(path: string): boolean {
  return typeof path === "string" && /[/\\]$/.test(path);
}

/**
 * The destination of a copy or rename, by the rule every flavor and the CLI share: a
 * destination ending in `/` names a directory, and the source keeps its base name
 * inside it (`copy("a/b.txt", "out/")` writes `out/b.txt`, as fsspec, `cp` and
 * `aws s3 cp` do). Any other destination is returned unchanged.
 *
 * @param src the source path (its last segment is the base name)
 * @param dst the destination path
 * @returns the destination file path
 *
 * @example
 * ```ts
 * import { intoDirectory } from "./path.ts";
 * console.assert(intoDirectory("s3://b/x/model.pt", "s3://b/out/") === "s3://b/out/model.pt");
 * console.assert(intoDirectory("x/model.pt", "y.pt") === "y.pt");
 * ```
 */
export function intoDirectory(src: string, dst: string): string {
  if (!endsWithSeparator(dst) || typeof src !== "string") return dst;
  const segs = src.replaceAll("\\", "/").split("/").filter((s) => s !== "");
  const name = segs.at(-1);
  // A source that names no file ('.', '..', a bare root) keeps the destination as
  // given: the operation then refuses it with the usual error.
  if (name === undefined || name === "." || name === ".." || name.endsWith(":")) return dst;
  const dir = dst.replace(/[/\\]+$/, "");
  return dir.endsWith(":") ? dst + name : dir + "/" + name;
}

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
 * import { compareCodePoints } from "./path.ts";
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
 * import { sortNames } from "./path.ts";
 * console.assert(sortNames(["b", "B", "a"]).join() === "B,a,b");
 * ```
 */
export function sortNames<T extends string>(names: T[]): T[] {
  return names.sort(compareCodePoints);
}
