/**
 * Keys: slash-separated paths relative to a store root (`runs/1/model.pt`), joined,
 * split into parent and base name, and the rule for a destination that ends in `/`
 * (it names a directory the source goes into).
 *
 * @example Taking a key apart and putting it together
 * ```ts
 * import { baseName, joinKey, parentKey } from "./keys.ts";
 *
 * const key = "runs/1/model.pt";
 * console.assert(joinKey(parentKey(key), baseName(key)) === key);
 * ```
 *
 * @module
 */

/**
 * Joins relative keys, skipping empty ones.
 *
 * @param parts keys or names
 * @returns the joined key
 *
 * @example
 * ```ts
 * import { joinKey } from "./keys.ts";
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
 * import { parentKey } from "./keys.ts";
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
 * import { baseName } from "./keys.ts";
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
 * import { endsWithSeparator } from "./keys.ts";
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
 * import { intoDirectory } from "./keys.ts";
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
