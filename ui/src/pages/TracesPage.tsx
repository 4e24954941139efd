// /traces: the newest traces first, filtered by the URL, loaded page by page on the cursor API as
// the user scrolls. Only the rows in view are in the DOM (TanStack Virtual), so a long scroll
// stays as fast as the first page.
import { useInfiniteQuery } from "@tanstack/react-query";
import { flexRender, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { apiRequest } from "../api/client";
import type { Page, TraceSummary } from "../api/types";
import { useAuth } from "../auth/auth";
import { useProjectInUrl, useProjectQuery } from "../auth/projectInUrl";
import { EmptyState, ErrorBanner, ScrollFoot, Spinner } from "../components/states";
import { usePageKeys } from "../components/usePageKeys";
import { CompareButton, compareColumn, SELECT_COLUMN_WIDTH, useCompareSelection } from "../compare/selection";
import { AddToDataset } from "../datasets/AddToDataset";
import { AddToQueue } from "../queues/AddToQueue";
import { FilterBar } from "../traces/FilterBar";
import { GRID_TEMPLATE, traceColumns } from "../traces/columns";
import {
  activeFilterCount,
  clearedFilters,
  filtersFromSearch,
  filtersToApiParams,
  filtersToSearch,
  type TraceFilters,
} from "../traces/filters";

export const PAGE_SIZE = 50;
const ROW_HEIGHT_PX = 36;
/** Ask for the next page when the last rendered row is this close to the end of what is loaded. */
const PREFETCH_ROWS = 15;
const SUGGESTIONS_DEFAULT_DAYS = 30;

/**
 * Each list view (project + URL) as the user left it: when its relative range was resolved, the
 * scroll offset and the selected row. Coming back from a trace then shows the same pages (from the
 * cache, same query key) at the same row.
 */
interface ListView {
  loadedAt: number;
  offset: number;
  selected: number;
}
const listViews = new Map<string, ListView>();

function listView(key: string): ListView {
  let view = listViews.get(key);
  if (view === undefined) {
    view = { loadedAt: Date.now(), offset: 0, selected: 0 };
    listViews.set(key, view);
  }
  return view;
}

export function TracesPage() {
  const { me, project } = useAuth();
  const [searchParams, setSearchParams] = useSearchParams();
  useProjectInUrl();
  const projectQuery = useProjectQuery();
  const severalProjects = (me?.projects.length ?? 0) > 1;
  const navigate = useNavigate();
  const filters = useMemo(() => filtersFromSearch(searchParams), [searchParams]);
  const canonical = filtersToSearch(filters).toString();
  const positionKey = `${project}|${canonical}`;
  // A relative range ("last 24 hours") is resolved once per view, so every page of one scroll
  // uses the same bounds; "Refresh" resolves it again and starts a new list (a new query key).
  const [, setRefreshes] = useState(0);
  const view = listView(positionKey);
  const loadedAt = view.loadedAt;
  const apiParams = useMemo(() => filtersToApiParams(filters, loadedAt).toString(), [filters, loadedAt]);

  // Filter suggestions come from the list's own range, else from the last 30 days (a bound on
  // their cost on a large project).
  const optionsRange = useMemo(() => {
    const params = new URLSearchParams(apiParams);
    return {
      from: params.get("from") ?? new Date(loadedAt - SUGGESTIONS_DEFAULT_DAYS * 86_400_000).toISOString(),
      to: params.get("to"),
    };
  }, [apiParams, loadedAt]);

  const query = useInfiniteQuery({
    queryKey: ["traces", project, apiParams, loadedAt],
    queryFn: ({ pageParam, signal }) => {
      const params = new URLSearchParams(apiParams);
      params.set("limit", String(PAGE_SIZE));
      if (pageParam) params.set("cursor", pageParam);
      return apiRequest<Page<TraceSummary>>(`/api/v1/traces?${params}`, { signal });
    },
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    enabled: project !== null,
  });
  const rows = useMemo(() => query.data?.pages.flatMap((page) => page.data) ?? [], [query.data]);

  const setFilters = useCallback(
    (next: TraceFilters) => {
      const params = filtersToSearch(next);
      if (severalProjects && project !== null) params.set("project", project);
      setSearchParams(params);
    },
    [severalProjects, project, setSearchParams],
  );
  const addFilter = useCallback((patch: Partial<TraceFilters>) => setFilters({ ...filters, ...patch }), [filters, setFilters]);

  const comparing = useCompareSelection();
  const columns = useMemo(
    () => [compareColumn(comparing.chosen, comparing.toggle), ...traceColumns(addFilter, filters)],
    [addFilter, filters, comparing.chosen, comparing.toggle],
  );
  const gridTemplate = `${SELECT_COLUMN_WIDTH} ${GRID_TEMPLATE}`;
  const table = useReactTable({ data: rows, columns, getCoreRowModel: getCoreRowModel(), getRowId: (row) => row.id });
  const tableRows = table.getRowModel().rows;

  const scrollRef = useRef<HTMLDivElement>(null);
  const [selected, setSelected] = useState(view.selected);
  const virtualizer = useVirtualizer({
    count: tableRows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT_PX,
    overscan: 8,
    initialOffset: view.offset,
  });
  const virtualRows = virtualizer.getVirtualItems();

  const refresh = () => {
    listViews.set(positionKey, { loadedAt: Date.now(), offset: 0, selected: 0 });
    setSelected(0);
    scrollRef.current?.scrollTo({ top: 0 });
    setRefreshes((n) => n + 1);
  };

  // Another filter is another list: its own row and offset (the top for a new one).
  const previousKey = useRef(positionKey);
  useEffect(() => {
    if (previousKey.current === positionKey) return;
    previousKey.current = positionKey;
    const next = listView(positionKey);
    setSelected(next.selected);
    scrollRef.current?.scrollTo({ top: next.offset });
  }, [positionKey]);

  // Infinite scroll: the next page once the rows in view near the end of those loaded.
  const lastVisible = virtualRows.length > 0 ? virtualRows[virtualRows.length - 1]!.index : -1;
  const { hasNextPage, isFetchingNextPage, fetchNextPage, isError } = query;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && !isError && lastVisible >= rows.length - PREFETCH_ROWS) {
      void fetchNextPage();
    }
  }, [lastVisible, rows.length, hasNextPage, isFetchingNextPage, isError, fetchNextPage]);

  const open = useCallback(
    (index: number) => {
      const row = rows[index];
      if (!row) return;
      listViews.set(positionKey, { loadedAt, offset: virtualizer.scrollOffset ?? 0, selected: index });
      navigate(`/traces/${encodeURIComponent(row.id)}${projectQuery}`);
    },
    [rows, positionKey, loadedAt, virtualizer, navigate, projectQuery],
  );

  // j/k (or the arrows) move, Enter opens; not while typing in a filter.
  usePageKeys((event) => {
    if (rows.length === 0) return;
    const target = event.target as HTMLElement | null;
    let next: number | null = null;
    if (event.key === "j" || event.key === "ArrowDown") next = Math.min(selected + 1, rows.length - 1);
    else if (event.key === "k" || event.key === "ArrowUp") next = Math.max(selected - 1, 0);
    else if (event.key === "Enter" && !(target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement)) {
      event.preventDefault();
      open(selected);
      return;
    }
    if (next === null) return;
    event.preventDefault();
    setSelected(next);
    virtualizer.scrollToIndex(next, { align: "auto" });
  });

  const filterCount = activeFilterCount(filters);
  const firstLoad = query.isPending && project !== null;
  const refreshing = query.isFetching && !query.isFetchingNextPage && !firstLoad;

  return (
    <main className="page traces-page">
      <div className="page-header">
        <h1>Traces</h1>
        <div className="page-actions">
          {refreshing ? <Spinner label="Updating…" /> : null}
          <AddToDataset
            traceIds={comparing.chosen}
            label={`Add ${comparing.chosen.length} to dataset`}
            onAdded={comparing.clear}
          />
          <AddToQueue traceIds={comparing.chosen} onAdded={comparing.clear} />
          <CompareButton chosen={comparing.chosen} projectQuery={projectQuery} onClear={comparing.clear} />
          {filterCount > 0 ? (
            <button type="button" className="button button-quiet" onClick={() => setFilters(clearedFilters(filters))}>
              Clear {filterCount} {filterCount === 1 ? "filter" : "filters"}
            </button>
          ) : null}
          <button
            type="button"
            className="button"
            onClick={refresh}
            disabled={query.isFetching && !query.isError}
            title="Load the newest traces"
          >
            Refresh
          </button>
        </div>
      </div>
      <FilterBar
        filters={filters}
        onChange={setFilters}
        busy={query.isFetching}
        project={project}
        optionsRange={optionsRange}
      />
      <div className={`progress ${query.isFetching ? "progress-active" : ""}`} aria-hidden="true" />
      {query.isError && rows.length === 0 ? (
        <ErrorBanner message={`Could not load the traces: ${query.error.message}`} onRetry={() => void query.refetch()} />
      ) : null}
      <div className="table" role="table" aria-label="Traces" aria-rowcount={rows.length} aria-busy={query.isFetching}>
        <div className="table-head" role="row" style={{ gridTemplateColumns: gridTemplate }}>
          {table.getFlatHeaders().map((header) => (
            <div
              key={header.id}
              role="columnheader"
              className={(header.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric ? "numeric" : ""}
            >
              {flexRender(header.column.columnDef.header, header.getContext())}
            </div>
          ))}
        </div>
        <div className="table-body" ref={scrollRef} data-testid="trace-scroll">
          {firstLoad ? (
            <div className="table-placeholder">
              <Spinner label="Loading traces…" />
            </div>
          ) : null}
          {!firstLoad && !query.isError && rows.length === 0 ? (
            <EmptyState title={filterCount > 0 ? "No traces match these filters" : "No traces yet"}>
              {filterCount > 0 ? (
                <button type="button" className="button" onClick={() => setFilters(clearedFilters(filters))}>
                  Clear the filters
                </button>
              ) : (
                <p>
                  Send spans to <code>/v1/traces</code> (OTLP) or with the Theodolite SDK, or run{" "}
                  <code>theodolite demo</code> to see example traffic.
                </p>
              )}
            </EmptyState>
          ) : null}
          <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
            {virtualRows.map((virtualRow) => {
              const row = tableRows[virtualRow.index]!;
              const isSelected = virtualRow.index === selected;
              return (
                <div
                  key={row.id}
                  role="row"
                  data-testid="trace-row"
                  data-trace-id={row.id}
                  data-index={virtualRow.index}
                  aria-selected={isSelected}
                  className={`table-row ${isSelected ? "selected" : ""}`}
                  style={{
                    gridTemplateColumns: gridTemplate,
                    height: ROW_HEIGHT_PX,
                    transform: `translateY(${virtualRow.start}px)`,
                  }}
                  onClick={() => {
                    setSelected(virtualRow.index);
                    open(virtualRow.index);
                  }}
                >
                  {row.getVisibleCells().map((cell) => (
                    <div
                      key={cell.id}
                      role="cell"
                      data-column={cell.column.id}
                      className={(cell.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric ? "numeric" : ""}
                    >
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </div>
                  ))}
                </div>
              );
            })}
          </div>
        </div>
        <ScrollFoot
          query={query}
          count={rows.length}
          singular="trace"
          plural="traces"
          end=", end of the list"
          className="table-foot"
          testId="list-status"
          hint={
            <span className="muted keys-hint">
              {" "}
              · <kbd>j</kbd>/<kbd>k</kbd> move, <kbd>Enter</kbd> opens
            </span>
          }
        />
      </div>
    </main>
  );
}
