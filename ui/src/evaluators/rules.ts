// The Evaluators page's form as data, and the body POST /api/v1/evaluators takes (docs/evaluation.md,
// "Online evaluators"). The server validates every rule again and names what it refuses; the checks
// here only catch what would make the request itself wrong (a number that is not one, JSON that is not).

export type Scope = "trace" | "observation" | "session";

export interface RuleForm {
  name: string;
  scope: Scope;
  samplingPercent: string;
  nameRegex: string;
  environment: string;
  tags: string;
  kind: "builtin" | "judge";
  builtin: string;
  params: string; // JSON object
  template: string;
  scoreName: string;
  dataType: "BOOLEAN" | "NUMERIC" | "CATEGORICAL";
  categories: string;
  baseUrl: string;
  model: string;
  apiKeySetting: string;
  dailyCostLimit: string; // USD a UTC day; empty: no limit
}

export const BUILTINS = ["exact_match", "contains", "regex", "json_valid", "json_schema", "numeric_close", "similarity"];

export const EMPTY_RULE_FORM: RuleForm = {
  name: "",
  scope: "trace",
  samplingPercent: "100",
  nameRegex: "",
  environment: "",
  tags: "",
  kind: "builtin",
  builtin: "json_valid",
  params: "",
  template: "Question: {{input}}\nAnswer: {{output}}\nIs the answer helpful?",
  scoreName: "helpful",
  dataType: "BOOLEAN",
  categories: "",
  baseUrl: "https://api.openai.com/v1",
  model: "gpt-4o-mini",
  apiKeySetting: "",
  dailyCostLimit: "",
};

export type RuleBody = Record<string, unknown>;

/** The request body, or the problems that keep the form from making one. */
export function ruleBody(form: RuleForm): { body: RuleBody | null; problems: string[] } {
  const problems: string[] = [];
  if (!form.name.trim()) problems.push("Give the rule a name.");
  const percent = Number(form.samplingPercent);
  if (form.samplingPercent.trim() === "" || !Number.isFinite(percent)) problems.push("Sampling is a percentage, 0 to 100.");
  const filter: Record<string, unknown> = {};
  if (form.nameRegex.trim()) filter.name_regex = form.nameRegex.trim();
  if (form.environment.trim()) filter.environment = form.environment.trim();
  const tags = form.tags.split(",").map((tag) => tag.trim()).filter(Boolean);
  if (tags.length) filter.tags = tags;
  let evaluator: Record<string, unknown>;
  if (form.kind === "builtin") {
    let params: unknown = {};
    if (form.params.trim()) {
      try {
        params = JSON.parse(form.params);
      } catch {
        problems.push("Parameters must be a JSON object, such as {\"pattern\": \"\\\\d+\"}.");
      }
    }
    evaluator = { type: "builtin", name: form.builtin, params };
  } else {
    const score: Record<string, unknown> = { name: form.scoreName.trim(), data_type: form.dataType };
    if (form.dataType === "CATEGORICAL") {
      score.categories = form.categories.split(",").map((c) => c.trim()).filter(Boolean);
    }
    const provider: Record<string, unknown> = { base_url: form.baseUrl.trim(), model: form.model.trim() };
    if (form.apiKeySetting.trim()) provider.api_key_setting = form.apiKeySetting.trim();
    evaluator = { type: "judge", template: form.template, score, provider };
  }
  const limit = form.dailyCostLimit.trim() === "" ? null : Number(form.dailyCostLimit);
  if (limit !== null && (!Number.isFinite(limit) || limit < 0)) problems.push("The daily cost limit is a number of USD, 0 or more.");
  if (problems.length) return { body: null, problems };
  const body: RuleBody = { name: form.name.trim(), scope: form.scope, sampling_rate: percent / 100, filter, evaluator };
  if (limit !== null) body.daily_cost_limit_usd = limit;
  return { body, problems };
}

/** "$0.0123 of $1 today" for a rule's spend against its limit, "$0.0123 today" without one. */
export function describeSpend(spent: number, limit: number | null): string {
  const usd = (value: number) => `$${Number(value.toPrecision(3)).toLocaleString("en-US", { maximumFractionDigits: 6 })}`;
  return limit === null ? `${usd(spent)} today` : `${usd(spent)} of ${usd(limit)} today`;
}

/** "12.5%" for a rate of 0.125. */
export function formatRate(rate: number): string {
  return `${Number((rate * 100).toFixed(2))}%`;
}

/** What a rule's evaluator is, in a few words. */
export function describeEvaluator(evaluator: Record<string, unknown>): string {
  if (evaluator.type === "judge") {
    const provider = (evaluator.provider ?? {}) as Record<string, unknown>;
    const score = (evaluator.score ?? {}) as Record<string, unknown>;
    return `judge ${String(provider.model ?? "")} → ${String(score.name ?? "")}`;
  }
  return String(evaluator.name ?? evaluator.type ?? "");
}
