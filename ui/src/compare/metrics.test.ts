import { describe, expect, it } from "vitest";
import type { TraceDetail } from "../api/types";
import { formatDelta, formatValue, traceMetrics } from "./metrics";

function trace(patch: Partial<TraceDetail>): TraceDetail {
  return {
    id: "t", timestamp: "2026-11-30T00:00:00Z", name: "n", user_id: null, session_id: null, release: null,
    version: null, environment: null, tags: [], metadata: null, latency_s: 1, observation_count: 3,
    input_tokens: 100, output_tokens: 50, total_tokens: 150, total_cost: 0.01, saved_cost: 0, unpriced_count: 0,
    not_billed_count: 0, error_count: 0, root_observation_id: null, observations: [], scores: [], ...patch,
  };
}

describe("traceMetrics", () => {
  it("computes B minus A with a percentage", () => {
    const rows = traceMetrics(trace({}), trace({ latency_s: 1.5, total_tokens: 120, total_cost: 0.02 }));
    const by = Object.fromEntries(rows.map((r) => [r.label, r]));
    expect(formatDelta(by["Latency"]!)).toBe("+500 ms (+50%)");
    expect(formatDelta(by["Total tokens"]!)).toBe("−30 (−20%)");
    expect(formatDelta(by["Cost"]!)).toBe("+$0.01 (+100%)");
    expect(formatDelta(by["Observations"]!)).toBe("=");
    expect(formatDelta(by["Latency"]!, false)).toBe("+500 ms");
  });
  it("never turns an unpriced cost into $0 or a difference", () => {
    const rows = traceMetrics(trace({}), trace({ total_cost: null, unpriced_count: 2 }));
    const cost = rows.find((r) => r.label === "Cost")!;
    expect(formatValue(cost, "b")).toBe("unpriced");
    expect(formatDelta(cost)).toBe("—");
  });
  it("has no percentage from zero", () => {
    const rows = traceMetrics(trace({ error_count: 0 }), trace({ error_count: 2 }));
    expect(formatDelta(rows.find((r) => r.label === "Errors")!)).toBe("+2");
  });
});
