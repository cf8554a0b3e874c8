// The fault proxy of the fault suite (tests/conformance/fault_proxy.ts) itself, in
// front of a loopback server: it passes requests and answers through byte for byte
// (fixed-length and chunked bodies, HEAD, keep-alive), and each fault does what it
// says to the runtime's own fetch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { defaultFetch } from "../../src/http/mod.ts";
import { PROXY_FAULTS, type ProxyFault, startFaultProxy } from "../conformance/fault_proxy.ts";
import { patternBytes } from "../conformance/suite.ts";

async function upstream() {
  const hits: { method: string; url: string; bytes: number; host?: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Uint8Array[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const bytes = chunks.reduce((a, c) => a + c.length, 0);
      hits.push({ method: req.method!, url: req.url!, bytes, host: req.headers.host });
      const size = Number(new URL(req.url!, "http://x").searchParams.get("size") ?? 0);
      const body = patternBytes(size, 7);
      if (req.url!.startsWith("/chunked")) {
        res.writeHead(200, { "x-echo": String(bytes) });
        res.write(body.subarray(0, size >> 1));
        return res.end(body.subarray(size >> 1));
      }
      res.writeHead(200, { "content-length": body.length, "x-echo": String(bytes) });
      res.end(req.method === "HEAD" ? undefined : body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => {
      server.closeAllConnections?.();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

test("fault proxy: passes requests and answers through unchanged", async () => {
  const up = await upstream();
  const proxy = await startFaultProxy({ upstream: up.url, seed: 1, rate: 0 });
  try {
    const sent = patternBytes(3 << 20, 3);
    const res = await defaultFetch(`${proxy.endpoint}/fixed?size=${2 << 20}`, {
      method: "PUT",
      body: sent as BodyInit,
    });
    assert.equal(res.headers.get("x-echo"), String(sent.length));
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), patternBytes(2 << 20, 7));
    // A streamed (chunked) upload and a chunked answer.
    const stream = new Response(sent as BodyInit).body!;
    const res2 = await defaultFetch(`${proxy.endpoint}/chunked?size=100000`, {
      method: "POST",
      body: stream,
      duplex: "half",
    } as RequestInit);
    assert.equal(res2.headers.get("x-echo"), String(sent.length));
    assert.deepEqual(new Uint8Array(await res2.arrayBuffer()), patternBytes(100000, 7));
    const head = await defaultFetch(`${proxy.endpoint}/fixed?size=5000`, { method: "HEAD" });
    assert.equal(head.headers.get("content-length"), "5000");
    await head.body?.cancel();
    assert.equal(up.hits.at(-1)?.host, new URL(proxy.endpoint).host, "the Host header is kept");
    assert.equal(proxy.requests, 3);
    assert.equal(proxy.total(), 0);
  } finally {
    await proxy.close();
    await up.close();
  }
});

test("fault proxy: each fault breaks the exchange as it says", async () => {
  const up = await upstream();
  try {
    for (const kind of PROXY_FAULTS) {
      const proxy = await startFaultProxy({
        upstream: up.url,
        seed: 5,
        rate: 1,
        kinds: [kind],
        stallBytes: 1000,
      });
      const before = up.hits.length;
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(new Error("stalled")), 700);
      let outcome: string;
      try {
        const res = await defaultFetch(`${proxy.endpoint}/fixed?size=50000`, {
          method: "PUT",
          body: "x",
          signal: ac.signal,
        });
        const bytes = new Uint8Array(await res.arrayBuffer());
        outcome = `${res.status} ${bytes.length}`;
      } catch (err) {
        outcome = ac.signal.aborted ? "stalled" : "broken";
        void err;
      } finally {
        clearTimeout(timer);
      }
      const reached = up.hits.length - before;
      const want: Record<ProxyFault, [string | RegExp, number]> = {
        "503": ["503 24", 0],
        "503-retry-after": ["503 24", 0],
        "500": ["500 24", 0],
        "429": ["429 24", 0],
        "reset-before": ["broken", 0],
        "lost-response": ["broken", 1],
        "reset-mid-body": ["broken", 1],
        "short-body": ["broken", 1],
        // A chunked body that ends without its last chunk: an error in every runtime.
        "chunked-cut": ["broken", 1],
        duplicate: ["200 50000", 2],
        "stall-head": ["stalled", 0],
        "stall-body": ["stalled", 1],
      };
      const [outcomeWanted, reachedWanted] = want[kind];
      assert.equal(outcome, outcomeWanted, kind);
      assert.equal(reached, reachedWanted, `${kind}: requests that reached the server`);
      assert.equal(proxy.injected[kind], 1, kind);
      await proxy.close();
    }
    // A POST is never repeated (RFC 9110: only idempotent requests may be).
    const proxy = await startFaultProxy({
      upstream: up.url,
      seed: 5,
      rate: 1,
      kinds: ["duplicate"],
    });
    const before = up.hits.length;
    const res = await defaultFetch(`${proxy.endpoint}/fixed?size=10`, {
      method: "POST",
      body: "x",
    });
    await res.arrayBuffer();
    assert.equal(up.hits.length - before, 1);
    assert.equal(proxy.injected.duplicate, 0);
    await proxy.close();
  } finally {
    await up.close();
  }
});
