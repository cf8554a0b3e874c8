/**
 * The Azure Blob error mapper: one function that turns a failed response (status,
 * the `<Error><Code>` body or the `x-ms-error-code` header) into a typed Stowage
 * error and decides whether a retry may help.
 *
 * @example
 * ```ts
 * import { mapAzureError } from "./errors.ts";
 * import { FileNotFoundError } from "../../src/errors.ts";
 * const err = mapAzureError({
 *   status: 404,
 *   headers: new Headers({ "x-ms-error-code": "BlobNotFound" }),
 *   body: "",
 *   request: { method: "HEAD", url: "https://a.blob.core.windows.net/c/k", path: "az://c/k" },
 * });
 * console.assert(err instanceof FileNotFoundError);
 * ```
 *
 * @module
 */

import {
  type ArtifactStoreError,
  AuthenticationError,
  FileExistsError,
  FileNotFoundError,
  InvalidArgumentError,
  PermissionDeniedError,
} from "../../src/errors.ts";
import { errorForStatus, type ErrorResponse, isRetryableStatus } from "../../src/http/mod.ts";
import { parseXml } from "../../src/xml.ts";

/** The flavor name, for errors. */
export const FLAVOR = "azure";

/** Codes that mean the same request may succeed when tried again. */
const RETRYABLE_CODES = new Set([
  "ServerBusy",
  "InternalError",
  "OperationTimedOut",
  // The body was damaged on the way; the bytes in memory are intact.
  "Md5Mismatch",
  "Crc64Mismatch",
]);

/** Codes of a request whose credentials were refused. */
const AUTH_CODES = new Set([
  "AuthenticationFailed",
  "InvalidAuthenticationInfo",
  "NoAuthenticationInformation",
  "AuthenticationError",
]);

/** Codes of credentials that are valid but may not do this. */
const PERMISSION_CODES = new Set([
  "AuthorizationFailure",
  "AuthorizationPermissionMismatch",
  "AuthorizationProtocolMismatch",
  "AuthorizationResourceTypeMismatch",
  "AuthorizationServiceMismatch",
  "AuthorizationSourceIPMismatch",
  "InsufficientAccountPermissions",
  "AccountIsDisabled",
  "KeyBasedAuthenticationNotPermitted",
]);

/** Codes of a request the service considers malformed. */
const INVALID_CODES = new Set([
  "InvalidBlobType",
  "InvalidBlockId",
  "InvalidBlockList",
  "InvalidHeaderValue",
  "InvalidInput",
  "InvalidMetadata",
  "InvalidQueryParameterValue",
  "InvalidRange",
  "InvalidResourceName",
  "InvalidUri",
  "OutOfRangeInput",
  "RequestBodyTooLarge",
  "BlockCountExceedsLimit",
  "BlockListTooLong",
  "MaxBlobSizeConditionNotMet",
]);

/** What an Azure error says. */
export interface AzureErrorBody {
  /** The error code (`BlobNotFound`, `ServerBusy`, …). */
  code?: string;
  /** The first line of the message. */
  message?: string;
}

/**
 * Reads an Azure `<Error>` document (or a JSON `{ error: { code, message } }`).
 * Anything else gives an empty result.
 *
 * @param body the response text
 * @returns the code and message found
 *
 * @example
 * ```ts
 * import { parseAzureErrorBody } from "./errors.ts";
 * console.assert(parseAzureErrorBody("<Error><Code>ServerBusy</Code></Error>").code === "ServerBusy");
 * console.assert(parseAzureErrorBody("").code === undefined);
 * ```
 */
export function parseAzureErrorBody(body: string): AzureErrorBody {
  const text = body.trim();
  try {
    if (text.startsWith("{")) {
      const e = JSON.parse(text)?.error ?? {};
      return { code: e.code || undefined, message: firstLine(e.message) };
    }
    if (!text.includes("<")) return {};
    const doc = parseXml(text);
    const el = doc.name === "Error" ? doc : doc.child("Error");
    if (!el) return {};
    return { code: el.text("Code") || undefined, message: firstLine(el.text("Message")) };
  } catch {
    return {};
  }
}

function firstLine(s: string | undefined): string | undefined {
  const line = s?.split("\n")[0].trim();
  return line || undefined;
}

/** Extra context besides the response. */
export interface AzureErrorContext {
  /** An error code found elsewhere (a batch sub-response). */
  code?: string;
  /** Its message. */
  message?: string;
}

/**
 * Maps a failed Blob service response to a typed error: `BlobNotFound` →
 * `FileNotFoundError`, `ContainerNotFound` → `FileNotFoundError` naming the
 * container, `BlobAlreadyExists` → `FileExistsError`, `ConditionNotMet` →
 * `PreconditionFailedError` (or `FileExistsError` for a create-only request),
 * `AuthenticationFailed` / `InvalidAuthenticationInfo` → `AuthenticationError`,
 * `AuthorizationFailure` → `AuthenticationError` when the message says the
 * signature was refused (Azurite's answer to a wrong key) and
 * `PermissionDeniedError` otherwise, `AuthorizationPermissionMismatch` →
 * `PermissionDeniedError`; `ServerBusy`, `InternalError`, `OperationTimedOut`,
 * 408, 429 and 5xx are retryable.
 *
 * @param res the failed response
 * @param extra a code found elsewhere, if any
 * @returns the typed error
 *
 * @example
 * ```ts
 * import { mapAzureError } from "./errors.ts";
 * const err = mapAzureError({
 *   status: 503,
 *   headers: new Headers(),
 *   body: "<Error><Code>ServerBusy</Code><Message>Busy</Message></Error>",
 *   request: { method: "PUT", url: "https://a.blob.core.windows.net/c/k" },
 * });
 * console.assert(err.retryable);
 * ```
 */
export function mapAzureError(
  res: ErrorResponse,
  extra: AzureErrorContext = {},
): ArtifactStoreError {
  const parsed = parseAzureErrorBody(res.body);
  const code = extra.code ?? parsed.code ?? res.headers.get("x-ms-error-code") ?? undefined;
  const message = extra.message ?? parsed.message;
  const req = res.request;
  const path = req.path;
  const op = req.op ?? req.method.toLowerCase();
  const where = path ? ` '${path}'` : "";
  const detail = ` (${res.status}${code ? ` ${code}` : ""}${message ? `: ${message}` : ""})`;
  const createOnly = new Headers(req.headers).get("if-none-match") === "*";
  const retryable = (code !== undefined && RETRYABLE_CODES.has(code)) ||
    isRetryableStatus(res.status);
  const opts = { path, flavor: FLAVOR, status: res.status, retryable };

  if (code === "ContainerNotFound") {
    const container = path?.startsWith("az://") ? path.slice(5).split("/")[0] : undefined;
    return new FileNotFoundError(
      `Cannot ${op}${where}: container${
        container ? ` '${container}'` : ""
      } does not exist; create it first or fix the store path${detail}`,
      opts,
    );
  }
  if (code === "BlobNotFound" || code === "ResourceNotFound" || code === "PathNotFound") {
    return new FileNotFoundError(`Cannot ${op}${where}: not found${detail}`, opts);
  }
  if (code === "BlobAlreadyExists" || code === "PathAlreadyExists") {
    return new FileExistsError(`Cannot create${where}: it already exists${detail}`, opts);
  }
  const badSignature = code === "AuthorizationFailure" &&
    /failed to authenticate/i.test(message ?? "");
  if ((code !== undefined && AUTH_CODES.has(code)) || badSignature) {
    const hint = /expired/i.test(message ?? "")
      ? "the token or SAS has expired; refresh the credentials"
      : /time|date/i.test(message ?? "") && !/signature/i.test(message ?? "")
      ? "check the local clock and the SAS start and expiry times"
      : "check the account name and key, the SAS token or the service principal";
    return new AuthenticationError(
      `Cannot ${op}${where}: the credentials were refused; ${hint}${detail}`,
      opts,
    );
  }
  if (code !== undefined && PERMISSION_CODES.has(code)) {
    return new PermissionDeniedError(
      `Cannot ${op}${where}: permission denied; check what these credentials may do ` +
        `(SAS permissions, role assignments such as Storage Blob Data Contributor)${detail}`,
      opts,
    );
  }
  if (code !== undefined && INVALID_CODES.has(code)) {
    return new InvalidArgumentError(
      `Cannot ${op}${where}: the service refused the request${detail}`,
      opts,
    );
  }
  return errorForStatus({
    status: res.status,
    code,
    message,
    path,
    flavor: FLAVOR,
    op,
    createOnly,
    retryable,
  });
}
