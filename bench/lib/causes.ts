/**
 * The causes of the gaps the bench finds, as investigated (profiled) by hand.
 * Each entry names the gaps it explains; the page lists every gap under the
 * first matching cause, or says plainly that none was investigated.
 *
 * How they were found (2026-11, on the 2-core bench machine): CPU profiles of
 * the child processes (`node --cpu-prof`), the null-server variants of section
 * 4 (core vs S3 flavor vs `checksum: false`), per-request timings with an
 * injected `fetch` that answers at once (signing vs Stowage's own work), a
 * connection counter on a loopback server, and stand-alone MD5/CRC32C loops.
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

/** The causes found so far, most specific first. */
export const CAUSES: Cause[] = [
  // ---------------------------------------------------------------- small objects
  {
    title: "Small objects, stat on Node: a new connection for every HEAD",
    match: (g) => is(g, "small", "stat") && g.runtime === "node" && kind(g.backend) !== "gcs",
    text: "Node 20's `fetch` (undici) opens a new TCP connection for every HEAD request: it " +
      "resets the socket after a HEAD response that carries a `Content-Length` (1,000 HEADs = " +
      "1,000 connections on a loopback server that counts them — raw `fetch` too, see its " +
      "column), while the SDKs' node:http agent keeps one connection. On top of that, WebCrypto " +
      "signing is slow on Node 20 (next entry).",
  },
  {
    title: "Small objects on Node: Node 20's fetch and WebCrypto",
    match: (g) => is(g, "small") && g.runtime === "node" && kind(g.backend) !== "gcs",
    text: "Per-request cost of Node 20's `fetch` and WebCrypto, which raw `fetch` pays too (its " +
      "column is close to Stowage's): SigV4 or SharedKey signing with `crypto.subtle` (importKey " +
      "+ HMAC + SHA-256) takes ~210–240 µs a request on Node 20 against ~80 µs on Deno (aws4fetch " +
      "with an injected `fetch`, no network), where the SDKs sign with node:crypto's synchronous " +
      "HMAC and send with node:http. Stowage's own work per request (path resolution, the " +
      "HttpClient attempt with its timeout, headers, the MD5 of 1 KiB) is ~25 µs on top of signing.",
  },
  {
    title: "Small GCS writes: a multipart upload with a checksum",
    match: (g) => is(g, "small", "put") && kind(g.backend) === "gcs",
    text: "Stowage writes a GCS object as a `multipart/related` upload (JSON metadata with a " +
      "CRC32C, so that GCS verifies the bytes, then the data, assembled into one body) where raw " +
      "`fetch` sends a bare media upload; on Node, undici's per-request cost against the SDK's " +
      "node:http.",
  },
  {
    title: "Small objects: per-request signing and bookkeeping",
    match: (g) => is(g, "small"),
    text: "Per-request cost: Stowage signs every request with WebCrypto (for S3, aws4fetch's " +
      "SHA-256 + HMAC: ~80 µs on Deno, more on Node and Bun) and adds ~25 µs of its own (path " +
      "resolution, the HttpClient attempt with its timeout, headers); against an in-memory " +
      "emulator on loopback that is a visible share of a 1 KiB round trip.",
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
    title: "Large writes: Content-MD5 in JavaScript",
    match: (g) => is(g, "large", "write"),
    text: "`Content-MD5` on every part, computed in JavaScript (WebCrypto has no MD5) on the " +
      "thread that also feeds the upload: ~270–450 MB/s for the hash alone on this CPU. Section " +
      "4 isolates it: the S3 flavor with `checksum: false` runs at ~0.8–1.0× raw `fetch`, with " +
      "MD5 at ~0.15–0.35×. The SDKs send no MD5: the AWS SDK's default CRC32 uses Node's native " +
      "`zlib.crc32`, Azure's `uploadStream` sends no checksum. `checksum: false` trades the " +
      "service-side integrity check for that speed. Peak RSS: raw `fetch` of the same 8 MiB parts " +
      "from one reused buffer already peaks at ~190 MiB on Deno and ~240 MiB on Node (section 4), " +
      "so most of it is the runtime's fetch holding request bodies, not Stowage's part buffers.",
  },
  {
    title: "Large GCS reads: CRC32C verification and stream stages",
    match: (g) => is(g, "large", "read") && kind(g.backend) === "gcs",
    text: "Stowage verifies the CRC32C of every whole-object GCS read (in JavaScript, ~1 GB/s " +
      "here) and passes the body through two stream stages (the verification and the resumable " +
      "body); on Node's JavaScript web streams that is a cost per chunk of the emulator's " +
      "response, on top of Node's `fetch` itself (the raw `fetch` row). `checksum: false` skips " +
      "the verification.",
  },
  {
    title: "Large reads on Node: Node 20's fetch body streams",
    match: (g) => is(g, "large", "read") && g.runtime === "node",
    text: "Two parts. Node 20's `fetch` itself: undici delivers the body through Node's " +
      "JavaScript WHATWG streams, below the SDKs, which read node:http's IncomingMessage " +
      "directly (the raw `fetch` row). And Stowage's one pass-through ReadableStream " +
      "(`resumableBody`, which resumes a broken download with a ranged `If-Match` GET): on " +
      "Node each 64 KiB chunk costs a few more promises, and raw `fetch` wrapped in the same " +
      "`resumableBody` alone reads at Stowage's speed. Deno and Bun do not show it.",
  },
  {
    title: "Large reads: one pass-through stream",
    match: (g) => is(g, "large", "read"),
    text: "One pass-through ReadableStream (`resumableBody`, which resumes a broken download) " +
      "between the response and the caller, plus checksum checks where the service sends them.",
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
