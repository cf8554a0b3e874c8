import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import {
  FileExistsError,
  fileio,
  InvalidPathError,
  MemoryArtifactStore,
  NotSupportedError,
} from "../../mod.ts";
import { testTmp } from "../_env.ts";

test("fileio: longest registered root wins; paths outside stay refused", async () => {
  const outer = new MemoryArtifactStore({ path: "memory://fio" });
  const inner = new MemoryArtifactStore({ path: "memory://fio/inner" });
  fileio.register(outer);
  fileio.register(inner);
  try {
    assert.equal(await fileio.storeFor("memory://fio/inner/x"), inner);
    assert.equal(await fileio.storeFor("memory://fio/innerx/y"), outer);
    assert.equal(await fileio.storeFor("memory://fio/x"), outer);
    await fileio.writeText("memory://fio/inner/a.txt", "A");
    assert.equal(
      await outer.exists("memory://fio/inner/a.txt"),
      true,
      "one process-wide memory fs",
    );
  } finally {
    fileio.unregister(inner);
    fileio.unregister(outer);
  }
});

test("fileio: plain paths go to the local file system", async () => {
  const dir = mkdtempSync(`${testTmp() ?? tmpdir()}/stowage-fileio-`);
  await fileio.writeText(`${dir}/x/y.txt`, "local");
  assert.equal(await fileio.readText(`${dir}/x/y.txt`), "local");
  assert.equal((await fileio.storeFor(dir)).flavor, "local");
  assert.deepEqual(await fileio.listdir(`${dir}/x`), ["y.txt"]);
  await fileio.rmtree(dir);
  assert.equal(await fileio.exists(dir), false);
});

test("fileio: unknown schemes and empty paths are typed errors", async () => {
  await assert.rejects(fileio.readText("nosuch://b/k"), NotSupportedError);
  await assert.rejects(fileio.exists(""), InvalidPathError);
});

test("fileio: copy and rename across stores stream and respect overwrite", async () => {
  const dir = mkdtempSync(`${testTmp() ?? tmpdir()}/stowage-fileio-`);
  const data = new Uint8Array(5 * 1024 * 1024 + 3).map((_, i) => (i * 7) & 0xff);
  await fileio.writeBytes("memory://fio-copy/big.bin", data);
  await fileio.copy("memory://fio-copy/big.bin", `${dir}/big.bin`);
  assert.deepEqual(await fileio.readBytes(`${dir}/big.bin`), data);
  await assert.rejects(
    fileio.copy("memory://fio-copy/big.bin", `${dir}/big.bin`),
    FileExistsError,
  );
  await fileio.writeText("memory://fio-copy/small.txt", "s");
  await fileio.copy("memory://fio-copy/small.txt", `${dir}/big.bin`, {
    overwrite: true,
  });
  assert.equal(await fileio.readText(`${dir}/big.bin`), "s");
  await fileio.rename(`${dir}/big.bin`, "memory://fio-copy/moved.txt");
  assert.equal(await fileio.exists(`${dir}/big.bin`), false);
  assert.equal(await fileio.readText("memory://fio-copy/moved.txt"), "s");
  const ranged = await fileio.readBytes("memory://fio-copy/big.bin", {
    range: { start: 10, end: 14 },
  });
  assert.deepEqual(ranged, data.slice(10, 14));
  let walked = 0;
  for await (const [, , files] of fileio.walk("memory://fio-copy")) {
    walked += files.length;
  }
  assert.equal(walked, 3);
  assert.equal(await fileio.size("memory://fio-copy/big.bin"), data.length);
  await fileio.rmtree(dir);
});

test("fileio: a failing source aborts the cross-store copy and leaves nothing", async () => {
  const dir = mkdtempSync(`${testTmp() ?? tmpdir()}/stowage-fileio-`);
  await assert.rejects(
    fileio.copy("memory://fio-copy/missing.bin", `${dir}/out.bin`),
  );
  assert.equal(await fileio.exists(`${dir}/out.bin`), false);
  assert.deepEqual(await fileio.listdir(dir), []);
  await fileio.rmtree(dir);
});
