/**
 * The GCS error mapper: turns a failed JSON API response (status and the
 * `{"error": {"code", "message", "errors": [{"reason"}]}}` body, or the HTML /
 * XML bodies some endpoints send) into a typed Stowage error, and decides
 * whether a retry may help.
 *
 * @example
 * ```ts
 * import { mapGcsError } from "./errors.ts";
 * import { FileExistsError } from "../../src/errors.ts";
 * const err = mapGcsError({
 *   status: 412,
 *   headers: new Headers(),
 *   body: '{"error":{"code":412,"message":"At least one of the pre-conditions you specified did not hold."}}',
 *   request: { method: "POST", url: "https://storage.googleapis.com/upload/storage/v1/b/b/o?ifGenerationMatch=0", path: "gs://b/k" },
 * });
 * console.assert(err instanceof FileExistsError);
 * ```
 *
 * @module
 */

import { type ArtifactStoreError, AuthenticationError } from "../../src/errors.ts";
import { errorForStatus, type ErrorResponse, isRetryableStatus } from "../../src/http/mod.ts";

/** The flavor name (as ZenML calls it). */
export const FLAVOR = "gcp";

/** Reasons of the JSON API that mean a retry may succeed. */
const RETRYABLE_REASONS = new Set([
  "rateLimitExceeded",
  "userRateLimitExceeded",
  "backendError",
  "internalError",
]);

/** What a GCS error body says. */
export interface GcsErrorBody {
  /** The first `errors[].reason` (`notFound`, `conditionNotMet`, …). */
  reason?: string;
  /** The message. */
  message?: string;
  /** True when the body was the JSON API's error object. */
  json: boolean;
}

/**
 * Reads a GCS error body: the JSON API's error object, or the XML API's
 * `<Error><Code>…</Code><Message>…</Message></Error>`, or plain text.
 *
 * @param body the response text
 * @returns its reason and message
 *
 * @example
 * ```ts
 * import { parseGcsError } from "./errors.ts";
 * const e = parseGcsError('{"error":{"code":404,"message":"No such object: b/o","errors":[{"reason":"notFound"}]}}');
 * console.assert(e.reason === "notFound" && e.json);
 * ```
 */
export function parseGcsError(body: string): GcsErrorBody {
  const text = body.trim();
  if (text.startsWith("{")) {
    try {
      const j = JSON.parse(text) as {
        error?: {
          message?: string;
          errors?: { reason?: string; message?: string }[];
        } | string;
        error_description?: string;
      };
      if (typeof j.error === "object" && j.error) {
        return {
          reason: j.error.errors?.[0]?.reason,
          message: j.error.message ?? j.error.errors?.[0]?.message,
          json: true,
        };
      }
      if (typeof j.error === "string") {
        return { reason: j.error, message: j.error_description, json: true };
      }
    } catch {
      // not JSON after all
    }
  }
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  const msg = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  if (code || msg) return { reason: code, message: msg, json: false };
  const plain = text.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim();
  return { message: plain ? plain.slice(0, 300) : undefined, json: false };
}

/**
 * Maps a failed GCS response to a typed error: 404 → `FileNotFoundError`, 412 →
 * `FileExistsError` for create-only requests (`ifGenerationMatch=0`), else
 * `PreconditionFailedError`, 401 → `AuthenticationError`, 403 →
 * `PermissionDeniedError` (retryable when it is a rate limit), 429 and 5xx
 * retryable; a 400 saying a checksum did not match is retryable too (the bytes
 * broke on the way; the copy in memory is intact).
 *
 * @param res the failed response
 * @param extra a create-only flag the URL does not show (resumable sessions)
 * @returns the typed error
 *
 * @example
 * ```ts
 * import { mapGcsError } from "./errors.ts";
 * const e = mapGcsError({ status: 503, headers: new Headers(), body: "", request: { method: "GET", url: "http://x" } });
 * console.assert(e.retryable);
 * ```
 */
export function mapGcsError(
  res: ErrorResponse,
  extra: { createOnly?: boolean } = {},
): ArtifactStoreError {
  const { reason, message } = parseGcsError(res.body);
  const req = res.request;
  const createOnly = extra.createOnly ??
    /[?&]ifGenerationMatch=0(?:&|$)/.test(req.url);
  const opts = {
    path: req.path,
    flavor: FLAVOR,
    status: res.status,
  };
  if (res.status === 401) {
    const detail = [reason, message].filter(Boolean).join(": ");
    return new AuthenticationError(
      `Cannot ${req.op ?? "access"} '${
        req.path ?? "the bucket"
      }': Google Cloud Storage refused the credentials` +
        `${
          detail ? ` (401 ${detail})` : " (HTTP 401)"
        }; check the service-account key, the access token ` +
        "or GOOGLE_APPLICATION_CREDENTIALS",
      { ...opts, retryable: false },
    );
  }
  const checksumBroke = res.status === 400 &&
    /crc32c|md5|checksum|hash/i.test(`${reason ?? ""} ${message ?? ""}`);
  const retryable = isRetryableStatus(res.status) || checksumBroke ||
    (reason !== undefined && RETRYABLE_REASONS.has(reason));
  return errorForStatus({
    status: res.status,
    code: reason,
    message,
    path: req.path,
    flavor: FLAVOR,
    op: req.op,
    createOnly,
    retryable,
  });
}
