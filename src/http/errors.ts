/**
 * The error-mapping preamble every flavor's mapper starts from: an HTTP status (and a
 * service's code and message) to the typed error, with retryability.
 *
 * @module
 */

import {
  ArtifactStoreError,
  AuthenticationError,
  FileExistsError,
  FileNotFoundError,
  InvalidArgumentError,
  NotSupportedError,
  PermissionDeniedError,
  PreconditionFailedError,
} from "../errors.ts";
import { isRetryableStatus } from "./client.ts";

/** What a mapper knows about a failure, for {@linkcode errorForStatus}. */
export interface StatusErrorInput {
  /** The HTTP status. */
  status: number;
  /** The provider's error code, if any (`NoSuchKey`, `BlobNotFound`). */
  code?: string;
  /** The provider's message, if any. */
  message?: string;
  /** The store path. */
  path?: string;
  /** The flavor. */
  flavor: string;
  /** The operation, for the message. */
  op?: string;
  /** Whether the request had a create-only precondition (412/409 then mean "exists"). */
  createOnly?: boolean;
  /** Force retryability (e.g. S3 `SlowDown`, `InternalError`). */
  retryable?: boolean;
}

/**
 * The generic status → error mapping (404 → not found, 412 → precondition or, for
 * create-only requests, already exists, 409 → exists, 401 → authentication, 403 →
 * permission, 400/416 → invalid argument, 501 → not supported; 408/429/5xx retryable).
 * Flavors refine it with their service's error codes.
 *
 * @param e the failure
 * @returns a typed error
 *
 * @example
 * ```ts
 * import { errorForStatus } from "./errors.ts";
 * import { FileNotFoundError } from "../errors.ts";
 * console.assert(errorForStatus({ status: 404, flavor: "s3", path: "s3://b/k" }) instanceof FileNotFoundError);
 * ```
 */
export function errorForStatus(e: StatusErrorInput): ArtifactStoreError {
  const where = e.path ? ` '${e.path}'` : "";
  const what = e.op ?? "access";
  const detail = [e.code, e.message].filter(Boolean).join(": ");
  const suffix = detail ? ` (${e.status} ${detail})` : ` (HTTP ${e.status})`;
  const opts = {
    path: e.path,
    flavor: e.flavor,
    status: e.status,
    retryable: e.retryable ?? isRetryableStatus(e.status),
  };
  switch (e.status) {
    case 404:
      return new FileNotFoundError(
        `Cannot ${what}${where}: not found${suffix}`,
        opts,
      );
    case 412:
    case 409:
      if (e.createOnly) {
        return new FileExistsError(`Cannot create${where}: it already exists${suffix}`, opts);
      }
      return e.status === 412
        ? new PreconditionFailedError(
          `Cannot ${what}${where}: a precondition failed (the object changed meanwhile?)${suffix}`,
          opts,
        )
        : new ArtifactStoreError(`Cannot ${what}${where}: conflict${suffix}`, opts);
    case 401:
      return new AuthenticationError(
        `Cannot ${what}${where}: the credentials were refused; check the key and secret${suffix}`,
        opts,
      );
    case 403:
      return new PermissionDeniedError(
        `Cannot ${what}${where}: permission denied; check what these credentials may do${suffix}`,
        opts,
      );
    case 400:
    case 416:
      return new InvalidArgumentError(
        `Cannot ${what}${where}: the service refused the request${suffix}`,
        opts,
      );
    case 501:
      return new NotSupportedError(
        `Cannot ${what}${where}: the service does not support this${suffix}`,
        opts,
      );
    default:
      return new ArtifactStoreError(
        `Cannot ${what}${where}: the service failed${suffix}`,
        opts,
      );
  }
}
