// The r2 flavor's configuration on every runtime (no workerd needed): the binding
// comes from `bucket` or `env`, a missing one is a ConfigError naming it, and the
// registry builds r2 stores once the subpath is imported. Its behaviour against a real R2 binding is in
// workerd_test.ts (miniflare).

import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, createArtifactStore, listFlavors } from "../../mod.ts";
import { R2ArtifactStore, type R2BucketLike } from "../../flavors/r2/mod.ts";

const fake: R2BucketLike = {
  head: () => Promise.resolve(null),
  get: () => Promise.resolve(null),
  put: () => Promise.resolve(null),
  delete: () => Promise.resolve(),
  list: () => Promise.resolve({ objects: [], truncated: false, delimitedPrefixes: [] }),
  createMultipartUpload: () => Promise.reject(new Error("not in this test")),
};

test("r2: the binding from `bucket` or from `env` under the URI's first segment", async () => {
  const a = new R2ArtifactStore({ path: "r2://BUCKET/prefix", bucket: fake });
  assert.equal(a.path, "r2://BUCKET/prefix");
  assert.equal(a.flavor, "r2");
  const b = new R2ArtifactStore({
    path: "r2://ARTIFACTS",
    env: { ARTIFACTS: fake },
  });
  assert.equal(await b.exists("r2://ARTIFACTS/nothing"), false);
  assert.deepEqual(
    (await b.glob("r2://ARTIFACTS/**")).filter((p) => p !== "r2://ARTIFACTS"),
    [],
  ); // `x/**` includes `x` itself
});

test("r2: a missing binding or a part size below R2's minimum is a ConfigError", async () => {
  assert.throws(
    () => new R2ArtifactStore({ path: "r2://MISSING", env: {} }),
    (e: Error) => e instanceof ConfigError && /MISSING/.test(e.message),
  );
  assert.throws(
    () => new R2ArtifactStore({ path: "r2://B", bucket: {} as R2BucketLike }),
    ConfigError,
  );
  assert.throws(
    () => new R2ArtifactStore({ path: "r2://B", bucket: fake, partSize: 1024 }),
    ConfigError,
  );
  await assert.rejects(createArtifactStore("r2://NOBINDING"), ConfigError);
});

test("r2: importing its subpath registers the flavor for createArtifactStore", async () => {
  const r2 = listFlavors().find((f) => f.name === "r2");
  assert.ok(r2?.builtin, "r2 is registered as a built-in");
  const store = await createArtifactStore({
    path: "r2://BUCKET/x",
    env: { BUCKET: fake },
  });
  assert.ok(store instanceof R2ArtifactStore);
});
