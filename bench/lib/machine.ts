/**
 * The machine and the versions a run used, for the results and the page.
 *
 * @module
 */

import { cpus, loadavg, release, totalmem } from "node:os";
import { readFileSync } from "node:fs";
import { ROOT, runProcess } from "./spawn.ts";

/** The machine. */
export interface MachineInfo {
  /** Logical cores. */
  cores: number;
  /** Total memory, GiB. */
  memoryGiB: number;
  /** The CPU model string. */
  cpu: string;
  /** Kernel release. */
  os: string;
  /**
   * 1-minute load average when the run started (other work on the machine), its
   * mean over the run (sampled every 10 s; includes the bench's own processes)
   * and at the end.
   */
  load: { start: number; mean?: number; end?: number };
}

/**
 * Samples the 1-minute load average every 10 s until stopped.
 *
 * @returns a stop function that gives the mean
 */
export function loadSampler(): { stop(): number } {
  const samples = [loadavg()[0]];
  const timer = setInterval(() => samples.push(loadavg()[0]), 10_000);
  return {
    stop() {
      clearInterval(timer);
      return samples.reduce((a, b) => a + b, 0) / samples.length;
    },
  };
}

/** The machine this runs on. */
export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cores: c.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
    cpu: c[0]?.model?.trim() || "unknown",
    os: `Linux ${release()}`,
    load: { start: loadavg()[0] },
  };
}

function pkgVersion(dir: string): string {
  try {
    return JSON.parse(readFileSync(`${dir}/package.json`, "utf8")).version;
  } catch {
    return "not installed";
  }
}

async function cmdVersion(
  cmd: string,
  args: string[],
  re: RegExp,
): Promise<string> {
  const r = await runProcess(cmd, args, { timeoutMs: 30_000 });
  return re.exec(`${r.stdout}${r.stderr}`)?.[1] ?? "not available";
}

/**
 * Versions of the runtimes, SDKs, emulators and tools.
 *
 * @returns name → version
 */
export async function versions(): Promise<Record<string, string>> {
  const nm = `${ROOT}/tests/tooling/node_modules`;
  const bnm = `${ROOT}/bench/node_modules`;
  const [deno, node, bun, ceph] = await Promise.all([
    cmdVersion("deno", ["--version"], /deno (\S+)/),
    cmdVersion("node", ["--version"], /v(\S+)/),
    cmdVersion("bun", ["--version"], /(\S+)/),
    cmdVersion("radosgw", ["--version"], /ceph version (\S+)/),
  ]);
  return {
    "Deno": deno,
    "Node": node,
    "Bun": bun,
    "@aws-sdk/client-s3": pkgVersion(`${bnm}/@aws-sdk/client-s3`),
    "@aws-sdk/lib-storage": pkgVersion(`${bnm}/@aws-sdk/lib-storage`),
    "@azure/storage-blob": pkgVersion(`${bnm}/@azure/storage-blob`),
    "@google-cloud/storage": pkgVersion(`${bnm}/@google-cloud/storage`),
    "aws4fetch": pkgVersion(`${ROOT}/node_modules/aws4fetch`),
    "fauxqs": pkgVersion(`${nm}/fauxqs`),
    "Ceph RGW": ceph,
    "Azurite": pkgVersion(`${nm}/azurite`),
    "firebase-tools (GCS emulator)": pkgVersion(`${nm}/firebase-tools`),
    "esbuild": pkgVersion(`${nm}/esbuild`),
  };
}
