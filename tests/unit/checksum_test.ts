import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { crc32c, crc32cBytes, fromBase64, Md5, md5, toBase64, toHex } from "../../src/checksum.ts";

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

test("checksum: CRC32C check value, chaining, unaligned views", () => {
  const enc = new TextEncoder();
  assert.equal(crc32c(enc.encode("123456789")), 0xe3069283);
  assert.equal(
    crc32c(enc.encode("56789"), crc32c(enc.encode("1234"))),
    0xe3069283,
  );
  const bitwise = (d: Uint8Array) => {
    let c = 0xffffffff;
    for (const b of d) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    }
    return ~c >>> 0;
  };
  const buf = new Uint8Array(3000).map((_, i) => (i * 131) & 0xff);
  for (const off of [0, 1, 2, 3, 5]) {
    for (const n of [0, 1, 7, 8, 9, 100, 2001]) {
      const v = buf.subarray(off, off + n);
      assert.equal(crc32c(v), bitwise(v), `offset ${off} size ${n}`);
    }
  }
  assert.equal(toBase64(crc32cBytes(0xe3069283)), "4waSgw==");
});

test("checksum: base64 round trip", () => {
  const d = new Uint8Array(70000).map((_, i) => i & 0xff);
  assert.deepEqual(fromBase64(toBase64(d)), d);
  assert.equal(toBase64(md5(new Uint8Array())), "1B2M2Y8AsgTpgAmY7PhCfg==");
});
