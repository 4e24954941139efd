import { describe, expect, it } from "vitest";
import { describeSummary, diffTexts, readable, summariseDiff } from "./diffText";

describe("readable", () => {
  it("keeps strings as they are and outlines JSON one field a line", () => {
    expect(readable("hello\nworld")).toBe("hello\nworld");
    expect(readable(null)).toBe("");
    expect(readable({ model: "gpt-4o", n: 2, stop: [], meta: {} })).toBe('model: "gpt-4o"\nn: 2\nstop: []\nmeta: {}');
  });
  it("breaks a multi-line string inside messages into its own lines", () => {
    const text = readable([{ role: "user", content: "line one\nline two" }]);
    expect(text).toBe('-\n  role: "user"\n  content: |\n    line one\n    line two');
  });
});

describe("diffTexts and summariseDiff", () => {
  it("reports identical values", () => {
    const diff = diffTexts("a\nb\n", "a\nb\n");
    expect(summariseDiff(diff)).toEqual({ added: 0, removed: 0, same: 2, identical: true });
    expect(describeSummary(summariseDiff(diff))).toBe("identical");
  });
  it("pairs a changed line with its replacement and marks the changed words", () => {
    const diff = diffTexts("The capital is Paris.\nBye", "The capital is Lyon.\nBye");
    expect(diff.lines.map((l) => `${l.kind}:${l.text}`)).toEqual([
      "removed:The capital is Paris.",
      "added:The capital is Lyon.",
      "same:Bye",
    ]);
    const words = diff.lines[0]!.words!;
    expect(words.filter((w) => w.removed).map((w) => w.value)).toEqual(["Paris"]);
    expect(words.filter((w) => w.added).map((w) => w.value)).toEqual(["Lyon"]);
    expect(describeSummary(summariseDiff(diff))).toBe("+1 −1 lines");
  });
  it("counts pure additions and removals", () => {
    const summary = summariseDiff(diffTexts("a\n", "a\nb\nc\n"));
    expect(summary).toMatchObject({ added: 2, removed: 0, identical: false });
    expect(describeSummary(summary)).toBe("+2 lines");
    expect(describeSummary(summariseDiff(diffTexts("a\nb", "a")))).toBe("−1 line");
  });
  it("gives up within its time budget on a huge, wholly different pair instead of freezing", () => {
    const many = (seed: string) => Array.from({ length: 40_000 }, (_, n) => `${seed}${n * 7919}`).join("\n");
    const started = Date.now();
    const diff = diffTexts(many("x"), many("y"), 50);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(diff.complete).toBe(false);
    expect(summariseDiff(diff).identical).toBe(false);
  });
});
