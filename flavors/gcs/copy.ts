/**
 * Server-side copies of the GCS JSON API: rewrite (looping on `rewriteToken`),
 * compose and move. The firebase emulator serves these only without the
 * `/storage/v1` prefix (see {@linkcode GcsClient.sendAlt}).
 *
 * @module
 */

import { ArtifactStoreError, FileNotFoundError } from "../../src/errors.ts";
import type { GcsClient } from "./client.ts";
import { FLAVOR, mapGcsError, parseGcsError } from "./errors.ts";
import { type GcsObject, parseObject, qs } from "./objects.ts";

/** Options of {@linkcode rewrite}. */
export interface RewriteOptions {
  /** Send `ifGenerationMatch=0`: only create the destination. */
  createOnly?: boolean;
  /** The destination's generation the copy is pinned to (`"0"`: none); overrides `createOnly`. */
  ifGenerationMatch?: string;
  /** Bytes a call may copy before it answers with a `rewriteToken`. */
  maxBytesRewrittenPerCall?: number;
  /** Cancels the calls. */
  signal?: AbortSignal;
}

/** Options of {@linkcode compose}. */
export interface ComposeOptions {
  /** The destination's generation (`"0"`: it must not exist). */
  ifGenerationMatch?: string;
  /** The destination's content type. */
  contentType?: string;
  /** The destination's metadata. */
  metadata?: Record<string, string>;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** Options of {@linkcode move}. */
export interface MoveOptions {
  /** Send `ifGenerationMatch=0`: only create the destination. */
  createOnly?: boolean;
  /** The source's generation. */
  ifSourceGenerationMatch?: string;
  /**
   * The source as it was (its CRC32C and size): a retried move whose first attempt
   * went through finds no source; a destination like it proves the move happened.
   */
  source?: { crc32c?: string; size: number };
  /** Cancels the request. */
  signal?: AbortSignal;
}

/**
 * Copies an object server side, looping on `rewriteToken` until done;
 * `createOnly` sends `ifGenerationMatch=0`.
 * https://cloud.google.com/storage/docs/json_api/v1/objects/rewrite
 *
 * @param client the client (its `sendAlt` serves the emulator's bare paths)
 */
export async function rewrite(
  client: GcsClient,
  src: string,
  dst: string,
  options: RewriteOptions = {},
): Promise<GcsObject> {
  let token: string | undefined;
  for (let call = 0; call < 100_000; call++) {
    const pin = options.ifGenerationMatch ?? (options.createOnly ? "0" : undefined);
    const query = qs({
      ifGenerationMatch: pin,
      rewriteToken: token,
      maxBytesRewrittenPerCall: options.maxBytesRewrittenPerCall,
    });
    const j = await client.sendAlt((base) => ({
      method: "POST",
      url: `${base}${client.objectPath(src)}/rewriteTo${client.objectPath(dst)}${query}`,
      headers: { "Content-Type": "application/json" },
      body: "{}",
      signal: options.signal,
      path: client.uri(dst),
      op: `copy '${client.uri(src)}' to`,
      retry: client.mutationRetry(pin !== undefined),
    }), (json) =>
      json as {
        done?: boolean;
        rewriteToken?: string;
        resource?: Record<string, unknown>;
      });
    if (j.done) return parseObject(j.resource ?? {});
    if (!j.rewriteToken) {
      throw new ArtifactStoreError(
        `Cannot copy '${client.uri(src)}' to '${
          client.uri(dst)
        }': the rewrite is not done and gave no token`,
        { path: client.uri(dst), flavor: FLAVOR },
      );
    }
    token = j.rewriteToken;
  }
  throw new ArtifactStoreError(`Cannot copy '${client.uri(src)}': the rewrite did not finish`, {
    path: client.uri(dst),
    flavor: FLAVOR,
  });
}

/**
 * Concatenates objects into `dst` (at most 32 sources), pinned to the
 * destination's generation with `ifGenerationMatch`.
 * https://cloud.google.com/storage/docs/json_api/v1/objects/compose
 *
 * @param client the client (its `sendAlt` serves the emulator's bare paths)
 */
export async function compose(
  client: GcsClient,
  dst: string,
  sources: { name: string; generation?: string }[],
  options: ComposeOptions = {},
): Promise<GcsObject> {
  const destination: Record<string, unknown> = {};
  if (options.contentType) destination.contentType = options.contentType;
  if (options.metadata) destination.metadata = options.metadata;
  const body = JSON.stringify({
    sourceObjects: sources.map((
      s,
    ) => (s.generation ? { name: s.name, generation: s.generation } : { name: s.name })),
    destination,
  });
  return await client.sendAlt((base) => ({
    method: "POST",
    url: `${base}${client.objectPath(dst)}/compose${
      qs({ ifGenerationMatch: options.ifGenerationMatch })
    }`,
    headers: { "Content-Type": "application/json" },
    body,
    signal: options.signal,
    path: client.uri(dst),
    op: "append to",
    retry: client.mutationRetry(options.ifGenerationMatch !== undefined),
  }), (j) => parseObject(j as Record<string, unknown>));
}

/**
 * Renames an object atomically; `null` when the service has no objects.move
 * (501, or a 404 that is not the API's: emulators).
 * https://cloud.google.com/storage/docs/json_api/v1/objects/move
 *
 * @param client the client (its `sendAlt` serves the emulator's bare paths)
 */
export async function move(
  client: GcsClient,
  src: string,
  dst: string,
  options: MoveOptions = {},
): Promise<GcsObject | null> {
  const query = qs({
    ifGenerationMatch: options.createOnly ? "0" : undefined,
    ifSourceGenerationMatch: options.ifSourceGenerationMatch,
  });
  const bases = client.auth.customEndpoint
    ? [`${client.auth.endpoint}/storage/v1`, client.auth.endpoint]
    : [`${client.auth.endpoint}/storage/v1`];
  for (const base of bases) {
    const res = await client.http.sendAndRead({
      method: "POST",
      url: `${base}${client.objectPath(src)}/moveTo/o/${encodeURIComponent(dst)}${query}`,
      signal: options.signal,
      path: client.uri(dst),
      op: `rename '${client.uri(src)}' to`,
      accept: [400, 404, 501],
      retry: client.mutationRetry(!!options.createOnly || !!options.ifSourceGenerationMatch),
    }, (text, res) => ({
      ok: res.ok,
      status: res.status,
      headers: res.headers,
      text,
      object: res.ok ? parseObject(JSON.parse(text)) : undefined,
    }));
    if (res.object) return res.object;
    const text = res.text;
    const e = parseGcsError(text);
    if (res.status === 404 && e.json) {
      const was = options.source;
      const there = was?.crc32c ? await client.getMetadata(dst, options.signal) : null;
      if (there && there.crc32c === was!.crc32c && there.size === was!.size) return there;
      throw notFound(client, src, "rename");
    }
    if (
      res.status === 400 &&
      !/not (?:supported|enabled|allowed)|hierarchical/i.test(e.message ?? "")
    ) {
      throw mapGcsError({
        status: 400,
        headers: res.headers,
        body: text,
        request: {
          method: "POST",
          url: "",
          path: client.uri(dst),
          op: `rename '${client.uri(src)}' to`,
        },
      });
    }
  }
  client.moveSupported = false;
  return null;
}

function notFound(client: GcsClient, key: string, what: string): FileNotFoundError {
  return new FileNotFoundError(`Cannot ${what} '${client.uri(key)}': no such object`, {
    path: client.uri(key),
    flavor: FLAVOR,
    status: 404,
  });
}
