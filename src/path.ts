/**
 * Paths against a store root: parsing and normalizing the root, resolving a path
 * to the key relative to it (with the root-bounds check), and joining a key back
 * into a full URI.
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
import { bareScheme, splitScheme, stripQuotes } from "./uri.ts";

/** A parsed store root. */
export interface StoreRoot {
  /** Canonical root URI without a trailing slash (`s3://b/p`, `/abs/dir`, `/`, `memory://`). */
  readonly uri: string;
  /** Lower-case scheme without `://`; `""` for a local path. */
  readonly scheme: string;
  /** Root segments: for URIs the authority (bucket) first, then the prefix. */
  readonly segments: readonly string[];
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
