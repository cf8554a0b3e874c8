// The adapter inside workerd (Cloudflare's runtime) through miniflare: the
// example worker (examples/worker.ts, bundled with esbuild) serves an R2 binding,
// and an S3 bucket on fauxqs over loopback; a smoke subset drives it with the http
// flavor and fetch. Also the r2 flavor's full conformance suite over miniflare's
// R2 binding, reached from Node through miniflare's binding proxy.
//
// miniflare is a Node library: this file runs under Node and skips visibly on
// Deno and Bun.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { HttpArtifactStore } from "../../flavors/http/mod.ts";
import { R2ArtifactStore, type R2BucketLike } from "../../flavors/r2/mod.ts";
import { conformance, patternBytes, sha256 } from "../conformance/suite.ts";
import { readAllBytes } from "../../src/streams.ts";
import { emulator, runtimeName, testTmp } from "../_env.ts";
import { toolingImport } from "../_deps.ts";
import { smoke } from "./_smoke.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(
  /\/$/,
  "",
);
const TOKEN = `workerd-${crypto.randomUUID()}`;
const MiB = 1024 * 1024;

// deno-lint-ignore no-explicit-any
type Miniflare = any;

const skip = runtimeName() !== "node"
  ? `miniflare (workerd) is driven from Node here; this file runs under node (now: ${runtimeName()})`
  : undefined;

let bundlePath: string | undefined;
async function bundle(): Promise<string> {
  if (bundlePath) return bundlePath;
  const esbuild = await import(toolingImport("esbuild", "lib/main.js"));
  const dir = mkdtempSync(`${testTmp() ?? tmpdir()}/stowage-worker-`);
  const out = `${dir}/worker.mjs`;
  await esbuild.build({
    entryPoints: [`${ROOT}/examples/worker.ts`],
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    external: ["node:*"],
    outfile: out,
    logLevel: "error",
  });
  return (bundlePath = out);
}

async function startWorker(
  bindings: Record<string, string>,
): Promise<{ mf: Miniflare; url: string }> {
  const { Miniflare } = await import(toolingImport("miniflare", "dist/src/index.js"));
  const scriptPath = await bundle();
  const mf = new Miniflare({
    modules: true,
    scriptPath,
    modulesRoot: scriptPath.slice(0, scriptPath.lastIndexOf("/")),
    cf: false,
    host: "127.0.0.1",
    port: 0,
    r2Buckets: ["BUCKET"],
    compatibilityDate: "2025-09-01",
    // The S3 flavor imports node:fs/promises lazily (for ~/.aws files):
    // miniflare, like wrangler, accepts the import only with nodejs_compat.
    compatibilityFlags: ["nodejs_compat"],
    bindings: { STOWAGE_TOKEN: TOKEN, ...bindings },
  });
  const url = String(await mf.ready).replace(/\/$/, "");
  return { mf, url };
}

test("workerd (miniflare): the example worker over an R2 binding", {
  skip,
  timeout: 120_000,
}, async () => {
  const { mf, url } = await startWorker({});
  try {
    await smoke(url, TOKEN, "r2");
    // The objects really are in the R2 binding.
    const bucket = await mf.getR2Bucket("BUCKET");
    const w = (await new HttpArtifactStore({ path: url, token: TOKEN }).open(
      `${url}/proof.txt`,
      "w",
    )).getWriter();
    await w.write("in R2");
    await w.close();
    assert.equal(await (await bucket.get("proof.txt")).text(), "in R2");
  } finally {
    await mf.dispose();
  }
});

const fauxqs = emulator("fauxqs");
const s3Missing = !existsSync(`${ROOT}/flavors/s3/mod.ts`)
  ? "flavors/s3/mod.ts does not exist yet"
  : undefined;

test("workerd (miniflare): the example worker over S3 (fauxqs on loopback)", {
  skip: skip ?? s3Missing ?? (typeof fauxqs === "string" ? fauxqs : undefined),
  timeout: 120_000,
}, async () => {
  if (typeof fauxqs === "string") return;
  const e = fauxqs.env;
  const { mf, url } = await startWorker({
    STOWAGE_PATH: `s3://${e.STOWAGE_TEST_S3_BUCKET}/workerd-${crypto.randomUUID().slice(0, 8)}`,
    AWS_ACCESS_KEY_ID: e.STOWAGE_TEST_S3_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: e.STOWAGE_TEST_S3_SECRET_ACCESS_KEY,
    AWS_REGION: e.STOWAGE_TEST_S3_REGION,
    AWS_ENDPOINT_URL_S3: e.STOWAGE_TEST_S3_ENDPOINT,
  });
  try {
    await smoke(url, TOKEN, "s3");
  } finally {
    await mf.dispose();
  }
});

// The r2 flavor's full conformance suite over miniflare's R2 binding.
let r2mf: Miniflare | undefined;
let r2store: R2ArtifactStore | string = skip ?? "";
if (!skip) {
  try {
    const { Miniflare } = await import(toolingImport("miniflare", "dist/src/index.js"));
    r2mf = new Miniflare({
      modules: true,
      script: "export default { fetch() { return new Response('') } }",
      cf: false,
      r2Buckets: ["BUCKET"],
      compatibilityDate: "2025-09-01",
    });
    const bucket = await r2mf.getR2Bucket("BUCKET") as R2BucketLike;
    r2store = new R2ArtifactStore({
      path: "r2://BUCKET/conformance",
      bucket,
      partSize: 5 * MiB,
    });
  } catch (err) {
    r2store = `miniflare did not start: ${(err as Error).message}`;
  }
}

conformance({
  name: "r2 (miniflare binding)",
  store: r2store,
  bigFileBytes: 11 * MiB + 7,
  manyKeys: 1100,
});

test(
  "r2: copy and rename past one part go part by part; create-only copy refuses",
  {
    skip: typeof r2store === "string" ? r2store || skip : undefined,
    timeout: 120_000,
  },
  async () => {
    const store = r2store as R2ArtifactStore;
    const d = `${store.path}/bigcopy-${crypto.randomUUID().slice(0, 8)}`;
    const data = patternBytes(12 * MiB + 5, 21);
    const w = (await store.open(`${d}/src.bin`, "wb")).getWriter();
    for (let i = 0; i < data.length; i += MiB) {
      await w.write(
        data.subarray(i, i + MiB),
      );
    }
    await w.close();
    await store.copyfile(`${d}/src.bin`, `${d}/copy.bin`);
    assert.equal(
      await sha256(await readAllBytes(await store.open(`${d}/copy.bin`, "rb"))),
      await sha256(data),
    );
    await assert.rejects(
      store.copyfile(`${d}/src.bin`, `${d}/copy.bin`),
      (e: Error) => e.name === "FileExistsError",
    );
    await store.rename(`${d}/copy.bin`, `${d}/moved/copy.bin`);
    assert.equal(await store.exists(`${d}/copy.bin`), false);
    assert.equal((await store.stat(`${d}/moved/copy.bin`)).size, data.length);
    const tail = await readAllBytes(
      await store.open(`${d}/moved/copy.bin`, "rb", {
        range: { start: data.length - 10, end: data.length + 100 },
      }),
    );
    assert.deepEqual(tail, data.slice(-10));
    await store.rmtree(d);
  },
);

test("r2 conformance: stop miniflare", { skip }, async () => {
  await r2mf?.dispose();
});
