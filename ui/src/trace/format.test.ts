import { describe, expect, it } from "vitest";
import { formatMs, formatObservationCost } from "./format";

describe("formatObservationCost", () => {
  it("never shows an unknown cost as $0", () => {
    expect(formatObservationCost(null, "unpriced").text).toBe("unpriced");
    expect(formatObservationCost(null, "priced").text).toBe("unpriced");
    expect(formatObservationCost(null, "partial").text).toBe("unpriced");
  });

  it("shows a cache hit or a fallback as a known $0, priced calls in dollars", () => {
    expect(formatObservationCost(0, "not_billed")).toMatchObject({ text: "$0", kind: "free" });
    expect(formatObservationCost(0.00123, "priced").text).toBe("$0.00123");
    expect(formatObservationCost(0.5, "partial").text).toBe("$0.5+");
    expect(formatObservationCost(null, "n/a").text).toBe("");
  });
});

describe("formatMs", () => {
  it("reads durations", () => {
    expect(formatMs(0)).toBe("0 ms");
    expect(formatMs(850.4)).toBe("850 ms");
    expect(formatMs(1250)).toBe("1.25 s");
    expect(formatMs(12_340)).toBe("12.3 s");
    expect(formatMs(125_000)).toBe("2m 05s");
    expect(formatMs(null)).toBe("—");
  });
});
