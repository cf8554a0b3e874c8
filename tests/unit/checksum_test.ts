import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  crc32,
  crc32c,
  crc32cBytes,
  fromBase64,
  Md5,
  md5,
  toBase64,
  toHex,
} from "../../src/checksum.ts";

test("checksum: MD5 matches node:crypto for sizes around block edges, incremental too", () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 65536 + 3]) {
    const d = new Uint8Array(n).map((_, i) => (i * 31 + 7) & 0xff);
    const want = createHash("md5").update(d).digest("hex");
    assert.equal(toHex(md5(d)), want, `size ${n}`);
    const h = new Md5();
    for (let i = 0; i < n; i += 13) h.update(d.subarray(i, i + 13));
    assert.equal(toHex(h.digest()), want, `incremental ${n}`);
  }
});

/** A bit-at-a-time reflected CRC-32 of a polynomial: the oracle of the table-driven ones. */
const bitwise = (poly: number) => (d: Uint8Array) => {
  let c = 0xffffffff;
  for (const b of d) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
  }
  return ~c >>> 0;
};

for (
  const [name, fn, poly, check, b64] of [
    ["CRC32C", crc32c, 0x82f63b78, 0xe3069283, "4waSgw=="],
    ["CRC32 (IEEE)", crc32, 0xedb88320, 0xcbf43926, "y/Q5Jg=="],
  ] as const
) {
  test(`checksum: ${name} check value, chaining, unaligned views`, () => {
    const enc = new TextEncoder();
    assert.equal(fn(enc.encode("123456789")), check);
    assert.equal(fn(new Uint8Array()), 0);
    assert.equal(fn(enc.encode("56789"), fn(enc.encode("1234"))), check);
    const oracle = bitwise(poly);
    const buf = new Uint8Array(3000).map((_, i) => (i * 131) & 0xff);
    for (const off of [0, 1, 2, 3, 5]) {
      for (const n of [0, 1, 7, 8, 9, 100, 2001]) {
        const v = buf.subarray(off, off + n);
        assert.equal(fn(v), oracle(v), `offset ${off} size ${n}`);
      }
    }
    assert.equal(toBase64(crc32cBytes(check)), b64);
  });
}

test("checksum: base64 round trip", () => {
  const d = new Uint8Array(70000).map((_, i) => i & 0xff);
  assert.deepEqual(fromBase64(toBase64(d)), d);
  assert.equal(toBase64(md5(new Uint8Array())), "1B2M2Y8AsgTpgAmY7PhCfg==");
});
