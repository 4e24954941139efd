// /users/{id}: one user's cost, tokens and traces in a time range (in the URL), their activity by
// UTC day (uPlot), and their latest traces; from GET /api/v1/users/{id}.
import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useMemo } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { ApiError, apiRequest } from "../api/client";
import { useAuth } from "../auth/auth";
import { useProjectInUrl, useProjectQuery } from "../auth/projectInUrl";
import { EmptyState, ErrorBanner, Spinner } from "../components/states";
import { formatAge, formatCost, formatLatency, formatTimestamp, formatTokens } from "../format";
import { RangeSelect } from "../sessions/RangeSelect";
import { tracesPath, withRange } from "../sessions/range";
import { useUrlRange } from "../sessions/useUrlRange";
import type { UserDetail } from "../sessions/types";
import { dailyColumns } from "./series";

// uPlot (~20 KB gzipped) is loaded with the first user page, not with the trace list.
const ActivityChart = lazy(() => import("./ActivityChart").then((module) => ({ default: module.ActivityChart })));

export function UserPage() {
  const { userId = "" } = useParams();
  const { project } = useAuth();
  useProjectInUrl();
  const projectQuery = useProjectQuery();
  const navigate = useNavigate();
  const { range, loadedAt, apiParams, setRange, refresh } = useUrlRange(projectQuery);
  const query = useQuery({
    queryKey: ["user", project, userId, apiParams.toString()],
    queryFn: ({ signal }) =>
      apiRequest<UserDetail>(`/api/v1/users/${encodeURIComponent(userId)}?${apiParams}`, { signal }),
    enabled: project !== null,
  });
  const user = query.data;
  const chartTo = apiParams.get("to") ?? (apiParams.get("from") ? new Date(loadedAt).toISOString() : null);
  const columns = useMemo(
    () => dailyColumns(user?.daily ?? [], apiParams.get("from"), chartTo),
    [user, apiParams, chartTo],
  );
  const tracesOfUser = tracesPath(range, { user: userId }, projectQuery);
  const notFound = query.isError && query.error instanceof ApiError && query.error.status === 404;
  const cost = user ? formatCost(user) : null;

  return (
    <main className="page user-page">
      <div className="page-header">
        <div>
          <Link to={withRange("/users", range, projectQuery)}>← Users</Link>
          <h1 data-testid="user-title">User {userId}</h1>
        </div>
        <div className="page-actions">
          {query.isFetching && user ? <Spinner label="Updating…" /> : null}
          <RangeSelect value={range} onChange={setRange} />
          <button type="button" className="button" onClick={refresh}>
            Refresh
          </button>
          <Link className="button" to={tracesOfUser} data-testid="user-traces-link">
            Their traces in the list
          </Link>
        </div>
      </div>
      {query.isPending && project !== null ? <Spinner label="Loading the user…" /> : null}
      {notFound ? (
        <EmptyState title="No such user">
          <p>This project has no trace of user {userId}.</p>
        </EmptyState>
      ) : query.isError ? (
        <ErrorBanner message={`Could not load the user: ${query.error.message}`} onRetry={() => void query.refetch()} />
      ) : null}
      {user && cost ? (
        <>
          <dl className="facts facts-row" data-testid="user-summary">
            <div>
              <dt>Traces</dt>
              <dd data-testid="user-trace-count">{user.trace_count.toLocaleString("en-US")}</dd>
            </div>
            <div>
              <dt>Tokens</dt>
              <dd title={`${user.input_tokens} in / ${user.output_tokens} out`}>{formatTokens(user.total_tokens)}</dd>
            </div>
            <div>
              <dt>Cost</dt>
              <dd className={`cost-${cost.kind}`} title={cost.title} data-testid="user-cost">
                {cost.text}
              </dd>
            </div>
            <div>
              <dt>Errors</dt>
              <dd className={user.error_count > 0 ? "error-text" : ""}>{user.error_count}</dd>
            </div>
            <div>
              <dt>First seen</dt>
              <dd>{user.first_seen ? formatTimestamp(user.first_seen) : "—"}</dd>
            </div>
            <div>
              <dt>Last seen</dt>
              <dd title={user.last_seen ? formatAge(user.last_seen) : undefined}>
                {user.last_seen ? formatTimestamp(user.last_seen) : "—"}
              </dd>
            </div>
          </dl>
          <section className="panel">
            <h2>Activity by day (UTC)</h2>
            {columns.days.length > 0 ? (
              <Suspense fallback={<Spinner label="Drawing the chart…" />}>
                <ActivityChart columns={columns} />
              </Suspense>
            ) : (
              <p className="muted">No traces in this time range.</p>
            )}
          </section>
          <section className="panel">
            <h2>Latest traces</h2>
            {user.recent_traces.length === 0 ? (
              <p className="muted">No traces in this time range.</p>
            ) : (
              <table className="simple-table" data-testid="user-recent-traces">
                <thead>
                  <tr>
                    <th>Time</th>
                    <th>Name</th>
                    <th>Session</th>
                    <th className="numeric">Latency</th>
                    <th className="numeric">Tokens</th>
                    <th className="numeric">Cost</th>
                  </tr>
                </thead>
                <tbody>
                  {user.recent_traces.map((trace) => {
                    const traceCost = formatCost(trace);
                    const open = () => navigate(`/traces/${encodeURIComponent(trace.id)}${projectQuery}`);
                    return (
                      <tr key={trace.id} data-testid="user-trace-row" onClick={open} className="clickable">
                        <td title={formatAge(trace.timestamp)}>
                          <Link to={`/traces/${encodeURIComponent(trace.id)}${projectQuery}`}>
                            {formatTimestamp(trace.timestamp)}
                          </Link>
                        </td>
                        <td>{trace.name ?? <span className="muted">(unnamed)</span>}</td>
                        <td>
                          {trace.session_id ? (
                            <Link
                              to={`/sessions/${encodeURIComponent(trace.session_id)}${projectQuery}`}
                              onClick={(event) => event.stopPropagation()}
                            >
                              {trace.session_id}
                            </Link>
                          ) : null}
                        </td>
                        <td className="numeric">{formatLatency(trace.latency_s)}</td>
                        <td className="numeric">{formatTokens(trace.total_tokens)}</td>
                        <td className={`numeric cost-${traceCost.kind}`} title={traceCost.title}>
                          {traceCost.text}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
            {user.trace_count > user.recent_traces.length ? (
              <p>
                <Link to={tracesOfUser}>All {user.trace_count.toLocaleString("en-US")} traces of this user →</Link>
              </p>
            ) : null}
          </section>
        </>
      ) : null}
    </main>
  );
}
