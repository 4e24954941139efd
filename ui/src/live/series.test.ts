import { describe, expect, it } from "vitest";
import { formatCostRate, formatNumber, formatPercent, plotData, windowFromSearch } from "./series";

const rates = { cost_per_hour: 1.5, unpriced_calls: 0, not_billed_calls: 0, saved: 0 };

describe("windowFromSearch", () => {
  it("reads a known window and ignores anything else", () => {
    expect(windowFromSearch(new URLSearchParams("window=15m"))).toBe("15m");
    expect(windowFromSearch(new URLSearchParams("window=24h"))).toBe("24h");
    expect(windowFromSearch(new URLSearchParams("window=7d"))).toBe("1h");
    expect(windowFromSearch(new URLSearchParams(""))).toBe("1h");
  });
});

describe("formatCostRate", () => {
  it("reads a priced rate per hour", () => {
    expect(formatCostRate(rates).text).toBe("$1.50/h");
  });
  it("never shows unpriced calls as $0", () => {
    expect(formatCostRate({ ...rates, cost_per_hour: null, unpriced_calls: 3 }).text).toBe("unpriced");
    expect(formatCostRate({ ...rates, unpriced_calls: 2 }).text).toBe("$1.50/h + unpriced");
  });
  it("shows cache hits alone as a known $0 and no calls as a dash", () => {
    expect(formatCostRate({ ...rates, cost_per_hour: 0, not_billed_calls: 4, saved: 0.2 }).text).toBe("$0/h");
    expect(formatCostRate({ ...rates, cost_per_hour: null }).text).toBe("—");
  });
});

describe("numbers", () => {
  it("keeps a few significant digits", () => {
    expect(formatNumber(0)).toBe("0");
    expect(formatNumber(0.04213)).toBe("0.042");
    expect(formatNumber(3.14159)).toBe("3.14");
    expect(formatNumber(12.34)).toBe("12.3");
    expect(formatNumber(1204.4)).toBe("1,204");
    expect(formatNumber(null)).toBe("—");
  });
  it("formats rates as percentages", () => {
    expect(formatPercent(null)).toBe("—");
    expect(formatPercent(0)).toBe("0%");
    expect(formatPercent(0.0004)).toBe("<0.1%");
    expect(formatPercent(0.0123)).toBe("1.2%");
    expect(formatPercent(0.5)).toBe("50%");
  });
});

describe("plotData", () => {
  it("aligns every series on the timestamps and keeps gaps as null", () => {
    expect(plotData([60, 120, 180], [1, null, 3], [2])).toEqual([
      [60, 120, 180],
      [1, null, 3],
      [2, null, null],
    ]);
  });
});
