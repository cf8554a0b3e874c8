// The checksums of writes and reads (the JavaScript CRCs themselves are checked in
// checksum_test.ts): native and JavaScript implementations agreeing on random inputs, the fallback where `node:` modules are missing, the `checksum` setting's
// forms (and a typed error for others), and what "auto" picks per endpoint.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ConfigError, IntegrityError } from "../../mod.ts";
import { S3ArtifactStore } from "../../flavors/s3/mod.ts";
import { GcsArtifactStore } from "../../flavors/gcs/mod.ts";
import { AzureArtifactStore } from "../../flavors/azure/mod.ts";
import { toBase64 } from "../../src/checksum.ts";
import {
  CHECKSUM_ALGORITHMS,
  hasher,
  makeHashers,
  nativeHmacSha256,
  verifyDigest,
} from "../../src/digest.ts";
import { pickS3Checksum } from "../../flavors/s3/integrity.ts";

const enc = new TextEncoder();

test("digest: native zlib.crc32 and node:crypto MD5 are used where they exist", async () => {
  const zlib = await import("node:zlib") as { crc32?: unknown };
  const crc = await hasher("crc32");
  assert.equal(crc.native, typeof zlib.crc32 === "function");
  assert.equal((await hasher("md5")).native, true);
  assert.equal((await hasher("crc32c")).native, false);
});

test("digest: native and JavaScript hashers agree on random inputs, whole and running", async () => {
  const zlib = await import("node:zlib");
  const crypto = await import("node:crypto");
  const native = makeHashers({ zlib: zlib as never, crypto: crypto as never });
  const js = makeHashers({ zlib: null, crypto: null });
  assert.equal(js.crc32.native, false);
  assert.equal(js.md5.native, false);
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 5000 }),
      fc.nat({ max: 5000 }),
      fc.nat({ max: 7 }),
      (data, cut, offset) => {
        const view = new Uint8Array(data.length + offset);
        view.set(data, offset);
        const d = view.subarray(offset);
        const at = Math.min(cut, d.length);
        for (const alg of CHECKSUM_ALGORITHMS) {
          const want = toBase64(js[alg].digest(d));
          assert.equal(toBase64(native[alg].digest(d)), want, alg);
          for (const h of [native[alg], js[alg]]) {
            const r = h.start();
            r.update(d.subarray(0, at));
            r.update(d.subarray(at));
            assert.equal(toBase64(r.digest()), want, `${alg} running`);
          }
        }
      },
    ),
    { numRuns: 200 },
  );
});

test("digest: node:crypto's HMAC-SHA256 (Azure SharedKey) agrees with WebCrypto's on random keys and texts", async () => {
  const native = await nativeHmacSha256();
  assert.ok(native, "node:crypto has createHmac on every runtime here");
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ minLength: 1, maxLength: 80 }),
      fc.string({ unit: "binary", maxLength: 600 }),
      async (key, text) => {
        const k = await crypto.subtle.importKey(
          "raw",
          key as BufferSource,
          { name: "HMAC", hash: "SHA-256" },
          false,
          ["sign"],
        );
        const web = new Uint8Array(await crypto.subtle.sign("HMAC", k, enc.encode(text)));
        assert.deepEqual(native(key, text), web);
      },
    ),
    { numRuns: 200 },
  );
});

test("digest: without node: modules (an edge runtime) every algorithm falls back to JavaScript", () => {
  const broken = makeHashers({
    zlib: {
      crc32: () => {
        throw new Error("no");
      },
    },
    crypto: {
      createHash: () => {
        throw new Error("md5 disabled (FIPS)");
      },
    },
  });
  const none = makeHashers({ zlib: {}, crypto: {} });
  for (const h of [broken, none]) {
    assert.equal(toBase64(h.crc32.digest(enc.encode("123456789"))), "y/Q5Jg==");
    assert.equal(toBase64(h.md5.digest(new Uint8Array())), "1B2M2Y8AsgTpgAmY7PhCfg==");
    assert.ok(!h.crc32.native && !h.md5.native);
  }
});

test("digest: verifyDigest passes good bytes and fails damaged ones with a non-retryable IntegrityError", async () => {
  const crc = await hasher("crc32");
  const good = verifyDigest(new Blob(["123456789"]).stream(), crc, "y/Q5Jg==", {
    path: "s3://b/k",
  });
  assert.equal(await new Response(good).text(), "123456789");
  const bad = verifyDigest(new Blob(["123456780"]).stream(), crc, "y/Q5Jg==", {
    path: "s3://b/k",
    flavor: "s3",
  });
  const err = await new Response(bad).text().then(() => null, (e) => e);
  assert.ok(err instanceof IntegrityError, String(err));
  assert.equal(err.code, "Integrity");
  assert.equal(err.retryable, false);
  assert.equal(err.flavor, "s3");
  assert.match(
    err.message,
    /'s3:\/\/b\/k' is corrupt: its CRC32 is '.*', the service says 'y\/Q5Jg=='/,
  );
});

test("digest: 'checksum' takes \"auto\", an algorithm, true or false on s3, gcs and azure; anything else is a ConfigError", () => {
  const configs = {
    s3: (checksum: unknown) =>
      new S3ArtifactStore({
        path: "s3://b",
        region: "us-east-1",
        accessKeyId: "A",
        secretAccessKey: "S",
        checksum,
      } as never),
    gcs: (checksum: unknown) => new GcsArtifactStore({ path: "gs://b", checksum } as never),
    azure: (checksum: unknown) =>
      new AzureArtifactStore({
        path: "az://cont/run",
        endpoint: "http://127.0.0.1:9/acct",
        accountName: "acct",
        accountKey: "a2V5",
        checksum,
      } as never),
  };
  for (const [name, make] of Object.entries(configs)) {
    for (const ok of ["auto", "crc32", "crc32c", "md5", true, false, undefined]) {
      assert.doesNotThrow(() => make(ok), `${name} ${String(ok)}`);
    }
    for (const bad of ["sha256", "CRC32", 1, "", null]) {
      const err = (() => {
        try {
          make(bad);
        } catch (e) {
          return e;
        }
      })();
      assert.ok(err instanceof ConfigError, `${name} ${String(bad)}: ${err}`);
      assert.match(
        (err as Error).message,
        /'checksum' must be "auto", "crc32", "crc32c", "md5", true \(the same as "auto"\) or false/,
      );
    }
  }
});

test('digest: "auto" is CRC32 on AWS and Content-MD5 on other endpoints; an algorithm is itself', () => {
  for (const auto of ["auto", true] as const) {
    assert.equal(pickS3Checksum(auto, undefined), "crc32");
    assert.equal(pickS3Checksum(auto, "https://s3.eu-west-1.amazonaws.com"), "crc32");
    assert.equal(pickS3Checksum(auto, "https://s3.cn-north-1.amazonaws.com.cn"), "crc32");
    assert.equal(pickS3Checksum(auto, "http://127.0.0.1:7480"), "md5");
    assert.equal(pickS3Checksum(auto, "https://acct.r2.cloudflarestorage.com"), "md5");
    assert.equal(pickS3Checksum(auto, "https://evilamazonaws.com"), "md5");
  }
  for (const alg of CHECKSUM_ALGORITHMS) {
    assert.equal(pickS3Checksum(alg, "http://127.0.0.1:7480"), alg);
    assert.equal(pickS3Checksum(alg, undefined), alg);
  }
  assert.equal(pickS3Checksum(false, undefined), null);
});
