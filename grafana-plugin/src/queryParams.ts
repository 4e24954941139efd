// Turns a query into the analytics API's path and query string. Pure: template variables are
// expanded by the `expand` function the DataSource passes in (Grafana's template service).
import { DEFAULT_LIMIT, LIST_QUERY_TYPES, MAX_GROUP_BY, MAX_LIMIT, QueryFilter, TheodoliteQuery } from './types';

/** Expands one text into its values: a multi-value variable gives several, an empty text none. */
export type Expand = (text: string) => string[];

export interface TimeRangeMs {
  from: number;
  to: number;
}

/** The path under /api/v1/analytics/ and the parameters of one query. */
export function buildRequest(
  query: TheodoliteQuery,
  range: TimeRangeMs,
  expand: Expand
): { path: string; params: URLSearchParams } {
  const params = new URLSearchParams();
  params.set('from', String(Math.floor(range.from)));
  params.set('to', String(Math.floor(range.to)));

  if (query.queryType === 'metrics') {
    setIfPresent(params, 'measure', query.measure);
    setIfPresent(params, 'aggregation', query.aggregation);
    setIfPresent(params, 'scope', query.scope);
    for (const group of (query.groupBy ?? []).slice(0, MAX_GROUP_BY)) {
      params.append('group_by', group);
    }
    setIfPresent(params, 'interval', expandOne(query.interval, expand));
    setIfPresent(params, 'fill', query.fill);
  } else if (query.queryType === 'costs') {
    // The costs route groups by one dimension (model unless told) and buckets by a day unless told.
    setIfPresent(params, 'group_by', query.groupBy?.[0]);
    setIfPresent(params, 'interval', expandOne(query.interval, expand));
  } else if (LIST_QUERY_TYPES.includes(query.queryType)) {
    params.set('limit', String(clampLimit(query.limit)));
  }

  appendFilters(params, query.filters ?? [], expand);
  return { path: query.queryType, params };
}

/** Every filter value as its own parameter: the API matches any of a repeated parameter's values. */
export function appendFilters(params: URLSearchParams, filters: QueryFilter[], expand: Expand) {
  for (const filter of filters) {
    if (!filter.key) {
      continue;
    }
    for (const text of filter.values ?? []) {
      for (const value of expand(text)) {
        params.append(filter.key, value);
      }
    }
  }
}

export function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit) || limit <= 0) {
    return DEFAULT_LIMIT;
  }
  return Math.min(Math.floor(limit), MAX_LIMIT);
}

function expandOne(text: string | undefined, expand: Expand): string | undefined {
  if (!text) {
    return undefined;
  }
  // An interval is one value; a multi-value variable here is a mistake the API reports.
  return expand(text).join(',') || undefined;
}

function setIfPresent(params: URLSearchParams, name: string, value: string | undefined) {
  if (value !== undefined && value !== '') {
    params.set(name, value);
  }
}
