// Output helpers for the CLI: aligned tables, human sizes, and a progress bar that only
// draws on a terminal and only for copies that take longer than a second.

/**
 * Formats rows as aligned columns.
 *
 * @param header column titles
 * @param rows the rows
 * @returns the lines
 */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (c ?? "").padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

/**
 * Bytes as a human size (`1.5 MiB`).
 *
 * @param n bytes
 * @returns the text
 */
export function humanSize(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** A progress bar for one transfer. */
export interface Progress {
  /** Reports the bytes done so far. */
  update(bytes: number): void;
  /** Ends the bar (prints a final line if one was drawn). */
  done(): void;
}

/** How progress shows: a redrawn bar (terminal), one line a second (`--progress` elsewhere), or not. */
export type ProgressMode = "bar" | "lines" | "off";

/**
 * A progress display (bytes, rate, ETA) on stderr. `bar` redraws one line with carriage
 * returns, from a second into the transfer (at once with `force`); `lines` prints a line at
 * the first bytes and then at most one a second, for logs and pipes.
 *
 * @param label what is being transferred
 * @param total the total bytes, if known
 * @param mode bar, lines or off
 * @param o `write` writes raw text (no newline added); `force` draws the bar from the start
 * @returns the progress handle
 */
export function progressBar(
  label: string,
  total: number | undefined,
  mode: ProgressMode,
  o: { write: (text: string) => void; force?: boolean },
): Progress {
  const start = Date.now();
  let last = 0;
  let drawn = false;
  let bytes = 0;
  const text = () => {
    const secs = (Date.now() - start) / 1000;
    const rate = bytes / Math.max(secs, 0.001);
    let bar = "";
    let eta = "";
    if (total) {
      const frac = Math.min(1, bytes / total);
      const w = 24;
      bar = `[${"#".repeat(Math.round(frac * w)).padEnd(w, "-")}] `;
      eta = rate > 0 ? `  ETA ${Math.max(0, Math.round((total - bytes) / rate))}s` : "";
    }
    const size = total ? `${humanSize(bytes)} / ${humanSize(total)}` : humanSize(bytes);
    return `${bar}${size}  ${humanSize(rate)}/s${eta}  ${label}`;
  };
  const draw = () => {
    if (mode === "bar") o.write(`\r${text()}\x1b[K`);
    else o.write(`progress: ${text()}\n`);
    drawn = true;
  };
  return {
    update(n) {
      bytes = n;
      if (mode === "off") return;
      const now = Date.now();
      if (mode === "bar") {
        if ((!o.force && now - start < 1000) || now - last < 100) return;
      } else if (drawn && now - last < 1000) return;
      last = now;
      draw();
    },
    done() {
      if (!drawn) return;
      draw();
      if (mode === "bar") o.write("\n");
    },
  };
}
