/**
 * The causes of the gaps the bench finds, as investigated (profiled) by hand.
 * Each entry names the gaps it explains; the page lists every gap under the
 * first matching cause, or says plainly that none was investigated.
 *
 * How they were found (2026-11, on the 2-core bench machine): CPU profiles of
 * the child processes (`node --cpu-prof`), the null-server variants of section
 * 4 (core vs S3 flavor vs `checksum: false`), per-request timings with an
 * injected `fetch` that answers at once (signing vs Stowage's own work), a
 * connection counter on a loopback server, and stand-alone MD5/CRC32C loops;
 * in 2026-12 also the nullsdk section before and after the Node transport, CPU
 * profiles of 1 KiB puts on Node (a connection closed per cancelled answer) and
 * a stand-alone loop coalescing Node response chunks (no difference).
 *
 * @module
 */

/** A gap: Stowage slower than the SDK, or more than 20% under the limit. */
export interface Gap {
  /** Section id. */
  section: string;
  /** Backend or subpath. */
  backend: string;
  /** Operation. */
  op: string;
  /** Mode (`seq`, `c16`), if any. */
  mode?: string;
  /** Runtime. */
  runtime: string;
  /** Which Stowage path (`stowage`, `core`, `s3`). */
  client: string;
  /** What it was compared with (`sdk`, `raw`, `native`). */
  against: string;
  /** Stowage ÷ other, in speed (below 1: Stowage is slower). */
  ratio: number;
  /** The min–max ranges of the two overlap: the gap may be noise. */
  overlap: boolean;
}

/** A known cause. */
export interface Cause {
  /** A short heading. */
  title: string;
  /** Which gaps it explains. */
  match: (g: Gap) => boolean;
  /** The explanation (Markdown). */
  text: string;
}

const kind = (backend: string) => backend.replace(/-.*/, "");
const is = (g: Gap, section: string, op?: string) =>
  g.section === section && (op === undefined || g.op === op);
/** A one-object transfer of the null-server section, of any size (256 MiB, 1 GiB). */
const big = (g: Gap, op: "upload" | "download") =>
  is(g, "nullsdk") && new RegExp(`^${op}-\\d+[MG]iB-1x$`).test(g.op);

/** The causes found so far, most specific first. */
export const CAUSES: Cause[] = [
  // ---------------------------------------------------------------- small objects
  {
    title: "Small writes: the directory check before a write",
    match: (g) => is(g, "small", "put") || is(g, "nullsdk", "upload-1KiB-1000x"),
    text: "Before it writes a file, Stowage lists `key/` (one key) so that a file is never " +
      "written over a directory (objects below that name), as a file system refuses it; on " +
      "Azure the ADLS directory marker's HEAD goes out beside that listing. The SDKs only PUT. " +
      "For a large object the listing runs while the parts upload and costs nothing; for a " +
      "1 KiB object it is a second request, so a small write costs two requests where the " +
      "SDK's costs one (on the null server, where the server answers at once, that is most of " +
      "the gap: stat and get, one request each, are at or above the SDKs). Each write also " +
      "carries a checksum the service verifies: a CRC32C in a `multipart/related` upload on " +
      "GCS (JSON metadata, then the bytes), a `Content-MD5` on Azure and on custom S3 " +
      "endpoints, where the SDKs send a CRC32 (AWS) or nothing (Azure).",
  },
  {
    title: "Small objects on Node: WebCrypto signing",
    match: (g) =>
      (is(g, "small") || is(g, "nullsdk")) && g.runtime === "node" &&
      kind(g.backend) === "s3" && !/[MG]iB-1x$/.test(g.op),
    text: "S3 requests are signed by aws4fetch with WebCrypto (`crypto.subtle` SHA-256 + HMAC " +
      "per request); on Node 20 each WebCrypto call is a job on the thread pool with a promise " +
      "(~200 µs a request here, ~80 µs on Deno), where the AWS SDK signs with node:crypto's " +
      "synchronous HMAC. Azure's SharedKey HMAC uses node:crypto where the runtime has it; " +
      "aws4fetch has no such hook. The transport itself is node:http with keep-alive (the " +
      "Node transport) on both sides.",
  },
  {
    title: "Small objects: per-request signing and bookkeeping",
    match: (g) => is(g, "small") || (is(g, "nullsdk") && /1KiB/.test(g.op)),
    text: "Per-request cost: Stowage signs every request with WebCrypto (for S3, aws4fetch's " +
      "SHA-256 + HMAC: ~80 µs on Deno, more on Node and Bun) and adds ~25 µs of its own (path " +
      "resolution, the HttpClient attempt with its timeout and abort signal, headers); against " +
      "an in-memory server on loopback that is a visible share of a 1 KiB round trip. Raw " +
      "`fetch` signs nothing and checks nothing.",
  },
  // ---------------------------------------------------------------- large objects
  {
    title: "Large GCS writes: the emulator forces one buffered request",
    match: (g) => is(g, "large", "write") && kind(g.backend) === "gcs",
    text: "Emulator setup, not the client's normal path: the firebase emulator cannot take " +
      "multi-chunk resumable uploads, so Stowage writes the object as one `multipart/related` " +
      "request (the whole object buffered, then assembled into one body, with a CRC32C over all " +
      "of it in JavaScript), where the SDK's default streams one resumable request without a " +
      "checksum. That is also why its peak RSS is several times the object size.",
  },
  {
    title: "Large writes: Content-MD5 on the sending core",
    match: (g) =>
      (is(g, "large", "write") || big(g, "upload")) &&
      kind(g.backend) !== "gcs",
    text: 'Azure verifies only `Content-MD5`, and on a custom S3 endpoint `"auto"` sends it ' +
      "too (Ceph RGW verifies only `Content-MD5`; fauxqs nothing): one MD5 per part or block, " +
      "by `node:crypto` (~550–650 MB/s on this CPU) on the thread that feeds the upload. On " +
      "this 2-core machine the server or emulator takes one core, so the hash competes with " +
      "sending; the SDKs send a CRC32 (the AWS SDK, `zlib.crc32` at GB/s) or nothing (Azure's " +
      "`uploadStream`). Section 4 isolates it: `s3-crc32` (what `auto` sends to AWS) and " +
      "`s3-nomd5` run near the core's speed. `checksum: false` trades the service-side check " +
      "for that speed.",
  },
  {
    title: "Large GCS writes on the null server: one resumable session, chunk after chunk",
    match: (g) => big(g, "upload") && kind(g.backend) === "gcs",
    text: "A GCS resumable upload takes its chunks in order, one at a time (each `PUT` with " +
      "its `Content-Range` must be answered before the next), with a CRC32C of the whole " +
      "object in JavaScript for GCS to verify; the raw row sends separate 8 MiB media uploads, " +
      "4 in flight, and checks nothing. The SDK uses the same resumable protocol and is slower " +
      "than Stowage.",
  },
  {
    title: "Large GCS reads: CRC32C verification and stream stages",
    match: (g) =>
      (is(g, "large", "read") || big(g, "download")) &&
      kind(g.backend) === "gcs",
    text: "Stowage verifies the CRC32C of every whole-object GCS read (in JavaScript, ~1 GB/s " +
      "here: no runtime has a native CRC32C) and passes the body through two stream stages " +
      "(the verification and the resumable body); raw `fetch` checks nothing. `checksum: " +
      "false` skips the verification.",
  },
  {
    title: "Large reads on Node and Bun: web-stream stages",
    match: (g) =>
      (is(g, "large", "read") || big(g, "download")) &&
      g.runtime !== "deno",
    text: "The SDKs read node:http's IncomingMessage directly (on Bun, its fast node:http); " +
      "Stowage hands back a web ReadableStream, so each 64 KiB chunk passes the transport's " +
      "stream, the resumable body (which resumes a broken download with a ranged `If-Match` " +
      "GET) and the error boundary that types every failure: a few promises a chunk, in " +
      "JavaScript on Node's and Bun's web streams. Coalescing chunks into 1 MiB in the Node " +
      "transport was tried and made no measurable difference.",
  },
  {
    title: "Large reads: one pass-through stream",
    match: (g) => is(g, "large", "read") || big(g, "download"),
    text: "One pass-through ReadableStream (`resumableBody`, which resumes a broken download) " +
      "between the response and the caller, plus checksum checks where the service sends them.",
  },
  // ---------------------------------------------------------------- the http flavor
  {
    title: "The http flavor from Deno to Deno's server: the server reading chunked bodies",
    match: (g) => is(g, "serve") && g.runtime === "deno" && g.backend === "deno",
    text: "Measured by the section's server CPU column: Deno.serve spends about twice the CPU " +
      "per upload on the Deno client's chunked request body (3.1 s per GiB) that it spends on " +
      "curl's Content-Length body (1.5 s), and the server's core is the limit. From Node and " +
      "Bun the same server spends 1.2–1.6 s. Earlier fixes (a read-ahead in the http flavor's " +
      "upload) took this pair from 8–13 MB/s to where it is; what in Deno's server makes the " +
      "chunked framing costly is not known yet.",
  },
  {
    title: "The http flavor from Node to Bun's server: the Node client",
    match: (g) => is(g, "serve") && g.runtime === "node" && g.backend === "bun",
    text: "Measured by the section's server CPU column: Bun.serve spends the same CPU per " +
      "upload on this client as on curl (1.07 s and 1.04 s per GiB), so the time goes on the " +
      "client's side: node:http writing the chunked body from the web stream (the transport " +
      "keeps 4 MiB queued ahead of the socket). The same client reaches curl's speed against " +
      "Deno's and Node's servers, which are slower than Bun's; the client's own CPU was not " +
      "measured yet.",
  },
  // ---------------------------------------------------------------- listing
  {
    title: "Listing: within the noise",
    match: (g) => is(g, "listing", "glob") || is(g, "listing", "walk"),
    text: "Both make the same listing calls (glob: one flat listing of the prefix, 1,000 keys a " +
      "page; walk: one delimiter listing per directory); Stowage also matches every key against " +
      "the compiled pattern and collects the implied directories, microseconds per key. Against " +
      "a local emulator these runs take tens of milliseconds, so single runs swing.",
  },
  {
    title: "Azure rmtree: the emulator's batch endpoint",
    match: (g) => is(g, "listing", "rmtree") && kind(g.backend) === "azure",
    text: "Azurite executes blob-batch deletes slowly (~15 s for 2,000 blobs, for both clients): " +
      "the two are within the emulator's noise.",
  },
  // ---------------------------------------------------------------- the limit
  {
    title: "Null server, S3 writes: Content-MD5 on a custom endpoint",
    match: (g) => is(g, "limit", "write") && g.client === "s3",
    text: 'On a custom endpoint `"auto"` sends `Content-MD5` per part (the one checksum ' +
      "Ceph RGW and most S3-compatibles verify), by `node:crypto` at ~470–650 MB/s on the " +
      "thread that feeds the upload (WebCrypto offers no MD5). The `s3-crc32` row is what " +
      '`"auto"` sends to AWS: CRC32 by `zlib.crc32` at GB/s; `s3-nomd5` sends none.',
  },
  {
    title: "Null server writes: one copy into part buffers",
    match: (g) => is(g, "limit", "write"),
    text: "Copying: Stowage's writable stream copies every byte into part buffers (the caller " +
      "may reuse its chunk once `write()` resolves), where raw `fetch` sends the parts from one " +
      "preallocated buffer. Part buffers are reused once their upload finishes, so there is no " +
      "allocation per part.",
  },
  {
    title: "Null server reads: one pass-through stream",
    match: (g) => is(g, "limit", "read"),
    text: "One pass-through ReadableStream (`resumableBody`) per download: one more promise per " +
      "chunk, visible at loopback speeds of 1–3 GB/s.",
  },
  // ---------------------------------------------------------------- local files
  {
    title: "Local files on Deno: the node:fs compatibility layer",
    match: (g) => is(g, "local") && g.runtime === "deno",
    text: "The local flavor uses `node:fs/promises` on every runtime; on Deno that goes through " +
      "Deno's Node compatibility layer, where `Deno.open` streams and `Deno.copyFile` call the " +
      "runtime directly. Writes and copies also go to a temporary file renamed on close (atomic).",
  },
  {
    title: "Local reads: 256 KiB chunks through node:fs",
    match: (g) => is(g, "local", "read"),
    text: "The local flavor reads 256 KiB at a time into a fresh buffer through a pull " +
      "ReadableStream over `node:fs/promises` (Node's `createReadStream` here reads 1 MiB; the " +
      "same loop with 1 MiB chunks matches it on Node), and on Bun the `node:fs` compatibility " +
      "layer is slower than `Bun.file().stream()`.",
  },
  {
    title: "Local writes: node:fs handles and an atomic rename",
    match: (g) => is(g, "local", "write"),
    text: "The local flavor writes through `node:fs/promises` file handles into a temporary " +
      "file renamed on close (atomic); on Bun, `Bun.file().writer()` is a buffered native sink " +
      "that the `node:fs` layer does not match.",
  },
  {
    title: "Local copies: temporary file and rename",
    match: (g) => is(g, "local", "copy"),
    text: "The local flavor copies into a temporary file and renames it (atomic, never a " +
      "half-copied destination), after checking the source and the destination.",
  },
];

/**
 * The cause of a gap, if one was investigated.
 *
 * @param g the gap
 * @returns the cause, or undefined
 */
export function causeOf(g: Gap): Cause | undefined {
  return CAUSES.find((c) => c.match(g));
}
