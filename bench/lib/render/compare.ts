/**
 * Queries over a run's measurements, and what the bench compares: each Stowage
 * measurement with its partner (the SDK, raw fetch, the runtime's API), and the
 * gaps those comparisons find.
 *
 * @module
 */

import type { Gap } from "../causes.ts";
import type { Measurement } from "../stats.ts";
import { advantage, overlap } from "./format.ts";

/** The measurements of a run, queried by partial match. */
export class Index {
  /** @param all the run's measurements */
  constructor(readonly all: Measurement[]) {}
  #matches(m: Measurement, q: Partial<Measurement>): boolean {
    return Object.entries(q).every(([k, v]) =>
      v === undefined || (m as unknown as Record<string, unknown>)[k] === v
    );
  }
  /** The first measurement matching `q`. */
  find(q: Partial<Measurement>): Measurement | undefined {
    return this.all.find((m) => this.#matches(m, q));
  }
  /** Every measurement matching `q`. */
  where(q: Partial<Measurement>): Measurement[] {
    return this.all.filter((m) => this.#matches(m, q));
  }
  /** The distinct values of field `k` among the measurements matching `q`, in order. */
  values<K extends keyof Measurement>(
    k: K,
    q: Partial<Measurement> = {},
  ): Measurement[K][] {
    return [...new Set(this.where(q).map((m) => m[k]))];
  }
}

/** A comparison the chart and the gap list use. */
export interface Comparison {
  /** Section id. */
  section: string;
  /** The chart's row label. */
  label: string;
  /** Stowage's measurement. */
  stowage: Measurement;
  /** Its partner's. */
  other: Measurement;
  /** What the partner is: `sdk`, `raw` or `native`. */
  against: string;
  /** Limit comparisons flag a gap below 0.8, SDK comparisons below 1. */
  threshold: number;
}

/**
 * What each section compares: Stowage's measurements (`mine`, minus `skip`), each with
 * its partner (`partner`), labelled, against an SDK (a gap below 1×) or a limit (below 0.8×).
 */
const RULES: {
  mine: Partial<Measurement>;
  skip?: (m: Measurement) => boolean;
  partner: (s: Measurement) => Partial<Measurement>;
  label: (s: Measurement) => string;
  against: string;
  threshold: number;
}[] = [
  {
    mine: { section: "small", client: "stowage" },
    partner: (s) => ({
      backend: s.backend,
      client: "sdk",
      op: s.op,
      mode: s.mode,
      runtime: s.runtime,
    }),
    label: (s) => `${s.backend} ${s.op} ${s.mode === "c16" ? "×16" : "seq"} (${s.runtime})`,
    against: "sdk",
    threshold: 1,
  },
  {
    mine: { section: "large", client: "stowage" },
    partner: (s) => ({ backend: s.backend, client: "sdk", op: s.op, runtime: s.runtime }),
    label: (s) => `${s.backend} ${s.op} (${s.runtime})`,
    against: "sdk",
    threshold: 1,
  },
  {
    mine: { section: "listing", client: "stowage" },
    partner: (s) => ({ backend: s.backend, client: "sdk", op: s.op, runtime: s.runtime }),
    label: (s) => `${s.backend} ${s.op} (${s.runtime})`,
    against: "sdk",
    threshold: 1,
  },
  {
    mine: { section: "limit" },
    skip: (m) => m.client === "raw",
    partner: (s) => ({ client: "raw", op: s.op, runtime: s.runtime }),
    label: (s) => `${s.client} ${s.op} (${s.runtime})`,
    against: "raw",
    threshold: 0.8,
  },
  {
    mine: { section: "nullsdk", client: "stowage" },
    partner: (s) => ({ backend: s.backend, client: "sdk", op: s.op, runtime: s.runtime }),
    label: (s) => `${s.backend} ${s.op} vs SDK (${s.runtime})`,
    against: "sdk",
    threshold: 1,
  },
  {
    mine: { section: "nullsdk", client: "stowage" },
    partner: (s) => ({ backend: s.backend, client: "raw", op: s.op, runtime: s.runtime }),
    label: (s) => `${s.backend} ${s.op} vs raw (${s.runtime})`,
    against: "raw",
    threshold: 0.8,
  },
  {
    mine: { section: "serve", client: "stowage" },
    partner: (s) => ({ backend: s.backend, client: "curl", op: s.op }),
    label: (s) => `${s.runtime} → ${s.backend} server vs curl`,
    against: "curl",
    threshold: 0.8,
  },
  {
    mine: { section: "coldstart", client: "stowage", op: "import" },
    partner: (s) => ({ backend: s.backend, client: "sdk", op: "import", runtime: s.runtime }),
    label: (s) => `${s.backend} (${s.runtime})`,
    against: "sdk",
    threshold: 1,
  },
  {
    mine: { section: "size", client: "stowage", op: "gzipped" },
    partner: (s) => ({ backend: s.backend, client: "sdk", op: "gzipped" }),
    label: (s) => `${s.backend} gzipped`,
    against: "sdk",
    threshold: 1,
  },
  {
    mine: { section: "local", client: "stowage" },
    partner: (s) => ({ client: "native", op: s.op, runtime: s.runtime }),
    label: (s) => `${s.op} (${s.runtime})`,
    against: "native",
    threshold: 0.8,
  },
];

/** Every comparison the rules find among the measurements. */
export function comparisons(ix: Index): Comparison[] {
  const out: Comparison[] = [];
  for (const r of RULES) {
    for (const s of ix.where(r.mine)) {
      if (r.skip?.(s)) continue;
      const o = ix.find({ section: r.mine.section, ...r.partner(s) });
      if (o) {
        out.push({
          section: r.mine.section!,
          label: r.label(s),
          stowage: s,
          other: o,
          against: r.against,
          threshold: r.threshold,
        });
      }
    }
  }
  return out;
}

/** The comparisons below their threshold, as gaps. */
export function gapsOf(cs: Comparison[]): Gap[] {
  return cs.filter((c) => advantage(c.stowage, c.other) < c.threshold).map((
    c,
  ) => ({
    section: c.section,
    backend: c.stowage.backend,
    op: c.stowage.op,
    mode: c.stowage.mode,
    runtime: c.stowage.runtime,
    client: c.stowage.client,
    against: c.against,
    ratio: advantage(c.stowage, c.other),
    overlap: overlap(c.stowage.value, c.other.value),
  }));
}
