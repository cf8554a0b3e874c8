import { test } from "node:test";
import assert from "node:assert/strict";
import * as v from "valibot";
import {
  ArtifactStoreError,
  BaseArtifactStore,
  ConfigError,
  createArtifactStore,
  type Flavor,
  getFlavor,
  getFlavorForScheme,
  listFlavors,
  localFlavor,
  mapLocalError,
  MemoryArtifactStore,
  NotSupportedError,
  registerFlavor,
  unregisterFlavor,
} from "../../mod.ts";
import { FileNotFoundError, IsADirectoryError, PermissionDeniedError } from "../../mod.ts";

test("registry: built-in flavors are listed; cloud flavors are not loaded by the core", async () => {
  const names = listFlavors().map((f) => f.name);
  for (const n of ["local", "memory"]) assert.ok(names.includes(n), n);
  assert.equal((await getFlavor("local")).name, "local");
  assert.equal((await getFlavorForScheme("memory")).name, "memory");
  assert.equal((await getFlavorForScheme("file://")).name, "local");
});

test("registry: unknown flavor and unknown scheme are typed errors that list the known ones", async () => {
  await assert.rejects(getFlavor("nope"), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /Unknown flavor 'nope': use one of .*'local'/);
    return true;
  });
  await assert.rejects(createArtifactStore("zz://bucket/x"), (e: Error) => {
    assert.ok(e instanceof NotSupportedError);
    assert.match(e.message, /No flavor serves 'zz:\/\/'.*'memory:\/\/'/);
    return true;
  });
});

test("registry: configs are validated by the flavor's schema", async () => {
  await assert.rejects(
    createArtifactStore({ flavor: "memory", path: 42 as unknown as string }),
    (e: Error) => e instanceof ConfigError && /'path' must be a string/.test(e.message),
  );
  await assert.rejects(
    createArtifactStore({ flavor: "memory", path: "  " }),
    (e: Error) => e instanceof ConfigError && /'path' is empty/.test(e.message),
  );
  await assert.rejects(
    createArtifactStore({ flavor: "memory", path: "s3://bucket" }),
    (e: Error) =>
      e instanceof ConfigError &&
      /takes paths starting with 'memory:\/\/'/.test(e.message),
  );
  await assert.rejects(createArtifactStore("relative/path"), ConfigError);
  const s = await createArtifactStore({
    flavor: "memory",
    path: `"memory://quoted"`,
  });
  assert.equal(s.path, "memory://quoted");
  const local = await createArtifactStore("/tmp/stowage-registry-test");
  assert.equal(local.flavor, "local");
});

test("registry: register a flavor object with its own schema, then unregister", async () => {
  const flavor: Flavor<{ path: string; size: number }> = {
    name: "sized",
    type: "artifact_store",
    supportedSchemes: ["sized://"],
    configSchema: v.object({
      path: v.string(),
      flavor: v.optional(v.string()),
      size: v.number(),
    }),
    create: (c) => new MemoryArtifactStore({ path: `memory://sized-${c.size}` }),
  };
  registerFlavor(flavor as unknown as Flavor);
  assert.throws(() => registerFlavor(flavor as unknown as Flavor), ConfigError);
  await assert.rejects(
    createArtifactStore({ flavor: "sized", path: "sized://x", size: "big" }),
    (e: Error) => e instanceof ConfigError && /size/.test(e.message),
  );
  const s = await createArtifactStore({
    flavor: "sized",
    path: "sized://x",
    size: 3,
  });
  assert.equal(s.path, "memory://sized-3");
  assert.equal(unregisterFlavor("sized"), true);
  await assert.rejects(getFlavor("sized"), ConfigError);
  assert.throws(() => registerFlavor({} as Flavor), ConfigError);
  assert.throws(
    () => registerFlavor(localFlavor as unknown as Flavor),
    ConfigError,
  );
  assert.equal(unregisterFlavor("local"), false, "built-ins stay");
});

test("registry: a store class without FLAVOR is refused with advice", () => {
  class NoName extends MemoryArtifactStore {
    static override FLAVOR = "";
  }
  assert.throws(() => registerFlavor(NoName), /static FLAVOR/);
  assert.ok(NoName.prototype instanceof BaseArtifactStore);
});

test("errors: local errno codes map to typed errors with context", () => {
  const e = (code: string) => Object.assign(new Error(code), { code });
  assert.ok(
    mapLocalError(e("ENOENT"), { path: "/x" }) instanceof FileNotFoundError,
  );
  assert.ok(mapLocalError(e("EISDIR")) instanceof IsADirectoryError);
  assert.ok(mapLocalError(e("EACCES")) instanceof PermissionDeniedError);
  const deno = Object.assign(new Error("x"), { name: "NotFound" });
  assert.ok(mapLocalError(deno) instanceof FileNotFoundError);
  const other = mapLocalError(e("EIO"), { path: "/y", op: "read" });
  assert.ok(other instanceof ArtifactStoreError);
  assert.match(other.message, /Cannot read '\/y'/);
  const nf = mapLocalError(e("ENOENT"), {
    path: "/x",
    op: "read",
    flavor: "local",
  });
  assert.equal(nf.code, "NotFound");
  assert.equal(nf.path, "/x");
  assert.equal(nf.flavor, "local");
  assert.equal(nf.name, "FileNotFoundError");
  assert.ok(nf.cause instanceof Error);
});
