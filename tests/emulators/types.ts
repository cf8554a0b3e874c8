/**
 * The shape every emulator launcher returns. Launchers start a real emulator on
 * 127.0.0.1 with an OS-chosen port (port 0) and stop it again.
 *
 * @module
 */

/** A running emulator. */
export interface Emulator {
  /** Short name, e.g. `"ceph"`, `"fauxqs"`, `"azurite"`, `"gcs"`. */
  name: string;
  /** Base URL of the service, e.g. `http://127.0.0.1:41235`. */
  endpoint: string;
  /**
   * Environment variables a test process needs to reach it, e.g.
   * `STOWAGE_TEST_S3_ENDPOINT`, access keys, a bucket/container name that exists.
   */
  env: Record<string, string>;
  /** Stop the emulator and remove its temporary files. Safe to call twice. */
  stop(): Promise<void>;
}

/** Thrown by a launcher when the emulator is not installed on this machine. */
export class EmulatorUnavailableError extends Error {
  /** @param message why the emulator cannot start, and how to install it */
  constructor(message: string) {
    super(message);
    this.name = "EmulatorUnavailableError";
  }
}
