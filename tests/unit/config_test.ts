// Every way to build a store validates the same way: `new XArtifactStore(config)`,
// `createArtifactStore(config)` and `flavor.create(config)` refuse a root with another
// scheme and settings the flavor does not have (with the closest one suggested, and
// ZenML's names translated), and strip the quotes ZenML strips. Checked for every
// built-in flavor, with generated typos.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import fc from "fast-check";
import {
  type BaseArtifactStore,
  ConfigError,
  createArtifactStore,
  LocalArtifactStore,
  MemoryArtifactStore,
} from "../../mod.ts";
import { S3ArtifactStore } from "../../flavors/s3/mod.ts";
import { GcsArtifactStore } from "../../flavors/gcs/mod.ts";
import { AzureArtifactStore } from "../../flavors/azure/mod.ts";
import { HttpArtifactStore } from "../../flavors/http/mod.ts";
import { R2ArtifactStore } from "../../flavors/r2/mod.ts";
import { configKeys, validateConfig } from "../../src/flavor.ts";
import { getFlavor } from "../../src/registry.ts";

const fakeBucket = {
  head: () => Promise.resolve(null),
  get: () => Promise.resolve(null),
  put: () => Promise.resolve(null),
  delete: () => Promise.resolve(),
  list: () => Promise.resolve({ objects: [], delimitedPrefixes: [], truncated: false }),
  createMultipartUpload: () => Promise.reject(new Error("unused")),
  resumeMultipartUpload: () => {
    throw new Error("unused");
  },
};

/** Each built-in flavor: its class, a valid config, and a root of another scheme. */
const FLAVORS: {
  name: string;
  cls: new (c: never) => BaseArtifactStore;
  valid: Record<string, unknown>;
  wrongRoots: string[];
}[] = [
  {
    name: "local",
    cls: LocalArtifactStore,
    valid: { path: "/tmp/stowage-config-test" },
    wrongRoots: ["s3://b/x", "memory://x"],
  },
  {
    name: "memory",
    cls: MemoryArtifactStore,
    valid: { path: "memory://config-test" },
    wrongRoots: ["/tmp/x", "s3://b"],
  },
  {
    name: "s3",
    cls: S3ArtifactStore,
    valid: {
      path: "s3://b/run",
      region: "us-east-1",
      accessKeyId: "AKID",
      secretAccessKey: "s",
      endpoint: "http://127.0.0.1:9",
    },
    wrongRoots: ["/mybucket/run", "mybucket/run", "gs://b/run"],
  },
  {
    name: "gcp",
    cls: GcsArtifactStore,
    valid: { path: "gs://b/run", anonymous: true, endpoint: "http://127.0.0.1:9" },
    wrongRoots: ["/b/run", "s3://b/run"],
  },
  {
    name: "azure",
    cls: AzureArtifactStore,
    valid: {
      path: "az://cont/run",
      accountName: "acct",
      accountKey: "a2V5",
      endpoint: "http://127.0.0.1:9/acct",
    },
    wrongRoots: ["/cont/run", "s3://cont/run"],
  },
  {
    name: "http",
    cls: HttpArtifactStore,
    valid: { path: "http://127.0.0.1:9", token: "t" },
    wrongRoots: ["/x", "s3://b"],
  },
  {
    name: "r2",
    cls: R2ArtifactStore,
    valid: { path: "r2://B/run", bucket: fakeBucket },
    wrongRoots: ["/B/run", "s3://B/run"],
  },
];

async function refusals(
  f: (typeof FLAVORS)[number],
  config: Record<string, unknown>,
): Promise<ConfigError[]> {
  const flavor = await getFlavor(f.name);
  const attempts: (() => unknown)[] = [
    () => new f.cls(config as never),
    () => flavor.create(config as never),
    () => validateConfig(flavor, config),
    () => createArtifactStore({ flavor: f.name, ...config } as never),
  ];
  const out: ConfigError[] = [];
  for (const attempt of attempts) {
    const err = await Promise.resolve().then(attempt).then(() => null, (e) => e);
    assert.ok(err instanceof ConfigError, `${f.name} ${JSON.stringify(config)}: got ${err}`);
    out.push(err);
  }
  return out;
}

test("config: every built-in flavor builds from its valid config, however it is made", async () => {
  for (const f of FLAVORS) {
    const store = new f.cls(f.valid as never);
    assert.equal(store.flavor, f.name);
    const flavor = await getFlavor(f.name);
    assert.equal(
      (await flavor.create(await validateConfig(flavor, f.valid) as never)).flavor,
      f.name,
    );
    assert.ok(configKeys(flavor.configSchema)?.includes("path"), `${f.name} has a closed schema`);
  }
});

test("config: a root of another scheme is a ConfigError on every path, and touches nothing", async () => {
  const before = existsSync("s3:");
  for (const f of FLAVORS) {
    for (const root of f.wrongRoots) {
      for (const err of await refusals(f, { ...f.valid, path: root })) {
        assert.match(err.message, new RegExp(`'${f.name}' flavor takes paths starting with`));
      }
    }
  }
  assert.equal(existsSync("s3:"), before, "no ./s3: directory was created");
});

test("config: unknown settings are refused with the closest name, on every path", async () => {
  const cases: [string, string, RegExp][] = [
    ["s3", "regoin", /'regoin': did you mean 'region'\?/],
    ["s3", "endpont", /did you mean 'endpoint'\?/],
    ["s3", "key", /'key' is ZenML's name: use 'accessKeyId'/],
    ["s3", "secret", /'secret' is ZenML's name: use 'secretAccessKey'/],
    ["s3", "client_kwargs", /ZenML's name: use endpoint and region/],
    ["azure", "account_name", /'account_name': use 'accountName'/],
    ["azure", "account_key", /'account_key': use 'accountKey'/],
    ["gcp", "project", /ZenML's name: use nothing: the bucket names the project/],
    ["local", "partSize", /Unknown setting for the 'local' flavor: 'partSize'/],
    ["memory", "region", /Its settings: path, flavor/],
    ["http", "tokn", /did you mean 'token'\?/],
    ["r2", "bukcet", /did you mean 'bucket'\?/],
  ];
  for (const [name, key, re] of cases) {
    const f = FLAVORS.find((x) => x.name === name)!;
    for (const err of await refusals(f, { ...f.valid, [key]: "x" })) {
      assert.match(err.message, re, `${name} ${key}`);
    }
  }
});

test("config: any one-letter typo of a real setting is refused and the setting suggested", async () => {
  for (const f of FLAVORS) {
    const keys = configKeys((await getFlavor(f.name)).configSchema)!.filter((k) => k.length > 4);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...keys),
        fc.nat(),
        fc.constantFrom("a", "e", "x", "_"),
        async (key, at, letter) => {
          const i = at % key.length;
          const typo = key.slice(0, i) + letter + key.slice(i + 1);
          fc.pre(!keys.includes(typo) && typo !== key);
          const err = await Promise.resolve().then(() =>
            new f.cls({ ...f.valid, [typo]: 1 } as never)
          ).then(() => null, (e) => e);
          assert.ok(err instanceof ConfigError, `${f.name} ${typo}`);
          assert.match(err.message, new RegExp(`'${typo}'`));
          assert.match(err.message, /did you mean '/, `${f.name}: ${typo} → ${err.message}`);
        },
      ),
      { numRuns: 30 },
    );
  }
});

test("config: quotes around a root are stripped as ZenML strips them: ', \" and `", async () => {
  for (const q of ["'", '"', "`"]) {
    const m = new MemoryArtifactStore({ path: `${q}memory://quoted-${q.charCodeAt(0)}${q}` });
    assert.equal(m.path, `memory://quoted-${q.charCodeAt(0)}`);
    const s = await createArtifactStore(` ${q}memory://quoted-fileio${q} `);
    assert.equal(s.path, "memory://quoted-fileio");
  }
  assert.throws(() => new MemoryArtifactStore({ path: "``" }), ConfigError);
  assert.throws(() => new MemoryArtifactStore({ path: 3 } as never), ConfigError);
});

test("config: the object stores take readPartSize and readConcurrency, checked", async () => {
  for (const f of FLAVORS.filter((x) => ["s3", "gcp", "azure", "r2"].includes(x.name))) {
    const store = new f.cls({ ...f.valid, readPartSize: 65536, readConcurrency: 8 } as never) as
      & BaseArtifactStore
      & { readPartSize: number; readConcurrency: number };
    assert.deepEqual([store.readPartSize, store.readConcurrency], [65536, 8], f.name);
    for (
      const [bad, msg] of [
        [{ readPartSize: 1000 }, /'readPartSize' must be at least 64 KiB/],
        [{ readPartSize: 65536.5 }, /'readPartSize' must be a whole number/],
        [{ readConcurrency: 0 }, /'readConcurrency' must be at least 1 \(1 reads with one GET\)/],
        [{ readConcurrency: 65 }, /'readConcurrency' must be at most 64/],
      ] as const
    ) {
      for (const err of await refusals(f, { ...f.valid, ...bad })) {
        assert.match(err.message, msg, `${f.name} ${JSON.stringify(bad)}`);
      }
    }
  }
});
