// `.` is free of cloud code, in a bundle and at run time: esbuild's bundle of the core
// (fileio + createArtifactStore) holds no file under flavors/ but local and memory, each
// cloud subpath's bundle holds no other flavor (local and memory come with `.` only), and none holds the Hono server (the http
// flavor shares only src/http_wire.ts with it); a process that imports only the core has
// local and memory, a cloud URI there is a NotSupportedError naming the import to add,
// importing a subpath registers its flavor, and `./all` registers every built-in.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import process from "node:process";
import { runtimeName } from "../_env.ts";
import { TEST_NODE_MODULES, toolingImport, tsxImport } from "../_deps.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");

const ENTRIES: Record<string, { module: string; body: string; allowed: RegExp }> = {
  ".": {
    module: "mod.ts",
    body:
      `import { fileio, createArtifactStore } from "M"; export const f = [fileio, createArtifactStore];`,
    allowed: /^flavors\/(local|memory)\//,
  },
  "./s3": {
    module: "flavors/s3/mod.ts",
    body: `import { S3ArtifactStore } from "M"; export const s = S3ArtifactStore;`,
    allowed: /^flavors\/s3\//,
  },
  "./gcs": {
    module: "flavors/gcs/mod.ts",
    body: `import { GcsArtifactStore } from "M"; export const s = GcsArtifactStore;`,
    allowed: /^flavors\/gcs\//,
  },
  "./azure": {
    module: "flavors/azure/mod.ts",
    body: `import { AzureArtifactStore } from "M"; export const s = AzureArtifactStore;`,
    allowed: /^flavors\/azure\//,
  },
  "./http": {
    module: "flavors/http/mod.ts",
    body: `import { HttpArtifactStore } from "M"; export const s = HttpArtifactStore;`,
    allowed: /^flavors\/http\//,
  },
};

/** The server's code (src/hono/, the hono package): no client subpath bundles it. */
const HONO = /(^|\/)hono\//;

/** The part of esbuild's API used here (its types are not a dependency of the project). */
interface Esbuild {
  build(
    options: Record<string, unknown>,
  ): Promise<{ metafile?: { inputs: Record<string, unknown> }; outputFiles?: { text: string }[] }>;
}

const esbuildMissing = existsSync(`${TEST_NODE_MODULES}/esbuild`)
  ? false
  : "esbuild is not installed in tests/tooling";

test("structure: the core's bundle reaches no cloud flavor, nor a cloud subpath another cloud", {
  skip: esbuildMissing,
}, async () => {
  // esbuild's entry is CommonJS: required (Deno imports CommonJS only through require).
  const esbuild = createRequire(import.meta.url)(
    fileURLToPath(toolingImport("esbuild", "lib/main.js")),
  ) as Esbuild;
  for (const [name, e] of Object.entries(ENTRIES)) {
    const r = await esbuild.build({
      stdin: {
        contents: e.body.replace("M", `${ROOT}/${e.module}`),
        resolveDir: ROOT,
        loader: "ts",
      },
      bundle: true,
      format: "esm",
      platform: "browser",
      external: ["node:*"],
      write: false,
      metafile: true,
      logLevel: "silent",
      absWorkingDir: ROOT,
    });
    const files = Object.keys(r.metafile!.inputs).filter((f) => f.startsWith("flavors/"));
    const stray = files.filter((f) => !e.allowed.test(f));
    assert.deepEqual(stray, [], `${name} bundles ${stray.join(", ")}`);
    const server = Object.keys(r.metafile!.inputs).filter((f) => HONO.test(f));
    assert.deepEqual(server, [], `${name} bundles ${server.join(", ")}`);
    if (name === ".") {
      assert.ok(files.includes("flavors/local/mod.ts") && files.includes("flavors/memory/mod.ts"));
    }
  }
});

test("structure: only the core imported — cloud URIs name the import to add; subpaths register", () => {
  const rt = runtimeName();
  const pre = rt === "deno" ? ["run", "-A"] : rt === "bun" ? [] : ["--import", tsxImport()];
  const r = spawnSync(process.execPath, [...pre, `${ROOT}/tests/structure/_core_only.ts`], {
    cwd: ROOT,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  assert.deepEqual(out.names, ["local", "memory"]);
  const hints: Record<string, string> = {
    "s3://b/x": "s3",
    "gs://b/x": "gcs",
    "az://c/x": "azure",
    "http://127.0.0.1:9": "http",
    "r2://B": "r2",
  };
  for (const [uri, sub] of Object.entries(hints)) {
    assert.equal(out.errors[uri].name, "NotSupportedError", uri);
    assert.ok(
      out.errors[uri].message.includes(`import "@stowage/stowage/${sub}"`),
      `${uri}: ${out.errors[uri].message}`,
    );
  }
  assert.deepEqual(out.afterS3, ["local", "memory", "s3"]);
  assert.equal(out.s3, "s3");
  assert.deepEqual([...out.afterAll].sort(), [
    "azure",
    "gcp",
    "http",
    "local",
    "memory",
    "r2",
    "s3",
  ]);
});

test(
  "structure: native hashes are optional — the s3 bundle imports node:zlib/node:crypto only lazily, and works without them",
  {
    skip: esbuildMissing,
  },
  async () => {
    const esbuild = createRequire(import.meta.url)(
      fileURLToPath(toolingImport("esbuild", "lib/main.js")),
    ) as Esbuild;
    const s3 = await esbuild.build({
      entryPoints: [`${ROOT}/flavors/s3/mod.ts`],
      bundle: true,
      format: "esm",
      platform: "browser",
      external: ["node:*"],
      write: false,
      logLevel: "silent",
      absWorkingDir: ROOT,
    });
    const text = s3.outputFiles![0].text;
    assert.doesNotMatch(text, /^\s*import\b[^;]*from\s*["']node:(zlib|crypto)["']/m);
    assert.match(text, /import\(\s*["']node:zlib["']\s*\)/);
    // An edge runtime: every node: module fails to load. The hashes fall back to JavaScript.
    const edge = await esbuild.build({
      stdin: {
        contents: `import { hasher } from "${ROOT}/src/digest.ts";
        import { toBase64 } from "${ROOT}/src/checksum.ts";
        export async function run() {
          const data = new TextEncoder().encode("123456789");
          const out = {};
          for (const a of ["crc32", "crc32c", "md5"]) {
            const h = await hasher(a);
            out[a] = [h.native, toBase64(h.digest(data))];
          }
          return out;
        }`,
        resolveDir: ROOT,
        loader: "ts",
      },
      bundle: true,
      format: "esm",
      platform: "browser",
      write: false,
      logLevel: "silent",
      absWorkingDir: ROOT,
      plugins: [{
        name: "no-node",
        setup(b: {
          onResolve(o: { filter: RegExp }, f: (a: { path: string }) => unknown): void;
          onLoad(o: { filter: RegExp; namespace: string }, f: () => unknown): void;
        }) {
          b.onResolve({ filter: /^node:/ }, (a) => ({ path: a.path, namespace: "missing" }));
          b.onLoad({ filter: /.*/, namespace: "missing" }, () => ({
            contents: `throw new Error("no node: modules here");`,
            loader: "js",
          }));
        },
      }],
    });
    const dir = await mkdtemp(join(tmpdir(), "stowage-edge-"));
    const file = join(dir, "edge.mjs");
    await writeFile(file, edge.outputFiles![0].text);
    try {
      const mod = await import(pathToFileURL(file).href);
      assert.deepEqual(await mod.run(), {
        crc32: [false, "y/Q5Jg=="],
        crc32c: [false, "4waSgw=="],
        md5: [false, "JfnnlDI7RTiF9RgfG2JNCw=="],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);
