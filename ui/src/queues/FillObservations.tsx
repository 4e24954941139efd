// "Add items" on an observation queue: the observation list's filters (type, model, name, level, trace,
// a time range) and a sample, sent to POST .../items/from-observations. As for traces, the server keeps
// an observation when a hash of its id falls under the rate, so adding again adds nothing new.
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Spinner } from "../components/states";
import { ActionError } from "../settings/parts";
import { LEVELS, RANGES } from "../traces/filters";
import { EMPTY_OBSERVATION_FILTERS, observationFiltersBody, queuesApi, sampleRate, type ObservationFilters } from "./api";
import type { Added, Queue } from "./types";

const MAX_ITEMS = 10_000; // the server's most per request
// The kinds of observation the server stores (model/entities.py ObservationType).
const TYPES = ["generation", "span", "event", "agent", "tool", "chain", "retriever", "evaluator", "embedding", "guardrail"];

export function FillObservations({ queue, onAdded }: { queue: Queue; onAdded: (added: Added) => void }) {
  const [filters, setFilters] = useState<ObservationFilters>(EMPTY_OBSERVATION_FILTERS);
  const [percent, setPercent] = useState("100");
  const [max, setMax] = useState("1000");
  const [problem, setProblem] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: (body: Parameters<typeof queuesApi.fromObservations>[1]) => queuesApi.fromObservations(queue.name, body),
    onSuccess: onAdded,
  });
  const set = (key: keyof ObservationFilters) => (event: { target: { value: string } }) =>
    setFilters((current) => ({ ...current, [key]: event.target.value }));
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const rate = sampleRate(percent);
    const most = Number(max.trim());
    if (rate === null) return setProblem("Sample: a percentage above 0 and up to 100.");
    if (!/^\d+$/.test(max.trim()) || most < 1 || most > MAX_ITEMS) {
      return setProblem(`At most: a whole number from 1 to ${MAX_ITEMS.toLocaleString("en")}.`);
    }
    setProblem(null);
    add.mutate({ filters: observationFiltersBody(filters, Date.now()), sample_rate: rate, max_items: most });
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
        <label className="field">
          <span>Sample, %</span>
          <input aria-label="Sample percent" inputMode="decimal" className="new-queue-number" value={percent}
                 onChange={(e) => setPercent(e.target.value)} />
        </label>
        <label className="field">
          <span>At most</span>
          <input aria-label="At most" inputMode="numeric" className="new-queue-number" value={max}
                 onChange={(e) => setMax(e.target.value)} />
        </label>
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
