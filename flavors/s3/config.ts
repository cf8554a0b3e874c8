/**
 * Configuration of the S3 flavor and its valibot schema (which the registry, the
 * CLI and the HTTP adapter use to check and print it).
 *
 * @example
 * ```ts
 * import { s3ConfigSchema } from "./config.ts";
 * const r = await s3ConfigSchema["~standard"].validate({ path: "s3://bucket/prefix", partSize: 1 });
 * console.assert(r.issues !== undefined);
 * ```
 *
 * @module
 */

import * as v from "valibot";
import {
  baseConfigSchema,
  closedConfig,
  cloudConfigEntries,
  type StandardSchemaV1,
} from "../../src/flavor.ts";
import type { ArtifactStoreConfig } from "../../src/types.ts";
import type { ChecksumSetting } from "../../src/digest.ts";
import type { RetryOptions } from "../../src/http/mod.ts";
import type { ObjectStoreConfig } from "../../src/object_types.ts";

/** The smallest part S3 accepts (every part but the last). */
export const MIN_PART_SIZE: number = 5 * 1024 * 1024;
/** The largest part S3 accepts. */
export const MAX_PART_SIZE: number = 5 * 1024 * 1024 * 1024;
/** The default part size of streamed uploads. */
export const DEFAULT_PART_SIZE: number = 8 * 1024 * 1024;
/** The most parts of one multipart upload. */
export const MAX_PARTS = 10_000;

/** Configuration of an S3 store. Every credential field falls back to the environment. */
export interface S3StoreConfig extends ObjectStoreConfig {
  /** The root: `s3://bucket` or `s3://bucket/prefix`. */
  path: string;
  /** Signing region (default `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's, else `us-east-1`; `auto` for R2). */
  region?: string;
  /** A custom endpoint: R2, MinIO, Ceph, an emulator (default `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, else AWS). */
  endpoint?: string;
  /** Access key id (default `AWS_ACCESS_KEY_ID`, then the profile, web identity, container, instance). */
  accessKeyId?: string;
  /** Secret access key (default `AWS_SECRET_ACCESS_KEY`, …). */
  secretAccessKey?: string;
  /** Session token of temporary credentials (default `AWS_SESSION_TOKEN`). */
  sessionToken?: string;
  /** Profile of `~/.aws/credentials` and `~/.aws/config` (default `AWS_PROFILE`, else `default`). */
  profile?: string;
  /** Path-style URLs (`endpoint/bucket/key`). Default: path-style on a custom endpoint, virtual-hosted on AWS. */
  forcePathStyle?: boolean;
  /** Bytes per part of streamed uploads (default 8 MiB, at least 5 MiB, at most 5 GiB). */
  partSize?: number;
  /** Parts in flight at once (default 4). */
  concurrency?: number;
  /** Bytes per range of a parallel read (default 8 MiB, at least 64 KiB). */
  readPartSize?: number;
  /** Ranges in flight at once when reading past `readPartSize` (default 1: one GET; at most 64). */
  readConcurrency?: number;
  /**
   * The checksum sent with every PUT and part so the service verifies the bytes, and
   * checked on whole-object reads where the service returns one (default `"auto"`):
   * `"crc32"` or `"crc32c"` (S3 flexible checksums, `x-amz-checksum-*`), `"md5"`
   * (`Content-MD5`), `false` for none. `"auto"` (or `true`) is CRC32 on AWS and MD5
   * on a custom endpoint, since Ceph RGW and most S3-compatibles verify only
   * `Content-MD5`.
   */
  checksum?: ChecksumSetting;
  /** The `fetch` to use (tests inject faults; workers pass their own). */
  fetch?: typeof fetch;
  /** Retry settings of the HTTP client. */
  retry?: RetryOptions;
}

const optionalString = (what: string) =>
  v.optional(
    v.pipe(v.string(`'${what}' must be a string`), v.trim()),
  );

const s3Fields = v.looseObject({
  ...cloudConfigEntries,
  region: v.optional(
    v.pipe(
      v.string("'region' must be a string such as 'us-east-1' (or 'auto' for R2)"),
      v.trim(),
      v.regex(
        /^[a-z0-9-]*$/,
        "'region' must look like 'us-east-1' (lower-case letters, digits and dashes)",
      ),
    ),
  ),
  endpoint: v.optional(
    v.pipe(
      v.string("'endpoint' must be a URL string"),
      v.trim(),
      v.check(
        (s) => s === "" || /^https?:\/\/[^/?#]+(\/[^?#]*)?$/i.test(s),
        "'endpoint' must be an http:// or https:// URL such as 'https://ACCOUNT.r2.cloudflarestorage.com'",
      ),
    ),
  ),
  accessKeyId: optionalString("accessKeyId"),
  secretAccessKey: optionalString("secretAccessKey"),
  sessionToken: optionalString("sessionToken"),
  profile: optionalString("profile"),
  forcePathStyle: v.optional(v.boolean("'forcePathStyle' must be true or false")),
  partSize: v.optional(
    v.pipe(
      v.number("'partSize' must be a number of bytes"),
      v.integer("'partSize' must be a whole number of bytes"),
      v.minValue(
        MIN_PART_SIZE,
        `'partSize' must be at least 5 MiB (${MIN_PART_SIZE} bytes), the S3 minimum`,
      ),
      v.maxValue(
        MAX_PART_SIZE,
        `'partSize' must be at most 5 GiB (${MAX_PART_SIZE} bytes), the S3 maximum`,
      ),
    ),
  ),
});

/**
 * The valibot form of {@linkcode s3ConfigSchema}, for synchronous validation in
 * the store's constructor.
 */
export const s3Schema: v.GenericSchema<unknown, S3StoreConfig> = closedConfig(v.pipe(
  baseConfigSchema as v.GenericSchema<unknown, ArtifactStoreConfig>,
  s3Fields as unknown as v.GenericSchema<ArtifactStoreConfig, S3StoreConfig>,
));

/**
 * The schema of {@linkcode S3StoreConfig}: the base fields (`path`, quotes
 * stripped) and the S3 fields, each checked with a message that says what to fix.
 *
 * @example
 * ```ts
 * import { s3ConfigSchema } from "./config.ts";
 * const r = await s3ConfigSchema["~standard"].validate({ path: "'s3://b/p'", region: "eu-west-1" });
 * console.assert(!r.issues && r.value.path === "s3://b/p");
 * ```
 */
export const s3ConfigSchema: StandardSchemaV1<unknown, S3StoreConfig> = s3Schema;
