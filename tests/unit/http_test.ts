// The shared HTTP client against a real loopback server and injected faults.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  ArtifactStoreError,
  FileNotFoundError,
  PermissionDeniedError,
  PreconditionFailedError,
} from "../../mod.ts";
import { errorForStatus, HttpClient, paginate, resumableBody } from "../../src/http/mod.ts";

const mapError = (
  e: { status: number; body: string; request: { path?: string } },
) =>
  errorForStatus({
    status: e.status,
    message: e.body,
    flavor: "test",
    path: e.request.path,
  });

function client(fetchImpl: typeof fetch, sign?: () => void) {
  return new HttpClient({
    flavor: "test",
    fetch: fetchImpl,
    mapError,
    sign: (r) => {
      sign?.();
      return r;
    },
    retry: { initialBackoffMs: 1, maxBackoffMs: 5, maxRetries: 4 },
  });
}

test("http: retries 503 and 429, re-signing every attempt", async () => {
  const statuses = [503, 429, 200];
  let signs = 0;
  const seen: string[] = [];
  const c = client((_u, init) => {
    seen.push(String(init?.body));
    return Promise.resolve(new Response("x", { status: statuses.shift()! }));
  }, () => signs++);
  const res = await c.send({
    method: "PUT",
    url: "http://127.0.0.1/x",
    body: "payload",
  });
  assert.equal(res.status, 200);
  assert.equal(signs, 3);
  assert.deepEqual(seen, ["payload", "payload", "payload"]);
});

test("http: network errors are retried; 4xx are not; retries are bounded", async () => {
  let calls = 0;
  const flaky = client(() => {
    calls++;
    return calls < 3
      ? Promise.reject(new TypeError("connection reset"))
      : Promise.resolve(new Response("ok"));
  });
  assert.equal(
    await (await flaky.send({ method: "GET", url: "http://127.0.0.1/" }))
      .text(),
    "ok",
  );
  let n404 = 0;
  const missing = client(
    () => (n404++, Promise.resolve(new Response("gone", { status: 404 }))),
  );
  await assert.rejects(
    missing.send({ method: "GET", url: "http://127.0.0.1/", path: "p" }),
    FileNotFoundError,
  );
  assert.equal(n404, 1);
  let n500 = 0;
  const down = client(
    () => (n500++, Promise.resolve(new Response("down", { status: 500 }))),
  );
  await assert.rejects(
    down.send({ method: "GET", url: "http://127.0.0.1/" }),
    (e: Error) => {
      assert.ok(e instanceof ArtifactStoreError && e.retryable);
      return true;
    },
  );
  assert.equal(n500, 5, "first try + 4 retries");
  let once = 0;
  const noRetry = client(
    () => (once++, Promise.resolve(new Response("", { status: 503 }))),
  );
  await assert.rejects(
    noRetry.send({ method: "POST", url: "http://127.0.0.1/", retry: false }),
  );
  assert.equal(once, 1);
});

test("http: status mapping", () => {
  assert.ok(
    errorForStatus({ status: 403, flavor: "x" }) instanceof
      PermissionDeniedError,
  );
  assert.ok(
    errorForStatus({ status: 412, flavor: "x" }) instanceof
      PreconditionFailedError,
  );
  assert.equal(
    errorForStatus({ status: 412, flavor: "x", createOnly: true }).code,
    "AlreadyExists",
  );
  assert.equal(errorForStatus({ status: 503, flavor: "x" }).retryable, true);
  assert.equal(errorForStatus({ status: 400, flavor: "x" }).retryable, false);
});

test("http: a caller's abort stops retries at once", async () => {
  const ac = new AbortController();
  const c = client(() => {
    ac.abort(new Error("stop"));
    return Promise.resolve(new Response("", { status: 503 }));
  });
  await assert.rejects(
    c.send({ method: "GET", url: "http://127.0.0.1/", signal: ac.signal }),
    /stop/,
  );
});

test("http: the timeout covers the headers, over a real socket", async () => {
  const server = createServer((_req, res) => setTimeout(() => res.end("late"), 300));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  try {
    const c = new HttpClient({
      flavor: "t",
      mapError,
      timeoutMs: 50,
      retry: { maxRetries: 0 },
    });
    await assert.rejects(
      c.send({ method: "GET", url: `http://127.0.0.1:${port}/` }),
      ArtifactStoreError,
    );
    const ok = new HttpClient({ flavor: "t", mapError, timeoutMs: 2000 });
    assert.equal(
      await (await ok.send({ method: "GET", url: `http://127.0.0.1:${port}/` }))
        .text(),
      "late",
    );
  } finally {
    server.closeAllConnections?.();
    await new Promise((r) => server.close(r));
  }
});

test("http: paginate refuses repeated and missing tokens", async () => {
  const collect = async (
    pages: { items: number[]; next?: string; truncated?: boolean }[],
  ) => {
    const out: number[] = [];
    let i = 0;
    for await (
      const x of paginate(() => Promise.resolve(pages[i++]), "things")
    ) out.push(x);
    return out;
  };
  assert.deepEqual(
    await collect([{ items: [1], next: "a" }, { items: [2], next: "b" }, {
      items: [3],
    }]),
    [1, 2, 3],
  );
  await assert.rejects(
    collect([{ items: [1], next: "a" }, { items: [2], next: "a" }]),
    /repeated/,
  );
  await assert.rejects(
    collect([{ items: [1], truncated: true }]),
    /no continuation token/,
  );
});

function bodyOf(
  bytes: Uint8Array,
  breakAfter?: number,
): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream({
    pull(c) {
      if (sent) {
        if (breakAfter !== undefined) {
          c.error(new TypeError("connection reset"));
        } else c.close();
        return;
      }
      c.enqueue(breakAfter !== undefined ? bytes.slice(0, breakAfter) : bytes);
      sent = true;
    },
  });
}

test("http: downloads resume after a reset or a cut body, and never yield wrong bytes", async () => {
  const data = new Uint8Array(1000).map((_, i) => i & 0xff);
  const offsets: number[] = [];
  const s = resumableBody({ body: bodyOf(data, 300), length: 1000 }, (off) => {
    offsets.push(off);
    return Promise.resolve({
      body: bodyOf(data.slice(off)),
      length: 1000 - off,
    });
  });
  assert.deepEqual(new Uint8Array(await new Response(s).arrayBuffer()), data);
  assert.deepEqual(offsets, [300]);
  // A body that just ends early is resumed too.
  const cut = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(data.slice(0, 10));
      c.close();
    },
  });
  const s2 = resumableBody(
    { body: cut, length: 1000 },
    (off) => Promise.resolve({ body: bodyOf(data.slice(off)), length: 1000 - off }),
  );
  assert.deepEqual(new Uint8Array(await new Response(s2).arrayBuffer()), data);
  // Too many bytes, or an object that changed size, is an error.
  const long = resumableBody(
    { body: bodyOf(new Uint8Array(20)), length: 10 },
    () => Promise.reject(new Error("x")),
  );
  await assert.rejects(new Response(long).arrayBuffer());
  const changed = resumableBody(
    { body: bodyOf(data, 100), length: 1000 },
    () => Promise.resolve({ body: bodyOf(data), length: 1000 }),
  );
  await assert.rejects(new Response(changed).arrayBuffer(), /changed size/);
  // Unknown length (chunked): a reset is resumed from the bytes received…
  const unknown = resumableBody(
    { body: bodyOf(data, 100), length: null },
    (off) => Promise.resolve({ body: bodyOf(data.slice(off)), length: null }),
  );
  assert.deepEqual(new Uint8Array(await new Response(unknown).arrayBuffer()), data);
  // …and a resume that fails is a typed error, not a silent truncation.
  const lost = resumableBody(
    { body: bodyOf(data, 100), length: null },
    () => Promise.reject(new Error("x")),
  );
  await assert.rejects(
    new Response(lost).arrayBuffer(),
    (err: unknown) => err instanceof ArtifactStoreError && /could not be resumed/.test(err.message),
  );
});
