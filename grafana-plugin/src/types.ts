// The query model and the vocabulary of Theodolite's analytics API (docs/analytics-api.md in the
// repository): the names here are the API's parameter values, sent as they are.
import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

export const QUERY_TYPES = ['metrics', 'traces', 'observations', 'scores', 'costs'] as const;
export type QueryType = (typeof QUERY_TYPES)[number];

/** The query types answered by a list of rows, newest first, cut at `limit`. */
export const LIST_QUERY_TYPES: readonly QueryType[] = ['traces', 'observations', 'scores'];

export const MEASURES = [
  'trace_count',
  'observation_count',
  'cost',
  'input_tokens',
  'output_tokens',
  'total_tokens',
  'latency',
  'ttft',
  'score',
  'error_rate',
] as const;
export type Measure = (typeof MEASURES)[number];

export const AGGREGATIONS = ['count', 'sum', 'avg', 'min', 'max', 'p50', 'p95', 'p99'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export const SCOPES = ['observations', 'traces'] as const;
export type Scope = (typeof SCOPES)[number];

export const FILLS = ['none', 'zero'] as const;
export type Fill = (typeof FILLS)[number];

export const FILTER_NAMES = [
  'type',
  'name',
  'model',
  'provider',
  'level',
  'source',
  'environment',
  'version',
  'release',
  'user',
  'session',
  'tag',
] as const;
export type FilterName = (typeof FILTER_NAMES)[number];

export const VARIABLE_KINDS = [
  'models',
  'providers',
  'names',
  'users',
  'sessions',
  'releases',
  'versions',
  'tags',
  'environments',
  'sources',
  'types',
  'levels',
  'score_names',
] as const;
export type VariableKind = (typeof VARIABLE_KINDS)[number];

/** Which `/variables/{kind}` list offers the values of a filter. */
export const FILTER_VARIABLE_KIND: Record<FilterName, VariableKind> = {
  type: 'types',
  name: 'names',
  model: 'models',
  provider: 'providers',
  level: 'levels',
  source: 'sources',
  environment: 'environments',
  version: 'versions',
  release: 'releases',
  user: 'users',
  session: 'sessions',
  tag: 'tags',
};

/** The API groups by at most two dimensions. */
export const MAX_GROUP_BY = 2;
/** The API's cap on list rows. */
export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 100;

export interface QueryFilter {
  key: FilterName;
  /** Any of these matches; each may hold template variables (a multi-value one adds several). */
  values: string[];
}

export interface TheodoliteQuery extends DataQuery {
  queryType: QueryType;
  measure?: Measure;
  aggregation?: Aggregation;
  scope?: Scope;
  groupBy?: FilterName[];
  /** `auto`, a duration (`5m`), milliseconds (`$__interval_ms`) or `total`; empty: the route's default (auto for metrics, 1d for costs). */
  interval?: string;
  fill?: Fill;
  filters?: QueryFilter[];
  /** Rows of a list query (traces, observations, scores). */
  limit?: number;
}

export const DEFAULT_QUERY: Partial<TheodoliteQuery> = {
  queryType: 'metrics',
  measure: 'trace_count',
  aggregation: 'count',
  scope: 'observations',
  groupBy: [],
  fill: 'none',
  filters: [],
};

/** A template variable's query: which list of values it offers. */
export interface TheodoliteVariableQuery extends DataQuery {
  kind: VariableKind;
}

/** Settings stored in clear (jsonData): never a secret. */
export interface TheodoliteOptions extends DataSourceJsonData {
  /** Sent as X-Theodolite-Project; an API key names its project, so only a browser session needs it. */
  project?: string;
}

/** Settings Grafana encrypts and only its server reads: the proxy route adds the key as a bearer token. */
export interface TheodoliteSecureJsonData {
  apiKey?: string;
}

/** One row of any analytics route: flat, `time` in epoch milliseconds where rows have a time. */
export type ApiRow = Record<string, string | number | boolean | null>;

/** The body of every error answer of the API. */
export interface ApiError {
  error?: { code?: string | number; message?: string; status?: number };
}
