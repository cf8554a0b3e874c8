// The public boundary: whatever a flavor throws inside (a raw TypeError, SyntaxError,
// RangeError, a string), what leaves a public method, a stream `open` returned or the
// `walk` iterator is an ArtifactStoreError with the original as `cause`; an abort
// reason passes on as given. Checked on a flavor written to throw everywhere, and on
// the S3 flavor against a real socket server that answers with cut and malformed
// bodies and resets connections.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  ArtifactStoreError,
  BaseArtifactStore,
  type DirEntries,
  fileio,
  InvalidArgumentError,
  MemoryArtifactStore,
  type WalkEntry,
  type WriteKind,
} from "../../mod.ts";
import { S3ArtifactStore } from "../../flavors/s3/mod.ts";
import { readAllBytes } from "../../src/streams.ts";

const RAW: unknown[] = [
  new TypeError("Cannot read properties of undefined (reading 'x')"),
  new SyntaxError("Unexpected end of JSON input"),
  new RangeError("Invalid array length"),
  "a thrown string",
];

/** A flavor whose every operation throws `raw` (a bug inside a flavor). */
class ThrowingStore extends BaseArtifactStore {
  static override FLAVOR = "throwing";
  static override SUPPORTED_SCHEMES = ["throwing://"];
  raw: unknown = RAW[0];
  #fail(): never {
    throw this.raw;
  }
  protected openRead(): Promise<ReadableStream<Uint8Array>> {
    let sent = false;
    return Promise.resolve(
      new ReadableStream<Uint8Array>({
        pull: (c) => {
          if (sent) this.#fail();
          sent = true;
          c.enqueue(new Uint8Array([1, 2, 3]));
        },
      }),
    );
  }
  protected openWrite(_rel: string, kind: WriteKind): Promise<WritableStream<Uint8Array>> {
    if (kind === "create") this.#fail();
    return Promise.resolve(new WritableStream({ write: () => this.#fail() }));
  }
  copyfile(..._args: unknown[]): Promise<void> {
    return Promise.resolve().then(() => this.#fail());
  }
  exists(..._args: unknown[]): Promise<boolean> {
    this.#fail();
  }
  isdir(..._args: unknown[]): Promise<boolean> {
    this.#fail();
  }
  listdir(..._args: unknown[]): Promise<string[]> {
    this.#fail();
  }
  makedirs(..._args: unknown[]): Promise<void> {
    this.#fail();
  }
  mkdir(..._args: unknown[]): Promise<void> {
    this.#fail();
  }
  remove(..._args: unknown[]): Promise<void> {
    this.#fail();
  }
  rename(..._args: unknown[]): Promise<void> {
    this.#fail();
  }
  rmtree(..._args: unknown[]): Promise<void> {
    this.#fail();
  }
  stat(..._args: unknown[]): Promise<never> {
    this.#fail();
  }
  protected override scandir(rel: string): Promise<DirEntries> {
    if (rel === "") return Promise.resolve({ dirs: ["d"], files: [] });
    this.#fail();
  }
  override presign(..._args: unknown[]): Promise<string> {
    this.#fail();
  }
}

function assertTyped(err: unknown, raw: unknown, what: string): void {
  assert.ok(err instanceof ArtifactStoreError, `${what}: ${String(err)} is not typed`);
  assert.equal(err.cause, raw, `${what}: the cause is the original`);
  assert.equal(err.flavor, "throwing", what);
}

test("boundary: every operation of a flavor that throws raw errors throws typed ones", async () => {
  const store = new ThrowingStore({ path: "throwing://b" });
  for (const raw of RAW) {
    store.raw = raw;
    const p = "throwing://b/x";
    const calls: [string, () => Promise<unknown>][] = [
      ["copyfile", () => store.copyfile(p, "throwing://b/y")],
      ["exists", () => store.exists(p)],
      ["isdir", () => store.isdir(p)],
      ["listdir", () => store.listdir(p)],
      ["makedirs", () => store.makedirs(p)],
      ["mkdir", () => store.mkdir(p)],
      ["remove", () => store.remove(p)],
      ["rename", () => store.rename(p, "throwing://b/y")],
      ["rmtree", () => store.rmtree(p)],
      ["stat", () => store.stat(p)],
      ["size", () => store.size(p)],
      ["glob", () => store.glob("throwing://b/d/*")],
      ["presign", () => store.presign(p)],
      ["open x", () => store.open(p, "x")],
      ["fileio.exists", async () => {
        fileio.register(store);
        try {
          return await fileio.exists(p);
        } finally {
          fileio.unregister(store);
        }
      }],
    ];
    for (const [name, call] of calls) {
      assertTyped(await call().then(() => null, (e) => e), raw, `${name} (${String(raw)})`);
    }
    // A read stream that fails after its first chunk.
    const r = (await store.open(p, "rb")).getReader();
    assert.deepEqual([...(await r.read()).value!], [1, 2, 3]);
    assertTyped(await r.read().then(() => null, (e) => e), raw, "read stream");
    // A write stream that fails on write.
    const w = (await store.open(p, "w")).getWriter();
    assertTyped(await w.write("x").then(() => null, (e) => e), raw, "write stream");
    // walk: the iterator's own failures, and those handed to onerror.
    const seen: Error[] = [];
    const steps: WalkEntry[] = [];
    for await (const e of store.walk("throwing://b", { onerror: (e) => seen.push(e) })) {
      steps.push(e);
    }
    assert.equal(steps.length, 1);
    assert.equal(seen.length, 1);
    assertTyped(seen[0], raw, "walk onerror");
  }
});

test("boundary: a flavor's constructor failure is typed; an abort reason passes as given", async () => {
  class BadRoot extends ThrowingStore {
    protected override normalizeRoot(): string {
      throw new TypeError("path.replace is not a function");
    }
  }
  const err = (() => {
    try {
      new BadRoot({ path: "throwing://b" });
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof ArtifactStoreError, String(err));
  const store = new MemoryArtifactStore({ path: "memory://boundary-abort" });
  const c = new AbortController();
  c.abort();
  const aborted = await store.open("memory://boundary-abort/a", "w", { signal: c.signal }).then(
    () => null,
    (e) => e,
  );
  assert.equal(aborted, c.signal.reason, "the abort reason itself");
});

test("boundary: fileio.writeText/writeBytes refuse data of the wrong type and create nothing", async () => {
  const dir = "memory://boundary-fileio";
  for (const bad of [1, null, undefined, { a: 1 }, [1, 2]]) {
    // deno-lint-ignore no-explicit-any
    const e1 = await fileio.writeText(`${dir}/t/a.txt`, bad as any).catch((e) => e);
    assert.ok(e1 instanceof InvalidArgumentError, String(e1));
    // deno-lint-ignore no-explicit-any
    const e2 = await fileio.writeBytes(`${dir}/b/a.bin`, bad as any).catch((e) => e);
    assert.ok(e2 instanceof InvalidArgumentError, String(e2));
  }
  const e3 = await fileio.writeBytes(`${dir}/b/a.bin`, "text" as unknown as Uint8Array)
    .catch((e) => e);
  assert.ok(e3 instanceof InvalidArgumentError);
  assert.equal(await fileio.exists(`${dir}/t`), false, "not even a parent directory");
  assert.equal(await fileio.exists(`${dir}/b`), false, "not even a parent directory");
});

// ---------------------------------------------------------------- a real socket server

type Mode = "cut-xml" | "bad-xml" | "reset" | "cut-body";

async function faultyServer(mode: () => Mode): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const m = mode();
    if (m === "reset") {
      req.socket.destroy();
      return;
    }
    if (req.method === "HEAD") {
      res.writeHead(200, { "content-length": "100", etag: '"e"' });
      res.end();
      return;
    }
    if (m === "cut-body") {
      // Announces 100 000 bytes, sends 10, then resets the connection.
      res.writeHead(200, { "content-length": "100000", etag: '"e"' });
      res.write("0123456789", () => setTimeout(() => req.socket.destroy(), 5));
      return;
    }
    const xml = m === "cut-xml"
      ? '<?xml version="1.0"?><ListBucketResult><Contents><Key>a'
      : '<?xml version="1.0"?><ListBucketResult><Contents><Key>a</Ke></Contents>';
    res.writeHead(200, { "content-type": "application/xml", "content-length": String(xml.length) });
    res.end(xml);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}

test("boundary: S3 against a server that cuts, garbles and resets answers: typed errors only", async () => {
  let mode: Mode = "cut-xml";
  const { url, server } = await faultyServer(() => mode);
  try {
    const store = new S3ArtifactStore({
      path: "s3://bucket/root",
      endpoint: url,
      region: "us-east-1",
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: "secret",
      retry: { maxRetries: 1, initialBackoffMs: 1, maxBackoffMs: 2 },
    });
    const ops: [string, () => Promise<unknown>][] = [
      ["listdir", () => store.listdir("s3://bucket/root/d")],
      ["glob", () => store.glob("s3://bucket/root/**/*.txt")],
      ["isdir", () => store.isdir("s3://bucket/root/d")],
      ["rmtree", () => store.rmtree("s3://bucket/root/d")],
      ["read", async () => readAllBytes(await store.open("s3://bucket/root/a", "rb"))],
      ["walk (onerror)", async () => {
        const errors: Error[] = [];
        for await (const _ of store.walk("s3://bucket/root", { onerror: (e) => errors.push(e) })) {
          /* drain */
        }
        throw errors[0] ?? new Error("walk reported no error");
      }],
    ];
    for (const m of ["cut-xml", "bad-xml", "reset", "cut-body"] as Mode[]) {
      mode = m;
      for (const [name, op] of ops) {
        // A read is answered with a (whole) XML body in the XML modes; only reads see
        // the cut body.
        if (name === "read" && (m === "cut-xml" || m === "bad-xml")) continue;
        if (m === "cut-body" && name !== "read") continue;
        const err = await op().then(() => null, (e) => e);
        assert.ok(
          err instanceof ArtifactStoreError,
          `${name} on ${m}: ${err?.name}: ${err?.message}`,
        );
      }
    }
  } finally {
    server.closeAllConnections?.();
    await new Promise((r) => server.close(r));
  }
});
