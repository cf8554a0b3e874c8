/**
 * What the orchestrator hands every section.
 *
 * @module
 */

import type { BackendInfo } from "./backends.ts";
import type { Runtime } from "./spawn.ts";

/** The run's settings and what is available. */
export interface Context {
  /** `--full` was given. */
  full: boolean;
  /** Repetitions of each measurement (quick 3, full 5). */
  runs: number;
  /** Runtimes to measure on (deno, node, bun), where a section runs per runtime. */
  runtimes: Runtime[];
  /** Backends whose emulator started. */
  backends: BackendInfo[];
  /** Backends that cannot be measured, with the reason. */
  missing: { id: string; reason: string }[];
  /** A scratch directory, removed at the end. */
  tmp: string;
  /** Prints a progress line. */
  log(msg: string): void;
}
