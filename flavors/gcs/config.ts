/**
 * Configuration of the `gcp` flavor (Google Cloud Storage) and its valibot
 * schema, which the registry, the CLI and the HTTP adapter use to check and
 * print it.
 *
 * @example
 * ```ts
 * import { gcsConfigSchema } from "./config.ts";
 * const r = await gcsConfigSchema["~standard"].validate({ path: "gs://bucket/prefix", partSize: 1000 });
 * console.assert(r.issues !== undefined);
 * ```
 *
 * @module
 */

import * as v from "valibot";
import {
  baseConfigEntries,
  closedConfig,
  cloudConfigEntries,
  type StandardSchemaV1,
} from "../../src/flavor.ts";
import type { ChecksumSetting } from "../../src/digest.ts";
import type { RetryOptions } from "../../src/http/mod.ts";
import type { ObjectStoreConfig } from "../../src/object_types.ts";

/** Resumable-upload chunks must be multiples of this (256 KiB), except the last. */
export const CHUNK_GRANULARITY: number = 256 * 1024;
/** The default part size of streamed uploads (8 MiB, as Google recommends at least). */
export const DEFAULT_PART_SIZE: number = 8 * 1024 * 1024;
/** The largest part size accepted (5 GiB: one part is held in memory). */
export const MAX_PART_SIZE: number = 5 * 1024 * 1024 * 1024;

/**
 * Which mutating requests are retried after a transient failure (429, 5xx, a
 * broken connection). Reads, listings, deletes, resumable-session chunks and
 * status queries are always retried.
 *
 * - `"conditional"` (default, as Google's client libraries and
 *   `retry_tests.json`): uploads, copies (rewrite), compose and move are retried
 *   only when they carry a generation precondition (`ifGenerationMatch`), so a
 *   retry can never replace a newer object written meanwhile.
 * - `"always"`: retry them too (what gcsfs, and so ZenML, does): an unconditional
 *   write sent twice stores the same bytes twice, the last writer wins.
 */
export type GcsRetryStrategy = "conditional" | "always";

/** A service-account key file (`"type": "service_account"`), as the Cloud console downloads it. */
export interface ServiceAccountKey {
  /** Always `"service_account"`. */
  type: "service_account";
  /** The account's e-mail (the JWT issuer, the signed-URL credential). */
  client_email: string;
  /** The RSA private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
  private_key: string;
  /** The key id, sent as the JWT `kid`. */
  private_key_id?: string;
  /** Where the JWT is exchanged for an access token (default Google's). */
  token_uri?: string;
  /** The project, informational. */
  project_id?: string;
  /** Other fields of the file. */
  [key: string]: unknown;
}

/** A user credential file (`gcloud auth application-default login`). */
export interface AuthorizedUserKey {
  /** Always `"authorized_user"`. */
  type: "authorized_user";
  /** The OAuth client id. */
  client_id: string;
  /** The OAuth client secret. */
  client_secret: string;
  /** The long-lived refresh token. */
  refresh_token: string;
  /** Where the refresh token is exchanged (default Google's). */
  token_uri?: string;
  /** Other fields of the file. */
  [key: string]: unknown;
}

/** Credentials given inline: a parsed key file. */
export type GcsCredentials = ServiceAccountKey | AuthorizedUserKey;

/** A source of OAuth access tokens the caller manages. */
export type AccessTokenProvider = () => string | Promise<string>;

/**
 * Configuration of a GCS store. Credentials are looked up in this order:
 * `STORAGE_EMULATOR_HOST` (anonymous, wins over everything, as in Google's
 * clients, unless `endpoint` is set), `anonymous`, `accessToken`, `credentials`,
 * `keyFilename`, the `GOOGLE_APPLICATION_CREDENTIALS` file, gcloud's
 * application-default credentials file, then the metadata server of Google
 * Cloud (`GCE_METADATA_HOST` overrides its host). A custom `endpoint` with no
 * credentials anywhere is used anonymously (an emulator).
 */
export interface GcsStoreConfig extends ObjectStoreConfig {
  /** The root: `gs://bucket` or `gs://bucket/prefix`. */
  path: string;
  /**
   * The API root, e.g. `http://127.0.0.1:4443` for an emulator (default
   * `STORAGE_EMULATOR_HOST`, else `https://storage.googleapis.com`).
   */
  endpoint?: string;
  /** Send no credentials (public buckets, emulators). */
  anonymous?: boolean;
  /** An OAuth 2 access token, or a function returning a fresh one. */
  accessToken?: string | AccessTokenProvider;
  /** A service-account or authorized-user key: the parsed JSON, or its text. */
  credentials?: GcsCredentials | string;
  /** The path of a key file (read with `node:fs/promises` where a filesystem exists). */
  keyFilename?: string;
  /**
   * Bytes per chunk of resumable uploads, a multiple of 256 KiB (default 8 MiB).
   * Writes up to this size are one multipart request.
   */
  partSize?: number;
  /** Batch-delete requests (100 objects each) in flight at once (default 4). */
  concurrency?: number;
  /** Bytes per range of a parallel read (default 8 MiB, at least 64 KiB). */
  readPartSize?: number;
  /** Ranges in flight at once when reading past `readPartSize` (default 1: one GET; at most 64). */
  readConcurrency?: number;
  /** Which mutating requests are retried (default `"conditional"`). */
  retryStrategy?: GcsRetryStrategy;
  /**
   * Send CRC32C with uploads and verify it on whole-object reads (default `"auto"`).
   * GCS checks CRC32C: `"auto"`, `true` and any algorithm mean CRC32C; `false` none.
   */
  checksum?: ChecksumSetting;
  /** The OAuth scope requested (default `https://www.googleapis.com/auth/devstorage.read_write`). */
  scope?: string;
  /** The `fetch` to use (tests inject faults; workers pass their own). */
  fetch?: typeof fetch;
  /** Retry settings of the HTTP client. */
  retry?: RetryOptions;
}

const optionalString = (what: string) =>
  v.optional(
    v.pipe(v.string(`'${what}' must be a string`), v.trim()),
  );

const schema = closedConfig(v.looseObject({
  ...baseConfigEntries,
  ...cloudConfigEntries,
  endpoint: v.optional(
    v.pipe(
      v.string("'endpoint' must be a URL string"),
      v.trim(),
      v.check(
        (s) => s === "" || /^https?:\/\/[^/?#]+(\/[^?#]*)?$/i.test(s),
        "'endpoint' must be an http:// or https:// URL such as 'http://127.0.0.1:4443'",
      ),
    ),
  ),
  anonymous: v.optional(v.boolean("'anonymous' must be true or false")),
  accessToken: v.optional(
    v.union(
      [
        v.pipe(
          v.string(),
          v.trim(),
          v.nonEmpty("'accessToken' is empty: give an OAuth 2 access token"),
        ),
        v.custom<AccessTokenProvider>((f) => typeof f === "function"),
      ],
      "'accessToken' must be a non-empty string or a function returning one",
    ),
  ),
  credentials: v.optional(
    v.union(
      [
        v.pipe(v.string(), v.nonEmpty("'credentials' is empty: give a key file's JSON")),
        v.looseObject({ type: v.string() }),
      ],
      "'credentials' must be a key file's JSON text or its parsed object (with a 'type' field)",
    ),
  ),
  keyFilename: optionalString("keyFilename"),
  partSize: v.optional(
    v.pipe(
      v.number("'partSize' must be a number of bytes"),
      v.integer("'partSize' must be a whole number of bytes"),
      v.minValue(
        CHUNK_GRANULARITY,
        `'partSize' must be at least 256 KiB (${CHUNK_GRANULARITY} bytes), the GCS chunk granularity`,
      ),
      v.maxValue(MAX_PART_SIZE, `'partSize' must be at most 5 GiB (${MAX_PART_SIZE} bytes)`),
      v.check(
        (n) => n % CHUNK_GRANULARITY === 0,
        `'partSize' must be a multiple of 256 KiB (${CHUNK_GRANULARITY} bytes), as GCS resumable uploads require`,
      ),
    ),
  ),
  retryStrategy: v.optional(
    v.picklist(
      ["conditional", "always"],
      "'retryStrategy' must be 'conditional' or 'always'",
    ),
  ),
  scope: optionalString("scope"),
}));

/** The valibot form of the schema, for the store's own validation. */
export const gcsConfigValibot: v.GenericSchema<unknown, GcsStoreConfig> =
  schema as unknown as v.GenericSchema<
    unknown,
    GcsStoreConfig
  >;

/**
 * The schema of {@linkcode GcsStoreConfig}: the base fields (`path`, quotes
 * stripped) and the GCS fields, each checked with a message that says what to fix.
 *
 * @example
 * ```ts
 * import { gcsConfigSchema } from "./config.ts";
 * const r = await gcsConfigSchema["~standard"].validate({ path: "'gs://b/p'", partSize: 512 * 1024 });
 * console.assert(!r.issues && r.value.path === "gs://b/p");
 * ```
 */
export const gcsConfigSchema: StandardSchemaV1<unknown, GcsStoreConfig> =
  schema as unknown as StandardSchemaV1<
    unknown,
    GcsStoreConfig
  >;
