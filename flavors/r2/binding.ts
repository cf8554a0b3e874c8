/**
 * The part of a Workers R2 binding (`R2Bucket`) the `r2` flavor uses, as
 * structural types — so no `@cloudflare/workers-types` dependency is needed —
 * and {@linkcode isBucket}, which tells a binding from anything else.
 *
 * @module
 */

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

/**
 * Whether a value has the methods of an R2 binding.
 *
 * @param x the value
 * @returns whether it is a binding
 */
export function isBucket(x: unknown): x is R2BucketLike {
  const b = x as R2BucketLike;
  return typeof b === "object" && b !== null &&
    ["head", "get", "put", "list", "delete", "createMultipartUpload"].every(
      (m) => typeof (b as unknown as Record<string, unknown>)[m] === "function",
    );
}
