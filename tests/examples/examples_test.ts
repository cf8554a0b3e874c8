// The examples run as users run them: the quickstart as a program, the cross-cloud copy as a
// program with credentials from the environment (local → S3 on fauxqs → Azure on Azurite) and
// as a function, and the server example of the runtime under test on a real socket.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { fileio } from "../../mod.ts";
import { S3ArtifactStore } from "../../flavors/s3/mod.ts";
import { AzureArtifactStore } from "../../flavors/azure/mod.ts";
import { crossCloudCopy } from "../../examples/cross_cloud_copy.ts";
import { emulator, runtimeName, testTmp } from "../_env.ts";
import { tsxImport } from "../_deps.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(
  /\/$/,
  "",
);
const tmp = () => mkdtempSync(`${testTmp() ?? tmpdir()}/stowage-examples-`);

/** The current runtime's command for running a TypeScript file. */
function runtimeCmd(): [string, string[]] {
  const rt = runtimeName();
  if (rt === "deno") return [process.execPath, ["run", "-A"]];
  if (rt === "bun") return [process.execPath, []];
  return [process.execPath, ["--import", tsxImport()]];
}

function runProgram(
  file: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string }> {
  const [cmd, pre] = runtimeCmd();
  return new Promise((resolve) => {
    const child = spawn(cmd, [...pre, `${ROOT}/${file}`, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

test("examples: quickstart writes, lists, globs, copies and reads in the default store", async () => {
  const home = tmp();
  const r = await runProgram("examples/quickstart.ts", [], {
    STOWAGE_HOME: home,
  });
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /listdir\(run\) {3}-> \["metrics\.json","model"\]/);
  assert.match(
    r.out,
    /copied weights -> .*weights\.backup\.bin \(4096 bytes\)/,
  );
  assert.match(r.out, /metrics: \{"accuracy":0\.93,"loss":0\.21\}/);
  assert.ok(existsSync(`${home}/local/quickstart`));
});

const s3 = emulator("fauxqs");
const az = emulator("azurite");
const cloudSkip = typeof s3 === "string" ? s3 : typeof az === "string" ? az : undefined;

test(
  "examples: cross-cloud copy, local → S3 → Azure with env credentials, and back",
  {
    skip: cloudSkip,
    timeout: 180_000,
  },
  async () => {
    if (typeof s3 === "string" || typeof az === "string") return;
    const dir = tmp();
    mkdirSync(`${dir}/src/deep`, { recursive: true });
    const big = new Uint8Array(9 * 1024 * 1024 + 7).map((_, i) => (i * 31) & 0xff);
    writeFileSync(`${dir}/src/a.txt`, "alpha");
    writeFileSync(`${dir}/src/deep/big.bin`, big);
    const prefix = `example-${Date.now().toString(36)}`;
    const s3Uri = `s3://${s3.env.STOWAGE_TEST_S3_BUCKET}/${prefix}`;
    const azUri = `az://${az.env.STOWAGE_TEST_AZURE_CONTAINER}/${prefix}`;
    const env = {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ACCESS_KEY_ID: s3.env.STOWAGE_TEST_S3_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: s3.env.STOWAGE_TEST_S3_SECRET_ACCESS_KEY,
      AWS_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
      AZURE_STORAGE_CONNECTION_STRING: az.env.STOWAGE_TEST_AZURE_CONNECTION_STRING,
    };
    const up = await runProgram("examples/cross_cloud_copy.ts", [
      `${dir}/src`,
      s3Uri,
    ], env);
    assert.equal(up.code, 0, up.out);
    assert.match(up.out, /copied 2 files, 9437196 bytes/);
    const across = await runProgram("examples/cross_cloud_copy.ts", [
      s3Uri,
      azUri,
    ], env);
    assert.equal(across.code, 0, across.out);
    // Back to local through the function, with the stores registered explicitly.
    const s3Store = new S3ArtifactStore({
      path: s3Uri,
      endpoint: s3.endpoint,
      region: "us-east-1",
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    });
    const azStore = new AzureArtifactStore({
      path: azUri,
      connectionString: env.AZURE_STORAGE_CONNECTION_STRING,
    });
    fileio.register(s3Store);
    fileio.register(azStore);
    try {
      const seen: string[] = [];
      const back = await crossCloudCopy(
        azUri,
        `${dir}/back`,
        (from) => seen.push(from),
      );
      assert.deepEqual(back, { files: 2, bytes: big.length + 5 });
      assert.deepEqual(seen.sort(), [
        `${azUri}/a.txt`,
        `${azUri}/deep/big.bin`,
      ]);
      assert.deepEqual(
        new Uint8Array(readFileSync(`${dir}/back/deep/big.bin`)),
        big,
      );
      assert.equal(readFileSync(`${dir}/back/a.txt`, "utf8"), "alpha");
      await s3Store.rmtree(s3Uri);
      await azStore.rmtree(azUri);
    } finally {
      fileio.unregister(s3Store);
      fileio.unregister(azStore);
    }
  },
);

const SERVERS: Record<string, string> = {
  deno: "examples/deno_server.ts",
  bun: "examples/bun_server.ts",
  node: "examples/node_server.ts",
};

for (const [rt, file] of Object.entries(SERVERS)) {
  test(`examples: ${file} serves the default store`, {
    skip: runtimeName() === rt ? undefined : `runs under ${rt} (this run is ${runtimeName()})`,
    timeout: 60_000,
  }, async () => {
    const home = tmp();
    const [cmd, pre] = runtimeCmd();
    const child = spawn(cmd, [...pre, `${ROOT}/${file}`], {
      cwd: ROOT,
      env: {
        ...process.env,
        STOWAGE_HOME: home,
        PORT: "0",
        STOWAGE_TOKEN: "ex-token",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        let buf = "";
        const timer = setTimeout(
          () => reject(new Error(`no banner: ${buf}`)),
          30_000,
        );
        child.stdout.on("data", (d) => {
          buf += d;
          if (buf.split("\n").length > 3) {
            clearTimeout(timer);
            resolve(buf);
          }
        });
        child.stderr.on("data", (d) => (buf += d));
      });
      const [first, second] = banner.split("\n");
      assert.match(
        first,
        /^Stowage serving .*\/local at http:\/\/127\.0\.0\.1:\d+$/,
      );
      assert.equal(second, "Token: ex-token");
      const url = first.split(" at ")[1];
      const auth = { authorization: "Bearer ex-token" };
      const put = await fetch(`${url}/files/a/b.txt`, {
        method: "PUT",
        headers: auth,
        body: "hi",
      });
      assert.equal(put.status, 201);
      await put.body?.cancel();
      const get = await fetch(`${url}/files/a/b.txt`, {
        headers: { ...auth, range: "bytes=1-" },
      });
      assert.equal(get.status, 206);
      assert.equal(await get.text(), "i");
      assert.equal(readFileSync(`${home}/local/a/b.txt`, "utf8"), "hi");
      const anon = await fetch(`${url}/list/`);
      assert.equal(anon.status, 401);
      await anon.body?.cancel();
    } finally {
      child.kill("SIGKILL");
    }
  });
}

test("examples: a bad PORT or store argument is one line and exit 2, no stack trace", async () => {
  const file = SERVERS[runtimeName()] ?? SERVERS.node;
  for (
    const [args, env, want] of [
      [[], { PORT: "abc" }, /^PORT 'abc' is not a port number: use 0-65535/],
      [[], { PORT: "70000" }, /^PORT '70000' is not a port number/],
      [["nope://bucket"], { PORT: "0" }, /^stowage: No flavor serves 'nope:\/\/' paths/],
    ] as const
  ) {
    const r = await runProgram(file, [...args], { STOWAGE_HOME: tmp(), ...env });
    assert.equal(r.code, 2, r.out);
    const lines = r.out.trim().split("\n").filter((l) => !/^(Download|Task) /.test(l));
    assert.equal(lines.length, 1, r.out);
    assert.match(lines[0], want);
  }
});
