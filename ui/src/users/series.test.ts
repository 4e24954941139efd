import { describe, expect, it } from "vitest";
import type { UserDay } from "../sessions/types";
import { dailyColumns } from "./series";

function day(date: string, patch: Partial<UserDay> = {}): UserDay {
  return {
    day: date,
    trace_count: 1,
    observation_count: 2,
    input_tokens: 10,
    output_tokens: 5,
    total_tokens: 15,
    total_cost: 0.5,
    saved_cost: 0,
    unpriced_count: 0,
    not_billed_count: 0,
    error_count: 0,
    ...patch,
  };
}

const midnight = (date: string) => Date.parse(`${date}T00:00:00Z`) / 1000;

describe("dailyColumns", () => {
  it("fills the days without traces with zeros", () => {
    const columns = dailyColumns([day("2026-11-01", { trace_count: 3 }), day("2026-11-04")]);
    expect(columns.days).toEqual(["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"].map(midnight));
    expect(columns.traces).toEqual([3, 0, 0, 1]);
    expect(columns.tokens).toEqual([15, 0, 0, 15]);
    expect(columns.cost).toEqual([0.5, 0, 0, 0.5]);
  });

  it("covers the requested range, `to` exclusive", () => {
    const columns = dailyColumns([day("2026-11-02")], "2026-11-01T10:00:00Z", "2026-11-04T00:00:00Z");
    expect(columns.days).toEqual(["2026-11-01", "2026-11-02", "2026-11-03"].map(midnight));
    expect(columns.traces).toEqual([0, 1, 0]);
  });

  it("keeps an unpriced day unknown, not $0", () => {
    const columns = dailyColumns([day("2026-11-01", { total_cost: null, unpriced_count: 2 })]);
    expect(columns.cost).toEqual([null]);
  });

  it("draws nothing for no data and no range", () => {
    expect(dailyColumns([])).toEqual({ days: [], traces: [], cost: [], tokens: [] });
  });
});
