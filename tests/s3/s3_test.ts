// S3-specific checks on real servers: Ceph RGW (checks SigV4, Content-MD5,
// If-None-Match on PUT, lists pending multipart uploads) and fauxqs (in-memory,
// no auth). Faults are injected with a fetch that wraps the real one.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ArtifactStoreError,
  AuthenticationError,
  createArtifactStore,
  FileExistsError,
  PreconditionFailedError,
} from "../../mod.ts";
import {
  getBytes,
  getText,
  patternBytes,
  putBytes,
  putText,
  sha256,
} from "../conformance/suite.ts";
import {
  bodyLength,
  type Call,
  damaged,
  MiB,
  recorder,
  s3Emulator,
  s3Error,
  s3Store,
  TestS3Store,
  uniquePrefix,
} from "./_s3.ts";
import { S3ArtifactStore } from "../../flavors/s3/mod.ts";

const T = { timeout: 60_000 };

const isPart = (c: Call) => c.method === "PUT" && c.url.searchParams.has("partNumber");
const isObjectPut = (c: Call) =>
  c.method === "PUT" && !c.url.searchParams.has("partNumber") &&
  !c.headers.has("x-amz-copy-source");

// ---------------------------------------------------------------- authentication

test(
  "ceph: a wrong secret or key id is an AuthenticationError on every operation",
  {
    ...T,
    skip: typeof s3Emulator("ceph") === "string" && String(s3Emulator("ceph")),
  },
  async () => {
    const good = s3Store("ceph", "auth") as TestS3Store;
    const p = `${good.path}/f.txt`;
    await putText(good, p, "x");
    for (
      const extra of [
        { secretAccessKey: "wrong-secret" },
        { accessKeyId: "NOSUCHKEY0000000000" },
      ]
    ) {
      const bad = new S3ArtifactStore({ ...good.config, ...extra } as never);
      for (
        const [what, op] of [
          ["stat (HEAD)", () => bad.stat(p)],
          ["exists", () => bad.exists(p)],
          ["read", () => getText(bad, p)],
          ["write", () => putText(bad, `${good.path}/g.txt`, "y")],
          ["listdir", () => bad.listdir(good.path)],
          ["rmtree", () => bad.rmtree(good.path)],
        ] as const
      ) {
        const err = await (op as () => Promise<unknown>)().then(
          () => assert.fail(`${what} succeeded with ${JSON.stringify(extra)}`),
          (e) => e,
        );
        assert.ok(
          err instanceof AuthenticationError,
          `${what}: ${err?.name}: ${err?.message}`,
        );
        assert.match(err.message, /SignatureDoesNotMatch|InvalidAccessKeyId/);
        assert.equal(err.retryable, false);
      }
    }
    assert.equal(await getText(good, p), "x");
    await good.rmtree(good.path);
  },
);

// ---------------------------------------------------------------- multipart

test(
  "ceph: a 40 MiB streamed write goes up in equal parts with Content-MD5 and reads back identical",
  {
    ...T,
    skip: typeof s3Emulator("ceph") === "string" && String(s3Emulator("ceph")),
  },
  async () => {
    const rec = recorder();
    const store = s3Store("ceph", "big", { fetch: rec.fetch }) as TestS3Store;
    const p = `${store.path}/big.bin`;
    const data = patternBytes(40 * MiB, 11);
    await putBytes(store, p, data, "wb", 256 * 1024);
    const parts = rec.calls.filter(isPart);
    assert.equal(parts.length, 8);
    assert.deepEqual(
      parts.map((c) => bodyLength(c.body)),
      Array(8).fill(5 * MiB),
    );
    assert.ok(parts.every((c) => c.headers.has("content-md5")));
    assert.equal(
      rec.calls.filter((c) => c.url.searchParams.has("uploads")).length,
      1,
    );
    assert.equal(
      rec.calls.filter((c) => c.method === "POST" && c.url.searchParams.has("uploadId")).length,
      1,
    );
    assert.equal((await store.stat(p)).size, data.length);
    assert.equal(await sha256(await getBytes(store, p)), await sha256(data));
    assert.deepEqual(await store.pendingUploads(), []);
    await store.rmtree(store.path);
  },
);

test(
  "ceph: an aborted or failed write leaves no object and no pending multipart upload",
  {
    ...T,
    skip: typeof s3Emulator("ceph") === "string" && String(s3Emulator("ceph")),
  },
  async () => {
    let failParts = false;
    const rec = recorder((c, real) =>
      failParts && isPart(c) && c.url.searchParams.get("partNumber") === "2"
        ? Promise.resolve(s3Error(400, "InvalidArgument"))
        : real()
    );
    const store = s3Store("ceph", "abort", { fetch: rec.fetch }) as TestS3Store;
    const data = patternBytes(12 * MiB, 5);

    // 1. writer.abort() after two parts went up.
    const p1 = `${store.path}/aborted.bin`;
    const w1 = (await store.open(p1, "wb")).getWriter();
    await w1.write(data);
    const pending = await store.pendingUploads();
    assert.deepEqual(pending.map((u) => u.key), [store.keyOf("aborted.bin")]);
    await w1.abort(new Error("changed my mind"));
    assert.equal(await store.exists(p1), false);
    assert.deepEqual(await store.pendingUploads(), []);

    // 2. aborted through the signal.
    const p2 = `${store.path}/signalled.bin`;
    const ac = new AbortController();
    const w2 = (await store.open(p2, "wb", { signal: ac.signal })).getWriter();
    await w2.write(data);
    ac.abort(new Error("cancelled"));
    await assert.rejects(w2.close());
    assert.equal(await store.exists(p2), false);
    assert.deepEqual(await store.pendingUploads(), []);

    // 3. a part refused by the service.
    failParts = true;
    const p3 = `${store.path}/failed.bin`;
    await assert.rejects(
      putBytes(store, p3, patternBytes(16 * MiB, 6)),
      ArtifactStoreError,
    );
    failParts = false;
    assert.equal(await store.exists(p3), false);
    assert.deepEqual(await store.pendingUploads(), []);
    assert.ok(
      rec.calls.some((c) => c.method === "DELETE" && c.url.searchParams.has("uploadId")),
    );
  },
);

// ---------------------------------------------------------------- listing

test("ceph: 2,500 keys list, glob and rmtree completely", {
  timeout: 120_000,
  skip: typeof s3Emulator("ceph") === "string" && String(s3Emulator("ceph")),
}, async () => {
  const rec = recorder();
  const store = s3Store("ceph", "many", { fetch: rec.fetch }) as TestS3Store;
  const d = `${store.path}/many`;
  const names = Array.from(
    { length: 2500 },
    (_, i) => `k${String(i).padStart(5, "0")}.txt`,
  );
  const queue = [...names];
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let k = queue.shift(); k !== undefined; k = queue.shift()) {
        await putText(store, `${d}/${k}`, k);
      }
    }),
  );
  rec.calls.length = 0;
  assert.deepEqual(await store.listdir(d), names);
  const lists = rec.calls.filter((c) => c.url.searchParams.get("list-type") === "2");
  assert.ok(lists.length >= 3, `${lists.length} list pages`);
  assert.equal((await store.glob(`${d}/k*.txt`)).length, 2500);
  assert.equal((await store.glob(`${d}/k0249?.txt`)).length, 10);
  let walked = 0;
  for await (const [, , files] of store.walk(store.path)) {
    walked += files.length;
  }
  assert.equal(walked, 2500);
  rec.calls.length = 0;
  await store.rmtree(d);
  const deletes = rec.calls.filter((c) => c.method === "POST" && c.url.searchParams.has("delete"));
  assert.equal(deletes.length, 3);
  assert.ok(deletes.every((c) => c.headers.has("content-md5")));
  assert.equal(await store.exists(d), false);
  assert.deepEqual(await store.rawKeys(), []);
});

// ---------------------------------------------------------------- keys

const SPECIAL = [
  "with space.txt",
  "plus+sign.txt",
  "pct%20.txt",
  "pct%2F.txt",
  "amp&and=eq.txt",
  "hash#tag.txt",
  "question?.txt",
  "ünïcødé-日本語-😀.txt",
  `xml<>"'.txt`,
  "tilde~!@$()[]*.txt",
];

for (const emu of ["ceph", "fauxqs"] as const) {
  const reason = s3Emulator(emu);
  test(
    `${emu}: keys with space, +, %, &, #, ?, unicode are stored literally and round-trip`,
    {
      ...T,
      skip: typeof reason === "string" && reason,
    },
    async () => {
      const store = s3Store(emu, "keys") as TestS3Store;
      const d = `${store.path}/sp ace`;
      for (const n of SPECIAL) {
        await putText(store, `${d}/${n}`, `content ${n}`);
      }
      assert.deepEqual(
        (await store.rawKeys()).sort(),
        SPECIAL.map((n) => store.keyOf(`sp ace/${n}`)).sort(),
      );
      for (const n of SPECIAL) {
        assert.equal(await getText(store, `${d}/${n}`), `content ${n}`);
        assert.equal(
          (await store.stat(`${d}/${n}`)).size,
          new TextEncoder().encode(`content ${n}`).length,
        );
      }
      assert.deepEqual([...await store.listdir(d)].sort(), [...SPECIAL].sort());
      assert.deepEqual(
        (await store.glob(`${d}/*+*`)).map((u) => u.slice(d.length + 1)),
        ["plus+sign.txt"],
      );
      await store.copyfile(`${d}/hash#tag.txt`, `${d}/c/q?&#+.txt`);
      assert.equal(
        await getText(store, `${d}/c/q?&#+.txt`),
        "content hash#tag.txt",
      );
      await store.rename(`${d}/c`, `${d}/moved %2B`);
      assert.equal(
        await getText(store, `${d}/moved %2B/q?&#+.txt`),
        "content hash#tag.txt",
      );
      await store.remove(`${d}/pct%20.txt`);
      assert.equal(await store.exists(`${d}/pct%20.txt`), false);
      assert.equal(await store.exists(`${d}/pct 0.txt`), false);
      await store.rmtree(store.path);
      assert.deepEqual(await store.rawKeys(), []);
    },
  );

  test(`${emu}: directory marker objects ('dir/') are honoured`, {
    ...T,
    skip: typeof reason === "string" && reason,
  }, async () => {
    const store = s3Store(emu, "marker") as TestS3Store;
    await store.putRaw("empty/", new Uint8Array(0));
    await store.putRaw("parent/child/", new Uint8Array(0));
    assert.equal(await store.isdir(`${store.path}/empty`), true);
    assert.equal(await store.exists(`${store.path}/empty`), true);
    assert.equal((await store.stat(`${store.path}/empty`)).isDirectory, true);
    assert.deepEqual(await store.listdir(`${store.path}/empty`), []);
    assert.deepEqual(await store.listdir(store.path), ["empty", "parent"]);
    assert.deepEqual(await store.listdir(`${store.path}/parent`), ["child"]);
    assert.deepEqual(
      (await store.glob(`${store.path}/*/`)).map((u) => u.slice(store.path.length + 1)),
      ["empty", "parent"],
    );
    await store.rmtree(`${store.path}/empty`);
    assert.equal(await store.exists(`${store.path}/empty`), false);
    await store.rmtree(store.path);
    assert.deepEqual(await store.rawKeys(), []);
  });
}

// ---------------------------------------------------------------- create-only

test(
  "ceph: create-only is refused by the service itself (If-None-Match: *), single PUT and multipart",
  {
    ...T,
    skip: typeof s3Emulator("ceph") === "string" && String(s3Emulator("ceph")),
  },
  async () => {
    const rec = recorder();
    const store = s3Store("ceph", "create", {
      fetch: rec.fetch,
    }) as TestS3Store;
    const p = `${store.path}/once.txt`;
    // Both writers open before either commits, so both pass the early existence
    // check: only the PUT's precondition can stop the second.
    const w1 = (await store.open(p, "x")).getWriter();
    const w2 = (await store.open(p, "x")).getWriter();
    await w1.write("first");
    await w2.write("second");
    await w1.close();
    await assert.rejects(w2.close(), FileExistsError);
    assert.equal(await getText(store, p), "first");
    const puts = rec.calls.filter(isObjectPut);
    assert.ok(puts.every((c) => c.headers.get("if-none-match") === "*"));
    assert.deepEqual(puts.map((c) => c.status), [200, 412]);

    // Multipart: checked again just before the commit (Ceph ignores the header
    // on CompleteMultipartUpload); the losing upload is aborted.
    const q = `${store.path}/big-once.bin`;
    const a = (await store.open(q, "xb")).getWriter();
    const b = (await store.open(q, "xb")).getWriter();
    await a.write(patternBytes(6 * MiB, 1));
    await b.write(patternBytes(6 * MiB, 2));
    await a.close();
    await assert.rejects(b.close(), FileExistsError);
    assert.equal(
      await sha256(await getBytes(store, q)),
      await sha256(patternBytes(6 * MiB, 1)),
    );
    assert.deepEqual(await store.pendingUploads(), []);
    await store.rmtree(store.path);
  },
);

// ---------------------------------------------------------------- copy

test(
  "ceph: copies past the threshold use UploadPartCopy and keep bytes, type and metadata",
  {
    ...T,
    skip: typeof s3Emulator("ceph") === "string" && String(s3Emulator("ceph")),
  },
  async () => {
    const rec = recorder();
    const store = s3Store("ceph", "mpcopy", {
      fetch: rec.fetch,
    }) as TestS3Store;
    store.setMultipartCopy(6 * MiB, 5 * MiB);
    const src = `${store.path}/src.bin`;
    const data = patternBytes(12 * MiB + 7, 9);
    const w = (await store.open(src, "wb", {
      contentType: "application/x-test",
      metadata: { origin: "stowage-test" },
    })).getWriter();
    await w.write(data);
    await w.close();
    rec.calls.length = 0;
    await store.copyfile(src, `${store.path}/dst.bin`);
    const copies = rec.calls.filter((c) => c.headers.has("x-amz-copy-source-range"));
    assert.deepEqual(
      copies.map((c) => c.headers.get("x-amz-copy-source-range")).sort((x, y) =>
        parseInt(x!.slice(6)) - parseInt(y!.slice(6))
      ),
      [
        `bytes=0-${5 * MiB - 1}`,
        `bytes=${5 * MiB}-${10 * MiB - 1}`,
        `bytes=${10 * MiB}-${12 * MiB + 6}`,
      ],
    );
    assert.equal(
      await sha256(await getBytes(store, `${store.path}/dst.bin`)),
      await sha256(data),
    );
    const st = await store.stat(`${store.path}/dst.bin`);
    assert.equal(st.contentType, "application/x-test");
    assert.deepEqual(st.metadata, { origin: "stowage-test" });
    await assert.rejects(
      store.copyfile(src, `${store.path}/dst.bin`),
      FileExistsError,
    );
    // A small object is one CopyObject.
    await putText(store, `${store.path}/small.txt`, "small");
    rec.calls.length = 0;
    await store.copyfile(`${store.path}/small.txt`, `${store.path}/small2.txt`);
    assert.equal(
      rec.calls.filter((c) => c.headers.has("x-amz-copy-source")).length,
      1,
    );
    assert.equal(await getText(store, `${store.path}/small2.txt`), "small");
    assert.deepEqual(await store.pendingUploads(), []);
    await store.rmtree(store.path);
  },
);

// ---------------------------------------------------------------- presign

test(
  "ceph: presigned GET and PUT URLs work with plain fetch; a tampered one is refused",
  {
    ...T,
    skip: typeof s3Emulator("ceph") === "string" && String(s3Emulator("ceph")),
  },
  async () => {
    const store = s3Store("ceph", "presign") as TestS3Store;
    const p = `${store.path}/shared file+1.bin`;
    const data = patternBytes(100_000, 3);
    await putBytes(store, p, data);
    const url = await store.presign(p, { expiresIn: 300 });
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), data);
    const head = await fetch(await store.presign(p, { method: "HEAD" }), {
      method: "HEAD",
    });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), "100000");
    const put = await fetch(
      await store.presign(`${store.path}/uploaded.txt`, { method: "PUT" }),
      { method: "PUT", body: "via presigned PUT" },
    );
    await put.body?.cancel();
    assert.equal(put.status, 200);
    assert.equal(
      await getText(store, `${store.path}/uploaded.txt`),
      "via presigned PUT",
    );
    const tampered = url.replace(
      /X-Amz-Signature=[0-9a-f]/,
      (m) => m.endsWith("0") ? m.slice(0, -1) + "1" : m.slice(0, -1) + "0",
    );
    const bad = await fetch(tampered);
    await bad.body?.cancel();
    assert.equal(bad.status, 403);
    await store.rmtree(store.path);
  },
);

// ---------------------------------------------------------------- faults

const faultEmu: "ceph" | "fauxqs" = typeof s3Emulator("fauxqs") === "string" ? "ceph" : "fauxqs";
const faultSkip = typeof s3Emulator(faultEmu) === "string" &&
  String(s3Emulator(faultEmu));

test(
  `${faultEmu}: 503, 429 and 503 SlowDown answers are retried (re-signed) until success`,
  {
    ...T,
    skip: faultSkip,
  },
  async () => {
    const answers = [
      () => new Response(null, { status: 503 }),
      () => s3Error(429, "SlowDown"),
      () => s3Error(503, "SlowDown"),
      () => s3Error(500, "InternalError"),
    ];
    let putFaults = 0;
    let getFaults = 0;
    const rec = recorder((c, real) => {
      if (isObjectPut(c) && putFaults < 4) {
        return Promise.resolve(answers[putFaults++]());
      }
      if (
        c.method === "GET" && !c.url.searchParams.has("list-type") &&
        getFaults < 3
      ) {
        return Promise.resolve(answers[getFaults++]());
      }
      return real();
    });
    const store = s3Store(faultEmu, "retry", {
      fetch: rec.fetch,
    }) as TestS3Store;
    const p = `${store.path}/r.bin`;
    const data = patternBytes(50_000, 4);
    await putBytes(store, p, data);
    const puts = rec.calls.filter(isObjectPut);
    assert.deepEqual(puts.map((c) => c.status), [503, 429, 503, 500, 200]);
    // Every attempt is signed anew (the signature covers the attempt's date).
    assert.ok(
      puts.every((c) => c.headers.get("authorization")?.startsWith("AWS4-HMAC-SHA256")),
    );
    assert.deepEqual(await getBytes(store, p), data);
    assert.equal(getFaults, 3);
    await store.rmtree(store.path);
  },
);

test(
  `${faultEmu}: a failed part and a network error are retried; the object is intact`,
  {
    ...T,
    skip: faultSkip,
  },
  async () => {
    let partFault = false;
    let netFault = false;
    const rec = recorder((c, real) => {
      if (
        isPart(c) && c.url.searchParams.get("partNumber") === "2" && !partFault
      ) {
        partFault = true;
        return Promise.resolve(s3Error(500, "InternalError"));
      }
      if (
        c.method === "POST" && c.url.searchParams.has("uploadId") && !netFault
      ) {
        netFault = true;
        return Promise.reject(
          new TypeError("fetch failed: socket hang up (injected)"),
        );
      }
      return real();
    });
    const store = s3Store(faultEmu, "partfault", {
      fetch: rec.fetch,
    }) as TestS3Store;
    const p = `${store.path}/m.bin`;
    const data = patternBytes(11 * MiB, 8);
    await putBytes(store, p, data);
    assert.ok(partFault && netFault);
    assert.equal(
      rec.calls.filter((c) => isPart(c) && c.url.searchParams.get("partNumber") === "2").length,
      2,
    );
    assert.equal(await sha256(await getBytes(store, p)), await sha256(data));
    await store.rmtree(store.path);
  },
);

test(
  `${faultEmu}: a download reset mid-body or cut short resumes from where it broke, byte-identical`,
  {
    ...T,
    skip: faultSkip,
  },
  async () => {
    let mode: "reset" | "cut" | "none" = "none";
    let damagedOnce = false;
    const rec = recorder(async (c, real) => {
      const res = await real();
      if (
        c.method === "GET" && res.status === 200 && !damagedOnce &&
        mode !== "none"
      ) {
        damagedOnce = true;
        return mode === "reset"
          ? damaged(res, { errorAfter: 100_000 })
          : damaged(res, { endAfter: 70_000 });
      }
      return res;
    });
    const store = s3Store(faultEmu, "resume", {
      fetch: rec.fetch,
    }) as TestS3Store;
    const p = `${store.path}/d.bin`;
    const data = patternBytes(300_000, 12);
    await putBytes(store, p, data);
    for (const m of ["reset", "cut"] as const) {
      mode = m;
      damagedOnce = false;
      rec.calls.length = 0;
      assert.deepEqual(await getBytes(store, p), data, m);
      const gets = rec.calls.filter((c) => c.method === "GET");
      assert.equal(gets.length, 2, m);
      assert.equal(
        gets[1].headers.get("range"),
        `bytes=${m === "reset" ? 100_000 : 70_000}-`,
      );
      assert.ok(gets[1].headers.get("if-match"), "resume pins the ETag");
    }
    // A ranged read resumes inside its range.
    mode = "reset";
    damagedOnce = false;
    rec.calls.length = 0;
    assert.deepEqual(
      await getBytes(store, p, { start: 1000, end: 250_000 }),
      data.slice(1000, 250_000),
    );
    mode = "none";
    await store.rmtree(store.path);
  },
);

test(
  `${faultEmu}: never silently wrong bytes: endless resets, extra bytes and a changed object fail cleanly`,
  {
    ...T,
    skip: faultSkip,
  },
  async () => {
    let how: "reset" | "extra" | "change" | "none" = "none";
    let changed = false;
    const plain = s3Store(faultEmu, "wrongbytes") as TestS3Store;
    const p = `${plain.path}/w.bin`;
    const data = patternBytes(200_000, 13);
    await putBytes(plain, p, data);
    const rec = recorder(async (c, real) => {
      const res = await real();
      if (c.method !== "GET" || (res.status !== 200 && res.status !== 206)) {
        return res;
      }
      if (how === "reset") return damaged(res, { errorAfter: 1000 });
      if (how === "extra") return damaged(res, { extra: 10 });
      if (how === "change" && !changed) {
        changed = true;
        // The object is replaced while the download is under way.
        await putBytes(plain, p, patternBytes(200_000, 99));
        return damaged(res, { errorAfter: 50_000 });
      }
      return res;
    });
    const store = new TestS3Store(
      { ...plain.config, fetch: rec.fetch } as never,
    );

    const readAll = async () => {
      const got: Uint8Array[] = [];
      try {
        for await (const chunk of await store.open(p, "rb")) got.push(chunk);
        return { got, error: undefined };
      } catch (error) {
        return { got, error };
      }
    };
    const isPrefixOf = (parts: Uint8Array[], whole: Uint8Array) => {
      let off = 0;
      for (const part of parts) {
        for (let i = 0; i < part.length; i++) {
          if (part[i] !== whole[off + i]) return false;
        }
        off += part.length;
      }
      return true;
    };

    how = "reset";
    const r1 = await readAll();
    assert.ok(r1.error instanceof ArtifactStoreError, String(r1.error));
    assert.match((r1.error as Error).message, /could not be resumed/);
    assert.ok(isPrefixOf(r1.got, data));

    how = "extra";
    const r2 = await readAll();
    assert.ok(r2.error instanceof ArtifactStoreError, String(r2.error));
    assert.match((r2.error as Error).message, /more bytes/);
    assert.ok(isPrefixOf(r2.got, data));

    how = "change";
    const r3 = await readAll();
    assert.ok(
      r3.error instanceof PreconditionFailedError,
      `${(r3.error as Error)?.name}: ${(r3.error as Error)?.message}`,
    );
    assert.ok(isPrefixOf(r3.got, data));
    how = "none";
    await plain.rmtree(plain.path);
  },
);

test(
  `${faultEmu}: a service that keeps failing ends in a typed, retryable error and writes nothing`,
  {
    ...T,
    skip: faultSkip,
  },
  async () => {
    const rec = recorder((c, real) =>
      isObjectPut(c) ? Promise.resolve(s3Error(503, "SlowDown")) : real()
    );
    const store = s3Store(faultEmu, "down", {
      fetch: rec.fetch,
    }) as TestS3Store;
    const p = `${store.path}/never.txt`;
    const err = await putText(store, p, "x").then(() => null, (e) => e);
    assert.ok(err instanceof ArtifactStoreError);
    assert.equal(err.retryable, true);
    assert.equal(err.status, 503);
    assert.match(err.message, /SlowDown/);
    assert.equal(rec.calls.filter(isObjectPut).length, 5); // 1 + maxRetries 4
    assert.equal(await store.exists(p), false);
  },
);

test(
  "ceph: a body damaged on the way is refused by Content-MD5 (BadDigest) and sent again",
  {
    ...T,
    skip: typeof s3Emulator("ceph") === "string" && String(s3Emulator("ceph")),
  },
  async () => {
    // The first attempt of the small PUT and of part 2 arrive damaged.
    const damagedOnce = new Set<string>();
    const rec = recorder((c, real) => {
      const id = c.url.searchParams.get("partNumber") ?? "put";
      if (
        (isObjectPut(c) || (isPart(c) && id === "2")) && !damagedOnce.has(id) &&
        c.body instanceof Uint8Array
      ) {
        damagedOnce.add(id);
        const copy = (c.body as Uint8Array).slice();
        copy[copy.length >> 1] ^= 0xff;
        // deno-lint-ignore no-explicit-any
        const init: any = { method: c.method, headers: c.headers, body: copy };
        return fetch(c.url, init);
      }
      return real();
    });
    const store = s3Store("ceph", "md5", { fetch: rec.fetch }) as TestS3Store;
    const small = patternBytes(10_000, 1);
    await putBytes(store, `${store.path}/small.bin`, small);
    const big = patternBytes(7 * MiB, 2);
    await putBytes(store, `${store.path}/big.bin`, big);
    const statuses = (id: string) =>
      rec.calls.filter((c) =>
        (isObjectPut(c) || isPart(c)) &&
        (c.url.searchParams.get("partNumber") ?? "put") === id
      ).map((c) => c.status);
    assert.deepEqual(statuses("put"), [400, 200]);
    assert.deepEqual(statuses("1"), [200]);
    assert.deepEqual(statuses("2"), [400, 200]);
    assert.deepEqual(await getBytes(store, `${store.path}/small.bin`), small);
    assert.equal(
      await sha256(await getBytes(store, `${store.path}/big.bin`)),
      await sha256(big),
    );

    // checksum: false sends no Content-MD5.
    const rec2 = recorder();
    const off = s3Store("ceph", "nomd5", {
      fetch: rec2.fetch,
      checksum: false,
    }) as TestS3Store;
    await putBytes(off, `${off.path}/x.bin`, patternBytes(6 * MiB, 3));
    const sent = rec2.calls.filter((c) => isObjectPut(c) || isPart(c));
    assert.ok(
      sent.length >= 2 && sent.every((c) => !c.headers.has("content-md5")),
    );
    await store.rmtree(store.path);
    await off.rmtree(off.path);
  },
);

// ---------------------------------------------------------------- credentials

const credEmu: "ceph" | "fauxqs" = typeof s3Emulator("ceph") === "string" ? "fauxqs" : "ceph";
const credInfo = s3Emulator(credEmu);
const credSkip = typeof credInfo === "string" && credInfo;

const AWS_VARS = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_PROFILE",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_ENDPOINT_URL",
  "AWS_ENDPOINT_URL_S3",
  "AWS_ENDPOINT_URL_STS",
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_CONFIG_FILE",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_ROLE_ARN",
  "AWS_ROLE_SESSION_NAME",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
  "AWS_EC2_METADATA_SERVICE_ENDPOINT",
  "AWS_EC2_METADATA_DISABLED",
  "HOME",
];

/** Runs `fn` with the AWS variables replaced by `vars` (everything else unset), then restores them. */
async function withAwsEnv(
  vars: Record<string, string>,
  fn: () => Promise<void>,
): Promise<void> {
  const { default: process } = await import("node:process");
  const saved = new Map(AWS_VARS.map((k) => [k, process.env[k]]));
  for (const k of AWS_VARS) delete process.env[k];
  // Keep a real ~/.aws of the machine out of the way.
  process.env.AWS_SHARED_CREDENTIALS_FILE = "/nonexistent/stowage/credentials";
  process.env.AWS_CONFIG_FILE = "/nonexistent/stowage/config";
  Object.assign(process.env, vars);
  try {
    await fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** A loopback HTTP server; `handle` answers each request. */
async function serve(
  handle: (
    req: {
      method: string;
      url: string;
      headers: Record<string, string | string[] | undefined>;
      body: string;
    },
  ) => { status: number; body: string; type?: string },
): Promise<{ url: string; hits: string[]; close: () => Promise<void> }> {
  const { createServer } = await import("node:http");
  const hits: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => (body += d));
    req.on("end", () => {
      hits.push(`${req.method} ${req.url}`);
      const out = handle({
        method: req.method ?? "GET",
        url: req.url ?? "/",
        headers: req.headers,
        body,
      });
      res.writeHead(out.status, {
        "Content-Type": out.type ?? "application/json",
        Connection: "close",
      });
      res.end(out.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        // deno-lint-ignore no-explicit-any
        (server as any).closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

async function tempDir(): Promise<
  { path: string; remove: () => Promise<void> }
> {
  const { mkdtemp, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const path = await mkdtemp(join(tmpdir(), "stowage-s3-cred-"));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A write and read through a store made from a bare URI: proves the credentials work (Ceph checks signatures). */
async function roundTrip(label: string): Promise<void> {
  const e = credInfo as Exclude<typeof credInfo, string>;
  const uri = `s3://${e.env.STOWAGE_TEST_S3_BUCKET}/${uniquePrefix(label)}`;
  const store = await createArtifactStore(uri);
  assert.equal(store.flavor, "s3");
  await putText(store, `${uri}/hello.txt`, `hello from ${label}`);
  assert.equal(await getText(store, `${uri}/hello.txt`), `hello from ${label}`);
  await store.rmtree(uri);
}

test(
  `${credEmu}: credentials from AWS_* environment variables (createArtifactStore with a bare URI)`,
  {
    ...T,
    skip: credSkip,
  },
  async () => {
    const e = credInfo as Exclude<typeof credInfo, string>;
    await withAwsEnv({
      AWS_ACCESS_KEY_ID: e.env.STOWAGE_TEST_S3_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: e.env.STOWAGE_TEST_S3_SECRET_ACCESS_KEY,
      AWS_REGION: e.env.STOWAGE_TEST_S3_REGION,
      AWS_ENDPOINT_URL_S3: e.endpoint,
    }, () => roundTrip("env"));
    if (credEmu === "ceph") {
      await withAwsEnv({
        AWS_ACCESS_KEY_ID: e.env.STOWAGE_TEST_S3_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: "wrong",
        AWS_ENDPOINT_URL: e.endpoint,
      }, async () => {
        await assert.rejects(roundTrip("env-wrong"), AuthenticationError);
      });
    }
  },
);

test(
  `${credEmu}: credentials, region and endpoint from a ~/.aws profile (HOME in a temp dir, AWS_PROFILE)`,
  {
    ...T,
    skip: credSkip,
  },
  async () => {
    const e = credInfo as Exclude<typeof credInfo, string>;
    const home = await tempDir();
    try {
      const { mkdir, writeFile } = await import("node:fs/promises");
      await mkdir(`${home.path}/.aws`);
      await writeFile(
        `${home.path}/.aws/credentials`,
        `[default]\naws_access_key_id = WRONG\naws_secret_access_key = WRONG\n\n` +
          `[stowage-test]\naws_access_key_id = ${e.env.STOWAGE_TEST_S3_ACCESS_KEY_ID}\n` +
          `aws_secret_access_key = ${e.env.STOWAGE_TEST_S3_SECRET_ACCESS_KEY}\n`,
      );
      await writeFile(
        `${home.path}/.aws/config`,
        `[profile stowage-test]\nregion = ${e.env.STOWAGE_TEST_S3_REGION}\nendpoint_url = ${e.endpoint}\n`,
      );
      await withAwsEnv(
        { HOME: home.path, AWS_PROFILE: "stowage-test" },
        async () => {
          // withAwsEnv points the file variables away; use HOME's files here.
          const { default: process } = await import("node:process");
          delete process.env.AWS_SHARED_CREDENTIALS_FILE;
          delete process.env.AWS_CONFIG_FILE;
          await roundTrip("profile");
          process.env.AWS_PROFILE = "no-such-profile";
          await assert.rejects(
            createArtifactStore(`s3://${e.env.STOWAGE_TEST_S3_BUCKET}/x`).then((
              s,
            ) => s.exists(`s3://${e.env.STOWAGE_TEST_S3_BUCKET}/x/y`)),
            /no-such-profile/,
          );
        },
      );
    } finally {
      await home.remove();
    }
  },
);

test(
  `${credEmu}: ECS container credentials from a loopback endpoint, refreshed before they expire`,
  {
    ...T,
    skip: credSkip,
  },
  async () => {
    const e = credInfo as Exclude<typeof credInfo, string>;
    let issued = 0;
    let issuedAt = 0;
    const server = await serve((req) => {
      if (req.headers.authorization !== "ecs-secret-token") {
        return { status: 401, body: '{"Message":"bad token"}' };
      }
      issued++;
      return {
        status: 200,
        body: JSON.stringify({
          AccessKeyId: e.env.STOWAGE_TEST_S3_ACCESS_KEY_ID,
          SecretAccessKey: e.env.STOWAGE_TEST_S3_SECRET_ACCESS_KEY,
          Token: `session-${issued}`,
          Expiration: new Date((issuedAt = Date.now()) + 3000).toISOString(),
        }),
      };
    });
    try {
      await withAwsEnv({
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `${server.url}/v2/credentials/abc`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: "ecs-secret-token",
        AWS_ENDPOINT_URL_S3: e.endpoint,
        AWS_REGION: e.env.STOWAGE_TEST_S3_REGION,
      }, async () => {
        const uri = `s3://${e.env.STOWAGE_TEST_S3_BUCKET}/${uniquePrefix("ecs")}`;
        const store = await createArtifactStore(uri);
        await putText(store, `${uri}/a.txt`, "a");
        assert.equal(await getText(store, `${uri}/a.txt`), "a");
        assert.equal(issued, 1);
        // Past 3/4 of the 3 s lifetime, still before the expiry.
        await new Promise((r) => setTimeout(r, Math.max(0, issuedAt + 2400 - Date.now())));
        assert.equal(await getText(store, `${uri}/a.txt`), "a");
        assert.equal(issued, 2);
        assert.ok(server.hits.every((h) => h === "GET /v2/credentials/abc"));
        await store.rmtree(uri);
      });
      await withAwsEnv({
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `${server.url}/v2/credentials/abc`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: "wrong-token",
        AWS_ENDPOINT_URL_S3: e.endpoint,
      }, async () => {
        const store = await createArtifactStore(
          `s3://${e.env.STOWAGE_TEST_S3_BUCKET}/x`,
        );
        await assert.rejects(
          store.exists(`s3://${e.env.STOWAGE_TEST_S3_BUCKET}/x/y`),
          (err: Error) => err instanceof AuthenticationError && /container/.test(err.message),
        );
      });
    } finally {
      await server.close();
    }
  },
);

test(
  `${credEmu}: EC2 instance credentials through IMDSv2 (token first) from a loopback endpoint`,
  {
    ...T,
    skip: credSkip,
  },
  async () => {
    const e = credInfo as Exclude<typeof credInfo, string>;
    const server = await serve((req) => {
      if (req.method === "PUT" && req.url === "/latest/api/token") {
        return req.headers["x-aws-ec2-metadata-token-ttl-seconds"]
          ? { status: 200, body: "imds-token", type: "text/plain" }
          : { status: 400, body: "" };
      }
      if (req.headers["x-aws-ec2-metadata-token"] !== "imds-token") {
        return { status: 401, body: "" };
      }
      if (req.url === "/latest/meta-data/iam/security-credentials/") {
        return { status: 200, body: "stowage-role", type: "text/plain" };
      }
      if (
        req.url === "/latest/meta-data/iam/security-credentials/stowage-role"
      ) {
        return {
          status: 200,
          body: JSON.stringify({
            Code: "Success",
            AccessKeyId: e.env.STOWAGE_TEST_S3_ACCESS_KEY_ID,
            SecretAccessKey: e.env.STOWAGE_TEST_S3_SECRET_ACCESS_KEY,
            Token: "imds-session",
            Expiration: new Date(Date.now() + 3_600_000).toISOString(),
          }),
        };
      }
      return { status: 404, body: "" };
    });
    try {
      await withAwsEnv({
        AWS_EC2_METADATA_SERVICE_ENDPOINT: server.url,
        AWS_ENDPOINT_URL_S3: e.endpoint,
      }, () => roundTrip("imds"));
      assert.deepEqual(server.hits, [
        "PUT /latest/api/token",
        "GET /latest/meta-data/iam/security-credentials/",
        "GET /latest/meta-data/iam/security-credentials/stowage-role",
      ]);
    } finally {
      await server.close();
    }
  },
);

test(
  `${credEmu}: web identity credentials through STS AssumeRoleWithWebIdentity on a loopback endpoint`,
  {
    ...T,
    skip: credSkip,
  },
  async () => {
    const e = credInfo as Exclude<typeof credInfo, string>;
    const dir = await tempDir();
    const { writeFile } = await import("node:fs/promises");
    await writeFile(`${dir.path}/token`, "oidc-token-123\n");
    const server = await serve((req) => {
      const form = new URLSearchParams(req.body);
      if (
        req.method !== "POST" ||
        form.get("Action") !== "AssumeRoleWithWebIdentity" ||
        form.get("WebIdentityToken") !== "oidc-token-123" ||
        form.get("RoleArn") !== "arn:aws:iam::123456789012:role/stowage"
      ) {
        return {
          status: 400,
          type: "text/xml",
          body: "<ErrorResponse><Error><Code>InvalidIdentityToken</Code></Error></ErrorResponse>",
        };
      }
      return {
        status: 200,
        type: "text/xml",
        body: `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult><Credentials>
    <AccessKeyId>${e.env.STOWAGE_TEST_S3_ACCESS_KEY_ID}</AccessKeyId>
    <SecretAccessKey>${e.env.STOWAGE_TEST_S3_SECRET_ACCESS_KEY}</SecretAccessKey>
    <SessionToken>web-session</SessionToken>
    <Expiration>${new Date(Date.now() + 3_600_000).toISOString()}</Expiration>
  </Credentials></AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>`,
      };
    });
    try {
      await withAwsEnv({
        AWS_WEB_IDENTITY_TOKEN_FILE: `${dir.path}/token`,
        AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/stowage",
        AWS_ENDPOINT_URL_STS: server.url,
        AWS_ENDPOINT_URL_S3: e.endpoint,
      }, () => roundTrip("webid"));
      assert.deepEqual(server.hits, ["POST /"]);
    } finally {
      await server.close();
      await dir.remove();
    }
  },
);
