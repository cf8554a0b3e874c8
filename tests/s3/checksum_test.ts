// The `checksum` setting on real servers: what each algorithm sends, that it
// works end to end on Ceph RGW and fauxqs, that a body damaged after its checksum
// was computed is refused (Ceph verifies Content-MD5; neither emulator verifies
// flexible checksums) with nothing left behind, and that a whole-object read is
// checked against the checksum the service returns.

import { test } from "node:test";
import assert from "node:assert/strict";
import { IntegrityError } from "../../mod.ts";
import { crc32, crc32cBytes, toBase64 } from "../../src/checksum.ts";
import { getBytes, patternBytes, putBytes, sha256 } from "../conformance/suite.ts";
import { type Call, MiB, recorder, s3Emulator, s3Store, type TestS3Store } from "./_s3.ts";

const T = { timeout: 60_000 };
const EMULATORS = ["fauxqs", "ceph"] as const;
const skipOf = (name: "ceph" | "fauxqs") =>
  typeof s3Emulator(name) === "string" && String(s3Emulator(name));

const isPart = (c: Call) => c.method === "PUT" && c.url.searchParams.has("partNumber");
const isObjectPut = (c: Call) =>
  c.method === "PUT" && !c.url.searchParams.has("partNumber") &&
  !c.headers.has("x-amz-copy-source");
const isCreate = (c: Call) => c.method === "POST" && c.url.searchParams.has("uploads");
const isComplete = (c: Call) => c.method === "POST" && c.url.searchParams.has("uploadId");

/** The checksum headers of a request, lower-case names. */
const checksumHeaders = (c: Call) =>
  [...c.headers.keys()].filter((k) =>
    k === "content-md5" || k.startsWith("x-amz-checksum") || k === "x-amz-sdk-checksum-algorithm"
  ).sort();

/** A copy of a request body with one byte flipped (the headers stay as computed). */
function flipped(c: Call): Uint8Array {
  const copy = (c.body as Uint8Array).slice();
  copy[copy.length >> 1] ^= 0x01;
  return copy;
}

for (const name of EMULATORS) {
  for (const algorithm of ["crc32", "crc32c", "md5"] as const) {
    test(
      `${name}: checksum "${algorithm}" sends its headers and round-trips a PUT and a multipart upload`,
      {
        ...T,
        skip: skipOf(name),
      },
      async () => {
        const rec = recorder();
        const store = s3Store(name, `ck-${algorithm}`, {
          fetch: rec.fetch,
          checksum: algorithm,
        }) as TestS3Store;
        const small = patternBytes(10_000, 1);
        await putBytes(store, `${store.path}/small.bin`, small);
        const flexible = algorithm !== "md5";
        // fauxqs 1.9.2 reads a CompleteMultipartUpload part list with a regex that
        // skips every part listing its checksum: it commits an empty object, which
        // the part count of its ETag gives away. The write fails and nothing stays.
        const misread = name === "fauxqs" && flexible;
        const big = patternBytes(11 * MiB, 2);
        const wrote = await putBytes(store, `${store.path}/big.bin`, big).then(
          () => null,
          (e) => e,
        );
        if (misread) {
          assert.ok(wrote instanceof IntegrityError, String(wrote));
          assert.match(wrote.message, /committed 0 of its 3 parts.*"md5"/);
          assert.equal(await store.exists(`${store.path}/big.bin`), false);
        } else assert.equal(wrote, null);
        const bodies = rec.calls.filter((c) => isObjectPut(c) || isPart(c));
        assert.equal(bodies.length, 4); // one PUT, three parts
        for (const c of bodies) {
          assert.deepEqual(
            checksumHeaders(c),
            flexible
              ? [`x-amz-checksum-${algorithm}`, "x-amz-sdk-checksum-algorithm"]
              : ["content-md5"],
          );
        }
        if (algorithm === "crc32") {
          const put = bodies.find(isObjectPut)!;
          assert.equal(
            put.headers.get("x-amz-checksum-crc32"),
            toBase64(crc32cBytes(crc32(small))),
          );
          assert.equal(put.headers.get("x-amz-sdk-checksum-algorithm"), "CRC32");
        }
        const create = rec.calls.find(isCreate)!;
        assert.equal(
          create.headers.get("x-amz-checksum-algorithm"),
          flexible ? algorithm.toUpperCase() : null,
        );
        const complete = String(rec.calls.find(isComplete)!.body);
        const element = algorithm === "crc32c" ? "ChecksumCRC32C" : "ChecksumCRC32";
        assert.equal(
          (complete.match(new RegExp(`<${element}>`, "g")) ?? []).length,
          flexible ? 3 : 0,
        );
        assert.deepEqual(await getBytes(store, `${store.path}/small.bin`), small);
        if (!misread) {
          assert.equal(
            await sha256(await getBytes(store, `${store.path}/big.bin`)),
            await sha256(big),
          );
        }
        if (name === "ceph") {
          // A copy in parts (UploadPartCopy, which fauxqs lacks) lists the copied parts
          // in its commit too.
          store.setMultipartCopy(6 * MiB, 5 * MiB);
          await store.copyfile(`${store.path}/big.bin`, `${store.path}/copy.bin`);
          assert.equal(
            await sha256(await getBytes(store, `${store.path}/copy.bin`)),
            await sha256(big),
          );
        }
        // Whole-object reads ask for the stored checksum.
        const get = rec.calls.filter((c) =>
          c.method === "GET" && !c.url.searchParams.has("list-type")
        );
        assert.ok(
          get.length >= (misread ? 1 : 2) &&
            get.every((c) => c.headers.get("x-amz-checksum-mode") === "ENABLED"),
        );
        await store.rmtree(store.path);
      },
    );
  }

  test(
    `${name}: checksum false sends no checksum header at all; "auto" on a custom endpoint is Content-MD5`,
    {
      ...T,
      skip: skipOf(name),
    },
    async () => {
      const off = recorder();
      const store = s3Store(name, "ck-off", { fetch: off.fetch, checksum: false }) as TestS3Store;
      await putBytes(store, `${store.path}/x.bin`, patternBytes(6 * MiB, 3));
      await putBytes(store, `${store.path}/y.bin`, patternBytes(100, 4));
      await getBytes(store, `${store.path}/y.bin`);
      assert.ok(off.calls.length >= 5);
      for (const c of off.calls) assert.deepEqual(checksumHeaders(c), [], `${c.method} ${c.url}`);
      assert.ok(!String(off.calls.find(isComplete)!.body).includes("Checksum"));

      for (const setting of [undefined, "auto", true] as const) {
        const auto = recorder();
        const s = s3Store(name, "ck-auto", { fetch: auto.fetch, checksum: setting }) as TestS3Store;
        await putBytes(s, `${s.path}/z.bin`, patternBytes(100, 5));
        assert.deepEqual(checksumHeaders(auto.calls.find(isObjectPut)!), ["content-md5"]);
        await s.rmtree(s.path);
      }
      await store.rmtree(store.path);
    },
  );
}

test(
  "ceph: a body damaged after its Content-MD5 was computed is refused: IntegrityError, nothing visible",
  { ...T, skip: skipOf("ceph") },
  async () => {
    // Every attempt of the small PUT and of part 2 arrives damaged.
    const rec = recorder((c, real) => {
      if ((isObjectPut(c) || (isPart(c) && c.url.searchParams.get("partNumber") === "2"))) {
        // deno-lint-ignore no-explicit-any
        const init: any = { method: c.method, headers: c.headers, body: flipped(c) };
        return fetch(c.url, init);
      }
      return real();
    });
    const store = s3Store("ceph", "ck-damaged", {
      fetch: rec.fetch,
      retry: { maxRetries: 1, initialBackoffMs: 1, maxBackoffMs: 5 },
    }) as TestS3Store;
    for (const [file, size] of [["small.bin", 10_000], ["big.bin", 7 * MiB]] as const) {
      const err = await putBytes(store, `${store.path}/${file}`, patternBytes(size, 6)).then(
        () => null,
        (e) => e,
      );
      assert.ok(err instanceof IntegrityError, String(err));
      assert.equal(err.code, "Integrity");
      assert.equal(err.status, 400);
      assert.equal(err.retryable, true); // the bytes in memory are intact
      assert.match(err.message, /BadDigest/);
      assert.equal(await store.exists(`${store.path}/${file}`), false);
    }
    assert.deepEqual(await store.pendingUploads(), []);
    assert.deepEqual(await store.rawKeys(), []);
  },
);

test(
  "fauxqs: a whole read is checked against the service's x-amz-checksum-crc32; a damaged body is an IntegrityError",
  { ...T, skip: skipOf("fauxqs") },
  async () => {
    // Neither emulator returns stored checksums (RGW 16 and fauxqs ignore
    // x-amz-checksum-mode), so the injected fetch plays S3: it answers a GET with the
    // CRC32 of the true bytes, and damages one byte of the body when told to.
    let damage = false;
    let composite = false;
    const rec = recorder(async (c, real) => {
      const res = await real();
      if (c.method !== "GET" || res.status !== 200 || c.url.searchParams.has("list-type")) {
        return res;
      }
      const bytes = new Uint8Array(await res.arrayBuffer());
      const headers = new Headers(res.headers);
      const sum = toBase64(crc32cBytes(crc32(bytes)));
      headers.set("x-amz-checksum-crc32", composite ? `${sum}-2` : sum);
      if (damage) bytes[bytes.length >> 1] ^= 0x01;
      return new Response(bytes, { status: res.status, headers });
    });
    const store = s3Store("fauxqs", "ck-get", { fetch: rec.fetch }) as TestS3Store;
    const data = patternBytes(300_000, 7);
    const p = `${store.path}/x.bin`;
    await putBytes(store, p, data);
    assert.deepEqual(await getBytes(store, p), data);

    damage = true;
    const err = await getBytes(store, p).then(() => null, (e) => e);
    assert.ok(err instanceof IntegrityError, String(err));
    assert.equal(err.retryable, false);
    assert.match(err.message, /corrupt.*CRC32/);

    // A composite checksum (a multipart object's, `…-N`) is not a checksum of the bytes.
    composite = true;
    assert.equal((await getBytes(store, p)).length, data.length);
    await store.rmtree(store.path);
  },
);
