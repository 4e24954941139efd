// The time range of the sessions and users pages, in the URL like the trace list's: `range`
// (a relative one, e.g. 7d) or `from`/`to` (ISO-8601; wins). No range: all time.
import { EMPTY_FILTERS, filtersFromSearch, filtersToApiParams, filtersToSearch, RANGES } from "../traces/filters";

export interface TimeRange {
  range: string | null;
  from: string | null;
  to: string | null;
}

export { RANGES };

export function rangeFromSearch(search: URLSearchParams | string): TimeRange {
  const { range, from, to } = filtersFromSearch(search);
  return { range, from, to };
}

/** The range's own URL keys (canonical order), e.g. "range=7d"; "" for all time. */
export function rangeToSearch(range: TimeRange): string {
  return filtersToSearch({ ...EMPTY_FILTERS, ...range }).toString();
}

/** `from`/`to` for the API, a relative range resolved against `now` (ms). */
export function rangeToApi(range: TimeRange, now: number): URLSearchParams {
  return filtersToApiParams({ ...EMPTY_FILTERS, ...range }, now);
}

/** A page's URL keys: the range first, then the project when the user has several. */
export function rangeSearchParams(range: TimeRange, projectQuery: string): URLSearchParams {
  const params = new URLSearchParams(rangeToSearch(range));
  const project = new URLSearchParams(projectQuery).get("project");
  if (project !== null) params.set("project", project);
  return params;
}

/** A page's path with its query string (`rangeSearchParams`). */
export function withRange(path: string, range: TimeRange, projectQuery: string): string {
  const query = rangeSearchParams(range, projectQuery).toString();
  return query ? `${path}?${query}` : path;
}

/** The trace list filtered by a user or a session (in a range), as the list writes its URL. */
export function tracesPath(range: TimeRange, filter: { user?: string; session?: string }, projectQuery: string): string {
  const params = filtersToSearch({ ...EMPTY_FILTERS, ...range, user: filter.user ?? null, session: filter.session ?? null });
  const project = new URLSearchParams(projectQuery).get("project");
  if (project !== null) params.set("project", project);
  return `/traces?${params}`;
}
