import { describe, expect, it } from "vitest";
import { choicesOf, keyAction, missingScores, nextActive } from "./keys";
import type { ScoreConfig } from "./types";

const config = (fields: Partial<ScoreConfig>): ScoreConfig => ({
  name: "s", data_type: "NUMERIC", min_value: null, max_value: null, categories: null, description: null, ...fields,
});
const stars = config({ name: "stars", min_value: 1, max_value: 5 });
const tone = config({ name: "tone", data_type: "CATEGORICAL", categories: ["polite", "neutral", "rude"] });
const ok = config({ name: "ok", data_type: "BOOLEAN" });

describe("choicesOf", () => {
  it("gives a 1-5 scale its own digits, categories their positions, booleans y/n", () => {
    expect(choicesOf(stars)!.map((c) => [c.key, c.value])).toEqual([["1", 1], ["2", 2], ["3", 3], ["4", 4], ["5", 5]]);
    expect(choicesOf(tone)!.map((c) => [c.key, c.value])).toEqual([["1", "polite"], ["2", "neutral"], ["3", "rude"]]);
    expect(choicesOf(ok)!.map((c) => [c.key, c.value])).toEqual([["y", true], ["n", false]]);
  });
  it("chooses a scale outside 0-9 by position and leaves long or open scales to a field", () => {
    expect(choicesOf(config({ min_value: -2, max_value: 2 }))!.map((c) => c.key)).toEqual(["1", "2", "3", "4", "5"]);
    expect(choicesOf(config({ min_value: 0, max_value: 100 }))).toBeNull();
    expect(choicesOf(config({ min_value: 0, max_value: 1.5 }))).toBeNull();
    expect(choicesOf(config({}))).toBeNull();
  });
});

describe("keyAction", () => {
  const configs = [tone, stars, ok];
  it("maps digits to the active score and y/n to the first yes/no score", () => {
    expect(keyAction("3", configs, 0)).toEqual({ kind: "choose", config: 0, value: "rude" });
    expect(keyAction("3", configs, 1)).toEqual({ kind: "choose", config: 1, value: 3 });
    expect(keyAction("5", configs, 0)).toBeNull(); // tone has three categories: 5 is nothing
    expect(keyAction("n", configs, 0)).toEqual({ kind: "choose", config: 2, value: false });
  });
  it("has the page's keys", () => {
    expect(keyAction("Enter", configs, 0)).toEqual({ kind: "submit" });
    expect(keyAction("s", configs, 0)).toEqual({ kind: "skip" });
    expect(keyAction("?", configs, 0)).toEqual({ kind: "help" });
    expect(keyAction("j", configs, 2)).toEqual({ kind: "move", to: 2 });
    expect(keyAction("ArrowUp", configs, 1)).toEqual({ kind: "move", to: 0 });
  });
});

describe("nextActive and missingScores", () => {
  it("moves to the next score without a value", () => {
    expect(nextActive([tone, stars, ok], { tone: "rude" }, 0)).toBe(1);
    expect(nextActive([tone, stars, ok], { stars: 2, ok: true }, 2)).toBe(0);
    expect(nextActive([tone, stars], { tone: "rude", stars: 1 }, 1)).toBe(1);
    expect(missingScores([tone, stars, ok], { stars: 2 })).toEqual(["tone", "ok"]);
  });
});
