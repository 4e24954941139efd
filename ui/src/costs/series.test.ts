import { describe, expect, it } from "vitest";
import { dailySeries, lineCost, periodFromSearch, periodToApiParams } from "./series";
import type { CostLine } from "./types";

function line(key: string, overrides: Partial<CostLine> = {}): CostLine {
  return {
    key,
    calls: 1,
    unpriced_calls: 0,
    partial_calls: 0,
    not_billed_calls: 0,
    input_tokens: 10,
    output_tokens: 5,
    cost_usd: 0.5,
    saved_usd: 0,
    ...overrides,
  };
}

describe("periodFromSearch", () => {
  it("reads a relative range, an absolute one, and ignores the rest", () => {
    expect(periodFromSearch(new URLSearchParams("range=7d"))).toEqual({ range: "7d", from: null, to: null });
    expect(periodFromSearch(new URLSearchParams("range=1y"))).toEqual({ range: "30d", from: null, to: null });
    expect(periodFromSearch(new URLSearchParams("from=2026-11-01T00:00:00Z&to=nonsense&range=7d"))).toEqual({
      range: null,
      from: "2026-11-01T00:00:00Z",
      to: null,
    });
  });
});

describe("periodToApiParams", () => {
  it("ends a relative range at the end of today, UTC, on whole days", () => {
    const now = Date.parse("2026-11-30T12:34:56Z");
    const params = periodToApiParams({ range: "7d", from: null, to: null }, now);
    expect(params.get("from")).toBe("2026-11-24T00:00:00.000Z");
    expect(params.get("to")).toBe("2026-12-01T00:00:00.000Z");
  });
});

describe("dailySeries", () => {
  it("has one point per day, gaps where there was no call, and unknown costs as null", () => {
    const series = dailySeries(
      [line("2026-11-28"), line("2026-11-30", { cost_usd: null, unpriced_calls: 2 })],
      "2026-11-28T00:00:00Z",
      "2026-12-01T00:00:00Z",
    );
    expect(series.t).toEqual([1795824000, 1795910400, 1795996800]);
    expect(series.cost).toEqual([0.5, null, null]);
    expect(series.unpriced).toEqual([0, 0, 2]);
  });
});

describe("lineCost", () => {
  it("never reads unpriced calls as $0", () => {
    expect(lineCost(line("m", { cost_usd: null, unpriced_calls: 3 })).text).toBe("unpriced");
    expect(lineCost(line("m", { unpriced_calls: 1 })).text).toBe("$0.5 + unpriced");
    expect(lineCost(line("m", { cost_usd: 0, not_billed_calls: 2, saved_usd: 0.1 })).text).toBe("$0");
  });
});
