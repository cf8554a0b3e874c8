/**
 * The tree algorithms every store gets from one directory listing: `walk` in
 * Python's `os.walk` order, `glob` by walking down from a pattern's literal
 * directory (descending only where a match is still possible), and the listing
 * itself from `listdir` and `isdir` for a store that has no better call.
 *
 * They see a store through a {@linkcode StoreTree}, so that a flavor that lists a
 * whole directory in one call (or pushes a glob down to a prefix listing) gets them
 * on top of its own listing.
 *
 * @example Walking a tree listed from a map
 * ```ts
 * import { walkTree } from "./traverse.ts";
 *
 * const dirs: Record<string, { dirs: string[]; files: string[] }> = {
 *   "": { dirs: ["d"], files: ["a"] },
 *   "d": { dirs: [], files: ["b"] },
 * };
 * const tree = {
 *   scandir: (rel: string) => Promise.resolve(dirs[rel]),
 *   uri: (rel: string) => `memory://t/${rel}`.replace(/\/$/, ""),
 *   isdir: (uri: string) => Promise.resolve(uri.endsWith("/d")),
 *   exists: () => Promise.resolve(true),
 *   listdir: () => Promise.resolve([]),
 * };
 * const steps: string[] = [];
 * for await (const [dir] of walkTree(tree, "")) steps.push(dir);
 * console.assert(steps.join() === "memory://t,memory://t/d");
 * ```
 *
 * @module
 */

import { FileNotFoundError, NotADirectoryError } from "./errors.ts";
import { type CompiledGlob, matchFile, matchGlob, mayMatchBelow } from "./glob.ts";
import { joinKey } from "./keys.ts";
import { sortNames } from "./order.ts";
import type { DirEntries, WalkEntry, WalkOptions } from "./types.ts";
import type { ListPage } from "./object_types.ts";

/** What the tree algorithms use of a store. */
export interface StoreTree {
  /** Lists one directory, by its key relative to the root. */
  scandir(rel: string): Promise<DirEntries>;
  /** The full URI of a key. */
  uri(rel: string): string;
  /** Tells whether a full URI is a directory. */
  isdir(uri: string): Promise<boolean>;
  /** Tells whether something is at a full URI. */
  exists(uri: string): Promise<boolean>;
  /** The base names in the directory at a full URI. */
  listdir(uri: string): Promise<string[]>;
}

/**
 * One directory's entries from its names and an `isdir` for each: the listing of a
 * store that has no call telling files from directories.
 *
 * @param tree the store's tree
 * @param rel the directory's key
 * @returns its subdirectory and file names
 */
export async function listdirEntries(tree: StoreTree, rel: string): Promise<DirEntries> {
  const names = await tree.listdir(tree.uri(rel));
  const dirs: string[] = [];
  const files: string[] = [];
  for (const name of names) {
    (await tree.isdir(tree.uri(joinKey(rel, name))) ? dirs : files).push(name);
  }
  return { dirs, files };
}

/**
 * Walks the tree below a key like `os.walk`: `[dir, dirnames, filenames]` with
 * `dir` a full URI and sorted names; with `topdown` (the default) a directory
 * comes before its subdirectories and removing names from `dirnames` prunes the
 * walk. Errors go to `onerror`, else are skipped.
 *
 * @param tree the store's tree
 * @param rel the key to start from
 * @param options `topdown` and `onerror`
 * @returns the walk
 */
export async function* walkTree(
  tree: StoreTree,
  rel: string,
  options: WalkOptions = {},
): AsyncGenerator<WalkEntry> {
  const topdown = options.topdown ?? true;
  let entries: DirEntries;
  try {
    entries = await tree.scandir(rel);
  } catch (err) {
    options.onerror?.(err as Error);
    return;
  }
  const dirs = sortNames([...entries.dirs]);
  const files = sortNames([...entries.files]);
  if (topdown) {
    yield [tree.uri(rel), dirs, files];
    for (const d of [...dirs]) yield* walkTree(tree, joinKey(rel, d), options);
  } else {
    for (const d of dirs) yield* walkTree(tree, joinKey(rel, d), options);
    yield [tree.uri(rel), dirs, files];
  }
}

/**
 * The keys matching a compiled pattern, found by walking the tree from the
 * pattern's literal directory and descending only where a match is possible (a
 * literal pattern is one `exists` or `isdir`).
 *
 * @param tree the store's tree
 * @param g the compiled pattern
 * @returns the matching keys, in walk order
 */
export async function globTree(tree: StoreTree, g: CompiledGlob): Promise<string[]> {
  if (g.literal) {
    const uri = tree.uri(g.literalDir);
    const ok = g.dirsOnly ? await tree.isdir(uri) : await tree.exists(uri);
    return ok ? [g.literalDir] : [];
  }
  const out: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    let entries: DirEntries;
    try {
      entries = await tree.scandir(dir);
    } catch (err) {
      if (
        err instanceof FileNotFoundError || err instanceof NotADirectoryError
      ) return;
      throw err;
    }
    for (const name of entries.files) {
      const key = joinKey(dir, name);
      if (matchFile(g, key)) out.push(key);
    }
    for (const name of entries.dirs) {
      const key = joinKey(dir, name);
      if (matchGlob(g, key)) out.push(key);
      if (mayMatchBelow(g, key)) await visit(key);
    }
  };
  await visit(g.literalDir);
  return out;
}

/**
 * What `glob` returns for the keys a flavor found: full URIs, sorted by code point,
 * each once, with the literal directory itself when the pattern matches it at zero
 * levels (`x/**` matches `x`, as in fsspec, Python and bash: listings start below it,
 * so it is checked here, once for every flavor).
 *
 * @param tree the store's tree
 * @param g the compiled pattern
 * @param keys the matching keys the flavor found
 * @returns the matching paths
 */
export async function globResult(
  tree: StoreTree,
  g: CompiledGlob,
  keys: readonly string[],
): Promise<string[]> {
  const found = new Set(keys);
  if (!g.literal && matchGlob(g, g.literalDir) && await tree.isdir(tree.uri(g.literalDir))) {
    found.add(g.literalDir);
  }
  return sortNames([...found].map((k) => tree.uri(k)));
}

/**
 * Matches a flat listing against a pattern: the files that match, and the
 * directories that match — common prefixes, `dir/` markers and every parent below
 * the pattern's literal directory that a listed key implies. An object store lists
 * once from the pattern's literal prefix instead of walking directory by directory.
 *
 * @param g the compiled pattern
 * @param pages the listing below the pattern's literal prefix, page by page
 * @param relOf the store-relative path of a listed key
 * @returns the matching relative paths, unordered
 *
 * @example
 * ```ts
 * import { compileGlob } from "./glob.ts";
 * import { globListing } from "./traverse.ts";
 *
 * async function* pages() {
 *   yield { objects: [{ key: "runs/a/epoch-1.json", size: 1, mtime: null }], prefixes: [] };
 * }
 * const found = await globListing(compileGlob("runs/*"), pages(), (k) => k);
 * console.assert(found.join() === "runs/a");
 * ```
 */
export async function globListing(
  g: CompiledGlob,
  pages: AsyncIterable<ListPage>,
  relOf: (key: string) => string,
): Promise<string[]> {
  const dirRel = g.literalDir;
  const found = new Set<string>();
  const dirs = new Set<string>();
  for await (const page of pages) {
    for (const o of page.objects) {
      if (o.key.endsWith("/")) {
        const d = relOf(o.key.slice(0, -1));
        if (d) dirs.add(d);
        continue;
      }
      const rel = relOf(o.key);
      if (matchFile(g, rel)) found.add(rel);
      // Every parent below the literal directory is an implied directory.
      let i = rel.lastIndexOf("/");
      while (i > 0) {
        const parent = rel.slice(0, i);
        if (dirs.has(parent) || parent.length <= dirRel.length) break;
        dirs.add(parent);
        i = rel.lastIndexOf("/", i - 1);
      }
    }
    for (const p of page.prefixes) dirs.add(relOf(p.slice(0, -1)));
  }
  for (const d of dirs) if (matchGlob(g, d)) found.add(d);
  return [...found];
}
