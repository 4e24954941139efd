// /traces/{id}: PROVISIONAL. Shows the trace's JSON (GET /api/v1/traces/{id}) as a collapsible
// tree, gated by size; the real trace page (span tree, timeline, chat view) replaces it.
import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { ApiError, apiRequest } from "../api/client";
import type { TraceDetail } from "../api/types";
import { useAuth } from "../auth/auth";
import { useProjectInUrl, useProjectQuery } from "../auth/projectInUrl";
import { JsonTree } from "../components/JsonTree";
import { EmptyState, ErrorBanner, Spinner } from "../components/states";
import { formatCost, formatLatency, formatTimestamp, formatTokens } from "../format";

/** Above this many characters of JSON the tree is not rendered (Langfuse gates at 2 M too). */
export const MAX_RENDERED_JSON_CHARS = 2_000_000;

export function TraceDetailPage() {
  const { traceId = "" } = useParams();
  const { project } = useAuth();
  const navigate = useNavigate();
  useProjectInUrl();
  const projectQuery = useProjectQuery();
  const query = useQuery({
    queryKey: ["trace", project, traceId],
    queryFn: ({ signal }) => apiRequest<TraceDetail>(`/api/v1/traces/${encodeURIComponent(traceId)}`, { signal }),
    enabled: project !== null,
  });
  const json = useMemo(() => (query.data ? JSON.stringify(query.data, null, 2) : ""), [query.data]);
  const downloadUrl = useMemo(
    () => (json.length > MAX_RENDERED_JSON_CHARS ? URL.createObjectURL(new Blob([json], { type: "application/json" })) : null),
    [json],
  );
  useEffect(() => () => void (downloadUrl && URL.revokeObjectURL(downloadUrl)), [downloadUrl]);

  // Escape (or u) goes back to the list the user came from.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName)) return;
      if (event.key === "Escape" || event.key === "u") {
        if (window.history.state?.idx > 0) navigate(-1);
        else navigate(`/traces${projectQuery}`);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [navigate, projectQuery]);

  const trace = query.data;
  return (
    <main className="page trace-page">
      <div className="page-header">
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
          <code className="muted">{traceId}</code>
        </div>
      </div>
      <p className="banner banner-info">
        Provisional view: the trace's raw JSON. The trace page with its span tree and timeline replaces it.
      </p>
      {query.isPending ? <Spinner label="Loading the trace…" /> : null}
      {query.isError ? (
        query.error instanceof ApiError && query.error.status === 404 ? (
          <EmptyState title="No such trace">
            <p>This project has no trace {traceId}.</p>
          </EmptyState>
        ) : (
          <ErrorBanner message={`Could not load the trace: ${query.error.message}`} onRetry={() => void query.refetch()} />
        )
      ) : null}
      {trace ? (
        <>
          <dl className="facts">
            <dt>Time</dt>
            <dd>{formatTimestamp(trace.timestamp)}</dd>
            <dt>Latency</dt>
            <dd>{formatLatency(trace.latency_s)}</dd>
            <dt>Tokens</dt>
            <dd>{formatTokens(trace.total_tokens)}</dd>
            <dt>Cost</dt>
            <dd title={formatCost(trace).title}>{formatCost(trace).text}</dd>
            <dt>User</dt>
            <dd>
              {trace.user_id ? <Link to={`/users/${encodeURIComponent(trace.user_id)}${projectQuery}`}>{trace.user_id}</Link> : "—"}
            </dd>
            <dt>Session</dt>
            <dd>
              {trace.session_id ? (
                <Link to={`/sessions/${encodeURIComponent(trace.session_id)}${projectQuery}`} data-testid="trace-session-link">
                  {trace.session_id}
                </Link>
              ) : (
                "—"
              )}
            </dd>
            <dt>Observations</dt>
            <dd>{trace.observation_count}</dd>
          </dl>
          {downloadUrl ? (
            <div className="banner banner-warning" role="alert">
              This trace is {(json.length / 1_000_000).toFixed(1)} M characters of JSON, too large to show here.{" "}
              <a href={downloadUrl} download={`trace-${traceId}.json`}>
                Download it
              </a>
              .
            </div>
          ) : (
            <JsonTree value={trace} />
          )}
        </>
      ) : null}
    </main>
  );
}
