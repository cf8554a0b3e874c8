// The custom flavor of examples/custom_flavor.ts, registered and used through fileio and
// createArtifactStore, passes the whole conformance suite: a flavor written against
// ObjectStore's five-call core gets every operation right.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createArtifactStore,
  fileio,
  listFlavors,
  registerFlavor,
  unregisterFlavor,
} from "../../mod.ts";
import { KvArtifactStore } from "../../examples/custom_flavor.ts";
import { conformance } from "../conformance/suite.ts";

// Bun runs every test file in one process: another file (the CLI's) may have registered
// the example already, so start from a clean registry entry.
unregisterFlavor("kv");
registerFlavor(KvArtifactStore);

test("custom flavor: listed, created from a URI, used through fileio", async () => {
  const info = listFlavors().find((f) => f.name === "kv");
  assert.ok(info);
  assert.deepEqual(info.supportedSchemes, ["kv://"]);
  assert.equal(info.builtin, false);
  const store = await createArtifactStore("kv://unit-bucket/prefix");
  assert.ok(store instanceof KvArtifactStore);
  await fileio.writeText("kv://unit-bucket/prefix/a/b.txt", "hello kv");
  assert.equal(
    await fileio.readText("kv://unit-bucket/prefix/a/b.txt"),
    "hello kv",
  );
  assert.deepEqual(await fileio.listdir("kv://unit-bucket/prefix/a"), [
    "b.txt",
  ]);
  assert.deepEqual(await fileio.glob("kv://unit-bucket/**/*.txt"), [
    "kv://unit-bucket/prefix/a/b.txt",
  ]);
  // Copy across flavors streams through fileio.
  await fileio.copy(
    "kv://unit-bucket/prefix/a/b.txt",
    "memory://custom-flavor-test/b.txt",
  );
  assert.equal(
    await fileio.readText("memory://custom-flavor-test/b.txt"),
    "hello kv",
  );
});

conformance({
  name: "custom kv flavor",
  store: new KvArtifactStore({
    path: "kv://conformance",
    partSize: 256 * 1024,
  }),
  bigFileBytes: 1024 * 1024 + 77,
});
