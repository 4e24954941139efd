// The time range of a page that keeps it in the URL (the sessions and users pages), resolved once
// per view: every page of a scroll and every chart of a view then have the same bounds. A new range,
// or Refresh, resolves it again.
import { useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import { rangeFromSearch, rangeSearchParams, rangeToApi, rangeToSearch, type TimeRange } from "./range";

export function useUrlRange(projectQuery: string) {
  const [searchParams, setSearchParams] = useSearchParams();
  const range = useMemo(() => rangeFromSearch(searchParams), [searchParams]);
  const rangeKey = rangeToSearch(range);
  const [refreshes, setRefreshes] = useState(0);
  // rangeKey and refreshes are what make a new resolution: the value itself is Date.now().
  const loadedAt = useMemo(() => Date.now(), [rangeKey, refreshes]);
  const apiParams = useMemo(() => rangeToApi(range, loadedAt), [range, loadedAt]);
  return {
    range,
    rangeKey,
    loadedAt,
    /** `from`/`to` for the API. */
    apiParams,
    setRange: (next: TimeRange) => setSearchParams(rangeSearchParams(next, projectQuery)),
    refresh: () => setRefreshes((n) => n + 1),
  };
}
