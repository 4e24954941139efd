// The trace list's filters and the URL: every view has a URL that reproduces it. The URL is the
// source of truth; the page reads filters from it and writes changes back (filters.test.ts).

export const LEVELS = ["DEBUG", "DEFAULT", "WARNING", "ERROR"] as const;
export type Level = (typeof LEVELS)[number];

/** Relative ranges, measured back from the moment the list is loaded. */
export const RANGES: Record<string, { label: string; seconds: number }> = {
  "15m": { label: "Last 15 minutes", seconds: 15 * 60 },
  "1h": { label: "Last hour", seconds: 3600 },
  "6h": { label: "Last 6 hours", seconds: 6 * 3600 },
  "24h": { label: "Last 24 hours", seconds: 86400 },
  "7d": { label: "Last 7 days", seconds: 7 * 86400 },
  "30d": { label: "Last 30 days", seconds: 30 * 86400 },
  "90d": { label: "Last 90 days", seconds: 90 * 86400 },
};

export interface TraceFilters {
  /** A key of RANGES, or null; ignored when `from` or `to` is set. */
  range: string | null;
  from: string | null; // ISO-8601, inclusive
  to: string | null; // ISO-8601, exclusive
  name: string | null;
  user: string | null;
  session: string | null;
  tags: string[]; // all must be present
  model: string | null;
  level: Level | null;
  release: string | null;
  environment: string | null;
  /** Full-text search of inputs and outputs (words, the last one a prefix; see docs/web-ui.md). */
  search: string | null;
  /** The order: a key of SORTS or "score:<name>"; null for the default, newest first. */
  sort: string | null;
  order: "asc" | "desc" | null; // null: desc
  costMin: string | null; // USD, inclusive
  costMax: string | null;
  latencyMin: string | null; // seconds, inclusive
  latencyMax: string | null;
  score: string | null; // NAME<op>NUMBER, e.g. helpfulness>=0.8
}

/** The orders the list's column headers offer (besides a score's, "score:<name>"). */
export const SORTS = ["time", "name", "user", "session", "tags", "latency", "tokens", "cost", "level"] as const;

/** The number filters: URL key = API parameter. */
export const NUMBER_FILTERS = [
  { key: "costMin", url: "cost_min", label: "Cost ≥ $" },
  { key: "costMax", url: "cost_max", label: "Cost ≤ $" },
  { key: "latencyMin", url: "latency_min", label: "Latency ≥ s" },
  { key: "latencyMax", url: "latency_max", label: "Latency ≤ s" },
] as const;
export type NumberFilterKey = (typeof NUMBER_FILTERS)[number]["key"];

const SCORE_FILTER = /^(.+?)\s*(>=|<=|!=|=|>|<)\s*([-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)$/;

function sortOrNull(value: string | null): string | null {
  if (value === null) return null;
  if ((SORTS as readonly string[]).includes(value)) return value;
  return value.startsWith("score:") && value.length > 6 ? value : null;
}

function numberOrNull(value: string | null): string | null {
  return value !== null && /^\d+(\.\d*)?$|^\.\d+$/.test(value) ? value : null;
}

/** The score filter as the API wants it, or null when it is not NAME<op>NUMBER. */
export function scoreOrNull(value: string | null): string | null {
  const match = value === null ? null : SCORE_FILTER.exec(value);
  return match ? `${match[1]!.trim()}${match[2]}${match[3]}` : null;
}

/** The text filters: URL key = field name, API parameter alongside. */
export const TEXT_FILTERS = [
  { key: "name", api: "name", label: "Name" },
  { key: "user", api: "user_id", label: "User" },
  { key: "session", api: "session_id", label: "Session" },
  { key: "model", api: "model", label: "Model" },
  { key: "release", api: "release", label: "Release" },
  { key: "environment", api: "environment", label: "Environment" },
] as const;

export type TextFilterKey = (typeof TEXT_FILTERS)[number]["key"];

export const EMPTY_FILTERS: TraceFilters = {
  range: null,
  from: null,
  to: null,
  name: null,
  user: null,
  session: null,
  tags: [],
  model: null,
  level: null,
  release: null,
  environment: null,
  search: null,
  sort: null,
  order: null,
  costMin: null,
  costMax: null,
  latencyMin: null,
  latencyMax: null,
  score: null,
};

function text(value: string | null): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

function isoOrNull(value: string | null): string | null {
  const trimmed = text(value);
  if (trimmed === null || Number.isNaN(Date.parse(trimmed))) return null;
  return trimmed;
}

/** Filters from a URL query string. Unknown keys and invalid values are ignored, never fatal. */
export function filtersFromSearch(search: URLSearchParams | string): TraceFilters {
  const params = typeof search === "string" ? new URLSearchParams(search) : search;
  const range = text(params.get("range"));
  const level = text(params.get("level"))?.toUpperCase() ?? null;
  const tags: string[] = [];
  for (const tag of params.getAll("tag")) {
    const value = text(tag);
    if (value !== null && !tags.includes(value)) tags.push(value);
  }
  const filters: TraceFilters = {
    ...EMPTY_FILTERS,
    range: range !== null && range in RANGES ? range : null,
    from: isoOrNull(params.get("from")),
    to: isoOrNull(params.get("to")),
    tags,
    level: (LEVELS as readonly string[]).includes(level ?? "") ? (level as Level) : null,
    search: text(params.get("search")),
  };
  for (const { key } of TEXT_FILTERS) filters[key] = text(params.get(key));
  if (filters.from !== null || filters.to !== null) filters.range = null;
  // The default order (time, newest first) has no key: sort=time&order=desc reads as no sort.
  filters.order = text(params.get("order")) === "asc" ? "asc" : null;
  filters.sort = sortOrNull(text(params.get("sort"))) ?? (filters.order === "asc" ? "time" : null);
  if (filters.sort === "time" && filters.order === null) filters.sort = null;
  for (const { key, url } of NUMBER_FILTERS) filters[key] = numberOrNull(text(params.get(url)));
  filters.score = scoreOrNull(text(params.get("score")));
  return filters;
}

/** The canonical query string of these filters (fixed key order; empty values left out). */
export function filtersToSearch(filters: TraceFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.from !== null || filters.to !== null) {
    if (filters.from !== null) params.set("from", filters.from);
    if (filters.to !== null) params.set("to", filters.to);
  } else if (filters.range !== null) {
    params.set("range", filters.range);
  }
  for (const { key } of TEXT_FILTERS) {
    const value = text(filters[key]);
    if (value !== null) params.set(key, value);
  }
  for (const tag of filters.tags) params.append("tag", tag);
  if (filters.level !== null) params.set("level", filters.level);
  if (text(filters.search) !== null) params.set("search", text(filters.search) as string);
  appendTotals(filters, params);
  return params;
}

/** The sort and the cost, latency and score filters: the same keys in the URL and the API. */
function appendTotals(filters: TraceFilters, params: URLSearchParams): void {
  for (const { key, url } of NUMBER_FILTERS) {
    const value = numberOrNull(text(filters[key]));
    if (value !== null) params.set(url, value);
  }
  const score = scoreOrNull(text(filters.score));
  if (score !== null) params.set("score", score);
  const sort = sortOrNull(filters.sort);
  if (sort !== null) {
    params.set("sort", sort);
    params.set("order", filters.order ?? "desc");
  }
}

/** The GET /api/v1/traces parameters; a relative range is resolved against `now` (ms). */
export function filtersToApiParams(filters: TraceFilters, now: number): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.from !== null || filters.to !== null) {
    if (filters.from !== null) params.set("from", new Date(filters.from).toISOString());
    if (filters.to !== null) params.set("to", new Date(filters.to).toISOString());
  } else if (filters.range !== null) {
    const range = RANGES[filters.range];
    if (range) params.set("from", new Date(now - range.seconds * 1000).toISOString());
  }
  for (const { key, api } of TEXT_FILTERS) {
    const value = text(filters[key]);
    if (value !== null) params.set(api, value);
  }
  for (const tag of filters.tags) params.append("tags", tag);
  if (filters.level !== null) params.set("level", filters.level);
  if (text(filters.search) !== null) params.set("search", text(filters.search) as string);
  appendTotals(filters, params);
  return params;
}

/** Filters set (the order is not a filter). */
export function activeFilterCount(filters: TraceFilters): number {
  return [...filtersToSearch(filters).keys()].filter((key) => key !== "sort" && key !== "order").length;
}

/** The filters cleared, the order kept. */
export function clearedFilters(filters: TraceFilters): TraceFilters {
  return { ...EMPTY_FILTERS, sort: filters.sort, order: filters.order };
}

/** The order after a click on a column's header: that column descending, or its other direction. */
export function nextSort(filters: TraceFilters, sort: string): Pick<TraceFilters, "sort" | "order"> {
  const descending = { sort: sort === "time" ? null : sort, order: null };
  if ((filters.sort ?? "time") !== sort || filters.order === "asc") return descending;
  return { sort, order: "asc" };
}
