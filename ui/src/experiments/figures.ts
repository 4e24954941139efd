// How the experiments pages read their numbers. Pure functions, unit-tested (figures.test.ts).
import { formatUsd } from "../format";
import type { ComparedItem, Comparison, Versus, VersusCategories } from "./types";

const NONE = "—";

export type Metric = { kind: "score"; name: string } | { kind: "cost" } | { kind: "latency" };

export function metricLabel(metric: Metric): string {
  return metric.kind === "score" ? metric.name : metric.kind === "cost" ? "cost (mean)" : "latency (mean)";
}

/** A value of a metric as a cell shows it: scores to 3 decimals, cost in USD, latency in ms. */
export function formatMetric(metric: Metric, value: number | null | undefined, signed = false): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NONE;
  const sign = signed && value > 0 ? "+" : "";
  if (metric.kind === "cost") return sign + formatUsd(value);
  if (metric.kind === "latency") return `${sign}${Math.round(value).toLocaleString("en-US")} ms`;
  return sign + value.toFixed(3);
}

/** "+0.250 [+0.150, +0.340]": the mean difference and its interval. */
export function formatVersus(metric: Metric, versus: Versus | undefined): string {
  if (!versus || versus.mean_difference === null) return NONE;
  return `${formatMetric(metric, versus.mean_difference, true)} [${formatMetric(metric, versus.low, true)}, ${formatMetric(metric, versus.high, true)}]`;
}

export function versusOf(comparison: Comparison, experimentId: number, metric: Metric): Versus | undefined {
  const entry = comparison.versus_baseline.find((v) => v.experiment_id === experimentId);
  if (!entry) return undefined;
  return metric.kind === "score" ? entry.scores[metric.name] : metric.kind === "cost" ? entry.cost : entry.latency_ms;
}

export function bestOf(comparison: Comparison, metric: Metric): number | null {
  if (metric.kind === "score") return comparison.best.scores[metric.name] ?? null;
  return metric.kind === "cost" ? comparison.best.cost : comparison.best.latency_ms;
}

export function meanOf(comparison: Comparison, index: number, metric: Metric): number | null {
  const row = comparison.experiments[index]!;
  if (metric.kind === "score") return row.scores[metric.name]?.mean ?? null;
  return metric.kind === "cost" ? row.cost.mean : row.latency_ms.mean;
}

/** The item's winner on a score: an experiment id, "tie", or null (nothing scored). */
export function itemWinner(item: ComparedItem, score: string | undefined): number | "tie" | null {
  if (score === undefined) return null;
  const winners = item.winners[score];
  if (winners === undefined) return null;
  if (winners.length === 0) return item.runs.some((run) => run && run.scores[score] !== undefined) ? "tie" : null;
  return winners.length === 1 ? winners[0]! : "tie";
}

export function metricsOf(comparison: Comparison): Metric[] {
  return [
    ...comparison.score_names.map((name) => ({ kind: "score", name }) as Metric),
    { kind: "cost" },
    { kind: "latency" },
  ];
}

/** "3 (43 %)": a category's count and its share of the experiment's scored runs. */
export function formatCount(count: number | undefined, share: number | undefined): string {
  if (count === undefined) return NONE;
  return `${count} (${Math.round((share ?? 0) * 100)} %)`;
}

/** "agree 4/7 (57 %)", and "W/L/T 2/1/4" when the categories are ordered by their config's numbers. */
export function formatAgreement(versus: VersusCategories | undefined): string {
  if (!versus || versus.agreement === null) return NONE;
  const agree = `agree ${versus.agreed}/${versus.n_items} (${Math.round(versus.agreement * 100)} %)`;
  return versus.ordered ? `${agree} · W/L/T ${versus.wins}/${versus.losses}/${versus.ties}` : agree;
}
