/**
 * A Stowage server's error answer → the matching {@linkcode ArtifactStoreError}: the
 * code from the JSON body (else the `x-stowage-error` header) picks the class; a
 * proxy's page or an unknown code falls back to the status alone.
 *
 * @example
 * ```ts
 * import { wireError } from "./errors.ts";
 * import { FileNotFoundError } from "../../src/errors.ts";
 * const body = JSON.stringify({ error: { code: "NotFound", message: "No 'a'" } });
 * const e = wireError(404, new Headers(), body, undefined, "http://127.0.0.1:8000");
 * console.assert(e instanceof FileNotFoundError && e.message === "No 'a' (on 'http://127.0.0.1:8000')");
 * ```
 *
 * @module
 */

import { type ArtifactStoreError, AuthenticationError } from "../../src/errors.ts";
import { errorForStatus, type HttpRequest, isRetryableStatus } from "../../src/http/mod.ts";
import { ERROR_HEADER, type ErrorBody, errorClassOf } from "../../src/http_wire.ts";

/**
 * The error for a server's answer.
 *
 * @param status the status
 * @param headers the response headers
 * @param body the response body (read up to a limit)
 * @param req the request, for its path and verb
 * @param server the store's root URL, named in messages
 * @returns the error
 */
export function wireError(
  status: number,
  headers: Headers,
  body: string,
  req: Pick<HttpRequest, "path" | "op"> | undefined,
  server: string,
): ArtifactStoreError {
  let code = headers.get(ERROR_HEADER) ?? undefined;
  let message: string | undefined;
  try {
    const parsed = JSON.parse(body) as Partial<{
      error: Partial<Record<keyof ErrorBody["error"], unknown>>;
    }>;
    if (typeof parsed?.error?.code === "string") code = parsed.error.code;
    if (typeof parsed?.error?.message === "string") {
      message = parsed.error.message;
    }
  } catch {
    // Not a Stowage server's answer (a proxy's page): map the status alone.
  }
  const path = req?.path;
  const opts = {
    path,
    flavor: "http",
    status,
    retryable: isRetryableStatus(status),
  };
  if (status === 401) {
    return new AuthenticationError(
      `The server at '${server}' refused the request${
        message ? `: ${message}` : ""
      }; pass its token as 'token' or set STOWAGE_TOKEN`,
      opts,
    );
  }
  const cls = errorClassOf(code);
  if (cls && message !== undefined) {
    return new cls(`${message} (on '${server}')`, opts);
  }
  if (cls) {
    return new cls(
      `Cannot ${req?.op ?? "access"} '${path ?? server}': ${code} (HTTP ${status})`,
      opts,
    );
  }
  return errorForStatus({
    status,
    path,
    flavor: "http",
    op: req?.op,
    message,
  });
}
