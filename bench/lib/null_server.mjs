// The null server of the bench: a node:http server on 127.0.0.1 (port 0) that
// accepts and discards uploads (counting bytes) and serves N bytes from memory,
// speaking just enough of three protocols for Stowage's flavors, the official
// SDKs and raw fetch:
//
// - S3 (path style, `/bucket/key`): PutObject, multipart start/part/commit,
//   HEAD, ranged GET, an empty ListObjectsV2.
// - Azure Blob (any request with an `x-ms-version` header, or `restype`/`comp`):
//   Put Blob, Put Block, Put Block List, Get Blob (ranged), Get Blob Properties,
//   an empty List Blobs.
// - GCS JSON API (`/storage/v1/…`, `/upload/storage/v1/…`): media, multipart and
//   resumable uploads (chunked with 308s, or one streamed request), `alt=media`
//   reads (ranged, with the CRC32C of the whole object in `x-goog-hash`), object
//   metadata, an empty objects.list.
//
// The object size is the last run of digits in the key (`…/268435456.bin`). The
// served bytes are all 0x5a. Uploads are not checked; where a client verifies
// the stored object's checksum (GCS), the server echoes the X-Goog-Hash it was
// sent, or gives the CRC32C of what it received (see `uploadCrc`). Prints
// {"port":N}; exits when stdin closes.
//
//   node bench/lib/null_server.mjs

import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import process from "node:process";

const FILL = 0x5a;
const CHUNK = Buffer.alloc(1024 * 1024, FILL);
const ETAG = '"0123456789abcdef0123456789abcdef"';
const LAST_MODIFIED = new Date(0).toUTCString();

// CRC32C (Castagnoli), table-driven: for GCS metadata only.
const CRC_TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  CRC_TABLE[n] = c;
}
function crc32cUpdate(crc, buf) {
  let c = ~crc;
  for (let i = 0; i < buf.length; i++) {
    c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  }
  return ~c >>> 0;
}
function crc32cBase64(crc) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc >>> 0);
  return b.toString("base64");
}
/** The CRC32C of `size` served bytes (all 0x5a), computed once per size. */
const servedCrc = new Map();
function servedCrc32c(size) {
  let v = servedCrc.get(size);
  if (v === undefined) {
    let crc = 0;
    for (let left = size; left > 0; left -= CHUNK.length) {
      crc = crc32cUpdate(
        crc,
        left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left),
      );
    }
    v = crc32cBase64(crc);
    servedCrc.set(size, v);
  }
  return v;
}

function sizeOf(path) {
  const m = /(\d+)(?:\.bin)?$/.exec(decodeURIComponent(path));
  return m ? Number(m[1]) : 0;
}

function send(res, status, body, type, headers = {}) {
  res.writeHead(status, {
    "content-type": type,
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}
const xml = (res, body, status = 200) =>
  send(
    res,
    status,
    `<?xml version="1.0" encoding="UTF-8"?>${body}`,
    "application/xml",
  );
const json = (res, body, status = 200) =>
  send(res, status, JSON.stringify(body), "application/json; charset=UTF-8");

/** Reads and discards a request body; resolves its length (and CRC32C, continued from `from`, when asked). */
function discard(req, crc = false, from = 0) {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let c = from;
    req.on("data", (d) => {
      bytes += d.length;
      if (crc) c = crc32cUpdate(c, d);
    });
    req.on("end", () => resolve({ bytes, crc: c }));
    req.on("error", reject);
  });
}

/** Reads a (small) request body whole. */
function collect(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on("data", (d) => parts.push(d));
    req.on("end", () => resolve(Buffer.concat(parts)));
    req.on("error", reject);
  });
}

async function serveBytes(req, res, size, extra = {}) {
  let start = 0;
  let end = size; // exclusive
  const range = /^bytes=(\d*)-(\d*)$/.exec(
    req.headers.range ?? req.headers["x-ms-range"] ?? "",
  );
  const headers = {
    "content-type": "application/octet-stream",
    "etag": ETAG,
    "last-modified": LAST_MODIFIED,
    "accept-ranges": "bytes",
    ...extra,
  };
  let status = 200;
  if (range) {
    if (range[1] === "") start = Math.max(0, size - Number(range[2]));
    else {
      start = Number(range[1]);
      if (range[2] !== "") end = Math.min(size, Number(range[2]) + 1);
    }
    if (start >= size && size > 0) {
      res.writeHead(416, { "content-range": `bytes */${size}` });
      return res.end();
    }
    status = 206;
    headers["content-range"] = `bytes ${start}-${end - 1}/${size}`;
  }
  headers["content-length"] = String(Math.max(0, end - start));
  res.writeHead(status, headers);
  if (req.method === "HEAD") return res.end();
  let left = end - start;
  while (left > 0) {
    const n = Math.min(left, CHUNK.length);
    left -= n;
    if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
      await new Promise((r) => res.once("drain", r));
    }
    if (res.destroyed) return;
  }
  res.end();
}

// ---- S3 ----

async function s3(req, res, url) {
  const q = url.searchParams;
  if (req.method === "PUT" || req.method === "POST") {
    await discard(req);
    if (req.method === "POST" && q.has("uploads")) {
      return xml(
        res,
        `<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>` +
          `<UploadId>null-upload</UploadId></InitiateMultipartUploadResult>`,
      );
    }
    if (req.method === "POST" && q.has("uploadId")) {
      return xml(
        res,
        `<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>` +
          `<ETag>${ETAG}</ETag></CompleteMultipartUploadResult>`,
      );
    }
    res.writeHead(200, { etag: ETAG, "content-length": "0" });
    return res.end();
  }
  if (req.method === "DELETE") {
    res.writeHead(204);
    return res.end();
  }
  if (req.method === "GET" && q.has("list-type")) {
    // ListObjectsV2 (the directory check before a write): nothing below any prefix.
    return xml(
      res,
      `<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>`,
    );
  }
  return serveBytes(req, res, sizeOf(url.pathname));
}

// ---- Azure Blob ----

const AZURE_HEADERS = {
  "x-ms-version": "2025-11-05",
  "x-ms-request-id": "00000000-0000-0000-0000-000000000000",
};

async function azure(req, res, url) {
  const q = url.searchParams;
  const comp = q.get("comp");
  if (req.method === "PUT") {
    await discard(req);
    const headers = {
      ...AZURE_HEADERS,
      "content-length": "0",
      "x-ms-request-server-encrypted": "true",
    };
    if (comp !== "block") {
      Object.assign(headers, { etag: ETAG, "last-modified": LAST_MODIFIED });
    }
    res.writeHead(201, headers);
    return res.end();
  }
  if (req.method === "DELETE") {
    res.writeHead(202, { ...AZURE_HEADERS, "content-length": "0" });
    return res.end();
  }
  if (req.method === "GET" && comp === "list") {
    return xml(
      res,
      `<EnumerationResults ContainerName="c"><Blobs></Blobs><NextMarker /></EnumerationResults>`,
    );
  }
  return serveBytes(req, res, sizeOf(url.pathname), {
    ...AZURE_HEADERS,
    "x-ms-blob-type": "BlockBlob",
    "x-ms-creation-time": LAST_MODIFIED,
    "x-ms-server-encrypted": "true",
  });
}

// ---- GCS JSON API ----

function gcsObject(name, size, crc32c) {
  return {
    kind: "storage#object",
    id: `b/${name}/1`,
    name,
    bucket: "b",
    generation: "1",
    metageneration: "1",
    contentType: "application/octet-stream",
    size: String(size),
    ...(crc32c ? { crc32c } : {}),
    etag: "CAE=",
    timeCreated: new Date(0).toISOString(),
    updated: new Date(0).toISOString(),
  };
}

/** The `crc32c=` of an X-Goog-Hash header, if any. */
function sentCrc(req) {
  return /crc32c=([^,]+)/.exec(req.headers["x-goog-hash"] ?? "")?.[1];
}

/** Resumable sessions: upload id → { name, received, crc, hash }. */
const sessions = new Map();
/**
 * The CRC32C of an upload, by the object's size: computed (in JavaScript, in
 * this process) the first time an upload of that size arrives without an
 * X-Goog-Hash, then reused, so the timed runs after the warm-up pass do not pay
 * for the server's hashing. The bench sends the same bytes on every run; a
 * client that sent others would see its own integrity check fail.
 */
const uploadCrc = new Map();

async function gcs(req, res, url) {
  const q = url.searchParams;
  const upload = url.pathname.startsWith("/upload/");
  if (upload && req.method === "POST" && q.get("uploadType") === "resumable") {
    // Start of a resumable session: its URI is this path plus the upload id.
    await discard(req);
    const id = randomUUID();
    const name = q.get("name") ?? "";
    sessions.set(id, {
      name,
      received: 0,
      crc: 0,
      hash: !uploadCrc.has(sizeOf(name)),
    });
    const loc = new URL(url);
    loc.searchParams.set("upload_id", id);
    res.writeHead(200, {
      location: `http://${req.headers.host}${loc.pathname}${loc.search}`,
      "content-length": "0",
    });
    return res.end();
  }
  if (upload && req.method === "PUT" && q.has("upload_id")) {
    const s = sessions.get(q.get("upload_id"));
    if (!s) {
      return json(
        res,
        { error: { code: 404, message: "no such upload" } },
        404,
      );
    }
    // Content-Range: `bytes a-b/total`, `bytes a-b/*`, `bytes a-*/total|*` (one
    // streamed request), or `bytes */total|*` (a status query or an empty end).
    const cr = /^bytes (\*|(\d+)-(\d+|\*))\/(\d+|\*)$/.exec(
      req.headers["content-range"] ?? "",
    );
    const hash = sentCrc(req);
    const got = await discard(req, s.hash && !hash, s.crc);
    s.received += got.bytes;
    s.crc = got.crc;
    const total = cr?.[4];
    const streamed = cr?.[3] === "*";
    const final = streamed ||
      (total !== undefined && total !== "*" && s.received >= Number(total));
    if (!final) {
      const h = { "content-length": "0" };
      if (s.received > 0) h.range = `bytes=0-${s.received - 1}`;
      res.writeHead(308, h);
      return res.end();
    }
    sessions.delete(q.get("upload_id"));
    const crc = hash ??
      (s.hash ? crc32cBase64(s.crc) : uploadCrc.get(sizeOf(s.name)));
    if (hash || s.hash) uploadCrc.set(sizeOf(s.name), crc);
    return json(res, gcsObject(s.name, s.received, crc));
  }
  if (upload && req.method === "POST" && q.get("uploadType") === "media") {
    // The body is the object: hashed only the first time a body of its length arrives.
    const length = Number(req.headers["content-length"] ?? -1);
    const known = uploadCrc.get(length);
    const got = await discard(req, known === undefined);
    const crc = known ?? crc32cBase64(got.crc);
    if (length >= 0) uploadCrc.set(length, crc);
    return json(res, gcsObject(q.get("name") ?? "", got.bytes, crc));
  }
  if (upload && req.method === "POST") {
    // uploadType=multipart (metadata + media; small objects): hashed every time.
    const body = await collect(req);
    let media = body;
    let name = q.get("name") ?? "";
    const boundary = /boundary="?([^";]+)"?/.exec(
      req.headers["content-type"] ?? "",
    )?.[1];
    if (boundary) {
      const parts = body.toString("latin1").split(`--${boundary}`);
      const meta = parts[1] ?? "";
      name = /"name"\s*:\s*"([^"]*)"/.exec(meta)?.[1] ?? name;
      const second = parts[2] ?? "";
      const at = second.indexOf("\r\n\r\n");
      media = Buffer.from(second.slice(at + 4, second.length - 2), "latin1");
    }
    const obj = gcsObject(
      name,
      media.length,
      crc32cBase64(crc32cUpdate(0, media)),
    );
    obj.md5Hash = createHash("md5").update(media).digest("base64");
    return json(res, obj);
  }
  if (req.method === "DELETE") {
    res.writeHead(204);
    return res.end();
  }
  const m = /^\/storage\/v1\/b\/[^/]+\/o(?:\/(.+))?$/.exec(url.pathname);
  if (m && !m[1]) return json(res, { kind: "storage#objects" }); // objects.list: empty
  const name = decodeURIComponent(m?.[1] ?? "");
  const size = sizeOf(name);
  if (q.get("alt") !== "media") {
    return json(res, gcsObject(name, size, servedCrc32c(size)));
  }
  return serveBytes(req, res, size, {
    "x-goog-hash": `crc32c=${servedCrc32c(size)}`,
    "x-goog-generation": "1",
    "x-goog-metageneration": "1",
    "x-goog-stored-content-encoding": "identity",
    "x-goog-stored-content-length": String(size),
  });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const protocol = url.pathname.startsWith("/storage/v1/") ||
      url.pathname.startsWith("/upload/storage/v1/")
    ? gcs
    : req.headers["x-ms-version"] || url.searchParams.has("restype") ||
        url.searchParams.has("comp")
    ? azure
    : s3;
  protocol(req, res, url).catch(() => res.destroy());
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
const quit = () =>
  server.close(() => process.exit(0)) &&
  setTimeout(() => process.exit(0), 500).unref();
process.stdin.on("end", quit);
process.stdin.on("error", quit);
process.stdin.resume();
process.on("SIGTERM", quit);
