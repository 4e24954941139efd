// /traces/{id}: the trace page. The observation tree beside its timeline (one row each, driven by
// ONE virtualiser so that only the rows in view are in the DOM, however big the trace), and the
// selected observation's details. The tree comes from the skeleton (GET .../skeleton: no inputs
// or outputs); an observation's input and output are read when it is selected.
// URL: ?observation=<id> selects (a shared link or a reload shows the same node), ?q=<text>
// filters the tree to the observations that contain the text and their ancestors.
import { useQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { ApiError, apiRequest } from "../api/client";
import { useAuth } from "../auth/auth";
import { useProjectInUrl, useProjectQuery } from "../auth/projectInUrl";
import { EmptyState, ErrorBanner, Spinner } from "../components/states";
import { AddToDataset } from "../datasets/AddToDataset";
import { formatCost, formatLatency, formatTimestamp, formatTokens } from "../format";
import { formatMs } from "./format";
import { ObservationPanel } from "./ObservationPanel";
import { SpanRow } from "./SpanRow";
import { allParents, buildTree, hasChildren, indexById, isAncestor, revealed, visibleRows, withAncestors } from "./tree";
import { usePageKeys } from "../components/usePageKeys";
import type { TraceSearchResult, TraceSkeleton } from "./types";
import "./trace.css";

export const ROW_HEIGHT_PX = 28;
const EMPTY: ReadonlySet<number> = new Set();

/** One view per trace: another trace (a link, back/forward) starts with its own tree state. */
export function TracePage() {
  const { traceId = "" } = useParams();
  return <TraceView key={traceId} traceId={traceId} />;
}

function TraceView({ traceId }: { traceId: string }) {
  const { project } = useAuth();
  const navigate = useNavigate();
  const [searchParams, setSearchParams] = useSearchParams();
  useProjectInUrl();
  const projectQuery = useProjectQuery();
  const selectedId = searchParams.get("observation");
  const searchText = searchParams.get("q") ?? "";

  const skeletonQuery = useQuery({
    queryKey: ["trace-skeleton", project, traceId],
    queryFn: ({ signal }) =>
      apiRequest<TraceSkeleton>(`/api/v1/traces/${encodeURIComponent(traceId)}/skeleton`, { signal }),
    enabled: project !== null,
  });
  const skeleton = skeletonQuery.data;
  const columns = skeleton?.observations;
  const tree = useMemo(() => (columns ? buildTree(columns) : null), [columns]);
  const ids = useMemo(() => (columns ? indexById(columns.id) : new Map<string, number>()), [columns]);

  const searchQuery = useQuery({
    queryKey: ["trace-search", project, traceId, searchText],
    queryFn: ({ signal }) =>
      apiRequest<TraceSearchResult>(
        `/api/v1/traces/${encodeURIComponent(traceId)}/search?q=${encodeURIComponent(searchText)}`,
        { signal },
      ),
    enabled: project !== null && searchText !== "",
  });
  const only = useMemo(() => {
    if (!tree || searchText === "" || !searchQuery.data) return null;
    const matches = searchQuery.data.ids.map((id) => ids.get(id)).filter((i): i is number => i !== undefined);
    return withAncestors(tree, matches);
  }, [tree, ids, searchText, searchQuery.data]);
  const matchCount = searchQuery.data?.ids.length ?? 0;
  const matchSet = useMemo(() => new Set(searchQuery.data?.ids ?? []), [searchQuery.data]);

  const [collapsed, setCollapsed] = useState<ReadonlySet<number>>(EMPTY);
  const selected = selectedId !== null ? (ids.get(selectedId) ?? null) : null;
  // A deep-linked or searched-for observation inside a collapsed node: open its ancestors.
  const shownCollapsed = useMemo(
    () => (tree && selected !== null ? revealed(tree, collapsed, selected) : collapsed),
    [tree, collapsed, selected],
  );
  const rows = useMemo(() => (tree ? visibleRows(tree, shownCollapsed, only) : []), [tree, shownCollapsed, only]);
  const rowOf = useMemo(() => {
    const map = new Int32Array(tree?.size ?? 0).fill(-1);
    rows.forEach((node, row) => {
      map[node] = row;
    });
    return map;
  }, [rows, tree]);
  // The panel shows the selected observation, else the first row (the root) without touching the URL.
  const shownNode = selected ?? (rows.length > 0 ? rows[0]! : null);

  const requested = useRef<number | null>(null);
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT_PX,
    overscan: 12,
  });

  const select = useCallback(
    (node: number | null, replace = true) => {
      requested.current = node;
      const next = new URLSearchParams(searchParams);
      if (node === null || !columns) next.delete("observation");
      else next.set("observation", columns.id[node]!);
      setSearchParams(next, { replace });
    },
    [columns, searchParams, setSearchParams],
  );

  // Keep the selected row in view (a deep link, j/k past the edge, a search that filters).
  const scrolledFor = useRef<string | null>(null);
  useEffect(() => {
    if (selected === null || rowOf.length === 0) return;
    const row = rowOf[selected]!;
    if (row < 0) return;
    const key = `${selected}|${rows.length}`;
    if (scrolledFor.current === key) return;
    scrolledFor.current = key;
    virtualizer.scrollToIndex(row, { align: "auto" });
  }, [selected, rowOf, rows.length, virtualizer]);

  const toggle = useCallback(
    (node: number, open?: boolean) => {
      const next = new Set(shownCollapsed);
      const isOpen = !next.has(node);
      if ((open ?? !isOpen) === isOpen) return;
      if (isOpen) next.add(node);
      else next.delete(node);
      setCollapsed(next);
      // Closing an ancestor of the selection selects it: the selection must stay visible (else
      // the ancestor would be reopened to show it).
      if (isOpen && tree && selected !== null && isAncestor(tree, node, selected)) select(node);
    },
    [shownCollapsed, tree, selected, select],
  );

  const goBack = () => {
    if (window.history.state?.idx > 0) navigate(-1);
    else navigate(`/traces${projectQuery}`);
  };

  // Where j/k move from: the shown node, or the last one selected if the URL has not caught up yet
  // (keys pressed faster than React renders; react-router may render the steps in between).
  useEffect(() => {
    if (requested.current === shownNode) requested.current = null;
  }, [shownNode]);

  usePageKeys((event) => {
    if (event.key === "Escape" || event.key === "u") {
      goBack();
      return;
    }
    if (!tree || rows.length === 0) return;
    const here = requested.current ?? shownNode;
    const current = here !== null ? rowOf[here]! : -1;
    const move = (row: number) => {
      event.preventDefault();
      const node = rows[Math.max(0, Math.min(rows.length - 1, row))]!;
      select(node);
    };
    switch (event.key) {
      case "j":
      case "ArrowDown":
        move(current + 1);
        break;
      case "k":
      case "ArrowUp":
        move(current - 1);
        break;
      case "Enter":
        if (shownNode !== null && hasChildren(tree, shownNode)) {
          event.preventDefault();
          toggle(shownNode);
        }
        break;
      case "ArrowRight":
        if (shownNode !== null && hasChildren(tree, shownNode)) {
          event.preventDefault();
          if (shownCollapsed.has(shownNode)) toggle(shownNode, true);
          else move(current + 1);
        }
        break;
      case "ArrowLeft":
        if (shownNode === null) break;
        event.preventDefault();
        if (hasChildren(tree, shownNode) && !shownCollapsed.has(shownNode) && !only) toggle(shownNode, false);
        else if (tree.parent[shownNode] !== -1) select(tree.parent[shownNode]!);
        break;
      case "/":
        event.preventDefault();
        document.getElementById("trace-search")?.focus();
        break;
    }
  });

  const [draft, setDraft] = useState(searchText);
  useEffect(() => setDraft(searchText), [searchText]);
  const applySearch = (text: string) => {
    const next = new URLSearchParams(searchParams);
    if (text.trim() === "") next.delete("q");
    else next.set("q", text.trim());
    setSearchParams(next);
  };

  const trace = skeleton?.trace;
  const notFound = skeletonQuery.error instanceof ApiError && skeletonQuery.error.status === 404;
  const cost = trace ? formatCost(trace) : null;
  return (
    <main className="page trace-view">
      <div className="page-header trace-header">
        <div>
          <Link
            to={`/traces${projectQuery}`}
            onClick={(event) => {
              if (window.history.state?.idx > 0) {
                event.preventDefault();
                navigate(-1);
              }
            }}
          >
            ← Traces
          </Link>
          <h1 data-testid="trace-title">{trace ? (trace.name ?? "(unnamed trace)") : "Trace"}</h1>
          <code className="muted" data-testid="trace-id">
            {traceId}
          </code>
          {trace ? (
            <div className="trace-actions">
              <AddToDataset traceIds={[traceId]} label="Add to dataset" />
            </div>
          ) : null}
        </div>
        {trace && cost ? (
          <dl className="facts trace-facts">
            <dt>Time</dt>
            <dd>{formatTimestamp(trace.timestamp)}</dd>
            <dt>Latency</dt>
            <dd>{formatLatency(trace.latency_s)}</dd>
            <dt>Tokens</dt>
            <dd title={`${trace.input_tokens} in, ${trace.output_tokens} out`}>{formatTokens(trace.total_tokens)}</dd>
            <dt>Cost</dt>
            <dd title={cost.title}>{cost.text}</dd>
            <dt>Observations</dt>
            <dd>{trace.observation_count.toLocaleString("en-US")}</dd>
            {trace.error_count > 0 ? (
              <>
                <dt>Errors</dt>
                <dd className="error-text">{trace.error_count}</dd>
              </>
            ) : null}
            {trace.user_id ? (
              <>
                <dt>User</dt>
                <dd>
                  <Link to={`/users/${encodeURIComponent(trace.user_id)}${projectQuery}`} data-testid="trace-user">
                    {trace.user_id}
                  </Link>
                </dd>
              </>
            ) : null}
            {trace.session_id ? (
              <>
                <dt>Session</dt>
                <dd>
                  <Link
                    to={`/sessions/${encodeURIComponent(trace.session_id)}${projectQuery}`}
                    data-testid="trace-session"
                  >
                    {trace.session_id}
                  </Link>
                </dd>
              </>
            ) : null}
            {trace.tags.length > 0 ? (
              <>
                <dt>Tags</dt>
                <dd>{trace.tags.join(", ")}</dd>
              </>
            ) : null}
            {trace.environment || trace.release ? (
              <>
                <dt>Release</dt>
                <dd>{[trace.environment, trace.release].filter(Boolean).join(" · ")}</dd>
              </>
            ) : null}
          </dl>
        ) : null}
      </div>
      {skeletonQuery.isPending ? <Spinner label="Loading the trace…" /> : null}
      {skeletonQuery.isError ? (
        notFound ? (
          <EmptyState title="No such trace">
            <p>This project has no trace {traceId}.</p>
          </EmptyState>
        ) : (
          <ErrorBanner
            message={`Could not load the trace: ${skeletonQuery.error.message}`}
            onRetry={() => void skeletonQuery.refetch()}
          />
        )
      ) : null}
      {skeleton?.truncated ? (
        <div className="banner banner-warning" role="alert" data-testid="truncated-banner">
          This trace has {skeleton.total.toLocaleString("en-US")} observations: the first{" "}
          {skeleton.max_observations.toLocaleString("en-US")} (by start time) are shown. The totals above count them all.
        </div>
      ) : null}
      {skeleton && tree ? (
        <div className="trace-body">
          <section className="trace-tree-pane" aria-label="Observations">
            <div className="trace-toolbar">
              <form
                onSubmit={(event) => {
                  event.preventDefault();
                  applySearch(draft);
                }}
              >
                <input
                  id="trace-search"
                  type="search"
                  placeholder="Search names, inputs, outputs…"
                  aria-label="Search in this trace"
                  value={draft}
                  onChange={(event) => setDraft(event.target.value)}
                />
              </form>
              {searchText !== "" ? (
                <span className="muted" data-testid="search-status">
                  {searchQuery.isPending
                    ? "Searching…"
                    : searchQuery.isError
                      ? `Search failed: ${searchQuery.error.message}`
                      : `${matchCount} ${matchCount === 1 ? "match" : "matches"}`}
                  <button type="button" className="button button-quiet" onClick={() => applySearch("")}>
                    Clear
                  </button>
                </span>
              ) : null}
              <span className="trace-toolbar-right">
                <button type="button" className="button" onClick={() => setCollapsed(EMPTY)} disabled={only !== null}>
                  Expand all
                </button>
                <button
                  type="button"
                  className="button"
                  onClick={() => {
                    if (selectedId !== null) select(null);
                    setCollapsed(allParents(tree));
                  }}
                  disabled={only !== null}
                >
                  Collapse all
                </button>
              </span>
            </div>
            <div className="span-header">
              <span>
                Observation <span className="muted">({rows.length.toLocaleString("en-US")} rows)</span>
              </span>
              <span className="span-axis">
                {[0, 0.25, 0.5, 0.75, 1].map((fraction) => (
                  <span key={fraction} style={{ left: `${fraction * 100}%` }}>
                    {formatMs(tree.spanMs * fraction)}
                  </span>
                ))}
              </span>
            </div>
            <div
              className="span-scroll"
              ref={scrollRef}
              role="tree"
              aria-label="Observation tree"
              data-testid="span-tree"
              data-rows={rows.length}
            >
              {only !== null && rows.length === 0 ? (
                <p className="muted span-empty">No observation of this trace contains “{searchText}”.</p>
              ) : null}
              <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
                {virtualizer.getVirtualItems().map((item) => {
                  const node = rows[item.index]!;
                  return (
                    <SpanRow
                      key={node}
                      node={node}
                      row={item.index}
                      top={item.start}
                      columns={skeleton.observations}
                      tree={tree}
                      expanded={!shownCollapsed.has(node) || only !== null}
                      selected={node === shownNode}
                      match={only !== null && matchSet.has(skeleton.observations.id[node]!)}
                      onSelect={() => select(node)}
                      onToggle={() => toggle(node)}
                    />
                  );
                })}
              </div>
            </div>
          </section>
          <aside className="trace-detail-pane" aria-label="Selected observation">
            {shownNode !== null ? (
              <ObservationPanel
                key={skeleton.observations.id[shownNode]!}
                traceId={traceId}
                observationId={skeleton.observations.id[shownNode]!}
                startOffsetMs={skeleton.observations.start_ms[shownNode]!}
              />
            ) : (
              <EmptyState title="No observations">
                <p>This trace has no observation yet.</p>
              </EmptyState>
            )}
          </aside>
        </div>
      ) : null}
      {selectedId !== null && skeleton && selected === null ? (
        <div className="banner banner-warning" role="alert">
          Observation {selectedId} is not among this trace's observations{skeleton.truncated ? " shown" : ""}.
        </div>
      ) : null}
    </main>
  );
}
