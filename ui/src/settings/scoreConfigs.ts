// Score configs (theodolite/server/routes/score_configs.py): their shapes and calls, and the create
// form's checks. Pure apart from the calls, unit-tested (scoreConfigs.test.ts); the server checks
// the same rules with theodolite.evaluation.ScoreConfig and answers 400 with the rule broken.
import { apiRequest } from "../api/client";

export const DATA_TYPES = ["NUMERIC", "CATEGORICAL", "BOOLEAN"] as const;
export type DataType = (typeof DATA_TYPES)[number];

export interface Category {
  label: string;
  value: number | null;
}

export interface ScoreConfig {
  id: number;
  name: string;
  data_type: DataType;
  min_value: number | null;
  max_value: number | null;
  categories: Category[] | null;
  description: string | null;
  archived: boolean;
  created_at: string;
  updated_at: string;
}

export type ScoreConfigBody = Pick<ScoreConfig, "name" | "data_type" | "min_value" | "max_value" | "categories" | "description">;

export const scoreConfigsApi = {
  list: () => apiRequest<{ data: ScoreConfig[] }>("/api/v1/score-configs").then((r) => r.data),
  create: (body: ScoreConfigBody) => apiRequest<ScoreConfig>("/api/v1/score-configs", { method: "POST", body }),
  setArchived: (id: number, archived: boolean) =>
    apiRequest<ScoreConfig>(`/api/v1/score-configs/${id}`, { method: "PATCH", body: { archived } }),
};

export interface ScoreConfigForm {
  name: string;
  dataType: DataType;
  min: string;
  max: string;
  /** One category a line: `label`, or `label = number`. */
  categories: string;
  description: string;
}

export const EMPTY_SCORE_CONFIG_FORM: ScoreConfigForm = {
  name: "",
  dataType: "NUMERIC",
  min: "",
  max: "",
  categories: "",
  description: "",
};

const NUMBER = /^-?\d+(\.\d+)?$/;

/** The categories of the form's text: one a line, `label` or `label = number`; blank lines skipped. */
export function parseCategories(text: string): { categories: Category[]; errors: string[] } {
  const categories: Category[] = [];
  const errors: string[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "") return;
    const at = line.lastIndexOf("=");
    const label = (at === -1 ? line : line.slice(0, at)).trim();
    const number = at === -1 ? "" : line.slice(at + 1).trim();
    if (label === "") errors.push(`Line ${index + 1}: a category needs a label.`);
    else if (number !== "" && !NUMBER.test(number)) errors.push(`Line ${index + 1}: "${number}" is not a number.`);
    else categories.push({ label, value: number === "" ? null : Number(number) });
  });
  const labels = categories.map((c) => c.label);
  if (new Set(labels).size !== labels.length) errors.push("Each category label may appear once.");
  return { categories, errors };
}

/** The request body of the form, or its problems in words (none when the server should accept it). */
export function scoreConfigBody(form: ScoreConfigForm): { body: ScoreConfigBody | null; errors: string[] } {
  const errors: string[] = [];
  const name = form.name.trim();
  if (name === "") errors.push("Give the score's name (the name scores are sent with).");
  let min: number | null = null;
  let max: number | null = null;
  let categories: Category[] | null = null;
  if (form.dataType === "NUMERIC") {
    for (const [text, label] of [
      [form.min, "Minimum"],
      [form.max, "Maximum"],
    ] as const) {
      if (text.trim() !== "" && !NUMBER.test(text.trim())) errors.push(`${label}: "${text}" is not a number.`);
    }
    min = NUMBER.test(form.min.trim()) ? Number(form.min.trim()) : null;
    max = NUMBER.test(form.max.trim()) ? Number(form.max.trim()) : null;
    if (min !== null && max !== null && min > max) errors.push("The minimum is above the maximum.");
  } else if (form.dataType === "CATEGORICAL") {
    const parsed = parseCategories(form.categories);
    errors.push(...parsed.errors);
    if (parsed.categories.length === 0 && parsed.errors.length === 0) errors.push("List the categories, one a line.");
    categories = parsed.categories;
  }
  if (errors.length) return { body: null, errors };
  const description = form.description.trim() === "" ? null : form.description.trim();
  return { body: { name, data_type: form.dataType, min_value: min, max_value: max, categories, description }, errors };
}

/** The rule of a config in words: "1 to 5", "rude (0), polite (1)", "true or false". */
export function describeRule(config: Pick<ScoreConfig, "data_type" | "min_value" | "max_value" | "categories">): string {
  if (config.data_type === "BOOLEAN") return "true or false";
  if (config.data_type === "CATEGORICAL") {
    return (config.categories ?? []).map((c) => (c.value === null ? c.label : `${c.label} (${c.value})`)).join(", ");
  }
  const { min_value: min, max_value: max } = config;
  if (min !== null && max !== null) return `${min} to ${max}`;
  if (min !== null) return `at least ${min}`;
  if (max !== null) return `at most ${max}`;
  return "any number";
}
