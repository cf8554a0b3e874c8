// The `gcp` flavor against the protocol fixture (tests/gcs/fixture.ts): what the
// firebase emulator cannot show — multi-chunk resumable uploads that survive
// failures, generation preconditions, compose (append), objects.move, rewrite in
// several calls, batch deletes, Google's retry scenarios (retry_tests.json),
// the OAuth service-account flow with token refresh, and V4 signed URLs the
// server verifies.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ArtifactStoreError,
  AuthenticationError,
  FileExistsError,
  InvalidArgumentError,
  NotSupportedError,
  PreconditionFailedError,
} from "../../src/errors.ts";
import { GcsArtifactStore, resolveGcsAuth, signUrlV4 } from "../../flavors/gcs/mod.ts";
import { defaultFetch } from "../../src/http/mod.ts";
import { importPrivateKey } from "../../flavors/gcs/signer.ts";
import {
  getBytes,
  getText,
  patternBytes,
  putBytes,
  putText,
  sha256,
} from "../conformance/suite.ts";
import { corruptBody, FAST_RETRY, fixtureSetup, MiB, uniquePrefix, wrapFetch } from "./_gcs.ts";
import { makeServiceAccount, startFixture } from "./fixture.ts";
import { runtimeName } from "../_env.ts";

const setup = await fixtureSetup({ rewriteBytesPerCall: MiB });
const { fixture } = setup;
const BUCKET = "fixture-bucket";

/** The object name of a store path. */
const nameOf = (store: GcsArtifactStore, p: string) =>
  p.slice(`gs://${BUCKET}/`.length) || store.path;

/** Writes `data` through the store in 1 MiB pieces from a generator (a stream, never one buffer). */
async function streamWrite(
  store: GcsArtifactStore,
  p: string,
  size: number,
  seed: number,
  mode: "wb" | "xb" = "wb",
) {
  const w = (await store.open(p, mode)).getWriter();
  for (let off = 0; off < size; off += MiB) {
    await w.write(patternBytes(Math.min(MiB, size - off), seed + off));
  }
  await w.close();
}

async function expectedSha(size: number, seed: number): Promise<string> {
  const all = new Uint8Array(size);
  for (let off = 0; off < size; off += MiB) {
    all.set(patternBytes(Math.min(MiB, size - off), seed + off), off);
  }
  return await sha256(all);
}

// ------------------------------------------------------------ resumable uploads

test("gcp fixture: a 40 MiB streamed write is a chunked resumable upload that survives a reset, a lost request and a 503 mid-session", async () => {
  const size = 40 * MiB;
  let dropped = false;
  // The 4th chunk's first request is lost before it reaches the server (fetch rejects).
  const fetchFn = wrapFetch((url, init) => {
    const start = /^bytes (\d+)-/.exec(contentRange(init))?.[1];
    if (
      init?.method === "PUT" && url.includes("upload_id=") &&
      Number(start) === 24 * MiB && !dropped
    ) {
      dropped = true;
      return Promise.reject(
        new TypeError("network connection lost (injected)"),
      );
    }
    return undefined;
  });
  const store = setup.store("big", { partSize: 8 * MiB, fetch: fetchFn });
  // The 3rd chunk: the server keeps 3 MiB of it, then the connection resets.
  // The 5th chunk: the server keeps 256 KiB of it, then answers 503.
  const faults = new Map<number, { keep: number; fault: "reset" | 503 }>([
    [16 * MiB, { keep: 3 * MiB, fault: "reset" }],
    [32 * MiB, { keep: 256 * 1024, fault: 503 }],
  ]);
  fixture.onChunk = ({ start }) => {
    const f = faults.get(start);
    faults.delete(start);
    return f;
  };
  const before = { ...fixture.stats };
  try {
    const p = `${store.path}/big/40mib.bin`;
    await streamWrite(store, p, size, 40);
    const stats = fixture.stats;
    assert.equal(faults.size, 0, "both server-side faults happened");
    assert.ok(dropped, "a chunk request was lost");
    assert.equal(
      stats.sessionsStarted - before.sessionsStarted,
      1,
      "one resumable session",
    );
    // Deno's fetch itself resends a request whose pooled connection closed without
    // an answer (the reset); Node and Bun report it, and the session is asked.
    assert.ok(
      stats.statusQueries - before.statusQueries >= 2,
      "the session was asked what it has",
    );
    assert.ok(
      stats.chunkPuts - before.chunkPuts >= 7,
      "5 chunks and the resent rests",
    );
    assert.equal((await store.stat(p)).size, size);
    assert.equal(
      await sha256(await getBytes(store, p)),
      await expectedSha(size, 40),
    );
  } finally {
    fixture.onChunk = undefined;
  }
});

function contentRange(init: RequestInit | undefined): string {
  const h = new Headers(init?.headers);
  return h.get("content-range") ?? "";
}

test("gcp fixture: abort() cancels the resumable session (DELETE → 499) and leaves nothing", async () => {
  const store = setup.store("abort", { partSize: 256 * 1024 });
  const p = `${store.path}/pending.bin`;
  const cancels = fixture.stats.cancels;
  const w = (await store.open(p, "wb")).getWriter();
  await w.write(patternBytes(1 * MiB, 3));
  await w.abort(new Error("changed my mind"));
  assert.equal(fixture.stats.cancels - cancels, 1);
  assert.equal(await store.exists(p), false);
});

test("gcp fixture: a chunk PUT whose session expired fails cleanly", async () => {
  const fetchFn = wrapFetch((url, init, real) => {
    if (init?.method === "PUT" && url.includes("upload_id=")) {
      // Cancel the session behind the writer's back, then send the chunk.
      return real(url, { method: "DELETE", headers: init.headers }).then(() => real(url, init));
    }
    return undefined;
  });
  const store = setup.store("expired", {
    partSize: 256 * 1024,
    fetch: fetchFn,
  });
  const p = `${store.path}/gone.bin`;
  await assert.rejects(
    putBytes(store, p, patternBytes(MiB, 5), "wb", 64 * 1024),
    (e: Error) =>
      e instanceof ArtifactStoreError &&
      /expired or was cancelled/.test(e.message),
  );
  assert.equal(await store.exists(p), false);
});

// ------------------------------------------------------------ preconditions

test("gcp fixture: create-only is refused by ifGenerationMatch=0 itself (single request), the other writer's bytes kept", async () => {
  const store = setup.store("xsingle");
  const p = `${store.path}/once.txt`;
  const w = (await store.open(p, "x")).getWriter();
  await w.write("mine");
  fixture.put(BUCKET, nameOf(store, p), "theirs"); // after the open's existence check
  await assert.rejects(w.close(), FileExistsError);
  assert.equal(await getText(store, p), "theirs");
});

test("gcp fixture: create-only is refused when the resumable session finalizes (412 → FileExistsError)", async () => {
  let injected = false;
  const p = () => `${store.path}/chunked-once.bin`;
  const fetchFn = wrapFetch((url, init) => {
    // The final request of the session: another writer wins just before it arrives.
    if (
      init?.method === "PUT" && url.includes("upload_id=") &&
      /\/\d+$/.test(contentRange(init)) &&
      !injected
    ) {
      injected = true;
      fixture.put(BUCKET, nameOf(store, p()), "winner");
    }
    return undefined;
  });
  const store = setup.store("xchunk", { partSize: 256 * 1024, fetch: fetchFn });
  await assert.rejects(
    putBytes(store, p(), patternBytes(MiB + 100, 9), "xb", 128 * 1024),
    FileExistsError,
  );
  assert.ok(injected);
  assert.equal(await getText(store, p()), "winner");
});

test("gcp fixture: copyfile without overwrite is create-only on the rewrite (ifGenerationMatch=0)", async () => {
  let raced = false;
  const fetchFn = wrapFetch((url) => {
    if (url.includes("/rewriteTo/") && !raced) {
      raced = true;
      fixture.put(BUCKET, nameOf(store, `${store.path}/dst.txt`), "raced");
    }
    return undefined;
  });
  const store = setup.store("xcopy", { fetch: fetchFn });
  await putText(store, `${store.path}/src.txt`, "source");
  await assert.rejects(
    store.copyfile(`${store.path}/src.txt`, `${store.path}/dst.txt`),
    FileExistsError,
  );
  assert.equal(await getText(store, `${store.path}/dst.txt`), "raced");
});

test("gcp fixture: copy loops on rewriteToken (1 MiB per call) and copies every byte", async () => {
  const store = setup.store("rewrite", { partSize: 256 * 1024 });
  const data = patternBytes(3 * MiB + 500, 17);
  await putBytes(store, `${store.path}/a.bin`, data);
  const calls = fixture.stats.rewriteCalls;
  await store.copyfile(`${store.path}/a.bin`, `${store.path}/b.bin`);
  assert.equal(fixture.stats.rewriteCalls - calls, 4);
  assert.equal(
    await sha256(await getBytes(store, `${store.path}/b.bin`)),
    await sha256(data),
  );
});

test("gcp fixture: rename is the atomic objects.move, create-only unless overwrite", async () => {
  const store = setup.store("move");
  const d = store.path;
  await putText(store, `${d}/a.txt`, "A");
  await putText(store, `${d}/b.txt`, "B");
  const moves = fixture.stats.moves, rewrites = fixture.stats.rewriteCalls;
  await store.rename(`${d}/a.txt`, `${d}/sub/c.txt`);
  assert.equal(fixture.stats.moves - moves, 1);
  assert.equal(fixture.stats.rewriteCalls - rewrites, 0, "no copy + delete");
  assert.equal(await getText(store, `${d}/sub/c.txt`), "A");
  assert.equal(await store.exists(`${d}/a.txt`), false);
  await assert.rejects(
    store.rename(`${d}/b.txt`, `${d}/sub/c.txt`),
    FileExistsError,
  );
  await store.rename(`${d}/b.txt`, `${d}/sub/c.txt`, { overwrite: true });
  assert.equal(await getText(store, `${d}/sub/c.txt`), "B");
  assert.equal(store.capabilities.atomicRename, true);
});

// ------------------------------------------------------------ append (compose)

test("gcp fixture: append composes onto the object and leaves no temporary object", async () => {
  const store = setup.store("append", { partSize: 256 * 1024 });
  const d = store.path;
  await putText(store, `${d}/log.txt`, "a", "a"); // missing: created
  await putText(store, `${d}/log.txt`, "bc", "a");
  const big = patternBytes(MiB + 7, 21); // a chunked temporary object
  await putBytes(store, `${d}/log.txt`, big, "ab", 100_000);
  const all = await getBytes(store, `${d}/log.txt`);
  assert.equal(new TextDecoder().decode(all.subarray(0, 3)), "abc");
  assert.deepEqual(all.subarray(3), big);
  assert.deepEqual(await store.listdir(d), ["log.txt"]);
  const o = fixture.bucket(BUCKET).get(nameOf(store, `${d}/log.txt`))!;
  assert.equal(o.componentCount, 3);
  // Nothing written: nothing composed.
  const composes = fixture.stats.composes;
  await putText(store, `${d}/log.txt`, "", "a");
  assert.equal(fixture.stats.composes, composes);
});

test("gcp fixture: an append racing another writer fails with PreconditionFailedError, bytes untouched", async () => {
  const fetchFn = wrapFetch((url) => {
    if (url.includes("/compose")) {
      fixture.put(BUCKET, nameOf(store, `${store.path}/race.txt`), "replaced");
    }
    return undefined;
  });
  const store = setup.store("appendrace", { fetch: fetchFn });
  await putText(store, `${store.path}/race.txt`, "orig");
  await assert.rejects(
    putText(store, `${store.path}/race.txt`, "+more", "a"),
    PreconditionFailedError,
  );
  assert.equal(await getText(store, `${store.path}/race.txt`), "replaced");
  assert.deepEqual(await store.listdir(store.path), ["race.txt"]);
});

// ------------------------------------------------------------ batch deletes

test("gcp fixture: rmtree deletes through the batch endpoint, 100 per request; failed sub-requests are redone", async () => {
  const store = setup.store("batch");
  const d = `${store.path}/many`;
  const names = Array.from(
    { length: 250 },
    (_, i) => `f${String(i).padStart(3, "0")}`,
  );
  const queue = [...names];
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let k = queue.shift(); k; k = queue.shift()) {
      await putText(store, `${d}/${k}`, k);
    }
  }));
  const batches = fixture.stats.batches, items = fixture.stats.batchItems;
  let failedOnce = 0;
  fixture.onBatchItem = (
    name,
  ) => (name.endsWith("/f007") && failedOnce++ === 0 ? 503 : undefined);
  try {
    await store.rmtree(d);
  } finally {
    fixture.onBatchItem = undefined;
  }
  assert.equal(fixture.stats.batches - batches, 3);
  assert.equal(fixture.stats.batchItems - items, 250);
  assert.equal(failedOnce, 1);
  assert.equal(await store.exists(d), false);
});

// ------------------------------------------------------------ retry scenarios (retry_tests.json)

const retryTests = JSON.parse(
  await readFile(
    fileURLToPath(new URL("../fixtures/gcs/retry_tests.json", import.meta.url)),
    "utf8",
  ),
).retryTests as {
  id: number;
  description: string;
  cases: { instructions: string[] }[];
  expectSuccess: boolean;
}[];
const scenario = (id: number) => retryTests.find((t) => t.id === id)!;

/** Runs each case of a scenario: queue its instructions for matching requests, run the operation. */
async function replay(
  id: number,
  method: string,
  path: RegExp,
  op: (store: GcsArtifactStore, i: number) => Promise<void>,
  opts: {
    expectSuccess?: boolean;
    strategy?: "conditional" | "always";
    /** Sees each case's requests to `method` `path` (their URLs), after the case. */
    requests?: (urls: URL[], instructions: string[]) => void;
  } = {},
) {
  const sc = scenario(id);
  const expectSuccess = opts.expectSuccess ?? sc.expectSuccess;
  for (const [i, c] of sc.cases.entries()) {
    const urls: URL[] = [];
    let record = false;
    const recording: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (record && (init?.method ?? "GET") === method && path.test(url.pathname)) urls.push(url);
      return defaultFetch(input, init);
    };
    const store = setup.store(`retry${id}`, {
      retryStrategy: opts.strategy,
      ...(opts.requests ? { fetch: recording } : {}),
    });
    await putText(store, `${store.path}/seed.txt`, "seed"); // before the faults are queued
    record = true;
    fixture.instruct(method, path, c.instructions);
    const applied = fixture.stats.faultsApplied;
    let error: unknown;
    try {
      await op(store, i);
    } catch (err) {
      error = err;
    }
    fixture.clearInstructions();
    assert.ok(
      fixture.stats.faultsApplied > applied,
      `case ${c.instructions} was applied`,
    );
    opts.requests?.(urls, c.instructions);
    if (expectSuccess) {
      assert.equal(error, undefined, `case ${c.instructions}: ${error}`);
    } else if (
      error === undefined && runtimeName() === "deno" &&
      c.instructions[0] === "return-reset-connection"
    ) {
      // Deno's fetch resends a request whose kept-alive connection closed with no
      // answer, whatever its method: the runtime retried, not Stowage.
    } else {
      assert.ok(
        error instanceof ArtifactStoreError,
        `case ${c.instructions}: a typed error, got ${error}`,
      );
    }
  }
}

const OBJ = /^\/storage\/v1\/b\/fixture-bucket\/o\/[^/]+$/;
const UPLOAD = /^\/upload\/storage\/v1\/b\/fixture-bucket\/o$/;

test("gcp retry_tests.json 1 (always idempotent): objects.get, objects.list and media reads survive 503s and resets", async () => {
  await replay(
    1,
    "GET",
    OBJ,
    async (s) => void await s.stat(`${s.path}/seed.txt`),
  );
  await replay(
    1,
    "GET",
    /^\/storage\/v1\/b\/fixture-bucket\/o$/,
    async (s) => void await s.listdir(s.path),
  );
  await replay(
    1,
    "GET",
    OBJ,
    async (s) => assert.equal(await getText(s, `${s.path}/seed.txt`), "seed"),
  );
});

test("gcp retry_tests.json 2 (conditionally idempotent, precondition present): create-only insert, rewrite, compose are retried", async () => {
  await replay(
    2,
    "POST",
    UPLOAD,
    (s, i) => putText(s, `${s.path}/new-${i}.txt`, "x", "x"),
  );
  await replay(
    2,
    "POST",
    /\/rewriteTo\//,
    (s, i) => s.copyfile(`${s.path}/seed.txt`, `${s.path}/copy-${i}.txt`),
  );
  await replay(
    2,
    "POST",
    /\/compose$/,
    (s) => putText(s, `${s.path}/seed.txt`, "+", "a"),
  );
  await replay(
    2,
    "POST",
    /\/moveTo\//,
    (s, i) => s.rename(`${s.path}/seed.txt`, `${s.path}/moved-${i}.txt`),
  );
});

test("gcp retry_tests.json 3 (precondition absent): an unconditional insert or rewrite is never sent twice; the retry is pinned to the generation seen", async () => {
  // Google's libraries give up here. Stowage's "conditional" strategy looks at the
  // object after the failure and sends the write again with ifGenerationMatch (0
  // when there is none), which can never replace a newer object: the call succeeds,
  // and no request without a precondition goes out twice.
  const pinnedRetries = (urls: URL[], instructions: string[]) => {
    // Deno's fetch itself resends a request whose kept-alive connection closed unanswered.
    if (runtimeName() === "deno" && instructions[0] === "return-reset-connection") return;
    assert.ok(urls.length >= 2, `${instructions}: tried again (${urls.length} requests)`);
    assert.equal(urls[0].searchParams.get("ifGenerationMatch"), null, "the first is plain");
    for (const u of urls.slice(1)) {
      assert.match(u.searchParams.get("ifGenerationMatch") ?? "", /^\d+$/, `${u} is pinned`);
    }
  };
  await replay(
    3,
    "POST",
    UPLOAD,
    (s, i) => putText(s, `${s.path}/w-${i}.txt`, "x", "w"),
    { expectSuccess: true, requests: pinnedRetries },
  );
  await replay(
    3,
    "POST",
    /\/rewriteTo\//,
    (s) =>
      s.copyfile(`${s.path}/seed.txt`, `${s.path}/seed2.txt`, {
        overwrite: true,
      }),
    { expectSuccess: true, requests: pinnedRetries },
  );
  // retryStrategy "always" (gcsfs's, so ZenML's, behaviour) retries them.
  await replay(
    3,
    "POST",
    UPLOAD,
    (s, i) => putText(s, `${s.path}/w-${i}.txt`, "x", "w"),
    {
      strategy: "always",
      expectSuccess: true,
    },
  );
  // Deletes are retried regardless (a repeat can only find the object gone): Stowage's documented choice.
  await replay(3, "DELETE", OBJ, (s) => s.remove(`${s.path}/seed.txt`), {
    expectSuccess: true,
  });
});

test("gcp retry_tests.json 5 and 6 (non-retryable 400/401, alone or after a 503): a typed error, no endless retry", async () => {
  await replay(
    5,
    "GET",
    OBJ,
    (s) => s.stat(`${s.path}/seed.txt`).then(() => {}),
  );
  await replay(
    6,
    "GET",
    OBJ,
    (s) => s.stat(`${s.path}/seed.txt`).then(() => {}),
  );
  const s = setup.store("retry5b");
  await putText(s, `${s.path}/seed.txt`, "seed");
  fixture.instruct("GET", OBJ, ["return-400"]);
  await assert.rejects(s.stat(`${s.path}/seed.txt`), InvalidArgumentError);
  fixture.instruct("GET", OBJ, ["return-401"]);
  await assert.rejects(s.stat(`${s.path}/seed.txt`), AuthenticationError);
});

test("gcp retry_tests.json 7 (resumable uploads, complex retries): 20 MiB sessions survive resets, 408s and 503s after 256 KiB / 8 MiB", async () => {
  const size = 20 * MiB + 1234;
  for (const c of scenario(7).cases) {
    const store = setup.store("retry7", { partSize: 9 * MiB });
    const p = `${store.path}/up.bin`;
    fixture.instruct("PUT", UPLOAD, c.instructions);
    const applied = fixture.stats.faultsApplied;
    await streamWrite(store, p, size, 7, "xb");
    fixture.clearInstructions();
    assert.ok(
      fixture.stats.faultsApplied > applied,
      `${c.instructions} applied`,
    );
    assert.equal(
      await sha256(await getBytes(store, p)),
      await expectedSha(size, 7),
      `${c.instructions}`,
    );
  }
});

test("gcp retry_tests.json 8 (downloads, complex retries): broken streams resume, bytes identical and CRC32C-checked", async () => {
  const store = setup.store("retry8");
  const data = patternBytes(3 * MiB + 77, 8);
  await putBytes(store, `${store.path}/dl.bin`, data);
  for (const c of scenario(8).cases) {
    fixture.instruct("GET", OBJ, c.instructions);
    const applied = fixture.stats.faultsApplied;
    assert.deepEqual(await getBytes(store, `${store.path}/dl.bin`), data);
    assert.ok(fixture.stats.faultsApplied > applied);
  }
});

test("gcp fixture: a corrupted download is caught by the CRC32C check (an error, never wrong bytes)", async () => {
  let corrupt = false;
  const fetchFn = wrapFetch((url, init, real) =>
    corrupt && url.includes("alt=media")
      ? real(url, init).then((r) => corruptBody(r, 1000))
      : undefined
  );
  const store = setup.store("crc", { fetch: fetchFn });
  await putBytes(store, `${store.path}/c.bin`, patternBytes(50_000, 4));
  corrupt = true;
  await assert.rejects(
    getBytes(store, `${store.path}/c.bin`),
    (e: Error) => e instanceof ArtifactStoreError && /corrupt.*CRC32C/.test(e.message),
  );
  // Ranged reads carry no whole-object hash to check: they pass through.
  assert.equal(
    (await getBytes(store, `${store.path}/c.bin`, { start: 2000, end: 3000 }))
      .length,
    1000,
  );
});

// ------------------------------------------------------------ OAuth

test("gcp fixture: the service-account JWT is exchanged once at token_uri and the token reused", async () => {
  const s2 = await fixtureSetup();
  try {
    const store = s2.store("jwt");
    await Promise.all(
      Array.from(
        { length: 8 },
        (_, i) => putText(store, `${store.path}/t${i}.txt`, "t"),
      ),
    );
    assert.equal((await store.listdir(store.path)).length, 8);
    assert.equal(
      s2.fixture.stats.tokensIssued,
      1,
      "parallel requests share one token request",
    );
    assert.equal(s2.fixture.stats.jwtRejected, 0);
    assert.equal(s2.fixture.stats.unauthorized, 0);
  } finally {
    await s2.fixture.close();
  }
});

test("gcp fixture: a token at its expiry is replaced by a second one", async () => {
  // The first token lives 1 s: after 0.6 s it is inside its refresh margin (half its life).
  const s2 = await fixtureSetup({ tokenLifetime: (n) => (n === 1 ? 1 : 3600) });
  try {
    const store = s2.store("refresh");
    await putText(store, `${store.path}/a.txt`, "a");
    assert.equal(s2.fixture.stats.tokensIssued, 1);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(await getText(store, `${store.path}/a.txt`), "a");
    assert.equal(
      s2.fixture.stats.tokensIssued,
      2,
      "the expired token was refreshed",
    );
    await store.stat(`${store.path}/a.txt`);
    assert.equal(s2.fixture.stats.tokensIssued, 2, "the fresh one is reused");
  } finally {
    await s2.fixture.close();
  }
});

test("gcp fixture: a token near its expiry (inside five minutes) is refreshed before use", async () => {
  // The store's clock starts 55 minutes back: the first (one-hour) token then has
  // five minutes left once the clock catches up with the fixture's.
  let clock = Date.now() - 3300_000;
  const auth = resolveGcsAuth({ path: "gs://b", credentials: setup.keyFile }, {
    env: () => undefined,
    now: () => clock,
  });
  const issued = fixture.stats.tokensIssued;
  const t1 = await auth.token();
  assert.equal(await auth.token(), t1);
  clock = Date.now() - 60_000; // six minutes left: still used
  assert.equal(await auth.token(), t1);
  clock = Date.now() + 1000; // inside the last five minutes: refreshed
  const t2 = await auth.token();
  assert.notEqual(t2, t1);
  assert.equal(fixture.stats.tokensIssued - issued, 2);
  // The new token works against the API.
  const res = await fetch(
    `${fixture.endpoint}/storage/v1/b/${BUCKET}/o?maxResults=1`,
    {
      headers: { Authorization: `Bearer ${t2}` },
    },
  );
  assert.equal(res.status, 200);
  await res.body?.cancel();
});

test("gcp fixture: a JWT signed with another key is refused → AuthenticationError", async () => {
  const other = await makeServiceAccount();
  const forged = { ...setup.keyFile, private_key: other.privateKeyPem };
  const store = new GcsArtifactStore({
    path: `gs://${BUCKET}/${uniquePrefix("forged")}`,
    endpoint: fixture.endpoint,
    credentials: forged,
    retry: FAST_RETRY,
  });
  const rejected = fixture.stats.jwtRejected;
  await assert.rejects(store.listdir(store.path), AuthenticationError);
  assert.equal(
    fixture.stats.jwtRejected - rejected,
    1,
    "refused once, not retried",
  );
});

test("gcp fixture: a bad access token → AuthenticationError (401), an access-token function is called per request", async () => {
  const bad = new GcsArtifactStore({
    path: `gs://${BUCKET}/x`,
    endpoint: fixture.endpoint,
    accessToken: "not-a-token",
    retry: FAST_RETRY,
  });
  await assert.rejects(bad.exists(`${bad.path}/a`), AuthenticationError);
  const good = await resolveGcsAuth({
    path: "gs://b",
    credentials: setup.keyFile,
  }, {
    env: () => undefined,
  }).token();
  let calls = 0;
  const store = new GcsArtifactStore({
    path: `gs://${BUCKET}/${uniquePrefix("fn")}`,
    endpoint: fixture.endpoint,
    accessToken: () => (calls++, good!),
    retry: FAST_RETRY,
  });
  await putText(store, `${store.path}/f.txt`, "f");
  assert.equal(await getText(store, `${store.path}/f.txt`), "f");
  assert.ok(calls >= 2);
});

test("gcp fixture: keyFilename and GOOGLE_APPLICATION_CREDENTIALS files, user credentials, the metadata server", async () => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-gcs-key-"));
  try {
    const file = join(dir, "sa.json");
    await writeFile(file, JSON.stringify(setup.keyFile));
    // keyFilename in the store configuration: read through node:fs/promises.
    const store = setup.store("keyfile", {
      credentials: undefined,
      keyFilename: file,
    });
    await putText(store, `${store.path}/k.txt`, "k");
    assert.equal(await getText(store, `${store.path}/k.txt`), "k");
    // GOOGLE_APPLICATION_CREDENTIALS from the environment.
    const fromEnv = resolveGcsAuth({ path: "gs://b" }, {
      env: (n) => (n === "GOOGLE_APPLICATION_CREDENTIALS" ? file : undefined),
    });
    assert.equal(fromEnv.source, "key-file");
    assert.ok(await fromEnv.token());
    assert.ok(await fromEnv.signingKey());
    // A missing file: a ConfigError that names it.
    const missing = resolveGcsAuth({ path: "gs://b" }, {
      env: (
        n,
      ) => (n === "GOOGLE_APPLICATION_CREDENTIALS" ? join(dir, "nope.json") : undefined),
    });
    await assert.rejects(
      missing.token(),
      (e: Error) => e.name === "ConfigError" && e.message.includes("nope.json"),
    );
    // gcloud's application-default user credentials (authorized_user, refresh-token grant).
    const userFixture = await startFixture({
      authorizedUser: {
        clientId: "cid",
        clientSecret: "csecret",
        refreshToken: "rtoken",
      },
      requireAuth: true,
    });
    try {
      const gcloud = join(dir, "gcloud");
      await mkdir(gcloud, { recursive: true });
      await writeFile(
        join(gcloud, "application_default_credentials.json"),
        JSON.stringify({
          type: "authorized_user",
          client_id: "cid",
          client_secret: "csecret",
          refresh_token: "rtoken",
          token_uri: userFixture.tokenUri,
        }),
      );
      const user = resolveGcsAuth({ path: "gs://b" }, {
        env: (
          n,
        ) => (n === "CLOUDSDK_CONFIG"
          ? gcloud
          : n === "GCE_METADATA_HOST"
          ? "127.0.0.1:9"
          : undefined),
      });
      assert.equal(user.source, "application-default");
      assert.ok(await user.token());
      assert.equal(
        await user.signingKey(),
        null,
        "user credentials cannot sign URLs",
      );
      assert.equal(userFixture.stats.tokensIssued, 1);
      // No gcloud file: the metadata server (GCE_METADATA_HOST → the fixture).
      const meta = resolveGcsAuth({ path: "gs://b" }, {
        env: (n) =>
          n === "CLOUDSDK_CONFIG"
            ? join(dir, "empty")
            : n === "GCE_METADATA_HOST"
            ? userFixture.metadataHost
            : undefined,
      });
      const token = await meta.token();
      assert.equal(userFixture.stats.metadataTokens, 1);
      const res = await fetch(`${userFixture.endpoint}/storage/v1/b/b/o`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    } finally {
      await userFixture.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------ signed URLs

test("gcp fixture: presigned V4 URLs (PUT then GET) are verified by the server; tampered or expired ones are refused", async () => {
  const store = setup.store("presign");
  assert.equal(store.capabilities.presign, true);
  const p = `${store.path}/dir with space/ü&+.bin`;
  const data = patternBytes(10_000, 12);
  const put = await store.presign(p, { method: "PUT", expiresIn: 300 });
  const r1 = await fetch(put, { method: "PUT", body: data as BodyInit });
  assert.equal(r1.status, 200, await r1.text());
  assert.deepEqual(await getBytes(store, p), data);
  const get = await store.presign(p, { expiresIn: 60 });
  const r2 = await fetch(get);
  assert.equal(r2.status, 200);
  assert.deepEqual(new Uint8Array(await r2.arrayBuffer()), data);
  // The URL grants GET only.
  const r3 = await fetch(get, { method: "PUT", body: "x" });
  assert.equal(r3.status, 403);
  await r3.body?.cancel();
  // A changed signature or a changed path is refused.
  const r4 = await fetch(
    get.replace(
      /X-Goog-Signature=([0-9a-f])/,
      (_, c) => `X-Goog-Signature=${c === "0" ? "1" : "0"}`,
    ),
  );
  assert.equal(r4.status, 403);
  await r4.body?.cancel();
  const r5 = await fetch(get.replace("%C3%BC", "u"));
  assert.equal(r5.status, 403);
  await r5.body?.cancel();
  // An expired URL.
  const old = await signUrlV4({
    method: "GET",
    bucket: BUCKET,
    object: nameOf(store, p),
    expiresIn: 10,
    now: new Date(Date.now() - 60_000),
    clientEmail: setup.clientEmail,
    key: await importPrivateKey(setup.keyFile.private_key),
    scheme: "http",
    host: new URL(fixture.endpoint).host,
  });
  const r6 = await fetch(old.url);
  assert.equal(r6.status, 400);
  await r6.body?.cancel();
  assert.ok(fixture.stats.signedRejected >= 4);
  // Bad arguments.
  await assert.rejects(
    store.presign(p, { expiresIn: 604_801 }),
    InvalidArgumentError,
  );
  const tokenOnly = new GcsArtifactStore({
    path: `gs://${BUCKET}`,
    endpoint: fixture.endpoint,
    accessToken: "t",
  });
  assert.equal(tokenOnly.capabilities.presign, false);
  await assert.rejects(
    tokenOnly.presign(`gs://${BUCKET}/x`),
    NotSupportedError,
  );
});

// Last: stop the fixture (top-level `after` hooks do not run under Deno).
test("gcp fixture: stop", () => fixture.close());
