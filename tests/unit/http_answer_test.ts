// Broken answers over a real loopback socket, as a network or a failing service makes
// them: a body cut short of its Content-Length (reset or clean close), a chunked body
// without its terminator, a document that does not parse, a body that stalls. Each
// runtime's own fetch meets the real thing; the client must retry what can be retried
// and otherwise fail with a typed error — never a raw TypeError or SyntaxError, never
// a hang.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ArtifactStoreError } from "../../mod.ts";
import {
  defaultFetch,
  errorForStatus,
  HttpClient,
  readAnswer,
  resumableBody,
} from "../../src/http/mod.ts";

const DOC = JSON.stringify({ ok: true, items: Array.from({ length: 200 }, (_, i) => `item-${i}`) });

type Fault = "reset" | "short" | "chunked-cut" | "malformed" | "stall" | "empty-200";

/** Answers `DOC`, after `faults[path]` broken answers of the path's kind. */
async function brokenServer(faults: Record<string, number>) {
  const seen = new Map<string, number>();
  const stalled = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const url = new URL(req.url!, "http://x");
      const kind = url.pathname.slice(1) as Fault | "ok";
      const n = (seen.get(url.pathname) ?? 0) + 1;
      seen.set(url.pathname, n);
      const body = new TextEncoder().encode(DOC);
      if (kind === "ok" || n > (faults[url.pathname] ?? 0)) {
        res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
        return res.end(body);
      }
      const half = body.subarray(0, body.length >> 1);
      switch (kind) {
        case "reset":
          res.writeHead(200, { "content-length": body.length });
          res.write(half, () => res.socket?.destroy());
          return;
        case "short":
          // A clean close (FIN) before the announced length.
          res.writeHead(200, { "content-length": body.length });
          res.write(half, () => res.socket?.end());
          return;
        case "chunked-cut":
          res.writeHead(200, { "content-type": "application/json" }); // chunked
          res.write(half, () => res.socket?.end());
          return;
        case "malformed":
          res.writeHead(200, { "content-length": half.length });
          return res.end(half);
        case "empty-200":
          res.writeHead(200, { "content-length": 0 });
          return res.end();
        case "stall":
          res.writeHead(200, { "content-length": body.length });
          res.write(half);
          stalled.add(res);
          res.on("close", () => stalled.delete(res));
          return;
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    seen,
    async close() {
      for (const res of stalled) res.socket?.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function client(idleTimeoutMs = 400, maxRetries = 4) {
  return new HttpClient({
    flavor: "test",
    fetch: defaultFetch,
    idleTimeoutMs,
    mapError: (e) => errorForStatus({ status: e.status, message: e.body, flavor: "test" }),
    retry: { initialBackoffMs: 1, maxBackoffMs: 5, maxRetries },
  });
}

const parse = (text: string) => JSON.parse(text) as { ok: boolean; items: string[] };

test("http answers: a body reset, closed short, cut before its chunked end, malformed or stalled is retried", async () => {
  const kinds: Fault[] = ["reset", "short", "chunked-cut", "malformed", "stall"];
  const srv = await brokenServer(Object.fromEntries(kinds.map((k) => [`/${k}`, 2])));
  try {
    for (const kind of kinds) {
      const started = Date.now();
      const doc = await client().sendAndRead(
        { method: "GET", url: `${srv.base}/${kind}`, path: `test://${kind}`, op: "list" },
        parse,
      );
      assert.equal(doc.items.length, 200, kind);
      assert.equal(srv.seen.get(`/${kind}`), 3, `${kind}: two broken answers, then a whole one`);
      // Two stalls of 400 ms each, and nothing near the 60 s head timeout.
      assert.ok(Date.now() - started < 10_000, `${kind} took ${Date.now() - started} ms`);
    }
  } finally {
    await srv.close();
  }
});

test("http answers: when every answer breaks, a typed retryable error that says the request may have been carried out", async () => {
  const srv = await brokenServer({ "/reset": 99, "/malformed": 99, "/chunked-cut": 99 });
  try {
    for (const kind of ["reset", "malformed", "chunked-cut"]) {
      await assert.rejects(
        client(400, 2).sendAndRead(
          { method: "POST", url: `${srv.base}/${kind}`, path: `test://${kind}`, op: "write" },
          parse,
        ),
        (err: unknown) => {
          assert.ok(err instanceof ArtifactStoreError, `${kind}: ${err}`);
          assert.equal(err.retryable, true);
          assert.equal(err.uncertain, true, "the service answered 200: it did the work");
          assert.match(err.message, new RegExp(`test://${kind}`));
          return true;
        },
      );
      assert.equal(srv.seen.get(`/${kind}`), 3, "the first attempt and two retries");
    }
    // A request that must not be repeated is sent once.
    await assert.rejects(
      client().sendAndRead(
        { method: "POST", url: `${srv.base}/reset?once`, retry: false, op: "write" },
        parse,
      ),
      (err: unknown) => err instanceof ArtifactStoreError && err.uncertain,
    );
  } finally {
    await srv.close();
  }
});

test("http answers: a 4xx is not uncertain, and a read's own typed error passes through", async () => {
  const c = new HttpClient({
    flavor: "test",
    fetch: () => Promise.resolve(new Response("nope", { status: 404 })),
    mapError: (e) => errorForStatus({ status: e.status, message: e.body, flavor: "test" }),
  });
  await assert.rejects(
    c.sendAndRead({ method: "GET", url: "http://x/" }, parse),
    (err: unknown) => {
      assert.ok(err instanceof ArtifactStoreError);
      assert.equal(err.uncertain, false);
      return true;
    },
  );
  const srv = await brokenServer({ "/empty-200": 99 });
  try {
    const refusal = new ArtifactStoreError("no element", { retryable: false });
    await assert.rejects(
      client().sendAndRead({ method: "GET", url: `${srv.base}/ok` }, () => {
        throw refusal;
      }),
      (err: unknown) => err === refusal,
    );
    assert.equal(srv.seen.get("/ok"), 1, "a non-retryable refusal is not repeated");
  } finally {
    await srv.close();
  }
});

test("http answers: readAnswer checks the announced length", async () => {
  const short = new Response(new Uint8Array(3), { headers: { "content-length": "5" } });
  await assert.rejects(readAnswer(short, { idleMs: 1000 }), /ended after 3 of its 5 bytes/);
  const ok = new Response(new Uint8Array(5), { headers: { "content-length": "5" } });
  assert.equal((await readAnswer(ok, { idleMs: 1000 })).length, 5);
});

test("http answers: a download that stalls is resumed from its last byte after the idle timeout", async () => {
  const data = new Uint8Array(1 << 20).map((_, i) => i % 251);
  const ranges: string[] = [];
  const server = createServer((req, res) => {
    const range = req.headers.range;
    ranges.push(range ?? "");
    const start = range ? Number(/bytes=(\d+)-/.exec(range)![1]) : 0;
    res.writeHead(range ? 206 : 200, { "content-length": data.length - start });
    if (!range) {
      res.write(data.subarray(0, 300_000)); // then nothing: a stall
      return;
    }
    res.end(data.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const first = await defaultFetch(base);
    const started = Date.now();
    const body = resumableBody(
      { body: first.body!, length: data.length },
      async (offset) => {
        const res = await defaultFetch(base, { headers: { range: `bytes=${offset}-` } });
        return { body: res.body!, length: Number(res.headers.get("content-length")) };
      },
      { idleMs: 300, path: "test://stall" },
    );
    const got = new Uint8Array(await new Response(body).arrayBuffer());
    assert.equal(got.length, data.length);
    assert.ok(got.every((b, i) => b === data[i]), "every byte is the right one");
    assert.equal(ranges.length, 2);
    assert.match(ranges[1], /^bytes=\d+-$/);
    assert.ok(Number(/\d+/.exec(ranges[1])![0]) >= 65_536, "resumed from the bytes received");
    assert.ok(Date.now() - started < 10_000);
  } finally {
    server.closeAllConnections?.();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test("http answers: an error answer whose body stalls still ends, within the idle timeout", async () => {
  const stalled: import("node:http").ServerResponse[] = [];
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(503, { "content-length": 1000 });
    res.write("service unavailable");
    stalled.push(res); // and no more bytes
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const started = Date.now();
    await assert.rejects(
      client(300, 1).send({ method: "GET", url: `${base}/x`, path: "test://stall" }),
      (err: unknown) => err instanceof ArtifactStoreError && err.status === 503,
    );
    assert.equal(stalled.length, 2, "the first attempt and one retry");
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
  } finally {
    for (const res of stalled) res.socket?.destroy();
    server.closeAllConnections?.();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
