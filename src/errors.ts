/**
 * Typed errors shared by every flavor.
 *
 * Every failure a store reports is an {@linkcode ArtifactStoreError} subclass with a
 * stable {@linkcode ArtifactStoreError.code}, the path it concerns, the flavor that
 * raised it and whether retrying could help.
 *
 * @example Telling a missing file from other failures
 * ```ts
 * import { ArtifactStoreError, FileNotFoundError } from "./errors.ts";
 *
 * const err: ArtifactStoreError = new FileNotFoundError("No such file", {
 *   path: "/tmp/x",
 * });
 * console.assert(err instanceof FileNotFoundError && err.code === "NotFound");
 * ```
 *
 * @module
 */

/** Stable error codes, one per error class. */
export type ErrorCode =
  | "Unknown"
  | "NotFound"
  | "AlreadyExists"
  | "IsADirectory"
  | "NotADirectory"
  | "PermissionDenied"
  | "Unauthenticated"
  | "PreconditionFailed"
  | "NotSupported"
  | "InvalidPath"
  | "InvalidArgument"
  | "Config"
  | "Integrity";

/** Details attached to an {@linkcode ArtifactStoreError}. */
export interface ArtifactStoreErrorOptions {
  /** The path (full URI) the failed operation concerned. */
  path?: string;
  /** The flavor of the store that raised the error. */
  flavor?: string;
  /** The HTTP status of the response behind the error, if any. */
  status?: number;
  /** Whether trying the same operation again may succeed. */
  retryable?: boolean;
  /**
   * Whether the service may have carried out the request although no answer said
   * so (an answer lost after the request was sent); see
   * {@linkcode ArtifactStoreError.uncertain}.
   */
  uncertain?: boolean;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * Base class of every error a store raises.
 *
 * @example Catching any store error
 * ```ts
 * import { ArtifactStoreError } from "./errors.ts";
 *
 * try {
 *   throw new ArtifactStoreError("Something failed", { path: "memory://x" });
 * } catch (err) {
 *   if (err instanceof ArtifactStoreError) console.log(err.code, err.path);
 * }
 * ```
 */
export class ArtifactStoreError extends Error {
  /** Stable machine-readable code; one per subclass. */
  readonly code: ErrorCode = "Unknown";
  /** The path the operation concerned, when there is one. */
  readonly path?: string;
  /** The flavor of the store that raised the error. */
  readonly flavor?: string;
  /** The HTTP status behind the error, for REST-backed stores. */
  readonly status?: number;
  /** Whether the same call may succeed if tried again. */
  readonly retryable: boolean;
  /**
   * True when an attempt of the failed call may have been carried out by the
   * service although its answer was lost (a connection reset after the request was
   * sent, a cut answer): the stored state may already be what the call asked for.
   * Check it (`exists`, `stat`) before repeating a call that is not idempotent.
   * Set by the HTTP client when it gives up after such an attempt.
   */
  uncertain: boolean;

  /**
   * Creates an error.
   *
   * @param message what failed and what to do about it
   * @param options path, flavor, status, retryability and cause
   */
  constructor(message: string, options: ArtifactStoreErrorOptions = {}) {
    super(
      message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = new.target.name;
    this.path = options.path;
    this.flavor = options.flavor;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.uncertain = options.uncertain ?? false;
  }
}

/** Nothing exists at the path. */
export class FileNotFoundError extends ArtifactStoreError {
  /** Always `"NotFound"`. */
  override readonly code = "NotFound";
}

/** Something already exists at the path (create-only write, copy without overwrite). */
export class FileExistsError extends ArtifactStoreError {
  /** Always `"AlreadyExists"`. */
  override readonly code = "AlreadyExists";
}

/** A file operation was given a directory. */
export class IsADirectoryError extends ArtifactStoreError {
  /** Always `"IsADirectory"`. */
  override readonly code = "IsADirectory";
}

/** A directory operation was given a file. */
export class NotADirectoryError extends ArtifactStoreError {
  /** Always `"NotADirectory"`. */
  override readonly code = "NotADirectory";
}

/** The credentials are valid but may not do this. */
export class PermissionDeniedError extends ArtifactStoreError {
  /** Always `"PermissionDenied"`. */
  override readonly code = "PermissionDenied";
}

/** The credentials are missing, wrong or expired. */
export class AuthenticationError extends ArtifactStoreError {
  /** Always `"Unauthenticated"`. */
  override readonly code = "Unauthenticated";
}

/** A conditional request's precondition did not hold. */
export class PreconditionFailedError extends ArtifactStoreError {
  /** Always `"PreconditionFailed"`. */
  override readonly code = "PreconditionFailed";
}

/** The store or flavor cannot do this operation or mode. */
export class NotSupportedError extends ArtifactStoreError {
  /** Always `"NotSupported"`. */
  override readonly code = "NotSupported";
}

/** The path is empty, malformed, or outside the store's root. */
export class InvalidPathError extends ArtifactStoreError {
  /** Always `"InvalidPath"`. */
  override readonly code = "InvalidPath";
}

/** An argument other than a path is invalid (a mode, a range, an option). */
export class InvalidArgumentError extends ArtifactStoreError {
  /** Always `"InvalidArgument"`. */
  override readonly code = "InvalidArgument";
}

/** A store or flavor configuration is invalid. */
export class ConfigError extends ArtifactStoreError {
  /** Always `"Config"`. */
  override readonly code = "Config";
}

/**
 * Bytes failed their checksum: the service refused an upload whose checksum did not
 * match what arrived (retryable: the bytes in memory are intact), or a download
 * did not match the checksum the service sent (not retryable by default: read it
 * again if you want to).
 */
export class IntegrityError extends ArtifactStoreError {
  /** Always `"Integrity"`. */
  override readonly code = "Integrity";
}

/**
 * Something a store did not expect went wrong inside it (a bug, in a flavor or in
 * what it called): code `"Unknown"`, the original error as `cause`. A server shows
 * its clients a generic message for it, never the details.
 */
export class UnexpectedError extends ArtifactStoreError {}

/** Context used when mapping a low-level failure to a typed error. */
export interface ErrorContext {
  /** The path (full URI) being operated on. */
  path?: string;
  /** The flavor doing the operation. */
  flavor?: string;
  /** A short verb for messages, e.g. `"read"`, `"write"`, `"list"`. */
  op?: string;
}

/**
 * Maps an error from the local filesystem (Node `code` such as `ENOENT`, or a Deno
 * error class) to the matching {@linkcode ArtifactStoreError}. Errors that already are
 * store errors pass through unchanged.
 *
 * @param err the error thrown by a filesystem call
 * @param ctx the path and operation, for the message
 * @returns a typed error
 *
 * @example
 * ```ts
 * import { FileNotFoundError, mapLocalError } from "./errors.ts";
 *
 * const e = Object.assign(new Error("x"), { code: "ENOENT" });
 * console.assert(mapLocalError(e, { path: "/a" }) instanceof FileNotFoundError);
 * ```
 */
export function mapLocalError(
  err: unknown,
  ctx: ErrorContext = {},
): ArtifactStoreError {
  if (err instanceof ArtifactStoreError) return err;
  const e = err as { code?: string; name?: string; message?: string };
  const code = e?.code ?? denoNameToCode(e?.name);
  const where = ctx.path ? ` '${ctx.path}'` : "";
  const op = ctx.op ?? "access";
  const opts = { path: ctx.path, flavor: ctx.flavor ?? "local", cause: err };
  switch (code) {
    case "ENOENT":
      return new FileNotFoundError(
        `Cannot ${op}${where}: no such file or directory`,
        opts,
      );
    case "EEXIST":
    case "ENOTEMPTY":
      return new FileExistsError(
        `Cannot ${op}${where}: it already exists`,
        opts,
      );
    case "EISDIR":
      return new IsADirectoryError(
        `Cannot ${op}${where}: it is a directory`,
        opts,
      );
    case "ENOTDIR":
      return new NotADirectoryError(
        `Cannot ${op}${where}: a parent in the path is a file, not a directory`,
        opts,
      );
    case "EACCES":
    case "EPERM":
      return new PermissionDeniedError(
        `Cannot ${op}${where}: permission denied; check the file's permissions`,
        opts,
      );
    case "ENAMETOOLONG":
    case "EINVAL":
      return new InvalidPathError(
        `Cannot ${op}${where}: the name is not valid here`,
        opts,
      );
    default:
      return new ArtifactStoreError(
        `Cannot ${op}${where}: ${e?.message ?? String(err)}`,
        { ...opts, retryable: code === "EAGAIN" || code === "EBUSY" },
      );
  }
}

function denoNameToCode(name: string | undefined): string | undefined {
  switch (name) {
    case "NotFound":
      return "ENOENT";
    case "AlreadyExists":
      return "EEXIST";
    case "IsADirectory":
      return "EISDIR";
    case "NotADirectory":
      return "ENOTDIR";
    case "PermissionDenied":
    case "NotCapable":
      return "EACCES";
    default:
      return undefined;
  }
}

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ConnectionRefused",
  "ConnectionReset",
]);

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Tells whether an error is a transport failure (a refused or reset connection, a
 * body cut short): fetch's `TypeError`s on every runtime and Node's socket codes.
 *
 * @param err the error
 * @returns true for a network failure
 *
 * @example
 * ```ts
 * import { isNetworkError } from "./errors.ts";
 * console.assert(isNetworkError(new TypeError("fetch failed")));
 * console.assert(!isNetworkError(new TypeError("x is not a function")));
 * ```
 */
export function isNetworkError(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 4; e = (e as Error).cause, depth++) {
    const code = errorCode(e);
    if (code && (NETWORK_CODES.has(code) || code.startsWith("UND_ERR"))) return true;
    const name = (e as Error).name;
    if (name === "ConnectionRefused" || name === "ConnectionReset" || name === "BrokenPipe") {
      return true;
    }
    if (
      e instanceof TypeError &&
      /fetch|network|connect|socket|body|request|stream|closed|reset|terminated/i.test(e.message)
    ) return true;
  }
  return false;
}

/**
 * Turns anything thrown inside a store into an {@linkcode ArtifactStoreError}, the one
 * type that leaves a public method: store errors pass through; a transport failure
 * becomes a retryable error naming the operation; a malformed response (a body cut
 * short and parsed) a retryable error too; a local filesystem error its typed class;
 * anything else an error that says it is unexpected, with the original as `cause`.
 * (An abort the caller asked for is not a store failure: the boundary passes it on
 * as given, see {@linkcode isAbortReason}.)
 *
 * @param err what was thrown
 * @param ctx the path, flavor and operation
 * @returns a typed error
 *
 * @example
 * ```ts
 * import { ArtifactStoreError, toStoreError } from "./errors.ts";
 * const e = toStoreError(new TypeError("fetch failed"), { path: "s3://b/k", op: "read" });
 * console.assert(e instanceof ArtifactStoreError && e.retryable);
 * ```
 */
export function toStoreError(
  err: unknown,
  ctx: ErrorContext = {},
): ArtifactStoreError {
  if (err instanceof ArtifactStoreError) return err;
  const where = ctx.path ? ` '${ctx.path}'` : "";
  const op = ctx.op ?? "access";
  const opts = { path: ctx.path, flavor: ctx.flavor, cause: err };
  const e = err as { name?: string; message?: string; cause?: { message?: string } };
  const detail = e?.message ?? String(err);
  if (isNetworkError(err)) {
    const cause = e?.cause?.message ? `: ${e.cause.message}` : "";
    return new ArtifactStoreError(
      `Cannot ${op}${where}: the connection failed (${detail}${cause}); trying again may succeed`,
      { ...opts, retryable: true },
    );
  }
  if (e?.name === "SyntaxError") {
    return new ArtifactStoreError(
      `Cannot ${op}${where}: the service sent a malformed response (${detail}); trying again may succeed`,
      { ...opts, retryable: true },
    );
  }
  const code = errorCode(err) ?? denoNameToCode(e?.name);
  if (code && /^E[A-Z]+$/.test(code)) return mapLocalError(err, { ...ctx, op });
  return new UnexpectedError(
    `Cannot ${op}${where}: unexpected ${e?.name ?? typeof err}: ${detail}`,
    opts,
  );
}

/**
 * Tells whether an error is a cancellation the caller asked for (an aborted signal's
 * reason), which is passed on as given rather than turned into a store error.
 *
 * @param err the error
 * @returns true for `AbortError` and `TimeoutError`
 *
 * @example
 * ```ts
 * import { isAbortReason } from "./errors.ts";
 * const c = new AbortController();
 * c.abort();
 * console.assert(isAbortReason(c.signal.reason));
 * ```
 */
export function isAbortReason(err: unknown): boolean {
  const name = (err as { name?: unknown })?.name;
  return name === "AbortError" || name === "TimeoutError";
}
