/**
 * Statistics and the result records every section produces.
 *
 * @module
 */

/** Median, min and max of repeated runs. */
export interface Summary {
  /** Median of the runs. */
  median: number;
  /** Smallest run. */
  min: number;
  /** Largest run. */
  max: number;
  /** Every run, in the order measured. */
  runs: number[];
}

/** One measured quantity: a section, a subject, an operation, a runtime. */
export interface Measurement {
  /** Section id: `small`, `large`, `listing`, `limit`, `coldstart`, `size`, `local`. */
  section: string;
  /** Backend (`s3-fauxqs`, `s3-ceph`, `azure`, `gcs`, `null`, `local`) or a subpath. */
  backend: string;
  /** Who did the work: `stowage`, `sdk`, `raw`, `sdk-ours`, `native`, … */
  client: string;
  /** The operation: `put`, `get`, `stat`, `write`, `read`, `walk`, … */
  op: string;
  /** `seq`, `c16`, or another variant of the operation. */
  mode?: string;
  /** The runtime the measurement ran on (`deno`, `node`, `bun`, or `-`). */
  runtime: string;
  /** `ops/s`, `MB/s`, `ms` or `bytes`. */
  unit: string;
  /** True when a bigger value is better (rates), false for times and sizes. */
  higherIsBetter: boolean;
  /** The value over the runs. */
  value: Summary;
  /** Peak RSS of the process over the runs, MiB (large transfers). */
  rssMiB?: Summary;
  /** RSS of the same process just before the transfer began, MiB. */
  rssBaseMiB?: Summary;
  /** Anything a reader must know about this row. */
  note?: string;
  /** The most the value may be, in its unit (a bundle-size target). */
  budget?: number;
  /** The biggest inputs of a bundle: bytes each contributes to the minified output. */
  parts?: { path: string; bytes: number }[];
}

/** Something a section could not measure, and why. */
export interface NotMeasured {
  /** Section id. */
  section: string;
  /** What was not measured. */
  what: string;
  /** Why. */
  reason: string;
}

/** What a section returns. */
export interface SectionResult {
  /** The measurements. */
  measurements: Measurement[];
  /** What it could not measure. */
  notMeasured: NotMeasured[];
  /** Remarks for the page (sizes used, emulator caveats). */
  notes: string[];
  /** The section of each note (filled in by the orchestrator). */
  noteSections?: Record<string, string>;
}

/**
 * Summarises repeated runs.
 *
 * @param runs the values
 * @returns median, min, max
 */
export function summarize(runs: number[]): Summary {
  const s = [...runs].sort((a, b) => a - b);
  const n = s.length;
  const median = n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { median, min: s[0] ?? NaN, max: s[n - 1] ?? NaN, runs };
}

/** An empty section result. */
export function emptyResult(): SectionResult {
  return { measurements: [], notMeasured: [], notes: [] };
}

/**
 * Appends `b` to `a`.
 *
 * @param a the result appended to
 * @param b the result appended
 */
export function merge(a: SectionResult, b: SectionResult): void {
  a.measurements.push(...b.measurements);
  a.notMeasured.push(...b.notMeasured);
  for (const n of b.notes) if (!a.notes.includes(n)) a.notes.push(n);
}

/** The error message of anything thrown. */
export function errorText(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  const msg = e?.message ?? String(err);
  return e?.cause?.message && !msg.includes(e.cause.message) ? `${msg} (${e.cause.message})` : msg;
}
