// Calls of /api/v1/annotation-queues that create and fill queues, and the pure parts of their forms
// (the new queue's body, the fill-by-filter body), unit-tested in api.test.ts. The server checks the
// same rules and answers 400 naming what is wrong.
import { apiRequest } from "../api/client";
import { scoreConfigBody, type ScoreConfigForm } from "../settings/scoreConfigs";
import { filtersToApiParams, RANGES, type TraceFilters } from "../traces/filters";
import type { Added, ItemKind, Queue, ScoreConfig } from "./types";

export function queuePath(name: string): string {
  return `/api/v1/annotation-queues/${encodeURIComponent(name)}`;
}

/** A score of the new queue: a project score config by name, or a config of the queue's own. */
export type QueueScore = string | Omit<ScoreConfig, "config_id" | "archived" | "missing">;

export interface NewQueueBody {
  name: string;
  description: string | null;
  kind: ItemKind | null;
  reviews_per_item: number;
  score_configs: QueueScore[];
}

export interface FromTracesBody {
  filters: Record<string, string | number | string[]>;
  kind: "trace" | "session";
  sample_rate: number;
  max_items: number;
}

export interface FromObservationsBody {
  filters: Record<string, string>;
  sample_rate: number;
  max_items: number;
}

export const queuesApi = {
  list: () => apiRequest<{ data: Queue[] }>("/api/v1/annotation-queues").then((r) => r.data),
  create: (body: NewQueueBody) => apiRequest<Queue>("/api/v1/annotation-queues", { method: "POST", body }),
  addItems: (name: string, items: { kind: ItemKind; id: string }[]) =>
    apiRequest<Added>(`${queuePath(name)}/items`, { method: "POST", body: { items } }),
  fromTraces: (name: string, body: FromTracesBody) =>
    apiRequest<Added>(`${queuePath(name)}/items/from-traces`, { method: "POST", body }),
  fromObservations: (name: string, body: FromObservationsBody) =>
    apiRequest<Added>(`${queuePath(name)}/items/from-observations`, { method: "POST", body }),
};

export interface NewQueueForm {
  name: string;
  description: string;
  kind: ItemKind | "";
  reviewsPerItem: string;
  /** Names of the project's score configs, in the order they were ticked. */
  picked: string[];
  /** The queue's own configs, added one by one with the inline config form. */
  own: Exclude<QueueScore, string>[];
}

export const EMPTY_NEW_QUEUE: NewQueueForm = { name: "", description: "", kind: "trace", reviewsPerItem: "1", picked: [], own: [] };

/** The request body of the form, or its problems in words. */
export function newQueueBody(form: NewQueueForm): { body: NewQueueBody | null; errors: string[] } {
  const errors: string[] = [];
  const name = form.name.trim();
  if (name === "") errors.push("Give the queue a name.");
  else if (name.includes("/")) errors.push("A queue's name cannot hold '/'.");
  const reviews = Number(form.reviewsPerItem.trim());
  if (!/^\d+$/.test(form.reviewsPerItem.trim()) || reviews < 1 || reviews > 100) {
    errors.push("Reviews per item: a whole number from 1 to 100.");
  }
  const names = [...form.picked, ...form.own.map((config) => config.name)];
  if (names.length === 0) errors.push("Choose at least one score: a project score config, or one of the queue's own.");
  const twice = names.find((n, index) => names.indexOf(n) !== index);
  if (twice !== undefined) errors.push(`The score ${twice} is there twice.`);
  if (errors.length) return { body: null, errors };
  const description = form.description.trim() === "" ? null : form.description.trim();
  return {
    body: {
      name,
      description,
      kind: form.kind === "" ? null : form.kind,
      reviews_per_item: reviews,
      score_configs: [...form.picked, ...form.own],
    },
    errors,
  };
}

/** A config of the queue's own from the score config form (Settings > Scores' rules). Its categories
 * are labels: numbers for categories belong to a project score config. */
export function ownConfig(form: ScoreConfigForm): { config: Exclude<QueueScore, string> | null; errors: string[] } {
  const { body, errors } = scoreConfigBody(form);
  if (!body) return { config: null, errors };
  if (body.categories?.some((category) => category.value !== null)) {
    return { config: null, errors: ["A queue's own categories are labels only: give them numbers in a project score config."] };
  }
  const categories = body.categories ? body.categories.map((category) => category.label) : null;
  return { config: { ...body, categories }, errors: [] };
}

/** The trace list's filters as from-traces wants them (JSON, the GET /api/v1/traces names; no order). */
export function filtersBody(filters: TraceFilters, now: number): FromTracesBody["filters"] {
  const body: FromTracesBody["filters"] = {};
  for (const [key, value] of filtersToApiParams(filters, now)) {
    if (key === "sort" || key === "order") continue;
    if (key === "tags" || key === "score") body[key] = [...((body[key] as string[] | undefined) ?? []), value];
    else if (key === "latency_min" || key === "latency_max") body[key] = Number(value);
    else body[key] = value;
  }
  return body;
}

/** The share to sample from a percentage typed in the form (0 < p <= 100), or null. */
export function sampleRate(percent: string): number | null {
  const text = percent.trim();
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(text)) return null;
  const value = Number(text);
  return value > 0 && value <= 100 ? value / 100 : null;
}

/** The observation filters of "Add items" on an observation queue (GET /api/v1/observations' own). */
export interface ObservationFilters {
  type: string;
  model: string;
  name: string;
  level: string;
  traceId: string;
  /** A key of RANGES, or "" for any time. */
  range: string;
}

export const EMPTY_OBSERVATION_FILTERS: ObservationFilters = { type: "", model: "", name: "", level: "", traceId: "", range: "" };

/** The observation filters as from-observations wants them: blanks left out, a relative range resolved against `now` (ms). */
export function observationFiltersBody(filters: ObservationFilters, now: number): FromObservationsBody["filters"] {
  const body: FromObservationsBody["filters"] = {};
  const fields: [string, string][] = [
    ["type", filters.type], ["model", filters.model], ["name", filters.name], ["level", filters.level], ["trace_id", filters.traceId],
  ];
  for (const [key, value] of fields) {
    if (value.trim() !== "") body[key] = value.trim();
  }
  const range = RANGES[filters.range];
  if (range) body.from = new Date(now - range.seconds * 1000).toISOString();
  return body;
}
