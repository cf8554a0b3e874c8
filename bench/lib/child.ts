/**
 * Entry point of a measurement child process:
 *
 * ```sh
 * deno run -A bench/lib/child.ts sections/large.ts stowageTransfer '{"…":…}'
 * node --import tsx bench/lib/child.ts …      # or: bun bench/lib/child.ts …
 * ```
 *
 * It imports the section module (relative to `bench/`), calls its exported task
 * with the parsed JSON argument, prints the JSON result on one line after a
 * marker, and exits (SDK keep-alive sockets must not hold the process open).
 *
 * @module
 */

import process from "node:process";
import { ERROR_MARKER, RESULT_MARKER } from "./spawn.ts";

async function main(): Promise<void> {
  const [module, task, json] = process.argv.slice(2);
  try {
    const mod = await import(new URL(`../${module}`, import.meta.url).href);
    const fn = mod.tasks?.[task];
    if (typeof fn !== "function") {
      throw new Error(`no task '${task}' in bench/${module}`);
    }
    const result = await fn(JSON.parse(json ?? "{}"));
    process.stdout.write(
      `\n${RESULT_MARKER}${JSON.stringify(result ?? null)}\n`,
      () => process.exit(0),
    );
  } catch (err) {
    const e = err as Error;
    const msg = `${e?.message ?? err}${
      (e?.cause as Error)?.message ? ` (cause: ${(e.cause as Error).message})` : ""
    }`;
    process.stderr.write(`${e?.stack ?? msg}\n`);
    process.stdout.write(
      `\n${ERROR_MARKER}${JSON.stringify(msg)}\n`,
      () => process.exit(1),
    );
  }
}

await main();
