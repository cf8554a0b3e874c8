// What the test and bench tasks install for themselves, so that a fresh clone with only
// Deno runs `deno task test`: the npm packages of the library (`package.json`, for Bun and
// Node, with fast-check for the property tests) and of the test tooling
// (`tests/tooling/package.json`: emulators, tsx, esbuild, miniflare; in a folder of its own so
// that no test file resolves a second copy of hono or valibot, and Deno sees no nested package), each `npm ci`-ed when its node_modules is missing or older than its
// lockfile; Bun when it is missing; Debian's radosgw (Ceph) when it is missing and this is
// root on Debian. What cannot be installed is reported, and the runner skips what needs it.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(
  /\/$/,
  "",
);

export const TOOLING = join(ROOT, "tests", "tooling");

/** The test tooling's node_modules. */
export const TEST_NODE_MODULES = join(TOOLING, "node_modules");

/**
 * A file URL for importing a package of the test tooling from anywhere (Node resolves bare
 * names from the importing file, and the tooling is not on that path).
 *
 * @param name the package name
 * @param entry its entry file inside the package
 * @returns the URL to pass to `import()`
 */
export function toolingImport(name: string, entry: string): string {
  return pathToFileURL(join(TEST_NODE_MODULES, name, entry)).href;
}

/** The pinned Bun the suites run under. */
export const BUN_VERSION = "1.4.5";

/**
 * The `--import` argument that makes Node run TypeScript (tsx, from the test tooling):
 * an absolute file URL, so it works from any working directory.
 */
export function tsxImport(): string {
  return pathToFileURL(join(TEST_NODE_MODULES, "tsx", "dist", "loader.mjs"))
    .href;
}

/** The outcome of a command run to completion. */
interface Ran {
  code: number;
  output: string;
}

function runQuiet(cmd: string, args: string[], cwd = ROOT): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on(
      "error",
      (err) => resolve({ code: 127, output: `${output}${err.message}` }),
    );
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

async function has(cmd: string): Promise<boolean> {
  return (await runQuiet("sh", ["-c", `command -v ${cmd}`])).code === 0;
}

const STAMP = ".stowage-lock-sha256";

function lockHash(dir: string): string | null {
  const lock = join(dir, "package-lock.json");
  if (!existsSync(lock)) return null;
  return createHash("sha256").update(readFileSync(lock)).digest("hex");
}

/**
 * Runs `npm ci --ignore-scripts` in `dir` unless its node_modules was installed from the
 * same lockfile (a stamp file holds the lockfile's hash).
 *
 * @param dir a folder with package.json and package-lock.json
 * @param log where progress lines go
 * @returns null when the packages are there, else why they are not
 */
export async function ensureNpm(
  dir: string,
  log: (line: string) => void,
): Promise<string | null> {
  const hash = lockHash(dir);
  if (hash === null) return `${join(dir, "package-lock.json")} is missing`;
  const stamp = join(dir, "node_modules", STAMP);
  if (existsSync(stamp) && readFileSync(stamp, "utf8").trim() === hash) {
    return null;
  }
  if (!(await has("npm"))) {
    return "npm is not on PATH, so the npm packages cannot be installed";
  }
  const where = dir === ROOT ? "." : dir.slice(ROOT.length + 1);
  log(
    `installing npm packages in ${where} (npm ci --ignore-scripts): missing or stale`,
  );
  const started = Date.now();
  const r = await runQuiet(
    "npm",
    ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
    dir,
  );
  if (r.code !== 0) {
    return `npm ci in ${where} failed (exit ${r.code}): ${r.output.slice(-1500)}`;
  }
  await writeFile(stamp, hash + "\n");
  log(
    `installed npm packages in ${where} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
  );
  return null;
}

/**
 * Installs Bun with npm when it is not on PATH.
 *
 * @param log where progress lines go
 * @returns null when `bun` runs, else why it does not
 */
export async function ensureBun(
  log: (line: string) => void,
): Promise<string | null> {
  if (await has("bun")) return null;
  if (!(await has("npm"))) {
    return "bun is not installed and npm is not on PATH to install it";
  }
  log(`installing Bun ${BUN_VERSION} (npm install -g bun@${BUN_VERSION})`);
  const r = await runQuiet("npm", [
    "install",
    "-g",
    "--no-audit",
    "--no-fund",
    `bun@${BUN_VERSION}`,
  ]);
  if (r.code !== 0 || !(await has("bun"))) {
    return `bun is not installed and 'npm install -g bun@${BUN_VERSION}' failed: ${
      r.output.slice(-500)
    }`;
  }
  return null;
}

/**
 * Installs Debian's Ceph RGW packages (radosgw, ceph-mon, ceph-osd) when they are missing
 * and this is root on a machine with apt-get; the Ceph suites need them.
 *
 * @param log where progress lines go
 * @returns null when radosgw is there, else why it is not
 */
export async function ensureRadosgw(
  log: (line: string) => void,
): Promise<string | null> {
  const all = async () =>
    (await has("radosgw")) && (await has("ceph-mon")) &&
    (await has("ceph-osd"));
  if (await all()) return null;
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (!root || !(await has("apt-get"))) {
    return "radosgw is not installed (as root on Debian: apt-get install radosgw ceph-mon ceph-osd)";
  }
  log(
    "installing Debian's radosgw, ceph-mon and ceph-osd (apt-get, about a minute)",
  );
  const r = await runQuiet("sh", [
    "-c",
    "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && " +
    "apt-get install -y -qq --no-install-recommends radosgw ceph-mon ceph-osd",
  ]);
  if (r.code !== 0 || !(await all())) {
    return `radosgw could not be installed with apt-get: ${r.output.slice(-500)}`;
  }
  return null;
}

/**
 * The directory of the running Deno binary (also when Deno was started through
 * `npx deno@…` and is not on PATH), for child processes that run `deno`.
 *
 * @returns the directory, or null when not running on Deno
 */
export function denoBinDir(): string | null {
  // deno-lint-ignore no-explicit-any
  const d = (globalThis as any).Deno;
  return d?.execPath ? dirname(d.execPath()) : null;
}
