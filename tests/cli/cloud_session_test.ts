// A CLI session across clouds from a fresh $STOWAGE_HOME: an S3 store on fauxqs and an Azure
// store on Azurite registered by name, a 50 MiB file copied local → S3 → Azure → local (bytes
// identical), then ls, tree, glob and rm -r over both.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { main } from "../../src/cli/mod.ts";
import { emulator, testTmp } from "../_env.ts";

const s3 = emulator("fauxqs");
const az = emulator("azurite");
const skip = typeof s3 === "string" ? s3 : typeof az === "string" ? az : undefined;

test(
  "cli: a session across S3 (fauxqs) and Azure (Azurite), 50 MiB both ways",
  {
    skip,
    timeout: 300_000,
  },
  async () => {
    if (typeof s3 === "string" || typeof az === "string") return;
    const home = mkdtempSync(`${testTmp() ?? tmpdir()}/stowage-cloud-cli-`);
    const env: Record<string, string> = { STOWAGE_HOME: home, HOME: home };
    const run = async (...args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(args, {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
        errRaw: () => {},
        stdout: () => new WritableStream(),
        isTTY: false,
        env: (n) => env[n],
      });
      return { code, out: out.join("\n"), err: err.join("\n") };
    };
    const ok = async (...args: string[]) => {
      const r = await run(...args);
      assert.equal(r.code, 0, `stowage ${args.join(" ")}: ${r.err}`);
      return r.out;
    };
    const prefix = `cli-${Date.now().toString(36)}`;
    await ok(
      "artifact-store",
      "register",
      "lake",
      "--flavor",
      "s3",
      "--path",
      `s3://${s3.env.STOWAGE_TEST_S3_BUCKET}/${prefix}`,
      `--endpoint=${s3.endpoint}`,
      "--region=us-east-1",
      `--accessKeyId=${s3.env.STOWAGE_TEST_S3_ACCESS_KEY_ID}`,
      `--secretAccessKey=${s3.env.STOWAGE_TEST_S3_SECRET_ACCESS_KEY}`,
    );
    await ok(
      "artifact-store",
      "register",
      "blob",
      "--flavor",
      "azure",
      "--path",
      `az://${az.env.STOWAGE_TEST_AZURE_CONTAINER}/${prefix}`,
      `--endpoint=${az.env.STOWAGE_TEST_AZURE_ENDPOINT}`,
      `--accountName=${az.env.STOWAGE_TEST_AZURE_ACCOUNT}`,
      `--accountKey=${az.env.STOWAGE_TEST_AZURE_KEY}`,
    );
    const described = await ok("artifact-store", "describe", "blob");
    assert.doesNotMatch(
      described,
      new RegExp(az.env.STOWAGE_TEST_AZURE_KEY.slice(0, 12)),
    );

    const data = new Uint8Array(50 * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24);
    writeFileSync(`${home}/model.bin`, data);
    await ok("cp", `${home}/model.bin`, "lake:runs/1/model.bin");
    await ok("cp", "lake:runs/1/model.bin", "blob:runs/1/model.bin");
    await ok("cp", "blob:runs/1/model.bin", `${home}/back.bin`);
    assert.deepEqual(new Uint8Array(readFileSync(`${home}/back.bin`)), data);

    await ok("cp", `${home}/model.bin`, "lake:runs/2/");
    writeFileSync(`${home}/metrics.json`, '{"acc":0.9}');
    await ok("cp", `${home}/metrics.json`, "lake:runs/2/metrics.json");
    await ok("cp", "-r", "lake:runs/2", "blob:runs/2");
    assert.equal(await ok("ls", "lake:runs"), "1\n2");
    const ll = await ok("ls", "-l", "blob:runs/2");
    assert.match(ll, /50\.0 MiB .* model\.bin/);
    assert.match(
      await ok("tree", "blob:runs"),
      /├── 1\/\n│ {3}└── model\.bin\n└── 2\/\n {4}├── metrics\.json\n {4}└── model\.bin/,
    );
    const globbed = JSON.parse(
      await ok(
        "glob",
        "--json",
        `s3://${s3.env.STOWAGE_TEST_S3_BUCKET}/${prefix}/**/*.json`,
      ),
    );
    assert.deepEqual(globbed, [
      `s3://${s3.env.STOWAGE_TEST_S3_BUCKET}/${prefix}/runs/2/metrics.json`,
    ]);
    await ok("rm", "-r", "lake:runs", "blob:runs");
    assert.equal((await run("ls", "lake:runs")).code, 1);
    assert.equal((await run("ls", "blob:runs")).code, 1);
  },
);
