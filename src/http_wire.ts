/**
 * The wire protocol between the Hono adapter (`./hono`, the server) and the `http`
 * flavor (`./http`, its client), written once for both: the routes and their query
 * parameters, the path encoding, the headers, the error code ↔ status ↔ error class
 * mapping and the JSON shapes. It imports no Hono, so the client's bundle holds none.
 *
 * @example
 * ```ts
 * import { ERROR_STATUS, errorClassOf } from "./http_wire.ts";
 * import { FileNotFoundError } from "./errors.ts";
 * console.assert(ERROR_STATUS.NotFound === 404 && errorClassOf("NotFound") === FileNotFoundError);
 * ```
 *
 * @module
 */

import type { StatResult } from "./types.ts";
import type { ArtifactStoreError, ArtifactStoreErrorOptions, ErrorCode } from "./errors.ts";
import * as errors from "./errors.ts";

// ------------------------------------------------------------ routes

/**
 * The routes, each below the server's base URL: `/{route}/{path}`, or `/{route}` for
 * the keyless ones ({@linkcode KEYLESS_ROUTES}).
 */
export type Route =
  | "files"
  | "stat"
  | "exists"
  | "list"
  | "walk"
  | "glob"
  | "copy"
  | "rename"
  | "mkdir";

/** Every route, in the order the server lists them. */
export const ROUTES: readonly Route[] = [
  "files",
  "stat",
  "exists",
  "list",
  "walk",
  "glob",
  "copy",
  "rename",
  "mkdir",
];

/** The routes that take no path after them (`/glob?pattern=`, `POST /copy`, `POST /rename`). */
export const KEYLESS_ROUTES: readonly Route[] = ["glob", "copy", "rename"];

/**
 * The query parameters: `recursive` (`DELETE /files/`), `parents` (`POST /mkdir/`),
 * `topdown` (`GET /walk/`), `pattern` (`GET /glob`). Flags are `true` or `false`.
 */
export const QUERY = {
  recursive: "recursive",
  parents: "parents",
  topdown: "topdown",
  pattern: "pattern",
} as const;

/**
 * A key relative to the store root as the path of a request: each segment
 * percent-encoded (`encodeURIComponent`), the `/` between them kept; the server
 * decodes each segment once.
 *
 * @param rel the key relative to the store root (`""` for the root)
 * @returns the encoded path
 *
 * @example
 * ```ts
 * import { encodeWirePath } from "./http_wire.ts";
 * console.assert(encodeWirePath("a b/c?d") === "a%20b/c%3Fd");
 * ```
 */
export function encodeWirePath(rel: string): string {
  return rel === "" ? "" : rel.split("/").map(encodeURIComponent).join("/");
}

// ------------------------------------------------------------ headers

/** The response header that repeats the error code (HEAD answers have no body). */
export const ERROR_HEADER = "x-stowage-error";

/** Prefix of the request and response headers that carry user metadata. */
export const METADATA_HEADER_PREFIX = "x-stowage-meta-";

/**
 * Writes user metadata as headers: `x-stowage-meta-{key, lower case}`, the value
 * percent-encoded.
 *
 * @param metadata the user metadata
 * @param into the headers to add to
 * @returns `into`
 *
 * @example
 * ```ts
 * import { metadataToHeaders } from "./http_wire.ts";
 * console.assert(metadataToHeaders({ Run: "é" }, {})["x-stowage-meta-run"] === "%C3%A9");
 * ```
 */
export function metadataToHeaders(
  metadata: Record<string, string> | undefined,
  into: Record<string, string>,
): Record<string, string> {
  for (const [k, val] of Object.entries(metadata ?? {})) {
    into[METADATA_HEADER_PREFIX + k.toLowerCase()] = encodeURIComponent(val);
  }
  return into;
}

/**
 * Reads user metadata from headers (the inverse of {@linkcode metadataToHeaders});
 * a value that is not percent-encoding is kept as sent.
 *
 * @param headers the request or response headers
 * @returns the metadata, or undefined when there is none
 *
 * @example
 * ```ts
 * import { metadataFromHeaders } from "./http_wire.ts";
 * const h = new Headers({ "x-stowage-meta-run": "%C3%A9" });
 * console.assert(metadataFromHeaders(h)?.run === "é");
 * ```
 */
export function metadataFromHeaders(
  headers: Headers,
): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  headers.forEach((value, name) => {
    if (!name.startsWith(METADATA_HEADER_PREFIX)) return;
    const key = name.slice(METADATA_HEADER_PREFIX.length);
    let v = value;
    try {
      v = decodeURIComponent(value);
    } catch {
      // Not percent-encoded: keep it as sent.
    }
    (out ??= {})[key] = v;
  });
  return out;
}

// ------------------------------------------------------------ errors

/** The JSON body of every error answer. */
export interface ErrorBody {
  /** The error. */
  error: {
    /** The stable code of the error class (`"NotFound"`, `"AlreadyExists"`, …). */
    code: ErrorCode;
    /** What failed and what to do. */
    message: string;
  };
}

/**
 * The status the server answers for each error code. (`Unauthenticated` is 502: a
 * store error means the backend refused the server's own credentials; the client's
 * refused credentials are the server's own 401 answers.)
 */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  NotFound: 404,
  AlreadyExists: 409,
  IsADirectory: 409,
  NotADirectory: 409,
  PermissionDenied: 403,
  Unauthenticated: 502,
  PreconditionFailed: 412,
  NotSupported: 501,
  InvalidPath: 400,
  InvalidArgument: 400,
  Config: 500,
  Integrity: 502,
  Unknown: 500,
};

/** An error class the client makes from an error code. */
export type ErrorClass = new (
  message: string,
  options?: ArtifactStoreErrorOptions,
) => ArtifactStoreError;

const ERROR_CLASSES: Readonly<Record<Exclude<ErrorCode, "Unknown">, ErrorClass>> = {
  NotFound: errors.FileNotFoundError,
  AlreadyExists: errors.FileExistsError,
  IsADirectory: errors.IsADirectoryError,
  NotADirectory: errors.NotADirectoryError,
  PermissionDenied: errors.PermissionDeniedError,
  Unauthenticated: errors.AuthenticationError,
  PreconditionFailed: errors.PreconditionFailedError,
  NotSupported: errors.NotSupportedError,
  InvalidPath: errors.InvalidPathError,
  InvalidArgument: errors.InvalidArgumentError,
  Config: errors.ConfigError,
  Integrity: errors.IntegrityError,
};

/**
 * The error class of an error code sent by the server.
 *
 * @param code the code from the body or the {@linkcode ERROR_HEADER} header
 * @returns the class, or undefined for `Unknown`, a missing or an unknown code
 *
 * @example
 * ```ts
 * import { errorClassOf } from "./http_wire.ts";
 * console.assert(errorClassOf("Unknown") === undefined && errorClassOf("toString") === undefined);
 * ```
 */
export function errorClassOf(code: string | undefined): ErrorClass | undefined {
  return code !== undefined && Object.hasOwn(ERROR_CLASSES, code)
    ? ERROR_CLASSES[code as keyof typeof ERROR_CLASSES]
    : undefined;
}

// ------------------------------------------------------------ JSON shapes

/** The JSON of `GET /stat/{path}`. */
export interface StatJson {
  /** The path relative to the store root. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** True for a directory. */
  isDirectory: boolean;
  /** Last modification time (ISO 8601), or null. */
  mtime: string | null;
  /** The entity tag, when known. */
  etag?: string;
  /** The stored content type, when known. */
  contentType?: string;
  /** User metadata, when known. */
  metadata?: Record<string, string>;
}

/** The JSON of `GET /exists/{path}`. */
export interface ExistsJson {
  /** True when a file or directory is there. */
  exists: boolean;
}

/** The JSON body of `POST /copy` and `POST /rename` (paths relative to the store root). */
export interface MoveJson {
  /** The source. */
  src: string;
  /** The destination. */
  dst: string;
  /** Replace an existing destination (default false). */
  overwrite?: boolean;
}

/** The JSON answer of `PUT /files/{path}` (201). */
export interface PutJson {
  /** The path written, relative to the store root. */
  path: string;
  /** The bytes written. */
  size: number;
}

/** One line of `GET /walk/{path}` (NDJSON): `[dir, dirs, files]`, or an error met on the way. */
export type WalkLine = [dir: string, dirs: string[], files: string[]] | ErrorBody;

const encoder = new TextEncoder();

/**
 * One line of the walk's NDJSON body, as the server sends it.
 *
 * @param line the directory or the error
 * @returns the line's bytes, `\n` included
 *
 * @example
 * ```ts
 * import { encodeWalkLine } from "./http_wire.ts";
 * console.assert(new TextDecoder().decode(encodeWalkLine(["", ["d"], []])) === '["",["d"],[]]\n');
 * ```
 */
export function encodeWalkLine(line: WalkLine): Uint8Array {
  return encoder.encode(JSON.stringify(line) + "\n");
}

/**
 * The lines of the walk's NDJSON body as they arrive (blank lines skipped); leaving
 * the loop early cancels the body.
 *
 * @param body the response body
 * @returns the lines
 *
 * @example
 * ```ts
 * import { readWalkLines } from "./http_wire.ts";
 * const body = new Response('["",[],["a"]]\n\n{"error":{"code":"NotFound","message":"x"}}\n').body!;
 * const lines = await Array.fromAsync(readWalkLines(body));
 * console.assert(lines.length === 2 && Array.isArray(lines[0]) && !Array.isArray(lines[1]));
 * ```
 */
export async function* readWalkLines(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<WalkLine> {
  const reader = body.pipeThrough(
    new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>,
  ).getReader();
  let buf = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (value) buf += value;
      const lines = buf.split("\n");
      buf = done ? "" : lines.pop() ?? "";
      for (const line of lines) {
        if (line.trim() !== "") yield JSON.parse(line) as WalkLine;
      }
      if (done) break;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** Copies the optional fields that stat results and their JSON share. */
function copyOptional(
  from: Pick<StatResult, "etag" | "contentType" | "metadata">,
  to: Pick<StatResult, "etag" | "contentType" | "metadata">,
): void {
  if (from.etag !== undefined) to.etag = from.etag;
  if (from.contentType !== undefined) to.contentType = from.contentType;
  if (from.metadata !== undefined) to.metadata = from.metadata;
}

/**
 * A stat result as the server sends it.
 *
 * @param st the store's stat result
 * @param path its path relative to the store root
 * @returns the JSON
 *
 * @example
 * ```ts
 * import { statToJson } from "./http_wire.ts";
 * const j = statToJson({ path: "memory://r/a", size: 1, isDirectory: false, mtime: null }, "a");
 * console.assert(j.path === "a" && j.mtime === null && !("etag" in j));
 * ```
 */
export function statToJson(st: StatResult, path: string): StatJson {
  const out: StatJson = {
    path,
    size: st.size,
    isDirectory: st.isDirectory,
    mtime: st.mtime ? st.mtime.toISOString() : null,
  };
  copyOptional(st, out);
  return out;
}

/**
 * A stat result from the server's JSON (the inverse of {@linkcode statToJson}).
 *
 * @param j the JSON
 * @param path the full path (URI) on the client's side
 * @returns the stat result
 *
 * @example
 * ```ts
 * import { statFromJson } from "./http_wire.ts";
 * const st = statFromJson({ path: "a", size: 1, isDirectory: false, mtime: "2024-01-01T00:00:00.000Z" }, "http://h/a");
 * console.assert(st.mtime?.getUTCFullYear() === 2024 && st.path === "http://h/a");
 * ```
 */
export function statFromJson(j: StatJson, path: string): StatResult {
  const out: StatResult = {
    path,
    size: j.size,
    isDirectory: j.isDirectory,
    mtime: j.mtime ? new Date(j.mtime) : null,
  };
  copyOptional(j, out);
  return out;
}
