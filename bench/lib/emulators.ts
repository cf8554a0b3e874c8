/**
 * Starts the emulators the bench needs with the test suite's own launchers
 * (tests/emulators/*.ts: 127.0.0.1, port 0), in parallel, and stops them again.
 *
 * @module
 */

import type { Emulator } from "../../tests/emulators/types.ts";

const LAUNCHERS: Record<string, () => Promise<() => Promise<Emulator>>> = {
  ceph: async () => (await import("../../tests/emulators/ceph.ts")).startCeph,
  fauxqs: async () => (await import("../../tests/emulators/fauxqs.ts")).startFauxqs,
  azurite: async () => (await import("../../tests/emulators/azurite.ts")).startAzurite,
  gcs: async () => (await import("../../tests/emulators/gcs.ts")).startGcs,
};

/** A started emulator's details, or why it did not start. */
export type EmulatorState =
  | { ok: true; endpoint: string; env: Record<string, string>; startMs: number }
  | { ok: false; reason: string };

/** The started emulators and a function that stops them all. */
export interface Emulators {
  /** By name. */
  state: Record<string, EmulatorState>;
  /** Stops every started emulator (safe to call twice). */
  stop(): Promise<void>;
}

/**
 * Starts the named emulators.
 *
 * @param names `ceph`, `fauxqs`, `azurite`, `gcs`
 * @returns their state and a stop function
 */
export async function startEmulators(names: string[]): Promise<Emulators> {
  const running: Emulator[] = [];
  const state: Record<string, EmulatorState> = {};
  await Promise.all(names.map(async (name) => {
    const t0 = performance.now();
    try {
      const launch = await LAUNCHERS[name]();
      const e = await launch();
      running.push(e);
      state[name] = {
        ok: true,
        endpoint: e.endpoint,
        env: e.env,
        startMs: performance.now() - t0,
      };
    } catch (err) {
      state[name] = {
        ok: false,
        reason: `emulator '${name}' did not start: ${(err as Error).message}`,
      };
    }
  }));
  return {
    state,
    stop: async () => {
      await Promise.all(running.splice(0).map((e) => e.stop().catch(() => {})));
    },
  };
}
