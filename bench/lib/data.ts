/**
 * Byte sources and sinks for the transfers: a stream of N bytes made of one
 * reused 1 MiB chunk (so producing the data costs nothing), and a drain that
 * counts what it reads.
 *
 * @module
 */

/** 1 MiB. */
export const MiB = 1024 * 1024;

let chunk: Uint8Array | undefined;

/** One MiB of pseudo-random bytes, made once. */
export function sourceChunk(): Uint8Array {
  if (!chunk) {
    chunk = new Uint8Array(MiB);
    let x = 0x9e3779b9;
    for (let i = 0; i < chunk.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      chunk[i] = x & 0xff;
    }
  }
  return chunk;
}

/**
 * Bytes of the given size, pseudo-random.
 *
 * @param size how many
 * @returns a fresh array
 */
export function bytesOf(size: number): Uint8Array {
  const out = new Uint8Array(size);
  const c = sourceChunk();
  for (let off = 0; off < size; off += c.length) {
    out.set(c.subarray(0, Math.min(c.length, size - off)), off);
  }
  return out;
}

/**
 * A byte stream of `total` bytes in chunks of `chunkSize` (≤ 1 MiB), each a view
 * of the same source chunk (consumers that keep chunks see identical bytes).
 *
 * @param total bytes in all
 * @param chunkSize bytes per chunk
 * @returns the stream
 */
export function byteStream(
  total: number,
  chunkSize = MiB,
): ReadableStream<Uint8Array> {
  const c = sourceChunk();
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(chunkSize, c.length, total - sent);
      controller.enqueue(c.subarray(0, n));
      sent += n;
    },
  }, { highWaterMark: 0 });
}

/**
 * Writes `total` bytes to a writable stream, chunk by chunk, and closes it.
 *
 * @param w the sink
 * @param total bytes
 * @param chunkSize bytes per write
 */
export async function writeBytes(
  w: WritableStream<Uint8Array>,
  total: number,
  chunkSize = MiB,
): Promise<void> {
  const c = sourceChunk();
  const writer = w.getWriter();
  try {
    for (let sent = 0; sent < total;) {
      const n = Math.min(chunkSize, c.length, total - sent);
      await writer.write(c.subarray(0, n));
      sent += n;
    }
    await writer.close();
  } catch (err) {
    await writer.abort(err).catch(() => {});
    throw err;
  }
}

/**
 * Reads a stream to its end and counts the bytes.
 *
 * @param s the stream
 * @returns bytes read
 */
export async function drain(s: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0;
  const r = s.getReader();
  for (;;) {
    const { done, value } = await r.read();
    if (done) return n;
    n += value.byteLength;
  }
}

/**
 * Reads a Node readable (or any async iterable of chunks) to its end.
 *
 * @param s the stream
 * @returns bytes read
 */
export async function drainIterable(
  s: AsyncIterable<{ length: number }>,
): Promise<number> {
  let n = 0;
  for await (const c of s) n += c.length;
  return n;
}

/** MB/s (10^6 bytes per second) of `bytes` in `ms`. */
export function mbps(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000);
}
