/**
 * The `r2` flavor (`r2://BINDING/prefix`): a Cloudflare R2 bucket reached through a
 * Workers binding, for stores inside a worker. The binding object is passed in the
 * configuration (`bucket`, or `env` holding it under the URI's first segment); no
 * credentials, no HTTP.
 *
 * Every artifact-store operation comes from {@linkcode ObjectStore} over the
 * binding's `head`, `get` (ranges, `onlyIf`), `put` (`onlyIf` for create-only),
 * `list` (delimiter and cursor), `delete` (up to 1000 keys) and
 * `createMultipartUpload` (equal part sizes, as R2 requires). The binding has no
 * server-side copy: `copyfile` and `rename` stream the object through the worker
 * part by part.
 *
 * @example In a worker
 * ```ts ignore
 * import { R2ArtifactStore } from "./r2.ts";
 *
 * export default {
 *   async fetch(_req: Request, env: { BUCKET: unknown }) {
 *     const store = new R2ArtifactStore({ path: "r2://BUCKET/artifacts", env });
 *     return Response.json(await store.listdir("r2://BUCKET/artifacts"));
 *   },
 * };
 * ```
 *
 * @module
 */

import { emptyBody } from "../src/streams.ts";
import { BUILTINS } from "../src/builtins.ts";
import { registerBuiltin } from "../src/flavor_registry.ts";
import * as v from "valibot";
import type { Capabilities } from "../src/types.ts";
import {
  ArtifactStoreError,
  ConfigError,
  FileNotFoundError,
  InvalidPathError,
  PreconditionFailedError,
} from "../src/errors.ts";
import { closedConfig, type Flavor, parseConfig, type StandardSchemaV1 } from "../src/flavor.ts";
import { ObjectStore } from "../src/object_store.ts";
import type {
  DeleteFailure,
  GetResult,
  ListPage,
  ListPageOptions,
  MultipartUpload,
  ObjectMeta,
  ObjectStoreConfig,
  PutOptions,
} from "../src/object_backend.ts";
import { stripQuotes } from "../src/uri.ts";

/** The part of an R2 object's description this flavor reads. */
export interface R2ObjectLike {
  /** The key. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** The entity tag, unquoted. */
  etag: string;
  /** The entity tag as an HTTP header value (quoted). */
  httpEtag?: string;
  /** Upload time. */
  uploaded: Date;
  /** HTTP metadata; `contentType` is used. */
  httpMetadata?: { contentType?: string };
  /** User metadata. */
  customMetadata?: Record<string, string>;
  /** The range a ranged `get` returned. */
  range?: { offset?: number; length?: number };
}

/** An R2 object with its body, as `get` returns it. */
export interface R2ObjectBodyLike extends R2ObjectLike {
  /** The bytes. */
  body: ReadableStream<Uint8Array>;
}

/** One page of an R2 listing. */
export interface R2ListResultLike {
  /** Objects on this page. */
  objects: R2ObjectLike[];
  /** True when more pages follow. */
  truncated: boolean;
  /** The cursor for the next page. */
  cursor?: string;
  /** Common prefixes, with a delimiter. */
  delimitedPrefixes: string[];
}

/** An R2 multipart upload in progress. */
export interface R2MultipartUploadLike {
  /** Uploads one part (1-based). */
  uploadPart(
    partNumber: number,
    value: Uint8Array,
  ): Promise<{ partNumber: number; etag: string }>;
  /** Commits the parts. */
  complete(
    parts: { partNumber: number; etag: string }[],
  ): Promise<R2ObjectLike>;
  /** Discards the upload. */
  abort(): Promise<void>;
}

/**
 * The methods of a Workers R2 binding (`R2Bucket`) this flavor uses — a structural
 * type, so no `@cloudflare/workers-types` dependency is needed.
 */
export interface R2BucketLike {
  /** Metadata of an object, or null. */
  head(key: string): Promise<R2ObjectLike | null>;
  /** An object (with body), its metadata alone when `onlyIf` fails, or null. */
  get(
    key: string,
    options?: {
      range?: { offset: number; length?: number };
      onlyIf?: { etagMatches?: string };
    },
  ): Promise<R2ObjectBodyLike | R2ObjectLike | null>;
  /** Stores an object; null when `onlyIf` fails. */
  put(
    key: string,
    value: Uint8Array,
    options?: {
      onlyIf?: { etagDoesNotMatch?: string };
      httpMetadata?: { contentType?: string };
      customMetadata?: Record<string, string>;
    },
  ): Promise<R2ObjectLike | null>;
  /** Deletes one or up to 1000 keys. */
  delete(keys: string | string[]): Promise<void>;
  /** Lists a page of keys. */
  list(options?: {
    prefix?: string;
    delimiter?: string;
    cursor?: string;
    limit?: number;
    include?: ("httpMetadata" | "customMetadata")[];
  }): Promise<R2ListResultLike>;
  /** Starts a multipart upload. */
  createMultipartUpload(
    key: string,
    options?: {
      httpMetadata?: { contentType?: string };
      customMetadata?: Record<string, string>;
    },
  ): Promise<R2MultipartUploadLike>;
}

/** Configuration of an r2 store. */
export interface R2StoreConfig extends ObjectStoreConfig {
  /** The root: `r2://BINDING` or `r2://BINDING/prefix`. */
  path: string;
  /** The binding object (`env.BUCKET`). */
  bucket?: R2BucketLike;
  /** The worker's `env`: the binding is `env[BINDING]`, BINDING from the path. */
  env?: Record<string, unknown>;
}

const R2_MIN_PART = 5 * 1024 * 1024;

function isBucket(x: unknown): x is R2BucketLike {
  const b = x as R2BucketLike;
  return typeof b === "object" && b !== null &&
    ["head", "get", "put", "list", "delete", "createMultipartUpload"].every(
      (m) => typeof (b as unknown as Record<string, unknown>)[m] === "function",
    );
}

/**
 * A store over a Workers R2 binding.
 *
 * @example
 * ```ts ignore
 * import { R2ArtifactStore } from "./r2.ts";
 * declare const env: { BUCKET: unknown };
 * const store = new R2ArtifactStore({ path: "r2://BUCKET/prefix", env });
 * ```
 */
export class R2ArtifactStore extends ObjectStore {
  /** The flavor name. */
  static override FLAVOR: string = BUILTINS.r2.name;
  /** The schemes served. */
  static override SUPPORTED_SCHEMES: readonly string[] = BUILTINS.r2.supportedSchemes;

  readonly #bucket: R2BucketLike;

  /**
   * Creates a store over an R2 binding.
   *
   * @param config the root, the binding (`bucket` or `env`), part size and concurrency
   */
  constructor(config: R2StoreConfig) {
    super(parseConfig(r2ConfigSchema, config, "r2"), 8 * 1024 * 1024);
    const name = this.bucket;
    const b = config.bucket ?? config.env?.[name];
    if (!isBucket(b)) {
      throw new ConfigError(
        `No R2 binding for '${this.path}': pass { bucket: env.${
          name || "BUCKET"
        } } or { env } with a binding named '${name}' (wrangler.toml [[r2_buckets]] binding)`,
        { flavor: "r2", path: this.path },
      );
    }
    if (this.partSize < R2_MIN_PART) {
      throw new ConfigError(
        `partSize ${this.partSize} is below R2's minimum part size of ${R2_MIN_PART} bytes`,
        { flavor: "r2", path: this.path },
      );
    }
    this.#bucket = b;
  }

  /** Create-only writes are enforced by R2 (`onlyIf`); no presigning through a binding. */
  override get capabilities(): Capabilities {
    return { ...super.capabilities, conditionalWrite: true, presign: false };
  }

  /** Runs a binding call, mapping its errors. */
  async #call<T>(op: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.#mapError(err, op, key);
    }
  }

  #mapError(err: unknown, op: string, key: string): ArtifactStoreError {
    if (err instanceof ArtifactStoreError) return err;
    const message = (err as Error)?.message ?? String(err);
    const code = /\((\d{5})\)/.exec(message)?.[1];
    const path = this.uri(this.relOf(key));
    const opts = { path, flavor: "r2", cause: err };
    const what = `Cannot ${op} '${path}'`;
    switch (code) {
      case "10007":
        return new FileNotFoundError(`${what}: not found`, opts);
      case "10020":
        return new InvalidPathError(
          `${what}: R2 refuses this key (${message})`,
          opts,
        );
      case "10031":
        return new PreconditionFailedError(
          `${what}: the object changed meanwhile (${message})`,
          opts,
        );
      case "10001":
      case "10043":
      case "10058":
        return new ArtifactStoreError(`${what}: ${message}; try again`, {
          ...opts,
          retryable: true,
        });
      default:
        return new ArtifactStoreError(`${what}: ${message}`, opts);
    }
  }

  #meta(o: R2ObjectLike): ObjectMeta {
    return {
      key: o.key,
      size: o.size,
      mtime: o.uploaded ? new Date(o.uploaded) : null,
      etag: o.httpEtag ?? `"${o.etag}"`,
      contentType: o.httpMetadata?.contentType,
      metadata: o.customMetadata && Object.keys(o.customMetadata).length
        ? { ...o.customMetadata }
        : undefined,
    };
  }

  /** The object's metadata from the binding's `head()`, or `null`. */
  protected override async headObject(key: string): Promise<ObjectMeta | null> {
    if (key === "") return null;
    const o = await this.#call("stat", key, () => this.#bucket.head(key));
    return o ? this.#meta(o) : null;
  }

  /** The object's bytes (or a range) from the binding's `get()`. */
  protected override async getObject(
    key: string,
    range: { start: number; end?: number } | undefined,
    options: { ifMatch?: string; signal?: AbortSignal },
  ): Promise<GetResult> {
    // Empty ranges never get here: ObjectStore answers them itself.
    const opts: {
      range?: { offset: number; length?: number };
      onlyIf?: { etagMatches?: string };
    } = {};
    if (range) {
      opts.range = range.end === undefined
        ? { offset: range.start }
        : { offset: range.start, length: range.end - range.start };
    }
    if (options.ifMatch) {
      opts.onlyIf = {
        etagMatches: options.ifMatch.replace(/^W\//, "").replace(/^"|"$/g, ""),
      };
    }
    let o: R2ObjectBodyLike | R2ObjectLike | null;
    try {
      o = await this.#bucket.get(key, opts);
    } catch (err) {
      // R2 may refuse a range that passes the end; the contract clamps it (and a
      // start at or past the end reads nothing).
      const meta = range ? await this.headObject(key).catch(() => null) : null;
      if (!range || !meta) throw this.#mapError(err, "read", key);
      if (range.start >= meta.size) {
        return { body: emptyBody(), length: 0, etag: meta.etag };
      }
      const end = Math.min(range.end ?? meta.size, meta.size);
      if (end === range.end) throw this.#mapError(err, "read", key);
      return await this.getObject(key, { start: range.start, end }, options);
    }
    if (!o) throw this.notFound(this.relOf(key));
    if (!("body" in o) || !o.body) {
      throw new PreconditionFailedError(
        `Cannot read '${
          this.uri(this.relOf(key))
        }': it changed while being read (ETag no longer ${options.ifMatch})`,
        { path: this.uri(this.relOf(key)), flavor: "r2" },
      );
    }
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? o.size, o.size);
    const length = o.range?.length ?? Math.max(0, end - start);
    return { body: o.body, length, etag: o.httpEtag ?? `"${o.etag}"` };
  }

  /** One page of the binding's `list()` (cursor paging). */
  protected override async listPage(prefix: string, options: ListPageOptions): Promise<ListPage> {
    options.signal?.throwIfAborted();
    const page = await this.#call("list", prefix, () =>
      this.#bucket.list({
        prefix,
        delimiter: options.delimiter ? "/" : undefined,
        cursor: options.token,
        limit: options.limit ?? 1000,
        include: ["httpMetadata", "customMetadata"],
      }));
    return {
      objects: page.objects.map((o) => this.#meta(o)),
      prefixes: page.delimitedPrefixes ?? [],
      next: page.truncated ? page.cursor : undefined,
      truncated: page.truncated,
    };
  }

  /** Writes a whole object with the binding's `put()`. */
  protected override async putObject(
    key: string,
    data: Uint8Array,
    options: PutOptions,
  ): Promise<void> {
    options.signal?.throwIfAborted();
    const res = await this.#call("write", key, () =>
      this.#bucket.put(key, data, {
        onlyIf: options.ifNoneMatch ? { etagDoesNotMatch: "*" } : undefined,
        httpMetadata: options.contentType ? { contentType: options.contentType } : undefined,
        customMetadata: options.metadata,
      }));
    if (res === null) throw this.existsError(this.relOf(key));
  }

  /** Starts a multipart upload on the binding. */
  protected override async createMultipartUpload(
    key: string,
    options: PutOptions,
  ): Promise<MultipartUpload> {
    const up = await this.#call("write", key, () =>
      this.#bucket.createMultipartUpload(key, {
        httpMetadata: options.contentType ? { contentType: options.contentType } : undefined,
        customMetadata: options.metadata,
      }));
    return {
      uploadPart: async (n, data) => {
        const part = await this.#call("write", key, () => up.uploadPart(n, data));
        return part.etag;
      },
      complete: async (receipts) => {
        await this.#call("write", key, () =>
          up.complete(
            receipts.map((etag, i) => ({ partNumber: i + 1, etag })),
          ));
      },
      abort: async () => {
        await up.abort().catch(() => {});
      },
    };
  }

  /** Deletes one key with the binding's `delete()`. */
  protected override async deleteObject(key: string): Promise<void> {
    await this.#call("remove", key, () => this.#bucket.delete(key));
  }

  /** Deletes up to 1,000 keys with one binding `delete()` call (all or an error). */
  protected override async deleteObjects(keys: string[]): Promise<DeleteFailure[]> {
    if (keys.length > 0) await this.#call("remove", keys[0], () => this.#bucket.delete(keys));
    return [];
  }

  /** The root's first segment names the binding, which `bucket` may also give. */
  protected override get bucketNoun(): null {
    return null;
  }
}

/** The configuration schema of the `r2` flavor (the binding passes through as is). */
export const r2ConfigSchema: StandardSchemaV1<unknown, R2StoreConfig> = closedConfig(v.looseObject({
  path: v.pipe(
    v.string("'path' must be a string such as 'r2://BUCKET/prefix'"),
    v.transform(stripQuotes),
    v.nonEmpty("'path' is empty: give 'r2://BINDING/prefix'"),
  ),
  flavor: v.optional(v.string()),
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

/**
 * The `r2` flavor object.
 *
 * @example
 * ```ts ignore
 * import { r2Flavor } from "./r2.ts";
 * declare const env: Record<string, unknown>;
 * const store = await r2Flavor.create({ path: "r2://BUCKET", env });
 * ```
 */
export const r2Flavor: Flavor<R2StoreConfig> = {
  name: "r2",
  type: "artifact_store",
  supportedSchemes: R2ArtifactStore.SUPPORTED_SCHEMES,
  configSchema: r2ConfigSchema,
  description: BUILTINS.r2.description,
  create: (config: R2StoreConfig) => new R2ArtifactStore(config),
};

// Importing this subpath registers the flavor: its URIs work with createArtifactStore and fileio.
registerBuiltin(r2Flavor);
