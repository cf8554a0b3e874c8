// Azure-specific behaviour against Azurite (and loopback token servers): auth
// errors, SAS, blocks, abort, big listings, URI forms, append blobs, presigned URLs,
// directory markers, credential resolution, token refresh and injected faults.

import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  ArtifactStoreError,
  AuthenticationError,
  ConfigError,
  createArtifactStore,
  FileExistsError,
  FileNotFoundError,
  InvalidPathError,
  IsADirectoryError,
  NotSupportedError,
  PermissionDeniedError,
  PreconditionFailedError,
} from "../../mod.ts";
import {
  AzureArtifactStore,
  type AzureStoreConfig,
  canonicalAzureUri,
  generateBlobSas,
  parseConnectionString,
  resolveAzureSettings,
} from "../../flavors/azure/mod.ts";
import { AzureBlobClient } from "../../flavors/azure/client.ts";
import { mapAzureError } from "../../flavors/azure/errors.ts";
import {
  getBytes,
  getText,
  patternBytes,
  putBytes,
  putText,
  sha256,
} from "../conformance/suite.ts";
import { azureConfig, azurite, FAST_RETRY, MiB, uniquePrefix } from "./_azure.ts";

const emu = azurite();
const skip = typeof emu === "string" ? emu : undefined;
const E = typeof emu === "string" ? undefined : emu;

/** A store on Azurite below a fresh prefix. */
function store(
  label: string,
  extra: Partial<AzureStoreConfig> = {},
): AzureArtifactStore {
  return new AzureArtifactStore(azureConfig(E!, label, extra));
}

/** One request as a recording fetch saw it: method, URL and the status (0: no response). */
interface Logged {
  method: string;
  url: string;
  status: number;
}

/**
 * A fetch that records every request and forwards it. Requests that got no
 * response (a stale keep-alive socket, retried by the client) have status 0, so
 * counts below look at answered requests only.
 */
function recordingFetch(log: Logged[]): typeof fetch {
  return async (input, init) => {
    const entry = {
      method: init?.method ?? "GET",
      url: String(input),
      status: 0,
    };
    log.push(entry);
    const res = await fetch(input, init);
    entry.status = res.status;
    return res;
  };
}

/** Answered requests matching a predicate. */
function answered(log: Logged[], pred: (r: Logged) => boolean): Logged[] {
  return log.filter((r) => r.status !== 0 && pred(r));
}

const ERROR_XML = (code: string) =>
  `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>Injected ${code}\nRequestId:x</Message></Error>`;

/** A response whose body breaks (`"reset"`) or ends early (`"cut"`) after `after` bytes. */
function broken(res: Response, after: number, how: "reset" | "cut"): Response {
  const reader = res.body!.getReader();
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(c) {
      const { value, done } = await reader.read();
      if (done) return c.close();
      const room = after - sent;
      if (value.length >= room) {
        if (room > 0) c.enqueue(value.subarray(0, room));
        sent = after;
        reader.cancel().catch(() => {});
        if (how === "reset") c.error(new TypeError("connection reset by peer"));
        else c.close();
        return;
      }
      sent += value.length;
      c.enqueue(value);
    },
    cancel: (r) => reader.cancel(r),
  });
  return new Response(body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
}

/** A loopback HTTP server; `handle` answers each request with its body read. */
async function loopback(
  handle: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      res.setHeader("Connection", "close");
      handle(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(value));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- auth

test(
  "azure: a wrong account key is an AuthenticationError (stat, list, read, write)",
  { skip, timeout: 120_000 },
  async () => {
    const good = store("badkey");
    await putText(good, `${good.path}/a.txt`, "hello");
    const bad = new AzureArtifactStore({
      ...azureConfig(E!, "x"),
      path: good.path,
      accountKey: btoa("w".repeat(64)),
    });
    await assert.rejects(bad.stat(`${good.path}/a.txt`), AuthenticationError);
    await assert.rejects(
      bad.exists(`${good.path}/missing.txt`),
      AuthenticationError,
    );
    await assert.rejects(bad.listdir(good.path), AuthenticationError);
    await assert.rejects(
      getText(bad, `${good.path}/a.txt`),
      AuthenticationError,
    );
    const err = await putText(bad, `${good.path}/b.txt`, "x").catch((e) => e);
    assert.ok(err instanceof AuthenticationError, String(err));
    assert.equal(err.flavor, "azure");
    assert.match(err.message, /b\.txt/);
    assert.equal(await good.exists(`${good.path}/b.txt`), false);
    await good.rmtree(good.path);
  },
);

test(
  "azure: a read-only SAS reads and lists but cannot write or delete (PermissionDeniedError)",
  {
    skip,
    timeout: 120_000,
  },
  async () => {
    const owner = store("sas-ro");
    await putText(owner, `${owner.path}/a.txt`, "read me");
    const sas = await generateBlobSas({
      accountName: E!.env.STOWAGE_TEST_AZURE_ACCOUNT,
      accountKey: E!.env.STOWAGE_TEST_AZURE_KEY,
      container: E!.env.STOWAGE_TEST_AZURE_CONTAINER,
      permissions: "rl",
      expiresOn: new Date(Date.now() + 3_600_000),
    });
    const ro = new AzureArtifactStore({
      path: owner.path,
      endpoint: E!.env.STOWAGE_TEST_AZURE_ENDPOINT,
      sasToken: `?${sas}`,
      retry: FAST_RETRY,
    });
    assert.equal(ro.settings.auth.kind, "sas");
    assert.equal(ro.capabilities.presign, false);
    assert.equal(await getText(ro, `${owner.path}/a.txt`), "read me");
    assert.deepEqual(await ro.listdir(owner.path), ["a.txt"]);
    await assert.rejects(
      putText(ro, `${owner.path}/b.txt`, "no"),
      PermissionDeniedError,
    );
    await assert.rejects(
      ro.remove(`${owner.path}/a.txt`),
      PermissionDeniedError,
    );
    await assert.rejects(
      ro.copyfile(`${owner.path}/a.txt`, `${owner.path}/c.txt`),
      PermissionDeniedError,
    );
    await assert.rejects(ro.presign(`${owner.path}/a.txt`), NotSupportedError);
    assert.equal(await owner.exists(`${owner.path}/b.txt`), false);
    assert.equal(await getText(owner, `${owner.path}/a.txt`), "read me");
    await owner.rmtree(owner.path);
  },
);

test(
  "azure: a full SAS writes, copies and batch-deletes (sub-requests carry the SAS)",
  { skip, timeout: 120_000 },
  async () => {
    const sas = await generateBlobSas({
      accountName: E!.env.STOWAGE_TEST_AZURE_ACCOUNT,
      accountKey: E!.env.STOWAGE_TEST_AZURE_KEY,
      container: E!.env.STOWAGE_TEST_AZURE_CONTAINER,
      permissions: "racwdl",
      expiresOn: new Date(Date.now() + 3_600_000),
    });
    const log: Logged[] = [];
    const s = new AzureArtifactStore({
      path: `az://${E!.env.STOWAGE_TEST_AZURE_CONTAINER}/${uniquePrefix("sas-rw")}`,
      endpoint: E!.env.STOWAGE_TEST_AZURE_ENDPOINT,
      sasToken: sas,
      partSize: MiB,
      retry: FAST_RETRY,
      fetch: recordingFetch(log),
    });
    for (let i = 0; i < 5; i++) {
      await putText(s, `${s.path}/d/f${i}.txt`, `f${i}`);
    }
    const big = patternBytes(2 * MiB + 5, 9);
    await putBytes(s, `${s.path}/d/big.bin`, big);
    assert.deepEqual(await getBytes(s, `${s.path}/d/big.bin`), big);
    await s.copyfile(`${s.path}/d/f1.txt`, `${s.path}/e/g.txt`);
    assert.equal(await getText(s, `${s.path}/e/g.txt`), "f1");
    log.length = 0;
    await s.rmtree(`${s.path}/d`);
    assert.equal(answered(log, (r) => r.url.includes("comp=batch")).length, 1);
    assert.equal(answered(log, (r) => r.method === "DELETE").length, 0);
    assert.equal(await s.exists(`${s.path}/d`), false);
    await s.rmtree(s.path);
  },
);

// ---------------------------------------------------------------- blocks, abort, listings

test(
  "azure: a 40 MiB streamed write goes up as several blocks and reads back identical",
  { skip, timeout: 120_000 },
  async () => {
    const log: Logged[] = [];
    const s = store("blocks", { fetch: recordingFetch(log) });
    assert.equal(s.partSize, 8 * MiB);
    const size = 40 * MiB;
    const data = patternBytes(size, 40);
    const p = `${s.path}/big.bin`;
    const w = (await s.open(p, "wb")).getWriter();
    for (let i = 0; i < size; i += 256 * 1024) {
      await w.write(data.subarray(i, i + 256 * 1024));
    }
    await w.close();
    const blocks = answered(
      log,
      (r) => r.method === "PUT" && r.url.includes("comp=block&"),
    );
    assert.equal(blocks.length, 5);
    assert.equal(
      new Set(blocks.map((r) => new URL(r.url).searchParams.get("blockid")))
        .size,
      5,
    );
    assert.equal(
      answered(log, (r) => r.url.includes("comp=blocklist")).length,
      1,
    );
    assert.equal(
      answered(log, (r) => r.method === "PUT" && !r.url.includes("comp="))
        .length,
      0,
    );
    assert.equal((await s.stat(p)).size, size);
    assert.equal(await sha256(await getBytes(s, p)), await sha256(data));
    assert.deepEqual(
      await getBytes(s, p, { start: 8 * MiB - 3, end: 8 * MiB + 3 }),
      data.slice(8 * MiB - 3, 8 * MiB + 3),
    );
    await s.rmtree(s.path);
  },
);

test(
  "azure: an aborted block write leaves no blob (staged blocks are never committed)",
  { skip, timeout: 120_000 },
  async () => {
    const log: Logged[] = [];
    const s = store("abort", { partSize: MiB, fetch: recordingFetch(log) });
    const p = `${s.path}/d/never.bin`;
    const w = (await s.open(p, "wb")).getWriter();
    await w.write(patternBytes(3 * MiB + 10));
    await w.abort(new Error("stop"));
    assert.ok(answered(log, (r) => r.url.includes("comp=block&")).length >= 2);
    assert.equal(
      answered(log, (r) => r.url.includes("comp=blocklist")).length,
      0,
    );
    assert.equal(await s.exists(p), false);
    assert.equal(await s.exists(`${s.path}/d`), false);
    await assert.rejects(s.stat(p), FileNotFoundError);
    // An aborted overwrite keeps the old content.
    await putText(s, p, "old");
    const w2 = (await s.open(p, "wb")).getWriter();
    await w2.write(patternBytes(2 * MiB + 1));
    await w2.abort();
    assert.equal(await getText(s, p), "old");
    // Through the signal, too.
    const ac = new AbortController();
    const w3 = (await s.open(`${s.path}/d/sig.bin`, "wb", { signal: ac.signal }))
      .getWriter();
    await w3.write(patternBytes(2 * MiB + 1));
    ac.abort(new Error("cancelled"));
    await assert.rejects(w3.close());
    assert.equal(await s.exists(`${s.path}/d/sig.bin`), false);
    assert.deepEqual(await s.listdir(`${s.path}/d`), ["never.bin"]);
    await s.rmtree(s.path);
  },
);

test(
  "azure: 2,500 blobs list, glob and rmtree completely (Blob Batch, 256 per request)",
  { skip, timeout: 120_000 },
  async () => {
    const log: Logged[] = [];
    const s = store("many", { fetch: recordingFetch(log) });
    const names = Array.from(
      { length: 2500 },
      (_, i) => `k${String(i).padStart(5, "0")}.txt`,
    );
    const queue = [...names];
    await Promise.all(Array.from({ length: 32 }, async () => {
      for (let k = queue.shift(); k !== undefined; k = queue.shift()) {
        await putText(s, `${s.path}/d/${k}`, k);
      }
    }));
    assert.deepEqual(await s.listdir(`${s.path}/d`), names);
    assert.equal((await s.glob(`${s.path}/d/*.txt`)).length, 2500);
    let walked = 0;
    for await (const [, , files] of s.walk(s.path)) walked += files.length;
    assert.equal(walked, 2500);
    log.length = 0;
    await s.rmtree(`${s.path}/d`);
    assert.equal(
      answered(log, (r) => r.url.includes("comp=batch")).length,
      Math.ceil(2500 / 256),
    );
    assert.equal(answered(log, (r) => r.method === "DELETE").length, 0);
    assert.equal(await s.exists(`${s.path}/d`), false);
    await assert.rejects(s.listdir(`${s.path}/d`), FileNotFoundError);
  },
);

test(
  "azure: without Blob Batch (refused by the service) rmtree falls back to single deletes",
  {
    skip,
    timeout: 120_000,
  },
  async () => {
    const log: Logged[] = [];
    const record = recordingFetch(log);
    const f: typeof fetch = (input, init) => {
      if (String(input).includes("comp=batch")) {
        log.push({ method: "POST", url: String(input), status: 400 });
        return Promise.resolve(
          new Response(ERROR_XML("FeatureNotSupported"), {
            status: 400,
            headers: { "x-ms-error-code": "FeatureNotSupported" },
          }),
        );
      }
      return record(input, init);
    };
    const s = store("nobatch", { fetch: f });
    for (let i = 0; i < 300; i += 30) {
      await Promise.all(
        Array.from(
          { length: 30 },
          (_, j) => putText(s, `${s.path}/d/f${i + j}`, "x"),
        ),
      );
    }
    await s.rmtree(`${s.path}/d`);
    // The two batches (256 + 44) may both be in flight before the first refusal.
    const batches = answered(log, (r) => r.url.includes("comp=batch")).length;
    assert.ok(batches >= 1 && batches <= 2, `${batches} batch requests`);
    assert.equal(answered(log, (r) => r.method === "DELETE").length, 300);
    assert.equal(await s.exists(`${s.path}/d`), false);
  },
);

// ---------------------------------------------------------------- URI forms

test(
  "azure: az://, abfs:// and abfs://container@account.dfs.core.windows.net address the same blobs",
  { skip, timeout: 120_000 },
  async () => {
    const container = E!.env.STOWAGE_TEST_AZURE_CONTAINER;
    const account = E!.env.STOWAGE_TEST_AZURE_ACCOUNT;
    const prefix = uniquePrefix("forms");
    const az = store("unused", { path: `az://${container}/${prefix}` });
    const abfs = store("unused", { path: `abfs://${container}/${prefix}` });
    const host = store("unused", {
      path: `abfs://${container}@${account}.dfs.core.windows.net/${prefix}`,
    });
    assert.equal(az.path, `az://${container}/${prefix}`);
    assert.equal(abfs.path, az.path);
    assert.equal(host.path, az.path);
    await putText(az, `az://${container}/${prefix}/one.txt`, "1");
    await putText(az, `abfs://${container}/${prefix}/two.txt`, "2");
    await putText(
      az,
      `abfs://${container}@${account}.dfs.core.windows.net/${prefix}/sub/three.txt`,
      "3",
    );
    for (const s of [az, abfs, host]) {
      assert.equal(
        await getText(s, `az://${container}/${prefix}/two.txt`),
        "2",
      );
      assert.equal(
        await getText(s, `abfs://${container}/${prefix}/sub/three.txt`),
        "3",
      );
      assert.equal(
        await getText(
          s,
          `ABFS://${container}@${account}.dfs.core.windows.net/${prefix}/one.txt`,
        ),
        "1",
      );
      assert.deepEqual(await s.listdir(`abfs://${container}/${prefix}`), [
        "one.txt",
        "sub",
        "two.txt",
      ]);
    }
    assert.deepEqual(
      await host.glob(`abfs://${container}/${prefix}/**/*.txt`),
      [
        `az://${container}/${prefix}/one.txt`,
        `az://${container}/${prefix}/sub/three.txt`,
        `az://${container}/${prefix}/two.txt`,
      ],
    );
    assert.equal(
      (await abfs.stat(`abfs://${container}/${prefix}/one.txt`)).path,
      `az://${container}/${prefix}/one.txt`,
    );
    // Another account is another store.
    const other = `abfs://${container}@otheraccount.dfs.core.windows.net/${prefix}/one.txt`;
    await assert.rejects(az.exists(other), InvalidPathError);
    assert.equal(az.contains(other), false);
    assert.equal(az.contains(`abfs://${container}/${prefix}/x`), true);
    assert.equal(az.contains(`abfs://${container}/elsewhere`), false);
    assert.throws(
      () =>
        new AzureArtifactStore({
          path: `abfs://${container}@otheraccount.dfs.core.windows.net/p`,
          connectionString: E!.env.STOWAGE_TEST_AZURE_CONNECTION_STRING,
        }),
      ConfigError,
    );
    // The registry picks the azure flavor for both schemes.
    const viaRegistry = await createArtifactStore({
      path: `abfs://${container}/${prefix}`,
      connectionString: E!.env.STOWAGE_TEST_AZURE_CONNECTION_STRING,
    });
    assert.equal(viaRegistry.flavor, "azure");
    assert.equal(
      await getText(viaRegistry, `az://${container}/${prefix}/one.txt`),
      "1",
    );
    await az.rmtree(az.path);
  },
);

test(
  "azure: canonicalAzureUri maps every form onto az://",
  { timeout: 60_000 },
  () => {
    assert.deepEqual(canonicalAzureUri("abfs://c/p/q"), { uri: "az://c/p/q" });
    assert.deepEqual(canonicalAzureUri("az://c"), { uri: "az://c" });
    assert.deepEqual(
      canonicalAzureUri("abfs://c@acct.dfs.core.windows.net/p"),
      {
        uri: "az://c/p",
        account: "acct",
      },
    );
    assert.deepEqual(canonicalAzureUri("az://c@acct.blob.core.windows.net"), {
      uri: "az://c",
      account: "acct",
    });
    assert.deepEqual(canonicalAzureUri("s3://b/k"), { uri: "s3://b/k" });
    assert.deepEqual(canonicalAzureUri("relative/key"), {
      uri: "relative/key",
    });
  },
);

// ---------------------------------------------------------------- append

test(
  "azure: append mode uses append blobs; abort appends nothing; block blobs are refused",
  {
    skip,
    timeout: 120_000,
  },
  async () => {
    const s = store("append");
    const p = `${s.path}/log.txt`;
    await putText(s, p, "a", "a");
    await putText(s, p, "bc", "a");
    assert.equal(await getText(s, p), "abc");
    // More than one 4 MiB append block, in one close.
    const big = patternBytes(9 * MiB + 7, 5);
    await putBytes(s, p, big, "ab", 300_000);
    const all = await getBytes(s, p);
    assert.equal(all.length, 3 + big.length);
    assert.equal(await sha256(all.subarray(3)), await sha256(big));
    // Nothing is visible before close, and abort appends nothing.
    const w = (await s.open(p, "ab")).getWriter();
    await w.write(new TextEncoder().encode("zzz"));
    assert.equal((await s.stat(p)).size, 3 + big.length);
    await w.abort();
    assert.equal((await s.stat(p)).size, 3 + big.length);
    // A new append blob carries the content type and metadata of the first open.
    const q = `${s.path}/meta.log`;
    const wq = (await s.open(q, "ab", {
      contentType: "text/plain",
      metadata: { run: "7" },
    }))
      .getWriter();
    await wq.close();
    const st = await s.stat(q);
    assert.equal(st.size, 0);
    assert.equal(st.contentType, "text/plain");
    assert.deepEqual(st.metadata, { run: "7" });
    // A block blob cannot be appended to; it stays as it was.
    const b = `${s.path}/block.txt`;
    await putText(s, b, "block");
    await assert.rejects(s.open(b, "a"), NotSupportedError);
    assert.equal(await getText(s, b), "block");
    // A directory cannot be appended to.
    await putText(s, `${s.path}/dir/x.txt`, "x");
    await assert.rejects(s.open(`${s.path}/dir`, "a"), IsADirectoryError);
    // Overwriting an append blob with 'w' replaces it with a block blob (single and multi-block).
    await putText(s, p, "fresh", "w");
    assert.equal(await getText(s, p), "fresh");
    await putText(s, q, "x", "a");
    const multi = patternBytes(9 * MiB, 3);
    await putBytes(s, q, multi);
    assert.equal(await sha256(await getBytes(s, q)), await sha256(multi));
    await s.rmtree(s.path);
  },
);

test("azure: an append retried after a lost response does not append twice", {
  skip,
  timeout: 120_000,
}, async () => {
  let lost = 0;
  const f: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (String(input).includes("comp=appendblock") && lost++ === 0) {
      await res.body?.cancel();
      throw new TypeError("connection reset by peer");
    }
    return res;
  };
  const s = store("append-retry", { fetch: f });
  const p = `${s.path}/log.txt`;
  await putText(s, p, "one,", "a");
  await putText(s, p, "two", "a");
  assert.equal(lost, 3);
  assert.equal(await getText(s, p), "one,two");
  await s.rmtree(s.path);
});

// ---------------------------------------------------------------- presign

test(
  "azure: presigned URLs (service SAS) work with plain fetch",
  { skip, timeout: 120_000 },
  async () => {
    const s = store("presign");
    assert.equal(s.capabilities.presign, true);
    const name = "sp ace+&#?ü.txt";
    const p = `${s.path}/dir/${name}`;
    await putText(s, p, "presigned content");
    const get = await s.presign(p, { expiresIn: 300 });
    const url = new URL(get);
    assert.equal(url.searchParams.get("sp"), "r");
    assert.equal(url.searchParams.get("sr"), "b");
    const r = await fetch(get);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), "presigned content");
    const head = await fetch(await s.presign(p, { method: "HEAD" }), {
      method: "HEAD",
    });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), "17");
    // A tampered signature is refused.
    const tampered = new URL(get);
    tampered.searchParams.set("sp", "rw");
    const t = await fetch(tampered);
    await t.body?.cancel();
    assert.equal(t.status, 403);
    // PUT (with the blob type header) and DELETE.
    const up = `${s.path}/uploaded.bin`;
    const put = await fetch(await s.presign(up, { method: "PUT" }), {
      method: "PUT",
      headers: { "x-ms-blob-type": "BlockBlob" },
      body: new TextEncoder().encode("via presigned PUT"),
    });
    await put.body?.cancel();
    assert.equal(put.status, 201);
    assert.equal(await getText(s, up), "via presigned PUT");
    const del = await fetch(await s.presign(up, { method: "DELETE" }), {
      method: "DELETE",
    });
    await del.body?.cancel();
    assert.equal(del.status, 202);
    assert.equal(await s.exists(up), false);
    await assert.rejects(s.presign(s.path), InvalidPathError);
    await assert.rejects(s.presign(p, { expiresIn: 0 }), ArtifactStoreError);
    await s.rmtree(s.path);
  },
);

// ---------------------------------------------------------------- ADLS Gen2 directory markers

test(
  "azure: ADLS Gen2 directory markers (hdi_isfolder=true) are directories",
  { skip, timeout: 120_000 },
  async () => {
    const s = store("hdi");
    const raw = new AzureBlobClient({
      container: E!.env.STOWAGE_TEST_AZURE_CONTAINER,
      settings: s.settings,
    });
    const prefix = s.path.slice(
      `az://${E!.env.STOWAGE_TEST_AZURE_CONTAINER}/`.length,
    );
    const marker = (rel: string) =>
      raw.putBlob(`${prefix}/${rel}`, new Uint8Array(0), {
        metadata: { hdi_isfolder: "true" },
      });
    await marker("empty");
    await marker("full");
    await marker("full/sub");
    await putText(s, `${s.path}/full/f.txt`, "f");
    await putText(s, `${s.path}/top.txt`, "t");
    assert.equal(await s.isdir(`${s.path}/empty`), true);
    assert.equal(await s.exists(`${s.path}/empty`), true);
    assert.equal((await s.stat(`${s.path}/empty`)).isDirectory, true);
    assert.deepEqual(await s.listdir(`${s.path}/empty`), []);
    assert.deepEqual(await s.listdir(s.path), ["empty", "full", "top.txt"]);
    assert.deepEqual(await s.listdir(`${s.path}/full`), ["f.txt", "sub"]);
    assert.equal(await s.isdir(`${s.path}/full/sub`), true);
    assert.deepEqual(await s.glob(`${s.path}/*/`), [
      `${s.path}/empty`,
      `${s.path}/full`,
    ]);
    assert.deepEqual(await s.glob(`${s.path}/**/`), [
      s.path, // `x/**/` includes the directory `x` itself, as in Python and bash
      `${s.path}/empty`,
      `${s.path}/full`,
      `${s.path}/full/sub`,
    ]);
    const walked: string[] = [];
    for await (const [dir, dirs, files] of s.walk(s.path)) {
      walked.push(`${dir}|${dirs}|${files}`);
    }
    assert.deepEqual(walked, [
      `${s.path}|empty,full|top.txt`,
      `${s.path}/empty||`,
      `${s.path}/full|sub|f.txt`,
      `${s.path}/full/sub||`,
    ]);
    await assert.rejects(s.open(`${s.path}/empty`, "rb"), IsADirectoryError);
    await assert.rejects(s.remove(`${s.path}/empty`), IsADirectoryError);
    await assert.rejects(
      putText(s, `${s.path}/empty`, "x", "x"),
      IsADirectoryError, // as local: a directory is in the way, whatever the mode
    );
    await s.rmtree(`${s.path}/full`);
    assert.equal(await s.exists(`${s.path}/full`), false);
    assert.equal(await raw.getProperties(`${prefix}/full/sub`), null);
    assert.equal(await raw.getProperties(`${prefix}/full`), null);
    await s.rmtree(`${s.path}/empty`);
    assert.equal(await s.exists(`${s.path}/empty`), false);
    await s.rmtree(s.path);
    assert.deepEqual(
      (await s.glob(`${s.path}/**`)).filter((p) => p !== s.path),
      [],
    ); // `x/**` includes `x` itself
  },
);

// ---------------------------------------------------------------- copy

test(
  "azure: a pending copy is polled until done; a failed copy is surfaced",
  { skip, timeout: 120_000 },
  async () => {
    let mode: "pending" | "failed" = "pending";
    let polls = 0;
    const f: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const h = new Headers(init?.headers);
      if (init?.method === "PUT" && h.has("x-ms-copy-source")) {
        const out = new Headers(res.headers);
        out.set("x-ms-copy-status", "pending");
        return new Response(res.body, { status: res.status, headers: out });
      }
      if (
        init?.method === "HEAD" && String(input).includes("/dst") &&
        res.status === 200 && polls < 2
      ) {
        polls++;
        const out = new Headers(res.headers);
        out.set(
          "x-ms-copy-status",
          mode === "pending" || polls < 2 ? "pending" : "failed",
        );
        if (mode === "failed" && polls === 2) {
          out.set(
            "x-ms-copy-status-description",
            "500 InternalError Injected",
          );
        }
        return new Response(null, { status: res.status, headers: out });
      }
      return res;
    };
    const s = store("copy", { fetch: f });
    await putText(s, `${s.path}/src.txt`, "copied");
    await s.copyfile(`${s.path}/src.txt`, `${s.path}/dst1.txt`);
    assert.equal(polls, 2);
    assert.equal(await getText(s, `${s.path}/dst1.txt`), "copied");
    mode = "failed";
    polls = 0;
    const err = await s.copyfile(`${s.path}/src.txt`, `${s.path}/dst2.txt`)
      .catch((e) => e);
    assert.ok(err instanceof ArtifactStoreError, String(err));
    assert.match(err.message, /failed: 500 InternalError Injected/);
    await s.rmtree(s.path);
  },
);

// ---------------------------------------------------------------- credentials

test(
  "azure: connection strings: keys, SAS, BlobEndpoint, UseDevelopmentStorage, errors",
  {
    timeout: 60_000,
  },
  () => {
    const dev = parseConnectionString("UseDevelopmentStorage=true");
    assert.equal(dev.accountName, "devstoreaccount1");
    assert.equal(dev.blobEndpoint, "http://127.0.0.1:10000/devstoreaccount1");
    assert.ok(dev.accountKey?.startsWith("Eby8vdM02x"));
    const proxy = parseConnectionString(
      "UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://azurite.local",
    );
    assert.equal(
      proxy.blobEndpoint,
      "http://azurite.local:10000/devstoreaccount1",
    );
    const full = parseConnectionString(
      "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5PT0=;EndpointSuffix=core.chinacloudapi.cn",
    );
    assert.deepEqual(full, {
      accountName: "acct",
      accountKey: "a2V5PT0=",
      sasToken: undefined,
      blobEndpoint: "https://acct.blob.core.chinacloudapi.cn",
    });
    const sas = parseConnectionString(
      "BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=?sv=2025-01-05&sig=abc%3D",
    );
    assert.equal(sas.blobEndpoint, "https://acct.blob.core.windows.net");
    assert.equal(sas.sasToken, "sv=2025-01-05&sig=abc%3D");
    assert.throws(() => parseConnectionString("garbage"), ConfigError);
    assert.throws(() => parseConnectionString("AccountName=acct"), ConfigError);
    assert.throws(() => parseConnectionString("AccountKey=abc"), ConfigError);

    const viaSas = resolveAzureSettings({
      path: "az://data",
      connectionString:
        "BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature=sv=1&sig=2",
    }, { env: () => undefined });
    assert.equal(viaSas.auth.kind, "sas");
    assert.equal(viaSas.accountName, "acct");
    const devStore = new AzureArtifactStore({
      path: "az://data",
      connectionString: "UseDevelopmentStorage=true",
    });
    assert.equal(
      devStore.settings.endpoint,
      "http://127.0.0.1:10000/devstoreaccount1",
    );
    assert.equal(devStore.settings.auth.kind, "sharedKey");
  },
);

test(
  "azure: environment credentials are read in order, after the configuration",
  {
    timeout: 60_000,
  },
  () => {
    const ENV: Record<string, string> = {
      AZURE_STORAGE_CONNECTION_STRING: "AccountName=acct;AccountKey=Y3M=",
      AZURE_STORAGE_ACCOUNT_NAME: "acct",
      AZURE_STORAGE_ACCOUNT_KEY: "ZW52",
      AZURE_STORAGE_SAS_TOKEN: "?sv=1&sig=env",
      AZURE_TENANT_ID: "t",
      AZURE_CLIENT_ID: "c",
      AZURE_CLIENT_SECRET: "s",
    };
    const order = [
      "AZURE_STORAGE_CONNECTION_STRING",
      "AZURE_STORAGE_ACCOUNT_KEY",
      "AZURE_STORAGE_SAS_TOKEN",
      "AZURE_CLIENT_SECRET",
    ];
    const env = { ...ENV };
    const resolve = (config: Partial<AzureStoreConfig> = {}) =>
      resolveAzureSettings({ path: "az://c", ...config }, {
        env: (n) => env[n],
      });
    for (const source of order) {
      const s = resolve();
      assert.match(s.source, new RegExp(source));
      assert.equal(s.endpoint, "https://acct.blob.core.windows.net");
      delete env[source];
    }
    const mi = resolve();
    assert.equal(mi.auth.kind, "bearer");
    assert.match(mi.source, /managed identity/);
    // Kinds and keys.
    const cs = resolveAzureSettings({ path: "az://c" }, { env: (n) => ENV[n] });
    assert.deepEqual(cs.auth, {
      kind: "sharedKey",
      accountName: "acct",
      accountKey: "Y3M=",
    });
    // Aliases.
    const alias = resolveAzureSettings({ path: "az://c" }, {
      env: (n) =>
        ({
          AZURE_STORAGE_ACCOUNT: "other",
          AZURE_STORAGE_KEY: "a2V5",
        } as Record<string, string>)[n],
    });
    assert.deepEqual(alias.auth, {
      kind: "sharedKey",
      accountName: "other",
      accountKey: "a2V5",
    });
    // The configuration comes first.
    const all = (n: string) => ENV[n];
    assert.equal(
      resolveAzureSettings({ path: "az://c", sasToken: "sig=cfg" }, {
        env: all,
      }).auth.kind,
      "sas",
    );
    assert.equal(
      resolveAzureSettings({ path: "az://c", token: "tok" }, { env: all }).auth
        .kind,
      "bearer",
    );
    assert.equal(
      resolveAzureSettings({ path: "az://c", accountKey: "Y2Zn" }, { env: all })
        .source,
      "config accountKey",
    );
    assert.equal(
      resolveAzureSettings({ path: "az://c", managedIdentity: true }, {
        env: all,
      }).source,
      "config managedIdentity",
    );
    assert.equal(
      resolveAzureSettings({
        path: "az://c",
        tenantId: "t",
        clientId: "c",
        clientSecret: "s",
        accountName: "acct",
      }, {
        env: all,
      }).source,
      "config service principal",
    );
    // Environment credentials of another account are skipped.
    const other = resolveAzureSettings(
      { path: "az://c", accountName: "mine" },
      { env: all },
    );
    assert.equal(other.accountName, "mine");
    assert.equal(other.endpoint, "https://mine.blob.core.windows.net");
    assert.equal(other.source, "AZURE_STORAGE_SAS_TOKEN");
    // The abfs host names the account.
    const fromPath = resolveAzureSettings({ path: "az://c" }, {
      env: (n) => ({ AZURE_STORAGE_SAS_TOKEN: "sig=x" } as Record<string, string>)[n],
      pathAccount: "pathacct",
    });
    assert.equal(fromPath.endpoint, "https://pathacct.blob.core.windows.net");
    // No account anywhere.
    assert.throws(
      () => resolveAzureSettings({ path: "az://c" }, { env: () => undefined }),
      ConfigError,
    );
    assert.throws(
      () =>
        resolveAzureSettings({ path: "az://c", tenantId: "t" }, {
          env: () => undefined,
        }),
      ConfigError,
    );
    // The config schema.
    assert.throws(
      () => new AzureArtifactStore({ path: "az://data", accountName: "Bad_Name" }),
      ConfigError,
    );
    assert.throws(
      () =>
        new AzureArtifactStore({
          path: "az://C",
          connectionString: "UseDevelopmentStorage=true",
        }),
      ConfigError,
    );
    assert.throws(
      () =>
        new AzureArtifactStore({
          path: "az://",
          connectionString: "UseDevelopmentStorage=true",
        }),
      ConfigError,
    );
  },
);

test(
  "azure: a store built from a bare URI takes AZURE_STORAGE_CONNECTION_STRING",
  { skip, timeout: 120_000 },
  async () => {
    const before = process.env.AZURE_STORAGE_CONNECTION_STRING;
    let s;
    try {
      process.env.AZURE_STORAGE_CONNECTION_STRING = E!.env.STOWAGE_TEST_AZURE_CONNECTION_STRING;
      s = await createArtifactStore(
        `az://${E!.env.STOWAGE_TEST_AZURE_CONTAINER}/${uniquePrefix("env")}`,
      );
    } finally {
      if (before === undefined) {
        delete process.env.AZURE_STORAGE_CONNECTION_STRING;
      } else process.env.AZURE_STORAGE_CONNECTION_STRING = before;
    }
    assert.ok(s instanceof AzureArtifactStore);
    assert.equal(s.settings.source, "AZURE_STORAGE_CONNECTION_STRING");
    await putText(s, `${s.path}/e.txt`, "from env");
    assert.equal(await getText(s, `${s.path}/e.txt`), "from env");
    await s.rmtree(s.path);
  },
);

test(
  "azure: service principal tokens from the identity endpoint are cached, refreshed and sent as Bearer",
  { timeout: 60_000 },
  async () => {
    let issued = 0;
    const forms: URLSearchParams[] = [];
    let refuse = false;
    const server = await loopback((req, body, res) => {
      if (req.method !== "POST" || req.url !== "/tenant-1/oauth2/v2.0/token") {
        return json(res, 404, {});
      }
      const form = new URLSearchParams(body);
      forms.push(form);
      if (refuse) {
        return json(res, 401, {
          error: "invalid_client",
          error_description: "AADSTS7000215: Invalid client secret",
        });
      }
      json(res, 200, {
        token_type: "Bearer",
        expires_in: 2,
        access_token: `tok-${++issued}`,
      });
    });
    const sent: string[] = [];
    let expireNext = false;
    const f: typeof fetch = async (input, init) => {
      const url = String(input);
      if (!url.startsWith("https://spacct.blob.core.windows.net/")) {
        return await fetch(input, init);
      }
      const auth = new Headers(init?.headers).get("authorization") ?? "";
      sent.push(auth);
      if (expireNext) {
        expireNext = false;
        return new Response(null, {
          status: 401,
          headers: { "x-ms-error-code": "InvalidAuthenticationInfo" },
        });
      }
      return new Response(null, {
        status: 200,
        headers: {
          "content-length": "3",
          "etag": '"0x1"',
          "x-ms-blob-type": "BlockBlob",
          "last-modified": new Date().toUTCString(),
        },
      });
    };
    try {
      const s = new AzureArtifactStore({
        path: "az://data",
        accountName: "spacct",
        credential: {
          tenantId: "tenant-1",
          clientId: "app-1",
          clientSecret: "s3cret",
          authorityHost: server.url,
        },
        fetch: f,
        retry: FAST_RETRY,
      });
      assert.equal(s.capabilities.presign, false);
      await Promise.all([
        s.stat("az://data/a"),
        s.stat("az://data/b"),
        s.size("az://data/c"),
      ]);
      assert.equal(issued, 1);
      assert.deepEqual(sent, ["Bearer tok-1", "Bearer tok-1", "Bearer tok-1"]);
      assert.equal(forms[0].get("grant_type"), "client_credentials");
      assert.equal(forms[0].get("client_id"), "app-1");
      assert.equal(forms[0].get("client_secret"), "s3cret");
      assert.equal(forms[0].get("scope"), "https://storage.azure.com/.default");
      // Half of the 2 s lifetime later, the next request gets a fresh token.
      await sleep(1100);
      await s.stat("az://data/a");
      assert.equal(issued, 2);
      assert.equal(sent.at(-1), "Bearer tok-2");
      // A 401 invalidates the token; the next call fetches another.
      expireNext = true;
      await assert.rejects(s.stat("az://data/a"), AuthenticationError);
      await s.stat("az://data/a");
      assert.equal(issued, 3);
      assert.equal(sent.at(-1), "Bearer tok-3");
      // The same flow from the environment, with AZURE_AUTHORITY_HOST pointing at the loopback server.
      const fromEnv = resolveAzureSettings({ path: "az://data" }, {
        env: (n) =>
          ({
            AZURE_STORAGE_ACCOUNT_NAME: "spacct",
            AZURE_TENANT_ID: "tenant-1",
            AZURE_CLIENT_ID: "app-env",
            AZURE_CLIENT_SECRET: "env-secret",
            AZURE_AUTHORITY_HOST: server.url,
          } as Record<string, string>)[n],
      });
      assert.equal(fromEnv.auth.kind, "bearer");
      if (fromEnv.auth.kind === "bearer") {
        assert.equal(await fromEnv.auth.tokens.get(), "tok-4");
      }
      assert.equal(forms.at(-1)?.get("client_id"), "app-env");
      // A refused secret is a clean AuthenticationError naming the cause.
      refuse = true;
      const bad = new AzureArtifactStore({
        path: "az://data",
        accountName: "spacct",
        credential: {
          tenantId: "tenant-1",
          clientId: "app-1",
          clientSecret: "wrong",
          authorityHost: server.url,
        },
        fetch: f,
        retry: FAST_RETRY,
      });
      const err = await bad.stat("az://data/a").catch((e) => e);
      assert.ok(err instanceof AuthenticationError, String(err));
      assert.match(err.message, /Invalid client secret/);
    } finally {
      await server.close();
    }
  },
);

test(
  "azure: managed identity tokens from IMDS-style and App Service endpoints",
  {
    timeout: 60_000,
  },
  async () => {
    const seen: { url: string; headers: Record<string, unknown> }[] = [];
    const server = await loopback((req, _body, res) => {
      seen.push({ url: req.url ?? "", headers: req.headers });
      if (
        req.url?.startsWith("/msi/token") && req.headers["metadata"] === "true"
      ) {
        return json(res, 200, {
          access_token: "mi-token",
          expires_on: String(Math.floor(Date.now() / 1000) + 3600),
        });
      }
      if (
        req.url?.startsWith("/appsvc") &&
        req.headers["x-identity-header"] === "hdr-secret"
      ) {
        return json(res, 200, {
          access_token: "app-token",
          expires_on: Math.floor(Date.now() / 1000) + 3600,
        });
      }
      json(res, 400, { error: "bad_request" });
    });
    try {
      const imds = resolveAzureSettings({
        path: "az://c",
        accountName: "acct",
        managedIdentity: {
          endpoint: `${server.url}/msi/token`,
          clientId: "uami-1",
        },
      });
      assert.equal(imds.auth.kind, "bearer");
      if (imds.auth.kind === "bearer") {
        assert.equal(await imds.auth.tokens.get(), "mi-token");
        assert.equal(await imds.auth.tokens.get(), "mi-token");
      }
      assert.equal(seen.length, 1);
      const q = new URL(seen[0].url, server.url).searchParams;
      assert.equal(q.get("resource"), "https://storage.azure.com/");
      assert.equal(q.get("client_id"), "uami-1");
      assert.equal(q.get("api-version"), "2018-02-01");
      const app = resolveAzureSettings({ path: "az://c" }, {
        env: (n) =>
          ({
            AZURE_STORAGE_ACCOUNT_NAME: "acct",
            IDENTITY_ENDPOINT: `${server.url}/appsvc`,
            IDENTITY_HEADER: "hdr-secret",
          } as Record<string, string>)[n],
      });
      assert.match(app.source, /managed identity/);
      if (app.auth.kind === "bearer") {
        assert.equal(
          await app.auth.tokens.get(),
          "app-token",
        );
      }
      assert.equal(
        new URL(seen[1].url, server.url).searchParams.get("api-version"),
        "2019-08-01",
      );
    } finally {
      await server.close();
    }
    // No endpoint answering: a clean AuthenticationError that says what to configure.
    const gone = resolveAzureSettings({
      path: "az://data",
      accountName: "acct",
      managedIdentity: { endpoint: `${server.url}/msi/token` },
      retry: { maxRetries: 1, initialBackoffMs: 1, maxBackoffMs: 2 },
    });
    if (gone.auth.kind === "bearer") {
      const err = await gone.auth.tokens.get().catch((e) => e);
      assert.ok(err instanceof AuthenticationError, String(err));
      assert.match(err.message, /AZURE_STORAGE_CONNECTION_STRING/);
    }
  },
);

// ---------------------------------------------------------------- faults

test("azure: 503 ServerBusy, resets and cut bodies end in the right bytes", {
  skip,
  timeout: 120_000,
}, async () => {
  let n = 0;
  const stats = { busy: 0, resets: 0, cuts: 0, refused: 0 };
  let puts = 0;
  const f: typeof fetch = async (input, init) => {
    const i = ++n;
    const method = init?.method ?? "GET";
    if (i % 4 === 1) {
      stats.busy++;
      return new Response(ERROR_XML("ServerBusy"), {
        status: 503,
        headers: {
          "x-ms-error-code": "ServerBusy",
          "content-type": "application/xml",
        },
      });
    }
    // Counted over PUTs alone, so that the other requests' order (runtime-dependent) cannot
    // make a run without a refused PUT.
    if (method === "PUT" && ++puts % 3 === 2) {
      stats.refused++;
      throw new TypeError("connection reset by peer");
    }
    const res = await fetch(input, init);
    const url = String(input);
    if (
      method === "GET" && (res.status === 200 || res.status === 206) &&
      !url.includes("comp=")
    ) {
      if (i % 3 === 0) {
        stats.resets++;
        return broken(res, 50_000, "reset");
      }
      if (i % 3 === 2) {
        stats.cuts++;
        return broken(res, 70_000, "cut");
      }
    }
    return res;
  };
  const s = store("faults", { fetch: f, partSize: MiB });
  const data = patternBytes(5 * MiB + 321, 77);
  const p = `${s.path}/f.bin`;
  await putBytes(s, p, data);
  await putText(s, `${s.path}/small.txt`, "small");
  for (let round = 0; round < 3; round++) {
    const got = await getBytes(s, p);
    assert.equal(got.length, data.length);
    assert.equal(await sha256(got), await sha256(data));
    assert.deepEqual(
      await getBytes(s, p, { start: 1_000_000, end: 1_300_000 }),
      data.slice(1_000_000, 1_300_000),
    );
  }
  assert.equal(await getText(s, `${s.path}/small.txt`), "small");
  assert.deepEqual(await s.listdir(s.path), ["f.bin", "small.txt"]);
  assert.ok(
    stats.busy > 0 && stats.resets > 0 && stats.cuts > 0 && stats.refused > 0,
    JSON.stringify(stats),
  );
  await s.rmtree(s.path);
  assert.deepEqual(
    (await s.glob(`${s.path}/**`)).filter((p) => p !== s.path),
    [],
  ); // `x/**` includes `x` itself
});

test(
  "azure: faults that do not pass end in clean typed errors, nothing half-written",
  { skip, timeout: 120_000 },
  async () => {
    const clean = store("faults-hard");
    const busy: typeof fetch = () =>
      Promise.resolve(
        new Response(ERROR_XML("ServerBusy"), {
          status: 503,
          headers: { "x-ms-error-code": "ServerBusy" },
        }),
      );
    const down = new AzureArtifactStore({
      ...azureConfig(E!, "x"),
      path: clean.path,
      fetch: busy,
      partSize: MiB,
    });
    const err = await putBytes(
      down,
      `${clean.path}/w.bin`,
      patternBytes(3 * MiB),
    ).catch((e) => e);
    assert.ok(err instanceof ArtifactStoreError, String(err));
    assert.equal(err.retryable, true);
    assert.match(err.message, /ServerBusy/);
    assert.equal(await clean.exists(`${clean.path}/w.bin`), false);
    // Every body cut short: the download fails after its resumes, never short.
    const data = patternBytes(600_000, 4);
    await putBytes(clean, `${clean.path}/r.bin`, data);
    const cutting: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      return (init?.method ?? "GET") === "GET" && res.status < 300 &&
          !String(input).includes("comp=")
        ? broken(res, 1000, "cut")
        : res;
    };
    const cut = new AzureArtifactStore({
      ...azureConfig(E!, "x"),
      path: clean.path,
      fetch: cutting,
    });
    const rerr = await getBytes(cut, `${clean.path}/r.bin`).catch((e) => e);
    assert.ok(rerr instanceof ArtifactStoreError, String(rerr));
    assert.match(rerr.message, /could not be resumed|broke/);
    // A blob replaced while it is being read is an error, not a mix of both.
    let swapped = false;
    const swapping: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (
        (init?.method ?? "GET") === "GET" && res.status < 300 &&
        !String(input).includes("comp=") &&
        !swapped
      ) {
        swapped = true;
        await putBytes(clean, `${clean.path}/r.bin`, patternBytes(600_000, 5));
        return broken(res, 1000, "reset");
      }
      return res;
    };
    const swap = new AzureArtifactStore({
      ...azureConfig(E!, "x"),
      path: clean.path,
      fetch: swapping,
    });
    const serr = await getBytes(swap, `${clean.path}/r.bin`).catch((e) => e);
    assert.ok(serr instanceof ArtifactStoreError, String(serr));
    await clean.rmtree(clean.path);
  },
);

test("azure: create-only writes retried after a lost response succeed once", {
  skip,
  timeout: 120_000,
}, async () => {
  let lose = 0;
  const f: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const h = new Headers(init?.headers);
    const url = String(input);
    const commit = init?.method === "PUT" && h.get("if-none-match") === "*" &&
      (url.includes("comp=blocklist") || !url.includes("comp="));
    if (commit && lose > 0) {
      lose--;
      await res.body?.cancel();
      throw new TypeError("connection reset by peer");
    }
    return res;
  };
  const s = store("lost", { fetch: f, partSize: MiB });
  lose = 1;
  await putText(s, `${s.path}/one.txt`, "single put", "x");
  assert.equal(lose, 0);
  assert.equal(await getText(s, `${s.path}/one.txt`), "single put");
  const big = patternBytes(2 * MiB + 9, 8);
  lose = 1;
  await putBytes(s, `${s.path}/blocks.bin`, big, "xb");
  assert.equal(lose, 0);
  assert.deepEqual(await getBytes(s, `${s.path}/blocks.bin`), big);
  // A real conflict is still refused.
  await assert.rejects(
    putText(s, `${s.path}/one.txt`, "other", "x"),
    FileExistsError,
  );
  await s.rmtree(s.path);
});

// ---------------------------------------------------------------- error mapping

test("azure: error codes map to typed errors", { timeout: 60_000 }, () => {
  const map = (
    status: number,
    code: string,
    message = "",
    headers: Record<string, string> = {},
  ) =>
    mapAzureError({
      status,
      headers: new Headers(headers),
      body: code
        ? `<?xml version="1.0"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`
        : "",
      request: {
        method: "PUT",
        url: "https://a.blob.core.windows.net/c/k",
        path: "az://c/k",
        headers,
      },
    });
  assert.ok(map(404, "BlobNotFound") instanceof FileNotFoundError);
  assert.match(
    map(404, "ContainerNotFound").message,
    /container 'c' does not exist/,
  );
  assert.ok(map(409, "BlobAlreadyExists") instanceof FileExistsError);
  assert.ok(
    map(412, "ConditionNotMet", "", { "If-None-Match": "*" }) instanceof
      FileExistsError,
  );
  assert.ok(map(412, "ConditionNotMet") instanceof PreconditionFailedError);
  assert.ok(
    map(403, "AuthenticationFailed", "Signature did not match") instanceof
      AuthenticationError,
  );
  assert.ok(
    map(
      403,
      "AuthorizationFailure",
      "Server failed to authenticate the request.",
    ) instanceof
      AuthenticationError,
  );
  assert.ok(
    map(
      403,
      "AuthorizationFailure",
      "This request is not authorized",
    ) instanceof
      PermissionDeniedError,
  );
  assert.ok(
    map(403, "AuthorizationPermissionMismatch") instanceof
      PermissionDeniedError,
  );
  assert.ok(
    map(401, "InvalidAuthenticationInfo") instanceof AuthenticationError,
  );
  const busy = map(503, "ServerBusy", "Egress is over the account limit.");
  assert.equal(busy.retryable, true);
  assert.match(busy.message, /ServerBusy: Egress is over the account limit\./);
  assert.equal(map(500, "InternalError").retryable, true);
  assert.equal(map(400, "Md5Mismatch").retryable, true);
  assert.equal(map(400, "InvalidHeaderValue").retryable, false);
  // HEAD responses carry the code in a header only.
  const head = mapAzureError({
    status: 404,
    headers: new Headers({ "x-ms-error-code": "BlobNotFound" }),
    body: "",
    request: {
      method: "HEAD",
      url: "https://a.blob.core.windows.net/c/k",
      path: "az://c/k",
    },
  });
  assert.ok(head instanceof FileNotFoundError);
});

test(
  "azure: a missing container is a FileNotFoundError that names it",
  { skip, timeout: 120_000 },
  async () => {
    const s = store("nocontainer", {
      path: "az://no-such-container-stowage/p",
    });
    const err = await s.listdir(s.path).catch((e) => e);
    assert.ok(err instanceof FileNotFoundError, String(err));
    assert.match(
      err.message,
      /container 'no-such-container-stowage' does not exist/,
    );
    await assert.rejects(putText(s, `${s.path}/a.txt`, "x"), FileNotFoundError);
    // A misconfigured store says so rather than reporting every path as absent.
    await assert.rejects(
      s.exists(`${s.path}/a.txt`),
      /container 'no-such-container-stowage' does not exist/,
    );
  },
);
