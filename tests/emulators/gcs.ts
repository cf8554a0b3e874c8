/**
 * Launcher for a GCS JSON API emulator: the firebase-tools Storage emulator
 * (npm `firebase-tools`, devDependency), created in-process by
 * `tests/emulators/gcs_server.cjs` in a child `node` process, on 127.0.0.1
 * with an OS-chosen port. No Java, no firebase CLI, no auth checks.
 *
 * What it serves, and at which URL prefixes (see gcs_server.cjs for the list
 * of gaps): uploads only under `/upload/storage/v1/b/{bucket}/o`; object GET /
 * list / DELETE under both `/storage/v1/b/…` and `/b/…`; PATCH, `copyTo` and
 * `rewriteTo` only under `/b/…` (501 with the `/storage/v1` prefix).
 * Buckets spring into existence on first use; there is no bucket insert.
 *
 * Runs under Deno, Bun and Node: only `node:` built-ins and `fetch`.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Emulator, EmulatorUnavailableError } from "./types.ts";
import { once, processEnv, watchChild } from "./_child.ts";

export type { Emulator } from "./types.ts";

/** The bucket {@link startGcs} reports in its env (registered at start-up). */
export const GCS_BUCKET = "stowage-test";

/** The (demo, offline) Firebase project id the emulator runs as. */
export const GCS_PROJECT = "demo-stowage";

const READY_TIMEOUT_MS = 20_000;

/** Project root (`tests/emulators/../..`), from this module's URL. */
function projectRoot(): string {
  let p = decodeURIComponent(new URL("../../", import.meta.url).pathname);
  if (/^\/[A-Za-z]:\//.test(p)) p = p.slice(1); // file:///C:/… on Windows
  return p;
}

/**
 * Starts the firebase-tools Storage emulator (GCS JSON API) on 127.0.0.1 with
 * an OS-chosen port, as project {@link GCS_PROJECT}, and registers the bucket
 * {@link GCS_BUCKET}.
 *
 * The returned env holds `STOWAGE_TEST_GCS_ENDPOINT`
 * (`http://127.0.0.1:PORT`, the JSON API root: append
 * `/storage/v1/…` or `/upload/storage/v1/…`), `STOWAGE_TEST_GCS_BUCKET`,
 * `STOWAGE_TEST_GCS_PROJECT` and `STOWAGE_TEST_GCS_EMULATOR_HOST`
 * (`127.0.0.1:PORT`, the `STORAGE_EMULATOR_HOST` form without a scheme).
 *
 * Every instance keeps its object bytes in its own temporary directory,
 * removed by `stop()`.
 *
 * @throws {EmulatorUnavailableError} when firebase-tools is not in
 *   node_modules or `node` is not on PATH
 *   (Deno then substitutes itself as `node`, which also runs the emulator)
 * @throws {Error} when the emulator does not report its port within 20 s,
 *   exits early, or does not answer a list request
 */
export async function startGcs(): Promise<Emulator> {
  const root = projectRoot();
  const server = join(root, "tests", "emulators", "gcs_server.cjs");
  const storage = join(
    root,
    "tests",
    "tooling",
    "node_modules",
    "firebase-tools",
    "lib",
    "emulator",
    "storage",
    "index.js",
  );
  try {
    await access(storage);
  } catch {
    throw new EmulatorUnavailableError(
      `firebase-tools not found at ${storage}; run \`npm ci\` in ${root}/tests/tooling ` +
        "(devDependency firebase-tools@15.34.2, --ignore-scripts is enough)",
    );
  }
  // The emulator stores blobs in `${os.tmpdir()}/firebase/storage/blobs` and
  // deletes that directory on stop: give each instance its own TMPDIR so
  // parallel instances (or a developer's real emulator) are not clobbered.
  const workDir = await mkdtemp(join(tmpdir(), "stowage-gcs-"));
  let child: ChildProcess;
  try {
    child = spawn("node", [server], {
      cwd: workDir,
      stdio: ["pipe", "pipe", "pipe"],
      env: {
        ...processEnv(),
        TMPDIR: workDir,
        TMP: workDir,
        TEMP: workDir,
        STOWAGE_GCS_PROJECT: GCS_PROJECT,
      },
    });
  } catch (err) {
    await rm(workDir, { recursive: true, force: true });
    throw new EmulatorUnavailableError(`cannot run node: ${err}`);
  }
  const proc = watchChild(child);

  const stop = once(async () => {
    await proc.terminate();
    await rm(workDir, { recursive: true, force: true });
  });

  let port: number;
  try {
    const m = await proc.waitForLine(
      /\{"port":(\d+)\}/,
      READY_TIMEOUT_MS,
      "GCS emulator (gcs_server.cjs)",
    );
    port = Number(m[1]);
  } catch (err) {
    await stop();
    throw err;
  }

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    // Any request under /b/{bucket}/ creates the bucket (there is no bucket
    // insert); listing it also proves the JSON API answers.
    const res = await fetch(`${endpoint}/storage/v1/b/${GCS_BUCKET}/o`);
    await res.body?.cancel();
    if (res.status !== 200) {
      throw new Error(
        `GCS emulator: listing ${GCS_BUCKET} returned ${res.status}`,
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    name: "gcs",
    endpoint,
    env: {
      STOWAGE_TEST_GCS_ENDPOINT: endpoint,
      STOWAGE_TEST_GCS_BUCKET: GCS_BUCKET,
      STOWAGE_TEST_GCS_PROJECT: GCS_PROJECT,
      STOWAGE_TEST_GCS_EMULATOR_HOST: `127.0.0.1:${port}`,
    },
    stop,
  };
}
