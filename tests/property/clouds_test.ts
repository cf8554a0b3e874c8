// The object stores must agree with local (itself checked against Python in
// oracle_test.ts): over trees fast-check generates from every character the clouds allow,
// each cloud flavor on its real emulator gives the same listdir, walk, glob, exists,
// isdir, stat sizes and bytes as a local directory holding the same files. Seeds are
// printed by fast-check on failure.
//
// Where a service differs on purpose, the test says so: none known today — every name
// of the alphabet round-trips on fauxqs, Ceph RGW, Azurite and the firebase emulator.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import fc from "fast-check";
import { type BaseArtifactStore, LocalArtifactStore, type WalkEntry } from "../../mod.ts";
import { S3ArtifactStore } from "../../flavors/s3/mod.ts";
import { GcsArtifactStore } from "../../flavors/gcs/mod.ts";
import { testTmp } from "../_env.ts";
import { s3Config, s3Emulator } from "../s3/_s3.ts";
import { azureStore } from "../azure/_azure.ts";
import { emulatorConfig, gcsEmulator } from "../gcs/_gcs.ts";
import { treeWithPatternsArb } from "./_arbitraries.ts";

type MakeStore = (run: number) => BaseArtifactStore;

function cloud(name: string): MakeStore | string {
  const stamp = `prop-${Date.now().toString(36)}`;
  if (name === "fauxqs" || name === "ceph") {
    const e = s3Emulator(name);
    if (typeof e === "string") return e;
    return (run) => new S3ArtifactStore(s3Config(e, `${stamp}-${run}`));
  }
  if (name === "azurite") {
    const probe = azureStore("probe");
    if (typeof probe === "string") return probe;
    return (run) => azureStore(`${stamp}-${run}`) as BaseArtifactStore;
  }
  const e = gcsEmulator();
  if (typeof e === "string") return e;
  return (run) => new GcsArtifactStore(emulatorConfig(e, `${stamp}-${run}`));
}

async function write(store: BaseArtifactStore, path: string, text: string): Promise<void> {
  const w = (await store.open(path, "w")).getWriter();
  await w.write(text);
  await w.close();
}

async function read(store: BaseArtifactStore, path: string): Promise<string> {
  let out = "";
  for await (const c of await store.open(path, "r")) out += c;
  return out;
}

async function walked(store: BaseArtifactStore): Promise<string[]> {
  const out: string[] = [];
  for await (const [dir, dirs, files] of store.walk(store.path) as AsyncIterable<WalkEntry>) {
    out.push(JSON.stringify([dir.slice(store.path.length), dirs, files]));
  }
  return out;
}

const rel = (store: BaseArtifactStore, uris: string[]) =>
  uris.map((u) => u.slice(store.path.length));

for (const name of ["fauxqs", "ceph", "azurite", "gcs"]) {
  const make = cloud(name);
  test(
    `${name}: listdir, walk, glob, exists, isdir, stat and bytes agree with local on generated trees`,
    { skip: typeof make === "string" ? make : false, timeout: 240_000 },
    async () => {
      const mk = make as MakeStore;
      const base = mkdtempSync(`${testTmp() ?? tmpdir()}/stowage-clouds-`);
      let run = 0;
      try {
        await fc.assert(
          fc.asyncProperty(
            treeWithPatternsArb(3, 6),
            async ([tree, patterns]) => {
              const local = new LocalArtifactStore({ path: `${base}/t${run}` });
              const remote = mk(run++);
              try {
                for (const key of tree) {
                  await write(local, `${local.path}/${key}`, `${key}\n`);
                  await write(remote, `${remote.path}/${key}`, `${key}\n`);
                }
                assert.deepEqual(
                  await remote.listdir(remote.path),
                  await local.listdir(local.path),
                );
                assert.deepEqual(await walked(remote), await walked(local), "walk");
                for (const p of patterns) {
                  assert.deepEqual(
                    rel(remote, await remote.glob(`${remote.path}/${p}`)),
                    rel(local, await local.glob(`${local.path}/${p}`)),
                    `glob '${p}'`,
                  );
                }
                const probes = new Set<string>();
                for (const key of tree) {
                  const segs = key.split("/");
                  segs.forEach((_, i) => probes.add(segs.slice(0, i + 1).join("/")));
                  probes.add(`${key}-missing`);
                }
                for (const key of probes) {
                  const [l, r] = [`${local.path}/${key}`, `${remote.path}/${key}`];
                  assert.equal(await remote.exists(r), await local.exists(l), `exists '${key}'`);
                  assert.equal(await remote.isdir(r), await local.isdir(l), `isdir '${key}'`);
                }
                for (const key of tree) {
                  const r = `${remote.path}/${key}`;
                  assert.equal(
                    (await remote.stat(r)).size,
                    (await local.stat(`${local.path}/${key}`)).size,
                  );
                  assert.equal(await read(remote, r), `${key}\n`, `bytes of '${key}'`);
                }
              } finally {
                await remote.rmtree(remote.path).catch(() => {});
              }
              assert.deepEqual(
                await remote.listdir(remote.path).catch(() => []),
                [],
                "rmtree cleared it",
              );
            },
          ),
          { numRuns: 12 },
        );
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    },
  );
}
