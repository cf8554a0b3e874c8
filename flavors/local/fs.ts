/**
 * The `local` flavor's access to the file system: `node:fs/promises`, which Deno,
 * Bun and Node all provide, imported on first use only, so that importing Stowage
 * on the edge (where there is no file system) does not load it. Also the two
 * questions about a failed call the store asks everywhere: its errno code, and
 * whether it means "nothing there".
 *
 * @example
 * ```ts
 * import { errnoCode, loadFs, statOrNull } from "./fs.ts";
 *
 * const fs = await loadFs();
 * console.assert((await statOrNull(fs, "/no/such/stowage/path")) === null);
 * console.assert(errnoCode(Object.assign(new Error("x"), { code: "EEXIST" })) === "EEXIST");
 * ```
 *
 * @module
 */

import type { Stats as NodeStats } from "node:fs";
import type * as NodeFs from "node:fs/promises";

/** The `node:fs/promises` module. */
export type Fs = typeof NodeFs;

/** An open file of `node:fs/promises`. */
export type FileHandle = NodeFs.FileHandle;

/** What `stat` returns. */
export type Stats = NodeStats;

let fsModule: Promise<Fs> | undefined;

/**
 * Loads `node:fs/promises` (once per process).
 *
 * @returns the module
 */
export function loadFs(): Promise<Fs> {
  return fsModule ??= import("node:fs/promises");
}

/**
 * The errno code of a failed file-system call (`"ENOENT"`, `"EEXIST"`, …).
 *
 * @param err what the call threw
 * @returns its code, if it has one
 */
export function errnoCode(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

/**
 * Describes an OS path, following symbolic links; `null` when nothing is there (or a
 * parent in the path is a file). Other failures are thrown as the runtime threw them.
 *
 * @param fs the file-system module
 * @param path the OS path
 * @returns its stats, or `null`
 */
export async function statOrNull(fs: Fs, path: string): Promise<Stats | null> {
  try {
    return await fs.stat(path);
  } catch (err) {
    const code = errnoCode(err);
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw err;
  }
}
