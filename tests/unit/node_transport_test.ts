// The Node transport (src/http/node_transport.ts) against a real loopback node:http
// server: bodies both ways, null bodies, keep-alive, redirects, decoding, cut and
// aborted bodies, a reused connection closed under a request, and that the HTTP
// client picks it by default on Node. It runs on every runtime (node:http is on all
// three); the default-choice check is Node's alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { nodeFetch } from "../../src/http/node_transport.ts";
import { defaultFetch, HttpClient } from "../../src/http/client.ts";
import { ArtifactStoreError } from "../../src/errors.ts";
import { runtimeName } from "../_env.ts";

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

async function serve(handler: Handler) {
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (d: Buffer) => parts.push(d));
    req.on("end", () => handler(req, res, Buffer.concat(parts)));
  });
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

async function bytesOf(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}

test("node transport: bodies both ways, headers, status text", async () => {
  const big = new Uint8Array(8 * 1024 * 1024).map((_, i) => (i * 7) % 251);
  const s = await serve((req, res, body) => {
    if (req.url === "/big") {
      res.writeHead(200, { "content-length": big.length });
      return res.end(big);
    }
    res.setHeader("set-cookie", ["a=1", "b=2"]);
    res.writeHead(201, "Made", {
      "x-method": req.method!,
      "x-length": req.headers["content-length"] ?? "none",
      "x-chunked": req.headers["transfer-encoding"] ?? "none",
      "x-type": req.headers["content-type"] ?? "none",
    });
    res.end(body);
  });
  try {
    const f = await nodeFetch();
    const got = await f(`${s.url}/big`);
    assert.equal(got.status, 200);
    assert.deepEqual(await bytesOf(got), big);

    const put = await f(`${s.url}/x`, { method: "PUT", body: big.subarray(0, 1000) });
    assert.equal(put.status, 201);
    assert.equal(put.statusText, "Made");
    assert.equal(put.headers.get("x-length"), "1000");
    assert.equal(put.headers.get("set-cookie"), "a=1, b=2");
    assert.deepEqual(await bytesOf(put), big.subarray(0, 1000));

    const text = await f(`${s.url}/x`, { method: "POST", body: "héllo" });
    assert.equal(text.headers.get("x-type"), "text/plain;charset=UTF-8");
    assert.equal(await text.text(), "héllo");

    const chunks = [big.subarray(0, 70_000), big.subarray(70_000, 300_000)];
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        const next = chunks.shift();
        if (next) c.enqueue(next);
        else c.close();
      },
    });
    const streamed = await f(`${s.url}/x`, {
      method: "PUT",
      body: stream,
      duplex: "half",
    } as RequestInit);
    assert.equal(streamed.headers.get("x-chunked"), "chunked");
    assert.deepEqual(await bytesOf(streamed), big.subarray(0, 300_000));

    const empty = await f(`${s.url}/x`, { method: "DELETE" });
    assert.equal(empty.headers.get("x-length"), "0");
    assert.equal((await bytesOf(empty)).length, 0);
  } finally {
    await s.close();
  }
});

test("node transport: HEAD and 204 have no body, and one connection serves them all", async () => {
  const s = await serve((req, res) => {
    if (req.url === "/none") {
      res.writeHead(204);
      return res.end();
    }
    res.writeHead(200, { "content-length": "5", etag: '"e"' });
    res.end(req.method === "HEAD" ? undefined : "hello");
  });
  try {
    const f = await nodeFetch();
    for (let i = 0; i < 30; i++) {
      const head = await f(`${s.url}/k`, { method: "HEAD" });
      assert.equal(head.body, null);
      assert.equal(head.headers.get("content-length"), "5");
      const none = await f(`${s.url}/none`, { method: "DELETE" });
      assert.equal(none.status, 204);
      assert.equal(none.body, null);
    }
    assert.equal(s.connections(), 1);
  } finally {
    await s.close();
  }
});

test("node transport: a small body cancelled unread keeps its connection, a big one gives it up", {
  skip: runtimeName() === "deno"
    ? "Deno's node:http client sends through its fetch: no connection of its own is kept"
    : false,
}, async () => {
  const s = await serve((req, res) => {
    const n = req.url === "/big" ? 4 * 1024 * 1024 : 2000;
    res.writeHead(200, { "content-length": n });
    res.end(new Uint8Array(n));
  });
  try {
    const f = await nodeFetch();
    const settle = () => new Promise((r) => setTimeout(r, 10));
    for (let i = 0; i < 20; i++) {
      await (await f(`${s.url}/small`)).body!.cancel();
      await settle(); // the rest is read away meanwhile
    }
    assert.equal((await bytesOf(await f(`${s.url}/small`))).length, 2000);
    assert.equal(s.connections(), 1);
    await (await f(`${s.url}/big`)).body!.cancel();
    await settle();
    assert.equal((await bytesOf(await f(`${s.url}/small`))).length, 2000);
    assert.equal(s.connections(), 2);
  } finally {
    await s.close();
  }
});

test("node transport: redirects followed as fetch follows them", async () => {
  const s = await serve((req, res, body) => {
    if (req.url === "/307") {
      res.writeHead(307, { location: "/echo" });
      return res.end();
    }
    if (req.url === "/303") {
      res.writeHead(303, { location: "/echo" });
      return res.end();
    }
    if (req.url === "/loop") {
      res.writeHead(302, { location: "/loop" });
      return res.end();
    }
    res.writeHead(200, {
      "x-method": req.method!,
      "x-auth": req.headers.authorization ?? "none",
    });
    res.end(body);
  });
  try {
    const f = await nodeFetch();
    const kept = await f(`${s.url}/307`, {
      method: "PUT",
      body: "data",
      headers: { authorization: "secret" },
    });
    assert.equal(kept.headers.get("x-method"), "PUT");
    assert.equal(kept.headers.get("x-auth"), "secret");
    assert.equal(await kept.text(), "data");
    const seeOther = await f(`${s.url}/303`, { method: "POST", body: "data" });
    assert.equal(seeOther.headers.get("x-method"), "GET");
    assert.equal(await seeOther.text(), "");
    const manual = await f(`${s.url}/307`, { redirect: "manual" });
    assert.equal(manual.status, 307);
    assert.equal(manual.headers.get("location"), "/echo");
    await assert.rejects(f(`${s.url}/loop`), (e: Error) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, /more than 20 redirects/);
      return true;
    });
    await assert.rejects(f(`${s.url}/307`, { redirect: "error" }), TypeError);
  } finally {
    await s.close();
  }
});

test("node transport: gzip and brotli answers are decoded, as with fetch", async () => {
  const text = "a line of text\n".repeat(1000);
  const s = await serve((_req, res) => {
    const z = gzipSync(text);
    res.writeHead(200, { "content-encoding": "gzip", "content-length": z.length });
    res.end(z);
  });
  try {
    const f = await nodeFetch();
    assert.equal(await (await f(s.url)).text(), text);
  } finally {
    await s.close();
  }
});

test("node transport: a body cut short or aborted is an error, never a short success", async () => {
  const s = await serve((req, res) => {
    res.writeHead(200, { "content-length": "1000000" });
    res.write(new Uint8Array(100_000));
    if (req.url === "/cut") setTimeout(() => res.socket?.destroy(), 20);
    // "/slow" never finishes: the client aborts it.
  });
  try {
    const f = await nodeFetch();
    const cut = await f(`${s.url}/cut`);
    await assert.rejects(cut.arrayBuffer(), (e: Error) => {
      assert.ok(e instanceof TypeError, String(e));
      assert.match(e.message, /network error reading the response body/);
      return true;
    });

    const ac = new AbortController();
    const slow = await f(`${s.url}/slow`, { signal: ac.signal });
    const reader = slow.body!.getReader();
    await reader.read();
    const reason = new Error("stop now");
    ac.abort(reason);
    await assert.rejects(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
      (e) => e === reason,
    );

    const early = new AbortController();
    early.abort(reason);
    await assert.rejects(f(`${s.url}/slow`, { signal: early.signal }), (e) => e === reason);
  } finally {
    await s.close();
  }
});

test(
  "node transport: a kept-alive connection closed under a request is retried once, if the request may repeat",
  {
    skip: runtimeName() === "deno"
      ? "Deno's node:http client sends through its fetch: no connection of its own is reused"
      : false,
  },
  async () => {
    const seen: string[] = [];
    let served = 0;
    const s = await serve((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      // Every second request on a connection finds it closed without an answer.
      const sock = req.socket as typeof req.socket & { served?: number };
      sock.served = (sock.served ?? 0) + 1;
      if (sock.served === 2) return sock.destroy();
      served++;
      res.writeHead(200, { "content-length": "2" });
      res.end("ok");
    });
    try {
      const f = await nodeFetch();
      assert.equal(await (await f(`${s.url}/a`)).text(), "ok");
      assert.equal(await (await f(`${s.url}/b`, { method: "PUT", body: "x" })).text(), "ok");
      assert.deepEqual(seen, ["GET /a", "PUT /b", "PUT /b"]);
      assert.equal(served, 2);
      await (await f(`${s.url}/c`)).text(); // the new connection's first request
      await assert.rejects(f(`${s.url}/d`, { method: "POST", body: "x" }), (e: Error) => {
        assert.ok(e instanceof TypeError);
        assert.match(e.message, /fetch failed/);
        return true;
      });
    } finally {
      await s.close();
    }
  },
);

test("node transport: the HTTP client sends through it by default on Node, and maps its failures", {
  skip: runtimeName() === "node" ? false : "the transport is the default on Node only",
}, async () => {
  const s = await serve((req, res) => {
    if (req.url === "/cut") {
      res.writeHead(200, { "content-length": "10" });
      res.write("abc");
      return setTimeout(() => res.socket?.destroy(), 20);
    }
    res.writeHead(200, { "content-length": "2" });
    res.end(req.method === "HEAD" ? undefined : "ok");
  });
  try {
    for (let i = 0; i < 20; i++) {
      await (await defaultFetch(`${s.url}/k`, { method: "HEAD" })).body?.cancel();
    }
    // undici's fetch opens a new connection for many of these; the transport keeps one.
    assert.equal(s.connections(), 1);
    const client = new HttpClient({
      flavor: "test",
      mapError: (e) => new ArtifactStoreError(`HTTP ${e.status}`, { status: e.status }),
      retry: { maxRetries: 0 },
    });
    const res = await client.send({ method: "GET", url: `${s.url}/cut` });
    await assert.rejects(res.text(), TypeError);
    await assert.rejects(
      client.send({ method: "GET", url: "http://127.0.0.1:1/", path: "x" }),
      (e: Error) => {
        assert.ok(e instanceof ArtifactStoreError);
        assert.match(e.message, /Network error during GET of 'x'.*ECONNREFUSED/);
        return true;
      },
    );
  } finally {
    await s.close();
  }
});
