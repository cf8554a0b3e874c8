// The served store: request paths resolved against its root (the bounds check),
// answers with the root taken out, errors turned into statuses and JSON bodies.

import type { Context } from "hono";
import type { BaseArtifactStore } from "../base.ts";
import type { StatResult } from "../types.ts";
import {
  ArtifactStoreError,
  AuthenticationError,
  type ErrorCode,
  InvalidPathError,
  UnexpectedError,
} from "../errors.ts";
import {
  ERROR_HEADER,
  ERROR_STATUS,
  type ErrorBody,
  type StatJson,
  statToJson,
} from "../http_wire.ts";
import { resolvePath, type StoreRoot } from "../path.ts";
import { splitScheme } from "../uri.ts";

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

  /** A stat result as JSON, its path relative to the root. */
  statJson(st: StatResult): StatJson {
    return statToJson(st, this.relOf(st.path));
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
