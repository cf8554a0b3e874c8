/**
 * Stowage's benchmark suite (`deno task bench`, `deno task bench --full`).
 *
 * Installs the SDKs it compares against into `bench/node_modules` when they are
 * missing (`npm ci --prefix bench --ignore-scripts`: they are dev-only
 * dependencies of the bench, never of the library), starts the emulators with
 * the test suite's launchers (127.0.0.1, port 0), runs the sections, stops the
 * emulators, writes `bench/results/<date>-<runtime>.json` plus one combined
 * `bench/results/<date>-all.json`, and renders `docs/benchmarks.md` and
 * `docs/benchmarks.svg` from this run.
 *
 * Options:
 * - `--full`: the full tier (1 GiB transfers, 10,000 listed objects, 5 runs,
 *   every section on every runtime); default the quick tier.
 * - `--only=small,large,…`: run only these sections (small, large, listing,
 *   limit, nullsdk, coldstart, size, local, serve).
 *   `--only=size` needs no emulators and takes seconds.
 * - `--runtimes=deno,node,bun`: the runtimes of the per-runtime sections.
 * - `--backends=s3-fauxqs,s3-ceph,azure,gcs`: the backends measured.
 * - `--runs=N`: repetitions (default 3 quick, 5 full).
 * - `--render=bench/results/X-all.json`: only re-render the page from a result.
 * - `--page`: with `--only`, render the page from this partial run anyway (by
 *   default a partial run writes `<date>-partial-<sections>.json` and leaves the
 *   page and the complete run's files alone).
 *
 * Speed is measured here and asserted nowhere: this is not part of `deno task test`.
 *
 * @module
 */

import process from "node:process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureNpm, ROOT as ROOT_DIR } from "../tests/_deps.ts";
import { BACKEND_EMULATOR, type BackendInfo } from "./lib/backends.ts";
import type { Context } from "./lib/context.ts";
import { type EmulatorState, startEmulators } from "./lib/emulators.ts";
import { loadSampler, machineInfo, versions } from "./lib/machine.ts";
import { type BenchReport, renderPage } from "./lib/render.ts";
import { BENCH, ROOT, runProcess, type Runtime, RUNTIMES } from "./lib/spawn.ts";
import { emptyResult, errorText, merge, type SectionResult } from "./lib/stats.ts";

/** A section: its id, title, whether it needs emulators, and its runner. */
interface Section {
  id: string;
  title: string;
  emulators: boolean;
  run: (ctx: Context) => Promise<SectionResult>;
}

const SECTIONS: Section[] = [
  {
    id: "small",
    title: "Small objects",
    emulators: true,
    run: async (c) => (await import("./sections/small.ts")).run(c),
  },
  {
    id: "listing",
    title: "Listing",
    emulators: true,
    run: async (c) => (await import("./sections/listing.ts")).run(c),
  },
  {
    id: "large",
    title: "Large objects",
    emulators: true,
    run: async (c) => (await import("./sections/large.ts")).run(c),
  },
  {
    id: "limit",
    title: "The physical limit",
    emulators: false,
    run: async (c) => (await import("./sections/limit.ts")).run(c),
  },
  {
    id: "nullsdk",
    title: "The SDKs on the null server",
    emulators: false,
    run: async (c) => (await import("./sections/nullsdk.ts")).run(c),
  },
  {
    id: "coldstart",
    title: "Cold start",
    emulators: false,
    run: async (c) => (await import("./sections/coldstart.ts")).run(c),
  },
  {
    id: "size",
    title: "Bundle size",
    emulators: false,
    run: async (c) => (await import("./sections/size.ts")).run(c),
  },
  {
    id: "local",
    title: "Local files",
    emulators: false,
    run: async (c) => (await import("./sections/local.ts")).run(c),
  },
  {
    id: "serve",
    title: "The http flavor to the Hono server",
    emulators: false,
    run: async (c) => (await import("./sections/serve.ts")).run(c),
  },
];

interface Options {
  full: boolean;
  only?: string[];
  runtimes: Runtime[];
  backends: string[];
  runs?: number;
  render?: string;
  page: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    full: false,
    page: false,
    runtimes: [...RUNTIMES],
    backends: Object.keys(BACKEND_EMULATOR),
  };
  const list = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);
  for (const a of argv) {
    if (a === "--full") o.full = true;
    else if (a.startsWith("--only=")) o.only = list(a.slice(7));
    else if (a.startsWith("--runtimes=")) {
      o.runtimes = list(a.slice(11)) as Runtime[];
    } else if (a.startsWith("--backends=")) o.backends = list(a.slice(11));
    else if (a.startsWith("--runs=")) {
      o.runs = Math.max(1, Number(a.slice(7)) | 0);
    } else if (a.startsWith("--render=")) o.render = a.slice(9);
    else {
      console.error(`unknown option '${a}' (see the header of bench/mod.ts)`);
      process.exit(2);
    }
  }
  for (const id of o.only ?? []) {
    if (!SECTIONS.some((s) => s.id === id)) {
      console.error(
        `unknown section '${id}' (known: ${SECTIONS.map((s) => s.id).join(", ")})`,
      );
      process.exit(2);
    }
  }
  return o;
}

/** Installs the bench's SDKs into bench/node_modules when any is missing. */
async function ensureDeps(): Promise<void> {
  const pkgs = [
    "@aws-sdk/client-s3",
    "@aws-sdk/lib-storage",
    "@azure/storage-blob",
    "@google-cloud/storage",
  ];
  if (
    pkgs.every((p) => existsSync(`${BENCH}/node_modules/${p}/package.json`))
  ) return;
  console.log(
    "installing the SDKs the bench compares against: npm ci --prefix bench --ignore-scripts",
  );
  const r = await runProcess(
    "npm",
    ["ci", "--prefix", "bench", "--ignore-scripts", "--no-audit", "--no-fund"],
    { timeoutMs: 10 * 60_000 },
  );
  if (r.code !== 0) {
    throw new Error(
      `npm ci --prefix bench failed (exit ${r.code}): ${r.stderr.slice(-2000)}`,
    );
  }
}

/**
 * Writes the results: for a complete run `<date>-<runtime>.json` (that runtime's
 * measurements, with every note) and `<date>-all.json`; for a run with `--only`
 * one `<date>-partial-<sections>.json`, so that it never replaces a complete run.
 */
async function writeResults(report: BenchReport, partial: boolean): Promise<string[]> {
  const dir = `${BENCH}/results`;
  await mkdir(dir, { recursive: true });
  const stamp = report.date.slice(0, 10);
  const json = (x: unknown) => JSON.stringify(x, null, 1) + "\n";
  if (partial) {
    const file = `${dir}/${stamp}-partial-${report.sectionsRun.join("-")}.json`;
    await writeFile(file, json(report));
    return [file];
  }
  const written: string[] = [];
  const byRuntime = new Map<string, SectionResult>();
  for (const m of report.result.measurements) {
    const rt = m.runtime === "-" ? "any" : m.runtime;
    if (!byRuntime.has(rt)) {
      byRuntime.set(rt, { ...report.result, measurements: [] });
    }
    byRuntime.get(rt)!.measurements.push(m);
  }
  for (const [rt, res] of byRuntime) {
    const file = `${dir}/${stamp}-${rt}.json`;
    await writeFile(file, json({ ...report, result: res, runtime: rt }));
    written.push(file);
  }
  const all = `${dir}/${stamp}-all.json`;
  await writeFile(all, json(report));
  written.push(all);
  return written;
}

async function render(report: BenchReport): Promise<void> {
  const { markdown, svg } = renderPage(report);
  await mkdir(`${ROOT}/docs`, { recursive: true });
  await writeFile(`${ROOT}/docs/benchmarks.md`, markdown);
  await writeFile(`${ROOT}/docs/benchmarks.svg`, svg);
  // The page and the chart must pass `deno fmt --check` like every other file.
  await runProcess("deno", [
    "fmt",
    "--config",
    `${ROOT}/deno.json`,
    "docs/benchmarks.md",
    "docs/benchmarks.svg",
  ]);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.render) {
    await render(JSON.parse(await readFile(o.render, "utf8")) as BenchReport);
    console.log("rendered docs/benchmarks.md and docs/benchmarks.svg");
    return;
  }
  const t0 = performance.now();
  for (const dir of [ROOT_DIR, `${ROOT_DIR}/tests/tooling`]) {
    const why = await ensureNpm(dir, (l) => console.log(l));
    if (why) throw new Error(why);
  }
  await ensureDeps();
  const sections = SECTIONS.filter((s) => !o.only || o.only.includes(s.id));
  const machine = machineInfo();
  const load = loadSampler();
  const tmp = await mkdtemp(join(tmpdir(), "stowage-bench-"));
  const needed = sections.some((s) => s.emulators)
    ? [
      ...new Set(
        o.backends.map((b) => BACKEND_EMULATOR[b]?.emulator).filter(Boolean),
      ),
    ]
    : [];
  console.log(
    `tier: ${o.full ? "full" : "quick"}; sections: ${sections.map((s) => s.id).join(", ")}`,
  );
  const emus = await startEmulators(needed);
  const stopAll = async () => {
    await emus.stop();
    await rm(tmp, { recursive: true, force: true });
  };
  process.on("SIGINT", () => void stopAll().then(() => process.exit(130)));
  const backends: BackendInfo[] = [];
  const missing: { id: string; reason: string }[] = [];
  for (const id of o.backends) {
    const spec = BACKEND_EMULATOR[id];
    if (!spec) {
      missing.push({ id, reason: `unknown backend '${id}'` });
      continue;
    }
    const st: EmulatorState | undefined = emus.state[spec.emulator];
    if (st?.ok) {
      backends.push({
        id,
        kind: spec.kind,
        emulator: spec.emulator,
        env: st.env,
      });
    } else if (st) missing.push({ id, reason: st.reason });
  }
  for (const [name, st] of Object.entries(emus.state)) {
    console.log(
      st.ok ? `emulator ${name}: ${st.endpoint} (${st.startMs.toFixed(0)} ms)` : st.reason,
    );
  }
  const ctx: Context = {
    full: o.full,
    runs: o.runs ?? (o.full ? 5 : 3),
    runtimes: o.runtimes,
    backends,
    missing,
    tmp,
    log: (msg) =>
      console.log(
        `  ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s ${msg}`,
      ),
  };
  const result = emptyResult();
  const timings: Record<string, number> = {};
  try {
    for (const s of sections) {
      const started = performance.now();
      console.log(`== ${s.id}: ${s.title}`);
      try {
        const r = await s.run(ctx);
        result.noteSections ??= {};
        for (const n of r.notes) result.noteSections[n] = s.id;
        merge(result, r);
      } catch (err) {
        result.notMeasured.push({
          section: s.id,
          what: "the whole section",
          reason: errorText(err),
        });
        console.log(`  ${s.id} failed: ${errorText(err)}`);
      }
      timings[s.id] = (performance.now() - started) / 1000;
      console.log(`  ${s.id} took ${timings[s.id].toFixed(0)} s`);
    }
  } finally {
    await stopAll();
  }
  machine.load.mean = load.stop();
  machine.load.end = (await import("node:os")).loadavg()[0];
  const report: BenchReport = {
    date: new Date().toISOString(),
    tier: o.full ? "full" : "quick",
    runs: ctx.runs,
    sectionsRun: sections.map((s) => s.id),
    sectionSeconds: timings,
    totalSeconds: (performance.now() - t0) / 1000,
    machine,
    versions: await versions(),
    emulators: Object.fromEntries(
      Object.entries(emus.state).map((
        [k, v],
      ) => [k, v.ok ? "started" : v.reason]),
    ),
    result,
  };
  const partial = o.only !== undefined && !o.page;
  const files = await writeResults(report, o.only !== undefined);
  if (!partial) await render(report);
  for (const n of result.notMeasured) {
    console.log(`not measured: ${n.section}: ${n.what}: ${n.reason}`);
  }
  console.log(`wrote ${files.map((f) => f.slice(ROOT.length + 1)).join(", ")}`);
  console.log(
    partial
      ? "docs/benchmarks.md left as it was (a run with --only renders it only with --page)"
      : "rendered docs/benchmarks.md and docs/benchmarks.svg",
  );
  console.log(`total ${(report.totalSeconds / 60).toFixed(1)} min`);
}

await main();
