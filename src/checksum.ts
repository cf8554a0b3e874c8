/**
 * Checksums the clouds verify and WebCrypto lacks, in JavaScript: MD5 (S3 and Azure
 * `Content-MD5`), CRC32 (S3 `x-amz-checksum-crc32`) and CRC32C (GCS `x-goog-hash`,
 * S3 `x-amz-checksum-crc32c`), plus base64 helpers. Incremental, so streamed data
 * can be hashed chunk by chunk.
 *
 * @example
 * ```ts
 * import { crc32c, md5, toBase64 } from "./checksum.ts";
 *
 * const data = new TextEncoder().encode("123456789");
 * console.assert(crc32c(data) === 0xe3069283);
 * console.assert(toBase64(md5(new Uint8Array())) === "1B2M2Y8AsgTpgAmY7PhCfg==");
 * ```
 *
 * @module
 */

// ------------------------------------------------------------------ MD5 (RFC 1321)

const S = [
  7,
  12,
  17,
  22,
  7,
  12,
  17,
  22,
  7,
  12,
  17,
  22,
  7,
  12,
  17,
  22,
  5,
  9,
  14,
  20,
  5,
  9,
  14,
  20,
  5,
  9,
  14,
  20,
  5,
  9,
  14,
  20,
  4,
  11,
  16,
  23,
  4,
  11,
  16,
  23,
  4,
  11,
  16,
  23,
  4,
  11,
  16,
  23,
  6,
  10,
  15,
  21,
  6,
  10,
  15,
  21,
  6,
  10,
  15,
  21,
  6,
  10,
  15,
  21,
];
const K = Int32Array.from(
  { length: 64 },
  (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32),
);

/**
 * An incremental MD5 hash.
 *
 * @example
 * ```ts
 * import { Md5, toHex } from "./checksum.ts";
 * const h = new Md5();
 * h.update(new TextEncoder().encode("a"));
 * h.update(new TextEncoder().encode("bc"));
 * console.assert(toHex(h.digest()) === "900150983cd24fb0d6963f7d28e17f72");
 * ```
 */
export class Md5 {
  #state = new Int32Array([
    0x67452301,
    0xefcdab89 | 0,
    0x98badcfe | 0,
    0x10325476,
  ]);
  #block = new Uint8Array(64);
  #view = new DataView(this.#block.buffer);
  #filled = 0;
  #length = 0;
  #words = new Int32Array(16);

  /**
   * Adds bytes to the hash.
   *
   * @param data the bytes
   * @returns this hash
   */
  update(data: Uint8Array): this {
    this.#length += data.length;
    let off = 0;
    if (this.#filled > 0) {
      const take = Math.min(64 - this.#filled, data.length);
      this.#block.set(data.subarray(0, take), this.#filled);
      this.#filled += take;
      off = take;
      if (this.#filled < 64) return this;
      this.#compress(this.#view, 0);
      this.#filled = 0;
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (; off + 64 <= data.length; off += 64) this.#compress(view, off);
    if (off < data.length) {
      this.#block.set(data.subarray(off), 0);
      this.#filled = data.length - off;
    }
    return this;
  }

  #compress(view: DataView, off: number): void {
    const x = this.#words;
    for (let i = 0; i < 16; i++) x[i] = view.getInt32(off + i * 4, true);
    const st = this.#state;
    let a = st[0], b = st[1], c = st[2], d = st[3];
    for (let i = 0; i < 64; i++) {
      let f: number, g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const t = d;
      d = c;
      c = b;
      const sum = (a + f + K[i] + x[g]) | 0;
      b = (b + ((sum << S[i]) | (sum >>> (32 - S[i])))) | 0;
      a = t;
    }
    st[0] = (st[0] + a) | 0;
    st[1] = (st[1] + b) | 0;
    st[2] = (st[2] + c) | 0;
    st[3] = (st[3] + d) | 0;
  }

  /**
   * Finishes the hash.
   *
   * @returns the 16-byte digest
   */
  digest(): Uint8Array {
    const bits = this.#length * 8;
    const pad = new Uint8Array(
      ((this.#filled < 56 ? 56 : 120) - this.#filled) + 8,
    );
    pad[0] = 0x80;
    const pv = new DataView(pad.buffer);
    pv.setUint32(pad.length - 8, bits >>> 0, true);
    pv.setUint32(pad.length - 4, Math.floor(bits / 2 ** 32), true);
    this.update(pad);
    const out = new Uint8Array(16);
    const ov = new DataView(out.buffer);
    for (let i = 0; i < 4; i++) ov.setInt32(i * 4, this.#state[i], true);
    return out;
  }
}

/**
 * MD5 of bytes.
 *
 * @param data the bytes
 * @returns the 16-byte digest
 *
 * @example
 * ```ts
 * import { md5, toHex } from "./checksum.ts";
 * console.assert(toHex(md5(new TextEncoder().encode("abc"))) === "900150983cd24fb0d6963f7d28e17f72");
 * ```
 */
export function md5(data: Uint8Array): Uint8Array {
  return new Md5().update(data).digest();
}

// ------------------------------------------------------------------ CRC32 and CRC32C

/** The eight slice-by-8 tables of a reflected CRC-32 polynomial. */
function crcTables(poly: number): Uint32Array[] {
  const t0 = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t0[i] = c >>> 0;
  }
  const tables = [t0];
  for (let t = 1; t < 8; t++) {
    const prev = tables[t - 1];
    const next = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      next[i] = (prev[i] >>> 8) ^ t0[prev[i] & 0xff];
    }
    tables.push(next);
  }
  return tables;
}

/** Tables built on first use: a bundle that never hashes never builds them. */
let castagnoli: Uint32Array[] | undefined;
let ieee: Uint32Array[] | undefined;

/** Continues a reflected CRC-32 over bytes, slice-by-8. */
function crcUpdate(tables: Uint32Array[], data: Uint8Array, previous: number): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = tables;
  let crc = ~previous >>> 0;
  let i = 0;
  const n = data.length;
  // Bytes up to a 4-byte boundary, then 8 bytes a step through 32-bit words.
  while (i < n && (data.byteOffset + i) % 4 !== 0) {
    crc = t0[(crc ^ data[i++]) & 0xff] ^ (crc >>> 8);
  }
  const words = (n - i) >>> 3;
  if (words > 0 && LITTLE_ENDIAN) {
    const w = new Uint32Array(data.buffer, data.byteOffset + i, words * 2);
    for (let k = 0; k < w.length; k += 2) {
      const a = w[k] ^ crc;
      const b = w[k + 1];
      crc = t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^
        t4[a >>> 24] ^
        t3[b & 0xff] ^ t2[(b >>> 8) & 0xff] ^ t1[(b >>> 16) & 0xff] ^
        t0[b >>> 24];
    }
    i += words * 8;
  }
  for (; i < n; i++) crc = t0[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

/**
 * CRC32C of bytes, slice-by-8; pass a previous value to continue a running checksum.
 *
 * @param data the bytes
 * @param previous the CRC of the bytes before these (default 0)
 * @returns the CRC32C as an unsigned 32-bit number
 *
 * @example
 * ```ts
 * import { crc32c } from "./checksum.ts";
 * const enc = new TextEncoder();
 * console.assert(crc32c(enc.encode("6789"), crc32c(enc.encode("12345"))) === 0xe3069283);
 * ```
 */
export function crc32c(data: Uint8Array, previous = 0): number {
  return crcUpdate(castagnoli ??= crcTables(0x82f63b78), data, previous);
}

/**
 * CRC32 (IEEE 802.3, the one of zlib and of S3's `x-amz-checksum-crc32`) of bytes,
 * slice-by-8 in JavaScript; pass a previous value to continue a running checksum.
 * `src/digest.ts` uses the runtime's native `zlib.crc32` instead where there is one.
 *
 * @param data the bytes
 * @param previous the CRC of the bytes before these (default 0)
 * @returns the CRC32 as an unsigned 32-bit number
 *
 * @example
 * ```ts
 * import { crc32 } from "./checksum.ts";
 * const enc = new TextEncoder();
 * console.assert(crc32(enc.encode("6789"), crc32(enc.encode("12345"))) === 0xcbf43926);
 * ```
 */
export function crc32(data: Uint8Array, previous = 0): number {
  return crcUpdate(ieee ??= crcTables(0xedb88320), data, previous);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * A CRC32 or CRC32C as the 4 big-endian bytes GCS uses in `x-goog-hash` and S3 in
 * `x-amz-checksum-crc32(c)` (base64 of these).
 *
 * @param crc the checksum
 * @returns 4 bytes
 *
 * @example
 * ```ts
 * import { crc32cBytes, toBase64 } from "./checksum.ts";
 * console.assert(toBase64(crc32cBytes(0)) === "AAAAAA==");
 * ```
 */
export function crc32cBytes(crc: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, crc >>> 0, false);
  return out;
}

// ------------------------------------------------------------------ encodings

/**
 * Base64 of bytes.
 *
 * @param bytes the bytes
 * @returns standard base64 with padding
 *
 * @example
 * ```ts
 * import { toBase64 } from "./checksum.ts";
 * console.assert(toBase64(new Uint8Array([255])) === "/w==");
 * ```
 */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/**
 * Bytes of a base64 string.
 *
 * @param b64 standard or URL-safe base64
 * @returns the bytes
 *
 * @example
 * ```ts
 * import { fromBase64 } from "./checksum.ts";
 * console.assert(fromBase64("/w==")[0] === 255);
 * ```
 */
export function fromBase64(b64: string): Uint8Array {
  const s = atob(b64.replaceAll("-", "+").replaceAll("_", "/"));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * Lower-case hex of bytes.
 *
 * @param bytes the bytes
 * @returns the hex string
 *
 * @example
 * ```ts
 * import { toHex } from "./checksum.ts";
 * console.assert(toHex(new Uint8Array([1, 171])) === "01ab");
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}
