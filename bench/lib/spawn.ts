/**
 * Runs measurement tasks in fresh child processes (one runtime each), so every
 * measurement starts from a clean heap and its RSS is its own.
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { tsxImport } from "../../tests/_deps.ts";

/** The marker before a child's result line. */
export const RESULT_MARKER = "@@BENCH-RESULT@@";
/** The marker before a child's error line. */
export const ERROR_MARKER = "@@BENCH-ERROR@@";

/** The project root. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url))
  .replace(/\/$/, "");
/** The bench folder. */
export const BENCH: string = `${ROOT}/bench`;

/** The runtimes the bench knows. */
export type Runtime = "deno" | "node" | "bun";
/** All of them, in report order. */
export const RUNTIMES: Runtime[] = ["deno", "node", "bun"];

/**
 * The command that runs a TypeScript file on a runtime: `deno run -A`,
 * `node --import tsx`, `bun`.
 *
 * @param runtime the runtime
 * @param file the script
 * @param args its arguments
 * @returns command and arguments
 */
export function commandFor(
  runtime: Runtime,
  file: string,
  args: string[],
): [string, string[]] {
  if (runtime === "deno") return ["deno", ["run", "-A", file, ...args]];
  if (runtime === "bun") return ["bun", [file, ...args]];
  return ["node", ["--import", tsxImport(), file, ...args]];
}

/** What a finished process left. */
export interface ProcessOutcome {
  /** Exit code (null when killed). */
  code: number | null;
  /** Standard output. */
  stdout: string;
  /** Standard error (the last 16 KiB). */
  stderr: string;
  /** Wall time from spawn to exit, ms. */
  ms: number;
}

/**
 * Runs a command to its end (killing it after `timeoutMs`).
 *
 * @param cmd the command
 * @param args its arguments
 * @param options working directory, environment additions, timeout
 * @returns exit code, output and wall time
 */
export function runProcess(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8");
    child.stderr!.setEncoding("utf8");
    child.stdout!.on("data", (d: string) => (stdout += d));
    child.stderr!.on("data", (d: string) => {
      stderr = (stderr + d).slice(-16_384);
      if (process.env.BENCH_VERBOSE) process.stderr.write(d);
    });
    const timer = setTimeout(
      () => child.kill("SIGKILL"),
      options.timeoutMs ?? 15 * 60_000,
    );
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({
        code: 127,
        stdout,
        stderr: `${stderr}\n${err}`,
        ms: performance.now() - t0,
      });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/**
 * Runs `tasks[task](args)` of a section module in a fresh process of `runtime`
 * and returns what it returned.
 *
 * @param runtime the runtime
 * @param module the module, relative to `bench/` (e.g. `sections/large.ts`)
 * @param task the task name
 * @param args its JSON argument
 * @param options extra environment, timeout
 * @returns the task's result
 * @throws {Error} with the child's message (and stderr tail) when it failed
 */
export async function runTask<T>(
  runtime: Runtime,
  module: string,
  task: string,
  args: unknown,
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<T> {
  const [cmd, argv] = commandFor(runtime, `${BENCH}/lib/child.ts`, [
    module,
    task,
    JSON.stringify(args),
  ]);
  const out = await runProcess(cmd, argv, options);
  const lines = out.stdout.split("\n");
  const ok = lines.find((l) => l.startsWith(RESULT_MARKER));
  if (ok && out.code === 0) {
    return JSON.parse(ok.slice(RESULT_MARKER.length)) as T;
  }
  const bad = lines.find((l) => l.startsWith(ERROR_MARKER));
  const msg = bad
    ? JSON.parse(bad.slice(ERROR_MARKER.length))
    : `exit ${out.code}: ${out.stderr.trim().split("\n").slice(-5).join(" | ")}`;
  throw new Error(`${runtime} ${module} ${task}: ${msg}`);
}

/** A server in a child process: what it printed on start, its process, and how to stop it. */
export interface ServerProcess {
  /** The first stdout line that matched the start pattern, parsed as JSON. */
  started: Record<string, unknown>;
  /** `http://127.0.0.1:PORT` from its `port`. */
  url: string;
  /** Its process id (for /proc readings). */
  pid: number | undefined;
  /** Closes its stdin (the servers here exit on that), then kills it, and waits. */
  stop(): Promise<void>;
}

/**
 * Starts a server that prints a JSON line with its `port` (`{"port":N,…}`) and
 * exits when its stdin closes.
 *
 * @param cmd the command
 * @param args its arguments
 * @param timeoutMs how long to wait for the port line
 * @returns the running server
 */
export function startServerProcess(
  cmd: string,
  args: string[],
  timeoutMs = 30_000,
): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    let out = "";
    let err = "";
    const timer = setTimeout(
      () => reject(new Error(`${cmd}: no port within ${timeoutMs} ms: ${err.trim()}`)),
      timeoutMs,
    );
    child.stderr!.on("data", (d) => (err = (err + d).slice(-4000)));
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (d: string) => {
      out += d;
      const line = /\{"port":\d+[^\n]*\}/.exec(out)?.[0];
      if (!line) return;
      clearTimeout(timer);
      const started = JSON.parse(line) as Record<string, unknown>;
      resolve({
        started,
        url: `http://127.0.0.1:${started.port}`,
        pid: child.pid,
        stop: async () => {
          child.stdin!.end();
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 5000).unref();
          await exited;
        },
      });
    });
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
