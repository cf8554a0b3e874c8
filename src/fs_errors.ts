/**
 * The typed errors that the stores with real directories (`local` and `memory`)
 * throw in the same words: a missing path, a create-only write onto a file, a
 * directory where a file was wanted, a missing parent, a file where a directory was
 * to be made, a directory moved into itself. Each takes the full URI and the flavor
 * ({@linkcode At}), so a message names the path as the user wrote it.
 *
 * @example
 * ```ts
 * import { isADirectoryError, notFoundError } from "./fs_errors.ts";
 * import { FileNotFoundError } from "./errors.ts";
 *
 * const at = { path: "memory://x/a", flavor: "memory" };
 * console.assert(notFoundError(at) instanceof FileNotFoundError);
 * console.assert(isADirectoryError(at, "read").message.includes("Cannot read"));
 * ```
 *
 * @module
 */

import {
  FileExistsError,
  FileNotFoundError,
  InvalidArgumentError,
  IsADirectoryError,
} from "./errors.ts";

/** Where an error happened: the full URI and the flavor. */
export interface At {
  /** The full URI of the path. */
  path: string;
  /** The flavor of the store. */
  flavor: string;
}

/**
 * Nothing is at the path.
 *
 * @param at the path and flavor
 * @returns the error
 *
 * @example
 * ```ts
 * import { notFoundError } from "./fs_errors.ts";
 * console.assert(notFoundError({ path: "/a", flavor: "local" }).code === "NotFound");
 * ```
 */
export function notFoundError(at: At): FileNotFoundError {
  return new FileNotFoundError(`No such file or directory: '${at.path}'`, { ...at });
}

/**
 * A create-only write (`"x"`) found a file at the path.
 *
 * @param at the path and flavor
 * @returns the error
 *
 * @example
 * ```ts
 * import { fileExistsError } from "./fs_errors.ts";
 * console.assert(fileExistsError({ path: "/a", flavor: "local" }).message.includes("'w'"));
 * ```
 */
export function fileExistsError(at: At): FileExistsError {
  return new FileExistsError(
    `File '${at.path}' already exists: open it with 'w' to overwrite`,
    { ...at },
  );
}

/**
 * The path is a directory where a file was wanted.
 *
 * @param at the path and flavor
 * @param what the verb for the message, e.g. `"read"`, `"copy onto"`
 * @returns the error
 *
 * @example
 * ```ts
 * import { isADirectoryError } from "./fs_errors.ts";
 * const e = isADirectoryError({ path: "/d", flavor: "local" }, "write");
 * console.assert(e.message === "Cannot write '/d': it is a directory");
 * ```
 */
export function isADirectoryError(at: At, what: string): IsADirectoryError {
  return new IsADirectoryError(`Cannot ${what} '${at.path}': it is a directory`, { ...at });
}

/**
 * The parent directory of the path does not exist (`mkdir` makes no parents).
 *
 * @param at the path and flavor
 * @returns the error
 *
 * @example
 * ```ts
 * import { parentMissingError } from "./fs_errors.ts";
 * console.assert(parentMissingError({ path: "/a/b", flavor: "local" }).code === "NotFound");
 * ```
 */
export function parentMissingError(at: At): FileNotFoundError {
  return new FileNotFoundError(
    `Parent directory of '${at.path}' does not exist: create it with makedirs`,
    { ...at },
  );
}

/**
 * A file is where a directory was to be created.
 *
 * @param at the path and flavor
 * @returns the error
 *
 * @example
 * ```ts
 * import { fileThereError } from "./fs_errors.ts";
 * console.assert(fileThereError({ path: "/f", flavor: "local" }).code === "AlreadyExists");
 * ```
 */
export function fileThereError(at: At): FileExistsError {
  return new FileExistsError(`Cannot create directory '${at.path}': a file is there`, { ...at });
}

/**
 * A directory was to be moved into itself or one of its descendants.
 *
 * @param at the directory's path and the flavor
 * @param dst the full URI of the destination
 * @returns the error
 *
 * @example
 * ```ts
 * import { intoItselfError } from "./fs_errors.ts";
 * const e = intoItselfError({ path: "/d", flavor: "local" }, "/d/e");
 * console.assert(e.code === "InvalidArgument");
 * ```
 */
export function intoItselfError(at: At, dst: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `Cannot move directory '${at.path}' into itself ('${dst}')`,
    { ...at },
  );
}
