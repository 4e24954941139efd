import { describe, expect, it } from "vitest";
import { formatAgreement, formatCount, formatMetric, formatVersus, itemWinner } from "./figures";
import type { ComparedItem, ComparedRun, Versus } from "./types";

const versus = (mean: number, low: number, high: number): Versus => ({
  mean_difference: mean, low, high, significant: low > 0 || high < 0, better: null,
  wins: 0, losses: 0, ties: 0, n_items: 1, unpaired: 0,
});

describe("experiment figures", () => {
  it("formats each metric in its unit, signed for differences", () => {
    expect(formatMetric({ kind: "score", name: "correct" }, 0.25, true)).toBe("+0.250");
    expect(formatMetric({ kind: "latency" }, 1234.4)).toBe("1,234 ms");
    expect(formatMetric({ kind: "cost" }, null)).toBe("—");
    expect(formatVersus({ kind: "score", name: "c" }, versus(0.25, 0.16, 0.34))).toBe("+0.250 [+0.160, +0.340]");
  });

  it("names the item's winner, a tie, or nothing scored", () => {
    const run = (value?: number): ComparedRun => ({
      output: "", error: null, trace_id: null, cost: null, latency_ms: null,
      scores: value === undefined ? {} : { c: value }, categories: {},
    });
    const item = (winners: number[], runs = [run(1), run(0)]): ComparedItem =>
      ({ item_id: "i", input: null, expected_output: null, runs, winners: { c: winners } });
    expect(itemWinner(item([7]), "c")).toBe(7);
    expect(itemWinner(item([]), "c")).toBe("tie");
    expect(itemWinner(item([], [run(), run()]), "c")).toBe(null);
    expect(itemWinner(item([7]), undefined)).toBe(null);
  });

  it("reads categorical scores as counts, agreement and (when ordered) wins", () => {
    expect(formatCount(3, 3 / 7)).toBe("3 (43 %)");
    expect(formatCount(undefined, undefined)).toBe("—");
    const agreement = { n_items: 7, agreed: 4, agreement: 4 / 7, unpaired: 1, ordered: false,
                        wins: null, losses: null, ties: null, better: null };
    expect(formatAgreement(agreement)).toBe("agree 4/7 (57 %)");
    expect(formatAgreement({ ...agreement, ordered: true, wins: 2, losses: 1, ties: 4, better: "experiment" }))
      .toBe("agree 4/7 (57 %) · W/L/T 2/1/4");
    expect(formatAgreement({ ...agreement, n_items: 0, agreed: 0, agreement: null })).toBe("—");
  });
});
