/**
 * The HTTP tier every cloud flavor shares, written once: the client with retries
 * ({@linkcode HttpClient}), backoff and sleep, the status → error preamble,
 * pagination, URL encoding, resumable ranged downloads, `multipart/mixed` batches and
 * the token cache ({@linkcode TokenCache}).
 *
 * @module
 */

export * from "./backoff.ts";
export * from "./batch.ts";
export * from "./client.ts";
export * from "./errors.ts";
export * from "./paginate.ts";
export * from "./ranged.ts";
export * from "./encoding.ts";
export * from "./token_cache.ts";
