/**
 * Shared helpers: robust summaries of repeated rounds, number formatting and plain-text tables.
 * Every benchmark reports the median of its rounds plus the spread, because the reference
 * machine (2 cores, shared) is noisy.
 */
import os from "node:os";

/** Median, min and max of a set of samples, plus the samples themselves. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const median =
    n === 0 ? Number.NaN : n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return { median, min: sorted[0] ?? Number.NaN, max: sorted[n - 1] ?? Number.NaN, samples };
}

/**
 * Median of the per-round ratios a[i] / b[i]. Rounds alternate the two sides back to back, so
 * both see the same background load; pairing them is more robust than a ratio of medians.
 */
export function pairedRatio(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  if (n === 0) return Number.NaN;
  return summarize(Array.from({ length: n }, (_, i) => a[i] / b[i])).median;
}

/** Half the min–max range relative to the median, in percent ("±4%"). */
export function spread(s: Summary): string {
  if (!Number.isFinite(s.median) || s.median === 0) return "";
  return `±${Math.round(((s.max - s.min) / 2 / s.median) * 100)}%`;
}

/** 1234567 → "1.23M", 12345 → "12.3k". */
export function si(n: number): string {
  if (!Number.isFinite(n)) return "n/a";
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${(n / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${(n / 1e3).toPrecision(3)}k`;
  return n.toPrecision(3);
}

export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return "n/a";
  const r = a / b;
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

/** Renders rows as an aligned plain-text table (also valid Markdown). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** Integer from an env var scaled by UMQTT_BENCH_SCALE (default 1), at least `min`. */
export function scaled(base: number, min = 1): number {
  const scale = Number(process.env.UMQTT_BENCH_SCALE ?? "1");
  return Math.max(min, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/** Rounds per measurement: UMQTT_BENCH_ROUNDS, default `fallback`, at least 1. */
export function rounds(fallback: number): number {
  const n = Number(process.env.UMQTT_BENCH_ROUNDS ?? fallback);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

export function machine(): { node: string; cpus: number; model: string; platform: string } {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpus: os.availableParallelism(),
    model: cpus[0]?.model ?? "unknown",
    platform: `${process.platform}-${process.arch}`,
  };
}
