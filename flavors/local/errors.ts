/**
 * The `local` flavor's errno → typed error mapping where the errno alone does not
 * say what went wrong: `mkdir` fails with `EEXIST` or `ENOTDIR` both when a file
 * sits where a directory is wanted and when a parent of it is a file. Every other
 * failure goes through {@linkcode mapLocalError}, the one mapper of errno codes (and
 * Deno's error classes) to Stowage's errors.
 *
 * @example
 * ```ts
 * import { parentDirError } from "./errors.ts";
 * import { NotADirectoryError } from "../../src/errors.ts";
 *
 * const err = Object.assign(new Error("x"), { code: "ENOTDIR" });
 * const at = { path: "/tmp/f/g", flavor: "local" };
 * console.assert(parentDirError(err, at) instanceof NotADirectoryError);
 * ```
 *
 * @module
 */

import {
  type ArtifactStoreError,
  FileExistsError,
  mapLocalError,
  NotADirectoryError,
} from "../../src/errors.ts";
import type { At } from "../../src/fs_errors.ts";
import { errnoCode } from "./fs.ts";

/**
 * Maps a failure of a file-system call on a path to a typed error.
 *
 * @param err what the call threw
 * @param at the path (full URI) and the flavor
 * @param op the verb for the message, e.g. `"read"`
 * @returns the typed error (a store error passes through unchanged)
 */
export function fsError(err: unknown, at: At, op: string): ArtifactStoreError {
  return mapLocalError(err, { ...at, op });
}

/**
 * Maps a failed `mkdir -p` of the parents of a file about to be written: a file
 * among them is a {@linkcode NotADirectoryError}.
 *
 * @param err what `mkdir` threw
 * @param at the file being written (full URI) and the flavor
 * @returns the typed error
 */
export function parentDirError(err: unknown, at: At): ArtifactStoreError {
  const code = errnoCode(err);
  if (code === "EEXIST" || code === "ENOTDIR") {
    return new NotADirectoryError(
      `Cannot write '${at.path}': a parent in the path is a file, not a directory`,
      { ...at, cause: err },
    );
  }
  return fsError(err, at, "create the parent directory of");
}

/**
 * Maps a failed `mkdir -p` of a directory: a file in the way (at the path or
 * above it) is a {@linkcode FileExistsError}.
 *
 * @param err what `mkdir` threw
 * @param at the directory (full URI) and the flavor
 * @returns the typed error
 */
export function makedirsError(err: unknown, at: At): ArtifactStoreError {
  const code = errnoCode(err);
  if (code === "EEXIST" || code === "ENOTDIR") {
    return new FileExistsError(
      `Cannot create directory '${at.path}': a file is in the way`,
      { ...at, cause: err },
    );
  }
  return fsError(err, at, "create directory");
}
