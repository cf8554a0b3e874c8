// Parallel ranged reads of ObjectStore.openRead, on a store over a Map whose GETs can
// misbehave as services do: bodies cut mid-way, objects replaced between ranges,
// answers without a size, failures that are no store error. It counts the GETs and
// the bodies open at once, so the window ahead of the reader is checked, and offers
// a whole-object check to see where it is applied.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ArtifactStoreError,
  FileNotFoundError,
  type GetResult,
  type ListPage,
  type ObjectMeta,
  ObjectStore,
  type ObjectStoreConfig,
  PreconditionFailedError,
} from "../../mod.ts";

interface Entry {
  data: Uint8Array;
  etag: string;
}

type Range = { start: number; end?: number } | undefined;

/** A store on a Map that serves GETs in small chunks and counts them. */
class RangeStore extends ObjectStore {
  static override FLAVOR = "rangetest";
  static override SUPPORTED_SCHEMES = ["rangetest://"];
  readonly map = new Map<string, Entry>();
  /** Every GET: its range and `If-Match`. */
  readonly gets: string[] = [];
  /** Bodies handed out and not yet finished or cancelled. */
  live = 0;
  /** The most bodies open at once. */
  maxOpen = 0;
  /** GETs whose signal was aborted. */
  aborted = 0;
  /** Bytes per chunk of a body. */
  chunk = 7;
  /** Milliseconds before each chunk of a body. */
  delayMs = 0;
  /** Answers name the object's size (as a 206's Content-Range does). */
  withSize = true;
  /** Cuts the nth GET's body after this many bytes (a broken connection). */
  cut?: (n: number, range: Range) => number | undefined;
  /** Runs before the nth GET is answered (e.g. replaces the object). */
  before?: (n: number) => void | Promise<void>;
  /** Offers a whole-object check on answers from byte 0. */
  verifier?: (body: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;

  constructor(config: Partial<ObjectStoreConfig> = {}) {
    super({ path: "rangetest://b", ...config });
  }

  protected headObject(key: string): Promise<ObjectMeta | null> {
    const e = this.map.get(key);
    return Promise.resolve(e ? { key, size: e.data.length, mtime: null, etag: e.etag } : null);
  }

  protected async getObject(
    key: string,
    range: Range,
    options: { ifMatch?: string; signal?: AbortSignal },
  ): Promise<GetResult> {
    const n = this.gets.length;
    this.gets.push(`${range ? `${range.start}-${range.end ?? ""}` : "all"} ${options.ifMatch}`);
    await this.before?.(n);
    if (options.signal?.aborted) {
      this.aborted++;
      throw options.signal.reason;
    }
    const e = this.map.get(key);
    if (!e) throw new FileNotFoundError(`no ${key}`);
    if (options.ifMatch && options.ifMatch !== e.etag) {
      throw new PreconditionFailedError(`${key} changed`);
    }
    options.signal?.addEventListener("abort", () => this.aborted++);
    const bytes = e.data.slice(range?.start ?? 0, range?.end);
    const cut = this.cut?.(n, range);
    let off = 0;
    let done = false;
    const finish = () => {
      if (!done) this.live--;
      done = true;
    };
    this.live++;
    this.maxOpen = Math.max(this.maxOpen, this.live);
    const body = new ReadableStream<Uint8Array>({
      pull: async (c) => {
        await (this.delayMs ? new Promise((r) => setTimeout(r, this.delayMs)) : Promise.resolve());
        if (cut !== undefined && off >= cut) {
          finish();
          c.error(new TypeError("connection reset"));
          return;
        }
        if (off >= bytes.length) {
          finish();
          c.close();
          return;
        }
        const next = Math.min(bytes.length, off + this.chunk, cut ?? Infinity);
        c.enqueue(bytes.slice(off, next));
        off = next;
      },
      cancel: finish,
    }, { highWaterMark: 0 });
    const start = range?.start ?? 0;
    return {
      body,
      length: bytes.length,
      etag: e.etag,
      size: this.withSize ? e.data.length : undefined,
      verify: start === 0 ? this.verifier : undefined,
    };
  }

  protected listPage(): Promise<ListPage> {
    return Promise.resolve({ objects: [], prefixes: [] });
  }

  protected putObject(key: string, data: Uint8Array): Promise<void> {
    const n = Number(this.map.get(key)?.etag.replaceAll('"', "") ?? 0);
    this.map.set(key, { data: data.slice(), etag: `"${n + 1}"` });
    return Promise.resolve();
  }

  protected deleteObject(key: string): Promise<void> {
    this.map.delete(key);
    return Promise.resolve();
  }

  put(key: string, data: Uint8Array): Promise<void> {
    return this.putObject(key, data);
  }
}

const bytes = (n: number, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i + seed) % 251);

async function read(
  s: RangeStore,
  range?: { start: number; end?: number },
): Promise<Uint8Array> {
  const stream = await s.open("rangetest://b/f", "rb", { range });
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const tick = () => new Promise((r) => setTimeout(r, 5));

test("ranges arrive in order for any size, part size, concurrency and range", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 3000 }),
      fc.integer({ min: 1, max: 700 }),
      fc.integer({ min: 1, max: 6 }),
      fc.option(fc.tuple(fc.nat({ max: 3500 }), fc.option(fc.nat({ max: 3500 })))),
      async (size, readPartSize, readConcurrency, r) => {
        const s = new RangeStore({ readPartSize, readConcurrency });
        const data = bytes(size, readPartSize);
        await s.put("f", data);
        const range = r ? { start: r[0], end: r[1] === null ? undefined : r[0] + r[1] } : undefined;
        const got = await read(s, range);
        const want = range ? data.slice(range.start, range.end) : data;
        assert.deepEqual(got, want);
        assert.ok(s.maxOpen <= readConcurrency, `${s.maxOpen} bodies open at once`);
        assert.equal(s.live, 0);
        if (
          want.length <= readPartSize && !(range?.end !== undefined && range.end <= range.start)
        ) {
          assert.equal(s.gets.length, 1, `one GET for one part: ${s.gets}`);
        }
      },
    ),
    { numRuns: 150 },
  );
});

test("a ranged read asks for its parts, the first one unpinned, the rest pinned", async () => {
  const s = new RangeStore({ readPartSize: 300, readConcurrency: 3 });
  const data = bytes(2000);
  await s.put("f", data);
  assert.deepEqual(await read(s, { start: 150, end: 1150 }), data.slice(150, 1150));
  assert.deepEqual(s.gets, [
    "150-450 undefined",
    '450-750 "1"',
    '750-1050 "1"',
    '1050-1150 "1"',
  ]);
  s.gets.length = 0;
  assert.deepEqual(await read(s, { start: 1500 }), data.slice(1500));
  assert.deepEqual(s.gets, ["1500-1800 undefined", '1800-2000 "1"']);
});

test("no range is fetched beyond the window ahead of a slow reader", async () => {
  const s = new RangeStore({ readPartSize: 100, readConcurrency: 3 });
  s.chunk = 50;
  const data = bytes(1000);
  await s.put("f", data);
  const reader = (await s.open("rangetest://b/f", "rb")).getReader();
  const first = await reader.read();
  await tick();
  assert.equal(s.gets.length, 3, `window of 3: ${s.gets}`);
  assert.deepEqual(first.value, data.slice(0, 50));
  // Finishing part 1 opens part 4, and no more.
  await reader.read();
  await reader.read();
  await tick();
  assert.equal(s.gets.length, 4, `${s.gets}`);
  const rest: Uint8Array[] = [];
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    rest.push(r.value);
  }
  assert.equal(s.gets.length, 10);
  assert.ok(s.maxOpen <= 3, `${s.maxOpen}`);
});

test("an object replaced mid-read is a PreconditionFailedError, never mixed bytes", async () => {
  const s = new RangeStore({ readPartSize: 100, readConcurrency: 2 });
  const old = bytes(1000);
  await s.put("f", old);
  s.before = async (n) => {
    if (n === 3) await s.put("f", bytes(1000, 99));
  };
  const reader = (await s.open("rangetest://b/f", "rb")).getReader();
  const got: number[] = [];
  let error: unknown;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      got.push(...r.value);
    }
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof PreconditionFailedError, String(error));
  assert.ok(got.length < old.length);
  assert.deepEqual(new Uint8Array(got), old.slice(0, got.length));
  await tick();
  assert.equal(s.live, 0, "every body released");
});

test("a range cut mid-body resumes from where it broke, pinned to the version", async () => {
  const s = new RangeStore({ readPartSize: 100, readConcurrency: 3 });
  const data = bytes(450);
  await s.put("f", data);
  // The first answer for each part breaks after 30 bytes; the resumed GETs do not.
  s.cut = (_n, range) => range && range.start % 100 === 0 ? 30 : undefined;
  assert.deepEqual(await read(s), data);
  for (const p of [100, 200, 300, 400]) {
    assert.ok(s.gets.includes(`${p + 30}-${Math.min(450, p + 100)} "1"`), `${s.gets}`);
  }
  assert.ok(s.gets.includes('30-100 "1"'), `${s.gets}`);
});

test("a range that breaks too often errors the stream with an ArtifactStoreError", async () => {
  const s = new RangeStore({ readPartSize: 100, readConcurrency: 2 });
  await s.put("f", bytes(500));
  s.cut = (_n, range) => range && range.start >= 200 ? 1 : undefined;
  await assert.rejects(read(s), (e) => {
    assert.ok(e instanceof ArtifactStoreError, String(e));
    return /could not be resumed/.test(e.message);
  });
});

test("a failure that is no store error reaches the reader typed", async () => {
  const s = new RangeStore({ readPartSize: 100, readConcurrency: 2 });
  await s.put("f", bytes(500));
  s.before = (n) => {
    if (n === 2) throw new TypeError("socket hang up");
  };
  await assert.rejects(read(s), (e) => {
    assert.ok(e instanceof ArtifactStoreError, String(e));
    assert.ok(e.cause instanceof TypeError);
    return /socket hang up/.test(e.message);
  });
});

test("cancel aborts every range in flight, releases the bodies and fetches no more", async () => {
  const s = new RangeStore({ readPartSize: 100, readConcurrency: 4 });
  s.chunk = 10;
  s.delayMs = 2;
  await s.put("f", bytes(5000));
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  s.before = (n) => n === 3 ? gate : undefined;
  const reader = (await s.open("rangetest://b/f", "rb")).getReader();
  await reader.read();
  await tick();
  assert.equal(s.gets.length, 4);
  await reader.cancel();
  release();
  await tick();
  assert.equal(s.gets.length, 4, "no GET after cancel");
  assert.equal(s.live, 0, "every body released");
  // Ranges 1 and 2 were mid-body, range 3 was waiting for its answer.
  assert.ok(s.aborted >= 3, `aborted ${s.aborted}`);
});

test("the reader's signal aborts a parallel read", async () => {
  const s = new RangeStore({ readPartSize: 100, readConcurrency: 3 });
  await s.put("f", bytes(2000));
  const ac = new AbortController();
  const reader = (await s.open("rangetest://b/f", "rb", { signal: ac.signal })).getReader();
  await reader.read();
  ac.abort(new Error("stop"));
  await assert.rejects(
    (async () => {
      for (;;) if ((await reader.read()).done) break;
    })(),
    /stop/,
  );
  await tick();
  assert.equal(s.live, 0);
});

test("the whole-object check wraps a whole read's stitched stream, and only a whole read", async () => {
  const s = new RangeStore({ readPartSize: 100, readConcurrency: 3 });
  const data = bytes(1000);
  await s.put("f", data);
  const checked: number[] = [];
  s.verifier = (body) => {
    let n = 0;
    return body.pipeThrough(
      new TransformStream({
        transform(c, ctl) {
          n += c.length;
          ctl.enqueue(c);
        },
        flush() {
          checked.push(n);
        },
      }),
    );
  };
  assert.deepEqual(await read(s), data);
  assert.deepEqual(await read(s, { start: 0, end: 1000 }), data);
  assert.deepEqual(await read(s, { start: 0, end: 500 }), data.slice(0, 500));
  assert.deepEqual(await read(s, { start: 0, end: 50 }), data.slice(0, 50));
  assert.deepEqual(checked, [1000, 1000]);
});

test("an answer without the object's size falls back to one GET; a short one needs none", async () => {
  const s = new RangeStore({ readPartSize: 100, readConcurrency: 3 });
  s.withSize = false;
  const data = bytes(1000);
  await s.put("f", data);
  assert.deepEqual(await read(s), data);
  assert.deepEqual(s.gets, ["0-100 undefined", "all undefined"]);
  s.gets.length = 0;
  await s.put("f", data.slice(0, 60));
  assert.deepEqual(await read(s), data.slice(0, 60));
  assert.deepEqual(s.gets, ["0-100 undefined"]);
});

test("readConcurrency 1 (the default) reads with one GET, as asked", async () => {
  const s = new RangeStore({ readPartSize: 100, readConcurrency: 1 });
  const data = bytes(1000);
  await s.put("f", data);
  assert.deepEqual(await read(s), data);
  assert.deepEqual(s.gets, ["all undefined"]);
  assert.equal(new RangeStore().readPartSize, 8 * 1024 * 1024);
  assert.equal(new RangeStore().readConcurrency, 1);
});
