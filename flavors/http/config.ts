/**
 * Configuration of the `http` flavor (a client of a Stowage server) and its valibot
 * schema, which the registry and the CLI use to check and print it.
 *
 * @example
 * ```ts
 * import { httpConfigSchema } from "./config.ts";
 * const r = await httpConfigSchema["~standard"].validate({ path: "http://127.0.0.1:8000", timeoutMs: 0 });
 * console.assert(r.issues !== undefined);
 * ```
 *
 * @module
 */

import * as v from "valibot";
import type { ArtifactStoreConfig, Capabilities } from "../../src/types.ts";
import { closedConfig, type StandardSchemaV1 } from "../../src/flavor.ts";
import type { RetryOptions } from "../../src/http/mod.ts";
import { stripQuotes } from "../../src/uri.ts";

/** Configuration of an http store. */
export interface HttpStoreConfig extends ArtifactStoreConfig {
  /** The server's base URL, e.g. `http://127.0.0.1:8000` or `https://host/store`. */
  path: string;
  /** The bearer token; default: the `STOWAGE_TOKEN` environment variable. */
  token?: string;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
  /** The `fetch` to use (tests, workers, proxies). */
  fetch?: typeof fetch;
  /** Retry settings for requests that can be repeated. */
  retry?: RetryOptions;
  /** Time limit until response headers arrive, ms (default 60 000; not for streamed uploads). */
  timeoutMs?: number;
  /**
   * The longest wait for the next bytes of a response body, ms (default 30 000): a
   * stalled read is resumed from its last byte, a stalled answer tried again.
   */
  idleTimeoutMs?: number;
  /** Writes up to this many bytes are sent as one retryable request (default 1 MiB). */
  bufferBytes?: number;
  /** What the served store can do, when known (the defaults assume an object store). */
  capabilities?: Partial<Capabilities>;
}

/** The configuration schema of the `http` flavor. */
export const httpConfigSchema: StandardSchemaV1<unknown, HttpStoreConfig> = closedConfig(
  v.looseObject({
    path: v.pipe(
      v.string("'path' must be a string: the URL of the Stowage server"),
      v.transform(stripQuotes),
      v.nonEmpty("'path' is empty: give the URL of the Stowage server"),
    ),
    flavor: v.optional(v.string()),
    token: v.optional(v.string("'token' must be a string")),
    headers: v.optional(
      v.record(v.string(), v.string(), "'headers' must map names to strings"),
    ),
    fetch: v.optional(v.function("'fetch' must be a function")),
    retry: v.optional(v.looseObject({})),
    timeoutMs: v.optional(
      v.pipe(
        v.number(),
        v.integer(),
        v.minValue(1, "'timeoutMs' must be at least 1"),
      ),
    ),
    idleTimeoutMs: v.optional(
      v.pipe(
        v.number(),
        v.integer(),
        v.minValue(1, "'idleTimeoutMs' must be at least 1"),
      ),
    ),
    bufferBytes: v.optional(
      v.pipe(
        v.number(),
        v.integer(),
        v.minValue(0, "'bufferBytes' must be at least 0"),
      ),
    ),
    capabilities: v.optional(v.looseObject({})),
  }),
) as unknown as
  & v.GenericSchema<unknown, HttpStoreConfig>
  & StandardSchemaV1<unknown, HttpStoreConfig>;
