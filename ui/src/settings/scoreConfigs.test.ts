import { describe, expect, it } from "vitest";
import { describeRule, EMPTY_SCORE_CONFIG_FORM, parseCategories, scoreConfigBody } from "./scoreConfigs";

describe("score config form", () => {
  it("reads categories with and without numbers", () => {
    expect(parseCategories("rude = 0\n\npolite=1\nneutral")).toEqual({
      categories: [
        { label: "rude", value: 0 },
        { label: "polite", value: 1 },
        { label: "neutral", value: null },
      ],
      errors: [],
    });
    expect(parseCategories("a = x\n = 2\na\na").errors).toEqual([
      'Line 1: "x" is not a number.',
      "Line 2: a category needs a label.",
      "Each category label may appear once.",
    ]);
  });

  it("builds the body of each type and refuses what the server would", () => {
    const stars = { ...EMPTY_SCORE_CONFIG_FORM, name: " stars ", min: "1", max: "5" };
    expect(scoreConfigBody(stars).body).toEqual({
      name: "stars",
      data_type: "NUMERIC",
      min_value: 1,
      max_value: 5,
      categories: null,
      description: null,
    });
    expect(scoreConfigBody({ ...stars, min: "6" }).errors).toEqual(["The minimum is above the maximum."]);
    expect(scoreConfigBody({ ...stars, max: "five" }).errors).toEqual(['Maximum: "five" is not a number.']);
    const tone = { ...EMPTY_SCORE_CONFIG_FORM, name: "tone", dataType: "CATEGORICAL" as const, min: "1" };
    expect(scoreConfigBody(tone).errors).toEqual(["List the categories, one a line."]);
    expect(scoreConfigBody({ ...tone, categories: "ok" }).body?.min_value).toBeNull(); // a range is for numbers only
    expect(scoreConfigBody({ ...EMPTY_SCORE_CONFIG_FORM, dataType: "BOOLEAN" }).errors).toHaveLength(1);
  });

  it("says each rule in words", () => {
    const numeric = { data_type: "NUMERIC" as const, min_value: 1, max_value: 5, categories: null };
    expect(describeRule(numeric)).toBe("1 to 5");
    expect(describeRule({ ...numeric, max_value: null })).toBe("at least 1");
    expect(describeRule({ ...numeric, min_value: null, max_value: null })).toBe("any number");
    expect(describeRule({ data_type: "BOOLEAN", min_value: null, max_value: null, categories: null })).toBe("true or false");
    const categories = [{ label: "rude", value: 0 }, { label: "polite", value: null }];
    expect(describeRule({ data_type: "CATEGORICAL", min_value: null, max_value: null, categories })).toBe("rude (0), polite");
  });
});
