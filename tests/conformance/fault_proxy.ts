// A seeded, fault-injecting HTTP/1.1 proxy on raw TCP (node:net) for the cloud
// flavors' fault suite: the store talks to the proxy (127.0.0.1, port 0) as if it
// were the emulator; the proxy forwards each request to the real emulator and, for
// a share of the requests, breaks the exchange the way networks and services do.
// Because it works on sockets, each runtime's own HTTP client meets the real thing:
// a connection reset mid-body, a body that ends short of its Content-Length, a
// chunked body without its last chunk, a stall — not an imitation in JavaScript.
//
// Faults (`PROXY_FAULTS`):
// - `503`, `503-retry-after`, `500`, `429`: an error status from the proxy; the
//   request does not reach the emulator;
// - `reset-before`: the connection closes once the request arrived, before any
//   answer; the request does not reach the emulator;
// - `lost-response`: the emulator carries the request out; the connection then
//   closes without an answer;
// - `reset-mid-body`: the answer's head and part of its body, then the
//   connection is destroyed;
// - `short-body`: the head with the full Content-Length, part of the body, then a
//   clean close;
// - `chunked-cut`: the answer re-sent chunked, part of it, then a clean close
//   without the terminating chunk;
// - `duplicate`: the request is carried out twice; the second answer is sent. Only
//   for idempotent methods (GET, HEAD, PUT, DELETE), the ones an intermediary may
//   repeat on its own (RFC 9110, 9.2.2); a POST with this fault passes untouched;
// - `stall-head`: no answer at all, the connection left open;
// - `stall-body`: the head and up to `stallBytes` of the body, then nothing.
// The body faults need an answer with a body; on one without (HEAD, 204, an empty
// body) they pass the answer through and are not counted.
//
// Every random choice of a request is drawn when its head arrives, from one seeded
// generator: the same seed and the same order of requests give the same faults.

import { connect, createServer, type Server, type Socket } from "node:net";
import { seededRandom } from "./faults.ts";

/** The faults {@linkcode startFaultProxy} injects. */
export const PROXY_FAULTS = [
  "503",
  "503-retry-after",
  "500",
  "429",
  "reset-before",
  "lost-response",
  "reset-mid-body",
  "short-body",
  "chunked-cut",
  "duplicate",
  "stall-head",
  "stall-body",
] as const;

/** One kind of proxy fault. */
export type ProxyFault = typeof PROXY_FAULTS[number];

/** Options for {@linkcode startFaultProxy}. */
export interface FaultProxyOptions {
  /** The emulator's base URL (`http://127.0.0.1:PORT`). */
  upstream: string;
  /** Seeds the generator. */
  seed: number;
  /** The probability that a request gets a fault, 0 to 1. */
  rate: number;
  /** The faults to choose from, uniformly (default all of {@linkcode PROXY_FAULTS}). */
  kinds?: readonly ProxyFault[];
  /** The `Retry-After` of `503-retry-after`, seconds (default 1). */
  retryAfterSeconds?: number;
  /** Bytes of the body sent before a `stall-body` (default 256 KiB, at most half the body). */
  stallBytes?: number;
  /** Only requests whose line (`METHOD /path?query HTTP/1.1`) matches may get a fault. */
  match?: RegExp;
  /** At most this many faults in all (default no limit). */
  limit?: number;
}

/** A running proxy and what it has done. */
export interface FaultProxy {
  /** The URL to give a store instead of the emulator's. */
  endpoint: string;
  /** Requests seen. */
  requests: number;
  /** Faults injected, by kind. */
  injected: Record<ProxyFault, number>;
  /** Faults injected in all. */
  total(): number;
  /** Off: every request passes untouched (the counts stay). */
  enabled: boolean;
  /** The last faults, `kind METHOD path`, for the log. */
  recent: string[];
  /** Closes the proxy and every connection (stalled ones too). */
  close(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "expect",
  "proxy-connection",
  "te",
  "upgrade",
]);

/** Buffered reads of a socket: a line, a head, a number of bytes, the rest. */
class SocketReader {
  #chunks: Uint8Array[] = [];
  #size = 0;
  #ended = false;
  #error: unknown;
  #wake: (() => void) | undefined;

  constructor(socket: Socket) {
    socket.on("data", (d: Uint8Array) => {
      this.#chunks.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      this.#size += d.byteLength;
      this.#notify();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("error", (e) => {
      this.#error = e;
      this.#ended = true;
      this.#notify();
    });
  }

  #notify() {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  #flat(): Uint8Array {
    if (this.#chunks.length !== 1) {
      const all = new Uint8Array(this.#size);
      let off = 0;
      for (const c of this.#chunks) {
        all.set(c, off);
        off += c.length;
      }
      this.#chunks = [all];
    }
    return this.#chunks[0] ?? new Uint8Array(0);
  }

  #take(n: number): Uint8Array {
    const all = this.#flat();
    const out = all.slice(0, n);
    this.#chunks = [all.subarray(n)];
    this.#size -= n;
    return out;
  }

  async #more(): Promise<boolean> {
    if (this.#ended) return false;
    await new Promise<void>((r) => (this.#wake = r));
    return true;
  }

  /** Bytes up to and including `delim`, or null when the stream ends first. */
  async until(delim: string): Promise<Uint8Array | null> {
    const d = enc.encode(delim);
    for (;;) {
      const all = this.#flat();
      const i = indexOf(all, d);
      if (i >= 0) return this.#take(i + d.length);
      if (!await this.#more()) return null;
    }
  }

  /** Exactly `n` bytes, or null when the stream ends first. */
  async exactly(n: number): Promise<Uint8Array | null> {
    while (this.#size < n) if (!await this.#more()) return null;
    return this.#take(n);
  }

  /** Everything until the stream ends. */
  async rest(): Promise<Uint8Array> {
    while (await this.#more());
    return this.#take(this.#size);
  }

  /** Whether the stream has ended with nothing left. */
  get drained(): boolean {
    return this.#ended && this.#size === 0;
  }

  get error(): unknown {
    return this.#error;
  }
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** A parsed head: the first line and the header pairs in order. */
interface Head {
  line: string;
  headers: [string, string][];
}

function parseHead(bytes: Uint8Array): Head {
  const lines = dec.decode(bytes).split("\r\n").filter((l) => l !== "");
  const headers: [string, string][] = [];
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    if (i > 0) headers.push([l.slice(0, i).trim(), l.slice(i + 1).trim()]);
  }
  return { line: lines[0] ?? "", headers };
}

function header(h: Head, name: string): string | undefined {
  return h.headers.find(([k]) => k.toLowerCase() === name)?.[1];
}

/** A message body by its framing: Content-Length, chunked, or (answers) to the end. */
async function readBody(
  r: SocketReader,
  h: Head,
  untilClose: boolean,
): Promise<Uint8Array | null> {
  if (/chunked/i.test(header(h, "transfer-encoding") ?? "")) {
    const parts: Uint8Array[] = [];
    for (;;) {
      const line = await r.until("\r\n");
      if (!line) return null;
      const n = parseInt(dec.decode(line), 16);
      if (!Number.isFinite(n)) return null;
      if (n === 0) {
        // Trailers, up to the blank line.
        for (;;) {
          const t = await r.until("\r\n");
          if (!t || t.length === 2) break;
        }
        break;
      }
      const chunk = await r.exactly(n);
      if (!chunk || !await r.exactly(2)) return null;
      parts.push(chunk);
    }
    const total = parts.reduce((a, p) => a + p.length, 0);
    const all = new Uint8Array(total);
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    return all;
  }
  const length = header(h, "content-length");
  if (length !== undefined) return await r.exactly(Number(length));
  return untilClose ? await r.rest() : new Uint8Array(0);
}

/** An emulator's answer. */
interface Answer {
  status: number;
  head: Head;
  body: Uint8Array;
}

/** Sends one request to the emulator on a new connection and reads its answer. */
async function forward(
  upstream: URL,
  req: Head,
  body: Uint8Array,
): Promise<Answer> {
  const socket = connect(Number(upstream.port), upstream.hostname);
  const reader = new SocketReader(socket);
  const method = req.line.split(" ")[0];
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const lines = [req.line];
    for (const [k, v] of req.headers) if (!HOP.has(k.toLowerCase())) lines.push(`${k}: ${v}`);
    if (body.length > 0 || !["GET", "HEAD", "DELETE"].includes(method)) {
      lines.push(`Content-Length: ${body.length}`);
    }
    lines.push("Connection: close");
    socket.write(enc.encode(lines.join("\r\n") + "\r\n\r\n"));
    if (body.length) socket.write(body);
    for (;;) {
      const raw = await reader.until("\r\n\r\n");
      if (!raw) throw new Error(`the emulator closed before answering ${req.line}`);
      const head = parseHead(raw);
      const status = Number(head.line.split(" ")[1]);
      if (status >= 100 && status < 200) continue;
      const bodyless = method === "HEAD" || status === 204 || status === 304;
      const answer = bodyless ? new Uint8Array(0) : await readBody(reader, head, true);
      if (!answer) throw new Error(`the emulator's answer to ${req.line} broke`);
      return { status, head, body: answer };
    }
  } finally {
    socket.destroy();
  }
}

/** The head of an answer to the client, framed by `framing`. */
function answerHead(a: Answer, framing: "length" | "chunked" | "as-is", keepAlive: boolean) {
  const lines = [a.head.line];
  for (const [k, v] of a.head.headers) {
    const lk = k.toLowerCase();
    if (HOP.has(lk) && !(framing === "as-is" && lk === "content-length")) continue;
    lines.push(`${k}: ${v}`);
  }
  if (framing === "length") lines.push(`Content-Length: ${a.body.length}`);
  if (framing === "chunked") lines.push("Transfer-Encoding: chunked");
  lines.push(`Connection: ${keepAlive ? "keep-alive" : "close"}`);
  return enc.encode(lines.join("\r\n") + "\r\n\r\n");
}

/**
 * Starts a fault-injecting proxy in front of an emulator (see the module comment).
 *
 * @param options the emulator, seed, rate and faults
 * @returns the running proxy
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const random = seededRandom(options.seed);
  const kinds = options.kinds ?? PROXY_FAULTS;
  const stallBytes = options.stallBytes ?? 256 * 1024;
  const sockets = new Set<Socket>();
  const injected = Object.fromEntries(PROXY_FAULTS.map((k) => [k, 0])) as Record<
    ProxyFault,
    number
  >;
  const proxy: FaultProxy = {
    endpoint: "",
    requests: 0,
    injected,
    enabled: true,
    recent: [],
    total: () => Object.values(injected).reduce((a, b) => a + b, 0),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const count = (kind: ProxyFault, req: Head) => {
    injected[kind]++;
    proxy.recent.push(`${kind} ${req.line.split(" ").slice(0, 2).join(" ").slice(0, 160)}`);
    if (proxy.recent.length > 50) proxy.recent.shift();
  };

  const serve = async (socket: Socket) => {
    const reader = new SocketReader(socket);
    const write = (b: Uint8Array) =>
      new Promise<void>((r) => socket.write(b, () => r())).catch(() => {});
    for (;;) {
      const raw = await reader.until("\r\n\r\n");
      if (!raw) return socket.destroy();
      const req = parseHead(raw);
      if (/100-continue/i.test(header(req, "expect") ?? "")) {
        await write(enc.encode("HTTP/1.1 100 Continue\r\n\r\n"));
      }
      const body = await readBody(reader, req, false);
      if (!body) return socket.destroy();
      proxy.requests++;
      // Every draw now, so that the sequence does not depend on timing.
      const hit = random() < options.rate &&
        (options.match?.test(req.line) ?? true) &&
        proxy.total() < (options.limit ?? Infinity);
      const kind = kinds[Math.floor(random() * kinds.length)];
      const where = random();
      const method = req.line.split(" ")[0];
      const passThrough = async (a: Answer) => {
        const bodyless = method === "HEAD" || a.status === 204 || a.status === 304;
        await write(answerHead(a, bodyless ? "as-is" : "length", true));
        if (!bodyless && a.body.length) await write(a.body);
      };
      // An intermediary may repeat only idempotent requests: a POST is not duplicated.
      const repeatable = ["GET", "HEAD", "PUT", "DELETE"].includes(method);
      if (!proxy.enabled || !hit || (kind === "duplicate" && !repeatable)) {
        let a: Answer;
        try {
          a = await forward(upstream, req, body);
        } catch {
          return socket.destroy();
        }
        await passThrough(a);
        continue;
      }
      const status = /^\d+/.exec(kind);
      if (status) {
        count(kind, req);
        const text = method === "HEAD" ? "" : `injected fault: HTTP ${status[0]}`;
        const retryAfter = kind === "503-retry-after"
          ? `Retry-After: ${options.retryAfterSeconds ?? 1}\r\n`
          : "";
        await write(enc.encode(
          `HTTP/1.1 ${status[0]} Injected\r\nContent-Type: text/plain\r\n${retryAfter}` +
            `Content-Length: ${enc.encode(text).length}\r\nConnection: keep-alive\r\n\r\n${text}`,
        ));
        continue;
      }
      if (kind === "reset-before") {
        count(kind, req);
        return socket.destroy();
      }
      if (kind === "stall-head") {
        count(kind, req);
        return; // the socket stays open until the client gives up
      }
      let a: Answer;
      try {
        a = await forward(upstream, req, body);
        if (kind === "duplicate") {
          count(kind, req);
          a = await forward(upstream, req, body);
        }
      } catch {
        return socket.destroy();
      }
      if (kind === "duplicate") {
        await passThrough(a);
        continue;
      }
      if (kind === "lost-response") {
        count(kind, req);
        return socket.destroy();
      }
      const bodyless = method === "HEAD" || a.status === 204 || a.status === 304 ||
        a.body.length < 2;
      if (bodyless) {
        await passThrough(a);
        continue;
      }
      count(kind, req);
      const cut = Math.max(1, Math.min(a.body.length - 1, Math.floor(where * a.body.length)));
      switch (kind) {
        case "reset-mid-body":
          await write(answerHead(a, "length", true));
          await write(a.body.subarray(0, cut));
          return socket.destroy();
        case "short-body":
          await write(answerHead(a, "length", true));
          await write(a.body.subarray(0, cut));
          return socket.end();
        case "chunked-cut":
          await write(answerHead(a, "chunked", true));
          await write(enc.encode(`${cut.toString(16)}\r\n`));
          await write(a.body.subarray(0, cut));
          await write(enc.encode("\r\n"));
          return socket.end();
        case "stall-body": {
          await write(answerHead(a, "length", true));
          await write(a.body.subarray(0, Math.min(stallBytes, a.body.length >> 1) || 1));
          return; // and nothing more
        }
      }
    }
  };

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    serve(socket).catch(() => socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  proxy.endpoint = `http://127.0.0.1:${port}`;
  return proxy;
}
