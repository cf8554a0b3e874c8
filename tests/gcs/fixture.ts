// A small, protocol-exact Google Cloud Storage server for the tests, written from
// Google's documentation (JSON API reference, "Perform resumable uploads",
// "Sending batch requests", "Signatures" / "Canonical requests", and the OAuth 2
// service-account flow). It implements what the firebase Storage emulator lacks:
//
// - resumable sessions with many chunks (308 + `Range`, status queries with
//   `Content-Range: bytes */*`, 256 KiB granularity, cancel by DELETE → 499),
//   X-Goog-Hash checked on the final request;
// - generation preconditions everywhere (`ifGenerationMatch`,
//   `ifSourceGenerationMatch` → 412);
// - objects.compose, objects.move, objects.rewrite in several calls
//   (`rewriteToken`), the JSON batch endpoint;
// - bearer-token checks, an OAuth token endpoint that verifies the JWT's RS256
//   signature with the service account's public key (crypto.subtle.verify)
//   before it issues a short-lived token, a metadata-server token endpoint;
// - V4 signed URLs (GOOG4-RSA-SHA256) on the XML API paths, verified with the
//   public key;
// - fault injection with the instruction names of Google's retry conformance
//   tests (`return-503`, `return-reset-connection`, `return-503-after-256K`,
//   `return-broken-stream`, …).
//
// A node:http server on 127.0.0.1, port 0 (real sockets), in the test process.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { crc32c, crc32cBytes } from "../../src/checksum.ts";

const KiB = 1024;
const GRANULARITY = 256 * KiB;

/** A stored object. */
export interface FixtureObject {
  name: string;
  data: Uint8Array;
  generation: number;
  metageneration: number;
  contentType: string;
  metadata?: Record<string, string>;
  componentCount?: number;
  created: Date;
  updated: Date;
}

interface Session {
  id: string;
  bucket: string;
  name: string;
  contentType: string;
  metadata?: Record<string, string>;
  ifGenerationMatch?: string;
  chunks: Uint8Array[];
  persisted: number;
  finalized?: FixtureObject;
  cancelled?: boolean;
}

/** One queued fault: the next request matching `method` and `path` gets `instructions[0]`. */
interface Instruction {
  method: string;
  path: RegExp;
  instructions: string[];
}

/** Options of {@linkcode startFixture}. */
export interface FixtureOptions {
  /** The service account whose JWTs and signed URLs are accepted. */
  serviceAccount?: { clientEmail: string; publicKey: CryptoKey };
  /** User credentials accepted by the refresh-token grant. */
  authorizedUser?: {
    clientId: string;
    clientSecret: string;
    refreshToken: string;
  };
  /** Require a valid bearer token on the JSON API (default true when a service account is given). */
  requireAuth?: boolean;
  /** Lifetime in seconds of the n-th issued token (1-based; default 3600). */
  tokenLifetime?: (n: number) => number;
  /** Bytes one rewrite call copies (default: all). */
  rewriteBytesPerCall?: number;
}

/** Counters the tests assert on. */
export interface FixtureStats {
  tokensIssued: number;
  jwtRejected: number;
  metadataTokens: number;
  chunkPuts: number;
  statusQueries: number;
  cancels: number;
  sessionsStarted: number;
  multipartUploads: number;
  batches: number;
  batchItems: number;
  composes: number;
  moves: number;
  rewriteCalls: number;
  signedRequests: number;
  signedRejected: number;
  unauthorized: number;
  faultsApplied: number;
}

/** A running fixture. */
export interface GcsFixture {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  /** `http://127.0.0.1:PORT/token` */
  tokenUri: string;
  /** `127.0.0.1:PORT`, for GCE_METADATA_HOST. */
  metadataHost: string;
  /** Counters. */
  stats: FixtureStats;
  /** The objects of a bucket. */
  bucket(name: string): Map<string, FixtureObject>;
  /** Open sessions by id. */
  sessions: Map<string, Session>;
  /** Queues fault instructions (retry_tests.json names) for matching requests. */
  instruct(method: string, path: RegExp, instructions: string[]): void;
  /** Drops every queued instruction. */
  clearInstructions(): void;
  /** Runs before each chunk PUT is stored; return bytes to keep and a fault to answer with. */
  onChunk?: (
    info: { session: string; start: number; length: number; final: boolean },
  ) =>
    | { keep: number; fault: "reset" | 503 }
    | undefined;
  /** Writes an object directly (another writer, out of band). */
  put(bucket: string, name: string, data: Uint8Array | string): FixtureObject;
  /** Runs for each batch sub-request; return a status to answer it with instead. */
  onBatchItem?: (name: string) => number | undefined;
  /** Stops the server. */
  close(): Promise<void>;
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=UTF-8",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function apiError(
  res: ServerResponse,
  status: number,
  message: string,
  reason: string,
): void {
  sendJson(res, status, {
    error: {
      code: status,
      message,
      errors: [{ message, domain: "global", reason }],
    },
  });
}

function xmlError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
): void {
  const text =
    `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, {
    "Content-Type": "application/xml; charset=UTF-8",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const b = Buffer.concat(chunks);
      resolve(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    });
    req.on("error", reject);
  });
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

function crcB64(data: Uint8Array): string {
  return b64(crc32cBytes(crc32c(data)));
}

function md5B64(data: Uint8Array): string {
  return createHash("md5").update(data).digest("base64");
}

/** UTF-8 byte order, as GCS lists. */
function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  return out;
}

function b64urlDecode(s: string): Uint8Array {
  return new Uint8Array(
    Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64"),
  );
}

/** RFC 3986 strict encoding (V4 canonical query). */
function strict(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

/**
 * Starts the fixture on 127.0.0.1 with an OS-chosen port.
 *
 * @param options accepted credentials, token lifetimes, rewrite step
 */
export async function startFixture(
  options: FixtureOptions = {},
): Promise<GcsFixture> {
  const buckets = new Map<string, Map<string, FixtureObject>>();
  const sessions = new Map<string, Session>();
  const tokens = new Map<string, number>(); // token → expiry (ms)
  const queue: Instruction[] = [];
  const requireAuth = options.requireAuth ?? !!options.serviceAccount;
  let generation = Date.now() * 1000;
  let sessionCounter = 0;
  const stats: FixtureStats = {
    tokensIssued: 0,
    jwtRejected: 0,
    metadataTokens: 0,
    chunkPuts: 0,
    statusQueries: 0,
    cancels: 0,
    sessionsStarted: 0,
    multipartUploads: 0,
    batches: 0,
    batchItems: 0,
    composes: 0,
    moves: 0,
    rewriteCalls: 0,
    signedRequests: 0,
    signedRejected: 0,
    unauthorized: 0,
    faultsApplied: 0,
  };
  let endpoint = "";

  const bucket = (name: string) => {
    let b = buckets.get(name);
    if (!b) buckets.set(name, b = new Map());
    return b;
  };

  const objectJson = (bucketName: string, o: FixtureObject) => ({
    kind: "storage#object",
    id: `${bucketName}/${o.name}/${o.generation}`,
    selfLink: `${endpoint}/storage/v1/b/${bucketName}/o/${encodeURIComponent(o.name)}`,
    name: o.name,
    bucket: bucketName,
    generation: String(o.generation),
    metageneration: String(o.metageneration),
    contentType: o.contentType,
    size: String(o.data.length),
    crc32c: crcB64(o.data),
    ...(o.componentCount ? { componentCount: o.componentCount } : { md5Hash: md5B64(o.data) }),
    etag: b64(new TextEncoder().encode(String(o.generation))),
    timeCreated: o.created.toISOString(),
    updated: o.updated.toISOString(),
    ...(o.metadata ? { metadata: o.metadata } : {}),
  });

  /** Checks `ifGenerationMatch` (and the source variant) against the current object. */
  const preconditionFails = (
    current: FixtureObject | undefined,
    match: string | null | undefined,
    notMatch?: string | null,
  ): boolean => {
    if (match !== null && match !== undefined) {
      if (match === "0") {
        if (current) return true;
      } else if (!current || String(current.generation) !== match) return true;
    }
    if (notMatch !== null && notMatch !== undefined) {
      if (notMatch === "0") {
        if (!current) return true;
      } else if (current && String(current.generation) === notMatch) {
        return true;
      }
    }
    return false;
  };
  const preconditionError = (res: ServerResponse) =>
    apiError(
      res,
      412,
      "At least one of the pre-conditions you specified did not hold.",
      "conditionNotMet",
    );

  const store = (
    bucketName: string,
    name: string,
    data: Uint8Array,
    contentType: string,
    metadata?: Record<string, string>,
    componentCount?: number,
  ): FixtureObject => {
    const now = new Date();
    const o: FixtureObject = {
      name,
      data,
      generation: ++generation,
      metageneration: 1,
      contentType: contentType || "application/octet-stream",
      metadata,
      componentCount,
      created: now,
      updated: now,
    };
    bucket(bucketName).set(name, o);
    return o;
  };

  const authorized = (req: IncomingMessage): boolean => {
    if (!requireAuth) return true;
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
    const exp = m ? tokens.get(m[1]) : undefined;
    return exp !== undefined && exp > Date.now();
  };

  const issueToken = (): {
    access_token: string;
    expires_in: number;
    token_type: string;
  } => {
    const n = ++stats.tokensIssued;
    const lifetime = options.tokenLifetime?.(n) ?? 3600;
    const token = `fixture-token-${n}-${Math.random().toString(36).slice(2)}`;
    tokens.set(token, Date.now() + lifetime * 1000);
    return { access_token: token, expires_in: lifetime, token_type: "Bearer" };
  };

  // ---------------------------------------------------------------- OAuth

  const verifyJwt = async (jwt: string): Promise<string | null> => {
    const sa = options.serviceAccount;
    if (!sa) return "no service account configured";
    const parts = jwt.split(".");
    if (parts.length !== 3) return "malformed JWT";
    let header: { alg?: string }, claims: Record<string, unknown>;
    try {
      header = JSON.parse(new TextDecoder().decode(b64urlDecode(parts[0])));
      claims = JSON.parse(new TextDecoder().decode(b64urlDecode(parts[1])));
    } catch {
      return "undecodable JWT";
    }
    if (header.alg !== "RS256") return "alg must be RS256";
    const ok = await crypto.subtle.verify(
      RSA,
      sa.publicKey,
      b64urlDecode(parts[2]) as BufferSource,
      new TextEncoder().encode(`${parts[0]}.${parts[1]}`) as BufferSource,
    );
    if (!ok) return "Invalid JWT Signature.";
    const now = Math.floor(Date.now() / 1000);
    if (claims.iss !== sa.clientEmail) return "wrong issuer";
    if (claims.aud !== `${endpoint}/token`) return "wrong audience";
    if (
      typeof claims.scope !== "string" || !claims.scope.includes("devstorage")
    ) {
      return "no storage scope";
    }
    const iat = Number(claims.iat), exp = Number(claims.exp);
    if (!(iat <= now + 60 && exp > now && exp - iat <= 3600)) {
      return "Invalid JWT: token must be a short-lived token";
    }
    return null;
  };

  const handleToken = async (req: IncomingMessage, res: ServerResponse) => {
    const form = new URLSearchParams(
      new TextDecoder().decode(await readBody(req)),
    );
    const grant = form.get("grant_type");
    if (grant === "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      const problem = await verifyJwt(form.get("assertion") ?? "");
      if (problem) {
        stats.jwtRejected++;
        return sendJson(res, 400, {
          error: "invalid_grant",
          error_description: problem,
        });
      }
      return sendJson(res, 200, issueToken());
    }
    if (grant === "refresh_token") {
      const u = options.authorizedUser;
      if (
        !u || form.get("client_id") !== u.clientId ||
        form.get("client_secret") !== u.clientSecret ||
        form.get("refresh_token") !== u.refreshToken
      ) {
        return sendJson(res, 400, {
          error: "invalid_grant",
          error_description: "Bad Request",
        });
      }
      return sendJson(res, 200, issueToken());
    }
    sendJson(res, 400, {
      error: "unsupported_grant_type",
      error_description: `grant '${grant}'`,
    });
  };

  // ---------------------------------------------------------------- V4 signed URLs

  const verifySigned = async (
    req: IncomingMessage,
    url: URL,
  ): Promise<string | null> => {
    const sa = options.serviceAccount;
    if (!sa) return "no service account configured";
    const q = url.searchParams;
    if (q.get("X-Goog-Algorithm") !== "GOOG4-RSA-SHA256") {
      return "unsupported algorithm";
    }
    const cred = q.get("X-Goog-Credential") ?? "";
    const [email, date, region, service, term] = cred.split("/");
    if (
      email !== sa.clientEmail || region !== "auto" || service !== "storage" ||
      term !== "goog4_request"
    ) {
      return "bad credential scope";
    }
    const stamp = q.get("X-Goog-Date") ?? "";
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
    if (!m || stamp.slice(0, 8) !== date) return "bad date";
    const signedAt = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
    const expires = Number(q.get("X-Goog-Expires"));
    if (!(expires >= 1 && expires <= 604800)) return "bad expiry";
    if (Date.now() > signedAt + expires * 1000) return "expired";
    if (signedAt > Date.now() + 60_000) return "signed in the future";
    const signedHeaders = (q.get("X-Goog-SignedHeaders") ?? "").split(";");
    if (!signedHeaders.includes("host")) return "host not signed";
    const headerLines = signedHeaders.map((h) => {
      let value = String(req.headers[h] ?? "");
      if (h === "host") value = value.replace(/:\d+$/, "");
      return `${h}:${value.trim().replace(/[ \t]+/g, " ")}\n`;
    }).join("");
    const pairs: [string, string][] = [];
    for (const [k, val] of q) {
      if (k !== "X-Goog-Signature") pairs.push([strict(k), strict(val)]);
    }
    pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const rawPath = (req.url ?? "/").split("?")[0];
    const canonical = [
      req.method,
      rawPath,
      pairs.map(([k, val]) => `${k}=${val}`).join("&"),
      headerLines,
      signedHeaders.join(";"),
      String(req.headers["x-goog-content-sha256"] ?? "UNSIGNED-PAYLOAD"),
    ].join("\n");
    const hash = createHash("sha256").update(canonical).digest("hex");
    const toSign = [
      "GOOG4-RSA-SHA256",
      stamp,
      `${date}/auto/storage/goog4_request`,
      hash,
    ].join(
      "\n",
    );
    const sig = q.get("X-Goog-Signature") ?? "";
    if (!/^[0-9a-f]+$/.test(sig) || sig.length % 2) {
      return "bad signature encoding";
    }
    const ok = await crypto.subtle.verify(
      RSA,
      sa.publicKey,
      hexToBytes(sig) as BufferSource,
      new TextEncoder().encode(toSign) as BufferSource,
    );
    return ok
      ? null
      : "The request signature we calculated does not match the signature you provided.";
  };

  const handleXml = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ) => {
    stats.signedRequests++;
    const problem = await verifySigned(req, url);
    if (problem) {
      stats.signedRejected++;
      await readBody(req);
      if (problem === "expired") {
        return xmlError(
          res,
          400,
          "ExpiredToken",
          "Invalid argument: the URL expired.",
        );
      }
      return xmlError(res, 403, "SignatureDoesNotMatch", problem);
    }
    const segs = url.pathname.split("/").slice(1);
    const b = decodeURIComponent(segs[0]);
    const name = segs.slice(1).map(decodeURIComponent).join("/");
    const o = bucket(b).get(name);
    if (req.method === "PUT") {
      const data = await readBody(req);
      const created = store(
        b,
        name,
        data,
        String(req.headers["content-type"] ?? ""),
      );
      res.writeHead(200, {
        "x-goog-generation": String(created.generation),
        "Content-Length": 0,
      });
      return res.end();
    }
    await readBody(req);
    if (!o) {
      return xmlError(
        res,
        404,
        "NoSuchKey",
        "The specified key does not exist.",
      );
    }
    if (req.method === "DELETE") {
      bucket(b).delete(name);
      res.writeHead(204);
      return res.end();
    }
    res.writeHead(200, {
      "Content-Type": o.contentType,
      "Content-Length": o.data.length,
      "x-goog-hash": `crc32c=${crcB64(o.data)}`,
      "x-goog-generation": String(o.generation),
    });
    res.end(req.method === "HEAD" ? undefined : Buffer.from(o.data));
  };

  // ---------------------------------------------------------------- JSON API

  const handleMedia = (
    req: IncomingMessage,
    res: ServerResponse,
    o: FixtureObject,
    fault?: string,
  ) => {
    const size = o.data.length;
    let start = 0, end = size - 1, status = 200;
    const range = req.headers.range;
    const headers: Record<string, string | number> = {
      "Content-Type": o.contentType,
      "Accept-Ranges": "bytes",
      "ETag": b64(new TextEncoder().encode(String(o.generation))),
      "x-goog-generation": String(o.generation),
      "x-goog-metageneration": String(o.metageneration),
      "x-goog-stored-content-length": size,
      "x-goog-stored-content-encoding": "identity",
      "x-goog-hash": o.componentCount
        ? `crc32c=${crcB64(o.data)}`
        : `crc32c=${crcB64(o.data)},md5=${md5B64(o.data)}`,
    };
    if (range) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range);
      if (!m || (m[1] === "" && m[2] === "")) {
        return apiError(res, 400, "Bad range", "invalid");
      }
      if (m[1] === "") {
        start = Math.max(0, size - Number(m[2]));
      } else {
        start = Number(m[1]);
        if (m[2] !== "") end = Math.min(end, Number(m[2]));
      }
      if (
        start >= size || (m[2] !== "" && m[1] !== "" && Number(m[2]) < start)
      ) {
        res.writeHead(416, {
          "Content-Range": `bytes */${size}`,
          "Content-Length": 0,
        });
        return res.end();
      }
      status = 206;
      headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
    }
    const body = o.data.subarray(start, end + 1);
    headers["Content-Length"] = body.length;
    res.writeHead(status, headers);
    if (
      fault === "return-broken-stream" ||
      fault === "return-broken-stream-after-256K"
    ) {
      const cut = fault === "return-broken-stream"
        ? Math.floor(body.length / 2)
        : Math.min(256 * KiB, body.length - 1);
      res.write(
        Buffer.from(body.subarray(0, Math.max(0, cut))),
        () => setTimeout(() => res.destroy(), 10),
      );
      return;
    }
    res.end(Buffer.from(body));
  };

  const handleList = (
    res: ServerResponse,
    bucketName: string,
    q: URLSearchParams,
  ) => {
    const prefix = q.get("prefix") ?? "";
    const delimiter = q.get("delimiter") ?? "";
    const max = Math.min(
      1000,
      Math.max(1, Number(q.get("maxResults") ?? 1000)),
    );
    const token = q.get("pageToken");
    let after = "";
    if (token) {
      try {
        after = JSON.parse(Buffer.from(token, "base64").toString("utf8")).after;
      } catch {
        return apiError(res, 400, "Invalid page token", "invalid");
      }
    }
    const names = [...bucket(bucketName).keys()].filter((n) => n.startsWith(prefix)).sort(
      byteCompare,
    );
    const items: unknown[] = [];
    const prefixes: string[] = [];
    let last = "";
    let more = false;
    for (const n of names) {
      if (after && byteCompare(n, after) <= 0) continue;
      if (
        after.endsWith(delimiter || "\u0000") && delimiter &&
        n.startsWith(after)
      ) continue;
      let entry = n;
      let isPrefix = false;
      if (delimiter) {
        const i = n.indexOf(delimiter, prefix.length);
        if (i >= 0) {
          entry = n.slice(0, i + delimiter.length);
          isPrefix = true;
        }
      }
      if (isPrefix && prefixes.at(-1) === entry) continue;
      if (items.length + prefixes.length >= max) {
        more = true;
        break;
      }
      if (isPrefix) prefixes.push(entry);
      else items.push(objectJson(bucketName, bucket(bucketName).get(n)!));
      last = entry;
    }
    const body: Record<string, unknown> = { kind: "storage#objects" };
    if (items.length) body.items = items;
    if (prefixes.length) body.prefixes = prefixes;
    if (more) {
      body.nextPageToken = Buffer.from(JSON.stringify({ after: last }))
        .toString("base64");
    }
    sendJson(res, 200, body);
  };

  const parseMultipart = (
    body: Uint8Array,
    boundary: string,
  ): { meta: Uint8Array; media: Uint8Array } | null => {
    const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const delim = Buffer.from(`--${boundary}`);
    const p1 = buf.indexOf(delim);
    const p2 = buf.indexOf(delim, p1 + delim.length);
    const p3 = buf.indexOf(
      Buffer.from(`\r\n--${boundary}--`),
      p2 + delim.length,
    );
    if (p1 < 0 || p2 < 0 || p3 < 0) return null;
    const h1 = buf.indexOf("\r\n\r\n", p1);
    const h2 = buf.indexOf("\r\n\r\n", p2);
    if (h1 < 0 || h2 < 0) return null;
    return {
      meta: body.subarray(h1 + 4, p2 - 2),
      media: body.subarray(h2 + 4, p3),
    };
  };

  const finalizeSession = (
    res: ServerResponse,
    s: Session,
    hash: string | undefined,
  ) => {
    const data = Buffer.concat(s.chunks.map((c) => Buffer.from(c)));
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const crc = /crc32c=([^,\s]+)/.exec(hash ?? "")?.[1];
    if (crc && crc !== crcB64(bytes)) {
      return apiError(
        res,
        400,
        `Provided CRC32C "${crc}" doesn't match calculated CRC32C "${crcB64(bytes)}".`,
        "invalid",
      );
    }
    if (preconditionFails(bucket(s.bucket).get(s.name), s.ifGenerationMatch)) {
      return preconditionError(res);
    }
    s.finalized = store(s.bucket, s.name, bytes, s.contentType, s.metadata);
    sendJson(res, 200, objectJson(s.bucket, s.finalized));
  };

  const handleSessionPut = async (
    req: IncomingMessage,
    res: ServerResponse,
    s: Session,
    fault?: string,
  ) => {
    const body = await readBody(req);
    if (s.cancelled) return apiError(res, 404, "No such upload", "notFound");
    if (s.finalized) {
      return sendJson(res, 200, objectJson(s.bucket, s.finalized));
    }
    const cr = String(req.headers["content-range"] ?? "");
    const status = /^bytes \*\/(\d+|\*)$/.exec(cr);
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr);
    const rangeHeader = (): Record<
      string,
      string
    > => (s.persisted > 0 ? { Range: `bytes=0-${s.persisted - 1}` } : {});
    if (status) {
      if (body.length) {
        return apiError(res, 400, "A status query has no body", "invalid");
      }
      if (status[1] !== "*" && Number(status[1]) === s.persisted) {
        return finalizeSession(
          res,
          s,
          req.headers["x-goog-hash"] as string | undefined,
        );
      }
      stats.statusQueries++;
      res.writeHead(308, { ...rangeHeader(), "Content-Length": 0 });
      return res.end();
    }
    if (!range) {
      return apiError(res, 400, `Bad Content-Range '${cr}'`, "invalid");
    }
    stats.chunkPuts++;
    const first = Number(range[1]), last = Number(range[2]);
    const total = range[3] === "*" ? undefined : Number(range[3]);
    if (last - first + 1 !== body.length) {
      return apiError(
        res,
        400,
        "Content-Range does not match the body",
        "invalid",
      );
    }
    if (first > s.persisted) {
      return apiError(
        res,
        400,
        `Invalid request. The upload offset is ${first}, which exceeds the ${s.persisted} bytes already uploaded.`,
        "invalid",
      );
    }
    const final = total !== undefined && last + 1 === total;
    if (total !== undefined && last + 1 > total) {
      return apiError(res, 400, "Range past the total", "invalid");
    }
    if (!final && (last + 1) % GRANULARITY !== 0) {
      return apiError(
        res,
        400,
        "Chunks other than the last must be multiples of 256 KiB",
        "invalid",
      );
    }
    let fresh = body.subarray(s.persisted - first);
    let faultAction: "reset" | 503 | undefined;
    const injected = this_onChunk?.({
      session: s.id,
      start: s.persisted,
      length: fresh.length,
      final,
    });
    if (injected) {
      fresh = fresh.subarray(
        0,
        Math.floor(Math.min(injected.keep, fresh.length) / GRANULARITY) *
          GRANULARITY,
      );
      faultAction = injected.fault;
    } else if (
      fault === "return-503-after-256K" || fault === "return-503-after-8192K"
    ) {
      const keep = fault === "return-503-after-256K" ? 256 * KiB : 8192 * KiB;
      if (fresh.length > keep) {
        fresh = fresh.subarray(0, keep);
        faultAction = 503;
      }
    }
    if (fresh.length) {
      s.chunks.push(fresh.slice());
      s.persisted += fresh.length;
    }
    if (faultAction === "reset") return req.socket.destroy();
    if (faultAction === 503) {
      return apiError(res, 503, "Service Unavailable", "backendError");
    }
    if (final && s.persisted === total) {
      return finalizeSession(
        res,
        s,
        req.headers["x-goog-hash"] as string | undefined,
      );
    }
    res.writeHead(308, { ...rangeHeader(), "Content-Length": 0 });
    res.end();
  };

  const handleUpload = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    b: string,
    fault?: string,
  ) => {
    const q = url.searchParams;
    const uploadId = q.get("upload_id");
    if (uploadId) {
      const s = sessions.get(uploadId);
      if (!s) {
        await readBody(req);
        return apiError(res, 404, "No such upload session", "notFound");
      }
      if (req.method === "DELETE") {
        await readBody(req);
        stats.cancels++;
        s.cancelled = true;
        sessions.delete(uploadId);
        res.writeHead(499, { "Content-Length": 0 });
        return res.end();
      }
      if (req.method === "PUT") {
        return await handleSessionPut(req, res, s, fault);
      }
      return apiError(res, 405, "Method not allowed", "invalid");
    }
    if (req.method !== "POST") {
      return apiError(res, 405, "Method not allowed", "invalid");
    }
    const body = await readBody(req);
    const type = q.get("uploadType");
    const ifGen = q.get("ifGenerationMatch") ?? undefined;
    if (type === "resumable") {
      let meta: {
        name?: string;
        contentType?: string;
        metadata?: Record<string, string>;
      } = {};
      if (body.length) meta = JSON.parse(new TextDecoder().decode(body));
      const name = q.get("name") ?? meta.name;
      if (!name) return apiError(res, 400, "Required object name", "required");
      if (preconditionFails(bucket(b).get(name), ifGen)) {
        return preconditionError(res);
      }
      const id = `session-${++sessionCounter}-${Math.random().toString(36).slice(2)}`;
      sessions.set(id, {
        id,
        bucket: b,
        name,
        contentType: meta.contentType ??
          String(req.headers["x-upload-content-type"] ?? ""),
        metadata: meta.metadata,
        ifGenerationMatch: ifGen,
        chunks: [],
        persisted: 0,
      });
      stats.sessionsStarted++;
      const loc =
        `${endpoint}/upload/storage/v1/b/${encodeURIComponent(b)}/o?uploadType=resumable` +
        `&name=${encodeURIComponent(name)}${
          ifGen ? `&ifGenerationMatch=${ifGen}` : ""
        }&upload_id=${id}`;
      res.writeHead(200, {
        Location: loc,
        "X-GUploader-UploadID": id,
        "Content-Length": 0,
      });
      return res.end();
    }
    if (type === "multipart") {
      stats.multipartUploads++;
      const bm = /boundary="?([^";]+)"?/.exec(
        String(req.headers["content-type"] ?? ""),
      );
      const parts = bm ? parseMultipart(body, bm[1]) : null;
      if (!parts) {
        return apiError(res, 400, "Malformed multipart body", "invalid");
      }
      const meta = JSON.parse(new TextDecoder().decode(parts.meta)) as {
        name?: string;
        contentType?: string;
        metadata?: Record<string, string>;
        crc32c?: string;
      };
      const name = q.get("name") ?? meta.name;
      if (!name) return apiError(res, 400, "Required object name", "required");
      const media = parts.media.slice();
      if (meta.crc32c && meta.crc32c !== crcB64(media)) {
        return apiError(
          res,
          400,
          `Provided CRC32C "${meta.crc32c}" doesn't match calculated CRC32C "${crcB64(media)}".`,
          "invalid",
        );
      }
      if (preconditionFails(bucket(b).get(name), ifGen)) {
        return preconditionError(res);
      }
      return sendJson(
        res,
        200,
        objectJson(
          b,
          store(b, name, media, meta.contentType ?? "", meta.metadata),
        ),
      );
    }
    if (type === "media") {
      const name = q.get("name");
      if (!name) return apiError(res, 400, "Required object name", "required");
      if (preconditionFails(bucket(b).get(name), ifGen)) {
        return preconditionError(res);
      }
      return sendJson(
        res,
        200,
        objectJson(
          b,
          store(
            b,
            name,
            body.slice(),
            String(req.headers["content-type"] ?? ""),
          ),
        ),
      );
    }
    apiError(res, 400, `Unknown uploadType '${type}'`, "invalid");
  };

  /** DELETE of one object (also a batch sub-request). */
  const deleteObject = (
    b: string,
    name: string,
    q: URLSearchParams,
  ): [number, unknown] => {
    const o = bucket(b).get(name);
    if (!o) {
      return [404, {
        error: {
          code: 404,
          message: `No such object: ${b}/${name}`,
          errors: [{ reason: "notFound" }],
        },
      }];
    }
    if (preconditionFails(o, q.get("ifGenerationMatch"))) {
      return [412, {
        error: {
          code: 412,
          message: "Precondition failed",
          errors: [{ reason: "conditionNotMet" }],
        },
      }];
    }
    bucket(b).delete(name);
    return [204, null];
  };

  const handleBatch = async (req: IncomingMessage, res: ServerResponse) => {
    stats.batches++;
    const body = new TextDecoder().decode(await readBody(req));
    const bm = /boundary="?([^";]+)"?/.exec(
      String(req.headers["content-type"] ?? ""),
    );
    if (!bm) {
      return apiError(
        res,
        400,
        "Batch requests are multipart/mixed",
        "invalid",
      );
    }
    const parts = body.split(`--${bm[1]}`).slice(1).filter((p) => !p.startsWith("--"));
    if (parts.length > 100) {
      return apiError(
        res,
        400,
        "Too many requests in the batch (100 at most)",
        "invalid",
      );
    }
    const out = "batch_fixture_response";
    let text = "";
    parts.forEach((part, i) => {
      stats.batchItems++;
      const id = /Content-ID:\s*<([^>]+)>/i.exec(part)?.[1] ?? `item${i + 1}`;
      const rl = /\r\n\r\n(\w+) (\/\S+) HTTP\/1\.1/.exec(part);
      let status = 400;
      let payload: unknown = {
        error: { code: 400, message: "Bad sub-request" },
      };
      if (rl && rl[1] === "DELETE") {
        const u = new URL(rl[2], endpoint);
        const m = /^\/storage\/v1\/b\/([^/]+)\/o\/([^/]+)$/.exec(u.pathname);
        const forced = m ? this_onBatchItem?.(decodeURIComponent(m[2])) : undefined;
        if (forced) {
          [status, payload] = [forced, {
            error: { code: forced, message: "Injected", errors: [] },
          }];
        } else if (m) {
          [status, payload] = deleteObject(
            decodeURIComponent(m[1]),
            decodeURIComponent(m[2]),
            u.searchParams,
          );
        }
      }
      const reason = {
        204: "No Content",
        404: "Not Found",
        412: "Precondition Failed",
        400: "Bad Request",
        503: "Service Unavailable",
      }[status] ?? "Status";
      const json = payload === null ? "" : JSON.stringify(payload);
      text += `--${out}\r\nContent-Type: application/http\r\nContent-ID: <response-${id}>\r\n\r\n` +
        `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=UTF-8\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}\r\n`;
    });
    text += `--${out}--\r\n`;
    res.writeHead(200, {
      "Content-Type": `multipart/mixed; boundary=${out}`,
      "Content-Length": Buffer.byteLength(text),
    });
    res.end(text);
  };

  const rewriteState = new Map<string, { copied: number }>();

  const handleObjectPost = async (
    req: IncomingMessage,
    res: ServerResponse,
    q: URLSearchParams,
    segs: string[],
  ) => {
    // segs: ["b", B, "o", O, verb, ...]
    const b = segs[1];
    const name = segs[3];
    const verb = segs[4];
    const raw = await readBody(req);
    const json = raw.length ? JSON.parse(new TextDecoder().decode(raw)) : {};
    if (verb === "rewriteTo" && segs[5] === "b" && segs[7] === "o") {
      stats.rewriteCalls++;
      const db = segs[6], dn = segs[8];
      const src = bucket(b).get(name);
      if (!src) {
        return apiError(res, 404, `No such object: ${b}/${name}`, "notFound");
      }
      if (preconditionFails(src, q.get("ifSourceGenerationMatch"))) {
        return preconditionError(res);
      }
      if (preconditionFails(bucket(db).get(dn), q.get("ifGenerationMatch"))) {
        return preconditionError(res);
      }
      const step = options.rewriteBytesPerCall ?? Infinity;
      const token = q.get("rewriteToken");
      const st = token ? rewriteState.get(token) : { copied: 0 };
      if (!st) return apiError(res, 400, "Invalid rewrite token", "invalid");
      st.copied = Math.min(src.data.length, st.copied + step);
      if (st.copied < src.data.length) {
        const next = `rw-${Math.random().toString(36).slice(2)}`;
        rewriteState.set(next, st);
        return sendJson(res, 200, {
          kind: "storage#rewriteResponse",
          totalBytesRewritten: String(st.copied),
          objectSize: String(src.data.length),
          done: false,
          rewriteToken: next,
        });
      }
      const copy = store(
        db,
        dn,
        src.data.slice(),
        json.contentType ?? src.contentType,
        src.metadata,
      );
      return sendJson(res, 200, {
        kind: "storage#rewriteResponse",
        totalBytesRewritten: String(src.data.length),
        objectSize: String(src.data.length),
        done: true,
        resource: objectJson(db, copy),
      });
    }
    if (verb === "compose") {
      stats.composes++;
      const sources = (json.sourceObjects ?? []) as {
        name: string;
        generation?: string;
      }[];
      if (sources.length < 1 || sources.length > 32) {
        return apiError(res, 400, "1 to 32 source objects", "invalid");
      }
      const datas: Uint8Array[] = [];
      let components = 0;
      for (const s of sources) {
        const o = bucket(b).get(s.name);
        if (!o) {
          return apiError(res, 404, `Object ${s.name} not found`, "notFound");
        }
        if (s.generation && String(o.generation) !== String(s.generation)) {
          return preconditionError(res);
        }
        datas.push(o.data);
        components += o.componentCount ?? 1;
      }
      if (components > 1024) {
        return apiError(
          res,
          400,
          "The composite object would have too many components",
          "invalid",
        );
      }
      if (preconditionFails(bucket(b).get(name), q.get("ifGenerationMatch"))) {
        return preconditionError(res);
      }
      const joined = Buffer.concat(datas.map((d) => Buffer.from(d)));
      const dest = (json.destination ?? {}) as {
        contentType?: string;
        metadata?: Record<string, string>;
      };
      const o = store(
        b,
        name,
        new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength),
        dest.contentType ?? "",
        dest.metadata,
        components,
      );
      return sendJson(res, 200, objectJson(b, o));
    }
    if (verb === "moveTo" && segs[5] === "o") {
      stats.moves++;
      const dn = segs[6];
      const src = bucket(b).get(name);
      if (!src) {
        return apiError(res, 404, `No such object: ${b}/${name}`, "notFound");
      }
      if (name === dn) {
        return apiError(
          res,
          400,
          "Source and destination must differ",
          "invalid",
        );
      }
      if (preconditionFails(src, q.get("ifSourceGenerationMatch"))) {
        return preconditionError(res);
      }
      if (preconditionFails(bucket(b).get(dn), q.get("ifGenerationMatch"))) {
        return preconditionError(res);
      }
      bucket(b).delete(name);
      const moved = store(
        b,
        dn,
        src.data,
        src.contentType,
        src.metadata,
        src.componentCount,
      );
      return sendJson(res, 200, objectJson(b, moved));
    }
    apiError(res, 404, "Not Found", "notFound");
  };

  const applyFault = (
    req: IncomingMessage,
    res: ServerResponse,
    pathname: string,
  ): string | "handled" | undefined => {
    const entry = queue.find((e) =>
      e.instructions.length > 0 &&
      (e.method === "*" || e.method === req.method) &&
      e.path.test(pathname)
    );
    if (!entry) return undefined;
    const ins = entry.instructions.shift()!;
    stats.faultsApplied++;
    const status = /^return-(\d{3})$/.exec(ins);
    if (status) {
      req.resume();
      apiError(
        res,
        Number(status[1]),
        `Injected ${ins}`,
        Number(status[1]) >= 500 ? "backendError" : "invalid",
      );
      return "handled";
    }
    if (ins === "return-reset-connection") {
      // The request arrives whole, the answer never does.
      readBody(req).then(
        () => req.socket.destroy(),
        () => req.socket.destroy(),
      );
      return "handled";
    }
    return ins; // handled inside the operation (broken streams, 503 after N bytes)
  };

  let this_onChunk: GcsFixture["onChunk"];
  let this_onBatchItem: GcsFixture["onBatchItem"];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", endpoint);
    const pathname = url.pathname;
    if (pathname === "/token" && req.method === "POST") {
      return await handleToken(req, res);
    }
    if (
      pathname === "/computeMetadata/v1/instance/service-accounts/default/token"
    ) {
      await readBody(req);
      if (req.headers["metadata-flavor"] !== "Google") {
        return sendJson(res, 403, { error: "Missing Metadata-Flavor: Google" });
      }
      stats.metadataTokens++;
      return sendJson(res, 200, issueToken(), { "Metadata-Flavor": "Google" });
    }
    if (url.searchParams.has("X-Goog-Signature")) {
      return await handleXml(req, res, url);
    }
    const fault = applyFault(req, res, pathname);
    if (fault === "handled") return;
    const isApi = pathname.startsWith("/storage/v1/") ||
      pathname.startsWith("/upload/storage/v1/") ||
      pathname === "/batch/storage/v1";
    if (!isApi) {
      await readBody(req);
      return xmlError(
        res,
        404,
        "NotFound",
        `No route for ${req.method} ${pathname}`,
      );
    }
    if (!authorized(req)) {
      stats.unauthorized++;
      await readBody(req);
      return apiError(res, 401, "Invalid Credentials", "authError");
    }
    if (pathname === "/batch/storage/v1" && req.method === "POST") {
      return await handleBatch(req, res);
    }
    const up = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(pathname);
    if (up) {
      return await handleUpload(
        req,
        res,
        url,
        decodeURIComponent(up[1]),
        fault,
      );
    }
    const segs = pathname.slice("/storage/v1/".length).split("/").map(
      decodeURIComponent,
    );
    if (segs[0] !== "b" || segs[2] !== "o") {
      await readBody(req);
      return apiError(res, 404, "Not Found", "notFound");
    }
    const b = segs[1];
    if (segs.length === 3 && req.method === "GET") {
      return handleList(res, b, url.searchParams);
    }
    if (segs.length >= 5 && req.method === "POST") {
      return await handleObjectPost(req, res, url.searchParams, segs);
    }
    if (segs.length !== 4) {
      await readBody(req);
      return apiError(res, 404, "Not Found", "notFound");
    }
    await readBody(req);
    const name = segs[3];
    if (req.method === "DELETE") {
      const [status, payload] = deleteObject(b, name, url.searchParams);
      if (payload === null) {
        res.writeHead(status);
        return res.end();
      }
      return sendJson(res, status, payload);
    }
    if (req.method !== "GET") {
      return apiError(res, 405, "Method not allowed", "invalid");
    }
    const o = bucket(b).get(name);
    if (!o) {
      return apiError(res, 404, `No such object: ${b}/${name}`, "notFound");
    }
    if (preconditionFails(o, url.searchParams.get("ifGenerationMatch"))) {
      return preconditionError(res);
    }
    if (url.searchParams.get("alt") === "media") {
      return handleMedia(req, res, o, fault);
    }
    sendJson(res, 200, objectJson(b, o));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) {
        apiError(
          res,
          500,
          `Fixture error: ${err?.message ?? err}`,
          "internalError",
        );
      } else res.destroy();
    });
  });
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  endpoint = `http://127.0.0.1:${port}`;

  const fixture: GcsFixture = {
    endpoint,
    tokenUri: `${endpoint}/token`,
    metadataHost: `127.0.0.1:${port}`,
    stats,
    bucket,
    sessions,
    instruct(method, path, instructions) {
      queue.push({ method, path, instructions: [...instructions] });
    },
    clearInstructions() {
      queue.length = 0;
    },
    get onChunk() {
      return this_onChunk;
    },
    set onChunk(fn) {
      this_onChunk = fn;
    },
    get onBatchItem() {
      return this_onBatchItem;
    },
    set onBatchItem(fn) {
      this_onBatchItem = fn;
    },
    put(b, name, data) {
      return store(
        b,
        name,
        typeof data === "string" ? new TextEncoder().encode(data) : data,
        "text/plain",
      );
    },
    close() {
      return new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
    },
  };
  return fixture;
}

/** A fresh RSA key pair, and the service-account key file for it with a given `token_uri`. */
export async function makeServiceAccount(): Promise<{
  clientEmail: string;
  publicKey: CryptoKey;
  privateKeyPem: string;
  keyFile: (tokenUri: string) => Record<string, string>;
}> {
  const pair = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      hash: "SHA-256",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
    },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(
    await crypto.subtle.exportKey("pkcs8", pair.privateKey),
  );
  const body = Buffer.from(pkcs8).toString("base64").replace(/.{64}/g, "$&\n");
  const pem = `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
  const clientEmail = "stowage-test@fixture-project.iam.gserviceaccount.com";
  return {
    clientEmail,
    publicKey: pair.publicKey,
    privateKeyPem: pem,
    keyFile: (tokenUri) => ({
      type: "service_account",
      project_id: "fixture-project",
      private_key_id: "0123456789abcdef",
      private_key: pem,
      client_email: clientEmail,
      client_id: "1234567890",
      token_uri: tokenUri,
    }),
  };
}
