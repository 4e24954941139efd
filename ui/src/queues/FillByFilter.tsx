// "Add items" on a queue's page: the traces list's filters (the same filter bar) and a sample, sent to
// POST .../items/from-traces. The server keeps a trace (or its session) when a hash of its id falls
// under the rate, so adding again with the same filters adds nothing new, and a higher rate a superset.
// An observation queue is filled by the observation list's filters instead (FillObservations); a queue
// of any kind by either.
import { useMutation } from "@tanstack/react-query";
import { useMemo, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useAuth } from "../auth/auth";
import { useProjectQuery } from "../auth/projectInUrl";
import { Spinner } from "../components/states";
import { ActionError } from "../settings/parts";
import { FilterBar } from "../traces/FilterBar";
import { EMPTY_FILTERS, type TraceFilters } from "../traces/filters";
import { filtersBody, queuesApi } from "./api";
import { FillObservations } from "./FillObservations";
import { checkSample, DEFAULT_SAMPLE, SampleFields, type SampleState } from "./SampleFields";
import type { Added, Queue } from "./types";


export function FillByFilter({ queue, onAdded }: { queue: Queue; onAdded: (added: Added) => void }) {
  const [source, setSource] = useState<"traces" | "observations">(queue.kind === "observation" ? "observations" : "traces");
  const fill = source === "observations"
    ? <FillObservations queue={queue} onAdded={onAdded} />
    : <FillTraces queue={queue} onAdded={onAdded} />;
  if (queue.kind !== null) return fill;
  // A queue of any kind: either list fills it.
  return (
    <>
      <label className="field fill-source">
        <span>Fill from</span>
        <select aria-label="Fill from" value={source} onChange={(e) => setSource(e.target.value as "traces" | "observations")}>
          <option value="traces">the traces list</option>
          <option value="observations">the observation list</option>
        </select>
      </label>
      {fill}
    </>
  );
}

function FillTraces({ queue, onAdded }: { queue: Queue; onAdded: (added: Added) => void }) {
  const { project } = useAuth();
  const projectQuery = useProjectQuery();
  const [filters, setFilters] = useState<TraceFilters>(EMPTY_FILTERS);
  const [sample, setSample] = useState<SampleState>(DEFAULT_SAMPLE);
  const [kind, setKind] = useState<"trace" | "session">(queue.kind === "session" ? "session" : "trace");
  const [problem, setProblem] = useState<string | null>(null);
  const optionsRange = useMemo(() => ({ from: new Date(Date.now() - 30 * 86_400_000).toISOString(), to: null }), []);
  const add = useMutation({
    mutationFn: (body: Parameters<typeof queuesApi.fromTraces>[1]) => queuesApi.fromTraces(queue.name, body),
    onSuccess: onAdded,
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const checked = checkSample(sample);
    if (typeof checked === "string") return setProblem(checked);
    setProblem(null);
    add.mutate({ filters: filtersBody(filters, Date.now()), kind, ...checked });
  };
  const done = add.data;
  return (
    <section className="panel fill-queue" aria-label="Add by filter and sample" data-testid="fill-queue">
      <p className="muted">
        The traces the filters match (as in the <Link to={`/traces${projectQuery}`}>traces list</Link>), newest first;
        a sample keeps each one whose id hashes below the rate, so adding again adds the same ones.
      </p>
      <FilterBar filters={filters} onChange={setFilters} busy={add.isPending} project={project} optionsRange={optionsRange} />
      <form className="fill-queue-row" onSubmit={onSubmit}>
        {queue.kind === null ? (
          <label className="field">
            <span>Add</span>
            <select aria-label="Add traces or sessions" value={kind} onChange={(e) => setKind(e.target.value as "trace" | "session")}>
              <option value="trace">the traces</option>
              <option value="session">their sessions</option>
            </select>
          </label>
        ) : null}
        <SampleFields sample={sample} onChange={setSample} />
        <button type="submit" className="button button-primary" disabled={add.isPending} data-testid="fill-submit">
          {add.isPending ? <Spinner label="Adding…" /> : kind === "session" ? "Add their sessions" : "Add matching traces"}
        </button>
      </form>
      {problem ? <p className="form-error" role="alert">{problem}</p> : null}
      <ActionError error={add.error} />
      {done ? (
        <p className="banner banner-info" role="status" data-testid="fill-result">
          Added {done.added} {kind === "session" ? "sessions" : "traces"}
          {done.existing ? ` (${done.existing} already in the queue)` : ""} of {done.scanned ?? 0} traces read: the queue
          holds {done.item_count}.
          {done.pending_spans ? ` ${done.pending_spans} spans were still being indexed: add again in a moment for them.` : ""}
        </p>
      ) : null}
    </section>
  );
}
