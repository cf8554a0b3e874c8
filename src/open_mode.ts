/**
 * Open modes: the eight modes `open` takes, what each asks for (text or bytes; a
 * read, or a write that overwrites, creates only or appends), and the check that a
 * write names a file.
 *
 * @example What a mode asks for
 * ```ts
 * import { parseMode } from "./open_mode.ts";
 *
 * const { binary, kind } = parseMode("xb", "memory://modes-doc/a", "memory");
 * console.assert(binary && kind === "create");
 * ```
 *
 * @module
 */

import { InvalidArgumentError, InvalidPathError, IsADirectoryError } from "./errors.ts";
import { endsWithSeparator } from "./keys.ts";

/** Text read mode. */
export type TextReadMode = "r";
/** Binary read mode. */
export type BinaryReadMode = "rb";
/** Text write modes: overwrite, create-only, append. */
export type TextWriteMode = "w" | "x" | "a";
/** Binary write modes: overwrite, create-only, append. */
export type BinaryWriteMode = "wb" | "xb" | "ab";
/** Every mode `open` accepts. */
export type OpenMode =
  | TextReadMode
  | BinaryReadMode
  | TextWriteMode
  | BinaryWriteMode;

/** The write kind a flavor's `openWrite` is asked for. */
export type WriteKind = "overwrite" | "create" | "append";

const MODES: readonly string[] = ["r", "rb", "w", "wb", "x", "xb", "a", "ab"];

/** What a mode asks for. */
export interface ParsedMode {
  /** Bytes (the `b` modes) rather than text. */
  binary: boolean;
  /** A read, or the kind of write. */
  kind: "read" | WriteKind;
}

/**
 * Checks a mode and tells what it asks for.
 *
 * @param mode the mode given to `open`
 * @param path the path, for the message
 * @param flavor the flavor name, for the message
 * @returns text or bytes, and a read or which write
 * @throws {InvalidArgumentError} for a mode `open` does not take
 *
 * @example
 * ```ts
 * import { parseMode } from "./open_mode.ts";
 * console.assert(parseMode("a", "/tmp/log.txt", "local").kind === "append");
 * ```
 */
export function parseMode(mode: string, path: string, flavor: string): ParsedMode {
  if (!MODES.includes(mode)) {
    throw new InvalidArgumentError(
      `Unknown mode '${mode}': use one of ${MODES.map((m) => `'${m}'`).join(", ")}`,
      { path, flavor },
    );
  }
  const binary = mode.endsWith("b");
  const kind = mode[0] === "r"
    ? "read"
    : mode[0] === "x"
    ? "create"
    : mode[0] === "a"
    ? "append"
    : "overwrite";
  return { binary, kind };
}

/**
 * Checks that a write names a file: not a path ending in `/` (a directory), not the
 * store root.
 *
 * @param path the path as given
 * @param rel its key relative to the root
 * @param root the store's root URI, for the message
 * @param flavor the flavor name, for the message
 * @throws {IsADirectoryError} for a path ending in a separator
 * @throws {InvalidPathError} for the root itself
 *
 * @example
 * ```ts
 * import { checkWriteTarget } from "./open_mode.ts";
 * checkWriteTarget("memory://w/a.txt", "a.txt", "memory://w", "memory");
 * ```
 */
export function checkWriteTarget(path: string, rel: string, root: string, flavor: string): void {
  if (rel !== "" && endsWithSeparator(path)) {
    throw new IsADirectoryError(
      `Cannot write '${path}': a path ending in '/' names a directory; name a file in it`,
      { path, flavor },
    );
  }
  if (rel === "") {
    throw new InvalidPathError(
      `Cannot write to the store root '${root}': name a file`,
      { path, flavor },
    );
  }
}
