// The served store: request paths resolved against its root (the bounds check),
// answers with the root taken out, errors turned into statuses and JSON bodies.

import type { Context } from "hono";
import type { BaseArtifactStore, StatResult } from "../base.ts";
import {
  ArtifactStoreError,
  AuthenticationError,
  type ErrorCode,
  InvalidPathError,
  UnexpectedError,
} from "../errors.ts";
import { resolvePath, splitScheme, type StoreRoot } from "../path.ts";

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

/** The response header that repeats the error code (HEAD answers have no body). */
export const ERROR_HEADER = "x-stowage-error";

/** Prefix of the request and response headers that carry user metadata. */
export const METADATA_HEADER_PREFIX = "x-stowage-meta-";

const ERROR_STATUS: Record<ErrorCode, number> = {
  NotFound: 404,
  AlreadyExists: 409,
  IsADirectory: 409,
  NotADirectory: 409,
  PermissionDenied: 403,
  // A store error: the backend refused the server's own credentials, not the
  // client's (the app's own 401 answers are made by the token check).
  Unauthenticated: 502,
  PreconditionFailed: 412,
  NotSupported: 501,
  InvalidPath: 400,
  InvalidArgument: 400,
  Config: 500,
  Unknown: 500,
};

/** The client's own credentials were refused (by the `authorize` hook): 401. */
export class ClientAuthenticationError extends AuthenticationError {}

/** The served store's root: resolving request paths and hiding the root in answers. */
export class Served {
  readonly prefix: string;
  constructor(readonly store: BaseArtifactStore, readonly root: StoreRoot) {
    this.prefix = root.uri.endsWith("/") ? root.uri : root.uri + "/";
  }

  /** A decoded request path → the normalized key relative to the root, bounds-checked. */
  resolveRel(path: string): string {
    if (path.startsWith("/") || path.startsWith("\\") || splitScheme(path)) {
      throw new InvalidPathError(
        `Path '${path}' is absolute: paths are relative to the store root`,
      );
    }
    if (path === "") return "";
    return resolvePath(this.root, path, { flavor: this.store.flavor });
  }

  /** A store URI → the key relative to the root. */
  relOf(uri: string): string {
    if (uri === this.root.uri) return "";
    return uri.startsWith(this.prefix) ? uri.slice(this.prefix.length) : uri;
  }

  /** A message with the server's root taken out of the paths it quotes. */
  publicMessage(message: string): string {
    return message.split(`'${this.prefix}`).join("'").split(
      `'${this.root.uri}'`,
    ).join("'/'");
  }

  statJson(st: StatResult): StatJson {
    const out: StatJson = {
      path: this.relOf(st.path),
      size: st.size,
      isDirectory: st.isDirectory,
      mtime: st.mtime ? st.mtime.toISOString() : null,
    };
    if (st.etag !== undefined) out.etag = st.etag;
    if (st.contentType !== undefined) out.contentType = st.contentType;
    if (st.metadata !== undefined) out.metadata = st.metadata;
    return out;
  }

  /** The status and JSON body for an error. */
  errorBody(err: unknown, onError: (e: unknown) => void): ErrorBody {
    return this.describe(err, onError)[1];
  }

  describe(err: unknown, onError: (e: unknown) => void): [number, ErrorBody] {
    if (err instanceof ArtifactStoreError && !(err instanceof UnexpectedError)) {
      let status = ERROR_STATUS[err.code] ?? 500;
      if (err instanceof ClientAuthenticationError) status = 401;
      if (err.code === "Unknown" && err.status) status = 502;
      else if (err.code === "Unknown" && err.retryable) status = 503;
      return [status, {
        error: { code: err.code, message: this.publicMessage(err.message) },
      }];
    }
    onError(err);
    return [500, {
      error: {
        code: "Unknown",
        message: "Internal server error: see the server log",
      },
    }];
  }
}

export function errorResponse(
  c: Context,
  err: unknown,
  ctx: Served,
  onError: (e: unknown) => void,
): Response {
  const [status, body] = ctx.describe(err, onError);
  c.header(ERROR_HEADER, body.error.code);
  if (status === 401) c.header("WWW-Authenticate", 'Bearer realm="stowage"');
  return c.json(body, status as 400);
}

export function jsonError(
  c: Context,
  status: number,
  code: ErrorCode,
  message: string,
): Response {
  const body: ErrorBody = { error: { code, message } };
  c.header(ERROR_HEADER, code);
  return c.json(body, status as 400);
}
