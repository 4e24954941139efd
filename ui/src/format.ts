// How numbers read in the UI. Pure functions, unit-tested (format.test.ts).
import type { Totals } from "./api/types";

const NONE = "—";

export interface CostText {
  text: string;
  /** The longer explanation, for a tooltip. */
  title: string;
  kind: "priced" | "partial" | "unpriced" | "free" | "none";
}

/** USD for a table cell: enough significant digits for cheap calls, cents above $1. */
export function formatUsd(value: number): string {
  if (value === 0) return "$0";
  const sign = value < 0 ? "-" : "";
  const abs = Math.abs(value);
  // An embedding of a few tokens costs fractions of a micro-dollar: still shown, not rounded to $0.
  if (abs < 1e-9) return `${sign}<$0.000000001`;
  if (abs < 1) {
    // Three significant digits without exponent notation, trailing zeros trimmed.
    const digits = Math.min(11, 2 - Math.floor(Math.log10(abs)));
    return `${sign}$${trimZeros(abs.toFixed(digits))}`;
  }
  return `${sign}$${abs.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function trimZeros(text: string): string {
  return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}

/**
 * A trace's (or session's) cost. An unpriced call is never shown as $0: a null total with
 * unpriced calls reads "unpriced"; a priced total with some unpriced calls says so. Cache hits
 * and fallbacks (not billed) are a known $0.
 */
export function formatCost(totals: Pick<Totals, "total_cost" | "unpriced_count" | "not_billed_count" | "saved_cost">): CostText {
  const { total_cost: cost, unpriced_count: unpriced, not_billed_count: notBilled } = totals;
  const saved = totals.saved_cost;
  const savedNote =
    notBilled > 0
      ? ` ${notBilled} ${plural(notBilled, "call")} not billed (cache hit or fallback)` +
        (saved !== null && saved > 0 ? `, ${formatUsd(saved)} saved.` : ".")
      : "";
  if (cost === null) {
    if (unpriced > 0) {
      return {
        text: "unpriced",
        title: `${unpriced} ${plural(unpriced, "call")} to a model without a price: the cost is unknown, not $0.${savedNote}`,
        kind: "unpriced",
      };
    }
    return { text: NONE, title: "No LLM call in this trace.", kind: "none" };
  }
  if (unpriced > 0) {
    return {
      text: `${formatUsd(cost)} + unpriced`,
      title: `${formatUsd(cost)} for the priced calls; ${unpriced} ${plural(unpriced, "call")} without a price not counted.${savedNote}`,
      kind: "partial",
    };
  }
  if (cost === 0 && notBilled > 0) {
    return { text: "$0", title: `Nothing billed.${savedNote}`, kind: "free" };
  }
  return { text: formatUsd(cost), title: `${formatUsd(cost)} (USD).${savedNote}`, kind: "priced" };
}

export function formatLatency(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return NONE;
  if (seconds < 0) return NONE;
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 10) return `${trimZeros(seconds.toFixed(2))} s`;
  if (seconds < 60) return `${trimZeros(seconds.toFixed(1))} s`;
  const total = Math.round(seconds);
  if (total < 3600) return `${Math.floor(total / 60)}m ${pad(total % 60)}s`;
  return `${Math.floor(total / 3600)}h ${pad(Math.floor((total % 3600) / 60))}m`;
}

/** Token counts: exact below 100,000 (with separators), compact above. */
export function formatTokens(count: number | null | undefined): string {
  if (count === null || count === undefined || !Number.isFinite(count)) return NONE;
  if (Math.abs(count) < 100_000) return count.toLocaleString("en-US");
  if (Math.abs(count) < 1_000_000) return `${trimZeros((count / 1000).toFixed(1))}k`;
  if (Math.abs(count) < 1_000_000_000) return `${trimZeros((count / 1_000_000).toFixed(2))}M`;
  return `${trimZeros((count / 1_000_000_000).toFixed(2))}B`;
}

/** "2026-11-30 10:31:05" in the given time zone (the browser's by default). */
export function formatTimestamp(iso: string, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}:${get("second")}`;
}

/** "5 min ago", for a tooltip next to the absolute time. */
export function formatAge(iso: string, now: number = Date.now()): string {
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (!Number.isFinite(seconds)) return "";
  if (seconds < 0) return "in the future";
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

/** A trace's level: the worst of its observations; the list knows only whether any failed. */
export function traceLevel(totals: Pick<Totals, "error_count">): "ERROR" | "DEFAULT" {
  return totals.error_count > 0 ? "ERROR" : "DEFAULT";
}

function pad(n: number): string {
  return n.toString().padStart(2, "0");
}

export function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
