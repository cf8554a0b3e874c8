// Cross-cloud copy: copy a file or a whole tree from one store to another, streamed (the
// bytes never sit in memory whole), with credentials from the environment as each cloud's
// own tools read them.
//
//   deno run -A examples/cross_cloud_copy.ts s3://my-bucket/runs az://my-container/runs
//   node --import tsx examples/cross_cloud_copy.ts ./local-dir gs://my-bucket/backup
//   bun examples/cross_cloud_copy.ts gs://my-bucket/model.bin /tmp/model.bin

import "../flavors/all.ts"; // any URI: every built-in flavor, loaded on first use
import { fileio } from "../mod.ts";

/** What one copy did. */
export interface CopyReport {
  /** Files copied. */
  files: number;
  /** Bytes copied. */
  bytes: number;
}

/**
 * Copies `src` (a file or a directory tree) to `dst`, streaming every file.
 *
 * @param src a URI or path
 * @param dst a URI or path (a directory when `src` is one)
 * @param onFile called after each file with its source and destination
 * @returns how many files and bytes were copied
 */
export async function crossCloudCopy(
  src: string,
  dst: string,
  onFile: (from: string, to: string, bytes: number) => void = () => {},
): Promise<CopyReport> {
  const base = src.replace(/\/+$/, "");
  const target = dst.replace(/\/+$/, "");
  const report: CopyReport = { files: 0, bytes: 0 };
  const copyOne = async (from: string, to: string) => {
    await fileio.copy(from, to, { overwrite: true });
    const size = await fileio.size(to);
    report.files++;
    report.bytes += size;
    onFile(from, to, size);
  };
  if (!(await fileio.isdir(base))) {
    await copyOne(base, target);
    return report;
  }
  for await (const [dir, , files] of fileio.walk(base)) {
    const rel = dir.slice(base.length).replace(/^\//, "");
    for (const f of files) await copyOne(`${dir}/${f}`, [target, rel, f].filter(Boolean).join("/"));
  }
  return report;
}

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
// Deno and Bun set import.meta.main; on Node 20, compare the script path.
const isMain = (import.meta as { main?: boolean }).main ??
  g.process?.argv?.[1] === decodeURIComponent(new URL(import.meta.url).pathname);

if (isMain) {
  const [src, dst] = g.Deno?.args ?? g.process.argv.slice(2);
  if (!src || !dst) {
    console.error("usage: cross_cloud_copy.ts SRC DST   (URIs or paths; credentials from the env)");
    g.Deno ? g.Deno.exit(2) : g.process.exit(2);
  }
  const started = Date.now();
  const r = await crossCloudCopy(
    src,
    dst,
    (from, to, n) => console.log(`${from} -> ${to} (${n} bytes)`),
  );
  console.log(
    `copied ${r.files} files, ${r.bytes} bytes in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
}
