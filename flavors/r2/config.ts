/**
 * The configuration of an r2 store: the root, the binding (`bucket`, or `env`
 * holding it under the root's first segment), part size (at least R2's 5 MiB),
 * concurrency, and the read range size and concurrency.
 *
 * @module
 */

import * as v from "valibot";
import { closedConfig, readConfigEntries, type StandardSchemaV1 } from "../../src/flavor.ts";
import type { ObjectStoreConfig } from "../../src/object_types.ts";
import { stripQuotes } from "../../src/uri.ts";
import { isBucket, type R2BucketLike } from "./binding.ts";

/** Configuration of an r2 store. */
export interface R2StoreConfig extends ObjectStoreConfig {
  /** The root: `r2://BINDING` or `r2://BINDING/prefix`. */
  path: string;
  /** The binding object (`env.BUCKET`). */
  bucket?: R2BucketLike;
  /** The worker's `env`: the binding is `env[BINDING]`, BINDING from the path. */
  env?: Record<string, unknown>;
}

/** R2's smallest part of a multipart upload (all but the last), bytes. */
export const R2_MIN_PART = 5 * 1024 * 1024;

/** The configuration schema of the `r2` flavor (the binding passes through as is). */
export const r2ConfigSchema: StandardSchemaV1<unknown, R2StoreConfig> = closedConfig(v.looseObject({
  path: v.pipe(
    v.string("'path' must be a string such as 'r2://BUCKET/prefix'"),
    v.transform(stripQuotes),
    v.nonEmpty("'path' is empty: give 'r2://BINDING/prefix'"),
  ),
  flavor: v.optional(v.string()),
  ...readConfigEntries,
  partSize: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(R2_MIN_PART, `'partSize' must be at least ${R2_MIN_PART}`),
    ),
  ),
  concurrency: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1, "'concurrency' must be at least 1"),
    ),
  ),
  bucket: v.optional(
    v.custom<R2BucketLike>(isBucket, "'bucket' must be an R2 binding (env.BUCKET)"),
  ),
  env: v.optional(
    v.record(v.string(), v.unknown(), "'env' must be the Worker's env object"),
  ),
})) as unknown as
  & v.GenericSchema<unknown, R2StoreConfig>
  & StandardSchemaV1<unknown, R2StoreConfig>;
