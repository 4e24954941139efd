// /datasets: the project's datasets (current version, item count) and a form to create one.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { useAuth } from "../auth/auth";
import { useProjectInUrl, useProjectQuery } from "../auth/projectInUrl";
import { EmptyState, ErrorBanner, Spinner } from "../components/states";
import { formatTimestamp } from "../format";
import { ActionError } from "../settings/parts";
import { datasetHref } from "./AddToDataset";
import { datasetsApi } from "./api";
import "./datasets.css";

export function DatasetsPage() {
  const { project } = useAuth();
  useProjectInUrl();
  const projectQuery = useProjectQuery();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const datasets = useQuery({ queryKey: ["datasets", project], queryFn: datasetsApi.list, enabled: project !== null });
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useMutation({
    mutationFn: () => datasetsApi.create(name.trim(), description.trim() === "" ? null : description.trim()),
    onSuccess: (created) => {
      void queryClient.invalidateQueries({ queryKey: ["datasets", project] });
      navigate(datasetHref(created.name, projectQuery));
    },
  });
  const onCreate = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim() !== "") create.mutate();
  };

  return (
    <main className="page datasets-page">
      <div className="page-header">
        <h1>Datasets</h1>
        {datasets.isFetching && !datasets.isPending ? <Spinner label="Updating…" /> : null}
      </div>
      <p className="muted" style={{ margin: 0 }}>
        Items (an input, an expected output, metadata) to run an application on and evaluate. Every change makes a new,
        immutable version, so an experiment can name the version it ran on. Add items from production traces with
        “Add to dataset” on a trace or on selected rows of the traces list.
      </p>
      <section className="panel" aria-labelledby="new-dataset-title">
        <h2 id="new-dataset-title">New dataset</h2>
        <form className="dataset-form" onSubmit={onCreate}>
          <label className="field">
            <span>Name</span>
            <input
              aria-label="Dataset name"
              required
              maxLength={200}
              pattern="[^/]+"
              title="any name without '/'"
              value={name}
              onChange={(event) => setName(event.target.value)}
            />
          </label>
          <label className="field">
            <span>Description</span>
            <input
              aria-label="Dataset description"
              placeholder="optional"
              value={description}
              onChange={(event) => setDescription(event.target.value)}
            />
          </label>
          <button type="submit" className="button button-primary" disabled={create.isPending || name.trim() === ""}>
            {create.isPending ? <Spinner label="Creating…" /> : "Create the dataset"}
          </button>
        </form>
        <ActionError error={create.error} />
      </section>
      {datasets.isError ? (
        <ErrorBanner message={`Could not load the datasets: ${datasets.error.message}`} onRetry={() => void datasets.refetch()} />
      ) : null}
      {datasets.isPending && project !== null ? <Spinner label="Loading the datasets…" /> : null}
      {datasets.data && datasets.data.length === 0 ? (
        <EmptyState title="No datasets yet">
          <p>
            Create one above, or import a file with <code>theodolite datasets import NAME FILE --create</code>.
          </p>
        </EmptyState>
      ) : null}
      {datasets.data && datasets.data.length > 0 ? (
        <table className="simple-table panel" aria-label="Datasets">
          <thead>
            <tr>
              <th>Name</th>
              <th>Description</th>
              <th className="numeric">Version</th>
              <th className="numeric">Items</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {datasets.data.map((d) => (
              <tr
                key={d.name}
                className="clickable"
                data-testid="dataset-row"
                data-name={d.name}
                onClick={() => navigate(datasetHref(d.name, projectQuery))}
              >
                <td>
                  <Link to={datasetHref(d.name, projectQuery)} onClick={(event) => event.stopPropagation()}>
                    {d.name}
                  </Link>
                </td>
                <td title={d.description ?? undefined}>{d.description ?? <span className="muted">—</span>}</td>
                <td className="numeric" data-testid="dataset-version">
                  {d.current_version}
                </td>
                <td className="numeric" data-testid="dataset-items">
                  {d.item_count.toLocaleString("en-US")}
                </td>
                <td>{formatTimestamp(d.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </main>
  );
}
