/**
 * What a measurement child knows about its own process: the runtime, its RSS
 * (sampled periodically, plus the kernel's high-water mark), and timers.
 *
 * @module
 */

import process from "node:process";
import { readFileSync } from "node:fs";

/** The runtime executing this code. */
export function runtimeName(): "deno" | "bun" | "node" {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (g.Deno?.version?.deno) return "deno";
  if (g.Bun) return "bun";
  return "node";
}

/** The process's resident set size in bytes, as the runtime reports it. */
export function rssBytes(): number {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (g.Deno?.memoryUsage) return g.Deno.memoryUsage().rss;
  return process.memoryUsage().rss;
}

/**
 * The kernel's peak RSS of this process (`VmHWM` in /proc/self/status), bytes;
 * undefined where there is no /proc.
 */
export function hwmBytes(): number | undefined {
  try {
    const s = readFileSync("/proc/self/status", "utf8");
    const m = /VmHWM:\s+(\d+) kB/.exec(s);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples RSS every `everyMs` until stopped; `stop()` returns the peak in bytes. */
export function rssSampler(everyMs = 10): { stop(): number } {
  let peak = rssBytes();
  const timer = setInterval(() => {
    const r = rssBytes();
    if (r > peak) peak = r;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssBytes());
    },
  };
}

/**
 * Times `fn` in milliseconds.
 *
 * @param fn the work
 * @returns elapsed ms
 */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/**
 * Runs `fn` over `count` indexes with at most `limit` in flight.
 *
 * @param count how many calls
 * @param limit the most in flight
 * @param fn the work for index i
 */
export async function pool(
  count: number,
  limit: number,
  fn: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < count) {
      const i = next++;
      try {
        await fn(i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  if (failed !== undefined) throw failed;
}

/** Lets the garbage collector run where the runtime exposes it. */
export function gc(): void {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (typeof g.gc === "function") g.gc();
  else if (g.Bun?.gc) g.Bun.gc(true);
}
