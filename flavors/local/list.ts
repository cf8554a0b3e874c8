/**
 * The `local` flavor's directory listing: the names in a directory, without the
 * temporary files of writes in progress, sorted; or split into subdirectories and
 * files in one `readdir`, a symbolic link counted as what it points to.
 *
 * @example
 * ```ts
 * import { listNames, scanEntries } from "./list.ts";
 * import { loadFs } from "./fs.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/d`);
 * await Deno.writeTextFile(`${dir}/f`, "");
 * const fs = await loadFs();
 * console.assert((await listNames(fs, dir)).join() === "d,f");
 * const { dirs, files } = await scanEntries(fs, dir);
 * console.assert(dirs.join() === "d" && files.join() === "f");
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

import type { DirEntries } from "../../src/types.ts";
import { sortNames } from "../../src/order.ts";
import type { Fs } from "./fs.ts";
import { isTempName } from "./write.ts";

/**
 * The names in a directory, sorted, without temporary files of writes.
 *
 * @param fs the file-system module
 * @param dir the OS path of the directory
 * @returns the names (a failure of `readdir` is thrown as the runtime threw it)
 */
export async function listNames(fs: Fs, dir: string): Promise<string[]> {
  const names = await fs.readdir(dir);
  return sortNames(names.filter((n) => !isTempName(n)));
}

/**
 * The subdirectories and files of a directory, without temporary files of writes;
 * a symbolic link is a directory when it points to one (a broken link is a file).
 *
 * @param fs the file-system module
 * @param dir the OS path of the directory
 * @returns the names, unsorted (a failure of `readdir` is thrown as the runtime threw it)
 */
export async function scanEntries(fs: Fs, dir: string): Promise<DirEntries> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const dirs: string[] = [];
  const files: string[] = [];
  for (const e of entries) {
    if (isTempName(e.name)) continue;
    let isDir = e.isDirectory();
    if (e.isSymbolicLink()) {
      isDir = (await fs.stat(`${dir}/${e.name}`).catch(() => null))?.isDirectory() ?? false;
    }
    (isDir ? dirs : files).push(e.name);
  }
  return { dirs, files };
}
