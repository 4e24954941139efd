// A user's daily series (UTC days, days without traces left out by the API) as the columns uPlot
// draws: every day of the span present, missing ones at zero, x in Unix seconds. Pure
// (series.test.ts).
import type { UserDay } from "../sessions/types";

export interface DailyColumns {
  /** Midnight UTC of each day, in seconds. */
  days: number[];
  traces: number[];
  /** USD per day; null where the day's calls had no known cost (unpriced is not $0). */
  cost: (number | null)[];
  tokens: number[];
}

const DAY_MS = 86_400_000;
/** At most this many days are drawn (a range of years would make thousands of empty points). */
export const MAX_DAYS = 3_660;

function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

/**
 * Days from the earlier of `from` and the first day with traces, to the later of `to` and the last
 * one: the chart covers the requested range even where it holds no traces.
 */
export function dailyColumns(daily: UserDay[], from?: string | null, to?: string | null): DailyColumns {
  const known = new Map(daily.map((d) => [d.day, d]));
  const starts = daily.map((d) => dayStart(d.day)).filter((ms) => Number.isFinite(ms));
  const bounds = [from, to].map((iso) => (iso ? Date.parse(iso) : Number.NaN));
  const floor = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
  const candidatesLow = [...starts, ...(Number.isFinite(bounds[0]!) ? [floor(bounds[0]!)] : [])];
  // `to` is exclusive: a range ending at midnight does not draw the next day.
  const candidatesHigh = [...starts, ...(Number.isFinite(bounds[1]!) ? [floor(bounds[1]! - 1)] : [])];
  const columns: DailyColumns = { days: [], traces: [], cost: [], tokens: [] };
  if (candidatesLow.length === 0 || candidatesHigh.length === 0) return columns;
  let first = Math.min(...candidatesLow);
  const last = Math.max(...candidatesHigh);
  if ((last - first) / DAY_MS >= MAX_DAYS) first = last - (MAX_DAYS - 1) * DAY_MS;
  for (let ms = first; ms <= last; ms += DAY_MS) {
    const day = new Date(ms).toISOString().slice(0, 10);
    const row = known.get(day);
    columns.days.push(ms / 1000);
    columns.traces.push(row?.trace_count ?? 0);
    columns.tokens.push(row?.total_tokens ?? 0);
    columns.cost.push(row ? (row.total_cost ?? (row.unpriced_count > 0 ? null : 0)) : 0);
  }
  return columns;
}
