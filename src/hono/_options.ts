// The options of artifactStoreApp and the operations its authorize hook is asked about.

import type { Context } from "hono";

/** What a request asks the store to do; `authorize` receives one of these. */
export type Operation =
  | "read"
  | "stat"
  | "exists"
  | "list"
  | "walk"
  | "glob"
  | "write"
  | "delete"
  | "copy"
  | "rename"
  | "mkdir";

/** The operations that change the store; a read-only app refuses them (403). */
export const WRITE_OPERATIONS: readonly Operation[] = [
  "write",
  "delete",
  "copy",
  "rename",
  "mkdir",
];

/** CORS settings for {@linkcode ArtifactStoreAppOptions.cors}. */
export interface CorsOptions {
  /** Allowed origins (`"*"` for any). */
  origin: string | readonly string[];
  /** How long browsers may cache a preflight answer, seconds. */
  maxAge?: number;
  /** Allow credentials (cookies); not needed for bearer tokens. */
  credentials?: boolean;
}

/** Options of {@linkcode artifactStoreApp}. */
export interface ArtifactStoreAppOptions {
  /**
   * Bearer tokens accepted in `Authorization: Bearer <token>` (compared in constant
   * time). A request without one of them gets 401.
   */
  tokens?: string | readonly string[];
  /**
   * Decides whether a request may do `operation` on `path` (relative to the store
   * root, normalized; `""` is the root; for `glob`, the pattern). Called after the
   * token check, once per path (twice for copy and rename: source and destination).
   * `false` answers 403; throwing an `AuthenticationError` answers 401.
   */
  authorize?: (
    c: Context,
    operation: Operation,
    path: string,
  ) => boolean | Promise<boolean>;
  /** Refuse every operation that changes the store (403). */
  readOnly?: boolean;
  /** A path prefix for every route, e.g. `"/store"`. */
  basePath?: string;
  /** Answer CORS requests: `true` for any origin, or the allowed origins. */
  cors?: boolean | CorsOptions;
  /**
   * Answer `GET /files/…` with a 302 to a short-lived presigned URL where the store
   * can presign (`capabilities.presign`); `expiresIn` in seconds (default 300).
   */
  redirect?: boolean | { expiresIn?: number };
  /**
   * The address the server binds. On a loopback address (`127.0.0.1`, `::1`,
   * `localhost`) requests whose `Host` is not a loopback name are refused (DNS
   * rebinding guard). Any other address, or none, needs `tokens` or `authorize`
   * unless `allowAnonymous` is set.
   */
  hostname?: string;
  /** More `Host` names to accept (a reverse proxy in front of a loopback bind). */
  allowedHosts?: readonly string[];
  /** Serve without authentication on a non-loopback (or unknown) address. */
  allowAnonymous?: boolean;
  /** Called with unexpected (non-store) errors; default `console.error`. */
  onError?: (error: unknown) => void;
}
