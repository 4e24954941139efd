// The cost page's pure parts: the time range in the URL, the daily series, a line's cost text.
// Unit-tested (series.test.ts).
import { formatCost, type CostText } from "../format";
import type { CostLine } from "./types";

export const RANGES = ["7d", "30d", "90d"] as const;
export type CostRange = (typeof RANGES)[number];
export const DEFAULT_RANGE: CostRange = "30d";
const DAY_MS = 86_400_000;

export interface CostPeriod {
  range: CostRange | null;
  /** ISO-8601, absolute: wins over `range`. */
  from: string | null;
  to: string | null;
}

function isoOrNull(value: string | null): string | null {
  if (value === null || value.trim() === "") return null;
  return Number.isNaN(Date.parse(value)) ? null : value;
}

/** `?range=` or `?from=&to=` of the URL; unknown values are ignored, not errors. */
export function periodFromSearch(search: URLSearchParams): CostPeriod {
  const from = isoOrNull(search.get("from"));
  const to = isoOrNull(search.get("to"));
  const range = search.get("range");
  if (from !== null) return { range: null, from, to };
  return { range: (RANGES as readonly string[]).includes(range ?? "") ? (range as CostRange) : DEFAULT_RANGE, from: null, to: null };
}

/**
 * The API's from/to. A relative range ends at the end of today (UTC) and starts at midnight UTC
 * so that every day of the chart is a whole day, the same bounds all day long.
 */
export function periodToApiParams(period: CostPeriod, now: number = Date.now()): URLSearchParams {
  const params = new URLSearchParams();
  if (period.from !== null) {
    params.set("from", new Date(period.from).toISOString());
    if (period.to !== null) params.set("to", new Date(period.to).toISOString());
    return params;
  }
  const days = Number((period.range ?? DEFAULT_RANGE).replace("d", ""));
  const endOfToday = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
  params.set("from", new Date(endOfToday - days * DAY_MS).toISOString());
  params.set("to", new Date(endOfToday).toISOString());
  return params;
}

export interface DailySeries {
  /** Midnight UTC of each day, seconds since the epoch. */
  t: number[];
  /** USD per day; null when the day's cost is unknown (only unpriced calls) or it had no call. */
  cost: (number | null)[];
  unpriced: number[];
  notBilled: number[];
}

/** One point per UTC day from `from` to `to` (the API's `day` lines are "YYYY-MM-DD"); days without calls are gaps. */
export function dailySeries(lines: CostLine[], from: string, to: string): DailySeries {
  const byDay = new Map(lines.map((line) => [line.key, line]));
  const first = Math.floor(Date.parse(from) / DAY_MS) * DAY_MS;
  const last = Math.ceil(Date.parse(to) / DAY_MS) * DAY_MS;
  const series: DailySeries = { t: [], cost: [], unpriced: [], notBilled: [] };
  for (let day = first; day < last && series.t.length < 3660; day += DAY_MS) {
    const line = byDay.get(new Date(day).toISOString().slice(0, 10));
    series.t.push(day / 1000);
    series.cost.push(line ? line.cost_usd : null);
    series.unpriced.push(line ? line.unpriced_calls : 0);
    series.notBilled.push(line ? line.not_billed_calls : 0);
  }
  return series;
}

/** A line's cost as the trace list shows one: never $0 for unpriced calls. */
export function lineCost(line: CostLine): CostText {
  return formatCost({
    total_cost: line.cost_usd,
    unpriced_count: line.unpriced_calls,
    not_billed_count: line.not_billed_calls,
    saved_cost: line.saved_usd,
  });
}
