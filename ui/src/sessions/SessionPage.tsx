// /sessions/{id}: a session as a conversation, one turn per trace in time order: what the user
// said and what the assistant answered (extracted by the server from the trace's input and
// output), with each turn's latency, tokens and cost and a link to its trace. Turns come 50 at a
// time from GET /api/v1/sessions/{id} as the reader scrolls, and only the turns in view are in the
// DOM (TanStack Virtual, measured heights), so a session of hundreds of turns stays fast.
import { useInfiniteQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef } from "react";
import { Link, useParams } from "react-router";
import { ApiError, apiRequest } from "../api/client";
import { useAuth } from "../auth/auth";
import { useProjectInUrl, useProjectQuery } from "../auth/projectInUrl";
import { JsonTree } from "../components/JsonTree";
import { EmptyState, ErrorBanner, ScrollFoot, Spinner } from "../components/states";
import { formatAge, formatCost, formatLatency, formatTimestamp, formatTokens } from "../format";
import { tracesPath } from "./range";
import { wordsView } from "./turnView";
import type { SessionDetail, Turn, TurnWords } from "./types";

export const TURNS_PER_PAGE = 50;
const ESTIMATED_TURN_PX = 260;
const PREFETCH_TURNS = 10;

function sessionPath(sessionId: string): string {
  return `/api/v1/sessions/${encodeURIComponent(sessionId)}`;
}

export function SessionPage() {
  const { sessionId = "" } = useParams();
  const { project } = useAuth();
  useProjectInUrl();
  const projectQuery = useProjectQuery();
  const query = useInfiniteQuery({
    queryKey: ["session", project, sessionId],
    queryFn: ({ pageParam, signal }) => {
      const params = new URLSearchParams({ limit: String(TURNS_PER_PAGE) });
      if (pageParam) params.set("cursor", pageParam);
      return apiRequest<SessionDetail>(`${sessionPath(sessionId)}?${params}`, { signal });
    },
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    enabled: project !== null,
  });
  const turns = useMemo(() => query.data?.pages.flatMap((page) => page.turns) ?? [], [query.data]);
  const summary = query.data?.pages[0]?.summary ?? null;

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: turns.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ESTIMATED_TURN_PX,
    overscan: 4,
    getItemKey: (index) => turns[index]?.trace_id ?? index,
  });
  const items = virtualizer.getVirtualItems();
  const lastVisible = items.length > 0 ? items[items.length - 1]!.index : -1;
  const { hasNextPage, isFetchingNextPage, fetchNextPage, isError } = query;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && !isError && lastVisible >= turns.length - PREFETCH_TURNS) {
      void fetchNextPage();
    }
  }, [lastVisible, turns.length, hasNextPage, isFetchingNextPage, isError, fetchNextPage]);

  const tracesOfSession = tracesPath({ range: null, from: null, to: null }, { session: sessionId }, projectQuery);
  const notFound = query.isError && query.error instanceof ApiError && query.error.status === 404;
  return (
    <main className="page session-page">
      <div className="page-header">
        <div>
          <Link to={`/sessions${projectQuery}`}>← Sessions</Link>
          <h1 data-testid="session-title">Session {sessionId}</h1>
        </div>
        <div className="page-actions">
          <Link className="button" to={tracesOfSession}>
            Its traces in the list
          </Link>
        </div>
      </div>
      {summary ? (
        <dl className="facts facts-row" data-testid="session-summary">
          <div>
            <dt>Turns</dt>
            <dd data-testid="session-turn-count">{summary.trace_count.toLocaleString("en-US")}</dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd title={formatAge(summary.first_seen)}>{formatTimestamp(summary.first_seen)}</dd>
          </div>
          <div>
            <dt>Last activity</dt>
            <dd title={formatAge(summary.last_seen)}>{formatTimestamp(summary.last_seen)}</dd>
          </div>
          <div>
            <dt>Tokens</dt>
            <dd title={`${summary.input_tokens} in / ${summary.output_tokens} out`}>{formatTokens(summary.total_tokens)}</dd>
          </div>
          <div>
            <dt>Cost</dt>
            <dd title={formatCost(summary).title} data-testid="session-cost">
              {formatCost(summary).text}
            </dd>
          </div>
          <div>
            <dt>Errors</dt>
            <dd className={summary.error_count > 0 ? "error-text" : ""}>{summary.error_count}</dd>
          </div>
          <div>
            <dt>{summary.user_ids.length === 1 ? "User" : "Users"}</dt>
            <dd>
              {summary.user_ids.length === 0
                ? "—"
                : summary.user_ids.map((user, index) => (
                    <span key={user}>
                      {index > 0 ? ", " : null}
                      <Link to={`/users/${encodeURIComponent(user)}${projectQuery}`}>{user}</Link>
                    </span>
                  ))}
            </dd>
          </div>
        </dl>
      ) : null}
      {query.isPending && project !== null ? <Spinner label="Loading the session…" /> : null}
      {notFound ? (
        <EmptyState title="No such session">
          <p>This project has no trace in session {sessionId}.</p>
        </EmptyState>
      ) : query.isError && turns.length === 0 ? (
        <ErrorBanner message={`Could not load the session: ${query.error.message}`} onRetry={() => void query.refetch()} />
      ) : null}
      <div className="thread" ref={scrollRef} data-testid="thread" aria-label="Conversation" role="feed" aria-busy={query.isFetching}>
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {items.map((item) => (
            <div
              key={item.key}
              ref={virtualizer.measureElement}
              data-index={item.index}
              className="thread-item"
              style={{ transform: `translateY(${item.start}px)` }}
            >
              <TurnView turn={turns[item.index]!} number={item.index + 1} projectQuery={projectQuery} />
            </div>
          ))}
        </div>
        <ScrollFoot
          query={query}
          count={turns.length}
          singular="turn"
          plural="turns"
          end=", end of the session"
          className="thread-foot"
          testId="thread-status"
          textClassName="muted"
        />
      </div>
    </main>
  );
}

function TurnView({ turn, number, projectQuery }: { turn: Turn; number: number; projectQuery: string }) {
  const cost = formatCost(turn);
  const tracePath = `/traces/${encodeURIComponent(turn.trace_id)}${projectQuery}`;
  return (
    <article className="turn" data-testid="turn" data-trace-id={turn.trace_id} aria-posinset={number}>
      <header className="turn-head">
        <span className="turn-number">#{number}</span>
        <span title={formatAge(turn.timestamp)}>{formatTimestamp(turn.timestamp)}</span>
        <span className="strong">{turn.name ?? <span className="muted">(unnamed)</span>}</span>
        <span className="turn-metrics">
          <span title="latency">{formatLatency(turn.latency_s)}</span>
          <span title={`${turn.input_tokens} in / ${turn.output_tokens} out`}>{formatTokens(turn.total_tokens)} tokens</span>
          <span className={`cost-${cost.kind}`} title={cost.title}>
            {cost.text}
          </span>
          {turn.error_count > 0 ? <span className="level level-error">ERROR</span> : null}
          <Link to={tracePath} data-testid="turn-trace-link">
            Open trace →
          </Link>
        </span>
      </header>
      <Bubble role="user" words={turn.input} tracePath={tracePath} />
      <Bubble role="assistant" words={turn.output} tracePath={tracePath} />
    </article>
  );
}

function Bubble({ role, words, tracePath }: { role: "user" | "assistant"; words: TurnWords; tracePath: string }) {
  const view = wordsView(words, role === "user" ? "input" : "output");
  return (
    <section className={`bubble bubble-${role}`} data-testid={`turn-${role}`}>
      <div className="bubble-role">
        {role === "user" ? "User" : "Assistant"}
        {view.kind !== "none" && view.fromGeneration ? (
          <span className="muted">
            {" "}
            · from the {role === "user" ? "first generation's input" : "last generation's output"}
          </span>
        ) : null}
      </div>
      {view.kind === "text" ? <div className="bubble-text">{view.text}</div> : null}
      {view.kind === "json" ? <JsonTree value={view.value} /> : null}
      {view.kind === "none" ? <div className="muted">{view.note}</div> : null}
      {view.kind !== "none" && view.truncated ? (
        <div className="bubble-more">
          Shortened here: <Link to={tracePath}>the trace</Link> has all of it.
        </div>
      ) : null}
    </section>
  );
}
