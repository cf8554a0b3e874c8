/**
 * The errors of the `r2` flavor: what a binding call throws (its message carries
 * R2's five-digit code, e.g. `(10007)`) mapped to Stowage's error classes.
 *
 * @module
 */

import {
  ArtifactStoreError,
  FileNotFoundError,
  InvalidPathError,
  PreconditionFailedError,
} from "../../src/errors.ts";

/**
 * Maps what a binding call threw to an {@linkcode ArtifactStoreError}.
 *
 * @param err what the call threw
 * @param op the operation, for the message (`read`, `write`, …)
 * @param path the store URI of the key
 * @returns the typed error
 */
export function mapR2Error(err: unknown, op: string, path: string): ArtifactStoreError {
  if (err instanceof ArtifactStoreError) return err;
  const message = (err as Error)?.message ?? String(err);
  const code = /\((\d{5})\)/.exec(message)?.[1];
  const opts = { path, flavor: "r2", cause: err };
  const what = `Cannot ${op} '${path}'`;
  switch (code) {
    case "10007":
      return new FileNotFoundError(`${what}: not found`, opts);
    case "10020":
      return new InvalidPathError(
        `${what}: R2 refuses this key (${message})`,
        opts,
      );
    case "10031":
      return new PreconditionFailedError(
        `${what}: the object changed meanwhile (${message})`,
        opts,
      );
    case "10001":
    case "10043":
    case "10058":
      return new ArtifactStoreError(`${what}: ${message}; try again`, {
        ...opts,
        retryable: true,
      });
    default:
      return new ArtifactStoreError(`${what}: ${message}`, opts);
  }
}
