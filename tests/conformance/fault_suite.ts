// The fault suite every cloud flavor's emulator test calls: a fixed, seeded mix of
// operations (small and multi-part writes, aborted writes, whole and ranged reads,
// stat, listdir, glob, walk, copyfile, rename, rmtree) through a store that meets
// faults at a given rate, under the store's default retry policy: through the fault
// proxy (tests/conformance/fault_proxy.ts: real sockets between the store and its
// emulator, broken the ways networks and services break them), or through a
// fault-injecting fetch (tests/conformance/faults.ts) where there is no emulator to
// put a proxy in front of. A second store on the same root, straight to the
// service, checks what each operation left behind, and redoes a failed one, so that
// the mix is the same whatever fails. Then one test per invariant:
//
// - every failure thrown is an `ArtifactStoreError` (never a raw TypeError, SyntaxError);
// - every read that succeeds returns exactly the bytes written;
// - every stat, listdir, glob and walk that succeeds answers what is stored;
// - nothing half-done is visible: a failed write, copy or rename leaves the old
//   content, the new or nothing (a lost response may have committed it), never a
//   part of one and no stray name; a failed rmtree leaves only intact files; at the
//   end the stored tree is exactly what the operations made;
// - no operation takes longer than a time bound;
// - a failure that does not say `uncertain` changed nothing (a failed write, copy or
//   rename that took effect must say that it may have);
// - nothing is left behind: no pending multipart upload or uncommitted block below
//   the run's root at the end (where the flavor can list them: `leftovers`).
//
// An invariant a flavor is known to break today is registered as a skip that names
// the failure (`known`), and the counts are printed either way. The variables
// STOWAGE_TEST_FAULT_SEED, STOWAGE_TEST_FAULT_RATE, STOWAGE_TEST_FAULT_OPERATIONS and
// STOWAGE_TEST_FAULT_KINDS (comma-separated) override the seed, the rate, the number of
// operations and the faults, to reproduce or explore a run.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ArtifactStoreError,
  type BaseArtifactStore,
  FileNotFoundError,
  type WalkEntry,
} from "../../mod.ts";
import { getEnv } from "../../src/_runtime.ts";
import { runtimeName } from "../_env.ts";
import { FAULT_KINDS, faultyFetch, seededRandom } from "./faults.ts";
import { PROXY_FAULTS, startFaultProxy } from "./fault_proxy.ts";
import { getBytes, patternBytes, putBytes } from "./suite.ts";

/** The invariants the fault suite checks, one test each. */
export type FaultInvariant =
  | "typed"
  | "bytes"
  | "answers"
  | "atomic"
  | "time"
  | "honest"
  | "leaks";

/** What a cloud flavor's test file passes to {@linkcode faultSuite}. */
export interface FaultSuiteOptions {
  /** Label prefixed to every test name, e.g. `"s3 (fauxqs)"`. */
  name: string;
  /**
   * Makes a store on one fixed root with the given fetch (the real one when absent)
   * and the default retry policy — the same root on every call — or a reason string
   * when it cannot run here (the tests are skipped).
   */
  store: ((fetchFn?: typeof fetch) => BaseArtifactStore) | string;
  /**
   * Runs the mix through the fault proxy instead of a faulty fetch: the emulator's
   * origin (`http://127.0.0.1:PORT`) and a store on the one root that talks to the
   * given origin (the proxy's, or the emulator's for the checking store).
   */
  proxy?: { upstream: string; store: (origin: string) => BaseArtifactStore };
  /**
   * What unfinished writes left below a root: pending multipart uploads, uncommitted
   * blocks (one line each); the suite asserts there is none at the end.
   */
  leftovers?: (clean: BaseArtifactStore, base: string) => Promise<string[]>;
  /** Size of the multi-part writes: past the flavor's part size. */
  largeBytes: number;
  /** How many multi-part writes the mix holds (default 3). */
  largeWrites?: number;
  /** Seeds the mix and the faults (default 14). */
  seed?: number;
  /** The probability that a request gets a fault (default 0.1). */
  rate?: number;
  /** How many operations (default 120). */
  operations?: number;
  /** The time bound of one operation, ms (default 30 s). */
  opTimeLimitMs?: number;
  /** Invariants this flavor breaks today, with the failure: skipped, visibly. */
  known?: Partial<Record<FaultInvariant, string>>;
}

type Op =
  | { kind: "write"; path: string; size: number; dataSeed: number }
  | { kind: "abort"; path: string; size: number; dataSeed: number }
  | { kind: "read"; path: string }
  | { kind: "range"; path: string; start: number; end?: number }
  | { kind: "stat"; path: string }
  | { kind: "listdir"; path: string }
  | { kind: "glob"; pattern: string }
  | { kind: "walk" }
  | { kind: "copy"; path: string; to: string }
  | { kind: "rename"; path: string; to: string }
  | { kind: "rmtree"; path: string };

const DIRS = ["", "a", "a/x", "b", "b/y/z"];
const FILES_PER_DIR = 4;

function join(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

function parent(rel: string): string {
  const i = rel.lastIndexOf("/");
  return i < 0 ? "" : rel.slice(0, i);
}

function below(rel: string, dir: string): boolean {
  return dir === "" || rel.startsWith(`${dir}/`);
}

/** The directories that hold files (object stores have no empty ones), with the root. */
function dirsOf(files: Iterable<string>): string[] {
  const out = new Set([""]);
  for (const f of files) {
    for (let d = parent(f); d !== ""; d = parent(d)) out.add(d);
  }
  return [...out].sort();
}

/** The fixed mix of operations for a seed: valid in order when every one succeeds. */
function plan(seed: number, count: number, largeBytes: number, largeWrites: number): Op[] {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]) => xs[int(xs.length)];
  const sizes = new Map<string, number>();
  const anyPath = () => join(pick(DIRS), `f${int(FILES_PER_DIR)}.bin`);
  const weights: [string, number][] = [
    ["write", 18],
    ["large", 3],
    ["read", 14],
    ["range", 12],
    ["stat", 8],
    ["listdir", 8],
    ["glob", 5],
    ["walk", 3],
    ["copy", 8],
    ["rename", 8],
    ["rmtree", 3],
    ["abort", 4],
  ];
  const sum = weights.reduce((a, [, w]) => a + w, 0);
  const ops: Op[] = [];
  let large = 0;
  let dataSeed = seed * 1000;
  while (ops.length < count) {
    let x = random() * sum;
    let kind = weights.find(([, w]) => (x -= w) < 0)![0];
    const files = [...sizes.keys()].sort();
    const dirs = dirsOf(files);
    if (files.length < 3) kind = "write";
    if (kind === "large" && large >= largeWrites) kind = "write";
    if (kind === "rmtree" && dirs.length < 2) kind = "write";
    const src = pick(files);
    switch (kind) {
      case "write":
      case "large": {
        const size = kind === "large"
          ? largeBytes + int(1000)
          : pick([0, 1, 100, 4096, 70_000]) + int(100);
        if (kind === "large") large++;
        const path = anyPath();
        sizes.set(path, size);
        ops.push({ kind: "write", path, size, dataSeed: ++dataSeed });
        break;
      }
      case "abort": {
        // Half of them past the part size, so that an upload was started.
        const size = random() < 0.5 ? largeBytes + int(1000) : 1000 + int(70_000);
        ops.push({ kind, path: anyPath(), size, dataSeed: ++dataSeed });
        break;
      }
      case "read":
      case "stat":
        ops.push({ kind, path: src });
        break;
      case "range": {
        const size = sizes.get(src)!;
        const start = int(size + 10);
        const end = random() < 0.3 ? undefined : start + int(size + 1);
        ops.push({ kind, path: src, start, end });
        break;
      }
      case "listdir":
        ops.push({ kind, path: pick(dirs) });
        break;
      case "glob":
        ops.push({ kind, pattern: random() < 0.5 ? "**/*.bin" : join(pick(dirs), "*") });
        break;
      case "walk":
        ops.push({ kind });
        break;
      case "copy":
      case "rename": {
        let to = anyPath();
        while (to === src) to = anyPath();
        sizes.set(to, sizes.get(src)!);
        if (kind === "rename") sizes.delete(src);
        ops.push({ kind, path: src, to });
        break;
      }
      case "rmtree": {
        const dir = pick(dirs.filter((d) => d !== ""));
        for (const f of files) if (below(f, dir)) sizes.delete(f);
        ops.push({ kind, path: dir });
        break;
      }
    }
  }
  return ops;
}

function describe(op: Op): string {
  switch (op.kind) {
    case "write":
      return `write ${op.path} (${op.size} B)`;
    case "abort":
      return `aborted write ${op.path} (${op.size} B sent)`;
    case "range":
      return `read ${op.path} [${op.start}, ${op.end ?? ""})`;
    case "glob":
      return `glob ${op.pattern}`;
    case "walk":
      return "walk";
    case "copy":
    case "rename":
      return `${op.kind} ${op.path} -> ${op.to}`;
    default:
      return `${op.kind} ${op.path}`;
  }
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** What the operations have made: relative path → bytes. */
class Model {
  readonly files = new Map<string, Uint8Array>();

  listdir(dir: string): string[] {
    const names = new Set<string>();
    for (const f of this.files.keys()) {
      if (below(f, dir) && f !== dir) names.add(f.slice(dir ? dir.length + 1 : 0).split("/")[0]);
    }
    return [...names].sort();
  }

  walk(uri: (rel: string) => string): WalkEntry[] {
    const dirs = new Set(dirsOf(this.files.keys()));
    const out: WalkEntry[] = [];
    if (this.files.size === 0) return out; // a missing top yields nothing
    const visit = (dir: string) => {
      const names = this.listdir(dir);
      const sub = names.filter((n) => dirs.has(join(dir, n)));
      out.push([uri(dir), sub, names.filter((n) => !dirs.has(join(dir, n)))]);
      for (const d of sub) visit(join(dir, d));
    };
    visit("");
    return out;
  }
}

/** The figures and the violations of one run. */
interface Results {
  operations: number;
  succeeded: number;
  typed: number;
  /** Typed failures that said the request may have been carried out. */
  uncertain: number;
  /** The typed failures, for the log. */
  typedErrors: string[];
  requests: number;
  faults: number;
  injected: Record<string, number>;
  slowest: { ms: number; op: string };
  violations: Record<FaultInvariant, string[]>;
  /** The last faults the proxy injected, for the log. */
  recent: string[];
}

/** Where the faults come from: the faulty store, the checking one, and the counts. */
interface FaultSource {
  store: BaseArtifactStore;
  clean: BaseArtifactStore;
  requests(): number;
  total(): number;
  injected: Record<string, number>;
  recent: string[];
  /** Stops injecting (the counts stay). */
  disable(): void;
  close(): Promise<void>;
}

/**
 * Registers the fault suite for one cloud store: the run, then one test per invariant.
 *
 * @param options the store factory and the mix's parameters
 */
export function faultSuite(options: FaultSuiteOptions): void {
  const { name } = options;
  // The environment may change the mix, to reproduce or explore a run.
  const knob = (key: string) => {
    const raw = getEnv(`STOWAGE_TEST_FAULT_${key}`);
    return raw ? Number(raw) : undefined;
  };
  const seed = knob("SEED") ?? options.seed ?? 14;
  const rate = knob("RATE") ?? options.rate ?? 0.1;
  const limit = options.opTimeLimitMs ?? 30_000;
  const count = knob("OPERATIONS") ?? options.operations ?? 120;
  const only = getEnv("STOWAGE_TEST_FAULT_KINDS")?.split(",");
  const via = options.proxy ? "the fault proxy" : "a faulty fetch";
  const titles: Record<FaultInvariant, string> = {
    typed: "every failure is an ArtifactStoreError, never a raw TypeError or SyntaxError",
    bytes: "every read that succeeds returns exactly the bytes written",
    answers: "every stat, listdir, glob and walk that succeeds answers what is stored",
    atomic: "a failed write, copy, rename or rmtree leaves old or new content, never part of one",
    time: `no operation takes longer than ${limit / 1000} s`,
    honest: "a failure that changed the stored state says it may have (uncertain)",
    leaks: "no pending upload or uncommitted block is left behind",
  };
  const factory = options.store;
  if (typeof factory === "string") {
    test(`${name}: fault suite`, { skip: factory }, () => {});
    return;
  }
  let results: Results | undefined;
  test(
    `${name}: faults: ${count} seeded operations at a ${rate * 100}% fault rate through ${via}`,
    { timeout: 600_000 },
    async () => {
      const source = await faultSource(factory, options, seed, rate, only);
      try {
        results = await run(source, options, { seed, limit, count });
      } finally {
        await source.close();
      }
      const r = results;
      const kinds = Object.entries(r.injected).map(([k, n]) => `${k} ${n}`).join(", ");
      const v = r.violations;
      const pct = (n: number) => `${(100 * n / Math.max(1, r.operations)).toFixed(1)}%`;
      console.log(
        `fault suite ${name} [${runtimeName()}]: ${r.operations} operations (seed ${seed}, rate ${rate}, ` +
          `through ${via}), ${r.requests} requests, ${r.faults} faults injected (${kinds}); ` +
          `${r.succeeded} succeeded (${pct(r.succeeded)}), ${r.typed} failed typed ` +
          `(${r.uncertain} uncertain), ${v.typed.length} failed untyped; ` +
          `${v.bytes.length} corrupted reads, ${v.answers.length} wrong answers, ${v.atomic.length} half-done, ` +
          `${v.honest.length} applied without saying so, ${v.leaks.length} left behind, ` +
          `${v.time.length} too slow; slowest ${r.slowest.ms} ms (${r.slowest.op})`,
      );
      // The typed failures that say something else than "try again" come first.
      const typed = [...r.typedErrors].sort((a, b) =>
        Number(a.includes("(retryable")) - Number(b.includes("(retryable"))
      );
      for (const line of typed.slice(0, 8)) console.log(`  failed typed: ${line}`);
      for (const inv of Object.keys(v) as FaultInvariant[]) {
        for (const line of v[inv].slice(0, 5)) console.log(`  ${inv}: ${line}`);
      }
      if (Object.values(v).some((x) => x.length) && r.recent.length) {
        console.log(`  the last faults: ${r.recent.slice(-20).join("; ")}`);
      }
      assert.ok(r.faults > 0, "no fault was injected");
    },
  );
  for (const inv of Object.keys(titles) as FaultInvariant[]) {
    if (inv === "leaks" && !options.leftovers) continue;
    const known = options.known?.[inv];
    test(
      `${name}: faults: ${titles[inv]}`,
      { skip: known ? `known failure, fixed by issue 14: ${known}` : undefined },
      () => {
        assert.ok(results, "the fault run did not complete");
        const v = results.violations[inv];
        assert.equal(v.length, 0, `${v.length} violations:\n${v.join("\n")}`);
      },
    );
  }
  test(
    `${name}: faults under load: ${LOAD_SMALL} concurrent small operations and ${LOAD_LARGE} large transfers at a ${
      rate * 100
    }% fault rate`,
    { timeout: 600_000 },
    async () => {
      const source = await faultSource(factory, options, seed + 1, rate, only);
      try {
        await loadRun(source, options, name, limit);
      } finally {
        await source.close();
      }
    },
  );
}

const LOAD_SMALL = 200;
const LOAD_LARGE = 4;

/**
 * Under load: 200 small operations (1 KiB writes, reads, stats, listings) and 4
 * large writes read back, all at once through the faults; then the same checks as
 * the mix: typed errors only, exact bytes, nothing half-written or left behind, a
 * time bound, and memory bounded by the transfers' parts (RSS sampled throughout).
 */
async function loadRun(
  source: FaultSource,
  options: FaultSuiteOptions,
  name: string,
  limit: number,
): Promise<void> {
  const { store, clean } = source;
  const base = `${clean.path.replace(/\/$/, "")}/load`;
  const random = seededRandom(99);
  const small = (i: number) => `${base}/s/f${i}.bin`;
  const seeded = Array.from({ length: 40 }, (_, i) => patternBytes(1024, 500 + i));
  await Promise.all(seeded.map((d, i) => putBytes(clean, small(i), d)));
  const errors: string[] = [];
  const untyped: string[] = [];
  const wrong: string[] = [];
  const writes = new Map<string, Uint8Array>();
  let ok = 0;
  const rss = () =>
    (globalThis as { process?: { memoryUsage(): { rss: number } } }).process
      ?.memoryUsage().rss ?? 0;
  const rss0 = rss();
  let peak = rss0;
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 50);
  const started = Date.now();
  const guard = async (what: string, f: () => Promise<void>) => {
    try {
      await f();
      ok++;
    } catch (e) {
      if (e instanceof ArtifactStoreError) errors.push(`${what}: ${e.name}: ${e.message}`);
      else untyped.push(`${what}: ${(e as Error)?.name}: ${(e as Error)?.message ?? e}`);
    }
  };
  const ops: Promise<void>[] = [];
  for (let i = 0; i < LOAD_SMALL; i++) {
    const k = Math.floor(random() * 4);
    const n = Math.floor(random() * seeded.length);
    if (k === 0) {
      const path = `${base}/w/f${i}.bin`;
      const data = patternBytes(1024, 2000 + i);
      writes.set(path, data);
      ops.push(guard(`write ${path}`, () => putBytes(store, path, data)));
    } else if (k === 1) {
      ops.push(guard(`read ${small(n)}`, async () => {
        const got = await getBytes(store, small(n));
        if (!sameBytes(got, seeded[n])) wrong.push(`read ${small(n)}: ${got.length} bytes`);
      }));
    } else if (k === 2) {
      ops.push(guard(`stat ${small(n)}`, async () => {
        const st = await store.stat(small(n));
        if (st.size !== 1024) wrong.push(`stat ${small(n)}: size ${st.size}`);
      }));
    } else {
      ops.push(guard(`listdir ${base}/s`, async () => {
        const names = await store.listdir(`${base}/s`);
        if (names.length !== seeded.length) wrong.push(`listdir: ${names.length} names`);
      }));
    }
  }
  for (let j = 0; j < LOAD_LARGE; j++) {
    const path = `${base}/l/big${j}.bin`;
    const data = patternBytes(options.largeBytes + j, 3000 + j);
    writes.set(path, data);
    ops.push(guard(`large write and read ${path}`, async () => {
      await putBytes(store, path, data);
      const got = await getBytes(store, path);
      if (!sameBytes(got, data)) wrong.push(`large read ${path}: ${got.length} bytes`);
    }));
  }
  await Promise.all(ops);
  clearInterval(sampler);
  const ms = Date.now() - started;
  // What was written is whole or absent, never part of it.
  const half: string[] = [];
  for (const [path, data] of writes) {
    const now = await getBytes(clean, path).catch((
      e,
    ) => (e instanceof FileNotFoundError ? null : e));
    if (now !== null && !sameBytes(now as Uint8Array, data)) half.push(`${path}: other bytes`);
  }
  const left = options.leftovers ? await options.leftovers(clean, base) : [];
  await clean.rmtree(base).catch(() => {});
  const b = store as unknown as { partSize?: number; concurrency?: number };
  const bound = 256 * 2 ** 20 +
    LOAD_LARGE * (b.partSize ?? 8 * 2 ** 20) * ((b.concurrency ?? 4) + 1);
  const grew = peak - rss0;
  console.log(
    `fault suite ${name} under load [${runtimeName()}]: ${ok} of ${LOAD_SMALL + LOAD_LARGE} ` +
      `succeeded, ${errors.length} failed typed, ${untyped.length} untyped, ${wrong.length} wrong ` +
      `answers, ${half.length} half-written, ${left.length} left behind; ${source.total()} faults ` +
      `in ${source.requests()} requests; ${ms} ms; RSS grew ${(grew / 2 ** 20).toFixed(0)} MiB ` +
      `(bound ${(bound / 2 ** 20).toFixed(0)} MiB)`,
  );
  for (const line of errors.slice(0, 5)) console.log(`  failed typed: ${line}`);
  assert.deepEqual(untyped, [], "every failure is typed");
  assert.deepEqual(wrong, [], "every answer is right");
  assert.deepEqual(half, [], "nothing is half-written");
  assert.deepEqual(left, [], "nothing is left behind");
  assert.ok(ms < limit * 4, `the load finished in ${ms} ms (bound ${limit * 4} ms)`);
  if (rss0 > 0) assert.ok(grew <= bound, `RSS grew ${grew} bytes, more than ${bound}`);
  assert.ok(source.total() > 0, "no fault was injected");
}

/** The faulty and the checking store, through the proxy or a faulty fetch. */
async function faultSource(
  factory: (fetchFn?: typeof fetch) => BaseArtifactStore,
  options: FaultSuiteOptions,
  seed: number,
  rate: number,
  only: string[] | undefined,
): Promise<FaultSource> {
  if (options.proxy) {
    const { upstream, store } = options.proxy;
    const proxy = await startFaultProxy({
      upstream,
      seed,
      rate,
      kinds: only?.filter((k) => (PROXY_FAULTS as readonly string[]).includes(k)) as
        | typeof PROXY_FAULTS[number][]
        | undefined,
    });
    return {
      store: store(proxy.endpoint),
      clean: store(new URL(upstream).origin),
      requests: () => proxy.requests,
      total: () => proxy.total(),
      injected: proxy.injected,
      recent: proxy.recent,
      disable: () => (proxy.enabled = false),
      close: () => proxy.close(),
    };
  }
  const faults = faultyFetch({
    seed,
    rate,
    kinds: only?.filter((k) => (FAULT_KINDS as readonly string[]).includes(k)) as
      | typeof FAULT_KINDS[number][]
      | undefined,
  });
  return {
    store: factory(faults.fetch),
    clean: factory(),
    requests: () => faults.requests,
    total: () => faults.total(),
    injected: faults.injected,
    recent: [],
    disable: () => (faults.enabled = false),
    close: () => Promise.resolve(),
  };
}

async function run(
  source: FaultSource,
  options: FaultSuiteOptions,
  p: { seed: number; limit: number; count: number },
): Promise<Results> {
  const { store, clean } = source;
  assert.equal(store.path, clean.path, "the factory must give one root");
  const base = `${clean.path.replace(/\/$/, "")}/faults-${p.seed}`;
  const uri = (rel: string) => (rel ? `${base}/${rel}` : base);
  const model = new Model();
  const v: Results["violations"] = {
    typed: [],
    bytes: [],
    answers: [],
    atomic: [],
    time: [],
    honest: [],
    leaks: [],
  };
  const out: Results = {
    operations: 0,
    succeeded: 0,
    typed: 0,
    uncertain: 0,
    typedErrors: [],
    requests: 0,
    faults: 0,
    injected: source.injected,
    slowest: { ms: 0, op: "" },
    violations: v,
    recent: source.recent,
  };
  /** The stored bytes, read without faults (null: absent). */
  const stored = (rel: string) =>
    getBytes(clean, uri(rel)).catch((e) => {
      if (e instanceof FileNotFoundError) return null;
      throw e;
    });
  /** Checks one path's stored content is one of `allowed` (after a failure). */
  const expectOneOf = async (what: string, rel: string, allowed: (Uint8Array | null)[]) => {
    const now = await stored(rel);
    if (!allowed.some((a) => sameBytes(a, now))) {
      v.atomic.push(
        `${what}: '${rel}' holds ${now === null ? "nothing" : `${now.length} other bytes`}`,
      );
    }
    return now;
  };
  const expectListing = async (what: string, dir: string, maybe: string[]) => {
    const want = model.listdir(dir);
    const got = await clean.listdir(uri(dir)).catch(() => [] as string[]);
    const stray = got.filter((n) => !want.includes(n) && !maybe.includes(n));
    if (stray.length) v.atomic.push(`${what}: stray names in '${dir}': ${stray.join(", ")}`);
  };

  for (const op of plan(p.seed, p.count, options.largeBytes, options.largeWrites ?? 3)) {
    const what = describe(op);
    const before = source.total();
    const data = op.kind === "write" || op.kind === "abort"
      ? patternBytes(op.size, op.dataSeed)
      : undefined;
    const started = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${p.limit} ms`)), p.limit * 2);
    });
    let error: unknown;
    try {
      await Promise.race([attempt(store, op, uri, model, data, v, what), timeout]);
    } catch (e) {
      error = e;
    } finally {
      clearTimeout(timer);
    }
    const ms = Date.now() - started;
    out.operations++;
    if (ms > out.slowest.ms) out.slowest = { ms, op: what };
    if (ms > p.limit) v.time.push(`${what}: ${ms} ms`);
    if (error instanceof Error && /^timed out after/.test(error.message)) {
      v.time.push(`${what}: still running after ${p.limit * 2} ms; the run stops here`);
      break;
    }
    const hits = source.total() - before;
    if (error === undefined) out.succeeded++;
    else if (error instanceof ArtifactStoreError) {
      out.typed++;
      if (error.uncertain) out.uncertain++;
      const retry = error.retryable ? "retryable" : "not retryable";
      const maybe = error.uncertain ? ", uncertain" : "";
      out.typedErrors.push(
        `${what} (${hits} faults): ${error.name} (${retry}${maybe}): ${error.message}`,
      );
    } else {
      const e = error as Error;
      v.typed.push(`${what} (${hits} faults): ${e?.name}: ${e?.message ?? e}`);
    }
    // Bring the store to what the operation should have made, checking what the
    // failure left (the model still holds the state before the operation).
    if (error !== undefined || op.kind === "abort") {
      const uncertain = error instanceof ArtifactStoreError && error.uncertain;
      await repair(op, data, uncertain, {
        clean,
        uri,
        model,
        expectOneOf,
        expectListing,
        stored,
        v,
      });
    }
    apply(op, model, data);
  }

  // The whole stored tree is what the operations made.
  const tree: WalkEntry[] = [];
  for await (const e of clean.walk(base)) tree.push(e);
  if (JSON.stringify(tree) !== JSON.stringify(model.walk(uri))) {
    v.atomic.push(
      `final tree: ${JSON.stringify(tree)} instead of ${JSON.stringify(model.walk(uri))}`,
    );
  }
  for (const [rel, bytes] of model.files) {
    if (!sameBytes(await stored(rel), bytes)) {
      v.atomic.push(`final tree: '${rel}' does not hold its bytes`);
    }
  }
  if (options.leftovers) {
    for (const line of await options.leftovers(clean, base)) v.leaks.push(line);
  }
  out.requests = source.requests();
  out.faults = source.total();
  source.disable();
  await clean.rmtree(base).catch(() => {});
  return out;
}

/** Runs one operation on the faulty store; checks the answer when it succeeds. */
async function attempt(
  store: BaseArtifactStore,
  op: Op,
  uri: (rel: string) => string,
  model: Model,
  data: Uint8Array | undefined,
  v: Results["violations"],
  what: string,
): Promise<void> {
  const wrong = (got: unknown, want: unknown) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      v.answers.push(`${what}: ${JSON.stringify(got)} instead of ${JSON.stringify(want)}`);
    }
  };
  switch (op.kind) {
    case "write":
      return await putBytes(store, uri(op.path), data!);
    case "abort": {
      const w = (await store.open(uri(op.path), "wb")).getWriter();
      for (let i = 0; i < data!.length; i += 1 << 20) {
        await w.write(data!.subarray(i, i + (1 << 20)));
      }
      return await w.abort(new Error("aborted by the fault suite"));
    }
    case "read":
    case "range": {
      const want = model.files.get(op.path)!;
      const range = op.kind === "range" ? { start: op.start, end: op.end } : undefined;
      const got = await getBytes(store, uri(op.path), range);
      const expected = range ? want.slice(range.start, range.end) : want;
      if (!sameBytes(got, expected)) {
        v.bytes.push(`${what}: ${got.length} bytes, not the ${expected.length} written`);
      }
      return;
    }
    case "stat": {
      const st = await store.stat(uri(op.path));
      return wrong([st.size, st.isDirectory], [model.files.get(op.path)!.length, false]);
    }
    case "listdir":
      return wrong(await store.listdir(uri(op.path)), model.listdir(op.path));
    case "glob": {
      const want = op.pattern === "**/*.bin"
        ? [...model.files.keys()].map(uri)
        : model.listdir(parent(op.pattern)).map((n) => uri(join(parent(op.pattern), n)));
      return wrong(await store.glob(uri(op.pattern)), want.sort());
    }
    case "walk": {
      const errors: unknown[] = [];
      const got: WalkEntry[] = [];
      for await (const e of store.walk(uri(""), { onerror: (e) => errors.push(e) })) got.push(e);
      // A walk that met errors reports them (the first is what it throws here).
      if (errors.length) throw errors.find((e) => !(e instanceof ArtifactStoreError)) ?? errors[0];
      return wrong(got, model.walk(uri));
    }
    case "copy":
      return await store.copyfile(uri(op.path), uri(op.to), { overwrite: true });
    case "rename":
      return await store.rename(uri(op.path), uri(op.to), { overwrite: true });
    case "rmtree":
      return await store.rmtree(uri(op.path));
  }
}

/** The model after an operation that succeeded. */
function apply(op: Op, model: Model, data: Uint8Array | undefined): void {
  switch (op.kind) {
    case "write":
      model.files.set(op.path, data!);
      break;
    case "copy":
    case "rename":
      model.files.set(op.to, model.files.get(op.path)!);
      if (op.kind === "rename") model.files.delete(op.path);
      break;
    case "rmtree":
      for (const f of [...model.files.keys()]) if (below(f, op.path)) model.files.delete(f);
      break;
  }
}

/**
 * After a failed (or aborted) operation: checks what it left, then does it without
 * faults. `uncertain`: the failure said the request may have been carried out.
 */
async function repair(
  op: Op,
  data: Uint8Array | undefined,
  uncertain: boolean,
  c: {
    clean: BaseArtifactStore;
    uri: (rel: string) => string;
    model: Model;
    stored: (rel: string) => Promise<Uint8Array | null>;
    expectOneOf: (
      what: string,
      rel: string,
      allowed: (Uint8Array | null)[],
    ) => Promise<Uint8Array | null>;
    expectListing: (what: string, dir: string, maybe: string[]) => Promise<void>;
    v: Results["violations"];
  },
): Promise<void> {
  const what = `failed ${describe(op)}`;
  const old = (rel: string) => c.model.files.get(rel) ?? null;
  const name = (rel: string) => rel.slice(rel.lastIndexOf("/") + 1);
  // A change the failure did not own up to.
  const applied = (rel: string, now: Uint8Array | null, was: Uint8Array | null) => {
    if (!uncertain && !sameBytes(now, was)) {
      c.v.honest.push(`${what}: '${rel}' changed, and the error did not say it may have`);
    }
  };
  switch (op.kind) {
    case "write": {
      const now = await c.expectOneOf(what, op.path, [old(op.path), data!]);
      applied(op.path, now, old(op.path));
      await c.expectListing(what, parent(op.path), [name(op.path)]);
      return await putBytes(c.clean, c.uri(op.path), data!);
    }
    case "abort":
      // Aborted: the old content (or nothing), never the new, and no stray name.
      await c.expectOneOf(`${what} (aborted)`, op.path, [old(op.path)]);
      await c.expectListing(`${what} (aborted)`, parent(op.path), []);
      return;
    case "copy": {
      await c.expectOneOf(what, op.path, [old(op.path)]);
      const now = await c.expectOneOf(what, op.to, [old(op.to), old(op.path)]);
      applied(op.to, now, old(op.to));
      await c.expectListing(what, parent(op.to), [name(op.to)]);
      return await c.clean.copyfile(c.uri(op.path), c.uri(op.to), { overwrite: true });
    }
    case "rename": {
      const src = await c.expectOneOf(what, op.path, [old(op.path), null]);
      const dst = await c.expectOneOf(what, op.to, [old(op.to), old(op.path)]);
      applied(op.path, src, old(op.path));
      if (src === null && !sameBytes(dst, old(op.path))) {
        c.v.atomic.push(`${what}: the data is lost`);
      }
      await c.expectListing(what, parent(op.to), [name(op.to)]);
      if (src !== null) await c.clean.rename(c.uri(op.path), c.uri(op.to), { overwrite: true });
      return;
    }
    case "rmtree":
      // Not atomic: some files may be gone, but those left are intact.
      for (const [rel, bytes] of c.model.files) {
        if (below(rel, op.path)) await c.expectOneOf(what, rel, [bytes, null]);
      }
      if (await c.clean.exists(c.uri(op.path))) await c.clean.rmtree(c.uri(op.path));
      return;
  }
}
