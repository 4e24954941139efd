import { describe, expect, it } from "vitest";
import { describeEvaluator, describeSpend, EMPTY_RULE_FORM, formatRate, ruleBody } from "./rules";

describe("ruleBody", () => {
  it("makes a built-in rule with a filter and a rate", () => {
    const { body, problems } = ruleBody({
      ...EMPTY_RULE_FORM, name: " json ", samplingPercent: "25", nameRegex: "^chat", tags: "prod, eu",
      builtin: "regex", params: '{"pattern": "\\\\d+"}',
    });
    expect(problems).toEqual([]);
    expect(body).toEqual({
      name: "json", scope: "trace", sampling_rate: 0.25, filter: { name_regex: "^chat", tags: ["prod", "eu"] },
      evaluator: { type: "builtin", name: "regex", params: { pattern: "\\d+" } },
    });
  });

  it("makes a judge rule naming its key setting, never a key", () => {
    const { body } = ruleBody({ ...EMPTY_RULE_FORM, name: "j", kind: "judge", apiKeySetting: "openai" });
    const evaluator = body?.evaluator as Record<string, unknown>;
    expect(evaluator.type).toBe("judge");
    expect(evaluator.provider).toEqual({ base_url: "https://api.openai.com/v1", model: "gpt-4o-mini", api_key_setting: "openai" });
  });

  it("gives a judge a daily cost limit, or none", () => {
    expect(ruleBody({ ...EMPTY_RULE_FORM, name: "j", kind: "judge", dailyCostLimit: "2.5" }).body?.daily_cost_limit_usd).toBe(2.5);
    expect(ruleBody({ ...EMPTY_RULE_FORM, name: "j", kind: "judge" }).body).not.toHaveProperty("daily_cost_limit_usd");
    expect(ruleBody({ ...EMPTY_RULE_FORM, name: "j", kind: "judge", dailyCostLimit: "-1" }).problems).toEqual([
      "The daily cost limit is a number of USD, 0 or more.",
    ]);
  });

  it("names what keeps the form from a request", () => {
    const { body, problems } = ruleBody({ ...EMPTY_RULE_FORM, samplingPercent: "half", params: "{" });
    expect(body).toBeNull();
    expect(problems).toHaveLength(3);
  });
});

describe("formatting", () => {
  it("shows rates and evaluators", () => {
    expect(formatRate(0.125)).toBe("12.5%");
    expect(describeEvaluator({ type: "judge", provider: { model: "m" }, score: { name: "s" } })).toBe("judge m → s");
    expect(describeEvaluator({ type: "builtin", name: "regex" })).toBe("regex");
    expect(describeSpend(0.0123456, 1)).toBe("$0.0123 of $1 today");
    expect(describeSpend(0, null)).toBe("$0 today");
  });
});
