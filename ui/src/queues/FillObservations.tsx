// "Add items" on an observation queue: the observation list's filters (type, model, name, level, trace,
// a time range) and a sample, sent to POST .../items/from-observations. As for traces, the server keeps
// an observation when a hash of its id falls under the rate, so adding again adds nothing new.
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Spinner } from "../components/states";
import { ActionError } from "../settings/parts";
import { LEVELS, RANGES } from "../traces/filters";
import { EMPTY_OBSERVATION_FILTERS, observationFiltersBody, queuesApi, type ObservationFilters } from "./api";
import { checkSample, DEFAULT_SAMPLE, SampleFields, type SampleState } from "./SampleFields";
import type { Added, Queue } from "./types";

// The kinds of observation the server stores (model/entities.py ObservationType).
const TYPES = ["generation", "span", "event", "agent", "tool", "chain", "retriever", "evaluator", "embedding", "guardrail"];

export function FillObservations({ queue, onAdded }: { queue: Queue; onAdded: (added: Added) => void }) {
  const [filters, setFilters] = useState<ObservationFilters>(EMPTY_OBSERVATION_FILTERS);
  const [sample, setSample] = useState<SampleState>(DEFAULT_SAMPLE);
  const [problem, setProblem] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: (body: Parameters<typeof queuesApi.fromObservations>[1]) => queuesApi.fromObservations(queue.name, body),
    onSuccess: onAdded,
  });
  const set = (key: keyof ObservationFilters) => (event: { target: { value: string } }) =>
    setFilters((current) => ({ ...current, [key]: event.target.value }));
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const checked = checkSample(sample);
    if (typeof checked === "string") return setProblem(checked);
    setProblem(null);
    add.mutate({ filters: observationFiltersBody(filters, Date.now()), ...checked });
  };
  const done = add.data;
  return (
    <section className="panel fill-queue" aria-label="Add observations by filter and sample" data-testid="fill-queue">
      <p className="muted">
        The observations the filters match, newest first; a sample keeps each one whose id hashes below the rate, so
        adding again adds the same ones.
      </p>
      <form className="fill-queue-row" onSubmit={onSubmit}>
        <label className="field">
          <span>Type</span>
          <select aria-label="Observation type" value={filters.type} onChange={set("type")}>
            <option value="">any</option>
            {TYPES.map((type) => <option key={type} value={type}>{type}</option>)}
          </select>
        </label>
        <label className="field">
          <span>Name</span>
          <input aria-label="Observation name" value={filters.name} onChange={set("name")} />
        </label>
        <label className="field">
          <span>Model</span>
          <input aria-label="Observation model" value={filters.model} onChange={set("model")} />
        </label>
        <label className="field">
          <span>Level</span>
          <select aria-label="Observation level" value={filters.level} onChange={set("level")}>
            <option value="">any</option>
            {LEVELS.map((level) => <option key={level} value={level}>{level.toLowerCase()}</option>)}
          </select>
        </label>
        <label className="field">
          <span>Trace id</span>
          <input aria-label="Observation trace id" value={filters.traceId} onChange={set("traceId")} />
        </label>
        <label className="field">
          <span>Started</span>
          <select aria-label="Observation time range" value={filters.range} onChange={set("range")}>
            <option value="">any time</option>
            {Object.entries(RANGES).map(([key, range]) => <option key={key} value={key}>{range.label}</option>)}
          </select>
        </label>
        <SampleFields sample={sample} onChange={setSample} />
        <button type="submit" className="button button-primary" disabled={add.isPending} data-testid="fill-submit">
          {add.isPending ? <Spinner label="Adding…" /> : "Add matching observations"}
        </button>
      </form>
      {problem ? <p className="form-error" role="alert">{problem}</p> : null}
      <ActionError error={add.error} />
      {done ? (
        <p className="banner banner-info" role="status" data-testid="fill-result">
          Added {done.added} observations{done.existing ? ` (${done.existing} already in the queue)` : ""} of{" "}
          {done.scanned ?? 0} observations read: the queue holds {done.item_count}.
        </p>
      ) : null}
    </section>
  );
}
