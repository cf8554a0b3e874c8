// The `gcp` flavor against the firebase Storage emulator beyond the shared
// suite: STORAGE_EMULATOR_HOST, clean errors where the emulator lacks a feature
// (compose, move, multi-chunk sessions), and faults injected through `fetch`
// (503s, resets, cut and corrupted bodies).

import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ArtifactStoreError, FileNotFoundError, NotSupportedError } from "../../src/errors.ts";
import { createArtifactStore } from "../../src/registry.ts";
import { GcsArtifactStore } from "../../flavors/gcs/mod.ts";
import { getBytes, getText, patternBytes, putBytes, putText } from "../conformance/suite.ts";
import { cutBody } from "../conformance/faults.ts";
import {
  corruptBody,
  emulatorConfig,
  FAST_RETRY,
  gcsEmulator,
  MiB,
  uniquePrefix,
  wrapFetch,
} from "./_gcs.ts";

const e = gcsEmulator();
const skip = typeof e === "string" ? e : undefined;
const emu = typeof e === "string" ? undefined : e;
const t = (name: string, fn: () => Promise<void>) => test(`gcp emulator: ${name}`, { skip }, fn);

t(
  "STORAGE_EMULATOR_HOST (host:port, no scheme) gives an anonymous store; it wins over credentials",
  async () => {
    const dummy = JSON.parse(
      await readFile(
        fileURLToPath(
          new URL(
            "../fixtures/gcs/test_service_account.not-a-test.json",
            import.meta.url,
          ),
        ),
        "utf8",
      ),
    );
    const path = `gs://${emu!.env.STOWAGE_TEST_GCS_BUCKET}/${uniquePrefix("envhost")}`;
    process.env.STORAGE_EMULATOR_HOST = emu!.env.STOWAGE_TEST_GCS_EMULATOR_HOST;
    let store: GcsArtifactStore;
    let fromUri;
    try {
      // Environment variables are read when the store is created.
      store = new GcsArtifactStore({ path, credentials: dummy });
      fromUri = await createArtifactStore(path);
    } finally {
      delete process.env.STORAGE_EMULATOR_HOST;
    }
    assert.equal(store.flavor, "gcp");
    assert.equal(
      store.capabilities.presign,
      false,
      "anonymous: no signing key",
    );
    await putText(store, `${path}/hello.txt`, "hello");
    assert.equal(await getText(fromUri, `${path}/hello.txt`), "hello");
    assert.equal(fromUri.flavor, "gcp");
    await store.rmtree(path);
  },
);

t(
  "an unsatisfiable range (the emulator answers 200 + the whole object) reads nothing",
  async () => {
    const store = new GcsArtifactStore(emulatorConfig(emu!, "range"));
    const p = `${store.path}/r.bin`;
    await putBytes(store, p, patternBytes(100, 1));
    const key = p.slice(`gs://${emu!.env.STOWAGE_TEST_GCS_BUCKET}/`.length);
    const raw = await fetch(
      `${emu!.endpoint}/storage/v1/b/${emu!.env.STOWAGE_TEST_GCS_BUCKET}/o/${
        encodeURIComponent(key)
      }?alt=media`,
      { headers: { Range: "bytes=150-200" } },
    );
    assert.equal(
      raw.status,
      200,
      "the emulator ignores the unsatisfiable range",
    );
    assert.equal((await raw.arrayBuffer()).byteLength, 100);
    assert.equal(
      (await getBytes(store, p, { start: 150, end: 200 })).length,
      0,
    );
    assert.equal((await getBytes(store, p, { start: 100 })).length, 0);
    assert.deepEqual(
      await getBytes(store, p, { start: 90, end: 500 }),
      patternBytes(100, 1).subarray(90),
    );
  },
);

t(
  "append without objects.compose fails cleanly (NotSupportedError), file and listing untouched",
  async () => {
    const store = new GcsArtifactStore(emulatorConfig(emu!, "append"));
    const p = `${store.path}/log.txt`;
    await putText(store, p, "first");
    await assert.rejects(putText(store, p, "+second", "a"), NotSupportedError);
    assert.equal(await getText(store, p), "first");
    assert.deepEqual(
      await store.listdir(store.path),
      ["log.txt"],
      "the temporary object was removed",
    );
    // A missing file is simply created.
    await putText(store, `${store.path}/new.txt`, "n", "a");
    assert.equal(await getText(store, `${store.path}/new.txt`), "n");
  },
);

t(
  "rename without objects.move falls back to rewrite + delete and says so in capabilities",
  async () => {
    const store = new GcsArtifactStore(emulatorConfig(emu!, "rename"));
    assert.equal(
      store.capabilities.atomicRename,
      true,
      "until the service says otherwise",
    );
    await putText(store, `${store.path}/a.txt`, "A");
    await store.rename(`${store.path}/a.txt`, `${store.path}/b/c.txt`);
    assert.equal(await getText(store, `${store.path}/b/c.txt`), "A");
    assert.equal(await store.exists(`${store.path}/a.txt`), false);
    assert.equal(store.capabilities.atomicRename, false);
  },
);

t(
  "a chunked write (the emulator finalizes sessions on the first chunk) fails with a clear error and leaves nothing",
  async () => {
    const store = new GcsArtifactStore(
      emulatorConfig(emu!, "chunks", { partSize: 256 * 1024 }),
    );
    const p = `${store.path}/chunked.bin`;
    await assert.rejects(
      putBytes(store, p, patternBytes(MiB, 2), "wb", 128 * 1024),
      (err: Error) => err instanceof NotSupportedError && /partSize/.test(err.message),
    );
    assert.equal(await store.exists(p), false);
  },
);

t(
  "injected 503s and resets on every first attempt: reads, lists, writes, copies, renames and rmtree still succeed",
  async () => {
    const attempts = new Map<string, number>();
    let faults = 0;
    const fetchFn = wrapFetch((url, init) => {
      const k = `${init?.method ?? "GET"} ${url}`;
      const n = (attempts.get(k) ?? 0) + 1;
      attempts.set(k, n);
      if (n > 1) return undefined;
      faults++;
      return faults % 2
        ? Promise.resolve(
          new Response('{"error":{"code":503,"message":"injected"}}', {
            status: 503,
          }),
        )
        : Promise.reject(new TypeError("connection reset (injected)"));
    });
    // "always": unconditional writes are retried too (gcsfs's behaviour).
    const store = new GcsArtifactStore(
      emulatorConfig(emu!, "faults", {
        fetch: fetchFn,
        retryStrategy: "always",
      }),
    );
    const d = store.path;
    const data = patternBytes(300_000, 5);
    await putBytes(store, `${d}/a.bin`, data);
    await putText(store, `${d}/x.txt`, "x", "x");
    assert.deepEqual(await getBytes(store, `${d}/a.bin`), data);
    assert.deepEqual(await store.listdir(d), ["a.bin", "x.txt"]);
    await store.copyfile(`${d}/a.bin`, `${d}/sub/b.bin`);
    await store.rename(`${d}/x.txt`, `${d}/sub/y.txt`);
    assert.deepEqual(await store.listdir(`${d}/sub`), ["b.bin", "y.txt"]);
    await store.rmtree(d);
    assert.deepEqual((await store.glob(`${d}/**`)).filter((p) => p !== d), []); // `x/**` includes `x` itself
    assert.ok(faults >= 10, `faults injected: ${faults}`);
  },
);

t(
  "an unconditional write meeting a 503 is never sent again blindly: the retry is pinned to the generation seen",
  async () => {
    let fail = true;
    const uploads: URL[] = [];
    const fetchFn = wrapFetch((url, init) => {
      if (init?.method === "POST" && url.includes("/upload/")) uploads.push(new URL(url));
      if (fail && init?.method === "POST" && url.includes("/upload/")) {
        fail = false;
        return Promise.resolve(
          new Response('{"error":{"code":503,"message":"injected"}}', {
            status: 503,
          }),
        );
      }
      return undefined;
    });
    const store = new GcsArtifactStore(
      emulatorConfig(emu!, "noretry", { fetch: fetchFn }),
    );
    const p = `${store.path}/w.txt`;
    await putText(store, p, "old");
    uploads.length = 0;
    fail = true;
    // The first attempt is plain; after the 503 the store looks at the object (not
    // ours) and sends the write again with ifGenerationMatch = the generation it saw.
    await putText(store, p, "data");
    assert.equal(await getText(store, p), "data");
    assert.equal(uploads.length, 2, "one refused attempt, one pinned retry");
    assert.equal(uploads[0].searchParams.get("ifGenerationMatch"), null);
    assert.match(uploads[1].searchParams.get("ifGenerationMatch") ?? "", /^[1-9]\d*$/);
    // A write to a new name is pinned to 0: it can only create.
    uploads.length = 0;
    fail = true;
    await putText(store, `${store.path}/new.txt`, "n");
    assert.equal(uploads[1].searchParams.get("ifGenerationMatch"), "0");
    assert.equal(await getText(store, `${store.path}/new.txt`), "n");
    // With retry: { maxRetries: 0 } the 503 is the caller's: a typed error, nothing written.
    const once = new GcsArtifactStore(
      emulatorConfig(emu!, "noretry", { fetch: fetchFn, retry: { maxRetries: 0 } }),
    );
    fail = true;
    const q = `${once.path}/never.txt`;
    const err = await putText(once, q, "data").then(() => null, (x) => x);
    assert.ok(
      err instanceof ArtifactStoreError && err.status === 503 && err.retryable,
      `${err}`,
    );
    await assert.rejects(once.stat(q), FileNotFoundError);
  },
);

t(
  "a download cut mid-body resumes where it broke (pinned to the generation), CRC32C-checked",
  async () => {
    const cuts = new Set<string>();
    const fetchFn = wrapFetch((url, init, real) => {
      if (!url.includes("alt=media")) return undefined;
      return real(url, init).then((r) => {
        const range = new Headers(init?.headers).get("range") ?? "";
        if (cuts.size < 3 && !cuts.has(range)) {
          cuts.add(range);
          return cutBody(r, 200_000);
        }
        return r;
      });
    });
    const store = new GcsArtifactStore(
      emulatorConfig(emu!, "cut", { fetch: fetchFn }),
    );
    const data = patternBytes(2 * MiB + 3, 6);
    await putBytes(store, `${store.path}/big.bin`, data);
    assert.deepEqual(await getBytes(store, `${store.path}/big.bin`), data);
    assert.equal(cuts.size, 3, "three cuts, each resumed");
  },
);

t(
  "a corrupted body is caught by the CRC32C check: an error, not wrong bytes",
  async () => {
    let corrupt = false;
    const fetchFn = wrapFetch((url, init, real) =>
      corrupt && url.includes("alt=media")
        ? real(url, init).then((r) => corruptBody(r, 12_345))
        : undefined
    );
    const store = new GcsArtifactStore(
      emulatorConfig(emu!, "corrupt", { fetch: fetchFn }),
    );
    const p = `${store.path}/c.bin`;
    await putBytes(store, p, patternBytes(100_000, 9));
    corrupt = true;
    const err = await getBytes(store, p).then(() => null, (x) => x);
    assert.ok(err instanceof ArtifactStoreError, `${err}`);
    assert.match(err.message, /corrupt.*CRC32C/);
    assert.equal(err.flavor, "gcp");
    // With the check off, the damaged bytes come through (what the check prevents).
    const unchecked = new GcsArtifactStore({
      ...emulatorConfig(emu!, "corrupt2", { fetch: fetchFn }),
      checksum: false,
    });
    const q = `${unchecked.path}/c.bin`;
    corrupt = false;
    await putBytes(unchecked, q, patternBytes(100_000, 9));
    corrupt = true;
    assert.notDeepEqual(await getBytes(unchecked, q), patternBytes(100_000, 9));
  },
);

t("retries stop at the limit with the last typed error", async () => {
  let calls = 0;
  const fetchFn = wrapFetch(() => {
    calls++;
    return Promise.resolve(new Response("busy", { status: 503 }));
  });
  const store = new GcsArtifactStore(
    emulatorConfig(emu!, "limit", { fetch: fetchFn, retry: FAST_RETRY }),
  );
  const err = await store.stat(`${store.path}/x`).then(() => null, (x) => x);
  assert.ok(err instanceof ArtifactStoreError && err.status === 503, `${err}`);
  assert.equal(calls, FAST_RETRY.maxRetries + 1);
});
