/**
 * Section 6, cold start: the wall time of a process that imports a module and
 * constructs a store (or an SDK client), minus that of an empty process, per
 * runtime and per subpath. Deno and Bun import Stowage's TypeScript sources
 * as they are; Node imports them pre-bundled to JavaScript by esbuild (one ES
 * module per subpath, npm packages left external, not minified), as a compiled
 * package would ship, since Node 20 cannot load TypeScript.
 *
 * @module
 */

import { mkdir, writeFile } from "node:fs/promises";
import type { Context } from "../lib/context.ts";
import { BENCH, ROOT, runProcess, runTask, type Runtime } from "../lib/spawn.ts";
import { toolingImport } from "../../tests/_deps.ts";
import { emptyResult, type Measurement, type SectionResult, summarize } from "../lib/stats.ts";
import { slug, type Target, targetMissing, TARGETS } from "../lib/targets.ts";

const DIR = `${BENCH}/.cache/coldstart`;

/** Tasks run in a child process. */
export const tasks = {
  /**
   * Bundles each Stowage entry script for Node (esbuild, npm packages external,
   * not minified): `node-<slug>.src.mjs` (importing the TS sources) → `node-<slug>.mjs`.
   */
  async bundleForNode(a: { files: [string, string][] }): Promise<void> {
    // esbuild is a dev tool of the test suite (tests/tooling), not of the bench.
    const mod = await import(toolingImport("esbuild", "lib/main.js"));
    const esbuild = (mod.default ?? mod) as { build(o: Record<string, unknown>): Promise<unknown> };
    for (const [src, out] of a.files) {
      await esbuild.build({
        entryPoints: [src],
        outfile: out,
        bundle: true,
        format: "esm",
        platform: "node",
        target: "node20",
        packages: "external",
        logLevel: "error",
      });
    }
  },
};

function command(rt: Runtime, file: string): [string, string[]] {
  if (rt === "deno") return ["deno", ["run", "-A", file]];
  if (rt === "bun") return ["bun", [file]];
  return ["node", [file]];
}

/**
 * Runs the section.
 *
 * @param ctx the run's context
 * @returns the measurements
 */
export async function run(ctx: Context): Promise<SectionResult> {
  const out = emptyResult();
  const runs = ctx.runs * 2 + 1;
  out.notes.push(
    `Process wall time (spawn to exit) of a script that imports the module and constructs one ` +
      `store or client, minus the median of an empty script on the same runtime ("process"), ` +
      `and the same import + construct timed inside the process with performance.now() ` +
      `("in-process": far less noisy; the ratios use it); ${runs} runs ` +
      `each, interleaved, after one warm-up run (which fills Deno's transpile cache). Node loads ` +
      `Stowage pre-bundled by esbuild (ESM, npm packages external, not minified); Deno and Bun ` +
      `load the TypeScript sources.`,
  );
  const targets: Target[] = [];
  for (const t of TARGETS) {
    const why = targetMissing(t);
    if (why) {
      out.notMeasured.push({ section: "coldstart", what: t.id, reason: why });
    } else targets.push(t);
  }
  await mkdir(DIR, { recursive: true });
  // Per runtime and target: an entry module (Stowage pre-bundled for Node) and a
  // wrapper that times its import in-process and prints the milliseconds.
  const scripts = new Map<string, string>();
  const toBundle: [string, string][] = [];
  const wrapper = (entry: string) =>
    `const t0 = performance.now();\nawait import("./${entry}");\n` +
    `console.log("@@COLD@@" + (performance.now() - t0));\n`;
  await writeFile(`${DIR}/empty-entry.mjs`, "// nothing\n");
  await writeFile(`${DIR}/empty.mjs`, wrapper("empty-entry.mjs"));
  for (const rt of ctx.runtimes) {
    for (const t of targets) {
      const name = `${rt}-${slug(t)}`;
      const entry = `${DIR}/${name}-entry.mjs`;
      if (t.kind === "sdk") await writeFile(entry, t.body(t.module));
      else if (rt !== "node") await writeFile(entry, t.body(`../../../${t.module}`));
      else {
        const src = `${DIR}/${name}-src.mjs`;
        await writeFile(src, t.body(`../../../${t.module}`));
        toBundle.push([src, entry]);
      }
      await writeFile(`${DIR}/${name}.mjs`, wrapper(`${name}-entry.mjs`));
      scripts.set(`${rt}|${t.id}`, `${DIR}/${name}.mjs`);
    }
  }
  if (toBundle.length) {
    await runTask("node", "sections/coldstart.ts", "bundleForNode", { files: toBundle });
  }
  const wall = new Map<string, number[]>();
  const inproc = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, k: string, v: number) =>
    m.set(k, [...(m.get(k) ?? []), v]);
  const failed = new Set<string>();
  for (const rt of ctx.runtimes) {
    ctx.log(`coldstart: ${rt}`);
    const list: [string, string][] = [[`${rt}|empty`, `${DIR}/empty.mjs`]];
    for (const t of targets) list.push([`${rt}|${t.id}`, scripts.get(`${rt}|${t.id}`)!]);
    for (let r = -1; r < runs; r++) {
      for (const [k, file] of list) {
        if (failed.has(k)) continue;
        const [cmd, args] = command(rt, file);
        const p = await runProcess(cmd, args, { cwd: ROOT, timeoutMs: 120_000 });
        const m = /@@COLD@@([\d.]+)/.exec(p.stdout);
        if (p.code !== 0 || !m) {
          failed.add(k);
          const err = p.stderr.trim().split("\n").slice(0, 3).join(" | ");
          out.notMeasured.push({
            section: "coldstart",
            what: `${k.split("|")[1]} on ${rt}`,
            reason: `the script failed (exit ${p.code}): ${err}`,
          });
          continue;
        }
        if (r >= 0) {
          push(wall, k, p.ms);
          push(inproc, k, Number(m[1]));
        }
      }
    }
  }
  for (const rt of ctx.runtimes) {
    const empty = summarize(wall.get(`${rt}|empty`) ?? []).median;
    const emptyIn = summarize(inproc.get(`${rt}|empty`) ?? []).median;
    for (const t of targets) {
      const k = `${rt}|${t.id}`;
      if (!wall.has(k)) continue;
      const base = {
        section: "coldstart",
        backend: t.kind === "sdk" ? t.pairs! : t.id,
        client: t.kind === "sdk" ? "sdk" : "stowage",
        mode: t.id,
        runtime: rt,
        unit: "ms",
        higherIsBetter: false,
      };
      out.measurements.push(
        {
          ...base,
          op: "process",
          value: summarize(wall.get(k)!.map((ms) => ms - empty)),
          note: `empty ${rt} process: ${empty.toFixed(0)} ms`,
        } satisfies Measurement,
      );
      out.measurements.push(
        {
          ...base,
          op: "import",
          value: summarize(inproc.get(k)!.map((ms) => ms - emptyIn)),
        } satisfies Measurement,
      );
    }
  }
  return out;
}
