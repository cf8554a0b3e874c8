// The conformance suite every flavor passes. A flavor's test file calls
// `conformance({ name, store })`; steps a store cannot do are skipped by capability
// (reported as skipped by every runner), never passed silently.
//
// Written with node:test + node:assert so the same file runs under `deno test`,
// `bun test` and `node --import tsx --test`.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type BaseArtifactStore,
  FileExistsError,
  FileNotFoundError,
  InvalidArgumentError,
  InvalidPathError,
  IsADirectoryError,
  NotADirectoryError,
  type WalkEntry,
} from "../../mod.ts";
import { readAllBytes, readAllText } from "../../src/streams.ts";

/** What a flavor's test file passes to the suite. */
export interface ConformanceOptions {
  /** Label prefixed to every test name, e.g. `"s3 (ceph)"`. */
  name: string;
  /** The store under test, or a reason string when it cannot run here (all steps skipped). */
  store: BaseArtifactStore | string;
  /** Size of the big streamed file (default 3 MiB); set it past the flavor's part size. */
  bigFileBytes?: number;
  /** Keys for the many-keys listing test (default 1100, past S3's 1000-key page). */
  manyKeys?: number;
  /** Per-test timeout in ms (default 120 s). */
  timeout?: number;
}

function rand(): string {
  return Math.random().toString(36).slice(2, 10);
}

/** Deterministic pseudo-random bytes (xorshift), so big files are not all zeros. */
export function patternBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** SHA-256 of bytes, hex. */
export async function sha256(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as BufferSource),
  );
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Writes bytes in chunks of `chunk` and closes. */
export async function putBytes(
  store: BaseArtifactStore,
  path: string,
  data: Uint8Array,
  mode: "wb" | "xb" | "ab" = "wb",
  chunk = 1 << 20,
): Promise<void> {
  const w = (await store.open(path, mode)).getWriter();
  for (let i = 0; i < data.length; i += chunk) {
    await w.write(data.subarray(i, i + chunk));
  }
  await w.close();
}

/** Writes text and closes. */
export async function putText(
  store: BaseArtifactStore,
  path: string,
  text: string,
  mode: "w" | "x" | "a" = "w",
): Promise<void> {
  const w = (await store.open(path, mode)).getWriter();
  if (text) await w.write(text);
  await w.close();
}

/** Reads a whole file as text. */
export async function getText(
  store: BaseArtifactStore,
  path: string,
): Promise<string> {
  return readAllText(await store.open(path, "r"));
}

/** Reads a whole file (or a range) as bytes. */
export async function getBytes(
  store: BaseArtifactStore,
  path: string,
  range?: { start: number; end?: number },
): Promise<Uint8Array> {
  return readAllBytes(await store.open(path, "rb", { range }));
}

async function collectWalk(it: AsyncIterable<WalkEntry>): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

/**
 * Registers the conformance tests for one store.
 *
 * @param options the store and its parameters
 */
export function conformance(options: ConformanceOptions): void {
  const { name } = options;
  const timeout = options.timeout ?? 120_000;
  if (typeof options.store === "string") {
    test(`${name}: conformance suite`, { skip: options.store }, () => {});
    return;
  }
  const store: BaseArtifactStore = options.store;
  const caps = store.capabilities;
  const base = `${store.path.replace(/\/$/, "")}/conformance-${rand()}`;
  let n = 0;
  /** A fresh directory URI for one test. */
  const dir = (label: string) => `${base}/${label}-${++n}`;
  const t = (
    title: string,
    fn: () => Promise<void>,
    skip?: string | false,
  ) => test(`${name}: ${title}`, { skip: skip || undefined, timeout }, fn);

  t("text round trip, unicode and overwrite", async () => {
    const p = `${dir("text")}/hello.txt`;
    await putText(store, p, "héllo wörld ✓ 🎉\nline 2");
    assert.equal(await getText(store, p), "héllo wörld ✓ 🎉\nline 2");
    await putText(store, p, "second");
    assert.equal(await getText(store, p), "second");
  });

  t("bytes round trip and stat", async () => {
    const p = `${dir("bytes")}/data.bin`;
    const data = patternBytes(70_000, 7);
    await putBytes(store, p, data);
    assert.deepEqual(await getBytes(store, p), data);
    const st = await store.stat(p);
    assert.equal(st.path, p);
    assert.equal(st.size, 70_000);
    assert.equal(st.isDirectory, false);
    assert.ok(st.mtime === null || st.mtime instanceof Date);
    assert.equal(await store.size(p), 70_000);
  });

  t("empty file", async () => {
    const d = dir("empty");
    const p = `${d}/empty.txt`;
    await putText(store, p, "");
    assert.equal(await getText(store, p), "");
    assert.equal((await store.stat(p)).size, 0);
    assert.ok(await store.exists(p));
    assert.deepEqual(await store.listdir(d), ["empty.txt"]);
  });

  t("big file written in many small chunks, read back identical", async () => {
    const size = options.bigFileBytes ?? 3 * 1024 * 1024 + 12_345;
    const p = `${dir("big")}/big.bin`;
    const data = patternBytes(size, 42);
    let progress = 0;
    const w = (await store.open(p, "wb", { onProgress: (b) => (progress = b) }))
      .getWriter();
    for (let i = 0; i < size; i += 64 * 1024) {
      await w.write(data.slice(i, i + 64 * 1024));
    }
    await w.close();
    assert.equal(progress, size);
    assert.equal((await store.stat(p)).size, size);
    assert.equal(await sha256(await getBytes(store, p)), await sha256(data));
  });

  t("range reads: inside, clamped, past the end, open-ended", async () => {
    const p = `${dir("range")}/r.bin`;
    const data = patternBytes(1000, 3);
    await putBytes(store, p, data);
    assert.deepEqual(
      await getBytes(store, p, { start: 10, end: 20 }),
      data.slice(10, 20),
    );
    assert.deepEqual(
      await getBytes(store, p, { start: 990, end: 5000 }),
      data.slice(990),
    );
    assert.deepEqual(await getBytes(store, p, { start: 400 }), data.slice(400));
    assert.equal((await getBytes(store, p, { start: 1000 })).length, 0);
    assert.equal(
      (await getBytes(store, p, { start: 5000, end: 6000 })).length,
      0,
    );
    assert.equal((await getBytes(store, p, { start: 5, end: 5 })).length, 0);
    await assert.rejects(
      store.open(p, "rb", { range: { start: -1 } }),
      InvalidArgumentError,
    );
    await assert.rejects(
      store.open(p, "rb", { range: { start: 5, end: 2 } }),
      InvalidArgumentError,
    );
  });

  t("create-only: x creates, refuses an existing file", async () => {
    const p = `${dir("create")}/once.txt`;
    await putText(store, p, "first", "x");
    assert.equal(await getText(store, p), "first");
    await assert.rejects(
      (async () => {
        await putText(store, p, "second", "x");
      })(),
      FileExistsError,
    );
    assert.equal(await getText(store, p), "first");
  });

  t("a write is visible only after close; abort leaves nothing", async () => {
    const d = dir("abort");
    const p = `${d}/pending.bin`;
    const w = (await store.open(p, "wb")).getWriter();
    await w.write(patternBytes(1000));
    assert.equal(await store.exists(p), false);
    await w.abort(new Error("changed my mind"));
    assert.equal(await store.exists(p), false);
    // An aborted overwrite keeps the old content.
    await putText(store, p, "old");
    const w2 = (await store.open(p, "w")).getWriter();
    await w2.write("new content");
    await w2.abort();
    assert.equal(await getText(store, p), "old");
    // Only the committed file is listed: no temporary names.
    assert.deepEqual(await store.listdir(d), ["pending.bin"]);
  });

  t("a write aborted through its signal leaves nothing", async () => {
    const p = `${dir("signal")}/sig.bin`;
    const ac = new AbortController();
    const w = (await store.open(p, "wb", { signal: ac.signal })).getWriter();
    await w.write(patternBytes(500));
    ac.abort(new Error("cancelled"));
    await assert.rejects(w.close());
    assert.equal(await store.exists(p), false);
  });

  t("append", async () => {
    const p = `${dir("append")}/log.txt`;
    await putText(store, p, "a", "a");
    await putText(store, p, "bc", "a");
    assert.equal(await getText(store, p), "abc");
  }, !caps.append && `the ${store.flavor} store cannot append`);

  t("append refused where unsupported", async () => {
    const p = `${dir("noappend")}/log.txt`;
    await assert.rejects(
      store.open(p, "a"),
      (e: Error) => e.name === "NotSupportedError",
    );
  }, caps.append && `the ${store.flavor} store can append`);

  t(
    "copyfile: copy, overwrite rules, missing source, parents created",
    async () => {
      const d = dir("copy");
      await putText(store, `${d}/src.txt`, "source");
      await store.copyfile(`${d}/src.txt`, `${d}/deep/er/dst.txt`);
      assert.equal(await getText(store, `${d}/deep/er/dst.txt`), "source");
      assert.equal(await getText(store, `${d}/src.txt`), "source");
      await putText(store, `${d}/other.txt`, "other");
      await assert.rejects(
        store.copyfile(`${d}/src.txt`, `${d}/other.txt`),
        FileExistsError,
      );
      assert.equal(await getText(store, `${d}/other.txt`), "other");
      await store.copyfile(`${d}/src.txt`, `${d}/other.txt`, {
        overwrite: true,
      });
      assert.equal(await getText(store, `${d}/other.txt`), "source");
      await assert.rejects(
        store.copyfile(`${d}/missing.txt`, `${d}/x.txt`),
        FileNotFoundError,
      );
    },
  );

  t("rename: moves, overwrite rules, missing source", async () => {
    const d = dir("rename");
    await putText(store, `${d}/a.txt`, "A");
    await store.rename(`${d}/a.txt`, `${d}/sub/b.txt`);
    assert.equal(await store.exists(`${d}/a.txt`), false);
    assert.equal(await getText(store, `${d}/sub/b.txt`), "A");
    await putText(store, `${d}/c.txt`, "C");
    await assert.rejects(
      store.rename(`${d}/c.txt`, `${d}/sub/b.txt`),
      FileExistsError,
    );
    assert.equal(await getText(store, `${d}/c.txt`), "C");
    assert.equal(await getText(store, `${d}/sub/b.txt`), "A");
    await store.rename(`${d}/c.txt`, `${d}/sub/b.txt`, { overwrite: true });
    assert.equal(await getText(store, `${d}/sub/b.txt`), "C");
    assert.equal(await store.exists(`${d}/c.txt`), false);
    await assert.rejects(
      store.rename(`${d}/nope.txt`, `${d}/x.txt`),
      FileNotFoundError,
    );
    // A directory moved into itself is refused alike on every flavor, and nothing moves.
    await assert.rejects(
      store.rename(`${d}/sub`, `${d}/sub/inner`),
      (err: unknown) => err instanceof InvalidArgumentError && /into itself/.test(String(err)),
    );
    assert.equal(await getText(store, `${d}/sub/b.txt`), "C");
    assert.equal(await store.exists(`${d}/sub/inner`), false);
  });

  t(
    "listdir, isdir, exists on files, directories and missing paths",
    async () => {
      const d = dir("list");
      await putText(store, `${d}/b.txt`, "b");
      await putText(store, `${d}/a.txt`, "a");
      await putText(store, `${d}/sub/c.txt`, "c");
      await putText(store, `${d}/sub/deeper/d.txt`, "d");
      assert.deepEqual(await store.listdir(d), ["a.txt", "b.txt", "sub"]);
      assert.deepEqual(await store.listdir(`${d}/sub`), ["c.txt", "deeper"]);
      assert.equal(await store.isdir(d), true);
      assert.equal(await store.isdir(`${d}/sub`), true);
      assert.equal(await store.isdir(`${d}/a.txt`), false);
      assert.equal(await store.isdir(`${d}/missing`), false);
      assert.equal(await store.exists(`${d}/sub`), true);
      assert.equal(await store.exists(`${d}/a.txt`), true);
      assert.equal(await store.exists(`${d}/missing`), false);
      assert.equal((await store.stat(`${d}/sub`)).isDirectory, true);
      await assert.rejects(store.listdir(`${d}/missing`), FileNotFoundError);
      await assert.rejects(store.listdir(`${d}/a.txt`), NotADirectoryError);
      await assert.rejects(store.stat(`${d}/missing`), FileNotFoundError);
    },
  );

  t("prefix boundaries: 'foo' never matches 'foobar/'", async () => {
    const d = dir("prefix");
    await putText(store, `${d}/foobar/x.txt`, "x");
    await putText(store, `${d}/foo.txt`, "f");
    assert.equal(await store.exists(`${d}/foo`), false);
    assert.equal(await store.isdir(`${d}/foo`), false);
    await assert.rejects(store.listdir(`${d}/foo`), FileNotFoundError);
    assert.deepEqual(await store.listdir(`${d}/foobar`), ["x.txt"]);
    assert.deepEqual(await store.glob(`${d}/foo/*`), []);
  });

  t("names sort by code point", async () => {
    const d = dir("sort");
    const names = [
      "b",
      "B",
      "a",
      "_",
      "Z",
      "é",
      "\uff61",
      "\u{1f600}",
      "a b",
      "a+b",
    ];
    for (const nm of names) await putText(store, `${d}/${nm}`, nm);
    const expected = [...names].sort((x, y) => {
      const a = Array.from(x, (c) => c.codePointAt(0)!);
      const b = Array.from(y, (c) => c.codePointAt(0)!);
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        if (a[i] !== b[i]) return a[i] - b[i];
      }
      return a.length - b.length;
    });
    assert.deepEqual(await store.listdir(d), expected);
  });

  t("makedirs and mkdir", async () => {
    const d = dir("mkdirs");
    await store.makedirs(`${d}/x/y/z`);
    await store.makedirs(`${d}/x/y/z`);
    if (caps.directories) {
      assert.equal(await store.isdir(`${d}/x/y/z`), true);
      assert.deepEqual(await store.listdir(`${d}/x/y`), ["z"]);
      await store.mkdir(`${d}/x/y/w`);
      assert.equal(await store.isdir(`${d}/x/y/w`), true);
      await store.mkdir(`${d}/x/y/w`);
      await assert.rejects(store.mkdir(`${d}/nope/w`), FileNotFoundError);
    }
    // Writes create missing parents on every flavor.
    await putText(store, `${d}/p/q/r.txt`, "r");
    assert.equal(await store.isdir(`${d}/p/q`), true);
  });

  t("remove: file, missing, directory", async () => {
    const d = dir("remove");
    await putText(store, `${d}/f.txt`, "f");
    await putText(store, `${d}/sub/g.txt`, "g");
    await store.remove(`${d}/f.txt`);
    assert.equal(await store.exists(`${d}/f.txt`), false);
    await assert.rejects(store.remove(`${d}/f.txt`), FileNotFoundError);
    await assert.rejects(store.remove(`${d}/sub`), IsADirectoryError);
    assert.equal(await store.exists(`${d}/sub/g.txt`), true);
  });

  t("rmtree: whole tree, file refused, missing refused", async () => {
    const d = dir("rmtree");
    await putText(store, `${d}/t/a.txt`, "a");
    await putText(store, `${d}/t/b/c.txt`, "c");
    await putText(store, `${d}/t/b/d/e.txt`, "e");
    await putText(store, `${d}/tt/keep.txt`, "keep");
    await assert.rejects(store.rmtree(`${d}/t/a.txt`), NotADirectoryError);
    await store.rmtree(`${d}/t`);
    assert.equal(await store.exists(`${d}/t`), false);
    assert.equal(await store.exists(`${d}/t/b/d/e.txt`), false);
    assert.equal(await getText(store, `${d}/tt/keep.txt`), "keep");
    await assert.rejects(store.rmtree(`${d}/t`), FileNotFoundError);
  });

  t("walk: topdown, bottom-up, pruning, missing top, onerror", async () => {
    const d = dir("walk");
    await putText(store, `${d}/r.txt`, "r");
    await putText(store, `${d}/a/x.txt`, "x");
    await putText(store, `${d}/a/y/z.txt`, "z");
    await putText(store, `${d}/b/w.txt`, "w");
    const down = await collectWalk(store.walk(d));
    assert.deepEqual(down, [
      [d, ["a", "b"], ["r.txt"]],
      [`${d}/a`, ["y"], ["x.txt"]],
      [`${d}/a/y`, [], ["z.txt"]],
      [`${d}/b`, [], ["w.txt"]],
    ]);
    const up = await collectWalk(store.walk(d, { topdown: false }));
    assert.deepEqual(up.map((e) => e[0]), [`${d}/a/y`, `${d}/a`, `${d}/b`, d]);
    const pruned: string[] = [];
    for await (const [dirUri, dirnames] of store.walk(d)) {
      pruned.push(dirUri);
      const i = dirnames.indexOf("a");
      if (i >= 0) dirnames.splice(i, 1);
    }
    assert.deepEqual(pruned, [d, `${d}/b`]);
    const errors: Error[] = [];
    const missing = await collectWalk(
      store.walk(`${d}/missing`, { onerror: (e) => errors.push(e) }),
    );
    assert.deepEqual(missing, []);
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof FileNotFoundError);
    assert.deepEqual(await collectWalk(store.walk(`${d}/missing`)), []);
  });

  t("glob: *, ?, [abc], [!a], **, trailing slash, literal", async () => {
    const d = dir("glob");
    for (
      const k of [
        "a.txt",
        "b.txt",
        "c.csv",
        "ab.txt",
        "sub/d.txt",
        "sub/deep/e.txt",
        "sub/deep/f.csv",
        "other/g.txt",
      ]
    ) await putText(store, `${d}/${k}`, k);
    const g = async (p: string) =>
      (await store.glob(`${d}/${p}`)).map((u) => u.slice(d.length + 1));
    assert.deepEqual(await g("*.txt"), ["a.txt", "ab.txt", "b.txt"]);
    assert.deepEqual(await g("?.txt"), ["a.txt", "b.txt"]);
    assert.deepEqual(await g("[ac].*"), ["a.txt", "c.csv"]);
    assert.deepEqual(await g("[!a].txt"), ["b.txt"]);
    assert.deepEqual(await g("*/*.txt"), ["other/g.txt", "sub/d.txt"]);
    assert.deepEqual(await g("**/*.csv"), ["c.csv", "sub/deep/f.csv"]);
    assert.deepEqual(await g("sub/**/*.txt"), ["sub/d.txt", "sub/deep/e.txt"]);
    assert.deepEqual(await g("*/"), ["other", "sub"]);
    assert.deepEqual(await g("sub/*"), ["sub/d.txt", "sub/deep"]);
    assert.deepEqual(await g("a.txt"), ["a.txt"]);
    assert.deepEqual(await g("nothing*"), []);
    assert.deepEqual(await g("missing/*.txt"), []);
  });

  t(
    `many keys (${options.manyKeys ?? 1100}) list, glob and rmtree completely`,
    async () => {
      const d = dir("many");
      const count = options.manyKeys ?? 1100;
      const names = Array.from(
        { length: count },
        (_, i) => `k${String(i).padStart(5, "0")}.txt`,
      );
      const queue = [...names];
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let k = queue.shift(); k !== undefined; k = queue.shift()) {
            await putText(store, `${d}/${k}`, k);
          }
        }),
      );
      assert.deepEqual(await store.listdir(d), names);
      assert.equal((await store.glob(`${d}/k*.txt`)).length, count);
      await store.rmtree(d);
      assert.equal(await store.exists(d), false);
    },
  );

  t("special-character keys round-trip literally", async () => {
    const d = dir("special");
    const names = [
      "with space.txt",
      "plus+sign.txt",
      "pct%20.txt",
      "amp&and=eq.txt",
      "hash#tag.txt",
      "question?.txt",
      "ünïcødé-日本語-😀.txt",
      "semi;colon,comma'quote.txt",
      "tilde~!@$()[].txt",
    ];
    for (const nm of names) {
      await putText(store, `${d}/${nm}`, `content of ${nm}`);
    }
    for (const nm of names) {
      assert.equal(await getText(store, `${d}/${nm}`), `content of ${nm}`);
    }
    const listed = await store.listdir(d);
    assert.deepEqual([...listed].sort(), [...names].sort());
    assert.equal(await store.exists(`${d}/pct 0.txt`), false);
    await store.copyfile(`${d}/hash#tag.txt`, `${d}/sub dir/q?&.txt`);
    assert.equal(
      await getText(store, `${d}/sub dir/q?&.txt`),
      "content of hash#tag.txt",
    );
  });

  t("paths outside the root are refused and touch nothing", async () => {
    const d = dir("bounds");
    const root = store.path;
    await putText(store, `${d}/inside.txt`, "in");
    const bad = [
      `${root}/../escape.txt`,
      `${d}/../../../escape.txt`,
      `${root}/a/../../escape.txt`,
      `${root}\\..\\escape.txt`,
      `${root}-sibling/escape.txt`,
      "../escape.txt",
      "",
    ];
    for (const p of bad) {
      await assert.rejects(
        putText(store, p, "x"),
        InvalidPathError,
        `write ${JSON.stringify(p)}`,
      );
      await assert.rejects(
        store.open(p, "r"),
        InvalidPathError,
        `read ${JSON.stringify(p)}`,
      );
      await assert.rejects(
        store.listdir(p),
        InvalidPathError,
        `list ${JSON.stringify(p)}`,
      );
      await assert.rejects(
        store.exists(p),
        InvalidPathError,
        `exists ${JSON.stringify(p)}`,
      );
    }
    await assert.rejects(
      store.copyfile(`${d}/inside.txt`, `${root}/../x`),
      InvalidPathError,
    );
    await assert.rejects(store.rmtree(`${root}/..`), InvalidPathError);
    await assert.rejects(store.glob(`${root}/../*`), InvalidPathError);
    // A path that climbs out and back in is fine: `.`/`..` are resolved.
    const seg = d.slice(d.lastIndexOf("/") + 1);
    assert.equal(await getText(store, `${d}/../${seg}/./inside.txt`), "in");
  });

  t("a directory is never shadowed by a file of its name (open w, copyfile, rename)", async () => {
    const d = dir("shadow");
    await putText(store, `${d}/runs/1/log.txt`, "log");
    await putText(store, `${d}/a.txt`, "a");
    const runs = `${d}/runs`;
    // A write onto a directory fails, at open (file systems) or before the commit
    // (object stores check while the data is sent).
    const write = async (mode: "w" | "x") => {
      const w = (await store.open(runs, mode)).getWriter();
      await w.write("shadow");
      await w.close();
    };
    for (const mode of ["w", "x"] as const) {
      await assert.rejects(write(mode), IsADirectoryError, `open(dir, '${mode}')`);
    }
    for (const overwrite of [false, true]) {
      await assert.rejects(
        store.copyfile(`${d}/a.txt`, runs, { overwrite }),
        IsADirectoryError,
        `copyfile onto a directory, overwrite ${overwrite}`,
      );
      await assert.rejects(
        store.rename(`${d}/a.txt`, runs, { overwrite }),
        IsADirectoryError,
        `rename onto a directory, overwrite ${overwrite}`,
      );
    }
    const st = await store.stat(runs);
    assert.equal(st.isDirectory, true, "still a directory");
    assert.deepEqual(await store.listdir(d), ["a.txt", "runs"]);
    assert.deepEqual(await store.listdir(runs), ["1"]);
    assert.equal(await getText(store, `${d}/a.txt`), "a", "the source is kept");
    await store.rmtree(runs);
    assert.equal(await store.exists(runs), false, "rmtree clears it");
  });

  t("a destination ending in '/' names a directory: copy and rename go into it", async () => {
    const d = dir("slash");
    await putText(store, `${d}/a.txt`, "a");
    await putText(store, `${d}/b.txt`, "b");
    await putText(store, `${d}/out/keep.txt`, "k");
    await store.copyfile(`${d}/a.txt`, `${d}/out/`);
    assert.equal(await getText(store, `${d}/out/a.txt`), "a");
    await store.rename(`${d}/b.txt`, `${d}/out/`);
    assert.equal(await getText(store, `${d}/out/b.txt`), "b");
    assert.equal(await store.exists(`${d}/b.txt`), false);
    // Into a directory that does not exist yet: created, as every write creates parents.
    await store.copyfile(`${d}/a.txt`, `${d}/new/`);
    assert.equal(await getText(store, `${d}/new/a.txt`), "a");
    // The existing-destination rule still holds inside the directory.
    await assert.rejects(store.copyfile(`${d}/a.txt`, `${d}/out/`), FileExistsError);
    await store.copyfile(`${d}/out/keep.txt`, `${d}/out/`, { overwrite: true });
    // A file path ending in '/' cannot be written.
    await assert.rejects(store.open(`${d}/x/`, "w"), IsADirectoryError);
    await assert.rejects(store.open(`${d}/x\\`, "wb"), IsADirectoryError);
    assert.equal(await store.exists(`${d}/x`), false);
    assert.deepEqual(await store.listdir(d), ["a.txt", "new", "out"]);
    assert.deepEqual(await store.listdir(`${d}/out`), ["a.txt", "b.txt", "keep.txt"]);
  });

  t("a chunk of the wrong type is an InvalidArgumentError and commits nothing", async () => {
    const d = dir("chunks");
    await putText(store, `${d}/old.txt`, "old");
    const attempts: [string, "w" | "wb" | "x" | "xb", unknown][] = [
      [`${d}/new.txt`, "w", 1],
      [`${d}/new.txt`, "x", new Uint8Array([104, 105])],
      [`${d}/new.bin`, "wb", "hi"],
      [`${d}/new.bin`, "xb", [1, 2, 3]],
      [`${d}/old.txt`, "w", { text: "x" }],
      [`${d}/old.txt`, "wb", null],
    ];
    for (const [path, mode, chunk] of attempts) {
      const sink = await store.open(path, mode) as WritableStream<unknown>;
      const w = sink.getWriter();
      const ok = mode.endsWith("b") ? new Uint8Array([1]) : "ok";
      await w.write(ok);
      const err = await w.write(chunk).then(() => w.close()).then(() => null, (e) => e);
      assert.ok(err instanceof InvalidArgumentError, `${mode} ${String(chunk)}: ${err}`);
      assert.match(err.message, /Nothing was written/);
      await w.close().catch(() => {});
    }
    assert.deepEqual(await store.listdir(d), ["old.txt"], "nothing committed");
    assert.equal(await getText(store, `${d}/old.txt`), "old", "the old version is intact");
    // Reading text from a binary stream decodes it (readAllText takes either).
    assert.equal(await readAllText(await store.open(`${d}/old.txt`, "rb")), "old");
  });

  t("errors by class: missing file, directory as file, bad mode", async () => {
    const d = dir("errors");
    await putText(store, `${d}/sub/f.txt`, "f");
    await assert.rejects(
      store.open(`${d}/missing.txt`, "r"),
      FileNotFoundError,
    );
    await assert.rejects(store.open(`${d}/sub`, "rb"), IsADirectoryError);
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      store.open(`${d}/f.txt`, "rw" as any),
      InvalidArgumentError,
    );
    const err = await store.open(`${d}/missing.txt`, "r").catch((e) => e);
    assert.equal(err.code, "NotFound");
    assert.equal(err.flavor, store.flavor);
    assert.match(err.message, /missing\.txt/);
  });
}
