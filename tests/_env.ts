// What the test runner (tests/run.ts) tells the test processes: the temp directory
// and the emulators it started. A test file that needs an emulator the runner did
// not start skips visibly with the reason.

import { getEnv } from "../src/_runtime.ts";

/** One started emulator, as the runner passes it on. */
export interface EmulatorInfo {
  /** Base URL. */
  endpoint: string;
  /** The launcher's variables (keys, bucket, …). */
  env: Record<string, string>;
}

/**
 * The emulator of this name, or a skip reason string when it was not started.
 *
 * @param name `ceph`, `fauxqs`, `azurite`, `gcs`
 */
export function emulator(name: string): EmulatorInfo | string {
  const raw = getEnv("STOWAGE_TEST_EMULATORS");
  if (!raw) {
    return `emulator '${name}' not started: run the tests with 'deno task test'`;
  }
  const all = JSON.parse(raw) as Record<
    string,
    EmulatorInfo | { error: string }
  >;
  const e = all[name];
  if (!e) return `emulator '${name}' was not requested in this run`;
  if ("error" in e) return `emulator '${name}' unavailable: ${e.error}`;
  return e;
}

/** The runtime running the tests. */
export function runtimeName(): "deno" | "bun" | "node" {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (g.Deno?.version?.deno) return "deno";
  if (g.Bun) return "bun";
  return "node";
}

/** A scratch directory that the runner removes afterwards. */
export function testTmp(): string | undefined {
  return getEnv("STOWAGE_TEST_TMP");
}
