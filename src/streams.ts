/**
 * Web Streams helpers shared by the flavors: text/bytes adapters, collecting a
 * stream, and making a stream from bytes.
 *
 * @example
 * ```ts
 * import { bytesToStream, readAllBytes } from "./streams.ts";
 *
 * const bytes = await readAllBytes(bytesToStream(new Uint8Array([1, 2, 3])));
 * console.assert(bytes.length === 3);
 * ```
 *
 * @module
 */

import { InvalidArgumentError } from "./errors.ts";

/**
 * A short description of a value's type for error messages.
 *
 * @param value the value
 * @returns e.g. `"a number"`, `"an ArrayBuffer"`, `"null"`
 */
function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  const name = typeof value === "object"
    ? (value as object).constructor?.name ?? "object"
    : typeof value;
  return `${/^[aeiouAEIOU]/.test(name) ? "an" : "a"} ${name}`;
}

/**
 * The error for data of the wrong type given to a text or binary sink — one message
 * for every place that checks (the text adapter, the store boundary, `writeAll`,
 * `fileio.writeText`/`writeBytes`).
 *
 * @param kind what the sink takes
 * @param got what it was given
 * @param path the file, when known
 * @returns the error, whose message says what to do and that nothing was written
 *
 * @example
 * ```ts
 * import { wrongChunk } from "./streams.ts";
 * console.assert(wrongChunk("text", 1).message.includes("got a number"));
 * ```
 */
export function wrongChunk(
  kind: "text" | "bytes",
  got: unknown,
  path?: string,
): InvalidArgumentError {
  const what = kind === "text" ? "text takes strings" : "binary data takes Uint8Arrays";
  const hint = kind === "text"
    ? "convert with String() or JSON.stringify(), or open with 'wb' to write bytes"
    : "encode text with new TextEncoder().encode(), or open with 'w' to write text";
  return new InvalidArgumentError(
    `Cannot write${path ? ` '${path}'` : ""}: ${what}, got ${describe(got)}; ${hint}. ` +
      "Nothing was written",
    { path },
  );
}

/**
 * Wraps a byte sink as a text sink (UTF-8). `close()` resolves only when the
 * underlying sink has committed; `abort()` aborts it. A surrogate pair split across
 * two writes is encoded correctly.
 *
 * @param sink the byte sink
 * @param path the file, for the error when a chunk is not a string
 * @returns a text sink (a chunk that is not a string aborts `sink` and fails)
 *
 * @example
 * ```ts
 * import { binaryToTextWritable } from "./streams.ts";
 *
 * const chunks: Uint8Array[] = [];
 * const text = binaryToTextWritable(new WritableStream({ write: (c) => void chunks.push(c) }));
 * const w = text.getWriter();
 * await w.write("hé");
 * await w.close();
 * console.assert(chunks[0].length === 3);
 * ```
 */
export function binaryToTextWritable(
  sink: WritableStream<Uint8Array>,
  path?: string,
): WritableStream<string> {
  const writer = sink.getWriter();
  const encoder = new TextEncoder();
  let pending = "";
  return new WritableStream<string>({
    async write(chunk) {
      if (typeof chunk !== "string") {
        const err = wrongChunk("text", chunk, path);
        await writer.abort(err).catch(() => {});
        throw err;
      }
      let s = pending + chunk;
      pending = "";
      const last = s.charCodeAt(s.length - 1);
      if (last >= 0xd800 && last <= 0xdbff) {
        pending = s.slice(-1);
        s = s.slice(0, -1);
      }
      if (s.length > 0) await writer.write(encoder.encode(s));
    },
    async close() {
      if (pending) await writer.write(encoder.encode(pending));
      await writer.close();
    },
    async abort(reason) {
      await writer.abort(reason);
    },
  });
}

/**
 * Reads a byte stream to the end and returns all of it in one array.
 *
 * @param stream the stream
 * @returns the bytes
 *
 * @example
 * ```ts
 * import { bytesToStream, readAllBytes } from "./streams.ts";
 * console.assert((await readAllBytes(bytesToStream(new Uint8Array(5)))).length === 5);
 * ```
 */
export async function readAllBytes(
  stream: ReadableStream<Uint8Array>,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    total += chunk.length;
  }
  return concatBytes(chunks, total);
}

/**
 * Concatenates byte arrays.
 *
 * @param chunks the arrays
 * @param total their total length, if known
 * @returns one array
 *
 * @example
 * ```ts
 * import { concatBytes } from "./streams.ts";
 * console.assert(concatBytes([new Uint8Array(2), new Uint8Array(3)]).length === 5);
 * ```
 */
export function concatBytes(
  chunks: readonly Uint8Array[],
  total?: number,
): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total ?? chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/**
 * A byte stream over the given bytes, in chunks of at most `chunkSize`.
 *
 * @param bytes the bytes
 * @param chunkSize the largest chunk (default 1 MiB)
 * @returns the stream
 *
 * @example
 * ```ts
 * import { bytesToStream } from "./streams.ts";
 * const s = bytesToStream(new Uint8Array(10), 4);
 * let n = 0;
 * for await (const c of s) n += c.length;
 * console.assert(n === 10);
 * ```
 */
export function bytesToStream(
  bytes: Uint8Array,
  chunkSize = 1 << 20,
): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (off >= bytes.length) {
        controller.close();
        return;
      }
      const end = Math.min(bytes.length, off + chunkSize);
      controller.enqueue(bytes.slice(off, end));
      off = end;
    },
  });
}

/**
 * Writes all of `data` to a sink and closes it (the write commits when this resolves).
 *
 * @param sink the sink
 * @param data the bytes or text to write
 *
 * @example
 * ```ts
 * import { writeAll } from "./streams.ts";
 * let n = 0;
 * await writeAll(new WritableStream({ write: (c: Uint8Array) => void (n += c.length) }), new Uint8Array(3));
 * console.assert(n === 3);
 * ```
 */
export async function writeAll<T extends Uint8Array | string>(
  sink: WritableStream<T>,
  data: T,
): Promise<void> {
  const w = sink.getWriter();
  if (typeof data !== "string" && !(data instanceof Uint8Array)) {
    const err = wrongChunk("bytes", data);
    await w.abort(err).catch(() => {});
    throw err;
  }
  try {
    if (data.length > 0) await w.write(data);
    await w.close();
  } catch (err) {
    await w.abort(err).catch(() => {});
    throw err;
  }
}

/**
 * Reads a text stream to the end. A byte stream (a file opened with `"rb"`) is
 * decoded as UTF-8, so either kind of stream gives its text.
 *
 * @param stream the stream of strings or bytes
 * @returns the text
 *
 * @example
 * ```ts
 * import { readAllText } from "./streams.ts";
 * const s = ReadableStream.from(["a", "b"]);
 * console.assert((await readAllText(s)) === "ab");
 * ```
 */
export async function readAllText(
  stream: ReadableStream<string> | ReadableStream<Uint8Array>,
): Promise<string> {
  let out = "";
  let decoder: TextDecoder | undefined;
  for await (const chunk of stream as AsyncIterable<string | Uint8Array>) {
    if (typeof chunk === "string") out += chunk;
    else if (chunk instanceof Uint8Array) {
      out += (decoder ??= new TextDecoder()).decode(chunk, { stream: true });
    } else {
      throw new InvalidArgumentError(
        `readAllText reads streams of strings or Uint8Arrays, got a chunk of type ${typeof chunk}`,
      );
    }
  }
  if (decoder) out += decoder.decode();
  return out;
}

/**
 * An empty byte stream (the body of a read past the end).
 *
 * @returns the stream
 *
 * @example
 * ```ts
 * import { emptyBody } from "./streams.ts";
 * console.assert((await new Response(emptyBody()).arrayBuffer()).byteLength === 0);
 * ```
 */
export function emptyBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (c) => c.close() });
}

/**
 * Skips `skip` bytes of a stream and passes at most `take` bytes of the rest (`null`:
 * all), cancelling the source once done — for a server that ignored a `Range` header
 * and sent the whole object.
 *
 * @param body the stream
 * @param skip bytes to drop first
 * @param take bytes to pass, or `null` for the rest
 * @returns the slice
 *
 * @example
 * ```ts
 * import { sliceBody } from "./streams.ts";
 * const s = sliceBody(new Response("abcdef").body!, 2, 3);
 * console.assert((await new Response(s).text()) === "cde");
 * ```
 */
export function sliceBody(
  body: ReadableStream<Uint8Array>,
  skip: number,
  take: number | null,
): ReadableStream<Uint8Array> {
  let pos = 0;
  const stop = take === null ? Infinity : skip + take;
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (pos >= stop) {
          reader.cancel().catch(() => {});
          controller.close();
          return;
        }
        const { value, done } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        const from = Math.max(0, skip - pos);
        const to = Math.min(value.length, stop - pos);
        pos += value.length;
        if (to > from) {
          controller.enqueue(value.subarray(from, to));
          return;
        }
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
