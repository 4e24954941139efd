// /experiments[?dataset=NAME]: a dataset's experiments, newest first; tick two or more and
// compare them (the first ticked is the baseline).
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { apiRequest } from "../api/client";
import { useAuth } from "../auth/auth";
import { useProjectInUrl, useProjectQuery } from "../auth/projectInUrl";
import { EmptyState, ErrorBanner, Spinner } from "../components/states";
import { datasetsApi } from "../datasets/api";
import { formatTimestamp } from "../format";
import type { Experiment } from "./types";
import "./experiments.css";

/** `?ids=...` plus the project, for a link to the comparison. */
export function compareLink(ids: number[], projectQuery: string): string {
  const project = projectQuery ? `&${projectQuery.slice(1)}` : "";
  return `/experiments/compare?ids=${ids.join(",")}${project}`;
}

export function ExperimentsPage() {
  const { project } = useAuth();
  useProjectInUrl();
  const projectQuery = useProjectQuery();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const [picked, setPicked] = useState<number[]>([]);
  const datasets = useQuery({
    queryKey: ["datasets", project],
    // The datasets pages' own query (one key, one shape: the list itself).
    queryFn: datasetsApi.list,
    enabled: project !== null,
  });
  const dataset = params.get("dataset") ?? datasets.data?.[0]?.name ?? null;
  const experiments = useQuery({
    queryKey: ["experiments", project, dataset],
    queryFn: ({ signal }) =>
      apiRequest<{ data: Experiment[] }>(`/api/v1/experiments?dataset=${encodeURIComponent(dataset!)}`, { signal }),
    enabled: project !== null && dataset !== null,
  });

  const choose = (name: string) => {
    const next = new URLSearchParams(params);
    next.set("dataset", name);
    setParams(next);
    setPicked([]);
  };
  const toggle = (id: number) => setPicked((now) => (now.includes(id) ? now.filter((x) => x !== id) : [...now, id]));

  return (
    <main className="page experiments-page">
      <div className="page-header">
        <h1>Experiments</h1>
        <div className="page-actions">
          {datasets.data && datasets.data.length > 0 ? (
            <label className="inline-field">
              <span>Dataset</span>
              <select aria-label="Dataset" value={dataset ?? ""} onChange={(e) => choose(e.target.value)}>
                {datasets.data.map((d) => (
                  <option key={d.name} value={d.name}>
                    {d.name} (v{d.current_version}, {d.item_count} items)
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          <button
            type="button"
            className="button button-primary"
            disabled={picked.length < 2}
            title={picked.length < 2 ? "Tick two experiments or more: the first ticked is the baseline" : undefined}
            onClick={() => navigate(compareLink(picked, projectQuery))}
          >
            Compare {picked.length >= 2 ? `(${picked.length})` : ""}
          </button>
        </div>
      </div>
      {datasets.error ? <ErrorBanner message={`Could not load the datasets: ${datasets.error.message}`} /> : null}
      {experiments.error ? <ErrorBanner message={`Could not load the experiments: ${experiments.error.message}`} /> : null}
      {datasets.isPending || (dataset !== null && experiments.isPending) ? <Spinner label="Loading experiments…" /> : null}
      {datasets.data && datasets.data.length === 0 ? (
        <EmptyState title="No datasets yet">
          An experiment runs an application over a dataset version: create a dataset (`theodolite datasets import`), then
          run `theodolite experiments run FILE.py --dataset NAME` or `theodolite.run_experiment(...)`.
        </EmptyState>
      ) : null}
      {experiments.data && experiments.data.data.length === 0 ? (
        <EmptyState title={`No experiments on ${dataset} yet`}>
          Run one with `theodolite experiments run FILE.py --dataset {dataset}` or `theodolite.run_experiment(...)`.
        </EmptyState>
      ) : null}
      {experiments.data && experiments.data.data.length > 0 ? (
        <table className="experiments-table" aria-label="Experiments">
          <thead>
            <tr>
              <th aria-label="Pick" />
              <th>Name</th>
              <th className="numeric">Version</th>
              <th className="numeric">Runs</th>
              <th className="numeric">Errors</th>
              <th>Status</th>
              <th>Metadata</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {experiments.data.data.map((experiment) => {
              const order = picked.indexOf(experiment.id);
              return (
                <tr key={experiment.id} data-testid="experiment-row" data-id={experiment.id} className={order >= 0 ? "selected" : ""}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Pick ${experiment.name}`}
                      checked={order >= 0}
                      onChange={() => toggle(experiment.id)}
                    />
                    {order === 0 ? <span className="tag tag-baseline">baseline</span> : null}
                  </td>
                  <td className="strong">{experiment.name}</td>
                  <td className="numeric">{experiment.dataset_version}</td>
                  <td className="numeric">{experiment.run_count}</td>
                  <td className={`numeric ${experiment.error_count > 0 ? "error-text" : "muted"}`}>{experiment.error_count}</td>
                  <td>
                    <span className={`status status-${experiment.status}`}>{experiment.status}</span>
                  </td>
                  <td className="muted mono">{experiment.metadata ? JSON.stringify(experiment.metadata) : ""}</td>
                  <td className="muted">{formatTimestamp(experiment.created_at)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {picked.length === 1 ? <p className="muted">Tick one more to compare; the first ticked is the baseline.</p> : null}
      <p className="muted">
        <Link to={`/traces${projectQuery}`}>Each run is a trace</Link> named after its experiment.
      </p>
    </main>
  );
}
