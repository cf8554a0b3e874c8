// The "physical limit" server of the bench: a node:http server on 127.0.0.1
// (port 0) that accepts and discards uploads and serves N bytes from memory,
// speaking just enough S3 for Stowage's S3 flavor (multipart start/part/commit,
// HEAD, ranged GET, an empty ListObjectsV2). The object size is the last run of digits in the key
// (`…/268435456.bin`). Prints {"port":N}; exits when stdin closes.
//
//   node bench/lib/null_server.mjs

import http from "node:http";
import process from "node:process";

const CHUNK = Buffer.alloc(1024 * 1024, 0x5a);
const ETAG = '"0123456789abcdef0123456789abcdef"';

function sizeOf(path) {
  const m = /(\d+)(?:\.bin)?$/.exec(path);
  return m ? Number(m[1]) : 0;
}

function xml(res, body) {
  res.writeHead(200, {
    "content-type": "application/xml",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

async function serveBytes(req, res, size) {
  let start = 0;
  let end = size; // exclusive
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
  const headers = {
    "content-type": "application/octet-stream",
    "etag": ETAG,
    "last-modified": new Date(0).toUTCString(),
    "accept-ranges": "bytes",
  };
  let status = 200;
  if (range) {
    if (range[1] === "") start = Math.max(0, size - Number(range[2]));
    else {
      start = Number(range[1]);
      if (range[2] !== "") end = Math.min(size, Number(range[2]) + 1);
    }
    if (start >= size) {
      res.writeHead(416, { "content-range": `bytes */${size}` });
      return res.end();
    }
    status = 206;
    headers["content-range"] = `bytes ${start}-${end - 1}/${size}`;
  }
  headers["content-length"] = String(end - start);
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

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const q = url.searchParams;
  if (req.method === "PUT" || req.method === "POST") {
    req.on("data", () => {});
    req.on("end", () => {
      if (req.method === "POST" && q.has("uploads")) {
        return xml(
          res,
          `<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult>` +
            `<Bucket>b</Bucket><Key>k</Key><UploadId>null-upload</UploadId>` +
            `</InitiateMultipartUploadResult>`,
        );
      }
      if (req.method === "POST" && q.has("uploadId")) {
        return xml(
          res,
          `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult>` +
            `<ETag>${ETAG}</ETag></CompleteMultipartUploadResult>`,
        );
      }
      res.writeHead(200, { etag: ETAG, "content-length": "0" });
      res.end();
    });
    return;
  }
  if (req.method === "DELETE") {
    res.writeHead(204);
    return res.end();
  }
  if (req.method === "GET" && q.has("list-type")) {
    // ListObjectsV2 (the directory check before a write): nothing below any prefix.
    return xml(
      res,
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult>` +
        `<KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>`,
    );
  }
  if (req.method === "GET" || req.method === "HEAD") {
    serveBytes(req, res, sizeOf(url.pathname)).catch(() => res.destroy());
    return;
  }
  res.writeHead(405);
  res.end();
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
