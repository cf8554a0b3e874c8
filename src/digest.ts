/**
 * The checksums a store sends with its writes and checks on its reads, computed
 * natively where the runtime has them — `zlib.crc32` of `node:zlib` (Node ≥ 20.15,
 * Deno, Bun; GB/s) and MD5 of `node:crypto` — else in JavaScript
 * (`src/checksum.ts`). The `node:` modules are loaded lazily, by dynamic import, on
 * the first hash: an edge bundle never needs them, and where they fail to load the
 * JavaScript versions take over.
 *
 * @example
 * ```ts
 * import { hasher } from "./digest.ts";
 * import { toBase64 } from "./checksum.ts";
 * const crc = await hasher("crc32");
 * console.assert(toBase64(crc.digest(new TextEncoder().encode("123456789"))) === "y/Q5Jg==");
 * ```
 *
 * @module
 */

import { crc32, crc32c, crc32cBytes, Md5, toBase64 } from "./checksum.ts";
import { IntegrityError } from "./errors.ts";

/** A checksum algorithm a store can send and verify. */
export type ChecksumAlgorithm = "crc32" | "crc32c" | "md5";

/**
 * The `checksum` setting of a cloud flavor: `"auto"` (the flavor picks what its
 * service verifies; `true` means the same), one algorithm, or `false` for none.
 */
export type ChecksumSetting = "auto" | ChecksumAlgorithm | boolean;

/** The algorithms of {@linkcode ChecksumAlgorithm}, for validation and messages. */
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ["crc32", "crc32c", "md5"];

/** A running checksum: feed bytes, then read the digest. */
export interface RunningHash {
  /** Adds bytes. */
  update(data: Uint8Array): void;
  /** The digest of every byte added (the hash is finished). */
  digest(): Uint8Array;
}

/** One algorithm's implementation: whole-buffer and running. */
export interface Hasher {
  /** The algorithm. */
  readonly algorithm: ChecksumAlgorithm;
  /** True when the runtime's native code computes it. */
  readonly native: boolean;
  /** The digest of bytes (4 big-endian bytes for the CRCs, 16 for MD5). */
  digest(data: Uint8Array): Uint8Array;
  /** A running hash, for streamed bytes. */
  start(): RunningHash;
}

/** The parts of `node:zlib` and `node:crypto` used here (feature-detected). */
export interface NativeModules {
  /** `node:zlib`, or null where it does not load. */
  zlib: { crc32?: (data: Uint8Array, value?: number) => number } | null;
  /** `node:crypto`, or null where it does not load. */
  crypto: {
    createHash?: (alg: string) => {
      update(data: Uint8Array): unknown;
      digest(): Uint8Array;
    };
    createHmac?: (alg: string, key: Uint8Array) => {
      update(data: string): unknown;
      digest(): Uint8Array;
    };
  } | null;
}

/** A CRC as a {@linkcode Hasher}, over a function that continues a running value. */
function crcHasher(
  algorithm: ChecksumAlgorithm,
  fn: (data: Uint8Array, previous: number) => number,
  native: boolean,
): Hasher {
  return {
    algorithm,
    native,
    digest: (data) => crc32cBytes(fn(data, 0)),
    start() {
      let crc = 0;
      return {
        update: (data) => void (crc = fn(data, crc)),
        digest: () => crc32cBytes(crc),
      };
    },
  };
}

/**
 * The hashers over the native modules given (each feature-detected and tried
 * once, so a runtime whose MD5 is disabled, e.g. in FIPS mode, falls back), else
 * JavaScript.
 *
 * @param m the loaded modules (null ones are missing)
 * @returns a hasher per algorithm
 *
 * @example
 * ```ts
 * import { makeHashers } from "./digest.ts";
 * const js = makeHashers({ zlib: null, crypto: null });
 * console.assert(!js.crc32.native && js.md5.digest(new Uint8Array()).length === 16);
 * ```
 */
export function makeHashers(m: NativeModules): Record<ChecksumAlgorithm, Hasher> {
  const probe = new Uint8Array([0x31]);
  let zcrc = m.zlib?.crc32;
  try {
    // "1" → 0x83dcefb7: the function exists and is the IEEE CRC.
    if (zcrc && zcrc(probe, 0) >>> 0 !== 0x83dcefb7) zcrc = undefined;
  } catch {
    zcrc = undefined;
  }
  let createHash = m.crypto?.createHash;
  try {
    createHash?.("md5").update(probe);
  } catch {
    createHash = undefined;
  }
  const native = createHash;
  const md5: Hasher = {
    algorithm: "md5",
    native: native !== undefined,
    digest(data) {
      const h = this.start();
      h.update(data);
      return h.digest();
    },
    start() {
      if (!native) {
        const js = new Md5();
        return { update: (data) => void js.update(data), digest: () => js.digest() };
      }
      const h = native("md5");
      return {
        update: (data) => void h.update(data),
        digest: () => new Uint8Array(h.digest()),
      };
    },
  };
  const nativeCrc = zcrc;
  return {
    crc32: nativeCrc
      ? crcHasher("crc32", (d, p) => nativeCrc(d, p) >>> 0, true)
      : crcHasher("crc32", crc32, false),
    crc32c: crcHasher("crc32c", crc32c, false),
    md5,
  };
}

let modules: Promise<NativeModules> | undefined;
/** An HMAC-SHA256: key and text to the 32-byte MAC. */
export type NativeHmac = (key: Uint8Array, text: string) => Uint8Array;
let hmac: Promise<NativeHmac | null> | undefined;
let loaded: Promise<Record<ChecksumAlgorithm, Hasher>> | undefined;

/** Loads `node:zlib` and `node:crypto` once (null where they do not exist). */
function loadModules(): Promise<NativeModules> {
  return modules ??= Promise.all([
    import("node:zlib").catch(() => null),
    import("node:crypto").catch(() => null),
  ]).then(([zlib, crypto]) => ({
    zlib: zlib as NativeModules["zlib"],
    crypto: crypto as NativeModules["crypto"],
  }));
}

function loadHashers(): Promise<Record<ChecksumAlgorithm, Hasher>> {
  return loaded ??= loadModules().then(makeHashers);
}

/**
 * `node:crypto`'s HMAC-SHA256 where the runtime has it (synchronous, several
 * times cheaper per request than WebCrypto's on Node), else null: the caller
 * signs with WebCrypto.
 *
 * @returns a function from key and text to the 32-byte MAC, or null
 *
 * @example
 * ```ts
 * import { nativeHmacSha256 } from "./digest.ts";
 * import { toHex } from "./checksum.ts";
 * const hmac = await nativeHmacSha256();
 * const mac = hmac?.(new TextEncoder().encode("key"), "The quick brown fox jumps over the lazy dog");
 * console.assert(!mac || toHex(mac).startsWith("f7bc83f4"));
 * ```
 */
export function nativeHmacSha256(): Promise<NativeHmac | null> {
  return hmac ??= loadModules().then(({ crypto }) => {
    const create = crypto?.createHmac;
    if (!create) return null;
    try {
      create("sha256", new Uint8Array(1)).update("");
    } catch {
      return null;
    }
    return (key: Uint8Array, text: string) => {
      const h = create("sha256", key);
      h.update(text);
      return new Uint8Array(h.digest());
    };
  });
}

/**
 * The fastest implementation of an algorithm on this runtime (loaded on first use).
 *
 * @param algorithm the algorithm
 * @returns its hasher
 *
 * @example
 * ```ts
 * import { hasher } from "./digest.ts";
 * import { toHex } from "./checksum.ts";
 * const md5 = await hasher("md5");
 * console.assert(toHex(md5.digest(new Uint8Array())) === "d41d8cd98f00b204e9800998ecf8427e");
 * ```
 */
export async function hasher(algorithm: ChecksumAlgorithm): Promise<Hasher> {
  return (await loadHashers())[algorithm];
}

/**
 * A stream that passes the bytes through and errors at the end, with an
 * {@linkcode IntegrityError} (not retryable: the caller decides to read again),
 * when their checksum is not the one the service sent.
 *
 * @param body the download
 * @param h the algorithm's hasher
 * @param expected the service's checksum, base64
 * @param where the path and flavor, for the error
 * @returns the checked stream
 *
 * @example
 * ```ts
 * import { hasher, verifyDigest } from "./digest.ts";
 * const body = new Blob(["123456789"]).stream();
 * const checked = verifyDigest(body, await hasher("crc32"), "y/Q5Jg==", { path: "s3://b/k" });
 * console.assert((await new Response(checked).text()) === "123456789");
 * ```
 */
export function verifyDigest(
  body: ReadableStream<Uint8Array>,
  h: Hasher,
  expected: string,
  where: { path?: string; flavor?: string },
): ReadableStream<Uint8Array> {
  const running = h.start();
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        running.update(chunk);
        controller.enqueue(chunk);
      },
      flush() {
        const got = toBase64(running.digest());
        if (got !== expected) {
          throw new IntegrityError(
            `The download of '${where.path}' is corrupt: its ${h.algorithm.toUpperCase()} is ` +
              `'${got}', the service says '${expected}'; read it again`,
            { ...where, retryable: false },
          );
        }
      },
    }),
  );
}
