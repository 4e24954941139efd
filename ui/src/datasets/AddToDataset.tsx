// "Add to dataset": production traces become dataset items (their root observation's input and
// output), through POST /api/v1/datasets/{name}/items/from-traces. Used on a trace's page (one
// trace) and in the traces list (the selected rows). The dataset is picked from the project's, or
// created on the spot; the result (the new version, what was created, what was already there)
// stays in view after the picker closes.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useAuth } from "../auth/auth";
import { useProjectQuery } from "../auth/projectInUrl";
import { Spinner } from "../components/states";
import { ActionError } from "../settings/parts";
import { datasetsApi, describeChange, type Change } from "./api";
import "./datasets.css";

const NEW = "\u0000new"; // the "New dataset…" option: no dataset name can hold a NUL

export function datasetHref(name: string, projectQuery: string): string {
  return `/datasets/${encodeURIComponent(name)}${projectQuery}`;
}

export function AddToDataset({
  traceIds,
  label,
  onAdded,
}: {
  traceIds: string[];
  label: string;
  /** After the items are stored (the traces list clears its selection). */
  onAdded?: () => void;
}) {
  const { project } = useAuth();
  const projectQuery = useProjectQuery();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [choice, setChoice] = useState<string | null>(null);
  const [newName, setNewName] = useState("");
  const [result, setResult] = useState<{ name: string; change: Change } | null>(null);
  const datasets = useQuery({ queryKey: ["datasets", project], queryFn: datasetsApi.list, enabled: open && project !== null });
  const names = datasets.data?.map((d) => d.name) ?? [];
  // Until the user picks, the first dataset (or a new one when the project has none).
  const chosen = choice ?? (datasets.data ? (names[0] ?? NEW) : null);

  const add = useMutation({
    mutationFn: async ({ name, create, ids }: { name: string; create: boolean; ids: string[] }) => {
      if (create) {
        await datasetsApi.create(name, null);
        // Should the traces then fail (one unknown, too many), a retry adds to the dataset just made.
        setChoice(name);
        void queryClient.invalidateQueries({ queryKey: ["datasets", project] });
      }
      return { name, change: await datasetsApi.fromTraces(name, ids) };
    },
    onSuccess: (done) => {
      setResult(done);
      setOpen(false);
      setChoice(null);
      setNewName("");
      void queryClient.invalidateQueries({ queryKey: ["datasets", project] });
      void queryClient.invalidateQueries({ queryKey: ["dataset", project, done.name] });
      onAdded?.();
    },
  });

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (chosen === null) return;
    const create = chosen === NEW;
    const name = create ? newName.trim() : chosen;
    if (name === "") return;
    add.mutate({ name, create, ids: traceIds });
  };

  return (
    <span className="add-to-dataset">
      {result ? (
        <span className="add-to-dataset-result" role="status" data-testid="add-to-dataset-result">
          Added to{" "}
          <Link to={datasetHref(result.name, projectQuery)} data-testid="add-to-dataset-link">
            {result.name}
          </Link>
          : {describeChange(result.change)}
        </span>
      ) : null}
      {traceIds.length > 0 ? (
        <button
          type="button"
          className="button"
          aria-expanded={open}
          data-testid="add-to-dataset"
          onClick={() => {
            add.reset();
            setOpen((now) => !now);
          }}
        >
          {label}
        </button>
      ) : null}
      {open && traceIds.length > 0 ? (
        <form className="dataset-picker" role="dialog" aria-label="Add to dataset" onSubmit={onSubmit}>
          <p className="muted">
            {traceIds.length === 1 ? "The trace becomes an item" : `Each of the ${traceIds.length} traces becomes an item`}{" "}
            (its root input as input, its root output as expected output), in one new version.
          </p>
          {datasets.isPending ? <Spinner label="Loading the datasets…" /> : null}
          <ActionError error={datasets.error} />
          {datasets.data ? (
            <label className="field">
              <span>Dataset</span>
              <select aria-label="Dataset" value={chosen ?? NEW} onChange={(event) => setChoice(event.target.value)}>
                {datasets.data.map((d) => (
                  <option key={d.name} value={d.name}>
                    {d.name} (v{d.current_version}, {d.item_count} items)
                  </option>
                ))}
                <option value={NEW}>New dataset…</option>
              </select>
            </label>
          ) : null}
          {chosen === NEW ? (
            <label className="field">
              <span>Name of the new dataset</span>
              <input
                aria-label="New dataset name"
                value={newName}
                maxLength={200}
                autoFocus
                onChange={(event) => setNewName(event.target.value)}
              />
            </label>
          ) : null}
          <ActionError error={add.error} />
          <div className="dataset-picker-actions">
            <button
              type="submit"
              className="button button-primary"
              disabled={add.isPending || chosen === null || (chosen === NEW && newName.trim() === "")}
            >
              {add.isPending ? <Spinner label="Adding…" /> : "Add"}
            </button>
            <button type="button" className="button button-quiet" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : null}
    </span>
  );
}
