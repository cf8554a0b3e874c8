/**
 * Section 6, size: esbuild-minified and gzipped bundles of a tiny entry that
 * imports a Stowage subpath (`.`, `./s3`, `./gcs`, `./azure`, `./hono`) or an
 * SDK and constructs a store or client. Stowage is bundled for the browser
 * platform (what an edge worker gets; `node:` built-ins, which it imports
 * lazily and only where they exist, stay external); each SDK for the browser
 * where it supports that, else for Node (built-ins external) — the table says
 * which.
 *
 * @module
 */

import { mkdir, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import type { Context } from "../lib/context.ts";
import { BENCH, ROOT, runTask } from "../lib/spawn.ts";
import {
  emptyResult,
  errorText,
  type Measurement,
  type SectionResult,
  summarize,
} from "../lib/stats.ts";
import { slug, targetMissing, TARGETS } from "../lib/targets.ts";

const DIR = `${BENCH}/.cache/size`;

interface Built {
  id: string;
  platform?: string;
  minified?: number;
  gzipped?: number;
  error?: string;
}

/** Tasks run in a child process. */
export const tasks = {
  /** Bundles every target and measures it. */
  async build(a: { ids: string[] }): Promise<Built[]> {
    const esbuild = await import("esbuild");
    await mkdir(DIR, { recursive: true });
    const out: Built[] = [];
    for (const t of TARGETS.filter((t) => a.ids.includes(t.id))) {
      const entry = `${DIR}/entry-${slug(t)}.mjs`;
      const spec = t.kind === "sdk" ? t.module : `${ROOT}/${t.module}`;
      await writeFile(entry, t.body(spec));
      const platforms = t.kind === "sdk" ? ["browser", "node"] as const : ["browser"] as const;
      let last = "";
      for (const platform of platforms) {
        try {
          const r = await esbuild.build({
            entryPoints: [entry],
            bundle: true,
            minify: true,
            format: "esm",
            platform,
            target: "es2022",
            external: ["node:*"],
            write: false,
            logLevel: "silent",
            absWorkingDir: BENCH,
          });
          const code = r.outputFiles[0].contents;
          out.push({
            id: t.id,
            platform,
            minified: code.byteLength,
            gzipped: gzipSync(code, { level: 9 }).byteLength,
          });
          last = "";
          break;
        } catch (err) {
          last = errorText(err).split("\n").slice(0, 3).join(" ");
        }
      }
      if (last) out.push({ id: t.id, error: last });
    }
    return out;
  },
};

/**
 * Runs the section.
 *
 * @param ctx the run's context
 * @returns the measurements
 */
export async function run(ctx: Context): Promise<SectionResult> {
  const out = emptyResult();
  out.notes.push(
    "esbuild 0.25 (`--bundle --minify --format=esm`, target es2022), gzip level 9, of an entry " +
      "that imports the module and constructs one store or client. Stowage: platform browser " +
      "(`node:*` external: it loads them lazily and only where they exist); SDKs: platform " +
      "browser where the package supports it, else node.",
  );
  const ids: string[] = [];
  for (const t of TARGETS) {
    const why = targetMissing(t);
    if (why) out.notMeasured.push({ section: "size", what: t.id, reason: why });
    else ids.push(t.id);
  }
  ctx.log("size: bundling with esbuild");
  const built = await runTask<Built[]>("node", "sections/size.ts", "build", {
    ids,
  });
  for (const b of built) {
    const t = TARGETS.find((x) => x.id === b.id)!;
    if (b.error) {
      out.notMeasured.push({ section: "size", what: b.id, reason: b.error });
      continue;
    }
    for (
      const [op, bytes] of [["minified", b.minified!], [
        "gzipped",
        b.gzipped!,
      ]] as const
    ) {
      out.measurements.push(
        {
          section: "size",
          backend: t.kind === "sdk" ? t.pairs! : t.id,
          client: t.kind,
          op,
          mode: b.id,
          runtime: "-",
          unit: "bytes",
          higherIsBetter: false,
          value: summarize([bytes]),
          note: `platform ${b.platform}`,
        } satisfies Measurement,
      );
    }
  }
  return out;
}
