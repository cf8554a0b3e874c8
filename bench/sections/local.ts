/**
 * Section 8, local files: the `local` flavor against the runtime's own file
 * APIs for a 256 MiB (1 GiB with `--full`) streamed write, streamed read and
 * copy, on each runtime: Deno (`Deno.open` streams, `Deno.copyFile`), Node
 * (`fs/promises` file handles and read streams, `copyFile`) and Bun
 * (`Bun.file().writer()`, `Bun.file().stream()`, `Bun.write`).
 *
 * @module
 */

import { createReadStream, existsSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { mkdtemp } from "node:fs/promises";
import type { Context } from "../lib/context.ts";
import { drain, drainIterable, MiB, sourceChunk, writeBytes } from "../lib/data.ts";
import { runtimeName, timeMs } from "../lib/proc.ts";
import { runTask } from "../lib/spawn.ts";
import {
  emptyResult,
  errorText,
  type Measurement,
  type SectionResult,
  summarize,
} from "../lib/stats.ts";

interface Args {
  dir: string;
  total: number;
  runs: number;
}

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** The runtime's own streamed write of `total` bytes in 1 MiB chunks. */
async function nativeWrite(path: string, total: number): Promise<void> {
  const c = sourceChunk();
  const rt = runtimeName();
  if (rt === "deno") {
    const f = await g.Deno.open(path, {
      write: true,
      create: true,
      truncate: true,
    });
    await writeBytes(f.writable, total);
  } else if (rt === "bun") {
    const w = g.Bun.file(path).writer({ highWaterMark: MiB });
    for (let sent = 0; sent < total; sent += c.length) {
      w.write(c.subarray(0, Math.min(c.length, total - sent)));
      await w.flush();
    }
    await w.end();
  } else {
    const fh = await fsp.open(path, "w");
    try {
      for (let sent = 0; sent < total; sent += c.length) {
        await fh.write(c, 0, Math.min(c.length, total - sent));
      }
    } finally {
      await fh.close();
    }
  }
}

/** The runtime's own streamed read; returns the bytes read. */
async function nativeRead(path: string): Promise<number> {
  const rt = runtimeName();
  if (rt === "deno") return await drain((await g.Deno.open(path)).readable);
  if (rt === "bun") return await drain(g.Bun.file(path).stream());
  return await drainIterable(createReadStream(path, { highWaterMark: MiB }));
}

/** The runtime's own file copy. */
async function nativeCopy(src: string, dst: string): Promise<void> {
  const rt = runtimeName();
  if (rt === "deno") await g.Deno.copyFile(src, dst);
  else if (rt === "bun") await g.Bun.write(g.Bun.file(dst), g.Bun.file(src));
  else await fsp.copyFile(src, dst);
}

/** Tasks run in a child process. */
export const tasks = {
  /** Write, read and copy through the local flavor and the runtime's APIs. */
  async measure(a: Args): Promise<SectionResult> {
    const out = emptyResult();
    const rt = runtimeName();
    const { LocalArtifactStore } = await import("../../mod.ts");
    const dir = `${a.dir}/${rt}`;
    await fsp.mkdir(dir, { recursive: true });
    const store = new LocalArtifactStore({ path: dir });
    const p = (n: string) => `${dir}/${n}`;
    await nativeWrite(p("src.bin"), a.total);
    const ops: [string, string, () => Promise<unknown>][] = [
      [
        "stowage",
        "write",
        async () => writeBytes(await store.open(p("s-w.bin"), "wb"), a.total),
      ],
      ["native", "write", () => nativeWrite(p("n-w.bin"), a.total)],
      ["stowage", "read", async () => {
        const n = await drain(await store.open(p("src.bin"), "rb"));
        if (n !== a.total) throw new Error(`read ${n} bytes`);
      }],
      ["native", "read", async () => {
        const n = await nativeRead(p("src.bin"));
        if (n !== a.total) throw new Error(`read ${n} bytes`);
      }],
      [
        "stowage",
        "copy",
        () => store.copyfile(p("src.bin"), p("s-c.bin"), { overwrite: true }),
      ],
      ["native", "copy", () => nativeCopy(p("src.bin"), p("n-c.bin"))],
    ];
    const res = new Map<string, number[]>();
    for (let r = 0; r < a.runs; r++) {
      for (const [client, op, fn] of ops) {
        try {
          const ms = await timeMs(fn);
          const k = `${client}|${op}`;
          res.set(k, [...(res.get(k) ?? []), a.total / 1e6 / (ms / 1000)]);
        } catch (err) {
          out.notMeasured.push({
            section: "local",
            what: `${client} ${op} on ${rt}`,
            reason: errorText(err),
          });
        }
      }
    }
    await fsp.rm(dir, { recursive: true, force: true });
    for (const [k, runs] of res) {
      const [client, op] = k.split("|");
      out.measurements.push(
        {
          section: "local",
          backend: "local",
          client,
          op,
          runtime: rt,
          unit: "MB/s",
          higherIsBetter: true,
          value: summarize(runs),
        } satisfies Measurement,
      );
    }
    return out;
  },
};

/**
 * Runs the section on every runtime.
 *
 * @param ctx the run's context
 * @returns the measurements
 */
export async function run(ctx: Context): Promise<SectionResult> {
  const out = emptyResult();
  const total = (ctx.full ? 1024 : 256) * MiB;
  // tmpfs when there is one: the APIs are measured, not the disk's write-back.
  const shm = existsSync("/dev/shm");
  const dir = shm ? await mkdtemp("/dev/shm/stowage-bench-") : `${ctx.tmp}/local`;
  out.notes.push(
    `${total / MiB} MiB files on ${shm ? "tmpfs (/dev/shm)" : "the system temp directory"}, so ` +
      `the APIs are measured rather than the disk; writes in 1 MiB chunks; Stowage writes a temp ` +
      `file and renames it on close (atomic), the native writes do not.`,
  );
  try {
    for (const rt of ctx.runtimes) {
      ctx.log(`local: ${rt}`);
      try {
        const r = await runTask<SectionResult>(
          rt,
          "sections/local.ts",
          "measure",
          {
            dir,
            total,
            runs: ctx.runs,
          } satisfies Args,
        );
        out.measurements.push(...r.measurements);
        out.notMeasured.push(...r.notMeasured);
      } catch (err) {
        out.notMeasured.push({ section: "local", what: `on ${rt}`, reason: errorText(err) });
      }
    }
  } finally {
    if (shm) await fsp.rm(dir, { recursive: true, force: true });
  }
  return out;
}
