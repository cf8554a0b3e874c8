/**
 * Section 7, size: what an edge app that uses Stowage ships. Each Stowage entry
 * is a real Worker module in `bench/size_apps/` that imports the public
 * subpaths by their published names (`@stowage/stowage`, `@stowage/stowage/s3`,
 * …, resolved through deno.json "exports") and uses them: `.` through `fileio`
 * and `createArtifactStore`, each cloud subpath building its store and writing
 * or reading a file, and `./hono` serving an S3 store. Bundled the way wrangler
 * bundles a Worker (esbuild, ESM, es2022, conditions workerd/worker/browser,
 * `node:*` external as with nodejs_compat), minified, then gzipped; the
 * metafile gives the bytes each input file contributes. The SDKs' entries (from
 * `lib/targets.ts`) import the package and construct one client, for the
 * browser where the package supports it, else for Node — the table says which.
 *
 * `deno task bench --only=size` runs just this section (no emulators).
 *
 * @module
 */

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { toolingImport } from "../../tests/_deps.ts";
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
const KiB = 1024;

/** One Stowage entry: a Worker module in `bench/size_apps/`. */
interface App {
  /** The file in `bench/size_apps/`, without `.ts`. */
  id: string;
  /** The subpath it measures. */
  subpath: string;
  /** What it does, for the table. */
  what: string;
  /** The gzip target, bytes. */
  budget?: number;
}

/** The Stowage entries and their gzip targets (issue 12). */
const APPS: App[] = [
  {
    id: "core_fileio",
    subpath: ".",
    what: "`fileio` + `createArtifactStore`, a file written and read on `memory://`",
    budget: 12 * KiB,
  },
  {
    id: "s3",
    subpath: "./s3",
    what: "`S3ArtifactStore` built, a file written or read",
    budget: 18 * KiB,
  },
  {
    id: "gcs",
    subpath: "./gcs",
    what: "`GcsArtifactStore` built, a file written or read",
    budget: 18 * KiB,
  },
  {
    id: "azure",
    subpath: "./azure",
    what: "`AzureArtifactStore` built, a file written or read",
    budget: 18 * KiB,
  },
  {
    id: "r2",
    subpath: "./r2",
    what: "`R2ArtifactStore` built, a file written or read",
    budget: 18 * KiB,
  },
  {
    id: "http",
    subpath: "./http",
    what: "`HttpArtifactStore` built, a file written or read",
    budget: 18 * KiB,
  },
  {
    id: "hono_s3",
    subpath: "./hono",
    what: "a Worker: `artifactStoreApp` over an `S3ArtifactStore`",
  },
];

/** How many inputs of each Stowage bundle the results keep. */
const TOP_PARTS = 12;

/** What one bundle measured. */
interface Built {
  id: string;
  platform?: string;
  minified?: number;
  gzipped?: number;
  parts?: { path: string; bytes: number }[];
  error?: string;
}

/** The part of esbuild's API used here (its types are not a dependency of the bench). */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<{
    outputFiles: { path: string; contents: Uint8Array }[];
    metafile?: {
      outputs: Record<
        string,
        { inputs: Record<string, { bytesInOutput: number }> }
      >;
    };
  }>;
}

/** An esbuild plugin that resolves `@stowage/stowage[/subpath]` through deno.json "exports". */
function stowageExports(exports: Record<string, string>) {
  return {
    name: "stowage-exports",
    setup(b: {
      onResolve(
        o: { filter: RegExp },
        f: (
          a: { path: string },
        ) => { path: string } | { errors: { text: string }[] },
      ): void;
    }) {
      b.onResolve({ filter: /^@stowage\/stowage(\/|$)/ }, (a) => {
        const key = `.${a.path.slice("@stowage/stowage".length)}`;
        const file = exports[key];
        return file
          ? { path: `${ROOT}/${file.replace(/^\.\//, "")}` }
          : { errors: [{ text: `'${a.path}' is not in deno.json "exports"` }] };
      });
    },
  };
}

/** Minified bytes and gzip (level 9) bytes of a bundle. */
function sizes(code: Uint8Array): { minified: number; gzipped: number } {
  return {
    minified: code.byteLength,
    gzipped: gzipSync(code, { level: 9 }).byteLength,
  };
}

/** Tasks run in a child process. */
export const tasks = {
  /** Bundles the Stowage entries and the SDK targets, and measures them. */
  async build(a: { apps: string[]; sdks: string[] }): Promise<Built[]> {
    const esbuild = (await import(toolingImport("esbuild", "lib/main.js"))) as
      & Esbuild
      & {
        default?: Esbuild;
      };
    const eb: Esbuild = esbuild.default ?? esbuild;
    const exports = JSON.parse(await readFile(`${ROOT}/deno.json`, "utf8")).exports;
    await mkdir(DIR, { recursive: true });
    const out: Built[] = [];
    for (const id of a.apps) {
      try {
        const r = await eb.build({
          entryPoints: [`${BENCH}/size_apps/${id}.ts`],
          bundle: true,
          minify: true,
          format: "esm",
          platform: "browser",
          conditions: ["workerd", "worker", "browser"],
          target: "es2022",
          external: ["node:*"],
          plugins: [stowageExports(exports)],
          metafile: true,
          write: false,
          outdir: DIR,
          logLevel: "silent",
          absWorkingDir: ROOT,
        });
        const file = r.outputFiles[0];
        const output = Object.values(r.metafile!.outputs).find((o) =>
          Object.keys(o.inputs).length > 0
        )!;
        const parts = Object.entries(output.inputs)
          .map(([path, v]) => ({ path, bytes: v.bytesInOutput }))
          .filter((p) => p.bytes > 0)
          .sort((x, y) => y.bytes - x.bytes || (x.path < y.path ? -1 : 1));
        out.push({
          id,
          platform: "browser",
          ...sizes(file.contents),
          parts: parts.slice(0, TOP_PARTS),
        });
      } catch (err) {
        out.push({
          id,
          error: errorText(err).split("\n").slice(0, 3).join(" "),
        });
      }
    }
    for (const t of TARGETS.filter((t) => a.sdks.includes(t.id))) {
      const entry = `${DIR}/entry-${slug(t)}.mjs`;
      await writeFile(entry, t.body(t.module));
      let last = "";
      for (const platform of ["browser", "node"] as const) {
        try {
          const r = await eb.build({
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
          out.push({ id: t.id, platform, ...sizes(r.outputFiles[0].contents) });
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
    "Stowage: each entry is a Worker module in `bench/size_apps/` that imports the public " +
      "subpaths by name (`@stowage/stowage`, `@stowage/stowage/s3`, …) and uses them, bundled " +
      "as wrangler bundles a Worker: esbuild 0.25 (`--bundle --minify --format=esm`, target " +
      "es2022, platform browser, conditions workerd/worker/browser, `node:*` external as with " +
      "nodejs_compat), gzip level 9. Targets (issue 12): `.` with fileio ≤ 12 KiB gzip, each " +
      "cloud subpath ≤ 18 KiB gzip. SDKs: an entry that imports the package and constructs one " +
      "client, platform browser where the package supports it, else node.",
  );
  const sdks: string[] = [];
  for (const t of TARGETS.filter((t) => t.kind === "sdk")) {
    const why = targetMissing(t);
    if (why) out.notMeasured.push({ section: "size", what: t.id, reason: why });
    else sdks.push(t.id);
  }
  ctx.log("size: bundling with esbuild");
  const built = await runTask<Built[]>("node", "sections/size.ts", "build", {
    apps: APPS.map((a) => a.id),
    sdks,
  });
  for (const b of built) {
    if (b.error) {
      out.notMeasured.push({ section: "size", what: b.id, reason: b.error });
      continue;
    }
    const app = APPS.find((x) => x.id === b.id);
    const t = TARGETS.find((x) => x.id === b.id);
    const common = app
      ? {
        backend: app.subpath,
        client: "stowage",
        mode: app.id,
        note: `bench/size_apps/${app.id}.ts: ${app.what}`,
      }
      : {
        backend: t!.pairs!,
        client: "sdk",
        mode: b.id,
        note: `platform ${b.platform}`,
      };
    for (const op of ["minified", "gzipped"] as const) {
      out.measurements.push(
        {
          section: "size",
          ...common,
          op,
          runtime: "-",
          unit: "bytes",
          higherIsBetter: false,
          value: summarize([op === "minified" ? b.minified! : b.gzipped!]),
          ...(op === "gzipped" && app?.budget ? { budget: app.budget } : {}),
          ...(op === "minified" && b.parts ? { parts: b.parts } : {}),
        } satisfies Measurement,
      );
    }
  }
  return out;
}
