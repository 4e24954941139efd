import { describe, expect, it } from "vitest";
import { formatAge, formatCost, formatLatency, formatTimestamp, formatTokens, formatUsd, traceLevel } from "./format";

const totals = { total_cost: null, unpriced_count: 0, not_billed_count: 0, saved_cost: 0 };

describe("formatCost", () => {
  it("says unpriced, never $0, when no call has a price", () => {
    const cost = formatCost({ ...totals, total_cost: null, unpriced_count: 2 });
    expect(cost.text).toBe("unpriced");
    expect(cost.kind).toBe("unpriced");
    expect(cost.title).toContain("not $0");
  });
  it("marks a total that leaves unpriced calls out", () => {
    const cost = formatCost({ ...totals, total_cost: 0.0123, unpriced_count: 1 });
    expect(cost.text).toBe("$0.0123 + unpriced");
    expect(cost.kind).toBe("partial");
  });
  it("shows a known $0 for cache hits and fallbacks, with what they saved", () => {
    const cost = formatCost({ ...totals, total_cost: 0, not_billed_count: 3, saved_cost: 0.05 });
    expect(cost.text).toBe("$0");
    expect(cost.kind).toBe("free");
    expect(cost.title).toContain("3 calls not billed");
    expect(cost.title).toContain("$0.05 saved");
  });
  it("shows a dash for a trace without LLM calls", () => {
    expect(formatCost(totals).text).toBe("—");
  });
  it("prices a plain trace", () => {
    expect(formatCost({ ...totals, total_cost: 1234.5 }).text).toBe("$1,234.50");
  });
});

describe("formatUsd", () => {
  it.each([
    [0, "$0"],
    [0.000123456, "$0.000123"],
    [0.0012, "$0.0012"],
    [0.1, "$0.1"],
    [0.999, "$0.999"],
    [1, "$1.00"],
    [12.345, "$12.35"],
    [1.8e-7, "$0.00000018"],
    [1e-12, "<$0.000000001"],
  ])("%s -> %s", (value, text) => {
    expect(formatUsd(value)).toBe(text);
  });
});

describe("formatLatency", () => {
  it.each([
    [null, "—"],
    [0.0004, "0 ms"],
    [0.523, "523 ms"],
    [1.234, "1.23 s"],
    [2, "2 s"],
    [12.34, "12.3 s"],
    [125, "2m 05s"],
    [3720, "1h 02m"],
  ])("%s -> %s", (value, text) => {
    expect(formatLatency(value)).toBe(text);
  });
});

describe("formatTokens", () => {
  it.each([
    [null, "—"],
    [0, "0"],
    [999, "999"],
    [12345, "12,345"],
    [123456, "123.5k"],
    [2_500_000, "2.5M"],
  ])("%s -> %s", (value, text) => {
    expect(formatTokens(value)).toBe(text);
  });
});

describe("time", () => {
  it("formats a timestamp in a given zone", () => {
    expect(formatTimestamp("2026-11-30T10:31:05.123Z", "UTC")).toBe("2026-11-30 10:31:05");
    expect(formatTimestamp("2026-11-30T10:31:05Z", "Europe/Paris")).toBe("2026-11-30 11:31:05");
  });
  it("says how long ago", () => {
    const now = Date.parse("2026-11-30T12:00:00Z");
    expect(formatAge("2026-11-30T11:55:00Z", now)).toBe("5 min ago");
    expect(formatAge("2026-11-28T12:00:00Z", now)).toBe("2 d ago");
  });
  it("derives the trace level from its errors", () => {
    expect(traceLevel({ error_count: 1 })).toBe("ERROR");
    expect(traceLevel({ error_count: 0 })).toBe("DEFAULT");
  });
});
