/**
 * Which checksum an S3 store sends and how: the `checksum` setting resolved per
 * endpoint, the headers of a body (flexible checksums or `Content-MD5`), and the
 * check of a whole-object read against the checksum the service returns.
 *
 * What `"auto"` picks, found by experiment (2026-12):
 * - AWS (no custom endpoint, or an `*.amazonaws.com` one): CRC32 flexible
 *   checksums, as the AWS SDKs send by default — S3 verifies them, stores them and
 *   returns them on a GET with `x-amz-checksum-mode: ENABLED`.
 * - Any other endpoint: `Content-MD5`. Ceph RGW 16 accepts `x-amz-checksum-crc32`
 *   and `-crc32c` but verifies neither (a wrong one is stored), returns none on
 *   GET, and refuses a wrong `Content-MD5` with `400 BadDigest`; fauxqs verifies
 *   nothing. MD5 is the one checksum S3-compatibles commonly verify.
 *
 * @module
 */

import { toBase64 } from "../../src/checksum.ts";
import {
  type ChecksumAlgorithm,
  type ChecksumSetting,
  hasher,
  verifyDigest,
} from "../../src/digest.ts";
import type { GetResult } from "../../src/object_types.ts";
import { FLAVOR } from "./errors.ts";

/**
 * The algorithm a setting means on an endpoint, or null for none.
 *
 * @param setting the `checksum` setting (`"auto"`, `true`, an algorithm, `false`)
 * @param endpoint the custom endpoint, or undefined for AWS
 * @returns the algorithm, or null
 *
 * @example
 * ```ts
 * import { pickS3Checksum } from "./integrity.ts";
 * console.assert(pickS3Checksum("auto", undefined) === "crc32");
 * console.assert(pickS3Checksum(true, "http://127.0.0.1:7480") === "md5");
 * console.assert(pickS3Checksum(false, undefined) === null);
 * ```
 */
export function pickS3Checksum(
  setting: ChecksumSetting,
  endpoint: string | undefined,
): ChecksumAlgorithm | null {
  if (setting === false) return null;
  if (setting !== "auto" && setting !== true) return setting;
  if (!endpoint) return "crc32";
  try {
    const host = new URL(endpoint).hostname;
    return /(^|\.)amazonaws\.com(\.cn)?$/.test(host) ? "crc32" : "md5";
  } catch {
    return "md5";
  }
}

/** The checksum headers of one body, and the flexible checksum (for the part list of a commit). */
export interface BodyChecksum {
  /** `Content-MD5`, or `x-amz-checksum-<alg>` with `x-amz-sdk-checksum-algorithm`. */
  headers: Record<string, string>;
  /** The base64 flexible checksum, when one is sent. */
  value?: string;
}

/**
 * The checksum headers of a body.
 *
 * @param algorithm the algorithm, or null for none
 * @param data the body
 * @returns the headers and the flexible checksum
 */
export async function bodyChecksum(
  algorithm: ChecksumAlgorithm | null,
  data: Uint8Array,
): Promise<BodyChecksum> {
  if (!algorithm) return { headers: {} };
  const value = toBase64((await hasher(algorithm)).digest(data));
  if (algorithm === "md5") return { headers: { "Content-MD5": value } };
  return {
    headers: {
      [`x-amz-checksum-${algorithm}`]: value,
      "x-amz-sdk-checksum-algorithm": algorithm.toUpperCase(),
    },
    value,
  };
}

/** The element of a part's checksum in a CompleteMultipartUpload body. */
export function partChecksumElement(algorithm: ChecksumAlgorithm): string {
  return algorithm === "crc32c" ? "ChecksumCRC32C" : "ChecksumCRC32";
}

/**
 * Attaches a check to a whole-object read when the service returned a full-object
 * CRC32 or CRC32C (a multipart object's composite one, `…-N`, checks nothing
 * this client can recompute from the bytes).
 *
 * @param result the read
 * @param headers the response's headers
 * @param path the object's URI, for the error
 * @returns the read, with `verify` when there is a checksum to check
 */
export async function withVerify(
  result: GetResult,
  headers: Headers,
  path: string,
): Promise<GetResult> {
  const encoding = (headers.get("content-encoding") ?? "identity").trim();
  if (encoding !== "" && encoding !== "identity") return result;
  for (const algorithm of ["crc32", "crc32c"] as const) {
    const value = headers.get(`x-amz-checksum-${algorithm}`)?.trim();
    if (!value || !/^[A-Za-z0-9+/]{6}==$/.test(value)) continue;
    if (headers.get("x-amz-checksum-type")?.toUpperCase() === "COMPOSITE") return result;
    const h = await hasher(algorithm);
    return { ...result, verify: (s) => verifyDigest(s, h, value, { path, flavor: FLAVOR }) };
  }
  return result;
}
