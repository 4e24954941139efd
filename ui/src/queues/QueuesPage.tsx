// /queues: the project's annotation queues with their progress, and "New queue"; /queues/{name}: a
// queue's review page (ReviewPage). One route serves both, so that the router names this section once.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { apiRequest } from "../api/client";
import { useAuth } from "../auth/auth";
import { useProjectInUrl, useProjectQuery } from "../auth/projectInUrl";
import { EmptyState, ErrorBanner, Spinner } from "../components/states";
import { formatTimestamp } from "../format";
import { NewQueue } from "./NewQueue";
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
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
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
        <div className="page-actions">
          <button type="button" className="button button-primary" aria-expanded={creating}
                  onClick={() => setCreating((now) => !now)} data-testid="new-queue-button">
            New queue
          </button>
        </div>
      </div>
      {creating ? (
        <NewQueue
          onCancel={() => setCreating(false)}
          onCreated={(queue) => navigate(`/queues/${encodeURIComponent(queue.name)}${projectQuery}`)}
        />
      ) : null}
      {query.isPending && project !== null ? <Spinner label="Loading the queues…" /> : null}
      {query.isError ? (
        <ErrorBanner message={`Could not load the queues: ${query.error.message}`} onRetry={() => void query.refetch()} />
      ) : null}
      {query.isSuccess && queues.length === 0 ? (
        <EmptyState title="No annotation queues yet">
          <p>
            Create one with “New queue” (or <code>POST /api/v1/annotation-queues</code>), then fill it on its page or
            with “Add to queue” on ticked rows of the traces list (docs/evaluation.md, “Annotation queues”).
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
                  {queue.kind ? <div className="muted">{queue.kind}s</div> : null}
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
