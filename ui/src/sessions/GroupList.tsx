// The sessions list and the users list: groups of traces by latest activity, from the cursor API
// (GET /api/v1/sessions or /users), loaded page by page as the user scrolls, only the rows in view
// in the DOM. The time range is in the URL; a row opens the session or the user.
import { useInfiniteQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef } from "react";
import { useNavigate } from "react-router";
import { apiRequest } from "../api/client";
import type { Page } from "../api/types";
import { useAuth } from "../auth/auth";
import { useProjectInUrl, useProjectQuery } from "../auth/projectInUrl";
import { EmptyState, ErrorBanner, ScrollFoot, Spinner } from "../components/states";
import { formatAge, formatCost, formatTimestamp, formatTokens } from "../format";
import { RangeSelect } from "./RangeSelect";
import type { TimeRange } from "./range";
import { useUrlRange } from "./useUrlRange";
import type { GroupSummary } from "./types";

const PAGE_SIZE = 50;
const ROW_HEIGHT_PX = 36;
const PREFETCH_ROWS = 15;
const GRID = "minmax(12rem, 2fr) 11rem 11rem 6rem 7rem 8rem 5rem";

export interface GroupListProps {
  kind: "sessions" | "users";
  title: string;
  /** The field naming a group: session_id or user_id. */
  idField: "session_id" | "user_id";
  idLabel: string;
  /** The detail page of a group, keeping the range when it has one. */
  detailPath: (id: string, range: TimeRange, projectQuery: string) => string;
}

export function GroupList({ kind, title, idField, idLabel, detailPath }: GroupListProps) {
  const { project } = useAuth();
  useProjectInUrl();
  const projectQuery = useProjectQuery();
  const navigate = useNavigate();
  const { range, rangeKey, setRange, refresh, ...resolved } = useUrlRange(projectQuery);
  const apiParams = resolved.apiParams.toString();

  const query = useInfiniteQuery({
    queryKey: [kind, project, apiParams],
    queryFn: ({ pageParam, signal }) => {
      const params = new URLSearchParams(apiParams);
      params.set("limit", String(PAGE_SIZE));
      if (pageParam) params.set("cursor", pageParam);
      return apiRequest<Page<GroupSummary & Record<string, unknown>>>(`/api/v1/${kind}?${params}`, { signal });
    },
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    enabled: project !== null,
  });
  const rows = useMemo(() => query.data?.pages.flatMap((page) => page.data) ?? [], [query.data]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT_PX,
    overscan: 8,
  });
  const virtualRows = virtualizer.getVirtualItems();
  const lastVisible = virtualRows.length > 0 ? virtualRows[virtualRows.length - 1]!.index : -1;
  const { hasNextPage, isFetchingNextPage, fetchNextPage, isError } = query;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && !isError && lastVisible >= rows.length - PREFETCH_ROWS) {
      void fetchNextPage();
    }
  }, [lastVisible, rows.length, hasNextPage, isFetchingNextPage, isError, fetchNextPage]);

  const open = (id: string) => navigate(detailPath(id, range, projectQuery));
  const firstLoad = query.isPending && project !== null;
  const noun = kind === "sessions" ? "session" : "user";

  return (
    <main className={`page group-list-page ${kind}-page`}>
      <div className="page-header">
        <h1>{title}</h1>
        <div className="page-actions">
          <RangeSelect value={range} onChange={setRange} />
          <button
            type="button"
            className="button"
            onClick={refresh}
            disabled={query.isFetching && !query.isError}
          >
            Refresh
          </button>
        </div>
      </div>
      <div className={`progress ${query.isFetching ? "progress-active" : ""}`} aria-hidden="true" />
      {query.isError && rows.length === 0 ? (
        <ErrorBanner message={`Could not load the ${kind}: ${query.error.message}`} onRetry={() => void query.refetch()} />
      ) : null}
      <div className="table" role="table" aria-label={title} aria-rowcount={rows.length}>
        <div className="table-head" role="row" style={{ gridTemplateColumns: GRID }}>
          <div role="columnheader">{idLabel}</div>
          <div role="columnheader">Last activity</div>
          <div role="columnheader">First seen</div>
          <div role="columnheader" className="numeric">
            Traces
          </div>
          <div role="columnheader" className="numeric">
            Tokens
          </div>
          <div role="columnheader" className="numeric">
            Cost
          </div>
          <div role="columnheader" className="numeric">
            Errors
          </div>
        </div>
        <div className="table-body" ref={scrollRef} data-testid={`${noun}-scroll`}>
          {firstLoad ? (
            <div className="table-placeholder">
              <Spinner label={`Loading ${kind}…`} />
            </div>
          ) : null}
          {!firstLoad && !query.isError && rows.length === 0 ? (
            <EmptyState title={`No ${kind} ${rangeKey ? "in this time range" : "yet"}`}>
              <p>
                {kind === "sessions"
                  ? "Traces sent with a session id (session.id, or session_id in the SDK) are grouped here."
                  : "Traces sent with a user id (user.id, or user_id in the SDK) are grouped here."}
              </p>
            </EmptyState>
          ) : null}
          <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
            {virtualRows.map((virtualRow) => {
              const row = rows[virtualRow.index]!;
              const id = String(row[idField]);
              const cost = formatCost(row);
              return (
                <a
                  key={id}
                  role="row"
                  href={detailPath(id, range, projectQuery)}
                  data-testid={`${noun}-row`}
                  data-id={id}
                  className="table-row"
                  style={{ gridTemplateColumns: GRID, height: ROW_HEIGHT_PX, transform: `translateY(${virtualRow.start}px)` }}
                  onClick={(event) => {
                    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
                    event.preventDefault();
                    open(id);
                  }}
                >
                  <div role="cell" className="strong" title={id}>
                    {id}
                  </div>
                  <div role="cell" title={formatAge(row.last_seen)}>
                    {formatTimestamp(row.last_seen)}
                  </div>
                  <div role="cell" className="muted">
                    {formatTimestamp(row.first_seen)}
                  </div>
                  <div role="cell" className="numeric">
                    {row.trace_count.toLocaleString("en-US")}
                  </div>
                  <div role="cell" className="numeric" title={`${row.input_tokens} in / ${row.output_tokens} out`}>
                    {formatTokens(row.total_tokens)}
                  </div>
                  <div role="cell" className={`numeric cost-${cost.kind}`} title={cost.title}>
                    {cost.text}
                  </div>
                  <div role="cell" className={`numeric ${row.error_count > 0 ? "error-text" : "muted"}`}>
                    {row.error_count}
                  </div>
                </a>
              );
            })}
          </div>
        </div>
        <ScrollFoot
          query={query}
          count={rows.length}
          singular={noun}
          plural={kind}
          end=", end of the list"
          className="table-foot"
          testId="list-status"
        />
      </div>
    </main>
  );
}
