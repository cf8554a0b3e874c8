/**
 * URI strings as they are configured and passed: one pair of quotes stripped, the
 * scheme split off and compared without `://`, and a configured store root checked
 * for presence and for a scheme the flavor serves.
 *
 * @example Splitting a scheme off a configured path
 * ```ts
 * import { splitScheme, stripQuotes } from "./uri.ts";
 *
 * console.assert(splitScheme(stripQuotes(`"S3://bucket/runs"`))?.join() === "s3,bucket/runs");
 * ```
 *
 * @module
 */

import { ConfigError } from "./errors.ts";

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
 * import { stripQuotes } from "./uri.ts";
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
 * import { splitScheme } from "./uri.ts";
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
 * import { checkRootScheme } from "./uri.ts";
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

/**
 * The root path a store is configured with, quotes stripped, after the checks every
 * way of making a store applies: it is a non-empty string, with a scheme the flavor
 * serves (see {@linkcode checkRootScheme}).
 *
 * @param raw the configured `path`
 * @param flavor the flavor name, for the message
 * @param schemes the flavor's schemes
 * @returns the path without quotes
 * @throws {ConfigError} for a missing or empty path, or one of another scheme
 *
 * @example
 * ```ts
 * import { configuredRoot } from "./uri.ts";
 * console.assert(configuredRoot(" 'gs://b/runs' ", "gcs", ["gs://"]) === "gs://b/runs");
 * ```
 */
export function configuredRoot(raw: unknown, flavor: string, schemes: readonly string[]): string {
  const path = typeof raw === "string" ? stripQuotes(raw) : "";
  if (path === "") {
    throw new ConfigError(
      `The '${flavor}' store needs a 'path' (its root URI), got ${
        typeof raw === "string" ? "an empty string" : typeof raw
      }`,
      { flavor },
    );
  }
  checkRootScheme(flavor, schemes, path);
  return path;
}

/** `"s3://"` or `"s3"` → `"s3"`. */
export function bareScheme(s: string): string {
  return s.replace(/:\/\/$/, "").replace(/:$/, "").toLowerCase();
}
