// "Add to queue" in the traces list: the ticked traces become items of an annotation queue (POST
// .../items), picked from the project's queues that take traces. Adding a trace the queue holds
// changes nothing; the result stays in view after the picker closes, as "Add to dataset" does.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useAuth } from "../auth/auth";
import { useProjectQuery } from "../auth/projectInUrl";
import { Spinner } from "../components/states";
import "../datasets/datasets.css";
import { ActionError } from "../settings/parts";
import { queuesApi } from "./api";
import type { Added } from "./types";

export function AddToQueue({ traceIds, onAdded }: { traceIds: string[]; onAdded?: () => void }) {
  const { project } = useAuth();
  const projectQuery = useProjectQuery();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [choice, setChoice] = useState<string | null>(null);
  const [result, setResult] = useState<{ name: string; added: Added } | null>(null);
  const queues = useQuery({
    queryKey: ["annotation-queues", project, "list"],
    queryFn: queuesApi.list,
    enabled: open && project !== null,
  });
  // Queues of sessions or observations are filled on their own page.
  const names = (queues.data ?? []).filter((q) => q.kind === null || q.kind === "trace").map((q) => q.name);
  const chosen = choice ?? names[0] ?? null;
  const add = useMutation({
    mutationFn: async ({ name, ids }: { name: string; ids: string[] }) => ({
      name,
      added: await queuesApi.addItems(name, ids.map((id) => ({ kind: "trace" as const, id }))),
    }),
    onSuccess: (done) => {
      setResult(done);
      setOpen(false);
      setChoice(null);
      void queryClient.invalidateQueries({ queryKey: ["annotation-queues", project] });
      onAdded?.();
    },
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (chosen !== null) add.mutate({ name: chosen, ids: traceIds });
  };

  return (
    <span className="add-to-dataset">
      {result ? (
        <span className="add-to-dataset-result" role="status" data-testid="add-to-queue-result">
          Added {result.added.added} to{" "}
          <Link to={`/queues/${encodeURIComponent(result.name)}${projectQuery}`} data-testid="add-to-queue-link">
            {result.name}
          </Link>
          {result.added.existing ? ` (${result.added.existing} already there)` : ""}
        </span>
      ) : null}
      {traceIds.length > 0 ? (
        <button type="button" className="button" aria-expanded={open} data-testid="add-to-queue"
                onClick={() => { add.reset(); setOpen((now) => !now); }}>
          Add {traceIds.length} to queue
        </button>
      ) : null}
      {open && traceIds.length > 0 ? (
        <form className="dataset-picker" role="dialog" aria-label="Add to queue" onSubmit={onSubmit}>
          <p className="muted">
            {traceIds.length === 1 ? "The trace becomes an item" : `Each of the ${traceIds.length} traces becomes an item`}{" "}
            of the queue, for its reviewers to score.
          </p>
          {queues.isPending ? <Spinner label="Loading the queues…" /> : null}
          <ActionError error={queues.error} />
          {queues.isSuccess && names.length === 0 ? (
            <p className="muted" data-testid="add-to-queue-none">
              No queue takes traces yet: <Link to={`/queues${projectQuery}`}>create one</Link>.
            </p>
          ) : null}
          {names.length > 0 ? (
            <label className="field">
              <span>Queue</span>
              <select aria-label="Queue" value={chosen ?? ""} onChange={(event) => setChoice(event.target.value)}>
                {names.map((name) => <option key={name} value={name}>{name}</option>)}
              </select>
            </label>
          ) : null}
          <ActionError error={add.error} />
          <div className="dataset-picker-actions">
            <button type="submit" className="button button-primary" disabled={add.isPending || chosen === null}>
              {add.isPending ? <Spinner label="Adding…" /> : "Add"}
            </button>
            <button type="button" className="button button-quiet" onClick={() => setOpen(false)}>Cancel</button>
          </div>
        </form>
      ) : null}
    </span>
  );
}
