// Who may ask what: the Host guard (DNS rebinding), the bearer-token check, and per
// path the read-only mode and the authorize hook.

import type { Context, MiddlewareHandler } from "hono";
import { AuthenticationError, PermissionDeniedError } from "../errors.ts";
import { joinUri } from "../path.ts";
import type { ArtifactStoreAppOptions, Operation } from "./_options.ts";
import { WRITE_OPERATIONS } from "./_options.ts";
import { constantTimeEqual, decodeTail, isLoopbackHost, sha256 } from "./_request.ts";
import { ClientAuthenticationError, jsonError, type Served } from "./_served.ts";

/**
 * Refuses requests whose `Host` (and URL host) is neither a loopback name (when the
 * server binds one) nor in `allowedHosts`.
 */
export function hostGuard(
  loopbackBind: boolean,
  allowedHosts: ReadonlySet<string>,
): MiddlewareHandler {
  return async (c, next) => {
    const names = [new URL(c.req.url).host, c.req.header("host")].filter(
      (h): h is string => h !== undefined && h !== "",
    );
    const ok = names.length > 0 && names.every((h) =>
      (loopbackBind && isLoopbackHost(h)) ||
      allowedHosts.has(h.toLowerCase()) ||
      allowedHosts.has(h.toLowerCase().replace(/:\d+$/, ""))
    );
    if (!ok) {
      const which = loopbackBind
        ? "this server listens on a loopback address and answers only loopback host names"
        : "this server answers only the host names in allowedHosts";
      return jsonError(
        c,
        403,
        "PermissionDenied",
        `Host '${
          names.at(-1) ?? ""
        }' is not allowed: ${which} (add it to allowedHosts to accept it)`,
      );
    }
    await next();
  };
}

/** Answers 401 with a bearer challenge. */
function refuse(c: Context, challenge: string, message: string): Response {
  c.header("WWW-Authenticate", challenge);
  return jsonError(c, 401, "Unauthenticated", message);
}

/** Lets through only requests with `Authorization: Bearer <one of tokens>` (constant time). */
export function bearerAuth(tokens: readonly string[]): MiddlewareHandler {
  const digests = Promise.all(tokens.map(sha256));
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!m) {
      return refuse(
        c,
        'Bearer realm="stowage"',
        "Missing bearer token: send 'Authorization: Bearer <token>'",
      );
    }
    const given = await sha256(m[1]);
    let ok = false;
    for (const d of await digests) ok = constantTimeEqual(given, d) || ok;
    if (!ok) {
      return refuse(
        c,
        'Bearer realm="stowage", error="invalid_token"',
        "The bearer token was refused: check the token the server printed",
      );
    }
    await next();
  };
}

/** The checks made per path, after the token: read-only mode and the authorize hook. */
export class Access {
  constructor(
    readonly served: Served,
    readonly options: Pick<ArtifactStoreAppOptions, "readOnly" | "authorize">,
  ) {}

  /** Checks read-only mode and the authorize hook for one path. */
  async allow(c: Context, op: Operation, rel: string): Promise<void> {
    if (this.options.readOnly && WRITE_OPERATIONS.includes(op)) {
      throw new PermissionDeniedError(
        `This server is read-only: '${op}' on '${rel}' is refused`,
      );
    }
    if (!this.options.authorize) return;
    let ok: boolean;
    try {
      ok = await this.options.authorize(c, op, rel);
    } catch (err) {
      // The hook's AuthenticationError is about the client's credentials: 401.
      if (err instanceof AuthenticationError) {
        throw new ClientAuthenticationError(err.message, { cause: err });
      }
      throw err;
    }
    if (!ok) {
      throw new PermissionDeniedError(
        `Not allowed to ${op} '${rel}' with these credentials`,
      );
    }
  }

  /** The target of a `/{route}/{path}` request, checked. */
  async target(c: Context, op: Operation): Promise<{ rel: string; uri: string }> {
    const rel = this.served.resolveRel(decodeTail(c));
    await this.allow(c, op, rel);
    return { rel, uri: joinUri(this.served.root, rel) };
  }
}
