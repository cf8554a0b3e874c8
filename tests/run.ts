// `deno task test`: starts the emulators the suites need (each on 127.0.0.1, port 0),
// runs every *_test.ts under `deno test`, `bun test` and Node 20
// (`node --import tsx --test`), prints the counts per runtime and one closing line
// `N passed, N failed, N skipped`, stops the emulators, and exits non-zero on any
// failure.
//
// Options: `--runtimes=deno,bun,node,doc` (default all; `doc` runs the JSDoc examples), `--emulators=ceph,fauxqs,…`
// or `--emulators=none`, and file filters (substrings of test file paths).
//
// A fresh clone needs nothing but Deno (also as `npx deno@2.9.6 task test`): the runner
// installs what is missing first (tests/_deps.ts) — the npm packages of the library and of
// the test tooling when missing or stale against their lockfiles, Bun, and Debian's
// radosgw when this is root on Debian — and skips, with the reason, what it could not get.

import { spawn } from "node:child_process";
import process from "node:process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { Emulator } from "./emulators/types.ts";
import {
  denoBinDir,
  ensureBun,
  ensureNpm,
  ensureRadosgw,
  ROOT,
  TEST_NODE_MODULES,
  TOOLING,
  tsxImport,
} from "./_deps.ts";

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

type Launcher = () => Promise<Emulator>;

/** Emulator launchers, loaded lazily so a missing one only skips its suites. */
const LAUNCHERS: Record<string, () => Promise<Launcher>> = {
  ceph: async () => (await import("./emulators/ceph.ts")).startCeph,
  fauxqs: async () => (await import("./emulators/fauxqs.ts")).startFauxqs,
  azurite: async () => (await import("./emulators/azurite.ts")).startAzurite,
  gcs: async () => (await import("./emulators/gcs.ts")).startGcs,
};

function parseArgs(args: string[]) {
  let runtimes = ["deno", "bun", "node", "doc"];
  let emulators = Object.keys(LAUNCHERS);
  const filters: string[] = [];
  for (const a of args) {
    if (a.startsWith("--runtimes=")) {
      runtimes = a.slice(11).split(",").filter(Boolean);
    } else if (a.startsWith("--emulators=")) {
      const v = a.slice(12);
      emulators = v === "none" ? [] : v.split(",").filter(Boolean);
    } else filters.push(a);
  }
  // A filtered run is about test files: the doc tier runs only when asked for by name.
  if (filters.length > 0 && !args.some((a) => a.startsWith("--runtimes="))) {
    runtimes = runtimes.filter((r) => r !== "doc");
  }
  return { runtimes, emulators, filters };
}

async function findTests(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "node_modules" && e.name !== "fixtures") {
        out.push(...await findTests(p));
      }
    } else if (e.name.endsWith("_test.ts")) out.push(p);
  }
  return out.sort();
}

function strip(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, "");
}

function parseCounts(runtime: string, output: string): Counts | null {
  const o = strip(output);
  if (runtime === "doc") runtime = "deno";
  const num = (re: RegExp) => {
    const all = [...o.matchAll(re)];
    return all.length ? all.reduce((n, m) => n + Number(m[1]), 0) : null;
  };
  if (runtime === "deno") {
    const m = /(?:ok|FAILED) \| (\d+) passed[^|]*\| (\d+) failed[^|\n]*(?:\| (\d+) ignored)?/
      .exec(o);
    if (!m) return null;
    return { passed: +m[1], failed: +m[2], skipped: +(m[3] ?? 0) };
  }
  if (runtime === "bun") {
    const passed = num(/^\s*(\d+) pass$/gm);
    const failed = num(/^\s*(\d+) fail$/gm);
    if (passed === null && failed === null) return null;
    return {
      passed: passed ?? 0,
      failed: failed ?? 0,
      skipped: num(/^\s*(\d+) skip$/gm) ?? 0,
    };
  }
  const passed = num(/^# pass (\d+)$/gm);
  if (passed === null) return null;
  return {
    passed,
    failed: (num(/^# fail (\d+)$/gm) ?? 0) +
      (num(/^# cancelled (\d+)$/gm) ?? 0),
    skipped: num(/^# skipped (\d+)$/gm) ?? 0,
  };
}

function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<[number, string]> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, ...env, NO_COLOR: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", (err) => resolve([127, `${out}\n${err}`]));
    child.on("close", (code) => resolve([code ?? 1, out]));
  });
}

/** The Deno running this script: `deno` may not be on PATH (`npx deno@… task test`). */
// deno-lint-ignore no-explicit-any
const DENO: string = (globalThis as any).Deno?.execPath?.() ?? "deno";

/**
 * Installs what the chosen runtimes and emulators need and is missing, and says what
 * could not be had: runtimes left out (with the reason) and emulators that cannot start.
 */
async function prepare(runtimes: string[], emulators: string[]) {
  const log = (l: string) => console.log(l);
  const skippedRuntimes = new Map<string, string>();
  const unavailable = new Map<string, string>();
  const lib = await ensureNpm(ROOT, log);
  const tools = await ensureNpm(TOOLING, log);
  if (lib) {
    for (const r of ["bun", "node"]) {
      skippedRuntimes.set(r, `the library's npm packages: ${lib}`);
    }
  }
  if (tools) {
    skippedRuntimes.set(
      "node",
      `the test tooling (tsx) in ${TEST_NODE_MODULES}: ${tools}`,
    );
    for (const e of emulators) {
      if (e !== "ceph") {
        unavailable.set(e, `the test tooling's npm packages: ${tools}`);
      }
    }
  }
  if (runtimes.includes("bun") && !skippedRuntimes.has("bun")) {
    const why = await ensureBun(log);
    if (why) skippedRuntimes.set("bun", why);
  }
  if (emulators.includes("ceph")) {
    const why = await ensureRadosgw(log);
    if (why) unavailable.set("ceph", why);
  }
  return { skippedRuntimes, unavailable };
}

function commandFor(runtime: string, files: string[]): [string, string[]] {
  // The JSDoc examples of the published modules, type-checked and run (`deno test --doc`).
  const deno = DENO;
  if (runtime === "doc") {
    return [deno, ["test", "-A", "--doc", "mod.ts", "src/", "flavors/"]];
  }
  const rel = files.map((f) => relative(ROOT, f));
  if (runtime === "deno") return [deno, ["test", "-A", "--no-check", ...rel]];
  if (runtime === "bun") {
    return ["bun", [
      "test",
      "--timeout",
      "300000",
      ...rel.map((f) => `./${f}`),
    ]];
  }
  return ["node", [
    "--import",
    tsxImport(),
    "--test",
    "--test-concurrency=1",
    ...rel,
  ]];
}

/** Prints the failing part of a runner's output. */
function failureExcerpt(runtime: string, output: string): string {
  const o = strip(output);
  if (runtime === "deno" || runtime === "doc") {
    const i = o.indexOf(" ERRORS ");
    return (i >= 0 ? o.slice(i) : o.slice(-6000)).slice(0, 12000);
  }
  const lines = o.split("\n");
  const keep: string[] = [];
  lines.forEach((l, i) => {
    if (/^(not ok|\(fail\)|✗)|^\s+not ok|error:/i.test(l)) {
      keep.push(...lines.slice(Math.max(0, i - 2), i + 25));
    }
  });
  return (keep.length ? keep.join("\n") : o.slice(-6000)).slice(0, 12000);
}

async function main() {
  const { runtimes, emulators, filters } = parseArgs(process.argv.slice(2));
  const tmp = await mkdtemp(join(tmpdir(), "stowage-test-"));
  const env: Record<string, string> = { STOWAGE_TEST_TMP: tmp };
  const running: Emulator[] = [];
  const emulatorInfo: Record<string, unknown> = {};
  const notes: string[] = [];
  const stopAll = async () => {
    await Promise.all(running.map((e) => e.stop().catch(() => {})));
    await rm(tmp, { recursive: true, force: true });
  };
  process.on("SIGINT", () => void stopAll().then(() => process.exit(130)));

  // Children that run `deno` find the one running this script.
  const bin = denoBinDir();
  if (bin) env.PATH = `${bin}:${process.env.PATH ?? ""}`;
  const t0 = Date.now();
  const { skippedRuntimes, unavailable } = await prepare(runtimes, emulators);
  await Promise.all(emulators.map(async (name) => {
    const started = Date.now();
    const missing = unavailable.get(name);
    if (missing) {
      emulatorInfo[name] = { error: missing };
      notes.push(
        `emulator ${name}: not started, its suites are skipped: ${missing}`,
      );
      return;
    }
    try {
      const launch = await LAUNCHERS[name]();
      const emu = await launch();
      running.push(emu);
      emulatorInfo[name] = { endpoint: emu.endpoint, env: emu.env };
      notes.push(
        `emulator ${name}: ${emu.endpoint} (${Date.now() - started} ms)`,
      );
    } catch (err) {
      emulatorInfo[name] = { error: (err as Error).message };
      notes.push(
        `emulator ${name}: not started, its suites are skipped: ${(err as Error).message}`,
      );
    }
  }));
  for (const n of notes) console.log(n);
  env.STOWAGE_TEST_EMULATORS = JSON.stringify(emulatorInfo);

  const all = await findTests(join(ROOT, "tests"));
  const files = filters.length ? all.filter((f) => filters.some((x) => f.includes(x))) : all;
  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  let crashed = false;
  try {
    for (const runtime of runtimes) {
      const skip = skippedRuntimes.get(runtime);
      if (skip) {
        console.log(`${runtime}: SKIPPED, not run: ${skip}`);
        continue;
      }
      const started = Date.now();
      const [cmd, args] = commandFor(runtime, files);
      const [code, output] = await run(cmd, args, env);
      await writeFile(join(tmp, `${runtime}.log`), output).catch(() => {});
      const counts = parseCounts(runtime, output);
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      if (!counts) {
        crashed = true;
        console.log(
          `${runtime}: the runner printed no counts (exit ${code}) in ${secs}s`,
        );
        console.log(strip(output).slice(-8000));
        continue;
      }
      console.log(
        `${runtime}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped (${secs}s)`,
      );
      if (counts.failed > 0 || code !== 0) {
        if (counts.failed === 0) crashed = true;
        console.log(
          `---- ${runtime} failures ----\n${failureExcerpt(runtime, output)}\n----`,
        );
      }
      total.passed += counts.passed;
      total.failed += counts.failed;
      total.skipped += counts.skipped;
    }
  } finally {
    await stopAll();
  }
  console.log(`total time ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  console.log(
    `${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`,
  );
  process.exit(total.failed > 0 || crashed ? 1 : 0);
}

await main();
