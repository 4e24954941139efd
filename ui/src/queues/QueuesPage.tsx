// /queues: the project's annotation queues with their progress; /queues/{name}: a queue's review
// page (ReviewPage). One route serves both, so that the router names this section once.
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { apiRequest } from "../api/client";
import { useAuth } from "../auth/auth";
import { useProjectInUrl, useProjectQuery } from "../auth/projectInUrl";
import { EmptyState, ErrorBanner, Spinner } from "../components/states";
import { formatTimestamp } from "../format";
import { ProgressBar, ReviewPage } from "./ReviewPage";
import type { Queue } from "./types";
import "./queues.css";

export function QueuesPage() {
  const { name } = useParams();
  return name ? <ReviewPage name={name} key={name} /> : <QueueList />;
}

function QueueList() {
  const { project } = useAuth();
  useProjectInUrl();
  const projectQuery = useProjectQuery();
  const query = useQuery({
    queryKey: ["annotation-queues", project],
    queryFn: ({ signal }) => apiRequest<{ data: Queue[] }>("/api/v1/annotation-queues", { signal }),
    enabled: project !== null,
  });
  const queues = query.data?.data ?? [];
  return (
    <main className="page queues-page">
      <div className="page-header">
        <h1>Annotation queues</h1>
      </div>
      {query.isPending && project !== null ? <Spinner label="Loading the queues…" /> : null}
      {query.isError ? (
        <ErrorBanner message={`Could not load the queues: ${query.error.message}`} onRetry={() => void query.refetch()} />
      ) : null}
      {query.isSuccess && queues.length === 0 ? (
        <EmptyState title="No annotation queues yet">
          <p>
            Create one with <code>POST /api/v1/annotation-queues</code> and fill it with traces, observations or
            sessions (docs/evaluation.md, “Annotation queues”).
          </p>
        </EmptyState>
      ) : null}
      {queues.length > 0 ? (
        <table className="simple-table" data-testid="queues">
          <thead>
            <tr>
              <th>Queue</th>
              <th>Scores</th>
              <th className="numeric">Items</th>
              <th className="numeric">Done</th>
              <th className="numeric">Remaining</th>
              <th>Progress</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {queues.map((queue) => (
              <tr key={queue.name} data-testid="queue-row">
                <td>
                  <Link to={`/queues/${encodeURIComponent(queue.name)}${projectQuery}`} className="strong">
                    {queue.name}
                  </Link>
                  {queue.description ? <div className="muted">{queue.description}</div> : null}
                </td>
                <td>{queue.score_configs.map((config) => config.name).join(", ")}</td>
                <td className="numeric">{queue.item_count}</td>
                <td className="numeric">{queue.done_count}</td>
                <td className="numeric">{queue.remaining}</td>
                <td>
                  <ProgressBar done={queue.done_count} total={queue.item_count} />
                </td>
                <td>{formatTimestamp(queue.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </main>
  );
}
