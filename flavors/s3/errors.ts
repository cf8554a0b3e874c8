/**
 * The S3 error mapper: one function that turns a failed S3 response (status, the
 * XML `<Error>` body, headers) into a typed Stowage error, and decides whether a
 * retry may help.
 *
 * @example
 * ```ts
 * import { mapS3Error } from "./errors.ts";
 * import { FileNotFoundError } from "../../src/errors.ts";
 * const err = mapS3Error({
 *   status: 404,
 *   headers: new Headers(),
 *   body: "<Error><Code>NoSuchKey</Code></Error>",
 *   request: { method: "GET", url: "http://127.0.0.1/b/k", path: "s3://b/k" },
 * });
 * console.assert(err instanceof FileNotFoundError);
 * ```
 *
 * @module
 */

import {
  type ArtifactStoreError,
  AuthenticationError,
  ConfigError,
  FileNotFoundError,
  IntegrityError,
  InvalidArgumentError,
  NotSupportedError,
  PermissionDeniedError,
} from "../../src/errors.ts";
import {
  errorForStatus,
  type ErrorResponse,
  type HttpRequest,
  isRetryableStatus,
} from "../../src/http/mod.ts";
import { parseXml } from "../../src/xml.ts";

/** The flavor name, for errors. */
export const FLAVOR = "s3";

/** S3 error codes that mean the same request may succeed when tried again. */
const RETRYABLE_CODES = new Set([
  "SlowDown",
  "InternalError",
  "RequestTimeout",
  "ServiceUnavailable",
  "ThrottlingException",
  "Throttling",
  "RequestThrottled",
  "TooManyRequests",
  "OperationAborted",
  "ConditionalRequestConflict",
  // The body was damaged on the way; the bytes in memory are intact.
  "BadDigest",
  "XAmzContentSHA256Mismatch",
  "IncompleteBody",
  // Temporary credentials expired between signing and arrival: re-signing with
  // refreshed ones helps.
  "ExpiredToken",
  "TokenRefreshRequired",
]);

const AUTH_CODES = new Set([
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "RequestTimeTooSkewed",
  "AuthorizationHeaderMalformed",
  "MissingSecurityHeader",
  "InvalidSecurity",
  "CredentialsNotSupported",
]);

const PERMISSION_CODES = new Set([
  "AccessDenied",
  "AllAccessDisabled",
  "AccountProblem",
  "InvalidPayer",
  "InvalidObjectState",
]);

/** What an S3 error body says. */
export interface S3ErrorBody {
  /** The error code (`NoSuchKey`, `SlowDown`, …). */
  code?: string;
  /** The human message. */
  message?: string;
  /** The bucket's region, when the service names it. */
  region?: string;
}

/**
 * Reads an S3 `<Error>` document. Anything else (an empty HEAD body, HTML from a
 * proxy) gives an empty result.
 *
 * @param body the response text
 * @returns the code, message and region found
 *
 * @example
 * ```ts
 * import { parseS3ErrorBody } from "./errors.ts";
 * console.assert(parseS3ErrorBody("<Error><Code>SlowDown</Code></Error>").code === "SlowDown");
 * console.assert(parseS3ErrorBody("").code === undefined);
 * ```
 */
export function parseS3ErrorBody(body: string): S3ErrorBody {
  if (!body.includes("<")) return {};
  try {
    const doc = parseXml(body);
    const el = doc.name === "Error" ? doc : doc.child("Error");
    if (!el) return {};
    return {
      code: el.text("Code") || undefined,
      message: el.text("Message") || undefined,
      region: el.text("Region") || undefined,
    };
  } catch {
    return {};
  }
}

/** Extra context the S3 mapper understands besides the response. */
export interface S3ErrorContext {
  /** An error code found elsewhere (a 200 response with an `<Error>` body). */
  code?: string;
  /** Its message. */
  message?: string;
}

/**
 * Maps a failed S3 response to a typed error: `NoSuchKey`/`NoSuchUpload` →
 * `FileNotFoundError`, `NoSuchBucket` → `FileNotFoundError` naming the bucket,
 * `AccessDenied` → `PermissionDeniedError`, `InvalidAccessKeyId`/
 * `SignatureDoesNotMatch`/`ExpiredToken` → `AuthenticationError`,
 * `PreconditionFailed` → `PreconditionFailedError` (or `FileExistsError` for a
 * create-only request, one carrying `If-None-Match: *`), `BadDigest` (a checksum
 * that does not match the bytes that arrived) → `IntegrityError`, a wrong region →
 * `ConfigError`; `SlowDown`, `InternalError`, `RequestTimeout`, 408, 429 and 5xx
 * are retryable. A HEAD response has no body: the status alone decides.
 *
 * @param res the failed response
 * @param extra a code found in a 200 response body, if any
 * @returns the typed error
 *
 * @example
 * ```ts
 * import { mapS3Error } from "./errors.ts";
 * const err = mapS3Error({
 *   status: 503,
 *   headers: new Headers(),
 *   body: "<Error><Code>SlowDown</Code></Error>",
 *   request: { method: "PUT", url: "http://127.0.0.1/b/k" },
 * });
 * console.assert(err.retryable);
 * ```
 */
export function mapS3Error(
  res: ErrorResponse,
  extra: S3ErrorContext = {},
): ArtifactStoreError {
  const parsed = parseS3ErrorBody(res.body);
  const code = extra.code ?? parsed.code ??
    res.headers.get("x-amz-error-code") ?? undefined;
  const message = extra.message ?? parsed.message ??
    res.headers.get("x-amz-error-message") ?? undefined;
  const req = res.request;
  const path = req.path;
  const op = req.op ?? req.method.toLowerCase();
  const where = path ? ` '${path}'` : "";
  const detail = ` (${res.status}${code ? ` ${code}` : ""}${message ? `: ${message}` : ""})`;
  const headers = new Headers(req.headers);
  const createOnly = headers.get("if-none-match") === "*";
  const retryable = (code !== undefined && RETRYABLE_CODES.has(code)) ||
    isRetryableStatus(res.status);
  const opts = { path, flavor: FLAVOR, status: res.status, retryable };

  const region = parsed.region ?? res.headers.get("x-amz-bucket-region");
  if (
    code === "PermanentRedirect" || code === "AuthorizationHeaderMalformed" ||
    code === "IllegalLocationConstraintException" ||
    (res.status === 301 && region)
  ) {
    return new ConfigError(
      `Cannot ${op}${where}: the bucket is in another region${
        region ? ` ('${region}')` : ""
      }; set 'region' (or AWS_REGION) to it${detail}`,
      opts,
    );
  }
  if (code === "NoSuchBucket") {
    const bucket = bucketOf(req.url, path);
    return new FileNotFoundError(
      `Cannot ${op}${where}: bucket${
        bucket ? ` '${bucket}'` : ""
      } does not exist; create it first or fix the store path${detail}`,
      opts,
    );
  }
  if (code !== undefined && AUTH_CODES.has(code)) {
    const hint = code === "RequestTimeTooSkewed"
      ? "the local clock is off; set it right"
      : code === "ExpiredToken" || code === "TokenRefreshRequired"
      ? "the session token has expired; refresh the credentials"
      : "check the access key id and secret access key";
    return new AuthenticationError(
      `Cannot ${op}${where}: the credentials were refused; ${hint}${detail}`,
      opts,
    );
  }
  if (code !== undefined && PERMISSION_CODES.has(code)) {
    return new PermissionDeniedError(
      `Cannot ${op}${where}: access denied; check what these credentials may do (IAM policy, bucket policy)${detail}`,
      opts,
    );
  }
  if (code === "BadDigest" || code === "XAmzContentSHA256Mismatch") {
    // The checksum sent (Content-MD5 or x-amz-checksum-*) does not match what arrived.
    return new IntegrityError(
      `Cannot ${op}${where}: the bytes were damaged on the way (their checksum does not match); ` +
        `nothing was written${detail}`,
      opts,
    );
  }
  if (code === "NotImplemented") {
    return new NotSupportedError(
      `Cannot ${op}${where}: this S3 service does not implement the request${detail}`,
      opts,
    );
  }
  if (
    code === "EntityTooLarge" || code === "EntityTooSmall" ||
    code === "InvalidPart" || code === "InvalidPartOrder" ||
    code === "KeyTooLongError" || code === "InvalidArgument" ||
    code === "MetadataTooLarge" || code === "InvalidRange"
  ) {
    return new InvalidArgumentError(
      `Cannot ${op}${where}: the service refused the request${detail}`,
      opts,
    );
  }
  return errorForStatus({
    status: res.status === 200 ? 500 : res.status,
    code,
    message,
    path,
    flavor: FLAVOR,
    op,
    createOnly,
    retryable,
  });
}

function bucketOf(url: string, path?: string): string | undefined {
  if (path?.startsWith("s3://")) return path.slice(5).split("/")[0];
  try {
    return new URL(url).pathname.split("/")[1] || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The typed error for a 200 answer that is no success: an `<Error>` document in its
 * `body` (S3 sends those on CompleteMultipartUpload, CopyObject, DeleteObjects, …),
 * or, with `missing`, an answer without what it must carry (an UploadId, an ETag).
 *
 * @param headers the answer's headers
 * @param request the request it answers
 * @param body the answer's text (`""` when it was not read)
 * @param missing what the answer lacks, for the message
 * @returns the error, to throw
 *
 * @example
 * ```ts
 * import { okAnswerError } from "./errors.ts";
 * const err = okAnswerError(new Headers(), { method: "POST", url: "" }, "", "no UploadId in the answer");
 * console.assert(err.status === 200 && err.message.includes("no UploadId"));
 * ```
 */
export function okAnswerError(
  headers: Headers,
  request: HttpRequest,
  body: string,
  missing?: string,
): ArtifactStoreError {
  return mapS3Error(
    { status: 200, headers, body, request },
    missing ? { code: "InternalError", message: missing } : {},
  );
}
