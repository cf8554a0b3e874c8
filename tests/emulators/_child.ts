// Child-process plumbing shared by the Azurite and GCS launchers.

import type { ChildProcess } from "node:child_process";
import { EmulatorUnavailableError } from "./types.ts";

/** How long a child gets to exit after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 5_000;

// ---------------------------------------------------------------------------
// Child-process plumbing shared by the launchers that run an emulator as a child node process.

/** See the launchers. */
export function processEnv(): Record<string, string> {
  // `process` through globalThis: Node, Bun and Deno 2 all have it.
  const env = (globalThis as {
    process?: { env: Record<string, string | undefined> };
  }).process?.env ?? {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** See the launchers. */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}

/** A child process whose output can be waited on. */
export interface WatchedChild {
  waitForLine(
    re: RegExp,
    timeoutMs: number,
    what: string,
  ): Promise<RegExpMatchArray>;
  terminate(): Promise<void>;
}

/** See the launchers. */
export function watchChild(child: ChildProcess): WatchedChild {
  let out = "";
  let err = "";
  let spawnError: Error | undefined;
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once("exit", () => {
      resolve();
      notify();
    });
    child.once("error", (e) => {
      spawnError = e;
      if (child.pid === undefined) resolve();
      notify();
    });
  });
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stdout?.on("data", (d: string) => {
    out = (out + d).slice(-16_384);
    notify();
  });
  child.stderr?.on("data", (d: string) => {
    err = (err + d).slice(-16_384);
  });
  child.stdin?.on("error", () => {});
  const tail = () => (err || out).trim().split("\n").slice(-15).join("\n");

  return {
    waitForLine(re, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        const finish = (f: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          f();
        };
        const check = () => {
          const m = out.match(re);
          if (m) return finish(() => resolve(m));
          if (spawnError && child.pid === undefined) {
            const code = (spawnError as { code?: string }).code;
            return finish(() =>
              reject(
                code === "ENOENT"
                  ? new EmulatorUnavailableError(
                    `${what}: \`node\` is not on PATH`,
                  )
                  : spawnError,
              )
            );
          }
          if (child.exitCode !== null || child.signalCode !== null) {
            return finish(() =>
              reject(
                new Error(
                  `${what} exited (code ${child.exitCode}, signal ` +
                    `${child.signalCode}) before it was ready:\n${tail()}`,
                ),
              )
            );
          }
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new Error(
                  `${what} not ready within ${timeoutMs / 1000} s:\n${tail()}`,
                ),
              )
            ),
          timeoutMs,
        );
        listeners.add(check);
        check();
      });
    },
    async terminate() {
      if (
        child.pid !== undefined && child.exitCode === null &&
        child.signalCode === null
      ) {
        child.kill("SIGTERM");
        let timer: ReturnType<typeof setTimeout> | undefined;
        const killed = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            child.kill("SIGKILL");
            resolve();
          }, STOP_GRACE_MS);
        });
        await Promise.race([exited, killed]);
        clearTimeout(timer);
        await exited;
      }
      child.stdin?.destroy();
      child.stdout?.destroy();
      child.stderr?.destroy();
    },
  };
}
