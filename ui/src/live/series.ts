// The live dashboard's pure parts: the window in the URL, the numbers on its tiles. Unit-tested
// (series.test.ts).
import { formatCost, formatLatency, formatUsd } from "../format";
import type { LiveRates } from "./types";

export const WINDOWS = ["15m", "1h", "6h", "24h"] as const;
export type LiveWindowName = (typeof WINDOWS)[number];
export const DEFAULT_WINDOW: LiveWindowName = "1h";
/** How often the page asks again: each answer is the whole window, from buckets the server keeps. */
export const POLL_INTERVAL_MS = 5_000;

export const WINDOW_LABELS: Record<LiveWindowName, string> = {
  "15m": "15 min",
  "1h": "1 hour",
  "6h": "6 hours",
  "24h": "24 hours",
};

/** `?window=` of the URL; an unknown value is ignored (the default), not an error. */
export function windowFromSearch(search: URLSearchParams): LiveWindowName {
  const value = search.get("window");
  return (WINDOWS as readonly string[]).includes(value ?? "") ? (value as LiveWindowName) : DEFAULT_WINDOW;
}

/** A number with a few significant digits, for rates ("12.3", "0.042", "1,204"). */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  const abs = Math.abs(value);
  if (abs === 0) return "0";
  if (abs >= 100) return Math.round(value).toLocaleString("en-US");
  if (abs >= 1) return trim(value.toFixed(abs >= 10 ? 1 : 2));
  return trim(value.toPrecision(2));
}

export function formatPercent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return "—";
  if (rate === 0) return "0%";
  const percent = rate * 100;
  return `${percent < 0.1 ? "<0.1" : trim(percent.toFixed(percent < 10 ? 1 : 0))}%`;
}

/**
 * The cost per hour of a window or a bucket: unpriced calls are never $0. A rate that leaves
 * unpriced calls out says so; with no known cost at all it reads "unpriced".
 */
export function formatCostRate(rates: Pick<LiveRates, "cost_per_hour" | "unpriced_calls" | "not_billed_calls" | "saved">): {
  text: string;
  title: string;
} {
  const cost = formatCost({
    total_cost: rates.cost_per_hour,
    unpriced_count: rates.unpriced_calls,
    not_billed_count: rates.not_billed_calls,
    saved_cost: rates.saved,
  });
  if (cost.kind === "none") return { text: "—", title: "No LLM call in this window." };
  if (cost.kind === "unpriced") return { text: cost.text, title: cost.title };
  const perHour = `${formatUsd(rates.cost_per_hour ?? 0)}/h`;
  return { text: cost.kind === "partial" ? `${perHour} + unpriced` : perHour, title: cost.title };
}

export function formatSeconds(value: number | null | undefined): string {
  return formatLatency(value);
}

/** [timestamps, ...series] for uPlot; null stays null (a gap, not a zero). */
export function plotData(t: number[], ...series: (number | null)[][]): [number[], ...(number | null)[][]] {
  return [t, ...series.map((values) => t.map((_, i) => values[i] ?? null))];
}

function trim(text: string): string {
  return text.includes(".") && !text.includes("e") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}
