// The figures /compare puts side by side, and their differences. Pure, unit-tested (metrics.test.ts).
// An unknown figure (an unpriced cost, a missing latency) has no difference: never computed as 0.
import type { ObservationNode, TraceDetail } from "../api/types";
import { formatLatency, formatTokens, formatUsd } from "../format";

export interface MetricRow {
  label: string;
  a: number | null;
  b: number | null;
  /** b - a; null when either is unknown. */
  delta: number | null;
  format: (value: number) => string;
  /** How an unknown value reads ("unpriced" for a cost whose calls have no price). */
  unknown: string;
}

const tokens = (value: number) => formatTokens(value);
const count = (value: number) => value.toLocaleString("en-US");

function row(
  label: string,
  a: number | null | undefined,
  b: number | null | undefined,
  format: (v: number) => string,
  unknown = "—",
): MetricRow {
  const left = a ?? null;
  const right = b ?? null;
  return { label, a: left, b: right, delta: left === null || right === null ? null : right - left, format, unknown };
}

export function traceMetrics(a: TraceDetail, b: TraceDetail): MetricRow[] {
  return [
    row("Latency", a.latency_s, b.latency_s, formatLatency),
    row("Input tokens", a.input_tokens, b.input_tokens, tokens),
    row("Output tokens", a.output_tokens, b.output_tokens, tokens),
    row("Total tokens", a.total_tokens, b.total_tokens, tokens),
    row("Cost", a.total_cost, b.total_cost, formatUsd, a.unpriced_count + b.unpriced_count > 0 ? "unpriced" : "—"),
    row("Observations", a.observation_count, b.observation_count, count),
    row("Errors", a.error_count, b.error_count, count),
  ];
}

export function observationMetrics(a: ObservationNode | null, b: ObservationNode | null): MetricRow[] {
  const tokensOf = (node: ObservationNode | null) => node?.total_tokens ?? null;
  const costOf = (node: ObservationNode | null) => (node ? (node.total_cost ?? null) : null);
  return [
    row("Latency", a?.latency_s, b?.latency_s, formatLatency),
    row("Tokens", tokensOf(a), tokensOf(b), tokens),
    row("Cost", costOf(a), costOf(b), formatUsd, a?.cost_status === "unpriced" || b?.cost_status === "unpriced" ? "unpriced" : "—"),
  ];
}

/** "+1.2 s (+40%)", "−$0.003", "=" or "—" (unknown). */
export function formatDelta(metric: MetricRow, withPercent = true): string {
  const { a, delta } = metric;
  if (delta === null) return "—";
  if (delta === 0) return "=";
  const sign = delta > 0 ? "+" : "−";
  const text = `${sign}${metric.format(Math.abs(delta))}`;
  if (!withPercent || a === null || a === 0) return text;
  const pct = (delta / Math.abs(a)) * 100;
  return `${text} (${sign}${Math.abs(pct) >= 10 ? Math.round(Math.abs(pct)) : Math.abs(pct).toFixed(1)}%)`;
}

export function formatValue(metric: MetricRow, side: "a" | "b"): string {
  const value = metric[side];
  return value === null ? metric.unknown : metric.format(value);
}
